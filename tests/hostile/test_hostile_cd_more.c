/*
 * Hostile-server suite, sections C and D, continued: the cases that first
 * exposed gaps (glitches for control frames on closed streams, the count
 * of the 4x header-budget trip, an advertised empty table), each as the
 * checklist (hostile-servers-and-limits.md sections 4 and 5) demands. It
 * reuses the helpers of test_hostile_cd.c, whose own cases are unused
 * here.
 */
#pragma GCC diagnostic ignored "-Wunused-function"
#define HOSTILE_CD_PENDING 1
#include "test_hostile_cd.c"

/* Ten WINDOW_UPDATEs and ten RST_STREAMs on stream 1, long closed (its
 * response ended), then a response on stream 3. */
static void closed_stream_chatter(h2_script *s) {
  script_raw_block(s, 1, 1, "\x88", 1);
  for (int i = 0; i < 10; i++) {
    script_window_update(s, 1, 1);
    script_rst(s, 1, H2_CANCEL);
  }
}

/* 49 . Frames on a stream closed long ago: "Default: ignore;
 * debit flow control for DATA and credit it back; charge non-DATA frames
 * to the glitch bucket". With a bucket of 5, twenty ignored control
 * frames on a closed stream must end in conn ENHANCE_YOUR_CALM.
 * Got: every frame ignored, no glitch charged; the connection lives until
 * the bytes placed after the expected fault (a PING, which gets ACKed,
 * and HEADERS on closed stream 1) end it with STREAM_CLOSED (-905). */
static void case_49_more_closed_stream_frames_charge_glitches(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.glitch_burst = 5;
  uint64_t counters[H2_COUNTER_COUNT] = {0};
  counters[H2_COUNTER_GLITCH_FLOOD] = 1;
  fatal_case("49 glitches for frames on a closed stream", &o,
             closed_stream_chatter,
             "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
             H2_ERR_CONN_ENHANCE_YOUR_CALM, counters);
}

/* 61 / 62 . The 4x header-budget guard fires (conn
 * ENHANCE_YOUR_CALM) but no per-reason counter records it; the budget's
 * counter H2_COUNTER_HEADER_LIST_TOO_LARGE should (section 5: "every
 * trip should be counted"). Got: every counter 0. */
static void case_61_more_bomb_is_counted(void) {
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
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_ENHANCE_YOUR_CALM};
  w.counters[H2_COUNTER_HEADER_LIST_TOO_LARGE] = 1;
  run_case("61 HPACK bomb counted", NULL, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

/* 72 (an empty table is advertised with H2_CONN_NO_HEADER_TABLE). "After
 * we lower SETTINGS_HEADER_TABLE_SIZE (e.g., to 0) and the server ACKs,
 * the server's next block has no size update -> conn COMPRESSION_ERROR."
 * Expected: RESET 3 err=-909, CONNERR -909, GOAWAY COMPRESSION_ERROR. */
static void case_72_more_table_size_zero(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.flags |= H2_CONN_NO_HEADER_TABLE;
  h2_script s;
  script_init(&s);
  script_settings(&s, script_no_settings, 0);
  script_raw_block(&s, 1, 1, "\x88", 1); /* before the ACK: fine */
  script_settings_ack(&s);
  script_raw_block(&s, 3, 1, "\x88", 1); /* after the ACK, no size update */
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, "HEADERS 1 200 flags=1 :status=200\nEND 1\n", stream_3, 1,
               H2_ERR_CONN_COMPRESSION);
  case_want w = {.events = sb_str(&ev), .fatal = H2_ERR_CONN_COMPRESSION};
  run_case("72 table size 0", &o, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}

TEST_MAIN("hostile_cd_more",
          TEST_CASE(case_49_more_closed_stream_frames_charge_glitches),
          TEST_CASE(case_61_more_bomb_is_counted),
          TEST_CASE(case_72_more_table_size_zero))
