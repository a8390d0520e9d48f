/*
 * libFuzzer target for the HPACK decoder.
 *
 * Input layout:
 *   byte 0   the SETTINGS_HEADER_TABLE_SIZE the decoder starts with:
 *            0xff is 65536, 0xfe is 4096, anything else 16 times its value
 *   byte 1   max_header_list_size: 1 + 16 * value (1..4081)
 *   byte 2   max_fields: 1 + the low six bits; bit 7 set decodes with no
 *            output list, as a connection does for a discarded stream
 *   byte 3   max_field_size: 1 + 8 * value (1..2041)
 *   then operations, each one byte followed by its data:
 *     00xxxxxx  feed the next x + 1 bytes; the block goes on
 *     01xxxxxx  feed the next x bytes (maybe none) and end the block
 *     10xxxxxx  feed the next 32 * (x + 1) bytes; the block goes on
 *     11xxxxxx  end the open block, if any, then acknowledge a new table
 *               size setting: 65536 when x is 63, else 128 * x
 * Input left open at the end is ended as a block.
 *
 * The limits are small on purpose, so that the list budget, the field cap
 * and the field size limit are all hit. Every chunk is copied into an
 * allocation of exactly its length, so AddressSanitizer sees any read past
 * a chunk. After every call the target checks what the API promises:
 * which codes may come back when, that the list respects the limits, that
 * the table respects its maximum, and that a fatal error is returned
 * again by every later call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The longest name and value the static table holds; a field indexed from
 * it may be longer than a tiny max_field_size allows string literals. */
#define LONGEST_STATIC_NAME 27u
#define LONGEST_STATIC_VALUE 13u

typedef struct fuzz_state {
  h2_hpack_decoder *dec;
  h2_header_list *list; /* NULL when decoding without output */
  h2_hpack_decoder_limits limits;
  uint32_t largest_setting;
  int fatal;      /* the fatal code once one was returned */
  int block_open; /* input was fed since the last end of block */
} fuzz_state;

static void require(int condition) {
  if (!condition) abort();
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* The kept fields respect the limits, and every field is NUL-terminated
 * as the API promises. Returns their RFC 9113 size. */
static uint64_t check_fields(const fuzz_state *s) {
  const h2_header *f = h2_header_list_fields(s->list);
  size_t count = h2_header_list_count(s->list);
  uint64_t kept = 0;
  require(count <= s->limits.max_fields);
  for (size_t i = 0; i < count; i++) {
    require(f[i].name[f[i].name_length] == 0);
    require(f[i].value[f[i].value_length] == 0);
    require((f[i].flags & ~(uint32_t)H2_HEADER_NEVER_INDEX) == 0);
    /* The limit holds for decoded lengths too, Huffman expansion
     * included; only a field indexed from the static table may exceed a
     * tiny limit. */
    require(f[i].name_length <=
            max_u32(s->limits.max_field_size, LONGEST_STATIC_NAME));
    require(f[i].value_length <=
            max_u32(s->limits.max_field_size, LONGEST_STATIC_VALUE));
    kept += (uint64_t)f[i].name_length + f[i].value_length +
            H2_HPACK_ENTRY_OVERHEAD;
  }
  require(kept <= s->limits.max_header_list_size);
  return kept;
}

static void check_table(const fuzz_state *s) {
  require(h2_hpack_decoder_table_size(s->dec) <=
          h2_hpack_decoder_table_max_size(s->dec));
  require(h2_hpack_decoder_table_max_size(s->dec) <= s->largest_setting);
}

/* Checks one h2_hpack_decode result against the API's promises. */
static void check_result(fuzz_state *s, int rv, int end_of_block) {
  if (s->fatal) {
    require(rv == s->fatal);
    return;
  }
  if (rv == H2_ERR_CONN_COMPRESSION || rv == H2_ERR_CONN_ENHANCE_YOUR_CALM) {
    const char *detail = h2_hpack_decoder_error_detail(s->dec);
    require(detail != NULL && detail[0] != '\0');
    s->fatal = rv;
    return;
  }
  if (end_of_block)
    require(rv == 0 || rv == H2_ERR_HEADER_LIST_TOO_LARGE ||
            rv == H2_ERR_TOO_MANY_FIELDS);
  else
    require(rv == 0);
  check_table(s);
  if (!s->list) return;
  uint64_t kept = check_fields(s);
  uint64_t size = h2_header_list_size(s->list);
  require(size <= 4 * (uint64_t)s->limits.max_header_list_size);
  /* A block that ends cleanly dropped nothing. */
  if (end_of_block && rv == 0) require(size == kept);
  if (rv == H2_ERR_HEADER_LIST_TOO_LARGE)
    require(size > s->limits.max_header_list_size);
}

/* Feeds `length` bytes from an exact-size copy. */
static void feed(fuzz_state *s, const uint8_t *data, size_t length,
                 int end_of_block) {
  uint8_t *chunk = length ? malloc(length) : NULL;
  if (length) {
    require(chunk != NULL);
    memcpy(chunk, data, length);
  }
  int rv = h2_hpack_decode(s->dec, chunk, length, end_of_block, s->list);
  free(chunk);
  check_result(s, rv, end_of_block);
  s->block_open = !end_of_block;
  if (end_of_block && s->list) h2_header_list_clear(s->list);
}

static void change_setting(fuzz_state *s, uint32_t value) {
  if (s->block_open) feed(s, NULL, 0, 1);
  require(h2_hpack_decoder_set_max_table_size(s->dec, value) == 0);
  if (value > s->largest_setting) s->largest_setting = value;
}

/* Runs the operations that follow the four-byte header. */
static void run_operations(fuzz_state *s, const uint8_t *p,
                           const uint8_t *end) {
  while (p < end) {
    uint8_t op = *p++, x = op & 0x3f;
    size_t left = (size_t)(end - p), length;
    switch (op >> 6) {
      case 0: length = (size_t)x + 1; break;
      case 1: length = x; break;
      case 2: length = 32 * ((size_t)x + 1); break;
      default:
        change_setting(s, x == 63 ? 65536u : 128u * x);
        continue;
    }
    if (length > left) length = left;
    feed(s, p, length, op >> 6 == 1);
    p += length;
  }
  if (s->block_open) feed(s, NULL, 0, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  fuzz_state s;
  memset(&s, 0, sizeof(s));
  s.largest_setting = data[0] == 0xff   ? 65536u
                      : data[0] == 0xfe ? H2_HPACK_DEFAULT_TABLE_SIZE
                                        : 16u * data[0];
  s.limits.max_header_list_size = 1 + 16u * data[1];
  s.limits.max_fields = 1 + (data[2] & 0x3fu);
  s.limits.max_field_size = 1 + 8u * data[3];
  require(h2_hpack_decoder_new(&s.dec, s.largest_setting, &s.limits, NULL) ==
          0);
  if (!(data[2] & 0x80)) require(h2_header_list_new(&s.list, NULL) == 0);
  run_operations(&s, data + 4, data + size);
  h2_header_list_del(s.list);
  h2_hpack_decoder_del(s.dec);
  return 0;
}
