/*
 * `h2 hpack inflate|deflate`: runs story files through libh2's HPACK
 * decoder or encoder, as nghttp2's inflatehd and deflatehd do, so that the
 * library can be checked against the hpack-test-case corpus and against
 * other implementations. docs/cli.md describes the behaviour in full.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "h2/error.h"
#include "h2/hpack.h"
#include "commands.h"
#include "story.h"

#if defined(__GNUC__)
#define HPACK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HPACK_PRINTF(f, a)
#endif

/* Stories come from tests and other encoders, not from a peer, so the
 * decoder's limits are set far above the library defaults: a story that a
 * real encoder produced should decode, while a runaway block still stops. */
#define STORY_MAX_HEADER_LIST_SIZE (16u << 20)
#define STORY_MAX_FIELDS (1u << 20)
#define STORY_MAX_FIELD_SIZE (16u << 20)

/* The encoder allocates its whole table up front, so an absurd
 * header_table_size is clamped rather than allocated; the wire then
 * announces the clamped size, which any decoder allowing more accepts. */
#define STORY_MAX_ENCODER_TABLE (1u << 20)

/* Error messages show at most this many bytes of a name or value. */
#define SHOWN_BYTES 100
#define SHOWN_SIZE (4 * SHOWN_BYTES + 64)

static const char usage_text[] =
    "Usage: h2 hpack inflate [--check] [-o DIR] FILE...\n"
    "       h2 hpack deflate [-o DIR] FILE...\n"
    "\n"
    "Runs HPACK story files (the JSON format of the hpack-test-case corpus)\n"
    "through libh2's decoder or encoder. One decoder or encoder serves all\n"
    "the cases of a file, in order; header_table_size, when a case has it,\n"
    "is the SETTINGS_HEADER_TABLE_SIZE in force from that case on.\n"
    "\n"
    "  inflate   decode each case's \"wire\" and write the story with\n"
    "            \"headers\" set to the decoded fields\n"
    "  deflate   encode each case's \"headers\" and write the story with\n"
    "            \"wire\" set to the header block (lowercase hex)\n"
    "\n"
    "Options:\n"
    "  --check           (inflate) compare the decoded fields with each\n"
    "                    case's \"headers\" and stop at the first difference;\n"
    "                    prints one summary line per file on stderr and no\n"
    "                    JSON unless -o is given\n"
    "  -o, --output DIR  write each result to DIR/<name of the FILE>;\n"
    "                    without it every result goes to standard output,\n"
    "                    one JSON document per FILE, in the order given\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  a --check mismatch, or a case that fails to decode or encode\n"
    "  2  wrong usage, or input that cannot be used: a missing or unreadable\n"
    "     file, invalid JSON, a malformed case, invalid hex, an uppercase\n"
    "     header name for deflate, an output file that cannot be written\n";

typedef enum hpack_mode { MODE_INFLATE, MODE_DEFLATE } hpack_mode;

typedef struct hpack_options {
  hpack_mode mode;
  int check;
  const char *output_dir;
  char **files;
  size_t file_count;
} hpack_options;

/* The state of one FILE while its cases go through the codec. */
typedef struct story_job {
  const hpack_options *opts;
  const char *path;
  json_t *story;
  json_t *out_cases;
  size_t fields; /* fields decoded, for the --check summary */
  h2_hpack_decoder *decoder;
  h2_header_list *decoded;
  uint32_t decoder_table_size; /* the setting the decoder was last given */
  h2_hpack_encoder *encoder;
} story_job;

/* ---- Messages ----------------------------------------------------------- */

static void report(const story_job *job, const char *fmt, ...)
    HPACK_PRINTF(2, 3);

/* "h2: FILE: message", the form of every error about a story. */
static void report(const story_job *job, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "h2: %s: ", job->path);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Renders bytes for a message: quotes, backslashes and anything that is
 * not printable ASCII are escaped, so invisible differences show. */
static size_t show_bytes(char *out, size_t size, const uint8_t *s,
                         size_t length) {
  size_t used = 0, i = 0;
  /* Stops early, leaving room for the note below and the NUL. */
  for (; i < length && i < SHOWN_BYTES && used + 48 < size; i++) {
    uint8_t b = s[i];
    if (b == '"' || b == '\\')
      used += (size_t)snprintf(out + used, size - used, "\\%c", b);
    else if (b >= 0x20 && b < 0x7f)
      out[used++] = (char)b;
    else
      used += (size_t)snprintf(out + used, size - used, "\\x%02x", b);
  }
  if (i < length)
    used += (size_t)snprintf(out + used, size - used, "...(%zu bytes)", length);
  if (used >= size) used = size - 1; /* snprintf counts what it cut */
  out[used] = '\0';
  return used;
}

