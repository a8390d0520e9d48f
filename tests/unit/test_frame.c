/*
 * Tests of the frame codec: round trips of every frame type and flag
 * combination, every frame-level case of the hostile-server checklist
 * (sections A and B of hostile-servers-and-limits.md), and a randomized
 * robustness run.
 *
 * Every byte handed to the decoder is first copied in front of a PROT_NONE
 * page (guard_buffer), so that a read past the declared payload crashes the
 * test at once instead of going unnoticed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard_buffer.h"
#include "h2/error.h"
#include "h2/frame.h"
#include "test.h"

#define DEFAULT_MAX_FRAME_SIZE 16384u
#define WIRE_CAPACITY (H2_FRAME_HEADER_LENGTH + 16384u + 512u)

enum { CONNECTION_ERROR = 0, STREAM_ERROR = 1 };

/* ------------------------------------------------------------------ */
/* Building wire bytes by hand, independently of the encoder under test. */

typedef struct wire {
  uint8_t bytes[WIRE_CAPACITY];
  size_t length;
} wire;

static void wire_u8(wire *w, uint8_t v) {
  if (w->length < WIRE_CAPACITY) w->bytes[w->length++] = v;
}

static void wire_u16(wire *w, uint16_t v) {
  wire_u8(w, (uint8_t)(v >> 8));
  wire_u8(w, (uint8_t)v);
}

static void wire_u32(wire *w, uint32_t v) {
  wire_u16(w, (uint16_t)(v >> 16));
  wire_u16(w, (uint16_t)v);
}

static void wire_bytes(wire *w, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) wire_u8(w, p[i]);
}

static void wire_fill(wire *w, uint8_t v, size_t n) {
  for (size_t i = 0; i < n; i++) wire_u8(w, v);
}

/* Starts a frame whose length is filled in by wire_finish. `stream_word`
 * is written verbatim, reserved bit included. */
static void wire_start(wire *w, uint8_t type, uint8_t flags,
                       uint32_t stream_word) {
  w->length = 0;
  wire_fill(w, 0, 3);
  wire_u8(w, type);
  wire_u8(w, flags);
  wire_u32(w, stream_word);
}

/* Sets the header length to the payload actually appended. */
static void wire_finish(wire *w) {
  size_t length = w->length - H2_FRAME_HEADER_LENGTH;
  w->bytes[0] = (uint8_t)(length >> 16);
  w->bytes[1] = (uint8_t)(length >> 8);
  w->bytes[2] = (uint8_t)length;
}

/* A frame with `payload_length` bytes of `fill` as its payload. */
static void wire_simple(wire *w, uint8_t type, uint8_t flags,
                        uint32_t stream_word, size_t payload_length,
                        uint8_t fill) {
  wire_start(w, type, flags, stream_word);
  wire_fill(w, fill, payload_length);
  wire_finish(w);
}

static uint8_t sample_bytes[512];

static void init_sample_bytes(void) {
  for (size_t i = 0; i < sizeof(sample_bytes); i++)
    sample_bytes[i] = (uint8_t)(i * 7 + 3);
}

/* ------------------------------------------------------------------ */
/* Decoding against guard pages. */

typedef struct decoded {
  h2_frame_header hd;
  h2_frame frame;
  int check_rc;  /* h2_frame_header_check */
  int unpack_rc; /* h2_frame_unpack, run even when the check failed */
  const char *check_reason;
  const char *unpack_reason;
  guard_buffer header_guard;
  guard_buffer payload_guard;
} decoded;

/* Decodes `bytes`, which must hold a header and exactly the payload it
 * declares. The header and the payload each end at a guard page. Returns
 * -1 when the test input itself is inconsistent. */
static int decode_wire(decoded *d, const uint8_t *bytes, size_t length,
                       uint32_t max_frame_size) {
  memset(d, 0, sizeof(*d));
  if (length < H2_FRAME_HEADER_LENGTH) return -1;
  if (guard_buffer_init(&d->header_guard, bytes, H2_FRAME_HEADER_LENGTH))
    return -1;
  h2_frame_header_unpack(&d->hd, d->header_guard.data);
  if (length - H2_FRAME_HEADER_LENGTH != d->hd.length) return -1;
  if (guard_buffer_init(&d->payload_guard, bytes + H2_FRAME_HEADER_LENGTH,
                        d->hd.length))
    return -1;
  d->check_rc = h2_frame_header_check(&d->hd, max_frame_size,
                                      &d->check_reason);
  /* Even for an empty payload the pointer given is the guard page itself,
   * so any read at all would fault. */
  d->unpack_rc = h2_frame_unpack(&d->frame, &d->hd, d->payload_guard.data,
                                 &d->unpack_reason);
  return 0;
}

static void decoded_free(decoded *d) {
  guard_buffer_free(&d->header_guard);
  guard_buffer_free(&d->payload_guard);
}

static void report_failure(int line, const char *what, int rc) {
  test_failures++;
  fprintf(stderr, "%s:%d: %s (got %d: %s)\n", __FILE__, line, what, rc,
          h2_strerror(rc));
}

/* Checks that `rc` is exactly the given error, by scope and wire code. */
static void expect_code(int line, int rc, int stream_level,
                        uint32_t wire_code) {
  test_checks++;
  int scope_ok = stream_level ? h2_error_is_stream_level(rc)
                              : h2_error_is_connection_level(rc);
  if (!scope_ok || h2_error_wire_code(rc) != wire_code ||
      rc != h2_error_from_wire(wire_code, stream_level)) {
    char what[128];
    snprintf(what, sizeof(what), "expected a %s error %s",
             stream_level ? "stream" : "connection",
             h2_wire_error_name(wire_code));
    report_failure(line, what, rc);
  }
}

static void expect_reason(int line, const char *reason) {
  test_checks++;
  if (!reason || !reason[0]) report_failure(line, "missing reason", 0);
}

/* A malformed frame given in full: the first failing stage must report
 * exactly the expected error. When the header stage failed for a reason
 * other than our size limit, the decoder run on its own must find the same
 * fault, since it may not rely on the caller having checked. */
static void expect_wire_error(int line, const wire *w, uint32_t max_frame_size,
                              int stream_level, uint32_t wire_code) {
  decoded d;
  if (decode_wire(&d, w->bytes, w->length, max_frame_size) != 0) {
    report_failure(line, "inconsistent test frame", 0);
    decoded_free(&d);
    return;
  }
  if (d.check_rc) {
    expect_code(line, d.check_rc, stream_level, wire_code);
    expect_reason(line, d.check_reason);
    if (d.hd.length <= max_frame_size)
      expect_code(line, d.unpack_rc, stream_level, wire_code);
  } else {
    expect_code(line, d.unpack_rc, stream_level, wire_code);
    expect_reason(line, d.unpack_reason);
  }
  decoded_free(&d);
}

/* A header whose payload is never read: the decision must come from the
 * 9 bytes alone, as for a length far above our limit. */
static void expect_header_error(int line, const uint8_t header[9],
                                uint32_t max_frame_size, int stream_level,
                                uint32_t wire_code) {
  guard_buffer gb;
  if (guard_buffer_init(&gb, header, H2_FRAME_HEADER_LENGTH)) {
    report_failure(line, "guard buffer setup failed", 0);
    return;
  }
  h2_frame_header hd;
  const char *reason = NULL;
  h2_frame_header_unpack(&hd, gb.data);
  expect_code(line, h2_frame_header_check(&hd, max_frame_size, &reason),
              stream_level, wire_code);
  expect_reason(line, reason);
  guard_buffer_free(&gb);
}

#define EXPECT_WIRE_ERROR(w, scope, code) \
  expect_wire_error(__LINE__, (w), DEFAULT_MAX_FRAME_SIZE, (scope), (code))
