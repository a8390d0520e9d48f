#!/usr/bin/python3
"""Writes the seed corpora of the HPACK and Huffman fuzzers.

  fuzz/corpus/hpack_decode/     for fuzz/fuzz_hpack_decode.c
  fuzz/corpus/hpack_roundtrip/  for fuzz/fuzz_hpack_roundtrip.c
  fuzz/corpus/huffman/          for fuzz/fuzz_huffman.c

The header blocks are the examples of RFC 7541 appendix C, copied here as
hex so that the corpus does not depend on the code it is meant to test,
plus a few malformed blocks that reach the error paths from the start.
Each seed is wrapped in the input layout its fuzzer reads (described at
the top of each fuzzer's source).

Usage: tools/gen_fuzz_corpus.py [fuzz-corpus-directory]
"""
import os
import sys

# RFC 7541 C.2: single representations.
C2 = [
    "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
    "040c2f73616d706c652f70617468",
    "100870617373776f726406736563726574",
    "82",
]
# C.3 / C.4: three requests on one connection, plain and Huffman-coded.
C3 = [
    "828684410f7777772e6578616d706c652e636f6d",
    "828684be58086e6f2d6361636865",
    "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
]
C4 = [
    "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    "828684be5886a8eb10649cbf",
    "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
]
# C.5 / C.6: three responses with a 256-byte table, so entries are evicted.
C5 = [
    "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032"
    "303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e63"
    "6f6d",
    "4803333037c1c0bf",
    "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c0"
    "5a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157"
    "454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
]
C6 = [
    "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1b"
    "ff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
    "4883640effc1c0bf",
    "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad"
    "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065"
    "c003ed4ee5b1063d5007",
]

# Huffman strings from C.4 and C.6, and what they decode to.
HUFFMAN_STRINGS = [
    "f1e3c2e5f23a6ba0ab90f4ff",          # www.example.com
    "a8eb10649cbf",                      # no-cache
    "25a849e95ba97d7f",                  # custom-key
    "25a849e95bb8e8b4bf",                # custom-value
    "6402",                              # 302
    "aec3771a4b",                        # private
    "d07abe941054d444a8200595040b8166e082a62d1bff",  # a date
    "9d29ad171863c78f0b97c8e9ae82ae43d3",  # https://www.example.com
    "9bd9ab",                            # gzip
]


def blocks_to_ops(blocks, chunk=64):
    """Decoder operations feeding each block in chunks, the last chunk
    ending the block (00xxxxxx: x + 1 bytes; 01xxxxxx: x bytes, end)."""
    out = bytearray()
    for block in blocks:
        data = bytes.fromhex(block) if isinstance(block, str) else block
        while len(data) > 63:
            piece, data = data[:chunk], data[chunk:]
            out += bytes([len(piece) - 1]) + piece
        out += bytes([0x40 | len(data)]) + data
    return bytes(out)


def bytewise_ops(block):
    """A block fed one byte at a time, then ended by an empty chunk."""
    data = bytes.fromhex(block)
    return b"".join(bytes([0x00, b]) for b in data) + b"\x40"


def decoder_header(table=0xfe, budget=0xff, fields=0x3f, field_size=0xff):
    """Table 0xfe is 4096 and 0xff 65536, else 16 times the byte; the list
    budget is 1 + 16 * budget, fields 1 + (fields & 0x3f) (bit 7: no
    output), the field size limit 1 + 8 * field_size."""
    return bytes([table, budget, fields, field_size])


