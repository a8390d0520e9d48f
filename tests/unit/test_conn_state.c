/*
 * The read-only state views of h2/conn_state.h and h2_conn_open_window,
 * on a connection driven by hand (no server script needed: the values
 * checked follow from the calls made).
 */
#include <string.h>

#include "h2/conn.h"
#include "h2/conn_state.h"
#include "h2/error.h"
#include "h2/frame.h"
#include "test.h"

static const h2_header request_fields[] = {
    {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
    {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
    {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
    {(const uint8_t *)":path", (const uint8_t *)"/", 5, 1, 0, 0},
};

static h2_conn_state state_of(const h2_conn *conn) {
  h2_conn_state st;
  memset(&st, 0xff, sizeof(st));
  st.struct_size = sizeof(st);
  CHECK_EQ_INT(h2_conn_get_state(conn, &st), 0);
  return st;
}

static void drain(h2_conn *conn) {
  const uint8_t *out;
  size_t n;
  while ((n = h2_conn_peek_output(conn, &out)) > 0) h2_conn_consume_output(conn, n);
}

static void test_fresh_connection(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  h2_conn_state small = {.struct_size = 8};
  CHECK_EQ_INT(h2_conn_get_state(conn, &small), H2_ERR_INVALID_ARGUMENT);
  h2_conn_state st = state_of(conn);
  CHECK_EQ_INT(st.peer_settings_received, 0);
  CHECK_EQ_INT(st.local_settings_acked, 0);
  CHECK_EQ_INT(st.goaway_sent, 0);
  CHECK_EQ_INT(st.failed, 0);
  CHECK_EQ_INT(st.next_stream_id, 1);
  CHECK_EQ_INT(st.send_window, 65535);
  CHECK_EQ_INT(st.local_max_frame_size, 16384);
  CHECK(st.output_pending > 0); /* the preface and our SETTINGS */
  /* The server's empty SETTINGS: acknowledged by the core at once. */
  static const uint8_t settings[9] = {0, 0, 0, H2_FRAME_SETTINGS, 0, 0, 0, 0, 0};
  CHECK_EQ_INT(h2_conn_recv(conn, settings, sizeof(settings)), 9);
  CHECK_EQ_INT(state_of(conn).peer_settings_received, 1);
  CHECK_EQ_INT(h2_conn_shutdown(conn), 0);
  CHECK_EQ_INT(state_of(conn).goaway_sent, 1);
  h2_conn_del(conn);
}

static void test_stream_states(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  int without_body = h2_conn_submit_request(conn, request_fields, 4, 1, NULL);
  int with_body = h2_conn_submit_request(conn, request_fields, 4, 0, NULL);
  REQUIRE(without_body == 1 && with_body == 3);
  h2_stream_info info = {.struct_size = sizeof(info)};
  CHECK_EQ_INT(h2_conn_get_stream(conn, 1, &info), 0);
  CHECK_EQ_INT(info.state, H2_STREAM_STATE_HALF_CLOSED_LOCAL);
  CHECK_EQ_INT(h2_conn_get_stream(conn, 3, &info), 0);
  CHECK_EQ_INT(info.state, H2_STREAM_STATE_OPEN);
  CHECK_EQ_INT(info.recv_window, 65535);
  CHECK_EQ_INT(h2_conn_submit_data(conn, 3, (const uint8_t *)"abc", 3, 0), 3);
  CHECK_EQ_INT(h2_conn_get_stream(conn, 3, &info), 0);
  CHECK_EQ_INT(info.send_buffered, 3);
  CHECK_EQ_INT(h2_conn_get_stream(conn, 5, &info), H2_ERR_STREAM_NOT_FOUND);
  CHECK_EQ_INT(h2_conn_get_stream(conn, 0, &info), H2_ERR_STREAM_NOT_FOUND);
  CHECK_EQ_INT(state_of(conn).next_stream_id, 5);
  CHECK_EQ_INT(h2_conn_reset_stream(conn, 3, H2_CANCEL), 0);
  CHECK_EQ_INT(h2_conn_get_stream(conn, 3, &info), H2_ERR_STREAM_NOT_FOUND);
  h2_conn_del(conn);
}

/* The WINDOW_UPDATE h2_conn_open_window queued: the only output. */
static void check_window_update(h2_conn *conn, uint32_t stream_id,
                                uint32_t increment) {
  const uint8_t *out;
  size_t n = h2_conn_peek_output(conn, &out);
  REQUIRE(n == H2_FRAME_HEADER_LENGTH + 4);
  h2_frame_header hd;
  h2_frame_header_unpack(&hd, out);
  h2_frame fr;
  CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, out + H2_FRAME_HEADER_LENGTH, NULL), 0);
  CHECK_EQ_INT(fr.hd.type, H2_FRAME_WINDOW_UPDATE);
  CHECK_EQ_INT(fr.hd.stream_id, stream_id);
  CHECK_EQ_INT(fr.value, increment);
  h2_conn_consume_output(conn, n);
}

static void test_open_window(void) {
  h2_conn *conn;
  REQUIRE(h2_conn_client_new(&conn, NULL, NULL) == 0);
  REQUIRE(h2_conn_submit_request(conn, request_fields, 4, 0, NULL) == 1);
  drain(conn);
  int64_t before = state_of(conn).recv_window;
  CHECK_EQ_INT(h2_conn_open_window(conn, 0, 1000), 0);
  CHECK_EQ_INT(state_of(conn).recv_window, before + 1000);
  check_window_update(conn, 0, 1000);
  CHECK_EQ_INT(h2_conn_open_window(conn, 1, 70000), 0);
  h2_stream_info info = {.struct_size = sizeof(info)};
  CHECK_EQ_INT(h2_conn_get_stream(conn, 1, &info), 0);
  CHECK_EQ_INT(info.recv_window, 65535 + 70000);
  check_window_update(conn, 1, 70000);
  /* Refusals change nothing and queue nothing. */
  CHECK_EQ_INT(h2_conn_open_window(conn, 1, 0), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_conn_open_window(conn, 1, H2_MAX_WINDOW_SIZE),
               H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_conn_open_window(conn, 0, 0x80000000u), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_conn_open_window(conn, 7, 10), H2_ERR_STREAM_NOT_FOUND);
  const uint8_t *out;
  CHECK_EQ_INT(h2_conn_peek_output(conn, &out), 0);
  int fatal = h2_conn_terminate(conn, H2_PROTOCOL_ERROR, "test");
  CHECK(h2_error_is_fatal(fatal));
  CHECK_EQ_INT(state_of(conn).failed, fatal);
  CHECK_EQ_INT(h2_conn_open_window(conn, 0, 10), fatal);
  h2_conn_del(conn);
}

TEST_MAIN("conn_state", TEST_CASE(test_fresh_connection),
          TEST_CASE(test_stream_states), TEST_CASE(test_open_window))
