/*
 * The HPACK decoder's error handling and limits: checklist D of
 * ../shared/spec/hostile-servers-and-limits.md, the RFC 7541 decoding
 * errors, input cut at every byte, and allocation failures.
 */
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "hex.h"
#include "test.h"
#include "test_alloc.h"

typedef struct fixture {
  h2_hpack_decoder *dec;
  h2_header_list *list;
} fixture;

static int setup(fixture *f, uint32_t table, const h2_hpack_decoder_limits *l) {
  if (h2_hpack_decoder_new(&f->dec, table, l, NULL)) return -1;
  return h2_header_list_new(&f->list, NULL);
}

static void teardown(fixture *f) {
  h2_header_list_del(f->list);
  h2_hpack_decoder_del(f->dec);
}

/* Decodes one whole block given in hex. */
static int decode_block(fixture *f, const char *hex) {
  uint8_t wire[1024];
  int n = hex_decode(hex, wire, sizeof(wire));
  if (n < 0) return -10000;
  h2_header_list_clear(f->list);
  return h2_hpack_decode(f->dec, wire, (size_t)n, 1, f->list);
}

static int decode_hex_once(const char *hex, uint32_t table) {
  fixture f;
  if (setup(&f, table, NULL)) return -10001;
  int rv = decode_block(&f, hex);
  teardown(&f);
  return rv;
}

static void test_index_errors(void) {
  /* Index 0 (case 66). */
  CHECK_EQ_INT(decode_hex_once("80", 4096), H2_ERR_CONN_COMPRESSION);
  /* Index 62 with an empty dynamic table (case 67). */
  CHECK_EQ_INT(decode_hex_once("be", 4096), H2_ERR_CONN_COMPRESSION);
  /* Index 0x7fffffff, and a literal whose indexed name is out of range. */
  CHECK_EQ_INT(decode_hex_once("ff80 ffff ff07", 4096), H2_ERR_CONN_COMPRESSION);
  CHECK_EQ_INT(decode_hex_once("7f00 0161", 4096), H2_ERR_CONN_COMPRESSION);
  /* Index 61 is the last static entry and fine. */
  CHECK_EQ_INT(decode_hex_once("bd", 4096), 0);
}

static void test_integer_errors(void) {
  /* Case 63: 0xff then ten 0xff continuation bytes. */
  CHECK_EQ_INT(decode_hex_once("ffff ffff ffff ffff ffff ff", 4096),
               H2_ERR_CONN_COMPRESSION);
  /* A value of 2^32 exactly overflows. */
  CHECK_EQ_INT(decode_hex_once("ff81 ffff ff0f", 4096), H2_ERR_CONN_COMPRESSION);
  /* Case 64: an over-long encoding of a small integer. */
  CHECK_EQ_INT(decode_hex_once("7f80 8080 8080 00", 4096), H2_ERR_CONN_COMPRESSION);
  /* A string length with too many octets. */
  CHECK_EQ_INT(decode_hex_once("007f 8080 8080 8000", 4096), H2_ERR_CONN_COMPRESSION);
}

static void test_string_errors(void) {
  /* Case 65: a string longer than the rest of the block. */
  CHECK_EQ_INT(decode_hex_once("0005 6162", 4096), H2_ERR_CONN_COMPRESSION);
  /* Case 65/79: declared length above the 64 KiB field cap; nothing is
   * allocated for it (the block is tiny). */
  CHECK_EQ_INT(decode_hex_once("007f 8180 04", 4096), H2_ERR_CONN_COMPRESSION);
  /* Case 68: Huffman padding too long, not ones, EOS inside. */
  CHECK_EQ_INT(decode_hex_once("0083 6402 ff00", 4096), H2_ERR_CONN_COMPRESSION);
  CHECK_EQ_INT(decode_hex_once("0001 6181 00", 4096), H2_ERR_CONN_COMPRESSION);
  CHECK_EQ_INT(decode_hex_once("0001 6184 ffff fffc", 4096), H2_ERR_CONN_COMPRESSION);
  /* A block that ends inside a field. */
  CHECK_EQ_INT(decode_hex_once("40", 4096), H2_ERR_CONN_COMPRESSION);
}

