/*
 * Hostile-server suite: the RST_STREAMs we send (hostile-servers-and-
 * limits.md case 48, 49 and 112, V21 and V24, and section 5's "recently
 * reset streams" and "own RST pacing" rows), with the clock the test
 * controls (h2_conn_tick).
 *
 * The memory of reset streams: frames the server had in flight for a
 * stream we reset are ignored quietly while the stream is among the last
 * recent_reset_streams resets and recent_reset_ms of tick time have not
 * passed since the reset or since its last frame; after that the stream
 * is closed like any other (DATA or HEADERS: connection STREAM_CLOSED;
 * WINDOW_UPDATE, RST_STREAM: a glitch each). Ignored DATA still counts
 * against the connection window and its credit is returned.
 *
 * Pacing: a reset stream keeps its place in the server's concurrency
 * limit until the server acknowledges the PING sent after the reset;
 * time alone never releases it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_output.h"
#include "h2_script.h"
#include "hpack_block.h"
#include "script_case.h"
#include "test.h"
#include "test_alloc.h"

static const char reset_ping[8] = {'l', 'i', 'b', 'h', '2', 'r', 's', 't'};
static const uint32_t stream_3[] = {3};

/* The clock starts at 0; GETs on streams 1 and 3; stream 1 is cancelled
 * at once (the tick at the next step stamps the reset). */
static void cancel_first_at_0(h2_conn *conn) {
  CHECK_EQ_INT(h2_conn_tick(conn, 0), 0);
  setup_two_gets(conn);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 1, H2_CANCEL), 0);
}

static void ok_on_3(h2_script *s) {
  script_raw_block(s, 3, 0, "\x88", 1);
  script_data(s, 3, "ok", 2, 1, 0);
}

static const char *ok_on_3_events(void) {
  static char events[160];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 3 200 :status=200\nDATA 3 2 %016llx\nEND 3\n",
           hash_of("ok"));
  return events;
}

/* The server's opening at t=10 (which stamps the reset), then `late` at
 * `late_at`, then `rest` (at the same time). */
static void three_steps(script_step steps[3], h2_script *open, h2_script *late,
                        uint64_t late_at, h2_script *rest) {
  script_init(open);
  script_open_server(open);
  steps[0] = (script_step){10, open};
  steps[1] = (script_step){late_at, late};
  steps[2] = (script_step){SCRIPT_NO_TICK, rest};
}

/* 48. DATA, trailers and WINDOW_UPDATE for the reset stream 1000 ms after
 * the reset (the grace period's last millisecond): ignored quietly. */
static void case_48_late_frames_within_grace(void) {
  h2_script open, late, rest;
  script_init(&late);
  script_data(&late, 1, "late", 4, 0, 0);
  script_raw_block(&late, 1, 1, "\x40\x01x\x01y", 5); /* trailers, indexed */
  script_window_update(&late, 1, 100);
  script_rst(&late, 1, H2_CANCEL); /* crossing our reset */
  script_init(&rest);
  script_raw_block(&rest, 3, 0, "\x88\xbe", 2); /* uses the trailers' entry */
  script_data(&rest, 3, "ok", 2, 1, 0);
  script_step steps[3];
  three_steps(steps, &open, &late, 1010, &rest);
  char events[200];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 3 200 :status=200 x=y\nDATA 3 2 %016llx\nEND 3\n",
           hash_of("ok"));
  static const char *const sent[] = {"RST_STREAM 1 CANCEL\n", NULL};
  static const char *const unsent[] = {"STREAM_CLOSED", "RST_STREAM 3", NULL};
  case_want w = {.events = events, .sent = sent, .unsent = unsent};
  run_steps("48 late frames within the grace period", NULL, cancel_first_at_0,
            steps, 3, &w);
  script_free(&open);
  script_free(&late);
  script_free(&rest);
}

/* 48 / 49. The same DATA one millisecond later: the stream is forgotten,
 * and DATA on a closed stream is a connection STREAM_CLOSED. */
static void case_49_late_data_after_grace(void) {
  h2_script open, late, rest;
  script_init(&late);
  script_data(&late, 1, "late", 4, 0, 0);
  script_init(&rest);
  after_fault(&rest);
  script_step steps[3];
  three_steps(steps, &open, &late, 1011, &rest);
  sbuf ev = {0};
  expect_fatal(&ev, "", stream_3, 1, H2_ERR_CONN_STREAM_CLOSED);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_STREAM_CLOSED};
  run_steps("49 late DATA after the grace period", NULL, cancel_first_at_0,
            steps, 3, &w);
  sb_free(&ev);
  script_free(&open);
  script_free(&late);
  script_free(&rest);
}

/* 49. After the grace period a WINDOW_UPDATE or RST_STREAM for the stream
 * is a glitch (a bucket of one lets the first through, the second ends
 * the connection); within it, neither is charged. */
