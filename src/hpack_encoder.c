/*
 * The HPACK encoder (RFC 7541 sections 4 and 6).
 *
 * Each field goes out in the shortest form the tables allow: an index when
 * name and value are in a table, otherwise a literal that reuses an
 * indexed name. Literals are added to the dynamic table unless they are
 * sensitive (never indexed), volatile (their values rarely repeat, so they
 * would only push useful entries out) or too large for the table to hold
 * usefully. Strings are Huffman-coded when that is shorter.
 *
 * Lookups use two hash chains over the dynamic table, one keyed by name
 * and one by name and value. Entries leave the table oldest first, so a
 * chain walk stops at the first entry that is no longer live and eviction
 * never has to unlink anything.
 */
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "alloc_internal.h"
#include "hpack_encoder_internal.h"
#include "hpack_hash.h"
#include "hpack_huffman.h"
#include "hpack_int.h"
#include "hpack_static_table.h"
#include "hpack_table.h"

/* Cookies shorter than this are guessable, so RFC 7541 section 7.1.3
 * suggests keeping them out of the table. */
#define SHORT_COOKIE_LENGTH 20

typedef struct chain {
  uint32_t *buckets; /* newest seq per bucket */
  uint32_t *next;    /* per entry slot: the next older seq in the bucket */
  uint32_t *hashes;  /* per entry slot: the entry's hash */
} chain;

struct h2_hpack_encoder {
  const h2_allocator *alloc;
  h2_hpack_table table;
  chain by_name;
  chain by_field;
  uint32_t bucket_mask;
  uint32_t cap;            /* our own limit on the table */
  uint32_t target_size;    /* min(peer's setting, cap) */
  uint32_t smallest_size;  /* smallest target since the last block */
  int size_update_pending;
  uint64_t version;        /* bumped by every change of the state above */
};

/* ---- Setup ------------------------------------------------------------- */

/* A chain's three arrays live in one allocation that starts at
 * `buckets`: one malloc and one free per chain, which a connection made
 * per request notices. */
static void chain_free(const h2_allocator *alloc, chain *c) {
  h2_free(alloc, c->buckets);
}

static int chain_init(const h2_allocator *alloc, chain *c, uint32_t buckets,
                      uint32_t slots) {
  c->buckets = h2_malloc(alloc, ((size_t)buckets + 2 * (size_t)slots) *
                                    sizeof(uint32_t));
  if (!c->buckets) return H2_ERR_NOMEM;
  c->next = c->buckets + buckets;
  c->hashes = c->next + slots;
  /* An all-ones seq is not live until 2^32 insertions have happened, and
   * even then every lookup compares bytes, so a stale link costs at most
   * one comparison. */
  memset(c->buckets, 0xff, buckets * sizeof(uint32_t));
  return 0;
}

int h2_hpack_encoder_new(h2_hpack_encoder **enc, uint32_t table_cap,
                         const h2_allocator *alloc) {
  if (!enc) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  if (!table_cap) table_cap = H2_HPACK_DEFAULT_TABLE_SIZE;
  h2_hpack_encoder *e = h2_calloc(alloc, 1, sizeof(*e));
  if (!e) return H2_ERR_NOMEM;
  e->alloc = alloc;
  e->cap = table_cap;
  e->target_size = table_cap < H2_HPACK_DEFAULT_TABLE_SIZE
                       ? table_cap
                       : H2_HPACK_DEFAULT_TABLE_SIZE;
  e->smallest_size = e->target_size;
  /* The decoder starts at 4096; a smaller cap must be announced. */
  e->size_update_pending = e->target_size != H2_HPACK_DEFAULT_TABLE_SIZE;
  h2_hpack_table_init(&e->table, table_cap, alloc);
  e->table.max_size = e->target_size;
  *enc = e;
  return 0;
}

/* Allocates the table and its hash chains, all at once before the first
 * block: encoding then never fails half-way through a block with the
 * table half-updated, and an encoder that never encodes (an idle
 * connection) costs only its own struct. */