/* `"name: value"`, or `nothing` when there is no field. */
static void show_field(char *out, size_t size, const h2_header *f) {
  if (!f) {
    snprintf(out, size, "nothing");
    return;
  }
  size_t used = 0;
  out[used++] = '"';
  used += show_bytes(out + used, size - used - 4, f->name, f->name_length);
  out[used++] = ':';
  out[used++] = ' ';
  used += show_bytes(out + used, size - used - 2, f->value, f->value_length);
  out[used++] = '"';
  out[used] = '\0';
}

/* ---- Checking ----------------------------------------------------------- */

static int same_field(const h2_header *a, const h2_header *b) {
  return a->name_length == b->name_length &&
         a->value_length == b->value_length &&
         !memcmp(a->name, b->name, a->name_length) &&
         !memcmp(a->value, b->value, a->value_length);
}

/* Where two values part, or 0 when it would show in the message anyway:
 * values cut at SHOWN_BYTES would otherwise look the same. */
static size_t hidden_difference(const h2_header *want, const h2_header *got) {
  if (!want || !got || want->name_length != got->name_length ||
      memcmp(want->name, got->name, want->name_length))
    return 0;
  size_t i = 0;
  while (i < want->value_length && i < got->value_length &&
         want->value[i] == got->value[i])
    i++;
  return i >= SHOWN_BYTES ? i : 0;
}

/* Reports the first field where the lists differ, if any. */
static int compare_fields(const story_job *job, const story_case *c,
                          const h2_header *expected, size_t expected_count,
                          const h2_header *decoded, size_t decoded_count) {
  size_t longest =
      expected_count > decoded_count ? expected_count : decoded_count;
  for (size_t i = 0; i < longest; i++) {
    const h2_header *want = i < expected_count ? &expected[i] : NULL;
    const h2_header *got = i < decoded_count ? &decoded[i] : NULL;
    if (want && got && same_field(want, got)) continue;
    char want_text[2 * SHOWN_SIZE], got_text[2 * SHOWN_SIZE];
    show_field(want_text, sizeof(want_text), want);
    show_field(got_text, sizeof(got_text), got);
    char where[64] = "";
    size_t offset = hidden_difference(want, got);
    if (offset)
      snprintf(where, sizeof(where), ", values differ at byte %zu", offset);
    report(job,
           "seqno %lld: header %zu: expected %s, decoded %s "
           "(%zu headers expected, %zu decoded%s)",
           (long long)c->seqno, i, want_text, got_text, expected_count,
           decoded_count, where);
    return H2_CLI_FAILED;
  }
  return H2_CLI_OK;
}

static int check_case(const story_job *job, const story_case *c,
                      const h2_header *decoded, size_t decoded_count) {
  h2_header *expected;
  size_t expected_count;
  story_error err;
  if (story_headers_get(c->headers, &expected, &expected_count, &err)) {
    report(job, "seqno %lld: %s", (long long)c->seqno, err.text);
    return H2_CLI_USAGE;
  }
  int rc = compare_fields(job, c, expected, expected_count, decoded,
                          decoded_count);
  free(expected);
  return rc;
}

/* ---- Inflate ------------------------------------------------------------ */

static int append_case(story_job *job, const story_case *c, json_t *wire,
                       json_t *headers) {
  json_t *out = story_case_output(c, wire, headers);
  if (!out || json_array_append_new(job->out_cases, out)) {
    report(job, "seqno %lld: out of memory", (long long)c->seqno);
    return H2_CLI_FAILED;
  }
  return H2_CLI_OK;
}

/* header_table_size is the table size the story's encoder worked with, so
 * the decoder must allow it from this case on, as after a SETTINGS ACK. */
static int apply_decoder_table_size(story_job *job, const story_case *c) {
  if (!c->has_table_size || c->table_size == job->decoder_table_size)
    return H2_CLI_OK;
  int rv = h2_hpack_decoder_set_max_table_size(job->decoder, c->table_size);
  if (rv) {
    report(job, "seqno %lld: cannot set the table size to %lu: %s",
           (long long)c->seqno, (unsigned long)c->table_size, h2_strerror(rv));
    return H2_CLI_FAILED;
  }
  job->decoder_table_size = c->table_size;
  return H2_CLI_OK;
}

