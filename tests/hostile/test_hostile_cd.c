/*
 * Hostile-server suite, sections C (stream identifiers and states, cases
 * 41-54) and D (header blocks, CONTINUATION and HPACK, cases 55-80) of
 * the checklist in hostile-servers-and-limits.md section 4.
 *
 * Every case runs its scripted server under all six cuts with run_case
 * (tests/support/script_case.h), which asserts the passing criteria of
 * section 4 (no leak, bounded memory, scope, nothing retracted, the same
 * log under every cut) and compares every per-reason counter.
 *
 * HPACK cases build their blocks byte by byte so the dynamic table holds
 * exactly what the case says (the script's own encoder is not used where
 * table state matters).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h2_script.h"
#include "hpack_block.h"
#include "script_case.h"
#include "test.h"
#include "test_alloc.h"
/* White box, for case 53 only: the connection's stream-id counter. The
 * struct comes from the same src/conn_internal.h the library was built
 * with. */
#include "conn_internal.h"

static const uint32_t streams_1_3[] = {1, 3};
static const uint32_t stream_3[] = {3};

/* A raw block on stream 3 that must fail the connection with
 * COMPRESSION_ERROR, after stream 1 completed normally: its response
 * stays delivered, stream 3 is reset with the fatal code. */
static void compression_case(const char *name, const void *bytes, size_t n) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_raw_block(&s, 3, 1, bytes, n);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
               H2_ERR_CONN_COMPRESSION);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION};
  run_case(name, NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

static void compression_block_case(const char *name, const block *b) {
  compression_case(name, b->p, b->n);
}

/* ======================================================================== */
/* C. Stream identifiers and stream states                                   */
/* ======================================================================== */

static void headers_even(h2_script *s) { script_raw_block(s, 2, 1, "\x88", 1); }

/* 41. HEADERS on an even stream ID with no PUSH_PROMISE (an idle
 * server-initiated stream) -> conn PROTOCOL_ERROR. */
static void case_41_headers_even_stream(void) {
  fatal_case("41 HEADERS on stream 2", NULL, headers_even, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
}

static void headers_101(h2_script *s) { script_raw_block(s, 101, 1, "\x88", 1); }

/* A request the server's limit of one keeps queued (id 3 is reserved by
 * submission but never sent): HEADERS for it is still an idle stream. */
static void headers_for_queued(void) {
  h2_script first, bad;
  script_init(&first);
  script_init(&bad);
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_settings(&first, one, 1);
  script_settings_ack(&first);
  script_raw_block(&bad, 3, 1, "\x88", 1);
  after_fault(&bad);
  for (size_t c = 0; c < 6; c++) {
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &first, CUT_WHOLE, 1, 0, &log);
    setup_two_gets(conn);
    CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
    conn_run(conn, &bad, script_cuts[c], 1000 + c, 0, &log);
    CHECK(log.events && strcmp(log.events,
                               "SETTINGS 0\nRESET 1 err=-901\n"
                               "RESET 3 err=-901 flags=2\n"
                               "CONNERR 0 err=-901\nCLOSED 0\n") == 0);
    CHECK(log.sent && strstr(log.sent, "GOAWAY last=0 PROTOCOL_ERROR\n"));
    CHECK(log.sent && !strstr(log.sent, "HEADERS 3"));
    CHECK_EQ_INT(log.recv_result, H2_ERR_CONN_PROTOCOL);
    CHECK_EQ_INT(h2_conn_open_streams(conn), 0);
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
  script_free(&first);
  script_free(&bad);
}

/* 42. HEADERS on an odd stream ID we never opened (e.g., 101 while our
 * next ID is 3) -> conn PROTOCOL_ERROR, with no stream state created. */
static void case_42_headers_unopened_odd(void) {
  fatal_case("42 HEADERS on stream 101", NULL, headers_101, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  headers_for_queued();
}

static void data_idle_odd(h2_script *s) { script_data(s, 5, "x", 1, 0, 0); }
static void data_idle_even(h2_script *s) { script_data(s, 2, "x", 1, 1, 0); }

/* 43. DATA on an idle stream, odd or even -> conn PROTOCOL_ERROR. */
static void case_43_data_idle(void) {
  fatal_case("43 DATA on idle 5", NULL, data_idle_odd, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("43 DATA on idle 2", NULL, data_idle_even, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
}

static void rst_idle(h2_script *s) { script_rst(s, 5, H2_CANCEL); }
static void rst_idle_even(h2_script *s) { script_rst(s, 2, H2_CANCEL); }
static void wu_idle(h2_script *s) { script_window_update(s, 5, 100); }
static void wu_idle_even(h2_script *s) { script_window_update(s, 4, 100); }
static void continuation_idle(h2_script *s) {
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 5, "\x88", 1);
}

/* 44. RST_STREAM, WINDOW_UPDATE or CONTINUATION on an idle stream ->
 * conn PROTOCOL_ERROR. */
static void case_44_idle_rst_window_update_continuation(void) {
  fatal_case("44 RST_STREAM on idle 5", NULL, rst_idle, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("44 RST_STREAM on idle 2", NULL, rst_idle_even, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("44 WINDOW_UPDATE on idle 5", NULL, wu_idle, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("44 WINDOW_UPDATE on idle 4", NULL, wu_idle_even, "", streams_1_3,
             2, H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("44 CONTINUATION on idle 5", NULL, continuation_idle, "",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
}

static void data_after_end(h2_script *s) {
  script_raw_block(s, 1, 0, "\x88", 1);
  script_data(s, 1, "abc", 3, 1, 0);
  script_data(s, 1, "late", 4, 0, 0);
}

static void empty_data_after_end(h2_script *s) {
  script_raw_block(s, 1, 1, "\x88", 1);
  script_data(s, 1, NULL, 0, 1, 0);
}

/* 45. DATA after the server's own END_STREAM on that stream -> conn
 * STREAM_CLOSED (docs/limits.md). The response already delivered stays
 * valid. */
static void case_45_data_after_end_stream(void) {
  char before[256];
  snprintf(before, sizeof(before),
           "HEADERS 1 200 :status=200\nDATA 1 3 %016llx\nEND 1\n", hash_of("abc"));
  fatal_case("45 DATA after END_STREAM", NULL, data_after_end, before, stream_3,
             1, H2_ERR_CONN_STREAM_CLOSED, NULL);
  fatal_case("45 empty DATA after END_STREAM", NULL, empty_data_after_end,
             "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
             H2_ERR_CONN_STREAM_CLOSED, NULL);
}

static void headers_after_end(h2_script *s) {
  script_raw_block(s, 1, 1, "\x88", 1);
  script_raw_block(s, 1, 1, "\x88", 1);
}

static void headers_after_end_split(h2_script *s) {
  script_raw_block(s, 1, 1, "\x88", 1);
  block b = {0};
  b_lit(&b, "x-trailer", "1");
  script_block_split(s, 1, 1, &b, 4);
  b_free(&b);
}

/* 46. HEADERS after the server's END_STREAM on that stream -> stream or
 * conn STREAM_CLOSED (ours: conn, docs/limits.md). */
static void case_46_headers_after_end_stream(void) {
  fatal_case("46 HEADERS after END_STREAM", NULL, headers_after_end,
             "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
             H2_ERR_CONN_STREAM_CLOSED, NULL);
  fatal_case("46 HEADERS+CONTINUATION after END_STREAM", NULL,
             headers_after_end_split,
             "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
             H2_ERR_CONN_STREAM_CLOSED, NULL);
}

static void server_rst_then(h2_script *s) {
  script_raw_block(s, 1, 0, "\x88", 1);
  script_data(s, 1, "ab", 2, 0, 0);
  script_rst(s, 1, H2_CANCEL);
}
static void rst_then_data(h2_script *s) {
  server_rst_then(s);
  script_data(s, 1, "cd", 2, 0, 0);
}
static void rst_then_headers(h2_script *s) {
  server_rst_then(s);
  script_raw_block(s, 1, 1, "\x88", 1);
}
static void rst_then_continuation(h2_script *s) {
  server_rst_then(s);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "\x88", 1);
}

/* 47. The server RSTs a stream and then sends DATA, HEADERS or
 * CONTINUATION on it -> STREAM_CLOSED (a CONTINUATION outside a block is
 * PROTOCOL_ERROR first, RFC 9113 6.10). Never an RST in reply. */
static void case_47_frames_after_server_rst(void) {
  char before[256];
  snprintf(before, sizeof(before),
           "HEADERS 1 200 :status=200\nDATA 1 2 %016llx\nRESET 1 err=-108\n",
           hash_of("ab"));
  static const char *const no_rst[] = {"RST_STREAM", NULL};
  void (*bad[])(h2_script *) = {rst_then_data, rst_then_headers,
                                rst_then_continuation};
  int codes[] = {H2_ERR_CONN_STREAM_CLOSED, H2_ERR_CONN_STREAM_CLOSED,
                 H2_ERR_CONN_PROTOCOL};
  const char *names[] = {"47 DATA after server RST", "47 HEADERS after server RST",
                         "47 CONTINUATION after server RST"};
  for (int i = 0; i < 3; i++) {
    h2_script s;
    script_init(&s);
    script_open_server(&s);
    bad[i](&s);
    after_fault(&s);
    sbuf ev = {0};
    expect_fatal(&ev, before, stream_3, 1, codes[i]);
    case_want w = {.events = sb_str(&ev), .unsent = no_rst, .fatal = codes[i]};
    run_case(names[i], NULL, setup_two_gets, &s, &w);
    sb_free(&ev);
    script_free(&s);
  }
}

static void get_and_cancel_first(h2_conn *conn) {
  setup_two_gets(conn);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 1, H2_CANCEL), 0);
}

enum { AFTER_RST_FRAMES = 13, AFTER_RST_DATA = AFTER_RST_FRAMES * 16384 };

/* Everything the server sent for the reset stream was credited back to
 * the connection window (minus at most the half window the client keeps
 * before sending an update). */
static void check_reset_stream_credit(h2_conn *conn, const conn_log *log) {
  (void)conn;
  CHECK(log->window_update_bytes + 32767 >= AFTER_RST_DATA);
  CHECK(log->window_update_bytes <= AFTER_RST_DATA + 300);
}

/* 48. Frames arrive on a stream we just RST (DATA, HEADERS/trailers,
 * WINDOW_UPDATE, PUSH_PROMISE) -> quietly ignored; DATA still counted in
 * the connection window and credited; HEADERS HPACK-decoded. No error and
 * no RST in reply, even when more than a whole connection window of DATA
 * arrives after the RST. */
static void case_48_frames_after_our_rst(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.connection_window_size = 65535; /* so the DATA below is > 3 windows */
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0); /* our SETTINGS not yet ACKed */
  static uint8_t chunk[16384];
  memset(chunk, 'z', sizeof(chunk));
  for (int i = 0; i < AFTER_RST_FRAMES - 1; i++)
    script_data(&s, 1, chunk, sizeof(chunk), 0, 0);
  script_data(&s, 1, chunk, sizeof(chunk) - 101, 0, 100); /* padded, same size */
  /* A response block for the reset stream that adds x-t: v to the table. */
  block b = {0};
  b_byte(&b, 0x88);
  b_lit_add(&b, "x-t", "v");
  script_raw_block(&s, 1, 0, b.p, b.n);
  b_free(&b);
  script_raw_block(&s, 1, 1, "\x00\x03x-c\x01\x31", 7); /* trailers */
  script_window_update(&s, 1, 1000);
  /* A promise on the reset stream before the server saw ENABLE_PUSH=0:
   * decoded, then the promised stream refused. */
  script_frame(&s, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1,
               "\x00\x00\x00\x02\x82\x84", 6);
  script_settings_ack(&s);
  script_raw_block(&s, 3, 0, "\x88\xbe", 2); /* relies on the discarded block */
  script_data(&s, 3, "ok", 2, 1, 0);
  char events[256];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 3 200 :status=200 x-t=v\nDATA 3 2 %016llx\nEND 3\n",
           hash_of("ok"));
  static const char *const sent[] = {"RST_STREAM 1 CANCEL\n",
                                     "RST_STREAM 2 REFUSED_STREAM\n", NULL};
  static const char *const unsent[] = {"STREAM_CLOSED", "PROTOCOL_ERROR",
                                       "FLOW_CONTROL_ERROR", NULL};
  case_want w = {.events = events, .sent = sent, .unsent = unsent,
            .after = check_reset_stream_credit};
  run_case("48 frames after our RST", &o, get_and_cancel_first, &s, &w);
  script_free(&s);
}

static void long_closed(h2_script *s) {
  script_raw_block(s, 1, 1, "\x88", 1);
  script_window_update(s, 1, 5000);
  script_rst(s, 1, H2_STREAM_CLOSED);
  script_frame(s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5);
  script_raw_block(s, 3, 0, "\x88", 1);
  script_data(s, 3, "ok", 2, 1, 0);
}

/* 52 requests; the first 51 are reset at once, which pushes stream 1 out
 * of the 50 recently reset streams the connection remembers by default
 * (recent_reset_streams; no clock runs here, so only the count bounds
 * it). */
static void many_reset(h2_conn *conn) {
  for (int i = 0; i < 52; i++) CHECK_EQ_INT(submit_get(conn, "/r"), 2 * i + 1);
  for (uint32_t id = 1; id <= 101; id += 2)
    CHECK_EQ_INT(h2_conn_reset_stream(conn, id, H2_CANCEL), 0);
}

/* 49. Frames on a stream closed long ago (both END_STREAMs seen) -> MAY
 * conn STREAM_CLOSED. Ours (docs/limits.md): WINDOW_UPDATE, RST_STREAM
 * and PRIORITY are ignored; DATA or HEADERS is conn STREAM_CLOSED (cases
 * 45, 46) unless the stream is one of the last 50 we reset (and, with a
 * clock, within its grace period: test_hostile_resets.c). The glitch
 * charged for each ignored frame is checked in test_hostile_cd_more.c. */
static void case_49_frames_on_long_closed_stream(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  long_closed(&s);
  char events[256];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
           "HEADERS 3 200 :status=200\nDATA 3 2 %016llx\nEND 3\n",
           hash_of("ok"));
  static const char *const unsent[] = {"RST_STREAM", NULL};
  case_want w = {.events = events, .unsent = unsent};
  run_case("49 control frames on a closed stream", NULL, setup_two_gets, &s, &w);
  script_free(&s);

  /* The memory of resets is 50 streams: DATA for the 2nd oldest is still
   * dropped quietly (the live stream 103 then completes), DATA for the
   * oldest (forgotten) is STREAM_CLOSED. */
  script_init(&s);
  script_open_server(&s);
  script_data(&s, 3, "x", 1, 0, 0);
  script_raw_block(&s, 103, 1, "\x88", 1);
  script_data(&s, 1, "x", 1, 0, 0);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "HEADERS 103 200 flags=1 :status=200\nEND 103\n", NULL, 0,
               H2_ERR_CONN_STREAM_CLOSED);
  case_want w2 = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_STREAM_CLOSED};
  run_case("49 reset memory of 50 streams", NULL, many_reset, &s, &w2);
  sb_free(&ev);
  script_free(&s);
}

/* One server RST_STREAM code on stream 1 after part of a response, while
 * stream 3 completes. */
static void server_rst_case(uint32_t code, int error, int flags, int prior) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  if (prior) {
    script_raw_block(&s, 1, 0, "\x88", 1);
    script_data(&s, 1, "part", 4, 0, 0);
  }
  script_rst(&s, 1, code);
  script_raw_block(&s, 3, 1, "\x88", 1);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\n");
  if (prior)
    sb_printf(&ev, "HEADERS 1 200 :status=200\nDATA 1 4 %016llx\n", hash_of("part"));
  sb_printf(&ev, "RESET 1 err=%d", error);
  if (flags) sb_printf(&ev, " flags=%d", flags);
  sb_printf(&ev, "\nHEADERS 3 200 flags=1 :status=200\nEND 3\n");
  static const char *const unsent[] = {"RST_STREAM", NULL};
  case_want w = {.events = sb_str(&ev), .unsent = unsent};
  char name[64];
  snprintf(name, sizeof(name), "50 server RST_STREAM 0x%x", code);
  run_case(name, NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

/* 50. RST_STREAM from the server with each error code: the stream ends
 * with that error (unknown codes as INTERNAL_ERROR), REFUSED_STREAM is
 * retryable, bytes delivered earlier stay, no RST in reply, and the
 * connection stays usable (also after PROTOCOL_ERROR: our decision). */
static void case_50_server_rst_codes(void) {
  server_rst_case(H2_NO_ERROR, H2_ERR_STREAM_BASE, 0, 1);
  server_rst_case(H2_REFUSED_STREAM, H2_ERR_STREAM_REFUSED, H2_EVENT_FLAG_RETRYABLE, 0);
  server_rst_case(H2_CANCEL, H2_ERR_STREAM_CANCEL, 0, 1);
  server_rst_case(H2_PROTOCOL_ERROR, H2_ERR_STREAM_PROTOCOL, 0, 1);
  server_rst_case(H2_ENHANCE_YOUR_CALM, H2_ERR_STREAM_ENHANCE_YOUR_CALM, 0, 1);
  server_rst_case(0xDEADBEEFu, H2_ERR_STREAM_INTERNAL, 0, 1);
}

static void post_partial_and_get(h2_conn *conn) {
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"POST", 7, 4, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/up", 5, 3, 0, 0}};
  CHECK_EQ_INT(h2_conn_submit_request(conn, fields, 3, 0, NULL), 1);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, (const uint8_t *)"first", 5, 0), 5);
  CHECK_EQ_INT(submit_get(conn, "/b"), 3);
}

