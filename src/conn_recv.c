/*
 * The receive path: a state machine over the server's bytes.
 *
 * Frame headers are checked before anything of the payload is kept. DATA
 * is never buffered: its bytes are handed out as views into the caller's
 * input as they arrive, so a frame cut across reads costs no copy. Other
 * payloads are used in place when whole in the input, and gathered in a
 * buffer of SETTINGS_MAX_FRAME_SIZE bytes otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "conn_internal.h"
#include "byte_order.h"

static int handle_frame(h2_conn *conn, const uint8_t *payload);
static void check_data_length(h2_conn *conn);

/* ---- Stream lookups ----------------------------------------------------- */

/* Whether a stream id names a stream we opened that is now gone. */
static int is_closed_id(const h2_conn *conn, uint32_t id) {
  return (id & 1) && id < conn->next_stream_id;
}

/* The live, sent stream for a frame, or NULL. Frames for idle streams
 * (never opened, or still waiting in our queue) are a connection error;
 * `*fatal` gets it. */
static h2_stream *stream_for_frame(h2_conn *conn, uint32_t id, int *fatal,
                                   const char *what) {
  *fatal = 0;
  h2_stream *s = h2_stream_find(&conn->streams, id);
  if (s && !(s->flags & STREAM_QUEUED)) return s;
  if (!s && is_closed_id(conn, id)) return NULL;
  /* A promised stream we refused is closed too, though never opened. */
  if (!s && h2_conn_recently_reset(conn, id)) return NULL;
  snprintf(conn->detail_buf, sizeof(conn->detail_buf),
           "%s on idle stream %u", what, id);
  *fatal = h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL, conn->detail_buf);
  return NULL;
}

/* WINDOW_UPDATE or RST_STREAM for a closed stream. The server may have
 * sent it before it saw our reset (an RST_STREAM crossing ours is
 * common): ignored quietly. Otherwise it is harmless one by one but costs
 * work, so each is charged to the glitch bucket. */
static int closed_stream_control(h2_conn *conn, uint32_t id) {
  return h2_conn_recently_reset(conn, id) ? 0 : h2_conn_glitch(conn);
}

/* ---- DATA --------------------------------------------------------------- */

/* Many tiny DATA frames cost a frame's worth of work for a few bytes each:
 * a frame under 256 bytes spends 256 minus its length of a budget that
 * larger frames fill again, and an empty budget ends the connection.
 * A small response is legitimately a small frame or two: the first small
 * frame of a stream and the frame that ends it are free, so a client
 * making many small requests quickly (one per stream, and streams are
 * ours to open) never trips the guard. */
#define SMALL_DATA_FRAME 256

static int small_data_is_free(h2_stream *s, uint8_t flags) {
  if (!s) return 0;
  if (flags & H2_FLAG_END_STREAM) return 1;
  if (s->flags & STREAM_SMALL_DATA_SEEN) return 0;
  s->flags |= STREAM_SMALL_DATA_SEEN;
  return 1;
}

static int charge_small_data(h2_conn *conn, h2_stream *s, uint8_t flags,
                             uint32_t length) {
  int64_t budget = conn->opt.small_data_budget;
  if (length < SMALL_DATA_FRAME && small_data_is_free(s, flags)) return 0;
  if (length >= SMALL_DATA_FRAME) {
    conn->small_data_credit += length - SMALL_DATA_FRAME;
    if (conn->small_data_credit > budget) conn->small_data_credit = budget;
    return 0;
  }
  conn->small_data_credit -= SMALL_DATA_FRAME - length;
  if (conn->small_data_credit >= 0) return 0;
  conn->counters[H2_COUNTER_SMALL_DATA_FLOOD]++;
  return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                      "flood of tiny DATA frames");
}