static int decode_wire(story_job *job, const story_case *c) {
  uint8_t *wire;
  size_t length;
  story_error err;
  if (story_hex_decode(c->wire, &wire, &length, &err)) {
    report(job, "seqno %lld: %s", (long long)c->seqno, err.text);
    return H2_CLI_USAGE;
  }
  h2_header_list_clear(job->decoded);
  int rv = h2_hpack_decode(job->decoder, wire, length, 1, job->decoded);
  free(wire);
  if (rv) {
    report(job, "seqno %lld: cannot decode the wire: %s: %s",
           (long long)c->seqno, h2_strerror(rv),
           h2_hpack_decoder_error_detail(job->decoder));
    return H2_CLI_FAILED;
  }
  return H2_CLI_OK;
}

static int inflate_case(story_job *job, const story_case *c) {
  if (!c->wire) {
    report(job, "seqno %lld: no \"wire\" to inflate", (long long)c->seqno);
    return H2_CLI_USAGE;
  }
  if (job->opts->check && !c->headers) {
    report(job, "seqno %lld: no \"headers\" to check against",
           (long long)c->seqno);
    return H2_CLI_USAGE;
  }
  int rc = apply_decoder_table_size(job, c);
  if (rc == H2_CLI_OK) rc = decode_wire(job, c);
  if (rc != H2_CLI_OK) return rc;
  const h2_header *fields = h2_header_list_fields(job->decoded);
  size_t count = h2_header_list_count(job->decoded);
  job->fields += count;
  if (job->opts->check && (rc = check_case(job, c, fields, count)))
    return rc;
  story_error err;
  json_t *headers = story_headers_from_fields(fields, count, &err);
  if (!headers) {
    report(job, "seqno %lld: %s", (long long)c->seqno, err.text);
    return H2_CLI_FAILED;
  }
  return append_case(job, c, json_incref(c->wire), headers);
}

/* ---- Deflate ------------------------------------------------------------ */

/* HTTP/2 forbids uppercase names, and the encoder sends names as given. */
static int check_lowercase(const story_job *job, const story_case *c,
                           const h2_header *fields, size_t count) {
  for (size_t i = 0; i < count; i++) {
    for (uint32_t k = 0; k < fields[i].name_length; k++) {
      if (fields[i].name[k] < 'A' || fields[i].name[k] > 'Z') continue;
      char name[SHOWN_SIZE];
      show_bytes(name, sizeof(name), fields[i].name, fields[i].name_length);
      report(job,
             "seqno %lld: header %zu: name \"%s\" has uppercase letters; "
             "HTTP/2 header names must be lowercase",
             (long long)c->seqno, i, name);
      return H2_CLI_USAGE;
    }
  }
  return H2_CLI_OK;
}

static int encode_block(story_job *job, const story_case *c,
                        const h2_header *fields, size_t count, json_t **wire) {
  if (c->has_table_size)
    h2_hpack_encoder_set_peer_max_table_size(job->encoder, c->table_size);
  size_t bound = h2_hpack_encode_bound(job->encoder, fields, count);
  uint8_t *block = malloc(bound + 1);
  int n = block ? h2_hpack_encode(job->encoder, fields, count, block, bound)
                : H2_ERR_NOMEM;
  if (n < 0) {
    free(block);
    report(job, "seqno %lld: cannot encode the headers: %s",
           (long long)c->seqno, h2_strerror(n));
    return H2_CLI_FAILED;
  }
  *wire = story_hex_encode(block, (size_t)n);
  free(block);
  return H2_CLI_OK;
}

static int deflate_case(story_job *job, const story_case *c) {
  if (!c->headers) {
    report(job, "seqno %lld: no \"headers\" to deflate", (long long)c->seqno);
    return H2_CLI_USAGE;
  }
  h2_header *fields;
  size_t count;
  story_error err;
  if (story_headers_get(c->headers, &fields, &count, &err)) {
    report(job, "seqno %lld: %s", (long long)c->seqno, err.text);
    return H2_CLI_USAGE;
  }
  json_t *wire = NULL;
  int rc = check_lowercase(job, c, fields, count);
  if (rc == H2_CLI_OK) rc = encode_block(job, c, fields, count, &wire);
  free(fields);
  if (rc != H2_CLI_OK) return rc;
  job->fields += count;
  return append_case(job, c, wire, json_incref(c->headers));
}

/* ---- Files -------------------------------------------------------------- */

