/*
 * Guard-page buffers: the bytes are placed so that the last one sits right
 * before an inaccessible page. Any read past the end faults at once, even
 * without a sanitizer, which is how the frame tests prove the parser never
 * over-reads.
 */
#ifndef H2_GUARD_BUFFER_H
#define H2_GUARD_BUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct guard_buffer {
  uint8_t *data; /* `length` bytes ending at the guard page */
  size_t length;
  void *mapping_;
  size_t mapping_length_;
} guard_buffer;

/* Copies `length` bytes of `src` to just before a PROT_NONE page. Returns 0
 * or -1 when mmap fails. */
int guard_buffer_init(guard_buffer *gb, const uint8_t *src, size_t length);
void guard_buffer_free(guard_buffer *gb);

#endif /* H2_GUARD_BUFFER_H */
