#!/usr/bin/env python3
"""Generates src/hpack_huffman_table.c from tools/data/rfc7541_huffman.txt.

The output holds three tables:

* the encoder's code and length for each of the 257 symbols;
* the decoder's primary table, indexed by the next PRIMARY_BITS bits of
  input, giving up to two whole symbols that fit in the window (most header
  characters have codes of 5 to 8 bits, so one lookup usually yields two);
  12 bits measured best in the whole decoder: a 13-bit window yields 1.75
  symbols a lookup on header text against 1.56 and decodes Huffman alone
  about 4% faster, but its 32 KiB table (16 KiB for 12 bits) fills a
  level-1 data cache the rest of the decoder needs, and the decoder as a
  whole was 2-3% slower with it;
* the decoder's table for longer codes, which exploits the fact that the
  RFC 7541 code is canonical: codes of one length are consecutive, so a
  code's length is found by comparing the left-aligned input with the first
  code of the next length, and its symbol by subtracting.

Run it with --check to compare the generated text with the file in the
tree; the build's drift check does that.
"""
import argparse
import os
import sys

PRIMARY_BITS = 12
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data", "rfc7541_huffman.txt")
OUTPUT = os.path.join(ROOT, "src", "hpack_huffman_table.c")


def read_code():
    codes = {}
    with open(DATA) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            sym, code, length = line.split()
            codes[int(sym)] = (int(code, 16), int(length))
    assert sorted(codes) == list(range(257)), "need symbols 0..256"
    return [codes[s] for s in range(257)]


def check_canonical(code):
    """Asserts the code is canonical: sorted by (length, symbol), each code
    is the previous one plus one, shifted left when the length grows."""
    order = sorted(range(257), key=lambda s: (code[s][1], s))
    expected, previous_length = 0, code[order[0]][1]
    for s in order:
        value, length = code[s]
        expected <<= length - previous_length
        assert value == expected, "code is not canonical at symbol %d" % s
        expected += 1
        previous_length = length
    assert expected == 1 << previous_length, "code is not complete"
    return order


def decode_one(window, bits, code_by_bits):
    """Returns (symbol, length) of the code at the top of `window` (a
    `bits`-bit integer), or None when no code of at most `bits` bits fits."""
    for length in range(1, bits + 1):
        prefix = window >> (bits - length)
        symbol = code_by_bits.get((prefix, length))
        if symbol is not None:
            return symbol, length
    return None


def primary_table(code):
    code_by_bits = {(v, l): s for s, (v, l) in enumerate(code)}
    entries = []
    for window in range(1 << PRIMARY_BITS):
        first = decode_one(window, PRIMARY_BITS, code_by_bits)
        if first is None:
            entries.append(0)  # all zero: a code longer than the window
            continue
        sym1, len1 = first
        rest_bits = PRIMARY_BITS - len1
        rest = window & ((1 << rest_bits) - 1)
        second = decode_one(rest, rest_bits, code_by_bits) if rest_bits else None
        if second is None:
            entries.append(pack(sym1, 0, len1, len1, 1))
        else:
            sym2, len2 = second
            entries.append(pack(sym1, sym2, len1, len1 + len2, 2))
    return entries


def pack(sym1, sym2, len1, total, count):
    assert sym1 < 256 and sym2 < 256 and total <= PRIMARY_BITS
    # The bits both codes take sit lowest, in six bits, so the decoder can
    # shift by `entry & 63`, which x86 and ARM shifts do by themselves; the
    # count sits highest, so `entry >> 30` is all it takes to read it. The
    # two symbols sit next to each other so that one 16-bit store writes
    # both. An all-zero entry (a longer code) consumes nothing and counts
    # nothing, so the decoder can run several lookups without checking for
    # one after each.
    return total | (sym1 << 8) | (sym2 << 16) | (len1 << 24) | (count << 30)


def long_code_tables(code, order):
    """Per length above PRIMARY_BITS: the left-aligned (32-bit) exclusive
    upper bound of the codes of that length, and the value to subtract from
    a code of that length to get its position in `order`."""
    limits, offsets = [], []
    for length in range(PRIMARY_BITS + 1, 31):
        members = [i for i, s in enumerate(order) if code[s][1] == length]
        if members:
            first_pos, last_pos = members[0], members[-1]
            first_code = code[order[first_pos]][0]
            last_code = code[order[last_pos]][0]
            limit = (last_code + 1) << (32 - length)
            offset = first_code - first_pos
        else:
            limit = limits[-1] if limits else 0
            offset = 0
        limits.append(limit)
        offsets.append(offset)
    return limits, offsets


def render(code):
    order = check_canonical(code)
    primary = primary_table(code)
    limits, offsets = long_code_tables(code, order)
    out = []
    w = out.append
    w("/* Generated by tools/gen_huffman.py from tools/data/rfc7541_huffman.txt.")
    w(" * Do not edit: change the generator and run it again. */")
    w('#include "hpack_huffman_table.h"')
    w("")
    w("const uint32_t h2_huffman_codes[257] = {")
    for i in range(0, 257, 6):
        w("    " + " ".join("0x%08x," % code[s][0] for s in range(i, min(i + 6, 257))))
    w("};")
    w("")
    w("const uint8_t h2_huffman_lengths[257] = {")
    for i in range(0, 257, 16):
        w("    " + " ".join("%d," % code[s][1] for s in range(i, min(i + 16, 257))))
    w("};")
    w("")
    w("const uint32_t h2_huffman_primary[%d] = {" % (1 << PRIMARY_BITS))
    for i in range(0, len(primary), 6):
        w("    " + " ".join("0x%08x," % e for e in primary[i:i + 6]))
    w("};")
    w("")
    w("const uint64_t h2_huffman_long_limits[%d] = {" % len(limits))
    for i in range(0, len(limits), 6):
        w("    " + " ".join("0x%09x," % e for e in limits[i:i + 6]))
    w("};")
    w("")
    w("const int32_t h2_huffman_long_offsets[%d] = {" % len(offsets))
    for i in range(0, len(offsets), 8):
        w("    " + " ".join("%d," % e for e in offsets[i:i + 8]))
    w("};")
    w("")
    w("const uint16_t h2_huffman_symbols_by_code[257] = {")
    for i in range(0, 257, 12):
        w("    " + " ".join("%d," % s for s in order[i:i + 12]))
    w("};")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if the file in the tree differs")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()
    text = render(read_code())
    if args.check:
        with open(args.output) as f:
            if f.read() != text:
                sys.exit("%s is out of date: run tools/gen_huffman.py" % args.output)
        return
    with open(args.output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
