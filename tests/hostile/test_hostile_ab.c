/*
 * Hostile-server suite, sections A (connection preface and SETTINGS) and
 * B (frame layer) of the hostile-server checklist (spec section 4), cases
 * 1-40. The TLS and ALPN parts of section A belong to section I.
 *
 * Every scripted case runs under every cut of the server's bytes (whole,
 * per byte, sevens, random) with a counting allocator that must end at 0
 * live bytes; the events must match exactly. Connection errors must reset
 * every open stream with the fatal code, send GOAWAY(0, code), and parse
 * nothing after the fault: each such script carries valid responses after
 * the fault that would show up as events if they were parsed. Cases that
 * need a clock, exact output order or memory budgets drive the connection
 * by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "h2_script.h"
#include "script_case.h"
#include "test.h"
#include "test_alloc.h"

/* ---- Shared scripts and setups --------------------------------------- */

/* A POST whose body is queued but not ended, so an upload is pending. */
static void post_open(h2_conn *conn) {
  h2_header f[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, f, 3, 0, NULL), 1);
  static uint8_t body[1000];
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, sizeof(body), 0), 1000);
}

/* A complete "200, ok" response on `id`, and the events it produces. */
static void respond_ok(h2_script *s, uint32_t id) {
  script_headers(s, id, 0, 0, ":status", "200", NULL);
  script_data(s, id, "ok", 2, 1, 0);
}

static void ok_events(char *out, size_t size, uint32_t id) {
  snprintf(out, size, "HEADERS %u 200 :status=200\nDATA %u 2 %016llx\nEND %u\n",
           id, id, (unsigned long long)script_hash("ok", 2), id);
}

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* A 9-byte frame header with any length (up to 2^24 - 1) and no payload. */
static void frame_header_only(h2_script *s, uint32_t length, uint8_t type,
                              uint8_t flags, uint32_t stream) {
  uint8_t h[9] = {(uint8_t)(length >> 16), (uint8_t)(length >> 8),
                  (uint8_t)length, type, flags, 0, 0, 0, 0};
  be32(h + 5, stream);
  script_raw(s, h, 9);
}

/* ---- A runner with post-run checks ----------------------------------- */

typedef struct case_spec {
  const char *name;
  const h2_conn_options *options;
  setup_fn setup;
  int close_after;
  const char *want;            /* exact events log */
  const char *const *sent;     /* substrings the sent frames must hold */
  const char *const *unsent;   /* substrings they must not hold */
  after_fn after;              /* extra checks on the finished connection */
} case_spec;

/* run_script_case, plus frames that must not be sent and a hook that can
 * read counters and state before the connection is freed: the shared
 * runner without its scope and counter checks, which these cases make in
 * their `after` hooks where they matter. */
static void run_checked(const case_spec *c, const h2_script *script) {
  case_want w = {.events = c->want, .sent = c->sent, .unsent = c->unsent,
            .after = c->after, .close_after = c->close_after, .seed = 2000,
            .loose = 1};
  run_case(c->name, c->options, c->setup, script, &w);
}

/* After a connection error: closed, and further input is refused without
 * being parsed (no event, no output). */
static void after_fatal(h2_conn *conn, const conn_log *log) {
  CHECK(h2_conn_is_closed(conn));
  int code = log->recv_result;
  CHECK(h2_error_is_fatal(code));
  static const uint8_t ping[17] = {0, 0, 8, 6, 0, 0, 0, 0, 0,
                                   'l', 'a', 't', 'e', 'p', 'i', 'n', 'g'};
  CHECK_EQ_INT(h2_conn_recv(conn, ping, sizeof(ping)), code);
  h2_event e;
  CHECK_EQ_INT(h2_conn_poll(conn, &e, 1), 0);
  const uint8_t *out;
  CHECK_EQ_INT(h2_conn_peek_output(conn, &out), 0);
}

/* A connection error with streams 1 and 3 in flight. `bad` writes the
 * fault; with `opened` the server's SETTINGS and ACK come first. Valid
 * responses for both streams follow the fault and must not be parsed.
 * `wire` is the GOAWAY code name, or NULL when no GOAWAY may be sent. */
static void conn_error_opts(const char *name, const h2_conn_options *o,
                            int opened, const char *before,
                            void (*bad)(h2_script *), int code,
                            const char *wire) {
  h2_script s;
  script_init(&s);
  if (opened) script_open_server(&s);
  bad(&s);
  respond_ok(&s, 1);
  respond_ok(&s, 3);
  char want[512], goaway[128];
  snprintf(want, sizeof(want),
           "%s%sRESET 1 err=%d\nRESET 3 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           opened ? "SETTINGS 0\n" : "", before, code, code, code);
  snprintf(goaway, sizeof(goaway), "GOAWAY last=0 %s\n", wire ? wire : "");
  const char *sent[] = {goaway, NULL};
  const char *no_goaway[] = {"GOAWAY", NULL};
  /* Nothing may answer frames that came after the fault. */
  const char *unsent[] = {"RST_STREAM", "PING 0 flags=1", NULL};
  case_spec c = {name, o, setup_two_gets, 0, want, wire ? sent : NULL,
                 wire ? unsent : no_goaway, after_fatal};
  run_checked(&c, &s);
  script_free(&s);
}

static void conn_error(const char *name, int opened, void (*bad)(h2_script *),
                       int code, const char *wire) {
  conn_error_opts(name, NULL, opened, "", bad, code, wire);
}

/* The same, when the fault comes after events of its own: `before` is what
 * the script legitimately produced first (its own SETTINGS, a HEADERS). */
static void conn_error_after(const char *name, int opened, const char *before,
                             void (*bad)(h2_script *), int code,
                             const char *wire) {
  conn_error_opts(name, NULL, opened, before, bad, code, wire);
}

/* A stream error on stream 1 while stream 3 completes. The server's frames
 * for stream 1 that were in flight after the fault are dropped quietly. */
static void stream_error(const char *name, void (*bad)(h2_script *), int code,
                         const char *rst) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  bad(&s);
  respond_ok(&s, 1);
  respond_ok(&s, 3);
  char want[512], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want), "SETTINGS 0\nRESET 1 err=%d flags=4\n%s", code, ok3);
  const char *sent[] = {rst, NULL};
  const char *unsent[] = {"GOAWAY", "RST_STREAM 3", NULL};
  case_spec c = {name, NULL, setup_two_gets, 0, want, sent, unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

/* A case that must pass without any error: streams 1 and 3 complete after
 * `body` ran. */
static void accepted_opts(const char *name, const h2_conn_options *o,
                          void (*body)(h2_script *), const char *prefix,
                          after_fn after) {
  h2_script s;
  script_init(&s);
  body(&s);
  respond_ok(&s, 1);
  respond_ok(&s, 3);
  char want[1024], ok1[256], ok3[256];
  ok_events(ok1, sizeof(ok1), 1);
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want), "%s%s%s", prefix, ok1, ok3);
  const char *unsent[] = {"GOAWAY", "RST_STREAM", NULL};
  case_spec c = {name, o, setup_two_gets, 0, want, NULL, unsent, after};
  run_checked(&c, &s);
  script_free(&s);
}

static void accepted(const char *name, void (*body)(h2_script *),
                     const char *prefix) {
  accepted_opts(name, NULL, body, prefix, NULL);
}

/* Feeds a script whole and drains events and output. */
static void feed(h2_conn *conn, const h2_script *s, conn_log *log) {
  conn_run(conn, s, CUT_WHOLE, 1, 0, log);
}

/* =====================================================================
 * A. Connection preface and SETTINGS
 * ===================================================================== */

static void first_ping(h2_script *s) { script_ping(s, 0, "12345678"); }
static void first_window_update(h2_script *s) { script_window_update(s, 0, 100); }
static void first_headers(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", NULL);
}
static void first_settings_ack(h2_script *s) { script_settings_ack(s); }
static void first_data(h2_script *s) { script_data(s, 1, "x", 1, 1, 0); }

/* 1. First server frame is not SETTINGS (PING, WINDOW_UPDATE, HEADERS)
 *    -> conn PROTOCOL_ERROR (GOAWAY optional). */
