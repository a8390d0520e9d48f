/* Internal allocation helpers: every allocation in the library goes
 * through these so a caller's h2_allocator sees all of them. */
#ifndef H2_ALLOC_INTERNAL_H
#define H2_ALLOC_INTERNAL_H

#include "h2/alloc.h"

/* Resolves a caller's allocator pointer: NULL means the default. */
static inline const h2_allocator *h2_alloc_or_default(const h2_allocator *a) {
  return a ? a : h2_default_allocator();
}

static inline void *h2_malloc(const h2_allocator *a, size_t size) {
  return a->malloc(size, a->user);
}

static inline void *h2_calloc(const h2_allocator *a, size_t count,
                              size_t size) {
  return a->calloc(count, size, a->user);
}

static inline void *h2_realloc(const h2_allocator *a, void *ptr, size_t size) {
  return a->realloc(ptr, size, a->user);
}

static inline void h2_free(const h2_allocator *a, void *ptr) {
  a->free(ptr, a->user);
}

#endif /* H2_ALLOC_INTERNAL_H */
