/* What the connection needs of the HPACK decoder beyond the public API. */
#ifndef H2_HPACK_DECODER_INTERNAL_H
#define H2_HPACK_DECODER_INTERNAL_H

#include <stdint.h>

#include "h2/hpack.h"

/* A number that changes whenever the decoder's lasting state does (an
 * entry added or evicted, a table size update, a new limit from our
 * SETTINGS). Decoding a block is a function of its bytes and that state:
 * a block that left the version unchanged decodes, every time its bytes
 * come again at that version, to the very same fields, and leaves the
 * state as it found it. */
uint64_t h2_hpack_decoder_version(const h2_hpack_decoder *dec);

#endif /* H2_HPACK_DECODER_INTERNAL_H */
