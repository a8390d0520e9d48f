/*
 * libFuzzer target for the frame codec.
 *
 * Input layout: two bytes that choose our SETTINGS_MAX_FRAME_SIZE, then a
 * stream of frames read the way a connection reads them: a 9-byte header,
 * h2_frame_header_check, then h2_frame_unpack once the whole payload is
 * there. Each payload is copied into an allocation of exactly its length,
 * so AddressSanitizer reports any read past it.
 *
 * Every decoded frame is packed again and decoded again; the two decodings
 * must agree field for field, or the target aborts. Errors must be library
 * codes of connection or stream scope with a reason, never anything else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h2/error.h"
#include "h2/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Spreads the 16-bit choice over the whole legal range, with both ends
 * reachable: 0 gives the RFC minimum, 0xffff the maximum. */
static uint32_t choose_max_frame_size(const uint8_t *data) {
  uint32_t choice = ((uint32_t)data[0] << 8) | data[1];
  if (choice == 0xffff) return H2_MAX_MAX_FRAME_SIZE;
  return H2_MIN_MAX_FRAME_SIZE + choice * 255u;
}

static void require(int condition) {
  if (!condition) abort();
}

static void require_peer_error(int rc, const char *reason) {
  require(h2_error_is_connection_level(rc) || h2_error_is_stream_level(rc));
  require(reason != NULL && reason[0] != '\0');
}

static int frames_equal(const h2_frame *a, const h2_frame *b) {
  return a->hd.length == b->hd.length && a->hd.type == b->hd.type &&
         a->hd.flags == b->hd.flags && a->hd.stream_id == b->hd.stream_id &&
         a->payload_length == b->payload_length &&
         (a->payload_length == 0 ||
          memcmp(a->payload, b->payload, a->payload_length) == 0) &&
         a->padding == b->padding && a->error_code == b->error_code &&
         a->value == b->value && a->dependency == b->dependency &&
         a->weight == b->weight && a->exclusive == b->exclusive &&
         a->settings_count == b->settings_count;
}

/* Packs `fr`, which decoded cleanly, and checks that the bytes decode to
 * the same frame under the same limit. */
static void check_round_trip(const h2_frame *fr, uint32_t max_frame_size) {
  size_t size = h2_frame_packed_length(fr);
  require(size == H2_FRAME_HEADER_LENGTH + (size_t)fr->hd.length);
  uint8_t *packed = malloc(size);
  require(packed != NULL);
  require(h2_frame_pack(packed, size - 1, fr) == H2_ERR_BUFFER_TOO_SMALL);
  require(h2_frame_pack(packed, size, fr) == (int)size);

  h2_frame_header hd;
  h2_frame_header_unpack(&hd, packed);
  require(h2_frame_header_check(&hd, max_frame_size, NULL) == 0);
  h2_frame again;
  const uint8_t *payload = hd.length ? packed + H2_FRAME_HEADER_LENGTH : NULL;
  require(h2_frame_unpack(&again, &hd, payload, NULL) == 0);
  require(frames_equal(fr, &again));
  free(packed);
}

/* Decodes one frame whose payload is complete. A header the check refused
 * must be refused by the decoder too, with the same code, because the
 * decoder may not rely on the caller having checked. */
static void decode_payload(const h2_frame_header *hd, int check_rc,
                           const uint8_t *bytes, uint32_t max_frame_size) {
  uint8_t *payload = NULL;
  if (hd->length) {
    payload = malloc(hd->length);
    require(payload != NULL);
    memcpy(payload, bytes, hd->length);
  }
  h2_frame fr;
  const char *reason = NULL;
  int rc = h2_frame_unpack(&fr, hd, payload, &reason);
  if (check_rc) {
    require(rc == check_rc);
  } else if (rc) {
    require_peer_error(rc, reason);
  } else {
    check_round_trip(&fr, max_frame_size);
  }
  free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint32_t max_frame_size = choose_max_frame_size(data);
  size_t offset = 2;
  while (size - offset >= H2_FRAME_HEADER_LENGTH) {
    h2_frame_header hd;
    h2_frame_header_unpack(&hd, data + offset);
    offset += H2_FRAME_HEADER_LENGTH;
    const char *reason = NULL;
    int check_rc = h2_frame_header_check(&hd, max_frame_size, &reason);
    if (check_rc) require_peer_error(check_rc, reason);
    /* A connection would close here without reading the payload. */
    if (hd.length > max_frame_size) break;
    if (hd.length > size - offset) break;
    decode_payload(&hd, check_rc, data + offset, max_frame_size);
    offset += hd.length;
  }
  return 0;
}
