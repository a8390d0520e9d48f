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

/* run_case is run_script_case from tests/support/h2_script.c. */
#define run_case run_script_case

/* ---- Responses ---------------------------------------------------------- */

static void test_simple_get(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
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
  run_case("simple get", NULL, setup_one_get, &s, 0, want, sent);
  script_free(&s);
}

static void test_interleaved_streams_padding_continuation(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
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
  run_case("interleaved", NULL, setup_two_gets, &s, 0, want, NULL);
  script_free(&s);
}

/* A GET and the stream that is expected to finish normally beside a
 * failing one. */
static void head_and_get(h2_conn *conn) {
  h2_header head[] = {
      {(const uint8_t *)":method", (const uint8_t *)"HEAD", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/h", 5, 2, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, head, 3, 1, NULL), 1);
  CHECK_EQ_INT(submit_get(conn, "/b"), 3);
}

static void test_interim_head_204(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_headers(&s, 3, 0, 0, ":status", "100", NULL);
  script_headers(&s, 3, 0, 0, ":status", "103", "link", "</s.css>", NULL);
  script_headers(&s, 1, 1, 0, ":status", "200", "content-length", "1000", NULL);
  script_headers(&s, 3, 1, 0, ":status", "204", "content-length", "7", NULL);
  run_case("interim, HEAD, 204", NULL, head_and_get, &s, 0,
           "SETTINGS 0\n"
           "INFO 3 100 :status=100\n"
           "INFO 3 103 :status=103 link=</s.css>\n"
           "HEADERS 1 200 flags=1 :status=200 content-length=1000\n"
           "END 1\n"
           "HEADERS 3 204 flags=1 :status=204 content-length=7\n"
           "END 3\n",
           NULL);
  script_free(&s);
}

/* One malformed response on stream 1 while stream 3 completes. `before`
 * is what stream 1 legitimately delivered before the fault showed. */
static void malformed_case_after(const char *name, void (*bad)(h2_script *),
                                 const char *before) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  bad(&s);
  script_headers(&s, 3, 0, 0, ":status", "200", NULL);
  script_data(&s, 3, "ok", 2, 1, 0);
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "%s"
           "RESET 1 err=-101 flags=4\n"
           "HEADERS 3 200 :status=200\n"
           "DATA 3 2 %016llx\n"
           "END 3\n",
           before, (unsigned long long)script_hash("ok", 2));
  static const char *sent[] = {"RST_STREAM 1 PROTOCOL_ERROR\n", NULL};
  run_case(name, NULL, setup_two_gets, &s, 0, want, sent);
  script_free(&s);
}

static void malformed_case(const char *name, void (*bad)(h2_script *)) {
  malformed_case_after(name, bad, "");
}

static void no_status(h2_script *s) { script_headers(s, 1, 1, 0, "server", "x", NULL); }
static void bad_status(h2_script *s) { script_headers(s, 1, 1, 0, ":status", "20", NULL); }
static void status_101(h2_script *s) { script_headers(s, 1, 1, 0, ":status", "101", NULL); }
static void uppercase(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", "Server", "x", NULL);
}
static void connection_field(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", "connection", "close", NULL);
}
static void request_pseudo(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", ":path", "/", NULL);
}
static void pseudo_after_regular(h2_script *s) {
  script_headers(s, 1, 1, 0, "server", "x", ":status", "200", NULL);
}
static void value_with_newline(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", "x-a", "1\r\nx-b: 2", NULL);
}
static void short_body(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", "content-length", "10", NULL);
  script_data(s, 1, "12345", 5, 1, 0);
}
static void long_body(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", "content-length", "3", NULL);
  script_data(s, 1, "12345", 5, 1, 0);
}
static void data_first(h2_script *s) { script_data(s, 1, "x", 1, 1, 0); }
static void interim_end_stream(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "103", NULL);
}
static void trailers_pseudo(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_headers(s, 1, 1, 0, ":status", "200", NULL);
}
static void trailers_open(h2_script *s) {
  script_headers(s, 1, 0, 0, ":status", "200", NULL);
  script_headers(s, 1, 0, 0, "x-t", "1", NULL);
}

