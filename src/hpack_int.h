/* HPACK integers (RFC 7541 section 5.1), shared by decoder and encoder. */
#ifndef H2_HPACK_INT_H
#define H2_HPACK_INT_H

#include <stddef.h>
#include <stdint.h>

/* At most five octets may follow the prefix: enough for any uint32, and a
 * bound on zero-valued continuation runs. */
#define H2_HPACK_INT_MAX_CONTINUATION 5
/* Bytes one encoded integer can take. */
#define H2_HPACK_INT_MAX_LENGTH (1 + H2_HPACK_INT_MAX_CONTINUATION)

/* Decodes an integer with an N-bit prefix from [p, end). Returns the bytes
 * used, 0 when the input ends first, or -1 when the value exceeds 32 bits
 * or takes too many octets. */
static inline int h2_hpack_int_decode(const uint8_t *p, const uint8_t *end,
                                      unsigned prefix_bits, uint32_t *value) {
  uint32_t max_prefix = (1u << prefix_bits) - 1;
  if (p >= end) return 0;
  uint32_t v = *p & max_prefix;
  if (v < max_prefix) {
    *value = v;
    return 1;
  }
  uint64_t acc = v;
  for (int i = 1; i <= H2_HPACK_INT_MAX_CONTINUATION; i++) {
    if (p + i >= end) return 0;
    uint8_t b = p[i];
    acc += (uint64_t)(b & 0x7f) << (7 * (i - 1));
    if (acc > UINT32_MAX) return -1;
    if (!(b & 0x80)) {
      *value = (uint32_t)acc;
      return i + 1;
    }
  }
  return -1;
}

/* Encodes `value` with an N-bit prefix whose upper bits are `first_bits`.
 * Returns the bytes written (at most H2_HPACK_INT_MAX_LENGTH). */
static inline size_t h2_hpack_int_encode(uint8_t *out, uint8_t first_bits,
                                         unsigned prefix_bits, uint32_t value) {
  uint32_t max_prefix = (1u << prefix_bits) - 1;
  if (value < max_prefix) {
    out[0] = (uint8_t)(first_bits | value);
    return 1;
  }
  out[0] = (uint8_t)(first_bits | max_prefix);
  value -= max_prefix;
  size_t n = 1;
  while (value >= 0x80) {
    out[n++] = (uint8_t)(value | 0x80);
    value >>= 7;
  }
  out[n++] = (uint8_t)value;
  return n;
}

#endif /* H2_HPACK_INT_H */