def decode_seeds():
    roomy = decoder_header()
    yield "rfc_c2_singles", roomy + blocks_to_ops(C2)
    yield "rfc_c3_requests", roomy + blocks_to_ops(C3)
    yield "rfc_c4_requests_huffman", roomy + blocks_to_ops(C4)
    yield "rfc_c5_responses_256", decoder_header(table=16) + blocks_to_ops(C5)
    yield "rfc_c6_responses_256", decoder_header(table=16) + blocks_to_ops(C6)
    yield "rfc_c4_bytewise", roomy + bytewise_ops(C4[0]) + bytewise_ops(C4[1])
    yield "rfc_c6_no_output", (decoder_header(table=16, fields=0xbf) +
                               blocks_to_ops(C6))
    yield "tiny_budget", decoder_header(budget=2) + blocks_to_ops(C4)
    yield "one_field", decoder_header(fields=0) + blocks_to_ops(C3)
    yield "small_field_size", (decoder_header(field_size=1) +
                               blocks_to_ops(C6))
    # Settings changes: down to 128 (an update is then required), and a
    # block with the smaller then the larger update.
    yield "size_updates", (roomy + blocks_to_ops(C3[:1]) + bytes([0xc1]) +
                           blocks_to_ops(["3f21" + "3f61" + C3[1]]) +
                           bytes([0xc0]) + blocks_to_ops(["20" + "82"]))
    yield "missing_size_update", (roomy + blocks_to_ops(C3[:1]) +
                                  bytes([0xc1]) + blocks_to_ops(C3[1:2]))
    # Malformed blocks.
    yield "bad_index_zero", roomy + blocks_to_ops(["80"])
    yield "bad_index_beyond_table", roomy + blocks_to_ops(["bf"])
    yield "bad_integer_overflow", roomy + blocks_to_ops(["ffffffffffff0f"])
    yield "bad_huffman_eos", roomy + blocks_to_ops(["0082ffff0161"])
    yield "bad_huffman_padding", roomy + blocks_to_ops(["00818001" + "61"])
    yield "bad_update_after_field", roomy + blocks_to_ops(["8220"])
    yield "bad_three_updates", roomy + blocks_to_ops(["202020"])
    yield "bad_truncated", roomy + blocks_to_ops(["400a637573"])
    # A value declared 9 bytes long on the wire (the limit) that Huffman-
    # decodes to 14 bytes ("aaaaaaaaaaaaaa"): past max_field_size as decoded.
    yield "huffman_value_past_field_size", (
        decoder_header(field_size=1) +
        blocks_to_ops(["000178" + "89" + "18c6318c6318c6318f"]))


# ---- Round-trip seeds ------------------------------------------------------

ROUNDTRIP_STATIC_NAMES = [
    ":authority", ":method", ":path", ":scheme", ":status",
    "accept-charset", "accept-encoding", "accept-language", "accept-ranges",
    "accept", "access-control-allow-origin", "age", "allow", "authorization",
    "cache-control", "content-disposition", "content-encoding",
    "content-language", "content-length", "content-location",
    "content-range", "content-type", "cookie", "date", "etag", "expect",
    "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified",
    "link", "location", "max-forwards", "proxy-authenticate",
    "proxy-authorization", "range", "referer", "refresh", "retry-after",
    "server", "set-cookie", "strict-transport-security",
    "transfer-encoding", "user-agent", "vary", "via", "www-authenticate"]

NONE, NEVER, NO_INDEX = 0, 1, 2


