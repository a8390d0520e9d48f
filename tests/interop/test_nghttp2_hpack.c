/*
 * HPACK interoperability with libnghttp2, the most widely deployed HTTP/2
 * implementation in C.
 *
 * Random connections are simulated in both directions: our encoder feeding
 * nghttp2's decoder, and nghttp2's encoder feeding ours. Every block is
 * decoded by four decoders that share the connection's history: nghttp2's,
 * and three of ours fed the block whole, cut at random points, and one
 * byte at a time. All must reproduce the encoder's input, and after every
 * block all tables must hold the same entries (checked through a probe
 * block that references every dynamic entry, which reads a table without
 * changing it).
 *
 * Header lists mix static-table names, a small pool of custom names,
 * random names, empty values, values with every byte value, values up to
 * 10 KB and fields repeated from earlier blocks (so the dynamic table is
 * hit and evicted). Between blocks the table size setting changes now and
 * then, sometimes several times in one gap, which must make the encoder
 * announce the smallest size and then the final one.
 *
 * The random sequence is fixed; H2_TEST_SEED=<n> in the environment runs
 * another, and the seed in use is printed so any failure can be replayed.
 */
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "test.h"
#include "test_alloc.h"

#define DEFAULT_SEED 0x6e6768747032ull /* "nghtp2" */
#define MAX_FIELDS 48
#define MAX_NAME 48
#define MAX_VALUE 10240
#define HISTORY_SLOTS 64
#define STATIC_ENTRIES 61
#define MAX_ENCODED (MAX_FIELDS * (MAX_NAME + MAX_VALUE + 16) + 64)
#define LARGEST_TABLE 65536u
/* Enough room for a probe block naming every entry of the largest table. */
#define MAX_PROBE_ENTRIES (LARGEST_TABLE / H2_HPACK_ENTRY_OVERHEAD)

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

/* Values that appear in the static table, so full static matches happen. */
static const char *const static_values[] = {
    "GET", "POST", "/", "/index.html", "http", "https", "200", "204", "206",
    "304", "400", "404", "500", "gzip, deflate"};

static const uint32_t table_sizes[] = {0, 1, 100, 256, 4096, 65536};

static uint32_t rand_below(uint32_t n) { return (uint32_t)(test_rand() % n); }

static int chance(uint32_t percent) { return rand_below(100) < percent; }

static uint32_t random_table_size(void) {
  if (chance(20)) return rand_below(70000);
  return table_sizes[rand_below(sizeof(table_sizes) / sizeof(table_sizes[0]))];
}

/* What the random tests covered, printed so a reader can see the test is
 * not vacuous. */
static struct coverage {
  unsigned long blocks, fields, wire_bytes, two_step_updates, probed_entries;
} covered;

/* ---- Random header lists ----------------------------------------------- */

typedef struct field_copy {
  uint8_t name[MAX_NAME];
  uint8_t value[MAX_VALUE];
  uint32_t name_length, value_length;
} field_copy;

/* One block's fields in both libraries' shapes, over one arena that is
 * large enough never to move. */
typedef struct block {
  h2_header fields[MAX_FIELDS];
  nghttp2_nv nvs[MAX_FIELDS];
  size_t count;
  uint8_t arena[MAX_FIELDS * (MAX_NAME + MAX_VALUE)];
  size_t used;
} block;

/* Fields of earlier blocks of the connection, for repeats. */
typedef struct history {
  field_copy slots[HISTORY_SLOTS];
  size_t count;
} history;

static uint32_t random_token(uint8_t *out, uint32_t max) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
  uint32_t length = 1 + rand_below(max);
  for (uint32_t i = 0; i < length; i++)
    out[i] = (uint8_t)alphabet[rand_below(sizeof(alphabet) - 1)];
  return length;
}

static uint32_t copy_text(uint8_t *out, const char *text) {
  size_t length = strlen(text);
  memcpy(out, text, length);
  return (uint32_t)length;
}

