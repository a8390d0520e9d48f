/* Huffman coding: known vectors, every symbol, random round trips and
 * every way a string can be malformed (RFC 7541 section 5.2). */
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "hex.h"
#include "test.h"

static int decode_hex(const char *hex, uint8_t *out) {
  uint8_t in[256];
  int n = hex_decode(hex, in, sizeof(in));
  return n < 0 ? -1000 : h2_huffman_decode(out, in, (size_t)n);
}

static void test_rfc_vectors(void) {
  static const struct { const char *text, *hex; } v[] = {
      {"www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"},
      {"no-cache", "a8eb 1064 9cbf"},
      {"custom-key", "25a8 49e9 5ba9 7d7f"},
      {"custom-value", "25a8 49e9 5bb8 e8b4 bf"},
      {"302", "6402"},
      {"private", "aec3 771a 4b"},
      {"https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    uint8_t expected[64], out[128];
    int expected_len = hex_decode(v[i].hex, expected, sizeof(expected));
    size_t len = strlen(v[i].text);
    CHECK_EQ_INT(h2_huffman_encoded_length((const uint8_t *)v[i].text, len),
                 expected_len);
    size_t n = h2_huffman_encode(out, (const uint8_t *)v[i].text, len);
    CHECK_MEM(out, n, expected, expected_len);
    int d = h2_huffman_decode(out, expected, (size_t)expected_len);
    CHECK_MEM(out, d, v[i].text, len);
  }
}

static void round_trip(const uint8_t *in, size_t len) {
  static uint8_t encoded[65536], decoded[65536 * 2];
  size_t n = h2_huffman_encode(encoded, in, len);
  CHECK_EQ_INT(n, h2_huffman_encoded_length(in, len));
  int d = h2_huffman_decode(decoded, encoded, n);
  CHECK_MEM(decoded, d, in, len);
}

static void test_every_symbol(void) {
  uint8_t all[256];
  for (int i = 0; i < 256; i++) {
    all[i] = (uint8_t)i;
    round_trip(&all[i], 1);
    uint8_t pair[2] = {(uint8_t)i, (uint8_t)(255 - i)};
    round_trip(pair, 2);
  }
  round_trip(all, sizeof(all));
}

static void test_random_strings(void) {
  test_srand(test_seed_from_env(7));
  uint8_t buf[4096];
  for (int iter = 0; iter < 3000; iter++) {
    size_t len = test_rand() % sizeof(buf);
    int alphabet = (int)(test_rand() % 3);
    for (size_t i = 0; i < len; i++) {
      uint64_t r = test_rand();
      /* Mix printable text (short codes) with raw bytes (long codes). */
      buf[i] = alphabet == 0 ? (uint8_t)(0x20 + r % 95)
               : alphabet == 1 ? (uint8_t)r
                               : (uint8_t)("etaoin/=-_0123456789"[r % 20]);
    }
    round_trip(buf, len);
  }
}

static void test_maximum_expansion(void) {
  /* '0' has a 5-bit code: 8 bytes of input decode to 12.8 symbols. */
  uint8_t text[1000], encoded[1000], out[1000 * 8 / 5 + 2];
  memset(text, '0', sizeof(text));
  size_t n = h2_huffman_encode(encoded, text, sizeof(text));
  CHECK_EQ_INT(n, 625);
  CHECK_EQ_INT(h2_huffman_decode(out, encoded, n), 1000);
  CHECK_EQ_INT(h2_huffman_decode(out, encoded, n), (int)(n * 8 / 5));
}

static void test_malformed(void) {
  uint8_t out[64];
  /* "302" followed by a whole byte of ones: padding longer than 7 bits. */
  CHECK_EQ_INT(decode_hex("6402 ff", out), H2_ERR_CONN_COMPRESSION);
  /* A lone byte of ones is 8 bits of padding. */
  CHECK_EQ_INT(decode_hex("ff", out), H2_ERR_CONN_COMPRESSION);
  /* Padding of zeros instead of ones: '0' is 00000, then 000 is not EOS. */
  CHECK_EQ_INT(decode_hex("00", out), H2_ERR_CONN_COMPRESSION);
  /* The EOS symbol (30 ones) inside a string. */
  CHECK_EQ_INT(decode_hex("ffff fffc", out), H2_ERR_CONN_COMPRESSION);
  CHECK_EQ_INT(decode_hex("1fff ffff ff", out), H2_ERR_CONN_COMPRESSION);
  /* Valid: 7 bits of padding after a 1-bit... '0' (5 bits) + 3 ones. */
  CHECK_EQ_INT(decode_hex("07", out), 1);
  CHECK_EQ_INT(out[0], '0');
  /* Every truncation of a valid string either decodes a prefix of the
   * text or is rejected; it never reads past its input. */
  uint8_t encoded[64];
  const char *text = "https://www.example.com/index.html?q=\x7f\xff";
  size_t n = h2_huffman_encode(encoded, (const uint8_t *)text, strlen(text));
  for (size_t cut = 0; cut < n; cut++) {
    int d = h2_huffman_decode(out, encoded, cut);
    CHECK(d == H2_ERR_CONN_COMPRESSION ||
          (d >= 0 && memcmp(out, text, (size_t)d) == 0));
  }
}

TEST_MAIN("huffman", TEST_CASE(test_rfc_vectors), TEST_CASE(test_every_symbol),
          TEST_CASE(test_random_strings), TEST_CASE(test_maximum_expansion),
          TEST_CASE(test_malformed))