static void test_malformed_responses(void) {
  malformed_case("no :status", no_status);
  malformed_case(":status 20", bad_status);
  malformed_case(":status 101", status_101);
  malformed_case("uppercase name", uppercase);
  malformed_case("connection field", connection_field);
  malformed_case("request pseudo-header", request_pseudo);
  malformed_case("pseudo after regular", pseudo_after_regular);
  malformed_case("CR LF in value", value_with_newline);
  char before[256];
  snprintf(before, sizeof(before),
           "HEADERS 1 200 :status=200 content-length=10\nDATA 1 5 %016llx\n",
           (unsigned long long)script_hash("12345", 5));
  malformed_case_after("body shorter than content-length", short_body, before);
  malformed_case_after("body longer than content-length", long_body,
                       "HEADERS 1 200 :status=200 content-length=3\n");
  malformed_case("DATA before HEADERS", data_first);
  malformed_case("1xx with END_STREAM", interim_end_stream);
  malformed_case_after("pseudo-header in trailers", trailers_pseudo,
                       "HEADERS 1 200 :status=200\n");
  malformed_case_after("trailers without END_STREAM", trailers_open,
                       "HEADERS 1 200 :status=200\n");
}

/* With H2_CONN_DROP_CONNECTION_FIELDS the connection-specific fields of a
 * response and its trailers are removed, the rest delivered in order and
 * counted; "te: trailers" is not connection-specific and stays. */
static void connection_fields_response(h2_script *s) {
  script_open_server(s);
  script_headers(s, 1, 0, 0, ":status", "200", "connection", "close", "x-a", "1",
                 "keep-alive", "timeout=5", "te", "trailers", "upgrade", "h2c",
                 "proxy-connection", "keep-alive", "te", "gzip",
                 "transfer-encoding", "chunked", "x-b", "2", NULL);
  script_data(s, 1, "hello", 5, 0, 0);
  script_headers(s, 1, 1, 0, "x-t", "1", "connection", "close", NULL);
}

static void test_connection_fields_dropped(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.flags = H2_CONN_DROP_CONNECTION_FIELDS;
  h2_script s;
  script_init(&s);
  connection_fields_response(&s);
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\n"
           "HEADERS 1 200 :status=200 x-a=1 te=trailers x-b=2\n"
           "DATA 1 5 %016llx\n"
           "TRAILERS 1 flags=1 x-t=1\n"
           "END 1\n",
           (unsigned long long)script_hash("hello", 5));
  run_case("connection-specific fields dropped", &o, setup_one_get, &s, 0, want,
           NULL);
  /* Counted, once per field removed; nothing reset, nothing malformed. */
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  setup_one_get(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_CONNECTION_FIELDS_DROPPED), 7);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_MALFORMED_RESPONSE), 0);
  CHECK(strstr(log.sent, "RST_STREAM") == NULL);
  conn_log_free(&log);
  h2_conn_del(conn);
  /* Without the flag the same response is malformed (RFC 9113 8.2.2). */
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  setup_one_get(conn);
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK(strstr(log.sent, "RST_STREAM 1 PROTOCOL_ERROR") != NULL);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_CONNECTION_FIELDS_DROPPED), 0);
  conn_log_free(&log);
  h2_conn_del(conn);
  script_free(&s);
}

static void test_refused_and_goaway(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_rst(&s, 1, H2_REFUSED_STREAM);
  script_goaway(&s, 0, H2_NO_ERROR, "bye");
  run_case("refused then goaway", NULL, setup_two_gets, &s, 0,
           "SETTINGS 0\n"
           "RESET 1 err=-107 flags=2\n"
           "GOAWAY 0 last=0 debug=bye\n"
           "RESET 3 err=-107 flags=2\n"
           "CLOSED 0\n",
           NULL);
  script_free(&s);

  /* GOAWAY naming stream 1: stream 1 completes, stream 3 is retryable. */
  script_init(&s);
  script_open_server(&s);
  script_goaway(&s, 1, H2_NO_ERROR, "");
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  run_case("goaway last=1", NULL, setup_two_gets, &s, 0,
           "SETTINGS 0\n"
           "GOAWAY 0 last=1 debug=\n"
           "RESET 3 err=-107 flags=2\n"
           "HEADERS 1 200 flags=1 :status=200\n"
           "END 1\n"
           "CLOSED 0\n",
           NULL);
  script_free(&s);
}

/* A connection error: every stream fails with the code, GOAWAY with its
 * wire name is sent, nothing after it is parsed. */
