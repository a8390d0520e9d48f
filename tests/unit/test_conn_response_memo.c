/*
 * The response memo (src/conn_response_memo.c): a field block the server
 * repeats byte for byte is answered from the memo instead of decoded. That
 * must never change what the application sees. The server's blocks here
 * are written by hand, so that the same bytes can be made to mean
 * different fields (an index that moved because the table changed), and
 * to be checked differently (the same fields as response headers and as
 * trailers).
 */
#include <string.h>

#include "conn_internal.h"
#include "test.h"
#include "test_alloc.h"

#define STATUS_200 0x88 /* static index 8, ":status: 200" */
#define NEWEST 0xbe     /* dynamic index 62, the newest entry */

/* Server bytes, built up frame by frame. */
typedef struct wire {
  uint8_t bytes[4096];
  size_t length;
} wire;

static void put_frame(wire *w, uint8_t type, uint8_t flags, uint32_t stream,
                      const uint8_t *payload, size_t length) {
  h2_frame_header hd = {(uint32_t)length, stream, type, flags, {0, 0}};
  h2_frame_header_pack(w->bytes + w->length, &hd);
  if (length) memcpy(w->bytes + w->length + 9, payload, length);
  w->length += 9 + length;
}

static void put_block(wire *w, uint32_t stream, uint8_t flags,
                      const uint8_t *block, size_t length) {
  put_frame(w, H2_FRAME_HEADERS, (uint8_t)(H2_FLAG_END_HEADERS | flags), stream,
            block, length);
}

/* ":status: 200" and "name: value" added to the table (a literal with
 * incremental indexing and a new name). */
static size_t adding_block(uint8_t *out, const char *name, const char *value) {
  size_t n = 0, nl = strlen(name), vl = strlen(value);
  out[n++] = STATUS_200;
  out[n++] = 0x40;
  out[n++] = (uint8_t)nl;
  memcpy(out + n, name, nl);
  n += nl;
  out[n++] = (uint8_t)vl;
  memcpy(out + n, value, vl);
  return n + vl;
}

static h2_conn *new_connection(test_alloc *ta, int requests, wire *w) {
  h2_conn *conn;
  if (h2_conn_client_new(&conn, NULL, &ta->allocator)) return NULL;
  h2_header get[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)"/", 5, 1, 0, 0}};
  for (int i = 0; i < requests; i++)
    CHECK_EQ_INT(h2_conn_submit_request(conn, get, 3, 1, NULL), 2 * i + 1);
  memset(w, 0, sizeof(*w));
  put_frame(w, H2_FRAME_SETTINGS, 0, 0, NULL, 0);
  return conn;
}

/* Feeds the server's bytes and collects the events as text lines. */
static void run(h2_conn *conn, const wire *w, char *log, size_t size) {
  CHECK_EQ_INT(h2_conn_recv(conn, w->bytes, w->length), (int)w->length);
  h2_event events[64];
  int n = h2_conn_poll(conn, events, 64);
  size_t at = 0;
  log[0] = 0;
  for (int i = 0; i < n; i++) {
    const h2_event *e = &events[i];
    at += (size_t)snprintf(log + at, size - at, "%d %u", e->type, e->stream_id);
    for (uint32_t k = 0; k < e->header_count; k++)
      at += (size_t)snprintf(log + at, size - at, " %.*s=%.*s",
                             (int)e->headers[k].name_length, e->headers[k].name,
                             (int)e->headers[k].value_length, e->headers[k].value);
    at += (size_t)snprintf(log + at, size - at, "\n");
  }
}

/* The same two bytes mean "x-a: 1" while x-a is the newest entry, and
 * "x-b: 2" once x-b was added after it. */
