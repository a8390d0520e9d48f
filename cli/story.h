/*
 * Story files: the JSON format of the public hpack-test-case corpus.
 *
 *   {"cases": [{"seqno": 0, "header_table_size": 4096,
 *               "wire": "8286...", "headers": [{":method": "GET"}, ...]},
 *              ...],
 *    "description": "..."}
 *
 * This module only reads, validates and writes that format; what is done
 * with a case (inflating, deflating, checking) belongs to the commands.
 * Nothing here prints: failures are described in a story_error whose text
 * the caller prefixes with the file name (and the case, where noted).
 */
#ifndef H2_CLI_STORY_H
#define H2_CLI_STORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "h2/hpack.h"

typedef struct story_error {
  char text[512];
} story_error;

/* One case of a story. Pointers are borrowed from the loaded document. */
typedef struct story_case {
  json_t *object;
  json_int_t seqno; /* "seqno", or the case's position when it has none */
  int has_table_size;
  uint32_t table_size; /* "header_table_size", when has_table_size */
  json_t *wire;        /* a JSON string, or NULL when absent */
  json_t *headers;     /* a JSON array, or NULL when absent */
} story_case;

/* Reads and validates a story: an object whose "cases" is an array of
 * objects. Returns a new reference, or NULL with a message that names the
 * file itself ("cannot open x.json: ..."). */
json_t *story_load(const char *path, story_error *err);

size_t story_case_count(const json_t *story);

/* Reads case `index`, checking the types of its known keys. On failure
 * the message starts with the case ("seqno 3: ..."). */
int story_case_get(const json_t *story, size_t index, story_case *c,
                   story_error *err);

/* Decodes a hex string (either case). *bytes is malloc'ed; free it. */
int story_hex_decode(const json_t *hex, uint8_t **bytes, size_t *length,
                     story_error *err);

/* A lowercase hex JSON string of the bytes, or NULL if out of memory. */
json_t *story_hex_encode(const uint8_t *bytes, size_t length);

/* Views a "headers" array as fields pointing into the document. *fields is
 * malloc'ed; free it. Messages start with the header ("header 2: ..."). */
int story_headers_get(const json_t *headers, h2_header **fields,
                      size_t *count, story_error *err);

/* Builds a "headers" array from fields. Fails when a name or value is not
 * UTF-8, which a JSON string cannot carry. */
json_t *story_headers_from_fields(const h2_header *fields, size_t count,
                                  story_error *err);

/* The case as written back: seqno, header_table_size when present, wire,
 * headers, then any other keys the case had. Takes over the references
 * to `wire` and `headers`. NULL if out of memory. */
json_t *story_case_output(const story_case *c, json_t *wire, json_t *headers);

/* The story as written back: "cases" (whose reference it takes over)
 * followed by the other top-level keys of `story`, such as "description".
 * NULL if out of memory. */
json_t *story_output(json_t *story, json_t *cases);

/* Writes a document indented like the corpus, with a final newline.
 * Returns 0, or -1 with errno describing a write error. */
int story_write(const json_t *doc, FILE *out);

#endif /* H2_CLI_STORY_H */
