/* Internals of `h2 get`: options, per-URL transfers, output and trace. */
#ifndef H2_CLI_GET_H
#define H2_CLI_GET_H

#include <stdint.h>
#include <stdio.h>

#include "h2/h2.h"
#include "h2/client.h"

#define GET_MAX_HEADERS 64

typedef struct get_options {
  const char *method;
  h2_header headers[GET_MAX_HEADERS];
  size_t header_count;
  h2_header trailers[GET_MAX_HEADERS];
  size_t trailer_count;
  uint8_t *body;            /* -d, whole in memory */
  size_t body_length;
  int has_body;
  const char *output;       /* -o FILE (single URL) */
  int remote_name;          /* -O */
  int include_headers;      /* -i */
  int verbose;              /* -v */
  int stats;                /* --stats */
  int fail_on_error;        /* --fail */
  int progress;             /* progress bar on a terminal */
  uint32_t max_time_ms;     /* --max-time */
  h2_client_options client;
} get_options;

/* One URL's transfer. */
typedef struct transfer {
  const char *url;
  int index;
  FILE *out;                /* NULL until opened */
  const char *out_path;     /* NULL for stdout */
  int buffered;             /* stdout, waiting for earlier URLs */
  uint8_t *buffer;
  size_t buffer_length, buffer_capacity;
  int status;
  int done;
  int error;
  int write_error;          /* the body could not be written */
  char detail[256];
  uint64_t bytes;
  uint64_t content_length;  /* 0 when unknown */
  uint64_t started_us, first_byte_us, finished_us;
  struct get_run *run;
} transfer;

typedef struct get_run {
  get_options *opt;
  transfer *transfers;
  int count;
  int next_to_print;        /* stdout ordering */
  uint64_t started_us;
  uint64_t last_progress_us;
  int progress_shown;
  int write_failed;
  int write_errno;
} get_run;

/* get_output.c */
int output_open(transfer *t);
int output_write(transfer *t, const uint8_t *data, size_t length);
void output_finish(transfer *t);
void output_headers(transfer *t, int status, const h2_header *f, size_t n,
                    const char *label);
void progress_update(get_run *run, int final);
uint64_t now_us(void);

/* get_trace.c */
void trace_frame(void *user, char direction, const char *origin,
                 const h2_frame_header *hd, const uint8_t *payload,
                 size_t available);

#endif /* H2_CLI_GET_H */