#define EXPECT_HEADER_ERROR(h, max, scope, code) \
  expect_header_error(__LINE__, (h), (max), (scope), (code))

/* ------------------------------------------------------------------ */
/* Round trips. */

static int frames_equal(const h2_frame *a, const h2_frame *b) {
  return a->hd.type == b->hd.type && a->hd.flags == b->hd.flags &&
         a->hd.stream_id == b->hd.stream_id &&
         a->payload_length == b->payload_length &&
         (a->payload_length == 0 ||
          memcmp(a->payload, b->payload, a->payload_length) == 0) &&
         a->padding == b->padding && a->error_code == b->error_code &&
         a->value == b->value && a->dependency == b->dependency &&
         a->weight == b->weight && a->exclusive == b->exclusive &&
         a->settings_count == b->settings_count;
}

/* Packs `fr`, compares the bytes with `expected` (built by hand), decodes
 * them against guard pages and checks that every field came back. */
static void check_round_trip(int line, const h2_frame *fr,
                             const wire *expected) {
  size_t size = h2_frame_packed_length(fr);
  uint8_t *packed = malloc(size ? size : 1);
  if (!packed) {
    report_failure(line, "out of memory", 0);
    return;
  }
  int written = h2_frame_pack(packed, size, fr);
  test_checks++;
  if (written < 0 || (size_t)written != size ||
      (expected && (expected->length != size ||
                    memcmp(expected->bytes, packed, size) != 0))) {
    report_failure(line, "packed bytes differ from the expected wire form",
                   written);
    free(packed);
    return;
  }
  decoded d;
  if (decode_wire(&d, packed, size, H2_MAX_MAX_FRAME_SIZE) != 0) {
    report_failure(line, "packed frame is inconsistent", 0);
  } else if (d.check_rc || d.unpack_rc) {
    report_failure(line, "packed frame does not decode",
                   d.check_rc ? d.check_rc : d.unpack_rc);
  } else if (!frames_equal(fr, &d.frame) ||
             d.frame.hd.length != size - H2_FRAME_HEADER_LENGTH) {
    report_failure(line, "decoded frame differs from the packed one", 0);
  }
  decoded_free(&d);
  free(packed);
}

#define CHECK_ROUND_TRIP(fr, expected) \
  check_round_trip(__LINE__, (fr), (expected))

static const uint32_t paddings[] = {0, 1, 2, 9, 256};
static const uint32_t body_lengths[] = {0, 1, 37};

/* Appends the Pad Length octet when padded; wire_pad_tail the padding. */
static void wire_pad_head(wire *w, uint32_t padding) {
  if (padding) wire_u8(w, (uint8_t)(padding - 1));
}

static void wire_pad_tail(wire *w, uint32_t padding) {
  if (padding) wire_fill(w, 0, padding - 1);
}

static void test_round_trip_data(void) {
  static const uint8_t flag_sets[] = {0, H2_FLAG_END_STREAM};
  for (size_t f = 0; f < sizeof(flag_sets); f++)
    for (size_t p = 0; p < sizeof(paddings) / sizeof(paddings[0]); p++)
      for (size_t b = 0; b < sizeof(body_lengths) / sizeof(body_lengths[0]);
           b++) {
        h2_frame fr = {0};
        fr.hd.type = H2_FRAME_DATA;
        fr.hd.flags = (uint8_t)(flag_sets[f] |
                                (paddings[p] ? H2_FLAG_PADDED : 0));
        fr.hd.stream_id = 1;
        fr.payload = body_lengths[b] ? sample_bytes : NULL;
        fr.payload_length = body_lengths[b];
        fr.padding = paddings[p];
        wire w;
        wire_start(&w, H2_FRAME_DATA, fr.hd.flags, 1);
        wire_pad_head(&w, paddings[p]);
        wire_bytes(&w, sample_bytes, body_lengths[b]);
        wire_pad_tail(&w, paddings[p]);
        wire_finish(&w);
        CHECK_ROUND_TRIP(&fr, &w);
      }
}

typedef struct priority_case {
  uint8_t exclusive;
  uint32_t dependency;
  uint8_t weight;
} priority_case;

static const priority_case priority_cases[] = {
    {0, 0, 0}, {1, 5, 255}, {0, 0x7fffffff, 15}, {1, 0, 128}};

static void wire_priority(wire *w, const priority_case *pc) {
  wire_u32(w, pc->dependency | (pc->exclusive ? 0x80000000u : 0));
  wire_u8(w, pc->weight);
}

static void round_trip_one_headers(uint8_t flags, uint32_t padding,
                                   uint32_t fragment_length,
                                   const priority_case *pc) {
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_HEADERS;
  fr.hd.flags = (uint8_t)(flags | (padding ? H2_FLAG_PADDED : 0));
  fr.hd.stream_id = 3;
  fr.payload = fragment_length ? sample_bytes : NULL;
  fr.payload_length = fragment_length;
  fr.padding = padding;
  if (flags & H2_FLAG_PRIORITY) {
    fr.exclusive = pc->exclusive;
    fr.dependency = pc->dependency;
    fr.weight = pc->weight;
  }
  wire w;
  wire_start(&w, H2_FRAME_HEADERS, fr.hd.flags, 3);
  wire_pad_head(&w, padding);
  if (flags & H2_FLAG_PRIORITY) wire_priority(&w, pc);
  wire_bytes(&w, sample_bytes, fragment_length);
  wire_pad_tail(&w, padding);
  wire_finish(&w);
  CHECK_ROUND_TRIP(&fr, &w);
}

static void test_round_trip_headers(void) {
  static const uint8_t defined[] = {H2_FLAG_END_STREAM, H2_FLAG_END_HEADERS,
                                    H2_FLAG_PRIORITY};
  /* Every subset of END_STREAM, END_HEADERS and PRIORITY; PADDED follows
   * the padding size. */
  for (unsigned subset = 0; subset < 8; subset++) {
    uint8_t flags = 0;
    for (unsigned bit = 0; bit < 3; bit++)
      if (subset & (1u << bit)) flags |= defined[bit];
    for (size_t p = 0; p < sizeof(paddings) / sizeof(paddings[0]); p++)
      for (size_t b = 0; b < sizeof(body_lengths) / sizeof(body_lengths[0]);
           b++)
        for (size_t c = 0;
             c < sizeof(priority_cases) / sizeof(priority_cases[0]); c++)
          round_trip_one_headers(flags, paddings[p], body_lengths[b],
                                 &priority_cases[c]);
  }
}

static void test_round_trip_priority(void) {
  for (size_t c = 0; c < sizeof(priority_cases) / sizeof(priority_cases[0]);
       c++) {
    h2_frame fr = {0};
    fr.hd.type = H2_FRAME_PRIORITY;
    fr.hd.stream_id = 9;
    fr.exclusive = priority_cases[c].exclusive;
    fr.dependency = priority_cases[c].dependency;
    fr.weight = priority_cases[c].weight;
    wire w;
    wire_start(&w, H2_FRAME_PRIORITY, 0, 9);
    wire_priority(&w, &priority_cases[c]);
    wire_finish(&w);
    CHECK_ROUND_TRIP(&fr, &w);
  }
}

static void test_round_trip_rst_stream(void) {
  static const uint32_t codes[] = {H2_NO_ERROR, H2_CANCEL,
                                   H2_HTTP_1_1_REQUIRED, 0xffffffffu};
  static const uint32_t streams[] = {1, 0x7fffffff};
  for (size_t c = 0; c < 4; c++)
    for (size_t s = 0; s < 2; s++) {
      h2_frame fr = {0};
      fr.hd.type = H2_FRAME_RST_STREAM;
      fr.hd.stream_id = streams[s];
      fr.error_code = codes[c];
      wire w;
      wire_start(&w, H2_FRAME_RST_STREAM, 0, streams[s]);
      wire_u32(&w, codes[c]);
      wire_finish(&w);
      CHECK_ROUND_TRIP(&fr, &w);
    }
}

