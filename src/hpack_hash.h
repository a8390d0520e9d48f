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

static inline uint64_t h2_load_le64_partial(const uint8_t *p, size_t n) {
  uint64_t w = 0;
  for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
  return w;
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
 * continue with its value). */
static inline uint32_t h2_hash_bytes(const uint8_t *p, size_t n,
                                     uint64_t seed) {
  uint64_t h = seed ^ ((uint64_t)n * H2_HASH_LENGTH_MUL);
  for (; n >= 8; p += 8, n -= 8) {
    h = (h ^ h2_load_le64(p)) * H2_HASH_MUL1;
    h ^= h >> 32;
  }
  if (n) {
    h = (h ^ h2_load_le64_partial(p, n)) * H2_HASH_MUL1;
    h ^= h >> 32;
  }
  h *= H2_HASH_MUL2;
  h ^= h >> 29;
  return (uint32_t)h;
}

#endif /* H2_HPACK_HASH_H */
