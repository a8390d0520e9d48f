#!/usr/bin/env bash
# Runs the HPACK benchmark three times on the generated story corpus and
# prints the table each time. The corpus is generated into the build
# directory on first use (it is ~12 MB and never goes into git).
#
#   bench/run_hpack.sh                 build-bench/, 5 rounds per run
#   BUILD_DIR=build-x ROUNDS=10 bench/run_hpack.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
rounds=${ROUNDS:-5}
corpus=$build/hpack_stories

if [ ! -f "$build/CMakeCache.txt" ]; then
  # Only what the benchmark needs, so unrelated parts cannot break it.
  cmake -S "$root" -B "$build" -G Ninja -DH2_BUILD_TESTS=OFF \
    -DH2_BUILD_CLI=OFF -DH2_INTEROP_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target bench_hpack >/dev/null

if [ ! -d "$corpus" ]; then
  # Debian's python3-hpack is installed for /usr/bin/python3 only.
  /usr/bin/python3 "$root/tools/gen_hpack_stories.py" --out "$corpus"
fi

for run in 1 2 3; do
  echo "## Run $run"
  echo
  "$build/bench/hpack" --rounds "$rounds" "$corpus"
  echo
done
