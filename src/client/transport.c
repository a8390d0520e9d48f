/*
 * The transport of a client connection: a non-blocking TCP socket, the TLS
 * filter for https, and the pumps that move bytes between the socket, TLS
 * and the connection core.
 *
 * Reading: socket -> (TLS) -> h2_conn_recv -> events dispatched at once,
 * because DATA views point into the read buffer. Writing: core output ->
 * (TLS) -> socket, stopping when the socket is full and resuming on
 * EPOLLOUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_internal.h"

static void watch(client_conn *cc, int out) {
  struct epoll_event ev = {0};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
  ev.data.ptr = cc;
  epoll_ctl(cc->client->epoll_fd, EPOLL_CTL_MOD, cc->fd, &ev);
  cc->epoll_out = out;
}

void h2_transport_fail(client_conn *cc, int code, const char *detail) {
  if (cc->failed) return;
  cc->failed = code;
  if (detail != cc->detail)
    snprintf(cc->detail, sizeof(cc->detail), "%s", detail ? detail : h2_strerror(code));
  cc->state = CONN_DEAD;
}

/* ---- Connecting ---------------------------------------------------------- */

static int start_connect(client_conn *cc) {
  while (cc->next_address) {
    struct addrinfo *ai = cc->next_address;
    cc->next_address = ai->ai_next;
    if (cc->fd >= 0) {
      epoll_ctl(cc->client->epoll_fd, EPOLL_CTL_DEL, cc->fd, NULL);
      close(cc->fd);
    }
    cc->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (cc->fd < 0) continue;
    int one = 1;
    setsockopt(cc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = cc;
    epoll_ctl(cc->client->epoll_fd, EPOLL_CTL_ADD, cc->fd, &ev);
    cc->epoll_out = 1;
    if (connect(cc->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)
      return 0;
    snprintf(cc->detail, sizeof(cc->detail), "cannot connect to %s:%s: %s",
             cc->host, cc->port, strerror(errno));
  }
  return -1;
}

/* One TLS context (CA store, client certificate) serves every
 * connection: loading the system store once matters with many. It is made
 * on first use, so a bad CA file fails the requests that need TLS with a
 * clear reason. */
static int new_tls(client_conn *cc) {
  h2_client *c = cc->client;
  int rv = 0;
  if (!c->tls_ctx)
    rv = h2_tls_context_new(&c->tls_ctx, &c->opt.tls, c->alloc, cc->detail,
                            sizeof(cc->detail));
  if (!rv) rv = h2_tls_new_with_context(&cc->tls, c->tls_ctx, cc->host, c->alloc);
  if (rv) h2_transport_fail(cc, rv, cc->detail[0] ? cc->detail : "cannot set up TLS");
  return rv;
}

client_conn *h2_transport_open(h2_client *c, const h2_url *url) {
  client_conn *cc = h2_calloc(c->alloc, 1, sizeof(*cc));
  if (!cc) return NULL;
  cc->client = c;
  cc->fd = -1;
  cc->tls_enabled = url->tls;
  snprintf(cc->host, sizeof(cc->host), "%s", url->host);
  snprintf(cc->port, sizeof(cc->port), "%s", url->port);
  snprintf(cc->key, sizeof(cc->key), "%s://%s", url->tls ? "https" : "http",
           url->authority);
  cc->opened_us = cc->last_read_us = cc->idle_since_us = h2_client_now_us();
  cc->read_buf = h2_malloc(c->alloc, CLIENT_READ_BUFFER);
  cc->plain_buf = url->tls ? h2_malloc(c->alloc, CLIENT_READ_BUFFER) : NULL;
  int rv = cc->read_buf && (!url->tls || cc->plain_buf) ? 0 : H2_ERR_NOMEM;
  if (!rv) rv = h2_conn_client_new(&cc->conn, &c->opt.conn, c->alloc);
  cc->next = c->conns;
  c->conns = cc;
  c->stats.connections_opened++;
  if (rv) {
    h2_transport_fail(cc, rv, "out of memory");
    return cc;
  }
  struct addrinfo hints = {0};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  /* Name resolution blocks; a resolver of its own is future work. */
  int gai = getaddrinfo(cc->host, cc->port, &hints, &cc->addresses);
  if (gai) {
    snprintf(cc->detail, sizeof(cc->detail), "cannot resolve %s: %s", cc->host,
             gai_strerror(gai));
    h2_transport_fail(cc, H2_ERR_SYSTEM, cc->detail);
    return cc;
  }
  cc->next_address = cc->addresses;
  if (start_connect(cc)) h2_transport_fail(cc, H2_ERR_SYSTEM, cc->detail);
  else if (url->tls) new_tls(cc);
  return cc;
}

void h2_transport_close(client_conn *cc) {
  h2_client *c = cc->client;
  for (int i = 0; cc->conn && i < H2_COUNTER_COUNT; i++)
    c->stats.counters[i] += h2_conn_counter(cc->conn, i);
  if (cc->fd >= 0) {
    epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, cc->fd, NULL);
    close(cc->fd);
  }
  if (cc->addresses) freeaddrinfo(cc->addresses);
  h2_tls_del(cc->tls);
  h2_conn_del(cc->conn);
  h2_free(c->alloc, cc->read_buf);
  h2_free(c->alloc, cc->plain_buf);
  h2_free(c->alloc, cc);
}

/* The TCP connection completed (or failed) on EPOLLOUT. */
static void finish_connect(client_conn *cc) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(cc->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) {
    snprintf(cc->detail, sizeof(cc->detail), "cannot connect to %s:%s: %s",
             cc->host, cc->port, strerror(err));
    if (start_connect(cc)) h2_transport_fail(cc, H2_ERR_SYSTEM, cc->detail);
    return;
  }
  cc->state = cc->tls_enabled ? CONN_HANDSHAKE : CONN_READY;
  cc->established = !cc->tls_enabled;
}