static uint32_t random_name(uint8_t *out) {
  uint32_t pick = rand_below(100);
  if (pick < 45)
    return copy_text(out, static_names[rand_below(sizeof(static_names) /
                                                  sizeof(static_names[0]))]);
  if (pick < 75) {
    /* A small pool, so custom names recur and get indexed by name. */
    static const char *const pool[] = {"x-request-id", "x-custom", "x-a",
                                       "x-forwarded-for", "x-trace",
                                       "x-long-header-name-for-testing"};
    return copy_text(out, pool[rand_below(sizeof(pool) / sizeof(pool[0]))]);
  }
  return random_token(out, MAX_NAME);
}

static uint32_t random_bytes(uint8_t *out, uint32_t length) {
  for (uint32_t i = 0; i < length; i++) out[i] = (uint8_t)test_rand();
  return length;
}

static uint32_t random_printable(uint8_t *out, uint32_t length) {
  for (uint32_t i = 0; i < length; i++)
    out[i] = (uint8_t)(' ' + rand_below(95));
  return length;
}

static uint32_t random_value(uint8_t *out) {
  uint32_t pick = rand_below(100);
  if (pick < 10) return 0;
  if (pick < 25)
    return copy_text(out, static_values[rand_below(sizeof(static_values) /
                                                   sizeof(static_values[0]))]);
  if (pick < 55) return random_token(out, 40);
  if (pick < 75) return random_bytes(out, 1 + rand_below(100));
  if (pick < 95) return random_printable(out, 40 + rand_below(400));
  /* Long values, every byte value or text: past small tables' size. */
  uint32_t length = 1000 + rand_below(MAX_VALUE - 1000 + 1);
  return chance(50) ? random_bytes(out, length) : random_printable(out, length);
}

static void remember_field(history *h, const h2_header *f) {
  field_copy *slot = &h->slots[h->count < HISTORY_SLOTS
                                   ? h->count++
                                   : rand_below(HISTORY_SLOTS)];
  memcpy(slot->name, f->name, f->name_length);
  memcpy(slot->value, f->value, f->value_length);
  slot->name_length = f->name_length;
  slot->value_length = f->value_length;
}

/* Writes one field into the block's arena: new, or repeated (whole, or
 * just its name) from the history. */
static void add_random_field(block *b, history *h) {
  uint8_t *name = b->arena + b->used;
  uint32_t name_length, value_length;
  const field_copy *old = h->count && chance(45)
                              ? &h->slots[rand_below((uint32_t)h->count)]
                              : NULL;
  if (old) {
    memcpy(name, old->name, old->name_length);
    name_length = old->name_length;
  } else {
    name_length = random_name(name);
  }
  uint8_t *value = name + name_length;
  if (old && chance(75)) {
    memcpy(value, old->value, old->value_length);
    value_length = old->value_length;
  } else {
    value_length = random_value(value);
  }
  b->used += name_length + value_length;
  uint32_t flags = chance(4) ? H2_HEADER_NEVER_INDEX
                             : chance(4) ? H2_HEADER_NO_INDEX : H2_HEADER_NONE;
  b->fields[b->count] = (h2_header){name, value, name_length, value_length,
                                    flags, 0};
  b->nvs[b->count] = (nghttp2_nv){
      name, value, name_length, value_length,
      flags & H2_HEADER_NEVER_INDEX ? NGHTTP2_NV_FLAG_NO_INDEX
                                    : NGHTTP2_NV_FLAG_NONE};
  b->count++;
}

static void random_block(block *b, history *h) {
  size_t count = chance(25) ? rand_below(MAX_FIELDS + 1) : 1 + rand_below(16);
  b->count = 0;
  b->used = 0;
  for (size_t i = 0; i < count; i++) add_random_field(b, h);
  for (size_t i = 0; i < b->count; i++)
    if (b->fields[i].value_length <= 512 || chance(10))
      remember_field(h, &b->fields[i]);
}

/* ---- nghttp2's decoder -------------------------------------------------- */