static void case_49_control_frames_charged_only_after_grace(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.glitch_burst = 1;
  o.glitch_per_second = 1; /* no refill worth a token in these steps */
  h2_script open, late, rest;
  script_init(&late);
  for (int i = 0; i < 3; i++) {
    script_window_update(&late, 1, 1);
    script_rst(&late, 1, H2_CANCEL);
  }
  script_init(&rest);
  ok_on_3(&rest);
  script_step steps[3];
  three_steps(steps, &open, &late, 500, &rest);
  case_want w = {.events = ok_on_3_events()};
  run_steps("49 control frames within the grace period: free", &o,
            cancel_first_at_0, steps, 3, &w);
  script_free(&late);
  script_free(&rest);

  script_init(&late);
  script_window_update(&late, 1, 1);
  script_rst(&late, 1, H2_CANCEL);
  script_init(&rest);
  after_fault(&rest);
  steps[1].at_ms = 1500;
  steps[1].script = &late;
  steps[2].script = &rest;
  sbuf ev = {0};
  expect_fatal(&ev, "", stream_3, 1, H2_ERR_CONN_ENHANCE_YOUR_CALM);
  case_want w2 = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM};
  w2.counters[H2_COUNTER_GLITCH_FLOOD] = 1;
  run_steps("49 control frames after the grace period: glitches", &o,
            cancel_first_at_0, steps, 3, &w2);
  sb_free(&ev);
  script_free(&open);
  script_free(&late);
  script_free(&rest);
}

/* 48. A server on a slow, long link keeps delivering what it had in
 * flight: each frame restarts the grace period, so DATA 900 ms apart is
 * ignored for as long as it keeps coming (here 3.6 s after the reset);
 * then silence for more than the period, and the stream is forgotten. */
static void case_48_each_frame_restarts_grace(void) {
  h2_script open, chunk, last, tail;
  script_init(&open);
  script_open_server(&open);
  script_raw_block(&open, 3, 0, "\x88", 1);
  script_init(&chunk);
  static uint8_t bytes[16000];
  memset(bytes, 'w', sizeof(bytes));
  script_data(&chunk, 1, bytes, sizeof(bytes), 0, 0);
  /* Stream 3 moves on after the last chunk: proof the chunks before were
   * all tolerated. */
  script_init(&last);
  script_data(&last, 1, bytes, sizeof(bytes), 0, 0);
  script_data(&last, 3, "ok", 2, 0, 0);
  script_init(&tail);
  script_data(&tail, 1, "x", 1, 0, 0);
  after_fault(&tail);
  /* A frame is stamped by the first tick after it (3611 for the last
   * chunk): the stream is forgotten 1001 ms later. */
  script_step steps[7] = {{10, &open},    {910, &chunk},  {1810, &chunk},
                          {2710, &chunk}, {3610, &last},  {3611, NULL},
                          {4612, &tail}};
  char before[160];
  snprintf(before, sizeof(before), "HEADERS 3 200 :status=200\nDATA 3 2 %016llx\n",
           hash_of("ok"));
  sbuf ev = {0};
  expect_fatal(&ev, before, stream_3, 1, H2_ERR_CONN_STREAM_CLOSED);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_STREAM_CLOSED};
  run_steps("48 each late frame restarts the grace period", NULL,
            cancel_first_at_0, steps, 7, &w);
  sb_free(&ev);
  script_free(&open);
  script_free(&chunk);
  script_free(&last);
  script_free(&tail);
}

/* The application resets stream 1 at real time 9.9 s, but the clock was
 * last ticked at 0: the reset is stamped by the next tick (10.5 s), so
 * DATA arriving at 11 s is 0.5 s after it, within the grace period. A
 * reset stamped with the stale time 0 would already be forgotten. */
static void stale_clock_setup(h2_conn *conn) {
  CHECK_EQ_INT(h2_conn_tick(conn, 0), 0);
  setup_two_gets(conn);
}

static void case_48_stale_clock_never_cuts_grace_short(void) {
  h2_script open, late, rest;
  script_init(&open);
  script_open_server(&open);
  script_init(&late);
  script_data(&late, 1, "late", 4, 0, 0);
  script_init(&rest);
  ok_on_3(&rest);
  for (size_t c = 0; c < 6; c++) {
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, &ta.allocator) == 0);
    stale_clock_setup(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &open, script_cuts[c], 10 + c, 0, &log);
    CHECK_EQ_INT(h2_conn_reset_stream(conn, 1, H2_CANCEL), 0); /* at 9.9 s */
    CHECK_EQ_INT(h2_conn_tick(conn, 10500), 0);
    CHECK_EQ_INT(h2_conn_tick(conn, 11000), 0);
    conn_run(conn, &late, script_cuts[c], 20 + c, 0, &log);
    conn_run(conn, &rest, script_cuts[c], 30 + c, 0, &log);
    CHECK(log.events && strcmp(log.events, ok_on_3_events()) == 0);
    CHECK(h2_conn_can_submit(conn));
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
  script_free(&open);
  script_free(&late);
  script_free(&rest);
}