typedef struct setting_entry {
  uint16_t id;
  uint32_t value;
} setting_entry;

/* Valid extremes of every known setting, and unknown ids with any value. */
static const setting_entry sample_settings[] = {
    {H2_SETTINGS_HEADER_TABLE_SIZE, 0xffffffffu},
    {H2_SETTINGS_ENABLE_PUSH, 0},
    {H2_SETTINGS_ENABLE_PUSH, 1},
    {H2_SETTINGS_MAX_CONCURRENT_STREAMS, 0},
    {H2_SETTINGS_INITIAL_WINDOW_SIZE, 0x7fffffff},
    {H2_SETTINGS_MAX_FRAME_SIZE, 16384},
    {H2_SETTINGS_MAX_FRAME_SIZE, 16777215},
    {H2_SETTINGS_MAX_HEADER_LIST_SIZE, 0xffffffffu},
    {H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
    {H2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    {0x0, 0xffffffffu},
    {0x7, 12345},
    {0xa, 0xffffffffu},
    {0xffff, 0xffffffffu}};

#define SAMPLE_SETTING_COUNT \
  (sizeof(sample_settings) / sizeof(sample_settings[0]))

static void test_round_trip_settings(void) {
  uint8_t entries[SAMPLE_SETTING_COUNT * 6];
  for (size_t i = 0; i < SAMPLE_SETTING_COUNT; i++)
    h2_setting_pack(entries + i * 6, sample_settings[i].id,
                    sample_settings[i].value);
  /* The ACK, an empty SETTINGS, one entry, and all of them. */
  static const size_t counts[] = {0, 0, 1, SAMPLE_SETTING_COUNT};
  for (size_t c = 0; c < 4; c++) {
    h2_frame fr = {0};
    fr.hd.type = H2_FRAME_SETTINGS;
    fr.hd.flags = c == 0 ? H2_FLAG_ACK : 0;
    fr.payload = counts[c] ? entries : NULL;
    fr.payload_length = (uint32_t)(counts[c] * 6);
    fr.settings_count = (uint32_t)counts[c];
    wire w;
    wire_start(&w, H2_FRAME_SETTINGS, fr.hd.flags, 0);
    for (size_t i = 0; i < counts[c]; i++) {
      wire_u16(&w, sample_settings[i].id);
      wire_u32(&w, sample_settings[i].value);
    }
    wire_finish(&w);
    CHECK_ROUND_TRIP(&fr, &w);
  }
}

/* h2_frame_setting reads back every entry of a decoded frame. */
static void test_settings_entries(void) {
  wire w;
  wire_start(&w, H2_FRAME_SETTINGS, 0, 0);
  for (size_t i = 0; i < SAMPLE_SETTING_COUNT; i++) {
    wire_u16(&w, sample_settings[i].id);
    wire_u32(&w, sample_settings[i].value);
  }
  wire_finish(&w);
  decoded d;
  REQUIRE(decode_wire(&d, w.bytes, w.length, DEFAULT_MAX_FRAME_SIZE) == 0);
  CHECK_EQ_INT(d.check_rc, 0);
  CHECK_EQ_INT(d.unpack_rc, 0);
  CHECK_EQ_INT(d.frame.settings_count, SAMPLE_SETTING_COUNT);
  for (uint32_t i = 0; i < d.frame.settings_count; i++) {
    uint16_t id = 1;
    uint32_t value = 1;
    h2_frame_setting(&d.frame, i, &id, &value);
    CHECK_EQ_INT(id, sample_settings[i].id);
    CHECK_EQ_INT(value, sample_settings[i].value);
  }
  /* Past the end reads as a zero entry, never past the view. */
  uint16_t id = 1;
  uint32_t value = 1;
  h2_frame_setting(&d.frame, d.frame.settings_count, &id, &value);
  CHECK_EQ_INT(id, 0);
  CHECK_EQ_INT(value, 0);
  decoded_free(&d);
}

static void test_round_trip_push_promise(void) {
  static const uint32_t promised[] = {2, 0x7ffffffe};
  static const uint8_t flag_sets[] = {0, H2_FLAG_END_HEADERS};
  for (size_t f = 0; f < 2; f++)
    for (size_t p = 0; p < sizeof(paddings) / sizeof(paddings[0]); p++)
      for (size_t b = 0; b < sizeof(body_lengths) / sizeof(body_lengths[0]);
           b++)
        for (size_t i = 0; i < 2; i++) {
          h2_frame fr = {0};
          fr.hd.type = H2_FRAME_PUSH_PROMISE;
          fr.hd.flags = (uint8_t)(flag_sets[f] |
                                  (paddings[p] ? H2_FLAG_PADDED : 0));
          fr.hd.stream_id = 1;
          fr.value = promised[i];
          fr.payload = body_lengths[b] ? sample_bytes : NULL;
          fr.payload_length = body_lengths[b];
          fr.padding = paddings[p];
          wire w;
          wire_start(&w, H2_FRAME_PUSH_PROMISE, fr.hd.flags, 1);
          wire_pad_head(&w, paddings[p]);
          wire_u32(&w, promised[i]);
          wire_bytes(&w, sample_bytes, body_lengths[b]);
          wire_pad_tail(&w, paddings[p]);
          wire_finish(&w);
          CHECK_ROUND_TRIP(&fr, &w);
        }
}

static void test_round_trip_ping(void) {
  static const uint8_t flag_sets[] = {0, H2_FLAG_ACK};
  for (size_t f = 0; f < 2; f++) {
    h2_frame fr = {0};
    fr.hd.type = H2_FRAME_PING;
    fr.hd.flags = flag_sets[f];
    fr.payload = sample_bytes;
    fr.payload_length = 8;
    wire w;
    wire_start(&w, H2_FRAME_PING, flag_sets[f], 0);
    wire_bytes(&w, sample_bytes, 8);
    wire_finish(&w);
    CHECK_ROUND_TRIP(&fr, &w);
  }
}

static void test_round_trip_goaway(void) {
  static const uint32_t last_ids[] = {0, 1, 0x7fffffff};
  static const uint32_t codes[] = {H2_NO_ERROR, H2_ENHANCE_YOUR_CALM,
                                   0xfffffff0u};
  static const uint32_t debug_lengths[] = {0, 13};
  for (size_t l = 0; l < 3; l++)
    for (size_t c = 0; c < 3; c++)
      for (size_t d = 0; d < 2; d++) {
        h2_frame fr = {0};
        fr.hd.type = H2_FRAME_GOAWAY;
        fr.value = last_ids[l];
        fr.error_code = codes[c];
        fr.payload = debug_lengths[d] ? sample_bytes : NULL;
        fr.payload_length = debug_lengths[d];
        wire w;
        wire_start(&w, H2_FRAME_GOAWAY, 0, 0);
        wire_u32(&w, last_ids[l]);
        wire_u32(&w, codes[c]);
        wire_bytes(&w, sample_bytes, debug_lengths[d]);
        wire_finish(&w);
        CHECK_ROUND_TRIP(&fr, &w);
      }
}

static void test_round_trip_window_update(void) {
  static const uint32_t streams[] = {0, 1, 0x7fffffff};
  static const uint32_t increments[] = {1, 65535, 0x7fffffff};
  for (size_t s = 0; s < 3; s++)
    for (size_t i = 0; i < 3; i++) {
      h2_frame fr = {0};
      fr.hd.type = H2_FRAME_WINDOW_UPDATE;
      fr.hd.stream_id = streams[s];
      fr.value = increments[i];
      wire w;
      wire_start(&w, H2_FRAME_WINDOW_UPDATE, 0, streams[s]);
      wire_u32(&w, increments[i]);
      wire_finish(&w);
      CHECK_ROUND_TRIP(&fr, &w);
    }
}

static void test_round_trip_continuation(void) {
  static const uint8_t flag_sets[] = {0, H2_FLAG_END_HEADERS};
  for (size_t f = 0; f < 2; f++)
    for (size_t b = 0; b < sizeof(body_lengths) / sizeof(body_lengths[0]);
         b++) {
      h2_frame fr = {0};
      fr.hd.type = H2_FRAME_CONTINUATION;
      fr.hd.flags = flag_sets[f];
      fr.hd.stream_id = 5;
      fr.payload = body_lengths[b] ? sample_bytes : NULL;
      fr.payload_length = body_lengths[b];
      wire w;
      wire_start(&w, H2_FRAME_CONTINUATION, flag_sets[f], 5);
      wire_bytes(&w, sample_bytes, body_lengths[b]);
      wire_finish(&w);
      CHECK_ROUND_TRIP(&fr, &w);
    }
}

static void test_round_trip_priority_update(void) {
  static const uint32_t prioritized[] = {1, 0x7fffffff};
  static const char *const values[] = {"", "u=1, i"};
  for (size_t s = 0; s < 2; s++)
    for (size_t v = 0; v < 2; v++) {
      size_t value_length = strlen(values[v]);
      h2_frame fr = {0};
      fr.hd.type = H2_FRAME_PRIORITY_UPDATE;
      fr.value = prioritized[s];
      fr.payload = value_length ? (const uint8_t *)values[v] : NULL;
      fr.payload_length = (uint32_t)value_length;
      wire w;
      wire_start(&w, H2_FRAME_PRIORITY_UPDATE, 0, 0);
      wire_u32(&w, prioritized[s]);
      wire_bytes(&w, (const uint8_t *)values[v], value_length);
      wire_finish(&w);
      CHECK_ROUND_TRIP(&fr, &w);
    }
}

/* Case 21: any type we do not know, with any flags and stream, decodes to
 * its whole payload for the caller to skip. */
static void test_round_trip_unknown_types(void) {
  test_srand(test_seed_from_env(0x21));
  for (unsigned type = 0x0a; type <= 0xff; type++) {
    if (type == H2_FRAME_PRIORITY_UPDATE) continue;
    for (int round = 0; round < 4; round++) {
      uint32_t length = (uint32_t)(test_rand() % 65);
      h2_frame fr = {0};
      fr.hd.type = (uint8_t)type;
      fr.hd.flags = (uint8_t)test_rand();
      fr.hd.stream_id = round == 0 ? 0 : (uint32_t)test_rand() & 0x7fffffff;
      fr.payload = length ? sample_bytes + round : NULL;
      fr.payload_length = length;
      wire w;
      wire_start(&w, (uint8_t)type, fr.hd.flags, fr.hd.stream_id);
      wire_bytes(&w, sample_bytes + round, length);
      wire_finish(&w);
      CHECK_ROUND_TRIP(&fr, &w);
    }
  }
}

/* ------------------------------------------------------------------ */
/* Header encoding, names, and the encoder's own refusals. */

static void test_header_pack_unpack(void) {
  h2_frame_header hd = {0};
  hd.length = 0x1abcdef; /* truncated to 24 bits */
  hd.type = 0xfe;
  hd.flags = 0xa5;
  hd.stream_id = 0xffffffff; /* reserved bit never written */
  uint8_t out[9];
  h2_frame_header_pack(out, &hd);
  static const uint8_t expected[9] = {0xab, 0xcd, 0xef, 0xfe, 0xa5,
                                      0x7f, 0xff, 0xff, 0xff};
  CHECK_MEM(out, 9, expected, 9);

  guard_buffer gb;
  REQUIRE(guard_buffer_init(&gb, expected, 9) == 0);
  h2_frame_header back;
  memset(&back, 0xee, sizeof(back));
  h2_frame_header_unpack(&back, gb.data);
  CHECK_EQ_INT(back.length, 0xabcdef);
  CHECK_EQ_INT(back.type, 0xfe);
  CHECK_EQ_INT(back.flags, 0xa5);
  CHECK_EQ_INT(back.stream_id, 0x7fffffff);
  CHECK_EQ_INT(back.reserved_[0], 0);
  CHECK_EQ_INT(back.reserved_[1], 0);
  guard_buffer_free(&gb);
}

static void test_type_names(void) {
  static const char *const names[] = {
      "DATA",         "HEADERS", "PRIORITY", "RST_STREAM",    "SETTINGS",
      "PUSH_PROMISE", "PING",    "GOAWAY",   "WINDOW_UPDATE", "CONTINUATION"};
  for (uint8_t t = 0; t < 10; t++)
    CHECK(strcmp(h2_frame_type_name(t), names[t]) == 0);
  CHECK(strcmp(h2_frame_type_name(0x10), "PRIORITY_UPDATE") == 0);
  CHECK(strcmp(h2_frame_type_name(0x0a), "UNKNOWN") == 0);
  CHECK(strcmp(h2_frame_type_name(0xff), "UNKNOWN") == 0);
}

static void test_setting_pack(void) {
  uint8_t out[6];
  h2_setting_pack(out, 0x1234, 0xdeadbeef);
  static const uint8_t expected[6] = {0x12, 0x34, 0xde, 0xad, 0xbe, 0xef};
  CHECK_MEM(out, 6, expected, 6);
}

/* Every capacity short of the full frame is refused without writing past
 * it; the exact size works. */
static void test_pack_buffer_too_small(void) {
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_HEADERS;
  fr.hd.flags = H2_FLAG_PRIORITY | H2_FLAG_END_HEADERS;
  fr.hd.stream_id = 1;
  fr.payload = sample_bytes;
  fr.payload_length = 20;
  fr.padding = 4;
  fr.dependency = 3;
  size_t size = h2_frame_packed_length(&fr);
  CHECK_EQ_INT(size, 9 + 4 + 5 + 20);
  uint8_t out[64];
  for (size_t capacity = 0; capacity < size; capacity++) {
    memset(out, 0xcc, sizeof(out));
    CHECK_EQ_INT(h2_frame_pack(out, capacity, &fr), H2_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(out[0], 0xcc);
  }
  CHECK_EQ_INT(h2_frame_pack(NULL, 0, &fr), H2_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ_INT(h2_frame_pack(out, size, &fr), (int)size);
  CHECK_EQ_INT(out[4], H2_FLAG_PRIORITY | H2_FLAG_END_HEADERS | H2_FLAG_PADDED);
}

static void test_pack_invalid_frames(void) {
  uint8_t out[64];
  h2_frame fr = {0};
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), NULL), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_frame_packed_length(NULL), 0);

  /* Padding counts the Pad Length octet, so 256 is the most there is. */
  fr.hd.type = H2_FRAME_DATA;
  fr.hd.stream_id = 1;
  fr.padding = 257;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_frame_packed_length(&fr), 0);

  /* PING carries exactly 8 bytes. */
  memset(&fr, 0, sizeof(fr));
  fr.hd.type = H2_FRAME_PING;
  fr.payload = sample_bytes;
  fr.payload_length = 7;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
  fr.payload = NULL;
  fr.payload_length = 8;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);

  /* A payload longer than 2^24 - 1 has no wire form. The payload is a
   * single guarded byte, so reading it would fault. */
  guard_buffer gb;
  REQUIRE(guard_buffer_init(&gb, sample_bytes, 1) == 0);
  memset(&fr, 0, sizeof(fr));
  fr.hd.type = H2_FRAME_DATA;
  fr.hd.stream_id = 1;
  fr.payload = gb.data;
  fr.payload_length = 0x1000000;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
  /* The limit includes padding and fixed fields. */
  fr.payload_length = 0xffffff;
  fr.padding = 1;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
  fr.padding = 0;
  CHECK_EQ_INT(h2_frame_packed_length(&fr), 9 + 0xffffff);
  fr.hd.type = H2_FRAME_GOAWAY;
  fr.payload_length = 0xffffff - 7;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
  guard_buffer_free(&gb);

  /* A non-empty payload needs bytes. */
  memset(&fr, 0, sizeof(fr));
  fr.hd.type = H2_FRAME_CONTINUATION;
  fr.hd.stream_id = 1;
  fr.payload_length = 3;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), H2_ERR_INVALID_ARGUMENT);
}

