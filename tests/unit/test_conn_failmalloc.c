/*
 * Allocation-failure injection for the connection core (spec
 * hostile-servers-and-limits.md section 6 item 4, after nghttp2's
 * failmalloc).
 *
 * Each scenario below is a scripted exchange that reaches a group of the
 * connection's allocation sites. It runs once with no failure to count
 * its successful allocations K, then again for every N in 1..K+1 with the
 * Nth allocation failed (N = K+1 fails nothing), with the server's bytes
 * fed whole and, for the smaller scenarios, one byte at a time. Event logs
 * legitimately differ by N, so none is compared; the invariants are:
 *
 *   - nothing crashes (run under ASan) and every run terminates;
 *   - every call returns success or a known negative library code;
 *   - h2_conn_recv returns `length` or a fatal code, and once it has
 *     returned one it keeps returning it, h2_conn_tick agrees, the
 *     connection says it is closed, and the CONNECTION_ERROR event (when
 *     one comes) carries the same code;
 *   - a NOMEM from a call that did not fail the connection (submit_*,
 *     ping, and h2_conn_poll, whose events stay queued) changed nothing:
 *     the same call retried succeeds (same stream id, same events);
 *   - events are well formed: known type, stream events only for streams
 *     the application opened, carrying its user pointer, never after the
 *     stream's END/RESET, never after CONNECTION_ERROR or CLOSED; views are
 *     readable (ASan checks every byte is touched);
 *   - the output is always whole frames;
 *   - once the server's side closes, the application has been told how
 *     the connection ended (CONNECTION_ERROR or CLOSED);
 *   - h2_conn_del frees everything: live bytes and live blocks are zero;
 *   - for N <= K the Nth allocation really was failed (the sweep reaches
 *     every site), and N = K+1 fails nothing.
 *
 * Known library faults, reproduced strictly in the unregistered
 * test_conn_failmalloc_pending.c, are tolerated here and named in the
 * output: (1) a use-after-free when a stream's END/RESET event needs the
 * event queue to grow (those N are skipped in many-streams); (2) PING_ACK
 * bytes and GOAWAY debug data dropped without an error; (3) a request
 * refused with H2_ERR_NOMEM that still gets a STREAM_RESET.
 *
 * H2_FAILMALLOC_ONLY=<scenario> sweeps one scenario; H2_FAILMALLOC_SKIP=0
 * also runs the skipped N.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn_internal.h" /* sizeof(queued_event): see skip_known_fault */
#include "h2_script.h"
#include "test.h"
#include "test_alloc.h"

/* ---- The run context and its invariants --------------------------------- */

#define MAX_STREAM_SLOTS 1024 /* stream id / 2 */
#define MAX_SUBMITS 1024

/* ST_GHOST: a request whose submit returned H2_ERR_NOMEM after the
 * stream was mapped (known fault, pending case 3): tolerated to get one
 * STREAM_RESET, counted. */
enum { ST_NONE = 0, ST_OPEN = 1, ST_ENDED = 2, ST_GHOST = 3 };

typedef struct run_ctx {
  const char *scenario;
  int cut;
  size_t fail_at;
  test_alloc ta;
  h2_conn *conn; /* NULL when creation failed */
  /* What the library told us. */
  int fatal;       /* the fatal code recv/tick returned, 0 if none */
  int connerr;     /* the CONNECTION_ERROR event's code, 0 if none */
  int closed_seen; /* H2_EVENT_CLOSED */
  int nomem_seen;  /* any call returned H2_ERR_NOMEM */
  size_t events;
  uint64_t touched; /* folds every byte events point at */
  uint8_t state[MAX_STREAM_SLOTS];
  const void *user_of[MAX_STREAM_SLOTS];
  char tags[MAX_SUBMITS];
  size_t submits;
  uint32_t next_id; /* the id the next successful submit should get */
  /* The client's output, parsed as a frame stream. */
  size_t preface_left;
  uint8_t hdr[9];
  size_t hdr_have;
  size_t body_left;
  uint64_t out_bytes;
  /* What the scenario expects back in event copies. */
  const char *ping_opaque; /* our PING's 8 bytes */
  const char *goaway_debug;
  /* Library faults seen, counted (see test_conn_failmalloc_pending.c). */
  int reported;
} run_ctx;

static int failure_messages = 0;

/* A failed invariant: counted, and described (a bounded number of times)
 * with what reproduces it. */
