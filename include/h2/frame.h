/*
 * libh2 - HTTP/2 frame codec (RFC 9113 sections 4 and 6).
 *
 * The codec is stateless: it turns bytes into frame descriptions and back,
 * and checks every rule that can be decided from one frame alone. Rules
 * that need connection state (which streams exist, whether a header block
 * is open) belong to the connection core, which builds on this.
 *
 * Receiving is done in two steps so that a hostile length is rejected
 * before any payload is buffered:
 *
 *   1. h2_frame_header_unpack() reads the fixed 9-byte header, and
 *      h2_frame_header_check() applies every rule decidable from it alone
 *      (length against our SETTINGS_MAX_FRAME_SIZE, fixed lengths of
 *      RST_STREAM / PING / WINDOW_UPDATE / PRIORITY, stream id 0 or not).
 *   2. Once `length` payload bytes are available, h2_frame_unpack() decodes
 *      the payload (padding, priority fields, settings, codes). Payload
 *      views in h2_frame point into the caller's input: nothing is copied.
 *
 * Both checks return 0 or a negative library code from h2/error.h whose
 * band says the scope: a connection error (fatal band, GOAWAY with the
 * embedded wire code) or a stream error (RST_STREAM on hd->stream_id). The
 * optional `reason` output receives a static, human-readable sentence.
 */
#ifndef H2_FRAME_H
#define H2_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "h2/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define H2_FRAME_HEADER_LENGTH 9
/* The smallest and largest values SETTINGS_MAX_FRAME_SIZE may take. */
#define H2_MIN_MAX_FRAME_SIZE 16384u
#define H2_MAX_MAX_FRAME_SIZE 16777215u
/* The largest stream id and window size (2^31 - 1). */
#define H2_MAX_STREAM_ID 0x7fffffffu
#define H2_MAX_WINDOW_SIZE 0x7fffffffu

enum h2_frame_type {
  H2_FRAME_DATA = 0x0,
  H2_FRAME_HEADERS = 0x1,
  H2_FRAME_PRIORITY = 0x2,
  H2_FRAME_RST_STREAM = 0x3,
  H2_FRAME_SETTINGS = 0x4,
  H2_FRAME_PUSH_PROMISE = 0x5,
  H2_FRAME_PING = 0x6,
  H2_FRAME_GOAWAY = 0x7,
  H2_FRAME_WINDOW_UPDATE = 0x8,
  H2_FRAME_CONTINUATION = 0x9,
  /* RFC 9218. Decoded like any known frame; a connection that does not
   * want it may treat it as unknown. */
  H2_FRAME_PRIORITY_UPDATE = 0x10
};

enum h2_frame_flag {
  H2_FLAG_NONE = 0x0,
  H2_FLAG_END_STREAM = 0x1, /* DATA, HEADERS */
  H2_FLAG_ACK = 0x1,        /* SETTINGS, PING */
  H2_FLAG_END_HEADERS = 0x4, /* HEADERS, PUSH_PROMISE, CONTINUATION */
  H2_FLAG_PADDED = 0x8,     /* DATA, HEADERS, PUSH_PROMISE */
  H2_FLAG_PRIORITY = 0x20   /* HEADERS */
};

enum h2_settings_id {
  H2_SETTINGS_HEADER_TABLE_SIZE = 0x1,
  H2_SETTINGS_ENABLE_PUSH = 0x2,
  H2_SETTINGS_MAX_CONCURRENT_STREAMS = 0x3,
  H2_SETTINGS_INITIAL_WINDOW_SIZE = 0x4,
  H2_SETTINGS_MAX_FRAME_SIZE = 0x5,
  H2_SETTINGS_MAX_HEADER_LIST_SIZE = 0x6,
  H2_SETTINGS_ENABLE_CONNECT_PROTOCOL = 0x8, /* RFC 8441 */
  H2_SETTINGS_NO_RFC7540_PRIORITIES = 0x9    /* RFC 9218 */
};

/* The fixed 9-byte frame header. The reserved bit of the stream id is
 * masked off on unpack and never set on pack. */
typedef struct h2_frame_header {
  uint32_t length;    /* payload length, 24 bits */
  uint32_t stream_id; /* 31 bits */
  uint8_t type;
  uint8_t flags;
  uint8_t reserved_[2]; /* padding; always zero */
} h2_frame_header;

/* One decoded frame. Which fields are meaningful depends on hd.type; the
 * others are zero. Pointers are views into the unpacked input and stay
 * valid as long as that input does. */
