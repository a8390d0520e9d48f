/*
 * Streams: allocation, the id map, the queue of requests waiting for a
 * concurrency slot and the round robin of streams with body to send.
 */
#include <string.h>

#include "conn_internal.h"

/* A removed slot: probes continue past it, inserts may reuse it. */
#define TOMBSTONE (&tombstone_marker)
static h2_stream tombstone_marker;

#define MIN_SLOTS 16u

/* Client stream ids are odd and grow by two: halving gives consecutive
 * keys, which a multiplicative hash spreads well. */
static uint32_t slot_of(const stream_map *map, uint32_t id) {
  return ((id >> 1) * 0x9e3779b1u) >> 7 & map->mask;
}

int h2_stream_map_init(h2_conn *conn, stream_map *map) {
  memset(map, 0, sizeof(*map));
  map->mask = MIN_SLOTS - 1;
  map->slots = h2_calloc(conn->alloc, map->mask + 1, sizeof(*map->slots));
  return map->slots ? 0 : H2_ERR_NOMEM;
}

void h2_stream_map_free(h2_conn *conn, stream_map *map) {
  if (!map->slots) return;
  for (uint32_t i = 0; i <= map->mask; i++) {
    h2_stream *s = map->slots[i];
    if (s && s != TOMBSTONE) h2_stream_free(conn, s);
  }
  h2_free(conn->alloc, map->slots);
  map->slots = NULL;
}

h2_stream *h2_stream_map_at(const stream_map *map, uint32_t slot) {
  h2_stream *s = map->slots[slot];
  return s == TOMBSTONE ? NULL : s;
}

h2_stream *h2_stream_find(const stream_map *map, uint32_t id) {
  for (uint32_t i = slot_of(map, id);; i = (i + 1) & map->mask) {
    h2_stream *s = map->slots[i];
    if (!s) return NULL;
    if (s != TOMBSTONE && s->id == id) return s;
  }
}

static int rehash(h2_conn *conn, stream_map *map, uint32_t mask) {
  h2_stream **slots = h2_calloc(conn->alloc, (size_t)mask + 1, sizeof(*slots));
  if (!slots) return H2_ERR_NOMEM;
  h2_stream **old = map->slots;
  uint32_t old_mask = map->mask;
  map->slots = slots;
  map->mask = mask;
  map->tombstones = 0;
  for (uint32_t i = 0; i <= old_mask; i++) {
    h2_stream *s = old[i];
    if (!s || s == TOMBSTONE) continue;
    uint32_t j = slot_of(map, s->id);
    while (slots[j]) j = (j + 1) & mask;
    slots[j] = s;
  }
  h2_free(conn->alloc, old);
  return 0;
}

/* The size a full map moves to: twice as large when live streams fill a
 * quarter of it or more; else the smallest size (16 slots at least) that
 * they fill at most a quarter of, which sweeps the tombstones away and
 * gives back what a past burst of streams grew. Either way a quarter of
 * the new table at least is free for insertions before the next rehash,
 * so rehashing costs a constant per operation, and 1000 open streams fit
 * in 2048 slots. */
static uint32_t next_mask(const stream_map *map) {
  uint64_t needed = ((uint64_t)map->count + 1) * 4;
  if (needed > (uint64_t)map->mask + 1) return map->mask * 2 + 1;
  uint32_t mask = MIN_SLOTS - 1;
  while (needed > (uint64_t)mask + 1) mask = mask * 2 + 1;
  return mask;
}

int h2_stream_map_put(h2_conn *conn, stream_map *map, h2_stream *s) {
  /* Keep the table at most half full, counting tombstones, so probes stay
   * short and always end at an empty slot. */
  if ((map->count + map->tombstones + 1) * 2 > map->mask + 1) {
    int rv = rehash(conn, map, next_mask(map));
    if (rv) return rv;
  }
  uint32_t i = slot_of(map, s->id);
  while (map->slots[i] && map->slots[i] != TOMBSTONE) i = (i + 1) & map->mask;
  if (map->slots[i] == TOMBSTONE) map->tombstones--;
  map->slots[i] = s;
  map->count++;
  return 0;
}

void h2_stream_map_remove(stream_map *map, uint32_t id) {
  for (uint32_t i = slot_of(map, id);; i = (i + 1) & map->mask) {
    h2_stream *s = map->slots[i];
    if (!s) return;
    if (s != TOMBSTONE && s->id == id) {
      map->slots[i] = TOMBSTONE;
      map->count--;
      map->tombstones++;
      return;
    }
  }
}

