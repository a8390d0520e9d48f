/*
 * HTTP/2 frame decoding (RFC 9113 sections 4 and 6, RFC 9218 section 7.1).
 *
 * Every rule that one frame alone can break is enforced here and reported
 * as a library code; nothing is asserted, because every byte comes from the
 * peer. The checks are split in two so that h2_frame_unpack can repeat the
 * header rules itself: it must never trust that the caller ran
 * h2_frame_header_check, since a skipped check would otherwise turn into an
 * out-of-bounds read.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h2/error.h"
#include "h2/frame.h"
#include "byte_order.h"

/* Stream ids, GOAWAY last-stream-id, WINDOW_UPDATE increments and promised
 * ids are 31-bit values behind a reserved bit that receivers ignore. */
#define UINT31_MASK 0x7fffffffu
#define MAX_FRAME_LENGTH 0xffffffu

/* Sizes of the fixed fields that precede variable data. */
#define PAD_LENGTH_FIELD 1u
#define PRIORITY_FIELDS 5u
#define PROMISED_ID_FIELD 4u
#define RST_STREAM_LENGTH 4u
#define PING_LENGTH 8u
#define GOAWAY_FIXED_FIELDS 8u
#define WINDOW_UPDATE_LENGTH 4u
#define PRIORITY_UPDATE_FIXED_FIELDS 4u
#define SETTING_ENTRY_LENGTH 6u

static inline uint32_t read_u31(const uint8_t *p) {
  return h2_read_u32(p) & UINT31_MASK;
}

/* Records why a frame was rejected, so each rule reads as one statement. */
static int reject(const char **reason, int code, const char *why) {
  if (reason) *reason = why;
  return code;
}

/* A view of `length` payload bytes at `offset`. Empty views are NULL, which
 * also keeps us from doing arithmetic on a NULL payload of length 0. */
static const uint8_t *payload_view(const uint8_t *payload, uint32_t offset,
                                   uint32_t length) {
  return length ? payload + offset : NULL;
}

void h2_frame_header_unpack(h2_frame_header *hd, const uint8_t *in) {
  hd->length = h2_read_u24(in);
  hd->type = in[3];
  hd->flags = in[4];
  hd->stream_id = read_u31(in + 5);
  hd->reserved_[0] = 0;
  hd->reserved_[1] = 0;
}

/* RFC 9113 sections 6.1 to 6.10 and RFC 9218 section 7.1: some frames
 * belong to a stream, others to the connection as a whole. Both mistakes
 * are connection errors of type PROTOCOL_ERROR. */
static int check_stream_id(const h2_frame_header *hd, const char **reason) {
  switch (hd->type) {
    case H2_FRAME_DATA:
    case H2_FRAME_HEADERS:
    case H2_FRAME_PRIORITY:
    case H2_FRAME_RST_STREAM:
    case H2_FRAME_PUSH_PROMISE:
    case H2_FRAME_CONTINUATION:
      if (hd->stream_id == 0)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "This frame type must be sent on a stream, not on "
                      "stream 0.");
      return 0;
    case H2_FRAME_SETTINGS:
    case H2_FRAME_PING:
    case H2_FRAME_GOAWAY:
    case H2_FRAME_PRIORITY_UPDATE:
      if (hd->stream_id != 0)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "This frame type applies to the connection and must "
                      "be sent on stream 0.");
      return 0;
    default:
      /* WINDOW_UPDATE is valid on both; unknown types are not ours to judge. */
      return 0;
  }
}

/* The smallest payload HEADERS may have: the Pad Length octet when PADDED
 * and the five priority octets when PRIORITY is set (RFC 9113 6.2). A frame
 * shorter than its mandatory fields is a FRAME_SIZE_ERROR (section 4.2),
 * and a field block carrier makes it a connection error. */
static int check_headers_length(const h2_frame_header *hd,
                                const char **reason) {
  uint32_t minimum = 0;
  if (hd->flags & H2_FLAG_PADDED) minimum += PAD_LENGTH_FIELD;
  if (hd->flags & H2_FLAG_PRIORITY) minimum += PRIORITY_FIELDS;
  if (hd->length < minimum)
    return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                  "A HEADERS frame is too short for its Pad Length or "
                  "priority fields.");
  return 0;
}