typedef struct h2_frame {
  h2_frame_header hd;
  /* DATA: the data. HEADERS, PUSH_PROMISE, CONTINUATION: the field block
   * fragment. GOAWAY: the debug data. SETTINGS: the raw 6-byte entries
   * (see h2_frame_setting). PING: the 8 opaque bytes. PRIORITY_UPDATE: the
   * priority field value. Unknown types: the whole payload. Padding is
   * never included. */
  const uint8_t *payload;
  uint32_t payload_length;
  /* Bytes of padding including the Pad Length octet (0 when not PADDED).
   * Flow control counts them, so DATA credit is payload_length + padding. */
  uint32_t padding;
  /* RST_STREAM and GOAWAY: the wire error code. */
  uint32_t error_code;
  /* PUSH_PROMISE: promised stream id. GOAWAY: last stream id.
   * WINDOW_UPDATE: window size increment. PRIORITY_UPDATE: prioritized
   * stream id. Reserved bits are masked off. */
  uint32_t value;
  /* HEADERS with PRIORITY, and PRIORITY: the RFC 7540 priority fields,
   * decoded so they can be validated and then ignored (RFC 9113 5.3.2). */
  uint32_t dependency;
  uint8_t weight;    /* wire value, 0..255 (the weight minus one) */
  uint8_t exclusive; /* 0 or 1 */
  uint8_t reserved_[2];
  /* SETTINGS: the number of 6-byte entries. */
  uint32_t settings_count;
} h2_frame;

/* Reads the 9-byte header at `in`, which must hold 9 readable bytes. */
H2_EXPORT void h2_frame_header_unpack(h2_frame_header *hd, const uint8_t *in);

/* Writes a 9-byte header to `out`. The length is truncated to 24 bits and
 * the stream id to 31 bits. */
H2_EXPORT void h2_frame_header_pack(uint8_t *out, const h2_frame_header *hd);

/* Applies every rule decidable from the header alone. `max_frame_size` is
 * the SETTINGS_MAX_FRAME_SIZE we advertised. Returns 0 or a library code
 * (connection or stream error). Unknown frame types are accepted here: the
 * caller skips their payload. */
H2_EXPORT int h2_frame_header_check(const h2_frame_header *hd,
                                    uint32_t max_frame_size,
                                    const char **reason);

/* Decodes the payload of a frame whose header passed h2_frame_header_check.
 * `payload` must hold hd->length bytes (it may be NULL when the length is
 * 0). Returns 0 or a library code; on success `fr` is filled in. On a
 * stream error (a HEADERS that depends on its own stream, a zero
 * WINDOW_UPDATE increment on a stream) `fr` is filled in as well, so the
 * caller can still pass a field block to HPACK to keep its table in sync.
 * The checks do not rely on h2_frame_header_check having run: a frame it
 * would refuse is refused here too, without reading past the payload. */
H2_EXPORT int h2_frame_unpack(h2_frame *fr, const h2_frame_header *hd,
                              const uint8_t *payload, const char **reason);

/* Reads SETTINGS entry `index` (< fr->settings_count). */
H2_EXPORT void h2_frame_setting(const h2_frame *fr, uint32_t index,
                                uint16_t *id, uint32_t *value);

/* The number of bytes h2_frame_pack will write for `fr`. */
H2_EXPORT size_t h2_frame_packed_length(const h2_frame *fr);

/* Serialises `fr` (header, fixed fields, payload and zero padding) into
 * `out`. The header's length field is computed, not taken from fr->hd.
 * PADDED is set in the output when fr->padding > 0 for DATA, HEADERS and
 * PUSH_PROMISE; PRIORITY fields are written when HEADERS carries the
 * PRIORITY flag. SETTINGS entries are taken from fr->payload (6 bytes each,
 * already encoded; see h2_setting_pack). Returns the number of bytes
 * written, or H2_ERR_BUFFER_TOO_SMALL, or H2_ERR_INVALID_ARGUMENT when the
 * frame cannot be represented (payload above 2^24 - 1, padding above 256,
 * a PING payload that is not 8 bytes). */
H2_EXPORT int h2_frame_pack(uint8_t *out, size_t capacity, const h2_frame *fr);

/* Writes one 6-byte SETTINGS entry. */
H2_EXPORT void h2_setting_pack(uint8_t *out, uint16_t id, uint32_t value);

/* The RFC name of a frame type ("HEADERS"), or "UNKNOWN". */
H2_EXPORT const char *h2_frame_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif

#endif /* H2_FRAME_H */