static void test_size_updates(void) {
  fixture f;
  REQUIRE(setup(&f, 4096, NULL) == 0);
  /* Case 70: 4097, above our setting. */
  CHECK_EQ_INT(decode_block(&f, "3fe2 1f"), H2_ERR_CONN_COMPRESSION);
  teardown(&f);
  REQUIRE(setup(&f, 4096, NULL) == 0);
  /* Exactly our setting, then 0 then 4096 (two updates are legal). */
  CHECK_EQ_INT(decode_block(&f, "3fe1 1f82"), 0);
  CHECK_EQ_INT(decode_block(&f, "203f e11f 82"), 0);
  /* Case 73: a third update is refused. */
  CHECK_EQ_INT(decode_block(&f, "2020 2082"), H2_ERR_CONN_COMPRESSION);
  teardown(&f);
  /* Case 71: an update after a field. */
  CHECK_EQ_INT(decode_hex_once("8220", 4096), H2_ERR_CONN_COMPRESSION);
  /* Case 80: the table shrinks to 0 and entry 62 is then referenced. */
  REQUIRE(setup(&f, 4096, NULL) == 0);
  CHECK_EQ_INT(decode_block(&f, "4001 6101 62be"), 0);
  CHECK_EQ_INT(decode_block(&f, "20be"), H2_ERR_CONN_COMPRESSION);
  teardown(&f);
}

static void test_required_size_update(void) {
  fixture f;
  REQUIRE(setup(&f, 4096, NULL) == 0);
  /* A block sent before the peer saw our new setting uses the old size. */
  CHECK_EQ_INT(decode_block(&f, "4001 6101 62"), 0);
  /* Case 72: after the ACK of a reduction, a block must start with an
   * update no larger than the new setting. */
  CHECK_EQ_INT(h2_hpack_decoder_set_max_table_size(f.dec, 0), 0);
  CHECK_EQ_INT(decode_block(&f, "82"), H2_ERR_CONN_COMPRESSION);
  teardown(&f);
  REQUIRE(setup(&f, 4096, NULL) == 0);
  CHECK_EQ_INT(h2_hpack_decoder_set_max_table_size(f.dec, 100), 0);
  CHECK_EQ_INT(decode_block(&f, "3f46 82"), H2_ERR_CONN_COMPRESSION);
  teardown(&f);
  REQUIRE(setup(&f, 4096, NULL) == 0);
  CHECK_EQ_INT(h2_hpack_decoder_set_max_table_size(f.dec, 100), 0);
  CHECK_EQ_INT(decode_block(&f, "3f45 82"), 0);
  CHECK_EQ_INT(h2_hpack_decoder_table_max_size(f.dec), 100);
  CHECK_EQ_INT(decode_block(&f, "82"), 0);
  /* Raising the setting needs no update. */
  CHECK_EQ_INT(h2_hpack_decoder_set_max_table_size(f.dec, 8192), 0);
  CHECK_EQ_INT(decode_block(&f, "82"), 0);
  CHECK_EQ_INT(decode_block(&f, "3fe1 3f82"), 0);
  CHECK_EQ_INT(h2_hpack_decoder_table_max_size(f.dec), 8192);
  teardown(&f);
}

static void test_table_semantics(void) {
  fixture f;
  REQUIRE(setup(&f, 4096, NULL) == 0);
  /* Case 76: duplicate entries are fine. */
  CHECK_EQ_INT(decode_block(&f, "4001 6101 6240 0161 0162 bebf"), 0);
  CHECK_EQ_INT(h2_header_list_count(f.list), 4);
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(f.dec), 2);
  teardown(&f);

  /* Case 75: the new entry names the oldest entry, which its own
   * insertion evicts. Table of 70 bytes holds one "a: b" (34) ... fill it
   * with "a: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" (63), then insert with name
   * index 62 and a long value: the name must survive the eviction. */
  REQUIRE(setup(&f, 70, NULL) == 0);
  CHECK_EQ_INT(decode_block(&f, "3f27 4001 611e 6262 6262 6262 6262 6262 6262 6262"
                                " 6262 6262 6262 6262 6262 6262 6262 6262"),
               0);
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(f.dec), 1);
  CHECK_EQ_INT(decode_block(&f, "7e04 7878 7878"), 0);
  REQUIRE(h2_header_list_count(f.list) == 1);
  CHECK_MEM(h2_header_list_fields(f.list)[0].name, 1, "a", 1);
  CHECK_MEM(h2_header_list_fields(f.list)[0].value, 4, "xxxx", 4);
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(f.dec), 1);
  CHECK_EQ_INT(h2_hpack_decoder_table_size(f.dec), 37);
  teardown(&f);

  /* Case 74: an entry larger than the table empties it, no error. */
  REQUIRE(setup(&f, 40, NULL) == 0);
  CHECK_EQ_INT(decode_block(&f, "3f09 4001 6101 62"), 0);
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(f.dec), 1);
  CHECK_EQ_INT(decode_block(&f, "4001 6108 3031 3233 3435 3637"), 0);
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(f.dec), 0);
  CHECK_EQ_INT(h2_header_list_count(f.list), 1);
  teardown(&f);
}

