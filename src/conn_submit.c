/*
 * What the application asks of a connection: requests, request bodies,
 * trailers, resets, credit, PINGs, priority updates and shutdown; and the
 * state it can read back.
 */
#include <string.h>

#include "conn_internal.h"

/* RFC 9113 10.5.1: the server's SETTINGS_MAX_HEADER_LIST_SIZE is advisory,
 * but a request above it would only be refused, so fail it here. */
static uint64_t header_list_size(const h2_header *fields, size_t count) {
  uint64_t size = 0;
  for (size_t i = 0; i < count; i++)
    size += (uint64_t)fields[i].name_length + fields[i].value_length +
            H2_HPACK_ENTRY_OVERHEAD;
  return size;
}

static int has_protocol(const h2_header *fields, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (fields[i].name_length == 9 && memcmp(fields[i].name, ":protocol", 9) == 0)
      return 1;
  return 0;
}

static int is_head(const h2_header *fields, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (fields[i].name_length == 7 && memcmp(fields[i].name, ":method", 7) == 0)
      return fields[i].value_length == 4 && memcmp(fields[i].value, "HEAD", 4) == 0;
  return 0;
}

/* Checks a request's fields and finds what the stream needs to know of
 * them; a request identical to the remembered one was checked already. */
static int examine_request(h2_conn *conn, const h2_header *fields,
                           size_t count, uint32_t *stream_flags,
                           uint64_t *list_size) {
  if (h2_request_memo_matches(conn, fields, count)) {
    *stream_flags = conn->memo.stream_flags;
    *list_size = conn->memo.list_size;
    return 0;
  }
  const char *reason;
  int rv = h2_validate_request_fields(fields, count, &reason);
  if (rv) return rv;
  *list_size = header_list_size(fields, count);
  *stream_flags = (is_head(fields, count) ? STREAM_IS_HEAD : 0) |
                  (has_protocol(fields, count) ? STREAM_EXTENDED_CONNECT : 0);
  h2_request_memo_remember(conn, fields, count, *stream_flags, *list_size);
  return 0;
}

int h2_conn_submit_request(h2_conn *conn, const h2_header *fields,
                           size_t count, int end_stream, void *user) {
  if (!conn || (count && !fields)) return H2_ERR_INVALID_ARGUMENT;
  if (!h2_conn_can_submit(conn)) return H2_ERR_CONNECTION_GOING_AWAY;
  uint32_t stream_flags;
  uint64_t list_size;
  int rv = examine_request(conn, fields, count, &stream_flags, &list_size);
  if (rv) return rv;
  if (list_size > conn->peer.max_header_list_size)
    return H2_ERR_HEADER_LIST_TOO_LARGE;
  /* Extended CONNECT (RFC 8441) only once the server has said yes. */
  int extended = (stream_flags & STREAM_EXTENDED_CONNECT) != 0;
  if (extended && conn->peer.received && conn->peer.enable_connect_protocol != 1)
    return H2_ERR_INVALID_STATE;
  /* A request that can leave at once is encoded straight from the
   * caller's fields; only one that must wait for a slot (or for the
   * server's SETTINGS, for extended CONNECT) keeps a copy. Requests leave
   * in submission order, which keeps stream ids rising on the wire. */
  int now = !conn->queue_head && (!extended || conn->peer.received) &&
            h2_conn_has_slot(conn);
  h2_stream *s = h2_stream_new(conn, conn->next_stream_id, user);
  if (!s) return H2_ERR_NOMEM;
  if (!now && (!h2_stream_extra(conn, s) ||
               !(s->extra->request = h2_request_copy(conn, fields, count)))) {
    h2_stream_free(conn, s);
    return H2_ERR_NOMEM;
  }
  if (h2_stream_map_put(conn, &conn->streams, s)) {
    h2_stream_free(conn, s);
    return H2_ERR_NOMEM;
  }
  conn->next_stream_id += 2;
  s->flags |= stream_flags;
  if (end_stream) s->flags |= STREAM_BODY_ENDING;
  int id = (int)s->id;
  /* The request is accepted from here on: if sending its HEADERS fails,
   * the connection fails and the stream reports that through its events
   * (and is freed then), so the id is returned either way. The fields are
   * the memo's when it holds any: examine_request made sure. */
  if (now) h2_send_request_headers(conn, s, fields, count, conn->memo.valid);
  else h2_stream_queue_push(conn, s);
  return id;
}

