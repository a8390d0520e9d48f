/*
 * A blocking session over caller-supplied recv/send functions: the
 * seed-style embedding (lua-resty-http2's new{recv, send, ctx}) for C
 * callers with a transport of their own.
 */
#include <stdio.h>
#include <string.h>

#include "h2/session.h"
#include "client_internal.h"

#define SESSION_READ_BUFFER 65536

struct h2_session {
  const h2_allocator *alloc;
  h2_io io;
  h2_conn *conn;
  uint8_t *buf;
};

int h2_session_new(h2_session **out, const h2_io *io,
                   const h2_conn_options *options, const h2_allocator *alloc) {
  if (!out || !io || !io->recv || !io->send) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  h2_session *s = h2_calloc(alloc, 1, sizeof(*s));
  if (!s) return H2_ERR_NOMEM;
  s->alloc = alloc;
  s->io = *io;
  s->buf = h2_malloc(alloc, SESSION_READ_BUFFER);
  int rv = s->buf ? h2_conn_client_new(&s->conn, options, alloc) : H2_ERR_NOMEM;
  if (rv) {
    h2_session_del(s);
    return rv;
  }
  *out = s;
  return 0;
}

void h2_session_del(h2_session *s) {
  if (!s) return;
  h2_conn_del(s->conn);
  h2_free(s->alloc, s->buf);
  h2_free(s->alloc, s);
}

h2_conn *h2_session_conn(h2_session *s) { return s->conn; }

/* Writes everything the core has to send. */
static int flush(h2_session *s) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_conn_peek_output(s->conn, &data)) > 0) {
    long sent = s->io.send(s->io.ctx, data, n);
    if (sent <= 0) return H2_ERR_SYSTEM;
    h2_conn_consume_output(s->conn, (size_t)sent);
  }
  return 0;
}

typedef struct exchange {
  uint32_t stream_id;
  const uint8_t *body;
  size_t body_length, body_sent;
  size_t max_body, capacity;
  h2_response *response;
  int done, error;
} exchange;

static void push_body(h2_session *s, exchange *x) {
  if (x->body_sent >= x->body_length) return;
  int n = h2_conn_submit_data(s->conn, x->stream_id, x->body + x->body_sent,
                              x->body_length - x->body_sent, 1);
  if (n > 0) x->body_sent += (size_t)n;
}

static void on_event(h2_session *s, exchange *x, const h2_event *e) {
  h2_response *r = x->response;
  if (e->type == H2_EVENT_CONNECTION_ERROR) {
    x->done = 1;
    x->error = e->error;
    snprintf(r->error_detail, sizeof(r->error_detail), "%s",
             h2_conn_error_detail(s->conn));
    return;
  }
  if (e->stream_id != x->stream_id) return;
  switch (e->type) {
    case H2_EVENT_HEADERS:
      r->status = (int)e->status;
      x->error = h2_response_keep_fields(s->alloc, &r->headers, e->headers, e->header_count);
      break;
    case H2_EVENT_TRAILERS:
      x->error = h2_response_keep_fields(s->alloc, &r->trailers, e->headers, e->header_count);
      break;
    case H2_EVENT_DATA:
      x->error = h2_response_append_body(r, &x->capacity, x->max_body, e->data,
                                         (size_t)e->length);
      if (x->error) h2_conn_reset_stream(s->conn, x->stream_id, H2_CANCEL);
      break;
    case H2_EVENT_WRITABLE: push_body(s, x); break;
    case H2_EVENT_STREAM_END: x->done = 1; break;
    case H2_EVENT_STREAM_RESET:
      x->done = 1;
      x->error = e->error;
      snprintf(r->error_detail, sizeof(r->error_detail), "stream reset: %s",
               h2_strerror(e->error));
      break;
    default: break;
  }
  if (x->error) x->done = 1;
}

static void drain_events(h2_session *s, exchange *x) {
  h2_event events[32];
  int n;
  while ((n = h2_conn_poll(s->conn, events, 32)) > 0)
    for (int i = 0; i < n; i++) on_event(s, x, &events[i]);
}

int h2_session_request(h2_session *s, const h2_header *fields, size_t count,
                       const uint8_t *body, size_t body_length, size_t max_body,
                       h2_response *response) {
  memset(response, 0, sizeof(*response));
  if (!s) return H2_ERR_INVALID_ARGUMENT;
  response->alloc_ = s->alloc;
  exchange x = {0, body, body_length, 0, max_body ? max_body : (64u << 20), 0,
                response, 0, 0};
  int id = h2_conn_submit_request(s->conn, fields, count, body_length == 0, NULL);
  if (id < 0) return id;
  x.stream_id = (uint32_t)id;
  push_body(s, &x);
  while (!x.done) {
    if (flush(s)) return H2_ERR_SYSTEM;
    drain_events(s, &x); /* WRITABLE from framing */
    if (x.done) break;
    long n = s->io.recv(s->io.ctx, s->buf, SESSION_READ_BUFFER);
    if (n < 0) return H2_ERR_SYSTEM;
    h2_conn_recv(s->conn, s->buf, (size_t)n);
    drain_events(s, &x);
  }
  flush(s); /* acknowledgements and window updates */
  return x.error;
}

int h2_session_close(h2_session *s) {
  if (!s) return H2_ERR_INVALID_ARGUMENT;
  h2_conn_shutdown(s->conn);
  return flush(s);
}