/* Handles a DATA frame's header: flow control and the stream's state. */
static int begin_data(h2_conn *conn) {
  const h2_frame_header *hd = &conn->hd;
  conn->recv_window -= hd->length;
  if (conn->recv_window < 0) {
    conn->counters[H2_COUNTER_FLOW_CONTROL_VIOLATION]++;
    return h2_conn_fail(conn, H2_ERR_CONN_FLOW_CONTROL,
                        "DATA beyond the connection window");
  }
  int fatal;
  h2_stream *s = stream_for_frame(conn, hd->stream_id, &fatal, "DATA");
  if (fatal) return fatal;
  /* The server ended this stream itself, so it cannot be racing us: DATA
   * now is an error. DATA for streams we reset is expected and dropped. */
  if (!s && !h2_conn_recently_reset(conn, hd->stream_id))
    return h2_conn_fail(conn, H2_ERR_CONN_STREAM_CLOSED,
                        "DATA on a stream the server already ended");
  if (s && !(s->flags & STREAM_FINAL_HEADERS)) {
    h2_conn_malformed(conn, s, "DATA before the response's HEADERS");
    s = NULL;
  }
  if (s) {
    int64_t window = (int64_t)s->recv_window - hd->length;
    if (window < 0) {
      conn->counters[H2_COUNTER_FLOW_CONTROL_VIOLATION]++;
      h2_conn_stream_error(conn, s, H2_ERR_STREAM_FLOW_CONTROL,
                           "DATA beyond the stream window");
      s = NULL;
    } else {
      s->recv_window = (int32_t)window;
    }
  }
  if (hd->length == 0 && !(hd->flags & H2_FLAG_END_STREAM)) {
    int rv = h2_conn_glitch(conn);
    if (rv) return rv;
  }
  int rv = charge_small_data(conn, s, hd->flags, hd->length);
  if (rv) return rv;
  conn->data_stream = s;
  conn->pad_left = 0;
  if (hd->flags & H2_FLAG_PADDED) {
    conn->recv_state = RECV_DATA_PAD_LENGTH;
  } else {
    conn->data_left = hd->length;
    conn->recv_state = RECV_DATA;
    check_data_length(conn);
  }
  return 0;
}

/* Credits bytes the application will never see: padding, and DATA of
 * streams that are gone. They still counted against the windows. */
static int credit_unseen(h2_conn *conn, h2_stream *s, uint64_t bytes) {
  if (!bytes) return 0;
  int rv = h2_credit_connection(conn, bytes);
  if (!rv && s) rv = h2_credit_stream(conn, s, bytes);
  return rv;
}

static int read_pad_length(h2_conn *conn, uint8_t pad) {
  if (pad >= conn->hd.length) {
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "DATA padding longer than the frame");
  }
  conn->data_left = conn->hd.length - 1 - pad;
  conn->pad_left = pad;
  conn->recv_state = RECV_DATA;
  int rv = credit_unseen(conn, conn->data_stream, (uint64_t)pad + 1);
  check_data_length(conn);
  return rv;
}

/* Checks, once a DATA frame's data length is known and before any of it
 * is delivered, that it fits the response's declared length: deciding per
 * frame keeps the outcome independent of how the input was cut. */
static void check_data_length(h2_conn *conn) {
  h2_stream *s = conn->data_stream;
  if (!s || !conn->data_left) return;
  uint64_t total = s->data_received + conn->data_left;
  if ((s->content_length >= 0 && total > (uint64_t)s->content_length) ||
      (s->flags & STREAM_IS_HEAD)) {
    conn->data_stream = NULL;
    h2_conn_malformed(conn, s, "response body longer than its content-length");
  }
}

/* Hands `n` bytes of DATA to the application (or drops them). */
static int deliver_data(h2_conn *conn, const uint8_t *p, uint32_t n) {
  h2_stream *s = conn->data_stream;
  if (!s) return h2_credit_connection(conn, n);
  s->data_received += n;
  h2_event *e = h2_event_push(conn, H2_EVENT_DATA, s->id, NULL);
  if (!e) return H2_ERR_NOMEM;
  e->data = p;
  e->length = n;
  e->user = s->user;
  return 0;
}

