/*
 * libh2 - pluggable allocator.
 *
 * Every allocation libh2 makes goes through an h2_allocator. Passing your
 * own lets you count live heap bytes (the benchmarks do), place the library
 * in an arena, or inject failures (the tests fail the Nth allocation for
 * every N). A NULL allocator pointer anywhere in the API means the default,
 * which wraps the C library's malloc family.
 */
#ifndef H2_ALLOC_H
#define H2_ALLOC_H

#include <stddef.h>

#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct h2_allocator {
  /* Each function receives the allocator's user pointer last. They follow
   * the C library's contracts: malloc(0) may return NULL or a unique
   * pointer, free(NULL) is a no-op, realloc(NULL, n) is malloc(n). */
  void *(*malloc)(size_t size, void *user);
  void (*free)(void *ptr, void *user);
  void *(*calloc)(size_t count, size_t size, void *user);
  void *(*realloc)(void *ptr, size_t size, void *user);
  void *user;
} h2_allocator;

/* The allocator used when NULL is passed: the C library's functions. */
H2_EXPORT const h2_allocator *h2_default_allocator(void);

#ifdef __cplusplus
}
#endif

#endif /* H2_ALLOC_H */
