/*
 * Scripted HTTP/2 peers for connection tests.
 *
 * h2_script builds the byte stream a server would send, frame by frame,
 * with our frame packer and an HPACK encoder of its own, plus raw bytes
 * for what the packer cannot express. conn_run feeds such a stream to a
 * client h2_conn cut in a chosen way (whole, one byte at a time, random
 * pieces) and records what the client reported (events) and what it sent
 * (frames) as text, so tests compare logs, and different cuts must give
 * identical logs.
 */
#ifndef H2_TEST_SCRIPT_H
#define H2_TEST_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "h2/h2.h"

typedef struct h2_script {
  uint8_t *bytes;
  size_t length, capacity;
  h2_hpack_encoder *encoder;
} h2_script;

void script_init(h2_script *s);
void script_free(h2_script *s);
void script_raw(h2_script *s, const void *bytes, size_t length);
void script_frame(h2_script *s, uint8_t type, uint8_t flags, uint32_t stream,
                  const void *payload, size_t length);
/* SETTINGS with (id, value) pairs; count 0 for an empty frame. */
void script_settings(h2_script *s, const uint32_t *pairs, size_t count);
void script_settings_ack(h2_script *s);
/* HEADERS with fields given as "name", "value", ..., NULL. The block is
 * split into CONTINUATIONs of at most `fragment` bytes when non-zero. */
void script_headers(h2_script *s, uint32_t stream, int end_stream,
                    size_t fragment, ...);
void script_data(h2_script *s, uint32_t stream, const void *data,
                 size_t length, int end_stream, int padding);
void script_rst(h2_script *s, uint32_t stream, uint32_t code);
void script_goaway(h2_script *s, uint32_t last, uint32_t code,
                   const char *debug);
void script_ping(h2_script *s, int ack, const char opaque[8]);
void script_window_update(h2_script *s, uint32_t stream, uint32_t inc);

/* How conn_run cuts the server's bytes. */
enum cut { CUT_WHOLE = 0, CUT_BYTES = 1, CUT_RANDOM = 2, CUT_SEVEN = 3 };

typedef struct conn_log {
  char *events;     /* one line per event; DATA coalesced per stream */
  char *sent;       /* one line per frame the client sent */
  size_t events_length, sent_length;
  int recv_result;  /* the last h2_conn_recv result */
  /* DATA being coalesced. */
  uint32_t data_stream;
  uint64_t data_length, data_hash;
  /* Decoding what the client sent. */
  h2_hpack_decoder *decoder;
  int preface_seen;
  uint64_t body_sent[64]; /* DATA bytes the client sent per stream id / 2 */
  uint64_t window_update_bytes; /* credit the client returned, all streams */
} conn_log;

void conn_log_free(conn_log *log);

/* Feeds `script` to `conn` cut as asked, polling after every piece, then
 * (with `close_after`) reports the end of input. Events are appended to
 * log->events, client frames to log->sent. */
void conn_run(h2_conn *conn, const h2_script *script, int cut, uint64_t seed,
              int close_after, conn_log *log);
/* Drains and logs whatever the client has to send and to report. */
void conn_flush(h2_conn *conn, conn_log *log);

/* The hash the DATA lines of an events log carry. */
uint64_t script_hash(const void *data, size_t length);

/* Runs one scripted case under every cut (whole, per byte, sevens, three
 * random cuttings) with a fresh connection each time (options may be
 * NULL; setup submits requests): the events must equal `want_events`
 * exactly, the frames the client sent must contain each string of `sent`
 * (NULL-terminated, may be NULL), and nothing may leak (a counting
 * allocator checks). Failures are counted in the test harness. The
 * stricter runner with scope, state and counter checks is run_case
 * (script_case.h), which this is a shorthand of. */
typedef void (*setup_fn)(h2_conn *conn);
void run_script_case(const char *name, const h2_conn_options *options,
                     setup_fn setup, const h2_script *script, int close_after,
                     const char *want_events, const char *const *sent);

/* The cuts run_script_case uses, for tests that drive connections
 * themselves. */
extern const int script_cuts[6];

/* An empty SETTINGS list, and the usual opening of a server: its SETTINGS
 * and its ACK of ours. */
extern const uint32_t script_no_settings[2];
void script_open_server(h2_script *s);

/* Setups for run_script_case: a GET of /a on stream 1; GETs of /a and /b
 * on streams 1 and 3; and those and /c on stream 5. */
void setup_one_get(h2_conn *conn);
void setup_two_gets(h2_conn *conn);
void setup_three_gets(h2_conn *conn);

/* Convenience: submits a GET for `path` and returns the stream id. */
int submit_get(h2_conn *conn, const char *path);

#endif /* H2_TEST_SCRIPT_H */