/* ---- Writing ------------------------------------------------------------- */

/* Sends bytes; returns how many went, or -1 after failing the connection. */
static long send_bytes(client_conn *cc, const uint8_t *data, size_t length) {
  ssize_t n = send(cc->fd, data, length, MSG_NOSIGNAL);
  if (n >= 0) {
    cc->client->stats.bytes_sent += (uint64_t)n;
    return (long)n;
  }
  if (errno == EAGAIN || errno == EINTR) return 0; /* EWOULDBLOCK is EAGAIN */
  int reset = errno == ECONNRESET || errno == EPIPE;
  snprintf(cc->detail, sizeof(cc->detail), "%s %s: %s",
           reset ? "the connection was reset by" : "cannot send to", cc->host,
           strerror(errno));
  h2_transport_fail(cc, reset ? H2_ERR_CONNECTION_CLOSED : H2_ERR_SYSTEM,
                    cc->detail);
  return -1;
}

/* Sends the TLS filter's pending records. Returns 1 when all went. */
static int flush_tls(client_conn *cc) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_tls_peek_output(cc->tls, &data)) > 0) {
    long sent = send_bytes(cc, data, n);
    if (sent <= 0) return 0;
    h2_tls_consume_output(cc->tls, (size_t)sent);
  }
  return 1;
}

static void trace_output(client_conn *cc, const uint8_t *data, size_t n);

/* Moves core output into TLS or the socket. Returns 1 when all went. */
static int flush_core(client_conn *cc) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_conn_peek_output(cc->conn, &data)) > 0) {
    long taken;
    if (cc->tls) {
      if (!flush_tls(cc)) return 0;
      taken = h2_tls_write(cc->tls, data, n);
      if (taken == H2_ERR_WOULD_BLOCK) taken = 0;
      if (taken < 0) {
        h2_transport_fail(cc, (int)taken, h2_tls_error_detail(cc->tls));
        return 0;
      }
    } else {
      taken = send_bytes(cc, data, n);
      if (taken < 0) return 0;
    }
    if (taken == 0) return 0;
    trace_output(cc, data, (size_t)taken);
    h2_conn_consume_output(cc->conn, (size_t)taken);
    cc->stalled_since_us = 0;
  }
  return cc->tls ? flush_tls(cc) : 1;
}

