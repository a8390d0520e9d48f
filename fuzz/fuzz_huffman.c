/*
 * libFuzzer target for the Huffman code of RFC 7541 appendix B.
 *
 * The input is used twice:
 *  - as a Huffman string to decode. When it decodes, encoding the result
 *    must give back the input byte for byte: the code is prefix-free and
 *    valid padding (at most seven one bits) is unique, so there is exactly
 *    one valid encoding of any string.
 *  - as a plain string to encode. The encoding must be as long as
 *    h2_huffman_encoded_length says and decode back to the input.
 * Every buffer is allocated at exactly the size the API documents, so
 * AddressSanitizer catches a write or read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition) {
  if (!condition) abort();
}

static int same_bytes(const uint8_t *a, size_t a_length, const uint8_t *b,
                      size_t b_length) {
  return a_length == b_length && (!a_length || memcmp(a, b, a_length) == 0);
}

/* The output room h2_huffman_decode asks for. */
static size_t decode_room(size_t length) { return length * 8 / 5 + 2; }

/* Encodes into an exact-size buffer, checking the announced length. */
static uint8_t *encode(const uint8_t *in, size_t length, size_t *encoded) {
  *encoded = h2_huffman_encoded_length(in, length);
  uint8_t *out = malloc(*encoded ? *encoded : 1);
  require(out != NULL);
  require(h2_huffman_encode(out, in, length) == *encoded);
  /* Each symbol takes 5 to 30 bits, padding fewer than 8. */
  require(*encoded * 8 >= length * 5);
  require(*encoded <= (length * 30 + 7) / 8);
  return out;
}

static void check_decode_then_encode(const uint8_t *data, size_t size) {
  uint8_t *decoded = malloc(decode_room(size));
  require(decoded != NULL);
  int n = h2_huffman_decode(decoded, data, size);
  if (n < 0) {
    require(n == H2_ERR_CONN_COMPRESSION);
  } else {
    require((size_t)n <= size * 8 / 5);
    size_t length;
    uint8_t *again = encode(decoded, (size_t)n, &length);
    require(same_bytes(again, length, data, size));
    free(again);
  }
  free(decoded);
}

static void check_encode_then_decode(const uint8_t *data, size_t size) {
  size_t length;
  uint8_t *encoded = encode(data, size, &length);
  uint8_t *decoded = malloc(decode_room(length));
  require(decoded != NULL);
  int n = h2_huffman_decode(decoded, encoded, length);
  require(n >= 0 && same_bytes(decoded, (size_t)n, data, size));
  free(decoded);
  free(encoded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_decode_then_encode(data, size);
  check_encode_then_decode(data, size);
  return 0;
}
