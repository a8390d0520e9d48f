#!/usr/bin/python3
"""HPACK interoperability between libh2 and python-hpack, through `h2 hpack`.

Two directions, on the same random header lists:

  1. python-hpack's Encoder writes the wires of story files, and
     `h2 hpack inflate --check` must decode every case to the lists that
     were encoded; `h2 hpack inflate -o` output is compared as well, so the
     JSON the tool writes is checked too.
  2. `h2 hpack deflate` encodes stories that hold only headers, and
     python-hpack's Decoder must decode every wire back to the input lists.

The lists mix realistic names with random lowercase tokens, and values that
are empty, long (up to 3000 bytes), Latin-1 and multi-byte UTF-8 text, and
repeat earlier fields so the dynamic tables are exercised. Some cases change
header_table_size (0, 256, 4096, 65536), which both sides apply as the
SETTINGS_HEADER_TABLE_SIZE in force from that case on.

Run with /usr/bin/python3 (Debian's python3-hpack):
    /usr/bin/python3 hpack_python_interop.py --h2 build/h2 [--seed N]
The seed is fixed by default so that a failure can be reproduced.
`--emit-story FILE` writes one python-encoded story and exits; that is how
tests/data/stories/python_hpack_table_size.json was made.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

try:
    from hpack import Decoder, Encoder
except ImportError:
    sys.exit("hpack_python_interop: python-hpack is missing; run with "
             "/usr/bin/python3 (Debian package python3-hpack)")

TABLE_SIZES = [0, 256, 4096, 65536]

NAME_POOL = [
    ":authority", ":method", ":path", ":scheme", ":status", "accept",
    "accept-encoding", "accept-language", "age", "authorization",
    "cache-control", "content-encoding", "content-length", "content-type",
    "cookie", "date", "etag", "if-modified-since", "if-none-match",
    "last-modified", "location", "referer", "server", "set-cookie",
    "user-agent", "vary", "via", "x-forwarded-for", "x-request-id",
]

VALUE_POOL = [
    "GET", "POST", "/", "/index.html", "https", "http", "200", "404",
    "gzip, deflate, br", "text/html; charset=utf-8", "no-cache", "private",
    "Mon, 21 Oct 2013 20:13:21 GMT", "www.example.com", "*/*", "en-US,en;q=0.9",
]

# Latin-1 letters and symbols, and characters that take 2, 3 and 4 bytes of
# UTF-8: the tool must carry every byte of a JSON string unchanged.
NON_ASCII = "àéîõüçñßøÆ€£¥©°±µ¶½¿ÿ日本語テキスト中文한국어Ωπ✓☃🙂🚀"
TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7f))


def random_name(rng):
    if rng.random() < 0.6:
        return rng.choice(NAME_POOL)
    return "".join(rng.choice(TOKEN_CHARS) for _ in range(rng.randint(1, 24)))


def random_value(rng):
    kind = rng.random()
    if kind < 0.10:
        return ""
    if kind < 0.35:
        return rng.choice(VALUE_POOL)
    if kind < 0.45:
        length = rng.randint(200, 3000)
        return "".join(rng.choice(PRINTABLE) for _ in range(length))
    if kind < 0.65:
        alphabet = PRINTABLE + NON_ASCII
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
    return "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(1, 40)))


def random_header_list(rng, recent):
    """A list of fields, some repeated from earlier lists of the story."""
    fields = []
    for _ in range(rng.randint(0, 16)):
        if recent and rng.random() < 0.3:
            fields.append(rng.choice(recent))
        else:
            fields.append((random_name(rng), random_value(rng)))
    recent.extend(fields)
    del recent[:-64]
    return fields


def random_stories(rng, total_lists, story_count):
    """Stories of header-only cases; some cases change header_table_size."""
    stories = [[] for _ in range(story_count)]
    recent = [[] for _ in range(story_count)]
    for i in range(total_lists):
        s = i % story_count
        case = {"seqno": len(stories[s]),
                "headers": random_header_list(rng, recent[s])}
        if rng.random() < 0.2:
            case["header_table_size"] = rng.choice(TABLE_SIZES)
        stories[s].append(case)
    return stories


def story_json(cases, description, with_wire):
    """The story in the corpus key order: seqno, header_table_size, wire,
    headers."""
    out = []
    for case in cases:
        c = {"seqno": case["seqno"]}
        if "header_table_size" in case:
            c["header_table_size"] = case["header_table_size"]
        if with_wire:
            c["wire"] = case["wire"]
        c["headers"] = [{n: v} for n, v in case["headers"]]
        out.append(c)
    return {"cases": out, "description": description}


def write_json(path, doc, ensure_ascii):
    # Both ways of writing non-ASCII text: raw UTF-8 and \u escapes
    # (with surrogate pairs for characters outside the BMP).
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=ensure_ascii)
        f.write("\n")


def python_encode(cases):
    encoder = Encoder()
    for case in cases:
        if "header_table_size" in case:
            encoder.header_table_size = case["header_table_size"]
        case["wire"] = encoder.encode(case["headers"]).hex()


def run_h2(h2, args):
    return subprocess.run([h2, "hpack"] + args, capture_output=True, text=True)


class Failures:
    def __init__(self):
        self.messages = []

    def add(self, message):
        self.messages.append(message)
        print("FAIL: " + message, file=sys.stderr)


def expect_success(result, what, failures):
    if result.returncode != 0:
        failures.add("%s exited %d:\n%s" % (what, result.returncode,
                                              result.stderr.strip()))
        return False
    return True


def compare_lists(where, expected, got, failures):
    """expected: (str, str) pairs; got: (bytes, bytes) pairs."""
    want = [(n.encode(), v.encode()) for n, v in expected]
    if want == list(got):
        return True
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            failures.add("%s: header %d: expected %r, got %r"
                         % (where, i, a, b))
            return False
    failures.add("%s: expected %d headers, got %d"
                 % (where, len(want), len(got)))
    return False


def check_inflate_output(path, stories, failures):
    """Compares the stories `h2 hpack inflate -o` wrote with the inputs."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    name = os.path.basename(path)
    cases = stories[name]
    if len(doc["cases"]) != len(cases):
        failures.add("%s: %d cases written, %d expected"
                     % (name, len(doc["cases"]), len(cases)))
        return
    for case, out in zip(cases, doc["cases"]):
        got = [(k.encode(), v.encode()) for h in out["headers"]
               for k, v in h.items()]
        where = "%s: seqno %d (inflate output)" % (name, case["seqno"])
        if out.get("wire") != case["wire"] or out.get("seqno") != case["seqno"]:
            failures.add(where + ": seqno or wire not kept")
        compare_lists(where, case["headers"], got, failures)


