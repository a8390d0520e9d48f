/* What the connection needs of the HPACK encoder beyond the public API. */
#ifndef H2_HPACK_ENCODER_INTERNAL_H
#define H2_HPACK_ENCODER_INTERNAL_H

#include <stdint.h>

#include "h2/hpack.h"

/* A number that changes whenever the encoder's state does (an entry added
 * or evicted, a table size changed or announced). Encoding is a function
 * of the fields and that state, so the same fields encoded at the same
 * version give the same bytes; and a block whose encoding left the version
 * unchanged may be sent again, instead of encoded again, for as long as
 * the version stays where it is. */
uint64_t h2_hpack_encoder_version(const h2_hpack_encoder *enc);

#endif /* H2_HPACK_ENCODER_INTERNAL_H */