static void case_01_first_frame_not_settings(void) {
  conn_error("01 PING first", 0, first_ping, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("01 WINDOW_UPDATE first", 0, first_window_update,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("01 HEADERS first", 0, first_headers, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("01 DATA first", 0, first_data, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  /* A SETTINGS ACK is not the server's preface SETTINGS either. */
  conn_error("01 SETTINGS ACK first", 0, first_settings_ack,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
}

static void http1_reply(h2_script *s) {
  script_raw(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 47);
}

/* 2. Server answers in HTTP/1.1 -> rejected from the 9-byte header, without
 *    allocating or waiting for the payload; "not speaking HTTP/2". */
static void case_02_http1_reply(void) {
  /* No GOAWAY: the peer would not understand it (GOAWAY is optional, 3.4). */
  conn_error("02 HTTP/1.1 reply", 0, http1_reply, H2_ERR_NOT_HTTP2, NULL);

  /* Decided from the first nine bytes, with no payload buffer: anything
   * that buffered the announced 4.7 MB, or even one max-size frame
   * (16384 bytes), would show in the high-water mark. What remains is the
   * bookkeeping of two stream resets and the error event. */
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_two_gets(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  size_t before = ta.peak_bytes;
  CHECK_EQ_INT(h2_conn_recv(conn, (const uint8_t *)"HTTP/1.1 ", 9), H2_ERR_NOT_HTTP2);
  CHECK(ta.peak_bytes - before < 4096);
  CHECK(strstr(h2_conn_error_detail(conn), "HTTP/1.1") != NULL);
  conn_flush(conn, &log);
  CHECK(strstr(log.events, "CONNERR 0 err=-957\nCLOSED 0\n") != NULL);
  CHECK(strstr(log.sent, "GOAWAY") == NULL);
  h2_conn_del(conn);
  conn_log_free(&log);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* Feeds `prefix` (cut as asked), then lets the clock run: nothing fires
 * before 10 s of unacknowledged SETTINGS, SETTINGS_TIMEOUT fires at 10 s. */
static void expect_settings_timeout(const h2_script *prefix, int cut,
                                    const char *want) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_one_get(conn);
  CHECK_EQ_INT(h2_conn_tick(conn, 1000), 0);
  CHECK_EQ_INT(h2_conn_next_deadline(conn), 11000);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, prefix, cut, 5, 0, &log);
  CHECK_EQ_INT(h2_conn_tick(conn, 10999), 0);
  CHECK(!h2_conn_is_closed(conn));
  CHECK_EQ_INT(h2_conn_tick(conn, 11000), H2_ERR_CONN_SETTINGS_TIMEOUT);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_SETTINGS_TIMEOUT), 1);
  conn_flush(conn, &log);
  CHECK(log.events && strcmp(log.events, want) == 0);
  if (log.events && strcmp(log.events, want) != 0)
    fprintf(stderr, "settings timeout: got\n%s", log.events);
  CHECK(strstr(log.sent, "GOAWAY last=0 SETTINGS_TIMEOUT\n") != NULL);
  CHECK(h2_conn_is_closed(conn));
  CHECK_EQ_INT(h2_conn_next_deadline(conn), UINT64_MAX);
  /* A later tick or input changes nothing. */
  CHECK_EQ_INT(h2_conn_tick(conn, 20000), H2_ERR_CONN_SETTINGS_TIMEOUT);
  h2_conn_del(conn);
  conn_log_free(&log);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* 3. Server sends nothing after TLS, or a partial frame header and stalls
 *    -> preface or SETTINGS timeout (default 10 s), then close; no hang. */
static void case_03_silent_or_stalled_server(void) {
  static const char timeout[] =
      "RESET 1 err=-904\nCONNERR 0 err=-904\nCLOSED 0\n";
  static const char timeout_after_settings[] =
      "SETTINGS 0\nRESET 1 err=-904\nCONNERR 0 err=-904\nCLOSED 0\n";
  h2_script s;
  script_init(&s);
  for (size_t c = 0; c < 6; c++) expect_settings_timeout(&s, script_cuts[c], timeout);
  /* Half of the preface SETTINGS' frame header, then silence. */
  script_raw(&s, "\x00\x00\x00\x04", 4);
  for (size_t c = 0; c < 6; c++) expect_settings_timeout(&s, script_cuts[c], timeout);
  script_free(&s);
  /* A complete SETTINGS, then half of the next frame header. */
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  script_raw(&s, "\x00\x00\x08\x06\x00", 5);
  for (size_t c = 0; c < 6; c++)
    expect_settings_timeout(&s, script_cuts[c], timeout_after_settings);
  script_free(&s);
}

/* Two responses whose second one refers, by index, to a 1000-byte entry
 * the first one added: legal with the RFC's 4096-byte table, impossible
 * within the 256 bytes we asked for. */
static void big_indexed_responses(h2_script *s) {
  uint8_t block[1100];
  size_t n = 0;
  block[n++] = 0x88;                       /* :status: 200 */
  block[n++] = 0x40;                       /* literal, incremental indexing */
  block[n++] = 5;
  memcpy(block + n, "x-big", 5);
  n += 5;
  block[n++] = 0x7f;                       /* value length 1000 = 127 + 873 */
  block[n++] = 0x80 | (873 & 0x7f);
  block[n++] = 873 >> 7;
  memset(block + n, 'b', 1000);
  n += 1000;
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS | H2_FLAG_END_STREAM, 1,
               block, n);
  static const uint8_t again[] = {0x88, 0xbe}; /* :status: 200, index 62 */
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS | H2_FLAG_END_STREAM, 3,
               again, sizeof(again));
}

/* 4. Server never ACKs our SETTINGS -> after 10 s, conn SETTINGS_TIMEOUT.
 *    Until the ACK, keep using the old HPACK limits. */
static void case_04_settings_never_acked(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.header_table_size = 256;
  static char big[1001];
  memset(big, 'b', 1000);
  char want[4096];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "HEADERS 1 200 flags=1 :status=200 x-big=%s\nEND 1\n"
           "HEADERS 3 200 flags=1 :status=200 x-big=%s\nEND 3\n",
           big, big);
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0); /* and no ACK, ever */
  big_indexed_responses(&s);
  for (size_t c = 0; c < 6; c++) {
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, &o, &ta.allocator) == 0);
    setup_two_gets(conn);
    CHECK_EQ_INT(h2_conn_tick(conn, 0), 0);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &s, script_cuts[c], 40 + c, 0, &log);
    CHECK(log.events && strcmp(log.events, want) == 0);
    CHECK_EQ_INT(h2_conn_tick(conn, 9999), 0);
    CHECK_EQ_INT(h2_conn_tick(conn, 10000), H2_ERR_CONN_SETTINGS_TIMEOUT);
    CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_SETTINGS_TIMEOUT), 1);
    conn_flush(conn, &log);
    CHECK(strstr(log.events, "END 3\nCONNERR 0 err=-904\nCLOSED 0\n") != NULL);
    CHECK(strstr(log.sent, "GOAWAY last=0 SETTINGS_TIMEOUT\n") != NULL);
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
  script_free(&s);
}

static void settings_on_stream_1(h2_script *s) {
  script_frame(s, H2_FRAME_SETTINGS, 0, 1, NULL, 0);
}

/* 5. SETTINGS on stream 1 -> conn PROTOCOL_ERROR. */
static void case_05_settings_on_stream(void) {
  conn_error("05 SETTINGS on stream 1", 1, settings_on_stream_1,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("05 preface SETTINGS on stream 1", 0, settings_on_stream_1,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
}

static void settings_length_7(h2_script *s) {
  script_frame(s, H2_FRAME_SETTINGS, 0, 0, "\x00\x03\x00\x00\x00\x64\x00", 7);
}

/* 6. SETTINGS with length 7 (not a multiple of 6) -> conn FRAME_SIZE_ERROR. */
static void case_06_settings_length_7(void) {
  conn_error("06 SETTINGS length 7", 1, settings_length_7,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  /* As the very first frame it is still a SETTINGS frame from an HTTP/2
   * server, so it gets the precise FRAME_SIZE_ERROR (docs/limits.md);
   * only a first frame of another type means "not speaking HTTP/2". */
  conn_error("06 preface SETTINGS length 7", 0, settings_length_7,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

static void ack_with_payload(h2_script *s) {
  script_settings(s, script_no_settings, 0);
  script_frame(s, H2_FRAME_SETTINGS, H2_FLAG_ACK, 0, "\x00\x03\x00\x00\x00\x64", 6);
}

/* 7. SETTINGS ACK with a 6-byte payload -> conn FRAME_SIZE_ERROR. */
static void case_07_settings_ack_with_payload(void) {
  conn_error_after("07 SETTINGS ACK with payload", 0, "SETTINGS 0\n", ack_with_payload,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

static void push_1(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_ENABLE_PUSH, 1};
  script_settings(s, p, 1);
}
static void push_2(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_ENABLE_PUSH, 2};
  script_settings(s, p, 1);
}
static void push_0(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_ENABLE_PUSH, 0};
  script_settings(s, p, 1);
  script_settings_ack(s);
}

/* 8. SETTINGS_ENABLE_PUSH = 1 from the server -> conn PROTOCOL_ERROR; the
 *    value 2 -> conn PROTOCOL_ERROR. */
static void case_08_server_enable_push(void) {
  conn_error("08 ENABLE_PUSH=1 first", 0, push_1, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("08 ENABLE_PUSH=1 later", 1, push_1, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("08 ENABLE_PUSH=2", 0, push_2, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("08 ENABLE_PUSH=2 later", 1, push_2, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  accepted("08 ENABLE_PUSH=0 is fine", push_0, "SETTINGS 0\n");
}

static void window_2_31(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0x80000000u};
  script_settings(s, p, 1);
}
static void window_max_u32(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0xffffffffu};
  script_settings(s, p, 1);
}
static void window_2_31_minus_1(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0x7fffffffu};
  script_settings(s, p, 1);
  script_settings_ack(s);
}

/* 9. SETTINGS_INITIAL_WINDOW_SIZE = 2^31 (or 0xFFFFFFFF) -> conn
 *    FLOW_CONTROL_ERROR. */
static void case_09_initial_window_too_large(void) {
  conn_error("09 INITIAL_WINDOW_SIZE=2^31", 1, window_2_31,
             H2_ERR_CONN_FLOW_CONTROL, "FLOW_CONTROL_ERROR");
  conn_error("09 INITIAL_WINDOW_SIZE=2^32-1", 0, window_max_u32,
             H2_ERR_CONN_FLOW_CONTROL, "FLOW_CONTROL_ERROR");
  accepted("09 INITIAL_WINDOW_SIZE=2^31-1 is fine", window_2_31_minus_1,
           "SETTINGS 0\n");
}

static void window_then_initial_raise(h2_script *s) {
  script_open_server(s);
  /* Stream 1: 65535 + 2147418012 = 2^31 - 1 - 100. */
  script_window_update(s, 1, 0x7fffffffu - 100 - 65535);
  static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 65535 + 1000};
  script_settings(s, p, 1);
}
static void window_then_initial_raise_fits(h2_script *s) {
  script_open_server(s);
  script_window_update(s, 1, 0x7fffffffu - 100 - 65535);
  static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 65535 + 100};
  script_settings(s, p, 1);
}

/* 10. INITIAL_WINDOW_SIZE increase overflows an open stream's send window
 *     (stream 1 at 2^31-100, then +1000) -> conn FLOW_CONTROL_ERROR. */
static void case_10_initial_window_overflows_stream(void) {
  char want[256];
  snprintf(want, sizeof(want), "SETTINGS 0\nRESET 1 err=%d\nRESET 3 err=%d\n"
           "CONNERR 0 err=%d\nCLOSED 0\n", H2_ERR_CONN_FLOW_CONTROL,
           H2_ERR_CONN_FLOW_CONTROL, H2_ERR_CONN_FLOW_CONTROL);
  h2_script s;
  script_init(&s);
  window_then_initial_raise(&s);
  respond_ok(&s, 1);
  respond_ok(&s, 3);
  const char *sent[] = {"GOAWAY last=0 FLOW_CONTROL_ERROR\n", NULL};
  case_spec c = {"10 stream window overflow", NULL, setup_two_gets, 0, want, sent,
                 NULL, after_fatal};
  run_checked(&c, &s);
  script_free(&s);
  /* Exactly up to 2^31 - 1 is legal. */
  accepted("10 stream window at 2^31-1", window_then_initial_raise_fits,
           "SETTINGS 0\nSETTINGS 0\n");
}

static void post_big(h2_conn *conn) {
  h2_header f[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, f, 3, 0, NULL), 1);
  static uint8_t body[100000];
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, sizeof(body), 1), (int)sizeof(body));
}

/* One step of an upload: the server's frames, cut as asked, then the body
 * bytes the client must have sent so far. */
static void upload_step(h2_conn *conn, conn_log *log, int cut,
                        void (*frames)(h2_script *), uint64_t want_sent) {
  h2_script s;
  script_init(&s);
  frames(&s);
  conn_run(conn, &s, cut, 11, 0, log);
  CHECK_EQ_INT(log->body_sent[0], want_sent);
  script_free(&s);
}