/* Builds a block that adds a 4,064-byte field (1-byte name, 4,063-byte
 * value: an entry of exactly 4096) to the table and then references it
 * `refs` times: the HPACK bomb of case 61. */
static size_t build_bomb(uint8_t *out, size_t refs) {
  size_t n = 0;
  out[n++] = 0x40; /* literal with indexing, new name */
  out[n++] = 0x01;
  out[n++] = 'x';
  out[n++] = 0x7f; /* value length 4063 = 127 + 3936 */
  out[n++] = (uint8_t)(0x80 | (3936 & 0x7f));
  out[n++] = (uint8_t)(3936 >> 7);
  memset(out + n, 'v', 4063);
  n += 4063;
  memset(out + n, 0xbe, refs); /* index 62 */
  return n + refs;
}

static void test_hpack_bomb(void) {
  static uint8_t block[4070 + 16384];
  size_t n = build_bomb(block, 16384);
  test_alloc ta;
  test_alloc_init(&ta);
  h2_hpack_decoder *dec;
  h2_header_list *list;
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, &ta.allocator) == 0);
  REQUIRE(h2_header_list_new(&list, &ta.allocator) == 0);
  int rv = h2_hpack_decode(dec, block, n, 1, list);
  CHECK_EQ_INT(rv, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  /* Decoding stopped at four times the 64 KiB budget and kept memory near
   * the budget: peak well below 4x. */
  CHECK(ta.peak_bytes < 3 * H2_HPACK_DEFAULT_MAX_HEADER_LIST_SIZE);
  CHECK(h2_header_list_size(list) <= 4 * H2_HPACK_DEFAULT_MAX_HEADER_LIST_SIZE + 4200);
  /* Once failed, always failed. */
  CHECK_EQ_INT(h2_hpack_decode(dec, block, 1, 1, list), rv);
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
  CHECK_EQ_INT(ta.live_bytes, 0);

  /* Within 4x the budget: fields are dropped, the stream-level status is
   * returned at the end of the block, and the table stays in sync. */
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  REQUIRE(h2_header_list_new(&list, NULL) == 0);
  n = build_bomb(block, 40);
  CHECK_EQ_INT(h2_hpack_decode(dec, block, n, 1, list), H2_ERR_HEADER_LIST_TOO_LARGE);
  CHECK(h2_header_list_count(list) < 20);
  h2_header_list_clear(list);
  CHECK_EQ_INT(h2_hpack_decode(dec, (const uint8_t *)"\xbe", 1, 1, list), 0);
  CHECK_EQ_INT(h2_header_list_count(list), 1);
  CHECK_EQ_INT(h2_header_list_fields(list)[0].value_length, 4063);
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
}

