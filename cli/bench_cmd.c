/*
 * `h2 bench URL...`: an HTTP/2 load generator with h2load's vocabulary
 * (-n -c -m -t -d -H -D).
 *
 * It drives the sans-I/O core (h2/conn.h) directly, not the client layer:
 * per thread one epoll loop over its connections, each a non-blocking
 * socket (plus the TLS filter for https) and an h2_conn. The request's
 * header fields are built once per URL and reused for every request; each
 * connection keeps -m streams in flight by submitting a new request when a
 * stream ends. One recv (256 KiB) per readiness, events polled in batches,
 * the core's output sent with one send per batch, one clock read per batch.
 *
 * A response counts as done only on H2_EVENT_STREAM_END: END_STREAM seen,
 * content-length matched, the response well formed (the core checks).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "h2/conn.h"
#include "h2/error.h"
#include "h2/tls.h"
#include "h2/version.h"
#include "commands.h"

/* Exit statuses beyond the shared ones, numbered as `h2 get` (curl) does. */
enum { EXIT_CONNECT = 7, EXIT_HTTP2 = 16, EXIT_TLS = 35, EXIT_TLS_VERIFY = 60 };

#define READ_BUFFER (256u * 1024u)
#define EVENT_BATCH 128
#define MAX_URLS 64
#define MAX_HEADERS 64
#define MAX_FIELDS (MAX_HEADERS + 8)
#define STREAM_WINDOW (16u << 20)
#define CONNECTION_WINDOW (64u << 20)

/* ---- Latency histogram ----------------------------------------------------
 * Log-linear buckets of nanoseconds: exact below 128 ns, then 64 buckets per
 * power of two (at most 1.6% wide). Fixed size, no allocation per sample. */

#define HIST_SUB 64u
#define HIST_BUCKETS (58u * HIST_SUB)

typedef struct histogram {
  uint64_t count, sum, min, max;
  uint64_t buckets[HIST_BUCKETS];
} histogram;

static unsigned hist_index(uint64_t v) {
  if (v < 2 * HIST_SUB) return (unsigned)v;
  unsigned msb = 63u - (unsigned)__builtin_clzll(v);
  unsigned shift = msb - 6u;
  return HIST_SUB * shift + (unsigned)(v >> shift);
}

static uint64_t hist_value(unsigned i) { /* the middle of bucket i */
  if (i < 2 * HIST_SUB) return i;
  unsigned shift = i / HIST_SUB - 1u;
  uint64_t low = (uint64_t)(i - HIST_SUB * shift) << shift;
  return low + ((1ull << shift) >> 1);
}

static void hist_add(histogram *h, uint64_t v) {
  h->count++;
  h->sum += v;
  if (v < h->min || h->count == 1) h->min = v;
  if (v > h->max) h->max = v;
  h->buckets[hist_index(v)]++;
}

static void hist_merge(histogram *into, const histogram *h) {
  if (!h->count) return;
  if (!into->count || h->min < into->min) into->min = h->min;
  if (h->max > into->max) into->max = h->max;
  into->count += h->count;
  into->sum += h->sum;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) into->buckets[i] += h->buckets[i];
}

static uint64_t hist_percentile(const histogram *h, double p) {
  if (!h->count) return 0;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count), seen = 0;
  if (rank < 1) rank = 1;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) {
      uint64_t v = hist_value(i);
      return v < h->min ? h->min : v > h->max ? h->max : v;
    }
  }
  return h->max;
}

/* ---- Options ---------------------------------------------------------------- */

typedef struct target {
  h2_header fields[MAX_FIELDS];
  size_t count;
} target;

typedef struct bench_options {
  uint64_t requests;
  uint32_t connections, streams, threads;
  double duration, timeout;
  int json, insecure;
  const char *cacert, *method, *body_path;
  uint8_t *body;
  size_t body_length;
  h2_header headers[MAX_HEADERS];
  size_t header_count;
  char *urls[MAX_URLS];
  size_t url_count;
  /* The origin, from the first URL. */
  int tls;
  char scheme[8], host[256], port[8], authority[300];
  char *paths[MAX_URLS];
  char content_length[24];
  target targets[MAX_URLS];
} bench_options;

typedef struct bench bench;

/* ---- Per-connection and per-thread state ----------------------------------- */

typedef struct slot {
  uint64_t start_ns, first_ns;
  uint32_t stream_id;
  uint32_t body_sent;
  uint32_t status;
  struct slot *next_free;
} slot;

enum conn_state { CS_IDLE, CS_CONNECTING, CS_HANDSHAKE, CS_READY, CS_DEAD };

typedef struct bench_thread bench_thread;

typedef struct bconn {
  bench_thread *t;
  int fd, state, epoll_out, goaway, closed;
  h2_conn *h2;
  h2_tls *tls;
  struct addrinfo *address;
  uint64_t connect_start_ns;
  uint64_t done; /* responses completed on this TCP connection */
  uint32_t inflight, limit;
  slot *slots, *free_slots;
} bconn;

typedef struct counts {
  uint64_t started, done, succeeded, errored, timeout;
  uint64_t status[6]; /* 1xx..5xx by index; [0] other */
  uint64_t bytes_in, bytes_out, header_bytes, data_bytes;
  uint64_t connections, connect_failures;
} counts;

struct bench_thread {
  bench *b;
  pthread_t id;
  int epoll_fd;
  bconn *conns;
  uint32_t conn_count, active;
  uint64_t todo;      /* requests not started yet (UINT64_MAX with -D) */
  uint64_t next_url;  /* round-robin over the URLs */
  uint64_t now_ns, last_progress_ns;
  int stopping;
  uint8_t *read_buf, *plain_buf;
  h2_event events[EVENT_BATCH];
  counts c;
  histogram request, first_byte, connect;
  int first_error;  /* library code of the first setup failure */
  char detail[512]; /* and its description */
};