static int check_settings_length(const h2_frame_header *hd,
                                 const char **reason) {
  if ((hd->flags & H2_FLAG_ACK) && hd->length != 0)
    return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                  "A SETTINGS acknowledgement must have an empty payload.");
  if (hd->length % SETTING_ENTRY_LENGTH != 0)
    return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                  "A SETTINGS payload must be a multiple of 6 bytes.");
  return 0;
}

/* Lengths that are fixed or have a minimum for each known type. Only a
 * malformed PRIORITY frame is a stream error (RFC 9113 6.3): it carries no
 * state, so the connection can safely go on without it. */
static int check_length(const h2_frame_header *hd, const char **reason) {
  uint32_t length = hd->length;
  int padded = (hd->flags & H2_FLAG_PADDED) != 0;
  switch (hd->type) {
    case H2_FRAME_DATA:
      if (padded && length < PAD_LENGTH_FIELD)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A padded DATA frame has no room for its Pad Length "
                      "octet.");
      return 0;
    case H2_FRAME_HEADERS:
      return check_headers_length(hd, reason);
    case H2_FRAME_PRIORITY:
      if (length != PRIORITY_FIELDS)
        return reject(reason, H2_ERR_STREAM_FRAME_SIZE,
                      "A PRIORITY frame must be exactly 5 bytes long.");
      return 0;
    case H2_FRAME_RST_STREAM:
      if (length != RST_STREAM_LENGTH)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "An RST_STREAM frame must be exactly 4 bytes long.");
      return 0;
    case H2_FRAME_SETTINGS:
      return check_settings_length(hd, reason);
    case H2_FRAME_PUSH_PROMISE:
      if (length < PROMISED_ID_FIELD + (padded ? PAD_LENGTH_FIELD : 0))
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A PUSH_PROMISE frame is too short for its promised "
                      "stream id.");
      return 0;
    case H2_FRAME_PING:
      if (length != PING_LENGTH)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A PING frame must be exactly 8 bytes long.");
      return 0;
    case H2_FRAME_GOAWAY:
      if (length < GOAWAY_FIXED_FIELDS)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A GOAWAY frame must be at least 8 bytes long.");
      return 0;
    case H2_FRAME_WINDOW_UPDATE:
      if (length != WINDOW_UPDATE_LENGTH)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A WINDOW_UPDATE frame must be exactly 4 bytes long.");
      return 0;
    case H2_FRAME_PRIORITY_UPDATE:
      if (length < PRIORITY_UPDATE_FIXED_FIELDS)
        return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                      "A PRIORITY_UPDATE frame must be at least 4 bytes "
                      "long.");
      return 0;
    default:
      return 0;
  }
}

/* The header rules that do not depend on our settings. Stream id rules go
 * first: a PRIORITY frame on stream 0 is a connection error even when its
 * length would only have cost the stream. */
static int check_shape(const h2_frame_header *hd, const char **reason) {
  int rc = check_stream_id(hd, reason);
  if (rc) return rc;
  return check_length(hd, reason);
}

int h2_frame_header_check(const h2_frame_header *hd, uint32_t max_frame_size,
                          const char **reason) {
  if (!hd) return reject(reason, H2_ERR_INVALID_ARGUMENT, "No frame header.");
  /* Checked before anything else so that a hostile length (or an HTTP/1.1
   * reply read as a frame header) is refused without buffering. Every type
   * gets a connection error: RFC 9113 4.2 requires it for most of them, and
   * the connection cannot resynchronise cheaply after skipping megabytes. */
  if (hd->length > max_frame_size)
    return reject(reason, H2_ERR_CONN_FRAME_SIZE,
                  "The frame is longer than our SETTINGS_MAX_FRAME_SIZE.");
  return check_shape(hd, reason);
}