def python_to_h2(h2, workdir, stories, failures):
    """Direction 1: python-hpack encodes, h2 decodes."""
    paths, by_name = [], {}
    for i, cases in enumerate(stories):
        python_encode(cases)
        path = os.path.join(workdir, "py_encoded_%02d.json" % i)
        write_json(path, story_json(cases, "python-hpack encoded", True),
                   ensure_ascii=i % 2 == 0)
        paths.append(path)
        by_name[os.path.basename(path)] = cases
    result = run_h2(h2, ["inflate", "--check"] + paths)
    if expect_success(result, "h2 hpack inflate --check", failures):
        summaries = [l for l in result.stderr.splitlines() if ": ok: " in l]
        if len(summaries) != len(paths):
            failures.add("inflate --check printed %d summaries for %d files"
                         % (len(summaries), len(paths)))
    outdir = os.path.join(workdir, "inflated")
    os.mkdir(outdir)
    result = run_h2(h2, ["inflate", "-o", outdir] + paths)
    if expect_success(result, "h2 hpack inflate -o", failures):
        for path in paths:
            check_inflate_output(os.path.join(outdir, os.path.basename(path)),
                                 by_name, failures)


def python_decode_story(name, doc, cases, failures):
    decoder = Decoder()
    decoder.max_header_list_size = 1 << 24
    for case, out in zip(cases, doc["cases"]):
        where = "%s: seqno %d" % (name, case["seqno"])
        if "header_table_size" in case:
            # What SETTINGS_HEADER_TABLE_SIZE allows once acknowledged.
            decoder.max_allowed_table_size = case["header_table_size"]
        try:
            got = decoder.decode(bytes.fromhex(out["wire"]), raw=True)
        except Exception as e:  # any decoding error is a failure to report
            failures.add("%s: python-hpack cannot decode %s: %r"
                         % (where, out["wire"][:80], e))
            return
        compare_lists(where, case["headers"], got, failures)