/* The DATA frame is fully read. */
static int end_data(h2_conn *conn) {
  h2_stream *s = conn->data_stream;
  conn->data_stream = NULL;
  conn->recv_state = RECV_HEADER;
  if (s && (conn->hd.flags & H2_FLAG_END_STREAM)) return h2_conn_remote_end(conn, s);
  return 0;
}

/* Consumes DATA bytes from the input; returns how many. END_STREAM takes
 * effect only once the whole frame, padding included, has arrived: a
 * connection cut inside the padding must not pass for a clean end. */
static size_t process_data(h2_conn *conn, const uint8_t *p, size_t avail) {
  uint32_t n = avail < conn->data_left ? (uint32_t)avail : conn->data_left;
  conn->data_left -= n;
  if (n && deliver_data(conn, p, n)) return n;
  if (conn->data_left) return n;
  if (conn->pad_left) {
    conn->skip_left = conn->pad_left;
    conn->pad_left = 0;
    conn->end_after_skip = conn->data_stream ? conn->data_stream->id : 0;
    conn->data_stream = NULL;
    conn->recv_state = RECV_SKIP;
    return n;
  }
  end_data(conn);
  return n;
}

/* The padding of a DATA frame has been skipped: apply its END_STREAM. */
static void end_padded_data(h2_conn *conn) {
  uint32_t id = conn->end_after_skip;
  conn->end_after_skip = 0;
  if (!id || !(conn->hd.flags & H2_FLAG_END_STREAM)) return;
  h2_stream *s = h2_stream_find(&conn->streams, id);
  if (s) h2_conn_remote_end(conn, s);
}

/* ---- Frame headers ------------------------------------------------------ */

static int not_http2(h2_conn *conn) {
  static const char http1[] = "HTTP/1.";
  if (memcmp(conn->header_bytes, http1, sizeof(http1) - 1) == 0)
    return h2_conn_fail(conn, H2_ERR_NOT_HTTP2,
                        "the server answered in HTTP/1.1, not HTTP/2");
  return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                      "the server's first frame is not SETTINGS: "
                      "it may not be speaking HTTP/2");
}

/* Rules that need the connection's state: the preface, and field blocks
 * that must not be interleaved with other frames. */
static int check_sequence(h2_conn *conn) {
  const h2_frame_header *hd = &conn->hd;
  if (conn->recv_state == RECV_PREFACE_SETTINGS &&
      (hd->type != H2_FRAME_SETTINGS || (hd->flags & H2_FLAG_ACK)))
    return not_http2(conn);
  if (conn->block.open &&
      (hd->type != H2_FRAME_CONTINUATION || hd->stream_id != conn->block.stream_id))
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "a field block was interrupted by another frame");
  if (!conn->block.open && hd->type == H2_FRAME_CONTINUATION)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "CONTINUATION without an open field block");
  return 0;
}

static int begin_frame(h2_conn *conn) {
  h2_frame_header_unpack(&conn->hd, conn->header_bytes);
  int rv = check_sequence(conn);
  if (rv) return rv;
  const char *reason = NULL;
  rv = h2_frame_header_check(&conn->hd, conn->opt.max_frame_size, &reason);
  if (h2_error_is_fatal(rv)) {
    /* A first frame that is SETTINGS but malformed comes from an HTTP/2
     * server with a bug, and gets the precise error; anything else first
     * means the peer is not speaking HTTP/2 at all. */
    if (conn->recv_state == RECV_PREFACE_SETTINGS &&
        conn->hd.type != H2_FRAME_SETTINGS)
      return not_http2(conn);
    return h2_conn_fail(conn, rv, reason);
  }
  if (rv) {
    /* A PRIORITY of the wrong length: a stream error for a stream we may
     * not even know; the connection survives and the payload is skipped. */
    h2_stream *s = h2_stream_find(&conn->streams, conn->hd.stream_id);
    if (s && !(s->flags & STREAM_QUEUED)) h2_conn_stream_error(conn, s, rv, reason);
    conn->skip_left = conn->hd.length;
    conn->recv_state = conn->skip_left ? RECV_SKIP : RECV_HEADER;
    return 0;
  }
  if (conn->hd.type == H2_FRAME_DATA) return begin_data(conn);
  conn->payload_have = 0;
  conn->recv_state = RECV_PAYLOAD;
  return 0;
}

