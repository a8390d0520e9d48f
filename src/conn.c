/*
 * The client connection: lifecycle, the submit API, failure, and the
 * flood guards shared by the receive and send paths.
 */
#include <stdio.h>
#include <string.h>

#include "conn_internal.h"

static const uint8_t client_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LENGTH (sizeof(client_preface) - 1)
#define RFC_DEFAULT_WINDOW 65535u
/* The memory of reset streams is scanned per late frame: keep it small. */
#define MAX_RECENT_RESETS 4096u

static void default_options(h2_conn_options *o) {
  memset(o, 0, sizeof(*o));
  o->struct_size = sizeof(*o);
  o->header_table_size = H2_HPACK_DEFAULT_TABLE_SIZE;
  o->initial_window_size = RFC_DEFAULT_WINDOW;
  o->max_frame_size = H2_MIN_MAX_FRAME_SIZE;
  o->max_header_list_size = H2_HPACK_DEFAULT_MAX_HEADER_LIST_SIZE;
  o->connection_window_size = 8u << 20;
  o->encoder_table_cap = H2_HPACK_DEFAULT_TABLE_SIZE;
  o->max_header_fields = H2_HPACK_DEFAULT_MAX_FIELDS;
  o->max_continuations = 8;
  o->max_concurrent_streams = 256;
  o->initial_max_concurrent_streams = 100;
  o->max_settings_entries = 32;
  o->max_pending_acks = 1000;
  o->max_send_buffer = 400u << 10;
  o->glitch_burst = 10000;
  o->glitch_per_second = 330;
  o->max_local_resets = 1024;
  o->max_interim_responses = 16;
  o->settings_timeout_ms = 10000;
  o->max_goaway_debug = 1024;
  o->small_data_budget = 25600;
  o->max_unconfirmed_resets = 100;
  o->recent_reset_streams = 50;
  o->recent_reset_ms = 1000;
}

void h2_conn_options_init_sized(h2_conn_options *o, size_t size) {
  if (!o || size < sizeof(uint32_t)) return;
  h2_conn_options full;
  default_options(&full);
  size_t known = size < sizeof(full) ? size : sizeof(full);
  memset(o, 0, size);
  memcpy(o, &full, known);
  o->struct_size = (uint32_t)known;
}

/* Takes the caller's options field by field up to the size its struct
 * had, so an older caller's shorter struct is read safely; zero fields
 * keep the defaults. */
static void resolve_options(h2_conn_options *out, const h2_conn_options *in) {
  default_options(out);
  if (!in) return;
  size_t size = in->struct_size && in->struct_size < sizeof(*in)
                    ? in->struct_size : sizeof(*in);
  const uint32_t *src = (const uint32_t *)(const void *)in;
  uint32_t *dst = (uint32_t *)(void *)out;
  for (size_t i = 1; i < size / sizeof(uint32_t); i++)
    if (src[i] || i == 1) dst[i] = src[i];
  out->struct_size = sizeof(*out);
  if (out->flags & H2_CONN_NO_HEADER_TABLE) out->header_table_size = 0;
}

static int check_options(const h2_conn_options *o) {
  if (o->max_frame_size < H2_MIN_MAX_FRAME_SIZE ||
      o->max_frame_size > H2_MAX_MAX_FRAME_SIZE ||
      o->initial_window_size > H2_MAX_WINDOW_SIZE ||
      o->connection_window_size > H2_MAX_WINDOW_SIZE ||
      o->connection_window_size < RFC_DEFAULT_WINDOW ||
      o->recent_reset_streams > MAX_RECENT_RESETS)
    return H2_ERR_INVALID_ARGUMENT;
  return 0;
}

/* The first flight: preface, SETTINGS, and the connection window. */
static int queue_preface(h2_conn *conn) {
  uint8_t *at;
  int rv = h2_out_reserve(conn, PREFACE_LENGTH, &at);
  if (rv) return rv;
  memcpy(at, client_preface, PREFACE_LENGTH);
  conn->out_end += PREFACE_LENGTH;
  if ((rv = h2_send_settings(conn))) return rv;
  uint32_t extra = conn->opt.connection_window_size - RFC_DEFAULT_WINDOW;
  return extra ? h2_send_window_update(conn, 0, extra) : 0;
}

