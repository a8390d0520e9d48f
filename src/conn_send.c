/*
 * The send path: frames are serialised into one contiguous output buffer
 * that the caller drains (h2_conn_peek_output / h2_conn_send).
 *
 * Control frames (ACKs, WINDOW_UPDATE, RST_STREAM, GOAWAY) are written the
 * moment they are decided, so they always precede request body that is
 * still queued. HEADERS are written when a stream gets its concurrency
 * slot, in stream-id order, which is also the order the HPACK encoder saw
 * them. Request body is framed lazily, when the caller asks for output,
 * round robin across streams and within both flow-control windows.
 */
#include <string.h>

#include "conn_internal.h"
#include "byte_order.h"
#include "hpack_encoder_internal.h"

/* How much body is framed ahead of the caller draining the output. */
#define OUTPUT_BATCH (64 * 1024)

/* The output buffer's first size, and the size it returns to once a burst
 * that grew it (many requests submitted before any output was taken) has
 * been drained: a connection keeps no more than it normally needs. */
#define OUTPUT_RESTING_CAPACITY 4096u

int h2_out_reserve(h2_conn *conn, size_t length, uint8_t **at) {
  if (conn->out_capacity - conn->out_end < length) {
    /* Move what is left to the front before growing. */
    size_t pending = conn->out_end - conn->out_start;
    if (conn->out_start) {
      memmove(conn->out, conn->out + conn->out_start, pending);
      conn->out_start = 0;
      conn->out_end = pending;
    }
    if (conn->out_capacity - conn->out_end < length) {
      size_t capacity = conn->out_capacity ? conn->out_capacity
                                           : OUTPUT_RESTING_CAPACITY;
      while (capacity - pending < length) capacity *= 2;
      uint8_t *out = h2_realloc(conn->alloc, conn->out, capacity);
      if (!out) return H2_ERR_NOMEM;
      conn->out = out;
      conn->out_capacity = capacity;
    }
  }
  *at = conn->out + conn->out_end;
  return 0;
}

int h2_send_frame(h2_conn *conn, const h2_frame *fr) {
  size_t length = h2_frame_packed_length(fr);
  uint8_t *at;
  int rv = h2_out_reserve(conn, length, &at);
  if (rv) return rv;
  rv = h2_frame_pack(at, length, fr);
  if (rv < 0) return rv;
  conn->out_end += (size_t)rv;
  return 0;
}

int h2_send_settings(h2_conn *conn) {
  const h2_conn_options *o = &conn->opt;
  uint8_t entries[6 * 6];
  size_t n = 0;
  h2_setting_pack(entries + 6 * n++, H2_SETTINGS_ENABLE_PUSH, 0);
  h2_setting_pack(entries + 6 * n++, H2_SETTINGS_INITIAL_WINDOW_SIZE,
                  o->initial_window_size);
  h2_setting_pack(entries + 6 * n++, H2_SETTINGS_MAX_HEADER_LIST_SIZE,
                  o->max_header_list_size);
  if (o->header_table_size != H2_HPACK_DEFAULT_TABLE_SIZE)
    h2_setting_pack(entries + 6 * n++, H2_SETTINGS_HEADER_TABLE_SIZE,
                    o->header_table_size);
  if (o->max_frame_size != H2_MIN_MAX_FRAME_SIZE)
    h2_setting_pack(entries + 6 * n++, H2_SETTINGS_MAX_FRAME_SIZE,
                    o->max_frame_size);
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_SETTINGS;
  fr.payload = entries;
  fr.payload_length = (uint32_t)(6 * n);
  conn->local_settings_unacked++;
  conn->settings_sent_at = conn->clock_started ? conn->now_ms : UINT64_MAX;
  return h2_send_frame(conn, &fr);
}

int h2_send_window_update(h2_conn *conn, uint32_t stream_id, uint32_t inc) {
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_WINDOW_UPDATE;
  fr.hd.stream_id = stream_id;
  fr.value = inc;
  return h2_send_frame(conn, &fr);
}

int h2_send_rst(h2_conn *conn, uint32_t stream_id, uint32_t code) {
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_RST_STREAM;
  fr.hd.stream_id = stream_id;
  fr.error_code = code;
  return h2_send_frame(conn, &fr);
}

