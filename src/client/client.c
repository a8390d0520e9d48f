/*
 * The client's API and its loop: requests are queued, handed to pooled
 * connections, and the loop waits on epoll for sockets and timers until
 * every request has completed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"
#include "conn_internal.h"

uint64_t h2_client_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void h2_client_options_init(h2_client_options *o) {
  memset(o, 0, sizeof(*o));
  o->struct_size = sizeof(*o);
  h2_conn_options_init(&o->conn);
  /* The client hands body bytes to the application as they arrive, so a
   * larger stream window costs no buffering here and saves round trips of
   * WINDOW_UPDATE on fast links (the core's default is the RFC's 65535). */
  o->conn.initial_window_size = 1u << 20;
  h2_tls_options_init(&o->tls);
  o->connect_timeout_ms = 10000;
  o->response_timeout_ms = 60000;
  o->idle_timeout_ms = 60000;
  o->write_stall_timeout_ms = 30000;
  o->ping_interval_ms = 30000;
  o->ping_timeout_ms = 15000;
  o->max_retries = 6;
  o->max_connections_per_origin = 8;
}

static const char **tls_string(h2_client *c, int i) {
  h2_tls_options *t = &c->opt.tls;
  const char **fields[] = {&t->server_name, &t->ca_file, &t->ca_path, &t->cert_file,
                           &t->key_file, &t->key_password, &t->alpn};
  return fields[i];
}

#define TLS_STRINGS 7

static int copy_tls_strings(h2_client *c) {
  int rv = 0;
  for (int i = 0; i < TLS_STRINGS; i++) {
    const char **field = tls_string(c, i);
    if (!*field) continue;
    size_t n = strlen(*field) + 1;
    char *copy = h2_malloc(c->alloc, n);
    if (copy) memcpy(copy, *field, n);
    else rv = H2_ERR_NOMEM;
    *field = copy;
  }
  return rv;
}

static void free_tls_strings(h2_client *c) {
  for (int i = 0; i < TLS_STRINGS; i++) {
    const char **field = tls_string(c, i);
    h2_free(c->alloc, (void *)(uintptr_t)*field);
    *field = NULL;
  }
}

int h2_client_new(h2_client **out, const h2_client_options *options,
                  const h2_allocator *alloc) {
  if (!out) return H2_ERR_INVALID_ARGUMENT;
  alloc = h2_alloc_or_default(alloc);
  h2_client *c = h2_calloc(alloc, 1, sizeof(*c));
  if (!c) return H2_ERR_NOMEM;
  c->alloc = alloc;
  if (options) c->opt = *options;
  else h2_client_options_init(&c->opt);
  /* The TLS file names are used when the first https:// connection opens,
   * so they are copied: the caller's strings need not outlive this call. */
  if (copy_tls_strings(c)) {
    free_tls_strings(c);
    h2_free(alloc, c);
    return H2_ERR_NOMEM;
  }
  c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (c->epoll_fd < 0) {
    free_tls_strings(c);
    h2_free(alloc, c);
    return H2_ERR_SYSTEM;
  }
  *out = c;
  return 0;
}

void h2_client_del(h2_client *c) {
  if (!c) return;
  while (c->all) h2_request_complete(c->all, H2_ERR_STREAM_CANCEL, "the client was closed");
  while (c->conns) {
    client_conn *cc = c->conns;
    c->conns = cc->next;
    /* A graceful goodbye, if the socket takes it now: GOAWAY(NO_ERROR)
     * tells the server nothing more is coming. */
    if (cc->state == CONN_READY && !cc->failed) {
      h2_conn_shutdown(cc->conn);
      h2_transport_flush(cc);
      if (cc->tls) {
        h2_tls_close(cc->tls);
        h2_transport_flush(cc);
      }
    }
    h2_transport_close(cc);
  }
  h2_dispatch_free_completed(c);
  h2_tls_context_del(c->tls_ctx);
  free_tls_strings(c);
  close(c->epoll_fd);
  h2_free(c->alloc, c);
}

