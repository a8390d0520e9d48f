/* The decoder's view of an h2_header_list: it reserves room for a field's
 * bytes, decodes straight into it, then commits the field. Names and
 * values of the HPACK static table are not copied: fields point at the
 * table's own NUL-terminated strings. */
#ifndef H2_HPACK_HEADER_LIST_INTERNAL_H
#define H2_HPACK_HEADER_LIST_INTERNAL_H

#include <string.h>

#include "h2/hpack.h"

struct h2_header_list {
  const h2_allocator *alloc;
  h2_header *fields;
  size_t count;
  size_t fields_capacity;
  uint8_t *arena; /* the fields' other bytes, each string NUL-terminated */
  size_t arena_used;
  size_t arena_capacity;
  uint64_t size; /* RFC 9113 size of every field the block carried */
};

/* Where `p` lands when the `length` bytes at `from` are moved to `to`:
 * pointers into them move, others (into the static table) stay. The
 * comparison is on integers because the pointers may belong to different
 * objects. */
static inline const uint8_t *h2_header_list_relocate(const uint8_t *p,
                                                     const uint8_t *from,
                                                     size_t length,
                                                     uint8_t *to) {
  uintptr_t offset = (uintptr_t)p - (uintptr_t)from;
  return offset < length ? to + offset : p;
}

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

/* Appends a field whose strings are already in place and NUL-terminated:
 * in the `arena_length` bytes most recently reserved, or in static storage
 * (names and values of the HPACK static table are pointed at, not copied).
 * Only strings inside the arena move when it grows. */
static inline int h2_header_list_append(h2_header_list *list,
                                        const uint8_t *name,
                                        uint32_t name_length,
                                        const uint8_t *value,
                                        uint32_t value_length, uint32_t flags,
                                        size_t arena_length) {
  if (list->count == list->fields_capacity &&
      h2_header_list_grow_fields(list) != 0)
    return -1;
  h2_header *f = &list->fields[list->count++];
  f->name = name;
  f->name_length = name_length;
  f->value = value;
  f->value_length = value_length;
  f->flags = flags;
  f->reserved_ = 0;
  list->arena_used += arena_length;
  return 0;
}

/* Removes the field at `index`, keeping the others in order. Its bytes
 * stay in the arena until the list is cleared; the list's RFC size still
 * counts it (the block carried it). */
static inline void h2_header_list_remove(h2_header_list *list, size_t index) {
  memmove(&list->fields[index], &list->fields[index + 1],
          (list->count - index - 1) * sizeof(list->fields[0]));
  list->count--;
}

/* Appends a field whose name and value were written into reserved space:
 * the name at `bytes`, the value right after the name's NUL. */
static inline int h2_header_list_commit(h2_header_list *list, uint8_t *bytes,
                                        uint32_t name_length,
                                        uint32_t value_length,
                                        uint32_t flags) {
  bytes[name_length] = 0;
  bytes[name_length + 1 + value_length] = 0;
  return h2_header_list_append(list, bytes, name_length,
                               bytes + name_length + 1, value_length, flags,
                               (size_t)name_length + value_length + 2);
}

#endif /* H2_HPACK_HEADER_LIST_INTERNAL_H */
