#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds the HPACK example
# against the installed headers and shared library through pkg-config, the
# way a user would, and checks what it prints.
set -euo pipefail
build=$1 source=$2 cc=${3:-cc} extra_flags=${4:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc_dir=$(dirname "$(find "$prefix" -name libh2.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs libh2)
libdir=$(PKG_CONFIG_PATH=$pc_dir pkg-config --variable=libdir libh2)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Werror $extra_flags "$source/examples/hpack_round_trip.c" $flags \
  -Wl,-rpath,"$libdir" -o "$prefix/example"
out=$("$prefix/example")
echo "$out"
grep -q "round 2: 6 fields in " <<<"$out"
grep -q "authorization: Bearer secret  (never indexed)" <<<"$out"
# Only the documented API is exported from the shared library.
if nm -D --defined-only "$libdir/libh2.so" | awk '$2 == "T" {print $3}' | grep -v '^h2_'; then
  echo "unexpected exported symbols" >&2
  exit 1
fi
echo "install test passed"
