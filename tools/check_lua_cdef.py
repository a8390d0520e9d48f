#!/usr/bin/env python3
"""Checks that the LuaJIT FFI declarations in lua/resty/**.lua match
the C headers they restate (include/h2/*.h): every struct the cdef defines
must have the same fields, and every function it declares the same
prototype as the header's H2_EXPORT declaration. The FFI cannot read C
headers, so the declarations are written twice; this keeps them honest.

    tools/check_lua_cdef.py          exit 0 when they agree, 1 with the
                                     differences listed otherwise
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def normalize(text):
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*([(),;*{}\[\]])\s*", r"\1", text)


def structs(text):
    return {m.group(1): normalize(m.group(2))
            for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \1;", text, re.S)}


def prototypes(text):
    found = {}
    for m in re.finditer(r"(?:H2_EXPORT\s+)?([\w\s\*]+?\b(h2_\w+)\s*\([^;{]*\))\s*;", text):
        found[m.group(2)] = normalize(m.group(1))
    return found


def main():
    cdef = ""
    for module in sorted((ROOT / "lua").rglob("*.lua")):
        for block in re.findall(r"ffi\.cdef\s*\[\[(.*?)\]\]", module.read_text(), re.S):
            cdef += strip_comments(block) + "\n"
    headers = ""
    for h in sorted((ROOT / "include/h2").glob("*.h")):
        headers += strip_comments(h.read_text()) + "\n"
    headers = headers.replace("H2_EXPORT", "")
    c_structs, c_protos = structs(headers), prototypes(headers)
    problems = []
    for name, fields in structs(cdef).items():
        if c_structs.get(name) != fields:
            problems.append(f"struct {name} differs from include/h2")
    for name, proto in prototypes(cdef).items():
        if c_protos.get(name) != proto:
            problems.append(f"{name}: cdef '{proto}' vs header '{c_protos.get(name)}'")
    for p in problems:
        print("check_lua_cdef: " + p, file=sys.stderr)
    if not problems:
        print(f"check_lua_cdef: {len(structs(cdef))} structs and "
              f"{len(prototypes(cdef))} functions agree with include/h2")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