struct bench {
  bench_options *o;
  struct addrinfo *addresses;
  h2_tls_context *tls_ctx;
  h2_conn_options conn_options;
  uint64_t start_ns, deadline_ns;
  bench_thread *threads;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Usage and parsing -------------------------------------------------------- */

static void usage(FILE *out) {
  fputs("Usage: h2 bench [options] URL...\n"
        "Load generator over HTTP/2 (h2c for http://, TLS with ALPN h2 for\n"
        "https://). Several URLs must share one origin; requests go to them in\n"
        "turn.\n"
        "\n"
        "  -n, --requests N       requests in all (default 1; ignored with -D)\n"
        "  -c, --clients N        connections (default 1)\n"
        "  -m, --max-concurrent-streams N  streams in flight per connection (1)\n"
        "  -t, --threads N        threads, each with its own loop (1)\n"
        "  -D, --duration S       run for S seconds instead of -n requests\n"
        "  -d, --data FILE        POST the contents of FILE with every request\n"
        "  -H, --header 'N: V'    add a request header (repeatable; ':authority: X'\n"
        "                         and the like replace a pseudo-header)\n"
        "      --method M         request method (GET; POST with -d)\n"
        "  -k, --insecure         do not verify the server's certificate\n"
        "      --cacert FILE      trust the CAs in FILE\n"
        "      --timeout S        give up after S seconds without progress (30)\n"
        "      --json             print a machine-readable summary instead\n"
        "\n"
        "Exit status: 0 every request got a complete response (any status), 1\n"
        "some request failed or errored, 2 usage, 7 cannot connect, 16 not\n"
        "HTTP/2, 35 TLS error, 60 certificate not trusted.\n",
        out);
}

#define bad_usage(...) h2_cli_bad_usage("bench", __VA_ARGS__)

static int parse_count(const char *arg, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(arg, &end, 10);
  if (errno || end == arg || *end || v == 0 || v > max || arg[0] == '-') return -1;
  *out = v;
  return 0;
}

static int parse_field(char *text, h2_header *f) {
  char *colon = strchr(text[0] == ':' ? text + 1 : text, ':');
  if (!colon || colon == text) return -1;
  char *end = colon;
  while (end > text && (end[-1] == ' ' || end[-1] == '\t')) end--;
  for (char *p = text; p < end; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  char *value = colon + 1;
  while (*value == ' ' || *value == '\t') value++;
  *f = (h2_header){(const uint8_t *)text, (const uint8_t *)value,
                   (uint32_t)(end - text), (uint32_t)strlen(value), 0, 0};
  return 0;
}

static int load_body(bench_options *o) {
  FILE *in = fopen(o->body_path, "rb");
  if (!in) {
    fprintf(stderr, "h2 bench: cannot read %s: %s\n", o->body_path, strerror(errno));
    return H2_CLI_USAGE;
  }
  size_t capacity = 65536;
  o->body = malloc(capacity);
  size_t n;
  while (o->body && (n = fread(o->body + o->body_length, 1, capacity - o->body_length, in)) > 0) {
    o->body_length += n;
    if (o->body_length == capacity) o->body = realloc(o->body, capacity *= 2);
  }
  int bad = !o->body || ferror(in) || o->body_length > UINT32_MAX;
  fclose(in);
  if (bad) {
    fprintf(stderr, "h2 bench: cannot read %s\n", o->body_path);
    return H2_CLI_USAGE;
  }
  return 0;
}

/* Splits http[s]://host[:port][/path] into the origin and the path. */
static int parse_url(bench_options *o, size_t index) {
  char *url = o->urls[index];
  int tls;
  const char *rest;
  if (!strncmp(url, "http://", 7)) tls = 0, rest = url + 7;
  else if (!strncmp(url, "https://", 8)) tls = 1, rest = url + 8;
  else return -1;
  const char *slash = rest + strcspn(rest, "/?#");
  size_t alen = (size_t)(slash - rest);
  if (alen == 0 || alen >= sizeof(o->authority) || (strchr(rest, '@') && strchr(rest, '@') < slash))
    return -1;
  char authority[300], host[256], port[8];
  memcpy(authority, rest, alen);
  authority[alen] = 0;
  const char *colon;
  if (authority[0] == '[') {
    const char *close = strchr(authority, ']');
    if (!close || (close[1] && close[1] != ':')) return -1;
    snprintf(host, sizeof(host), "%.*s", (int)(close - authority - 1), authority + 1);
    colon = close[1] ? close + 1 : NULL;
  } else {
    colon = strchr(authority, ':');
    size_t hlen = colon ? (size_t)(colon - authority) : alen;
    if (hlen == 0 || hlen >= sizeof(host)) return -1;
    snprintf(host, sizeof(host), "%.*s", (int)hlen, authority);
  }
  if (colon) {
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p == 0 || p > 65535) return -1;
    snprintf(port, sizeof(port), "%lu", p);
  } else {
    snprintf(port, sizeof(port), "%s", tls ? "443" : "80");
  }
  if (index == 0) {
    o->tls = tls;
    snprintf(o->scheme, sizeof(o->scheme), "%s", tls ? "https" : "http");
    snprintf(o->host, sizeof(o->host), "%s", host);
    snprintf(o->port, sizeof(o->port), "%s", port);
    snprintf(o->authority, sizeof(o->authority), "%s", authority);
  } else if (tls != o->tls || strcmp(host, o->host) || strcmp(port, o->port)) {
    return -2;
  }
  const char *path = *slash == '/' || *slash == '?' ? slash : "/";
  size_t plen = strcspn(path, "#");
  o->paths[index] = malloc(plen + 2);
  if (path[0] == '?') snprintf(o->paths[index], plen + 2, "/%.*s", (int)plen, path);
  else snprintf(o->paths[index], plen + 2, "%.*s", (int)plen, path);
  return 0;
}

static void add_field(target *t, const char *name, const char *value) {
  for (size_t i = 0; i < t->count; i++)
    if (t->fields[i].name_length == strlen(name) && !memcmp(t->fields[i].name, name, strlen(name))) {
      t->fields[i].value = (const uint8_t *)value;
      t->fields[i].value_length = (uint32_t)strlen(value);
      return;
    }
  t->fields[t->count++] = (h2_header){(const uint8_t *)name, (const uint8_t *)value,
                                      (uint32_t)strlen(name), (uint32_t)strlen(value), 0, 0};
}

/* The header fields of every URL's request, built once. */
static void build_targets(bench_options *o) {
  const char *method = o->method ? o->method : o->body_path ? "POST" : "GET";
  for (size_t u = 0; u < o->url_count; u++) {
    target *t = &o->targets[u];
    t->count = 0;
    add_field(t, ":method", method);
    add_field(t, ":scheme", o->scheme);
    add_field(t, ":authority", o->authority);
    add_field(t, ":path", o->paths[u]);
    add_field(t, "user-agent", "h2-bench/" H2_VERSION);
    if (o->body_path) {
      snprintf(o->content_length, sizeof(o->content_length), "%zu", o->body_length);
      add_field(t, "content-length", o->content_length);
    }
    for (size_t i = 0; i < o->header_count; i++) {
      const h2_header *h = &o->headers[i];
      int replaced = 0;
      for (size_t k = 0; k < t->count; k++)
        if (t->fields[k].name_length == h->name_length &&
            !memcmp(t->fields[k].name, h->name, h->name_length)) {
          t->fields[k] = *h;
          replaced = 1;
          break;
        }
      if (!replaced) t->fields[t->count++] = *h;
    }
  }
}

static int value_option(bench_options *o, const char *a, char *v) {
  uint64_t n;
  if (!strcmp(a, "-n") || !strcmp(a, "--requests")) {
    if (parse_count(v, UINT64_MAX / 2, &o->requests)) return bad_usage("bad -n '%s'", v);
  } else if (!strcmp(a, "-c") || !strcmp(a, "--clients")) {
    if (parse_count(v, 100000, &n)) return bad_usage("bad -c '%s'", v);
    o->connections = (uint32_t)n;
  } else if (!strcmp(a, "-m") || !strcmp(a, "--max-concurrent-streams")) {
    if (parse_count(v, 100000, &n)) return bad_usage("bad -m '%s'", v);
    o->streams = (uint32_t)n;
  } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
    if (parse_count(v, 1024, &n)) return bad_usage("bad -t '%s'", v);
    o->threads = (uint32_t)n;
  } else if (!strcmp(a, "-D") || !strcmp(a, "--duration")) {
    char *end;
    o->duration = strtod(v, &end);
    if (*end || !(o->duration > 0) || o->duration > 1e6) return bad_usage("bad -D '%s'", v);
  } else if (!strcmp(a, "--timeout")) {
    char *end;
    o->timeout = strtod(v, &end);
    if (*end || !(o->timeout > 0) || o->timeout > 1e6) return bad_usage("bad --timeout '%s'", v);
  } else if (!strcmp(a, "-d") || !strcmp(a, "--data")) {
    o->body_path = v[0] == '@' ? v + 1 : v;
  } else if (!strcmp(a, "-H") || !strcmp(a, "--header")) {
    if (o->header_count == MAX_HEADERS || parse_field(v, &o->headers[o->header_count++]))
      return bad_usage("bad header '%s' (expected 'Name: value')", v);
  } else if (!strcmp(a, "--method")) {
    o->method = v;
  } else if (!strcmp(a, "--cacert")) {
    o->cacert = v;
  } else {
    return -1;
  }
  return 0;
}

