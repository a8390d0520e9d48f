/*
 * The HPACK encoder: representation choices, size updates, the table cap,
 * and randomized round trips through our decoder with the input cut at
 * every kind of offset. (The cross-checks against libnghttp2 and
 * python3-hpack live in tests/interop.)
 */
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "test.h"
#include "test_alloc.h"

static h2_header field(const char *name, const char *value, uint32_t flags) {
  h2_header h = {(const uint8_t *)name, (const uint8_t *)value,
                 (uint32_t)strlen(name), (uint32_t)strlen(value), flags, 0};
  return h;
}

/* Encodes then decodes with a fresh-or-given decoder and compares. */
static void check_round_trip(h2_hpack_encoder *enc, h2_hpack_decoder *dec,
                             const h2_header *fields, size_t n,
                             uint8_t *out, size_t cap, int *length) {
  h2_header_list *list;
  *length = -1;
  REQUIRE(h2_header_list_new(&list, NULL) == 0);
  *length = h2_hpack_encode(enc, fields, n, out, cap);
  REQUIRE(*length >= 0);
  CHECK_EQ_INT(h2_hpack_decode(dec, out, (size_t)*length, 1, list), 0);
  REQUIRE(h2_header_list_count(list) == n);
  for (size_t i = 0; i < n; i++) {
    const h2_header *d = &h2_header_list_fields(list)[i];
    CHECK_MEM(d->name, d->name_length, fields[i].name, fields[i].name_length);
    CHECK_MEM(d->value, d->value_length, fields[i].value, fields[i].value_length);
  }
  h2_header_list_del(list);
}

static void test_sensitive_fields_never_indexed(void) {
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  REQUIRE(h2_hpack_encoder_new(&enc, 0, NULL) == 0);
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  h2_header fields[] = {
      field("authorization", "Bearer abc", 0),
      field("proxy-authorization", "Basic xyz", 0),
      field("cookie", "short=1", 0),
      field("x-secret", "s3cr3t", H2_HEADER_NEVER_INDEX),
      field("cookie", "a-long-cookie-value-that-is-not-guessable=1", 0),
  };
  uint8_t out[512];
  int len;
  check_round_trip(enc, dec, fields, 5, out, sizeof(out), &len);
  /* Only the long cookie entered the table. */
  CHECK_EQ_INT(h2_hpack_encoder_table_entries(enc), 1);
  /* The first byte of each sensitive field is 0001xxxx. */
  CHECK_EQ_INT(out[0] & 0xf0, 0x10);
  /* Sending them again costs the same: no table reuse. */
  int again;
  check_round_trip(enc, dec, fields, 4, out, sizeof(out), &again);
  CHECK(again > 30);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
}

static void test_table_reuse(void) {
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  REQUIRE(h2_hpack_encoder_new(&enc, 0, NULL) == 0);
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  h2_header fields[] = {
      field(":method", "GET", 0), field(":scheme", "https", 0),
      field(":authority", "api.example.com", 0), field(":path", "/v1/items", 0),
      field("user-agent", "libh2-test/1.0", 0), field("x-trace", "abc", 0),
  };
  uint8_t out[512];
  int first, second;
  check_round_trip(enc, dec, fields, 6, out, sizeof(out), &first);
  check_round_trip(enc, dec, fields, 6, out, sizeof(out), &second);
  /* The second time every field is one index byte. */
  CHECK_EQ_INT(second, 6);
  CHECK(first > 40);
  /* Name-only reuse: a new value for a known name costs no name bytes. */
  h2_header changed = field("x-trace", "abd", 0);
  int third;
  check_round_trip(enc, dec, &changed, 1, out, sizeof(out), &third);
  CHECK(third <= 5);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
}

static void test_size_updates(void) {
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  REQUIRE(h2_hpack_encoder_new(&enc, 4096, NULL) == 0);
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  h2_header f = field("x-a", "b", 0);
  uint8_t out[64];
  int len;
  check_round_trip(enc, dec, &f, 1, out, sizeof(out), &len);
  /* The peer lowers to 0 then raises to 1000 between two blocks: the
   * encoder must announce 0 (emptying the decoder's table) and then 1000. */
  h2_hpack_encoder_set_peer_max_table_size(enc, 0);
  h2_hpack_encoder_set_peer_max_table_size(enc, 1000);
  check_round_trip(enc, dec, &f, 1, out, sizeof(out), &len);
  CHECK_EQ_INT(out[0], 0x20);       /* size 0 */
  CHECK_EQ_INT(out[1], 0x3f);       /* size 1000 = 31 + 969 */
  CHECK_EQ_INT(h2_hpack_decoder_table_max_size(dec), 1000);
  /* A huge value from the peer is capped by our own limit (case 16). */
  h2_hpack_encoder_set_peer_max_table_size(enc, 0xffffffffu);
  check_round_trip(enc, dec, &f, 1, out, sizeof(out), &len);
  CHECK_EQ_INT(out[0], 0x3f);
  CHECK_EQ_INT(h2_hpack_decoder_table_max_size(dec), 4096);
  /* Setting the value already in force sends nothing. */
  h2_hpack_encoder_set_peer_max_table_size(enc, 8192);
  check_round_trip(enc, dec, &f, 1, out, sizeof(out), &len);
  CHECK_EQ_INT(len, 1);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
}

static void test_small_cap_announced(void) {
  /* A cap below 4096 must be announced in the first block, since the
   * peer's decoder starts at 4096. */
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  REQUIRE(h2_hpack_encoder_new(&enc, 256, NULL) == 0);
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  h2_header f = field("x-a", "b", 0);
  uint8_t out[64];
  int len;
  check_round_trip(enc, dec, &f, 1, out, sizeof(out), &len);
  CHECK_EQ_INT(h2_hpack_decoder_table_max_size(dec), 256);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
}