#define RCHECK(r, expr)                                                      \
  do {                                                                       \
    test_checks++;                                                           \
    if (!(expr)) {                                                           \
      test_failures++;                                                       \
      if (failure_messages++ < 40)                                           \
        fprintf(stderr, "%s:%d: [%s cut=%d fail_at=%zu] CHECK failed: %s\n", \
                __FILE__, __LINE__, (r)->scenario, (r)->cut, (r)->fail_at,   \
                #expr);                                                      \
    }                                                                        \
  } while (0)

/* A library code the library itself can describe: never garbage. */
static int known_code(int code) {
  return code < 0 && strcmp(h2_strerror(code), "unknown error") != 0;
}

static int slot_of_id(uint32_t id) {
  return (id & 1) && id / 2 < MAX_STREAM_SLOTS ? (int)(id / 2) : -1;
}

/* The connection has reported a fatal code through recv: everything the
 * public API says about it must agree. */
static void check_failed_consistently(run_ctx *r) {
  if (!r->fatal) return;
  RCHECK(r, h2_conn_is_closed(r->conn));
  RCHECK(r, !h2_conn_can_submit(r->conn));
  RCHECK(r, h2_conn_tick(r->conn, 0) == r->fatal);
  uint8_t byte = 0;
  RCHECK(r, h2_conn_recv(r->conn, &byte, 1) == r->fatal);
  if (r->connerr) RCHECK(r, r->connerr == r->fatal);
}

static void touch(run_ctx *r, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) r->touched = (r->touched ^ p[i]) * 1099511628211ull;
}

static void check_event(run_ctx *r, const h2_event *e) {
  r->events++;
  RCHECK(r, e->type >= H2_EVENT_HEADERS && e->type <= H2_EVENT_CLOSED);
  if (e->header_count) {
    RCHECK(r, e->headers != NULL);
    if (e->headers)
      for (uint32_t i = 0; i < e->header_count; i++) {
        touch(r, e->headers[i].name, e->headers[i].name_length);
        touch(r, e->headers[i].value, e->headers[i].value_length);
      }
  }
  if (e->length && e->type != H2_EVENT_DATA && e->type != H2_EVENT_PING_ACK &&
      e->type != H2_EVENT_GOAWAY && e->type != H2_EVENT_CONNECTION_ERROR)
    RCHECK(r, !"length on an event that carries no bytes");
  if (e->length) {
    RCHECK(r, e->data != NULL);
    if (e->data) touch(r, e->data, (size_t)e->length);
  }
  switch (e->type) {
    case H2_EVENT_HEADERS:
    case H2_EVENT_INFORMATIONAL:
    case H2_EVENT_DATA:
    case H2_EVENT_TRAILERS:
    case H2_EVENT_STREAM_END:
    case H2_EVENT_STREAM_RESET:
    case H2_EVENT_WRITABLE: {
      int slot = slot_of_id(e->stream_id);
      RCHECK(r, slot >= 0);
      if (slot < 0) return;
      if (r->state[slot] == ST_GHOST) {
        RCHECK(r, e->type == H2_EVENT_STREAM_RESET && h2_error_is_fatal(e->error));
        RCHECK(r, e->user == r->user_of[slot]);
        r->state[slot] = ST_ENDED;
        r->reported |= 1;
        return;
      }
      /* Only streams the application opened, and only until their end. */
      RCHECK(r, r->state[slot] == ST_OPEN);
      RCHECK(r, e->user == r->user_of[slot]);
      RCHECK(r, !r->closed_seen);
      RCHECK(r, !r->connerr);
      if (e->type == H2_EVENT_HEADERS) RCHECK(r, e->status >= 200 && e->status <= 599);
      if (e->type == H2_EVENT_INFORMATIONAL) RCHECK(r, e->status >= 100 && e->status <= 199);
      if (e->type == H2_EVENT_STREAM_END) RCHECK(r, e->error == 0);
      if (e->type == H2_EVENT_STREAM_RESET) RCHECK(r, known_code(e->error));
      if (e->type == H2_EVENT_STREAM_END || e->type == H2_EVENT_STREAM_RESET)
        r->state[slot] = ST_ENDED;
      return;
    }
    case H2_EVENT_SETTINGS:
      RCHECK(r, e->stream_id == 0);
      return;
    case H2_EVENT_PING_ACK:
      RCHECK(r, e->stream_id == 0);
      /* Our PING's 8 bytes; without them the ACK cannot be matched. A
       * silent drop is a known fault (pending case 2). */
      if (r->ping_opaque && e->length == 8)
        RCHECK(r, memcmp(e->data, r->ping_opaque, 8) == 0);
      else if (r->ping_opaque)
        r->reported |= 2; /* our 8 bytes dropped (pending case 2) */
      return;
    case H2_EVENT_GOAWAY:
      RCHECK(r, e->stream_id == 0);
      if (r->goaway_debug && e->length == strlen(r->goaway_debug))
        RCHECK(r, memcmp(e->data, r->goaway_debug, (size_t)e->length) == 0);
      else if (r->goaway_debug)
        r->reported |= 4; /* debug data dropped (pending case 2) */
      return;
    case H2_EVENT_CONNECTION_ERROR:
      RCHECK(r, e->stream_id == 0);
      RCHECK(r, h2_error_is_fatal(e->error) && known_code(e->error));
      RCHECK(r, !r->connerr);
      RCHECK(r, !r->closed_seen);
      if (r->fatal) RCHECK(r, e->error == r->fatal);
      r->connerr = e->error;
      if (e->error == H2_ERR_NOMEM) r->nomem_seen = 1;
      return;
    case H2_EVENT_CLOSED:
      RCHECK(r, e->stream_id == 0);
      RCHECK(r, !r->closed_seen);
      r->closed_seen = 1;
      return;
    default:
      return;
  }
}