static void conn_error_case(const char *name, void (*bad)(h2_script *),
                            int code, const char *goaway, int opened) {
  h2_script s;
  script_init(&s);
  if (opened) script_open_server(&s);
  bad(&s);
  /* Anything after the error must be ignored. */
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  char want[512];
  snprintf(want, sizeof(want), "%sRESET 1 err=%d\nCONNERR 0 err=%d\nCLOSED 0\n",
           opened ? "SETTINGS 0\n" : "", code, code);
  const char *sent[] = {goaway, NULL};
  run_case(name, NULL, setup_one_get, &s, 0, want, goaway ? sent : NULL);
  script_free(&s);
}

static void ping_first(h2_script *s) { script_ping(s, 0, "12345678"); }
static void http1_reply(h2_script *s) {
  script_raw(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 47);
}
static void data_idle(h2_script *s) { script_data(s, 5, "x", 1, 0, 0); }
static void headers_even(h2_script *s) {
  script_headers(s, 2, 1, 0, ":status", "200", NULL);
}
static void headers_unopened(h2_script *s) {
  script_headers(s, 101, 1, 0, ":status", "200", NULL);
}
static void too_large(h2_script *s) {
  static uint8_t big[16385];
  script_frame(s, H2_FRAME_DATA, 0, 1, big, sizeof(big));
}
static void interleaved_block(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  script_ping(s, 0, "12345678");
}
static void lone_continuation(h2_script *s) {
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "\x88", 1);
}
static void continuation_flood(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
  for (int i = 0; i < 9; i++) script_frame(s, H2_FRAME_CONTINUATION, 0, 1, NULL, 0);
}
static void window_overflow(h2_script *s) {
  script_window_update(s, 0, 0x7fffffff);
}
static void push_enabled(h2_script *s) {
  static const uint32_t push[] = {H2_SETTINGS_ENABLE_PUSH, 1};
  script_settings(s, push, 1);
}
static void unsolicited_ack(h2_script *s) { script_settings_ack(s); }
static void bad_hpack(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_HEADERS, 1, "\x80", 1);
}
static void data_after_end(h2_script *s) {
  script_headers(s, 1, 1, 0, ":status", "200", NULL);
  script_data(s, 1, "x", 1, 0, 0);
}

static void test_connection_errors(void) {
  conn_error_case("first frame PING", ping_first, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 0);
  conn_error_case("HTTP/1.1 reply", http1_reply, H2_ERR_NOT_HTTP2, NULL, 0);
  conn_error_case("DATA on idle stream", data_idle, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 1);
  conn_error_case("HEADERS on even stream", headers_even, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 1);
  conn_error_case("HEADERS on unopened stream", headers_unopened,
                  H2_ERR_CONN_PROTOCOL, "GOAWAY last=0 PROTOCOL_ERROR\n", 1);
  conn_error_case("frame too large", too_large, H2_ERR_CONN_FRAME_SIZE,
                  "GOAWAY last=0 FRAME_SIZE_ERROR\n", 1);
  conn_error_case("interleaved block", interleaved_block, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 1);
  conn_error_case("lone CONTINUATION", lone_continuation, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 1);
  conn_error_case("CONTINUATION flood", continuation_flood,
                  H2_ERR_CONN_ENHANCE_YOUR_CALM,
                  "GOAWAY last=0 ENHANCE_YOUR_CALM\n", 1);
  conn_error_case("window overflow", window_overflow, H2_ERR_CONN_FLOW_CONTROL,
                  "GOAWAY last=0 FLOW_CONTROL_ERROR\n", 1);
  conn_error_case("ENABLE_PUSH=1", push_enabled, H2_ERR_CONN_PROTOCOL,
                  "GOAWAY last=0 PROTOCOL_ERROR\n", 0);
  conn_error_case("bad HPACK", bad_hpack, H2_ERR_CONN_COMPRESSION,
                  "GOAWAY last=0 COMPRESSION_ERROR\n", 1);
}

static void test_unsolicited_ack_and_data_after_end(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  unsolicited_ack(&s);
  run_case("unsolicited SETTINGS ACK", NULL, setup_one_get, &s, 0,
           "SETTINGS 0\nRESET 1 err=-901\nCONNERR 0 err=-901\nCLOSED 0\n", NULL);
  script_free(&s);
  script_init(&s);
  script_open_server(&s);
  data_after_end(&s);
  run_case("DATA after END_STREAM", NULL, setup_two_gets, &s, 0,
           "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
           "RESET 3 err=-905\nCONNERR 0 err=-905\nCLOSED 0\n",
           NULL);
  script_free(&s);
}