/* Strips the Pad Length octet and the padding of DATA, HEADERS and
 * PUSH_PROMISE. `fixed` is the size of the fields between the Pad Length
 * octet and the variable data; check_shape has ensured the payload holds
 * them. On return [*offset, *offset + *content) covers fixed fields and
 * data.
 *
 * RFC 9113 6.1 and 6.2 forbid padding that is "the length of the frame
 * payload or greater" (the payload counting the Pad Length octet), or that
 * exceeds the room left after the fixed fields. Padding that exactly fills
 * that room is legal: the frame then carries no data at all. Padding bytes
 * are not inspected: the RFC merely permits rejecting non-zero ones, and
 * accepting them costs nothing. */
static int strip_padding(h2_frame *fr, const uint8_t *payload, uint32_t fixed,
                         uint32_t *offset, uint32_t *content,
                         const char **reason) {
  uint32_t length = fr->hd.length;
  if (!(fr->hd.flags & H2_FLAG_PADDED)) {
    *offset = 0;
    *content = length;
    return 0;
  }
  uint32_t pad_length = payload[0];
  uint32_t room = length - PAD_LENGTH_FIELD - fixed;
  if (pad_length > room)
    return reject(reason, H2_ERR_CONN_PROTOCOL,
                  "The Pad Length is larger than the frame payload.");
  fr->padding = pad_length + PAD_LENGTH_FIELD;
  *offset = PAD_LENGTH_FIELD;
  *content = length - fr->padding;
  return 0;
}

/* Decodes the RFC 7540 priority fields. They carry no meaning under RFC
 * 9113 but a stream that depends on itself is still a stream error
 * (RFC 7540 5.3.1); the frame is fully decoded before that is reported so
 * the caller can still feed a HEADERS field block to HPACK. */
static void unpack_priority_fields(h2_frame *fr, const uint8_t *fields) {
  uint32_t word = h2_read_u32(fields);
  fr->exclusive = (uint8_t)(word >> 31);
  fr->dependency = word & UINT31_MASK;
  fr->weight = fields[4];
}

static int check_self_dependency(const h2_frame *fr, const char **reason) {
  if (fr->dependency == fr->hd.stream_id)
    return reject(reason, H2_ERR_STREAM_PROTOCOL,
                  "A stream cannot depend on itself.");
  return 0;
}

static int unpack_data(h2_frame *fr, const uint8_t *payload,
                       const char **reason) {
  uint32_t offset, content;
  int rc = strip_padding(fr, payload, 0, &offset, &content, reason);
  if (rc) return rc;
  fr->payload = payload_view(payload, offset, content);
  fr->payload_length = content;
  return 0;
}

static int unpack_headers(h2_frame *fr, const uint8_t *payload,
                          const char **reason) {
  uint32_t fixed = (fr->hd.flags & H2_FLAG_PRIORITY) ? PRIORITY_FIELDS : 0;
  uint32_t offset, content;
  int rc = strip_padding(fr, payload, fixed, &offset, &content, reason);
  if (rc) return rc;
  if (fixed) unpack_priority_fields(fr, payload + offset);
  fr->payload = payload_view(payload, offset + fixed, content - fixed);
  fr->payload_length = content - fixed;
  return fixed ? check_self_dependency(fr, reason) : 0;
}

static int unpack_priority(h2_frame *fr, const uint8_t *payload,
                           const char **reason) {
  unpack_priority_fields(fr, payload);
  return check_self_dependency(fr, reason);
}

static int unpack_push_promise(h2_frame *fr, const uint8_t *payload,
                               const char **reason) {
  uint32_t offset, content;
  int rc = strip_padding(fr, payload, PROMISED_ID_FIELD, &offset, &content,
                         reason);
  if (rc) return rc;
  fr->value = read_u31(payload + offset);
  fr->payload = payload_view(payload, offset + PROMISED_ID_FIELD,
                             content - PROMISED_ID_FIELD);
  fr->payload_length = content - PROMISED_ID_FIELD;
  /* Stream 0 can never be opened, so promising it is a protocol violation
   * that no stream can absorb. */
  if (fr->value == 0)
    return reject(reason, H2_ERR_CONN_PROTOCOL,
                  "A PUSH_PROMISE cannot promise stream 0.");
  return 0;
}