static void test_same_bytes_after_table_change(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  wire w;
  h2_conn *conn = new_connection(&ta, 5, &w);
  REQUIRE(conn != NULL);
  uint8_t block[64];
  const uint8_t indexed[] = {STATUS_200, NEWEST};
  put_block(&w, 1, H2_FLAG_END_STREAM, block, adding_block(block, "x-a", "1"));
  put_block(&w, 3, H2_FLAG_END_STREAM, indexed, 2);
  put_block(&w, 5, H2_FLAG_END_STREAM, indexed, 2);
  put_block(&w, 7, H2_FLAG_END_STREAM, block, adding_block(block, "x-b", "2"));
  put_block(&w, 9, H2_FLAG_END_STREAM, indexed, 2);
  char log[2048];
  run(conn, &w, log, sizeof(log));
  char want[1024];
  snprintf(want, sizeof(want),
           "%d 0\n"
           "%d 1 :status=200 x-a=1\n%d 1\n"
           "%d 3 :status=200 x-a=1\n%d 3\n"
           "%d 5 :status=200 x-a=1\n%d 5\n"
           "%d 7 :status=200 x-b=2\n%d 7\n"
           "%d 9 :status=200 x-b=2\n%d 9\n",
           H2_EVENT_SETTINGS, H2_EVENT_HEADERS, H2_EVENT_STREAM_END,
           H2_EVENT_HEADERS, H2_EVENT_STREAM_END, H2_EVENT_HEADERS,
           H2_EVENT_STREAM_END, H2_EVENT_HEADERS, H2_EVENT_STREAM_END,
           H2_EVENT_HEADERS, H2_EVENT_STREAM_END);
  CHECK(strcmp(log, want) == 0);
  if (strcmp(log, want)) fprintf(stderr, "got:\n%s", log);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* A block repeated many times is answered from the memo from its third
 * sighting on, with the fields and the checks' findings intact: the
 * content-length still binds the body. */
static void test_repeated_block(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  wire w;
  h2_conn *conn = new_connection(&ta, 6, &w);
  REQUIRE(conn != NULL);
  /* "content-length: 3" added to the table, its name by static index 28. */
  const uint8_t first[] = {STATUS_200, 0x40 | 28, 0x01, '3'};
  const uint8_t indexed[] = {STATUS_200, NEWEST};
  put_block(&w, 1, 0, first, sizeof(first));
  put_frame(&w, H2_FRAME_DATA, H2_FLAG_END_STREAM, 1, (const uint8_t *)"abc", 3);
  for (uint32_t id = 3; id <= 9; id += 2) {
    put_block(&w, id, 0, indexed, 2);
    put_frame(&w, H2_FRAME_DATA, H2_FLAG_END_STREAM, id, (const uint8_t *)"abc", 3);
  }
  /* The same block, then a body longer than its content-length. */
  put_block(&w, 11, 0, indexed, 2);
  put_frame(&w, H2_FRAME_DATA, H2_FLAG_END_STREAM, 11, (const uint8_t *)"abcd", 4);
  char log[4096];
  run(conn, &w, log, sizeof(log));
  CHECK(conn->response_memo.fields_valid);
  char line[128];
  for (uint32_t id = 1; id <= 11; id += 2) {
    snprintf(line, sizeof(line), "%d %u :status=200 content-length=3\n",
             H2_EVENT_HEADERS, id);
    CHECK(strstr(log, line) != NULL);
  }
  for (uint32_t id = 1; id <= 9; id += 2) {
    snprintf(line, sizeof(line), "%d %u\n", H2_EVENT_STREAM_END, id);
    CHECK(strstr(log, line) != NULL);
  }
  snprintf(line, sizeof(line), "%d 11\n", H2_EVENT_STREAM_RESET);
  CHECK(strstr(log, line) != NULL);
  CHECK_EQ_INT(h2_conn_counter(conn, H2_COUNTER_MALFORMED_RESPONSE), 1);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* Fields that are fine as trailers are not a response: the memo of a
 * trailer block must not let the same bytes pass as response headers. */
static void test_trailers_and_headers_apart(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  wire w;
  h2_conn *conn = new_connection(&ta, 4, &w);
  REQUIRE(conn != NULL);
  /* Stream 1: headers that add x-sum, then x-sum as trailers (indexed). */
  const uint8_t add_sum[] = {STATUS_200, 0x40, 5, 'x', '-', 's', 'u', 'm', 2, '4', '2'};
  const uint8_t sum_only[] = {NEWEST};
  put_block(&w, 1, 0, add_sum, sizeof(add_sum));
  put_block(&w, 1, H2_FLAG_END_STREAM, sum_only, 1);
  for (uint32_t id = 3; id <= 5; id += 2) {
    put_block(&w, id, 0, (const uint8_t[]){STATUS_200}, 1);
    put_block(&w, id, H2_FLAG_END_STREAM, sum_only, 1);
  }
  /* Stream 7: the trailer block as the response's first block. */
  put_block(&w, 7, H2_FLAG_END_STREAM, sum_only, 1);
  char log[4096];
  run(conn, &w, log, sizeof(log));
  char line[128];
  for (uint32_t id = 1; id <= 5; id += 2) {
    snprintf(line, sizeof(line), "%d %u x-sum=42\n", H2_EVENT_TRAILERS, id);
    CHECK(strstr(log, line) != NULL);
  }
  snprintf(line, sizeof(line), "%d 7\n", H2_EVENT_STREAM_RESET);
  CHECK(strstr(log, line) != NULL);
  snprintf(line, sizeof(line), "%d 7 ", H2_EVENT_HEADERS);
  CHECK(strstr(log, line) == NULL);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

/* And the other way round: a response block the memo knows, with its
 * :status, is no valid trailer block. */
static void test_headers_not_trailers(void) {
  test_alloc ta;
  test_alloc_init(&ta);
  wire w;
  h2_conn *conn = new_connection(&ta, 4, &w);
  REQUIRE(conn != NULL);
  const uint8_t status_only[] = {STATUS_200};
  for (uint32_t id = 1; id <= 5; id += 2) {
    put_block(&w, id, 0, status_only, 1);
    put_frame(&w, H2_FRAME_DATA, H2_FLAG_END_STREAM, id, (const uint8_t *)"x", 1);
  }
  put_block(&w, 7, 0, status_only, 1);
  put_block(&w, 7, H2_FLAG_END_STREAM, status_only, 1);
  char log[4096];
  run(conn, &w, log, sizeof(log));
  CHECK(conn->response_memo.fields_valid);
  char line[128];
  snprintf(line, sizeof(line), "%d 7 :status=200\n", H2_EVENT_HEADERS);
  CHECK(strstr(log, line) != NULL);
  snprintf(line, sizeof(line), "%d 7 ", H2_EVENT_TRAILERS);
  CHECK(strstr(log, line) == NULL);
  snprintf(line, sizeof(line), "%d 7\n", H2_EVENT_STREAM_RESET);
  CHECK(strstr(log, line) != NULL);
  h2_conn_del(conn);
  CHECK_EQ_INT(ta.live_bytes, 0);
}

TEST_MAIN("conn_response_memo", TEST_CASE(test_same_bytes_after_table_change),
          TEST_CASE(test_repeated_block), TEST_CASE(test_trailers_and_headers_apart),
          TEST_CASE(test_headers_not_trailers))
