/* The decoder's view of an h2_header_list: it reserves room for a field's
 * bytes, decodes straight into it, then commits the field. */
#ifndef H2_HPACK_HEADER_LIST_INTERNAL_H
#define H2_HPACK_HEADER_LIST_INTERNAL_H

#include "h2/hpack.h"

struct h2_header_list {
  const h2_allocator *alloc;
  h2_header *fields;
  size_t count;
  size_t fields_capacity;
  uint8_t *arena; /* the fields' bytes, each string NUL-terminated */
  size_t arena_used;
  size_t arena_capacity;
  uint64_t size; /* RFC 9113 size of every field the block carried */
};

/* Makes sure `length` more bytes fit in the arena and returns where they
 * start, or NULL when memory runs out. Existing fields are rebased if the
 * arena moves. */
uint8_t *h2_header_list_reserve(h2_header_list *list, size_t length);

/* Appends a field whose name and value were written into reserved space:
 * the name at `bytes`, the value right after the name's NUL. */
int h2_header_list_commit(h2_header_list *list, uint8_t *bytes,
                          uint32_t name_length, uint32_t value_length,
                          uint32_t flags);

#endif /* H2_HPACK_HEADER_LIST_INTERNAL_H */