/* Fields copied out of nghttp2's inflater, whose output only lives until
 * its next call. */
typedef struct captured {
  h2_header fields[MAX_FIELDS];
  size_t count;
  uint8_t bytes[MAX_FIELDS * (MAX_NAME + MAX_VALUE)];
  size_t used;
} captured;

static int capture(captured *c, const nghttp2_nv *nv) {
  if (c->count == MAX_FIELDS ||
      c->used + nv->namelen + nv->valuelen > sizeof(c->bytes))
    return -1;
  uint8_t *name = c->bytes + c->used;
  memcpy(name, nv->name, nv->namelen);
  memcpy(name + nv->namelen, nv->value, nv->valuelen);
  c->used += nv->namelen + nv->valuelen;
  c->fields[c->count++] = (h2_header){
      name, name + nv->namelen, (uint32_t)nv->namelen, (uint32_t)nv->valuelen,
      nv->flags & NGHTTP2_NV_FLAG_NO_INDEX ? H2_HEADER_NEVER_INDEX
                                           : H2_HEADER_NONE,
      0};
  return 0;
}

/* nghttp2's documented loop: inflate until FINAL, then end_headers. */
static int nghttp2_decode(nghttp2_hd_inflater *inflater, const uint8_t *in,
                          size_t length, captured *out) {
  out->count = 0;
  out->used = 0;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t rv = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, length, 1);
    if (rv < 0) return (int)rv;
    in += rv;
    length -= (size_t)rv;
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) && capture(out, &nv)) return -1;
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && length == 0) return -1;
  }
  nghttp2_hd_inflate_end_headers(inflater);
  return 0;
}

/* ---- Our decoder, fed three ways ----------------------------------------- */

static int decode_whole(h2_hpack_decoder *dec, const uint8_t *in,
                        size_t length, h2_header_list *out) {
  h2_header_list_clear(out);
  return h2_hpack_decode(dec, in, length, 1, out);
}

/* Cuts the block at random points; the last piece sometimes carries the
 * end of the block and sometimes an empty call does. */
static int decode_cut(h2_hpack_decoder *dec, const uint8_t *in,
                      size_t length, h2_header_list *out) {
  h2_header_list_clear(out);
  size_t pos = 0;
  while (pos < length) {
    size_t left = length - pos;
    size_t span = chance(50) && left > 8 ? 8 : left;
    size_t take = 1 + rand_below((uint32_t)span);
    int last = pos + take == length && chance(50);
    int rv = h2_hpack_decode(dec, in + pos, take, last, out);
    if (rv) return rv;
    pos += take;
    if (last) return 0;
  }
  return h2_hpack_decode(dec, NULL, 0, 1, out);
}

static int decode_bytewise(h2_hpack_decoder *dec, const uint8_t *in,
                           size_t length, h2_header_list *out) {
  h2_header_list_clear(out);
  for (size_t i = 0; i < length; i++) {
    int rv = h2_hpack_decode(dec, in + i, 1, 0, out);
    if (rv) return rv;
  }
  return h2_hpack_decode(dec, NULL, 0, 1, out);
}

/* ---- Comparisons ------------------------------------------------------- */

static int same_bytes(const uint8_t *a, size_t a_length, const uint8_t *b,
                      size_t b_length) {
  return a_length == b_length && (!a_length || memcmp(a, b, a_length) == 0);
}

static int same_field(const h2_header *a, const h2_header *b) {
  return same_bytes(a->name, a->name_length, b->name, b->name_length) &&
         same_bytes(a->value, a->value_length, b->value, b->value_length);
}

/* Decoded fields equal the input; a field sent as never-indexed must
 * arrive flagged so (the encoder may flag more, such as credentials). */
static int matches_input(const h2_header *got, size_t count, const block *b) {
  if (count != b->count) return 0;
  for (size_t i = 0; i < count; i++) {
    if (!same_field(&got[i], &b->fields[i])) return 0;
    if ((b->fields[i].flags & H2_HEADER_NEVER_INDEX) &&
        !(got[i].flags & H2_HEADER_NEVER_INDEX))
      return 0;
  }
  return 1;
}