static void step_open_and_more_connection_window(h2_script *s) {
  script_open_server(s);
  script_window_update(s, 0, 200000);
}
static void step_window_to_zero(h2_script *s) {
  static const uint32_t zero[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
  script_settings(s, zero, 1); /* stream 1: 0 - 65535 = -65535 */
  script_window_update(s, 1, 20000); /* -45535, about -44 KB */
}
static void step_to_plus_one(h2_script *s) { script_window_update(s, 1, 45536); }
static void step_rest(h2_script *s) { script_window_update(s, 1, 100000); }

/* 11. INITIAL_WINDOW_SIZE drops to 0 mid-upload -> the send window goes
 *     negative (-44 KB); no DATA until WINDOW_UPDATE makes it positive; no
 *     underflow, no busy loop. */
static void case_11_initial_window_drops_to_zero(void) {
  for (size_t c = 0; c < 6; c++) {
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
    post_big(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_flush(conn, &log);
    /* The first flight fills the RFC default windows. */
    CHECK_EQ_INT(log.body_sent[0], 65535);
    upload_step(conn, &log, script_cuts[c], step_open_and_more_connection_window, 65535);
    upload_step(conn, &log, script_cuts[c], step_window_to_zero, 65535);
    upload_step(conn, &log, script_cuts[c], step_to_plus_one, 65536);
    upload_step(conn, &log, script_cuts[c], step_rest, 100000);
    CHECK(strstr(log.sent, "DATA 1 END total=100000\n") != NULL);
    CHECK(strstr(log.sent, "RST_STREAM") == NULL && strstr(log.sent, "GOAWAY") == NULL);
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
}

static void max_frame_0(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_MAX_FRAME_SIZE, 0};
  script_settings(s, p, 1);
}
static void max_frame_16383(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_MAX_FRAME_SIZE, 16383};
  script_settings(s, p, 1);
}
static void max_frame_2_24(h2_script *s) {
  static const uint32_t p[] = {H2_SETTINGS_MAX_FRAME_SIZE, 16777216};
  script_settings(s, p, 1);
}

/* A pending upload (stream 1) must not spin when the frame size is bad. */
static void max_frame_case(const char *name, void (*bad)(h2_script *)) {
  h2_script s;
  script_init(&s);
  bad(&s);
  respond_ok(&s, 1);
  char want[256];
  snprintf(want, sizeof(want), "RESET 1 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           H2_ERR_CONN_PROTOCOL, H2_ERR_CONN_PROTOCOL);
  const char *sent[] = {"GOAWAY last=0 PROTOCOL_ERROR\n", NULL};
  case_spec c = {name, NULL, post_open, 0, want, sent, NULL, after_fatal};
  run_checked(&c, &s);
  script_free(&s);
}

/* The largest legal value: accepted, and the upload still completes. */
static void case_12_valid_extreme(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  static const uint32_t p[] = {H2_SETTINGS_MAX_FRAME_SIZE, 16777215};
  script_settings(&s, p, 1);
  script_settings_ack(&s);
  script_window_update(&s, 0, 100000);
  script_window_update(&s, 1, 100000);
  conn_log log;
  memset(&log, 0, sizeof(log));
  post_big(conn);
  feed(conn, &s, &log);
  CHECK_EQ_INT(h2_conn_peer_setting(conn, H2_SETTINGS_MAX_FRAME_SIZE), 16777215);
  CHECK(strstr(log.sent, "DATA 1 END total=100000\n") != NULL);
  CHECK(!h2_conn_is_closed(conn));
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* 12. SETTINGS_MAX_FRAME_SIZE = 0, 16383 or 16,777,216 -> conn
 *     PROTOCOL_ERROR; a pending upload never spins on a zero chunk size. */
static void case_12_max_frame_size_out_of_range(void) {
  max_frame_case("12 MAX_FRAME_SIZE=0", max_frame_0);
  max_frame_case("12 MAX_FRAME_SIZE=16383", max_frame_16383);
  max_frame_case("12 MAX_FRAME_SIZE=2^24", max_frame_2_24);
  case_12_valid_extreme();
}

/* A SETTINGS frame of `count` entries with unknown ids (0x0A and up). */
static void settings_unknown(h2_script *s, uint32_t count) {
  uint8_t *p = malloc(6 * (size_t)count);
  for (uint32_t i = 0; i < count; i++)
    h2_setting_pack(p + 6 * i, (uint16_t)(0x0a + i % 0xfff0), i);
  script_frame(s, H2_FRAME_SETTINGS, 0, 0, p, 6 * (size_t)count);
  free(p);
}

static void unknown_ids(h2_script *s) {
  static const uint32_t p[] = {0x0a, 1, 0xffff, 0xffffffffu, 0x07, 5,
                               H2_SETTINGS_MAX_CONCURRENT_STREAMS, 50};
  script_settings(s, p, 4);
  script_settings_ack(s);
  settings_unknown(s, 32); /* exactly the limit */
}
static void settings_33(h2_script *s) {
  script_open_server(s);
  settings_unknown(s, 33);
}
static void settings_2400_repeated(h2_script *s) {
  script_open_server(s);
  for (int i = 0; i < 3; i++) settings_unknown(s, 2400); /* 14,400 bytes */
}

static void after_unknown_ids(h2_conn *conn, const conn_log *log) {
  (void)log;
  CHECK_EQ_INT(h2_conn_peer_max_concurrent_streams(conn), 50);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_SETTINGS_TOO_LARGE), 0);
}

static void after_settings_flood(h2_conn *conn, const conn_log *log) {
  after_fatal(conn, log);
  /* Only the first oversized frame was looked at. */
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_SETTINGS_TOO_LARGE), 1);
}

/* 13. Unknown setting ids -> ignored. A SETTINGS frame with 2,400 entries
 *     sent repeatedly -> bounded CPU; more than 32 entries -> conn
 *     ENHANCE_YOUR_CALM. */
static void case_13_unknown_and_too_many_settings(void) {
  accepted_opts("13 unknown ids ignored", NULL, unknown_ids,
                "SETTINGS 0\nSETTINGS 0\n", after_unknown_ids);
  char want[256];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nRESET 1 err=%d\nRESET 3 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           H2_ERR_CONN_ENHANCE_YOUR_CALM, H2_ERR_CONN_ENHANCE_YOUR_CALM,
           H2_ERR_CONN_ENHANCE_YOUR_CALM);
  const char *sent[] = {"GOAWAY last=0 ENHANCE_YOUR_CALM\n", NULL};
  void (*bad[])(h2_script *) = {settings_33, settings_2400_repeated};
  const char *names[] = {"13 33 entries", "13 2400 entries, repeated"};
  for (int i = 0; i < 2; i++) {
    h2_script s;
    script_init(&s);
    bad[i](&s);
    respond_ok(&s, 1);
    case_spec c = {names[i], NULL, setup_two_gets, 0, want, sent, NULL, after_settings_flood};
    run_checked(&c, &s);
    script_free(&s);
  }
}

/* 14. Duplicate ids in one frame (INITIAL_WINDOW_SIZE=100, then 200) ->
 *     applied in order, last wins, no error. */
static void case_14_duplicate_setting_ids(void) {
  for (size_t c = 0; c < 6; c++) {
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
    h2_script s;
    script_init(&s);
    static const uint32_t p[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 100,
                                 H2_SETTINGS_MAX_CONCURRENT_STREAMS, 7,
                                 H2_SETTINGS_INITIAL_WINDOW_SIZE, 200,
                                 H2_SETTINGS_MAX_CONCURRENT_STREAMS, 9};
    script_settings(&s, p, 4);
    script_settings_ack(&s);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &s, script_cuts[c], 14, 0, &log);
    CHECK_EQ_INT(h2_conn_peer_setting(conn, H2_SETTINGS_INITIAL_WINDOW_SIZE), 200);
    CHECK_EQ_INT(h2_conn_peer_max_concurrent_streams(conn), 9);
    /* The upload is held to the last value's window. */
    post_big(conn);
    conn_flush(conn, &log);
    CHECK_EQ_INT(log.body_sent[0], 200);
    CHECK(strcmp(log.events, "SETTINGS 0\n") == 0);
    script_free(&s);
    conn_log_free(&log);
    h2_conn_del(conn);
  }
}

/* 15. SETTINGS_MAX_CONCURRENT_STREAMS = 0, or lower than the streams now
 *     open -> no error; open streams continue; new requests queue; no busy
 *     wait. */
static void case_15_max_concurrent_streams_lowered(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  setup_two_gets(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  h2_script s;
  script_init(&s);
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_settings(&s, one, 1);
  script_settings_ack(&s);
  feed(conn, &s, &log);
  script_free(&s);
  /* Two open, limit one: both continue, a new request waits. */
  CHECK_EQ_INT(h2_conn_open_streams(conn), 2);
  CHECK_EQ_INT(submit_get(conn, "/c"), 5);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "HEADERS 5") == NULL);
  script_init(&s);
  respond_ok(&s, 1);
  feed(conn, &s, &log);
  script_free(&s);
  /* Still one open (stream 3): stream 5 keeps waiting. */
  CHECK(strstr(log.sent, "HEADERS 5") == NULL);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  /* Limit 0 while stream 3 is open: no error, it completes. */
  script_init(&s);
  static const uint32_t zero[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 0};
  script_settings(&s, zero, 1);
  respond_ok(&s, 3);
  feed(conn, &s, &log);
  script_free(&s);
  CHECK(strstr(log.events, "END 3\n") != NULL);
  CHECK(strstr(log.sent, "HEADERS 5") == NULL);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  CHECK(!h2_conn_is_closed(conn) && h2_conn_can_submit(conn));
  /* Polling an idle connection does nothing: no busy work to find. */
  const uint8_t *out;
  CHECK_EQ_INT(h2_conn_peek_output(conn, &out), 0);
  /* Raising the limit releases the waiting request. */
  script_init(&s);
  script_settings(&s, one, 1);
  feed(conn, &s, &log);
  script_free(&s);
  CHECK(strstr(log.sent, "HEADERS 5 flags=5") != NULL);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 0);
  CHECK(strstr(log.events, "CONNERR") == NULL);
  CHECK(strstr(log.sent, "GOAWAY") == NULL && strstr(log.sent, "RST_STREAM") == NULL);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* The first HEADERS payload in `out`. */
static const uint8_t *find_headers(const uint8_t *out, size_t n, uint32_t id,
                                   uint32_t *length) {
  size_t at = 0;
  if (n >= 24 && memcmp(out, "PRI * HTTP/2.0", 14) == 0) at = 24;
  while (at + 9 <= n) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, out + at);
    if (hd.type == H2_FRAME_HEADERS && hd.stream_id == id) {
      *length = hd.length;
      return out + at + 9;
    }
    at += 9 + hd.length;
  }
  return NULL;
}