def h2_to_python(h2, workdir, stories, failures):
    """Direction 2: h2 encodes, python-hpack decodes."""
    paths = []
    for i, cases in enumerate(stories):
        path = os.path.join(workdir, "headers_only_%02d.json" % i)
        write_json(path, story_json(cases, "headers for h2 to encode", False),
                   ensure_ascii=i % 2 == 1)
        paths.append(path)
    outdir = os.path.join(workdir, "deflated")
    os.mkdir(outdir)
    result = run_h2(h2, ["deflate", "-o", outdir] + paths)
    if not expect_success(result, "h2 hpack deflate", failures):
        return
    for path, cases in zip(paths, stories):
        name = os.path.basename(path)
        with open(os.path.join(outdir, name), encoding="utf-8") as f:
            doc = json.load(f)
        if len(doc["cases"]) != len(cases):
            failures.add("%s: deflate wrote %d cases, %d expected"
                         % (name, len(doc["cases"]), len(cases)))
            continue
        python_decode_story(name, doc, cases, failures)


def emit_story(path, seed):
    """One small, readable python-encoded story whose table size changes:
    pooled names and values, a few non-ASCII ones, repeats."""
    rng = random.Random(seed)
    words = VALUE_POOL + ["café", "naïve", "日本語", "🙂", ""]
    cases, recent = [], []
    for seqno, size in enumerate([4096, None, 256, None, 0, 65536, None]):
        headers = []
        for _ in range(rng.randint(3, 7)):
            if recent and rng.random() < 0.4:
                headers.append(rng.choice(recent))
            else:
                headers.append((rng.choice(NAME_POOL), rng.choice(words)))
        recent.extend(headers)
        case = {"seqno": seqno, "headers": headers}
        if size is not None:
            case["header_table_size"] = size
        cases.append(case)
    python_encode(cases)
    doc = story_json(cases, "Encoded by python-hpack (seed %d); the table "
                     "size changes to 256, then 0, then 65536." % seed, True)
    write_json(path, doc, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--h2", help="path of the h2 binary")
    parser.add_argument("--seed", type=int, default=7541)
    parser.add_argument("--lists", type=int, default=200,
                        help="random header lists per direction")
    parser.add_argument("--stories", type=int, default=8)
    parser.add_argument("--emit-story", metavar="FILE")
    args = parser.parse_args()
    if args.emit_story:
        emit_story(args.emit_story, args.seed)
        return 0
    if not args.h2:
        parser.error("--h2 is required")

    failures = Failures()
    rng = random.Random(args.seed)
    stories = random_stories(rng, args.lists, args.stories)
    fields = sum(len(c["headers"]) for s in stories for c in s)
    with tempfile.TemporaryDirectory(prefix="h2_hpack_interop_") as workdir:
        python_to_h2(args.h2, workdir, stories, failures)
        h2_to_python(args.h2, workdir, stories, failures)
    status = "FAILED (%d failures)" % len(failures.messages) \
        if failures.messages else "ok"
    print("hpack python interop: seed %d, %d stories, %d header lists, "
          "%d fields, both directions: %s"
          % (args.seed, args.stories, args.lists, fields, status))
    return 1 if failures.messages else 0


if __name__ == "__main__":
    sys.exit(main())