/* Two decodings of one wire agree exactly, flags included. */
static int same_decoding(const h2_header *a, size_t a_count,
                         const h2_header *b, size_t b_count) {
  if (a_count != b_count) return 0;
  for (size_t i = 0; i < a_count; i++)
    if (!same_field(&a[i], &b[i]) ||
        (a[i].flags & H2_HEADER_NEVER_INDEX) !=
            (b[i].flags & H2_HEADER_NEVER_INDEX))
      return 0;
  return 1;
}

/* ---- Table-size updates ------------------------------------------------- */

/* Reads the size updates that open a block. Returns how many. */
static size_t leading_size_updates(const uint8_t *in, size_t length,
                                   uint32_t *sizes, size_t max) {
  size_t n = 0, pos = 0;
  while (pos < length && (in[pos] & 0xe0) == 0x20 && n < max) {
    uint32_t value = in[pos++] & 0x1f;
    if (value == 0x1f) {
      unsigned shift = 0;
      uint8_t byte;
      do {
        byte = in[pos++];
        value += (uint32_t)(byte & 0x7f) << shift;
        shift += 7;
      } while ((byte & 0x80) && pos < length);
    }
    sizes[n++] = value;
  }
  return n;
}

/* Checks the size updates that open a block after a gap whose setting
 * changes gave the encoder the table sizes `targets` (RFC 7541 section
 * 4.2). When the table went below both its current size and the final
 * one, the smallest size must be announced and then the final one.
 * Otherwise the final size must be announced when it differs from the
 * current one, and may be when it does not. */
static void check_size_updates(const uint8_t *wire, size_t length,
                               uint32_t current, const uint32_t *targets,
                               size_t target_count) {
  uint32_t got[4];
  size_t n = leading_size_updates(wire, length, got, 4);
  if (!target_count) {
    CHECK_EQ_INT(n, 0);
    return;
  }
  uint32_t smallest = targets[0], final = targets[target_count - 1];
  for (size_t i = 1; i < target_count; i++)
    if (targets[i] < smallest) smallest = targets[i];
  if (smallest < final && smallest < current) {
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(got[0], smallest);
    CHECK_EQ_INT(got[1], final);
  } else if (final != current) {
    CHECK(n == 1 || n == 2);
    CHECK(n >= 1 && got[n - 1] == final && got[0] >= smallest);
  } else {
    CHECK(n == 0 || got[n - 1] == final);
  }
}

/* ---- Connections --------------------------------------------------------- */

enum { WHOLE, CUT, BYTEWISE, OUR_DECODERS };

typedef struct connection {
  int ours_encodes;
  uint32_t cap;           /* the encoder's own table limit */
  uint32_t table_max;     /* the encoder's table size in force */
  uint32_t targets[4];    /* min(setting, cap) for each change in the gap */
  size_t target_count;
  test_alloc ta;
  h2_hpack_encoder *encoder;
  nghttp2_hd_deflater *deflater;
  h2_hpack_decoder *decoders[OUR_DECODERS];
  h2_header_list *lists[OUR_DECODERS];
  nghttp2_hd_inflater *inflater;
} connection;

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Applies a new SETTINGS_HEADER_TABLE_SIZE (sent by the decoding side and
 * acknowledged) to every party of the connection. */
static void change_setting(connection *c, uint32_t setting) {
  if (c->ours_encodes)
    h2_hpack_encoder_set_peer_max_table_size(c->encoder, setting);
  else
    CHECK_EQ_INT(nghttp2_hd_deflate_change_table_size(c->deflater, setting), 0);
  for (int i = 0; i < OUR_DECODERS; i++)
    CHECK_EQ_INT(h2_hpack_decoder_set_max_table_size(c->decoders[i], setting),
                 0);
  CHECK_EQ_INT(nghttp2_hd_inflate_change_table_size(c->inflater, setting), 0);
  if (c->target_count < 4)
    c->targets[c->target_count++] = min_u32(setting, c->cap);
}

