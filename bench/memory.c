/*
 * Memory benchmark: the live heap of one client connection, libh2 against
 * libnghttp2, through counting allocators, in one process.
 *
 * Usage: memory
 *
 * For each library: a client connection is created and its first flight
 * (preface, SETTINGS) taken out as if sent; that is "idle". Then 100 and
 * 1000 GET requests are submitted and their output taken, and the live heap
 * is read again. With the default limits, requests beyond the first 100
 * wait in the library's queue (no server is needed: nothing answers); with
 * the limit raised to 1000 (libh2: initial_max_concurrent_streams and
 * max_concurrent_streams; libnghttp2: peer_max_concurrent_streams), all of
 * them are open streams. The per-stream figure is (live - idle) / streams.
 *
 * The counters add the sizes the libraries asked for (not the C library's
 * rounding), live bytes and a peak, like the counting nghttp2_mem of the
 * baseline.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "h2/alloc.h"
#include "h2/conn.h"

/* ---- Counting allocator: a 16-byte prefix holds each block's size -------- */

typedef struct counter {
  int64_t live, peak;
  uint64_t allocations;
} counter;

#define PREFIX 16u

static void *count_malloc(size_t size, void *user) {
  counter *c = user;
  uint8_t *p = malloc(size + PREFIX);
  if (!p) return NULL;
  memcpy(p, &size, sizeof(size));
  c->live += (int64_t)size;
  if (c->live > c->peak) c->peak = c->live;
  c->allocations++;
  return p + PREFIX;
}

static void count_free(void *ptr, void *user) {
  if (!ptr) return;
  counter *c = user;
  uint8_t *p = (uint8_t *)ptr - PREFIX;
  size_t size;
  memcpy(&size, p, sizeof(size));
  c->live -= (int64_t)size;
  free(p);
}

static void *count_calloc(size_t n, size_t size, void *user) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = count_malloc(n * size, user);
  if (p) memset(p, 0, n * size);
  return p;
}

static void *count_realloc(void *ptr, size_t size, void *user) {
  if (!ptr) return count_malloc(size, user);
  counter *c = user;
  uint8_t *p = (uint8_t *)ptr - PREFIX;
  size_t old;
  memcpy(&old, p, sizeof(old));
  uint8_t *q = realloc(p, size + PREFIX);
  if (!q) return NULL;
  memcpy(q, &size, sizeof(size));
  c->live += (int64_t)size - (int64_t)old;
  if (c->live > c->peak) c->peak = c->live;
  c->allocations++;
  return q + PREFIX;
}

/* ---- The requests ---------------------------------------------------------- */

#define MAX_REQUESTS 1000
static char paths[MAX_REQUESTS][48];

static void make_paths(void) {
  for (int i = 0; i < MAX_REQUESTS; i++)
    snprintf(paths[i], sizeof(paths[i]), "/assets/img/photo-%04d.jpg", i);
}

#define FIELD(n, v) {(const uint8_t *)(n), (const uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0, 0}
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE}

static const char UA[] =
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/* ---- libh2 ------------------------------------------------------------------- */

static void h2_drain(h2_conn *conn) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_conn_peek_output(conn, &data)) > 0) h2_conn_consume_output(conn, n);
}

/* Live bytes idle, after `streams` requests; -1 on failure. */
static int measure_h2(int streams, int raise_limit, int64_t *idle, int64_t *busy) {
  counter c = {0};
  h2_allocator a = {count_malloc, count_free, count_calloc, count_realloc, &c};
  h2_conn_options o;
  h2_conn_options_init(&o);
  if (raise_limit) o.initial_max_concurrent_streams = o.max_concurrent_streams = MAX_REQUESTS;
  h2_conn *conn;
  if (h2_conn_client_new(&conn, &o, &a)) return -1;
  h2_drain(conn);
  *idle = c.live;
  h2_header fields[] = {FIELD(":method", "GET"), FIELD(":scheme", "https"),
                        FIELD(":authority", "www.example.com"), FIELD(":path", "/"),
                        FIELD("user-agent", UA), FIELD("accept", "*/*")};
  for (int i = 0; i < streams; i++) {
    fields[3].value = (const uint8_t *)paths[i];
    fields[3].value_length = (uint32_t)strlen(paths[i]);
    if (h2_conn_submit_request(conn, fields, 6, 1, NULL) <= 0) {
      h2_conn_del(conn);
      return -1;
    }
  }
  h2_drain(conn);
  *busy = c.live;
  h2_conn_del(conn);
  if (c.live != 0) fprintf(stderr, "memory: libh2 leaked %lld bytes\n", (long long)c.live);
  return 0;
}

