/* Big-endian loads and stores. memcpy keeps them free of alignment and
 * aliasing trouble; compilers turn each into one instruction. */
#ifndef H2_BYTE_ORDER_H
#define H2_BYTE_ORDER_H

#include <stdint.h>
#include <string.h>

static inline uint64_t h2_load_be64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline void h2_store_be32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, sizeof(v));
}

#endif /* H2_BYTE_ORDER_H */