h2_stream *h2_stream_new(h2_conn *conn, uint32_t id, void *user) {
  h2_stream *s = h2_calloc(conn->alloc, 1, sizeof(*s));
  if (!s) return NULL;
  s->id = id;
  s->user = user;
  s->send_window = (int32_t)conn->peer.initial_window_size;
  s->recv_window = (int32_t)conn->opt.initial_window_size;
  s->content_length = -1;
  return s;
}

stream_extra *h2_stream_extra(h2_conn *conn, h2_stream *s) {
  if (!s->extra) s->extra = h2_calloc(conn->alloc, 1, sizeof(*s->extra));
  return s->extra;
}

void h2_request_free(h2_conn *conn, stream_request *r) {
  if (!r) return;
  h2_free(conn->alloc, r->fields);
  h2_free(conn->alloc, r->bytes);
  h2_free(conn->alloc, r);
}

void h2_stream_free(h2_conn *conn, h2_stream *s) {
  stream_extra *x = s->extra;
  if (x) {
    h2_request_free(conn, x->request);
    h2_request_free(conn, x->trailers);
    h2_free(conn->alloc, x->send_buf);
    h2_free(conn->alloc, x);
  }
  h2_free(conn->alloc, s);
}

/* Copies header fields (and their bytes) so the caller's may go away. */
stream_request *h2_request_copy(h2_conn *conn, const h2_header *fields,
                                size_t count) {
  size_t bytes = h2_fields_bytes(fields, count);
  stream_request *r = h2_calloc(conn->alloc, 1, sizeof(*r));
  if (!r) return NULL;
  r->fields = h2_malloc(conn->alloc, (count ? count : 1) * sizeof(h2_header));
  r->bytes = h2_malloc(conn->alloc, bytes ? bytes : 1);
  if (!r->fields || !r->bytes) {
    h2_request_free(conn, r);
    return NULL;
  }
  h2_fields_copy(r->fields, r->bytes, fields, count);
  r->count = count;
  return r;
}

/* Queued streams always carry their extra parts: the copy of the request
 * lives there, next to the queue's link. */
void h2_stream_queue_push(h2_conn *conn, h2_stream *s) {
  s->flags |= STREAM_QUEUED;
  s->extra->next_queued = NULL;
  if (conn->queue_tail)
    conn->queue_tail->extra->next_queued = s;
  else
    conn->queue_head = s;
  conn->queue_tail = s;
  conn->queued_streams++;
}

static void queue_remove(h2_conn *conn, h2_stream *s) {
  h2_stream **link = &conn->queue_head, *prev = NULL;
  while (*link && *link != s) {
    prev = *link;
    link = &(*link)->extra->next_queued;
  }
  if (!*link) return;
  *link = s->extra->next_queued;
  if (conn->queue_tail == s) conn->queue_tail = prev;
  conn->queued_streams--;
  s->flags &= ~(uint32_t)STREAM_QUEUED;
}

/* Only streams with body or trailers to send join the round robin, and
 * those have their extra parts (h2_conn_submit_data and
 * h2_conn_submit_trailers allocate them). */
void h2_stream_send_list_add(h2_conn *conn, h2_stream *s) {
  if (s->flags & (STREAM_IN_SEND_LIST | STREAM_QUEUED)) return;
  s->flags |= STREAM_IN_SEND_LIST;
  s->extra->next_sending = NULL;
  if (conn->send_tail)
    conn->send_tail->extra->next_sending = s;
  else
    conn->send_head = s;
  conn->send_tail = s;
}

static void send_list_remove(h2_conn *conn, h2_stream *s) {
  if (!(s->flags & STREAM_IN_SEND_LIST)) return;
  h2_stream **link = &conn->send_head, *prev = NULL;
  while (*link && *link != s) {
    prev = *link;
    link = &(*link)->extra->next_sending;
  }
  if (*link) {
    *link = s->extra->next_sending;
    if (conn->send_tail == s) conn->send_tail = prev;
  }
  s->flags &= ~(uint32_t)STREAM_IN_SEND_LIST;
}

void h2_stream_close(h2_conn *conn, h2_stream *s) {
  if (s->flags & STREAM_WANTS_WRITABLE) conn->writers_waiting--;
  if (s->flags & STREAM_QUEUED)
    queue_remove(conn, s);
  else if (conn->active_streams)
    conn->active_streams--;
  send_list_remove(conn, s);
  conn->send_buffered -= h2_stream_body_pending(s);
  h2_stream_map_remove(&conn->streams, s->id);
  h2_stream_free(conn, s);
}