/* Decoders start at the protocol's initial 4096 and learn the first
 * setting like any later one, as a connection does. */
static void connection_open(connection *c, int ours_encodes, uint32_t cap,
                            uint32_t first_setting) {
  memset(c, 0, sizeof(*c));
  test_alloc_init(&c->ta);
  c->ours_encodes = ours_encodes;
  c->cap = cap;
  c->table_max = H2_HPACK_DEFAULT_TABLE_SIZE;
  if (min_u32(cap, H2_HPACK_DEFAULT_TABLE_SIZE) != H2_HPACK_DEFAULT_TABLE_SIZE)
    c->targets[c->target_count++] = cap;
  if (ours_encodes)
    CHECK_EQ_INT(h2_hpack_encoder_new(&c->encoder, cap, &c->ta.allocator), 0);
  else
    CHECK_EQ_INT(nghttp2_hd_deflate_new2(&c->deflater, cap, NULL), 0);
  h2_hpack_decoder_limits limits = {1u << 20, 4 * MAX_PROBE_ENTRIES, 0, 0};
  for (int i = 0; i < OUR_DECODERS; i++) {
    CHECK_EQ_INT(h2_hpack_decoder_new(&c->decoders[i],
                                      H2_HPACK_DEFAULT_TABLE_SIZE, &limits,
                                      &c->ta.allocator),
                 0);
    CHECK_EQ_INT(h2_header_list_new(&c->lists[i], &c->ta.allocator), 0);
  }
  CHECK_EQ_INT(nghttp2_hd_inflate_new2(&c->inflater, NULL), 0);
  change_setting(c, first_setting);
}

static void connection_close(connection *c) {
  h2_hpack_encoder_del(c->encoder);
  if (c->deflater) nghttp2_hd_deflate_del(c->deflater);
  for (int i = 0; i < OUR_DECODERS; i++) {
    h2_hpack_decoder_del(c->decoders[i]);
    h2_header_list_del(c->lists[i]);
  }
  nghttp2_hd_inflate_del(c->inflater);
  CHECK_EQ_INT(c->ta.live_blocks, 0);
}

/* A gap between blocks: usually nothing, sometimes one to three setting
 * changes, smaller-then-larger sequences included. */
static void maybe_change_settings(connection *c, int often) {
  if (!chance(often ? 35 : 8)) return;
  uint32_t changes = 1 + rand_below(3);
  if (chance(30)) {
    change_setting(c, rand_below(256));
    change_setting(c, random_table_size());
    return;
  }
  for (uint32_t i = 0; i < changes; i++) change_setting(c, random_table_size());
}

/* Encodes the block with the connection's encoder into `wire`. */
static size_t encode_block(connection *c, const block *b, uint8_t *wire) {
  if (c->ours_encodes) {
    CHECK(h2_hpack_encode_bound(c->encoder, b->fields, b->count) <=
          MAX_ENCODED);
    int n = h2_hpack_encode(c->encoder, b->fields, b->count, wire,
                            MAX_ENCODED);
    CHECK(n >= 0);
    return n < 0 ? 0 : (size_t)n;
  }
  ssize_t n = nghttp2_hd_deflate_hd(c->deflater, wire, MAX_ENCODED, b->nvs,
                                    b->count);
  CHECK(n >= 0);
  return n < 0 ? 0 : (size_t)n;
}

/* Every table of the connection holds the same number of entries and the
 * same RFC size. */