/* Polls until nothing is left. A NOMEM from poll leaves the events queued
 * (the application may retry); it is retried once. */
static void drain_events(run_ctx *r) {
  h2_event events[16];
  for (int rounds = 0; rounds < 100000; rounds++) {
    int n = h2_conn_poll(r->conn, events, 16);
    if (n == H2_ERR_NOMEM) {
      r->nomem_seen = 1;
      n = h2_conn_poll(r->conn, events, 16);
      RCHECK(r, n >= 0);
    }
    RCHECK(r, n >= 0 && n <= 16);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) check_event(r, &events[i]);
  }
  RCHECK(r, !"poll never ran dry");
}

/* Parses what the client sent as preface + frames, across peeks. */
static void parse_output(run_ctx *r, const uint8_t *p, size_t n) {
  r->out_bytes += n;
  while (n) {
    if (r->preface_left) {
      size_t k = n < r->preface_left ? n : r->preface_left;
      r->preface_left -= k;
      p += k;
      n -= k;
      continue;
    }
    if (r->body_left) {
      size_t k = n < r->body_left ? n : r->body_left;
      touch(r, p, k);
      r->body_left -= k;
      p += k;
      n -= k;
      continue;
    }
    r->hdr[r->hdr_have++] = *p++;
    n--;
    if (r->hdr_have == 9) {
      uint32_t length = (uint32_t)r->hdr[0] << 16 | (uint32_t)r->hdr[1] << 8 | r->hdr[2];
      RCHECK(r, length <= 16384);
      RCHECK(r, r->hdr[3] <= 0x10); /* a frame type the client sends */
      r->body_left = length;
      r->hdr_have = 0;
    }
  }
}

/* Drains the client's output and its events. Pending output is always
 * whole frames. */
static void drain(run_ctx *r) {
  drain_events(r);
  for (int rounds = 0; rounds < 100000; rounds++) {
    const uint8_t *out = NULL;
    size_t n = h2_conn_peek_output(r->conn, &out);
    if (!n) break;
    RCHECK(r, out != NULL);
    if (!out) break;
    parse_output(r, out, n);
    RCHECK(r, r->preface_left == 0 && r->hdr_have == 0 && r->body_left == 0);
    h2_conn_consume_output(r->conn, n);
    drain_events(r);
    if (rounds == 99999) RCHECK(r, !"output never ran dry");
  }
  drain_events(r);
}

/* Feeds the server's bytes cut as the run says, draining after every
 * piece. After a fatal code, one more piece checks it sticks. */
static void feed(run_ctx *r, const h2_script *s) {
  if (!r->conn) return;
  drain(r);
  size_t offset = 0;
  while (offset < s->length) {
    size_t n = r->cut == CUT_BYTES ? 1 : s->length - offset;
    uint8_t *piece = malloc(n); /* exact size: ASan catches over-reads */
    memcpy(piece, s->bytes + offset, n);
    int rv = h2_conn_recv(r->conn, piece, n);
    RCHECK(r, rv == (int)n || (h2_error_is_fatal(rv) && known_code(rv)));
    if (rv < 0) {
      if (r->fatal) RCHECK(r, rv == r->fatal);
      r->fatal = rv;
      if (rv == H2_ERR_NOMEM) r->nomem_seen = 1;
    }
    drain_events(r); /* views into `piece` are used before it goes */
    free(piece);
    drain(r);
    offset += n;
    if (r->fatal) {
      check_failed_consistently(r);
      break;
    }
  }
}

/* Submits a request; a NOMEM that left the connection healthy must have
 * changed nothing, so the retry gets the stream id the first try would
 * have had. Returns the stream id or the code. */
