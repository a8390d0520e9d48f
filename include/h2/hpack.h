/*
 * libh2 - HPACK header compression (RFC 7541).
 *
 * A decoder and an encoder, one of each per connection direction. Both
 * keep a dynamic table and are therefore stateful: every header block of a
 * connection must pass through them in order, including blocks whose
 * stream is being discarded (RFC 9113 section 4.3).
 *
 * Decoding is incremental: a header block may be fed in pieces cut at any
 * byte (as HEADERS and CONTINUATION frames cut it) and the result is the
 * same as feeding it whole. Decoded fields are appended to an
 * h2_header_list, which owns their bytes.
 */
#ifndef H2_HPACK_H
#define H2_HPACK_H

#include <stddef.h>
#include <stdint.h>

#include "h2/alloc.h"
#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The per-field overhead RFC 7541 section 4.1 adds to name + value when
 * sizing tables; the header-list budget counts fields the same way. */
#define H2_HPACK_ENTRY_OVERHEAD 32u
#define H2_HPACK_DEFAULT_TABLE_SIZE 4096u

/* Default decoder limits (docs/hpack.md explains each). */
#define H2_HPACK_DEFAULT_MAX_HEADER_LIST_SIZE 65536u
#define H2_HPACK_DEFAULT_MAX_FIELDS 500u
#define H2_HPACK_DEFAULT_MAX_FIELD_SIZE 65536u

/* Field flags. */
enum h2_header_flag {
  H2_HEADER_NONE = 0x0,
  /* Encoder: use the never-indexed representation, so that no
   * intermediary will ever put the field in a table. Decoder: the field
   * arrived that way and must be forwarded that way. */
  H2_HEADER_NEVER_INDEX = 0x1,
  /* Encoder: do not add the field to the dynamic table, but allow
   * intermediaries to do so. */
  H2_HEADER_NO_INDEX = 0x2
};

/* One header field. For input, name and value are caller-owned. For
 * decoded fields they point into the h2_header_list, or, for a name or
 * value taken from the HPACK static table, into that table (static
 * storage that is never freed). Lengths are bytes; the strings are not
 * NUL-terminated (a decoded field's are, as a convenience). */
typedef struct h2_header {
  const uint8_t *name;
  const uint8_t *value;
  uint32_t name_length;
  uint32_t value_length;
  uint32_t flags;
  uint32_t reserved_;
} h2_header;

/* ---- Decoded header list --------------------------------------------- */

/* A growable list of decoded fields with their bytes. */
typedef struct h2_header_list h2_header_list;

H2_EXPORT int h2_header_list_new(h2_header_list **list,
                                 const h2_allocator *alloc);
H2_EXPORT void h2_header_list_del(h2_header_list *list);
/* Forgets the fields but keeps the memory for reuse. */
H2_EXPORT void h2_header_list_clear(h2_header_list *list);
H2_EXPORT size_t h2_header_list_count(const h2_header_list *list);
/* The fields, valid until the list is next cleared, appended to or freed. */
H2_EXPORT const h2_header *h2_header_list_fields(const h2_header_list *list);
/* The RFC 9113 size of the list: sum of name + value + 32 per field, over
 * every field the block carried (kept or dropped). */
H2_EXPORT uint64_t h2_header_list_size(const h2_header_list *list);

/* ---- Decoder ----------------------------------------------------------- */

typedef struct h2_hpack_decoder h2_hpack_decoder;

/* Limits on what one header block may decode to. Zero selects the default
 * of each. */
typedef struct h2_hpack_decoder_limits {
  /* Budget for name + value + 32 per field (SETTINGS_MAX_HEADER_LIST_SIZE
   * we advertise). Past it fields are dropped (decoding goes on to keep
   * the table in sync) and the block ends in H2_ERR_HEADER_LIST_TOO_LARGE;
   * past four times it decoding stops with a fatal
   * H2_ERR_CONN_ENHANCE_YOUR_CALM. */
  uint32_t max_header_list_size;
  /* Fields per block; past it, fields are dropped and the block ends in
   * H2_ERR_TOO_MANY_FIELDS. */
  uint32_t max_fields;
  /* Bytes of one field's name or value, as declared on the wire (before
   * Huffman decoding) and as decoded. Larger is a fatal
   * H2_ERR_CONN_COMPRESSION, decided before anything is allocated. */
  uint32_t max_field_size;
  uint32_t reserved_;
} h2_hpack_decoder_limits;

/* Creates a decoder whose table may grow to `max_table_size` bytes: the
 * SETTINGS_HEADER_TABLE_SIZE we advertise (H2_HPACK_DEFAULT_TABLE_SIZE
 * unless we send another; 0 is a valid, empty table). `limits` may be
 * NULL for the defaults. */
H2_EXPORT int h2_hpack_decoder_new(h2_hpack_decoder **dec,
                                   uint32_t max_table_size,
                                   const h2_hpack_decoder_limits *limits,
                                   const h2_allocator *alloc);
H2_EXPORT void h2_hpack_decoder_del(h2_hpack_decoder *dec);

