/*
 * libFuzzer target for HPACK round trips: our encoder, then our decoder
 * and libnghttp2's decoder, which must both give back exactly what was
 * encoded, block after block of one connection.
 *
 * Input layout:
 *   byte 0   the encoder's own table limit (low nibble) and the first
 *            SETTINGS_HEADER_TABLE_SIZE (high nibble), both picked from
 *            `table_sizes`
 *   then operations, one byte each, some followed by data:
 *     op & 7 in 0..4   add a field to the block:
 *        bits 3-4  name: 0 a static-table name (next byte picks it),
 *                  1 a literal name (next byte % 64 is its length; the
 *                  bytes are lowercased), 2 a field of an earlier block
 *                  repeated whole (next byte picks it), 3 an earlier
 *                  field's name with a new value
 *        bits 5-6  flags: 1 never-indexed, 2 not indexed, else none
 *        bit 7     long value: its length is 64 * the next byte, else
 *                  the next byte; the value bytes follow (all byte values)
 *     op & 7 == 5      end the block
 *     op & 7 == 6      end the block, then a new setting (next byte)
 *     op & 7 == 7      end the block, then a smaller then a larger setting
 *                      in the same gap (next two bytes)
 * Fields left at the end are encoded as a last block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "h2/error.h"
#include "h2/hpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BLOCK_FIELDS 256
#define MAX_REMEMBERED 1024

static const uint32_t table_sizes[] = {0,    1,    32,   64,    100,  256,
                                       512,  1024, 4096, 4096,  8192, 16384,
                                       4096, 300,  2000, 65536};

static const char *const static_names[] = {
    ":authority", ":method", ":path", ":scheme", ":status",
    "accept-charset", "accept-encoding", "accept-language", "accept-ranges",
    "accept", "access-control-allow-origin", "age", "allow", "authorization",
    "cache-control", "content-disposition", "content-encoding",
    "content-language", "content-length", "content-location",
    "content-range", "content-type", "cookie", "date", "etag", "expect",
    "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified",
    "link", "location", "max-forwards", "proxy-authenticate",
    "proxy-authorization", "range", "referer", "refresh", "retry-after",
    "server", "set-cookie", "strict-transport-security",
    "transfer-encoding", "user-agent", "vary", "via", "www-authenticate"};

#define STATIC_NAME_COUNT (sizeof(static_names) / sizeof(static_names[0]))

static void require(int condition) {
  if (!condition) abort();
}

/* ---- Input parsing ------------------------------------------------------ */

typedef struct reader {
  const uint8_t *p, *end;
} reader;

static uint8_t next_byte(reader *r) { return r->p < r->end ? *r->p++ : 0; }

/* Up to `length` bytes of input; fewer when the input runs out. */
static const uint8_t *take(reader *r, size_t *length) {
  size_t left = (size_t)(r->end - r->p);
  if (*length > left) *length = left;
  const uint8_t *bytes = r->p;
  r->p += *length;
  return bytes;
}

typedef struct connection {
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  h2_header_list *list;
  nghttp2_hd_inflater *inflater;
  h2_header fields[MAX_BLOCK_FIELDS];
  size_t count;
  /* Every field of the input so far, for repeats across blocks. */
  h2_header remembered[MAX_REMEMBERED];
  size_t remembered_count;
  uint8_t *names; /* lowercased literal names; never moves */
  size_t names_used;
} connection;

static void literal_name(connection *c, reader *r, h2_header *f) {
  size_t length = next_byte(r) % 64;
  const uint8_t *bytes = take(r, &length);
  uint8_t *name = c->names + c->names_used;
  for (size_t i = 0; i < length; i++)
    name[i] = bytes[i] >= 'A' && bytes[i] <= 'Z' ? bytes[i] + 32 : bytes[i];
  c->names_used += length;
  f->name = name;
  f->name_length = (uint32_t)length;
}

static void read_value(reader *r, h2_header *f, int long_value) {
  size_t length = next_byte(r);
  if (long_value) length *= 64;
  f->value = take(r, &length);
  f->value_length = (uint32_t)length;
}