def value_bytes(op, value):
    if len(value) > 255:
        assert len(value) % 64 == 0
        return bytes([op | 0x80, ]), bytes([len(value) // 64]) + value
    return bytes([op]), bytes([len(value)]) + value


def static_field(name, value, flags=NONE):
    op = 0 | (0 << 3) | (flags << 5)
    head, tail = value_bytes(op, value)
    return head + bytes([ROUNDTRIP_STATIC_NAMES.index(name)]) + tail


def literal_field(name, value, flags=NONE):
    op = 1 | (1 << 3) | (flags << 5)
    head, tail = value_bytes(op, value)
    return head + bytes([len(name)]) + name + tail


def repeat_field(which):
    return bytes([2 | (2 << 3), which])


def renamed_field(which, value):
    head, tail = value_bytes(3 | (3 << 3), value)
    return head + bytes([which]) + tail


END_BLOCK = b"\x05"


def table_choice(cap_index, setting_index):
    """Indexes into the fuzzer's table_sizes: 8 is 4096, 15 is 65536,
    5 is 256, 0 is 0, 1 is 1."""
    return bytes([setting_index << 4 | cap_index])


def request(path, extra=b""):
    return (static_field(":method", b"GET") +
            static_field(":scheme", b"https") +
            static_field(":authority", b"www.example.com") +
            static_field(":path", path) +
            static_field("user-agent", b"Mozilla/5.0 (X11; Linux x86_64)") +
            static_field("accept-encoding", b"gzip, deflate, br") + extra)


def roundtrip_seeds():
    default = table_choice(8, 8)
    yield "requests", (default + request(b"/") + END_BLOCK +
                       request(b"/index.html") + END_BLOCK +
                       request(b"/search?q=hpack"))
    yield "repeats", (default + literal_field(b"x-custom", b"one") +
                      static_field("cookie", b"a" * 40) + END_BLOCK +
                      repeat_field(0) + repeat_field(1) +
                      renamed_field(0, b"two"))
    yield "sensitive", (default + static_field("authorization",
                                               b"Basic dXNlcjpwYXNz") +
                        static_field("cookie", b"id=1") +
                        literal_field(b"x-secret", b"s3cret", NEVER) +
                        literal_field(b"x-plain", b"not indexed", NO_INDEX))
    yield "uppercase_name", default + literal_field(b"X-Mixed-Case", b"v")
    yield "binary_values", (default + literal_field(b"x-bin", bytes(range(256))
                                                    [:255]) +
                            literal_field(b"x-empty", b""))
    yield "long_value", (table_choice(15, 15) +
                         literal_field(b"x-long", bytes(range(256)) * 16))
    yield "eviction_256", (table_choice(5, 5) + request(b"/a") + END_BLOCK +
                           request(b"/b") + END_BLOCK + request(b"/c"))
    yield "size_changes", (default + request(b"/") + b"\x06\x05" +
                           request(b"/") + b"\x07\x01\x08" + request(b"/") +
                           b"\x06\x00" + request(b"/"))
    yield "zero_table", table_choice(1, 0) + request(b"/") + END_BLOCK
    yield "empty_blocks", default + END_BLOCK + END_BLOCK + b"\x07\x00\x0f"


# ---- Huffman seeds ---------------------------------------------------------

def huffman_encode(text):
    """Huffman-encodes `text` with the code table of RFC 7541 appendix B,
    read from tools/data, padding the last byte with ones."""
    here = os.path.dirname(os.path.abspath(__file__))
    codes = {}
    with open(os.path.join(here, "data", "rfc7541_huffman.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                symbol, code, length = line.split()
                codes[int(symbol)] = (int(code, 16), int(length))
    value, bits = 0, 0
    for byte in text:
        code, length = codes[byte]
        value, bits = (value << length) | code, bits + length
    pad = -bits % 8
    value, bits = (value << pad) | ((1 << pad) - 1), bits + pad
    return value.to_bytes(bits // 8, "big")


# Long strings, which the decoder splits between two chains that must meet.
LONG_TEXTS = [
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    b"(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    b"session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; "
    b"_ga=GA1.2.1234567890.1700000000; consent=analytics%3Dyes%26ads%3Dno; "
    b"cart=item-42,item-7,item-1999; lang=en-GB; tz=Europe%2FLondon",
]


def huffman_seeds():
    for i, wire in enumerate(HUFFMAN_STRINGS):
        yield "rfc_string_%d" % i, bytes.fromhex(wire)
    for i, text in enumerate(LONG_TEXTS):
        yield "long_text_%d" % i, huffman_encode(text)
    yield "plain_text", b"Mon, 21 Oct 2013 20:13:21 GMT"
    yield "all_bytes", bytes(range(256))
    yield "empty", b""
    yield "bad_eos", b"\xff\xff\xff\xff"
    yield "bad_padding_zeros", b"\x00"
    yield "bad_long_padding", b"\x1f\xff"


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, body in seeds:
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(body)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "fuzz",
                                                              "corpus")
    write(os.path.join(out, "hpack_decode"), decode_seeds())
    write(os.path.join(out, "hpack_roundtrip"), roundtrip_seeds())
    write(os.path.join(out, "huffman"), huffman_seeds())


if __name__ == "__main__":
    main()
