#include "hex.h"

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int hex_decode(const char *hex, uint8_t *out, size_t capacity) {
  size_t n = 0;
  int high = -1;
  for (; *hex; hex++) {
    if (*hex == ' ' || *hex == '\n') continue;
    int v = nibble(*hex);
    if (v < 0) return -1;
    if (high < 0) {
      high = v;
      continue;
    }
    if (n == capacity) return -1;
    out[n++] = (uint8_t)(high << 4 | v);
    high = -1;
  }
  return high < 0 ? (int)n : -1;
}
