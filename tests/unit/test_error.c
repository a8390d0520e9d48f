/* Tests of the error module: bands, wire-code round trips and texts. */
#include <string.h>

#include "h2/error.h"
#include "test.h"

static void test_bands(void) {
  CHECK(!h2_error_is_fatal(H2_OK));
  CHECK(!h2_error_is_fatal(H2_ERR_INVALID_ARGUMENT));
  CHECK(!h2_error_is_fatal(H2_ERR_STREAM_PROTOCOL));
  CHECK(h2_error_is_fatal(H2_ERR_CONN_PROTOCOL));
  CHECK(h2_error_is_fatal(H2_ERR_NOMEM));
  CHECK(h2_error_is_stream_level(H2_ERR_STREAM_CLOSED));
  CHECK(!h2_error_is_stream_level(H2_ERR_CONN_STREAM_CLOSED));
  CHECK(!h2_error_is_stream_level(H2_ERR_BUFFER_TOO_SMALL));
  CHECK(h2_error_is_connection_level(H2_ERR_CONN_COMPRESSION));
  CHECK(!h2_error_is_connection_level(H2_ERR_NOMEM));
  CHECK(!h2_error_is_connection_level(H2_ERR_STREAM_CANCEL));
}

static void test_wire_round_trip(void) {
  for (uint32_t wire = 0; wire <= H2_HTTP_1_1_REQUIRED; wire++) {
    int conn = h2_error_from_wire(wire, 0);
    int stream = h2_error_from_wire(wire, 1);
    CHECK(h2_error_is_connection_level(conn));
    CHECK(h2_error_is_fatal(conn));
    CHECK(h2_error_is_stream_level(stream));
    CHECK(!h2_error_is_fatal(stream));
    CHECK_EQ_INT(h2_error_wire_code(conn), wire);
    CHECK_EQ_INT(h2_error_wire_code(stream), wire);
  }
  CHECK_EQ_INT(h2_error_wire_code(H2_ERR_CONN_FRAME_SIZE), H2_FRAME_SIZE_ERROR);
  CHECK_EQ_INT(h2_error_wire_code(H2_ERR_STREAM_REFUSED), H2_REFUSED_STREAM);
  CHECK_EQ_INT(h2_error_wire_code(H2_ERR_NOMEM), H2_INTERNAL_ERROR);
  CHECK_EQ_INT(h2_error_wire_code(H2_ERR_INVALID_ARGUMENT), H2_NO_ERROR);
  /* Unknown codes are INTERNAL_ERROR (RFC 9113 section 7). */
  CHECK_EQ_INT(h2_error_from_wire(0xdeadbeef, 1), H2_ERR_STREAM_INTERNAL);
  CHECK_EQ_INT(h2_error_from_wire(0xdeadbeef, 0), H2_ERR_CONN_INTERNAL);
}

static void test_texts(void) {
  CHECK(strcmp(h2_wire_error_name(H2_PROTOCOL_ERROR), "PROTOCOL_ERROR") == 0);
  CHECK(strcmp(h2_wire_error_name(H2_HTTP_1_1_REQUIRED), "HTTP_1_1_REQUIRED") == 0);
  CHECK(strcmp(h2_wire_error_name(0x1234), "UNKNOWN_ERROR") == 0);
  CHECK(strcmp(h2_strerror(H2_ERR_NOMEM), "out of memory") == 0);
  CHECK(strcmp(h2_strerror(H2_ERR_CONN_COMPRESSION), "header compression error") == 0);
  CHECK(h2_strerror(-12345) != NULL);
  CHECK(h2_strerror(-999) != NULL);
  CHECK(strcmp(h2_strerror(H2_ERR_TLS_ALPN), "server did not select h2 in ALPN") == 0);
  CHECK(h2_error_is_fatal(H2_ERR_TLS_VERIFY));
  CHECK(!h2_error_is_fatal(H2_ERR_WOULD_BLOCK));
  CHECK(!h2_error_is_connection_level(H2_ERR_TIMEOUT));
}

TEST_MAIN("error", TEST_CASE(test_bands), TEST_CASE(test_wire_round_trip),
          TEST_CASE(test_texts))