/* PADDED follows fr->padding, and types without padding or a payload of
 * their own ignore those fields instead of writing garbage. */
static void test_pack_derives_flags_and_layout(void) {
  uint8_t out[64];
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_DATA;
  fr.hd.flags = H2_FLAG_PADDED; /* but no padding: the flag is cleared */
  fr.hd.stream_id = 1;
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), 9);
  CHECK_EQ_INT(out[4], 0);

  memset(&fr, 0, sizeof(fr));
  fr.hd.type = H2_FRAME_WINDOW_UPDATE;
  fr.hd.stream_id = 0x80000001; /* reserved bit never written */
  fr.value = 0xffffffff;
  fr.payload = sample_bytes; /* WINDOW_UPDATE has no variable data */
  fr.payload_length = 10;
  fr.padding = 5; /* nor padding */
  CHECK_EQ_INT(h2_frame_pack(out, sizeof(out), &fr), 13);
  static const uint8_t expected[13] = {0, 0, 4, 8, 0, 0, 0, 0, 1,
                                       0x7f, 0xff, 0xff, 0xff};
  CHECK_MEM(out, 13, expected, 13);
}

/* ------------------------------------------------------------------ */
/* Valid edge cases of the checklist. */

/* Decodes a frame that must be accepted. Only scalar fields of `out` may be
 * used afterwards: its payload view pointed into the freed guard buffer. */