static int reserve(h2_hpack_encoder *e) {
  if (e->bucket_mask) return 0;
  /* Entries take 32 bytes at least and are evicted before one is added,
   * so a table of `cap` bytes never holds more than cap / 32 of them. */
  uint32_t slots = e->cap / H2_HPACK_ENTRY_OVERHEAD, entries = 1;
  while (entries < slots) entries <<= 1;
  uint32_t buckets = entries * 2;
  if (chain_init(e->alloc, &e->by_name, buckets, entries) ||
      chain_init(e->alloc, &e->by_field, buckets, entries) ||
      h2_hpack_table_reserve(&e->table, e->cap)) {
    chain_free(e->alloc, &e->by_name);
    chain_free(e->alloc, &e->by_field);
    memset(&e->by_name, 0, sizeof(e->by_name));
    memset(&e->by_field, 0, sizeof(e->by_field));
    return H2_ERR_NOMEM;
  }
  e->bucket_mask = buckets - 1;
  return 0;
}

void h2_hpack_encoder_del(h2_hpack_encoder *enc) {
  if (!enc) return;
  chain_free(enc->alloc, &enc->by_name);
  chain_free(enc->alloc, &enc->by_field);
  h2_hpack_table_free(&enc->table);
  h2_free(enc->alloc, enc);
}

void h2_hpack_encoder_set_peer_max_table_size(h2_hpack_encoder *enc,
                                              uint32_t value) {
  uint32_t target = value < enc->cap ? value : enc->cap;
  enc->version++;
  if (!enc->size_update_pending) {
    if (target == enc->table.max_size) return;
    enc->smallest_size = target;
  } else if (target < enc->smallest_size) {
    enc->smallest_size = target;
  }
  enc->target_size = target;
  enc->size_update_pending = 1;
}

uint64_t h2_hpack_encoder_version(const h2_hpack_encoder *enc) {
  return enc->version;
}

uint32_t h2_hpack_encoder_table_size(const h2_hpack_encoder *enc) {
  return enc->table.size;
}

uint32_t h2_hpack_encoder_table_entries(const h2_hpack_encoder *enc) {
  return h2_hpack_table_count(&enc->table);
}

size_t h2_hpack_encode_bound(const h2_hpack_encoder *enc,
                             const h2_header *fields, size_t count) {
  (void)enc;
  /* Size updates, and the few bytes a trial Huffman coding may write past
   * a string before it is abandoned. */
  size_t bound = 2 * H2_HPACK_INT_MAX_LENGTH + 8;
  for (size_t i = 0; i < count; i++)
    bound += 3 * H2_HPACK_INT_MAX_LENGTH + fields[i].name_length +
             fields[i].value_length;
  return bound;
}

/* ---- Table lookups ----------------------------------------------------- */

static int is_live(const h2_hpack_table *t, uint32_t seq) {
  return (uint32_t)(seq - t->first_seq) < h2_hpack_table_count(t);
}

/* HPACK index of the entry with sequence number seq. */
static uint32_t index_of(const h2_hpack_table *t, uint32_t seq) {
  return H2_HPACK_STATIC_ENTRIES + (t->next_seq - seq);
}

/* Finds the newest live entry matching name (and value, when value is not
 * NULL). Returns its HPACK index or 0. */
static uint32_t find_dynamic(const h2_hpack_encoder *enc, const chain *c,
                             uint32_t hash, const h2_header *f,
                             int match_value) {
  const h2_hpack_table *t = &enc->table;
  uint32_t seq = c->buckets[hash & enc->bucket_mask];
  for (uint32_t steps = h2_hpack_table_count(t); steps && is_live(t, seq);
       steps--) {
    uint32_t slot = seq & t->entries_mask;
    const h2_hpack_entry *e = &t->entries[slot];
    if (c->hashes[slot] == hash && e->name_length == f->name_length &&
        (!match_value || e->value_length == f->value_length) &&
        h2_hpack_table_equals(t, e->offset, f->name, f->name_length) &&
        (!match_value ||
         h2_hpack_table_equals(
             t, h2_hpack_table_advance(t, e->offset, e->name_length),
             f->value, f->value_length)))
      return index_of(t, seq);
    seq = c->next[slot];
  }
  return 0;
}