static int submit(run_ctx *r, const h2_header *fields, size_t count, int end_stream) {
  if (!r->conn) return H2_ERR_INVALID_STATE;
  void *user = &r->tags[r->submits++ % MAX_SUBMITS];
  uint32_t open_before = h2_conn_open_streams(r->conn);
  int rv = h2_conn_submit_request(r->conn, fields, count, end_stream, user);
  if (rv == H2_ERR_NOMEM) {
    r->nomem_seen = 1;
    if (h2_conn_is_closed(r->conn)) {
      /* The connection failed while sending the HEADERS: it must say so.
       * The stream was mapped before the failure and still gets a
       * STREAM_RESET with our user pointer (known fault, pending case 3):
       * tolerated once, for the id this request would have had. */
      int code = h2_conn_tick(r->conn, 0);
      RCHECK(r, h2_error_is_fatal(code));
      if (!r->fatal) r->fatal = code;
      int slot = slot_of_id(r->next_id);
      if (slot >= 0 && r->state[slot] == ST_NONE) {
        r->state[slot] = ST_GHOST;
        r->user_of[slot] = user;
      }
      return rv;
    }
    RCHECK(r, h2_conn_open_streams(r->conn) == open_before);
    rv = h2_conn_submit_request(r->conn, fields, count, end_stream, user);
    RCHECK(r, rv > 0 || h2_conn_is_closed(r->conn));
  }
  RCHECK(r, rv > 0 || known_code(rv));
  if (rv > 0) {
    int slot = slot_of_id((uint32_t)rv);
    RCHECK(r, slot >= 0);
    RCHECK(r, (uint32_t)rv == r->next_id);
    r->next_id = (uint32_t)rv + 2;
    if (slot >= 0) {
      RCHECK(r, r->state[slot] == ST_NONE);
      r->state[slot] = ST_OPEN;
      r->user_of[slot] = user;
    }
  } else if (r->fatal || h2_conn_is_closed(r->conn)) {
    RCHECK(r, rv == H2_ERR_CONNECTION_GOING_AWAY || rv == H2_ERR_NOMEM ||
                  h2_error_is_fatal(rv));
  }
  return rv;
}

static int submit_get_path(run_ctx *r, const char *path) {
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)path, 5, (uint32_t)strlen(path), 0, 0},
      {(const uint8_t *)"accept", (const uint8_t *)"*/*", 6, 3, 0, 0},
  };
  return submit(r, fields, 5, 1);
}

/* Body bytes: all of `length` is accepted (the send buffer is far from
 * full in these scenarios); a healthy NOMEM is retried. */
static int submit_body(run_ctx *r, uint32_t id, const uint8_t *data, size_t length,
                       int end_stream) {
  if (!r->conn || id == 0) return H2_ERR_INVALID_STATE;
  int rv = h2_conn_submit_data(r->conn, id, data, length, end_stream);
  if (rv == H2_ERR_NOMEM && !h2_conn_is_closed(r->conn)) {
    r->nomem_seen = 1;
    rv = h2_conn_submit_data(r->conn, id, data, length, end_stream);
    RCHECK(r, rv == (int)length);
  }
  RCHECK(r, rv == (int)length || known_code(rv));
  return rv;
}

static void check_ok_or_code(run_ctx *r, int rv) {
  RCHECK(r, rv == 0 || known_code(rv));
  if (rv == H2_ERR_NOMEM) r->nomem_seen = 1;
}

/* The server closes its side: the application must learn how the
 * connection ended. */
static void server_closes(run_ctx *r) {
  if (!r->conn) return;
  drain(r);
  int rv = h2_conn_recv(r->conn, NULL, 0);
  if (r->fatal) {
    RCHECK(r, rv == r->fatal);
  } else if (rv != 0) {
    RCHECK(r, h2_error_is_fatal(rv) && known_code(rv));
    r->fatal = rv;
  } else {
    RCHECK(r, r->closed_seen); /* 0 only once CLOSED was reported */
  }
  drain(r);
  check_failed_consistently(r);
  RCHECK(r, r->connerr || r->closed_seen);
  /* Every stream the application opened has ended, unless the event that
   * would have said so could not be queued (the connection then failed
   * with NOMEM, and said so or closed). */
  for (int i = 0; i < MAX_STREAM_SLOTS; i++)
    if (r->state[i] == ST_OPEN) RCHECK(r, r->nomem_seen || r->connerr == H2_ERR_NOMEM);
}

/* ---- Scenarios ------------------------------------------------------------- */

typedef struct scenario {
  const char *name;
  void (*build)(void);
  void (*run)(run_ctx *r);
  int byte_cut; /* also sweep one byte at a time */
  /* Reaches known fault 1 (a stream's END/RESET is what makes the event
   * queue grow): event-queue growth failures are skipped, see
   * skip_known_fault. */
  int known_fault_1;
} scenario;

/* Scripts are built once, before the sweeps (they use the C library's
 * allocator, not the failing one). */
static h2_script script_a, script_b, script_c;

/* 1. Creation alone: every allocation of h2_conn_client_new and the first
 * flight. */
static void build_create(void) {}
static void run_create(run_ctx *r) {
  if (!r->conn) return;
  drain(r);
  check_ok_or_code(r, h2_conn_shutdown(r->conn));
  drain(r);
}

/* 2. GETs with response headers, padded DATA, trailers; one response has a
 * 3 KB header value split into CONTINUATIONs, one request a 3 KB cookie. */
