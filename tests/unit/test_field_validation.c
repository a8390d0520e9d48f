/*
 * Field validation (RFC 9113 8.2.1) against a byte-at-a-time reference:
 * every byte value at every position of names and values of many lengths.
 * The library checks names through a bit table and values eight bytes at
 * a time, so the lengths cover a word and its tail, words that overlap,
 * and a forbidden byte in each lane of each word.
 */
#include <string.h>

#include "conn_internal.h"
#include "test.h"

#define MAX_LENGTH 40

static int reference_name_char(uint8_t c) {
  if (c >= 'a' && c <= 'z') return 1;
  if (c >= '0' && c <= '9') return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int reference_value(const uint8_t *v, size_t length) {
  if (length && (v[0] == ' ' || v[0] == '\t' || v[length - 1] == ' ' ||
                 v[length - 1] == '\t'))
    return 0;
  for (size_t i = 0; i < length; i++)
    if (v[i] == 0 || v[i] == '\r' || v[i] == '\n') return 0;
  return 1;
}

/* A trailer field is checked for its name and value alone. */
static int library_accepts(const uint8_t *name, size_t name_length,
                           const uint8_t *value, size_t value_length) {
  h2_header f = {name, value, (uint32_t)name_length, (uint32_t)value_length, 0, 0};
  const char *reason;
  return h2_validate_trailer_fields(&f, 1, &reason) == 0;
}

static void test_names(void) {
  uint8_t name[MAX_LENGTH];
  const uint8_t *value = (const uint8_t *)"v";
  for (size_t length = 1; length <= MAX_LENGTH; length++) {
    for (size_t at = 0; at < length; at++) {
      for (unsigned c = 0; c < 256; c++) {
        memset(name, 'x', length);
        name[at] = (uint8_t)c;
        /* ':' makes a pseudo-header, which trailers may not carry. */
        int want = reference_name_char((uint8_t)c);
        CHECK_EQ_INT(library_accepts(name, length, value, 1), want);
      }
    }
  }
  CHECK_EQ_INT(library_accepts(name, 0, value, 1), 0);
}

static void test_values(void) {
  uint8_t value[MAX_LENGTH];
  const uint8_t *name = (const uint8_t *)"x-name";
  for (size_t length = 1; length <= MAX_LENGTH; length++) {
    for (size_t at = 0; at < length; at++) {
      for (unsigned c = 0; c < 256; c++) {
        memset(value, 'a', length);
        value[at] = (uint8_t)c;
        CHECK_EQ_INT(library_accepts(name, 6, value, length),
                     reference_value(value, length));
      }
    }
  }
  CHECK_EQ_INT(library_accepts(name, 6, value, 0), 1);
}

/* Bytes with the high bit set, and runs of them, next to forbidden bytes:
 * the zero-byte test must not be fooled by borrows between lanes. */
static void test_value_lanes(void) {
  static const uint8_t fillers[] = {0x80, 0xff, 0x01, 0x0b, 0x0e, 0x09, 0x20};
  uint8_t value[24];
  const uint8_t *name = (const uint8_t *)"x-name";
  for (size_t f = 0; f < sizeof(fillers); f++) {
    for (size_t at = 1; at + 1 < sizeof(value); at++) {
      static const uint8_t bad[] = {0, '\r', '\n'};
      for (size_t b = 0; b < sizeof(bad); b++) {
        memset(value, fillers[f], sizeof(value));
        value[0] = value[sizeof(value) - 1] = 'a';
        CHECK_EQ_INT(library_accepts(name, 6, value, sizeof(value)),
                     reference_value(value, sizeof(value)));
        value[at] = bad[b];
        CHECK_EQ_INT(library_accepts(name, 6, value, sizeof(value)), 0);
      }
    }
  }
}

TEST_MAIN("field_validation", TEST_CASE(test_names), TEST_CASE(test_values),
          TEST_CASE(test_value_lanes))