static void test_truncation(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", NULL);
  script_data(&s, 1, "part", 4, 0, 0);
  script_raw(&s, "\x00\x00\x10\x00", 4); /* half a frame header */
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 4 %016llx\n"
           "RESET 1 err=-955\nCONNERR 0 err=-955\nCLOSED 0\n",
           (unsigned long long)script_hash("part", 4));
  run_case("truncated", NULL, setup_one_get, &s, 1, want, NULL);
  script_free(&s);
}

/* ---- Concurrency, flow control, timers ----------------------------------- */

static void three_gets(h2_conn *conn) {
  CHECK_EQ_INT(submit_get(conn, "/1"), 1);
  CHECK_EQ_INT(submit_get(conn, "/3"), 3);
  CHECK_EQ_INT(submit_get(conn, "/5"), 5);
}

/* A server limit of one stream: requests wait in order, and leave as
 * earlier ones finish. */
static void test_concurrency_queue(void) {
  h2_script s;
  script_init(&s);
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_settings(&s, one, 1);
  script_settings_ack(&s);
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  script_headers(&s, 3, 1, 0, ":status", "201", NULL);
  script_headers(&s, 5, 1, 0, ":status", "202", NULL);
  /* Until the server's SETTINGS arrive 100 streams may open, so all three
   * leave in the first flight; a later limit of 1 then holds new ones. */
  static const char *sent[] = {
      "HEADERS 1 flags=5 rv=0 :method=GET :scheme=http :authority=example.com :path=/1\n"
      "HEADERS 3 flags=5",
      NULL};
  run_case("concurrency, first flight", NULL, three_gets, &s, 0,
           "SETTINGS 0\n"
           "HEADERS 1 200 flags=1 :status=200\nEND 1\n"
           "HEADERS 3 201 flags=1 :status=201\nEND 3\n"
           "HEADERS 5 202 flags=1 :status=202\nEND 5\n",
           sent);
  script_free(&s);
}

static void test_concurrency_limit_applies(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_settings(&s, one, 1);
  script_settings_ack(&s);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK_EQ_INT(h2_conn_peer_max_concurrent_streams(conn), 1);
  three_gets(conn);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 2);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "HEADERS 1 ") != NULL);
  CHECK(strstr(log.sent, "HEADERS 3 ") == NULL);
  /* Stream 1 ends: stream 3 leaves, stream 5 still waits. */
  script_free(&s);
  script_init(&s);
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK(strstr(log.sent, "HEADERS 3 ") != NULL);
  CHECK(strstr(log.sent, "HEADERS 5 ") == NULL);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  /* Cancelling the waiting request sends nothing and frees it. */
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 5, H2_CANCEL), 0);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 0);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "RST_STREAM 5") == NULL);
  /* A limit of 0 holds everything without error (case 15). */
  script_free(&s);
  script_init(&s);
  static const uint32_t zero[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 0};
  script_settings(&s, zero, 1);
  script_headers(&s, 3, 1, 0, ":status", "200", NULL);
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK_EQ_INT(submit_get(conn, "/7"), 7);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  CHECK(strstr(log.events, "CONNERR") == NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void post(h2_conn *conn, size_t size) {
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, fields, 3, 0, NULL), 1);
  static uint8_t body[200000];
  for (size_t i = 0; i < sizeof(body); i++) body[i] = (uint8_t)(i * 7);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, size, 1), (int)size);
}

/* An upload larger than the windows: the client sends what the windows
 * allow, stops, and resumes on WINDOW_UPDATE; SETTINGS changes that drive
 * the stream window negative are tracked exactly (cases 10, 11). The
 * response ends only after the upload, in a second script. */
