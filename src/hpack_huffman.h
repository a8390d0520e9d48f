/* Huffman helpers used inside the library only. */
#ifndef H2_HPACK_HUFFMAN_H
#define H2_HPACK_HUFFMAN_H

#include <stddef.h>
#include <stdint.h>

/* Huffman-encodes `length` bytes in one pass when that is strictly shorter
 * than the input, returning the encoded length; returns 0 otherwise. Either
 * way it may write up to length + 4 bytes to `out`. */
size_t h2_huffman_encode_if_shorter(uint8_t *out, const uint8_t *in,
                                    size_t length);

#endif /* H2_HPACK_HUFFMAN_H */
