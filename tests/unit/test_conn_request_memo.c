/*
 * The request memo (src/conn_request_memo.c): a request identical to the
 * previous one is not checked again, and its HPACK block is reused while
 * the encoder's state is unchanged. Reuse must never show on the wire: every
 * HEADERS block the connection writes is decoded here by an independent
 * decoder (one per connection, as the server's would be) and must give back
 * exactly the fields submitted, through sequences built to catch a stale
 * block: other requests in between, a table size change from the server,
 * changed flags, and requests that wait in the queue.
 */
#include <string.h>

#include "conn_internal.h"
#include "test.h"
#include "test_alloc.h"
#include "client_output.h"

#define F(n, v) {(const uint8_t *)(n), (const uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0, 0}

static const h2_header request_a[] = {
    F(":method", "GET"), F(":scheme", "https"), F(":authority", "api.example.com"),
    F(":path", "/v1/status"), F("user-agent", "memo-test/1.0"), F("accept", "application/json")};
static const h2_header request_b[] = {
    F(":method", "GET"), F(":scheme", "https"), F(":authority", "api.example.com"),
    F(":path", "/v1/other"), F("x-request-kind", "different"), F("accept", "text/plain")};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The server's side of the wire: decodes every HEADERS block the client
 * writes and compares it with what was submitted. */
typedef struct server_view {
  h2_hpack_decoder *decoder;
  h2_header_list *list;
  int blocks;
} server_view;

static void view_init(server_view *v) {
  memset(v, 0, sizeof(*v));
  CHECK_EQ_INT(h2_hpack_decoder_new(&v->decoder, 4096, NULL, NULL), 0);
  CHECK_EQ_INT(h2_header_list_new(&v->list, NULL), 0);
}

static void view_free(server_view *v) {
  h2_hpack_decoder_del(v->decoder);
  h2_header_list_del(v->list);
}

static void check_fields(const h2_header_list *list, const h2_header *want,
                         size_t count) {
  CHECK_EQ_INT(h2_header_list_count(list), count);
  if (h2_header_list_count(list) != count) return;
  const h2_header *got = h2_header_list_fields(list);
  for (size_t i = 0; i < count; i++) {
    CHECK_MEM(got[i].name, got[i].name_length, want[i].name, want[i].name_length);
    CHECK_MEM(got[i].value, got[i].value_length, want[i].value, want[i].value_length);
    CHECK_EQ_INT(got[i].flags & H2_HEADER_NEVER_INDEX, want[i].flags & H2_HEADER_NEVER_INDEX);
  }
}

/* Takes the connection's output and decodes the one HEADERS block in it
 * (each request here fits one frame); other frames are skipped. */
static void expect_request(h2_conn *conn, server_view *v, const h2_header *want,
                           size_t count) {
  const uint8_t *data;
  size_t n = h2_conn_peek_output(conn, &data), at = 0;
  int headers = 0;
  while (at + H2_FRAME_HEADER_LENGTH <= n) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, data + at);
    const uint8_t *payload = data + at + H2_FRAME_HEADER_LENGTH;
    if (hd.type == H2_FRAME_HEADERS) {
      headers++;
      h2_header_list_clear(v->list);
      CHECK_EQ_INT(hd.flags & H2_FLAG_END_HEADERS, H2_FLAG_END_HEADERS);
      CHECK_EQ_INT(h2_hpack_decode(v->decoder, payload, hd.length, 1, v->list), 0);
      check_fields(v->list, want, count);
      v->blocks++;
    }
    at += H2_FRAME_HEADER_LENGTH + hd.length;
  }
  CHECK_EQ_INT(at, n);
  CHECK_EQ_INT(headers, 1);
  h2_conn_consume_output(conn, n);
}

static h2_conn *new_connection(test_alloc *ta) {
  h2_conn *conn;
  if (h2_conn_client_new(&conn, NULL, &ta->allocator)) return NULL;
  const uint8_t *data;
  h2_conn_consume_output(conn, h2_conn_peek_output(conn, &data));
  return conn;
}

/* The server's SETTINGS: a smaller header table, and at most
 * `max_streams` streams. */