int h2_send_goaway(h2_conn *conn, uint32_t code) {
  if (conn->goaway_sent) return 0;
  conn->goaway_sent = 1;
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_GOAWAY;
  /* A client that refuses push has processed no server-initiated
   * stream, so the last stream id is always 0. */
  fr.value = 0;
  fr.error_code = code;
  return h2_send_frame(conn, &fr);
}

/* Writes an encoded field block as HEADERS plus as many CONTINUATIONs as
 * the server's SETTINGS_MAX_FRAME_SIZE requires. */
static int frame_block(h2_conn *conn, uint32_t stream_id, const uint8_t *block,
                       size_t length, int end_stream) {
  size_t max = conn->peer.max_frame_size;
  size_t frames = length ? (length + max - 1) / max : 1;
  uint8_t *at;
  int rv = h2_out_reserve(conn, length + frames * H2_FRAME_HEADER_LENGTH, &at);
  if (rv) return rv;
  size_t offset = 0;
  for (size_t i = 0; i < frames; i++) {
    size_t chunk = length - offset < max ? length - offset : max;
    h2_frame_header hd = {(uint32_t)chunk, stream_id,
                          (uint8_t)(i ? H2_FRAME_CONTINUATION : H2_FRAME_HEADERS),
                          0, {0, 0}};
    if (i == 0 && end_stream) hd.flags |= H2_FLAG_END_STREAM;
    if (i == frames - 1) hd.flags |= H2_FLAG_END_HEADERS;
    h2_frame_header_pack(at, &hd);
    if (chunk) memcpy(at + H2_FRAME_HEADER_LENGTH, block + offset, chunk);
    at += H2_FRAME_HEADER_LENGTH + chunk;
    offset += chunk;
  }
  conn->out_end += length + frames * H2_FRAME_HEADER_LENGTH;
  return 0;
}

/* Encodes fields into a block (on the stack when small) and frames it.
 * `memoized`: the fields are the request memo's; their block is reused
 * when the encoder's state allows, and kept when encoding left the state
 * as it found it. */
static int encode_and_frame(h2_conn *conn, uint32_t stream_id,
                            const h2_header *f, size_t count, int end_stream,
                            int memoized) {
  size_t length;
  const uint8_t *kept = memoized ? h2_request_memo_block(conn, &length) : NULL;
  if (kept) return frame_block(conn, stream_id, kept, length, end_stream);
  size_t bound = h2_hpack_encode_bound(conn->encoder, f, count);
  uint8_t stack_block[2048];
  uint8_t *block = stack_block;
  if (bound > sizeof(stack_block)) {
    block = h2_malloc(conn->alloc, bound);
    if (!block) return H2_ERR_NOMEM;
  }
  uint64_t version = h2_hpack_encoder_version(conn->encoder);
  int rv = h2_hpack_encode(conn->encoder, f, count, block, bound);
  if (rv >= 0 && memoized && version == h2_hpack_encoder_version(conn->encoder))
    h2_request_memo_keep_block(conn, block, (size_t)rv, version);
  if (rv >= 0) rv = frame_block(conn, stream_id, block, (size_t)rv, end_stream);
  if (block != stack_block) h2_free(conn->alloc, block);
  return rv;
}

int h2_send_headers(h2_conn *conn, uint32_t stream_id, const h2_header *f,
                    size_t count, int end_stream) {
  return encode_and_frame(conn, stream_id, f, count, end_stream, 0);
}

void h2_send_request_headers(h2_conn *conn, h2_stream *s, const h2_header *f,
                             size_t count, int memoized) {
  int end_stream = (s->flags & STREAM_BODY_ENDING) && !h2_stream_body_pending(s) &&
                   !(s->flags & STREAM_TRAILERS_PENDING);
  s->flags &= ~(uint32_t)STREAM_QUEUED;
  conn->active_streams++;
  if (encode_and_frame(conn, s->id, f, count, end_stream, memoized)) {
    h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory sending HEADERS");
    return;
  }
  if (end_stream)
    s->flags |= STREAM_LOCAL_CLOSED;
  else if (h2_stream_body_pending(s) || (s->flags & STREAM_BODY_ENDING))
    h2_stream_send_list_add(conn, s);
}

