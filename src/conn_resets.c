/*
 * The RST_STREAMs we send: remembering the streams we reset, so frames the
 * server had in flight for them are ignored quietly, and pacing, so that
 * neither an application cancelling in a loop nor a server provoking
 * stream errors can turn this client into a reset cannon (Rapid Reset,
 * CVE-2023-44487, and its MadeYouReset mirror).
 *
 * Pacing follows Go's pendingResets: a reset stream keeps its place in the
 * server's MAX_CONCURRENT_STREAMS until the server acknowledges a PING we
 * sent after the RST_STREAM. The server handles frames in order, so the
 * acknowledgement proves it has processed (and freed) the stream. Without
 * it, new streams wait: a server that provokes errors while ignoring our
 * PINGs gets at most one window of resets, and a dead connection stops
 * taking requests instead of piling them up.
 */
#include <string.h>

#include "conn_internal.h"

/* The opaque bytes of the pacing PING; h2_conn_ping refuses them, so an
 * acknowledgement carrying them is always ours. */
const uint8_t h2_reset_ping_payload[8] = {'l', 'i', 'b', 'h', '2', 'r', 's', 't'};

int h2_resets_init(h2_conn *conn) {
  conn->recent_resets = h2_calloc(conn->alloc, conn->opt.recent_reset_streams,
                                  sizeof(*conn->recent_resets));
  return conn->recent_resets ? 0 : H2_ERR_NOMEM;
}

void h2_resets_free(h2_conn *conn) {
  h2_free(conn->alloc, conn->recent_resets);
  conn->recent_resets = NULL;
}

/* Time enters the core only through h2_conn_tick, and between two ticks
 * its clock is stale: a reset (or a frame) is therefore stamped with the
 * time of the first tick after it, never with the older time of the tick
 * before, so the grace period can only be measured too short of real time
 * by nothing and too long by one tick interval, never cut short. Without
 * ticks nothing is ever stamped and only the count bounds the memory. */
#define UNSTAMPED UINT64_MAX

static int still_recent(const h2_conn *conn, const recent_reset *r) {
  if (!r->stream_id) return 0;
  return r->at_ms == UNSTAMPED || conn->now_ms - r->at_ms <= conn->opt.recent_reset_ms;
}

void h2_reset_remember(h2_conn *conn, uint32_t id) {
  recent_reset *r = &conn->recent_resets[conn->recent_reset_next++ %
                                          conn->opt.recent_reset_streams];
  r->stream_id = id;
  r->at_ms = UNSTAMPED;
  conn->recent_resets_unstamped = 1;
}

/* A frame for a stream we reset restarts its grace period: a server on a
 * slow, long link may deliver a whole window after our RST_STREAM, frame
 * after frame, and none of it is an error (RFC 9113 5.1; nghttp2 stopped
 * penalising exactly this). A stream that stays silent for the grace
 * period is forgotten. */
int h2_conn_recently_reset(h2_conn *conn, uint32_t id) {
  for (uint32_t i = 0; i < conn->opt.recent_reset_streams; i++) {
    recent_reset *r = &conn->recent_resets[i];
    if (r->stream_id != id) continue;
    if (!still_recent(conn, r)) return 0;
    r->at_ms = UNSTAMPED;
    conn->recent_resets_unstamped = 1;
    return 1;
  }
  return 0;
}

void h2_resets_tick(h2_conn *conn) {
  if (!conn->recent_resets_unstamped) return;
  conn->recent_resets_unstamped = 0;
  for (uint32_t i = 0; i < conn->opt.recent_reset_streams; i++)
    if (conn->recent_resets[i].at_ms == UNSTAMPED)
      conn->recent_resets[i].at_ms = conn->now_ms;
}

/* ---- Pacing ---------------------------------------------------------------- */

uint32_t h2_resets_unconfirmed(const h2_conn *conn) {
  return conn->resets_unpinged + conn->resets_pinged;
}

/* Covers the resets sent so far with a PING, unless one is in flight
 * already (its acknowledgement will trigger the next). A closing
 * connection opens no more streams, so it needs no confirmation. */
static int ping_for_resets(h2_conn *conn) {
  if (conn->reset_ping_out || !conn->resets_unpinged) return 0;
  if (conn->failed || conn->goaway_sent || conn->goaway_received) return 0;
  h2_frame fr = {0};
  fr.hd.type = H2_FRAME_PING;
  fr.payload = h2_reset_ping_payload;
  fr.payload_length = sizeof(h2_reset_ping_payload);
  int rv = h2_send_frame(conn, &fr);
  if (rv) return rv;
  conn->reset_ping_out = 1;
  conn->resets_pinged += conn->resets_unpinged;
  conn->resets_unpinged = 0;
  return 0;
}

int h2_reset_send(h2_conn *conn, uint32_t stream_id, uint32_t wire_code) {
  int rv = h2_send_rst(conn, stream_id, wire_code);
  if (rv) return rv;
  h2_reset_remember(conn, stream_id);
  conn->resets_unpinged++;
  return ping_for_resets(conn);
}

int h2_reset_ping_acked(h2_conn *conn, const uint8_t *payload) {
  if (!conn->reset_ping_out ||
      memcmp(payload, h2_reset_ping_payload, sizeof(h2_reset_ping_payload)) != 0)
    return 0;
  conn->reset_ping_out = 0;
  conn->resets_pinged = 0;
  conn->resets_held = 0;
  int rv = ping_for_resets(conn);
  if (!rv) rv = h2_activate_queued(conn);
  return rv ? rv : 1;
}

int h2_conn_has_slot(h2_conn *conn) {
  uint32_t unconfirmed = h2_resets_unconfirmed(conn);
  uint32_t limit = conn->peer.max_concurrent_streams;
  if (conn->active_streams >= limit) return 0;
  if (conn->active_streams + unconfirmed < limit &&
      unconfirmed < conn->opt.max_unconfirmed_resets) {
    conn->resets_held = 0; /* any wait is over */
    return 1;
  }
  /* A slot is free but held for an unconfirmed reset: counted once per
   * wait, not once per attempt to start a stream. */
  if (!conn->resets_held) {
    conn->resets_held = 1;
    conn->counters[H2_COUNTER_RESETS_PACED]++;
  }
  return 0;
}