/* The static entries sharing the field's name, or NULL. */
static const h2_static_name_slot *find_static_name(const h2_header *f,
                                                   uint32_t name_hash) {
  uint32_t slot = name_hash & (H2_HPACK_STATIC_INDEX_SLOTS - 1);
  for (;;) {
    const h2_static_name_slot *s = &h2_hpack_static_name_index[slot];
    if (!s->first) return NULL;
    const h2_static_entry *e = &h2_hpack_static_table[s->first];
    if (e->name_length == f->name_length &&
        memcmp(e->name, f->name, f->name_length) == 0)
      return s;
    slot = (slot + 1) & (H2_HPACK_STATIC_INDEX_SLOTS - 1);
  }
}

static uint32_t find_static_field(const h2_static_name_slot *s,
                                  const h2_header *f) {
  for (uint32_t i = s->first; i < (uint32_t)s->first + s->count; i++) {
    const h2_static_entry *e = &h2_hpack_static_table[i];
    if (e->value_length == f->value_length &&
        memcmp(e->value, f->value, f->value_length) == 0)
      return i;
  }
  return 0;
}

static void chain_insert(h2_hpack_encoder *enc, chain *c, uint32_t hash,
                         uint32_t seq) {
  uint32_t slot = seq & enc->table.entries_mask;
  uint32_t *bucket = &c->buckets[hash & enc->bucket_mask];
  c->hashes[slot] = hash;
  c->next[slot] = *bucket;
  *bucket = seq;
}

/* ---- Representation choices -------------------------------------------- */

static int name_is(const h2_header *f, const char *name, uint32_t length) {
  return f->name_length == length && memcmp(f->name, name, length) == 0;
}

#define NAME_IS(f, literal) name_is((f), (literal), sizeof(literal) - 1)

/* Credentials must never enter a table an attacker could probe (RFC 7541
 * section 7.1.3), and neither may short, guessable cookies. */
static int is_sensitive(const h2_header *f) {
  if (f->flags & H2_HEADER_NEVER_INDEX) return 1;
  if (NAME_IS(f, "authorization") || NAME_IS(f, "proxy-authorization"))
    return 1;
  return NAME_IS(f, "cookie") && f->value_length < SHORT_COOKIE_LENGTH;
}

/* Fields whose values change from message to message. Indexing them would
 * evict entries that do repeat. */
static int is_volatile(const h2_header *f) {
  switch (f->name_length) {
    case 3: return NAME_IS(f, "age");
    case 4: return NAME_IS(f, "date") || NAME_IS(f, "etag");
    case 5: return NAME_IS(f, ":path") && f->value_length > 24;
    case 8: return NAME_IS(f, "location");
    case 10: return NAME_IS(f, "set-cookie");
    case 13: return NAME_IS(f, "last-modified") || NAME_IS(f, "if-none-match");
    case 14: return NAME_IS(f, "content-length");
    case 17: return NAME_IS(f, "if-modified-since");
    default: return 0;
  }
}

static int should_index(const h2_hpack_encoder *enc, const h2_header *f) {
  uint64_t entry_size =
      (uint64_t)f->name_length + f->value_length + H2_HPACK_ENTRY_OVERHEAD;
  if (f->flags & H2_HEADER_NO_INDEX) return 0;
  if (entry_size * 4 > (uint64_t)enc->table.max_size * 3) return 0;
  return !is_volatile(f);
}

/* ---- Output ------------------------------------------------------------ */

/* Bytes the length prefix of a string of `length` bytes takes. */
static size_t string_prefix_length(uint32_t length) {
  size_t n = 1;
  if (length >= 127)
    for (length -= 127, n = 2; length >= 128; length >>= 7) n++;
  return n;
}

/* Writes a string literal, Huffman-coded when that is shorter. The coded
 * form is written once, right where it goes; its length prefix can only
 * be as long as the raw one or shorter, in which case it is moved down. */