static const uint32_t flag_choices[] = {H2_HEADER_NONE, H2_HEADER_NEVER_INDEX,
                                        H2_HEADER_NO_INDEX, H2_HEADER_NONE};

/* Parses one field operation into a new field of the block. */
static void read_field(connection *c, reader *r, uint8_t op) {
  h2_header f = {0};
  unsigned source = (op >> 3) & 3;
  if (source >= 2 && !c->remembered_count) source = 0;
  const h2_header *old =
      source >= 2 ? &c->remembered[next_byte(r) % c->remembered_count] : NULL;
  if (source == 2) {
    f = *old;
  } else {
    if (source == 0) {
      const char *name = static_names[next_byte(r) % STATIC_NAME_COUNT];
      f.name = (const uint8_t *)name;
      f.name_length = (uint32_t)strlen(name);
    } else if (source == 1) {
      literal_name(c, r, &f);
    } else {
      f.name = old->name;
      f.name_length = old->name_length;
    }
    read_value(r, &f, op & 0x80);
    f.flags = flag_choices[(op >> 5) & 3];
  }
  c->fields[c->count++] = f;
  if (c->remembered_count < MAX_REMEMBERED)
    c->remembered[c->remembered_count++] = f;
}

/* ---- Checks ------------------------------------------------------------- */

static int same_bytes(const uint8_t *a, size_t a_length, const uint8_t *b,
                      size_t b_length) {
  return a_length == b_length && (!a_length || memcmp(a, b, a_length) == 0);
}

static int name_is(const h2_header *f, const char *name) {
  return same_bytes(f->name, f->name_length, (const uint8_t *)name,
                    strlen(name));
}

/* The encoder documents which fields it sends never-indexed by itself. */
static int always_never_indexed(const h2_header *f) {
  return name_is(f, "authorization") || name_is(f, "proxy-authorization") ||
         (name_is(f, "cookie") && f->value_length < 20);
}

static void check_field(const h2_header *in, const uint8_t *name,
                        size_t name_length, const uint8_t *value,
                        size_t value_length, int never_indexed) {
  require(same_bytes(name, name_length, in->name, in->name_length));
  require(same_bytes(value, value_length, in->value, in->value_length));
  if (in->flags & H2_HEADER_NEVER_INDEX) require(never_indexed);
  if (never_indexed)
    require((in->flags & H2_HEADER_NEVER_INDEX) || always_never_indexed(in));
}

/* Decodes with nghttp2, following its documented loop, and compares each
 * field as it comes out (its output only lives until the next call). */
static void check_with_nghttp2(connection *c, const uint8_t *in,
                               size_t length) {
  const h2_header *ours = h2_header_list_fields(c->list);
  size_t emitted = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t rv =
        nghttp2_hd_inflate_hd2(c->inflater, &nv, &flags, in, length, 1);
    require(rv >= 0);
    in += rv;
    length -= (size_t)rv;
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      require(emitted < c->count);
      int never = (nv.flags & NGHTTP2_NV_FLAG_NO_INDEX) != 0;
      check_field(&c->fields[emitted], nv.name, nv.namelen, nv.value,
                  nv.valuelen, never);
      require(never == ((ours[emitted].flags & H2_HEADER_NEVER_INDEX) != 0));
      emitted++;
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    require((flags & NGHTTP2_HD_INFLATE_EMIT) || length > 0);
  }
  nghttp2_hd_inflate_end_headers(c->inflater);
  require(emitted == c->count);
}

static void check_tables(connection *c) {
  uint32_t size = h2_hpack_encoder_table_size(c->enc);
  uint32_t entries = h2_hpack_encoder_table_entries(c->enc);
  require(h2_hpack_decoder_table_size(c->dec) == size);
  require(h2_hpack_decoder_table_entries(c->dec) == entries);
  require(nghttp2_hd_inflate_get_dynamic_table_size(c->inflater) == size);
  require(nghttp2_hd_inflate_get_num_table_entries(c->inflater) ==
          61 + (size_t)entries);
}

