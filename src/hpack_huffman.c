/*
 * Huffman coding of HPACK strings (RFC 7541 section 5.2 and appendix B).
 *
 * The decoder keeps the unread input left-aligned in a 64-bit accumulator
 * and looks up the top 12 bits in a generated table that yields up to two
 * symbols at once; the rare longer codes are decoded arithmetically from
 * the canonical code's per-length bounds. No per-bit tree walk is needed.
 */
#include "h2/error.h"
#include "h2/hpack.h"
#include "byte_order.h"
#include "hpack_huffman.h"
#include "hpack_huffman_table.h"

size_t h2_huffman_encoded_length(const uint8_t *in, size_t length) {
  uint64_t bits = 0;
  for (size_t i = 0; i < length; i++) bits += h2_huffman_lengths[in[i]];
  return (size_t)((bits + 7) / 8);
}

size_t h2_huffman_encode(uint8_t *out, const uint8_t *in, size_t length) {
  uint8_t *o = out;
  uint64_t acc = 0;
  unsigned bits = 0; /* valid low bits of acc; always below 32 here */
  for (size_t i = 0; i < length; i++) {
    unsigned code_length = h2_huffman_lengths[in[i]];
    acc = (acc << code_length) | h2_huffman_codes[in[i]];
    bits += code_length;
    if (bits >= 32) {
      bits -= 32;
      h2_store_be32(o, (uint32_t)(acc >> bits));
      o += 4;
    }
  }
  /* Pad the last byte with the most significant bits of EOS (all ones). */
  unsigned pad = (8 - (bits & 7)) & 7;
  acc = (acc << pad) | ((1u << pad) - 1);
  bits += pad;
  while (bits) {
    bits -= 8;
    *o++ = (uint8_t)(acc >> bits);
  }
  return (size_t)(o - out);
}

size_t h2_huffman_encode_if_shorter(uint8_t *out, const uint8_t *in,
                                    size_t length) {
  uint8_t *o = out;
  uint64_t acc = 0;
  unsigned bits = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned code_length = h2_huffman_lengths[in[i]];
    acc = (acc << code_length) | h2_huffman_codes[in[i]];
    bits += code_length;
    if (bits >= 32) {
      bits -= 32;
      h2_store_be32(o, (uint32_t)(acc >> bits));
      o += 4;
      /* Giving up as soon as the output is no shorter keeps binary values
       * cheap: they are sent raw. */
      if ((size_t)(o - out) >= length) return 0;
    }
  }
  unsigned pad = (8 - (bits & 7)) & 7;
  acc = (acc << pad) | ((1u << pad) - 1);
  bits += pad;
  while (bits) {
    bits -= 8;
    *o++ = (uint8_t)(acc >> bits);
  }
  return (size_t)(o - out) < length ? (size_t)(o - out) : 0;
}

/* Tops up the accumulator so it holds at least 56 bits, or all the input
 * that is left. Whole 8-byte loads are used while they stay in bounds. */
static inline void refill(uint64_t *acc, unsigned *bits, const uint8_t **p,
                          const uint8_t *end) {
  if (end - *p >= 8) {
    *acc |= h2_load_be64(*p) >> *bits;
    *p += (63 - *bits) >> 3;
    *bits |= 56;
    return;
  }
  while (*bits <= 56 && *p < end) {
    *acc |= (uint64_t)*(*p)++ << (56 - *bits);
    *bits += 8;
  }
}

/* Decodes one code longer than the primary window. Returns the symbol and
 * sets *code_length, or returns -1 when fewer than *code_length bits are
 * left (the caller then checks the padding). */
static inline int decode_long(uint64_t acc, unsigned bits,
                              unsigned *code_length) {
  uint64_t top = acc >> 32;
  unsigned i = 0;
  while (top >= h2_huffman_long_limits[i]) i++;
  unsigned length = H2_HUFFMAN_PRIMARY_BITS + 1 + i;
  *code_length = length;
  if (length > bits) return -1;
  uint32_t code = (uint32_t)(top >> (32 - length));
  return h2_huffman_symbols_by_code[(int32_t)code - h2_huffman_long_offsets[i]];
}

/* Decodes one primary-table step. Returns 1 when a short code was
 * decoded, 0 when the next code is longer than the window, -1 when only
 * padding (or a code cut by the end of input) is left. */
static inline int decode_short(uint64_t *acc, unsigned *bits, uint8_t **o) {
  uint32_t e = h2_huffman_primary[*acc >> (64 - H2_HUFFMAN_PRIMARY_BITS)];
  if (!e) return 0;
  unsigned count = (e >> 10) & 3, total = e & 31, first = (e >> 5) & 31;
  /* Both symbols are stored even when only one is used; the output buffer
   * has one byte of slack for that. */
  (*o)[0] = (uint8_t)(e >> 16);
  (*o)[1] = (uint8_t)(e >> 24);
  if (total <= *bits) {
    *o += count;
    *acc <<= total;
    *bits -= total;
  } else if (first <= *bits) {
    *o += 1;
    *acc <<= first;
    *bits -= first;
  } else {
    return -1;
  }
  return 1;
}

/* A primary-table step when at least 12 bits are certain to be in hand,
 * so neither code can run past the input. Returns 0 for a long code. */
static inline int decode_short_unchecked(uint64_t *acc, unsigned *bits,
                                         uint8_t **o) {
  uint32_t e = h2_huffman_primary[*acc >> (64 - H2_HUFFMAN_PRIMARY_BITS)];
  if (!e) return 0;
  (*o)[0] = (uint8_t)(e >> 16);
  (*o)[1] = (uint8_t)(e >> 24);
  *o += (e >> 10) & 3;
  *acc <<= e & 31;
  *bits -= e & 31;
  return 1;
}

int h2_huffman_decode(uint8_t *out, const uint8_t *in, size_t length) {
  const uint8_t *p = in, *end = in + length;
  uint8_t *o = out;
  uint64_t acc = 0;
  unsigned bits = 0;
  for (;;) {
    refill(&acc, &bits, &p, end);
    if (bits == 0) break;
    /* With four windows' worth of bits in hand, four short codes are
     * certain to be whole: decode them with no end-of-input checks. */
    if (bits >= 4 * H2_HUFFMAN_PRIMARY_BITS) {
      if (decode_short_unchecked(&acc, &bits, &o) &&
          decode_short_unchecked(&acc, &bits, &o) &&
          decode_short_unchecked(&acc, &bits, &o) &&
          decode_short_unchecked(&acc, &bits, &o))
        continue;
    } else {
      int step = decode_short(&acc, &bits, &o);
      if (step > 0) continue;
      if (step < 0) break; /* only padding can be left */
    }
    if (h2_huffman_primary[acc >> (64 - H2_HUFFMAN_PRIMARY_BITS)]) continue;
    refill(&acc, &bits, &p, end);
    unsigned code_length;
    int symbol = decode_long(acc, bits, &code_length);
    if (symbol < 0) break;
    if (symbol == H2_HUFFMAN_EOS) return H2_ERR_CONN_COMPRESSION;
    *o++ = (uint8_t)symbol;
    acc <<= code_length;
    bits -= code_length;
  }
  /* What is left must be a prefix of EOS shorter than a byte. */
  if (bits > 7) return H2_ERR_CONN_COMPRESSION;
  if (bits && (acc >> (64 - bits)) != (1u << bits) - 1)
    return H2_ERR_CONN_COMPRESSION;
  return (int)(o - out);
}