/* Gathers a non-DATA payload; returns bytes used. The frame is handled in
 * place when the input holds all of it. */
static size_t process_payload(h2_conn *conn, const uint8_t *p, size_t avail) {
  uint32_t length = conn->hd.length;
  if (conn->payload_have == 0 && avail >= length) {
    conn->recv_state = RECV_HEADER;
    handle_frame(conn, p);
    return length;
  }
  if (!conn->payload) {
    conn->payload = h2_malloc(conn->alloc, conn->opt.max_frame_size);
    if (!conn->payload) {
      h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory for a frame");
      return avail;
    }
  }
  size_t n = length - conn->payload_have;
  if (n > avail) n = avail;
  memcpy(conn->payload + conn->payload_have, p, n);
  conn->payload_have += (uint32_t)n;
  if (conn->payload_have == length) {
    conn->recv_state = RECV_HEADER;
    handle_frame(conn, conn->payload);
  }
  return n;
}

static size_t process_header(h2_conn *conn, const uint8_t *p, size_t avail) {
  size_t n = H2_FRAME_HEADER_LENGTH - conn->header_have;
  if (n > avail) n = avail;
  memcpy(conn->header_bytes + conn->header_have, p, n);
  conn->header_have += (uint32_t)n;
  if (conn->header_have == H2_FRAME_HEADER_LENGTH) {
    conn->header_have = 0;
    begin_frame(conn);
  }
  return n;
}

int h2_conn_process(h2_conn *conn, const uint8_t *in, size_t length) {
  const uint8_t *p = in, *end = in + length;
  while (p < end && !conn->failed && !conn->closed_reported) {
    size_t avail = (size_t)(end - p), used = 0;
    switch (conn->recv_state) {
      case RECV_PREFACE_SETTINGS:
      case RECV_HEADER: used = process_header(conn, p, avail); break;
      case RECV_PAYLOAD: used = process_payload(conn, p, avail); break;
      case RECV_DATA_PAD_LENGTH:
        used = 1;
        read_pad_length(conn, *p);
        break;
      case RECV_DATA: used = process_data(conn, p, avail); break;
      case RECV_SKIP:
        used = avail < conn->skip_left ? avail : conn->skip_left;
        conn->skip_left -= (uint32_t)used;
        if (!conn->skip_left) {
          conn->recv_state = RECV_HEADER;
          end_padded_data(conn);
        }
        break;
      default: return conn->failed;
    }
    p += used;
    /* A zero-length payload completes without consuming input. */
    if (conn->recv_state == RECV_PAYLOAD && conn->hd.length == 0 && !conn->failed) {
      conn->recv_state = RECV_HEADER;
      handle_frame(conn, NULL);
    } else if (conn->recv_state == RECV_DATA && conn->data_left == 0 &&
               !conn->failed) {
      process_data(conn, p, 0);
    }
  }
  return conn->failed ? conn->failed : (int)length;
}

/* ---- Control frames ----------------------------------------------------- */

static int queue_ack(h2_conn *conn, const h2_frame *ack) {
  if (++conn->acks_since_drain > conn->opt.max_pending_acks) {
    conn->counters[H2_COUNTER_ACK_FLOOD]++;
    return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                        "the server sends PING or SETTINGS faster than it "
                        "reads our acknowledgements");
  }
  return h2_send_frame(conn, ack);
}