/* The upload of the finished stream can no longer take bytes. */
static void check_upload_stopped(h2_conn *conn, const conn_log *log) {
  (void)log;
  CHECK_EQ_INT(h2_conn_submit_data(conn, 1, (const uint8_t *)"more", 4, 1),
               H2_ERR_STREAM_NOT_FOUND);
}

/* 51. RST_STREAM(NO_ERROR) after a complete response while we are still
 * uploading -> stop the upload; the response is delivered as a success.
 * (Ours, docs/limits.md: the client itself stops the upload with
 * RST_STREAM(CANCEL) when the response completes; the server's
 * RST_STREAM(NO_ERROR) then finds the stream closed and is ignored.) */
static void case_51_rst_no_error_while_uploading(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 0, "\x88", 1);
  script_data(&s, 1, "done", 4, 1, 0);
  script_rst(&s, 1, H2_NO_ERROR);
  script_raw_block(&s, 3, 1, "\x88", 1);
  char events[256];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 1 200 :status=200\nDATA 1 4 %016llx\nEND 1\n"
           "HEADERS 3 200 flags=1 :status=200\nEND 3\n",
           hash_of("done"));
  static const char *const sent[] = {"RST_STREAM 1 CANCEL\n", NULL};
  static const char *const unsent[] = {"DATA 1 END", "RST_STREAM 1 NO_ERROR",
                                       "RST_STREAM 3", NULL};
  case_want w = {.events = events, .sent = sent, .unsent = unsent,
            .after = check_upload_stopped};
  run_case("51 RST(NO_ERROR) while uploading", NULL, post_partial_and_get, &s, &w);
  script_free(&s);
}