static int parse_args(bench_options *o, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    }
    if (a[0] != '-') {
      if (o->url_count == MAX_URLS) return bad_usage("at most %d URLs", MAX_URLS);
      o->urls[o->url_count++] = a;
      continue;
    }
    if (!strcmp(a, "-k") || !strcmp(a, "--insecure")) o->insecure = 1;
    else if (!strcmp(a, "--json")) o->json = 1;
    else {
      if (i + 1 >= argc) return bad_usage("option %s needs a value", a);
      int rv = value_option(o, a, argv[i + 1]);
      if (rv < 0) return bad_usage("unknown option %s", a);
      if (rv) return rv;
      i++;
    }
  }
  if (!o->url_count) return bad_usage("%s", "no URL given");
  for (size_t u = 0; u < o->url_count; u++) {
    int rv = parse_url(o, u);
    if (rv == -2) return bad_usage("%s: every URL must have the first one's origin", o->urls[u]);
    if (rv) return bad_usage("%s: not a valid http:// or https:// URL", o->urls[u]);
  }
  if (o->threads > o->connections) o->threads = o->connections;
  if (!o->duration && o->requests < o->connections)
    return bad_usage("-n %" PRIu64 " is fewer than -c %" PRIu32, o->requests, o->connections);
  if (o->body_path) {
    int rv = load_body(o);
    if (rv) return rv;
  }
  build_targets(o);
  return 0;
}

/* ---- Connections ---------------------------------------------------------- */

static void conn_watch(bconn *cc, int out) {
  if (cc->epoll_out == out) return;
  struct epoll_event ev = {0};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
  ev.data.ptr = cc;
  epoll_ctl(cc->t->epoll_fd, EPOLL_CTL_MOD, cc->fd, &ev);
  cc->epoll_out = out;
}

static void setup_failure(bench_thread *t, int code, const char *detail) {
  if (t->first_error) return;
  t->first_error = code;
  snprintf(t->detail, sizeof(t->detail), "%s", detail);
}