static uint8_t *put_string(uint8_t *o, const uint8_t *s, uint32_t length) {
  size_t prefix = string_prefix_length(length);
  size_t coded = h2_huffman_encode_if_shorter(o + prefix, s, length);
  if (coded) {
    size_t coded_prefix = string_prefix_length((uint32_t)coded);
    if (coded_prefix != prefix) memmove(o + coded_prefix, o + prefix, coded);
    o += h2_hpack_int_encode(o, 0x80, 7, (uint32_t)coded);
    return o + coded;
  }
  o += h2_hpack_int_encode(o, 0, 7, length);
  if (length) memcpy(o, s, length);
  return o + length;
}

static uint8_t *put_size_updates(h2_hpack_encoder *enc, uint8_t *o) {
  enc->version++;
  if (enc->smallest_size < enc->target_size) {
    o += h2_hpack_int_encode(o, 0x20, 5, enc->smallest_size);
    h2_hpack_table_set_max_size(&enc->table, enc->smallest_size);
  }
  o += h2_hpack_int_encode(o, 0x20, 5, enc->target_size);
  h2_hpack_table_set_max_size(&enc->table, enc->target_size);
  enc->smallest_size = enc->target_size;
  enc->size_update_pending = 0;
  return o;
}

/* Adds a field to the table and both hash chains. */
static int remember(h2_hpack_encoder *enc, const h2_header *f,
                    uint32_t name_hash, uint32_t field_hash) {
  enc->version++;
  int added = h2_hpack_table_add(&enc->table, f->name, f->name_length,
                                 f->value, f->value_length);
  if (added <= 0) return added; /* too large to keep, or no memory */
  uint32_t seq = enc->table.next_seq - 1;
  chain_insert(enc, &enc->by_name, name_hash, seq);
  chain_insert(enc, &enc->by_field, field_hash, seq);
  return 0;
}

/* Encodes one field at o; returns the new end or NULL when memory runs out
 * while growing the table. */
static uint8_t *put_field(h2_hpack_encoder *enc, uint8_t *o,
                          const h2_header *f) {
  uint32_t name_hash = h2_hash_bytes(f->name, f->name_length, 0);
  const h2_static_name_slot *s = find_static_name(f, name_hash);
  int sensitive = is_sensitive(f);
  int indexing = !sensitive && should_index(enc, f);
  uint32_t field_hash = 0, index;
  if (!sensitive) {
    if (s && (index = find_static_field(s, f)))
      return o + h2_hpack_int_encode(o, 0x80, 7, index);
    /* Only fields we would index can be in the dynamic table, so the
     * value of any other field (long cookies, paths, dates) is never
     * hashed. */
    if (indexing) {
      field_hash = h2_hash_bytes(f->value, f->value_length, name_hash);
      if ((index = find_dynamic(enc, &enc->by_field, field_hash, f, 1)))
        return o + h2_hpack_int_encode(o, 0x80, 7, index);
    }
  }
  uint32_t name_index =
      s ? s->first : find_dynamic(enc, &enc->by_name, name_hash, f, 0);
  if (sensitive)
    o += h2_hpack_int_encode(o, 0x10, 4, name_index);
  else if (indexing)
    o += h2_hpack_int_encode(o, 0x40, 6, name_index);
  else
    o += h2_hpack_int_encode(o, 0x00, 4, name_index);
  if (!name_index) o = put_string(o, f->name, f->name_length);
  o = put_string(o, f->value, f->value_length);
  if (indexing && remember(enc, f, name_hash, field_hash) < 0) return NULL;
  return o;
}

int h2_hpack_encode(h2_hpack_encoder *enc, const h2_header *fields,
                    size_t count, uint8_t *out, size_t capacity) {
  if (!enc || (count && !fields) || !out) return H2_ERR_INVALID_ARGUMENT;
  size_t bound = h2_hpack_encode_bound(enc, fields, count);
  if (bound > capacity) return H2_ERR_BUFFER_TOO_SMALL;
  if (bound > (size_t)INT32_MAX) return H2_ERR_INVALID_ARGUMENT;
  if (reserve(enc)) return H2_ERR_NOMEM;
  uint8_t *o = out;
  if (enc->size_update_pending) o = put_size_updates(enc, o);
  for (size_t i = 0; i < count; i++) {
    o = put_field(enc, o, &fields[i]);
    if (!o) return H2_ERR_NOMEM;
  }
  return (int)(o - out);
}
