/*
 * Huffman coding of HPACK strings (RFC 7541 section 5.2 and appendix B).
 *
 * The decoder keeps the unread input left-aligned in a 64-bit accumulator
 * and looks up the top 12 bits in a generated table that yields up to two
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

/* ---- Decoding ---------------------------------------------------------- */

/* A position in a Huffman string: the unread input left-aligned in `acc`
 * (`bits` of it counted), then the bytes from `p` on. */
typedef struct bit_reader {
  uint64_t acc;
  unsigned bits;
  const uint8_t *p;
} bit_reader;

/* Tops up the accumulator so it holds at least 56 bits, or as much of the
 * input that is left as fits. Whole 8-byte loads are used while they stay
 * in bounds; the last bytes of a string of 8 bytes or more come from one
 * load that ends at the string's end, so no byte loop runs per string.
 * Bits loaded beyond those counted in `bits` are the input's own next
 * bits, so OR-ing them in again later changes nothing. */
static inline void refill(bit_reader *r, const uint8_t *in,
                          const uint8_t *end) {
  size_t left = (size_t)(end - r->p);
  if (left >= 8) {
    r->acc |= h2_load_be64(r->p) >> r->bits;
    r->p += (63 - r->bits) >> 3;
    r->bits |= 56;
    return;
  }
  if (!left || r->bits > 56) return;
  uint64_t next = 0;
  if (end - in >= 8) {
    next = h2_load_be64(end - 8) << (8 * (8 - left));
  } else {
    for (size_t i = 0; i < left; i++)
      next |= (uint64_t)r->p[i] << (56 - 8 * i);
  }
  size_t room = (64 - r->bits) >> 3, take = left < room ? left : room;
  r->acc |= next >> r->bits;
  r->p += take;
  r->bits += 8 * (unsigned)take;
}

/* Starts reading at bit `pos` of the string. */
static inline void seek(bit_reader *r, const uint8_t *in, const uint8_t *end,
                        size_t pos) {
  r->acc = 0;
  r->bits = 0;
  r->p = in + pos / 8;
  refill(r, in, end);
  r->acc <<= pos % 8;
  r->bits -= (unsigned)(pos % 8);
}