static void conn_open(bconn *cc);

/* Ends the TCP connection; what is still in flight counts as errored. A
 * connection that has completed responses is reopened while requests
 * remain (after a GOAWAY, for example). */
static void conn_close(bconn *cc, int reopen) {
  bench_thread *t = cc->t;
  if (cc->state == CS_DEAD || cc->state == CS_IDLE) return;
  if (cc->fd >= 0) {
    epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, cc->fd, NULL);
    close(cc->fd);
    cc->fd = -1;
  }
  t->c.errored += cc->inflight;
  cc->inflight = 0;
  uint32_t m = t->b->o->streams;
  for (uint32_t i = 0; i < m; i++) {
    cc->slots[i].stream_id = 0;
    cc->slots[i].next_free = i + 1 < m ? &cc->slots[i + 1] : NULL;
  }
  cc->free_slots = cc->slots;
  h2_tls_del(cc->tls);
  cc->tls = NULL;
  h2_conn_del(cc->h2);
  cc->h2 = NULL;
  cc->state = CS_DEAD;
  t->active--;
  if (reopen && cc->done && t->todo && !t->stopping) conn_open(cc);
}

static void conn_fail(bconn *cc, int code, const char *detail) {
  bench_thread *t = cc->t;
  if (cc->state != CS_READY || !cc->done) {
    t->c.connect_failures++;
    setup_failure(t, code, detail);
  }
  conn_close(cc, 1);
}

static int start_connect(bconn *cc) {
  bench_thread *t = cc->t;
  char detail[300];
  while (cc->address) {
    struct addrinfo *ai = cc->address;
    cc->address = ai->ai_next;
    if (cc->fd >= 0) {
      epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, cc->fd, NULL);
      close(cc->fd);
    }
    cc->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (cc->fd < 0) continue;
    int one = 1;
    setsockopt(cc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = cc;
    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, cc->fd, &ev);
    cc->epoll_out = 1;
    if (connect(cc->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) return 0;
  }
  snprintf(detail, sizeof(detail), "cannot connect to %s:%s: %s", t->b->o->host,
           t->b->o->port, strerror(errno));
  setup_failure(t, H2_ERR_SYSTEM, detail);
  return -1;
}

static void conn_open(bconn *cc) {
  bench_thread *t = cc->t;
  bench *b = t->b;
  cc->fd = -1;
  cc->goaway = cc->closed = 0;
  cc->done = 0;
  cc->inflight = 0;
  cc->limit = b->o->streams;
  cc->address = b->addresses;
  cc->connect_start_ns = now_ns();
  t->c.connections++;
  int rv = h2_conn_client_new(&cc->h2, &b->conn_options, NULL);
  if (!rv && b->o->tls) rv = h2_tls_new_with_context(&cc->tls, b->tls_ctx, b->o->host, NULL);
  if (rv) {
    t->c.connect_failures++;
    setup_failure(t, rv, h2_strerror(rv));
    h2_conn_del(cc->h2);
    cc->h2 = NULL;
    cc->state = CS_DEAD;
    return;
  }
  t->active++;
  cc->state = CS_CONNECTING;
  if (start_connect(cc)) {
    t->c.connect_failures++;
    conn_close(cc, 0);
  }
}

/* ---- Requests ---------------------------------------------------------------- */

static void send_body(bconn *cc, slot *s) {
  bench_options *o = cc->t->b->o;
  size_t left = o->body_length - s->body_sent;
  int n = h2_conn_submit_data(cc->h2, s->stream_id, o->body + s->body_sent, left, 1);
  if (n > 0) s->body_sent += (uint32_t)n;
}

/* Keeps the connection's streams full while requests remain. */
static void fill(bconn *cc) {
  bench_thread *t = cc->t;
  bench_options *o = t->b->o;
  if (cc->state != CS_READY || cc->goaway || t->stopping) return;
  while (cc->inflight < cc->limit && t->todo && cc->free_slots) {
    const target *tg = &o->targets[o->url_count == 1 ? 0 : t->next_url++ % o->url_count];
    slot *s = cc->free_slots;
    int id = h2_conn_submit_request(cc->h2, tg->fields, tg->count, o->body_path == NULL, s);
    if (id < 0) {
      if (id == H2_ERR_CONNECTION_GOING_AWAY) {
        cc->goaway = 1;
        return;
      }
      char detail[200];
      snprintf(detail, sizeof(detail), "cannot submit a request: %s", h2_strerror(id));
      setup_failure(t, id, detail);
      t->c.errored += t->todo == UINT64_MAX ? 0 : t->todo;
      t->todo = 0;
      return;
    }
    cc->free_slots = s->next_free;
    s->stream_id = (uint32_t)id;
    s->start_ns = t->now_ns;
    s->first_ns = 0;
    s->status = 0;
    s->body_sent = 0;
    cc->inflight++;
    t->c.started++;
    if (t->todo != UINT64_MAX) t->todo--;
    if (o->body_path && o->body_length) send_body(cc, s);
  }
}

static void release(bconn *cc, slot *s) {
  s->stream_id = 0;
  s->next_free = cc->free_slots;
  cc->free_slots = s;
  cc->inflight--;
}

static uint64_t field_bytes(const h2_header *f, uint32_t n) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += f[i].name_length + f[i].value_length;
  return sum;
}

/* Takes every pending event of the core. Returns -1 once the connection
 * is finished. */
