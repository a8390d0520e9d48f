/*
 * Hostile servers, sections E-H, continued: the cases that first exposed
 * library faults (an END_STREAM event before a content-length reset, 1xx
 * with content-length, the cumulative 1xx budget, event views reused
 * within one recv, CLOSED after the last RST, input after CLOSED, and
 * malformed promises), each as the spec demands.
 *
 * The helpers are those of test_hostile_efgh.c, included without its
 * main().
 */
#pragma GCC diagnostic ignored "-Wunused-function"
#define EFGH_NO_MAIN
#include "test_hostile_efgh.c"

/* 90. content-length: 10 with 5 bytes of DATA, then END_STREAM -> stream
 * PROTOCOL_ERROR: the stream ends in an error, not EOF. When the end comes
 * on trailers, or on the HEADERS themselves (no body at all), the library
 * first delivers TRAILERS / HEADERS flagged END_STREAM ("this event ends
 * the response"), then the RESET. Expected: no event flagged END_STREAM
 * for a response that turns out malformed. */
static void case_90_end_flag_before_reset(void) {
  char before[256];
  snprintf(before, sizeof(before),
           "HEADERS 1 200 :status=200 content-length=10\nDATA 1 5 %016llx\n",
           (unsigned long long)script_hash("12345", 5));
  h2_script b;
  script_init(&b);
  raw_headers(&b, 1, 0, ":status", "200", "content-length", "10", NULL);
  script_data(&b, 1, "12345", 5, 0, 0);
  raw_headers(&b, 1, 1, "x-t", "1", NULL);
  malformed_body_case("90 short body, END on trailers", NULL, &b, before);
  script_free(&b);
  script_init(&b);
  raw_headers(&b, 1, 1, ":status", "200", "content-length", "10", NULL);
  malformed_body_case("90 no body, END on HEADERS", NULL, &b, "");
  script_free(&b);
}

/* 90, 91, 93, 94, 95, 96: malformed responses whose fault is in the
 * body's framing are reset with PROTOCOL_ERROR as they should be, but
 * H2_COUNTER_MALFORMED_RESPONSE stays 0 (the header-field faults count
 * it). Expected: the counter fires once for each. */
static void case_malformed_counter_for_body_faults(void) {
  struct {
    const char *name;
    setup_fn setup;
    int kind;
  } cases[] = {{"90 short body", setup_two_gets, 0}, {"91 long body", setup_two_gets, 1},
               {"93 HEAD with DATA", head_and_get, 2},
               {"94 204 with DATA", setup_two_gets, 3},
               {"95 DATA before HEADERS", setup_two_gets, 4},
               {"96 DATA after 1xx", setup_two_gets, 5}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    h2_script s;
    script_init(&s);
    script_open_server(&s);
    switch (cases[i].kind) {
      case 0:
        raw_headers(&s, 1, 0, ":status", "200", "content-length", "10", NULL);
        script_data(&s, 1, "12345", 5, 1, 0);
        break;
      case 1:
        raw_headers(&s, 1, 0, ":status", "200", "content-length", "5", NULL);
        script_data(&s, 1, "0123456789", 10, 1, 0);
        break;
      case 2:
        raw_headers(&s, 1, 0, ":status", "200", NULL);
        script_data(&s, 1, "x", 1, 1, 0);
        break;
      case 3:
        raw_headers(&s, 1, 0, ":status", "204", NULL);
        script_data(&s, 1, "x", 1, 1, 0);
        break;
      case 4: script_data(&s, 1, "x", 1, 1, 0); break;
      default:
        raw_headers(&s, 1, 0, ":status", "103", NULL);
        script_data(&s, 1, "x", 1, 1, 0);
    }
    uint64_t got = counter_after(NULL, cases[i].setup, &s,
                                 H2_COUNTER_MALFORMED_RESPONSE);
    if (got != 1) {
      test_failures++;
      fprintf(stderr, "--- %s: H2_COUNTER_MALFORMED_RESPONSE is %llu, want 1\n",
              cases[i].name, (unsigned long long)got);
    }
    script_free(&s);
  }
}

/* 98. 1xx with a content-length header -> stream PROTOCOL_ERROR
 * (nghttp2; RFC 9110 8.6). */
