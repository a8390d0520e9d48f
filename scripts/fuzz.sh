#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for N
# seconds (default 20) on a working copy of its seed corpus, so the seeds in
# the tree are not changed. Run for as long as wanted: scripts/fuzz.sh 3600
# FUZZ_MERGE=1 scripts/fuzz.sh 3600 also minimizes what each run found into
# fuzz/corpus/<target>/ (-merge=1), for review before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${H2_FUZZ_BUILD:-build-fuzz}
CC=clang cmake -S . -B "$build" -G Ninja -DH2_FUZZ=ON -DH2_SANITIZE=ON \
  -DH2_BUILD_TESTS=OFF -DH2_BUILD_CLI=OFF -DH2_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in frame hpack_decode hpack_roundtrip huffman client_session; do
  mkdir -p "$work/$target"
  cp -r "fuzz/corpus/$target/." "$work/$target/" 2>/dev/null || true
  echo "fuzz_$target: ${seconds}s"
  if ! "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$work/" "$work/$target" >"$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log"
    echo "fuzz_$target: FAILED (artifact kept in $build/fuzz-artifacts)"
    mkdir -p "$build/fuzz-artifacts" && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$build/fuzz-artifacts/" 2>/dev/null || true
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$work/$target.log" | tail -2
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then
      "$build/fuzz/fuzz_$target" -merge=1 "fuzz/corpus/$target" "$work/$target" \
        >"$work/$target.merge.log" 2>&1 && echo "fuzz_$target: merged into fuzz/corpus/$target"
    fi
  fi
done
exit $status