static int drain_events(bconn *cc) {
  bench_thread *t = cc->t;
  int n;
  while ((n = h2_conn_poll(cc->h2, t->events, EVENT_BATCH)) > 0) {
    for (int i = 0; i < n; i++) {
      const h2_event *e = &t->events[i];
      slot *s = e->user;
      switch (e->type) {
        case H2_EVENT_HEADERS:
          s->first_ns = t->now_ns;
          s->status = e->status;
          t->c.header_bytes += field_bytes(e->headers, e->header_count);
          break;
        case H2_EVENT_DATA: t->c.data_bytes += e->length; break;
        case H2_EVENT_TRAILERS:
          t->c.header_bytes += field_bytes(e->headers, e->header_count);
          break;
        case H2_EVENT_STREAM_END: {
          unsigned cls = s->status / 100;
          t->c.status[cls < 6 ? cls : 0]++;
          t->c.done++;
          if (cls == 2) t->c.succeeded++;
          hist_add(&t->request, t->now_ns - s->start_ns);
          hist_add(&t->first_byte, s->first_ns - s->start_ns);
          cc->done++;
          release(cc, s);
          t->last_progress_ns = t->now_ns;
          break;
        }
        case H2_EVENT_STREAM_RESET:
          if (!s) break;
          if ((e->flags & H2_EVENT_FLAG_RETRYABLE) && !t->stopping) {
            if (t->todo != UINT64_MAX) t->todo++; /* never processed: sent again */
            t->c.started--;
          } else {
            t->c.errored++;
          }
          release(cc, s);
          break;
        case H2_EVENT_WRITABLE:
          if (s && s->body_sent < t->b->o->body_length) send_body(cc, s);
          break;
        case H2_EVENT_SETTINGS: {
          uint32_t peer = h2_conn_peer_max_concurrent_streams(cc->h2);
          cc->limit = t->b->o->streams < peer ? t->b->o->streams : peer;
          if (!cc->limit) cc->limit = 1;
          break;
        }
        case H2_EVENT_GOAWAY: cc->goaway = 1; break;
        case H2_EVENT_CONNECTION_ERROR:
          if (!cc->done) setup_failure(t, e->error, h2_conn_error_detail(cc->h2));
          break;
        case H2_EVENT_CLOSED: cc->closed = 1; break;
        default: break;
      }
    }
    fill(cc);
  }
  return cc->closed ? -1 : 0;
}

/* ---- Output --------------------------------------------------------------------- */

/* Sends what TLS holds. Returns 1 when all went, 0 when the socket is full,
 * -1 on failure. */
static int send_tls(bconn *cc) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_tls_peek_output(cc->tls, &data)) > 0) {
    ssize_t sent = send(cc->fd, data, n, MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    cc->t->c.bytes_out += (uint64_t)sent;
    h2_tls_consume_output(cc->tls, (size_t)sent);
    if ((size_t)sent < n) return 0;
  }
  return 1;
}

static int flush(bconn *cc) {
  const uint8_t *data;
  size_t n;
  int done = 1;
  if (!cc->tls) {
    while ((n = h2_conn_peek_output(cc->h2, &data)) > 0) {
      ssize_t sent = send(cc->fd, data, n, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          done = 0;
          break;
        }
        conn_fail(cc, H2_ERR_SYSTEM, "cannot send");
        return -1;
      }
      cc->t->c.bytes_out += (uint64_t)sent;
      h2_conn_consume_output(cc->h2, (size_t)sent);
      if ((size_t)sent < n) {
        done = 0;
        break;
      }
    }
  } else {
    for (;;) {
      n = h2_conn_peek_output(cc->h2, &data);
      if (n) {
        int taken = h2_tls_write(cc->tls, data, n);
        if (taken < 0 && taken != H2_ERR_WOULD_BLOCK) {
          conn_fail(cc, taken, h2_tls_error_detail(cc->tls));
          return -1;
        }
        if (taken > 0) h2_conn_consume_output(cc->h2, (size_t)taken);
      }
      int rv = send_tls(cc);
      if (rv < 0) {
        conn_fail(cc, H2_ERR_SYSTEM, "cannot send");
        return -1;
      }
      if (rv == 0) {
        done = 0;
        break;
      }
      if (!h2_conn_peek_output(cc->h2, &data)) break;
    }
  }
  conn_watch(cc, !done);
  return 0;
}

/* A stream whose h2_conn_submit_data accepted nothing (the send buffer
 * full of other streams' bodies) is never told WRITABLE by the core (it
 * reports WRITABLE only when it frames that stream's DATA): offer the rest
 * of such bodies again whenever output has gone. */
static void retry_bodies(bconn *cc) {
  size_t length = cc->t->b->o->body_length;
  for (uint32_t i = 0; i < cc->t->b->o->streams; i++) {
    slot *s = &cc->slots[i];
    if (s->stream_id && s->body_sent < length) send_body(cc, s);
  }
}

/* Sends the core's output. With request bodies, sending frees room in the
 * core's send buffer, which it reports as WRITABLE events: take them (more
 * body is queued) and send again while the socket takes it. */
static int flush_all(bconn *cc) {
  if (flush(cc) < 0) return -1;
  if (!cc->t->b->o->body_length) return 0;
  const uint8_t *data;
  for (int rounds = 0; rounds < 64 && cc->state == CS_READY && !cc->epoll_out; rounds++) {
    drain_events(cc);
    if (cc->state != CS_READY) break;
    retry_bodies(cc);
    if (!h2_conn_peek_output(cc->h2, &data)) break;
    if (flush(cc) < 0) return -1;
  }
  return 0;
}

/* ---- Input ------------------------------------------------------------------------ */

static void became_ready(bconn *cc) {
  bench_thread *t = cc->t;
  cc->state = CS_READY;
  t->now_ns = now_ns();
  hist_add(&t->connect, t->now_ns - cc->connect_start_ns);
  fill(cc);
}

/* Feeds plain bytes to the core; returns -1 once the connection ended. */
static int feed_core(bconn *cc, const uint8_t *data, size_t n) {
  h2_conn_recv(cc->h2, data, n);
  return drain_events(cc);
}

