/* The default allocator: the C library's malloc family. */
#include <stdlib.h>

#include "h2/alloc.h"

static void *default_malloc(size_t size, void *user) {
  (void)user;
  return malloc(size);
}

static void default_free(void *ptr, void *user) {
  (void)user;
  free(ptr);
}

static void *default_calloc(size_t count, size_t size, void *user) {
  (void)user;
  return calloc(count, size);
}

static void *default_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  return realloc(ptr, size);
}

static const h2_allocator default_allocator = {
    default_malloc, default_free, default_calloc, default_realloc, NULL};

const h2_allocator *h2_default_allocator(void) { return &default_allocator; }