static void submit_big_header(h2_conn *conn, uint32_t want_id, int i) {
  char name[16], value[1000];
  snprintf(name, sizeof(name), "x-h%d", i);
  memset(value, 'a' + i % 26, sizeof(value));
  h2_header f[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/", 5, 1, 0, 0},
      {(const uint8_t *)name, (const uint8_t *)value, (uint32_t)strlen(name),
       sizeof(value), 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, f, 4, 1, NULL), (int)want_id);
}

/* Peak memory of a connection that sends 20 requests, each with a new
 * 1000-byte header, after the server announced `table_size`. */
static size_t peak_with_table_size(uint32_t table_size) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  if (h2_conn_client_new(&conn, NULL, &ta.allocator) != 0) return 0;
  h2_script s;
  script_init(&s);
  const uint32_t p[] = {H2_SETTINGS_HEADER_TABLE_SIZE, table_size};
  script_settings(&s, p, 1);
  script_settings_ack(&s);
  conn_log log;
  memset(&log, 0, sizeof(log));
  feed(conn, &s, &log);
  for (int i = 0; i < 20; i++) {
    submit_big_header(conn, 1 + 2 * (uint32_t)i, i);
    conn_flush(conn, &log);
  }
  CHECK(strstr(log.sent, "rv=-") == NULL);
  CHECK(!h2_conn_is_closed(conn));
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
  return ta.peak_bytes;
}

/* 16. SETTINGS_HEADER_TABLE_SIZE = 0xFFFFFFFF from the server -> our
 *     encoder keeps its own cap (4096), no large allocation. With 0 -> our
 *     next request block starts with a size update of 0. */
static void case_16_peer_header_table_size(void) {
  /* 20 KB of indexable fields: an encoder that followed the server's
   * 4 GiB would keep them all; with the 4096 cap it costs exactly what the
   * RFC default costs. */
  size_t baseline = peak_with_table_size(4096);
  size_t huge = peak_with_table_size(0xffffffffu);
  CHECK(baseline > 0);
  CHECK_EQ_INT(huge, baseline);

  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  conn_log log;
  memset(&log, 0, sizeof(log));
  submit_big_header(conn, 1, 0); /* fills our encoder's table a little */
  conn_flush(conn, &log);
  h2_script s;
  script_init(&s);
  static const uint32_t zero[] = {H2_SETTINGS_HEADER_TABLE_SIZE, 0};
  script_settings(&s, zero, 1);
  script_settings_ack(&s);
  feed(conn, &s, &log);
  submit_big_header(conn, 3, 1);
  const uint8_t *out;
  size_t n = h2_conn_peek_output(conn, &out);
  uint32_t length = 0;
  const uint8_t *block = find_headers(out, n, 3, &length);
  REQUIRE(block != NULL && length > 0);
  CHECK_EQ_INT(block[0], 0x20); /* Dynamic Table Size Update to 0 */
  h2_conn_consume_output(conn, n);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* 17. SETTINGS_MAX_HEADER_LIST_SIZE = 10 from the server -> advisory; a
 *     too-large request fails locally with a clear error, not a protocol
 *     error. */
static void case_17_peer_max_header_list_size(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  static const uint32_t tiny[] = {H2_SETTINGS_MAX_HEADER_LIST_SIZE, 10};
  script_settings(&s, tiny, 1);
  script_settings_ack(&s);
  conn_log log;
  memset(&log, 0, sizeof(log));
  feed(conn, &s, &log);
  script_free(&s);
  CHECK_EQ_INT(submit_get(conn, "/"), H2_ERR_HEADER_LIST_TOO_LARGE);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "HEADERS") == NULL && strstr(log.sent, "GOAWAY") == NULL);
  CHECK(!h2_conn_is_closed(conn) && h2_conn_can_submit(conn));
  CHECK_EQ_INT(h2_conn_open_streams(conn), 0);
  /* The connection is still good: a raised limit lets requests through. */
  script_init(&s);
  static const uint32_t big[] = {H2_SETTINGS_MAX_HEADER_LIST_SIZE, 8192};
  script_settings(&s, big, 1);
  feed(conn, &s, &log);
  script_free(&s);
  CHECK_EQ_INT(submit_get(conn, "/"), 1);
  script_init(&s);
  respond_ok(&s, 1);
  feed(conn, &s, &log);
  script_free(&s);
  CHECK(strstr(log.events, "END 1\n") != NULL);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void unsolicited_ack(h2_script *s) {
  script_open_server(s);
  script_settings_ack(s); /* our only SETTINGS was acknowledged already */
}

/* 18. Unsolicited SETTINGS ACK -> documented policy (docs/limits.md):
 *     conn PROTOCOL_ERROR, as the Go client does. */
static void case_18_unsolicited_settings_ack(void) {
  conn_error_after("18 second ACK", 0, "SETTINGS 0\n", unsolicited_ack, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
}

static void settings_pair(h2_script *s, uint32_t id, uint32_t value) {
  const uint32_t p[] = {id, value};
  script_settings(s, p, 1);
}
static void connect_7(h2_script *s) {
  settings_pair(s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 7);
}
static void connect_1_then_0(h2_script *s) {
  script_open_server(s);
  settings_pair(s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1);
  settings_pair(s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 0);
}
static void priorities_2(h2_script *s) {
  script_open_server(s);
  settings_pair(s, H2_SETTINGS_NO_RFC7540_PRIORITIES, 2);
}
static void priorities_1_then_0(h2_script *s) {
  settings_pair(s, H2_SETTINGS_NO_RFC7540_PRIORITIES, 1);
  script_settings_ack(s);
  settings_pair(s, H2_SETTINGS_NO_RFC7540_PRIORITIES, 0);
}
static void sticky_repeated(h2_script *s) {
  settings_pair(s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1);
  script_settings_ack(s);
  settings_pair(s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1);
  settings_pair(s, H2_SETTINGS_NO_RFC7540_PRIORITIES, 1);
  settings_pair(s, H2_SETTINGS_NO_RFC7540_PRIORITIES, 1);
}

/* 19. SETTINGS_ENABLE_CONNECT_PROTOCOL = 7, or 1 followed later by 0 ->
 *     conn PROTOCOL_ERROR; SETTINGS_NO_RFC7540_PRIORITIES likewise. */
static void case_19_one_way_settings(void) {
  conn_error("19 ENABLE_CONNECT_PROTOCOL=7", 0, connect_7, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error_after("19 ENABLE_CONNECT_PROTOCOL 1 then 0", 0, "SETTINGS 0\nSETTINGS 0\n",
                   connect_1_then_0,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error_after("19 NO_RFC7540_PRIORITIES=2", 0, "SETTINGS 0\n",
                   priorities_2, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error_after("19 NO_RFC7540_PRIORITIES 1 then 0", 0, "SETTINGS 0\n", priorities_1_then_0,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  /* Repeating the same value is not a change. */
  accepted("19 same values repeated", sticky_repeated,
           "SETTINGS 0\nSETTINGS 0\nSETTINGS 0\nSETTINGS 0\n");
}

/* 20. Burst of SETTINGS frames while the server does not read our ACKs ->
 *     queued ACKs bounded at 1000, then conn ENHANCE_YOUR_CALM and close. */
static void case_20_settings_ack_flood(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_two_gets(conn);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  conn_log log;
  memset(&log, 0, sizeof(log));
  feed(conn, &s, &log);
  script_free(&s);
  size_t base = ta.live_bytes;
  /* 5000 SETTINGS in one read, while nothing is taken from the output. */
  script_init(&s);
  for (int i = 0; i < 5000; i++) script_settings(&s, script_no_settings, 0);
  respond_ok(&s, 1);
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes, s.length), H2_ERR_CONN_ENHANCE_YOUR_CALM);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_ACK_FLOOD), 1);
  /* Budget: the guard stops after 1000 applied frames, so at most ~1004
   * events wait (1000 SETTINGS, 2 resets, the error, CLOSED) in a queue
   * whose capacity doubles to 1024, briefly next to its 512-entry
   * predecessor while it grows (1536 entries of an h2_event plus a list
   * pointer); the 9000 bytes of ACKs sit in an output buffer that doubles
   * to 16 KiB (32 KiB while growing); 8 KiB for the GOAWAY and the rest.
   * Following all 5000 frames would need over 5000 queued events. */
  size_t budget = 1536 * (sizeof(h2_event) + sizeof(void *)) + 32768 + 8192;
  CHECK(ta.peak_bytes - base < budget);
  conn_flush(conn, &log);
  /* Exactly 1000 ACKs were queued before the flood guard fired. */
  size_t settings_events = 0;
  for (const char *p = log.events; (p = strstr(p, "SETTINGS 0\n")) != NULL; p++)
    settings_events++;
  CHECK_EQ_INT(settings_events, 1 + 1000);
  CHECK(strstr(log.events, "RESET 1 err=-911\nRESET 3 err=-911\n"
                           "CONNERR 0 err=-911\nCLOSED 0\n") != NULL);
  CHECK(strstr(log.events, "HEADERS") == NULL);
  CHECK(strstr(log.sent, "GOAWAY last=0 ENHANCE_YOUR_CALM\n") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);

  /* A server that reads its ACKs may send as many SETTINGS as it likes:
   * conn_run drains the output after every piece. */
  script_init(&s);
  script_open_server(&s);
  for (int i = 0; i < 1500; i++) script_settings(&s, script_no_settings, 0);
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_SEVEN, 20, 0, &log);
  CHECK(strstr(log.events, "CONNERR") == NULL);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_ACK_FLOOD), 0);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* =====================================================================
 * B. Frame layer
 * ===================================================================== */

static void unknown_frames(h2_script *s) {
  script_open_server(s);
  /* ALTSVC (0x0A) with a malformed payload (origin length beyond the
   * frame), on stream 0 and on a stream. */
  script_frame(s, 0x0a, 0, 0, "\xff\xffhttp", 6);
  script_frame(s, 0x0a, 0xff, 1, "\x00", 1);
  /* ORIGIN (0x0C), an empty unknown frame, every flag on an idle and on
   * the largest stream id, and a maximum-size payload. */
  script_frame(s, 0x0c, 0, 0, "\x00\x05hello", 7);
  script_frame(s, 0xfa, 0, 0, NULL, 0);
  script_frame(s, 0xff, 0xff, 0x7fffffffu, "zzzz", 4);
  script_frame(s, 0x0b, 0x08, 2, "\x10", 1);
  static uint8_t max[16384];
  memset(max, 0xee, sizeof(max));
  script_frame(s, 0xc3, 0x25, 3, max, sizeof(max));
}