static int tls_pump(bconn *cc) {
  for (;;) {
    int n = h2_tls_read(cc->tls, cc->t->plain_buf, READ_BUFFER);
    if (n == H2_ERR_WOULD_BLOCK) return 0;
    if (n == H2_ERR_CONNECTION_CLOSED) {
      feed_core(cc, NULL, 0);
      return -1;
    }
    if (n < 0) {
      conn_fail(cc, n, h2_tls_error_detail(cc->tls));
      return -2;
    }
    if (feed_core(cc, cc->t->plain_buf, (size_t)n) < 0) return -1;
  }
}

static int tls_handshake(bconn *cc) {
  int rv = h2_tls_handshake(cc->tls);
  if (send_tls(cc) < 0) {
    conn_fail(cc, H2_ERR_SYSTEM, "cannot send");
    return -2;
  }
  if (rv == H2_ERR_WOULD_BLOCK) {
    conn_watch(cc, h2_tls_pending_output(cc->tls) > 0);
    return 0;
  }
  if (rv) {
    conn_fail(cc, rv, h2_tls_error_detail(cc->tls));
    return -2;
  }
  became_ready(cc);
  return tls_pump(cc);
}

/* Returns 0, -1 when the connection ended cleanly (close it), -2 when it
 * is already closed. */
static int on_readable(bconn *cc) {
  bench_thread *t = cc->t;
  ssize_t n = recv(cc->fd, t->read_buf, READ_BUFFER, 0);
  t->now_ns = now_ns();
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return 0;
    char detail[200];
    snprintf(detail, sizeof(detail), "cannot read: %s", strerror(errno));
    conn_fail(cc, H2_ERR_SYSTEM, detail);
    return -2;
  }
  t->c.bytes_in += (uint64_t)n;
  if (n > 0) t->last_progress_ns = t->now_ns;
  if (!cc->tls) {
    if (n == 0) {
      feed_core(cc, NULL, 0);
      return -1;
    }
    return feed_core(cc, t->read_buf, (size_t)n);
  }
  if (n == 0) {
    h2_tls_feed_eof(cc->tls);
    if (cc->state == CS_HANDSHAKE) {
      int rv = tls_handshake(cc);
      if (rv == 0) {
        conn_fail(cc, H2_ERR_TLS, "the server closed the connection during the TLS handshake");
        return -2;
      }
      return rv;
    }
    tls_pump(cc);
    return -1;
  }
  size_t off = 0;
  while (off < (size_t)n) {
    int taken = h2_tls_feed(cc->tls, t->read_buf + off, (size_t)n - off);
    if (taken == H2_ERR_WOULD_BLOCK) taken = 0;
    if (taken < 0) {
      conn_fail(cc, taken, h2_tls_error_detail(cc->tls));
      return -2;
    }
    off += (size_t)taken;
    int rv = cc->state == CS_HANDSHAKE ? tls_handshake(cc) : tls_pump(cc);
    if (rv) return rv;
    if (taken == 0 && cc->state == CS_HANDSHAKE) {
      conn_fail(cc, H2_ERR_TLS, "the TLS handshake stalled");
      return -2;
    }
  }
  return 0;
}

static void on_event(bconn *cc, uint32_t events) {
  if (cc->state == CS_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(cc->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      char detail[300];
      snprintf(detail, sizeof(detail), "cannot connect to %s:%s: %s", cc->t->b->o->host,
               cc->t->b->o->port, strerror(err));
      setup_failure(cc->t, H2_ERR_SYSTEM, detail);
      if (start_connect(cc)) {
        cc->t->c.connect_failures++;
        conn_close(cc, 0);
      }
      return;
    }
    if (cc->tls) {
      cc->state = CS_HANDSHAKE;
      if (tls_handshake(cc) < 0) return;
      if (cc->state == CS_HANDSHAKE) return;
    } else {
      became_ready(cc);
    }
    if (cc->state == CS_READY) flush_all(cc);
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    int rv = on_readable(cc);
    if (rv == -2) return;
    if (rv == -1) {
      flush(cc);
      if (cc->state != CS_DEAD) conn_close(cc, 1);
      return;
    }
  }
  if (cc->state == CS_READY) {
    if (flush_all(cc) < 0) return;
    /* A GOAWAY with every stream done: start over on a new connection. */
    if (cc->goaway && !cc->inflight) conn_close(cc, 1);
  } else if (cc->state == CS_HANDSHAKE) {
    if (send_tls(cc) < 0) conn_fail(cc, H2_ERR_SYSTEM, "cannot send");
  }
}

/* ---- Threads ------------------------------------------------------------------ */

static uint32_t inflight_total(bench_thread *t) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < t->conn_count; i++) n += t->conns[i].inflight;
  return n;
}

