#!/usr/bin/env python3
"""Writes seeds for fuzz/fuzz_client_session into fuzz/corpus/client_session.

Each seed is the target's operation stream (see fuzz_client_session.c):
a first byte of options, then server bytes in chunks (opcode 0, length-1,
bytes) interleaved with output drains (3) and event polls (4). The server
bytes are realistic exchanges built with Debian's python3-hpack and
python3-hyperframe: responses with bodies and trailers, 1xx, resets,
GOAWAY, PINGs, window updates, padding, CONTINUATION.
Run with /usr/bin/python3.
"""
import os
import struct

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, GoAwayFrame,
                              HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "fuzz", "corpus", "client_session")


def headers(enc, sid, fields, end=False, split=0):
    block = enc.encode(fields)
    if not split or len(block) <= split:
        f = HeadersFrame(sid, block)
        f.flags.add("END_HEADERS")
        if end:
            f.flags.add("END_STREAM")
        return f.serialize()
    out = b""
    first = HeadersFrame(sid, block[:split])
    if end:
        first.flags.add("END_STREAM")
    out += first.serialize()
    rest = block[split:]
    while rest:
        c = ContinuationFrame(sid, rest[:split])
        rest = rest[split:]
        if not rest:
            c.flags.add("END_HEADERS")
        out += c.serialize()
    return out


def data(sid, payload, end=False, pad=0):
    f = DataFrame(sid, payload)
    if end:
        f.flags.add("END_STREAM")
    if pad:
        f.flags.add("PADDED")
        f.pad_length = pad
    return f.serialize()


def opening():
    s = SettingsFrame(0, {SettingsFrame.MAX_CONCURRENT_STREAMS: 100,
                          SettingsFrame.INITIAL_WINDOW_SIZE: 65535})
    ack = SettingsFrame(0)
    ack.flags.add("ACK")
    return s.serialize() + ack.serialize()


def wrap(server_bytes, options=0, chunk=200):
    ops = bytes([options])
    for i in range(0, len(server_bytes), chunk):
        piece = server_bytes[i:i + chunk]
        ops += bytes([0, len(piece) - 1]) + piece + bytes([4, 15, 3, 255])
    return ops + bytes([4, 15, 3, 255])


def exchanges():
    enc = hpack.Encoder()
    ok = [(":status", "200"), ("content-type", "text/plain")]
    yield "get_post_head", opening() + headers(enc, 1, ok) + data(1, b"hello", True) \
        + headers(enc, 3, [(":status", "201")]) + data(3, b"created", True) \
        + headers(enc, 5, [(":status", "200"), ("content-length", "99")], True)
    enc = hpack.Encoder()
    yield "interim_trailers_padding", opening() \
        + headers(enc, 1, [(":status", "103"), ("link", "</a>")]) \
        + headers(enc, 1, ok) + data(1, b"x" * 300, pad=20) \
        + headers(enc, 1, [("grpc-status", "0")], True)
    enc = hpack.Encoder()
    big = [(":status", "200"), ("x-big", "v" * 5000)]
    yield "continuation", opening() + headers(enc, 1, big, split=1000) + data(1, b"", True)
    enc = hpack.Encoder()
    yield "reset_goaway", opening() + RstStreamFrame(3, 7).serialize() \
        + GoAwayFrame(0, 1, 0, b"bye").serialize() + headers(enc, 1, ok, True)
    yield "ping_window", opening() + PingFrame(0, b"12345678").serialize() \
        + WindowUpdateFrame(0, 100000).serialize() + WindowUpdateFrame(3, 5000).serialize()
    yield "http1_reply", b"HTTP/1.1 400 Bad Request\r\n\r\n"


def connection_fields():
    """A response and trailers carrying connection-specific fields (as
    nginx sends add_header Connection close), for both the default (the
    stream fails) and H2_CONN_DROP_CONNECTION_FIELDS (option bit 8: the
    fields are removed)."""
    enc = hpack.Encoder()
    return opening() + headers(enc, 1, [(":status", "200"), ("connection", "close"),
                                        ("keep-alive", "timeout=5"), ("x-a", "1"),
                                        ("te", "trailers"), ("transfer-encoding", "chunked")]) \
        + data(1, b"body") + headers(enc, 1, [("x-t", "1"), ("upgrade", "h2c")], True) \
        + headers(enc, 3, [(":status", "200"), ("proxy-connection", "keep-alive")], True)


def server_ops(server_bytes, chunk=200):
    """Operations feeding server bytes (op 0), each piece followed by a
    poll (op 4) and a drain (op 3)."""
    ops = b""
    for i in range(0, len(server_bytes), chunk):
        piece = server_bytes[i:i + chunk]
        ops += bytes([0, len(piece) - 1]) + piece + bytes([4, 15, 3, 255])
    return ops


def cancel_and_late_frames(options):
    """Stream 1 cancelled (op 7, even argument) with the clock running
    (op 5), late DATA for it within the grace period, the ACK of the reset
    pacing PING, a response on 3, then more late DATA after 2.5 s."""
    enc = hpack.Encoder()
    ping_ack = PingFrame(0, b"libh2rst")
    ping_ack.flags.add("ACK")
    return bytes([options]) + bytes([5, 1, 7, 0, 5, 1]) \
        + server_ops(opening() + data(1, b"late" * 100)) + bytes([5, 5]) \
        + server_ops(data(1, b"more", pad=8) + ping_ack.serialize()
                     + headers(enc, 3, [(":status", "200")], True)) \
        + bytes([5, 25, 5, 1]) + server_ops(data(1, b"too late")) + bytes([4, 15, 3, 255])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, server in exchanges():
        for options in (0, 1, 4):
            with open(os.path.join(OUT, "%s_%d.bin" % (name, options)), "wb") as f:
                f.write(wrap(server, options))
    for options in (0, 1):
        with open(os.path.join(OUT, "cancel_late_frames_%d.bin" % options), "wb") as f:
            f.write(cancel_and_late_frames(options))
    for options in (0, 8):
        with open(os.path.join(OUT, "connection_fields_%d.bin" % options), "wb") as f:
            f.write(wrap(connection_fields(), options))


if __name__ == "__main__":
    main()
