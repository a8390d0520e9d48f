/* Scripted peers and the connection driver used by the connection tests. */
#include "h2_script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "test_alloc.h"

/* ---- Building the server's bytes --------------------------------------- */

void script_init(h2_script *s) {
  memset(s, 0, sizeof(*s));
  h2_hpack_encoder_new(&s->encoder, 4096, NULL);
}

void script_free(h2_script *s) {
  free(s->bytes);
  h2_hpack_encoder_del(s->encoder);
  memset(s, 0, sizeof(*s));
}

void script_raw(h2_script *s, const void *bytes, size_t length) {
  if (s->length + length > s->capacity) {
    size_t capacity = s->capacity ? s->capacity : 1024;
    while (capacity < s->length + length) capacity *= 2;
    s->bytes = realloc(s->bytes, capacity);
    s->capacity = capacity;
  }
  if (length) memcpy(s->bytes + s->length, bytes, length);
  s->length += length;
}

void script_frame(h2_script *s, uint8_t type, uint8_t flags, uint32_t stream,
                  const void *payload, size_t length) {
  uint8_t header[9];
  h2_frame_header hd = {(uint32_t)length, stream, type, flags, {0, 0}};
  h2_frame_header_pack(header, &hd);
  script_raw(s, header, 9);
  script_raw(s, payload, length);
}

void script_settings(h2_script *s, const uint32_t *pairs, size_t count) {
  uint8_t payload[6 * 64];
  for (size_t i = 0; i < count && i < 64; i++)
    h2_setting_pack(payload + 6 * i, (uint16_t)pairs[2 * i], pairs[2 * i + 1]);
  script_frame(s, H2_FRAME_SETTINGS, 0, 0, payload, 6 * count);
}

void script_settings_ack(h2_script *s) {
  script_frame(s, H2_FRAME_SETTINGS, H2_FLAG_ACK, 0, NULL, 0);
}

void script_headers(h2_script *s, uint32_t stream, int end_stream,
                    size_t fragment, ...) {
  h2_header fields[64];
  size_t n = 0;
  va_list ap;
  va_start(ap, fragment);
  const char *name;
  while (n < 64 && (name = va_arg(ap, const char *)) != NULL) {
    const char *value = va_arg(ap, const char *);
    fields[n++] = (h2_header){(const uint8_t *)name, (const uint8_t *)value,
                              (uint32_t)strlen(name), (uint32_t)strlen(value), 0, 0};
  }
  va_end(ap);
  size_t bound = h2_hpack_encode_bound(s->encoder, fields, n);
  uint8_t *block = malloc(bound);
  int length = h2_hpack_encode(s->encoder, fields, n, block, bound);
  if (!fragment) fragment = (size_t)length ? (size_t)length : 1;
  size_t offset = 0;
  int first = 1;
  do {
    size_t chunk = (size_t)length - offset < fragment ? (size_t)length - offset : fragment;
    uint8_t flags = offset + chunk == (size_t)length ? H2_FLAG_END_HEADERS : 0;
    if (first && end_stream) flags |= H2_FLAG_END_STREAM;
    script_frame(s, first ? H2_FRAME_HEADERS : H2_FRAME_CONTINUATION, flags,
                 stream, block + offset, chunk);
    offset += chunk;
    first = 0;
  } while (offset < (size_t)length);
  free(block);
}

void script_data(h2_script *s, uint32_t stream, const void *data,
                 size_t length, int end_stream, int padding) {
  h2_frame fr;
  memset(&fr, 0, sizeof(fr));
  fr.hd.type = H2_FRAME_DATA;
  fr.hd.stream_id = stream;
  fr.hd.flags = end_stream ? H2_FLAG_END_STREAM : 0;
  fr.payload = data;
  fr.payload_length = (uint32_t)length;
  fr.padding = padding > 0 ? (uint32_t)padding + 1 : 0;
  size_t n = h2_frame_packed_length(&fr);
  uint8_t *out = malloc(n);
  h2_frame_pack(out, n, &fr);
  script_raw(s, out, n);
  free(out);
}

void script_rst(h2_script *s, uint32_t stream, uint32_t code) {
  uint8_t p[4] = {(uint8_t)(code >> 24), (uint8_t)(code >> 16),
                  (uint8_t)(code >> 8), (uint8_t)code};
  script_frame(s, H2_FRAME_RST_STREAM, 0, stream, p, 4);
}

void script_goaway(h2_script *s, uint32_t last, uint32_t code,
                   const char *debug) {
  uint8_t p[256];
  size_t d = debug ? strlen(debug) : 0;
  uint32_t v[2] = {last, code};
  for (int i = 0; i < 2; i++)
    for (int b = 0; b < 4; b++) p[4 * i + b] = (uint8_t)(v[i] >> (24 - 8 * b));
  memcpy(p + 8, debug ? debug : "", d);
  script_frame(s, H2_FRAME_GOAWAY, 0, 0, p, 8 + d);
}

