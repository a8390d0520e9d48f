/* Counting what a client connection sends (see client_output.h). */
#include "client_output.h"

#include <string.h>

#include "test.h"

void count_sent(const uint8_t *p, size_t n, sent_stats *st) {
  if (!st->preface_seen && n >= 24) {
    p += 24;
    n -= 24;
    st->preface_seen = 1;
  }
  while (n >= 9) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, p);
    REQUIRE(n >= 9 + hd.length);
    if (hd.type == H2_FRAME_DATA) {
      st->data_frames++;
      st->data_bytes += hd.length;
      st->empty_data += hd.length == 0;
      st->end_stream += (hd.flags & H2_FLAG_END_STREAM) != 0;
    }
    if (hd.type == H2_FRAME_WINDOW_UPDATE) st->window_updates++;
    if (hd.type == H2_FRAME_RST_STREAM) st->rst++;
    if (hd.type == H2_FRAME_PING && (hd.flags & H2_FLAG_ACK)) st->ping_acks++;
    if (hd.type == H2_FRAME_PING && !(hd.flags & H2_FLAG_ACK)) st->pings++;
    if (hd.type == H2_FRAME_HEADERS && hd.stream_id > st->max_headers_id)
      st->max_headers_id = hd.stream_id;
    if (hd.type == H2_FRAME_GOAWAY) {
      st->goaway++;
      st->goaway_code = (uint32_t)p[13] << 24 | (uint32_t)p[14] << 16 |
                        (uint32_t)p[15] << 8 | p[16];
    }
    p += 9 + hd.length;
    n -= 9 + hd.length;
  }
  CHECK_EQ_INT(n, 0);
}

void drain_output(h2_conn *conn, sent_stats *st) {
  h2_event ev[64];
  while (h2_conn_poll(conn, ev, 64) > 0) {
  }
  const uint8_t *out;
  size_t n;
  while ((n = h2_conn_peek_output(conn, &out)) > 0) {
    count_sent(out, n, st);
    h2_conn_consume_output(conn, n);
    while (h2_conn_poll(conn, ev, 64) > 0) {
    }
  }
}

void feed_script(h2_conn *conn, const h2_script *s) {
  CHECK_EQ_INT(h2_conn_recv(conn, s->bytes, s->length), (int)s->length);
}

void confirm_resets(h2_conn *conn) {
  h2_script s;
  script_init(&s);
  script_ping(&s, 1, "libh2rst");
  feed_script(conn, &s);
  script_free(&s);
}
