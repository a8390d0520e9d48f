#!/usr/bin/env python3
"""Reads the memcheck log of the harness nginx (tests/lua/run.sh with
H2_LUA_VALGRIND=1) and says whether libh2 came out clean.

Clean means two things. No memcheck error at all (invalid reads or writes,
invalid frees, uses of uninitialised values): the binding hands pointers
between LuaJIT and libh2, so an error anywhere in the process may be ours.
And no block still allocated at exit by a call through libh2 (a frame of an
h2_ function, or of the library's file), whatever its kind (definitely,
indirectly or possibly lost, or still reachable): nginx was stopped
gracefully, which closes the Lua VM and runs every ffi.gc finalizer, so
each h2_conn, TLS filter, decoder and header list must be gone by then.

nginx's own blocks (a few bytes kept from startup) are counted and named in
the report, never failed on.

    scan_memcheck.py LOG -> prints one line; exit status 0 when clean
"""

import re
import sys

RECORD_START = re.compile(r"^==\d+== (\S.*)$")
LOSS = re.compile(r"([\d,]+) (?:\([^)]*\) )?bytes in ([\d,]+) blocks are (definitely lost|indirectly lost|"
                  r"possibly lost|still reachable) in loss record")
LIBH2_FRAME = re.compile(r"(?:at|by) 0x[0-9A-Fa-f]+: h2_\w+ |\(in [^)]*libh2\.so")
PID_PREFIX = re.compile(r"^==\d+== ?")


def records(lines):
    """The log's records: runs of lines between memcheck's blank lines."""
    current = []
    for line in lines:
        text = PID_PREFIX.sub("", line.rstrip("\n"))
        if not PID_PREFIX.match(line):
            continue
        if text.strip() == "":
            if current:
                yield current
            current = []
        else:
            current.append(text)
    if current:
        yield current


def main():
    if len(sys.argv) != 2:
        print("usage: scan_memcheck.py LOG")
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
            lines = log.readlines()
    except OSError as err:
        print(f"no memcheck log: {err}")
        return 1

    errors, ours, others = [], [], []
    for record in records(lines):
        head = record[0]
        loss = LOSS.search(head)
        if loss:
            size = int(loss.group(1).replace(",", ""))
            entry = (size, loss.group(3), record)
            if any(LIBH2_FRAME.search(line) for line in record):
                ours.append(entry)
            else:
                others.append(entry)
        elif any(line.lstrip().startswith(("at 0x", "by 0x")) for line in record):
            errors.append(record)

    if errors:
        first = errors[0]
        print(f"{len(errors)} memcheck error(s); the first: {first[0]} "
              f"| {' | '.join(line.strip() for line in first[1:6])}")
        return 1
    if ours:
        total = sum(size for size, _, _ in ours)
        size, kind, record = max(ours, key=lambda entry: entry[0])
        frames = [line.strip() for line in record[1:] if LIBH2_FRAME.search(line)]
        print(f"{len(ours)} block record(s) of libh2 left at exit ({total} bytes); "
              f"the largest: {size} bytes {kind}, allocated at {frames[0]}")
        return 1
    if not lines:
        print("the memcheck log is empty (did valgrind run?)")
        return 1
    others_bytes = sum(size for size, _, _ in others)
    print(f"no memcheck error; nothing of libh2 left at exit "
          f"({len(others)} records of nginx's own, {others_bytes} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
