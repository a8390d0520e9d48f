/*
 * The HPACK decoder (RFC 7541 sections 3, 4 and 6).
 *
 * A representation is decoded only once all of its bytes are at hand, so a
 * block cut at any byte decodes exactly as a whole one. When input ends in
 * the middle of a representation, its bytes wait in `pending` together
 * with a lower bound of its full length; nothing is re-parsed until that
 * many bytes have arrived, which keeps a value spread over many
 * CONTINUATION frames linear to decode.
 */
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "alloc_internal.h"
#include "hpack_decoder_internal.h"
#include "hpack_header_list_internal.h"
#include "hpack_int.h"
#include "hpack_static_table.h"
#include "hpack_table.h"

/* RFC 7541 allows two size updates at the start of a block from a
 * conforming encoder; more are rejected rather than processed in a loop. */
#define MAX_SIZE_UPDATES_PER_BLOCK 2

enum representation { INDEXED_NAME_ADD, LITERAL_NO_INDEX, LITERAL_NEVER_INDEX };

struct h2_hpack_decoder {
  const h2_allocator *alloc;
  h2_hpack_table table;
  h2_hpack_decoder_limits limits;
  uint32_t settings_max_size; /* bound on size updates (ACKed setting) */
  int must_update_size;       /* an ACKed reduction awaits its update */
  /* State of the block being decoded. */
  int field_seen;
  unsigned size_updates;
  uint32_t block_fields;
  uint64_t block_size;
  int block_status;
  /* An incomplete representation, and how long it is known to be at least. */
  uint8_t *pending;
  size_t pending_length;
  size_t pending_capacity;
  size_t pending_need;
  /* Where strings go when they are not kept. */
  uint8_t *scratch;
  size_t scratch_capacity;
  int failed;
  const char *detail;
  uint64_t version; /* bumped by every change of the table or its limits */
};

int h2_hpack_decoder_new(h2_hpack_decoder **dec, uint32_t max_table_size,
                         const h2_hpack_decoder_limits *limits,
                         const h2_allocator *alloc) {
  if (!dec) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  h2_hpack_decoder *d = h2_calloc(alloc, 1, sizeof(*d));
  if (!d) return H2_ERR_NOMEM;
  d->alloc = alloc;
  h2_hpack_table_init(&d->table, max_table_size, alloc);
  d->settings_max_size = max_table_size;
  if (limits) d->limits = *limits;
  if (!d->limits.max_header_list_size)
    d->limits.max_header_list_size = H2_HPACK_DEFAULT_MAX_HEADER_LIST_SIZE;
  if (!d->limits.max_fields) d->limits.max_fields = H2_HPACK_DEFAULT_MAX_FIELDS;
  if (!d->limits.max_field_size)
    d->limits.max_field_size = H2_HPACK_DEFAULT_MAX_FIELD_SIZE;
  *dec = d;
  return 0;
}

void h2_hpack_decoder_del(h2_hpack_decoder *dec) {
  if (!dec) return;
  h2_hpack_table_free(&dec->table);
  h2_free(dec->alloc, dec->pending);
  h2_free(dec->alloc, dec->scratch);
  h2_free(dec->alloc, dec);
}

int h2_hpack_decoder_set_max_table_size(h2_hpack_decoder *dec,
                                        uint32_t max_table_size) {
  if (max_table_size < dec->table.max_size) dec->must_update_size = 1;
  dec->settings_max_size = max_table_size;
  dec->version++;
  return 0;
}

const char *h2_hpack_decoder_error_detail(const h2_hpack_decoder *dec) {
  return dec->detail ? dec->detail : "no error";
}

uint64_t h2_hpack_decoder_version(const h2_hpack_decoder *dec) {
  return dec->version;
}

uint32_t h2_hpack_decoder_table_size(const h2_hpack_decoder *dec) {
  return dec->table.size;
}

uint32_t h2_hpack_decoder_table_entries(const h2_hpack_decoder *dec) {
  return h2_hpack_table_count(&dec->table);
}

uint32_t h2_hpack_decoder_table_max_size(const h2_hpack_decoder *dec) {
  return dec->table.max_size;
}