static int handle_ping(h2_conn *conn, const h2_frame *fr) {
  if (fr->hd.flags & H2_FLAG_ACK) {
    int ours = h2_reset_ping_acked(conn, fr->payload);
    if (ours) return ours < 0 ? ours : 0;
    if (!conn->pings_outstanding) return h2_conn_glitch(conn);
    conn->pings_outstanding--;
    const uint8_t *copy;
    h2_header_list *bytes = h2_events_copy(conn, fr->payload, 8, &copy);
    if (!bytes) return h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory");
    h2_event *e = h2_event_push(conn, H2_EVENT_PING_ACK, 0, bytes);
    if (!e) return H2_ERR_NOMEM;
    e->data = copy;
    e->length = 8;
    return 0;
  }
  h2_frame ack = *fr;
  ack.hd.flags = H2_FLAG_ACK;
  return queue_ack(conn, &ack);
}

/* Applies an INITIAL_WINDOW_SIZE change to every open stream (RFC 9113
 * 6.9.2): windows may go negative, and none may pass 2^31 - 1. */
static int apply_initial_window(h2_conn *conn, uint32_t value) {
  int64_t delta = (int64_t)value - (int64_t)conn->peer.initial_window_size;
  conn->peer.initial_window_size = value;
  for (uint32_t i = 0; i <= conn->streams.mask; i++) {
    h2_stream *s = h2_stream_map_at(&conn->streams, i);
    if (!s) continue;
    int64_t window = s->send_window + delta;
    if (window > H2_MAX_WINDOW_SIZE)
      return h2_conn_fail(conn, H2_ERR_CONN_FLOW_CONTROL,
                          "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window");
    s->send_window = (int32_t)window;
    if (delta > 0 && s->send_window > 0 && h2_stream_body_pending(s))
      h2_stream_send_list_add(conn, s);
  }
  return 0;
}

/* One-way settings (RFC 8441, RFC 9218): once announced, a value may not
 * change. */
static int apply_sticky(h2_conn *conn, uint32_t *current, int *seen,
                        uint32_t value, const char *what) {
  if (*seen && *current != value) {
    snprintf(conn->detail_buf, sizeof(conn->detail_buf),
             "the server changed %s", what);
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL, conn->detail_buf);
  }
  *seen = 1;
  *current = value;
  return 0;
}

static int apply_setting(h2_conn *conn, uint16_t id, uint32_t value) {
  peer_settings *p = &conn->peer;
  switch (id) {
    case H2_SETTINGS_HEADER_TABLE_SIZE:
      p->header_table_size = value;
      h2_hpack_encoder_set_peer_max_table_size(conn->encoder, value);
      return 0;
    case H2_SETTINGS_ENABLE_PUSH:
      if (value)
        return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                            "the server sent SETTINGS_ENABLE_PUSH=1");
      return 0;
    case H2_SETTINGS_MAX_CONCURRENT_STREAMS:
      p->max_concurrent_streams =
          value < conn->opt.max_concurrent_streams ? value : conn->opt.max_concurrent_streams;
      return 0;
    case H2_SETTINGS_INITIAL_WINDOW_SIZE: return apply_initial_window(conn, value);
    case H2_SETTINGS_MAX_FRAME_SIZE: p->max_frame_size = value; return 0;
    case H2_SETTINGS_MAX_HEADER_LIST_SIZE: p->max_header_list_size = value; return 0;
    case H2_SETTINGS_ENABLE_CONNECT_PROTOCOL:
      /* RFC 8441 section 3: once enabled it may not be withdrawn; enabling
       * it later is fine. */
      if (p->enable_connect_protocol == 1 && value == 0)
        return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                            "the server withdrew SETTINGS_ENABLE_CONNECT_PROTOCOL");
      p->enable_connect_protocol = value;
      return 0;
    case H2_SETTINGS_NO_RFC7540_PRIORITIES:
      return apply_sticky(conn, &p->no_rfc7540_priorities, &p->priorities_seen,
                          value, "SETTINGS_NO_RFC7540_PRIORITIES");
    default: return 0; /* unknown settings are ignored */
  }
}

