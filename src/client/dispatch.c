/*
 * Requests on connections: starting them, feeding their bodies, turning
 * the core's events into the caller's callbacks, retrying what the server
 * did not process, and the timers (connect, response, health, idle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_internal.h"

/* ---- Completion and retries ------------------------------------------- */

static void unlink_request(h2_client *c, client_request *r) {
  for (client_request **link = &c->all; *link; link = &(*link)->next_all)
    if (*link == r) {
      *link = r->next_all;
      break;
    }
}

static void free_request(h2_client *c, client_request *r) {
  h2_free(c->alloc, r->url_text);
  h2_free(c->alloc, r->method);
  h2_free(c->alloc, r->fields);
  h2_free(c->alloc, r->field_bytes);
  h2_free(c->alloc, r->chunk);
  h2_free(c->alloc, r);
}

void h2_request_complete(client_request *r, int error, const char *detail) {
  h2_client *c = r->client;
  if (r->completed) return;
  r->completed = 1;
  if (r->conn && r->conn->active) r->conn->active--;
  if (r->conn && !r->conn->active) r->conn->idle_since_us = h2_client_now_us();
  if (error) c->stats.requests_failed++;
  else c->stats.requests_completed++;
  c->outstanding--;
  unlink_request(c, r);
  if (r->handler.on_complete)
    r->handler.on_complete(r->handler.user, error,
                           detail ? detail : (error ? h2_strerror(error) : ""));
  /* Events of the same batch may still name the request: it is freed
   * once the batch is done (h2_dispatch_free_completed). */
  r->next_all = c->completed;
  c->completed = r;
}

void h2_dispatch_free_completed(h2_client *c) {
  while (c->completed) {
    client_request *r = c->completed;
    c->completed = r->next_all;
    free_request(c, r);
  }
}

static int idempotent(const client_request *r) {
  static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "PUT",
                                        "DELETE", "TRACE"};
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
    if (strcmp(r->method, methods[i]) == 0) return 1;
  return 0;
}

/* A request can run again if its body can be produced again. */
static int rewind_body(client_request *r) {
  r->body_offset = 0;
  r->chunk_start = r->chunk_end = 0;
  r->body_done = 0;
  if (!r->body.read_body) return 1;
  return r->body.rewind_body && r->body.rewind_body(r->body.body_user) == 0;
}

static void push_pending(h2_client *c, client_request *r) {
  r->next = NULL;
  if (c->pending_tail) c->pending_tail->next = r;
  else c->pending_head = r;
  c->pending_tail = r;
}

/* Decides what a failed stream means: retry elsewhere, or fail. The server
 * did not process a refused stream or one above a GOAWAY's last id, so any
 * method may run again; after other connection failures only requests
 * that are idempotent and got no response yet are retried. */
/* Errors after which the same request may well succeed on a new
 * connection: the old one broke, not the request or the server's setup. */
static int transient(int error) {
  return error == H2_ERR_CONNECTION_CLOSED || error == H2_ERR_SYSTEM ||
         error == H2_ERR_CONN_INTERNAL || error == H2_ERR_FATAL;
}

static void stream_failed(client_request *r, int error, uint32_t flags,
                          const char *detail) {
  h2_client *c = r->client;
  int unprocessed = (flags & H2_EVENT_FLAG_RETRYABLE) != 0;
  int established = r->conn && r->conn->settings_seen;
  int lost = transient(error) && established && !r->headers_seen && idempotent(r);
  if ((unprocessed || lost) && r->retries < c->opt.max_retries && rewind_body(r)) {
    r->retries++;
    c->stats.retries++;
    /* The first retry goes at once (a GOAWAY or refusal is routine); later
     * ones back off exponentially from 10 ms to 1 s, with jitter so that
     * many requests do not return in lockstep. */
    uint64_t delay = r->retries <= 1 ? 0 : 10000ull << (r->retries - 2);
    if (delay > 1000000) delay = 1000000;
    delay = delay / 2 + (delay ? (uint64_t)rand() % (delay / 2 + 1) : 0);
    r->retry_at_us = h2_client_now_us() + delay;
    if (r->conn && r->conn->active) r->conn->active--;
    r->conn = NULL;
    r->stream_id = 0;
    push_pending(c, r);
    return;
  }
  h2_request_complete(r, error, detail);
}