/* The largest header_table_size of the story, so that the encoder's own
 * cap never stops it from using what a case allows. Malformed cases are
 * skipped here and reported when their turn comes. */
static uint32_t encoder_table_cap(const story_job *job) {
  uint32_t cap = H2_HPACK_DEFAULT_TABLE_SIZE;
  story_case c;
  story_error err;
  for (size_t i = 0; i < story_case_count(job->story); i++) {
    if (!story_case_get(job->story, i, &c, &err) && c.has_table_size &&
        c.table_size > cap)
      cap = c.table_size;
  }
  return cap < STORY_MAX_ENCODER_TABLE ? cap : STORY_MAX_ENCODER_TABLE;
}

/* The decoder starts out allowing what the first case's encoder used. */
static uint32_t decoder_table_size(const story_job *job) {
  story_case c;
  story_error err;
  if (story_case_count(job->story) &&
      !story_case_get(job->story, 0, &c, &err) && c.has_table_size)
    return c.table_size;
  return H2_HPACK_DEFAULT_TABLE_SIZE;
}

static int start_codec(story_job *job) {
  int rv;
  if (job->opts->mode == MODE_DEFLATE) {
    rv = h2_hpack_encoder_new(&job->encoder, encoder_table_cap(job), NULL);
  } else {
    h2_hpack_decoder_limits limits = {
        STORY_MAX_HEADER_LIST_SIZE, STORY_MAX_FIELDS, STORY_MAX_FIELD_SIZE, 0};
    job->decoder_table_size = decoder_table_size(job);
    rv = h2_hpack_decoder_new(&job->decoder, job->decoder_table_size, &limits,
                              NULL);
    if (!rv) rv = h2_header_list_new(&job->decoded, NULL);
  }
  job->out_cases = json_array();
  if (!rv && !job->out_cases) rv = H2_ERR_NOMEM;
  if (rv) report(job, "cannot start: %s", h2_strerror(rv));
  return rv ? H2_CLI_FAILED : H2_CLI_OK;
}

static void end_job(story_job *job) {
  h2_hpack_decoder_del(job->decoder);
  h2_header_list_del(job->decoded);
  h2_hpack_encoder_del(job->encoder);
  json_decref(job->out_cases);
  json_decref(job->story);
}

/* The name a FILE keeps under -o: its last path component. */
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int write_to_dir(const story_job *job, const json_t *doc) {
  const char *dir = job->opts->output_dir, *base = base_name(job->path);
  size_t dir_length = strlen(dir);
  const char *separator = dir[dir_length - 1] == '/' ? "" : "/";
  size_t size = dir_length + strlen(base) + 2;
  char *target = malloc(size);
  if (!target) {
    report(job, "out of memory");
    return H2_CLI_FAILED;
  }
  snprintf(target, size, "%s%s%s", dir, separator, base);
  FILE *out = fopen(target, "wb");
  int failed = !out || story_write(doc, out);
  int saved_errno = errno;
  if (out && fclose(out) && !failed) {
    failed = 1;
    saved_errno = errno;
  }
  if (failed)
    fprintf(stderr, "h2: cannot write %s: %s\n", target, strerror(saved_errno));
  free(target);
  return failed ? H2_CLI_USAGE : H2_CLI_OK;
}

static int finish_file(story_job *job) {
  json_t *doc = story_output(job->story, job->out_cases);
  job->out_cases = NULL;
  if (!doc) {
    report(job, "out of memory");
    return H2_CLI_FAILED;
  }
  int rc = H2_CLI_OK;
  if (job->opts->output_dir) {
    rc = write_to_dir(job, doc);
  } else if (!job->opts->check && story_write(doc, stdout)) {
    fprintf(stderr, "h2: cannot write to standard output: %s\n",
            strerror(errno));
    rc = H2_CLI_USAGE;
  }
  json_decref(doc);
  if (rc == H2_CLI_OK && job->opts->check)
    fprintf(stderr, "%s: ok: %zu cases, %zu fields\n", job->path,
            story_case_count(job->story), job->fields);
  return rc;
}

