/*
 * The request memo: the last request's fields, what checking them found,
 * and the HPACK block they were encoded to.
 *
 * Clients often send the same request many times on one connection (a
 * load generator, a poller, an API client whose requests differ only in
 * their body). Such a request needs checking only once: the checks depend
 * on the fields alone. Its HPACK block can be reused while the encoder's
 * state is the one it was encoded from, and the encoding left that state
 * unchanged (every field was found in the tables): encoding is a function
 * of the fields and that state, so the encoder would produce the very same
 * bytes again. Anything that changes the state (an insertion, an eviction,
 * a table size change) changes the encoder's version and retires the
 * block. Comparing fields costs a memcmp of their bytes, far less than
 * validating and encoding them.
 */
#include <string.h>

#include "conn_internal.h"
#include "hpack_encoder_internal.h"

/* Larger requests (big cookies, long tokens) are not remembered: copying
 * them on every change would cost more than the memo saves. */
#define MEMO_MAX_BYTES 4096u

void h2_request_memo_free(h2_conn *conn) {
  request_memo *m = &conn->memo;
  h2_free(conn->alloc, m->fields);
  h2_free(conn->alloc, m->block);
  memset(m, 0, sizeof(*m));
}

/* After this many different requests in a row the memo is refreshed only
 * once every MEMO_RETRY_PERIOD requests: a client whose requests all
 * differ pays for a comparison, not for a copy each time. */
#define MEMO_MISSES_BEFORE_BACKOFF 2u
#define MEMO_RETRY_PERIOD 16u

int h2_request_memo_matches(h2_conn *conn, const h2_header *fields,
                            size_t count) {
  request_memo *m = &conn->memo;
  if (!m->valid || m->count != count) return 0;
  for (size_t i = 0; i < count; i++) {
    const h2_header *a = &m->fields[i], *b = &fields[i];
    if (a->name_length != b->name_length || a->value_length != b->value_length ||
        a->flags != b->flags)
      return 0;
    /* Remembered names are never empty; values may be. */
    if (memcmp(a->name, b->name, a->name_length) != 0 ||
        (a->value_length && memcmp(a->value, b->value, a->value_length) != 0))
      return 0;
  }
  m->misses = 0;
  return 1;
}

/* Room for `bytes` at m->fields, keeping nothing of what was there. */
static int reserve_area(h2_conn *conn, request_memo *m, size_t bytes) {
  if (bytes <= m->area_capacity) return 0;
  h2_free(conn->alloc, m->fields);
  m->area_capacity = 0;
  m->fields = h2_malloc(conn->alloc, bytes);
  if (!m->fields) return H2_ERR_NOMEM;
  m->area_capacity = bytes;
  return 0;
}

void h2_request_memo_remember(h2_conn *conn, const h2_header *fields,
                              size_t count, uint32_t stream_flags,
                              uint64_t list_size) {
  request_memo *m = &conn->memo;
  m->valid = 0;
  m->has_block = 0;
  m->misses++;
  if (m->misses > MEMO_MISSES_BEFORE_BACKOFF && m->misses % MEMO_RETRY_PERIOD)
    return;
  size_t bytes = count * sizeof(h2_header) + h2_fields_bytes(fields, count);
  /* The memo only saves work: without room for it, requests are simply
   * checked and encoded every time. */
  if (!count || bytes > MEMO_MAX_BYTES || reserve_area(conn, m, bytes)) return;
  h2_fields_copy(m->fields, (uint8_t *)(m->fields + count), fields, count);
  m->count = count;
  m->stream_flags = stream_flags;
  m->list_size = list_size;
  m->valid = 1;
}

const uint8_t *h2_request_memo_block(const h2_conn *conn, size_t *length) {
  const request_memo *m = &conn->memo;
  if (!m->valid || !m->has_block ||
      m->block_version != h2_hpack_encoder_version(conn->encoder))
    return NULL;
  *length = m->block_length;
  return m->block;
}

void h2_request_memo_keep_block(h2_conn *conn, const uint8_t *block,
                                size_t length, uint64_t version) {
  request_memo *m = &conn->memo;
  if (!m->valid || length > MEMO_MAX_BYTES) return;
  if (length > m->block_capacity) {
    h2_free(conn->alloc, m->block);
    m->block_capacity = 0;
    m->block = h2_malloc(conn->alloc, length);
    if (!m->block) return;
    m->block_capacity = length;
  }
  if (length) memcpy(m->block, block, length);
  m->block_length = length;
  m->block_version = version;
  m->has_block = 1;
}