static int fail(h2_hpack_decoder *dec, int code, const char *detail) {
  dec->failed = code;
  dec->detail = detail;
  return code;
}

static int compression_error(h2_hpack_decoder *dec, const char *detail) {
  return fail(dec, H2_ERR_CONN_COMPRESSION, detail);
}

/* ---- Where decoded strings go ------------------------------------------ */

/* Returns room for `length` bytes: in the list when the field may still be
 * kept within the budget, otherwise in the scratch buffer. Deciding
 * before decoding keeps the list's memory within the budget even under a
 * flood. */
static inline uint8_t *field_space(h2_hpack_decoder *dec,
                                   h2_header_list *out, size_t length) {
  if (out && !dec->block_status &&
      dec->block_size + length <= dec->limits.max_header_list_size)
    return h2_header_list_reserve(out, length);
  if (length > dec->scratch_capacity) {
    uint8_t *s = h2_realloc(dec->alloc, dec->scratch, length);
    if (!s) return NULL;
    dec->scratch = s;
    dec->scratch_capacity = length;
  }
  return dec->scratch;
}

/* Keeps a field's bytes that were decoded into scratch space by moving
 * them into the list, and points *name and *value (when they were among
 * them) at the copies. */
static int move_to_list(h2_header_list *out, const uint8_t *bytes,
                        size_t length, const uint8_t **name,
                        const uint8_t **value) {
  uint8_t *kept = h2_header_list_reserve(out, length);
  if (!kept) return -1;
  memcpy(kept, bytes, length);
  *name = h2_header_list_relocate(*name, bytes, length, kept);
  *value = h2_header_list_relocate(*value, bytes, length, kept);
  return 0;
}

/* A decoded field: its strings, NUL-terminated, and the `length` bytes at
 * `bytes` (list or scratch space) that the decoder wrote them into. Strings
 * of the static table are pointed at and take no bytes. */
typedef struct decoded_field {
  const uint8_t *name;
  const uint8_t *value;
  uint32_t name_length;
  uint32_t value_length;
  uint8_t *bytes;
  size_t length;
  uint32_t flags;
} decoded_field;

/* Counts a decoded field against the block's limits and keeps it when the
 * limits allow. Fields past a limit are still counted so the connection
 * can tell a large block from a bomb. */
static inline int emit_field(h2_hpack_decoder *dec, h2_header_list *out,
                             decoded_field *f) {
  uint64_t size =
      (uint64_t)f->name_length + f->value_length + H2_HPACK_ENTRY_OVERHEAD;
  dec->block_size += size;
  dec->block_fields++;
  if (out) out->size += size;
  if (dec->block_size > 4 * (uint64_t)dec->limits.max_header_list_size)
    return fail(dec, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                "header block decodes to more than four times the budget");
  if (!dec->block_status && dec->block_size > dec->limits.max_header_list_size)
    dec->block_status = H2_ERR_HEADER_LIST_TOO_LARGE;
  if (!dec->block_status && dec->block_fields > dec->limits.max_fields)
    dec->block_status = H2_ERR_TOO_MANY_FIELDS;
  if (!out || dec->block_status) return 0;
  if (f->length && f->bytes == dec->scratch &&
      move_to_list(out, f->bytes, f->length, &f->name, &f->value))
    return fail(dec, H2_ERR_NOMEM, "out of memory");
  if (h2_header_list_append(out, f->name, f->name_length, f->value,
                            f->value_length, f->flags, f->length))
    return fail(dec, H2_ERR_NOMEM, "out of memory");
  return 0;
}

/* ---- Representations --------------------------------------------------- */

static int is_static(uint32_t index) {
  return index <= H2_HPACK_STATIC_ENTRIES;
}

static const h2_hpack_entry *dynamic_entry(const h2_hpack_decoder *dec,
                                           uint32_t index) {
  return h2_hpack_table_get(&dec->table, index - H2_HPACK_STATIC_ENTRIES - 1);
}

/* Copies a dynamic entry's name, NUL-terminated, to dst. */
static void copy_dynamic_name(const h2_hpack_decoder *dec,
                              const h2_hpack_entry *e, uint8_t *dst) {
  h2_hpack_table_copy(&dec->table, e->offset, e->name_length, dst);
  dst[e->name_length] = 0;
}