/* 52. The server skips stream IDs (answers stream 5 before 3) -> fine. */
static void case_52_server_answers_out_of_order(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 5, 0, "\x88", 1);
  script_data(&s, 5, "five", 4, 1, 0);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_raw_block(&s, 3, 1, "\x88", 1);
  char events[256];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 5 200 :status=200\nDATA 5 4 %016llx\nEND 5\n"
           "HEADERS 1 200 flags=1 :status=200\nEND 1\n"
           "HEADERS 3 200 flags=1 :status=200\nEND 3\n",
           hash_of("five"));
  case_want w = {.events = events};
  run_case("52 out of order", NULL, setup_three_gets, &s, &w);
  script_free(&s);
}

/* Stream ids are never reused: a request cancelled while queued leaves
 * its id behind (implicitly closed), the next request takes a new one. */
static void ids_never_reused(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_script s;
  script_init(&s);
  static const uint32_t one[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 1};
  script_settings(&s, one, 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  setup_two_gets(conn);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 3, H2_CANCEL), 0);
  CHECK_EQ_INT(submit_get(conn, "/c"), 5);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* A server GOAWAY: no new stream may open on this connection. */
static void goaway_refuses_new_streams(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  CHECK(h2_conn_can_submit(conn));
  setup_one_get(conn);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_goaway(&s, 1, H2_NO_ERROR, "");
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  CHECK(!h2_conn_can_submit(conn));
  CHECK_EQ_INT(submit_get(conn, "/late"), H2_ERR_CONNECTION_GOING_AWAY);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* White box: the id counter is moved near 2^31 - 1, since opening 2^30
 * streams is out of reach for a test. */
static void ids_exhausted(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  conn->next_stream_id = H2_MAX_STREAM_ID - 2;
  CHECK(h2_conn_can_submit(conn));
  CHECK_EQ_INT(submit_get(conn, "/a"), (int)(H2_MAX_STREAM_ID - 2));
  CHECK(h2_conn_can_submit(conn));
  CHECK_EQ_INT(submit_get(conn, "/b"), (int)H2_MAX_STREAM_ID);
  /* 2^31 + 1 would be next: never wrap, never reuse. */
  CHECK(!h2_conn_can_submit(conn));
  CHECK_EQ_INT(submit_get(conn, "/c"), H2_ERR_CONNECTION_GOING_AWAY);
  /* The streams already open complete normally. */
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, H2_MAX_STREAM_ID - 2, 1, "\x88", 1);
  script_raw_block(&s, H2_MAX_STREAM_ID, 1, "\x88", 1);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &s, CUT_SEVEN, 1, 0, &log);
  CHECK(log.events && strcmp(log.events,
                             "SETTINGS 0\n"
                             "HEADERS 2147483645 200 flags=1 :status=200\n"
                             "END 2147483645\n"
                             "HEADERS 2147483647 200 flags=1 :status=200\n"
                             "END 2147483647\n") == 0);
  CHECK(log.sent && strstr(log.sent, "HEADERS 2147483647 flags=5"));
  CHECK(!h2_conn_is_closed(conn));
  CHECK_EQ_INT(submit_get(conn, "/d"), H2_ERR_CONNECTION_GOING_AWAY);
  script_free(&s);
  conn_log_free(&log);
  h2_conn_del(conn);
}

/* 53. Stream-ID exhaustion: after 2^30 requests the next ID would exceed
 * 2^31-1 -> use a new connection transparently. Never wrap, and never
 * reuse an ID. (The connection refuses with H2_ERR_CONNECTION_GOING_AWAY;
 * opening the new connection is the client layer's job.) */
static void case_53_stream_id_exhaustion(void) {
  ids_never_reused();
  goaway_refuses_new_streams();
  ids_exhausted();
}

static void get_three_cancel_middle(h2_conn *conn) {
  setup_three_gets(conn);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 3, H2_CANCEL), 0);
}

/* 54. WINDOW_UPDATE on a stream we already closed -> ignored, not an
 * error (closed by the server's END_STREAM, and reset by us). */
static void case_54_window_update_on_closed(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_window_update(&s, 1, 1);
  script_window_update(&s, 3, 0x7fffffff); /* would even overflow */
  script_window_update(&s, 1, 0x7fffffff);
  script_raw_block(&s, 5, 1, "\x88", 1);
  static const char *const sent[] = {"RST_STREAM 3 CANCEL\n", NULL};
  static const char *const unsent[] = {"RST_STREAM 1", "RST_STREAM 5",
                                       "FLOW_CONTROL_ERROR", NULL};
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
                      "HEADERS 5 200 flags=1 :status=200\nEND 5\n",
            .sent = sent, .unsent = unsent};
  run_case("54 WINDOW_UPDATE on closed streams", NULL, get_three_cancel_middle,
           &s, &w);
  script_free(&s);
}