static void check_table_sizes(connection *c) {
  size_t size = nghttp2_hd_inflate_get_dynamic_table_size(c->inflater);
  size_t entries =
      nghttp2_hd_inflate_get_num_table_entries(c->inflater) - STATIC_ENTRIES;
  for (int i = 0; i < OUR_DECODERS; i++) {
    CHECK_EQ_INT(h2_hpack_decoder_table_size(c->decoders[i]), size);
    CHECK_EQ_INT(h2_hpack_decoder_table_entries(c->decoders[i]), entries);
    CHECK(h2_hpack_decoder_table_size(c->decoders[i]) <=
          h2_hpack_decoder_table_max_size(c->decoders[i]));
  }
  if (c->ours_encodes) {
    CHECK_EQ_INT(h2_hpack_encoder_table_size(c->encoder), size);
    CHECK_EQ_INT(h2_hpack_encoder_table_entries(c->encoder), entries);
  } else {
    CHECK_EQ_INT(nghttp2_hd_deflate_get_dynamic_table_size(c->deflater), size);
  }
}

static size_t put_index(uint8_t *out, uint32_t index) {
  if (index < 0x7f) {
    out[0] = (uint8_t)(0x80 | index);
    return 1;
  }
  size_t n = 0;
  out[n++] = 0xff;
  for (index -= 0x7f; index >= 0x80; index >>= 7)
    out[n++] = (uint8_t)(0x80 | (index & 0x7f));
  out[n++] = (uint8_t)index;
  return n;
}

/* Reads our table through a block that references every dynamic entry,
 * newest first (indexed fields leave the table as it is), and compares it
 * with nghttp2's entry by entry. */
static void check_table_contents(connection *c) {
  static uint8_t probe[MAX_PROBE_ENTRIES * 4];
  uint32_t entries = h2_hpack_decoder_table_entries(c->decoders[WHOLE]);
  size_t length = 0;
  for (uint32_t i = 0; i < entries; i++)
    length += put_index(probe + length, STATIC_ENTRIES + 1 + i);
  h2_header_list *list = c->lists[WHOLE];
  REQUIRE(decode_whole(c->decoders[WHOLE], probe, length, list) == 0);
  REQUIRE(h2_header_list_count(list) == entries);
  covered.probed_entries += entries;
  const h2_header *f = h2_header_list_fields(list);
  for (uint32_t i = 0; i < entries; i++) {
    const nghttp2_nv *nv = nghttp2_hd_inflate_get_table_entry(
        c->inflater, STATIC_ENTRIES + 1 + i);
    REQUIRE(nv != NULL);
    CHECK_MEM(f[i].name, f[i].name_length, nv->name, nv->namelen);
    CHECK_MEM(f[i].value, f[i].value_length, nv->value, nv->valuelen);
  }
}

static captured their_output;

/* One block through the connection: encoded, decoded four ways, every
 * decoding compared with the input, and the tables compared. */
static void run_block(connection *c, const block *b, uint8_t *wire) {
  size_t length = encode_block(c, b, wire);
  uint32_t updates[4];
  covered.blocks++;
  covered.fields += b->count;
  covered.wire_bytes += length;
  if (leading_size_updates(wire, length, updates, 4) == 2)
    covered.two_step_updates++;
  if (c->ours_encodes)
    check_size_updates(wire, length, c->table_max, c->targets,
                       c->target_count);
  if (c->target_count) c->table_max = c->targets[c->target_count - 1];
  c->target_count = 0;

  CHECK_EQ_INT(nghttp2_decode(c->inflater, wire, length, &their_output), 0);
  CHECK(matches_input(their_output.fields, their_output.count, b));
  static int (*const decode[OUR_DECODERS])(h2_hpack_decoder *,
                                           const uint8_t *, size_t,
                                           h2_header_list *) = {
      decode_whole, decode_cut, decode_bytewise};
  for (int i = 0; i < OUR_DECODERS; i++) {
    int rv = decode[i](c->decoders[i], wire, length, c->lists[i]);
    if (rv)
      fprintf(stderr, "decoder %d: %s\n", i,
              h2_hpack_decoder_error_detail(c->decoders[i]));
    CHECK_EQ_INT(rv, 0);
    CHECK(same_decoding(h2_header_list_fields(c->lists[i]),
                        h2_header_list_count(c->lists[i]),
                        their_output.fields, their_output.count));
  }
  check_table_sizes(c);
  check_table_contents(c);
}