/* Copies a dynamic entry's value, NUL-terminated, to dst. */
static void copy_dynamic_value(const h2_hpack_decoder *dec,
                               const h2_hpack_entry *e, uint8_t *dst) {
  h2_hpack_table_copy(
      &dec->table,
      h2_hpack_table_advance(&dec->table, e->offset, e->name_length),
      e->value_length, dst);
  dst[e->value_length] = 0;
}

static int valid_index(const h2_hpack_decoder *dec, uint32_t index) {
  return index > 0 &&
         index <= H2_HPACK_STATIC_ENTRIES + h2_hpack_table_count(&dec->table);
}

static int check_field_start(h2_hpack_decoder *dec) {
  if (dec->must_update_size)
    return compression_error(
        dec, "header block lacks the size update a smaller table requires");
  dec->field_seen = 1;
  return 0;
}

static inline int parse_indexed(h2_hpack_decoder *dec, const uint8_t *p,
                                const uint8_t *end, h2_header_list *out) {
  uint32_t index;
  int n = h2_hpack_int_decode(p, end, 7, &index);
  if (n < 0) return compression_error(dec, "integer overflow in an index");
  if (n == 0) {
    dec->pending_need = (size_t)(end - p) + 1;
    return 0;
  }
  int rv = check_field_start(dec);
  if (rv) return rv;
  if (!valid_index(dec, index))
    return compression_error(dec, index ? "index beyond the dynamic table"
                                        : "index 0 is not allowed");
  decoded_field f = {NULL, NULL, 0, 0, NULL, 0, H2_HEADER_NONE};
  if (is_static(index)) {
    const h2_static_entry *e = &h2_hpack_static_table[index];
    f.name = e->name;
    f.name_length = e->name_length;
    f.value = e->value;
    f.value_length = e->value_length;
  } else {
    const h2_hpack_entry *e = dynamic_entry(dec, index);
    f.name_length = e->name_length;
    f.value_length = e->value_length;
    f.length = (size_t)e->name_length + e->value_length + 2;
    if (!(f.bytes = field_space(dec, out, f.length)))
      return fail(dec, H2_ERR_NOMEM, "out of memory");
    copy_dynamic_name(dec, e, f.bytes);
    copy_dynamic_value(dec, e, f.bytes + e->name_length + 1);
    f.name = f.bytes;
    f.value = f.bytes + e->name_length + 1;
  }
  rv = emit_field(dec, out, &f);
  return rv ? rv : n;
}

static int parse_size_update(h2_hpack_decoder *dec, const uint8_t *p,
                             const uint8_t *end) {
  uint32_t size;
  int n = h2_hpack_int_decode(p, end, 5, &size);
  if (n < 0) return compression_error(dec, "integer overflow in a size update");
  if (n == 0) {
    dec->pending_need = (size_t)(end - p) + 1;
    return 0;
  }
  if (dec->field_seen)
    return compression_error(dec, "table size update after a field");
  if (++dec->size_updates > MAX_SIZE_UPDATES_PER_BLOCK)
    return compression_error(dec, "more than two table size updates");
  if (size > dec->settings_max_size)
    return compression_error(dec, "table size update above our setting");
  h2_hpack_table_set_max_size(&dec->table, size);
  dec->must_update_size = 0;
  dec->version++;
  return n;
}

/* A string literal's header: Huffman flag and declared length. */
typedef struct string_ref {
  const uint8_t *bytes;
  uint32_t length;
  int huffman;
} string_ref;

/* Parses the string at p + *pos. Returns 1 when the whole string is
 * present (and advances *pos past it), 0 when more input is needed
 * (setting pending_need; `more` bytes at least follow the string), or an
 * error. */
static inline int parse_string(h2_hpack_decoder *dec, const uint8_t *p,
                               const uint8_t *end, size_t *pos, string_ref *s,
                               size_t more) {
  const uint8_t *q = p + *pos;
  int n = h2_hpack_int_decode(q, end, 7, &s->length);
  if (n < 0) return compression_error(dec, "integer overflow in a string length");
  if (n == 0) {
    dec->pending_need = (size_t)(end - p) + 1;
    return 0;
  }
  if (s->length > dec->limits.max_field_size)
    return compression_error(dec, "string longer than the field size limit");
  s->huffman = (*q & 0x80) != 0;
  s->bytes = q + n;
  size_t total = *pos + (size_t)n + s->length;
  if (total > (size_t)(end - p)) {
    dec->pending_need = total + more;
    return 0;
  }
  *pos = total;
  return 1;
}

