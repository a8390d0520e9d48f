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

/* The slow paths of the two functions below, out of line. */
int h2_header_list_grow_arena(h2_header_list *list, size_t needed);
int h2_header_list_grow_fields(h2_header_list *list);

/* Makes sure `length` more bytes fit in the arena and returns where they
 * start, or NULL when memory runs out. Existing fields are rebased if the
 * arena moves. Inline because the decoder calls it for every field. */
static inline uint8_t *h2_header_list_reserve(h2_header_list *list,
                                              size_t length) {
  size_t needed = list->arena_used + length;
  if (needed > list->arena_capacity &&
      h2_header_list_grow_arena(list, needed) != 0)
    return NULL;
  return list->arena + list->arena_used;
}

/* Appends a field whose name and value were written into reserved space:
 * the name at `bytes`, the value right after the name's NUL. */
static inline int h2_header_list_commit(h2_header_list *list, uint8_t *bytes,
                                        uint32_t name_length,
                                        uint32_t value_length,
                                        uint32_t flags) {
  if (list->count == list->fields_capacity &&
      h2_header_list_grow_fields(list) != 0)
    return -1;
  h2_header *f = &list->fields[list->count++];
  bytes[name_length] = 0;
  bytes[name_length + 1 + value_length] = 0;
  f->name = bytes;
  f->name_length = name_length;
  f->value = bytes + name_length + 1;
  f->value_length = value_length;
  f->flags = flags;
  f->reserved_ = 0;
  list->arena_used += (size_t)name_length + value_length + 2;
  return 0;
}

#endif /* H2_HPACK_HEADER_LIST_INTERNAL_H */