static uint32_t random_cap(void) {
  static const uint32_t caps[] = {1, 100, 256, 4096, 4096, 65536, 65536};
  if (chance(15)) return 1 + rand_below(70000);
  return caps[rand_below(sizeof(caps) / sizeof(caps[0]))];
}

static block current_block;
static history past_fields;
static uint8_t wire_buffer[MAX_ENCODED];

/* Runs `connections` random connections of `blocks` blocks each. With
 * `small_tables`, tables are tiny and change often, so entries are
 * evicted in nearly every block. */
static void run_connections(int ours_encodes, int connections, int blocks,
                            int small_tables) {
  for (int n = 0; n < connections && !test_failures; n++) {
    connection c;
    uint32_t cap = small_tables ? 1 + rand_below(600) : random_cap();
    uint32_t setting = small_tables ? rand_below(600) : random_table_size();
    connection_open(&c, ours_encodes, cap, setting);
    past_fields.count = 0;
    for (int i = 0; i < blocks && !test_failures; i++) {
      if (i) maybe_change_settings(&c, small_tables);
      random_block(&current_block, &past_fields);
      run_block(&c, &current_block, wire_buffer);
    }
    connection_close(&c);
  }
}

static void report_coverage(const char *test) {
  printf("%s: %lu blocks, %lu fields, %lu wire bytes, %lu blocks opening "
         "with two size updates, %lu table entries compared\n", test,
         covered.blocks, covered.fields, covered.wire_bytes,
         covered.two_step_updates, covered.probed_entries);
  memset(&covered, 0, sizeof(covered));
}

static void seed(void) {
  uint64_t s = test_seed_from_env(DEFAULT_SEED);
  printf("test_nghttp2_hpack: seed 0x%" PRIx64 " (set H2_TEST_SEED to "
         "change)\n", s);
  test_srand(s);
}

/* ---- Tests ------------------------------------------------------------- */

static void test_our_encoder_into_nghttp2(void) {
  seed();
  run_connections(1, 40, 60, 0);
  report_coverage(__func__);
}

static void test_nghttp2_encoder_into_ours(void) {
  seed();
  run_connections(0, 40, 60, 0);
  report_coverage(__func__);
}

static void test_tables_agree_under_eviction(void) {
  seed();
  run_connections(1, 15, 80, 1);
  run_connections(0, 15, 80, 1);
  report_coverage(__func__);
}

/* 4096 -> 100 -> 4096 in one gap: our encoder must announce 100 and then
 * 4096, and nghttp2 must accept that. */
static void test_smaller_then_larger_update(void) {
  static const uint8_t expected[] = {0x3f, 0x45, 0x3f, 0xe1, 0x1f};
  connection c;
  connection_open(&c, 1, LARGEST_TABLE, H2_HPACK_DEFAULT_TABLE_SIZE);
  block *b = &current_block;
  past_fields.count = 0;
  random_block(b, &past_fields);
  run_block(&c, b, wire_buffer);
  change_setting(&c, 100);
  change_setting(&c, H2_HPACK_DEFAULT_TABLE_SIZE);
  size_t length = encode_block(&c, b, wire_buffer);
  REQUIRE(length >= sizeof(expected));
  CHECK_MEM(wire_buffer, sizeof(expected), expected, sizeof(expected));
  CHECK_EQ_INT(nghttp2_decode(c.inflater, wire_buffer, length, &their_output),
               0);
  CHECK(matches_input(their_output.fields, their_output.count, b));
  connection_close(&c);
}

TEST_MAIN("nghttp2_hpack", TEST_CASE(test_smaller_then_larger_update),
          TEST_CASE(test_our_encoder_into_nghttp2),
          TEST_CASE(test_nghttp2_encoder_into_ours),
          TEST_CASE(test_tables_agree_under_eviction))