static void after_unknown_frames(h2_conn *conn, const conn_log *log) {
  (void)log;
  /* Nothing was opened or refused for the ids the frames named. */
  CHECK_EQ_INT(h2_conn_open_streams(conn), 0);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_GLITCH_FLOOD), 0);
}

static void unknown_flood(h2_script *s) {
  script_open_server(s);
  for (int i = 0; i < 6; i++) script_frame(s, 0xfb, 0, 0, "x", 1);
}

static void after_glitch_flood(h2_conn *conn, const conn_log *log) {
  after_fatal(conn, log);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_GLITCH_FLOOD), 1);
}

/* A server-sent PRIORITY_UPDATE: RFC 9218 7.1 makes it a connection
 * PROTOCOL_ERROR, and we implement RFC 9218, so 0x10 is not "unknown". */
static void priority_update(h2_script *s) {
  script_open_server(s);
  script_frame(s, H2_FRAME_PRIORITY_UPDATE, 0, 0, "\x00\x00\x00\x01u=1", 7);
}

/* 21. Unknown or unsupported frame type (0x0A-0xFF; ALTSVC, ORIGIN), any
 *     flags, any stream -> payload skipped, counted in the glitch bucket. */
static void case_21_unknown_frame_types(void) {
  accepted_opts("21 unknown types skipped", NULL, unknown_frames, "SETTINGS 0\n",
                after_unknown_frames);
  /* Each one costs a glitch token: with a burst of 5 the sixth trips. */
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.glitch_burst = 5;
  char want[256];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nRESET 1 err=%d\nRESET 3 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           H2_ERR_CONN_ENHANCE_YOUR_CALM, H2_ERR_CONN_ENHANCE_YOUR_CALM,
           H2_ERR_CONN_ENHANCE_YOUR_CALM);
  h2_script s;
  script_init(&s);
  unknown_flood(&s);
  respond_ok(&s, 1);
  const char *sent[] = {"GOAWAY last=0 ENHANCE_YOUR_CALM\n", NULL};
  case_spec c = {"21 unknown frame flood", &o, setup_two_gets, 0, want, sent, NULL,
                 after_glitch_flood};
  run_checked(&c, &s);
  script_free(&s);
  conn_error_after("21 PRIORITY_UPDATE from a server", 0, "SETTINGS 0\n", priority_update,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
}

static void unknown_inside_block(h2_script *s) {
  script_open_server(s);
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  script_frame(s, 0xfa, 0, 0, NULL, 0);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "", 0);
}
static void unknown_inside_block_same_stream(h2_script *s) {
  script_open_server(s);
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  script_frame(s, 0xfa, 0, 1, "abc", 3);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "", 0);
}

/* 22. Unknown frame type between HEADERS (no END_HEADERS) and its
 *     CONTINUATION -> conn PROTOCOL_ERROR. */
static void case_22_unknown_frame_inside_block(void) {
  conn_error_after("22 unknown frame in block", 0, "SETTINGS 0\n", unknown_inside_block,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error_after("22 unknown frame in block, same stream", 0, "SETTINGS 0\n",
             unknown_inside_block_same_stream, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
}

/* Undefined flags everywhere; only the defined bits may count. */
static void undefined_flags(h2_script *s) {
  /* SETTINGS with every flag but ACK. */
  script_frame(s, H2_FRAME_SETTINGS, 0xfe, 0, NULL, 0);
  script_settings_ack(s);
  /* PING with every flag but ACK: answered. */
  script_frame(s, H2_FRAME_PING, 0xfe, 0, "flags!!!", 8);
  /* HEADERS: END_HEADERS plus undefined bits (not PADDED or PRIORITY). */
  script_frame(s, H2_FRAME_HEADERS, 0x04 | 0x02 | 0x10 | 0x40 | 0x80, 1, "\x88", 1);
  /* DATA: undefined bits only (not END_STREAM, not PADDED). */
  script_frame(s, H2_FRAME_DATA, 0xf6, 1, "ab", 2);
  script_frame(s, H2_FRAME_DATA, 0xf7, 1, "c", 1); /* with END_STREAM */
  /* Stream 3: HEADERS without END_HEADERS, then CONTINUATIONs whose
   * undefined bits include PADDED and END_STREAM: neither applies to
   * CONTINUATION, so nothing is stripped and the stream stays open. */
  script_frame(s, H2_FRAME_HEADERS, 0xd2, 3, "\x88", 1);
  script_frame(s, H2_FRAME_CONTINUATION, 0xfb, 3, "\x00\x03x-a", 5);
  script_frame(s, H2_FRAME_CONTINUATION, 0xff, 3, "\x01" "1", 2);
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0xff, 0, "\x00\x00\x01\x00", 4);
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0xff, 3, "\x00\x00\x01\x00", 4);
  script_frame(s, H2_FRAME_PRIORITY, 0xff, 3, "\x00\x00\x00\x00\x10", 5);
  script_data(s, 3, "xyz", 3, 1, 0);
}

/* 23. Undefined flags (0xFF on PING, 0x02 on DATA, ...) -> ignored. */
static void case_23_undefined_flags(void) {
  h2_script s;
  script_init(&s);
  undefined_flags(&s);
  script_goaway(&s, 3, H2_NO_ERROR, "");
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "HEADERS 1 200 :status=200\nDATA 1 3 %016llx\nEND 1\n"
           "HEADERS 3 200 :status=200 x-a=1\nDATA 3 3 %016llx\nEND 3\n"
           "GOAWAY 0 last=3 debug=\nCLOSED 0\n",
           (unsigned long long)script_hash("abc", 3),
           (unsigned long long)script_hash("xyz", 3));
  /* The PING ACK carries only ACK, whatever the PING's flags were. */
  const char *sent[] = {"PING 0 flags=1\n", NULL};
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"23 undefined flags", NULL, setup_two_gets, 0, want, sent, unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

static void reserved_bits(h2_script *s) {
  script_open_server(s);
  /* Stream id with the reserved bit: HEADERS for stream 1. */
  uint8_t h[4];
  frame_header_only(s, 1, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 0x80000001u);
  script_raw(s, "\x88", 1);
  /* WINDOW_UPDATE increments with the reserved bit: were it kept, each
   * would overflow the windows (a FLOW_CONTROL_ERROR). */
  be32(h, 0x80000000u | 1000);
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, 0, h, 4);
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, 1, h, 4);
}

/* 24. Reserved bit set in the frame-header stream id, the WINDOW_UPDATE
 *     increment, the GOAWAY last-stream-id, or the PUSH_PROMISE promised id
 *     -> masked off and ignored. */
static void case_24_reserved_bits(void) {
  h2_script s;
  script_init(&s);
  reserved_bits(&s);
  script_data(&s, 1, "ok", 2, 1, 0);
  /* GOAWAY naming last stream 0x80000003: stream 3 (still unanswered) may
   * complete, stream 5 was not processed. */
  uint8_t g[8];
  be32(g, 0x80000003u);
  be32(g + 4, H2_NO_ERROR);
  script_frame(&s, H2_FRAME_GOAWAY, 0, 0, g, 8);
  respond_ok(&s, 3);
  char want[512], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 2 %016llx\nEND 1\n"
           "GOAWAY 0 last=3 debug=\nRESET 5 err=-107 flags=2\n%sCLOSED 0\n",
           (unsigned long long)script_hash("ok", 2), ok3);
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"24 reserved bits", NULL, setup_three_gets, 0, want, NULL, unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);

  /* The promised id of a PUSH_PROMISE, before the server's ACK. */
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  uint8_t pp[4];
  be32(pp, 0x80000002u);
  script_frame(&s, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1, pp, 4);
  script_settings_ack(&s);
  respond_ok(&s, 1);
  char ok1[256];
  ok_events(ok1, sizeof(ok1), 1);
  snprintf(want, sizeof(want), "SETTINGS 0\n%s", ok1);
  const char *sent[] = {"RST_STREAM 2 REFUSED_STREAM\n", NULL};
  const char *no_goaway[] = {"GOAWAY", NULL};
  case_spec p = {"24 promised id reserved bit", NULL, setup_one_get, 0, want, sent,
                 no_goaway, NULL};
  run_checked(&p, &s);
  script_free(&s);
}

static uint8_t big_data[16385 + 256];

static void data_16384(h2_script *s) {
  script_open_server(s);
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_data(s, 1, big_data, 16384, 1, 0);
  /* The largest padded frame too: 1 + 16382 + 1 padding = 16384. */
  script_headers(s, 3, 0, 0, ":status", "200", NULL);
  script_data(s, 3, big_data, 16382, 1, 1);
}

/* 25. DATA of exactly 16,384 bytes -> accepted. */
static void case_25_data_at_max_frame_size(void) {
  for (size_t i = 0; i < sizeof(big_data); i++) big_data[i] = (uint8_t)(i * 31);
  h2_script s;
  script_init(&s);
  data_16384(&s);
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 16384 %016llx\nEND 1\n"
           "HEADERS 3 200 :status=200\nDATA 3 16382 %016llx\nEND 3\n",
           (unsigned long long)script_hash(big_data, 16384),
           (unsigned long long)script_hash(big_data, 16382));
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"25 DATA of 16384", NULL, setup_two_gets, 0, want, NULL, unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

static void data_16385(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_data(s, 1, big_data, 16385, 1, 0);
}

/* Feeds an opened connection just a 9-byte frame header and checks it is
 * refused right there, with (almost) no memory spent. */
static void refused_from_header(uint32_t length, uint8_t type, uint8_t flags,
                                uint32_t stream, int code) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_two_gets(conn);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  /* A CONTINUATION needs an open field block to be legal at all. */
  if (type == H2_FRAME_CONTINUATION)
    script_frame(&s, H2_FRAME_HEADERS, 0, stream, "\x88", 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  feed(conn, &s, &log);
  script_free(&s);
  script_init(&s);
  frame_header_only(&s, length, type, flags, stream);
  size_t before = ta.peak_bytes;
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes, s.length), code);
  /* A payload buffer would be at least 16384 bytes; what is left are the
   * two stream resets, the error event and the GOAWAY. */
  CHECK(ta.peak_bytes - before < 4096);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "GOAWAY last=0 FRAME_SIZE_ERROR\n") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* Our advertised 32 KiB frames: 16385 bytes are fine then. */
