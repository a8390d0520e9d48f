/*
 * Test allocators: one that counts live bytes and the high-water mark, and
 * can fail the Nth allocation (for failure-injection sweeps).
 */
#ifndef H2_TEST_ALLOC_H
#define H2_TEST_ALLOC_H

#include <stddef.h>

#include "h2/alloc.h"

typedef struct test_alloc {
  h2_allocator allocator; /* pass &ta.allocator to the library */
  size_t live_bytes;
  size_t peak_bytes;
  size_t live_blocks;
  size_t allocations;  /* successful allocations so far */
  size_t fail_at;      /* 1-based allocation number to fail; 0 = never */
  size_t failures;     /* how many allocations were failed */
} test_alloc;

void test_alloc_init(test_alloc *ta);

#endif /* H2_TEST_ALLOC_H */
