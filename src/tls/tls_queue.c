/* The ring-buffer byte queues holding encrypted bytes in both directions. */
#include <string.h>

#include "h2/error.h"
#include "alloc_internal.h"
#include "tls_internal.h"

/* A queue starts at this size, and one that empties keeps a buffer up to
 * this size: small enough for an idle pooled connection, large enough
 * that a handshake flight never reallocates. */
#define QUEUE_INITIAL_CAPACITY 4096u
#define QUEUE_KEEP_CAPACITY 16384u

/* Copies `count` bytes starting `offset` bytes after the head out of the
 * ring, in at most two pieces. */
static void copy_out(const h2_tls_queue *q, size_t offset, uint8_t *out,
                     size_t count) {
  size_t position = (q->head + offset) % q->capacity;
  size_t first = q->capacity - position;
  if (first > count) first = count;
  memcpy(out, q->data + position, first);
  memcpy(out + first, q->data, count - first);
}

static size_t grown_capacity(const h2_tls_queue *q, size_t needed,
                             size_t soft_limit) {
  size_t capacity = q->capacity ? q->capacity : QUEUE_INITIAL_CAPACITY;
  while (capacity < needed && capacity < soft_limit &&
         capacity <= (size_t)-1 / 2)
    capacity *= 2;
  if (capacity > soft_limit && soft_limit >= needed) capacity = soft_limit;
  return capacity < needed ? needed : capacity;
}

/* Moves the pending bytes to the front of a larger buffer. */
static int grow(h2_tls_queue *q, size_t needed, size_t soft_limit,
                const h2_allocator *alloc) {
  size_t capacity = grown_capacity(q, needed, soft_limit);
  uint8_t *data = h2_malloc(alloc, capacity);
  if (!data) return H2_ERR_NOMEM;
  if (q->length) copy_out(q, 0, data, q->length);
  h2_free(alloc, q->data);
  q->data = data;
  q->head = 0;
  q->capacity = capacity;
  return 0;
}

int h2_tls_queue_append(h2_tls_queue *q, const uint8_t *bytes, size_t length,
                        size_t soft_limit, const h2_allocator *alloc) {
  if (length == 0) return 0;
  if (length > (size_t)-1 - q->length) return H2_ERR_NOMEM;
  if (q->capacity - q->length < length) {
    int rc = grow(q, q->length + length, soft_limit, alloc);
    if (rc) return rc;
  }
  size_t tail = (q->head + q->length) % q->capacity;
  size_t first = q->capacity - tail;
  if (first > length) first = length;
  memcpy(q->data + tail, bytes, first);
  memcpy(q->data, bytes + first, length - first);
  q->length += length;
  return 0;
}

size_t h2_tls_queue_take(h2_tls_queue *q, uint8_t *out, size_t capacity,
                         const h2_allocator *alloc) {
  size_t count = q->length < capacity ? q->length : capacity;
  if (count == 0) return 0;
  copy_out(q, 0, out, count);
  h2_tls_queue_consume(q, count, alloc);
  return count;
}

size_t h2_tls_queue_peek(const h2_tls_queue *q, const uint8_t **data) {
  if (q->length == 0) {
    *data = NULL;
    return 0;
  }
  size_t first = q->capacity - q->head;
  *data = q->data + q->head;
  return first < q->length ? first : q->length;
}

void h2_tls_queue_consume(h2_tls_queue *q, size_t count,
                          const h2_allocator *alloc) {
  if (count > q->length) count = q->length;
  if (count == 0) return;
  q->head = (q->head + count) % q->capacity;
  q->length -= count;
  if (q->length) return;
  /* Empty: restart at the front, and give back a buffer that a burst made
   * large, so a long-lived idle connection does not keep it. */
  q->head = 0;
  if (q->capacity > QUEUE_KEEP_CAPACITY) h2_tls_queue_free(q, alloc);
}

void h2_tls_queue_free(h2_tls_queue *q, const h2_allocator *alloc) {
  h2_free(alloc, q->data);
  q->data = NULL;
  q->head = 0;
  q->length = 0;
  q->capacity = 0;
}
