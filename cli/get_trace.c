/* `h2 get -v`: one line per frame sent and received, in the style of
 * nghttp -v, with the contents of control frames. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "get.h"

static uint32_t read_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *setting_name(uint16_t id) {
  switch (id) {
    case H2_SETTINGS_HEADER_TABLE_SIZE: return "SETTINGS_HEADER_TABLE_SIZE";
    case H2_SETTINGS_ENABLE_PUSH: return "SETTINGS_ENABLE_PUSH";
    case H2_SETTINGS_MAX_CONCURRENT_STREAMS: return "SETTINGS_MAX_CONCURRENT_STREAMS";
    case H2_SETTINGS_INITIAL_WINDOW_SIZE: return "SETTINGS_INITIAL_WINDOW_SIZE";
    case H2_SETTINGS_MAX_FRAME_SIZE: return "SETTINGS_MAX_FRAME_SIZE";
    case H2_SETTINGS_MAX_HEADER_LIST_SIZE: return "SETTINGS_MAX_HEADER_LIST_SIZE";
    case H2_SETTINGS_ENABLE_CONNECT_PROTOCOL: return "SETTINGS_ENABLE_CONNECT_PROTOCOL";
    case H2_SETTINGS_NO_RFC7540_PRIORITIES: return "SETTINGS_NO_RFC7540_PRIORITIES";
    default: return "UNKNOWN_SETTING";
  }
}

static void frame_details(const h2_frame_header *hd, const uint8_t *p,
                          size_t available) {
  switch (hd->type) {
    case H2_FRAME_SETTINGS:
      for (size_t i = 0; i + 6 <= available && i + 6 <= hd->length; i += 6)
        fprintf(stderr, "          [%s(0x%02x):%" PRIu32 "]\n",
                setting_name((uint16_t)(p[i] << 8 | p[i + 1])), p[i] << 8 | p[i + 1],
                read_u32(p + i + 2));
      break;
    case H2_FRAME_WINDOW_UPDATE:
      if (available >= 4)
        fprintf(stderr, "          (window_size_increment=%" PRIu32 ")\n",
                read_u32(p) & 0x7fffffffu);
      break;
    case H2_FRAME_RST_STREAM:
      if (available >= 4)
        fprintf(stderr, "          (error_code=%s(0x%02" PRIx32 "))\n",
                h2_wire_error_name(read_u32(p)), read_u32(p));
      break;
    case H2_FRAME_GOAWAY:
      if (available >= 8)
        fprintf(stderr, "          (last_stream_id=%" PRIu32 ", error_code=%s(0x%02" PRIx32
                "), opaque_data(%u)=[%.*s])\n",
                read_u32(p) & 0x7fffffffu, h2_wire_error_name(read_u32(p + 4)),
                read_u32(p + 4), hd->length - 8, (int)(available - 8),
                (const char *)p + 8);
      break;
    case H2_FRAME_PING:
      if (available >= 8)
        fprintf(stderr, "          (opaque_data=%02x%02x%02x%02x%02x%02x%02x%02x)\n",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
      break;
    default: break;
  }
}

void trace_frame(void *user, char direction, const char *origin,
                 const h2_frame_header *hd, const uint8_t *payload,
                 size_t available) {
  get_run *run = user;
  double t = (double)(now_us() - run->started_us) / 1e6;
  (void)origin;
  fprintf(stderr, "[%8.3f] %s %s frame <length=%" PRIu32 ", flags=0x%02x, stream_id=%" PRIu32 ">\n",
          t, direction == 'S' ? "send" : "recv", h2_frame_type_name(hd->type),
          hd->length, hd->flags, hd->stream_id);
  frame_details(hd, payload, available);
}