/* The stream a caller names, if it still accepts body. */
static h2_stream *writable_stream(h2_conn *conn, uint32_t stream_id, int *rv) {
  h2_stream *s = h2_stream_find(&conn->streams, stream_id);
  *rv = s ? 0 : H2_ERR_STREAM_NOT_FOUND;
  if (s && (s->flags & (STREAM_BODY_ENDING | STREAM_LOCAL_CLOSED))) {
    *rv = H2_ERR_STREAM_NOT_WRITABLE;
    return NULL;
  }
  return s;
}

static int append_body(h2_conn *conn, stream_extra *x, const uint8_t *data,
                       size_t length) {
  if (x->send_start && x->send_start == x->send_end) x->send_start = x->send_end = 0;
  if (x->send_capacity - x->send_end < length) {
    size_t pending = x->send_end - x->send_start;
    if (x->send_start) memmove(x->send_buf, x->send_buf + x->send_start, pending);
    x->send_start = 0;
    x->send_end = pending;
    size_t capacity = x->send_capacity ? x->send_capacity : 16384;
    while (capacity - pending < length) capacity *= 2;
    if (capacity != x->send_capacity) {
      uint8_t *buf = h2_realloc(conn->alloc, x->send_buf, capacity);
      if (!buf) return H2_ERR_NOMEM;
      x->send_buf = buf;
      x->send_capacity = capacity;
    }
  }
  memcpy(x->send_buf + x->send_end, data, length);
  x->send_end += length;
  conn->send_buffered += length;
  return 0;
}

int h2_conn_submit_data(h2_conn *conn, uint32_t stream_id, const uint8_t *data,
                        size_t length, int end_stream) {
  if (!conn || (length && !data)) return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  int rv;
  h2_stream *s = writable_stream(conn, stream_id, &rv);
  if (!s) return rv;
  /* Body, or the END_STREAM that ends it, goes through the round robin,
   * whose link is in the extra parts. */
  stream_extra *x = h2_stream_extra(conn, s);
  if (!x) return H2_ERR_NOMEM;
  size_t room = conn->opt.max_send_buffer > conn->send_buffered
                    ? conn->opt.max_send_buffer - conn->send_buffered : 0;
  size_t accepted = length < room ? length : room;
  if (accepted > INT32_MAX) accepted = INT32_MAX;
  if (accepted && (rv = append_body(conn, x, data, accepted))) return rv;
  if (accepted < length) {
    if (!(s->flags & STREAM_WANTS_WRITABLE)) conn->writers_waiting++;
    s->flags |= STREAM_WANTS_WRITABLE;
  } else if (end_stream)
    s->flags |= STREAM_BODY_ENDING;
  if (accepted || (s->flags & STREAM_BODY_ENDING)) h2_stream_send_list_add(conn, s);
  return (int)accepted;
}

int h2_conn_submit_trailers(h2_conn *conn, uint32_t stream_id,
                            const h2_header *fields, size_t count) {
  if (!conn || (count && !fields)) return H2_ERR_INVALID_ARGUMENT;
  int rv;
  h2_stream *s = writable_stream(conn, stream_id, &rv);
  if (!s) return rv;
  const char *reason;
  if ((rv = h2_validate_trailer_fields(fields, count, &reason))) return rv;
  stream_extra *x = h2_stream_extra(conn, s);
  if (!x) return H2_ERR_NOMEM;
  x->trailers = h2_request_copy(conn, fields, count);
  if (!x->trailers) return H2_ERR_NOMEM;
  s->flags |= STREAM_TRAILERS_PENDING | STREAM_BODY_ENDING;
  h2_stream_send_list_add(conn, s);
  return 0;
}

int h2_conn_reset_stream(h2_conn *conn, uint32_t stream_id, uint32_t wire_code) {
  if (!conn) return H2_ERR_INVALID_ARGUMENT;
  h2_stream *s = h2_stream_find(&conn->streams, stream_id);
  if (!s) return H2_ERR_STREAM_NOT_FOUND;
  /* A request that never left needs no RST_STREAM: it simply vanishes
   * (its id is skipped, which closes it implicitly). */
  if (!(s->flags & STREAM_QUEUED)) {
    int rv = h2_reset_send(conn, stream_id, wire_code);
    if (rv) return rv;
  }
  if (conn->data_stream == s) conn->data_stream = NULL;
  h2_stream_close(conn, s);
  h2_conn_check_done(conn);
  return h2_activate_queued(conn);
}