/* ---- Requests --------------------------------------------------------- */

static char *copy_string(h2_client *c, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = h2_malloc(c->alloc, n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Builds the field list: :method, :scheme, :authority, :path, then the
 * caller's fields, all in one allocation of bytes. */
static int build_fields(client_request *r, const h2_request *req) {
  h2_client *c = r->client;
  size_t n = 4 + req->header_count, bytes = r->url.path_length + 2;
  r->fields = h2_malloc(c->alloc, n * sizeof(h2_header));
  r->field_bytes = h2_malloc(c->alloc, bytes);
  if (!r->fields || !r->field_bytes) return H2_ERR_NOMEM;
  uint8_t *path = r->field_bytes;
  size_t path_length = 0;
  if (r->url.slash) path[path_length++] = '/';
  memcpy(path + path_length, r->url.path, r->url.path_length);
  path_length += r->url.path_length;
  const char *scheme = r->url.tls ? "https" : "http";
  h2_header pseudo[4] = {
      {(const uint8_t *)":method", (const uint8_t *)r->method, 7,
       (uint32_t)strlen(r->method), 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)scheme, 7,
       (uint32_t)strlen(scheme), 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)r->url.authority, 10,
       (uint32_t)strlen(r->url.authority), 0, 0},
      {(const uint8_t *)":path", path, 5, (uint32_t)path_length, 0, 0}};
  memcpy(r->fields, pseudo, sizeof(pseudo));
  /* The caller's header pointers must stay valid until completion; the
   * core copies them only when the request is queued. */
  if (req->header_count)
    memcpy(r->fields + 4, req->headers, req->header_count * sizeof(h2_header));
  r->field_count = n;
  return 0;
}

static client_request *new_request(h2_client *c, const h2_request *req,
                                   const h2_response_handler *handler, int *rv) {
  client_request *r = h2_calloc(c->alloc, 1, sizeof(*r));
  if (!r) {
    *rv = H2_ERR_NOMEM;
    return NULL;
  }
  r->client = c;
  if (handler) r->handler = *handler;
  r->body = *req;
  r->url_text = copy_string(c, req->url ? req->url : "");
  r->method = copy_string(c, req->method ? req->method : "GET");
  const char *why;
  *rv = (!r->url_text || !r->method) ? H2_ERR_NOMEM : 0;
  if (!*rv && h2_url_parse(&r->url, r->url_text, &why)) *rv = H2_ERR_INVALID_ARGUMENT;
  if (!*rv) *rv = build_fields(r, req);
  const char *reason;
  if (!*rv) *rv = h2_validate_request_fields(r->fields, r->field_count, &reason);
  if (*rv) {
    h2_free(c->alloc, r->url_text);
    h2_free(c->alloc, r->method);
    h2_free(c->alloc, r->fields);
    h2_free(c->alloc, r->field_bytes);
    h2_free(c->alloc, r);
    return NULL;
  }
  return r;
}

int h2_client_submit(h2_client *c, const h2_request *req,
                     const h2_response_handler *handler) {
  if (!c || !req || !req->url) return H2_ERR_INVALID_ARGUMENT;
  int rv;
  client_request *r = new_request(c, req, handler, &rv);
  if (!r) return rv;
  r->id = ++c->next_id;
  r->next_all = c->all;
  c->all = r;
  c->outstanding++;
  r->next = NULL;
  if (c->pending_tail) c->pending_tail->next = r;
  else c->pending_head = r;
  c->pending_tail = r;
  return r->id;
}