static void *thread_main(void *arg) {
  bench_thread *t = arg;
  bench *b = t->b;
  struct epoll_event ready[64];
  uint64_t timeout_ns = (uint64_t)(b->o->timeout * 1e9);
  t->now_ns = t->last_progress_ns = now_ns();
  for (uint32_t i = 0; i < t->conn_count; i++) {
    bconn *cc = &t->conns[i];
    cc->t = t;
    cc->fd = -1;
    cc->state = CS_IDLE;
    for (uint32_t k = 0; k < b->o->streams; k++)
      cc->slots[k].next_free = k + 1 < b->o->streams ? &cc->slots[k + 1] : NULL;
    cc->free_slots = cc->slots;
    conn_open(cc);
  }
  while (t->active) {
    if (!t->todo && !inflight_total(t)) break;
    int n = epoll_wait(t->epoll_fd, ready, 64, 100);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) on_event(ready[i].data.ptr, ready[i].events);
    uint64_t now = now_ns();
    if (b->deadline_ns && now >= b->deadline_ns && !t->stopping) {
      t->stopping = 1;
      t->todo = 0;
    }
    if (now - t->last_progress_ns > timeout_ns) {
      /* Nothing arrived for --timeout: what is in flight times out (and
       * counts as errored too, as conn_close counts it). */
      t->c.timeout += inflight_total(t);
      for (uint32_t k = 0; k < t->conn_count; k++) {
        bconn *cc = &t->conns[k];
        if (cc->state == CS_DEAD || cc->state == CS_IDLE) continue;
        if (cc->state != CS_READY) {
          t->c.connect_failures++;
          setup_failure(t, H2_ERR_TIMEOUT, "timed out connecting");
        }
        cc->done = 0; /* no reopening */
        conn_close(cc, 0);
      }
      break;
    }
  }
  /* Unused requests (connections that failed) are counted as errored. */
  if (t->todo && t->todo != UINT64_MAX) t->c.errored += t->todo;
  for (uint32_t i = 0; i < t->conn_count; i++) {
    bconn *cc = &t->conns[i];
    if (cc->state == CS_READY) {
      h2_conn_shutdown(cc->h2);
      flush(cc);
    }
    cc->done = 0;
    conn_close(cc, 0);
  }
  return NULL;
}

/* ---- Report ------------------------------------------------------------------------ */

static void print_latency_row(const char *name, const histogram *h) {
  if (!h->count) {
    printf("%-11s %10s\n", name, "-");
    return;
  }
  printf("%-11s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f\n", name, (double)h->min / 1e6,
         (double)h->sum / (double)h->count / 1e6, (double)h->max / 1e6,
         (double)hist_percentile(h, 50) / 1e6, (double)hist_percentile(h, 90) / 1e6,
         (double)hist_percentile(h, 99) / 1e6);
}

static void json_latency(const char *name, const histogram *h, const char *sep) {
  printf("\"%s\":{\"count\":%" PRIu64 ",\"min_ms\":%.6f,\"mean_ms\":%.6f,\"max_ms\":%.6f,"
         "\"p50_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f}%s",
         name, h->count, (double)h->min / 1e6,
         h->count ? (double)h->sum / (double)h->count / 1e6 : 0.0, (double)h->max / 1e6,
         (double)hist_percentile(h, 50) / 1e6, (double)hist_percentile(h, 90) / 1e6,
         (double)hist_percentile(h, 99) / 1e6, sep);
}

static void report(bench *b, const counts *c, const histogram *req, const histogram *fb,
                   const histogram *conn, double seconds) {
  bench_options *o = b->o;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  uint64_t total = o->duration ? c->started : o->requests;
  uint64_t failed = total - c->succeeded;
  double rps = seconds > 0 ? (double)c->done / seconds : 0;
  double cpu_us = c->done ? (user + sys) * 1e6 / (double)c->done : 0;
  if (o->json) {
    printf("{\"url\":\"%s\",\"connections\":%" PRIu32 ",\"streams\":%" PRIu32
           ",\"threads\":%" PRIu32 ",\"seconds\":%.6f,\"req_per_s\":%.2f,"
           "\"requests\":{\"total\":%" PRIu64 ",\"started\":%" PRIu64 ",\"done\":%" PRIu64
           ",\"succeeded\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"errored\":%" PRIu64
           ",\"timeout\":%" PRIu64 "},"
           "\"status\":{\"1xx\":%" PRIu64 ",\"2xx\":%" PRIu64 ",\"3xx\":%" PRIu64
           ",\"4xx\":%" PRIu64 ",\"5xx\":%" PRIu64 "},"
           "\"bytes\":{\"received\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"headers\":%" PRIu64
           ",\"data\":%" PRIu64 "},"
           "\"connections_opened\":%" PRIu64 ",\"connect_failures\":%" PRIu64 ","
           "\"cpu\":{\"user_s\":%.6f,\"sys_s\":%.6f,\"us_per_request\":%.4f},",
           o->urls[0], o->connections, o->streams, o->threads, seconds, rps, total,
           c->started, c->done, c->succeeded, failed, c->errored, c->timeout, c->status[1],
           c->status[2], c->status[3], c->status[4], c->status[5], c->bytes_in, c->bytes_out,
           c->header_bytes, c->data_bytes, c->connections, c->connect_failures, user, sys,
           cpu_us);
    printf("\"latency\":{");
    json_latency("request", req, ",");
    json_latency("connect", conn, ",");
    json_latency("first_byte", fb, "");
    printf("}}\n");
    return;
  }
  printf("h2 bench: %s, %" PRIu32 " connection%s x %" PRIu32 " streams, %" PRIu32 " thread%s\n",
         o->urls[0], o->connections, o->connections == 1 ? "" : "s", o->streams, o->threads,
         o->threads == 1 ? "" : "s");
  printf("finished in %.3f s, %.2f req/s, %.2f MB/s received\n", seconds, rps,
         seconds > 0 ? (double)c->bytes_in / seconds / 1e6 : 0.0);
  printf("requests: %" PRIu64 " total, %" PRIu64 " started, %" PRIu64 " done, %" PRIu64
         " succeeded, %" PRIu64 " failed, %" PRIu64 " errored, %" PRIu64 " timeout\n",
         total, c->started, c->done, c->succeeded, failed, c->errored, c->timeout);
  printf("status codes: %" PRIu64 " 2xx, %" PRIu64 " 3xx, %" PRIu64 " 4xx, %" PRIu64
         " 5xx\n", c->status[2], c->status[3], c->status[4], c->status[5]);
  printf("traffic: %" PRIu64 " bytes received in all, %" PRIu64 " of header fields, %" PRIu64
         " of data; %" PRIu64 " bytes sent\n",
         c->bytes_in, c->header_bytes, c->data_bytes, c->bytes_out);
  printf("connections: %" PRIu64 " opened, %" PRIu64 " failed\n", c->connections,
         c->connect_failures);
  printf("cpu: %.3f s user, %.3f s system, %.3f us per request\n", user, sys, cpu_us);
  printf("latency (ms)       min       mean        max        p50        p90        p99\n");
  print_latency_row("request", req);
  print_latency_row("connect", conn);
  print_latency_row("first byte", fb);
}