static int settings_acked(h2_conn *conn) {
  if (!conn->local_settings_unacked)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "SETTINGS ACK without SETTINGS outstanding");
  if (--conn->local_settings_unacked == 0) {
    h2_hpack_decoder_set_max_table_size(conn->decoder, conn->opt.header_table_size);
    conn->settings_sent_at = UINT64_MAX;
  }
  return 0;
}

static int handle_settings(h2_conn *conn, const h2_frame *fr) {
  if (fr->hd.flags & H2_FLAG_ACK) return settings_acked(conn);
  if (fr->settings_count > conn->opt.max_settings_entries) {
    conn->counters[H2_COUNTER_SETTINGS_TOO_LARGE]++;
    return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                        "SETTINGS frame with too many entries");
  }
  if (!conn->peer.received) {
    /* A server that omits the limit allows "unlimited": our cap rules. */
    conn->peer.max_concurrent_streams = conn->opt.max_concurrent_streams;
    conn->peer.received = 1;
  }
  for (uint32_t i = 0; i < fr->settings_count; i++) {
    uint16_t id;
    uint32_t value;
    h2_frame_setting(fr, i, &id, &value);
    int rv = apply_setting(conn, id, value);
    if (rv) return rv;
  }
  h2_frame ack = {0};
  ack.hd.type = H2_FRAME_SETTINGS;
  ack.hd.flags = H2_FLAG_ACK;
  int rv = queue_ack(conn, &ack);
  if (rv) return rv;
  if (!h2_event_push(conn, H2_EVENT_SETTINGS, 0, NULL)) return H2_ERR_NOMEM;
  return h2_activate_queued(conn);
}

static int handle_window_update(h2_conn *conn, const h2_frame *fr) {
  if (fr->hd.stream_id == 0) {
    /* Checked before applying, so a window never holds an illegal value. */
    if (conn->send_window + fr->value > H2_MAX_WINDOW_SIZE)
      return h2_conn_fail(conn, H2_ERR_CONN_FLOW_CONTROL,
                          "WINDOW_UPDATE overflows the connection window");
    conn->send_window += fr->value;
    return 0;
  }
  int fatal;
  h2_stream *s = stream_for_frame(conn, fr->hd.stream_id, &fatal, "WINDOW_UPDATE");
  if (!s) return fatal ? fatal : closed_stream_control(conn, fr->hd.stream_id);
  int64_t window = (int64_t)s->send_window + fr->value;
  if (window > H2_MAX_WINDOW_SIZE)
    return h2_conn_stream_error(conn, s, H2_ERR_STREAM_FLOW_CONTROL,
                                "WINDOW_UPDATE overflows a stream window");
  s->send_window = (int32_t)window;
  if (s->send_window > 0 && (h2_stream_body_pending(s) ||
                             ((s->flags & STREAM_BODY_ENDING) &&
                              !(s->flags & STREAM_LOCAL_CLOSED))))
    h2_stream_send_list_add(conn, s);
  return 0;
}

static int handle_rst_stream(h2_conn *conn, const h2_frame *fr) {
  int fatal;
  h2_stream *s = stream_for_frame(conn, fr->hd.stream_id, &fatal, "RST_STREAM");
  if (!s) return fatal ? fatal : closed_stream_control(conn, fr->hd.stream_id);
  uint32_t flags = fr->error_code == H2_REFUSED_STREAM ? H2_EVENT_FLAG_RETRYABLE : 0;
  int rv = h2_stream_finish(conn, s, h2_error_from_wire(fr->error_code, 1), flags);
  h2_conn_check_done(conn);
  return rv;
}

/* GOAWAY: streams above the last id were not processed and may be
 * retried anywhere; requests still queued never left. */