/* Encodes the block, decodes it both ways and compares. */
static void end_block(connection *c) {
  size_t bound = h2_hpack_encode_bound(c->enc, c->fields, c->count);
  uint8_t *wire = malloc(bound);
  require(wire != NULL);
  /* A buffer one byte short of the bound is refused without changing
   * the encoder's state, which the comparisons below would catch. */
  require(h2_hpack_encode(c->enc, c->fields, c->count, wire, bound - 1) ==
          H2_ERR_BUFFER_TOO_SMALL);
  int n = h2_hpack_encode(c->enc, c->fields, c->count, wire, bound);
  require(n >= 0 && (size_t)n <= bound);
  h2_header_list_clear(c->list);
  require(h2_hpack_decode(c->dec, wire, (size_t)n, 1, c->list) == 0);
  require(h2_header_list_count(c->list) == c->count);
  const h2_header *out = h2_header_list_fields(c->list);
  for (size_t i = 0; i < c->count; i++)
    check_field(&c->fields[i], out[i].name, out[i].name_length, out[i].value,
                out[i].value_length,
                (out[i].flags & H2_HEADER_NEVER_INDEX) != 0);
  check_with_nghttp2(c, wire, (size_t)n);
  check_tables(c);
  free(wire);
  c->count = 0;
}

/* A SETTINGS_HEADER_TABLE_SIZE the decoding side sent and saw
 * acknowledged, applied to all three parties. */
static void change_setting(connection *c, uint32_t value) {
  h2_hpack_encoder_set_peer_max_table_size(c->enc, value);
  require(h2_hpack_decoder_set_max_table_size(c->dec, value) == 0);
  require(nghttp2_hd_inflate_change_table_size(c->inflater, value) == 0);
}

static uint32_t pick_size(uint8_t byte) {
  return table_sizes[byte % (sizeof(table_sizes) / sizeof(table_sizes[0]))];
}

static void run_operations(connection *c, reader *r) {
  while (r->p < r->end) {
    uint8_t op = next_byte(r);
    switch (op & 7) {
      case 5: end_block(c); break;
      case 6:
        end_block(c);
        change_setting(c, pick_size(next_byte(r)));
        break;
      case 7: {
        end_block(c);
        uint32_t a = pick_size(next_byte(r)), b = pick_size(next_byte(r));
        change_setting(c, a < b ? a : b);
        change_setting(c, a < b ? b : a);
        break;
      }
      default:
        read_field(c, r, op);
        if (c->count == MAX_BLOCK_FIELDS) end_block(c);
    }
  }
  if (c->count) end_block(c);
}

static void open_connection(connection *c, uint8_t choice, size_t size) {
  memset(c, 0, sizeof(*c));
  uint32_t cap = pick_size(choice & 0x0f);
  /* 0 means the default to our encoder but an empty table to nghttp2;
   * the target wants a real limit. */
  require(h2_hpack_encoder_new(&c->enc, cap ? cap : 1, NULL) == 0);
  /* The decoders start at the protocol's 4096 and learn the setting. */
  h2_hpack_decoder_limits limits = {1u << 30, 1u << 20, 0, 0};
  require(h2_hpack_decoder_new(&c->dec, H2_HPACK_DEFAULT_TABLE_SIZE, &limits,
                               NULL) == 0);
  require(h2_header_list_new(&c->list, NULL) == 0);
  require(nghttp2_hd_inflate_new2(&c->inflater, NULL) == 0);
  c->names = malloc(size + 1);
  require(c->names != NULL);
  change_setting(c, pick_size(choice >> 4));
}

static void close_connection(connection *c) {
  h2_hpack_encoder_del(c->enc);
  h2_hpack_decoder_del(c->dec);
  h2_header_list_del(c->list);
  nghttp2_hd_inflate_del(c->inflater);
  free(c->names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static connection c;
  open_connection(&c, data[0], size);
  reader r = {data + 1, data + size};
  run_operations(&c, &r);
  close_connection(&c);
  return 0;
}
