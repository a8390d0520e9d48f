/*
 * HTTP/2 frame encoding (RFC 9113 sections 4 and 6, RFC 9218 section 7.1).
 *
 * The encoder writes what the h2_frame describes and refuses only frames
 * that cannot be represented on the wire. It does not refuse frames that
 * a peer would reject (DATA on stream 0, say): tests and fake servers need
 * to build those, and the connection core never asks for them. What it
 * writes is exactly what h2_frame_unpack reads back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h2/error.h"
#include "h2/frame.h"
#include "byte_order.h"

#define UINT31_MASK 0x7fffffffu
#define RESERVED_BIT 0x80000000u
#define MAX_FRAME_LENGTH 0xffffffu

/* Padding counts the Pad Length octet, whose largest value is 255. */
#define MAX_PADDING 256u
#define PRIORITY_FIELDS 5u
#define RST_STREAM_LENGTH 4u
#define PROMISED_ID_FIELD 4u
#define PING_LENGTH 8u
#define GOAWAY_FIXED_FIELDS 8u
#define WINDOW_UPDATE_LENGTH 4u
#define PRIORITY_UPDATE_FIXED_FIELDS 4u

/* How one frame's payload is laid out: padding (Pad Length octet first),
 * fixed fields, variable data taken from fr->payload, then zero padding. */
typedef struct frame_layout {
  uint32_t fixed_length;
  uint32_t data_length;
  uint32_t padding;
  uint8_t flags;
} frame_layout;

void h2_frame_header_pack(uint8_t *out, const h2_frame_header *hd) {
  h2_write_u24(out, hd->length & MAX_FRAME_LENGTH);
  out[3] = hd->type;
  out[4] = hd->flags;
  h2_write_u32(out + 5, hd->stream_id & UINT31_MASK);
}

void h2_setting_pack(uint8_t *out, uint16_t id, uint32_t value) {
  h2_write_u16(out, id);
  h2_write_u32(out + 2, value);
}

static int type_is_paddable(uint8_t type) {
  return type == H2_FRAME_DATA || type == H2_FRAME_HEADERS ||
         type == H2_FRAME_PUSH_PROMISE;
}

/* The fields every type carries before its variable data. */
static uint32_t fixed_fields_length(const h2_frame *fr) {
  switch (fr->hd.type) {
    case H2_FRAME_HEADERS:
      return (fr->hd.flags & H2_FLAG_PRIORITY) ? PRIORITY_FIELDS : 0;
    case H2_FRAME_PRIORITY: return PRIORITY_FIELDS;
    case H2_FRAME_RST_STREAM: return RST_STREAM_LENGTH;
    case H2_FRAME_PUSH_PROMISE: return PROMISED_ID_FIELD;
    case H2_FRAME_GOAWAY: return GOAWAY_FIXED_FIELDS;
    case H2_FRAME_WINDOW_UPDATE: return WINDOW_UPDATE_LENGTH;
    case H2_FRAME_PRIORITY_UPDATE: return PRIORITY_UPDATE_FIXED_FIELDS;
    default: return 0;
  }
}

/* PRIORITY, RST_STREAM and WINDOW_UPDATE consist of fixed fields only, so
 * whatever fr->payload holds is not theirs to write. */
static int type_has_data(uint8_t type) {
  return type != H2_FRAME_PRIORITY && type != H2_FRAME_RST_STREAM &&
         type != H2_FRAME_WINDOW_UPDATE;
}

/* Works out the layout, or returns H2_ERR_INVALID_ARGUMENT when the frame
 * has no wire form. PADDED follows fr->padding on the types that define
 * it, so the flag and the Pad Length octet can never disagree; padding on
 * other types is ignored, as those types have nowhere to put it. */
