/*
 * Raw HPACK blocks for hostile-server scripts, built byte by byte so a
 * test controls exactly what the server's encoder "did": integers with
 * any prefix, raw or Huffman strings, literals with or without indexing,
 * and bytes no conforming encoder would write. (h2_script's own encoder
 * is for blocks whose encoding does not matter.)
 */
#ifndef H2_TEST_HPACK_BLOCK_H
#define H2_TEST_HPACK_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "h2_script.h"

typedef struct block {
  uint8_t *p;
  size_t n, cap;
} block;

void b_bytes(block *b, const void *p, size_t n);
void b_byte(block *b, uint8_t v);
void b_fill(block *b, uint8_t v, size_t n);
/* An integer with an N-bit prefix (RFC 7541 5.1); `first` holds the
 * representation's bits above the prefix. */
void b_int(block *b, uint8_t first, unsigned prefix, uint32_t v);
/* A string literal, raw (H = 0) or Huffman-coded (H = 1). */
void b_str(block *b, const char *s, size_t n);
void b_huff(block *b, const char *s, size_t n);
/* A literal field with a new name, with incremental indexing (RFC 7541
 * 6.2.1) when `indexing`, else without indexing (6.2.2). */
void b_literal(block *b, int indexing, const char *name, size_t name_length,
               const char *value, size_t value_length);
/* The same for C strings: without indexing (b_lit), with it (b_lit_add). */
void b_lit(block *b, const char *name, const char *value);
void b_lit_add(block *b, const char *name, const char *value);
/* Empties the block, keeping its buffer. */
void b_reset(block *b);
void b_free(block *b);

/* One HEADERS frame with END_HEADERS carrying raw block bytes. */
void script_raw_block(h2_script *s, uint32_t stream, int end_stream,
                      const void *bytes, size_t n);
/* HEADERS with END_HEADERS carrying a whole block. */
void script_block(h2_script *s, uint32_t stream, int end_stream, const block *b);
/* A block as HEADERS + CONTINUATIONs cut at the given offsets (ascending,
 * inside the block). END_HEADERS goes on the last frame unless
 * `open_ended`. */
void script_block_at(h2_script *s, uint32_t stream, int end_stream,
                     const block *b, const size_t *cuts, size_t ncuts,
                     int open_ended);
/* A block cut into fragments of at most `fragment` bytes. */
void script_block_split(h2_script *s, uint32_t stream, int end_stream,
                        const block *b, size_t fragment);

#endif /* H2_TEST_HPACK_BLOCK_H */