void h2_transport_flush(client_conn *cc) {
  if (cc->state != CONN_READY || cc->failed) return;
  int done = flush_core(cc);
  /* Framing body frees send-buffer room, which the core reports as
   * WRITABLE events: hand them over so more body is queued, and send that
   * too while the socket takes it. */
  for (int rounds = 0; done && !cc->failed && rounds < 64; rounds++) {
    h2_dispatch_events(cc);
    const uint8_t *pending;
    if (!h2_conn_peek_output(cc->conn, &pending)) break;
    done = flush_core(cc);
  }
  if (cc->failed) return;
  if (!done && !cc->stalled_since_us) cc->stalled_since_us = h2_client_now_us();
  if (done) cc->stalled_since_us = 0;
  if (done == cc->epoll_out) watch(cc, !done);
}

void h2_transport_flush_final(client_conn *cc) {
  /* Only a connection whose transport still works can say goodbye: after
   * a protocol error the core has queued GOAWAY, which is worth one
   * non-blocking attempt; after a socket or TLS failure there is nobody to
   * tell. */
  if (!cc->established || !cc->conn) return;
  if (cc->failed && !cc->core_failed) return;
  int failed = cc->failed;
  cc->failed = 0;
  if (flush_core(cc) && cc->tls && h2_tls_close(cc->tls) == 0) flush_tls(cc);
  if (!cc->failed) cc->failed = failed;
}

/* ---- Frame trace ---------------------------------------------------------- */

/* Frames are traced as whole units: the core's output always holds whole
 * frames, and the preface is skipped. */
static void trace_output(client_conn *cc, const uint8_t *data, size_t n) {
  h2_trace_fn trace = cc->client->opt.trace;
  if (!trace) return;
  size_t off = 0;
  if (n >= 24 && memcmp(data, "PRI * HTTP/2.0", 14) == 0) off = 24;
  while (off + 9 <= n) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, data + off);
    if (off + 9 + hd.length > n) break;
    trace(cc->client->opt.trace_user, 'S', cc->key, &hd, data + off + 9, hd.length);
    off += 9 + hd.length;
  }
}

/* ---- Reading ----------------------------------------------------------- */

/* Follows the frames the server sends, for the trace: headers are
 * gathered, and the first bytes of each payload (enough to show SETTINGS,
 * PING, GOAWAY and WINDOW_UPDATE contents). */
static void trace_input(client_conn *cc, const uint8_t *data, size_t n) {
  h2_trace_fn trace = cc->client->opt.trace;
  frame_tracer *t = &cc->tracer;
  while (trace && n) {
    if (t->header_have < 9) {
      size_t k = 9 - t->header_have < n ? 9 - t->header_have : n;
      memcpy(t->header + t->header_have, data, k);
      t->header_have += (uint32_t)k;
      data += k;
      n -= k;
      if (t->header_have < 9) return;
      h2_frame_header_unpack(&t->hd, t->header);
      t->payload_have = 0;
      t->left = t->hd.length;
    }
    size_t k = t->left < n ? t->left : n;
    size_t keep = sizeof(t->payload) - t->payload_have;
    if (keep > k) keep = k;
    memcpy(t->payload + t->payload_have, data, keep);
    t->payload_have += (uint32_t)keep;
    t->left -= (uint32_t)k;
    data += k;
    n -= k;
    if (t->left) return;
    trace(cc->client->opt.trace_user, 'R', cc->key, &t->hd, t->payload,
          t->payload_have);
    t->header_have = 0;
  }
}

/* Hands plain bytes to the core and dispatches what it reports. */
static void feed_core(client_conn *cc, const uint8_t *data, size_t n) {
  trace_input(cc, data, n);
  cc->last_read_us = h2_client_now_us();
  h2_conn_recv(cc->conn, data, n);
  h2_dispatch_events(cc);
}

static int pump_tls_plain(client_conn *cc) {
  for (;;) {
    int n = h2_tls_read(cc->tls, cc->plain_buf, CLIENT_READ_BUFFER);
    if (n == H2_ERR_WOULD_BLOCK) return 0;
    if (n == H2_ERR_CONNECTION_CLOSED) {
      feed_core(cc, NULL, 0);
      return -1;
    }
    if (n == H2_ERR_CONN_PROTOCOL) {
      /* TLS renegotiation or post-handshake authentication: a connection
       * error of HTTP/2 (RFC 9113 9.2.1), so the core says goodbye with
       * GOAWAY(PROTOCOL_ERROR) over the still-working TLS channel. */
      h2_conn_terminate(cc->conn, H2_PROTOCOL_ERROR, h2_tls_error_detail(cc->tls));
      h2_dispatch_events(cc);
      return -1;
    }
    if (n < 0) {
      h2_transport_fail(cc, n, h2_tls_error_detail(cc->tls));
      return -1;
    }
    feed_core(cc, cc->plain_buf, (size_t)n);
  }
}

