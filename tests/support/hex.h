/* Hex helpers for tests: spaces in the input are ignored. */
#ifndef H2_TEST_HEX_H
#define H2_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decodes hex into out (capacity bytes). Returns the length or -1. */
int hex_decode(const char *hex, uint8_t *out, size_t capacity);

#endif