void script_ping(h2_script *s, int ack, const char opaque[8]) {
  script_frame(s, H2_FRAME_PING, ack ? H2_FLAG_ACK : 0, 0, opaque, 8);
}

void script_window_update(h2_script *s, uint32_t stream, uint32_t inc) {
  uint8_t p[4] = {(uint8_t)(inc >> 24), (uint8_t)(inc >> 16),
                  (uint8_t)(inc >> 8), (uint8_t)inc};
  script_frame(s, H2_FRAME_WINDOW_UPDATE, 0, stream, p, 4);
}

/* ---- Logs ----------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void append(char **buf, size_t *length, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  *buf = realloc(*buf, *length + (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(*buf + *length, (size_t)n + 1, fmt, ap);
  va_end(ap);
  *length += (size_t)n;
}

void conn_log_free(conn_log *log) {
  free(log->events);
  free(log->sent);
  h2_hpack_decoder_del(log->decoder);
  memset(log, 0, sizeof(*log));
}

static void flush_data(conn_log *log) {
  if (!log->data_stream) return;
  append(&log->events, &log->events_length, "DATA %u %llu %016llx\n",
         log->data_stream, (unsigned long long)log->data_length,
         (unsigned long long)log->data_hash);
  log->data_stream = 0;
}

static void log_fields(conn_log *log, const h2_event *e) {
  for (uint32_t i = 0; i < e->header_count; i++)
    append(&log->events, &log->events_length, " %.*s=%.*s",
           (int)e->headers[i].name_length, (const char *)e->headers[i].name,
           (int)e->headers[i].value_length, (const char *)e->headers[i].value);
}

static const char *event_name(int type) {
  static const char *names[] = {"NONE", "HEADERS", "INFO", "DATA", "TRAILERS",
                                "END", "RESET", "WRITABLE", "SETTINGS",
                                "PINGACK", "GOAWAY", "CONNERR", "CLOSED"};
  return type >= 0 && type <= 12 ? names[type] : "?";
}

static void log_event(conn_log *log, const h2_event *e) {
  if (e->type == H2_EVENT_DATA) {
    if (log->data_stream != e->stream_id) {
      flush_data(log);
      log->data_stream = e->stream_id;
      log->data_length = 0;
      log->data_hash = 1469598103934665603ull;
    }
    for (uint64_t i = 0; i < e->length; i++)
      log->data_hash = (log->data_hash ^ e->data[i]) * 1099511628211ull;
    log->data_length += e->length;
    return;
  }
  flush_data(log);
  append(&log->events, &log->events_length, "%s %u", event_name(e->type),
         e->stream_id);
  if (e->status) append(&log->events, &log->events_length, " %u", e->status);
  if (e->error) append(&log->events, &log->events_length, " err=%d", e->error);
  if (e->flags) append(&log->events, &log->events_length, " flags=%u", e->flags);
  if (e->type == H2_EVENT_GOAWAY)
    append(&log->events, &log->events_length, " last=%llu debug=%.*s",
           (unsigned long long)e->value, (int)e->length, (const char *)e->data);
  log_fields(log, e);
  append(&log->events, &log->events_length, "\n");
}

/* Describes one frame the client sent. */
static void log_sent_frame(conn_log *log, const h2_frame *fr) {
  const char *type = h2_frame_type_name(fr->hd.type);
  switch (fr->hd.type) {
    case H2_FRAME_DATA:
      if (fr->hd.stream_id / 2 < 64) log->body_sent[fr->hd.stream_id / 2] += fr->payload_length;
      /* Body framing depends on windows and batching, not on how input
       * was cut, but only its end is logged to keep logs comparable. */
      if (fr->hd.flags & H2_FLAG_END_STREAM)
        append(&log->sent, &log->sent_length, "DATA %u END total=%llu\n",
               fr->hd.stream_id,
               (unsigned long long)log->body_sent[fr->hd.stream_id / 2 % 64]);
      return;
    case H2_FRAME_WINDOW_UPDATE:
      /* When credit is returned depends on how input was cut, so updates
       * are counted, not logged. */
      log->window_update_bytes += fr->value;
      return;
    case H2_FRAME_RST_STREAM:
      append(&log->sent, &log->sent_length, "%s %u %s\n", type, fr->hd.stream_id,
             h2_wire_error_name(fr->error_code));
      return;
    case H2_FRAME_GOAWAY:
      append(&log->sent, &log->sent_length, "%s last=%u %s\n", type, fr->value,
             h2_wire_error_name(fr->error_code));
      return;
    default:
      append(&log->sent, &log->sent_length, "%s %u flags=%u\n", type,
             fr->hd.stream_id, fr->hd.flags);
  }
}