static int handle_goaway(h2_conn *conn, const h2_frame *fr) {
  if (conn->goaway_received && fr->value > conn->goaway_last_stream_id)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "GOAWAY raised the last stream id");
  conn->goaway_received = 1;
  conn->goaway_last_stream_id = fr->value;
  size_t debug = fr->payload_length < conn->opt.max_goaway_debug
                     ? fr->payload_length : conn->opt.max_goaway_debug;
  const uint8_t *copy;
  h2_header_list *bytes = h2_events_copy(conn, fr->payload, debug, &copy);
  if (!bytes) return h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory");
  h2_event *e = h2_event_push(conn, H2_EVENT_GOAWAY, 0, bytes);
  if (!e) return H2_ERR_NOMEM;
  e->error = fr->error_code ? h2_error_from_wire(fr->error_code, 0) : 0;
  e->value = fr->value;
  e->data = copy;
  e->length = debug;
  /* Finishing a stream leaves a tombstone in its slot, so the walk over
   * the map stays valid. */
  for (uint32_t i = 0; i <= conn->streams.mask; i++) {
    h2_stream *s = h2_stream_map_at(&conn->streams, i);
    if (!s) continue;
    if (s->id > fr->value || (s->flags & STREAM_QUEUED))
      h2_stream_finish(conn, s, H2_ERR_STREAM_REFUSED, H2_EVENT_FLAG_RETRYABLE);
  }
  h2_conn_check_done(conn);
  return 0;
}

static int handle_push_promise(h2_conn *conn, const h2_frame *fr) {
  /* We sent ENABLE_PUSH=0. Once the server has acknowledged it a promise
   * is an error; before that it is legal, and we refuse the stream after
   * decoding its fields to keep HPACK in sync. */
  if (!conn->local_settings_unacked)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "PUSH_PROMISE although push is disabled");
  int fatal;
  h2_stream *s = stream_for_frame(conn, fr->hd.stream_id, &fatal, "PUSH_PROMISE");
  if (fatal) return fatal;
  /* On a stream the server ended, a promise can only be an error, unless
   * it raced our own reset of that stream. */
  if (!s && !h2_conn_recently_reset(conn, fr->hd.stream_id))
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "PUSH_PROMISE on a closed stream");
  /* Promised ids are the server's: even, and always increasing. */
  if ((fr->value & 1) || fr->value <= conn->last_promised_id)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "PUSH_PROMISE with an invalid promised stream id");
  conn->last_promised_id = fr->value;
  return h2_block_begin(conn, fr, fr->value, 0);
}

static int handle_frame(h2_conn *conn, const uint8_t *payload) {
  h2_frame fr;
  const char *reason = NULL;
  int rv = h2_frame_unpack(&fr, &conn->hd, payload, &reason);
  if (h2_error_is_fatal(rv)) return h2_conn_fail(conn, rv, reason);
  int stream_error = rv;
  if (stream_error && fr.hd.type != H2_FRAME_HEADERS) {
    h2_stream *s = h2_stream_find(&conn->streams, fr.hd.stream_id);
    if (s && !(s->flags & STREAM_QUEUED))
      return h2_conn_stream_error(conn, s, stream_error, reason);
    return 0;
  }
  switch (fr.hd.type) {
    case H2_FRAME_HEADERS: return h2_block_begin(conn, &fr, 0, stream_error);
    case H2_FRAME_CONTINUATION: return h2_block_continue(conn, &fr);
    case H2_FRAME_SETTINGS: return handle_settings(conn, &fr);
    case H2_FRAME_PING: return handle_ping(conn, &fr);
    case H2_FRAME_WINDOW_UPDATE: return handle_window_update(conn, &fr);
    case H2_FRAME_RST_STREAM: return handle_rst_stream(conn, &fr);
    case H2_FRAME_GOAWAY: return handle_goaway(conn, &fr);
    case H2_FRAME_PUSH_PROMISE: return handle_push_promise(conn, &fr);
    case H2_FRAME_PRIORITY_UPDATE:
      return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                          "servers must not send PRIORITY_UPDATE");
    default: return h2_conn_glitch(conn); /* PRIORITY, unknown types */
  }
}