/* The bit position of the next unread code. */
static inline size_t position(const bit_reader *r, const uint8_t *in) {
  return 8 * (size_t)(r->p - in) - r->bits;
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
 * long code once after them. Returns the bits consumed. */
static inline unsigned decode_step(bit_reader *r, uint8_t **o) {
  uint32_t e = primary_entry(r->acc);
  store_symbols(*o, e);
  *o += e >> 30;
  r->acc <<= e & 63;
  r->bits -= e & 63;
  return e & 63;
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

/* Decodes from bit `pos`, a code boundary, to the end of the string, with
 * output continuing at `o`. Returns the output's end, or NULL when the
 * string is malformed. */
static uint8_t *decode_rest(const uint8_t *in, const uint8_t *end, size_t pos,
                            uint8_t *o) {
  bit_reader r;
  seek(&r, in, end, pos);
  for (;;) {
    if (end - r.p >= 8) {
      /* At least 56 bits in hand: four lookups of at most 12 bits each
       * are certain to stay within the input. */
      refill(&r, in, end);
      decode_step(&r, &o);
      decode_step(&r, &o);
      decode_step(&r, &o);
      decode_step(&r, &o);
      if (primary_entry(r.acc)) continue;
    } else {
      refill(&r, in, end);
      while (r.bits >= H2_HUFFMAN_PRIMARY_BITS && primary_entry(r.acc))
        decode_step(&r, &o);
      if (r.bits < H2_HUFFMAN_PRIMARY_BITS) {
        if (r.p < end) continue;
        break;
      }
    }
    /* The next code is longer than the window. */
    refill(&r, in, end);
    unsigned code_length;
    int symbol = decode_long(r.acc, r.bits, &code_length);
    if (symbol < 0 || symbol == H2_HUFFMAN_EOS) return NULL;
    *o++ = (uint8_t)symbol;
    r.acc <<= code_length;
    r.bits -= code_length;
  }
  return decode_tail(r.acc, r.bits, o);
}

/* ---- Two chains on one string -------------------------------------------
 *
 * One lookup depends on the one before, so a single chain leaves most of
 * the processor idle. A long string is therefore decoded from two places
 * at once: chain A from a known code boundary, chain B from a byte
 * boundary further on, which may fall inside a code. B may decode a few
 * wrong symbols, but a Huffman code soon falls back into step, and B
 * records where each of its lookups ended. When A reaches one of those
 * positions, it is at the same code boundary as B was, so everything B
 * decoded from there on is right: A takes B's output and jumps to where B
 * stopped. If they never meet, A has simply decoded on its own. B stops at
 * any code longer than the window and never judges the string: every
 * error is found by A or by the one-chain decoder that finishes the
 * string. */

/* Bytes at most that chain B decodes in one round; its marks and output
 * live on the stack. */
#define SPLIT_CHUNK 128
/* Strings shorter than this (from the current position) are left to one
 * chain: a round's fixed costs (starting B, joining, finishing with one
 * chain) outweighed what it saved below about 70 bytes in measurement. */
#define SPLIT_MIN_BYTES 96
/* Lookups chain B can make in one round: each consumes at least 5 bits. */
#define SPLIT_MAX_MARKS (8 * SPLIT_CHUNK / 5 + 8)

/* Where one of chain B's lookups ended: the bit position (from B's start)
 * and how many bytes B had written by then. */
typedef struct split_mark {
  uint16_t bit;
  uint16_t written;
} split_mark;

typedef struct split_round {
  size_t b_start; /* B's first bit */
  size_t b_limit; /* B stops past this bit */
  split_mark marks[SPLIT_MAX_MARKS];
  unsigned count;
  uint8_t output[2 * SPLIT_MAX_MARKS + 2];
} split_round;

/* Runs both chains, one lookup each in turn, until A reaches B's start or
 * meets a code longer than the window. B stops at its limit or at such a
 * code, recording where each lookup ended. Returns A's output end. The
 * state lives in locals: through pointers, the compiler would have to
 * reload it after every store of symbols, which might alias it. */
static uint8_t *run_chains(split_round *s, const uint8_t *in,
                           const uint8_t *end, bit_reader *a_state,
                           uint8_t *a_out) {
  bit_reader a = *a_state, b;
  seek(&b, in, end, s->b_start);
  uint8_t *b_out = s->output;
  unsigned b_bit = 0, b_room = (unsigned)(s->b_limit - s->b_start);
  split_mark *mark = s->marks;
  *mark++ = (split_mark){0, 0};
  while (position(&a, in) < s->b_start) {
    refill(&a, in, end);
    refill(&b, in, end);
    for (int k = 0; k < 4; k++) {
      decode_step(&a, &a_out);
      b_bit += decode_step(&b, &b_out);
      *mark++ = (split_mark){(uint16_t)b_bit, (uint16_t)(b_out - s->output)};
    }
    if (!primary_entry(a.acc) || b_bit >= b_room) break;
  }
  s->count = (unsigned)(mark - s->marks);
  *a_state = a;
  return a_out;
}

/* Steps A one symbol at a time (so it stops at every code boundary) until
 * it reaches a position B recorded; then takes B's output from there.
 * Returns the bit A ends at. */
static size_t join_chains(const split_round *s, const uint8_t *in,
                          const uint8_t *end, bit_reader *a, uint8_t **o) {
  const split_mark *last = &s->marks[s->count - 1];
  size_t pos = position(a, in);
  unsigned j = 0;
  while (pos <= s->b_start + last->bit) {
    while (s->b_start + s->marks[j].bit < pos) j++;
    if (s->b_start + s->marks[j].bit == pos) {
      size_t taken = (size_t)(last->written - s->marks[j].written);
      memcpy(*o, s->output + s->marks[j].written, taken);
      *o += taken;
      return s->b_start + last->bit;
    }
    refill(a, in, end);
    uint32_t e = primary_entry(a->acc);
    if (!e) break;
    unsigned first = (e >> 24) & 31;
    *(*o)++ = (uint8_t)(e >> 8);
    a->acc <<= first;
    a->bits -= first;
    pos += first;
  }
  return pos;
}

/* One round of two chains from bit `pos`, a code boundary, with at least
 * SPLIT_MIN_BYTES of input left. Returns the code boundary reached and
 * advances *o past the output up to it. */
static size_t split_decode(const uint8_t *in, const uint8_t *end, size_t pos,
                           uint8_t **o) {
  size_t left = (size_t)(end - in) - pos / 8;
  /* B starts half way and stays 16 bytes away from the end, so that both
   * chains always have whole 8-byte loads at hand. */
  size_t half = (left - 16) / 2;
  if (half > SPLIT_CHUNK) half = SPLIT_CHUNK;
  split_round s;
  s.b_start = 8 * (pos / 8 + half);
  s.b_limit = s.b_start + 8 * half;
  bit_reader a;
  seek(&a, in, end, pos);
  *o = run_chains(&s, in, end, &a, *o);
  return join_chains(&s, in, end, &a, o);
}

int h2_huffman_decode(uint8_t *out, const uint8_t *in, size_t length) {
  const uint8_t *end = in + length;
  uint8_t *o = out;
  size_t pos = 0;
  while (length - pos / 8 >= SPLIT_MIN_BYTES) {
    size_t next = split_decode(in, end, pos, &o);
    if (next == pos) break; /* a long code: leave it to one chain */
    pos = next;
  }
  o = decode_rest(in, end, pos, o);
  return o ? (int)(o - out) : H2_ERR_CONN_COMPRESSION;
}
