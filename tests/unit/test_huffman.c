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

/* ---- A bit-at-a-time reference decoder --------------------------------
 *
 * Long strings are decoded by two chains that must meet (see
 * src/hpack_huffman.c), so every long string, valid or not, is checked
 * against this plain decoder. Its code table comes from the encoder: eight
 * copies of a symbol take exactly its code length in bytes, with no
 * padding, and start with its code. */

typedef struct reference_code {
  uint32_t bits;
  unsigned length;
} reference_code;

static reference_code reference_codes[257];
/* The symbols of each code length, so a lookup scans only those. */
static int reference_by_length[31][257];
static int reference_count[31];

static void reference_init(void) {
  for (int s = 0; s < 256; s++) {
    uint8_t eight[8], encoded[32];
    memset(eight, s, sizeof(eight));
    size_t length = h2_huffman_encode(encoded, eight, sizeof(eight));
    uint32_t code = 0;
    for (size_t i = 0; i < length; i++)
      code = (code << 1) | ((encoded[i / 8] >> (7 - i % 8)) & 1);
    reference_codes[s] = (reference_code){code, (unsigned)length};
  }
  reference_codes[256] = (reference_code){0x3fffffff, 30}; /* EOS */
  memset(reference_count, 0, sizeof(reference_count));
  for (int s = 0; s < 257; s++) {
    unsigned length = reference_codes[s].length;
    reference_by_length[length][reference_count[length]++] = s;
  }
}

/* Returns the decoded length, or H2_ERR_CONN_COMPRESSION. */
static int reference_decode(uint8_t *out, const uint8_t *in, size_t length) {
  uint32_t code = 0;
  unsigned bits = 0;
  int n = 0;
  for (size_t i = 0; i < 8 * length; i++) {
    code = (code << 1) | ((in[i / 8] >> (7 - i % 8)) & 1);
    bits++;
    if (bits > 30) return H2_ERR_CONN_COMPRESSION;
    for (int k = 0; k < reference_count[bits]; k++) {
      int s = reference_by_length[bits][k];
      if (reference_codes[s].bits != code) continue;
      if (s == 256) return H2_ERR_CONN_COMPRESSION;
      out[n++] = (uint8_t)s;
      code = 0;
      bits = 0;
      break;
    }
  }
  /* Padding: fewer than 8 bits, all ones. */
  if (bits > 7 || code != (1u << bits) - 1) return H2_ERR_CONN_COMPRESSION;
  return n;
}

static void check_against_reference(const uint8_t *in, size_t length) {
  static uint8_t ours[8192], theirs[8192];
  int a = h2_huffman_decode(ours, in, length);
  int b = reference_decode(theirs, in, length);
  CHECK_EQ_INT(a, b);
  if (a == b && a > 0) CHECK_MEM(ours, a, theirs, b);
}

/* Long strings of header-like text, sometimes with raw bytes (long codes)
 * mixed in, decoded whole and then damaged every way that matters to two
 * chains: a flipped bit (the chains may meet on a wrong path, or never),
 * an EOS code dropped in, and a cut at any length. */
static void test_long_strings_match_reference(void) {
  reference_init();
  test_srand(test_seed_from_env(11));
  static uint8_t text[3000], encoded[3000 * 4];
  for (int iter = 0; iter < 400; iter++) {
    size_t length = 48 + test_rand() % 1500;
    unsigned raw_every = iter % 3 == 0 ? 0 : (unsigned)(20 + test_rand() % 200);
    for (size_t i = 0; i < length; i++) {
      uint64_t r = test_rand();
      text[i] = raw_every && r % raw_every == 0
                    ? (uint8_t)(r >> 8)
                    : (uint8_t)("abcdefghijklmnopqrstuvwxyz0123456789"
                                "-_./=;:, ABCXYZ%&"[r % 53]);
    }
    size_t n = h2_huffman_encode(encoded, text, length);
    check_against_reference(encoded, n);
    for (int k = 0; k < 4; k++) {
      size_t bit = test_rand() % (8 * n);
      encoded[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
      check_against_reference(encoded, n);
      encoded[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
    }
    size_t at = test_rand() % (n - 4);
    uint8_t saved[4];
    memcpy(saved, encoded + at, 4);
    memcpy(encoded + at, "\xff\xff\xff\xfc", 4);
    check_against_reference(encoded, n);
    memcpy(encoded + at, saved, 4);
    check_against_reference(encoded, test_rand() % n);
  }
}

TEST_MAIN("huffman", TEST_CASE(test_rfc_vectors), TEST_CASE(test_every_symbol),
          TEST_CASE(test_random_strings), TEST_CASE(test_maximum_expansion),
          TEST_CASE(test_malformed),
          TEST_CASE(test_long_strings_match_reference))
