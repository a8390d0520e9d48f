/* Raw HPACK blocks for hostile-server scripts. */
#include "hpack_block.h"

#include <stdlib.h>
#include <string.h>

#include "hpack_huffman.h"

void b_bytes(block *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    b->p = realloc(b->p, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
}

void b_byte(block *b, uint8_t v) { b_bytes(b, &v, 1); }

void b_fill(block *b, uint8_t v, size_t n) {
  for (size_t i = 0; i < n; i++) b_byte(b, v);
}

void b_int(block *b, uint8_t first, unsigned prefix, uint32_t v) {
  uint32_t max = (1u << prefix) - 1;
  if (v < max) {
    b_byte(b, (uint8_t)(first | v));
    return;
  }
  b_byte(b, (uint8_t)(first | max));
  v -= max;
  while (v >= 0x80) {
    b_byte(b, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  b_byte(b, (uint8_t)v);
}

void b_str(block *b, const char *s, size_t n) {
  b_int(b, 0x00, 7, (uint32_t)n);
  b_bytes(b, s, n);
}

void b_huff(block *b, const char *s, size_t n) {
  size_t len = h2_huffman_encoded_length((const uint8_t *)s, n);
  uint8_t *tmp = malloc(len ? len : 1);
  h2_huffman_encode(tmp, (const uint8_t *)s, n);
  b_int(b, 0x80, 7, (uint32_t)len);
  b_bytes(b, tmp, len);
  free(tmp);
}

void b_literal(block *b, int indexing, const char *name, size_t name_length,
               const char *value, size_t value_length) {
  b_byte(b, indexing ? 0x40 : 0x00);
  b_str(b, name, name_length);
  b_str(b, value, value_length);
}

void b_lit(block *b, const char *name, const char *value) {
  b_literal(b, 0, name, strlen(name), value, strlen(value));
}

void b_lit_add(block *b, const char *name, const char *value) {
  b_literal(b, 1, name, strlen(name), value, strlen(value));
}

void b_reset(block *b) { b->n = 0; }

void b_free(block *b) {
  free(b->p);
  memset(b, 0, sizeof(*b));
}

void script_raw_block(h2_script *s, uint32_t stream, int end_stream,
                      const void *bytes, size_t n) {
  uint8_t flags = H2_FLAG_END_HEADERS | (end_stream ? H2_FLAG_END_STREAM : 0);
  script_frame(s, H2_FRAME_HEADERS, flags, stream, bytes, n);
}

void script_block(h2_script *s, uint32_t stream, int end_stream, const block *b) {
  script_raw_block(s, stream, end_stream, b->p, b->n);
}

void script_block_at(h2_script *s, uint32_t stream, int end_stream,
                     const block *b, const size_t *cuts, size_t ncuts,
                     int open_ended) {
  size_t start = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : b->n;
    uint8_t flags = 0;
    if (i == 0 && end_stream) flags |= H2_FLAG_END_STREAM;
    if (i == ncuts && !open_ended) flags |= H2_FLAG_END_HEADERS;
    script_frame(s, i == 0 ? H2_FRAME_HEADERS : H2_FRAME_CONTINUATION, flags,
                 stream, b->p + start, end - start);
    start = end;
  }
}

void script_block_split(h2_script *s, uint32_t stream, int end_stream,
                        const block *b, size_t fragment) {
  size_t *cuts = malloc((b->n / fragment + 1) * sizeof(*cuts)), n = 0;
  for (size_t at = fragment; at < b->n; at += fragment) cuts[n++] = at;
  script_block_at(s, stream, end_stream, b, cuts, n, 0);
  free(cuts);
}
