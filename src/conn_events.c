/*
 * The event queue: events wait here between h2_conn_recv and h2_conn_poll.
 * Header lists travel with their events and come back for reuse once the
 * application has seen them, so a connection allocates a handful of lists
 * however many responses it carries.
 */
#include <string.h>

#include "conn_internal.h"
#include "hpack_header_list_internal.h"

/* The queue's capacity is a power of two (16, then doubling), so a ring
 * position is a mask away: no division for each of the three or so events
 * every response brings. */
static size_t ring_index(const event_queue *q, size_t position) {
  return position & (q->capacity - 1);
}

int h2_events_init(h2_conn *conn) {
  memset(&conn->events, 0, sizeof(conn->events));
  return 0;
}

static void free_lists(h2_header_list **lists, size_t count) {
  for (size_t i = 0; i < count; i++) h2_header_list_del(lists[i]);
}

void h2_events_free(h2_conn *conn) {
  event_queue *q = &conn->events;
  for (size_t i = 0; i < q->count; i++)
    h2_header_list_del(q->events[ring_index(q, q->head + i)].list);
  free_lists(q->delivered, q->delivered_count);
  free_lists(q->spare, q->spare_count);
  h2_free(conn->alloc, q->events);
  h2_free(conn->alloc, q->delivered);
  h2_free(conn->alloc, q->spare);
}

/* Grows a pointer array so `needed` elements fit. */
static int reserve_lists(h2_conn *conn, h2_header_list ***lists,
                         size_t needed, size_t *capacity) {
  if (needed <= *capacity) return 0;
  size_t n = *capacity ? *capacity : 8;
  while (n < needed) n *= 2;
  h2_header_list **p = h2_realloc(conn->alloc, *lists, n * sizeof(*p));
  if (!p) return H2_ERR_NOMEM;
  *lists = p;
  *capacity = n;
  return 0;
}

static int grow_queue(h2_conn *conn) {
  event_queue *q = &conn->events;
  size_t n = q->capacity ? q->capacity * 2 : 16;
  queued_event *events = h2_malloc(conn->alloc, n * sizeof(*events));
  if (!events) return H2_ERR_NOMEM;
  for (size_t i = 0; i < q->count; i++)
    events[i] = q->events[ring_index(q, q->head + i)];
  h2_free(conn->alloc, q->events);
  q->events = events;
  q->head = 0;
  q->capacity = n;
  return 0;
}

h2_event *h2_event_push(h2_conn *conn, int type, uint32_t stream_id,
                        h2_header_list *list) {
  event_queue *q = &conn->events;
  if (q->count == q->capacity && grow_queue(conn)) {
    h2_header_list_del(list);
    h2_conn_fail(conn, H2_ERR_NOMEM, "out of memory queueing an event");
    return NULL;
  }
  queued_event *qe = &q->events[ring_index(q, q->head + q->count++)];
  memset(qe, 0, sizeof(*qe));
  qe->event.type = type;
  qe->event.stream_id = stream_id;
  qe->list = list;
  if (list) {
    qe->event.headers = h2_header_list_fields(list);
    qe->event.header_count = (uint32_t)h2_header_list_count(list);
  }
  return &qe->event;
}

h2_header_list *h2_events_take_list(h2_conn *conn) {
  event_queue *q = &conn->events;
  if (q->spare_count) {
    h2_header_list *list = q->spare[--q->spare_count];
    h2_header_list_clear(list);
    return list;
  }
  h2_header_list *list;
  return h2_header_list_new(&list, conn->alloc) ? NULL : list;
}

void h2_events_return_list(h2_conn *conn, h2_header_list *list) {
  event_queue *q = &conn->events;
  if (!list) return;
  if (reserve_lists(conn, &q->spare, q->spare_count + 1, &q->spare_capacity)) {
    h2_header_list_del(list);
    return;
  }
  q->spare[q->spare_count++] = list;
}

void h2_events_release_delivered(h2_conn *conn) {
  event_queue *q = &conn->events;
  for (size_t i = 0; i < q->delivered_count; i++)
    h2_events_return_list(conn, q->delivered[i]);
  q->delivered_count = 0;
}

/* Hands one event to the application: its list moves to `delivered`, and
 * in automatic mode its DATA counts as consumed. */
static void deliver(h2_conn *conn, queued_event *qe, h2_event *out) {
  event_queue *q = &conn->events;
  *out = qe->event;
  if (qe->list) {
    /* poll reserved room for this beforehand */
    q->delivered[q->delivered_count++] = qe->list;
  }
  if (out->type == H2_EVENT_DATA &&
      !(conn->opt.flags & H2_CONN_MANUAL_FLOW_CONTROL))
    h2_conn_consume(conn, out->stream_id, (size_t)out->length);
}

int h2_conn_poll(h2_conn *conn, h2_event *events, size_t max) {
  if (!conn || (max && !events)) return H2_ERR_INVALID_ARGUMENT;
  h2_events_release_delivered(conn);
  event_queue *q = &conn->events;
  size_t n = 0;
  /* Room for every list this batch may hand out, reserved up front so
   * delivering never fails half-way. */
  if (max > q->count) max = q->count;
  if (reserve_lists(conn, &q->delivered, q->delivered_count + max,
                    &q->delivered_capacity))
    return H2_ERR_NOMEM;
  while (n < max) {
    queued_event *qe = &q->events[q->head];
    deliver(conn, qe, &events[n++]);
    q->head = ring_index(q, q->head + 1);
    q->count--;
  }
  return (int)n;
}

h2_header_list *h2_events_copy(h2_conn *conn, const uint8_t *data,
                               size_t length, const uint8_t **copy) {
  /* The bytes ride in a header list given to the event, which is recycled
   * only once the application has seen the event. */
  h2_header_list *list = h2_events_take_list(conn);
  uint8_t *bytes = list ? h2_header_list_reserve(list, length ? length : 1) : NULL;
  if (!bytes) {
    h2_events_return_list(conn, list);
    return NULL;
  }
  if (length) memcpy(bytes, data, length);
  *copy = bytes;
  return list;
}

int h2_stream_finish(h2_conn *conn, h2_stream *s, int error, uint32_t flags) {
  uint32_t id = s->id;
  h2_event *e = h2_event_push(
      conn, error ? H2_EVENT_STREAM_RESET : H2_EVENT_STREAM_END, id, NULL);
  if (!e) {
    /* The queue could not grow, which failed the connection, and failing
     * it may already have ended (and freed) this very stream. */
    h2_stream *still = h2_stream_find(&conn->streams, id);
    if (still) h2_stream_close(conn, still);
    return H2_ERR_NOMEM;
  }
  e->error = error;
  e->flags = flags;
  e->user = s->user;
  h2_stream_close(conn, s);
  return 0;
}
