/*
 * The C client API against real servers (the peers fixture): blocking
 * fetches over h2c and TLS, many submitted requests on one connection,
 * a streamed upload, cancellation, and the seed-style session over the
 * caller's own socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2/h2.h"
#include "test.h"

static char ca[512], plain_base[64], tls_base[64], nginx_base[64];
static int plain_port;

/* Reads KEY=VALUE from the peers' environment file. */
static int env_value(const char *file, const char *key, char *out, size_t size) {
  FILE *f = fopen(file, "r");
  char line[1024];
  size_t n = strlen(key);
  int found = 0;
  while (f && fgets(line, sizeof(line), f))
    if (!strncmp(line, key, n) && line[n] == '=') {
      line[strcspn(line, "\n")] = 0;
      snprintf(out, size, "%s", line + n + 1);
      found = 1;
    }
  if (f) fclose(f);
  return found ? 0 : -1;
}

static h2_client *new_client(void) {
  h2_client_options o;
  h2_client_options_init(&o);
  o.tls.ca_file = ca;
  h2_client *c = NULL;
  h2_client_new(&c, &o, NULL);
  return c;
}

static void test_fetch(void) {
  h2_client *c = new_client();
  REQUIRE(c != NULL);
  const char *bases[] = {plain_base, tls_base};
  for (int i = 0; i < 2; i++) {
    char url[128];
    snprintf(url, sizeof(url), "%s/16k.bin", bases[i]);
    h2_request req = {0};
    req.url = url;
    h2_response r;
    CHECK_EQ_INT(h2_client_fetch(c, &req, 0, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.body_length, 16384);
    h2_response_free(c, &r);
    /* A body over the limit fails clearly and loses nothing else. */
    req.url = url;
    CHECK_EQ_INT(h2_client_fetch(c, &req, 1000, &r), H2_ERR_INVALID_STATE);
    CHECK(strstr(r.error_detail, "limit") != NULL);
    h2_response_free(c, &r);
  }
  h2_client_stats s;
  h2_client_get_stats(c, &s);
  CHECK_EQ_INT(s.connections_opened, 2); /* one per origin, reused */
  h2_client_del(c);
}

typedef struct tally {
  int completed, ok;
  size_t bytes;
} tally;

static int count_data(void *user, const uint8_t *d, size_t n) {
  (void)d;
  ((tally *)user)->bytes += n;
  return 0;
}

static void count_done(void *user, int error, const char *detail) {
  (void)detail;
  tally *t = user;
  t->completed++;
  if (!error) t->ok++;
}

static void test_many_and_cancel(void) {
  h2_client *c = new_client();
  REQUIRE(c != NULL);
  char url[128];
  snprintf(url, sizeof(url), "%s/1k.bin", tls_base);
  tally t = {0, 0, 0};
  h2_response_handler h = {NULL, NULL, count_data, NULL, count_done, &t};
  h2_request req = {0};
  req.url = url;
  int last = 0;
  for (int i = 0; i < 300; i++) last = h2_client_submit(c, &req, &h);
  CHECK(last > 0);
  CHECK_EQ_INT(h2_client_cancel(c, last), 0);
  CHECK_EQ_INT(h2_client_run(c, 30000), 0);
  CHECK_EQ_INT(t.completed, 300);
  CHECK_EQ_INT(t.ok, 299);
  CHECK_EQ_INT(t.bytes, 299 * 1024);
  h2_client_del(c);
}

typedef struct source {
  size_t size, offset;
  int rewinds;
} source;

static long read_body(void *user, uint8_t *buf, size_t capacity) {
  source *s = user;
  size_t n = s->size - s->offset < capacity ? s->size - s->offset : capacity;
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(s->offset + i);
  s->offset += n;
  return (long)n;
}

static int rewind_body(void *user) {
  source *s = user;
  s->offset = 0;
  s->rewinds++;
  return 0;
}

static void test_streamed_upload(void) {
  h2_client *c = new_client();
  REQUIRE(c != NULL);
  char url[128];
  snprintf(url, sizeof(url), "%s/echo", plain_base);
  source src = {3 * 1024 * 1024 + 7, 0, 0};
  h2_request req = {0};
  req.method = "POST";
  req.url = url;
  req.read_body = read_body;
  req.rewind_body = rewind_body;
  req.body_user = &src;
  h2_response r;
  CHECK_EQ_INT(h2_client_fetch(c, &req, 0, &r), 0);
  CHECK_EQ_INT(r.status, 200);
  REQUIRE(r.body_length == src.size);
  int same = 1;
  for (size_t i = 0; i < r.body_length; i++) same &= r.body[i] == (uint8_t)i;
  CHECK(same);
  h2_response_free(c, &r);
  h2_client_del(c);
}

static long sock_recv(void *ctx, uint8_t *buf, size_t n) {
  return (long)recv(*(int *)ctx, buf, n, 0);
}

static long sock_send(void *ctx, const uint8_t *buf, size_t n) {
  return (long)send(*(int *)ctx, buf, n, MSG_NOSIGNAL);
}

static void test_session_own_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)plain_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
  h2_io io = {sock_recv, sock_send, &fd};
  h2_session *s;
  REQUIRE(h2_session_new(&s, &io, NULL, NULL) == 0);
  h2_header get[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"localhost", 10, 9, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/1m.bin", 5, 7, 0, 0}};
  for (int i = 0; i < 3; i++) {
    h2_response r;
    CHECK_EQ_INT(h2_session_request(s, get, 4, NULL, 0, 0, &r), 0);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.body_length, 1 << 20);
    h2_response_free(NULL, &r);
  }
  h2_header post[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"localhost", 10, 9, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/echo", 5, 5, 0, 0}};
  static uint8_t body[700000];
  for (size_t i = 0; i < sizeof(body); i++) body[i] = (uint8_t)(i * 31);
  h2_response r;
  CHECK_EQ_INT(h2_session_request(s, post, 4, body, sizeof(body), 0, &r), 0);
  CHECK_MEM(r.body, r.body_length, body, sizeof(body));
  h2_response_free(NULL, &r);
  CHECK_EQ_INT(h2_session_close(s), 0);
  h2_session_del(s);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PEERS_ENV\n", argv[0]);
    return 2;
  }
  char port[16], nginx[16];
  if (env_value(argv[1], "H2_PEERS_CA", ca, sizeof(ca)) ||
      env_value(argv[1], "H2_PEER_NGHTTPD_H2C", port, sizeof(port)) ||
      env_value(argv[1], "H2_PEER_NGINX_TLS", nginx, sizeof(nginx))) {
    fprintf(stderr, "cannot read %s (are the peers running?)\n", argv[1]);
    return 1;
  }
  plain_port = atoi(port);
  snprintf(plain_base, sizeof(plain_base), "http://127.0.0.1:%s", port);
  snprintf(tls_base, sizeof(tls_base), "https://localhost:%s", nginx);
  snprintf(nginx_base, sizeof(nginx_base), "https://localhost:%s", nginx);
  static const test_case cases[] = {
      TEST_CASE(test_fetch), TEST_CASE(test_many_and_cancel),
      TEST_CASE(test_streamed_upload), TEST_CASE(test_session_own_socket)};
  return test_run("client_peers", cases, sizeof(cases) / sizeof(cases[0]));
}