int h2_conn_consume(h2_conn *conn, uint32_t stream_id, size_t length) {
  if (!conn) return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  int rv = h2_credit_connection(conn, length);
  h2_stream *s = h2_stream_find(&conn->streams, stream_id);
  if (!rv && s) rv = h2_credit_stream(conn, s, length);
  return rv;
}

int h2_conn_ping(h2_conn *conn, const uint8_t opaque[8]) {
  if (!conn || !opaque ||
      memcmp(opaque, h2_reset_ping_payload, sizeof(h2_reset_ping_payload)) == 0)
    return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_PING;
  fr.payload = opaque;
  fr.payload_length = 8;
  conn->pings_outstanding++;
  return h2_send_frame(conn, &fr);
}

int h2_conn_priority_update(h2_conn *conn, uint32_t stream_id,
                            const char *value, size_t length) {
  if (!conn || !stream_id || (length && !value) || length > 1024)
    return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_PRIORITY_UPDATE;
  fr.value = stream_id;
  fr.payload = (const uint8_t *)value;
  fr.payload_length = (uint32_t)length;
  return h2_send_frame(conn, &fr);
}

int h2_conn_terminate(h2_conn *conn, uint32_t wire_code, const char *detail) {
  if (!conn) return H2_ERR_INVALID_ARGUMENT;
  return h2_conn_fail(conn, h2_error_from_wire(wire_code, 0), detail);
}

int h2_conn_shutdown(h2_conn *conn) {
  if (!conn) return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  int rv = h2_send_goaway(conn, H2_NO_ERROR);
  /* Requests still waiting for a slot will never be sent. */
  while (conn->queue_head)
    h2_stream_finish(conn, conn->queue_head, H2_ERR_CONNECTION_GOING_AWAY,
                     H2_EVENT_FLAG_RETRYABLE | H2_EVENT_FLAG_LOCAL);
  h2_conn_check_done(conn);
  return rv;
}

/* ---- State -------------------------------------------------------------- */

int h2_conn_is_closed(const h2_conn *conn) {
  return conn->failed || conn->closed_reported;
}

int h2_conn_can_submit(const h2_conn *conn) {
  return !conn->failed && !conn->goaway_sent && !conn->goaway_received &&
         conn->next_stream_id <= H2_MAX_STREAM_ID;
}

uint32_t h2_conn_open_streams(const h2_conn *conn) { return conn->streams.count; }
uint32_t h2_conn_queued_streams(const h2_conn *conn) { return conn->queued_streams; }
uint32_t h2_conn_peer_max_concurrent_streams(const h2_conn *conn) {
  return conn->peer.max_concurrent_streams;
}

uint32_t h2_conn_peer_setting(const h2_conn *conn, uint16_t id) {
  const peer_settings *p = &conn->peer;
  switch (id) {
    case H2_SETTINGS_HEADER_TABLE_SIZE: return p->header_table_size;
    case H2_SETTINGS_ENABLE_PUSH: return 0;
    case H2_SETTINGS_MAX_CONCURRENT_STREAMS: return p->max_concurrent_streams;
    case H2_SETTINGS_INITIAL_WINDOW_SIZE: return p->initial_window_size;
    case H2_SETTINGS_MAX_FRAME_SIZE: return p->max_frame_size;
    case H2_SETTINGS_MAX_HEADER_LIST_SIZE: return p->max_header_list_size;
    case H2_SETTINGS_ENABLE_CONNECT_PROTOCOL: return p->enable_connect_protocol;
    case H2_SETTINGS_NO_RFC7540_PRIORITIES: return p->no_rfc7540_priorities;
    default: return 0;
  }
}

const char *h2_conn_error_detail(const h2_conn *conn) {
  return conn->detail ? conn->detail : "no error";
}

uint64_t h2_conn_counter(const h2_conn *conn, int counter) {
  if (counter < 0 || counter >= H2_COUNTER_COUNT) return 0;
  return conn->counters[counter];
}
