/* A counting, failure-injecting allocator. Each block carries a small
 * header with its size so frees can be accounted exactly. */
#include "test_alloc.h"

#include <stdlib.h>
#include <string.h>

typedef union block_header {
  size_t size;
  max_align_t align_;
} block_header;

static int should_fail(test_alloc *ta) {
  if (ta->fail_at && ta->allocations + ta->failures + 1 == ta->fail_at) {
    ta->failures++;
    return 1;
  }
  return 0;
}

static void account(test_alloc *ta, size_t size) {
  ta->allocations++;
  ta->live_blocks++;
  ta->live_bytes += size;
  if (ta->live_bytes > ta->peak_bytes) ta->peak_bytes = ta->live_bytes;
}

static void *counting_malloc(size_t size, void *user) {
  test_alloc *ta = user;
  if (should_fail(ta)) return NULL;
  block_header *h = malloc(sizeof(*h) + size);
  if (!h) return NULL;
  h->size = size;
  account(ta, size);
  return h + 1;
}

static void counting_free(void *ptr, void *user) {
  test_alloc *ta = user;
  if (!ptr) return;
  block_header *h = (block_header *)ptr - 1;
  ta->live_bytes -= h->size;
  ta->live_blocks--;
  free(h);
}

static void *counting_calloc(size_t count, size_t size, void *user) {
  if (size && count > (size_t)-1 / size) return NULL;
  void *p = counting_malloc(count * size, user);
  if (p) memset(p, 0, count * size);
  return p;
}

static void *counting_realloc(void *ptr, size_t size, void *user) {
  test_alloc *ta = user;
  if (!ptr) return counting_malloc(size, user);
  if (should_fail(ta)) return NULL;
  block_header *old = (block_header *)ptr - 1;
  size_t old_size = old->size;
  block_header *h = realloc(old, sizeof(*h) + size);
  if (!h) return NULL;
  h->size = size;
  ta->live_bytes -= old_size;
  ta->live_blocks--;
  account(ta, size);
  return h + 1;
}

void test_alloc_init(test_alloc *ta) {
  memset(ta, 0, sizeof(*ta));
  ta->allocator.malloc = counting_malloc;
  ta->allocator.free = counting_free;
  ta->allocator.calloc = counting_calloc;
  ta->allocator.realloc = counting_realloc;
  ta->allocator.user = ta;
}