static void test_many_tiny_fields(void) {
  /* Case 62: 100,000 fields of "a: " are capped by count (500) and by the
   * 32-byte overhead, without storing them. */
  static uint8_t block[5 + 100000];
  size_t n = 0;
  block[n++] = 0x40;
  block[n++] = 0x01;
  block[n++] = 'a';
  block[n++] = 0x00;
  memset(block + n, 0xbe, 100000);
  n += 100000;
  h2_hpack_decoder_limits limits = {1u << 30, 0, 0, 0};
  fixture f;
  REQUIRE(setup(&f, 4096, &limits) == 0);
  CHECK_EQ_INT(h2_hpack_decode(f.dec, block, n, 1, f.list), H2_ERR_TOO_MANY_FIELDS);
  CHECK_EQ_INT(h2_header_list_count(f.list), 500);
  teardown(&f);
  REQUIRE(setup(&f, 4096, NULL) == 0);
  CHECK_EQ_INT(h2_hpack_decode(f.dec, block, n, 1, f.list), H2_ERR_CONN_ENHANCE_YOUR_CALM);
  teardown(&f);
}

/* Case 78: one literal value split across 50 pieces (and then one byte at
 * a time), with Huffman codes and integers cut mid-way. */
static void test_split_value(void) {
  static uint8_t value[20000], encoded[20000], block[20010];
  for (size_t i = 0; i < sizeof(value); i++) value[i] = (uint8_t)("abc/=%~"[i % 7]);
  size_t hl = h2_huffman_encode(encoded, value, sizeof(value));
  size_t n = 0;
  block[n++] = 0x00;
  block[n++] = 0x01;
  block[n++] = 'v';
  block[n++] = 0xff; /* Huffman, 7-bit prefix full */
  uint32_t rest = (uint32_t)hl - 127;
  while (rest >= 128) {
    block[n++] = (uint8_t)(rest | 0x80);
    rest >>= 7;
  }
  block[n++] = (uint8_t)rest;
  memcpy(block + n, encoded, hl);
  n += hl;
  size_t pieces[] = {n / 50 + 1, 1, 3, 7};
  for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
    fixture f;
    REQUIRE(setup(&f, 4096, NULL) == 0);
    for (size_t off = 0; off < n; off += pieces[p]) {
      size_t len = n - off < pieces[p] ? n - off : pieces[p];
      CHECK_EQ_INT(h2_hpack_decode(f.dec, block + off, len, 0, f.list), 0);
    }
    CHECK_EQ_INT(h2_hpack_decode(f.dec, NULL, 0, 1, f.list), 0);
    REQUIRE(h2_header_list_count(f.list) == 1);
    CHECK_MEM(h2_header_list_fields(f.list)[0].value,
              h2_header_list_fields(f.list)[0].value_length, value, sizeof(value));
    teardown(&f);
  }
}

/* Every block of a sequence, cut at every offset into two calls, gives the
 * same fields as the whole block; errors are found at the same place. */
static void test_every_cut(void) {
  static const char *blocks[] = {
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "3f e1 1f 8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      "1008 7061 7373 776f 7264 0673 6563 7265 74 c0",
  };
  uint8_t wire[4][64];
  size_t len[4];
  for (int i = 0; i < 4; i++) len[i] = (size_t)hex_decode(blocks[i], wire[i], 64);
  fixture whole;
  REQUIRE(setup(&whole, 4096, NULL) == 0);
  h2_header_list *expected[4];
  for (int i = 0; i < 4; i++) {
    REQUIRE(h2_header_list_new(&expected[i], NULL) == 0);
    CHECK_EQ_INT(h2_hpack_decode(whole.dec, wire[i], len[i], 1, expected[i]), 0);
  }
  for (size_t cut = 0; cut < 64; cut++) {
    fixture f;
    REQUIRE(setup(&f, 4096, NULL) == 0);
    for (int i = 0; i < 4; i++) {
      size_t c = cut < len[i] ? cut : len[i];
      h2_header_list_clear(f.list);
      CHECK_EQ_INT(h2_hpack_decode(f.dec, wire[i], c, 0, f.list), 0);
      CHECK_EQ_INT(h2_hpack_decode(f.dec, wire[i] + c, len[i] - c, 1, f.list), 0);
      REQUIRE(h2_header_list_count(f.list) == h2_header_list_count(expected[i]));
      for (size_t k = 0; k < h2_header_list_count(f.list); k++) {
        const h2_header *a = &h2_header_list_fields(f.list)[k];
        const h2_header *b = &h2_header_list_fields(expected[i])[k];
        CHECK_MEM(a->name, a->name_length, b->name, b->name_length);
        CHECK_MEM(a->value, a->value_length, b->value, b->value_length);
        CHECK_EQ_INT(a->flags, b->flags);
      }
    }
    teardown(&f);
  }
  for (int i = 0; i < 4; i++) h2_header_list_del(expected[i]);
  teardown(&whole);
}