static void case_98_interim_content_length(void) {
  h2_script b;
  script_init(&b);
  raw_headers(&b, 1, 0, ":status", "103", "content-length", "0", NULL);
  raw_headers(&b, 1, 1, ":status", "200", NULL);
  malformed_case("98 103 with content-length: 0", NULL, &b, "");
  script_free(&b);
  script_init(&b);
  raw_headers(&b, 1, 0, ":status", "100", "content-length", "5", NULL);
  raw_headers(&b, 1, 1, ":status", "200", NULL);
  malformed_case("98 100 with content-length: 5", NULL, &b, "");
  script_free(&b);
}

/* 99. 1xx flood: the 1xx headers count toward a cumulative budget (the
 * 64 KiB header-list budget), besides the cap of 16 interim responses.
 * Six 103s of 12 KiB each stay under the count cap but pass 64 KiB of
 * headers at the sixth: expected a stream error there (PROTOCOL_ERROR and
 * H2_COUNTER_HEADER_LIST_TOO_LARGE, as for one oversized block). */
static void case_99_cumulative_interim_budget(void) {
  enum { SIZE = 12 * 1024 };
  h2_script b;
  script_init(&b);
  for (int i = 0; i < 6; i++) script_interim(&b, 1, SIZE);
  raw_headers(&b, 1, 1, ":status", "200", NULL);
  static char before[6 * (SIZE + 64)];
  static char value[SIZE + 1];
  memset(value, 'h', SIZE);
  size_t n = 0;
  /* Each 103 costs 7 + 3 + 32 + 4 + SIZE + 32 = 12366 bytes: five fit
   * in 65536, the sixth does not. */
  for (int i = 0; i < 5; i++)
    n += (size_t)snprintf(before + n, sizeof(before) - n,
                          "INFO 1 103 :status=103 link=%s\n", value);
  stream_error_case_ex("99 cumulative 1xx header budget", NULL, &b, before,
                       H2_ERR_STREAM_PROTOCOL, "RST_STREAM 1 PROTOCOL_ERROR\n",
                       H2_COUNTER_HEADER_LIST_TOO_LARGE);
  script_free(&b);
}

/* 119. GOAWAY with 16 KB of binary debug data -> up to 1 KiB reported.
 * The event's view must stay valid until the next h2_conn_recv or
 * h2_conn_poll (conn.h). When the frame after the GOAWAY starts in the
 * same input piece and has to be gathered, it is gathered into the buffer
 * the GOAWAY's debug view points into, so the application reads the next
 * frame's bytes instead. Same for a PING ACK's 8 bytes. */
static void case_119_goaway_debug_view(void) {
  const uint8_t *payload = big_goaway_payload();
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_frame(&s, H2_FRAME_GOAWAY, 0, 0, payload, 16384);
  ok_response(&s, 1);
  for (size_t c = 0; c < 6; c++) {
    int ends = 0;
    CHECK_EQ_INT(goaway_debug_run(&s, script_cuts[c], 119 + c, payload + 8, &ends), 1);
    CHECK_EQ_INT(ends, 1);
  }
  /* A cut that, for certain, puts the start of the next frame's payload
   * in the same piece as the GOAWAY's end: its last 10 bytes, the 9-byte
   * header of stream 1's HEADERS and 12 of its 13 payload bytes (the
   * GOAWAY's debug data starts at byte 8 of the frame buffer). */
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  setup_one_get(conn);
  size_t goaway_end = 9 + 9 + 9 + 16384;
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes, goaway_end - 10), (int)(goaway_end - 10));
  h2_event ev[16];
  while (h2_conn_poll(conn, ev, 16) > 0) {
  }
  CHECK_EQ_INT(h2_conn_recv(conn, s.bytes + goaway_end - 10, 31), 31);
  int k = h2_conn_poll(conn, ev, 16);
  int seen = 0;
  for (int i = 0; i < k; i++)
    if (ev[i].type == H2_EVENT_GOAWAY) {
      seen = 1;
      CHECK(memcmp(ev[i].data, payload + 8, 1024) == 0);
    }
  CHECK(seen);
  h2_conn_del(conn);
  script_free(&s);
}