static void handshake(client_conn *cc) {
  int rv = h2_tls_handshake(cc->tls);
  flush_tls(cc);
  if (rv == 0) {
    cc->state = CONN_READY;
    cc->established = 1;
    pump_tls_plain(cc);
  } else if (rv != H2_ERR_WOULD_BLOCK) {
    h2_transport_fail(cc, rv, h2_tls_error_detail(cc->tls));
  }
}

/* Hands encrypted bytes to TLS. The filter bounds what it buffers and may
 * take only part: what it has is decrypted (or handshaken) first, then the
 * rest is offered again. Returns 0, or -1 when the connection ended. */
static int feed_tls(client_conn *cc, const uint8_t *data, size_t n) {
  while (n) {
    int taken = h2_tls_feed(cc->tls, data, n);
    if (taken == H2_ERR_WOULD_BLOCK) taken = 0;
    if (taken < 0) {
      h2_transport_fail(cc, taken, h2_tls_error_detail(cc->tls));
      return -1;
    }
    data += taken;
    n -= (size_t)taken;
    if (cc->state == CONN_HANDSHAKE) handshake(cc);
    else if (pump_tls_plain(cc) < 0) return -1;
    if (cc->failed) return -1;
    if (n && taken == 0 && cc->state == CONN_HANDSHAKE) {
      h2_transport_fail(cc, H2_ERR_TLS, "the TLS handshake stalled");
      return -1;
    }
  }
  return 0;
}

/* Reads what the socket has. Returns 0, or -1 when the connection ended. */
static int read_socket(client_conn *cc) {
  for (int rounds = 0; rounds < 16; rounds++) {
    ssize_t n = recv(cc->fd, cc->read_buf, CLIENT_READ_BUFFER, 0);
    if (n < 0 && errno == EAGAIN) return 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      /* A reset once connected is the server closing abruptly: the
       * response is cut short, which is not a failure to connect. */
      int reset = errno == ECONNRESET || errno == EPIPE;
      snprintf(cc->detail, sizeof(cc->detail), "%s %s: %s",
               reset ? "the connection was reset by" : "cannot read from",
               cc->host, strerror(errno));
      h2_transport_fail(cc, reset ? H2_ERR_CONNECTION_CLOSED : H2_ERR_SYSTEM,
                        cc->detail);
      return -1;
    }
    cc->client->stats.bytes_received += (uint64_t)n;
    if (!cc->tls) {
      feed_core(cc, cc->read_buf, (size_t)n);
      if (n == 0) return -1;
      continue;
    }
    if (n == 0) {
      h2_tls_feed_eof(cc->tls);
      if (cc->state == CONN_HANDSHAKE) handshake(cc);
      else pump_tls_plain(cc);
      return -1;
    }
    if (feed_tls(cc, cc->read_buf, (size_t)n) < 0) return -1;
    if (cc->failed) return -1;
  }
  return 0;
}

void h2_transport_on_event(client_conn *cc, uint32_t events) {
  if (cc->state == CONN_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    finish_connect(cc);
    /* Our preface, SETTINGS and first requests leave before anything is
     * read (h2c), or the ClientHello does (TLS). */
    if (cc->state == CONN_READY) h2_transport_flush(cc);
  }
  if (cc->state == CONN_HANDSHAKE && !cc->failed) handshake(cc);
  if (cc->state == CONN_HANDSHAKE && (events & EPOLLIN) && !cc->failed)
    read_socket(cc);
  else if (cc->state == CONN_READY && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    read_socket(cc);
  if (!cc->failed) h2_transport_flush(cc);
  if (cc->state == CONN_HANDSHAKE && !cc->failed)
    watch(cc, h2_tls_pending_output(cc->tls) > 0);
}