/* Names and values of the static table are pointed at rather than copied,
 * so a list mixes strings in its arena with strings in static storage.
 * Long values make the arena move several times while static-name fields
 * sit in the list: every field must still read back whole and
 * NUL-terminated. */
static void test_static_strings_survive_arena_growth(void) {
  static uint8_t value[3][300], encoded[3][300], block[2048];
  size_t n = 0;
  for (int i = 0; i < 3; i++) {
    memset(value[i], 'a' + i, sizeof(value[i]));
    block[n++] = 0x82; /* :method: GET, all static */
    block[n++] = 0x44; /* :path with a literal value, added to the table */
    size_t hl = h2_huffman_encode(encoded[i], value[i], sizeof(value[i]));
    REQUIRE(hl >= 127 && hl - 127 < 128);
    block[n++] = 0xff;
    block[n++] = (uint8_t)(hl - 127);
    memcpy(block + n, encoded[i], hl);
    n += hl;
  }
  block[n++] = 0xbe; /* the newest dynamic entry: :path: ccc... */
  fixture f;
  REQUIRE(setup(&f, 4096, NULL) == 0);
  CHECK_EQ_INT(h2_hpack_decode(f.dec, block, n, 1, f.list), 0);
  REQUIRE(h2_header_list_count(f.list) == 7);
  const h2_header *h = h2_header_list_fields(f.list);
  for (int i = 0; i < 3; i++) {
    CHECK_MEM(h[2 * i].name, h[2 * i].name_length, ":method", 7);
    CHECK_MEM(h[2 * i].value, h[2 * i].value_length, "GET", 3);
    CHECK_MEM(h[2 * i + 1].name, h[2 * i + 1].name_length, ":path", 5);
    CHECK_MEM(h[2 * i + 1].value, h[2 * i + 1].value_length, value[i], 300);
  }
  CHECK_MEM(h[6].name, h[6].name_length, ":path", 5);
  CHECK_MEM(h[6].value, h[6].value_length, value[2], 300);
  for (int i = 0; i < 7; i++) {
    CHECK_EQ_INT(h[i].name[h[i].name_length], 0);
    CHECK_EQ_INT(h[i].value[h[i].value_length], 0);
  }
  teardown(&f);
}

/* A field whose Huffman value might decode past the list budget is decoded
 * into scratch space first; when it turns out to fit, it is moved into the
 * list, static-table name and all. */
static void test_field_kept_from_scratch(void) {
  /* 100 '&' take 8 bits each: 100 bytes of Huffman may decode to 161. */
  uint8_t value[100], block[128];
  memset(value, '&', sizeof(value));
  size_t n = 0;
  block[n++] = 0x04; /* :path, literal without indexing */
  block[n++] = 0x80 | 100;
  REQUIRE(h2_huffman_encode(block + n, value, sizeof(value)) == 100);
  n += 100;
  /* The budget holds the field (5 + 100 + 32) but not the bound. */
  h2_hpack_decoder_limits limits = {150, 0, 0, 0};
  fixture f;
  REQUIRE(setup(&f, 4096, &limits) == 0);
  CHECK_EQ_INT(h2_hpack_decode(f.dec, block, n, 1, f.list), 0);
  REQUIRE(h2_header_list_count(f.list) == 1);
  const h2_header *h = h2_header_list_fields(f.list);
  CHECK_MEM(h->name, h->name_length, ":path", 5);
  CHECK_MEM(h->value, h->value_length, value, sizeof(value));
  CHECK_EQ_INT(h->value[h->value_length], 0);
  teardown(&f);
}

static void test_discarding_keeps_table_in_sync(void) {
  /* Case 77: a block decoded with no list still updates the table. */
  fixture f;
  REQUIRE(setup(&f, 4096, NULL) == 0);
  uint8_t wire[64];
  int n = hex_decode("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", wire, 64);
  CHECK_EQ_INT(h2_hpack_decode(f.dec, wire, (size_t)n, 1, NULL), 0);
  CHECK_EQ_INT(decode_block(&f, "be"), 0);
  REQUIRE(h2_header_list_count(f.list) == 1);
  CHECK_MEM(h2_header_list_fields(f.list)[0].value, 12, "custom-value", 12);
  teardown(&f);
}