static void case_26_larger_advertised_limit(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_frame_size = 32768;
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  data_16385(&s);
  respond_ok(&s, 3);
  char want[512], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 16385 %016llx\nEND 1\n%s",
           (unsigned long long)script_hash(big_data, 16385), ok3);
  case_spec c = {"26 16385 within 32 KiB frames", &o, setup_two_gets, 0, want, NULL,
                 NULL, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

/* 26. DATA of 16,385 bytes (above our SETTINGS_MAX_FRAME_SIZE) ->
 *     FRAME_SIZE_ERROR, connection error by default, decided from the
 *     header without buffering the payload. */
static void case_26_data_above_max_frame_size(void) {
  conn_error_after("26 DATA of 16385", 1, "HEADERS 1 200 :status=200\n",
                   data_16385, H2_ERR_CONN_FRAME_SIZE,
             "FRAME_SIZE_ERROR");
  refused_from_header(16385, H2_FRAME_DATA, 0, 1, H2_ERR_CONN_FRAME_SIZE);
  case_26_larger_advertised_limit();
}

static void headers_16385(h2_script *s) {
  static uint8_t block[16385];
  memset(block, 0x88, sizeof(block)); /* a valid block of :status fields */
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1, block, sizeof(block));
}
static void continuation_16385(h2_script *s) {
  static uint8_t block[16385];
  memset(block, 0x88, sizeof(block));
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, block, sizeof(block));
}
static void headers_16mb(h2_script *s) {
  /* Only the header: the 16 MB never come, and must not be waited for. */
  frame_header_only(s, 0xffffff, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1);
}

/* 27. HEADERS or CONTINUATION above the max frame size, including a 16 MB
 *     length -> conn FRAME_SIZE_ERROR, close without reading the body. */
static void case_27_headers_above_max_frame_size(void) {
  conn_error("27 HEADERS of 16385", 1, headers_16385, H2_ERR_CONN_FRAME_SIZE,
             "FRAME_SIZE_ERROR");
  conn_error("27 CONTINUATION of 16385", 1, continuation_16385,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("27 HEADERS of 16 MB", 1, headers_16mb, H2_ERR_CONN_FRAME_SIZE,
             "FRAME_SIZE_ERROR");
  refused_from_header(0xffffff, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1,
                      H2_ERR_CONN_FRAME_SIZE);
  refused_from_header(0xffffff, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1,
                      H2_ERR_CONN_FRAME_SIZE);
}

static void data_pad_equal(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  /* Payload 5: Pad Length 5 leaves -1 bytes of data. */
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED, 1, "\x05" "abcd", 5);
}
static void data_pad_255(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED | H2_FLAG_END_STREAM, 1,
               "\xff" "abcd", 5);
}
static void headers_pad_too_long(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1,
               "\x03\x88\x00", 3);
}
static void headers_prio_pad_too_long(h2_script *s) {
  /* Pad Length 1 + 5 priority octets + padding 6 > 11. */
  script_frame(s, H2_FRAME_HEADERS,
               H2_FLAG_PADDED | H2_FLAG_PRIORITY | H2_FLAG_END_HEADERS, 1,
               "\x06\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00", 11);
}
static void push_promise_pad_too_long(h2_script *s) {
  /* Pad Length 1 + promised id 4 + padding 4 > 8. */
  script_frame(s, H2_FRAME_PUSH_PROMISE, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1,
               "\x04\x00\x00\x00\x02\x00\x00\x00", 8);
}
static void pad_fills_frame(h2_script *s) {
  script_open_server(s);
  /* Pad Length = payload - 1: legal, the frames carry no data. */
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1,
               "\x00\x88", 2);
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED, 1, "\x04\x00\x00\x00\x00", 5);
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED, 1, "\x01" "o\x00", 3);
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED | H2_FLAG_END_STREAM, 1,
               "\x00k", 2);
}

/* 28. DATA with PADDED and Pad Length >= payload length -> conn
 *     PROTOCOL_ERROR; the same for HEADERS and PUSH_PROMISE. */