static void test_upload_flow_control(void) {
  h2_script s, end;
  script_init(&s);
  static const uint32_t small[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 1000};
  script_settings(&s, small, 1);
  script_settings_ack(&s);
  static const uint32_t zero[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
  script_settings(&s, zero, 1);        /* stream window now negative */
  script_window_update(&s, 1, 500);    /* still not positive */
  static const uint32_t back[] = {H2_SETTINGS_INITIAL_WINDOW_SIZE, 70000};
  script_settings(&s, back, 1);
  script_window_update(&s, 0, 40000);
  script_window_update(&s, 1, 40000);
  script_headers(&s, 1, 0, 0, ":status", "201", NULL);
  script_init(&end);
  script_data(&end, 1, NULL, 0, 1, 0);
  for (size_t c = 0; c < 6; c++) {
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
    post(conn, 100000);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &s, script_cuts[c], 7 + c, 0, &log);
    CHECK(log.sent && strstr(log.sent, "DATA 1 END total=100000\n") != NULL);
    conn_run(conn, &end, CUT_WHOLE, 1, 0, &log);
    CHECK(log.events && strcmp(log.events,
                               "SETTINGS 0\nSETTINGS 0\nSETTINGS 0\n"
                               "HEADERS 1 201 :status=201\nEND 1\n") == 0);
    CHECK(!strstr(log.sent, "RST_STREAM"));
    conn_log_free(&log);
    h2_conn_del(conn);
  }
  script_free(&s);
  script_free(&end);
}

/* Backpressure: a body larger than the send buffer is accepted in part,
 * and WRITABLE comes once framing frees room. */