/* The count bound: with recent_reset_streams = 2, of streams 1, 3 and 5
 * reset in that order only 3 and 5 are remembered, whatever the time. */
static void reset_three_of_four(h2_conn *conn) {
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(submit_get(conn, "/r"), 2 * i + 1);
  for (uint32_t id = 1; id <= 5; id += 2)
    CHECK_EQ_INT(h2_conn_reset_stream(conn, id, H2_CANCEL), 0);
}

static void case_48_count_bound(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.recent_reset_streams = 2;
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_data(&s, 3, "x", 1, 0, 0); /* remembered: dropped */
  script_data(&s, 5, "x", 1, 0, 0); /* remembered: dropped */
  script_raw_block(&s, 7, 1, "\x88", 1);
  script_data(&s, 1, "x", 1, 0, 0); /* forgotten: STREAM_CLOSED */
  after_fault(&s);
  sbuf ev = {0};
  sb_printf(&ev, "SETTINGS 0\nHEADERS 7 200 flags=1 :status=200\nEND 7\n"
                 "CONNERR 0 err=%d\nCLOSED 0\n", H2_ERR_CONN_STREAM_CLOSED);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_STREAM_CLOSED};
  run_case("48 the last 2 resets remembered", &o, reset_three_of_four, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

/* Ignored DATA keeps the connection window right: with a 65535-byte
 * connection window, four windows' worth of DATA for the reset stream
 * (padded too) arrive in the grace period, then a 60000-byte response
 * on stream 3, which only fits if every ignored byte was credited back. */
static void check_all_credited(h2_conn *conn, const conn_log *log) {
  (void)conn;
  /* Connection credit for everything but the half window kept back, and
   * stream 3's own credit (at most its 60000 bytes) on top. */
  uint64_t received = 16 * 16384 + 60000;
  CHECK(log->window_update_bytes + 32767 >= received);
  CHECK(log->window_update_bytes <= received + 60000);
}

static void case_48_ignored_data_credited(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.connection_window_size = 65535;
  o.initial_window_size = 65535;
  h2_script open, late, rest;
  script_init(&late);
  static uint8_t chunk[16384], body[60000];
  memset(chunk, 'z', sizeof(chunk));
  memset(body, 'b', sizeof(body));
  for (int i = 0; i < 16; i++)
    script_data(&late, 1, chunk, sizeof(chunk) - (i % 2 ? 0 : 51), 0,
                i % 2 ? 0 : 50); /* every other frame padded, same size */
  script_init(&rest);
  script_raw_block(&rest, 3, 0, "\x88", 1);
  for (size_t at = 0; at < sizeof(body); at += 15000)
    script_data(&rest, 3, body + at, 15000, at + 15000 == sizeof(body), 0);
  script_step steps[3];
  three_steps(steps, &open, &late, 700, &rest);
  char events[160];
  snprintf(events, sizeof(events),
           "SETTINGS 0\nHEADERS 3 200 :status=200\nDATA 3 60000 %016llx\nEND 3\n",
           (unsigned long long)script_hash(body, sizeof(body)));
  static const char *const unsent[] = {"STREAM_CLOSED", "FLOW_CONTROL_ERROR", NULL};
  case_want w = {.events = events, .unsent = unsent, .after = check_all_credited};
  run_steps("48 ignored DATA is credited back", &o, cancel_first_at_0, steps, 3, &w);
  script_free(&open);
  script_free(&late);
  script_free(&rest);
}

/* A promise refused before the server saw ENABLE_PUSH=0: the pushed
 * response the server had already started (HEADERS and DATA on stream 2)
 * is ignored like frames for any stream we reset, not taken for frames on
 * an idle stream. */
static void case_48_pushed_response_after_refusal(void) {
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0); /* our SETTINGS not ACKed */
  script_frame(&s, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1,
               "\x00\x00\x00\x02\x82\x84", 6);
  script_raw_block(&s, 2, 0, "\x88", 1);
  script_data(&s, 2, "pushed", 6, 1, 0);
  script_settings_ack(&s);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_raw_block(&s, 3, 1, "\x88", 1);
  const char *events = "SETTINGS 0\nHEADERS 1 200 flags=1 :status=200\nEND 1\n"
                       "HEADERS 3 200 flags=1 :status=200\nEND 3\n";
  static const char *const sent[] = {"RST_STREAM 2 REFUSED_STREAM\n", NULL};
  static const char *const unsent[] = {"PROTOCOL_ERROR", NULL};
  case_want w = {.events = events, .sent = sent, .unsent = unsent};
  run_case("48 pushed response after the refusal", NULL, setup_two_gets, &s, &w);
  script_free(&s);
}