static int init_conn(h2_conn *conn) {
  const h2_conn_options *o = &conn->opt;
  h2_hpack_decoder_limits limits = {o->max_header_list_size,
                                    o->max_header_fields, 0, 0};
  /* Until the server acknowledges our SETTINGS it may use the RFC's
   * 4096-byte table, so the decoder allows the larger of the two. */
  uint32_t table = o->header_table_size > H2_HPACK_DEFAULT_TABLE_SIZE
                       ? o->header_table_size : H2_HPACK_DEFAULT_TABLE_SIZE;
  int rv = h2_hpack_decoder_new(&conn->decoder, table, &limits, conn->alloc);
  if (!rv) rv = h2_hpack_encoder_new(&conn->encoder, o->encoder_table_cap, conn->alloc);
  if (!rv) rv = h2_stream_map_init(conn, &conn->streams);
  if (!rv) rv = h2_events_init(conn);
  if (!rv) rv = h2_resets_init(conn);
  if (!rv) rv = queue_preface(conn);
  return rv;
}

int h2_conn_client_new(h2_conn **out, const h2_conn_options *options,
                       const h2_allocator *alloc) {
  if (!out) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  h2_conn *conn = h2_calloc(alloc, 1, sizeof(*conn));
  if (!conn) return H2_ERR_NOMEM;
  conn->alloc = alloc;
  resolve_options(&conn->opt, options);
  int rv = check_options(&conn->opt);
  if (rv) {
    h2_free(alloc, conn);
    return rv;
  }
  peer_settings *p = &conn->peer;
  p->header_table_size = H2_HPACK_DEFAULT_TABLE_SIZE;
  p->max_concurrent_streams = conn->opt.initial_max_concurrent_streams;
  p->initial_window_size = RFC_DEFAULT_WINDOW;
  p->max_frame_size = H2_MIN_MAX_FRAME_SIZE;
  p->max_header_list_size = UINT32_MAX;
  conn->send_window = RFC_DEFAULT_WINDOW;
  conn->recv_window = conn->opt.connection_window_size;
  conn->next_stream_id = 1;
  conn->settings_sent_at = UINT64_MAX;
  conn->glitch_tokens = conn->opt.glitch_burst;
  conn->small_data_credit = conn->opt.small_data_budget;
  conn->recv_state = RECV_PREFACE_SETTINGS;
  if ((rv = init_conn(conn))) {
    h2_conn_del(conn);
    return rv;
  }
  *out = conn;
  return 0;
}

void h2_conn_del(h2_conn *conn) {
  if (!conn) return;
  h2_stream_map_free(conn, &conn->streams);
  h2_header_list_del(conn->block.list);
  h2_events_free(conn);
  h2_resets_free(conn);
  h2_hpack_decoder_del(conn->decoder);
  h2_hpack_encoder_del(conn->encoder);
  h2_request_memo_free(conn);
  h2_response_memo_free(conn);
  h2_free(conn->alloc, conn->payload);
  h2_free(conn->alloc, conn->out);
  h2_free(conn->alloc, conn);
}

/* ---- Failure ------------------------------------------------------------ */

/* Ends every stream with `code`; streams that never left are retryable. */
static void fail_streams(h2_conn *conn, int code) {
  for (uint32_t i = 0; i <= conn->streams.mask; i++) {
    h2_stream *s = h2_stream_map_at(&conn->streams, i);
    if (!s) continue;
    uint32_t flags = (s->flags & STREAM_QUEUED) ? H2_EVENT_FLAG_RETRYABLE : 0;
    h2_stream_finish(conn, s, code, flags);
  }
}

int h2_conn_fail(h2_conn *conn, int code, const char *detail) {
  if (conn->failed) return conn->failed;
  conn->failed = code;
  conn->recv_state = RECV_FAILED;
  if (detail != conn->detail_buf) {
    snprintf(conn->detail_buf, sizeof(conn->detail_buf), "%s",
             detail ? detail : h2_strerror(code));
  }
  conn->detail = conn->detail_buf;
  /* GOAWAY tells an HTTP/2 peer why we leave; a peer that is not
   * speaking HTTP/2 would not understand it. */
  if (h2_error_is_connection_level(code) || code == H2_ERR_NOMEM)
    h2_send_goaway(conn, h2_error_wire_code(code));
  fail_streams(conn, code);
  h2_event *e = h2_event_push(conn, H2_EVENT_CONNECTION_ERROR, 0, NULL);
  if (e) {
    e->error = code;
    e->data = (const uint8_t *)conn->detail;
    e->length = strlen(conn->detail);
  }
  h2_conn_check_done(conn);
  return code;
}

int h2_conn_glitch(h2_conn *conn) {
  if (conn->glitch_tokens >= 1) {
    conn->glitch_tokens -= 1;
    return 0;
  }
  conn->counters[H2_COUNTER_GLITCH_FLOOD]++;
  return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                      "too many unusual frames (flood guard)");
}

