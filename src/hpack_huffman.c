/*
 * Huffman coding of HPACK strings (RFC 7541 section 5.2 and appendix B).
 *
 * The decoder keeps the unread input left-aligned in a 64-bit accumulator
 * and looks up the top 13 bits in a generated table that yields up to two
 * symbols at once; the rare longer codes are decoded arithmetically from
 * the canonical code's per-length bounds. No per-bit tree walk is needed.
 *
 * Decoding is bound by the latency of one chain: shift the accumulator,
 * load the entry, shift by what it consumed. The loop is therefore kept to
 * that chain while a whole window of input is in hand; end-of-input checks
 * run only once fewer bits than a window are left.
 */
#include <string.h>

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

/* Tops up the accumulator so it holds at least 56 bits, or as much of the
 * input that is left as fits. Whole 8-byte loads are used while they stay
 * in bounds; the last bytes of a string of 8 bytes or more come from one
 * load that ends at the string's end, so no byte loop runs per string.
 * Bits loaded beyond those counted in *bits are the input's own next bits,
 * so OR-ing them in again later changes nothing. */
static inline void refill(uint64_t *acc, unsigned *bits, const uint8_t **p,
                          const uint8_t *in, const uint8_t *end) {
  size_t left = (size_t)(end - *p);
  if (left >= 8) {
    *acc |= h2_load_be64(*p) >> *bits;
    *p += (63 - *bits) >> 3;
    *bits |= 56;
    return;
  }
  if (!left || *bits > 56) return;
  uint64_t next = 0;
  if (end - in >= 8) {
    next = h2_load_be64(end - 8) << (8 * (8 - left));
  } else {
    for (size_t i = 0; i < left; i++)
      next |= (uint64_t)(*p)[i] << (56 - 8 * i);
  }
  size_t room = (64 - *bits) >> 3, take = left < room ? left : room;
  *acc |= next >> *bits;
  *p += take;
  *bits += 8 * (unsigned)take;
}

/* Decodes one code longer than the primary window. Returns the symbol and
 * sets *code_length, or returns -1 when fewer than *code_length bits are
 * left (the caller then checks the padding). Kept out of line: such codes
 * are rare in header text, and inlined, its table bounds would be loaded
 * into registers on every call. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int decode_long(uint64_t acc, unsigned bits, unsigned *code_length) {
  uint64_t top = acc >> 32;
  unsigned i = 0;
  while (top >= h2_huffman_long_limits[i]) i++;
  unsigned length = H2_HUFFMAN_PRIMARY_BITS + 1 + i;
  *code_length = length;
  if (length > bits) return -1;
  uint32_t code = (uint32_t)(top >> (32 - length));
  return h2_huffman_symbols_by_code[(int32_t)code - h2_huffman_long_offsets[i]];
}

/* The primary-table entry for the window at the top of the accumulator. */
static inline uint32_t primary_entry(uint64_t acc) {
  return h2_huffman_primary[acc >> (64 - H2_HUFFMAN_PRIMARY_BITS)];
}

/* Writes both symbols of an entry even when it holds one, in one store:
 * the caller's buffer has room for one byte past the longest possible
 * output, and a second symbol written past the real output is overwritten
 * or ignored. */
static inline void store_symbols(uint8_t *o, uint32_t entry) {
  uint16_t pair = (uint16_t)(entry >> 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  pair = __builtin_bswap16(pair);
#endif
  memcpy(o, &pair, sizeof(pair));
}

/* One primary-table lookup with no checks at all: the caller guarantees a
 * whole window of input is in hand. A longer code's all-zero entry makes
 * it a no-op (it stores a harmless byte pair, consumes and counts
 * nothing), so lookups can run back to back and the caller checks for a
 * long code once after them. */
static inline void decode_step(uint64_t *acc, unsigned *bits, uint8_t **o) {
  uint32_t e = primary_entry(*acc);
  store_symbols(*o, e);
  *o += e >> 30;
  *acc <<= e & 63;
  *bits -= e & 63;
}

/* Decodes the last bits, fewer than a window, with no input left to load,
 * then checks that what remains is a valid padding: a prefix of EOS (all
 * ones) shorter than a byte. Returns the output's end, or NULL. */
static uint8_t *decode_tail(uint64_t acc, unsigned bits, uint8_t *o) {
  while (bits) {
    uint32_t e = primary_entry(acc);
    /* A zero entry is a code longer than the window, so longer than what
     * is left: the string was cut inside it. */
    unsigned total = e & 63, first = (e >> 24) & 31;
    if (!e || first > bits) break;
    store_symbols(o, e);
    unsigned used = total <= bits ? total : first;
    o += total <= bits ? e >> 30 : 1;
    acc <<= used;
    bits -= used;
  }
  if (bits > 7) return NULL;
  if (bits && (acc >> (64 - bits)) != (1u << bits) - 1) return NULL;
  return o;
}

int h2_huffman_decode(uint8_t *out, const uint8_t *in, size_t length) {
  const uint8_t *p = in, *end = in + length;
  uint8_t *o = out;
  uint64_t acc = 0;
  unsigned bits = 0;
  for (;;) {
    if (end - p >= 8) {
      /* At least 56 bits in hand: four lookups of at most 13 bits each
       * are certain to stay within the input. */
      refill(&acc, &bits, &p, in, end);
      decode_step(&acc, &bits, &o);
      decode_step(&acc, &bits, &o);
      decode_step(&acc, &bits, &o);
      decode_step(&acc, &bits, &o);
      if (primary_entry(acc)) continue;
    } else {
      refill(&acc, &bits, &p, in, end);
      while (bits >= H2_HUFFMAN_PRIMARY_BITS && primary_entry(acc))
        decode_step(&acc, &bits, &o);
      if (bits < H2_HUFFMAN_PRIMARY_BITS) {
        if (p < end) continue;
        break;
      }
    }
    /* The next code is longer than the window. */
    refill(&acc, &bits, &p, in, end);
    unsigned code_length;
    int symbol = decode_long(acc, bits, &code_length);
    if (symbol < 0 || symbol == H2_HUFFMAN_EOS) return H2_ERR_CONN_COMPRESSION;
    *o++ = (uint8_t)symbol;
    acc <<= code_length;
    bits -= code_length;
  }
  o = decode_tail(acc, bits, o);
  return o ? (int)(o - out) : H2_ERR_CONN_COMPRESSION;
}