/* 120. RST_STREAM and GOAWAY in the other order: GOAWAY first, then the
 * server resets the last open stream. Every stream is done after a
 * GOAWAY, so H2_EVENT_CLOSED must come (conn.h); it never does, so an
 * application waits forever to close the transport. */
static void case_120_closed_after_goaway_then_rst(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_rst(&s, 3, H2_PROTOCOL_ERROR);
  script_goaway(&s, 3, H2_PROTOCOL_ERROR, "");
  script_rst(&s, 1, H2_NO_ERROR);
  run_script_case("120 RST, GOAWAY(error), RST", NULL, setup_two_gets, &s, 0,
                  "SETTINGS 0\nRESET 3 err=-101\n"
                  "GOAWAY 0 err=-901 last=3 debug=\nRESET 1 err=-100\nCLOSED 0\n",
                  NULL);
  script_free(&s);
  script_init(&s);
  script_open_server(&s);
  script_goaway(&s, 1, H2_NO_ERROR, "");
  script_rst(&s, 1, H2_CANCEL);
  run_script_case("120 GOAWAY, then RST of the last stream", NULL, setup_one_get, &s,
                  0, "SETTINGS 0\nGOAWAY 0 last=1 debug=\nRESET 1 err=-108\nCLOSED 0\n",
                  NULL);
  script_free(&s);
}

/* 120. Input after the server's GOAWAY once the connection is finished
 * (CLOSED reported, no stream left): never parsed. Expected: garbage
 * after it produces no event and no GOAWAY of ours. */
static void case_120_input_after_server_goaway(void) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_goaway(&s, 0, H2_PROTOCOL_ERROR, "bye");
  script_data(&s, 9, "x", 1, 0, 0); /* DATA on an idle stream */
  script_raw(&s, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9);
  for (size_t c = 0; c < 6; c++) {
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
    setup_one_get(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &s, script_cuts[c], 120 + c, 0, &log);
    const char *want =
        "SETTINGS 0\nGOAWAY 0 err=-901 last=0 debug=bye\n"
        "RESET 1 err=-107 flags=2\nCLOSED 0\n";
    if (strcmp(log.events, want) != 0) {
      test_failures++;
      fprintf(stderr, "--- 120 input after server GOAWAY (cut %d): want\n%sgot\n%s",
              script_cuts[c], want, log.events);
    }
    CHECK(strstr(log.sent, "GOAWAY last=0 PROTOCOL_ERROR") == NULL);
    conn_log_free(&log);
    h2_conn_del(conn);
  }
  script_free(&s);
}

/* 122. Malformed PUSH_PROMISE while promises are still legal (before our
 * SETTINGS are acknowledged): promised ID odd, reused or not increasing,
 * or PUSH_PROMISE on a stream the server already closed -> conn
 * PROTOCOL_ERROR (RFC 9113 5.1.1, 6.6). */
static void case_122_malformed_push_promise_more(void) {
  h2_script b;
  script_init(&b);
  script_push(&b, 1, 3);
  push_conn_error("122 promised stream odd", &b, "", open_1_3);
  script_free(&b);
  script_init(&b);
  script_push(&b, 1, 2);
  script_push(&b, 1, 2);
  push_conn_error("122 promised stream reused", &b, "", open_1_3);
  script_free(&b);
  script_init(&b);
  script_push(&b, 1, 4);
  script_push(&b, 1, 2);
  push_conn_error("122 promised stream not increasing", &b, "", open_1_3);
  script_free(&b);
  script_init(&b);
  raw_headers(&b, 1, 1, ":status", "200", NULL);
  script_push(&b, 1, 2);
  push_conn_error("122 PUSH_PROMISE on a closed stream", &b,
                  "HEADERS 1 200 flags=1 :status=200\nEND 1\n", open_3);
  script_free(&b);
}

TEST_MAIN("hostile_efgh_more", TEST_CASE(case_90_end_flag_before_reset),
          TEST_CASE(case_malformed_counter_for_body_faults),
          TEST_CASE(case_98_interim_content_length),
          TEST_CASE(case_99_cumulative_interim_budget),
          TEST_CASE(case_119_goaway_debug_view),
          TEST_CASE(case_120_closed_after_goaway_then_rst),
          TEST_CASE(case_120_input_after_server_goaway),
          TEST_CASE(case_122_malformed_push_promise_more))
