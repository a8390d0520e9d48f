/* The scripted-case runner and its checks (see script_case.h). */
#include "script_case.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpack_block.h"
#include "test.h"
#include "test_alloc.h"

/* ---- Growing text ------------------------------------------------------- */

void sb_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  b->p = realloc(b->p, b->n + (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

void sb_repeat(sbuf *b, char c, size_t n) {
  b->p = realloc(b->p, b->n + n + 1);
  memset(b->p + b->n, c, n);
  b->n += n;
  b->p[b->n] = 0;
}

const char *sb_str(const sbuf *b) { return b->p ? b->p : ""; }

void sb_free(sbuf *b) {
  free(b->p);
  memset(b, 0, sizeof(*b));
}

/* ---- Checks ------------------------------------------------------------- */

const char *counter_name(int counter) {
  static const char *const names[] = {
      "HEADER_LIST_TOO_LARGE", "TOO_MANY_FIELDS", "CONTINUATION_FLOOD",
      "GLITCH_FLOOD", "ACK_FLOOD", "SETTINGS_TOO_LARGE", "LOCAL_RESET_FLOOD",
      "INTERIM_FLOOD", "MALFORMED_RESPONSE", "FLOW_CONTROL_VIOLATION",
      "SETTINGS_TIMEOUT", "SMALL_DATA_FLOOD", "RESETS_PACED",
      "CONNECTION_FIELDS_DROPPED"};
  _Static_assert(sizeof(names) / sizeof(names[0]) == H2_COUNTER_COUNT,
                 "a name for every counter");
  return counter >= 0 && counter < H2_COUNTER_COUNT ? names[counter] : "?";
}

unsigned long long hash_of(const char *s) {
  return (unsigned long long)script_hash(s, strlen(s));
}

/* The allocator high-water mark of a harmless exchange (two GETs, two
 * bodiless responses) under each cut: what any connection costs before a
 * hostile server adds to it. Memory budgets are stated above this. */
static size_t baseline_peak(size_t cut_index) {
  static size_t cache[6];
  if (cache[cut_index]) return cache[cut_index];
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  script_raw_block(&s, 1, 1, "\x88", 1);
  script_raw_block(&s, 3, 1, "\x88", 1);
  test_alloc ta;
  test_alloc_init(&ta);
  h2_conn *conn;
  if (h2_conn_client_new(&conn, NULL, &ta.allocator) == 0) {
    setup_two_gets(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    conn_run(conn, &s, script_cuts[cut_index], 1000 + cut_index, 0, &log);
    h2_conn_del(conn);
    conn_log_free(&log);
  }
  script_free(&s);
  cache[cut_index] = ta.peak_bytes;
  return ta.peak_bytes;
}

static size_t count_substr(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p++) n++;
  return n;
}

static void fail_note(const char *name, int cut, const char *what,
                      const conn_log *log) {
  test_failures++;
  fprintf(stderr, "--- %s (cut %d): %s\nsent:\n%s", name, cut, what,
          log->sent ? log->sent : "(none)\n");
}

/* Required and forbidden frames. */
static void check_substrings(const char *name, int cut, const case_want *w,
                             const conn_log *log) {
  const char *sent = log->sent ? log->sent : "";
  for (size_t i = 0; w->sent && w->sent[i]; i++) {
    test_checks++;
    if (!strstr(sent, w->sent[i])) fail_note(name, cut, w->sent[i], log);
  }
  for (size_t i = 0; w->unsent && w->unsent[i]; i++) {
    test_checks++;
    if (strstr(sent, w->unsent[i])) fail_note(name, cut, w->unsent[i], log);
  }
}

/* For a connection error exactly one GOAWAY with its code and no reply to
 * the PING placed after the fault; otherwise no GOAWAY at all. */
static void check_scope(const char *name, int cut, const case_want *w,
                        const conn_log *log) {
  const char *sent = log->sent ? log->sent : "";
  char goaway[96];
  test_checks++;
  if (h2_error_is_connection_level(w->fatal)) {
    snprintf(goaway, sizeof(goaway), "GOAWAY last=0 %s\n",
             h2_wire_error_name(h2_error_wire_code(w->fatal)));
    if (!strstr(sent, goaway) || count_substr(sent, "GOAWAY") != 1)
      fail_note(name, cut, "one GOAWAY with the error's code", log);
    test_checks++;
    if (strstr(sent, "PING 0 flags=1"))
      fail_note(name, cut, "input after the fault was parsed", log);
  } else if (!w->fatal && strstr(sent, "GOAWAY")) {
    fail_note(name, cut, "a GOAWAY although the connection should live", log);
  }
}

/* The connection's state after the script: failed with the expected code
 * and closed, or still able to take requests; and every counter. */
static void check_state(const char *name, int cut, const case_want *w,
                        h2_conn *conn, const conn_log *log) {
  test_checks++;
  if (w->fatal) {
    if (log->recv_result != w->fatal || !h2_conn_is_closed(conn) ||
        h2_conn_can_submit(conn)) {
      test_failures++;
      fprintf(stderr, "--- %s (cut %d): recv gave %d, want fatal %d\n", name,
              cut, log->recv_result, w->fatal);
    }
  } else if (log->recv_result <= 0 || !h2_conn_can_submit(conn)) {
    test_failures++;
    fprintf(stderr, "--- %s (cut %d): connection not reusable (recv %d)\n",
            name, cut, log->recv_result);
  }
  for (int c = 0; c < H2_COUNTER_COUNT; c++) {
    if (w->ignored_counters & (1u << c)) continue;
    test_checks++;
    if (h2_conn_counter(conn, c) != w->counters[c]) {
      test_failures++;
      fprintf(stderr, "--- %s (cut %d): counter %s is %llu, want %llu\n",
              name, cut, counter_name(c),
              (unsigned long long)h2_conn_counter(conn, c),
              (unsigned long long)w->counters[c]);
    }
  }
}

static void check_peak(const char *name, int cut, size_t base, const case_want *w,
                       const test_alloc *ta) {
  test_checks++;
  if (ta->peak_bytes > base + w->extra_peak) {
    test_failures++;
    fprintf(stderr, "--- %s (cut %d): peak %zu bytes > baseline %zu + %zu\n",
            name, cut, ta->peak_bytes, base, w->extra_peak);
  }
  if (getenv("H2_HOSTILE_VERBOSE"))
    fprintf(stderr, "%s (cut %d): peak %zu, baseline %zu\n", name, cut,
            ta->peak_bytes, base);
}

/* Feeds the steps to a connection: each step's tick first, then its
 * script cut as asked. */
static void run_steps_once(h2_conn *conn, const script_step *steps, size_t n,
                           int cut, uint64_t seed, int close_after,
                           conn_log *log) {
  for (size_t i = 0; i < n; i++) {
    if (steps[i].at_ms != SCRIPT_NO_TICK) {
      int rv = h2_conn_tick(conn, steps[i].at_ms);
      if (rv) log->recv_result = rv;
    }
    h2_script empty = {0};
    const h2_script *s = steps[i].script ? steps[i].script : &empty;
    conn_run(conn, s, cut, seed + 100 * i, close_after && i == n - 1, log);
  }
}

void run_steps(const char *name, const h2_conn_options *options,
               setup_fn setup, const script_step *steps, size_t nsteps,
               const case_want *w) {
  uint64_t seed = w->seed ? w->seed : 1000;
  for (size_t c = 0; c < 6; c++) {
    size_t base = w->extra_peak ? baseline_peak(c) : 0;
    int cut = script_cuts[c];
    test_alloc ta;
    test_alloc_init(&ta);
    h2_conn *conn;
    REQUIRE(h2_conn_client_new(&conn, options, &ta.allocator) == 0);
    if (setup) setup(conn);
    conn_log log;
    memset(&log, 0, sizeof(log));
    run_steps_once(conn, steps, nsteps, cut, seed + c, w->close_after, &log);
    const char *got = log.events ? log.events : "";
    test_checks++;
    if (strcmp(got, w->events) != 0) {
      test_failures++;
      fprintf(stderr, "--- %s (cut %d): expected events:\n%s--- got:\n%s---\n",
              name, cut, w->events, got);
    }
    check_substrings(name, cut, w, &log);
    if (!w->loose) {
      check_scope(name, cut, w, &log);
      check_state(name, cut, w, conn, &log);
    }
    if (w->after) w->after(conn, &log);
    if (w->extra_peak) check_peak(name, cut, base, w, &ta);
    h2_conn_del(conn);
    conn_log_free(&log);
    CHECK_EQ_INT(ta.live_bytes, 0);
  }
}

void run_case(const char *name, const h2_conn_options *options,
              setup_fn setup, const h2_script *script, const case_want *w) {
  script_step step = {SCRIPT_NO_TICK, script};
  run_steps(name, options, setup, &step, 1, w);
}

void run_script_case(const char *name, const h2_conn_options *options,
                     setup_fn setup, const h2_script *script, int close_after,
                     const char *want_events, const char *const *sent) {
  case_want w = {.events = want_events, .sent = sent, .close_after = close_after,
            .loose = 1};
  run_case(name, options, setup, script, &w);
}

/* ---- Connection errors -------------------------------------------------- */

void expect_fatal(sbuf *b, const char *before, const uint32_t *open,
                  size_t nopen, int code) {
  sb_printf(b, "SETTINGS 0\n%s", before);
  for (size_t i = 0; i < nopen; i++) sb_printf(b, "RESET %u err=%d\n", open[i], code);
  sb_printf(b, "CONNERR 0 err=%d\nCLOSED 0\n", code);
}

void after_fault(h2_script *s) {
  script_ping(s, 0, "afterflt");
  script_raw_block(s, 1, 1, "\x88", 1);
  script_raw_block(s, 3, 1, "\x88", 1);
}

void fatal_case(const char *name, const h2_conn_options *o,
                void (*bad)(h2_script *), const char *before,
                const uint32_t *open, size_t nopen, int code,
                const uint64_t *counters) {
  h2_script s;
  script_init(&s);
  script_open_server(&s);
  bad(&s);
  after_fault(&s);
  sbuf ev = {0};
  expect_fatal(&ev, before, open, nopen, code);
  case_want w = {.events = sb_str(&ev), .fatal = code};
  if (counters) memcpy(w.counters, counters, sizeof(w.counters));
  run_case(name, o, setup_two_gets, &s, &w);
  sb_free(&ev);
  script_free(&s);
}
