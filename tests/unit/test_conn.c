/*
 * The sans-I/O connection core driven by scripted server bytes. Every
 * script runs whole, cut one byte at a time, in pieces of seven, and at
 * random points (several seeds); the events the client reports must be
 * the same every time, and the frames it sends must include what the case
 * expects. Every run uses a counting allocator: nothing may leak.
 */
#include <stdlib.h>
#include <string.h>

#include "h2_script.h"
#include "test.h"
#include "test_alloc.h"

typedef void (*setup_fn)(h2_conn *conn);

static const int cuts[] = {CUT_WHOLE, CUT_BYTES, CUT_SEVEN, CUT_RANDOM,
                           CUT_RANDOM, CUT_RANDOM};

static void show_mismatch(const char *name, int cut, const char *want,
                          const char *got) {
  fprintf(stderr, "--- %s (cut %d): expected events:\n%s--- got:\n%s---\n",
          name, cut, want, got ? got : "(none)\n");
}

/* Runs one scripted case under every cut. `sent` lists substrings that
 * must appear in the log of frames the client sent (NULL-terminated). */
static void run_case(const char *name, const h2_conn_options *options,
                     setup_fn setup, const h2_script *script, int close_after,
                     const char *want_events, const char *const *sent) {
  for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, options, &ta.allocator) == 0);
    if (setup) setup(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, script, cuts[c], 1000 + c, close_after, &log);
    const char *got = log.events ? log.events : "";
    if (strcmp(got, want_events) != 0) {
      test_failures++;
      show_mismatch(name, cuts[c], want_events, got);
    }
    for (size_t i = 0; sent && sent[i]; i++) {
      test_checks++;
      if (!log.sent || !strstr(log.sent, sent[i])) {
        test_failures++;
        fprintf(stderr, "--- %s (cut %d): sent frames lack \"%s\":\n%s", name,
                cuts[c], sent[i], log.sent ? log.sent : "(none)\n");
      }
    }
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
}

static const uint32_t no_settings[] = {0, 0};

/* The usual opening: the server's SETTINGS and its ACK of ours. */
static void open_server(h2_script *s) {
  script_settings(s, no_settings, 0);
  script_settings_ack(s);
}

static void one_get(h2_conn *conn) { CHECK_EQ_INT(submit_get(conn, "/a"), 1); }

static void two_gets(h2_conn *conn) {
  CHECK_EQ_INT(submit_get(conn, "/a"), 1);
  CHECK_EQ_INT(submit_get(conn, "/b"), 3);
}

/* ---- Responses ---------------------------------------------------------- */

static void test_simple_get(void) {
  h2_script s;
  script_init(&s);
  open_server(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", "content-length", "5", NULL);
  script_data(&s, 1, "hello", 5, 1, 0);
  static const char *sent[] = {
      "SETTINGS 0 flags=0\n",
      "HEADERS 1 flags=5 rv=0 :method=GET :scheme=http :authority=example.com :path=/a\n",
      "SETTINGS 0 flags=1\n", NULL};
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "HEADERS 1 200 :status=200 content-length=5\n"
           "DATA 1 5 %016llx\n"
           "END 1\n",
           (unsigned long long)script_hash("hello", 5));
  run_case("simple get", NULL, one_get, &s, 0, want, sent);
  script_free(&s);
}

static void test_interleaved_streams_padding_continuation(void) {
  h2_script s;
  script_init(&s);
  open_server(&s);
  static char big[1200];
  memset(big, 'v', sizeof(big));
  big[sizeof(big) - 1] = 0;
  script_headers(&s, 3, 0, 300, ":status", "200", "x-big", big, NULL);
  script_headers(&s, 1, 0, 0, ":status", "404", NULL);
  script_data(&s, 3, "0123456789", 10, 0, 7);
  script_data(&s, 1, "nf", 2, 1, 0);
  script_data(&s, 3, "abc", 3, 0, 0);
  script_headers(&s, 3, 1, 0, "x-checksum", "42", NULL);
  char want[8192];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "HEADERS 3 200 :status=200 x-big=%s\n"
           "HEADERS 1 404 :status=404\n"
           "DATA 3 10 %016llx\n"
           "DATA 1 2 %016llx\n"
           "END 1\n"
           "DATA 3 3 %016llx\n"
           "TRAILERS 3 flags=1 x-checksum=42\n"
           "END 3\n",
           big, (unsigned long long)script_hash("0123456789", 10),
           (unsigned long long)script_hash("nf", 2),
           (unsigned long long)script_hash("abc", 3));
  run_case("interleaved", NULL, two_gets, &s, 0, want, NULL);
  script_free(&s);
}

TEST_MAIN("conn", TEST_CASE(test_simple_get),
          TEST_CASE(test_interleaved_streams_padding_continuation))