/* RFC 9113 6.5.2: the values of known settings have ranges; unknown ids
 * must be ignored. Role rules (a server may not enable push) need to know
 * who sent the frame and are the connection's business. */
static int check_setting(uint16_t id, uint32_t value, const char **reason) {
  switch (id) {
    case H2_SETTINGS_ENABLE_PUSH:
      if (value > 1)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "SETTINGS_ENABLE_PUSH must be 0 or 1.");
      return 0;
    case H2_SETTINGS_INITIAL_WINDOW_SIZE:
      if (value > H2_MAX_WINDOW_SIZE)
        return reject(reason, H2_ERR_CONN_FLOW_CONTROL,
                      "SETTINGS_INITIAL_WINDOW_SIZE is above 2^31-1.");
      return 0;
    case H2_SETTINGS_MAX_FRAME_SIZE:
      if (value < H2_MIN_MAX_FRAME_SIZE || value > H2_MAX_MAX_FRAME_SIZE)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "SETTINGS_MAX_FRAME_SIZE is outside 16384..16777215.");
      return 0;
    case H2_SETTINGS_ENABLE_CONNECT_PROTOCOL:
      if (value > 1)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "SETTINGS_ENABLE_CONNECT_PROTOCOL must be 0 or 1.");
      return 0;
    case H2_SETTINGS_NO_RFC7540_PRIORITIES:
      if (value > 1)
        return reject(reason, H2_ERR_CONN_PROTOCOL,
                      "SETTINGS_NO_RFC7540_PRIORITIES must be 0 or 1.");
      return 0;
    default:
      return 0;
  }
}

static int unpack_settings(h2_frame *fr, const uint8_t *payload,
                           const char **reason) {
  fr->payload = payload_view(payload, 0, fr->hd.length);
  fr->payload_length = fr->hd.length;
  fr->settings_count = fr->hd.length / SETTING_ENTRY_LENGTH;
  for (uint32_t i = 0; i < fr->settings_count; i++) {
    const uint8_t *entry = payload + (size_t)i * SETTING_ENTRY_LENGTH;
    int rc = check_setting(h2_read_u16(entry), h2_read_u32(entry + 2), reason);
    if (rc) return rc;
  }
  return 0;
}

static int unpack_goaway(h2_frame *fr, const uint8_t *payload) {
  fr->value = read_u31(payload);
  fr->error_code = h2_read_u32(payload + 4);
  fr->payload = payload_view(payload, GOAWAY_FIXED_FIELDS,
                             fr->hd.length - GOAWAY_FIXED_FIELDS);
  fr->payload_length = fr->hd.length - GOAWAY_FIXED_FIELDS;
  return 0;
}

/* RFC 9113 6.9: an increment of 0 is an error whose scope follows the
 * window it was meant for. */
static int unpack_window_update(h2_frame *fr, const uint8_t *payload,
                                const char **reason) {
  fr->value = read_u31(payload);
  if (fr->value != 0) return 0;
  if (fr->hd.stream_id == 0)
    return reject(reason, H2_ERR_CONN_PROTOCOL,
                  "A WINDOW_UPDATE on the connection has an increment of 0.");
  return reject(reason, H2_ERR_STREAM_PROTOCOL,
                "A WINDOW_UPDATE on a stream has an increment of 0.");
}

/* RFC 9218 7.1: the payload is the prioritized stream id followed by the
 * Priority Field Value, which is not parsed here. */
static int unpack_priority_update(h2_frame *fr, const uint8_t *payload,
                                  const char **reason) {
  uint32_t value_length = fr->hd.length - PRIORITY_UPDATE_FIXED_FIELDS;
  fr->value = read_u31(payload);
  fr->payload = payload_view(payload, PRIORITY_UPDATE_FIXED_FIELDS,
                             value_length);
  fr->payload_length = value_length;
  if (fr->value == 0)
    return reject(reason, H2_ERR_CONN_PROTOCOL,
                  "A PRIORITY_UPDATE cannot prioritize stream 0.");
  return 0;
}