/* ---- Bodies ----------------------------------------------------------- */

static int pump_streamed_body(client_request *r) {
  h2_client *c = r->client;
  for (;;) {
    if (r->chunk_start == r->chunk_end && !r->body_done) {
      if (!r->chunk && !(r->chunk = h2_malloc(c->alloc, 16384))) return H2_ERR_NOMEM;
      long n = r->body.read_body(r->body.body_user, r->chunk, 16384);
      if (n < 0) return H2_ERR_INVALID_ARGUMENT;
      r->chunk_start = 0;
      r->chunk_end = (size_t)n;
      if (n == 0) r->body_done = 1;
    }
    size_t left = r->chunk_end - r->chunk_start;
    int end = r->body_done && !r->body.trailer_count;
    int n = h2_conn_submit_data(r->conn->conn, r->stream_id, r->chunk + r->chunk_start,
                                left, end);
    if (n < 0) return n;
    r->chunk_start += (size_t)n;
    if ((size_t)n < left || r->body_done) return 0;
  }
}

void h2_request_pump_body(client_request *r) {
  if (!r->conn || r->completed) return;
  int rv = 0;
  if (r->body.read_body) {
    if (!r->body_done || r->chunk_start < r->chunk_end) rv = pump_streamed_body(r);
  } else if (r->body.body_length && !r->body_done) {
    size_t left = r->body.body_length - r->body_offset;
    int end = !r->body.trailer_count;
    rv = h2_conn_submit_data(r->conn->conn, r->stream_id, r->body.body + r->body_offset,
                             left, end);
    if (rv >= 0) {
      r->body_offset += (size_t)rv;
      r->body_done = r->body_offset == r->body.body_length;
      rv = 0;
    }
  }
  if (!rv && r->body_done && r->chunk_start == r->chunk_end && r->body.trailer_count)
    rv = h2_conn_submit_trailers(r->conn->conn, r->stream_id, r->body.trailers,
                                 r->body.trailer_count);
  if (rv && rv != H2_ERR_STREAM_NOT_WRITABLE) {
    h2_conn_reset_stream(r->conn->conn, r->stream_id, H2_CANCEL);
    h2_request_complete(r, rv, "the request body could not be sent");
  }
}

/* RFC 9110 10.1.1: with "expect: 100-continue" the body is held back
 * until the server's 100, or for a second if none comes. */
static int expects_continue(const client_request *r) {
  for (size_t i = 4; i < r->field_count; i++) {
    const h2_header *f = &r->fields[i];
    if (f->name_length == 6 && memcmp(f->name, "expect", 6) == 0 &&
        f->value_length == 12 && strncasecmp((const char *)f->value, "100-continue", 12) == 0)
      return 1;
  }
  return 0;
}

#define CONTINUE_WAIT_US 1000000

int h2_dispatch_start(client_request *r, client_conn *cc) {
  int has_body = r->body.body_length || r->body.read_body || r->body.trailer_count;
  int id = h2_conn_submit_request(cc->conn, r->fields, r->field_count, !has_body, r);
  if (id < 0) return id;
  r->conn = cc;
  r->stream_id = (uint32_t)id;
  r->started_us = h2_client_now_us();
  cc->active++;
  if (has_body && expects_continue(r)) {
    r->awaiting_continue = 1;
    r->continue_deadline_us = r->started_us + CONTINUE_WAIT_US;
  } else if (has_body) {
    h2_request_pump_body(r);
  }
  return 0;
}

/* ---- Events -------------------------------------------------------------- */