/* ======================================================================== */
/* D. Header blocks, CONTINUATION and HPACK                                  */
/* ======================================================================== */

static void open_block(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, 0, 1, "\x88", 1);
}
static void block_then_data(h2_script *s) {
  open_block(s);
  script_data(s, 1, "x", 1, 0, 0);
}
static void block_then_ping(h2_script *s) {
  open_block(s);
  script_ping(s, 0, "12345678");
}
static void block_then_priority(h2_script *s) {
  open_block(s);
  script_frame(s, H2_FRAME_PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5);
}
static void block_then_headers(h2_script *s) {
  open_block(s);
  script_raw_block(s, 3, 1, "\x88", 1);
}
static void block_then_unknown(h2_script *s) {
  open_block(s);
  script_frame(s, 0xfa, 0, 0, "ext", 3);
}

/* 55. HEADERS without END_HEADERS, then DATA, PING, PRIORITY or HEADERS
 * for another stream (or an unknown frame type) -> conn PROTOCOL_ERROR. */
static void case_55_interrupted_block(void) {
  fatal_case("55 block then DATA", NULL, block_then_data, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("55 block then PING", NULL, block_then_ping, "", streams_1_3, 2,
             H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("55 block then PRIORITY", NULL, block_then_priority, "",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("55 block then HEADERS 3", NULL, block_then_headers, "",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
  fatal_case("55 block then unknown type", NULL, block_then_unknown, "",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
}

static void continuation_other_stream(h2_script *s) {
  open_block(s);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 3, "\x88", 1);
}

/* 56. CONTINUATION for a different stream ID than the open header block
 * -> conn PROTOCOL_ERROR. */
static void case_56_continuation_other_stream(void) {
  fatal_case("56 CONTINUATION on stream 3", NULL, continuation_other_stream, "",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
}

static void continuation_after_end_headers(h2_script *s) {
  script_raw_block(s, 1, 0, "\x88", 1);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "\x88", 1);
}

/* 57. CONTINUATION with no open block (after END_HEADERS, or as the first
 * frame) -> conn PROTOCOL_ERROR. */
static void case_57_continuation_without_block(void) {
  fatal_case("57 CONTINUATION after END_HEADERS", NULL,
             continuation_after_end_headers, "HEADERS 1 200 :status=200\n",
             streams_1_3, 2, H2_ERR_CONN_PROTOCOL, NULL);
  /* As the server's very first frame (before its SETTINGS). */
  h2_script s;
  script_init(&s);
  script_frame(&s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "\x88", 1);
  script_settings(&s, script_no_settings, 0);
  after_fault(&s);
  case_want w = {.events = "RESET 1 err=-901\nRESET 3 err=-901\n"
                      "CONNERR 0 err=-901\nCLOSED 0\n",
            .fatal = H2_ERR_CONN_PROTOCOL};
  run_case("57 CONTINUATION as first frame", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* The response of case 58: its block cut into three frames. */
static void block_58(block *b) {
  b_byte(b, 0x88);
  b_lit(b, "x-first", "one");
  b_lit(b, "x-second", "two");
}

/* 58. HEADERS followed by several valid CONTINUATIONs (3 frames, the
 * END_HEADERS on the last) -> accepted. With END_STREAM on the HEADERS,
 * the stream closes only after END_HEADERS. */
static void case_58_valid_continuations(void) {
  block b = {0};
  block_58(&b);
  size_t cuts[] = {5, 14};
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_at(&s, 1, 1, &b, cuts, 2, 0);
  script_raw_block(&s, 3, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\n"
                      "HEADERS 1 200 flags=1 :status=200 x-first=one x-second=two\n"
                      "END 1\nHEADERS 3 200 flags=1 :status=200\nEND 3\n"};
  run_case("58 HEADERS + 2 CONTINUATIONs", NULL, setup_two_gets, &s, &w);
  script_free(&s);

  /* Fed in two parts: after HEADERS(END_STREAM) and the first
   * CONTINUATION nothing is reported and the stream is still open. */
  h2_script part1, part2;
  script_init(&part1);
  script_init(&part2);
  script_open_server(&part1);
  script_frame(&part1, H2_FRAME_HEADERS, H2_FLAG_END_STREAM, 1, b.p, 5);
  script_frame(&part1, H2_FRAME_CONTINUATION, 0, 1, b.p + 5, 9);
  script_frame(&part2, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, b.p + 14,
               b.n - 14);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  setup_two_gets(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  conn_run(conn, &part1, CUT_BYTES, 1, 0, &log);
  CHECK(log.events && strcmp(log.events, "SETTINGS 0\n") == 0);
  CHECK_EQ_INT(h2_conn_open_streams(conn), 2);
  conn_run(conn, &part2, CUT_BYTES, 1, 0, &log);
  CHECK(log.events && strstr(log.events, "x-second=two\nEND 1\n"));
  CHECK_EQ_INT(h2_conn_open_streams(conn), 1);
  conn_log_free(&log);
  h2_conn_del(conn);
  script_free(&part1);
  script_free(&part2);
  b_free(&b);
}

/* A block that is one 65536-byte literal value: it never completes, its
 * bytes keep the decoder waiting. */
static void continuation_flood(h2_script *s) {
  block b = {0};
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_int(&b, 0x00, 7, 65536);
  b_fill(&b, 'a', 20 * 16384 - b.n);
  size_t cuts[19];
  for (size_t i = 0; i < 19; i++) cuts[i] = (i + 1) * 16384;
  script_block_at(s, 1, 1, &b, cuts, 19, 1);
  b_free(&b);
}

static void small_continuation_flood(h2_script *s) {
  block b = {0};
  b_byte(&b, 0x88);
  b_fill(&b, 0x88, 40 * 100);
  size_t cuts[39];
  for (size_t i = 0; i < 39; i++) cuts[i] = 1 + (i + 1) * 100;
  script_block_at(s, 1, 1, &b, cuts, 39, 1);
  b_free(&b);
}

/* 59. CONTINUATION flood: HEADERS without END_HEADERS followed by endless
 * 16 KB CONTINUATIONs -> after 8 CONTINUATIONs, or once the compressed
 * block exceeds the header budget, conn ENHANCE_YOUR_CALM. Memory stays
 * at or below the block limit; the request errors out, never hangs. */
static void case_59_continuation_flood(void) {
  uint64_t counters[H2_COUNTER_COUNT] = {0};
  counters[H2_COUNTER_CONTINUATION_FLOOD] = 1;
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  continuation_flood(&s);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "", streams_1_3, 2, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  /* Budget: the compressed block the byte cap allows (64 KiB) is all
   * the decoder may hold, plus one frame buffer (16 KiB). */
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM,
            .extra_peak = 65536 + 16384};
  memcpy(w.counters, counters, sizeof(counters));
  run_case("59 16 KB CONTINUATION flood", NULL, setup_two_gets, &s, &w);
  script_free(&s);

  /* 100-byte CONTINUATIONs: the frame count (8) fires long before the
   * byte cap. */
  script_init(&s);
  script_open_server(&s);
  small_continuation_flood(&s);
  after_fault(&s);
  /* Budget: a frame buffer, and the list of the 500 fields the cap lets
   * it keep (24-byte entries, 512 slots, plus their bytes). */
  w.extra_peak = 16384 + 32768;
  run_case("59 small CONTINUATION flood", NULL, setup_two_gets, &s, &w);
  script_free(&s);
  sb_free(&ev);
}

/* HEADERS without END_HEADERS and `n` empty CONTINUATIONs, the last one
 * ending the block when `end`. */
static void empty_continuations(h2_script *s, int n, int end) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_STREAM, 1, "\x88", 1);
  for (int i = 0; i < n; i++)
    script_frame(s, H2_FRAME_CONTINUATION,
                 end && i == n - 1 ? H2_FLAG_END_HEADERS : 0, 1, NULL, 0);
}

static void nine_empty(h2_script *s) { empty_continuations(s, 40, 0); }

/* 60. Zero-length CONTINUATION flood -> caught by the frame count (byte
 * limits never fire): 8 are accepted, the 9th is conn ENHANCE_YOUR_CALM. */
static void case_60_empty_continuation_flood(void) {
  uint64_t counters[H2_COUNTER_COUNT] = {0};
  counters[H2_COUNTER_CONTINUATION_FLOOD] = 1;
  fatal_case("60 empty CONTINUATION flood", NULL, nine_empty, "", streams_1_3,
             2, H2_ERR_CONN_ENHANCE_YOUR_CALM, counters);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  empty_continuations(&s, 8, 1);
  script_raw_block(&s, 3, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
                      "HEADERS 3 200 flags=1 :status=200\nEND 3\n"};
  run_case("60 eight empty CONTINUATIONs", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* A block adding x: <4063 b's> (an entry of exactly 4096 bytes) and then
 * referring to it `refs` times. */
static void bomb_block(block *b, size_t refs) {
  static char value[4064];
  memset(value, 'b', 4063);
  b_byte(b, 0x88);
  b_lit_add(b, "x", value);
  b_fill(b, 0xbe, refs);
}

/* 61. HPACK bomb: a 4,064-byte literal added to the table, then about
 * 16 KB of one-byte references to it (~64 MB decoded). Past the 64 KiB
 * budget the stream is reset (PROTOCOL_ERROR) and decoding goes on only
 * to keep HPACK in sync; past 4x, conn ENHANCE_YOUR_CALM. Peak memory
 * about the limit. */
static void case_61_hpack_bomb(void) {
  /* The full bomb: 4x the budget is reached at the 64th reference. */
  block b = {0};
  bomb_block(&b, 16000);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  after_fault(&s);
  b_free(&b);
  sbuf ev = {0};
  expect_fatal(&ev, "", streams_1_3, 2, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  /* Budget: fields are kept only while within the 64 KiB budget, the
   * arena grows by doubling (a copy while the old half is alive: 1.5x),
   * plus one frame buffer and a scratch value. */
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM,
            .extra_peak = 65536 * 3 / 2 + 16384 + 8192,
            .ignored_counters = 1u << H2_COUNTER_HEADER_LIST_TOO_LARGE};
  run_case("61 HPACK bomb", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);

  /* Over the budget but under 4x: stream 1 is reset, and its block still
   * fed the table (stream 3 refers to the entry it added). */
  bomb_block(&b, 20);
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88\xbe", 2);
  b_free(&b);
  sb_printf(&ev, "SETTINGS 0\nRESET 1 err=-101 flags=4\n"
                 "HEADERS 3 200 flags=1 :status=200 x=");
  sb_repeat(&ev, 'b', 4063);
  sb_printf(&ev, "\nEND 3\n");
  static const char *const sent[] = {"RST_STREAM 1 PROTOCOL_ERROR\n", NULL};
  case_want w2 = {.events = sb_str(&ev), .sent = sent,
             .extra_peak = 65536 * 3 / 2 + 16384 + 8192};
  w2.counters[H2_COUNTER_HEADER_LIST_TOO_LARGE] = 1;
  run_case("61 over the header budget", NULL, setup_two_gets, &s, &w2);
  sb_free(&ev);
  script_free(&s);

  /* The bomb on a stream we reset: decoded only to keep HPACK in sync,
   * yet the 4x guard still fires (nothing is stored). */
  bomb_block(&b, 16000);
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  after_fault(&s);
  b_free(&b);
  expect_fatal(&ev, "", stream_3, 1, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  case_want w3 = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM,
             .extra_peak = 16384 + 8192,
             .ignored_counters = 1u << H2_COUNTER_HEADER_LIST_TOO_LARGE};
  run_case("61 HPACK bomb on a reset stream", NULL, get_and_cancel_first, &s, &w3);
  sb_free(&ev);
  script_free(&s);
}

/* A response with :status and `n` fields named `name` with empty values. */
static void tiny_fields_block(block *b, size_t n, const char *name) {
  b_byte(b, 0x88);
  for (size_t i = 0; i < n; i++) b_lit(b, name, "");
}

/* 62. Many tiny fields: 100,000 fields with an empty name and value (or
 * a 1-byte name) -> the 32-byte overhead per field and the field cap
 * (500) stop it; an empty name is malformed -> stream PROTOCOL_ERROR. */
static void case_62_many_tiny_fields(void) {
  static const char *const rst1[] = {"RST_STREAM 1 PROTOCOL_ERROR\n", NULL};
  /* 500 fields (with :status) pass. */
  block b = {0};
  tiny_fields_block(&b, 499, "a");
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88", 1);
  b_free(&b);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200");
  for (int i = 0; i < 499; i++) sb_printf(&ev, " a=");
  sb_printf(&ev, "\nEND 1\nHEADERS 3 200 flags=1 :status=200\nEND 3\n");
  case_want w = {.events = sb_str(&ev)};
  run_case("62 500 fields", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);

  /* 501: the stream is reset, the connection lives. */
  tiny_fields_block(&b, 500, "a");
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88", 1);
  b_free(&b);
  case_want w2 = {.events = "SETTINGS 0\nRESET 1 err=-101 flags=4\n"
                       "HEADERS 3 200 flags=1 :status=200\nEND 3\n",
             .sent = rst1};
  w2.counters[H2_COUNTER_TOO_MANY_FIELDS] = 1;
  run_case("62 501 fields", NULL, setup_two_gets, &s, &w2);
  script_free(&s);

  /* An empty name is malformed. */
  tiny_fields_block(&b, 1, "");
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88", 1);
  b_free(&b);
  case_want w3 = w2;
  memset(w3.counters, 0, sizeof(w3.counters));
  w3.counters[H2_COUNTER_MALFORMED_RESPONSE] = 1;
  run_case("62 empty name", NULL, setup_two_gets, &s, &w3);
  script_free(&s);

  /* 100,000 empty fields: 32 bytes each reach 4x the budget at the
   * 8193rd field, long before the block ends: conn ENHANCE_YOUR_CALM,
   * with nothing stored beyond the field cap. */
  tiny_fields_block(&b, 100000, "");
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  after_fault(&s);
  b_free(&b);
  expect_fatal(&ev, "", streams_1_3, 2, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  /* Budget: a frame buffer and a list of 500 empty fields (512 slots of
   * 24 bytes and their NULs). */
  case_want w4 = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM,
             .extra_peak = 16384 + 20480,
             .ignored_counters = 1u << H2_COUNTER_HEADER_LIST_TOO_LARGE};
  run_case("62 100,000 empty fields", NULL, setup_two_gets, &s, &w4);
  sb_free(&ev);
  script_free(&s);
}

/* 63. HPACK integer overflow in an index or string length: 0xFF followed
 * by 10 or more 0xFF continuation bytes, and values >= 2^32 -> conn
 * COMPRESSION_ERROR. No wraparound into a small value. */
static void case_63_hpack_integer_overflow(void) {
  compression_case("63 index 0xFF x11", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
  compression_case("63 index >= 2^32", "\xff\x80\x80\x80\x80\x10", 6);
  /* 2^32 + 136 would wrap to 136 in 32 bits: not a valid index either
   * way, but the error must be the overflow, not a lookup. */
  compression_case("63 index wrapping to 136", "\xff\x89\x80\x80\x80\x10", 6);
  /* 2^32 + 8 would wrap to 8 (:status 200): must not decode as such. */
  compression_case("63 index wrapping to 8", "\xff\x89\xff\xff\xff\x0f", 6);
  compression_case("63 string length >= 2^32",
                   "\x00\x7f\xff\xff\xff\xff\x0f" "abc", 10);
}

/* 64. Over-long encoding of a small integer (0x7F 0x80 0x80 0x80 0x80
 * 0x80 0x00) -> COMPRESSION_ERROR once the octet count exceeds prefix+5;
 * prefix+5 itself is accepted. */
static void case_64_overlong_integer(void) {
  compression_case("64 over-long index", "\x7f\x80\x80\x80\x80\x80\x00", 7);
  compression_case("64 over-long size update", "\x3f\x80\x80\x80\x80\x80\x00\x88", 8);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  /* A size update of 31 in prefix + 5 octets, then :status 200. */
  script_raw_block(&s, 1, 1, "\x3f\x80\x80\x80\x80\x00\x88", 7);
  script_raw_block(&s, 3, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
                      "HEADERS 3 200 flags=1 :status=200\nEND 3\n"};
  run_case("64 prefix + 5 octets", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* A block on stream 3 that fails with COMPRESSION_ERROR at its first
 * frame, whose memory use must stay within `extra` of the baseline. */
static void bounded_compression_case(const char *name, const block *b,
                                     size_t extra) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_block_split(&s, 3, 1, b, 16384);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
               H2_ERR_CONN_COMPRESSION);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION,
            .extra_peak = extra};
  run_case(name, NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

/* 65. String length larger than the rest of the block, or larger than the
 * per-field cap (64 KiB) -> conn COMPRESSION_ERROR. Nothing is allocated
 * up front from the declared length. */
static void case_65_string_length(void) {
  compression_case("65 string past the block", "\x88\x00\x05" "ab", 5);
  compression_case("65 name past the block", "\x88\x00\x7f\x10xyz", 7);
  /* Declared past the cap: rejected at the length, with only a frame
   * buffer (16 KiB) more than the baseline. */
  block b = {0};
  b_byte(&b, 0x00);
  b_int(&b, 0x00, 7, 65537);
  b_fill(&b, 'n', 40000);
  bounded_compression_case("65 name of 65537", &b, 16384);
  b_free(&b);
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_int(&b, 0x00, 7, 0x7fffffff);
  b_fill(&b, 'v', 100);
  bounded_compression_case("65 value of 2^31-1", &b, 16384);
  b_free(&b);
}

/* 66. Indexed field with index 0 -> conn COMPRESSION_ERROR. */
static void case_66_index_zero(void) {
  compression_case("66 index 0", "\x88\x80", 2);
  compression_case("66 index 0 first", "\x80\x88", 2);
}

/* 67. Index above 61 + dynamic entries (62 with an empty table, or
 * 0x7FFFFFFF) in an indexed field or a literal with an indexed name ->
 * conn COMPRESSION_ERROR, no out-of-bounds access. */
static void case_67_index_out_of_range(void) {
  block b = {0};
  compression_case("67 index 62, empty table", "\x88\xbe", 2);
  b_byte(&b, 0x88);
  b_int(&b, 0x80, 7, 0x7fffffff);
  compression_block_case("67 index 2^31-1", &b);
  b_free(&b);
  compression_case("67 literal, name index 62", "\x88\x7e\x01x", 4);
  compression_case("67 no-index literal, name index 62", "\x88\x0f\x2f\x01x", 5);
  compression_case("67 never-indexed literal, name 70", "\x88\x1f\x37\x01x", 5);
  /* One entry added: 62 is valid, 63 is not. */
  b_byte(&b, 0x88);
  b_lit_add(&b, "a", "b");
  b_byte(&b, 0xbe);
  b_byte(&b, 0xbf);
  compression_block_case("67 index 63 with one entry", &b);
  b_free(&b);
}

/* A response whose field x has the raw Huffman bytes given. */
static void huffman_value_case(const char *name, const char *huff, size_t n) {
  block b = {0};
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_int(&b, 0x80, 7, (uint32_t)n);
  b_bytes(&b, huff, n);
  compression_block_case(name, &b);
  b_free(&b);
}

/* 68. Huffman string with padding longer than 7 bits, padding not all
 * ones, or the EOS symbol inside the string -> COMPRESSION_ERROR. */
static void case_68_huffman_errors(void) {
  /* 'a' is 00011 (5 bits): 0x1f is "a" with 3 bits of 1-padding. */
  huffman_value_case("68 padding of 11 bits", "\x1f\xff", 2);
  huffman_value_case("68 zero padding", "\x18", 1);
  huffman_value_case("68 EOS inside", "\xff\xff\xff\xff", 4);
  huffman_value_case("68 EOS after a symbol", "\x1f\xff\xff\xff\xfc", 5);
  /* The same in a name. */
  compression_case("68 bad padding in a name", "\x88\x00\x82\x1f\xff\x01v", 7);
  /* Control: the correct encoding is accepted. */
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88\x00\x01x\x81\x1f", 6);
  script_raw_block(&s, 3, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 x=a\nEND 1\n"
                      "HEADERS 3 200 flags=1 :status=200\nEND 3\n"};
  run_case("68 valid Huffman", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* 69. Maximum Huffman expansion: a string of 5-bit codes decodes to 8/5
 * of its length -> decoded correctly, never overrunning its buffer. */
static void case_69_huffman_max_expansion(void) {
  static const char five_bit[] = "012aceiost";
  size_t sizes[] = {8, 9, 4000, 60000};
  for (size_t k = 0; k < 4; k++) {
    char *value = malloc(sizes[k] + 1);
    for (size_t i = 0; i < sizes[k]; i++) value[i] = five_bit[(i * 7) % 10];
    value[sizes[k]] = 0;
    block b = {0};
    b_byte(&b, 0x88);
    b_byte(&b, 0x00);
    b_str(&b, "x", 1);
    b_huff(&b, value, sizes[k]);
    h2_script s;
    script_init(&s);
    script_open_server(&s);
    script_block_split(&s, 1, 1, &b, 16384);
    script_raw_block(&s, 3, 1, "\x88", 1);
    sbuf ev = {0};
    sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 x=%s\nEND 1\n"
                   "HEADERS 3 200 flags=1 :status=200\nEND 3\n", value);
    case_want w = {.events = sb_str(&ev)};
    char name[64];
    snprintf(name, sizeof(name), "69 %zu 5-bit symbols", sizes[k]);
    run_case(name, NULL, setup_two_gets, &s, &w);
    sb_free(&ev);
    script_free(&s);
    b_free(&b);
    free(value);
  }
}

/* 70. Dynamic Table Size Update larger than our SETTINGS_HEADER_TABLE_SIZE
 * (4097 when we advertise 4096) -> conn COMPRESSION_ERROR. */
static void case_70_size_update_too_large(void) {
  compression_case("70 size update 4097", "\x3f\xe2\x1f\x88", 4);
  compression_case("70 size update 2^32-1", "\x3f\xe0\xff\xff\xff\x0f\x88", 7);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x3f\xe1\x1f\x88", 4); /* 4096 is fine */
  script_raw_block(&s, 3, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
                      "HEADERS 3 200 flags=1 :status=200\nEND 3\n"};
  run_case("70 size update 4096", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

static void size_update_in_continuation(h2_script *s) {
  script_frame(s, H2_FRAME_HEADERS, H2_FLAG_END_STREAM, 1, "\x88", 1);
  script_frame(s, H2_FRAME_CONTINUATION, H2_FLAG_END_HEADERS, 1, "\x20", 1);
}

/* 71. Dynamic Table Size Update after a field representation (middle or
 * end of the block) -> conn COMPRESSION_ERROR. */
static void case_71_size_update_after_field(void) {
  compression_case("71 size update at the end", "\x88\x20", 2);
  compression_case("71 size update in the middle", "\x88\x20\x5f\x01x", 5);
  fatal_case("71 size update in a CONTINUATION", NULL,
             size_update_in_continuation, "", streams_1_3, 2,
             H2_ERR_CONN_COMPRESSION, NULL);
}

/* 72. After we lower SETTINGS_HEADER_TABLE_SIZE (e.g., to 0; here to 1,
 * since a zero option keeps the default) and the server
 * ACKs, the server's next block has no size update -> conn
 * COMPRESSION_ERROR. A block sent before the ACK, using the old size, is
 * accepted. */
static void case_72_size_update_required_after_ack(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.header_table_size = 1; /* 0 would mean "default" in the options */
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "a\x01" "b", 6); /* before the ACK */
  script_raw_block(&s, 3, 1, "\x88\xbe", 2);
  script_settings_ack(&s);
  script_raw_block(&s, 5, 1, "\x88", 1);
  after_fault(&s);
  static const uint32_t open5[] = {5};
  sbuf ev = {0};
  expect_fatal(&ev,
               "HEADERS 1 200 flags=1 :status=200 a=b\nEND 1\n"
               "HEADERS 3 200 flags=1 :status=200 a=b\nEND 3\n",
               open5, 1, H2_ERR_CONN_COMPRESSION);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION};
  run_case("72 no size update after the ACK", &o, setup_three_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);

  /* With the update the block is accepted and the table is empty. */
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "a\x01" "b", 6);
  script_settings_ack(&s);
  script_raw_block(&s, 3, 1, "\x20\x88", 2);
  script_raw_block(&s, 5, 1, "\x88\x40\x01" "c\x01" "d", 6); /* too big for 0 */
  case_want w2 = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 a=b\nEND 1\n"
                       "HEADERS 3 200 flags=1 :status=200\nEND 3\n"
                       "HEADERS 5 200 flags=1 :status=200 c=d\nEND 5\n"};
  run_case("72 size update 0 after the ACK", &o, setup_three_gets, &s, &w2);
  script_free(&s);
}

/* 73. Several size updates at the start of a block (0 then 4096,
 * legitimate; and a run of 1000) -> the pair is accepted; more than two
 * is COMPRESSION_ERROR (docs/limits.md). */
static void case_73_several_size_updates(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "a\x01" "b", 6);
  script_raw_block(&s, 3, 1, "\x20\x3f\xe1\x1f\x88", 5); /* 0 then 4096 */
  script_raw_block(&s, 5, 1, "\x88", 1);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 a=b\nEND 1\n"
                      "HEADERS 3 200 flags=1 :status=200\nEND 3\n"
                      "HEADERS 5 200 flags=1 :status=200\nEND 5\n"};
  run_case("73 two size updates", NULL, setup_three_gets, &s, &w);
  script_free(&s);
  compression_case("73 three size updates", "\x20\x20\x20\x88", 4);
  block b = {0};
  b_fill(&b, 0x20, 1000);
  b_byte(&b, 0x88);
  compression_block_case("73 1000 size updates", &b);
  b_free(&b);
}

/* The literal of case 74: a 5000-byte value, larger than the table. */
static void big_entry_block(block *b) {
  static char value[5001];
  memset(value, 'v', 5000);
  b_byte(b, 0x88);
  b_lit_add(b, "a", "b");
  b_lit_add(b, "x-big", value);
}

/* 74. Literal with incremental indexing whose entry is larger than the
 * table (a 5000-byte value with a 4096 table) -> table emptied, header
 * delivered, no error. */
static void case_74_entry_larger_than_table(void) {
  block b = {0};
  big_entry_block(&b);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88", 1);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 a=b x-big=");
  sb_repeat(&ev, 'v', 5000);
  sb_printf(&ev, "\nEND 1\nHEADERS 3 200 flags=1 :status=200\nEND 3\n");
  case_want w = {.events = sb_str(&ev)};
  run_case("74 entry larger than the table", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);

  /* The table is really empty: a reference to 62 afterwards fails. */
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 16384);
  script_raw_block(&s, 3, 1, "\x88\xbe", 2);
  after_fault(&s);
  sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 a=b x-big=");
  sb_repeat(&ev, 'v', 5000);
  sb_printf(&ev, "\nEND 1\nRESET 3 err=-909\nCONNERR 0 err=-909\nCLOSED 0\n");
  case_want w2 = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION};
  run_case("74 table emptied", NULL, setup_two_gets, &s, &w2);
  sb_free(&ev);
  script_free(&s);
  b_free(&b);
}

/* 75. Literal with incremental indexing that names the oldest entry,
 * which its own insertion evicts -> the name is copied before eviction,
 * and the decoded name is correct (ASan guards the reads). */
static void case_75_name_evicted_by_own_insertion(void) {
  static char long_name[2001], long_value[2001], z[101];
  memset(long_name, 'n', 2000);
  memset(long_value, 'b', 2000);
  memset(z, 'z', 100);
  block b = {0};
  b_byte(&b, 0x88);
  b_lit_add(&b, long_name, "1");   /* 2033 bytes: index 63 below */
  b_lit_add(&b, "x-b", long_value); /* 2035 bytes: index 62 */
  b_int(&b, 0x40, 6, 63);           /* name of the oldest entry ... */
  b_str(&b, z, 100);                /* ... whose insertion evicts both */
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 1000);
  script_raw_block(&s, 3, 1, "\x88\xbe", 2); /* the new entry, alone now */
  b_free(&b);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 %s=1 x-b=%s %s=%s\n"
                 "END 1\nHEADERS 3 200 flags=1 :status=200 %s=%s\nEND 3\n",
            long_name, long_value, long_name, z, long_name, z);
  case_want w = {.events = sb_str(&ev)};
  run_case("75 name evicted by its own insertion", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

/* 76. Duplicate dynamic-table entries -> no error. */
static void case_76_duplicate_entries(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "d\x01" "1\x40\x01" "d\x01" "1\xbe\xbf", 13);
  script_raw_block(&s, 3, 1, "\x88\xbf\xbe", 3);
  case_want w = {.events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 d=1 d=1 d=1 d=1\n"
                      "END 1\nHEADERS 3 200 flags=1 :status=200 d=1 d=1\nEND 3\n"};
  run_case("76 duplicate entries", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* A block for stream 1 that adds x-t: v and, per `kind`, is fine (0),
 * malformed (1: an uppercase name) or over the header budget (2). */
static void discarded_block(h2_script *s, int kind) {
  block b = {0};
  b_byte(&b, 0x88);
  b_lit_add(&b, "x-t", "v");
  if (kind == 1) b_lit(&b, "X-Upper", "1");
  if (kind == 2) {
    /* Two 40,000-byte values: 80 KB decoded (over the 64 KiB budget, under
     * 4x), 50 KB compressed (under the 64 KiB compressed-block cap). */
    static char zeros[40000];
    memset(zeros, '0', sizeof(zeros));
    for (int i = 0; i < 2; i++) {
      b_byte(&b, 0x00);
      b_str(&b, i ? "x-big2" : "x-big1", 6);
      b_huff(&b, zeros, sizeof(zeros));
    }
  }
  script_block_split(s, 1, 1, &b, 16384);
  b_free(&b);
}

static void expect_77(sbuf *ev) {
  sb_printf(ev, "HEADERS 3 200 flags=1 :status=200 x-t=v\nEND 3\n");
}

/* 77. A header block for a stream the client has reset, or a response
 * that will be discarded -> fully decoded (table updated), then dropped.
 * The next response relying on those entries decodes correctly. */
static void case_77_discarded_blocks_keep_table(void) {
  static const char *const cancel1[] = {"RST_STREAM 1 CANCEL\n", NULL};
  static const char *const rst1[] = {"RST_STREAM 1 PROTOCOL_ERROR\n", NULL};
  for (int kind = 0; kind < 3; kind++) {
    h2_script s;
    script_init(&s);
    script_open_server(&s);
    discarded_block(&s, kind);
    script_raw_block(&s, 3, 1, "\x88\xbe", 2);
    sbuf ev = {0};
    sb_printf(&ev, "SETTINGS 0\n");
    if (kind) sb_printf(&ev, "RESET 1 err=-101 flags=4\n");
    expect_77(&ev);
    case_want w = {.events = sb_str(&ev), .sent = kind ? rst1 : cancel1};
    if (kind == 1) w.counters[H2_COUNTER_MALFORMED_RESPONSE] = 1;
    if (kind == 2) w.counters[H2_COUNTER_HEADER_LIST_TOO_LARGE] = 1;
    const char *names[] = {"77 block for a stream we reset",
                           "77 malformed response", "77 oversized response"};
    run_case(names[kind], NULL, kind ? setup_two_gets : get_and_cancel_first, &s, &w);
    sb_free(&ev);
    script_free(&s);
  }
}

/* A value with symbols of many code lengths, so frame cuts fall inside
 * Huffman codes. */
static char *mixed_value(size_t n) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.~!#$%&*+^|ZQXJ";
  char *v = malloc(n + 1);
  for (size_t i = 0; i < n; i++) v[i] = alphabet[(i * 13 + i / 7) % (sizeof(alphabet) - 1)];
  v[n] = 0;
  return v;
}

/* 78. One literal value split across 50 CONTINUATIONs (Huffman codes and
 * integers cut at frame boundaries) -> decoded correctly in linear time.
 * (50 CONTINUATIONs are above our default cap of 8, so the case raises
 * max_continuations, as an application expecting such a server would.) */
static void case_78_value_across_50_continuations(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_continuations = 64;
  char *value = mixed_value(3000);
  block b = {0};
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_huff(&b, "x-name", 6);
  size_t integer_at = b.n; /* the value's length: 0xFF then more octets */
  b_huff(&b, value, 3000);
  size_t cuts[50];
  cuts[0] = integer_at + 1; /* inside the integer */
  cuts[1] = integer_at + 2; /* right after it */
  size_t step = (b.n - cuts[1]) / 49;
  for (size_t i = 2; i < 50; i++) cuts[i] = cuts[1] + (i - 1) * step - (i % 3);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_block_at(&s, 1, 1, &b, cuts, 50, 0);
  script_raw_block(&s, 3, 1, "\x88", 1);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200 x-name=%s\nEND 1\n"
                 "HEADERS 3 200 flags=1 :status=200\nEND 3\n", value);
  case_want w = {.events = sb_str(&ev)};
  run_case("78 value across 50 CONTINUATIONs", &o, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
  b_free(&b);
  free(value);

  /* Linear time: a 50,000-byte value in one-byte CONTINUATIONs (about
   * 34,000 frames). A decoder that re-parsed the value at every fragment
   * would do ~10^9 symbol decodes; ours must take well under a second. */
  o.max_continuations = 100000;
  value = mixed_value(50000);
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_huff(&b, value, 50000);
  script_init(&s);
  script_open_server(&s);
  script_block_split(&s, 1, 1, &b, 1);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  setup_one_get(conn);
  conn_log log;
  memset(&log, 0, sizeof(log));
  clock_t start = clock();
  conn_run(conn, &s, CUT_WHOLE, 1, 0, &log);
  double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
  CHECK(seconds < 1.0);
  CHECK(log.events && strstr(log.events, "END 1\n"));
  CHECK(log.events && strlen(log.events) > 50000);
  if (getenv("H2_HOSTILE_VERBOSE"))
    fprintf(stderr, "78: %zu one-byte fragments in %.3f s\n", b.n, seconds);
  conn_log_free(&log);
  h2_conn_del(conn);
  script_free(&s);
  b_free(&b);
  free(value);
}

/* 79. Field name larger than 64 KiB, or a single 1 MiB Huffman value ->
 * rejected (COMPRESSION_ERROR) before the full decode allocation. Memory
 * stays bounded. */
static void case_79_huge_field(void) {
  block b = {0};
  /* A name declared 100,000 bytes long, 40,000 of them sent. */
  b_byte(&b, 0x00);
  b_int(&b, 0x00, 7, 100000);
  b_fill(&b, 'n', 40000);
  bounded_compression_case("79 name of 100,000 bytes", &b, 16384);
  b_free(&b);
  /* A Huffman value declared 1 MiB long. */
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_int(&b, 0x80, 7, 1u << 20);
  b_fill(&b, 0x00, 40000);
  bounded_compression_case("79 Huffman value of 1 MiB", &b, 16384);
  b_free(&b);
  /* Declared within the cap (45,000 bytes) but decoding to 72,000:
   * rejected after decoding into scratch space of at most 8/5 of the
   * cap; the pending bytes (64 KiB by doubling) and a frame buffer. */
  static char zeros[72001];
  memset(zeros, '0', 72000);
  b_byte(&b, 0x88);
  b_byte(&b, 0x00);
  b_str(&b, "x", 1);
  b_huff(&b, zeros, 72000);
  bounded_compression_case("79 Huffman value decoding past 64 KiB", &b,
                           72001 + 65536 + 16384 + 4096);
  b_free(&b);
}

/* 80. Server encoder signals table size 0 and references entry 62 ->
 * conn COMPRESSION_ERROR (index out of range after the table was
 * cleared). */
static void case_80_size_zero_then_index_62(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "a\x01" "b\xbe", 7);
  script_raw_block(&s, 3, 1, "\x20\xbe", 2);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "HEADERS 1 200 flags=1 :status=200 a=b a=b\nEND 1\n",
               stream_3, 1, H2_ERR_CONN_COMPRESSION);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION};
  run_case("80 size 0 then index 62", NULL, setup_two_gets, &s, &w);
  script_free(&s);

  /* Back to 4096 in the same block: the table is still empty. */
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88\x40\x01" "a\x01" "b", 6);
  script_raw_block(&s, 3, 1, "\x20\x3f\xe1\x1f\xbe", 5);
  after_fault(&s);
  sb_free(&ev);
  expect_fatal(&ev, "HEADERS 1 200 flags=1 :status=200 a=b\nEND 1\n", stream_3,
               1, H2_ERR_CONN_COMPRESSION);
  w.events = sb_str(&ev);
  run_case("80 size 0, 4096, then index 62", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

#ifndef HOSTILE_CD_PENDING
TEST_MAIN("hostile_cd", TEST_CASE(case_41_headers_even_stream),
          TEST_CASE(case_42_headers_unopened_odd), TEST_CASE(case_43_data_idle),
          TEST_CASE(case_44_idle_rst_window_update_continuation),
          TEST_CASE(case_45_data_after_end_stream),
          TEST_CASE(case_46_headers_after_end_stream),
          TEST_CASE(case_47_frames_after_server_rst),
          TEST_CASE(case_48_frames_after_our_rst),
          TEST_CASE(case_49_frames_on_long_closed_stream),
          TEST_CASE(case_50_server_rst_codes),
          TEST_CASE(case_51_rst_no_error_while_uploading),
          TEST_CASE(case_52_server_answers_out_of_order),
          TEST_CASE(case_53_stream_id_exhaustion),
          TEST_CASE(case_54_window_update_on_closed),
          TEST_CASE(case_55_interrupted_block),
          TEST_CASE(case_56_continuation_other_stream),
          TEST_CASE(case_57_continuation_without_block),
          TEST_CASE(case_58_valid_continuations),
          TEST_CASE(case_59_continuation_flood),
          TEST_CASE(case_60_empty_continuation_flood),
          TEST_CASE(case_61_hpack_bomb), TEST_CASE(case_62_many_tiny_fields),
          TEST_CASE(case_63_hpack_integer_overflow),
          TEST_CASE(case_64_overlong_integer), TEST_CASE(case_65_string_length),
          TEST_CASE(case_66_index_zero), TEST_CASE(case_67_index_out_of_range),
          TEST_CASE(case_68_huffman_errors),
          TEST_CASE(case_69_huffman_max_expansion),
          TEST_CASE(case_70_size_update_too_large),
          TEST_CASE(case_71_size_update_after_field),
          TEST_CASE(case_72_size_update_required_after_ack),
          TEST_CASE(case_73_several_size_updates),
          TEST_CASE(case_74_entry_larger_than_table),
          TEST_CASE(case_75_name_evicted_by_own_insertion),
          TEST_CASE(case_76_duplicate_entries),
          TEST_CASE(case_77_discarded_blocks_keep_table),
          TEST_CASE(case_78_value_across_50_continuations),
          TEST_CASE(case_79_huge_field),
          TEST_CASE(case_80_size_zero_then_index_62))
#endif
