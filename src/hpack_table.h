/*
 * The HPACK dynamic table (RFC 7541 sections 2.3.2 and 4), shared by the
 * decoder and the encoder.
 *
 * Entries are numbered by a sequence that only grows: the live ones are
 * [first_seq, next_seq). Their bytes live in a byte ring and their
 * descriptors in a ring of entries; both grow on demand (doubling), never
 * beyond what the size limit lets the live entries need, so a peer that is
 * allowed a large table but uses little of it costs little. Strings may
 * wrap around the ring's end, so readers copy or compare in two parts.
 */
#ifndef H2_HPACK_TABLE_H
#define H2_HPACK_TABLE_H

#include <stdint.h>

#include "h2/alloc.h"

typedef struct h2_hpack_entry {
  uint32_t offset; /* ring offset of the name; the value follows it */
  uint32_t name_length;
  uint32_t value_length;
} h2_hpack_entry;

typedef struct h2_hpack_table {
  const h2_allocator *alloc;
  uint8_t *ring;
  h2_hpack_entry *entries; /* indexed by seq & entries_mask */
  uint32_t entries_mask; /* entries allocated - 1 (a power of two) */
  uint32_t ring_size;    /* bytes allocated for the ring */
  uint32_t max_size;     /* the limit in force */
  uint32_t size;      /* RFC size of the live entries */
  uint32_t ring_head; /* ring offset of the oldest entry */
  uint32_t ring_used;
  uint32_t first_seq; /* oldest live entry (wraps harmlessly) */
  uint32_t next_seq;
} h2_hpack_table;

void h2_hpack_table_init(h2_hpack_table *t, uint32_t max_size,
                         const h2_allocator *alloc);
void h2_hpack_table_free(h2_hpack_table *t);

static inline uint32_t h2_hpack_table_count(const h2_hpack_table *t) {
  return t->next_seq - t->first_seq;
}

/* The entry at HPACK dynamic position `index` (0 = newest). */
static inline const h2_hpack_entry *h2_hpack_table_get(const h2_hpack_table *t,
                                                       uint32_t index) {
  return &t->entries[(t->next_seq - 1 - index) & t->entries_mask];
}

static inline const h2_hpack_entry *h2_hpack_table_by_seq(
    const h2_hpack_table *t, uint32_t seq) {
  return &t->entries[seq & t->entries_mask];
}

/* Allocates room for everything a table of `max_size` can hold now, so
 * that insertions under that limit never allocate (the encoder relies on
 * it to never fail half-way through a block). */
int h2_hpack_table_reserve(h2_hpack_table *t, uint32_t max_size);

/* Lowers or raises the limit, evicting the oldest entries until the
 * table fits. */
void h2_hpack_table_set_max_size(h2_hpack_table *t, uint32_t max_size);

/* Adds an entry, evicting as RFC 7541 section 4.4 says. The name and
 * value must not point into the table itself. Returns 1 when added, 0 when
 * the entry is larger than the limit (the table is then empty), or
 * H2_ERR_NOMEM. */
int h2_hpack_table_add(h2_hpack_table *t, const uint8_t *name,
                       uint32_t name_length, const uint8_t *value,
                       uint32_t value_length);

/* Copies `length` ring bytes starting at ring offset `offset`. */
void h2_hpack_table_copy(const h2_hpack_table *t, uint32_t offset,
                         uint32_t length, uint8_t *out);

/* Compares ring bytes with `s`; returns non-zero when equal. */
int h2_hpack_table_equals(const h2_hpack_table *t, uint32_t offset,
                          const uint8_t *s, uint32_t length);

/* Ring offset `n` bytes past `offset`. */
static inline uint32_t h2_hpack_table_advance(const h2_hpack_table *t,
                                              uint32_t offset, uint32_t n) {
  uint32_t o = offset + n;
  return o >= t->ring_size ? o - t->ring_size : o;
}

#endif /* H2_HPACK_TABLE_H */