/* ---- Pacing ----------------------------------------------------------------- */


/* V21. An application cancelling in a loop (submit, cancel, submit, ...)
 * with max_unconfirmed_resets = 3: three streams leave and are reset;
 * the fourth request waits, however far the clock moves, until the
 * server acknowledges the PING that followed the resets. */
static void case_v21_cancel_loop_is_paced(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_unconfirmed_resets = 3;
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, &ta.allocator) == 0);
  CHECK_EQ_INT(h2_conn_tick(conn, 0), 0);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  feed_script(conn, &s);
  script_free(&s);
  sent_stats n;
  memset(&n, 0, sizeof(n));
  drain_output(conn, &n);
  for (int i = 0; i < 10; i++) {
    int id = submit_get(conn, "/r");
    CHECK_EQ_INT(id, 2 * i + 1);
    drain_output(conn, &n);
    if (h2_conn_queued_streams(conn)) break;
    CHECK_EQ_INT(h2_conn_reset_stream(conn, (uint32_t)id, H2_CANCEL), 0);
    drain_output(conn, &n);
  }
  CHECK_EQ_INT(n.max_headers_id, 5); /* streams 1, 3, 5 left */
  CHECK_EQ_INT(n.rst, 3);
  CHECK_EQ_INT(n.pings, 1);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_RESETS_PACED), 1);
  /* An hour later, still waiting: only the acknowledgement releases it. */
  CHECK_EQ_INT(h2_conn_tick(conn, 3600 * 1000), 0);
  drain_output(conn, &n);
  CHECK_EQ_INT(n.max_headers_id, 5);
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  /* The ACK confirms the first reset only (the PING left right after
   * it); the next PING covers the other two, which still hold. */
  script_init(&s);
  script_ping(&s, 1, reset_ping);
  feed_script(conn, &s);
  drain_output(conn, &n);
  CHECK_EQ_INT(n.pings, 2);
  CHECK_EQ_INT(n.max_headers_id, 7); /* 0 open + 2 unconfirmed < 3: stream 7 */
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 0);
  /* The application's own PING may not use the reserved bytes. */
  CHECK_EQ_INT(h2_conn_ping(conn, (const uint8_t *)reset_ping), H2_ERR_INVALID_ARGUMENT);
  /* A second ACK, of the second PING: nothing unconfirmed is left. */
  feed_script(conn, &s);
  script_free(&s);
  drain_output(conn, &n);
  CHECK_EQ_INT(n.pings, 2);
  CHECK(h2_conn_can_submit(conn));
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* A PING ACK with our bytes but no pacing PING in flight is an
 * unsolicited PING ACK like any other (a glitch), and an application PING
 * ACK does not confirm resets. */
static void case_v21_only_our_ack_confirms(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.max_unconfirmed_resets = 1;
  o.glitch_burst = 1;
  o.glitch_per_second = 1;
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, &o, NULL) == 0);
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_ping(&s, 1, reset_ping); /* nothing to confirm yet: a glitch */
  feed_script(conn, &s);
  script_free(&s);
  CHECK_EQ_INT(submit_get(conn, "/a"), 1);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 1, H2_CANCEL), 0);
  CHECK_EQ_INT(h2_conn_ping(conn, (const uint8_t *)"app-ping"), 0);
  CHECK_EQ_INT(submit_get(conn, "/b"), 3);
  sent_stats n;
  memset(&n, 0, sizeof(n));
  drain_output(conn, &n);
  CHECK_EQ_INT(n.max_headers_id, 1);
  script_init(&s);
  script_ping(&s, 1, "app-ping");
  feed_script(conn, &s);
  script_free(&s);
  drain_output(conn, &n);
  CHECK_EQ_INT(n.max_headers_id, 1); /* still waiting */
  CHECK_EQ_INT(h2_conn_queued_streams(conn), 1);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_GLITCH_FLOOD), 0);
  h2_conn_del(conn);
}

TEST_MAIN("hostile_resets", TEST_CASE(case_48_late_frames_within_grace),
          TEST_CASE(case_49_late_data_after_grace),
          TEST_CASE(case_49_control_frames_charged_only_after_grace),
          TEST_CASE(case_48_each_frame_restarts_grace),
          TEST_CASE(case_48_stale_clock_never_cuts_grace_short),
          TEST_CASE(case_48_count_bound),
          TEST_CASE(case_48_ignored_data_credited),
          TEST_CASE(case_48_pushed_response_after_refusal),
          TEST_CASE(case_v21_cancel_loop_is_paced),
          TEST_CASE(case_v21_only_our_ack_confirms))
