/*
 * The examples of RFC 7541 appendix C, decoded block by block with the
 * dynamic table carried over, as the RFC does. The request examples with
 * Huffman coding (C.4) are also checked byte for byte against our encoder,
 * whose choices match the RFC's there. Every block is also decoded cut at
 * every offset, which must not change the result.
 */
#include <string.h>

#include "h2/hpack.h"
#include "hex.h"
#include "hpack_int.h"
#include "test.h"

typedef struct example {
  const char *wire;
  const char *headers[8][2];
  uint32_t table_size; /* after the block */
} example;

#define DATE1 "Mon, 21 Oct 2013 20:13:21 GMT"
#define DATE2 "Mon, 21 Oct 2013 20:13:22 GMT"
#define COOKIE "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"

static const example requests_plain[] = {
    {"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
     {{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
      {":authority", "www.example.com"}}, 57},
    {"8286 84be 5808 6e6f 2d63 6163 6865",
     {{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
      {":authority", "www.example.com"}, {"cache-control", "no-cache"}}, 110},
    {"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
     {{":method", "GET"}, {":scheme", "https"}, {":path", "/index.html"},
      {":authority", "www.example.com"}, {"custom-key", "custom-value"}}, 164},
};

static const example requests_huffman[] = {
    {"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
     {{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
      {":authority", "www.example.com"}}, 57},
    {"8286 84be 5886 a8eb 1064 9cbf",
     {{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
      {":authority", "www.example.com"}, {"cache-control", "no-cache"}}, 110},
    {"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
     {{":method", "GET"}, {":scheme", "https"}, {":path", "/index.html"},
      {":authority", "www.example.com"}, {"custom-key", "custom-value"}}, 164},
};

static const example responses_plain[] = {
    {"4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420"
     "3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77"
     "7777 2e65 7861 6d70 6c65 2e63 6f6d",
     {{":status", "302"}, {"cache-control", "private"}, {"date", DATE1},
      {"location", "https://www.example.com"}}, 222},
    {"4803 3330 37c1 c0bf",
     {{":status", "307"}, {"cache-control", "private"}, {"date", DATE1},
      {"location", "https://www.example.com"}}, 222},
    {"88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32"
     "3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a"
     "584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33"
     "3630 303b 2076 6572 7369 6f6e 3d31",
     {{":status", "200"}, {"cache-control", "private"}, {"date", DATE2},
      {"location", "https://www.example.com"}, {"content-encoding", "gzip"},
      {"set-cookie", COOKIE}}, 215},
};

static const example responses_huffman[] = {
    {"4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81"
     "66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
     {{":status", "302"}, {"cache-control", "private"}, {"date", DATE1},
      {"location", "https://www.example.com"}}, 222},
    {"4883 640e ffc1 c0bf",
     {{":status", "307"}, {"cache-control", "private"}, {"date", DATE1},
      {"location", "https://www.example.com"}}, 222},
    {"88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a"
     "839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36"
     "72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
     {{":status", "200"}, {"cache-control", "private"}, {"date", DATE2},
      {"location", "https://www.example.com"}, {"content-encoding", "gzip"},
      {"set-cookie", COOKIE}}, 215},
};

static size_t expected_count(const example *ex) {
  size_t n = 0;
  while (n < 8 && ex->headers[n][0]) n++;
  return n;
}

static void check_fields(const example *ex, const h2_header_list *list) {
  size_t n = expected_count(ex);
  REQUIRE(h2_header_list_count(list) == n);
  const h2_header *f = h2_header_list_fields(list);
  for (size_t i = 0; i < n; i++) {
    CHECK_MEM(f[i].name, f[i].name_length, ex->headers[i][0],
              strlen(ex->headers[i][0]));
    CHECK_MEM(f[i].value, f[i].value_length, ex->headers[i][1],
              strlen(ex->headers[i][1]));
  }
}

/* Decodes a sequence of blocks with one decoder, each block fed in pieces
 * that end at `cut` (0 = whole). */
static void decode_sequence(const example *ex, size_t count,
                            uint32_t table_size, size_t cut) {
  h2_hpack_decoder *dec;
  h2_header_list *list;
  REQUIRE(h2_hpack_decoder_new(&dec, table_size, NULL, NULL) == 0);
  REQUIRE(h2_header_list_new(&list, NULL) == 0);
  for (size_t i = 0; i < count; i++) {
    uint8_t wire[256];
    int len = hex_decode(ex[i].wire, wire, sizeof(wire));
    REQUIRE(len > 0);
    h2_header_list_clear(list);
    size_t split = cut && cut < (size_t)len ? cut : (size_t)len;
    CHECK_EQ_INT(h2_hpack_decode(dec, wire, split, 0, list), 0);
    CHECK_EQ_INT(h2_hpack_decode(dec, wire + split, (size_t)len - split, 1, list), 0);
    check_fields(&ex[i], list);
    CHECK_EQ_INT(h2_hpack_decoder_table_size(dec), ex[i].table_size);
  }
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
}

static void decode_all_cuts(const example *ex, size_t count, uint32_t size) {
  for (size_t cut = 0; cut < 80; cut++) decode_sequence(ex, count, size, cut);
}

static void test_c3_requests_plain(void) { decode_all_cuts(requests_plain, 3, 4096); }
static void test_c4_requests_huffman(void) { decode_all_cuts(requests_huffman, 3, 4096); }
static void test_c5_responses_plain(void) { decode_all_cuts(responses_plain, 3, 256); }
static void test_c6_responses_huffman(void) { decode_all_cuts(responses_huffman, 3, 256); }

static void test_c2_single_representations(void) {
  static const example singles[] = {
      {"400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
       {{"custom-key", "custom-header"}}, 55},
      {"040c 2f73 616d 706c 652f 7061 7468", {{":path", "/sample/path"}}, 0},
      {"1008 7061 7373 776f 7264 0673 6563 7265 74", {{"password", "secret"}}, 0},
      {"82", {{":method", "GET"}}, 0},
  };
  for (size_t i = 0; i < 4; i++) decode_sequence(&singles[i], 1, 4096, 0);
  /* C.2.3 is never-indexed and must say so. */
  h2_hpack_decoder *dec;
  h2_header_list *list;
  uint8_t wire[64];
  int len = hex_decode(singles[2].wire, wire, sizeof(wire));
  REQUIRE(h2_hpack_decoder_new(&dec, 4096, NULL, NULL) == 0);
  REQUIRE(h2_header_list_new(&list, NULL) == 0);
  CHECK_EQ_INT(h2_hpack_decode(dec, wire, (size_t)len, 1, list), 0);
  CHECK(h2_header_list_fields(list)[0].flags & H2_HEADER_NEVER_INDEX);
  h2_header_list_del(list);
  h2_hpack_decoder_del(dec);
}

static void test_c4_encoder_matches(void) {
  h2_hpack_encoder *enc;
  REQUIRE(h2_hpack_encoder_new(&enc, 4096, NULL) == 0);
  for (size_t i = 0; i < 3; i++) {
    const example *ex = &requests_huffman[i];
    h2_header fields[8];
    size_t n = expected_count(ex);
    for (size_t j = 0; j < n; j++) {
      fields[j] = (h2_header){(const uint8_t *)ex->headers[j][0],
                              (const uint8_t *)ex->headers[j][1],
                              (uint32_t)strlen(ex->headers[j][0]),
                              (uint32_t)strlen(ex->headers[j][1]), 0, 0};
    }
    uint8_t expected[128], out[256];
    int expected_len = hex_decode(ex->wire, expected, sizeof(expected));
    int len = h2_hpack_encode(enc, fields, n, out, sizeof(out));
    CHECK_MEM(out, len, expected, expected_len);
    CHECK_EQ_INT(h2_hpack_encoder_table_size(enc), ex->table_size);
  }
  h2_hpack_encoder_del(enc);
}

/* C.1: integer representation, both ways, and every truncation of the
 * encoded form reported as incomplete rather than misread. */
static void test_c1_integers(void) {
  static const struct {
    uint32_t value;
    unsigned prefix;
    uint8_t first_bits;
    const char *hex;
  } v[] = {
      {10, 5, 0x00, "0a"},          /* C.1.1 */
      {1337, 5, 0x00, "1f9a 0a"},   /* C.1.2 */
      {42, 8, 0x00, "2a"},          /* C.1.3 */
      {30, 5, 0xe0, "fe"},          /* prefix bits above the value kept */
      {31, 5, 0x00, "1f00"},        /* exactly the prefix maximum */
      {0xffffffffu, 7, 0x00, "7f80 ffff ff0f"},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    uint8_t expected[8], out[H2_HPACK_INT_MAX_LENGTH];
    int n = hex_decode(v[i].hex, expected, sizeof(expected));
    size_t len = h2_hpack_int_encode(out, v[i].first_bits, v[i].prefix, v[i].value);
    CHECK_MEM(out, len, expected, n);
    uint32_t decoded = 0;
    CHECK_EQ_INT(h2_hpack_int_decode(expected, expected + n, v[i].prefix, &decoded), n);
    CHECK_EQ_INT(decoded, v[i].value);
    for (int cut = 0; cut < n; cut++)
      CHECK_EQ_INT(h2_hpack_int_decode(expected, expected + cut, v[i].prefix, &decoded), 0);
  }
}

TEST_MAIN("hpack_rfc", TEST_CASE(test_c1_integers), TEST_CASE(test_c2_single_representations),
          TEST_CASE(test_c3_requests_plain), TEST_CASE(test_c4_requests_huffman),
          TEST_CASE(test_c5_responses_plain), TEST_CASE(test_c6_responses_huffman),
          TEST_CASE(test_c4_encoder_matches))