int h2_conn_stream_error(h2_conn *conn, h2_stream *s, int code,
                         const char *why) {
  if (++conn->local_resets > conn->opt.max_local_resets) {
    conn->counters[H2_COUNTER_LOCAL_RESET_FLOOD]++;
    return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                        "too many stream errors on this connection");
  }
  (void)why;
  int rv = h2_reset_send(conn, s->id, h2_error_wire_code(code));
  if (conn->data_stream == s) conn->data_stream = NULL;
  int finish = h2_stream_finish(conn, s, code, H2_EVENT_FLAG_LOCAL);
  h2_conn_check_done(conn);
  return rv ? rv : finish;
}

int h2_conn_malformed(h2_conn *conn, h2_stream *s, const char *why) {
  conn->counters[H2_COUNTER_MALFORMED_RESPONSE]++;
  return h2_conn_stream_error(conn, s, H2_ERR_STREAM_PROTOCOL, why);
}

int h2_conn_remote_end(h2_conn *conn, h2_stream *s) {
  s->flags |= STREAM_REMOTE_CLOSED;
  if (s->content_length >= 0 && s->data_received != (uint64_t)s->content_length)
    return h2_conn_malformed(conn, s, "response body shorter than its content-length");
  if (!(s->flags & STREAM_LOCAL_CLOSED)) {
    /* The response is complete while we are still sending the request:
     * the rest of the body is not needed (RFC 9113 8.1), so stop it. */
    h2_reset_send(conn, s->id, H2_CANCEL);
  }
  int rv = h2_stream_finish(conn, s, 0, 0);
  h2_conn_check_done(conn);
  return rv;
}

void h2_conn_check_done(h2_conn *conn) {
  if (conn->closed_reported) return;
  int ending = conn->failed || conn->goaway_sent || conn->goaway_received;
  if (!ending || conn->streams.count) return;
  conn->closed_reported = 1;
  h2_event_push(conn, H2_EVENT_CLOSED, 0, NULL);
}

/* ---- Input and time ----------------------------------------------------- */

int h2_conn_recv(h2_conn *conn, const uint8_t *in, size_t length) {
  if (!conn || (!in && length)) return H2_ERR_INVALID_ARGUMENT;
  h2_events_release_delivered(conn);
  if (conn->failed) return conn->failed;
  /* A connection that has reported CLOSED is finished: whatever else the
   * server sends is not parsed. */
  if (conn->closed_reported) return (int)length;
  if (length == 0) {
    const char *why = conn->recv_state == RECV_PREFACE_SETTINGS
                          ? "the server closed the connection before its SETTINGS"
                          : "the server closed the connection";
    return h2_conn_fail(conn, H2_ERR_CONNECTION_CLOSED, why);
  }
  return h2_conn_process(conn, in, length);
}

/* Both flood budgets refill with time: a flood is many frames per second,
 * while a server that trickles a frame now and then is merely slow (its
 * cure is the client's response timeout). The small-DATA budget refills
 * fully each second. */
static void refill_glitches(h2_conn *conn, uint64_t now) {
  if (conn->glitch_refilled_at && now > conn->glitch_refilled_at) {
    uint64_t elapsed = now - conn->glitch_refilled_at;
    conn->glitch_tokens += (double)elapsed * conn->opt.glitch_per_second / 1000.0;
    if (conn->glitch_tokens > conn->opt.glitch_burst)
      conn->glitch_tokens = conn->opt.glitch_burst;
    int64_t budget = conn->opt.small_data_budget;
    conn->small_data_credit += (int64_t)(elapsed > 1000 ? 1000 : elapsed) * budget / 1000;
    if (conn->small_data_credit > budget) conn->small_data_credit = budget;
  }
  conn->glitch_refilled_at = now;
}

int h2_conn_tick(h2_conn *conn, uint64_t now_ms) {
  if (!conn) return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  conn->now_ms = now_ms;
  conn->clock_started = 1;
  refill_glitches(conn, now_ms);
  h2_resets_tick(conn);
  if (conn->local_settings_unacked && conn->settings_sent_at == UINT64_MAX)
    conn->settings_sent_at = now_ms;
  if (conn->local_settings_unacked &&
      now_ms - conn->settings_sent_at >= conn->opt.settings_timeout_ms) {
    conn->counters[H2_COUNTER_SETTINGS_TIMEOUT]++;
    return h2_conn_fail(conn, H2_ERR_CONN_SETTINGS_TIMEOUT,
                        "the server did not acknowledge our SETTINGS in time");
  }
  return 0;
}

uint64_t h2_conn_next_deadline(const h2_conn *conn) {
  if (conn->failed || !conn->local_settings_unacked) return UINT64_MAX;
  if (conn->settings_sent_at == UINT64_MAX) return conn->now_ms;
  return conn->settings_sent_at + conn->opt.settings_timeout_ms;
}
