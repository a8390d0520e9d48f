/*
 * What a connection's streams cost in memory, read from a counting
 * allocator (the sizes the library asks for). The performance spec allows
 * at most 200 bytes of heap per open stream, fixed costs that the first
 * requests bring (the HPACK encoder's table) included; and a burst of
 * requests must not leave its output buffer behind once it has been sent.
 * No server is needed: the requests are submitted and their frames taken.
 */
#include <stdio.h>
#include <string.h>

#include "h2/conn.h"
#include "h2/error.h"
#include "h2/frame.h"
#include "test.h"
#include "test_alloc.h"
#include "client_output.h"

#define MAX_STREAMS 1000

static const char user_agent[] =
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/* The output taken as if sent. */
static void drain(h2_conn *conn) {
  const uint8_t *data;
  size_t n;
  while ((n = h2_conn_peek_output(conn, &data)) > 0) h2_conn_consume_output(conn, n);
}

/* A browser-like GET with a path of its own, as in bench/memory. */
static int submit_photo_get(h2_conn *conn, int i) {
  char path[48];
  snprintf(path, sizeof(path), "/assets/img/photo-%04d.jpg", i);
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"https", 7, 5, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"www.example.com", 10, 15, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)path, 5, (uint32_t)strlen(path), 0, 0},
      {(const uint8_t *)"user-agent", (const uint8_t *)user_agent, 10,
       (uint32_t)sizeof(user_agent) - 1, 0, 0},
      {(const uint8_t *)"accept", (const uint8_t *)"*/*", 6, 3, 0, 0}};
  return h2_conn_submit_request(conn, fields, 6, 1, NULL);
}

/* A client connection that lets MAX_STREAMS streams open at once, its
 * first flight taken. */
static h2_conn *new_connection(test_alloc *ta) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  o.initial_max_concurrent_streams = o.max_concurrent_streams = MAX_STREAMS;
  h2_conn *conn;
  if (h2_conn_client_new(&conn, &o, &ta->allocator)) return NULL;
  drain(conn);
  return conn;
}

/* Opens streams [from, to), draining the output after each, and returns the
 * live heap then. */
static size_t open_streams(h2_conn *conn, test_alloc *ta, int from, int to) {
  for (int i = from; i < to; i++) {
    CHECK_EQ_INT(submit_photo_get(conn, i), 2 * i + 1);
    drain(conn);
  }
  CHECK_EQ_INT(h2_conn_open_streams(conn), to);
  return ta->live_bytes;
}

static void test_open_streams_budget(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn = new_connection(&ta);
  REQUIRE(conn != NULL);
  size_t idle = ta.live_bytes;
  size_t at100 = open_streams(conn, &ta, 0, 100);
  size_t at500 = open_streams(conn, &ta, 100, 500);
  size_t at1000 = open_streams(conn, &ta, 500, 1000);
  /* The spec's measure: everything the streams brought, over their number. */
  CHECK((at100 - idle) / 100 <= 200);
  CHECK((at1000 - idle) / 1000 <= 200);
  /* What one more open stream costs once the fixed costs are paid: its
   * own state and its share of the stream map. */
  CHECK((at1000 - at500) / 500 <= 128);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* A thousand requests submitted before any output is taken grow the output
 * buffer to hold all their HEADERS; once sent, it returns to its resting
 * size. */
static void test_burst_output_released(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn = new_connection(&ta);
  REQUIRE(conn != NULL);
  for (int i = 0; i < MAX_STREAMS; i++) CHECK_EQ_INT(submit_photo_get(conn, i), 2 * i + 1);
  const uint8_t *data;
  size_t pending = h2_conn_peek_output(conn, &data);
  CHECK(pending > 16384);
  size_t before = ta.live_bytes;
  drain(conn);
  CHECK(ta.live_bytes + pending / 2 < before);
  /* The smaller buffer serves what comes next as well: a cancel (the
   * RST_STREAM and its pacing PING) frees a slot once the server confirms
   * it, and the next request's HEADERS leave. */
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 1, H2_CANCEL), 0);
  drain(conn);
  h2_script settings;
  script_init(&settings);
  const uint32_t max_streams[] = {H2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS};
  script_settings(&settings, max_streams, 1);
  feed_script(conn, &settings);
  script_free(&settings);
  confirm_resets(conn);
  drain(conn); /* the SETTINGS ACK */
  CHECK_EQ_INT(submit_photo_get(conn, MAX_STREAMS), 2 * MAX_STREAMS + 1);
  CHECK(h2_conn_peek_output(conn, &data) > 9);
  CHECK(data[3] == H2_FRAME_HEADERS);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

TEST_MAIN("conn_memory", TEST_CASE(test_open_streams_budget),
          TEST_CASE(test_burst_output_released))
