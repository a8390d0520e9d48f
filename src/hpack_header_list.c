/* Decoded header lists: an array of fields over one byte arena. */
#include <string.h>

#include "h2/error.h"
#include "alloc_internal.h"
#include "hpack_header_list_internal.h"

int h2_header_list_new(h2_header_list **list, const h2_allocator *alloc) {
  if (!list) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  h2_header_list *l = h2_calloc(alloc, 1, sizeof(*l));
  if (!l) return H2_ERR_NOMEM;
  l->alloc = alloc;
  *list = l;
  return 0;
}

void h2_header_list_del(h2_header_list *list) {
  if (!list) return;
  h2_free(list->alloc, list->fields);
  h2_free(list->alloc, list->arena);
  h2_free(list->alloc, list);
}

void h2_header_list_clear(h2_header_list *list) {
  list->count = 0;
  list->arena_used = 0;
  list->size = 0;
}

size_t h2_header_list_count(const h2_header_list *list) { return list->count; }

const h2_header *h2_header_list_fields(const h2_header_list *list) {
  return list->fields;
}

uint64_t h2_header_list_size(const h2_header_list *list) { return list->size; }

/* Moves the arena, keeping every field's pointers valid. Offsets are
 * computed before the old block is released, so no freed pointer is used. */
int h2_header_list_grow_arena(h2_header_list *list, size_t needed) {
  size_t capacity = list->arena_capacity ? list->arena_capacity * 2 : 512;
  while (capacity < needed) capacity *= 2;
  uint8_t *arena = h2_malloc(list->alloc, capacity);
  if (!arena) return H2_ERR_NOMEM;
  if (list->arena_used) memcpy(arena, list->arena, list->arena_used);
  for (size_t i = 0; i < list->count; i++) {
    h2_header *f = &list->fields[i];
    f->name = h2_header_list_relocate(f->name, list->arena,
                                      list->arena_used, arena);
    f->value = h2_header_list_relocate(f->value, list->arena,
                                       list->arena_used, arena);
  }
  h2_free(list->alloc, list->arena);
  list->arena = arena;
  list->arena_capacity = capacity;
  return 0;
}

int h2_header_list_grow_fields(h2_header_list *list) {
  size_t capacity = list->fields_capacity ? list->fields_capacity * 2 : 16;
  h2_header *fields =
      h2_realloc(list->alloc, list->fields, capacity * sizeof(*fields));
  if (!fields) return H2_ERR_NOMEM;
  list->fields = fields;
  list->fields_capacity = capacity;
  return 0;
}
