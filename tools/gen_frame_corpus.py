#!/usr/bin/python3
"""Writes the seed corpus of the frame fuzzer (fuzz/fuzz_frame.c).

Each file starts with the two bytes the fuzzer reads as its choice of
SETTINGS_MAX_FRAME_SIZE, followed by one or more frames. Most seeds are
valid frames of every type and flag combination worth starting from; a few
are malformed on purpose so that the error paths are reached from the
start. The frames are built here by hand with struct, so the corpus does
not depend on the codec it is meant to test.

Usage: tools/gen_frame_corpus.py [output-directory]
"""
import os
import struct
import sys

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE = 0x5, 0x6, 0x7, 0x8
CONTINUATION, PRIORITY_UPDATE = 0x9, 0x10

END_STREAM = ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# The fuzzer maps 0x0000 to a limit of 16384 and 0xffff to 16777215.
SMALLEST_LIMIT = b"\x00\x00"
LARGEST_LIMIT = b"\xff\xff"

# A request-like HPACK block: :method GET, :scheme https, :path /.
FIELD_BLOCK = bytes([0x82, 0x87, 0x84])


def frame(frame_type, flags, stream_id, payload, length=None):
    """One frame; `length` overrides the header length for bad seeds."""
    if length is None:
        length = len(payload)
    header = struct.pack(">I", length)[1:]
    return header + struct.pack(">BBI", frame_type, flags, stream_id) + payload


def padded(body, pad_length, filler=0):
    return bytes([pad_length]) + body + bytes([filler]) * pad_length


def priority_fields(dependency, weight, exclusive=False):
    word = dependency | (0x80000000 if exclusive else 0)
    return struct.pack(">IB", word, weight)


def setting(identifier, value):
    return struct.pack(">HI", identifier, value)


def seeds():
    yield "data", frame(DATA, END_STREAM, 1, b"hello")
    yield "data_padded", frame(DATA, PADDED, 3, padded(b"abc", 4))
    yield "data_padding_only", frame(DATA, PADDED | END_STREAM, 1,
                                     padded(b"", 255))
    yield "headers", frame(HEADERS, END_HEADERS | END_STREAM, 1, FIELD_BLOCK)
    yield "headers_priority_padded", frame(
        HEADERS, END_HEADERS | PADDED | PRIORITY_FLAG, 5,
        padded(priority_fields(3, 200, exclusive=True) + FIELD_BLOCK, 2))
    yield "headers_continuation", (
        frame(HEADERS, 0, 1, FIELD_BLOCK[:1]) +
        frame(CONTINUATION, 0, 1, FIELD_BLOCK[1:2]) +
        frame(CONTINUATION, END_HEADERS, 1, FIELD_BLOCK[2:]))
    yield "priority", frame(PRIORITY, 0, 7, priority_fields(1, 15))
    yield "rst_stream", frame(RST_STREAM, 0, 1, struct.pack(">I", 0x8))
    yield "settings", frame(SETTINGS, 0, 0, b"".join([
        setting(0x1, 4096), setting(0x2, 0), setting(0x3, 100),
        setting(0x4, 65535), setting(0x5, 16384), setting(0x6, 8192),
        setting(0x8, 1), setting(0x9, 1), setting(0xffff, 7)]))
    yield "settings_ack", frame(SETTINGS, ACK, 0, b"")
    yield "push_promise", frame(
        PUSH_PROMISE, END_HEADERS | PADDED, 1,
        padded(struct.pack(">I", 2) + FIELD_BLOCK, 3))
    yield "ping", (frame(PING, 0, 0, b"12345678") +
                   frame(PING, ACK, 0, b"87654321"))
    yield "goaway", frame(GOAWAY, 0, 0,
                          struct.pack(">II", 0x80000005, 0xb) + b"calm down")
    yield "window_update", (
        frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 65535)) +
        frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0x7fffffff)))
    yield "priority_update", frame(PRIORITY_UPDATE, 0, 0,
                                   struct.pack(">I", 1) + b"u=1, i")
    yield "unknown_types", (frame(0x0a, 0, 0, b"\x00\x00h2=\":443\"") +
                            frame(0x0c, 0xff, 0, b"") +
                            frame(0xff, 0x5a, 0x80000009, b"opaque"))
    yield "server_sequence", (
        frame(SETTINGS, 0, 0, setting(0x3, 100) + setting(0x4, 1 << 20)) +
        frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) +
        frame(SETTINGS, ACK, 0, b"") +
        frame(HEADERS, END_HEADERS, 1, bytes([0x88])) +
        frame(DATA, 0, 1, b"x" * 100) +
        frame(DATA, END_STREAM, 1, b""))
    # Malformed on purpose.
    yield "bad_pad_length", frame(DATA, PADDED, 1, bytes([9]) + b"abc")
    yield "bad_settings_length", frame(SETTINGS, 0, 0, b"\x00" * 7)
    yield "bad_ping_length", frame(PING, 0, 0, b"1234567")
    yield "bad_headers_priority_short", frame(HEADERS, PRIORITY_FLAG, 1,
                                              b"\x00\x00\x00")
    yield "bad_window_update_zero", frame(WINDOW_UPDATE, 0, 1,
                                          struct.pack(">I", 0x80000000))
    yield "bad_priority_length", (frame(PRIORITY, 0, 1, b"\x00" * 4) +
                                  frame(PING, 0, 0, b"still ok"))
    # An HTTP/1.1 reply read as frames: a huge length and an unknown type.
    yield "http1_reply", b"HTTP/1.1 400 Bad Request\r\n\r\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default = os.path.join(root, "fuzz", "corpus", "frame")
    out_dir = sys.argv[1] if len(sys.argv) > 1 else default
    os.makedirs(out_dir, exist_ok=True)
    for name, body in seeds():
        # The realistic server sequence runs under the largest limit; the
        # rest under the RFC minimum.
        limit = LARGEST_LIMIT if name == "server_sequence" else SMALLEST_LIMIT
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(limit + body)


if __name__ == "__main__":
    main()