static void case_28_padding_too_long(void) {
  conn_error_after("28 DATA pad = length", 1, "HEADERS 1 200 :status=200\n",
                   data_pad_equal, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error_after("28 DATA pad 255", 1, "HEADERS 1 200 :status=200\n",
                   data_pad_255, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("28 HEADERS pad too long", 1, headers_pad_too_long,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("28 HEADERS+PRIORITY pad too long", 1, headers_prio_pad_too_long,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("28 PUSH_PROMISE pad too long", 1, push_promise_pad_too_long,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  h2_script s;
  script_init(&s);
  pad_fills_frame(&s);
  respond_ok(&s, 3);
  char want[512], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 2 %016llx\nEND 1\n%s",
           (unsigned long long)script_hash("ok", 2), ok3);
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"28 padding filling the frame", NULL, setup_two_gets, 0, want, NULL,
                 unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

static void data_padded_empty(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_frame(s, H2_FRAME_DATA, H2_FLAG_PADDED, 1, NULL, 0);
}
static void headers_padded_empty(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1, NULL, 0);
}
static void push_promise_padded_short(h2_script *s) {
  script_frame(s, H2_FRAME_PUSH_PROMISE, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1,
               "\x00\x00\x00\x02", 4);
}

/* 29. PADDED flag with payload length 0 (no Pad Length octet) ->
 *     FRAME_SIZE_ERROR, with no out-of-bounds read. */
static void case_29_padded_without_pad_length(void) {
  /* Scope: a connection error (our choice; RFC 9113 4.2 requires it for
   * field blocks and allows it for DATA). */
  conn_error_after("29 DATA PADDED, length 0", 1, "HEADERS 1 200 :status=200\n", data_padded_empty,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("29 HEADERS PADDED, length 0", 1, headers_padded_empty,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("29 PUSH_PROMISE PADDED, too short", 1, push_promise_padded_short,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

static void headers_prio_4(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_PRIORITY | H2_FLAG_END_HEADERS, 1,
               "\x00\x00\x00\x00", 4);
}
static void headers_prio_padded_5(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS,
               H2_FLAG_PRIORITY | H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1,
               "\x00\x00\x00\x00\x00", 5);
}
static void headers_prio_0(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_PRIORITY | H2_FLAG_END_HEADERS, 1,
               NULL, 0);
}

/* 30. HEADERS with the PRIORITY flag and a payload shorter than 5 bytes (6
 *     with PADDED) -> conn FRAME_SIZE_ERROR, no out-of-bounds read. */
static void case_30_headers_priority_too_short(void) {
  conn_error("30 HEADERS PRIORITY, 4 bytes", 1, headers_prio_4,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("30 HEADERS PRIORITY+PADDED, 5 bytes", 1, headers_prio_padded_5,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("30 HEADERS PRIORITY, 0 bytes", 1, headers_prio_0,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

/* A DATA frame of `data` bytes followed by `pad` padding bytes of 0xAA. */
static void data_dirty_padding(h2_script *s, uint32_t id, const char *data,
                               size_t n, uint8_t pad, int end) {
  uint8_t p[1 + 64 + 255];
  p[0] = pad;
  memcpy(p + 1, data, n);
  memset(p + 1 + n, 0xaa, pad);
  script_frame(s, H2_FRAME_DATA, (uint8_t)(H2_FLAG_PADDED | (end ? H2_FLAG_END_STREAM : 0)),
               id, p, 1 + n + pad);
}

static void after_padding_credit(h2_conn *conn, const conn_log *log) {
  (void)conn;
  /* 1000 frames of 256 bytes went through a 65535-byte stream window, so
   * at least 256000 - 65535 bytes of it were credited back. */
  CHECK(log->window_update_bytes - ((8u << 20) - 65535) >= 256000 - 65535);
}

/* 31. Non-zero padding octets -> accepted by default; padding bytes are
 *     credited back through WINDOW_UPDATE though the application never
 *     sees them. */
static void case_31_padding_accepted_and_credited(void) {
  /* Manual flow control: the application never hands credit back, so
   * only the library's padding credit keeps the stream window open. Were
   * padding not credited, the 256,000 bytes would overrun the 65,535-byte
   * stream window: a FLOW_CONTROL_ERROR. */
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.flags = H2_CONN_MANUAL_FLOW_CONTROL;
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", NULL);
  for (int i = 0; i < 1000; i++) data_dirty_padding(&s, 1, "", 0, 255, 0);
  data_dirty_padding(&s, 1, "ok", 2, 200, 1);
  respond_ok(&s, 3);
  char want[512], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 2 %016llx\nEND 1\n%s",
           (unsigned long long)script_hash("ok", 2), ok3);
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"31 padding credited", &o, setup_two_gets, 0, want, NULL, unsent,
                 after_padding_credit};
  run_checked(&c, &s);
  script_free(&s);
}

static void ping_7(h2_script *s) { script_frame(s, H2_FRAME_PING, 0, 0, "1234567", 7); }
static void ping_9(h2_script *s) { script_frame(s, H2_FRAME_PING, 0, 0, "123456789", 9); }
static void ping_ack_9(h2_script *s) {
  script_frame(s, H2_FRAME_PING, H2_FLAG_ACK, 0, "123456789", 9);
}
static void ping_stream_1(h2_script *s) {
  script_frame(s, H2_FRAME_PING, 0, 1, "12345678", 8);
}

/* 32. PING with length 7 or 9 -> conn FRAME_SIZE_ERROR; PING on stream 1
 *     -> conn PROTOCOL_ERROR. */
static void case_32_bad_ping(void) {
  conn_error("32 PING of 7", 1, ping_7, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("32 PING of 9", 1, ping_9, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("32 PING ACK of 9", 1, ping_ack_9, H2_ERR_CONN_FRAME_SIZE,
             "FRAME_SIZE_ERROR");
  conn_error("32 PING on stream 1", 1, ping_stream_1, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
}

/* Frame types of `out` in order, and the payload of the first PING ACK. */
static size_t frame_order(const uint8_t *out, size_t n, uint8_t *types,
                          size_t max, uint8_t ping_payload[8]) {
  size_t at = 0, count = 0;
  if (n >= 24 && memcmp(out, "PRI * HTTP/2.0", 14) == 0) at = 24;
  while (at + 9 <= n && count < max) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, out + at);
    if (hd.type == H2_FRAME_PING && (hd.flags & H2_FLAG_ACK) && hd.length == 8)
      memcpy(ping_payload, out + at + 9, 8);
    types[count++] = hd.type;
    at += 9 + hd.length;
  }
  return count;
}

/* 33. PING without ACK -> PING ACK with the identical 8 bytes, sent ahead
 *     of queued DATA. PING ACK we never sent -> ignored. */
static void case_33_ping_answered_first(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  post_big(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log); /* the windows are full: 34,465 bytes wait */
  CHECK_EQ_INT(log.body_sent[0], 65535);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_window_update(&s, 0, 40000);
  script_window_update(&s, 1, 40000);
  script_ping(&s, 0, "\x00\xff\x01\xfe" "ping");
  script_ping(&s, 1, "unasked!");
  /* One read, output not yet taken: the ACK must come before the DATA
   * that the window updates released. */
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes, s.length), (int)s.length);
  const uint8_t *out;
  size_t n = h2_conn_peek_output(conn, &out);
  uint8_t types[64], echoed[8] = {0};
  size_t count = frame_order(out, n, types, 64, echoed);
  size_t ping_at = count, data_at = count;
  for (size_t i = 0; i < count; i++) {
    if (types[i] == H2_FRAME_PING && ping_at == count) ping_at = i;
    if (types[i] == H2_FRAME_DATA && data_at == count) data_at = i;
  }
  CHECK(ping_at < count && data_at < count && ping_at < data_at);
  CHECK(memcmp(echoed, "\x00\xff\x01\xfe" "ping", 8) == 0);
  conn_flush(conn, &log);
  /* The unsolicited ACK produced nothing, and only one ACK went out. */
  CHECK(strstr(log.events, "PINGACK") == NULL);
  CHECK(strstr(log.events, "CONNERR") == NULL);
  const char *first = strstr(log.sent, "PING 0 flags=1\n");
  CHECK(first != NULL && strstr(first + 1, "PING 0 flags=1\n") == NULL);
  CHECK(strstr(log.sent, "DATA 1 END total=100000\n") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void rst_3(h2_script *s) { script_frame(s, H2_FRAME_RST_STREAM, 0, 1, "\x00\x00\x08", 3); }
static void rst_5(h2_script *s) {
  script_frame(s, H2_FRAME_RST_STREAM, 0, 1, "\x00\x00\x00\x08\x00", 5);
}
static void rst_stream_0(h2_script *s) { script_rst(s, 0, H2_CANCEL); }

/* 34. RST_STREAM with length != 4 -> conn FRAME_SIZE_ERROR; on stream 0 ->
 *     conn PROTOCOL_ERROR. */
static void case_34_bad_rst_stream(void) {
  conn_error("34 RST_STREAM of 3", 1, rst_3, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("34 RST_STREAM of 5", 1, rst_5, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("34 RST_STREAM on stream 0", 1, rst_stream_0, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
}

static void wu_3_conn(h2_script *s) {
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, 0, "\x00\x00\x01", 3);
}
static void wu_5_stream(h2_script *s) {
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, 1, "\x00\x00\x01\x00\x00", 5);
}
static void wu_0_stream(h2_script *s) {
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, 1, NULL, 0);
}

/* 35. WINDOW_UPDATE with length != 4 -> conn FRAME_SIZE_ERROR (on the
 *     connection and on a stream alike). */
static void case_35_bad_window_update_length(void) {
  conn_error("35 WINDOW_UPDATE of 3 on stream 0", 1, wu_3_conn,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("35 WINDOW_UPDATE of 5 on stream 1", 1, wu_5_stream,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("35 WINDOW_UPDATE of 0 on stream 1", 1, wu_0_stream,
             H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

static void priority_stream_0(h2_script *s) {
  script_frame(s, H2_FRAME_PRIORITY, 0, 0, "\x00\x00\x00\x01\x10", 5);
}
static void priority_stream_0_short(h2_script *s) {
  script_frame(s, H2_FRAME_PRIORITY, 0, 0, "\x00\x00\x00", 3);
}
static void priority_4_on_1(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_frame(s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x03", 4);
}
static void priority_6_on_1(h2_script *s) {
  script_frame(s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x03\x10\x00", 6);
}

/* PRIORITY on idle, unopened, far-future and even ids. */
static void priority_anywhere(h2_script *s) {
  script_open_server(s);
  uint8_t p[5] = {0, 0, 0, 0, 0x10}; /* depends on stream 0 */
  static const uint32_t ids[] = {0x7fffffffu, 101, 7, 2, 1, 3};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
    script_frame(s, H2_FRAME_PRIORITY, 0, ids[i], p, 5);
  /* A bad-length PRIORITY for a stream we do not have: nothing to reset. */
  script_frame(s, H2_FRAME_PRIORITY, 0, 9, p, 4);
}

static void after_priority(h2_conn *conn, const conn_log *log) {
  (void)log;
  CHECK_EQ_INT(h2_conn_open_streams(conn), 0);
}

/* 36. PRIORITY on stream 0 -> conn PROTOCOL_ERROR. PRIORITY with length
 *     != 5 -> stream FRAME_SIZE_ERROR, the connection survives. PRIORITY on
 *     idle, closed or far-future stream ids -> ignored, no state allocated,
 *     the stream not considered opened. */
static void case_36_priority_frames(void) {
  conn_error("36 PRIORITY on stream 0", 1, priority_stream_0, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("36 short PRIORITY on stream 0", 1, priority_stream_0_short,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  /* docs/limits.md: a stream error, the connection survives. Only the
   * stream's HEADERS was delivered before. */
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  priority_4_on_1(&s);
  script_data(&s, 1, "late", 4, 1, 0); /* in flight: dropped quietly */
  respond_ok(&s, 3);
  char want[1024], ok3[256];
  ok_events(ok3, sizeof(ok3), 3);
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nRESET 1 err=%d flags=4\n%s",
           H2_ERR_STREAM_FRAME_SIZE, ok3);
  const char *sent[] = {"RST_STREAM 1 FRAME_SIZE_ERROR\n", NULL};
  const char *unsent[] = {"GOAWAY", "RST_STREAM 3", NULL};
  case_spec c = {"36 PRIORITY of 4 on an open stream", NULL, setup_two_gets, 0, want,
                 sent, unsent, NULL};
  run_checked(&c, &s);
  script_free(&s);
  stream_error("36 PRIORITY of 6 before the response", priority_6_on_1,
               H2_ERR_STREAM_FRAME_SIZE, "RST_STREAM 1 FRAME_SIZE_ERROR\n");
  accepted_opts("36 PRIORITY on any id", NULL, priority_anywhere, "SETTINGS 0\n",
                after_priority);
  /* PRIORITY on a stream that is closed (the response ended), even a
   * malformed one: nothing to reset, nothing to report. */
  script_init(&s);
  script_open_server(&s);
  respond_ok(&s, 1);
  script_frame(&s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5);
  script_frame(&s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x00", 4);
  respond_ok(&s, 3);
  char ok1[256];
  ok_events(ok1, sizeof(ok1), 1);
  snprintf(want, sizeof(want), "SETTINGS 0\n%s%s", ok1, ok3);
  const char *quiet[] = {"GOAWAY", "RST_STREAM", NULL};
  case_spec closed = {"36 PRIORITY on a closed stream", NULL, setup_two_gets, 0, want,
                      NULL, quiet, NULL};
  run_checked(&closed, &s);
  script_free(&s);

  /* No state: 5000 PRIORITY frames on distinct ids cost no memory, and an
   * id they named is still unopened afterwards (HEADERS on it is a
   * connection error, as for any stream we never opened). */
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_one_get(conn);
  script_init(&s);
  script_open_server(&s);
  conn_log log;
  memset(&log, 0, sizeof(log));
  feed(conn, &s, &log);
  script_free(&s);
  size_t live = ta.live_bytes, peak = ta.peak_bytes;
  script_init(&s);
  uint8_t p[5] = {0, 0, 0, 0, 0x10};
  for (uint32_t i = 0; i < 5000; i++)
    script_frame(&s, H2_FRAME_PRIORITY, 0, 0x7fffffffu - 2 * i, p, 5);
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes, s.length), (int)s.length);
  CHECK_EQ_INT(ta.live_bytes, live);
  CHECK_EQ_INT(ta.peak_bytes, peak);
  CHECK_EQ_INT(h2_conn_open_streams(conn), 1);
  script_free(&s);
  script_init(&s);
  script_headers(&s, 0x7fffffffu, 1, 0, ":status", "200", NULL);
  feed(conn, &s, &log);
  CHECK(strstr(log.events, "RESET 1 err=-901\nCONNERR 0 err=-901\n") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

static void goaway_stream_1(h2_script *s) {
  script_frame(s, H2_FRAME_GOAWAY, 0, 1, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
}
static void goaway_7(h2_script *s) {
  script_frame(s, H2_FRAME_GOAWAY, 0, 0, "\x00\x00\x00\x00\x00\x00\x00", 7);
}
static void goaway_0(h2_script *s) { script_frame(s, H2_FRAME_GOAWAY, 0, 0, NULL, 0); }

/* 37. GOAWAY on stream 1 -> conn PROTOCOL_ERROR; GOAWAY shorter than 8
 *     bytes -> conn FRAME_SIZE_ERROR. */
static void case_37_bad_goaway(void) {
  conn_error("37 GOAWAY on stream 1", 1, goaway_stream_1, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("37 GOAWAY of 7", 1, goaway_7, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
  conn_error("37 GOAWAY of 0", 1, goaway_0, H2_ERR_CONN_FRAME_SIZE, "FRAME_SIZE_ERROR");
}

static void data_stream_0(h2_script *s) { script_data(s, 0, "x", 1, 0, 0); }
static void headers_stream_0(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 0, "\x88", 1);
}
static void continuation_stream_0(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 0, "", 0);
}
static void lone_continuation_stream_0(h2_script *s) {
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 0, "\x88", 1);
}
static void push_promise_stream_0(h2_script *s) {
  script_frame(s, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 0, "\x00\x00\x00\x02", 4);
}

/* 38. DATA, HEADERS, CONTINUATION or PUSH_PROMISE on stream 0 -> conn
 *     PROTOCOL_ERROR. */
static void case_38_stream_frames_on_stream_0(void) {
  conn_error("38 DATA on 0", 1, data_stream_0, H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("38 HEADERS on 0", 1, headers_stream_0, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("38 CONTINUATION on 0", 1, continuation_stream_0, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
  conn_error("38 lone CONTINUATION on 0", 1, lone_continuation_stream_0,
             H2_ERR_CONN_PROTOCOL, "PROTOCOL_ERROR");
  conn_error("38 PUSH_PROMISE on 0", 1, push_promise_stream_0, H2_ERR_CONN_PROTOCOL,
             "PROTOCOL_ERROR");
}

/* A response exercising every split-sensitive spot: frame headers,
 * Huffman strings, multi-byte HPACK integers (a 300-byte value), dynamic
 * table references, CONTINUATIONs, padding, interleaved streams,
 * trailers. */
static void rich_response(h2_script *s) {
  static char long_value[301];
  memset(long_value, 'q', 300);
  script_open_server(s);
  script_headers(s, 1, 0, 40, ":status", "200", "content-type",
                 "text/html; charset=utf-8", "x-long", long_value,
                 "cache-control", "private, max-age=0", NULL);
  script_headers(s, 3, 0, 7, ":status", "404", "content-type",
                 "text/html; charset=utf-8", NULL); /* indexed from table */
  script_data(s, 1, "0123456789abcdef", 16, 0, 9);
  script_data(s, 3, "nf", 2, 1, 0);
  script_data(s, 1, "tail", 4, 0, 200);
  script_headers(s, 1, 1, 3, "x-checksum", "deadbeef", "x-long", long_value, NULL);
}

/* Feeds s[0, k) and s[k, end) to a fresh connection. */
static void run_split(const h2_script *s, size_t k, conn_log *log) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
  setup_two_gets(conn);
  conn_flush(conn, log);
  size_t cuts[2][2] = {{0, k}, {k, s->length}};
  for (int i = 0; i < 2; i++) {
    size_t n = cuts[i][1] - cuts[i][0];
    if (!n) continue; /* an empty read would mean "closed" */
    uint8_t *piece = malloc(n);
    memcpy(piece, s->bytes + cuts[i][0], n);
    CHECK_EQ_INT(h2_conn_recv(conn, piece, n), (int)n);
    conn_flush(conn, log); /* uses the DATA views before the piece goes */
    free(piece);
  }
  h2_script empty;
  memset(&empty, 0, sizeof(empty));
  conn_run(conn, &empty, CUT_WHOLE, 1, 0, log); /* ends the DATA line */
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* 39. A valid response delivered one byte per recv, and again with frames
 *     split at every offset -> identical events and output. */
static void case_39_split_everywhere(void) {
  h2_script s;
  script_init(&s);
  rich_response(&s);
  conn_log whole;
  memset(&whole, 0, sizeof(whole));
  run_split(&s, s.length, &whole);
  REQUIRE(whole.events != NULL);
  CHECK(strstr(whole.events, "TRAILERS 1 flags=1 x-checksum=deadbeef") != NULL);
  CHECK(strstr(whole.events, "END 1\n") != NULL && strstr(whole.events, "END 3\n"));
  /* Per byte, sevens and random cuts. */
  const char *unsent[] = {"RST_STREAM", "GOAWAY", NULL};
  case_spec c = {"39 cuts", NULL, setup_two_gets, 0, whole.events, NULL, unsent, NULL};
  run_checked(&c, &s);
  size_t failures = 0;
  for (size_t k = 1; k < s.length; k++) {
    conn_log log;
    memset(&log, 0, sizeof(log));
    run_split(&s, k, &log);
    if (!log.events || strcmp(log.events, whole.events) != 0) {
      if (failures++ < 3)
        fprintf(stderr, "--- 39 split at %zu: got\n%s", k, log.events ? log.events : "");
    }
    test_checks++;
    conn_log_free(&log);
  }
  test_failures += (int)failures;
  conn_log_free(&whole);
  script_free(&s);
}

/* 40. Connection closes in the middle of a frame header or payload -> all
 *     in-flight streams fail with "truncated" (distinct from clean
 *     completion); no read past the buffer. */
static void truncated_case(const char *name, void (*cut)(h2_script *),
                           const char *stream3) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  respond_ok(&s, 1);
  cut(&s);
  char want[1024], ok1[256];
  ok_events(ok1, sizeof(ok1), 1);
  snprintf(want, sizeof(want),
           "SETTINGS 0\n%s%sRESET 3 err=%d\nRESET 5 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           ok1, stream3, H2_ERR_CONNECTION_CLOSED, H2_ERR_CONNECTION_CLOSED,
           H2_ERR_CONNECTION_CLOSED);
  case_spec c = {name, NULL, setup_three_gets, 1, want, NULL, NULL, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

static void cut_in_header(h2_script *s) {
  script_headers(s, 3, 0, 0, ":status", "200", NULL);
  script_data(s, 3, "part", 4, 0, 0);
  script_raw(s, "\x00\x00\x10\x00", 4);
}
static void cut_in_data(h2_script *s) {
  script_headers(s, 3, 0, 0, ":status", "200", NULL);
  frame_header_only(s, 10, H2_FRAME_DATA, H2_FLAG_END_STREAM, 3);
  script_raw(s, "part", 4);
}
static void cut_in_headers_payload(h2_script *s) {
  frame_header_only(s, 20, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 3);
  script_raw(s, "\x88\x00\x03x-a", 5);
}
static void cut_in_continuation(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, 0, 3, "\x88", 1);
  frame_header_only(s, 5, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 3);
  script_raw(s, "\x00\x03", 2);
}
static void cut_in_pad_length(h2_script *s) {
  script_headers(s, 3, 0, 0, ":status", "200", NULL);
  frame_header_only(s, 10, H2_FRAME_DATA, H2_FLAG_PADDED | H2_FLAG_END_STREAM, 3);
}

static void case_40_truncated_connection(void) {
  char part[128];
  snprintf(part, sizeof(part), "HEADERS 3 200 :status=200\nDATA 3 4 %016llx\n",
           (unsigned long long)script_hash("part", 4));
  truncated_case("40 cut in a frame header", cut_in_header, part);
  truncated_case("40 cut in a DATA payload", cut_in_data, part);
  truncated_case("40 cut in a HEADERS payload", cut_in_headers_payload, "");
  truncated_case("40 cut in a CONTINUATION", cut_in_continuation, "");
  truncated_case("40 cut before the Pad Length", cut_in_pad_length,
                 "HEADERS 3 200 :status=200\n");
  /* Nothing at all after the preface SETTINGS. */
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  char want[256];
  snprintf(want, sizeof(want), "SETTINGS 0\nRESET 1 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           H2_ERR_CONNECTION_CLOSED, H2_ERR_CONNECTION_CLOSED);
  case_spec c = {"40 closed after SETTINGS", NULL, setup_one_get, 1, want, NULL, NULL, NULL};
  run_checked(&c, &s);
  script_free(&s);
}

/* 40. Connection closes in the middle of a frame header or payload -> all
 *     in-flight streams fail with "truncated" (distinct from clean
 *     completion).
 *
 * Here the cut falls inside the padding of a DATA frame that carries
 * END_STREAM. The frame never arrived whole, so its END_STREAM must not
 * take effect: stream 1 must end with a truncation error, not END. */
static void case_40b_cut_in_padding_of_final_data(void) {
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  script_settings_ack(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", NULL);
  /* DATA, PADDED | END_STREAM, length 20: Pad Length 10, 9 data bytes,
   * then only 3 of the 10 padding bytes before the connection closes. */
  static const uint8_t header[9] = {0, 0, 20, H2_FRAME_DATA,
                                    H2_FLAG_PADDED | H2_FLAG_END_STREAM,
                                    0, 0, 0, 1};
  script_raw(&s, header, 9);
  script_raw(&s, "\x0a" "abcdefghi" "\0\0\0", 13);
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 9 %016llx\n"
           "RESET 1 err=%d\nRESET 3 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           (unsigned long long)script_hash("abcdefghi", 9),
           H2_ERR_CONNECTION_CLOSED, H2_ERR_CONNECTION_CLOSED,
           H2_ERR_CONNECTION_CLOSED);
  run_script_case("40 cut in the padding of a final DATA", NULL, setup_two_gets, &s,
                  1, want, NULL);
  script_free(&s);
}

/* 19. SETTINGS_ENABLE_CONNECT_PROTOCOL = 7, or 1 followed later by 0 ->
 *     conn PROTOCOL_ERROR.
 *
 * The converse, 0 followed later by 1, is legal: RFC 8441 section 3 only
 * forbids sending 0 after 1 (nghttp2 accepts it too). The library treats
 * any change as an error. Expected: no error, and extended CONNECT becomes
 * available. */
static void case_19b_enable_connect_protocol_0_then_1(void) {
  h2_script s;
  script_init(&s);
  static const uint32_t off[] = {H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 0};
  static const uint32_t on[] = {H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
  script_settings(&s, off, 1);
  script_settings_ack(&s);
  script_settings(&s, on, 1);
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  script_headers(&s, 3, 1, 0, ":status", "200", NULL);
  static const char *sent[] = {"SETTINGS 0 flags=1\nSETTINGS 0 flags=1\n", NULL};
  run_script_case("19 ENABLE_CONNECT_PROTOCOL 0 then 1", NULL, setup_two_gets, &s, 0,
                  "SETTINGS 0\nSETTINGS 0\n"
                  "HEADERS 1 200 flags=1 :status=200\nEND 1\n"
                  "HEADERS 3 200 flags=1 :status=200\nEND 3\n",
                  sent);
  script_free(&s);
}

TEST_MAIN("hostile_ab", TEST_CASE(case_01_first_frame_not_settings),
          TEST_CASE(case_02_http1_reply),
          TEST_CASE(case_03_silent_or_stalled_server),
          TEST_CASE(case_04_settings_never_acked),
          TEST_CASE(case_05_settings_on_stream),
          TEST_CASE(case_06_settings_length_7),
          TEST_CASE(case_19b_enable_connect_protocol_0_then_1),
          TEST_CASE(case_40b_cut_in_padding_of_final_data),
          TEST_CASE(case_07_settings_ack_with_payload),
          TEST_CASE(case_08_server_enable_push),
          TEST_CASE(case_09_initial_window_too_large),
          TEST_CASE(case_10_initial_window_overflows_stream),
          TEST_CASE(case_11_initial_window_drops_to_zero),
          TEST_CASE(case_12_max_frame_size_out_of_range),
          TEST_CASE(case_13_unknown_and_too_many_settings),
          TEST_CASE(case_14_duplicate_setting_ids),
          TEST_CASE(case_15_max_concurrent_streams_lowered),
          TEST_CASE(case_16_peer_header_table_size),
          TEST_CASE(case_17_peer_max_header_list_size),
          TEST_CASE(case_18_unsolicited_settings_ack),
          TEST_CASE(case_19_one_way_settings),
          TEST_CASE(case_20_settings_ack_flood),
          TEST_CASE(case_21_unknown_frame_types),
          TEST_CASE(case_22_unknown_frame_inside_block),
          TEST_CASE(case_23_undefined_flags), TEST_CASE(case_24_reserved_bits),
          TEST_CASE(case_25_data_at_max_frame_size),
          TEST_CASE(case_26_data_above_max_frame_size),
          TEST_CASE(case_27_headers_above_max_frame_size),
          TEST_CASE(case_28_padding_too_long),
          TEST_CASE(case_29_padded_without_pad_length),
          TEST_CASE(case_30_headers_priority_too_short),
          TEST_CASE(case_31_padding_accepted_and_credited),
          TEST_CASE(case_32_bad_ping), TEST_CASE(case_33_ping_answered_first),
          TEST_CASE(case_34_bad_rst_stream),
          TEST_CASE(case_35_bad_window_update_length),
          TEST_CASE(case_36_priority_frames), TEST_CASE(case_37_bad_goaway),
          TEST_CASE(case_38_stream_frames_on_stream_0),
          TEST_CASE(case_39_split_everywhere),
          TEST_CASE(case_40_truncated_connection))