/* Room a decoded string may need, including the Huffman decoder's slack
 * byte (the NUL slot or the next string's first byte absorbs it). */
static size_t decoded_bound(const string_ref *s) {
  return s->huffman ? (size_t)s->length * 8 / 5 + 1 : s->length;
}

/* Decodes a string into dst. Returns its length or an error. */
static int decode_string(h2_hpack_decoder *dec, const string_ref *s,
                         uint8_t *dst) {
  if (!s->huffman) {
    if (s->length) memcpy(dst, s->bytes, s->length);
    return (int)s->length;
  }
  int n = h2_huffman_decode(dst, s->bytes, s->length);
  if (n < 0) return compression_error(dec, "invalid Huffman string");
  /* Huffman expands up to 8/5: the limit holds for the decoded bytes too. */
  if ((uint32_t)n > dec->limits.max_field_size)
    return compression_error(dec, "string longer than the field size limit");
  return n;
}

/* Room the name of a literal takes in the field's bytes, NUL included:
 * none for a static-table name, which is pointed at. */
static size_t name_room(const h2_hpack_decoder *dec, uint32_t index,
                        const string_ref *name) {
  if (!index) return decoded_bound(name) + 1;
  if (is_static(index)) return 0;
  return (size_t)dynamic_entry(dec, index)->name_length + 1;
}

/* Puts a literal's name in place: the static table's, a copy of a
 * dynamic entry's, or the decoded string. Returns 0 or an error. */
static int place_name(h2_hpack_decoder *dec, uint32_t index,
                      const string_ref *name, decoded_field *f) {
  if (is_static(index) && index) {
    f->name = h2_hpack_static_table[index].name;
    f->name_length = h2_hpack_static_table[index].name_length;
    return 0;
  }
  f->name = f->bytes;
  if (index) {
    const h2_hpack_entry *e = dynamic_entry(dec, index);
    copy_dynamic_name(dec, e, f->bytes);
    f->name_length = e->name_length;
    return 0;
  }
  int rv = decode_string(dec, name, f->bytes);
  if (rv < 0) return rv;
  f->name_length = (uint32_t)rv;
  f->bytes[rv] = 0;
  return 0;
}

static int parse_literal(h2_hpack_decoder *dec, const uint8_t *p,
                         const uint8_t *end, h2_header_list *out,
                         unsigned prefix_bits, enum representation kind) {
  uint32_t index;
  int n = h2_hpack_int_decode(p, end, prefix_bits, &index);
  if (n < 0) return compression_error(dec, "integer overflow in an index");
  if (n == 0) {
    dec->pending_need = (size_t)(end - p) + 1;
    return 0;
  }
  if (index && !valid_index(dec, index))
    return compression_error(dec, "index beyond the dynamic table");
  size_t pos = (size_t)n;
  string_ref name = {NULL, 0, 0}, value;
  int rv;
  if (!index && (rv = parse_string(dec, p, end, &pos, &name, 1)) <= 0)
    return rv;
  if ((rv = parse_string(dec, p, end, &pos, &value, 0)) <= 0) return rv;
  if ((rv = check_field_start(dec))) return rv;

  decoded_field f = {NULL, NULL, 0, 0, NULL, 0,
                     kind == LITERAL_NEVER_INDEX ? H2_HEADER_NEVER_INDEX
                                                 : H2_HEADER_NONE};
  size_t room = name_room(dec, index, &name);
  if (!(f.bytes = field_space(dec, out, room + decoded_bound(&value) + 1)))
    return fail(dec, H2_ERR_NOMEM, "out of memory");
  if ((rv = place_name(dec, index, &name, &f))) return rv;
  uint8_t *value_bytes = room ? f.bytes + f.name_length + 1 : f.bytes;
  if ((rv = decode_string(dec, &value, value_bytes)) < 0) return rv;
  value_bytes[rv] = 0;
  f.value = value_bytes;
  f.value_length = (uint32_t)rv;
  f.length = (size_t)(value_bytes - f.bytes) + f.value_length + 1;

  if (kind == INDEXED_NAME_ADD) dec->version++;
  if (kind == INDEXED_NAME_ADD &&
      h2_hpack_table_add(&dec->table, f.name, f.name_length, f.value,
                         f.value_length) < 0)
    return fail(dec, H2_ERR_NOMEM, "out of memory");
  rv = emit_field(dec, out, &f);
  return rv ? rv : (int)pos;
}