/* ---- libnghttp2 ------------------------------------------------------------- */

static void ng_drain(nghttp2_session *s) {
  const uint8_t *data;
  while (nghttp2_session_mem_send(s, &data) > 0) {
  }
}

static int measure_ng(int streams, int raise_limit, int64_t *idle, int64_t *busy) {
  counter c = {0};
  nghttp2_mem mem = {&c, count_malloc, count_free, count_calloc, count_realloc};
  nghttp2_session_callbacks *cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_option *opt;
  nghttp2_option_new(&opt);
  if (raise_limit) nghttp2_option_set_peer_max_concurrent_streams(opt, MAX_REQUESTS);
  nghttp2_session *s;
  int rv = nghttp2_session_client_new3(&s, cb, NULL, opt, &mem);
  nghttp2_session_callbacks_del(cb);
  nghttp2_option_del(opt);
  if (rv) return -1;
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                 {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 65535}};
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, 2);
  ng_drain(s);
  *idle = c.live;
  /* nghttp2_nv points at non-const bytes (libnghttp2 copies them). */
  static char k0[] = ":method", v0[] = "GET", k1[] = ":scheme", v1[] = "https",
              k2[] = ":authority", v2[] = "www.example.com", k3[] = ":path", v3[] = "/",
              k4[] = "user-agent", k5[] = "accept", v5[] = "*/*";
  static char v4[sizeof(UA)];
  memcpy(v4, UA, sizeof(UA));
  nghttp2_nv nv[] = {NV(k0, v0), NV(k1, v1), NV(k2, v2), NV(k3, v3), NV(k4, v4), NV(k5, v5)};
  for (int i = 0; i < streams; i++) {
    nv[3].value = (uint8_t *)paths[i];
    nv[3].valuelen = strlen(paths[i]);
    if (nghttp2_submit_request(s, NULL, nv, 6, NULL, NULL) <= 0) {
      nghttp2_session_del(s);
      return -1;
    }
  }
  ng_drain(s);
  *busy = c.live;
  nghttp2_session_del(s);
  if (c.live != 0) fprintf(stderr, "memory: libnghttp2 leaked %lld bytes\n", (long long)c.live);
  return 0;
}

/* ---- Report -------------------------------------------------------------------- */

int main(void) {
  make_paths();
  int64_t h_idle, n_idle, h_busy, n_busy, dummy;
  if (measure_h2(0, 0, &h_idle, &dummy) || measure_ng(0, 0, &n_idle, &dummy)) {
    fprintf(stderr, "memory: cannot create a connection\n");
    return 1;
  }
  printf("Live heap of one client connection (counting allocator, requested bytes)\n\n");
  printf("| state | libh2 | libnghttp2 | ratio (libh2/libnghttp2) | target |\n");
  printf("|---|---:|---:|---:|---|\n");
  printf("| idle | %.1f KiB | %.1f KiB | %.2f | libh2 <= 12 KiB |\n", (double)h_idle / 1024,
         (double)n_idle / 1024, (double)h_idle / (double)n_idle);
  static const struct {
    int streams, raise;
    const char *what;
  } cases[] = {{100, 0, "100 streams open"},
               {1000, 0, "1000 requests, default limit (100 open, 900 queued)"},
               {1000, 1, "1000 streams open (limit raised)"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (measure_h2(cases[i].streams, cases[i].raise, &h_idle, &h_busy) ||
        measure_ng(cases[i].streams, cases[i].raise, &n_idle, &n_busy)) {
      fprintf(stderr, "memory: %s failed\n", cases[i].what);
      return 1;
    }
    double hp = (double)(h_busy - h_idle) / cases[i].streams;
    double np = (double)(n_busy - n_idle) / cases[i].streams;
    printf("| %s: total | %.1f KiB | %.1f KiB | %.2f | |\n", cases[i].what,
           (double)h_busy / 1024, (double)n_busy / 1024, (double)h_busy / (double)n_busy);
    printf("| %s: per request | %.0f B | %.0f B | %.2f | libh2 <= 200 B |\n", cases[i].what,
           hp, np, hp / np);
  }
  return 0;
}