static void server_settings(h2_conn *conn, uint32_t table_size, uint32_t max_streams) {
  uint8_t frame[9 + 12];
  h2_frame_header hd = {12, 0, H2_FRAME_SETTINGS, 0, {0, 0}};
  h2_frame_header_pack(frame, &hd);
  h2_setting_pack(frame + 9, H2_SETTINGS_HEADER_TABLE_SIZE, table_size);
  h2_setting_pack(frame + 15, H2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams);
  CHECK_EQ_INT(h2_conn_recv(conn, frame, sizeof(frame)), (int)sizeof(frame));
  h2_event events[8];
  CHECK(h2_conn_poll(conn, events, 8) >= 1);
}

static void submit(h2_conn *conn, const h2_header *f, size_t count, int id) {
  CHECK_EQ_INT(h2_conn_submit_request(conn, f, count, 1, NULL), id);
}

static int block_kept(const h2_conn *conn) {
  size_t length;
  return h2_request_memo_block(conn, &length) != NULL;
}

/* One test's client connection, the server's view of what it sends, and
 * the allocator that must end with nothing live. */
typedef struct memo_case {
  test_alloc ta;
  h2_conn *conn;
  server_view v;
} memo_case;

static int case_open(memo_case *c) {
  test_alloc_init(&c->ta);
  c->conn = new_connection(&c->ta);
  if (!c->conn) return 0;
  view_init(&c->v);
  return 1;
}

static void case_close(memo_case *c) {
  view_free(&c->v);
  h2_conn_del(c->conn);
  CHECK_EQ_INT(c->ta.live_bytes, 0);
}

/* A request that leaves at once, and the block the server decodes for it. */
static void round_trip(memo_case *c, const h2_header *f, size_t count, int id) {
  submit(c->conn, f, count, id);
  expect_request(c->conn, &c->v, f, count);
}

static void test_repeated_request_reuses_block(void) {
  memo_case c;
  REQUIRE(case_open(&c));
  /* The first sending adds fields to the table, so its block cannot be
   * sent again; the second finds everything indexed and is kept. */
  submit(c.conn, request_a, COUNT(request_a), 1);
  CHECK(!block_kept(c.conn));
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  submit(c.conn, request_a, COUNT(request_a), 3);
  CHECK(block_kept(c.conn));
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  submit(c.conn, request_a, COUNT(request_a), 5);
  CHECK(block_kept(c.conn));
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  /* Another request changes the table: the old block would now index the
   * wrong entries. */
  round_trip(&c, request_b, COUNT(request_b), 7);
  round_trip(&c, request_a, COUNT(request_a), 9);
  submit(c.conn, request_a, COUNT(request_a), 11);
  CHECK(block_kept(c.conn));
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  /* The same bytes with a flag changed are a different request. */
  h2_header secret[COUNT(request_a)];
  memcpy(secret, request_a, sizeof(secret));
  secret[4].flags = H2_HEADER_NEVER_INDEX;
  round_trip(&c, secret, COUNT(secret), 13);
  round_trip(&c, request_a, COUNT(request_a), 15);
  CHECK_EQ_INT(c.v.blocks, 8);
  case_close(&c);
}

/* A smaller table from the server means a size update at the start of the
 * next block and evictions: a kept block must not go out in its place. */
static void test_table_size_change_retires_block(void) {
  memo_case c;
  REQUIRE(case_open(&c));
  round_trip(&c, request_a, COUNT(request_a), 1);
  round_trip(&c, request_a, COUNT(request_a), 3);
  CHECK(block_kept(c.conn));
  server_settings(c.conn, 64, 100);
  CHECK(!block_kept(c.conn));
  const uint8_t *data;
  h2_conn_consume_output(c.conn, h2_conn_peek_output(c.conn, &data)); /* the ACK */
  for (int i = 0; i < 3; i++) {
    round_trip(&c, request_a, COUNT(request_a), 5 + 2 * i);
  }
  /* The decoder followed every size update. */
  CHECK(h2_hpack_decoder_table_max_size(c.v.decoder) <= 64);
  case_close(&c);
}

/* Requests that wait for a slot are encoded from their copies when they
 * leave, after others: the memo must neither be used for them nor spoil
 * the blocks of the requests around them. */