static void test_send_buffer_backpressure(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_send_buffer = 30000;
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, fields, 3, 0, NULL), 1);
  static uint8_t body[50000];
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, sizeof(body), 1), 30000);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  CHECK(log.events && strstr(log.events, "WRITABLE 1") != NULL);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body + 30000, 20000, 1), 20000);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, 1, 0), H2_ERR_STREAM_NOT_WRITABLE);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void test_settings_timeout(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  CHECK_EQ_INT(h2_conn_tick(conn, 5000), 0);
  CHECK_EQ_INT(h2_conn_next_deadline(conn), 15000);
  CHECK_EQ_INT(h2_conn_tick(conn, 14999), 0);
  CHECK_EQ_INT(h2_conn_tick(conn, 15000), H2_ERR_CONN_SETTINGS_TIMEOUT);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_SETTINGS_TIMEOUT), 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "GOAWAY last=0 SETTINGS_TIMEOUT") != NULL);
  CHECK(strstr(log.events, "CONNERR 0 err=-904") != NULL);
  CHECK(h2_conn_is_closed(conn));
  conn_log_free(&log);
  h2_conn_del(conn);

  /* Acknowledged in time: no deadline left. */
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  memset(&log, 0, sizeof(log));
  CHECK_EQ_INT(h2_conn_tick(conn, 0), 0);
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK_EQ_INT(h2_conn_next_deadline(conn), UINT64_MAX);
  CHECK_EQ_INT(h2_conn_tick(conn, 1000000), 0);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void test_ping(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_ping(&s, 0, "abcdefgh");
  script_ping(&s, 1, "unsolic!"); /* an ACK we never asked for: ignored */
  static const char *sent[] = {"PING 0 flags=1\n", NULL};
  run_case("ping", NULL, NULL, &s, 0, "SETTINGS 0\n", sent);
  script_free(&s);

  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  CHECK_EQ_INT(h2_conn_ping(conn, (const uint8_t *)"t=123456"), 0);
  script_init(&s);
  script_open_server(&s);
  script_ping(&s, 1, "t=123456");
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_BYTES, 1, 0, &log);
  CHECK(strstr(log.events, "PINGACK 0\n") != NULL);
  CHECK(strstr(log.sent, "PING 0 flags=0\n") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* Manual flow control: nothing is credited until the application says so. */
static void test_manual_flow_control(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.flags = H2_CONN_MANUAL_FLOW_CONTROL;
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  CHECK_EQ_INT(submit_get(conn, "/big"), 1);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", NULL);
  static uint8_t chunk[16384];
  for (int i = 0; i < 3; i++) script_data(&s, 1, chunk, sizeof(chunk), 0, 0);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  /* Only the first flight's connection window (8 MiB - 65535) so far. */
  uint64_t first_flight = (8u << 20) - 65535;
  CHECK_EQ_INT(log.window_update_bytes, first_flight);
  CHECK_EQ_INT(h2_conn_consume(conn, 1, 3 * 16384), 0);
  conn_flush(conn, &log);
  /* Stream credit only: the connection's 8 MiB window is not half used. */
  CHECK_EQ_INT(log.window_update_bytes - first_flight, 3 * 16384);
  /* The server may not exceed the window it was given. */
  script_free(&s);
  script_init(&s);
  static uint8_t too_much[65535];
  for (int i = 0; i < 4; i++) script_data(&s, 1, too_much, 16384, 0, 0);
  script_data(&s, 1, too_much, 65535 - 4 * 16384 + 1, 0, 0);
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK(strstr(log.events, "RESET 1 err=-103 flags=4") != NULL);
  CHECK(strstr(log.sent, "RST_STREAM 1 FLOW_CONTROL_ERROR") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

static void test_requests_validated(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_header bad[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/", 5, 1, 0, 0},
      {(const uint8_t *)"Host", (const uint8_t *)"x", 4, 1, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, bad, 4, 1, NULL), H2_ERR_INVALID_HEADER);
  bad[3] = (h2_header){(const uint8_t *)"connection", (const uint8_t *)"close", 10, 5, 0, 0};
  CHECK_EQ_INT(h2_conn_submit_request(conn, bad, 4, 1, NULL), H2_ERR_INVALID_HEADER);
  bad[3] = (h2_header){(const uint8_t *)"x-a", (const uint8_t *)"a\nb", 3, 3, 0, 0};
  CHECK_EQ_INT(h2_conn_submit_request(conn, bad, 4, 1, NULL), H2_ERR_INVALID_HEADER);
  CHECK_EQ_INT(h2_conn_submit_request(conn, bad, 2, 1, NULL), H2_ERR_INVALID_HEADER);
  bad[3] = (h2_header){(const uint8_t *)"te", (const uint8_t *)"trailers", 2, 8, 0, 0};
  CHECK_EQ_INT(h2_conn_submit_request(conn, bad, 4, 1, NULL), 1);
  /* CONNECT carries only :method and :authority. */
  h2_header connect[] = {
      {(const uint8_t *)":method", (const uint8_t *)"CONNECT", 7, 7, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"h:443", 10, 5, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, connect, 2, 0, NULL), 3);
  /* After shutdown no new request is accepted. */
  CHECK_EQ_INT(h2_conn_shutdown(conn), 0);
  CHECK_EQ_INT(submit_get(conn, "/late"), H2_ERR_CONNECTION_GOING_AWAY);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "GOAWAY last=0 NO_ERROR") != NULL);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* The server's header-list limit is honoured locally (case 17). */
static void test_peer_header_list_limit(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  static const uint32_t tiny[] = {H2_SETTINGS_MAX_HEADER_LIST_SIZE, 10};
  script_settings(&s, tiny, 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK_EQ_INT(submit_get(conn, "/"), H2_ERR_HEADER_LIST_TOO_LARGE);
  CHECK(!h2_conn_is_closed(conn));
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* A PUSH_PROMISE before the server saw our ENABLE_PUSH=0 is refused, its
 * block still decoded; after the ACK it is a connection error. */
static void test_push_promise(void) {
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  uint8_t payload[256] = {0, 0, 0, 2};
  h2_hpack_encoder *enc = s.encoder;
  h2_header f[] = {{(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
                   {(const uint8_t *)":path", (const uint8_t *)"/p", 5, 2, 0, 0}};
  int n = h2_hpack_encode(enc, f, 2, payload + 4, sizeof(payload) - 4);
  script_frame(&s, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1, payload,
               4 + (size_t)n);
  script_settings_ack(&s);
  script_headers(&s, 1, 1, 0, ":status", "200", NULL);
  static const char *sent[] = {"RST_STREAM 2 REFUSED_STREAM\n", NULL};
  run_case("push before ack", NULL, setup_one_get, &s, 0,
           "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n", sent);
  script_free(&s);
}

static h2_header websocket_fields[] = {
    {(const uint8_t *)":method", (const uint8_t *)"CONNECT", 7, 7, 0, 0},
    {(const uint8_t *)":protocol", (const uint8_t *)"websocket", 9, 9, 0, 0},
    {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
    {(const uint8_t *)":path", (const uint8_t *)"/chat", 5, 5, 0, 0},
    {(const uint8_t *)":authority", (const uint8_t *)"x", 10, 1, 0, 0}};

/* RFC 8441: an extended CONNECT waits for the server's SETTINGS and goes
 * out only if they enable it; RFC 9218 priority updates are sent. */
static void test_extended_connect_and_priority(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  CHECK_EQ_INT(h2_conn_submit_request(conn, websocket_fields, 5, 0, NULL), 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "HEADERS 1") == NULL);
  h2_script s;
  script_init(&s);
  static const uint32_t enable[] = {H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
  script_settings(&s, enable, 1);
  conn_run(conn, &s, CUT_BYTES, 1, 0, &log);
  CHECK(strstr(log.sent, "HEADERS 1 flags=4 rv=0 :method=CONNECT :protocol=websocket") != NULL);
  CHECK_EQ_INT(h2_conn_priority_update(conn, 1, "u=1, i", 6), 0);
  conn_flush(conn, &log);
  CHECK(strstr(log.sent, "PRIORITY_UPDATE 0") != NULL);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);

  /* A server that does not enable it: the waiting request is refused, and
   * new ones are refused at once. */
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  CHECK_EQ_INT(h2_conn_submit_request(conn, websocket_fields, 5, 0, NULL), 1);
  script_init(&s);
  script_open_server(&s);
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK(strstr(log.events, "RESET 1 err=-11 flags=4") != NULL);
  CHECK(strstr(log.sent, "HEADERS 1") == NULL);
  CHECK_EQ_INT(h2_conn_submit_request(conn, websocket_fields, 5, 0, NULL),
               H2_ERR_INVALID_STATE);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* Tiny DATA frames inside the window: the overhead budget (25600 bytes,
 * 255 per 1-byte frame) runs out at the 101st frame; the 100 bytes before
 * stay delivered. */
static void test_small_data_flood(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_headers(&s, 1, 0, 0, ":status", "200", NULL);
  /* The budget pays for 100 one-byte frames; the stream's first small
   * frame is free (a small response), so 101 bytes arrive. */
  uint8_t x[101];
  memset(x, 'x', sizeof(x));
  for (int i = 0; i < 200; i++) script_data(&s, 1, "x", 1, 0, 0);
  char want[512];
  snprintf(want, sizeof(want),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 101 %016llx\n"
           "RESET 1 err=-911\nCONNERR 0 err=-911\nCLOSED 0\n",
           (unsigned long long)script_hash(x, sizeof(x)));
  static const char *sent[] = {"GOAWAY last=0 ENHANCE_YOUR_CALM\n", NULL};
  run_case("small DATA flood", NULL, setup_one_get, &s, 0, want, sent);
  script_free(&s);
}

/* A stream whose write was refused because other streams filled the
 * shared send buffer must hear WRITABLE when room frees, even though none
 * of its own bytes left (found by h2 bench uploading on many streams). */
static void test_starved_writer_woken(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_send_buffer = 20000;
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  static uint8_t body[20000];
  CHECK_EQ_INT(h2_conn_submit_request(conn, fields, 3, 0, NULL), 1);
  CHECK_EQ_INT(h2_conn_submit_request(conn, fields, 3, 0, NULL), 3);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, body, sizeof(body), 1), 20000);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 3, body, sizeof(body), 1), 0);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_flush(conn, &log);
  CHECK(log.events && strstr(log.events, "WRITABLE 3") != NULL);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 3, body, sizeof(body), 1), 20000);
  conn_log_free(&log);
  h2_conn_del(conn);
}

TEST_MAIN("conn", TEST_CASE(test_simple_get),
          TEST_CASE(test_interleaved_streams_padding_continuation),
          TEST_CASE(test_interim_head_204), TEST_CASE(test_malformed_responses),
          TEST_CASE(test_connection_fields_dropped),
          TEST_CASE(test_refused_and_goaway), TEST_CASE(test_connection_errors),
          TEST_CASE(test_unsolicited_ack_and_data_after_end),
          TEST_CASE(test_truncation), TEST_CASE(test_concurrency_queue),
          TEST_CASE(test_concurrency_limit_applies),
          TEST_CASE(test_upload_flow_control),
          TEST_CASE(test_send_buffer_backpressure),
          TEST_CASE(test_settings_timeout), TEST_CASE(test_ping),
          TEST_CASE(test_manual_flow_control),
          TEST_CASE(test_requests_validated),
          TEST_CASE(test_peer_header_list_limit), TEST_CASE(test_push_promise),
          TEST_CASE(test_extended_connect_and_priority),
          TEST_CASE(test_small_data_flood), TEST_CASE(test_starved_writer_woken))
