#!/usr/bin/python3
"""Checks that docs/lua-examples.md shows the Lua examples verbatim.

The doc marks each example with a line "<!-- file examples/lua/NAME.lua -->"
followed by a ```lua block, which must be that file's whole text. Every
examples/lua/*.lua file must be shown, so the tests (which run the files)
and the doc (which people copy from) cannot drift apart.

    check_examples_doc.py SRC_DIR            check; exit 1 on any difference
    check_examples_doc.py SRC_DIR --write    rewrite the doc's blocks from the files
"""

import glob
import os
import re
import sys

DOC = "docs/lua-examples.md"
MARKER = re.compile(r"<!-- file (examples/lua/[\w.-]+\.lua) -->")


def blocks(lines):
    """(path, first line, end line) of each marked block; end is the closing fence."""
    found = []
    for i, line in enumerate(lines):
        m = MARKER.fullmatch(line)
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1] != "```lua":
            sys.exit(f"{DOC}:{i + 1}: the marker is not followed by a ```lua block")
        end = i + 2
        while end < len(lines) and lines[end] != "```":
            end += 1
        if end == len(lines):
            sys.exit(f"{DOC}:{i + 2}: the block is not closed")
        found.append((m.group(1), i + 2, end))
    return found


def main():
    src = sys.argv[1]
    write = "--write" in sys.argv[2:]
    doc_path = os.path.join(src, DOC)
    with open(doc_path) as f:
        lines = f.read().split("\n")
    found = blocks(lines)
    problems = []
    shown = set()
    # From the last block up, so that rewriting one keeps the others' indexes.
    for path, first, end in reversed(found):
        shown.add(path)
        with open(os.path.join(src, path)) as f:
            text = f.read().rstrip("\n").split("\n")
        if lines[first:end] != text:
            if write:
                lines[first:end] = text
            else:
                problems.append(f"{DOC}:{first}: the block differs from {path}")
    examples = sorted(os.path.relpath(p, src)
                      for p in glob.glob(os.path.join(src, "examples/lua/*.lua")))
    problems += [f"{DOC} does not show {p}" for p in examples if p not in shown]
    if write:
        with open(doc_path, "w") as f:
            f.write("\n".join(lines))
    if problems or not found:
        print("; ".join(problems) or f"{DOC} shows no example")
        return 1
    print(f"{DOC} shows {len(found)} example files verbatim")
    return 0


if __name__ == "__main__":
    sys.exit(main())