int h2_client_cancel(h2_client *c, int id) {
  for (client_request *r = c->all; r; r = r->next_all) {
    if (r->id != id) continue;
    if (r->conn) h2_conn_reset_stream(r->conn->conn, r->stream_id, H2_CANCEL);
    /* A request still waiting for a connection leaves the queue. */
    for (client_request **link = &c->pending_head; *link; link = &(*link)->next)
      if (*link == r) {
        *link = r->next;
        if (c->pending_tail == r) {
          c->pending_tail = NULL;
          for (client_request *p = c->pending_head; p; p = p->next) c->pending_tail = p;
        }
        break;
      }
    /* Freed after the loop's turn: cancel may be called from a callback
     * while events naming the request are still being handed out. */
    h2_request_complete(r, H2_ERR_STREAM_CANCEL, "cancelled by the application");
    return 0;
  }
  return H2_ERR_STREAM_NOT_FOUND;
}

/* ---- The loop --------------------------------------------------------- */

/* Ends the requests of a failed connection and frees dead connections. */
static void reap(h2_client *c) {
  client_conn **link = &c->conns;
  while (*link) {
    client_conn *cc = *link;
    if (cc->state != CONN_DEAD && !cc->failed) {
      link = &cc->next;
      continue;
    }
    if (cc->failed) {
      h2_dispatch_transport_failed(cc);
    } else {
      /* A graceful end: anything still on it was cut short. */
      if (!cc->failed) cc->failed = H2_ERR_CONNECTION_CLOSED;
      snprintf(cc->detail, sizeof(cc->detail), "the connection closed");
      h2_dispatch_transport_failed(cc);
      cc->failed = 0;
    }
    h2_transport_flush_final(cc); /* a last GOAWAY, if it fits */
    *link = cc->next;
    h2_transport_close(cc);
  }
}

static int wait_ms(h2_client *c, uint64_t deadline_us) {
  uint64_t now = h2_client_now_us();
  uint64_t wait = 100000; /* timers are checked at least every 100 ms */
  if (deadline_us != UINT64_MAX && deadline_us - now < wait)
    wait = deadline_us > now ? deadline_us - now : 0;
  (void)c;
  return (int)((wait + 999) / 1000);
}

static void turn(h2_client *c, uint64_t deadline_us) {
  struct epoll_event events[64];
  h2_dispatch_pending(c);
  int n = epoll_wait(c->epoll_fd, events, 64, wait_ms(c, deadline_us));
  for (int i = 0; i < n; i++) h2_transport_on_event(events[i].data.ptr, events[i].events);
  h2_dispatch_timers(c, h2_client_now_us());
  for (client_conn *cc = c->conns; cc; cc = cc->next) h2_transport_flush(cc);
  reap(c);
  h2_dispatch_free_completed(c);
}

/* With H2_CLIENT_MEASURE_RTT, a PING sent at connection start may still
 * be unanswered when the requests are done: wait for it briefly. */
static int rtt_pending(const h2_client *c) {
  if (!(c->opt.flags & H2_CLIENT_MEASURE_RTT)) return 0;
  for (const client_conn *cc = c->conns; cc; cc = cc->next)
    if (cc->ping_sent_us && !cc->failed && cc->state == CONN_READY &&
        h2_client_now_us() - cc->ping_sent_us < 1000000)
      return 1;
  return 0;
}

int h2_client_run(h2_client *c, int timeout_ms) {
  if (!c) return H2_ERR_INVALID_ARGUMENT;
  uint64_t deadline = timeout_ms < 0 ? UINT64_MAX
                                     : h2_client_now_us() + (uint64_t)timeout_ms * 1000;
  while (c->outstanding || rtt_pending(c)) {
    if (h2_client_now_us() >= deadline) return c->outstanding ? H2_ERR_TIMEOUT : 0;
    turn(c, deadline);
  }
  return 0;
}

void h2_client_get_stats(const h2_client *c, h2_client_stats *stats) {
  *stats = c->stats;
  for (const client_conn *cc = c->conns; cc; cc = cc->next)
    for (int i = 0; cc->conn && i < H2_COUNTER_COUNT; i++)
      stats->counters[i] += h2_conn_counter(cc->conn, i);
}