static void on_stream_event(client_conn *cc, const h2_event *e) {
  client_request *r = e->user;
  if (r->completed) return; /* cancelled earlier in this batch */
  const h2_response_handler *h = &r->handler;
  switch (e->type) {
    case H2_EVENT_INFORMATIONAL:
      /* An interim response shows the server is working on it: the
       * response-header timeout starts again. */
      r->started_us = h2_client_now_us();
      if (e->status == 100 && r->awaiting_continue) {
        r->awaiting_continue = 0;
        h2_request_pump_body(r);
      }
      if (h->on_informational)
        h->on_informational(h->user, (int)e->status, e->headers, e->header_count);
      break;
    case H2_EVENT_HEADERS:
      r->headers_seen = 1;
      if (h->on_headers) h->on_headers(h->user, (int)e->status, e->headers, e->header_count);
      break;
    case H2_EVENT_DATA:
      if (h->on_data && h->on_data(h->user, e->data, (size_t)e->length)) {
        h2_conn_reset_stream(cc->conn, r->stream_id, H2_CANCEL);
        h2_request_complete(r, H2_ERR_STREAM_CANCEL, "cancelled by the application");
      }
      break;
    case H2_EVENT_TRAILERS:
      if (h->on_trailers) h->on_trailers(h->user, e->headers, e->header_count);
      break;
    case H2_EVENT_STREAM_END: h2_request_complete(r, 0, NULL); break;
    case H2_EVENT_STREAM_RESET:
      stream_failed(r, e->error, e->flags,
                    h2_error_is_fatal(e->error) ? h2_conn_error_detail(cc->conn) : NULL);
      break;
    case H2_EVENT_WRITABLE:
      if (!r->awaiting_continue) h2_request_pump_body(r);
      break;
    default: break;
  }
}

static void on_conn_event(client_conn *cc, const h2_event *e) {
  h2_client *c = cc->client;
  switch (e->type) {
    case H2_EVENT_SETTINGS:
      if (!cc->settings_seen) {
        uint64_t now = h2_client_now_us();
        c->stats.connect_us = now - cc->opened_us;
        if ((c->opt.flags & H2_CLIENT_MEASURE_RTT) &&
            h2_conn_ping(cc->conn, (const uint8_t *)"h2-rtt!!") == 0)
          cc->ping_sent_us = now;
      }
      cc->settings_seen = 1;
      break;
    case H2_EVENT_PING_ACK:
      c->stats.rtt_us = h2_client_now_us() - cc->ping_sent_us;
      cc->ping_sent_us = 0;
      break;
    case H2_EVENT_CONNECTION_ERROR:
      if (!cc->failed) cc->core_failed = 1;
      h2_transport_fail(cc, e->error, h2_conn_error_detail(cc->conn));
      break;
    case H2_EVENT_CLOSED:
      if (!cc->failed) cc->state = CONN_DEAD;
      break;
    default: break;
  }
}

void h2_dispatch_transport_failed(client_conn *cc) {
  for (client_request *r = cc->client->all; r;) {
    client_request *next = r->next_all;
    if (r->conn == cc) stream_failed(r, cc->failed, 0, cc->detail);
    r = next;
  }
}

void h2_dispatch_events(client_conn *cc) {
  h2_event events[64];
  int n;
  while ((n = h2_conn_poll(cc->conn, events, 64)) > 0)
    for (int i = 0; i < n; i++) {
      if (events[i].stream_id && events[i].user) on_stream_event(cc, &events[i]);
      else on_conn_event(cc, &events[i]);
    }
}

/* ---- Choosing connections ---------------------------------------------- */

static client_conn *pick_conn(h2_client *c, const client_request *r, int *count) {
  char key[300];
  snprintf(key, sizeof(key), "%s://%s", r->url.tls ? "https" : "http", r->url.authority);
  client_conn *best = NULL;
  *count = 0;
  for (client_conn *cc = c->conns; cc; cc = cc->next) {
    if (strcmp(cc->key, key) != 0 || cc->failed || cc->state == CONN_DEAD) continue;
    /* A connection going away does not count against the limit: its
     * replacement must be able to open while it drains. */
    if (!h2_conn_can_submit(cc->conn)) continue;
    (*count)++;
    uint32_t limit = h2_conn_peer_max_concurrent_streams(cc->conn);
    if (cc->active < limit && (!best || cc->active < best->active)) best = cc;
  }
  return best;
}

