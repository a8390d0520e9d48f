#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks the generated
# tables, then builds and tests with gcc, with clang, and with clang under
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs every fuzz target
# briefly. Ends with one line "N passed, M failed".
#
#   scripts/test.sh            everything
#   FUZZ_SECONDS=60 scripts/test.sh   longer fuzz runs
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${H2_BUILD_ROOT:-$root/build-test}
fuzz_seconds=${FUZZ_SECONDS:-15}
passed=0
failed=0
failures=()

note() { printf '\n=== %s\n' "$*"; }
record() { # name, exit status
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

bash scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

note "generated tables are up to date"
/usr/bin/python3 tools/gen_huffman.py --check && /usr/bin/python3 tools/gen_static_table.py --check
record "generated-tables" $?

note "the Lua binding's FFI declarations match the C headers"
/usr/bin/python3 tools/check_lua_cdef.py
record "lua-cdef" $?

# Builds one configuration and runs its CTest suite; each CTest test
# counts as one result.
build_and_test() { # name, compiler, extra cmake args...
  local name=$1 cc=$2
  shift 2
  note "build and test: $name"
  if ! CC=$cc cmake -S . -B "$out/$name" -G Ninja "$@" >"$out/$name.configure.log" 2>&1 ||
     ! cmake --build "$out/$name" >"$out/$name.build.log" 2>&1; then
    cat "$out/$name.configure.log" "$out/$name.build.log" 2>/dev/null | tail -40
    record "$name-build" 1
    return
  fi
  ctest --test-dir "$out/$name" --output-on-failure -j2 | tee "$out/$name.ctest.log"
  local total fails
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$out/$name.ctest.log" | tail -1)
  fails=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$out/$name.ctest.log" | tail -1)
  if [ -z "$total" ]; then record "$name-ctest" 1; return; fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
  ((fails == 0)) || failures+=("$name: $fails CTest failures")
}

mkdir -p "$out"
# The real servers' document root (1 GiB of test content) is made once and
# shared by every build tree.
export H2_PEERS_DOCROOT="$out/docroot"
build_and_test gcc gcc
# clang builds everything with its own warnings; the servers are exercised
# by the gcc and sanitizer runs.
build_and_test clang clang -DH2_PEER_TESTS=OFF
build_and_test asan clang -DH2_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DH2_BUILD_BENCH=OFF

note "fuzz targets, ${fuzz_seconds}s each"
bash scripts/fuzz.sh "$fuzz_seconds"
record "fuzz" $?

note "summary"
for f in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