static void expect_valid(int line, const wire *w, uint32_t max_frame_size,
                         h2_frame *out) {
  decoded d;
  test_checks++;
  if (decode_wire(&d, w->bytes, w->length, max_frame_size) != 0) {
    report_failure(line, "inconsistent test frame", 0);
  } else if (d.check_rc || d.unpack_rc) {
    report_failure(line, "valid frame rejected",
                   d.check_rc ? d.check_rc : d.unpack_rc);
  }
  if (out) {
    *out = d.frame;
    out->payload = NULL;
  }
  decoded_free(&d);
}

#define EXPECT_VALID(w, fr) \
  expect_valid(__LINE__, (w), DEFAULT_MAX_FRAME_SIZE, (fr))

/* Case 23: flags a type does not define are ignored, and kept as sent. */
static void test_undefined_flags_ignored(void) {
  wire w;
  h2_frame fr;
  wire_simple(&w, H2_FRAME_PING, 0xff, 0, 8, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.hd.flags, 0xff);
  CHECK_EQ_INT(fr.payload_length, 8);
  wire_simple(&w, H2_FRAME_DATA, 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80, 1,
              3, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.payload_length, 3);
  CHECK_EQ_INT(fr.padding, 0);
  wire_simple(&w, H2_FRAME_SETTINGS, 0xfe, 0, 6, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.settings_count, 1);
  wire_simple(&w, H2_FRAME_RST_STREAM, 0xff, 1, 4, 0);
  EXPECT_VALID(&w, NULL);
  wire_simple(&w, H2_FRAME_WINDOW_UPDATE, 0xff, 0, 4, 1);
  EXPECT_VALID(&w, NULL);
  wire_simple(&w, H2_FRAME_GOAWAY, 0xff, 0, 8, 0);
  EXPECT_VALID(&w, NULL);
  wire_simple(&w, H2_FRAME_CONTINUATION, 0xff & ~H2_FLAG_PADDED, 1, 2, 0);
  EXPECT_VALID(&w, NULL);
  /* PADDED means nothing on CONTINUATION: no Pad Length is read. */
  wire_simple(&w, H2_FRAME_CONTINUATION, H2_FLAG_PADDED, 1, 0, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.padding, 0);
  wire_simple(&w, H2_FRAME_PRIORITY, 0xff, 1, 5, 0);
  EXPECT_VALID(&w, NULL);
  /* PRIORITY means nothing on DATA: no priority fields are read. */
  wire_simple(&w, H2_FRAME_DATA, H2_FLAG_PRIORITY, 1, 0, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.payload_length, 0);
}

/* Case 24: reserved bits are masked off wherever they appear. */
static void test_reserved_bits_masked(void) {
  wire w;
  h2_frame fr;
  wire_simple(&w, H2_FRAME_DATA, 0, 0x80000003u, 1, 0);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.hd.stream_id, 3);

  /* A reserved bit alone does not make stream 0 a stream. */
  wire_simple(&w, H2_FRAME_DATA, 0, 0x80000000u, 1, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  wire_simple(&w, H2_FRAME_SETTINGS, 0, 0x80000000u, 0, 0);
  EXPECT_VALID(&w, NULL);

  wire_start(&w, H2_FRAME_WINDOW_UPDATE, 0, 0x80000000u);
  wire_u32(&w, 0x80000400u);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.hd.stream_id, 0);
  CHECK_EQ_INT(fr.value, 0x400);

  wire_start(&w, H2_FRAME_GOAWAY, 0, 0);
  wire_u32(&w, 0xffffffffu);
  wire_u32(&w, H2_NO_ERROR);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.value, 0x7fffffff);

  wire_start(&w, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1);
  wire_u32(&w, 0x80000002u);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.value, 2);

  wire_start(&w, H2_FRAME_PRIORITY_UPDATE, 0, 0);
  wire_u32(&w, 0x80000005u);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.value, 5);

  /* The top bit of a dependency is the exclusive flag, not reserved. */
  wire_start(&w, H2_FRAME_PRIORITY, 0, 1);
  wire_u32(&w, 0x80000007u);
  wire_u8(&w, 200);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.exclusive, 1);
  CHECK_EQ_INT(fr.dependency, 7);
  CHECK_EQ_INT(fr.weight, 200);
}

/* Cases 25 and 36 (the accepted halves), and the limit's exact edges. */
static void test_size_edges_accepted(void) {
  static wire w;
  h2_frame fr;
  wire_simple(&w, H2_FRAME_DATA, 0, 1, 16384, 0x5a);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.payload_length, 16384);

  /* A PRIORITY frame for a far-future stream is still just a frame. */
  wire_simple(&w, H2_FRAME_PRIORITY, 0, 0x7fffffff, 5, 0);
  EXPECT_VALID(&w, NULL);

  /* With the largest SETTINGS_MAX_FRAME_SIZE, the largest length fits. */
  static const uint8_t huge[9] = {0xff, 0xff, 0xff, 0x0, 0, 0, 0, 0, 1};
  guard_buffer gb;
  REQUIRE(guard_buffer_init(&gb, huge, sizeof(huge)) == 0);
  h2_frame_header hd;
  h2_frame_header_unpack(&hd, gb.data);
  CHECK_EQ_INT(h2_frame_header_check(&hd, H2_MAX_MAX_FRAME_SIZE, NULL), 0);
  CHECK_EQ_INT(h2_frame_header_check(&hd, H2_MAX_MAX_FRAME_SIZE - 1, NULL),
               H2_ERR_CONN_FRAME_SIZE);
  guard_buffer_free(&gb);
}

/* Padding edge cases that are valid: Pad Length 0, and padding that takes
 * every byte after the fixed fields. Padding octets need not be zero. */