static char big_value[3073];
static void build_get(void) {
  memset(big_value, 'v', sizeof(big_value) - 1);
  h2_script *s = &script_a;
  script_init(s);
  script_open_server(s);
  script_headers(s, 3, 0, 700, ":status", "200", "x-big", big_value,
                 "content-type", "text/plain", NULL);
  script_headers(s, 1, 0, 0, ":status", "200", "content-length", "12", NULL);
  script_data(s, 3, "0123456789", 10, 0, 7);
  script_data(s, 1, "hello, ", 7, 0, 0);
  script_headers(s, 5, 0, 0, ":status", "404", "server", "scripted", NULL);
  script_data(s, 1, "world", 5, 1, 3);
  script_data(s, 5, "not found", 9, 0, 0);
  script_headers(s, 5, 1, 0, "x-trailer", "done", NULL);
  script_data(s, 3, "abc", 3, 0, 0);
  script_headers(s, 3, 1, 0, "x-checksum", "42", "x-more", big_value + 2000, NULL);
}
static void run_get(run_ctx *r) {
  submit_get_path(r, "/a");
  submit_get_path(r, "/big");
  /* A 3 KB cookie: the encoded block outgrows the stack buffer of
   * h2_send_headers, and the request leaves as HEADERS + CONTINUATION. */
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/missing", 5, 8, 0, 0},
      {(const uint8_t *)"cookie", (const uint8_t *)big_value, 6, 3072, 0, 0}};
  submit(r, fields, 5, 1);
  feed(r, &script_a);
  server_closes(r);
}

/* 3. A POST with a 100 KB body handed over in pieces (the send buffer
 * grows), trailers, and windows that open by WINDOW_UPDATE. */
static uint8_t post_body[100000];
static void build_post(void) {
  for (size_t i = 0; i < sizeof(post_body); i++) post_body[i] = (uint8_t)(i * 7);
  h2_script *s = &script_a;
  script_init(s);
  static const uint32_t small[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 1000};
  script_settings(s, small, 1);
  script_settings_ack(s);
  static const uint32_t back[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 70000};
  script_settings(s, back, 1);
  script_window_update(s, 0, 40000);
  script_window_update(s, 1, 40000);
  script_headers(s, 1, 0, 0, ":status", "201", NULL);
  script_window_update(s, 0, 100000);
  script_window_update(s, 1, 100000);
  h2_script *end = &script_b;
  script_init(end);
  script_data(end, 1, "created", 7, 1, 0);
}
static void run_post(run_ctx *r) {
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/upload", 5, 7, 0, 0},
      {(const uint8_t *)"content-type", (const uint8_t *)"application/octet-stream", 12, 24, 0, 0}};
  int id = submit(r, fields, 5, 0);
  if (id > 0) {
    /* 10 KB, 30 KB, 60 KB: the buffer grows twice before draining. */
    submit_body(r, (uint32_t)id, post_body, 10000, 0);
    submit_body(r, (uint32_t)id, post_body + 10000, 30000, 0);
    submit_body(r, (uint32_t)id, post_body + 40000, 60000, 0);
    h2_header trailers[] = {
        {(const uint8_t *)"x-digest", (const uint8_t *)"sha-256=abc", 8, 11, 0, 0}};
    int rv = h2_conn_submit_trailers(r->conn, (uint32_t)id, trailers, 1);
    if (rv == H2_ERR_NOMEM && !h2_conn_is_closed(r->conn)) {
      r->nomem_seen = 1;
      rv = h2_conn_submit_trailers(r->conn, (uint32_t)id, trailers, 1);
      RCHECK(r, rv == 0);
    }
    check_ok_or_code(r, rv);
  }
  feed(r, &script_a);
  feed(r, &script_b);
  server_closes(r);
}

