/*
 * Read-only views of the connection and its streams (h2/conn_state.h),
 * and the extra window opening a low-level caller may ask for. Kept apart
 * from the protocol files: nothing here takes part in a protocol decision.
 */
#include "h2/conn_state.h"

#include "conn_internal.h"

/* The FFI binding reads these structs: their layout is part of the ABI. */
_Static_assert(sizeof(h2_conn_state) == 80, "h2_conn_state layout");
_Static_assert(sizeof(h2_stream_info) == 32, "h2_stream_info layout");

int h2_conn_get_state(const h2_conn *conn, h2_conn_state *state) {
  if (!conn || !state || state->struct_size < sizeof(*state))
    return H2_ERR_INVALID_ARGUMENT;
  state->peer_settings_received = conn->peer.received ? 1 : 0;
  state->local_settings_acked = conn->local_settings_unacked == 0;
  state->goaway_sent = conn->goaway_sent ? 1 : 0;
  state->goaway_received = conn->goaway_received ? 1 : 0;
  state->goaway_last_stream_id =
      conn->goaway_received ? conn->goaway_last_stream_id : 0;
  state->failed = conn->failed;
  state->next_stream_id = conn->next_stream_id;
  state->active_streams = conn->active_streams;
  state->queued_streams = conn->queued_streams;
  state->local_max_frame_size = conn->opt.max_frame_size;
  state->reserved_ = 0;
  state->send_window = conn->send_window;
  state->recv_window = conn->recv_window;
  state->output_pending = conn->out_end - conn->out_start;
  state->send_buffered = conn->send_buffered;
  return 0;
}

static uint32_t stream_state(const h2_stream *s) {
  if (s->flags & STREAM_QUEUED) return H2_STREAM_STATE_IDLE;
  if (s->flags & STREAM_REMOTE_CLOSED) return H2_STREAM_STATE_HALF_CLOSED_REMOTE;
  if (s->flags & (STREAM_LOCAL_CLOSED | STREAM_BODY_ENDING))
    return H2_STREAM_STATE_HALF_CLOSED_LOCAL;
  return H2_STREAM_STATE_OPEN;
}

int h2_conn_get_stream(const h2_conn *conn, uint32_t stream_id,
                       h2_stream_info *info) {
  if (!conn || !info || info->struct_size < sizeof(*info))
    return H2_ERR_INVALID_ARGUMENT;
  const h2_stream *s = stream_id ? h2_stream_find(&conn->streams, stream_id)
                                 : NULL;
  if (!s || (s->flags & STREAM_DONE)) return H2_ERR_STREAM_NOT_FOUND;
  info->state = stream_state(s);
  info->send_window = s->send_window;
  info->recv_window = s->recv_window;
  info->send_buffered = h2_stream_body_pending(s);
  return 0;
}

/* Whether a window may grow by `increment` without passing 2^31 - 1,
 * counting the credit the core holds back until it sends its own update. */
static int window_has_room(int64_t window, uint64_t unacked,
                           uint32_t increment) {
  return (uint64_t)(window < 0 ? 0 : window) + unacked + increment <=
         H2_MAX_WINDOW_SIZE;
}

int h2_conn_open_window(h2_conn *conn, uint32_t stream_id,
                        uint32_t increment) {
  if (!conn || increment == 0 || increment > H2_MAX_WINDOW_SIZE)
    return H2_ERR_INVALID_ARGUMENT;
  if (conn->failed) return conn->failed;
  if (stream_id == 0) {
    if (!window_has_room(conn->recv_window, conn->recv_unacked, increment))
      return H2_ERR_INVALID_ARGUMENT;
    int rc = h2_send_window_update(conn, 0, increment);
    if (rc < 0) return rc;
    conn->recv_window += increment;
    return 0;
  }
  h2_stream *s = h2_stream_find(&conn->streams, stream_id);
  if (!s || (s->flags & STREAM_DONE)) return H2_ERR_STREAM_NOT_FOUND;
  if (s->flags & (STREAM_REMOTE_CLOSED | STREAM_QUEUED))
    return H2_ERR_INVALID_STATE;
  if (!window_has_room(s->recv_window, s->recv_unacked, increment))
    return H2_ERR_INVALID_ARGUMENT;
  int rc = h2_send_window_update(conn, stream_id, increment);
  if (rc < 0) return rc;
  /* window_has_room kept the sum within 2^31 - 1: it fits the 32-bit
   * stream window. */
  s->recv_window = (int32_t)((int64_t)s->recv_window + increment);
  return 0;
}