void h2_dispatch_pending(h2_client *c) {
  client_request *waiting = c->pending_head;
  c->pending_head = c->pending_tail = NULL;
  uint64_t now = h2_client_now_us();
  while (waiting) {
    client_request *r = waiting;
    waiting = r->next;
    if (r->retry_at_us > now) {
      push_pending(c, r);
      continue;
    }
    int count;
    client_conn *cc = pick_conn(c, r, &count);
    if (!cc && count < (int)c->opt.max_connections_per_origin)
      cc = h2_transport_open(c, &r->url);
    if (!cc) {
      push_pending(c, r); /* every connection is full: wait for a slot */
      continue;
    }
    if (cc->failed) {
      h2_request_complete(r, cc->failed, cc->detail);
      continue;
    }
    int rv = h2_dispatch_start(r, cc);
    if (rv == H2_ERR_CONNECTION_GOING_AWAY) push_pending(c, r);
    else if (rv) h2_request_complete(r, rv, "the request was refused before sending");
    h2_transport_flush(cc);
  }
}

/* ---- Timers ----------------------------------------------------------- */

static void conn_timers(client_conn *cc, uint64_t now) {
  const h2_client_options *o = &cc->client->opt;
  uint64_t ms = 1000;
  if (!cc->settings_seen && o->connect_timeout_ms &&
      now - cc->opened_us >= o->connect_timeout_ms * ms) {
    snprintf(cc->detail, sizeof(cc->detail),
             "connecting to %s:%s timed out after %u ms", cc->host, cc->port,
             o->connect_timeout_ms);
    h2_transport_fail(cc, H2_ERR_TIMEOUT, cc->detail);
    return;
  }
  if (cc->stalled_since_us && o->write_stall_timeout_ms &&
      now - cc->stalled_since_us >= o->write_stall_timeout_ms * ms) {
    h2_transport_fail(cc, H2_ERR_TIMEOUT, "the server stopped reading");
    return;
  }
  if (cc->ping_sent_us && o->ping_timeout_ms &&
      now - cc->ping_sent_us >= o->ping_timeout_ms * ms) {
    h2_transport_fail(cc, H2_ERR_TIMEOUT, "the server did not answer a PING");
    return;
  }
  if (cc->state == CONN_READY && cc->active && !cc->ping_sent_us &&
      o->ping_interval_ms && now - cc->last_read_us >= o->ping_interval_ms * ms) {
    uint8_t opaque[8];
    memcpy(opaque, &now, sizeof(opaque));
    if (h2_conn_ping(cc->conn, opaque) == 0) cc->ping_sent_us = now;
  }
  if (!cc->active && o->idle_timeout_ms &&
      now - cc->idle_since_us >= o->idle_timeout_ms * ms) {
    h2_conn_shutdown(cc->conn);
    h2_transport_flush(cc); /* the GOAWAY, if the socket takes it */
    cc->state = CONN_DEAD;
  }
  if (h2_conn_tick(cc->conn, now / ms) < 0) h2_dispatch_events(cc);
}

static void request_timers(h2_client *c, uint64_t now) {
  uint64_t limit = c->opt.response_timeout_ms ? c->opt.response_timeout_ms : UINT32_MAX;
  client_request *r = c->all;
  while (r) {
    client_request *next = r->next_all;
    if (r->awaiting_continue && now >= r->continue_deadline_us) {
      r->awaiting_continue = 0;
      h2_request_pump_body(r);
    }
    if (r->conn && !r->headers_seen && now - r->started_us >= (uint64_t)limit * 1000) {
      h2_conn_reset_stream(r->conn->conn, r->stream_id, H2_CANCEL);
      h2_request_complete(r, H2_ERR_TIMEOUT, "no response headers in time");
    }
    r = next;
  }
}

void h2_dispatch_timers(h2_client *c, uint64_t now) {
  for (client_conn *cc = c->conns; cc; cc = cc->next)
    if (!cc->failed) conn_timers(cc, now);
  request_timers(c, now);
}