static void test_buffer_too_small_keeps_state(void) {
  h2_hpack_encoder *enc;
  REQUIRE(h2_hpack_encoder_new(&enc, 0, NULL) == 0);
  h2_header f = field("x-long", "0123456789012345678901234567890123456789", 0);
  uint8_t out[16];
  CHECK_EQ_INT(h2_hpack_encode(enc, &f, 1, out, sizeof(out)), H2_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ_INT(h2_hpack_encoder_table_entries(enc), 0);
  CHECK(h2_hpack_encode_bound(enc, &f, 1) > sizeof(out));
  h2_hpack_encoder_del(enc);
}

static void random_field(h2_header *h, uint8_t *storage) {
  static const char *names[] = {":path", "accept", "cookie", "x-id", "date",
                                "user-agent", "set-cookie", "etag", "x-zz"};
  const char *name = names[test_rand() % 9];
  size_t vlen = test_rand() % 4 == 0 ? test_rand() % 3000 : test_rand() % 24;
  for (size_t i = 0; i < vlen; i++)
    storage[i] = test_rand() % 2 ? (uint8_t)('a' + test_rand() % 4)
                                 : (uint8_t)test_rand();
  *h = (h2_header){(const uint8_t *)name, storage, (uint32_t)strlen(name),
                   (uint32_t)vlen, test_rand() % 16 == 0 ? H2_HEADER_NEVER_INDEX : 0, 0};
}

/* Random lists, random peer table sizes, decoded with the block cut at a
 * random point: the decoder must always agree with what was encoded. */
static void test_random_round_trips(void) {
  test_srand(test_seed_from_env(42));
  static const uint32_t sizes[] = {0, 1, 64, 256, 4096, 100000};
  static uint8_t storage[16][3000], out[65536];
  h2_hpack_encoder *enc;
  h2_hpack_decoder *dec;
  h2_header_list *list;
  REQUIRE(h2_hpack_encoder_new(&enc, 4096, NULL) == 0);
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  REQUIRE(h2_header_list_new(&list, NULL) == 0);
  for (int block = 0; block < 3000; block++) {
    if (test_rand() % 10 == 0)
      h2_hpack_encoder_set_peer_max_table_size(enc, sizes[test_rand() % 6]);
    h2_header fields[16];
    size_t n = test_rand() % 16;
    for (size_t i = 0; i < n; i++) random_field(&fields[i], storage[i]);
    int len = h2_hpack_encode(enc, fields, n, out, sizeof(out));
    REQUIRE(len >= 0);
    size_t cut = (size_t)(test_rand() % ((uint64_t)len + 1));
    h2_header_list_clear(list);
    CHECK_EQ_INT(h2_hpack_decode(dec, out, cut, 0, list), 0);
    CHECK_EQ_INT(h2_hpack_decode(dec, out + cut, (size_t)len - cut, 1, list), 0);
    REQUIRE(h2_header_list_count(list) == n);
    for (size_t i = 0; i < n; i++) {
      const h2_header *d = &h2_header_list_fields(list)[i];
      CHECK_MEM(d->name, d->name_length, fields[i].name, fields[i].name_length);
      CHECK_MEM(d->value, d->value_length, fields[i].value, fields[i].value_length);
    }
    CHECK_EQ_INT(h2_hpack_decoder_table_size(dec), h2_hpack_encoder_table_size(enc));
  }
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
  h2_hpack_encoder_del(enc);
}

/* The table is allocated at the first block: every allocation failure
 * there leaves the encoder unchanged and usable, and after it encoding
 * allocates nothing. */
static void test_allocation_failures(void) {
  int encoded = 0;
  h2_header f = field("x-a", "b", 0);
  for (size_t fail_at = 1; fail_at < 20 && !encoded; fail_at++) {
    test_alloc ta;
    test_alloc_init(&ta);
    ta.fail_at = fail_at;
    h2_hpack_encoder *enc = NULL;
    uint8_t out[64];
    int rv = h2_hpack_encoder_new(&enc, 4096, &ta.allocator);
    CHECK(rv == 0 || rv == H2_ERR_NOMEM);
    if (rv == 0) rv = h2_hpack_encode(enc, &f, 1, out, sizeof(out));
    CHECK(rv > 0 || rv == H2_ERR_NOMEM);
    if (rv == H2_ERR_NOMEM && enc) {
      CHECK_EQ_INT(h2_hpack_encoder_table_entries(enc), 0);
      ta.fail_at = 0; /* the same encoder works once memory is back */
      CHECK(h2_hpack_encode(enc, &f, 1, out, sizeof(out)) > 0);
    }
    if (rv > 0) {
      encoded = 1;
      size_t before = ta.allocations;
      CHECK(h2_hpack_encode(enc, &f, 1, out, sizeof(out)) > 0);
      CHECK_EQ_INT(ta.allocations, before);
    }
    h2_hpack_encoder_del(enc);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
  CHECK(encoded);
}

TEST_MAIN("hpack_encoder", TEST_CASE(test_sensitive_fields_never_indexed),
          TEST_CASE(test_table_reuse), TEST_CASE(test_size_updates),
          TEST_CASE(test_small_cap_announced),
          TEST_CASE(test_buffer_too_small_keeps_state),
          TEST_CASE(test_random_round_trips),
          TEST_CASE(test_allocation_failures))
