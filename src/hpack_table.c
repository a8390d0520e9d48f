/* The HPACK dynamic table: a byte ring plus a ring of entry descriptors. */
#include "hpack_table.h"

#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "alloc_internal.h"

/* Smallest sizes allocated, so a table that is used at all does not grow
 * through many tiny steps. */
#define MIN_RING_SIZE 256u
#define MIN_ENTRIES 8u

static uint32_t power_of_two_at_least(uint64_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void h2_hpack_table_init(h2_hpack_table *t, uint32_t max_size,
                         const h2_allocator *alloc) {
  memset(t, 0, sizeof(*t));
  t->alloc = alloc;
  t->max_size = max_size;
}

void h2_hpack_table_free(h2_hpack_table *t) {
  h2_free(t->alloc, t->ring);
  h2_free(t->alloc, t->entries);
  t->ring = NULL;
  t->entries = NULL;
}

void h2_hpack_table_copy(const h2_hpack_table *t, uint32_t offset,
                         uint32_t length, uint8_t *out) {
  uint32_t first = t->ring_size - offset;
  if (length <= first) {
    memcpy(out, t->ring + offset, length);
  } else {
    memcpy(out, t->ring + offset, first);
    memcpy(out + first, t->ring, length - first);
  }
}

int h2_hpack_table_equals(const h2_hpack_table *t, uint32_t offset,
                          const uint8_t *s, uint32_t length) {
  uint32_t first = t->ring_size - offset;
  if (length <= first) return memcmp(t->ring + offset, s, length) == 0;
  return memcmp(t->ring + offset, s, first) == 0 &&
         memcmp(t->ring, s + first, length - first) == 0;
}

static void write_ring(h2_hpack_table *t, uint32_t offset, const uint8_t *s,
                       uint32_t length) {
  uint32_t first = t->ring_size - offset;
  if (length <= first) {
    memcpy(t->ring + offset, s, length);
  } else {
    memcpy(t->ring + offset, s, first);
    memcpy(t->ring, s + first, length - first);
  }
}

static void evict_oldest(h2_hpack_table *t) {
  const h2_hpack_entry *e = h2_hpack_table_by_seq(t, t->first_seq);
  uint32_t bytes = e->name_length + e->value_length;
  t->size -= bytes + H2_HPACK_ENTRY_OVERHEAD;
  t->ring_head = h2_hpack_table_advance(t, t->ring_head, bytes);
  t->ring_used -= bytes;
  t->first_seq++;
}

static void evict_to(h2_hpack_table *t, uint32_t limit) {
  while (t->size > limit) evict_oldest(t);
  if (t->first_seq == t->next_seq) {
    t->ring_head = 0;
    t->ring_used = 0;
  }
}

/* Moves the table to larger buffers, oldest entry first, so sequence
 * numbers and HPACK indices are unchanged. */
static int grow(h2_hpack_table *t, uint32_t ring_size, uint32_t entries_count) {
  uint8_t *ring = h2_malloc(t->alloc, ring_size);
  h2_hpack_entry *entries =
      h2_malloc(t->alloc, (size_t)entries_count * sizeof(*entries));
  if (!ring || !entries) {
    h2_free(t->alloc, ring);
    h2_free(t->alloc, entries);
    return H2_ERR_NOMEM;
  }
  uint32_t offset = 0;
  for (uint32_t seq = t->first_seq; seq != t->next_seq; seq++) {
    h2_hpack_entry e = *h2_hpack_table_by_seq(t, seq);
    uint32_t bytes = e.name_length + e.value_length;
    h2_hpack_table_copy(t, e.offset, bytes, ring + offset);
    e.offset = offset;
    entries[seq & (entries_count - 1)] = e;
    offset += bytes;
  }
  h2_hpack_table_free(t);
  t->ring = ring;
  t->entries = entries;
  t->entries_mask = entries_count - 1;
  t->ring_size = ring_size;
  t->ring_head = 0;
  t->ring_used = offset;
  return 0;
}

/* Makes room for `bytes` more ring bytes and one more entry. */
static int make_room(h2_hpack_table *t, uint32_t bytes) {
  uint64_t ring_needed = (uint64_t)t->ring_used + bytes;
  uint32_t entries_needed = h2_hpack_table_count(t) + 1;
  if (t->ring && ring_needed <= t->ring_size &&
      entries_needed <= t->entries_mask + 1)
    return 0;
  uint64_t ring_size = t->ring_size ? t->ring_size : MIN_RING_SIZE;
  while (ring_size < ring_needed) ring_size *= 2;
  uint32_t entries = t->entries ? t->entries_mask + 1 : MIN_ENTRIES;
  while (entries < entries_needed) entries *= 2;
  /* The limit bounds what live entries can need: never allocate past it. */
  if (ring_size > t->max_size && ring_needed <= t->max_size)
    ring_size = t->max_size;
  return grow(t, (uint32_t)ring_size, entries);
}

int h2_hpack_table_reserve(h2_hpack_table *t, uint32_t max_size) {
  /* Every entry counts 32 bytes at least, and the oldest leave before a
   * new one is added: max_size / 32 entries is all the table can hold. */
  uint32_t entries =
      power_of_two_at_least((uint64_t)max_size / H2_HPACK_ENTRY_OVERHEAD);
  if (t->ring && t->ring_size >= max_size && t->entries_mask + 1 >= entries)
    return 0;
  return grow(t, max_size > t->ring_size ? max_size : t->ring_size,
              entries > t->entries_mask + 1 ? entries : t->entries_mask + 1);
}

void h2_hpack_table_set_max_size(h2_hpack_table *t, uint32_t max_size) {
  t->max_size = max_size;
  evict_to(t, max_size);
}

int h2_hpack_table_add(h2_hpack_table *t, const uint8_t *name,
                       uint32_t name_length, const uint8_t *value,
                       uint32_t value_length) {
  uint64_t entry_size =
      (uint64_t)name_length + value_length + H2_HPACK_ENTRY_OVERHEAD;
  if (entry_size > t->max_size) {
    evict_to(t, 0);
    return 0;
  }
  evict_to(t, t->max_size - (uint32_t)entry_size);
  int rv = make_room(t, name_length + value_length);
  if (rv) return rv;
  uint32_t offset = h2_hpack_table_advance(t, t->ring_head, t->ring_used);
  write_ring(t, offset, name, name_length);
  write_ring(t, h2_hpack_table_advance(t, offset, name_length), value,
             value_length);
  h2_hpack_entry *e = &t->entries[t->next_seq & t->entries_mask];
  e->offset = offset;
  e->name_length = name_length;
  e->value_length = value_length;
  t->next_seq++;
  t->size += (uint32_t)entry_size;
  t->ring_used += name_length + value_length;
  return 1;
}
