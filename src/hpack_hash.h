/* The string hash the HPACK encoder uses to find table entries. It works
 * on 8-byte little-endian words so long values (cookies) hash quickly, and
 * tools/gen_static_table.py computes the same function to lay out the
 * static table's name index, so the two must change together. */
#ifndef H2_HPACK_HASH_H
#define H2_HPACK_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define H2_HASH_MUL1 0xff51afd7ed558ccdull
#define H2_HASH_MUL2 0xc4ceb9fe1a85ec53ull
#define H2_HASH_LENGTH_MUL 0x9e3779b97f4a7c15ull

static inline uint32_t h2_load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* Folds 1 to 7 bytes into a word without a per-byte loop: two overlapping
 * 4-byte loads, or the first, middle and last byte. Not the bytes' value,
 * but a function of them all, which is all a hash needs. */
static inline uint64_t h2_load_le64_partial(const uint8_t *p, size_t n) {
  if (n >= 4) return h2_load_le32(p) | (uint64_t)h2_load_le32(p + n - 4) << 32;
  return (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
}

static inline uint64_t h2_load_le64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

/* Hashes `n` bytes, mixing in `seed` (0 for a name; a name's hash to
 * continue with its value). Two independent lanes take alternate words so
 * their multiplications overlap: long values hash at about twice the speed
 * of one chain. */
static inline uint32_t h2_hash_bytes(const uint8_t *p, size_t n,
                                     uint64_t seed) {
  uint64_t a = seed ^ ((uint64_t)n * H2_HASH_LENGTH_MUL);
  uint64_t b = H2_HASH_MUL2 ^ (uint64_t)n;
  for (; n >= 16; p += 16, n -= 16) {
    a = (a ^ h2_load_le64(p)) * H2_HASH_MUL1;
    b = (b ^ h2_load_le64(p + 8)) * H2_HASH_MUL2;
    a ^= a >> 32;
    b ^= b >> 32;
  }
  if (n >= 8) {
    a = (a ^ h2_load_le64(p)) * H2_HASH_MUL1;
    a ^= a >> 32;
    p += 8;
    n -= 8;
  }
  if (n) {
    b = (b ^ h2_load_le64_partial(p, n)) * H2_HASH_MUL2;
    b ^= b >> 32;
  }
  uint64_t h = (a ^ (b << 31 | b >> 33)) * H2_HASH_MUL2;
  h ^= h >> 29;
  return (uint32_t)h;
}

#endif /* H2_HPACK_HASH_H */