static void test_padding_edges_accepted(void) {
  wire w;
  h2_frame fr;
  wire_start(&w, H2_FRAME_DATA, H2_FLAG_PADDED, 1);
  wire_u8(&w, 0);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.padding, 1);
  CHECK_EQ_INT(fr.payload_length, 0);

  wire_start(&w, H2_FRAME_DATA, H2_FLAG_PADDED, 1);
  wire_u8(&w, 255);
  wire_fill(&w, 0xab, 255); /* non-zero padding: accepted */
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.padding, 256);
  CHECK_EQ_INT(fr.payload_length, 0);
  CHECK_EQ_INT(fr.payload_length + fr.padding, fr.hd.length);

  wire_start(&w, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_PRIORITY, 1);
  wire_u8(&w, 3);
  wire_u32(&w, 0);
  wire_u8(&w, 16);
  wire_fill(&w, 0, 3);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.padding, 4);
  CHECK_EQ_INT(fr.payload_length, 0);
  CHECK_EQ_INT(fr.weight, 16);

  wire_start(&w, H2_FRAME_PUSH_PROMISE, H2_FLAG_PADDED, 1);
  wire_u8(&w, 2);
  wire_u32(&w, 2);
  wire_fill(&w, 0, 2);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.padding, 3);
  CHECK_EQ_INT(fr.payload_length, 0);
}

/* The settings the codec leaves to the connection core: ENABLE_PUSH = 1 is
 * only wrong from a server (case 8), and unknown ids are ignored (13). */
static void test_settings_accepted(void) {
  wire w;
  h2_frame fr;
  wire_start(&w, H2_FRAME_SETTINGS, 0, 0);
  wire_u16(&w, H2_SETTINGS_ENABLE_PUSH);
  wire_u32(&w, 1);
  wire_u16(&w, 0x0a);
  wire_u32(&w, 0xffffffff);
  wire_u16(&w, 0xffff);
  wire_u32(&w, 7);
  wire_u16(&w, H2_SETTINGS_INITIAL_WINDOW_SIZE);
  wire_u32(&w, 0x7fffffff);
  wire_finish(&w);
  EXPECT_VALID(&w, &fr);
  CHECK_EQ_INT(fr.settings_count, 4);

  /* A NULL payload is fine when there is none. */
  h2_frame_header hd = {0};
  hd.type = H2_FRAME_SETTINGS;
  hd.flags = H2_FLAG_ACK;
  CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, NULL, NULL), 0);
  CHECK_EQ_INT(fr.settings_count, 0);
  CHECK(fr.payload == NULL);
}

/* ------------------------------------------------------------------ */
/* Malformed frames, by checklist case. */

/* Case 2: an HTTP/1.1 reply read as a frame header is refused from the
 * nine bytes alone, before any payload is waited for. */
static void test_http1_reply_rejected(void) {
  const uint8_t *text = (const uint8_t *)"HTTP/1.1 400 Bad Request\r\n";
  EXPECT_HEADER_ERROR(text, DEFAULT_MAX_FRAME_SIZE, CONNECTION_ERROR,
                      H2_FRAME_SIZE_ERROR);
}