static int plan_frame(const h2_frame *fr, frame_layout *layout) {
  memset(layout, 0, sizeof(*layout));
  layout->flags = fr->hd.flags;
  if (type_is_paddable(fr->hd.type)) {
    if (fr->padding > MAX_PADDING) return H2_ERR_INVALID_ARGUMENT;
    layout->padding = fr->padding;
    if (fr->padding)
      layout->flags |= H2_FLAG_PADDED;
    else
      layout->flags &= (uint8_t)~H2_FLAG_PADDED;
  }
  layout->fixed_length = fixed_fields_length(fr);
  if (type_has_data(fr->hd.type)) layout->data_length = fr->payload_length;
  if (fr->hd.type == H2_FRAME_PING && fr->payload_length != PING_LENGTH)
    return H2_ERR_INVALID_ARGUMENT;
  if (layout->data_length && !fr->payload) return H2_ERR_INVALID_ARGUMENT;
  uint64_t total = (uint64_t)layout->fixed_length + layout->data_length +
                   layout->padding;
  if (total > MAX_FRAME_LENGTH) return H2_ERR_INVALID_ARGUMENT;
  return 0;
}

static uint32_t layout_payload_length(const frame_layout *layout) {
  return layout->fixed_length + layout->data_length + layout->padding;
}

size_t h2_frame_packed_length(const h2_frame *fr) {
  frame_layout layout;
  /* 0 can never be a real size (the header alone is 9 bytes), so it tells
   * the caller the frame cannot be packed. */
  if (!fr || plan_frame(fr, &layout) != 0) return 0;
  return H2_FRAME_HEADER_LENGTH + (size_t)layout_payload_length(&layout);
}

/* The exclusive bit shares its word with the 31-bit dependency. */
static void write_priority_fields(uint8_t *p, const h2_frame *fr) {
  uint32_t word = fr->dependency & UINT31_MASK;
  if (fr->exclusive) word |= RESERVED_BIT;
  h2_write_u32(p, word);
  p[4] = fr->weight;
}

static void write_fixed_fields(uint8_t *p, const h2_frame *fr,
                               const frame_layout *layout) {
  switch (fr->hd.type) {
    case H2_FRAME_HEADERS:
      if (layout->fixed_length) write_priority_fields(p, fr);
      break;
    case H2_FRAME_PRIORITY:
      write_priority_fields(p, fr);
      break;
    case H2_FRAME_RST_STREAM:
      h2_write_u32(p, fr->error_code);
      break;
    case H2_FRAME_GOAWAY:
      h2_write_u32(p, fr->value & UINT31_MASK);
      h2_write_u32(p + 4, fr->error_code);
      break;
    case H2_FRAME_PUSH_PROMISE:
    case H2_FRAME_WINDOW_UPDATE:
    case H2_FRAME_PRIORITY_UPDATE:
      h2_write_u32(p, fr->value & UINT31_MASK);
      break;
    default:
      break;
  }
}

int h2_frame_pack(uint8_t *out, size_t capacity, const h2_frame *fr) {
  frame_layout layout;
  if (!fr || plan_frame(fr, &layout) != 0) return H2_ERR_INVALID_ARGUMENT;
  uint32_t payload_length = layout_payload_length(&layout);
  size_t total = H2_FRAME_HEADER_LENGTH + (size_t)payload_length;
  if (!out || capacity < total) return H2_ERR_BUFFER_TOO_SMALL;

  h2_frame_header hd = fr->hd;
  hd.length = payload_length;
  hd.flags = layout.flags;
  h2_frame_header_pack(out, &hd);

  uint8_t *p = out + H2_FRAME_HEADER_LENGTH;
  if (layout.padding) *p++ = (uint8_t)(layout.padding - 1);
  write_fixed_fields(p, fr, &layout);
  p += layout.fixed_length;
  if (layout.data_length) memcpy(p, fr->payload, layout.data_length);
  p += layout.data_length;
  /* We never send non-zero padding (RFC 9113 6.1: padding octets MUST be
   * zero when sent). */
  if (layout.padding > 1) memset(p, 0, layout.padding - 1);
  return (int)total;
}