static void log_sent_headers(conn_log *log, const h2_frame *fr) {
  h2_header_list *list;
  h2_header_list_new(&list, NULL);
  int rv = h2_hpack_decode(log->decoder, fr->payload, fr->payload_length,
                           (fr->hd.flags & H2_FLAG_END_HEADERS) != 0, list);
  append(&log->sent, &log->sent_length, "HEADERS %u flags=%u rv=%d",
         fr->hd.stream_id, fr->hd.flags, rv);
  for (size_t i = 0; i < h2_header_list_count(list); i++) {
    const h2_header *f = &h2_header_list_fields(list)[i];
    append(&log->sent, &log->sent_length, " %.*s=%.*s", (int)f->name_length,
           (const char *)f->name, (int)f->value_length, (const char *)f->value);
  }
  append(&log->sent, &log->sent_length, "\n");
  h2_header_list_del(list);
}

static void parse_sent(conn_log *log, const uint8_t *p, size_t n) {
  if (!log->decoder) h2_hpack_decoder_new(&log->decoder, 4096, NULL, NULL);
  if (!log->preface_seen && n >= 24) {
    CHECK(memcmp(p, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) == 0);
    log->preface_seen = 1;
    p += 24;
    n -= 24;
  }
  while (n >= 9) {
    h2_frame_header hd;
    h2_frame fr;
    h2_frame_header_unpack(&hd, p);
    REQUIRE(n >= 9 + hd.length);
    CHECK_EQ_INT(h2_frame_unpack(&fr, &hd, p + 9, NULL), 0);
    if (hd.type == H2_FRAME_HEADERS || hd.type == H2_FRAME_CONTINUATION)
      log_sent_headers(log, &fr);
    else
      log_sent_frame(log, &fr);
    p += 9 + hd.length;
    n -= 9 + hd.length;
  }
  CHECK_EQ_INT(n, 0);
}

void conn_flush(h2_conn *conn, conn_log *log) {
  h2_event events[16];
  int n;
  while ((n = h2_conn_poll(conn, events, 16)) > 0)
    for (int i = 0; i < n; i++) log_event(log, &events[i]);
  const uint8_t *out;
  size_t length;
  while ((length = h2_conn_peek_output(conn, &out)) > 0) {
    parse_sent(log, out, length);
    h2_conn_consume_output(conn, length);
    while ((n = h2_conn_poll(conn, events, 16)) > 0)
      for (int i = 0; i < n; i++) log_event(log, &events[i]);
  }
}

void conn_run(h2_conn *conn, const h2_script *script, int cut, uint64_t seed,
              int close_after, conn_log *log) {
  test_srand(seed);
  size_t offset = 0;
  conn_flush(conn, log);
  while (offset < script->length) {
    size_t left = script->length - offset, n = left;
    if (cut == CUT_BYTES) n = 1;
    if (cut == CUT_SEVEN) n = left < 7 ? left : 7;
    if (cut == CUT_RANDOM) n = 1 + (size_t)(test_rand() % (left < 64 ? left : 64));
    /* An exact-size copy, so reading past the piece is caught by ASan. */
    uint8_t *piece = malloc(n);
    memcpy(piece, script->bytes + offset, n);
    log->recv_result = h2_conn_recv(conn, piece, n);
    /* Views into `piece` must be used before it is freed. */
    h2_event events[16];
    int k;
    while ((k = h2_conn_poll(conn, events, 16)) > 0)
      for (int i = 0; i < k; i++) log_event(log, &events[i]);
    free(piece);
    conn_flush(conn, log);
    offset += n;
  }
  if (close_after) {
    log->recv_result = h2_conn_recv(conn, NULL, 0);
    conn_flush(conn, log);
  }
  flush_data(log);
}

uint64_t script_hash(const void *data, size_t length) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < length; i++)
    h = (h ^ ((const uint8_t *)data)[i]) * 1099511628211ull;
  return h;
}

int submit_get(h2_conn *conn, const char *path) {
  h2_header fields[] = {
      {(const uint8_t *)":method", (const uint8_t *)"GET", 7, 3, 0, 0},
      {(const uint8_t *)":scheme", (const uint8_t *)"http", 7, 4, 0, 0},
      {(const uint8_t *)":authority", (const uint8_t *)"example.com", 10, 11, 0, 0},
      {(const uint8_t *)":path", (const uint8_t *)path, 5, (uint32_t)strlen(path), 0, 0},
  };
  return h2_conn_submit_request(conn, fields, 4, 1, NULL);
}

const uint32_t script_no_settings[2] = {0, 0};

void script_open_server(h2_script *s) {
  script_settings(s, script_no_settings, 0);
  script_settings_ack(s);
}

void setup_one_get(h2_conn *conn) { CHECK_EQ_INT(submit_get(conn, "/a"), 1); }

void setup_two_gets(h2_conn *conn) {
  CHECK_EQ_INT(submit_get(conn, "/a"), 1);
  CHECK_EQ_INT(submit_get(conn, "/b"), 3);
}

void setup_three_gets(h2_conn *conn) {
  setup_two_gets(conn);
  CHECK_EQ_INT(submit_get(conn, "/c"), 5);
}

/* ---- Whole cases ---------------------------------------------------------- */

const int script_cuts[6] = {CUT_WHOLE, CUT_BYTES, CUT_SEVEN, CUT_RANDOM,
                            CUT_RANDOM, CUT_RANDOM};
