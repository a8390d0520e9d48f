/*
 * The response memo: a field block the server sends again, byte for byte,
 * is not decoded and checked again.
 *
 * Servers answer alike requests alike: after the first response, a static
 * file or an API endpoint typically comes back as the same few bytes of
 * indexed fields, for as long as the server's table does not change (h2o,
 * for one, changes it when the date header ticks, once a second).
 * Decoding a block is a function of its bytes and the HPACK decoder's
 * state; when decoding it left that state unchanged (the decoder's version
 * did not move: nothing added, evicted or resized), the same bytes at the
 * same version decode to the same fields and change nothing. The checks of
 * RFC 9113 section 8 that depend only on the fields (field syntax,
 * pseudo-headers, :status, content-length, connection-specific fields)
 * give the same answer for the same fields. So the memo keeps one block's
 * bytes and decoder version, and once those bytes come again, the fields
 * they decoded to and what the checks found; from then on an equal block
 * is answered with a copy of the fields. The checks that depend on the
 * stream (trailers, END_STREAM, the body's length, interim responses) run
 * every time.
 *
 * Only blocks of one frame count. The bytes are kept on first sight and
 * the fields only on the second, so a server whose blocks never repeat
 * costs a copy of at most MEMO_MAX_BLOCK bytes per response.
 */
#include <string.h>

#include "conn_internal.h"
#include "hpack_decoder_internal.h"
#include "hpack_header_list_internal.h"

void h2_response_memo_free(h2_conn *conn) {
  response_memo *m = &conn->response_memo;
  h2_header_list_del(m->fields);
  memset(m, 0, sizeof(*m));
}

static int same_block(const response_memo *m, const h2_conn *conn,
                      const uint8_t *block, uint32_t length, int trailers) {
  return m->block_valid && m->block_length == length &&
         m->trailers == trailers &&
         m->decoder_version == h2_hpack_decoder_version(conn->decoder) &&
         memcmp(m->block, block, length) == 0;
}

/* Copies every field of src into the empty list dst, rebasing the
 * pointers into src's arena; names and values of the HPACK static table
 * are pointed at where they are (see hpack_header_list_internal.h). */
static int copy_fields(h2_header_list *dst, const h2_header_list *src) {
  /* Fields all from the static table take no arena bytes at all. */
  uint8_t *bytes = NULL;
  if (src->arena_used &&
      !(bytes = h2_header_list_reserve(dst, src->arena_used)))
    return H2_ERR_NOMEM;
  while (dst->fields_capacity < src->count)
    if (h2_header_list_grow_fields(dst)) return H2_ERR_NOMEM;
  if (src->arena_used) memcpy(bytes, src->arena, src->arena_used);
  for (size_t i = 0; i < src->count; i++) {
    h2_header f = src->fields[i];
    f.name =
        h2_header_list_relocate(f.name, src->arena, src->arena_used, bytes);
    f.value =
        h2_header_list_relocate(f.value, src->arena, src->arena_used, bytes);
    dst->fields[i] = f;
  }
  dst->count = src->count;
  dst->arena_used += src->arena_used;
  dst->size = src->size;
  return 0;
}

int h2_response_memo_lookup(h2_conn *conn, const uint8_t *block,
                            uint32_t length, int trailers, h2_header_list *out,
                            int *status, int64_t *content_length) {
  const response_memo *m = &conn->response_memo;
  if (!length || !m->fields_valid || !same_block(m, conn, block, length, trailers))
    return 0;
  if (copy_fields(out, m->fields)) return H2_ERR_NOMEM;
  *status = m->status;
  *content_length = m->content_length;
  return 1;
}

void h2_response_memo_note(h2_conn *conn, const uint8_t *block, uint32_t length,
                           uint64_t version_before, int trailers,
                           const h2_header_list *fields, int status,
                           int64_t content_length) {
  response_memo *m = &conn->response_memo;
  /* A block that changed the decoder's state would not decode the same
   * way again. */
  if (!length || length > MEMO_MAX_BLOCK || !h2_header_list_count(fields) ||
      version_before != h2_hpack_decoder_version(conn->decoder))
    return;
  if (!same_block(m, conn, block, length, trailers)) {
    memcpy(m->block, block, length);
    m->block_length = length;
    m->decoder_version = version_before;
    m->trailers = trailers;
    m->block_valid = 1;
    m->fields_valid = 0;
    return;
  }
  if (m->fields_valid) return;
  /* Seen twice: worth keeping the fields. Without memory for them the
   * block is simply decoded every time. */
  if (!m->fields && h2_header_list_new(&m->fields, conn->alloc)) return;
  h2_header_list_clear(m->fields);
  if (copy_fields(m->fields, fields)) return;
  m->status = status;
  m->content_length = content_length;
  m->fields_valid = 1;
}