/* Sends a queued stream's HEADERS now that it has a slot. */
static int activate(h2_conn *conn, h2_stream *s) {
  stream_request *r = s->extra->request;
  s->extra->request = NULL;
  h2_send_request_headers(conn, s, r->fields, r->count, 0);
  h2_request_free(conn, r);
  return conn->failed;
}

int h2_activate_queued(h2_conn *conn) {
  while (conn->queue_head && h2_conn_has_slot(conn)) {
    h2_stream *s = conn->queue_head;
    if (s->flags & STREAM_EXTENDED_CONNECT) {
      /* Wait for the server's SETTINGS to know whether it allows
       * extended CONNECT; refuse the request if it does not. */
      if (!conn->peer.received) return 0;
      if (conn->peer.enable_connect_protocol != 1) {
        h2_stream_finish(conn, s, H2_ERR_INVALID_STATE, H2_EVENT_FLAG_LOCAL);
        continue;
      }
    }
    conn->queue_head = s->extra->next_queued;
    if (!conn->queue_head) conn->queue_tail = NULL;
    conn->queued_streams--;
    int rv = activate(conn, s);
    if (rv) return rv;
  }
  return 0;
}

/* Frames the end of a body: trailers, or an empty DATA with END_STREAM. */
static int end_body(h2_conn *conn, h2_stream *s) {
  int rv;
  if (s->flags & STREAM_TRAILERS_PENDING) {
    stream_extra *x = s->extra;
    rv = h2_send_headers(conn, s->id, x->trailers->fields, x->trailers->count, 1);
    h2_request_free(conn, x->trailers);
    x->trailers = NULL;
    s->flags &= ~(uint32_t)STREAM_TRAILERS_PENDING;
  } else {
    h2_frame fr = {0};
    fr.hd.type = H2_FRAME_DATA;
    fr.hd.stream_id = s->id;
    fr.hd.flags = H2_FLAG_END_STREAM;
    rv = h2_send_frame(conn, &fr);
  }
  s->flags |= STREAM_LOCAL_CLOSED;
  return rv;
}

/* Frames up to one DATA frame of a stream's body. Returns 1 when the
 * stream has more to send and should stay in the round robin. */
static int send_some_data(h2_conn *conn, h2_stream *s) {
  stream_extra *x = s->extra;
  size_t available = x->send_end - x->send_start;
  if (!available) {
    if (s->flags & STREAM_BODY_ENDING) return end_body(conn, s) < 0 ? -1 : 0;
    return 0;
  }
  if (s->send_window <= 0) return 0; /* a WINDOW_UPDATE will re-add it */
  uint64_t n = available;
  if (n > (uint64_t)s->send_window) n = (uint64_t)s->send_window;
  if ((int64_t)n > conn->send_window) n = (uint64_t)conn->send_window;
  if (n > conn->peer.max_frame_size) n = conn->peer.max_frame_size;
  int last = n == available && (s->flags & STREAM_BODY_ENDING) &&
             !(s->flags & STREAM_TRAILERS_PENDING);
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_DATA;
  fr.hd.stream_id = s->id;
  fr.hd.flags = last ? H2_FLAG_END_STREAM : 0;
  fr.payload = x->send_buf + x->send_start;
  fr.payload_length = (uint32_t)n;
  if (h2_send_frame(conn, &fr)) return -1;
  x->send_start += n;
  conn->send_buffered -= n;
  /* n is at most the positive window, so the window stays at or above 0. */
  s->send_window -= (int32_t)n;
  conn->send_window -= (int64_t)n;
  if (last) s->flags |= STREAM_LOCAL_CLOSED;
  if (last) return 0;
  return x->send_end > x->send_start || (s->flags & STREAM_BODY_ENDING);
}

/* Framing body frees room in the send buffer, which all streams share:
 * every stream whose write was cut short hears about it, not only the
 * stream whose bytes left (else a stream starved by its neighbours would
 * wait forever). */