static int run_file(const hpack_options *opts, const char *path) {
  story_job job;
  memset(&job, 0, sizeof(job));
  job.opts = opts;
  job.path = path;
  story_error err;
  job.story = story_load(path, &err);
  if (!job.story) {
    fprintf(stderr, "h2: %s\n", err.text);
    return H2_CLI_USAGE;
  }
  int rc = start_codec(&job);
  for (size_t i = 0; rc == H2_CLI_OK && i < story_case_count(job.story); i++) {
    story_case c;
    if (story_case_get(job.story, i, &c, &err)) {
      report(&job, "%s", err.text);
      rc = H2_CLI_USAGE;
    } else {
      rc = opts->mode == MODE_INFLATE ? inflate_case(&job, &c)
                                      : deflate_case(&job, &c);
    }
  }
  if (rc == H2_CLI_OK) rc = finish_file(&job);
  end_job(&job);
  return rc;
}

/* ---- Arguments ---------------------------------------------------------- */

static int usage_error(const char *fmt, ...) HPACK_PRINTF(1, 2);

/* Wrong usage: what was wrong, then the usage, both on stderr. */
static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("h2 hpack: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n\n", stderr);
  fputs(usage_text, stderr);
  return H2_CLI_USAGE;
}

static int is_help(const char *arg) {
  return !strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "help");
}

/* Reads the option at argv[*i] (advancing *i past a separate value).
 * Returns -1 for help, H2_CLI_USAGE for a bad option, else H2_CLI_OK. */
static int parse_option(int argc, char **argv, int *i, hpack_options *opts) {
  const char *arg = argv[*i];
  if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return -1;
  if (!strcmp(arg, "--check")) {
    opts->check = 1;
  } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
    if (*i + 1 >= argc) return usage_error("%s needs a directory", arg);
    opts->output_dir = argv[++*i];
  } else if (!strncmp(arg, "--output=", 9)) {
    opts->output_dir = arg + 9;
  } else if (!strncmp(arg, "-o", 2)) {
    opts->output_dir = arg + 2;
  } else {
    return usage_error("unknown option '%s'", arg);
  }
  if (opts->output_dir && !*opts->output_dir)
    return usage_error("the output directory is empty");
  return H2_CLI_OK;
}

/* Two FILEs with the same name would overwrite each other under -o. */
static int check_distinct_names(const hpack_options *opts) {
  for (size_t i = 0; opts->output_dir && i < opts->file_count; i++) {
    for (size_t j = i + 1; j < opts->file_count; j++) {
      if (!strcmp(base_name(opts->files[i]), base_name(opts->files[j])))
        return usage_error("two FILEs would both be written to -o DIR/%s",
                           base_name(opts->files[i]));
    }
  }
  return H2_CLI_OK;
}

/* Parses argv[2..]: options anywhere, FILEs, and "--" before FILEs that
 * begin with '-'. opts->files must have room for argc entries. */
static int parse_arguments(int argc, char **argv, hpack_options *opts) {
  int only_files = 0;
  for (int i = 2; i < argc; i++) {
    if (!only_files && !strcmp(argv[i], "--")) {
      only_files = 1;
    } else if (!only_files && argv[i][0] == '-' && argv[i][1]) {
      int rc = parse_option(argc, argv, &i, opts);
      if (rc) return rc;
    } else {
      opts->files[opts->file_count++] = argv[i];
    }
  }
  if (!opts->file_count) return usage_error("no FILE given");
  if (opts->check && opts->mode == MODE_DEFLATE)
    return usage_error("--check applies to inflate only");
  return check_distinct_names(opts);
}

static int run_files(const hpack_options *opts) {
  for (size_t i = 0; i < opts->file_count; i++) {
    int rc = run_file(opts, opts->files[i]);
    if (rc != H2_CLI_OK) return rc;
  }
  return H2_CLI_OK;
}

int h2_cli_hpack(int argc, char **argv) {
  if (argc < 2) return usage_error("missing inflate or deflate");
  if (is_help(argv[1])) {
    fputs(usage_text, stdout);
    return H2_CLI_OK;
  }
  hpack_options opts;
  memset(&opts, 0, sizeof(opts));
  if (!strcmp(argv[1], "inflate"))
    opts.mode = MODE_INFLATE;
  else if (!strcmp(argv[1], "deflate"))
    opts.mode = MODE_DEFLATE;
  else
    return usage_error("unknown subcommand '%s'", argv[1]);
  opts.files = malloc((size_t)argc * sizeof(*opts.files));
  if (!opts.files) return H2_CLI_FAILED;
  int rc = parse_arguments(argc, argv, &opts);
  if (rc < 0) {
    fputs(usage_text, stdout);
    rc = H2_CLI_OK;
  } else if (rc == H2_CLI_OK) {
    rc = run_files(&opts);
  }
  free(opts.files);
  return rc;
}
