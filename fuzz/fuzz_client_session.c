/*
 * Client-role end-to-end fuzzing: a connection with several requests open
 * (GET, a POST with a body, HEAD) is fed the fuzzer's bytes as the
 * server's output, in pieces the fuzzer chooses, interleaved with the
 * fuzzer's choice of output draining, event polling, clock ticks,
 * consumption, uploads and resets. After every step the invariants are
 * checked: memory within budget, windows within range, reset pacing's
 * books consistent, and no event for a stream that already ended.
 *
 * Input: byte 0 selects options (manual flow control, a small header
 * budget, a small window, connection-specific fields dropped); then operations, each an opcode byte and
 * its argument bytes (see `step`). Seeds: fuzz/corpus/client_session, made
 * by tools/gen_fuzz_client_corpus.py from realistic server exchanges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_internal.h"
#include "h2/h2.h"

#define MEMORY_BUDGET (6u << 20)

typedef struct budget_alloc {
  h2_allocator a;
  size_t live;
} budget_alloc;

typedef union block {
  size_t size;
  max_align_t align_;
} block;

static void *fz_malloc(size_t n, void *u) {
  block *b = malloc(sizeof(block) + n);
  if (!b) return NULL;
  b->size = n;
  ((budget_alloc *)u)->live += n;
  return b + 1;
}
static void fz_free(void *p, void *u) {
  if (!p) return;
  block *b = (block *)p - 1;
  ((budget_alloc *)u)->live -= b->size;
  free(b);
}
static void *fz_calloc(size_t c, size_t n, void *u) {
  if (n && c > (size_t)-1 / n) return NULL;
  void *p = fz_malloc(c * n, u);
  if (p) memset(p, 0, c * n);
  return p;
}
static void *fz_realloc(void *p, size_t n, void *u) {
  if (!p) return fz_malloc(n, u);
  block *old = (block *)p - 1;
  size_t old_size = old->size;
  block *b = realloc(old, sizeof(block) + n);
  if (!b) return NULL;
  ((budget_alloc *)u)->live += n - old_size;
  b->size = n;
  return b + 1;
}

/* A broken invariant names its line, then aborts for libFuzzer. */
#define require(ok)                                                   \
  do {                                                                \
    if (!(ok)) {                                                      \
      fprintf(stderr, "invariant broken at line %d: %s\n", __LINE__, #ok); \
      abort();                                                        \
    }                                                                 \
  } while (0)

typedef struct session {
  h2_conn *conn;
  budget_alloc mem;
  uint8_t ended[64]; /* per stream id / 2: an end event was seen */
  uint64_t now;
} session;

/* Reset pacing: resets covered by a PING only while that PING is out, and
 * never more unconfirmed resets than streams were opened. */
static void check_resets(const h2_conn *c) {
  require(!c->resets_pinged || c->reset_ping_out);
  require(h2_resets_unconfirmed(c) <= c->next_stream_id / 2);
}

static void check_windows(const h2_conn *c) {
  require(c->send_window <= H2_MAX_WINDOW_SIZE);
  require(c->recv_window >= 0 && c->recv_window <= (int64_t)H2_MAX_WINDOW_SIZE);
  for (uint32_t i = 0; i <= c->streams.mask; i++) {
    const h2_stream *s = h2_stream_map_at(&c->streams, i);
    if (!s) continue;
    /* Stream windows are 32-bit: compare them as signed 64-bit values. */
    require((int64_t)s->send_window <= (int64_t)H2_MAX_WINDOW_SIZE);
    require((int64_t)s->send_window >= -(int64_t)H2_MAX_WINDOW_SIZE);
    require(s->recv_window >= 0);
  }
}

/* Whether a delivered field is one HTTP/2 forbids in a response: either
 * the response was refused for it or, with H2_CONN_DROP_CONNECTION_FIELDS,
 * the field was removed, so none ever reaches the application. */
static int connection_specific(const h2_header *f) {
  static const char *const names[] = {"connection", "keep-alive",
                                      "proxy-connection", "transfer-encoding",
                                      "upgrade"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (f->name_length == strlen(names[i]) &&
        memcmp(f->name, names[i], f->name_length) == 0)
      return 1;
  return f->name_length == 2 && memcmp(f->name, "te", 2) == 0 &&
         !(f->value_length == 8 && memcmp(f->value, "trailers", 8) == 0);
}

static void check_fields(const h2_event *e) {
  if (e->type != H2_EVENT_HEADERS && e->type != H2_EVENT_TRAILERS &&
      e->type != H2_EVENT_INFORMATIONAL)
    return;
  for (size_t i = 0; i < e->header_count; i++)
    require(!connection_specific(&e->headers[i]));
}

static void poll_events(session *s, size_t max) {
  h2_event ev[16];
  int n = h2_conn_poll(s->conn, ev, max < 16 ? max : 16);
  require(n >= 0);
  for (int i = 0; i < n; i++) {
    uint32_t id = ev[i].stream_id;
    if (!id || id / 2 >= sizeof(s->ended)) continue;
    require(!s->ended[id / 2]); /* nothing after a stream's end */
    if (ev[i].type == H2_EVENT_STREAM_END || ev[i].type == H2_EVENT_STREAM_RESET)
      s->ended[id / 2] = 1;
    if (ev[i].type == H2_EVENT_DATA) require(ev[i].data && ev[i].length);
    check_fields(&ev[i]);
  }
}

static void drain(session *s, size_t limit) {
  const uint8_t *out;
  size_t n = h2_conn_peek_output(s->conn, &out);
  if (n > limit) n = limit;
  if (n) require(out != NULL);
  h2_conn_consume_output(s->conn, n);
}

static void open_requests(h2_conn *c) {
  static const h2_header get[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"fuzz", 10, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/", 5, 1, 0, 0}};
  h2_header post[4], head[4];
  memcpy(post, get, sizeof(post));
  memcpy(head, get, sizeof(head));
  post[0].value = (const uint8_t *)"POST";
  post[0].value_length = 4;
  head[0].value = (const uint8_t *)"HEAD";
  head[0].value_length = 4;
  h2_conn_submit_request(c, get, 4, 1, NULL);   /* stream 1 */
  h2_conn_submit_request(c, post, 4, 0, NULL);  /* stream 3 */
  h2_conn_submit_request(c, head, 4, 1, NULL);  /* stream 5 */
  static const uint8_t body[5000];
  h2_conn_submit_data(c, 3, body, sizeof(body), 0);
}

/* One operation; returns the bytes it used. */
static size_t step(session *s, const uint8_t *p, size_t left) {
  uint8_t op = p[0] % 8;
  uint8_t arg = left > 1 ? p[1] : 0;
  size_t used = left > 1 ? 2 : 1;
  switch (op) {
    case 0: case 1: case 2: { /* server bytes */
      size_t n = (size_t)arg + 1;
      if (n > left - used) n = left - used;
      if (n) h2_conn_recv(s->conn, p + used, n);
      return used + n;
    }
    case 3: drain(s, (size_t)arg * 64 + 1); break;
    case 4: poll_events(s, arg % 16 + 1); break;
    case 5: s->now += (uint64_t)arg * 100; h2_conn_tick(s->conn, s->now); break;
    case 6: h2_conn_consume(s->conn, 1 + 2 * (arg % 3), (size_t)arg * 256); break;
    default:
      if (arg & 1) {
        static const uint8_t more[3000];
        h2_conn_submit_data(s->conn, 3, more, sizeof(more), arg & 2);
      } else {
        h2_conn_reset_stream(s->conn, 1 + 2 * ((arg >> 1) % 3), H2_CANCEL);
      }
  }
  return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  session s;
  memset(&s, 0, sizeof(s));
  s.mem.a = (h2_allocator){fz_malloc, fz_free, fz_calloc, fz_realloc, &s.mem};
  h2_conn_options o;
  h2_conn_options_init(&o);
  if (data[0] & 1) o.flags = H2_CONN_MANUAL_FLOW_CONTROL;
  if (data[0] & 2) o.max_header_list_size = 4096;
  if (data[0] & 4) o.initial_window_size = 1024;
  if (data[0] & 8) o.flags |= H2_CONN_DROP_CONNECTION_FIELDS;
  if (h2_conn_client_new(&s.conn, &o, &s.mem.a)) return 0;
  open_requests(s.conn);
  size_t off = 1;
  while (off < size) {
    off += step(&s, data + off, size - off);
    require(s.mem.live <= MEMORY_BUDGET);
    if (!s.conn->failed) check_windows(s.conn);
    check_resets(s.conn);
  }
  /* The end: everything reported, nothing left unfreed. */
  h2_conn_recv(s.conn, NULL, 0);
  while (h2_conn_poll(s.conn, (h2_event[16]){{0}}, 16) > 0) {}
  drain(&s, (size_t)-1);
  h2_conn_del(s.conn);
  require(s.mem.live == 0);
  return 0;
}