/* Frames whose payload is nothing but variable data: CONTINUATION, PING
 * and every type we do not know. */
static int unpack_opaque(h2_frame *fr, const uint8_t *payload) {
  fr->payload = payload_view(payload, 0, fr->hd.length);
  fr->payload_length = fr->hd.length;
  return 0;
}

static int unpack_payload(h2_frame *fr, const uint8_t *payload,
                          const char **reason) {
  switch (fr->hd.type) {
    case H2_FRAME_DATA: return unpack_data(fr, payload, reason);
    case H2_FRAME_HEADERS: return unpack_headers(fr, payload, reason);
    case H2_FRAME_PRIORITY: return unpack_priority(fr, payload, reason);
    case H2_FRAME_RST_STREAM:
      fr->error_code = h2_read_u32(payload);
      return 0;
    case H2_FRAME_SETTINGS: return unpack_settings(fr, payload, reason);
    case H2_FRAME_PUSH_PROMISE: return unpack_push_promise(fr, payload, reason);
    case H2_FRAME_GOAWAY: return unpack_goaway(fr, payload);
    case H2_FRAME_WINDOW_UPDATE:
      return unpack_window_update(fr, payload, reason);
    case H2_FRAME_PRIORITY_UPDATE:
      return unpack_priority_update(fr, payload, reason);
    default: return unpack_opaque(fr, payload);
  }
}

int h2_frame_unpack(h2_frame *fr, const h2_frame_header *hd,
                    const uint8_t *payload, const char **reason) {
  if (!fr || !hd || hd->length > MAX_FRAME_LENGTH ||
      (hd->length != 0 && !payload))
    return reject(reason, H2_ERR_INVALID_ARGUMENT,
                  "The frame header or payload buffer is invalid.");
  memset(fr, 0, sizeof(*fr));
  fr->hd.length = hd->length;
  fr->hd.type = hd->type;
  fr->hd.flags = hd->flags;
  fr->hd.stream_id = hd->stream_id & UINT31_MASK;
  /* Repeated here because every decoder below relies on the minimum
   * lengths it guarantees; the max-frame-size rule is the caller's. */
  int rc = check_shape(&fr->hd, reason);
  if (rc) return rc;
  return unpack_payload(fr, payload, reason);
}

void h2_frame_setting(const h2_frame *fr, uint32_t index, uint16_t *id,
                      uint32_t *value) {
  uint16_t entry_id = 0;
  uint32_t entry_value = 0;
  /* Out-of-range indexes read as a zero entry rather than past the view. */
  if (fr && fr->payload && index < fr->settings_count &&
      index < fr->payload_length / SETTING_ENTRY_LENGTH) {
    const uint8_t *entry = fr->payload + (size_t)index * SETTING_ENTRY_LENGTH;
    entry_id = h2_read_u16(entry);
    entry_value = h2_read_u32(entry + 2);
  }
  if (id) *id = entry_id;
  if (value) *value = entry_value;
}

const char *h2_frame_type_name(uint8_t type) {
  switch (type) {
    case H2_FRAME_DATA: return "DATA";
    case H2_FRAME_HEADERS: return "HEADERS";
    case H2_FRAME_PRIORITY: return "PRIORITY";
    case H2_FRAME_RST_STREAM: return "RST_STREAM";
    case H2_FRAME_SETTINGS: return "SETTINGS";
    case H2_FRAME_PUSH_PROMISE: return "PUSH_PROMISE";
    case H2_FRAME_PING: return "PING";
    case H2_FRAME_GOAWAY: return "GOAWAY";
    case H2_FRAME_WINDOW_UPDATE: return "WINDOW_UPDATE";
    case H2_FRAME_CONTINUATION: return "CONTINUATION";
    case H2_FRAME_PRIORITY_UPDATE: return "PRIORITY_UPDATE";
    default: return "UNKNOWN";
  }
}