/* Fails every allocation in turn while decoding a sequence: each run ends
 * in success or H2_ERR_NOMEM, and nothing leaks. */
static void test_allocation_failures(void) {
  uint8_t wire[64];
  int n = hex_decode("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf be", wire, 64);
  int succeeded = 0;
  for (size_t fail_at = 1; fail_at < 40 && !succeeded; fail_at++) {
    test_alloc ta;
    test_alloc_init(&ta);
    ta.fail_at = fail_at;
    h2_hpack_decoder *dec = NULL;
    h2_header_list *list = NULL;
    int rv = h2_hpack_decoder_new(&dec, 4096, NULL, &ta.allocator);
    if (rv == 0) rv = h2_header_list_new(&list, &ta.allocator);
    if (rv == 0) {
      for (int i = 0; i < n && rv == 0; i++)
        rv = h2_hpack_decode(dec, wire + i, 1, i == n - 1, list);
      if (rv == 0) {
        succeeded = 1;
        CHECK_EQ_INT(h2_header_list_count(list), 2);
      }
    }
    CHECK(rv == 0 || rv == H2_ERR_NOMEM);
    h2_header_list_del(list);
    h2_hpack_decoder_del(dec);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
  CHECK(succeeded);
}

/* A peer allowed a huge table that it barely uses costs memory for what
 * it uses, not for what it is allowed; the table grows as entries come. */
static void test_table_memory_follows_use(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_hpack_decoder *dec;
  h2_header_list *list;
  REQUIRE(h2_hpack_decoder_new(&dec, 0xffffffffu, NULL, &ta.allocator) == 0);
  REQUIRE(h2_header_list_new(&list, &ta.allocator) == 0);
  uint8_t wire[64];
  int n = hex_decode("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", wire, 64);
  CHECK_EQ_INT(h2_hpack_decode(dec, wire, (size_t)n, 1, list), 0);
  CHECK(ta.peak_bytes < 4096);
  /* Then a thousand distinct entries: the table grows and stays exact. */
  for (int i = 0; i < 1000; i++) {
    uint8_t block[16] = {0x40, 0x03, 'x', '-', 'a', 0x04};
    memcpy(block + 6, &i, 4);
    h2_header_list_clear(list);
    CHECK_EQ_INT(h2_hpack_decode(dec, block, 10, 1, list), 0);
  }
  CHECK_EQ_INT(h2_hpack_decoder_table_entries(dec), 1001);
  CHECK_EQ_INT(h2_hpack_decoder_table_size(dec), 54 + 1000 * 39);
  h2_header_list_clear(list);
  /* Index 62 + 1000 = 1062, the oldest entry: 127 + 935 (0xa7 0x07). */
  CHECK_EQ_INT(h2_hpack_decode(dec, (const uint8_t *)"\xff\xa7\x07", 3, 1, list), 0);
  REQUIRE(h2_header_list_count(list) == 1);
  CHECK_MEM(h2_header_list_fields(list)[0].name, 10, "custom-key", 10);
  CHECK_MEM(h2_header_list_fields(list)[0].value, 12, "custom-value", 12);
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

TEST_MAIN("hpack_decoder", TEST_CASE(test_index_errors),
          TEST_CASE(test_integer_errors), TEST_CASE(test_string_errors),
          TEST_CASE(test_size_updates), TEST_CASE(test_required_size_update),
          TEST_CASE(test_table_semantics), TEST_CASE(test_hpack_bomb),
          TEST_CASE(test_many_tiny_fields), TEST_CASE(test_split_value),
          TEST_CASE(test_every_cut),
          TEST_CASE(test_discarding_keeps_table_in_sync),
          TEST_CASE(test_allocation_failures),
          TEST_CASE(test_table_memory_follows_use),
          TEST_CASE(test_static_strings_survive_arena_growth),
          TEST_CASE(test_field_kept_from_scratch))
