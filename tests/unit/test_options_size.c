/*
 * The options structs grow at their end from version to version. The
 * sized initialisers must write no more than the caller's struct (a caller
 * built against an older header, or LuaJIT's FFI declaring the struct
 * itself), record how much the library knows in struct_size, and the
 * constructors must accept such a shorter struct with defaults for the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h2/conn.h"
#include "h2/tls.h"
#include "test.h"

#define GUARD 0xA5

/* A buffer with `size` bytes for the struct and guard bytes after it. */
typedef union {
  h2_conn_options conn;
  h2_tls_options tls;
  uint8_t bytes[sizeof(h2_conn_options) + sizeof(h2_tls_options) + 64];
} buffer;

static int guard_intact(const buffer *b, size_t from) {
  for (size_t i = from; i < sizeof(b->bytes); i++)
    if (b->bytes[i] != GUARD) return 0;
  return 1;
}

static void test_conn_options_shorter_struct(void) {
  /* The struct as it was before the reset-pacing fields were appended. */
  size_t old_size = offsetof(h2_conn_options, max_unconfirmed_resets);
  buffer b;
  memset(&b, GUARD, sizeof(b));
  h2_conn_options_init_sized(&b.conn, old_size);
  CHECK(guard_intact(&b, old_size));
  CHECK_EQ_INT((int)b.conn.struct_size, (int)old_size);
  CHECK_EQ_INT((int)b.conn.max_frame_size, 16384);
  h2_conn *conn = NULL;
  CHECK_EQ_INT(h2_conn_client_new(&conn, &b.conn, NULL), 0);
  h2_conn_del(conn);
}

static void test_conn_options_longer_struct(void) {
  /* A newer header's longer struct: zeroed past what the library knows. */
  buffer b;
  memset(&b, GUARD, sizeof(b));
  size_t newer = sizeof(h2_conn_options) + 16;
  h2_conn_options_init_sized(&b.conn, newer);
  CHECK(guard_intact(&b, newer));
  CHECK_EQ_INT((int)b.conn.struct_size, (int)sizeof(h2_conn_options));
  for (size_t i = sizeof(h2_conn_options); i < newer; i++) CHECK_EQ_INT(b.bytes[i], 0);
}

static void test_conn_options_macro(void) {
  h2_conn_options o;
  h2_conn_options_init(&o);
  CHECK_EQ_INT((int)o.struct_size, (int)sizeof(o));
  CHECK_EQ_INT((int)o.recent_reset_ms, 1000);
  h2_conn_options_init_sized(NULL, sizeof(o)); /* ignored, no crash */
}

static void test_tls_options_sizes(void) {
  buffer b;
  memset(&b, GUARD, sizeof(b));
  size_t short_size = offsetof(h2_tls_options, alpn);
  h2_tls_options_init_sized(&b.tls, short_size);
  CHECK(guard_intact(&b, short_size));
  CHECK_EQ_INT((int)b.tls.struct_size, (int)short_size);
  h2_tls_options o;
  h2_tls_options_init(&o);
  CHECK_EQ_INT((int)o.struct_size, (int)sizeof(o));
}

TEST_MAIN("options_size", TEST_CASE(test_conn_options_shorter_struct),
          TEST_CASE(test_conn_options_longer_struct), TEST_CASE(test_conn_options_macro),
          TEST_CASE(test_tls_options_sizes))