static void wake_writers(h2_conn *conn) {
  if (!conn->writers_waiting || conn->send_buffered >= conn->opt.max_send_buffer)
    return;
  for (uint32_t i = 0; i <= conn->streams.mask && conn->writers_waiting; i++) {
    h2_stream *s = h2_stream_map_at(&conn->streams, i);
    if (!s || !(s->flags & STREAM_WANTS_WRITABLE)) continue;
    s->flags &= ~(uint32_t)STREAM_WANTS_WRITABLE;
    conn->writers_waiting--;
    h2_event *e = h2_event_push(conn, H2_EVENT_WRITABLE, s->id, NULL);
    if (e) e->user = s->user;
  }
}

int h2_fill_output(h2_conn *conn) {
  int rv = h2_activate_queued(conn);
  if (rv) return rv;
  while (conn->send_head && conn->out_end - conn->out_start < OUTPUT_BATCH) {
    h2_stream *s = conn->send_head;
    int wants_data = h2_stream_body_pending(s) > 0;
    if (wants_data && conn->send_window <= 0) break;
    conn->send_head = s->extra->next_sending;
    if (!conn->send_head) conn->send_tail = NULL;
    s->flags &= ~(uint32_t)STREAM_IN_SEND_LIST;
    int more = send_some_data(conn, s);
    if (more < 0) return h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory");
    if (more) h2_stream_send_list_add(conn, s);
  }
  wake_writers(conn);
  return 0;
}

int h2_credit_connection(h2_conn *conn, uint64_t bytes) {
  conn->recv_unacked += bytes;
  if (conn->recv_unacked < conn->opt.connection_window_size / 2) return 0;
  uint32_t inc = (uint32_t)conn->recv_unacked;
  conn->recv_unacked = 0;
  conn->recv_window += inc;
  return h2_send_window_update(conn, 0, inc);
}

int h2_credit_stream(h2_conn *conn, h2_stream *s, uint64_t bytes) {
  if (s->flags & STREAM_REMOTE_CLOSED) return 0;
  /* Credit beyond what the window gave out (an application consuming
   * more than it received) would overflow the window: it is capped. */
  uint64_t room = (uint64_t)(H2_MAX_WINDOW_SIZE - (int64_t)s->recv_window) -
                  s->recv_unacked;
  s->recv_unacked += (uint32_t)(bytes < room ? bytes : room);
  if (s->recv_unacked < conn->opt.initial_window_size / 2) return 0;
  uint32_t inc = s->recv_unacked;
  s->recv_unacked = 0;
  s->recv_window += (int32_t)inc;
  return h2_send_window_update(conn, s->id, inc);
}

size_t h2_conn_peek_output(h2_conn *conn, const uint8_t **data) {
  if (conn->out_end - conn->out_start < OUTPUT_BATCH && !conn->failed)
    h2_fill_output(conn);
  *data = conn->out + conn->out_start;
  return conn->out_end - conn->out_start;
}

/* Gives back a drained buffer that a burst grew. Not while request body
 * is being framed: the next batch would only grow it again. Shrinking
 * cannot lose anything (the buffer is empty) and a failed shrink keeps
 * the larger buffer. */
static void shrink_output(h2_conn *conn) {
  if (conn->out_capacity <= 4 * OUTPUT_RESTING_CAPACITY || conn->send_head) return;
  uint8_t *out = h2_realloc(conn->alloc, conn->out, OUTPUT_RESTING_CAPACITY);
  if (!out) return;
  conn->out = out;
  conn->out_capacity = OUTPUT_RESTING_CAPACITY;
}

void h2_conn_consume_output(h2_conn *conn, size_t length) {
  size_t pending = conn->out_end - conn->out_start;
  if (length > pending) length = pending;
  conn->out_start += length;
  if (conn->out_start == conn->out_end) {
    conn->out_start = conn->out_end = 0;
    conn->acks_since_drain = 0;
    shrink_output(conn);
  }
}

size_t h2_conn_send(h2_conn *conn, uint8_t *out, size_t capacity) {
  size_t total = 0;
  while (total < capacity) {
    const uint8_t *data;
    size_t n = h2_conn_peek_output(conn, &data);
    if (!n) break;
    if (n > capacity - total) n = capacity - total;
    memcpy(out + total, data, n);
    h2_conn_consume_output(conn, n);
    total += n;
  }
  return total;
}
