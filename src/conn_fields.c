/*
 * Field blocks and HTTP semantics: HEADERS and CONTINUATION frames are
 * decoded as they arrive (every block, even one being discarded, so the
 * HPACK table stays in sync), and complete blocks are checked against RFC
 * 9113 section 8 before the application sees them. A malformed response
 * is a stream error; it is never delivered as if it were valid.
 */
#include <stdio.h>
#include <string.h>

#include "conn_internal.h"
#include "hpack_decoder_internal.h"
#include "hpack_header_list_internal.h"

/* ---- Field validation (RFC 9113 8.2, 8.3) ------------------------------- */

/* Name characters: lowercase tokens (RFC 9110 5.6.2, without uppercase);
 * ':' only as the first character of a pseudo-header, checked by the
 * caller. 1 marks a character a name may not hold. Names are checked on
 * every field of every message: a load and an OR per byte, no branch. */
static const uint8_t bad_name_char[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int valid_name(const uint8_t *name, uint32_t length, int *pseudo) {
  *pseudo = length > 0 && name[0] == ':';
  if (length == (uint32_t)*pseudo) return 0;
  unsigned bad = 0;
  for (uint32_t i = (uint32_t)*pseudo; i < length; i++) bad |= bad_name_char[name[i]];
  return !bad;
}

/* Non-zero when a byte of x equals the byte repeated in `pattern`: the
 * classic zero-byte test on x ^ pattern, exact as a yes-or-no answer. */
static uint64_t has_byte(uint64_t x, uint64_t pattern) {
  uint64_t y = x ^ pattern;
  return (y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull;
}

static int forbidden_in_word(const uint8_t *p) {
  uint64_t x;
  memcpy(&x, p, sizeof(x));
  return (has_byte(x, 0) | has_byte(x, 0x0d0d0d0d0d0d0d0dull) |
          has_byte(x, 0x0a0a0a0a0a0a0a0aull)) != 0;
}

/* Values: no NUL, CR or LF, and no leading or trailing space or tab.
 * Eight bytes at a time; the last word may overlap the one before. */
static int valid_value(const uint8_t *v, uint32_t length) {
  if (!length) return 1;
  if (v[0] == ' ' || v[0] == '\t' || v[length - 1] == ' ' ||
      v[length - 1] == '\t')
    return 0;
  if (length < 8) {
    for (uint32_t i = 0; i < length; i++)
      if (v[i] == 0 || v[i] == '\r' || v[i] == '\n') return 0;
    return 1;
  }
  for (uint32_t i = 0; i + 8 < length; i += 8)
    if (forbidden_in_word(v + i)) return 0;
  return !forbidden_in_word(v + length - 8);
}

static int name_is(const h2_header *f, const char *name) {
  size_t n = strlen(name);
  return f->name_length == n && memcmp(f->name, name, n) == 0;
}

/* Connection-specific fields have no meaning in HTTP/2 (8.2.2). Sorted by
 * length first, since most names match none. */
static int connection_specific(const h2_header *f) {
  switch (f->name_length) {
    case 2:
      return name_is(f, "te") &&
             !(f->value_length == 8 && memcmp(f->value, "trailers", 8) == 0);
    case 7: return name_is(f, "upgrade");
    case 10: return name_is(f, "connection") || name_is(f, "keep-alive");
    case 16: return name_is(f, "proxy-connection");
    case 17: return name_is(f, "transfer-encoding");
    default: return 0;
  }
}

/* Parses a content-length value: digits only, no overflow. */
static int64_t parse_content_length(const h2_header *f) {
  if (!f->value_length || f->value_length > 18) return -1;
  int64_t v = 0;
  for (uint32_t i = 0; i < f->value_length; i++) {
    if (f->value[i] < '0' || f->value[i] > '9') return -1;
    v = v * 10 + (f->value[i] - '0');
  }
  return v;
}

/* Parses :status: exactly three digits, the first 1-9. */
static int parse_status(const h2_header *f) {
  if (f->value_length != 3) return -1;
  int v = 0;
  for (int i = 0; i < 3; i++) {
    if (f->value[i] < '0' || f->value[i] > '9') return -1;
    v = v * 10 + (f->value[i] - '0');
  }
  return v >= 100 ? v : -1;
}

typedef struct response_info {
  int status;             /* -1 when absent */
  int64_t content_length; /* -1 when absent */
} response_info;

/* What checking one response field found: NULL when it passes,
 * DROP_FIELD when it is a connection-specific field to remove
 * (H2_CONN_DROP_CONNECTION_FIELDS), else why the response is malformed. */
static const char DROP_FIELD[] = "connection-specific field";

/* Checks one response field; pseudo-headers must come first. */
static const char *check_response_field(const h2_header *f, int trailers,
                                        int *regular_seen, response_info *info) {
  int pseudo;
  if (!valid_name(f->name, f->name_length, &pseudo)) return "invalid field name";
  if (!valid_value(f->value, f->value_length)) return "invalid field value";
  if (pseudo) {
    if (trailers) return "pseudo-header in trailers";
    if (*regular_seen) return "pseudo-header after a regular field";
    if (!name_is(f, ":status")) return "unknown or request pseudo-header";
    if (info->status != -1) return "duplicate :status";
    info->status = parse_status(f);
    if (info->status < 0) return "invalid :status";
    if (info->status == 101) return ":status 101 is not allowed in HTTP/2";
    return NULL;
  }
  *regular_seen = 1;
  if (connection_specific(f)) return DROP_FIELD;
  if (!trailers && name_is(f, "content-length")) {
    int64_t v = parse_content_length(f);
    if (v < 0) return "invalid content-length";
    if (info->content_length >= 0 && info->content_length != v)
      return "conflicting content-length values";
    info->content_length = v;
  }
  return NULL;
}

/* Checks a response's (or its trailers') fields. With `drop`,
 * connection-specific fields are removed from the list and counted in
 * `*dropped` instead of making the response malformed. */
static const char *check_response(h2_header_list *list, int trailers, int drop,
                                  response_info *info, uint32_t *dropped) {
  int regular_seen = 0;
  info->status = -1;
  info->content_length = -1;
  *dropped = 0;
  for (size_t i = 0; i < list->count;) {
    const char *why =
        check_response_field(&list->fields[i], trailers, &regular_seen, info);
    if (why == DROP_FIELD && drop) {
      h2_header_list_remove(list, i);
      ++*dropped;
      continue;
    }
    if (why) return why;
    i++;
  }
  if (!trailers && info->status < 0) return "response without :status";
  return NULL;
}

int h2_validate_trailer_fields(const h2_header *fields, size_t count,
                               const char **reason) {
  for (size_t i = 0; i < count; i++) {
    int pseudo;
    *reason = "invalid trailer field";
    if (!valid_name(fields[i].name, fields[i].name_length, &pseudo) || pseudo ||
        !valid_value(fields[i].value, fields[i].value_length) ||
        connection_specific(&fields[i]))
      return H2_ERR_INVALID_HEADER;
  }
  *reason = NULL;
  return 0;
}

size_t h2_fields_bytes(const h2_header *fields, size_t count) {
  size_t bytes = 0;
  for (size_t i = 0; i < count; i++)
    bytes += (size_t)fields[i].name_length + fields[i].value_length;
  return bytes;
}

void h2_fields_copy(h2_header *out, uint8_t *bytes, const h2_header *fields,
                    size_t count) {
  for (size_t i = 0; i < count; i++) {
    h2_header f = fields[i];
    if (f.name_length) memcpy(bytes, f.name, f.name_length);
    f.name = bytes;
    bytes += f.name_length;
    if (f.value_length) memcpy(bytes, f.value, f.value_length);
    f.value = bytes;
    bytes += f.value_length;
    out[i] = f;
  }
}

int h2_validate_request_fields(const h2_header *fields, size_t count,
                               const char **reason) {
  int regular_seen = 0, method = 0, scheme = 0, path = 0, connect = 0,
      protocol = 0;
  for (size_t i = 0; i < count; i++) {
    const h2_header *f = &fields[i];
    int pseudo;
    *reason = "invalid field name (names must be lowercase tokens)";
    if (!valid_name(f->name, f->name_length, &pseudo)) return H2_ERR_INVALID_HEADER;
    *reason = "invalid field value (CR, LF, NUL or surrounding space)";
    if (!valid_value(f->value, f->value_length)) return H2_ERR_INVALID_HEADER;
    *reason = "pseudo-header after a regular field";
    if (pseudo && regular_seen) return H2_ERR_INVALID_HEADER;
    *reason = "connection-specific field";
    if (!pseudo && connection_specific(f)) return H2_ERR_INVALID_HEADER;
    regular_seen |= !pseudo;
    if (!pseudo) continue;
    if (name_is(f, ":method")) {
      method++;
      connect = f->value_length == 7 && memcmp(f->value, "CONNECT", 7) == 0;
    } else if (name_is(f, ":scheme")) scheme++;
    else if (name_is(f, ":path")) path++;
    else if (name_is(f, ":protocol")) protocol++;
    else if (!name_is(f, ":authority")) {
      *reason = "unknown pseudo-header";
      return H2_ERR_INVALID_HEADER;
    }
  }
  *reason = "a request needs one :method, :scheme and :path";
  if (method != 1) return H2_ERR_INVALID_HEADER;
  if (connect && !protocol) return (scheme || path) ? H2_ERR_INVALID_HEADER : 0;
  if (scheme != 1 || path != 1) return H2_ERR_INVALID_HEADER;
  *reason = ":protocol is only for extended CONNECT";
  if (protocol && !connect) return H2_ERR_INVALID_HEADER;
  *reason = NULL;
  return 0;
}

/* ---- Completed blocks --------------------------------------------------- */

static int malformed(h2_conn *conn, h2_stream *s, const char *why) {
  return h2_conn_malformed(conn, s, why);
}

/* Responses to HEAD, and 204 and 304 responses, carry no content whatever
 * their content-length says (RFC 9110 6.4.1). */
static void note_final_response(h2_stream *s, const response_info *info) {
  s->flags |= STREAM_FINAL_HEADERS;
  if (info->status == 204 || info->status == 304) s->flags |= STREAM_IS_HEAD;
  s->content_length = (s->flags & STREAM_IS_HEAD) ? -1 : info->content_length;
}

/* Whether a block that ends the stream leaves the body short of the
 * declared content-length: checked before the block is delivered, so no
 * event marked as ending the response precedes the reset. */
static int body_short(const h2_stream *s, const response_info *info,
                      int trailers) {
  int64_t declared = trailers ? s->content_length : info->content_length;
  if (!trailers && (info->status == 204 || info->status == 304 ||
                    (s->flags & STREAM_IS_HEAD)))
    return 0;
  return declared >= 0 && s->data_received != (uint64_t)declared;
}

/* Interim responses count toward the header budget together (RFC 9113
 * 10.5.1): many small 1xx blocks must not add up to an unbounded amount. */
static int interim_over_budget(h2_conn *conn, stream_extra *x,
                               const h2_header_list *list) {
  uint64_t bytes = (uint64_t)x->interim_bytes + h2_header_list_size(list);
  x->interim_bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
  return bytes > conn->opt.max_header_list_size;
}

/* What the checks that depend on the fields alone say: `known` when the
 * block was answered from the response memo, else what checking them
 * finds; a one-frame block that passes as it came is offered to the memo
 * (one that lost fields is not: each arrival must count its drops). */
static const char *check_fields(h2_conn *conn, h2_header_list *list,
                                int trailers, const response_info *known,
                                response_info *info) {
  if (known) {
    *info = *known;
    return NULL;
  }
  uint32_t dropped;
  const char *why =
      check_response(list, trailers,
                     (conn->opt.flags & H2_CONN_DROP_CONNECTION_FIELDS) != 0,
                     info, &dropped);
  conn->counters[H2_COUNTER_CONNECTION_FIELDS_DROPPED] += dropped;
  const field_block *b = &conn->block;
  if (!why && b->whole && !dropped)
    h2_response_memo_note(conn, b->whole, b->whole_length, b->decoder_version,
                          trailers, list, info->status, info->content_length);
  return why;
}

static int deliver_headers(h2_conn *conn, h2_stream *s, h2_header_list *list,
                           int end_stream, const response_info *known) {
  response_info info;
  int trailers = (s->flags & STREAM_FINAL_HEADERS) != 0;
  const char *why = check_fields(conn, list, trailers, known, &info);
  if (!why && trailers && !end_stream) why = "trailers without END_STREAM";
  if (!why && !trailers && info.status < 200 && end_stream)
    why = "interim response with END_STREAM";
  if (!why && !trailers && info.status < 200 && info.content_length >= 0)
    why = "interim response with a content-length";
  if (!why && end_stream && body_short(s, &info, trailers))
    why = "response body shorter than its content-length";
  /* The interim counters live in the stream's extra parts, which only
   * streams that get 1xx responses need. */
  if (!why && !trailers && info.status < 200 && !h2_stream_extra(conn, s)) {
    h2_events_return_list(conn, list);
    return h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory");
  }
  if (!why && !trailers && info.status < 200 &&
      interim_over_budget(conn, s->extra, list)) {
    conn->counters[H2_COUNTER_HEADER_LIST_TOO_LARGE]++;
    why = "interim responses exceed the header budget";
  }
  if (!why && !trailers && info.status < 200 &&
      ++s->extra->interim_count > conn->opt.max_interim_responses) {
    conn->counters[H2_COUNTER_INTERIM_FLOOD]++;
    h2_events_return_list(conn, list);
    return h2_conn_stream_error(conn, s, H2_ERR_STREAM_ENHANCE_YOUR_CALM,
                                "too many interim responses");
  }
  if (why) {
    h2_events_return_list(conn, list);
    return malformed(conn, s, why);
  }
  int type = trailers ? H2_EVENT_TRAILERS
             : info.status < 200 ? H2_EVENT_INFORMATIONAL : H2_EVENT_HEADERS;
  if (type == H2_EVENT_HEADERS) note_final_response(s, &info);
  h2_event *e = h2_event_push(conn, type, s->id, list);
  if (!e) return H2_ERR_NOMEM;
  e->status = trailers ? 0 : (uint32_t)info.status;
  e->flags = end_stream ? H2_EVENT_FLAG_END_STREAM : 0;
  e->user = s->user;
  return end_stream ? h2_conn_remote_end(conn, s) : 0;
}

/* The last fragment of a block arrived and was decoded (status is what
 * the decoder said at the end of the block). */
static int complete_block(h2_conn *conn, int status) {
  field_block *b = &conn->block;
  b->open = 0;
  h2_header_list *list = b->list;
  b->list = NULL;
  if (b->promised_id) {
    /* The server may already be sending the pushed response: remember the
     * refused stream so those frames are ignored, not taken for frames on
     * an idle stream. It took no slot of the server's concurrency limit
     * (pushes count against ours), so the reset is not paced. */
    h2_events_return_list(conn, list);
    h2_reset_remember(conn, b->promised_id);
    return h2_send_rst(conn, b->promised_id, H2_REFUSED_STREAM);
  }
  h2_stream *s = h2_stream_find(&conn->streams, b->stream_id);
  if (!s || !list) {
    h2_events_return_list(conn, list);
    return 0;
  }
  if (b->pending_error || status) {
    h2_events_return_list(conn, list);
    if (status == H2_ERR_HEADER_LIST_TOO_LARGE)
      conn->counters[H2_COUNTER_HEADER_LIST_TOO_LARGE]++;
    if (status == H2_ERR_TOO_MANY_FIELDS)
      conn->counters[H2_COUNTER_TOO_MANY_FIELDS]++;
    return h2_conn_stream_error(conn, s,
                                b->pending_error ? b->pending_error
                                                 : H2_ERR_STREAM_PROTOCOL,
                                status ? "response header list too large"
                                       : "HEADERS depends on its own stream");
  }
  return deliver_headers(conn, s, list, b->end_stream, NULL);
}

/* Feeds a fragment to the decoder. */
static int decode_fragment(h2_conn *conn, const h2_frame *fr) {
  int end = (fr->hd.flags & H2_FLAG_END_HEADERS) != 0;
  int rv = h2_hpack_decode(conn->decoder, fr->payload, fr->payload_length, end,
                           conn->block.list);
  if (rv == H2_ERR_CONN_ENHANCE_YOUR_CALM)
    conn->counters[H2_COUNTER_HEADER_LIST_TOO_LARGE]++;
  if (h2_error_is_fatal(rv))
    return h2_conn_fail(conn, rv, h2_hpack_decoder_error_detail(conn->decoder));
  return end ? complete_block(conn, rv) : 0;
}

/* Where a block's fields go: a list for a live response, nowhere for a
 * stream we reset or closed (decoded only to keep HPACK in sync). */
static int block_target(h2_conn *conn, uint32_t id, int *discard,
                        h2_stream **live) {
  *discard = 0;
  h2_stream *s = h2_stream_find(&conn->streams, id);
  *live = s;
  if (s && !(s->flags & STREAM_QUEUED)) return 0;
  if (!s && h2_conn_recently_reset(conn, id)) {
    *discard = 1;
    return 0;
  }
  if ((id & 1) == 0)
    return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                        "HEADERS on a server-initiated stream");
  if (!s && id < conn->next_stream_id) {
    *discard = 1;
    return h2_conn_fail(conn, H2_ERR_CONN_STREAM_CLOSED,
                        "HEADERS on a stream the server already ended");
  }
  return h2_conn_fail(conn, H2_ERR_CONN_PROTOCOL,
                      "HEADERS on a stream we never opened");
}

/* A live response's block in one frame may be one the memo knows: then it
 * is delivered from there, without decoding (the decoder's state would
 * not change). Returns 1 when it was, 0 when it must be decoded, or the
 * connection's failure. */
static int answer_from_memo(h2_conn *conn, h2_stream *s, const h2_frame *fr) {
  field_block *b = &conn->block;
  b->whole = fr->payload;
  b->whole_length = fr->payload_length;
  b->decoder_version = h2_hpack_decoder_version(conn->decoder);
  int trailers = (s->flags & STREAM_FINAL_HEADERS) != 0;
  response_info info;
  int rv = h2_response_memo_lookup(conn, fr->payload, fr->payload_length,
                                   trailers, b->list, &info.status,
                                   &info.content_length);
  if (rv < 0) return h2_conn_fail(conn, rv, "out of memory");
  if (!rv) return 0;
  b->open = 0;
  h2_header_list *list = b->list;
  b->list = NULL;
  rv = deliver_headers(conn, s, list, b->end_stream, &info);
  return rv ? rv : 1;
}

int h2_block_begin(h2_conn *conn, const h2_frame *fr, uint32_t promised,
                   int stream_error) {
  field_block *b = &conn->block;
  int discard = 1;
  h2_stream *s = NULL;
  if (!promised) {
    int rv = block_target(conn, fr->hd.stream_id, &discard, &s);
    if (rv) return rv;
  }
  memset(b, 0, sizeof(*b));
  b->open = 1;
  b->stream_id = fr->hd.stream_id;
  b->promised_id = promised;
  b->pending_error = stream_error;
  b->end_stream = (fr->hd.flags & H2_FLAG_END_STREAM) != 0;
  b->compressed = fr->payload_length;
  if (!discard) {
    b->list = h2_events_take_list(conn);
    if (!b->list) return h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory");
    if (!stream_error && (fr->hd.flags & H2_FLAG_END_HEADERS)) {
      int rv = answer_from_memo(conn, s, fr);
      if (rv) return rv < 0 ? rv : 0;
    }
  }
  return decode_fragment(conn, fr);
}

int h2_block_continue(h2_conn *conn, const h2_frame *fr) {
  field_block *b = &conn->block;
  b->compressed += fr->payload_length;
  if (++b->continuations > conn->opt.max_continuations ||
      b->compressed > conn->opt.max_header_list_size) {
    conn->counters[H2_COUNTER_CONTINUATION_FLOOD]++;
    return h2_conn_fail(conn, H2_ERR_CONN_ENHANCE_YOUR_CALM,
                        "CONTINUATION flood: the field block is too long");
  }
  return decode_fragment(conn, fr);
}