static void test_queued_requests(void) {
  memo_case c;
  REQUIRE(case_open(&c));
  server_settings(c.conn, 4096, 1);
  const uint8_t *data;
  h2_conn_consume_output(c.conn, h2_conn_peek_output(c.conn, &data));
  submit(c.conn, request_a, COUNT(request_a), 1);
  submit(c.conn, request_b, COUNT(request_b), 3);
  submit(c.conn, request_a, COUNT(request_a), 5);
  CHECK_EQ_INT(h2_conn_queued_streams(c.conn), 2);
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  const h2_header *order[] = {request_b, request_a};
  size_t counts[] = {COUNT(request_b), COUNT(request_a)};
  for (int i = 0; i < 2; i++) {
    CHECK_EQ_INT(h2_conn_reset_stream(c.conn, (uint32_t)(1 + 2 * i), H2_CANCEL), 0);
    /* The RST_STREAM and its pacing PING; once the server confirms the
     * reset, the next request's HEADERS. */
    confirm_resets(c.conn);
    expect_request(c.conn, &c.v, order[i], counts[i]);
  }
  submit(c.conn, request_a, COUNT(request_a), 7);
  CHECK_EQ_INT(h2_conn_reset_stream(c.conn, 5, H2_CANCEL), 0);
  confirm_resets(c.conn);
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  case_close(&c);
}

/* Trailers go through the same encoder without touching the memo: the
 * entry they add shifts every dynamic index, so the kept block of the
 * request before them must not be sent again. */
static void test_trailers_retire_block(void) {
  memo_case c;
  REQUIRE(case_open(&c));
  round_trip(&c, request_a, COUNT(request_a), 1);
  CHECK_EQ_INT(h2_conn_submit_request(c.conn, request_a, COUNT(request_a), 0, NULL), 3);
  CHECK(block_kept(c.conn));
  expect_request(c.conn, &c.v, request_a, COUNT(request_a));
  static const h2_header trailers[] = {F("x-checksum", "0123456789abcdef")};
  CHECK_EQ_INT(h2_conn_submit_trailers(c.conn, 3, trailers, 1), 0);
  expect_request(c.conn, &c.v, trailers, 1);
  CHECK(!block_kept(c.conn));
  round_trip(&c, request_a, COUNT(request_a), 5);
  case_close(&c);
}

/* Requests that keep differing make the memo back off (it stops copying
 * them); once one request repeats, the memo picks it up again within a
 * retry period. Every block stays exact throughout. */
static void test_backoff_and_recovery(void) {
  memo_case c;
  REQUIRE(case_open(&c));
  int id = 1;
  for (int i = 0; i < 40; i++, id += 2) {
    const h2_header *f = i % 2 ? request_b : request_a;
    size_t n = i % 2 ? COUNT(request_b) : COUNT(request_a);
    round_trip(&c, f, n, id);
  }
  CHECK(!block_kept(c.conn));
  CHECK(c.conn->memo.misses > 16);
  for (int i = 0; i < 20; i++, id += 2) {
    round_trip(&c, request_a, COUNT(request_a), id);
  }
  CHECK(block_kept(c.conn));
  CHECK_EQ_INT(c.conn->memo.misses, 0);
  case_close(&c);
}

/* An invalid request is refused every time, whatever came before it, and
 * does not disturb the memo of the valid one. */
static void test_invalid_request_not_remembered(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn = new_connection(&ta);
  REQUIRE(conn != NULL);
  h2_header bad[COUNT(request_a)];
  memcpy(bad, request_a, sizeof(bad));
  bad[5].value = (const uint8_t *)"a\r\nb";
  bad[5].value_length = 4;
  submit(conn, request_a, COUNT(request_a), 1);
  for (int i = 0; i < 2; i++)
    CHECK_EQ_INT(h2_conn_submit_request(conn, bad, COUNT(bad), 1, NULL),
                 H2_ERR_INVALID_HEADER);
  submit(conn, request_a, COUNT(request_a), 3);
  h2_header upper[COUNT(request_a)];
  memcpy(upper, request_a, sizeof(upper));
  upper[4].name = (const uint8_t *)"User-Agent";
  CHECK_EQ_INT(h2_conn_submit_request(conn, upper, COUNT(upper), 1, NULL),
               H2_ERR_INVALID_HEADER);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

TEST_MAIN("conn_request_memo", TEST_CASE(test_repeated_request_reuses_block),
          TEST_CASE(test_table_size_change_retires_block),
          TEST_CASE(test_queued_requests), TEST_CASE(test_trailers_retire_block),
          TEST_CASE(test_backoff_and_recovery),
          TEST_CASE(test_invalid_request_not_remembered))