/* Cases 5, 6 and 7: SETTINGS framing. */
static void test_settings_framing(void) {
  wire w;
  wire_simple(&w, H2_FRAME_SETTINGS, 0, 1, 6, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  wire_simple(&w, H2_FRAME_SETTINGS, H2_FLAG_ACK, 1, 0, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  for (uint32_t length = 1; length < 13; length++) {
    if (length % 6 == 0) continue;
    wire_simple(&w, H2_FRAME_SETTINGS, 0, 0, length, 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
  static const uint32_t ack_lengths[] = {1, 6, 7, 12};
  for (size_t i = 0; i < 4; i++) {
    wire_simple(&w, H2_FRAME_SETTINGS, H2_FLAG_ACK, 0, ack_lengths[i], 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
}

/* A SETTINGS frame whose only bad entry is the last one, preceded by a
 * valid unknown entry, so that the whole frame is scanned. */
static void expect_setting_error(int line, uint16_t id, uint32_t value,
                                 uint32_t wire_code) {
  wire w;
  wire_start(&w, H2_FRAME_SETTINGS, 0, 0);
  wire_u16(&w, 0x0a);
  wire_u32(&w, 1);
  wire_u16(&w, id);
  wire_u32(&w, value);
  wire_finish(&w);
  expect_wire_error(line, &w, DEFAULT_MAX_FRAME_SIZE, CONNECTION_ERROR,
                    wire_code);
}

#define EXPECT_SETTING_ERROR(id, value, code) \
  expect_setting_error(__LINE__, (id), (value), (code))

/* Cases 8, 9, 12 and 19: values out of range. */
static void test_settings_values(void) {
  EXPECT_SETTING_ERROR(H2_SETTINGS_ENABLE_PUSH, 2, H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_ENABLE_PUSH, 0xffffffff, H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_INITIAL_WINDOW_SIZE, 0x80000000u,
                       H2_FLOW_CONTROL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_INITIAL_WINDOW_SIZE, 0xffffffffu,
                       H2_FLOW_CONTROL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_MAX_FRAME_SIZE, 0, H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_MAX_FRAME_SIZE, 16383, H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_MAX_FRAME_SIZE, 16777216,
                       H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 7,
                       H2_PROTOCOL_ERROR);
  EXPECT_SETTING_ERROR(H2_SETTINGS_NO_RFC7540_PRIORITIES, 2,
                       H2_PROTOCOL_ERROR);
}

/* Cases 26 and 27: lengths above SETTINGS_MAX_FRAME_SIZE are connection
 * errors decided from the header, whatever the type. */
static void test_oversized_frames(void) {
  static const uint8_t types[] = {
      H2_FRAME_DATA,   H2_FRAME_HEADERS,      H2_FRAME_PRIORITY,
      H2_FRAME_RST_STREAM, H2_FRAME_SETTINGS, H2_FRAME_PUSH_PROMISE,
      H2_FRAME_PING,   H2_FRAME_GOAWAY,       H2_FRAME_WINDOW_UPDATE,
      H2_FRAME_CONTINUATION, H2_FRAME_PRIORITY_UPDATE, 0x0a, 0xff};
  static const uint32_t lengths[] = {16385, 0x100000, 0xffffff};
  for (size_t t = 0; t < sizeof(types); t++)
    for (size_t l = 0; l < 3; l++) {
      uint8_t header[9] = {(uint8_t)(lengths[l] >> 16),
                           (uint8_t)(lengths[l] >> 8), (uint8_t)lengths[l],
                           types[t], 0, 0, 0, 0, 1};
      EXPECT_HEADER_ERROR(header, DEFAULT_MAX_FRAME_SIZE, CONNECTION_ERROR,
                          H2_FRAME_SIZE_ERROR);
    }
  /* Our own larger limit is honoured too. */
  wire w;
  wire_simple(&w, H2_FRAME_DATA, 0, 1, 16385, 0);
  expect_valid(__LINE__, &w, 16385, NULL);
  expect_wire_error(__LINE__, &w, 16384, CONNECTION_ERROR,
                    H2_FRAME_SIZE_ERROR);
}

/* Case 28: padding longer than what follows the Pad Length octet (and the
 * fixed fields) is a connection PROTOCOL_ERROR. */
static void test_padding_too_long(void) {
  wire w;
  for (uint32_t body = 0; body < 4; body++) {
    wire_start(&w, H2_FRAME_DATA, H2_FLAG_PADDED, 1);
    wire_u8(&w, (uint8_t)(body + 1));
    wire_fill(&w, 0, body);
    wire_finish(&w);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  }
  wire_start(&w, H2_FRAME_DATA, H2_FLAG_PADDED, 1);
  wire_u8(&w, 255);
  wire_fill(&w, 0, 254);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);

  wire_start(&w, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 1);
  wire_u8(&w, 4);
  wire_fill(&w, 0x82, 3);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);

  /* The padding would fit the payload but not after the priority fields. */
  wire_start(&w, H2_FRAME_HEADERS, H2_FLAG_PADDED | H2_FLAG_PRIORITY, 1);
  wire_u8(&w, 3);
  wire_u32(&w, 0);
  wire_u8(&w, 16);
  wire_fill(&w, 0, 2);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);

  /* Likewise after the promised stream id. */
  wire_start(&w, H2_FRAME_PUSH_PROMISE, H2_FLAG_PADDED, 1);
  wire_u8(&w, 1);
  wire_u32(&w, 2);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
}

/* Cases 29 and 30, and PUSH_PROMISE's equivalent: the mandatory fields do
 * not fit. The decoder gets exactly the declared bytes against the guard
 * page, so an attempt to read them would fault. */
static void test_mandatory_fields_missing(void) {
  wire w;
  wire_simple(&w, H2_FRAME_DATA, H2_FLAG_PADDED, 1, 0, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  wire_simple(&w, H2_FRAME_HEADERS, H2_FLAG_PADDED, 1, 0, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  for (uint32_t length = 0; length < 5; length++) {
    wire_simple(&w, H2_FRAME_HEADERS, H2_FLAG_PRIORITY, 1, length, 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
  for (uint32_t length = 0; length < 6; length++) {
    wire_simple(&w, H2_FRAME_HEADERS, H2_FLAG_PRIORITY | H2_FLAG_PADDED, 1,
                length, 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
  for (uint32_t length = 0; length < 4; length++) {
    wire_simple(&w, H2_FRAME_PUSH_PROMISE, 0, 1, length, 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
  for (uint32_t length = 0; length < 5; length++) {
    wire_simple(&w, H2_FRAME_PUSH_PROMISE, H2_FLAG_PADDED, 1, length, 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
  }
}

/* Cases 32 (PING), 34 (RST_STREAM), 35 (WINDOW_UPDATE) and 37 (GOAWAY):
 * every wrong length around the fixed one is a connection FRAME_SIZE_ERROR. */
static void test_fixed_lengths(void) {
  wire w;
  for (uint32_t length = 0; length <= 12; length++) {
    if (length != 8) {
      wire_simple(&w, H2_FRAME_PING, 0, 0, length, 0);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
      wire_simple(&w, H2_FRAME_PING, H2_FLAG_ACK, 0, length, 0);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
    }
    if (length != 4) {
      wire_simple(&w, H2_FRAME_RST_STREAM, 0, 1, length, 0);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
      wire_simple(&w, H2_FRAME_WINDOW_UPDATE, 0, 0, length, 1);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
      wire_simple(&w, H2_FRAME_WINDOW_UPDATE, 0, 3, length, 1);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
    }
    if (length < 8) {
      wire_simple(&w, H2_FRAME_GOAWAY, 0, 0, length, 0);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
    }
    if (length < 4) {
      wire_simple(&w, H2_FRAME_PRIORITY_UPDATE, 0, 0, length, 0);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
    }
  }
}

/* Case 36: a PRIORITY of the wrong length only costs its stream, unless it
 * is on stream 0, which is a connection error first. */
static void test_priority_frame_errors(void) {
  wire w;
  static const uint32_t lengths[] = {0, 4, 6, 10};
  for (size_t i = 0; i < 4; i++) {
    wire_simple(&w, H2_FRAME_PRIORITY, 0, 1, lengths[i], 0);
    EXPECT_WIRE_ERROR(&w, STREAM_ERROR, H2_FRAME_SIZE_ERROR);
    wire_simple(&w, H2_FRAME_PRIORITY, 0, 0, lengths[i], 0);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  }
  wire_simple(&w, H2_FRAME_PRIORITY, 0, 0, 5, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
}

/* Cases 5, 32, 37 and 38 together with the rest of RFC 9113 section 6:
 * which types need stream 0 and which must not use it. Each frame is
 * otherwise valid. */
static void test_stream_id_rules(void) {
  wire w;
  static const struct {
    uint8_t type;
    uint32_t length;
  } stream_only[] = {{H2_FRAME_DATA, 0},          {H2_FRAME_HEADERS, 0},
                     {H2_FRAME_PRIORITY, 5},      {H2_FRAME_RST_STREAM, 4},
                     {H2_FRAME_PUSH_PROMISE, 4},  {H2_FRAME_CONTINUATION, 0}};
  for (size_t i = 0; i < 6; i++) {
    wire_simple(&w, stream_only[i].type, 0, 0, stream_only[i].length, 1);
    EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  }
  static const struct {
    uint8_t type;
    uint8_t flags;
    uint32_t length;
  } connection_only[] = {{H2_FRAME_SETTINGS, 0, 6},
                         {H2_FRAME_SETTINGS, H2_FLAG_ACK, 0},
                         {H2_FRAME_PING, 0, 8},
                         {H2_FRAME_GOAWAY, 0, 8},
                         {H2_FRAME_PRIORITY_UPDATE, 0, 5}};
  static const uint32_t streams[] = {1, 2, 0x7fffffff};
  for (size_t i = 0; i < 5; i++)
    for (size_t s = 0; s < 3; s++) {
      wire_simple(&w, connection_only[i].type, connection_only[i].flags,
                  streams[s], connection_only[i].length, 1);
      EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
    }
  /* The stream id rule wins over a length rule on the same frame. */
  wire_simple(&w, H2_FRAME_PING, 0, 1, 7, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  wire_simple(&w, H2_FRAME_RST_STREAM, 0, 0, 3, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
}

/* Zero values that have no meaning: a WINDOW_UPDATE increment of 0 (scope
 * follows the window), promising stream 0, prioritizing stream 0. */
static void test_zero_values(void) {
  wire w;
  wire_simple(&w, H2_FRAME_WINDOW_UPDATE, 0, 0, 4, 0);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
  wire_simple(&w, H2_FRAME_WINDOW_UPDATE, 0, 1, 4, 0);
  EXPECT_WIRE_ERROR(&w, STREAM_ERROR, H2_PROTOCOL_ERROR);
  /* Only the reserved bit set: the increment is still 0. */
  wire_start(&w, H2_FRAME_WINDOW_UPDATE, 0, 1);
  wire_u32(&w, 0x80000000u);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, STREAM_ERROR, H2_PROTOCOL_ERROR);

  wire_start(&w, H2_FRAME_PUSH_PROMISE, H2_FLAG_END_HEADERS, 1);
  wire_u32(&w, 0x80000000u);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);

  wire_start(&w, H2_FRAME_PRIORITY_UPDATE, 0, 0);
  wire_u32(&w, 0);
  wire_bytes(&w, (const uint8_t *)"u=0", 3);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, CONNECTION_ERROR, H2_PROTOCOL_ERROR);
}

/* RFC 7540 5.3.1: a stream cannot depend on itself; a stream error. For
 * HEADERS the frame is still fully decoded, so the caller can feed the
 * field block to HPACK and keep the compression state in step. */
static void test_self_dependency(void) {
  wire w;
  wire_start(&w, H2_FRAME_PRIORITY, 0, 7);
  wire_u32(&w, 0x80000007u);
  wire_u8(&w, 1);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, STREAM_ERROR, H2_PROTOCOL_ERROR);

  wire_start(&w, H2_FRAME_HEADERS,
             H2_FLAG_PRIORITY | H2_FLAG_PADDED | H2_FLAG_END_HEADERS, 5);
  wire_u8(&w, 2);
  wire_u32(&w, 5);
  wire_u8(&w, 1);
  wire_bytes(&w, sample_bytes, 3);
  wire_fill(&w, 0, 2);
  wire_finish(&w);
  EXPECT_WIRE_ERROR(&w, STREAM_ERROR, H2_PROTOCOL_ERROR);
  decoded d;
  REQUIRE(decode_wire(&d, w.bytes, w.length, DEFAULT_MAX_FRAME_SIZE) == 0);
  CHECK_EQ_INT(d.unpack_rc, H2_ERR_STREAM_PROTOCOL);
  CHECK_EQ_INT(d.frame.payload_length, 3);
  CHECK_MEM(d.frame.payload, d.frame.payload_length, sample_bytes, 3);
  CHECK_EQ_INT(d.frame.padding, 3);
  CHECK_EQ_INT(d.frame.dependency, 5);
  decoded_free(&d);
}

/* The decoder refuses arguments it cannot work with instead of reading. */
static void test_unpack_invalid_arguments(void) {
  h2_frame fr;
  h2_frame_header hd = {0};
  hd.type = H2_FRAME_DATA;
  hd.stream_id = 1;
  hd.length = 3;
  CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, NULL, NULL), H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_frame_unpack(NULL, &hd, sample_bytes, NULL),
               H2_ERR_INVALID_ARGUMENT);
  CHECK_EQ_INT(h2_frame_unpack(&fr, NULL, sample_bytes, NULL),
               H2_ERR_INVALID_ARGUMENT);
  /* A length no header can carry; the one guarded byte is never read. */
  guard_buffer gb;
  REQUIRE(guard_buffer_init(&gb, sample_bytes, 1) == 0);
  hd.length = 0x1000000;
  CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, gb.data, NULL),
               H2_ERR_INVALID_ARGUMENT);
  guard_buffer_free(&gb);
  CHECK_EQ_INT(h2_frame_header_check(NULL, 16384, NULL),
               H2_ERR_INVALID_ARGUMENT);
  /* A hand-made header with the reserved bit set is masked as well. */
  hd.length = 0;
  hd.stream_id = 0x80000000u;
  const char *reason = NULL;
  CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, NULL, &reason), H2_ERR_CONN_PROTOCOL);
  CHECK(reason != NULL);
}

/* ------------------------------------------------------------------ */
/* Randomized robustness. */

/* Biased toward known types, short lengths and small stream ids, so most
 * frames get past the header rules and exercise the payload decoders. */
static void random_header(uint8_t header[9]) {
  uint64_t r = test_rand();
  uint32_t length = (r & 7) == 0 ? (uint32_t)(test_rand() & 0xffffff)
                                 : (uint32_t)(test_rand() % 48);
  uint8_t type = (r & 0x18) == 0 ? (uint8_t)test_rand()
                                 : (uint8_t)(test_rand() % 0x11);
  uint32_t stream = (r & 0x60) == 0 ? 0 : (uint32_t)(test_rand() % 16);
  if (r & 0x80) stream |= 0x80000000u;
  if (r & 0x100) stream = (uint32_t)test_rand();
  header[0] = (uint8_t)(length >> 16);
  header[1] = (uint8_t)(length >> 8);
  header[2] = (uint8_t)length;
  header[3] = type;
  header[4] = (uint8_t)test_rand();
  header[5] = (uint8_t)(stream >> 24);
  header[6] = (uint8_t)(stream >> 16);
  header[7] = (uint8_t)(stream >> 8);
  header[8] = (uint8_t)stream;
}

/* Re-packs a decoded frame and checks that it decodes to the same frame. */
static void check_repack(const h2_frame *fr, uint64_t iteration) {
  size_t size = h2_frame_packed_length(fr);
  uint8_t *packed = malloc(size ? size : 1);
  if (!packed) return;
  int written = h2_frame_pack(packed, size, fr);
  decoded again;
  memset(&again, 0, sizeof(again));
  int ok = written >= 0 && (size_t)written == size &&
           size == H2_FRAME_HEADER_LENGTH + fr->hd.length &&
           decode_wire(&again, packed, size, DEFAULT_MAX_FRAME_SIZE) == 0 &&
           again.check_rc == 0 && again.unpack_rc == 0 &&
           frames_equal(fr, &again.frame) &&
           again.frame.hd.length == fr->hd.length;
  test_checks++;
  if (!ok) {
    test_failures++;
    fprintf(stderr, "%s: random frame %" PRIu64 " does not round-trip\n",
            __FILE__, iteration);
  }
  decoded_free(&again);
  free(packed);
}

static void test_random_frames(void) {
  uint64_t seed = test_seed_from_env(0xf4a3e5);
  test_srand(seed);
  static wire w;
  int round_trips = 0;
  int failures_before = test_failures;
  for (uint64_t i = 0; i < 10000; i++) {
    uint8_t header[9];
    random_header(header);
    uint32_t length = ((uint32_t)header[0] << 16) | ((uint32_t)header[1] << 8) |
                      header[2];
    if (length > DEFAULT_MAX_FRAME_SIZE) {
      /* Decided from the header; the payload is never looked at. */
      expect_header_error(__LINE__, header, DEFAULT_MAX_FRAME_SIZE,
                          CONNECTION_ERROR, H2_FRAME_SIZE_ERROR);
      continue;
    }
    memcpy(w.bytes, header, 9);
    for (uint32_t j = 0; j < length; j++)
      w.bytes[9 + j] = (uint8_t)test_rand();
    w.length = 9 + length;
    decoded d;
    REQUIRE(decode_wire(&d, w.bytes, w.length, DEFAULT_MAX_FRAME_SIZE) == 0);
    if (d.check_rc) {
      /* The decoder repeats the header rules by itself. */
      CHECK_EQ_INT(d.unpack_rc, d.check_rc);
    }
    int rc = d.check_rc ? d.check_rc : d.unpack_rc;
    CHECK(rc == 0 || h2_error_is_connection_level(rc) ||
          h2_error_is_stream_level(rc));
    if (rc == 0) {
      check_repack(&d.frame, i);
      round_trips++;
    }
    decoded_free(&d);
  }
  /* The bias must leave plenty of frames that decode, or the test would
   * prove little. */
  CHECK(round_trips > 2000);
  if (test_failures != failures_before)
    fprintf(stderr, "replay with H2_TEST_SEED=%" PRIu64 "\n", seed);
}

static void test_setup(void) { init_sample_bytes(); }

TEST_MAIN("frame", TEST_CASE(test_setup), TEST_CASE(test_header_pack_unpack),
          TEST_CASE(test_type_names), TEST_CASE(test_setting_pack),
          TEST_CASE(test_round_trip_data), TEST_CASE(test_round_trip_headers),
          TEST_CASE(test_round_trip_priority),
          TEST_CASE(test_round_trip_rst_stream),
          TEST_CASE(test_round_trip_settings),
          TEST_CASE(test_settings_entries),
          TEST_CASE(test_round_trip_push_promise),
          TEST_CASE(test_round_trip_ping), TEST_CASE(test_round_trip_goaway),
          TEST_CASE(test_round_trip_window_update),
          TEST_CASE(test_round_trip_continuation),
          TEST_CASE(test_round_trip_priority_update),
          TEST_CASE(test_round_trip_unknown_types),
          TEST_CASE(test_pack_buffer_too_small),
          TEST_CASE(test_pack_invalid_frames),
          TEST_CASE(test_pack_derives_flags_and_layout),
          TEST_CASE(test_undefined_flags_ignored),
          TEST_CASE(test_reserved_bits_masked),
          TEST_CASE(test_size_edges_accepted),
          TEST_CASE(test_padding_edges_accepted),
          TEST_CASE(test_settings_accepted),
          TEST_CASE(test_http1_reply_rejected),
          TEST_CASE(test_settings_framing), TEST_CASE(test_settings_values),
          TEST_CASE(test_oversized_frames), TEST_CASE(test_padding_too_long),
          TEST_CASE(test_mandatory_fields_missing),
          TEST_CASE(test_fixed_lengths),
          TEST_CASE(test_priority_frame_errors),
          TEST_CASE(test_stream_id_rules), TEST_CASE(test_zero_values),
          TEST_CASE(test_self_dependency),
          TEST_CASE(test_unpack_invalid_arguments),
          TEST_CASE(test_random_frames))
