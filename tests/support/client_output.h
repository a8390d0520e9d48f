/*
 * Counting what a client connection sends, for tests that play the server
 * by hand (floods, pacing): frames by type, DATA bytes, the highest stream
 * whose HEADERS left, and the last GOAWAY's code.
 */
#ifndef H2_TEST_CLIENT_OUTPUT_H
#define H2_TEST_CLIENT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "h2_script.h"

typedef struct sent_stats {
  uint64_t data_frames, data_bytes, empty_data, end_stream, window_updates;
  uint64_t rst, goaway, ping_acks;
  uint64_t pings;          /* PINGs the client sent (not ACKs) */
  uint32_t goaway_code;
  uint32_t max_headers_id; /* the highest stream whose HEADERS left */
  int preface_seen;
} sent_stats;

/* Counts the frames in `n` bytes of client output (the preface skipped
 * the first time); the bytes must hold whole frames. */
void count_sent(const uint8_t *p, size_t n, sent_stats *st);
/* Drains the client's output (the server reads everything) and its
 * events (discarded), counting the frames. */
void drain_output(h2_conn *conn, sent_stats *st);
/* Feeds a whole script in one h2_conn_recv, which must take all of it. */
void feed_script(h2_conn *conn, const h2_script *s);
/* Plays a server acknowledging the PING the client sends after its
 * RST_STREAMs (reset pacing): the slots of those streams free up. */
void confirm_resets(h2_conn *conn);

#endif /* H2_TEST_CLIENT_OUTPUT_H */