static int exit_for(int error) {
  switch (error) {
    case H2_ERR_SYSTEM:
    case H2_ERR_TIMEOUT: return EXIT_CONNECT;
    case H2_ERR_TLS: return EXIT_TLS;
    case H2_ERR_TLS_VERIFY: return EXIT_TLS_VERIFY;
    case H2_ERR_TLS_ALPN:
    case H2_ERR_NOT_HTTP2: return EXIT_HTTP2;
    default: return H2_CLI_FAILED;
  }
}

static int run(bench *b) {
  bench_options *o = b->o;
  struct addrinfo hints = {0};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(o->host, o->port, &hints, &b->addresses);
  if (gai) {
    fprintf(stderr, "h2 bench: cannot resolve %s: %s\n", o->host, gai_strerror(gai));
    return EXIT_CONNECT;
  }
  if (o->tls) {
    h2_tls_options to;
    h2_tls_options_init(&to);
    if (o->insecure) to.flags |= H2_TLS_INSECURE;
    to.ca_file = o->cacert;
    char detail[512];
    int rv = h2_tls_context_new(&b->tls_ctx, &to, NULL, detail, sizeof(detail));
    if (rv) {
      fprintf(stderr, "h2 bench: %s\n", detail);
      return EXIT_TLS;
    }
  }
  h2_conn_options_init(&b->conn_options);
  b->conn_options.initial_window_size = STREAM_WINDOW;
  b->conn_options.connection_window_size = CONNECTION_WINDOW;
  if (o->streams > b->conn_options.max_concurrent_streams)
    b->conn_options.max_concurrent_streams = o->streams;

  uint32_t nt = o->threads;
  b->threads = calloc(nt, sizeof(bench_thread));
  uint64_t requests_left = o->requests;
  uint32_t conns_left = o->connections;
  for (uint32_t i = 0; i < nt; i++) {
    bench_thread *t = &b->threads[i];
    t->b = b;
    t->conn_count = conns_left / (nt - i);
    conns_left -= t->conn_count;
    if (o->duration) {
      t->todo = UINT64_MAX;
    } else {
      /* Requests in proportion to the thread's connections. */
      t->todo = requests_left * t->conn_count / (conns_left + t->conn_count);
      requests_left -= t->todo;
    }
    t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    t->conns = calloc(t->conn_count, sizeof(bconn));
    t->read_buf = malloc(READ_BUFFER);
    t->plain_buf = o->tls ? malloc(READ_BUFFER) : NULL;
    for (uint32_t k = 0; k < t->conn_count; k++)
      t->conns[k].slots = calloc(o->streams, sizeof(slot));
  }
  b->start_ns = now_ns();
  if (o->duration) b->deadline_ns = b->start_ns + (uint64_t)(o->duration * 1e9);
  if (nt == 1) {
    thread_main(&b->threads[0]);
  } else {
    for (uint32_t i = 0; i < nt; i++) pthread_create(&b->threads[i].id, NULL, thread_main, &b->threads[i]);
    for (uint32_t i = 0; i < nt; i++) pthread_join(b->threads[i].id, NULL);
  }
  double seconds = (double)(now_ns() - b->start_ns) / 1e9;

  counts c = {0};
  histogram *req = calloc(3, sizeof(histogram));
  int first_error = 0;
  const char *detail = "";
  for (uint32_t i = 0; i < nt; i++) {
    bench_thread *t = &b->threads[i];
    uint64_t *dst = (uint64_t *)&c;
    const uint64_t *src = (const uint64_t *)&t->c;
    for (size_t k = 0; k < sizeof(counts) / sizeof(uint64_t); k++) dst[k] += src[k];
    hist_merge(&req[0], &t->request);
    hist_merge(&req[1], &t->first_byte);
    hist_merge(&req[2], &t->connect);
    if (t->first_error && !first_error) {
      first_error = t->first_error;
      detail = t->detail;
    }
  }
  report(b, &c, &req[0], &req[1], &req[2], seconds);
  int status = H2_CLI_OK;
  if (first_error) fprintf(stderr, "h2 bench: %s\n", detail);
  uint64_t total = o->duration ? c.started : o->requests;
  if (c.done < total || c.errored) {
    status = !c.done && first_error ? exit_for(first_error) : H2_CLI_FAILED;
    if (!first_error)
      fprintf(stderr, "h2 bench: %" PRIu64 " of %" PRIu64 " requests did not complete\n",
              total - c.done, total);
  }
  for (uint32_t i = 0; i < nt; i++) {
    bench_thread *t = &b->threads[i];
    for (uint32_t k = 0; k < t->conn_count; k++) free(t->conns[k].slots);
    free(t->conns);
    free(t->read_buf);
    free(t->plain_buf);
    close(t->epoll_fd);
  }
  free(req);
  free(b->threads);
  h2_tls_context_del(b->tls_ctx);
  freeaddrinfo(b->addresses);
  return status;
}

int h2_cli_bench(int argc, char **argv) {
  bench_options *o = calloc(1, sizeof(*o));
  o->requests = 1;
  o->connections = o->streams = o->threads = 1;
  o->timeout = 30;
  int rv = parse_args(o, argc, argv);
  if (!rv) {
    bench b;
    memset(&b, 0, sizeof(b));
    b.o = o;
    rv = run(&b);
  }
  for (size_t u = 0; u < o->url_count; u++) free(o->paths[u]);
  free(o->body);
  free(o);
  return rv;
}