/* Decodes one representation from [p, end). Returns the bytes it took,
 * 0 when it is incomplete (pending_need then bounds its length from below
 * and exceeds end - p), or an error. */
static inline int parse_one(h2_hpack_decoder *dec, const uint8_t *p,
                            const uint8_t *end, h2_header_list *out) {
  uint8_t first = *p;
  if (first & 0x80) return parse_indexed(dec, p, end, out);
  if (first & 0x40) return parse_literal(dec, p, end, out, 6, INDEXED_NAME_ADD);
  if (first & 0x20) return parse_size_update(dec, p, end);
  if (first & 0x10)
    return parse_literal(dec, p, end, out, 4, LITERAL_NEVER_INDEX);
  return parse_literal(dec, p, end, out, 4, LITERAL_NO_INDEX);
}

static int append_pending(h2_hpack_decoder *dec, const uint8_t *p, size_t n) {
  size_t needed = dec->pending_length + n;
  if (needed > dec->pending_capacity) {
    size_t capacity = dec->pending_capacity ? dec->pending_capacity : 64;
    while (capacity < needed) capacity *= 2;
    uint8_t *buf = h2_realloc(dec->alloc, dec->pending, capacity);
    if (!buf) return fail(dec, H2_ERR_NOMEM, "out of memory");
    dec->pending = buf;
    dec->pending_capacity = capacity;
  }
  memcpy(dec->pending + dec->pending_length, p, n);
  dec->pending_length = needed;
  return 0;
}

/* Completes the waiting representation from the new input. Returns 0 with
 * *p advanced (the representation may still be incomplete when the input
 * ran out), or an error. */
static int resume_pending(h2_hpack_decoder *dec, const uint8_t **p,
                          const uint8_t *end, h2_header_list *out) {
  while (dec->pending_length && *p < end) {
    size_t want = dec->pending_need - dec->pending_length;
    size_t take = (size_t)(end - *p) < want ? (size_t)(end - *p) : want;
    int rv = append_pending(dec, *p, take);
    if (rv) return rv;
    *p += take;
    if (dec->pending_length < dec->pending_need) return 0;
    rv = parse_one(dec, dec->pending, dec->pending + dec->pending_length, out);
    if (rv < 0) return rv;
    /* pending_need never overestimates, so success takes exactly what
     * was gathered. */
    if (rv > 0) dec->pending_length = 0;
  }
  return 0;
}

static int finish_block(h2_hpack_decoder *dec) {
  if (dec->pending_length)
    return compression_error(dec, "header block ends inside a field");
  if (dec->must_update_size)
    return compression_error(
        dec, "header block lacks the size update a smaller table requires");
  int status = dec->block_status;
  dec->field_seen = 0;
  dec->size_updates = 0;
  dec->block_fields = 0;
  dec->block_size = 0;
  dec->block_status = 0;
  return status;
}

int h2_hpack_decode(h2_hpack_decoder *dec, const uint8_t *in, size_t length,
                    int end_of_block, h2_header_list *out) {
  if (dec->failed) return dec->failed;
  if (!in && length) return H2_ERR_INVALID_ARGUMENT;
  const uint8_t *p = in ? in : (const uint8_t *)"", *end = p + length;
  int rv = resume_pending(dec, &p, end, out);
  if (rv) return rv;
  while (p < end) {
    rv = parse_one(dec, p, end, out);
    if (rv < 0) return rv;
    if (rv == 0) {
      if ((rv = append_pending(dec, p, (size_t)(end - p)))) return rv;
      break;
    }
    p += rv;
  }
  return end_of_block ? finish_block(dec) : 0;
}
