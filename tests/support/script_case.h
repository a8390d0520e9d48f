/*
 * Running a scripted hostile server against a fresh client connection
 * under every cut (whole, per byte, sevens, three random cuttings), and
 * checking the passing criteria of hostile-servers-and-limits.md section
 * 4 on each run:
 *  (a) nothing leaks (live bytes 0 after h2_conn_del; ASan in CI);
 *  (b) bounded memory: the allocator's high-water mark stays within a
 *      budget above a baseline connection (when a case gives one);
 *  (c) scope: a connection error fails with the expected code, sends
 *      exactly one GOAWAY(last=0, code) and parses nothing after the fault
 *      (a PING placed after it is never acknowledged); otherwise no GOAWAY
 *      and the connection stays usable;
 *  (d) what was delivered before a failure stays in the log;
 *  (e) identical event logs under every cut.
 * Per-reason counters are compared in full: a case lists the counters it
 * expects to fire and every other one must stay 0.
 */
#ifndef H2_TEST_SCRIPT_CASE_H
#define H2_TEST_SCRIPT_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "h2_script.h"

/* ---- Growing text ------------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t n;
} sbuf;

__attribute__((format(printf, 2, 3)))
void sb_printf(sbuf *b, const char *fmt, ...);
void sb_repeat(sbuf *b, char c, size_t n);
const char *sb_str(const sbuf *b);
void sb_free(sbuf *b);

/* ---- What a case expects ------------------------------------------------ */

typedef void (*after_fn)(h2_conn *conn, const conn_log *log);

typedef struct case_want {
  const char *events;           /* the exact events log */
  const char *const *sent;      /* substrings the client must have sent */
  const char *const *unsent;    /* substrings it must not have sent */
  int fatal;                    /* the connection's fatal code, or 0 */
  uint64_t counters[H2_COUNTER_COUNT]; /* every counter, compared ... */
  uint32_t ignored_counters;    /* ... except these (1 << H2_COUNTER_*) */
  size_t extra_peak;            /* budget above the baseline; 0: unchecked */
  after_fn after;               /* more checks on the finished connection */
  int close_after;              /* the server closes after the script */
  uint64_t seed;                /* of the random cuts; 0: 1000 */
  /* Checks only the events, the sent and unsent frames, `after` and
   * leaks: no scope, state or counter checks (for cases whose `after`
   * makes its own). */
  int loose;
} case_want;

/* Runs one case under every cut with a fresh counting allocator. */
void run_case(const char *name, const h2_conn_options *options,
              setup_fn setup, const h2_script *script, const case_want *w);

/* A case in steps, for the controlled clock: before each step's script is
 * fed, h2_conn_tick(at_ms) runs (unless at_ms is SCRIPT_NO_TICK); a step
 * may have no script (NULL: the tick alone). Every step is cut the same
 * way; the server closes after the last when w->close_after. */
#define SCRIPT_NO_TICK UINT64_MAX
typedef struct script_step {
  uint64_t at_ms;
  const h2_script *script;
} script_step;
void run_steps(const char *name, const h2_conn_options *options,
               setup_fn setup, const script_step *steps, size_t nsteps,
               const case_want *w);

/* The events of a connection error: "SETTINGS 0", `before` (what was
 * legitimately delivered), then a RESET with the fatal code for each
 * stream still open (ascending ids, as the stream map yields them),
 * CONNERR, CLOSED. */
void expect_fatal(sbuf *b, const char *before, const uint32_t *open,
                  size_t nopen, int code);

/* Bytes placed after a connection-level fault: parsed, they would ACK a
 * PING and complete streams 1 and 3 (static index 8 is :status 200). */
void after_fault(h2_script *s);

/* A connection error caused by `bad` (after the opening) with streams 1
 * and 3 open; `before` is what the script delivers before the fault;
 * `counters` (may be NULL: all 0) the counters expected. */
void fatal_case(const char *name, const h2_conn_options *o,
                void (*bad)(h2_script *), const char *before,
                const uint32_t *open, size_t nopen, int code,
                const uint64_t *counters);

/* A counter's name, for messages. */
const char *counter_name(int counter);

/* The hash the DATA lines of an events log carry, of a C string. */
unsigned long long hash_of(const char *s);

#endif /* H2_TEST_SCRIPT_CASE_H */
