#!/usr/bin/env python3
"""Checks that the LuaJIT FFI declarations of the Lua binding match the C
headers they restate (include/h2/*.h). Every `ffi.cdef [[...]]` block of
every module under lua/ is read (resty.http2.core, and
resty.http2.core_lowlevel for the frame, HPACK and state views):

  - every struct a block defines must have the same fields as the header's;
  - every function a block declares must have the header's prototype;
  - no struct or function may be declared twice across the blocks (the FFI
    refuses a redefinition at load time, so that would only show in nginx);
  - every numeric constant the internal core modules restate from a C enum
    (EVENT_HEADERS = 1 for H2_EVENT_HEADERS, ERR_WOULD_BLOCK = -7 for
    H2_ERR_WOULD_BLOCK, STREAM_STATE_OPEN for H2_STREAM_STATE_OPEN...)
    must have the header's value.

The FFI cannot read C headers, so the declarations are written twice; this
keeps them honest.

    tools/check_lua_cdef.py          exit 0 when they agree, 1 with the
                                     differences listed otherwise
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The modules whose exported table restates C enum values.
CONSTANT_MODULES = ("lua/resty/http2/core.lua", "lua/resty/http2/core_lowlevel.lua")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def strip_macros(text):
    """Drops preprocessor lines, continuations included: a function-like
    macro (h2_conn_options_init) is not a prototype the FFI can call."""
    return re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)


def normalize(text):
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*([(),;*{}\[\]])\s*", r"\1", text)


def structs(text):
    return [(m.group(1), normalize(m.group(2)))
            for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \1;", text, re.S)]


def prototypes(text):
    found = []
    for m in re.finditer(r"(?:H2_EXPORT\s+)?([\w\s\*]+?\b(h2_\w+)\s*\([^;{]*\))\s*;", text):
        found.append((m.group(2), normalize(m.group(1))))
    return found


def c_enum_values(headers):
    values = {}
    for m in re.finditer(r"\b(H2_[A-Z0-9_]+)\s*=\s*(-?(?:0x[0-9a-fA-F]+|\d+))", headers):
        values[m.group(1)] = int(m.group(2), 0)
    return values


def lua_constants(text):
    """NAME = number lines of a module's returned tables (upper-case names)."""
    lua = re.sub(r"--[^\n]*", "", text)
    return [(m.group(1), int(m.group(2), 0))
            for m in re.finditer(r"^\s*([A-Z][A-Z0-9_]+)\s*=\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*,",
                                 lua, re.M)]


def cdef_blocks():
    for path in sorted((ROOT / "lua").rglob("*.lua")):
        text = path.read_text()
        for m in re.finditer(r"ffi\.cdef\s*\[\[(.*?)\]\]", text, re.S):
            yield path.relative_to(ROOT), strip_comments(m.group(1))


def main():
    headers = ""
    for h in sorted((ROOT / "include/h2").glob("*.h")):
        headers += strip_macros(strip_comments(h.read_text())) + "\n"
    headers = headers.replace("H2_EXPORT", "")
    c_structs, c_protos = dict(structs(headers)), dict(prototypes(headers))
    problems = []
    seen = {}
    struct_count = function_count = 0
    for path, cdef in cdef_blocks():
        for name, fields in structs(cdef):
            struct_count += 1
            if name in seen:
                problems.append(f"{path}: struct {name} already declared in {seen[name]}")
            seen[name] = path
            if c_structs.get(name) != fields:
                problems.append(f"{path}: struct {name} differs from include/h2")
        for name, proto in prototypes(cdef):
            function_count += 1
            if name in seen:
                problems.append(f"{path}: {name} already declared in {seen[name]}")
            seen[name] = path
            if c_protos.get(name) != proto:
                problems.append(f"{path}: {name}: cdef '{proto}' vs header '{c_protos.get(name)}'")
    enums = c_enum_values(headers)
    constant_count = 0
    for module in CONSTANT_MODULES:
        for name, value in lua_constants((ROOT / module).read_text()):
            constant_count += 1
            c_name = "H2_" + name
            if c_name not in enums:
                problems.append(f"{module}: {name} restates no C constant ({c_name})")
            elif enums[c_name] != value:
                problems.append(f"{module}: {name} = {value} but {c_name} = {enums[c_name]}")
    for p in problems:
        print("check_lua_cdef: " + p, file=sys.stderr)
    if not problems:
        print(f"check_lua_cdef: {struct_count} structs, {function_count} functions "
              f"and {constant_count} constants agree with include/h2")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