/* 4. Interim responses then the final one; a HEAD beside it. */
static void build_interim(void) {
  h2_script *s = &script_a;
  script_init(s);
  script_open_server(s);
  script_headers(s, 3, 0, 0, ":status", "100", NULL);
  script_headers(s, 3, 0, 0, ":status", "103", "link", "</s.css>; rel=preload", NULL);
  script_headers(s, 1, 1, 0, ":status", "200", "content-length", "1000", NULL);
  script_headers(s, 3, 0, 0, ":status", "103", "link", "</t.js>; rel=preload", NULL);
  script_headers(s, 3, 0, 0, ":status", "200", "content-length", "4", NULL);
  script_data(s, 3, "body", 4, 1, 0);
}
static void run_interim(run_ctx *r) {
  h2_header head[] = {
      {(const uint8_t *)":method", (const uint8_t *)"HEAD", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/h", 5, 2, 0, 0}};
  submit(r, head, 4, 1);
  submit_get_path(r, "/early-hints");
  feed(r, &script_a);
  server_closes(r);
}

/* 5. Our PING answered (its bytes copied into the event), the server's
 * PING acknowledged, and a GOAWAY with debug data (copied too). */
static const char goaway_debug[] =
    "graceful shutdown: the server is being restarted for maintenance";
static void build_goaway_ping(void) {
  h2_script *s = &script_a;
  script_init(s);
  script_open_server(s);
  script_ping(s, 1, "t=123456");
  script_ping(s, 0, "srvping!");
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_goaway(s, 1, H2_NO_ERROR, goaway_debug);
  script_data(s, 1, "last words", 10, 1, 0);
}
static void run_goaway_ping(run_ctx *r) {
  r->ping_opaque = "t=123456";
  r->goaway_debug = goaway_debug;
  if (!r->conn) return;
  int rv = h2_conn_ping(r->conn, (const uint8_t *)"t=123456");
  if (rv == H2_ERR_NOMEM) {
    r->nomem_seen = 1;
    rv = h2_conn_ping(r->conn, (const uint8_t *)"t=123456");
  }
  check_ok_or_code(r, rv);
  submit_get_path(r, "/1");
  submit_get_path(r, "/3");
  submit_get_path(r, "/5");
  feed(r, &script_a);
  server_closes(r);
}

/* 6. Stream errors: a refusal, malformed responses, a body longer than
 * its content-length; one stream completes beside them. */
static void build_stream_errors(void) {
  h2_script *s = &script_a;
  script_init(s);
  script_open_server(s);
  script_rst(s, 1, H2_REFUSED_STREAM);
  script_headers(s, 3, 1, 0, ":status", "200", "Server", "x", NULL);
  script_headers(s, 5, 0, 0, ":status", "200", "content-length", "3", NULL);
  script_data(s, 5, "12345", 5, 1, 0);
  script_headers(s, 7, 0, 0, ":status", "200", NULL);
  script_headers(s, 9, 0, 0, ":status", "200", "connection", "close", NULL);
  script_data(s, 7, "ok", 2, 0, 0);
  script_rst(s, 7, H2_CANCEL);
  script_headers(s, 11, 0, 0, ":status", "200", NULL);
  script_data(s, 11, "fine", 4, 1, 0);
}
static void run_stream_errors(run_ctx *r) {
  for (int i = 0; i < 6; i++) submit_get_path(r, "/s");
  feed(r, &script_a);
  server_closes(r);
}

/* 7. A connection error (bad HPACK) while streams are open mid-response;
 * the bytes after it are not parsed. */
static void build_conn_error(void) {
  h2_script *s = &script_a;
  script_init(s);
  script_open_server(s);
  script_headers(s, 1, 0, 0, ":status", "200", "x-a", "first", NULL);
  script_data(s, 1, "partial", 7, 0, 0);
  script_headers(s, 3, 0, 0, ":status", "200", NULL);
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 5, "\x80", 1);
  script_headers(s, 1, 1, 0, "x-after", "ignored", NULL);
}
static void run_conn_error(run_ctx *r) {
  submit_get_path(r, "/1");
  submit_get_path(r, "/3");
  submit_get_path(r, "/5");
  submit_get_path(r, "/7");
  feed(r, &script_a);
  server_closes(r);
}

/* 8. A server limit of one stream: requests wait in order, leave as
 * earlier ones end; a waiting one is cancelled; then a graceful shutdown. */
static void build_queue(void) {
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_init(&script_a);
  script_settings(&script_a, one, 1);
  script_settings_ack(&script_a);
  script_init(&script_b);
  script_headers(&script_b, 1, 0, 0, ":status", "200", NULL);
  script_data(&script_b, 1, "one", 3, 1, 0);
  script_init(&script_c);
  script_headers(&script_c, 3, 1, 0, ":status", "204", NULL);
  script_headers(&script_c, 7, 1, 0, ":status", "200", NULL);
}
static void run_queue(run_ctx *r) {
  feed(r, &script_a);
  if (!r->conn) return;
  int a = submit_get_path(r, "/1");
  int b = submit_get_path(r, "/3");
  int c = submit_get_path(r, "/5");
  int d = submit_get_path(r, "/7");
  (void)a;
  (void)b;
  drain(r);
  feed(r, &script_b);
  if (c > 0) {
    int rv = h2_conn_reset_stream(r->conn, (uint32_t)c, H2_CANCEL);
    check_ok_or_code(r, rv);
    /* A cancelled stream gets no further event. */
    if (rv == 0 && slot_of_id((uint32_t)c) >= 0) r->state[c / 2] = ST_ENDED;
  }
  drain(r);
  feed(r, &script_c);
  (void)d;
  check_ok_or_code(r, h2_conn_shutdown(r->conn));
  drain(r);
  server_closes(r);
}

/* 9. Two hundred streams: the stream map and the event queue grow, and
 * many header lists travel at once. */
#define MANY 200
static void build_many(void) {
  static const uint32_t lots[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000};
  script_init(&script_a);
  script_settings(&script_a, lots, 1);
  script_settings_ack(&script_a);
  for (uint32_t i = 0; i < MANY; i++) {
    char n[16];
    snprintf(n, sizeof(n), "%u", i);
    script_headers(&script_a, 2 * i + 1, 0, 0, ":status", "200", "x-n", n, NULL);
  }
  for (uint32_t i = 0; i < MANY; i++)
    script_data(&script_a, 2 * (MANY - 1 - i) + 1, "d", 1, 1, 0);
}
static void run_many(run_ctx *r) {
  for (int i = 0; i < MANY; i++) submit_get_path(r, "/many");
  feed(r, &script_a);
  server_closes(r);
}

static void free_scripts(void) {
  if (script_a.encoder) script_free(&script_a);
  if (script_b.encoder) script_free(&script_b);
  if (script_c.encoder) script_free(&script_c);
}

/* ---- The sweep ------------------------------------------------------------- */

/* A thin layer over test_alloc that records what each allocation was
 * (call and size), so the baseline run can name the site a later run's
 * fail_at hits. */
#define MAX_RECORDED 8192
typedef struct recorded_alloc {
  size_t size;
  int is_malloc; /* h2_malloc (not calloc or realloc) */
} recorded_alloc;
static recorded_alloc recorded[MAX_RECORDED];
static test_alloc *recording; /* the test_alloc being recorded, or NULL */

static void note_alloc(const test_alloc *ta, size_t before, size_t size, int is_malloc) {
  if (recording != ta || ta->allocations == before) return;
  if (before < MAX_RECORDED) recorded[before] = (recorded_alloc){size, is_malloc};
}
static void *rec_malloc(size_t size, void *user) {
  test_alloc *ta = user;
  size_t before = ta->allocations;
  void *p = ta->allocator.malloc(size, user);
  note_alloc(ta, before, size, 1);
  return p;
}
static void *rec_calloc(size_t count, size_t size, void *user) {
  test_alloc *ta = user;
  size_t before = ta->allocations;
  void *p = ta->allocator.calloc(count, size, user);
  note_alloc(ta, before, count * size, 0);
  return p;
}
static void *rec_realloc(void *ptr, size_t size, void *user) {
  test_alloc *ta = user;
  size_t before = ta->allocations;
  void *p = ta->allocator.realloc(ptr, size, user);
  note_alloc(ta, before, size, 0);
  return p;
}
static void rec_free(void *ptr, void *user) {
  test_alloc *ta = user;
  ta->allocator.free(ptr, user);
}

/* KNOWN FAULT (tests/unit/test_conn_failmalloc_pending.c, case 1): when
 * the event queue must grow to take a stream's END/RESET event and that
 * allocation fails, h2_stream_finish frees the stream twice (h2_event_push
 * fails the connection, whose fail_streams already closes and frees every
 * stream, then h2_stream_finish closes `s` again): a use-after-free and a
 * double free. Until it is fixed, in the scenarios that reach it, runs
 * whose failed allocation is an event-queue growth (grow_queue: h2_malloc
 * of 16 * 2^k queued events) are skipped and counted;
 * H2_FAILMALLOC_SKIP=0 runs them anyway (many-streams then dies under
 * ASan at the growth to 512 events, a STREAM_END push). In the other
 * scenarios every queue growth runs and passes. */
static int skip_known_fault(const char *name, int cut, size_t fail_at) {
  static int skip = -1;
  if (skip < 0) {
    const char *e = getenv("H2_FAILMALLOC_SKIP");
    skip = e && strcmp(e, "1") == 0; /* the faults are fixed: run all */
  }
  if (fail_at == 0 || fail_at > MAX_RECORDED) return 0;
  const recorded_alloc *a = &recorded[fail_at - 1];
  if (!a->is_malloc || a->size % sizeof(queued_event)) return 0;
  size_t n = a->size / sizeof(queued_event);
  if (n < 16 || (n & (n - 1)) != 0) return 0;
  if (!skip) /* name the run, in case it is the one that crashes */
    fprintf(stderr, "failmalloc: running known-fault case %s cut=%d fail_at=%zu "
            "(event queue growth to %zu)\n", name, cut, fail_at, n);
  return skip;
}

static size_t total_runs = 0, total_swept = 0, total_skipped = 0;
static int faults_seen = 0;

/* One run; returns the successful allocations it made. */
static size_t run_once(const scenario *sc, int cut, size_t fail_at, run_ctx *r) {
  memset(r, 0, sizeof(*r));
  r->scenario = sc->name;
  r->cut = cut;
  r->fail_at = fail_at;
  r->preface_left = 24;
  r->next_id = 1;
  test_alloc_init(&r->ta);
  r->ta.fail_at = fail_at;
  if (fail_at == 0) recording = &r->ta;
  h2_allocator alloc = {rec_malloc, rec_free, rec_calloc, rec_realloc, &r->ta};
  h2_conn *conn = NULL;
  int rv = h2_conn_client_new(&conn, NULL, &alloc);
  RCHECK(r, rv == 0 || rv == H2_ERR_NOMEM);
  if (rv == 0) {
    RCHECK(r, conn != NULL);
    r->conn = conn;
  } else {
    RCHECK(r, r->ta.live_bytes == 0 && r->ta.live_blocks == 0);
  }
  sc->run(r);
  h2_conn_del(r->conn);
  RCHECK(r, r->ta.live_bytes == 0);
  RCHECK(r, r->ta.live_blocks == 0);
  recording = NULL;
  faults_seen |= r->reported;
  total_runs++;
  return r->ta.allocations;
}

static void sweep(const scenario *sc) {
  static run_ctx r; /* large; one at a time */
  sc->build();
  size_t k_whole = 0, k_bytes = 0, runs = 0, skipped = 0;
  /* How the failure showed: the connection failed with NOMEM; a call
   * returned NOMEM and the connection went on; or nothing visible (a
   * recyclable buffer, say). */
  size_t fatal_nomem = 0, soft_nomem = 0, silent = 0;
  for (int pass = 0; pass < 2; pass++) {
    int cut = pass ? CUT_BYTES : CUT_WHOLE;
    if (pass && !sc->byte_cut) break;
    size_t k = run_once(sc, cut, 0, &r);
    RCHECK(&r, r.ta.failures == 0 && !r.nomem_seen);
    RCHECK(&r, k > 0 && k <= MAX_RECORDED);
    for (size_t n = 1; n <= k + 1; n++) {
      if (sc->known_fault_1 && skip_known_fault(sc->name, cut, n)) {
        skipped++;
        continue;
      }
      int before = test_failures;
      run_once(sc, cut, n, &r);
      /* Deterministic runs: the Nth allocation exists for N <= K. */
      RCHECK(&r, r.ta.failures == (n <= k ? 1u : 0u));
      runs++;
      if (n > k) continue;
      if (r.fatal == H2_ERR_NOMEM || r.connerr == H2_ERR_NOMEM || !r.conn)
        fatal_nomem++;
      else if (r.nomem_seen)
        soft_nomem++;
      else
        silent++;
      if (test_failures != before && failure_messages < 40)
        fprintf(stderr, "  (%s, cut %d, fail_at %zu of K=%zu failed)\n", sc->name,
                cut, n, k);
    }
    if (pass)
      k_bytes = k;
    else
      k_whole = k;
  }
  free_scripts();
  total_swept += runs;
  total_skipped += skipped;
  if (sc->byte_cut)
    printf("failmalloc %-14s K=%zu (whole) K=%zu (bytes): %zu N swept", sc->name,
           k_whole, k_bytes, runs);
  else
    printf("failmalloc %-14s K=%zu (whole only): %zu N swept", sc->name, k_whole, runs);
  printf(" (failed alloc: %zu fatal NOMEM, %zu non-fatal NOMEM, %zu absorbed)",
         fatal_nomem, soft_nomem, silent);
  printf(skipped ? ", %zu skipped (known fault 1)\n" : "\n", skipped);
}

static const scenario scenarios[] = {
    {"create", build_create, run_create, 0, 0},
    {"get+trailers", build_get, run_get, 1, 0},
    {"post-100k", build_post, run_post, 1, 0},
    {"interim", build_interim, run_interim, 1, 0},
    {"goaway+ping", build_goaway_ping, run_goaway_ping, 1, 0},
    {"stream-errors", build_stream_errors, run_stream_errors, 1, 0},
    {"conn-error", build_conn_error, run_conn_error, 1, 0},
    {"queue-mcs1", build_queue, run_queue, 1, 0},
    {"many-streams", build_many, run_many, 0, 1},
};

/* H2_FAILMALLOC_ONLY=<name> sweeps one scenario. */
static void test_every_allocation_fails_cleanly(void) {
  const char *only = getenv("H2_FAILMALLOC_ONLY");
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
    if (!only || strcmp(only, scenarios[i].name) == 0) sweep(&scenarios[i]);
  printf("failmalloc total: %zu N swept over %zu scenarios (%zu runs with "
         "the baselines), %zu skipped\n", total_swept,
         sizeof(scenarios) / sizeof(scenarios[0]), total_runs, total_skipped);
  /* These were library faults, since fixed: seeing one again fails. */
  if (faults_seen) test_failures++;
  if (faults_seen)
    printf("failmalloc: library faults seen again:%s%s%s (see "
           "tests/unit/test_conn_failmalloc_cases.c)\n",
           faults_seen & 2 ? " PING_ACK bytes dropped (2)" : "",
           faults_seen & 4 ? " GOAWAY debug dropped (2)" : "",
           faults_seen & 1 ? " RESET after submit NOMEM (3)" : "");
}

TEST_MAIN("conn_failmalloc", TEST_CASE(test_every_allocation_fails_cleanly))
