/*
 * libh2 - an HTTP/2 client library.
 *
 * Include this header to get the whole public API. The layers are:
 *   h2/error.h   library and wire error codes
 *   h2/alloc.h   the pluggable allocator
 *   h2/frame.h   the frame codec (RFC 9113 sections 4 and 6)
 *   h2/hpack.h   header compression (RFC 7541)
 *   h2/conn.h    the sans-I/O client connection (RFC 9113)
 *   h2/conn_state.h  read-only views of a connection's state
 *   h2/tls.h     the TLS filter: OpenSSL over memory buffers, ALPN h2
 *   h2/client.h  the C client: sockets, epoll loop, pool, h2_client_fetch
 *   h2/session.h blocking requests over the caller's own recv/send
 */
#ifndef H2_H2_H
#define H2_H2_H

#include "h2/alloc.h"
#include "h2/client.h"
#include "h2/conn.h"
#include "h2/conn_state.h"
#include "h2/error.h"
#include "h2/export.h"
#include "h2/frame.h"
#include "h2/hpack.h"
#include "h2/session.h"
#include "h2/tls.h"
#include "h2/version.h"

#endif /* H2_H2_H */