/* Call when the peer has acknowledged a SETTINGS frame that changed our
 * SETTINGS_HEADER_TABLE_SIZE. Size updates above the new value are then
 * errors, and if the value is below the table's current maximum the next
 * header block must begin with a size update (RFC 9113 4.3.1). */
H2_EXPORT int h2_hpack_decoder_set_max_table_size(h2_hpack_decoder *dec,
                                                  uint32_t max_table_size);

/* Decodes `length` bytes of a header block, appending complete fields to
 * `out` (which may be NULL to decode and discard, keeping the table in
 * sync). Set `end_of_block` on the call that carries the block's last
 * byte (it may carry zero bytes). Returns:
 *   0                               fine; more input or the next block
 *   H2_ERR_HEADER_LIST_TOO_LARGE    (end of block only) budget exceeded,
 *   H2_ERR_TOO_MANY_FIELDS          or field cap hit; fields were dropped
 *   H2_ERR_CONN_COMPRESSION         any RFC 7541 decoding error (fatal)
 *   H2_ERR_CONN_ENHANCE_YOUR_CALM   the block decodes to 4x the budget
 *   H2_ERR_NOMEM                    allocation failed (fatal)
 * After a fatal code the decoder refuses all further input. */
H2_EXPORT int h2_hpack_decode(h2_hpack_decoder *dec, const uint8_t *in,
                              size_t length, int end_of_block,
                              h2_header_list *out);

/* A human-readable reason for the last error h2_hpack_decode returned. */
H2_EXPORT const char *h2_hpack_decoder_error_detail(
    const h2_hpack_decoder *dec);

/* Current dynamic table state: bytes used (RFC size), entry count and the
 * maximum currently in force. */
H2_EXPORT uint32_t h2_hpack_decoder_table_size(const h2_hpack_decoder *dec);
H2_EXPORT uint32_t h2_hpack_decoder_table_entries(
    const h2_hpack_decoder *dec);
H2_EXPORT uint32_t h2_hpack_decoder_table_max_size(
    const h2_hpack_decoder *dec);

/* ---- Encoder ----------------------------------------------------------- */

typedef struct h2_hpack_encoder h2_hpack_encoder;

/* Creates an encoder whose dynamic table never exceeds `table_cap` bytes
 * (4096 when 0), whatever the peer allows. The peer's limit starts at the
 * RFC default of 4096. The table is allocated by the first
 * h2_hpack_encode, which returns H2_ERR_NOMEM (changing nothing) if that
 * fails; later calls never allocate. */
H2_EXPORT int h2_hpack_encoder_new(h2_hpack_encoder **enc, uint32_t table_cap,
                                   const h2_allocator *alloc);
H2_EXPORT void h2_hpack_encoder_del(h2_hpack_encoder *enc);

/* Applies the peer's SETTINGS_HEADER_TABLE_SIZE. The table in use becomes
 * min(value, table_cap), and the next block starts with the size updates
 * RFC 7541 section 4.2 requires (the smallest value set since the last
 * block, then the final one). */
H2_EXPORT void h2_hpack_encoder_set_peer_max_table_size(h2_hpack_encoder *enc,
                                                        uint32_t value);

/* An upper bound of the encoded size of `fields`. */
H2_EXPORT size_t h2_hpack_encode_bound(const h2_hpack_encoder *enc,
                                       const h2_header *fields, size_t count);

/* Encodes one header block. Names must already be lowercase (HTTP/2
 * requires it; the encoder does not change them). authorization,
 * proxy-authorization and cookies shorter than 20 bytes are always sent
 * never-indexed, as are fields flagged H2_HEADER_NEVER_INDEX. Returns the
 * number of bytes written or H2_ERR_BUFFER_TOO_SMALL (the encoder's state
 * is then unchanged), or H2_ERR_NOMEM. */
H2_EXPORT int h2_hpack_encode(h2_hpack_encoder *enc, const h2_header *fields,
                              size_t count, uint8_t *out, size_t capacity);

H2_EXPORT uint32_t h2_hpack_encoder_table_size(const h2_hpack_encoder *enc);
H2_EXPORT uint32_t h2_hpack_encoder_table_entries(const h2_hpack_encoder *enc);

/* ---- Huffman (RFC 7541 appendix B) ------------------------------------ */

/* The Huffman-encoded length of `length` bytes of `in`. */
H2_EXPORT size_t h2_huffman_encoded_length(const uint8_t *in, size_t length);

/* Encodes into `out`, which must hold h2_huffman_encoded_length bytes.
 * Returns the number of bytes written. */
H2_EXPORT size_t h2_huffman_encode(uint8_t *out, const uint8_t *in,
                                   size_t length);

/* Decodes a complete Huffman string into `out`, which must hold
 * length * 8 / 5 + 2 bytes (the largest possible expansion plus one byte
 * the decoder may scribble on). Returns the
 * decoded length, or H2_ERR_CONN_COMPRESSION for an EOS symbol, padding
 * longer than 7 bits or padding that is not all ones. */
H2_EXPORT int h2_huffman_decode(uint8_t *out, const uint8_t *in,
                                size_t length);

#ifdef __cplusplus
}
#endif

#endif /* H2_HPACK_H */
