#!/usr/bin/env bash
# The benchmark suite: libh2 against its peers, side by side in one run,
# medians of N runs, one markdown table per section (bench/README.md).
#
#   bench/run_suite.sh [--runs N] [--perf] [--only LIST]
#
#   --runs N     repetitions of every measurement (default 3; medians)
#   --perf       also profile `h2 bench` on small GETs (perf record; top 15)
#   --only LIST  sections to run, comma-separated: gets,download,hpack,
#                memory,scaling (default all)
#
# Environment: BUILD_DIR (default /tmp/h2-bench-build, a Release build),
# H2_PEERS_DOCROOT (default /tmp/peers-docroot; made by
# tests/peers/make-docroot.sh when missing), OUT (the results file, default
# BUILD_DIR/results-DATE.md). Nothing is written into the source tree.
#
# It starts its own h2o with ONE worker thread on two free loopback ports
# (h2c and TLS, certificates from tests/peers/make-certs.sh), configuration
# and logs in a temporary directory, and stops it at the end. The fixed-port
# test peers are neither used nor touched.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
perf=0
only=gets,download,hpack,memory,scaling
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --perf) perf=1; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_suite: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "run_suite: bad --runs" >&2; exit 2; }
want() { [[ ",$only," == *",$1,"* ]]; }

build=${BUILD_DIR:-/tmp/h2-bench-build}
docroot=${H2_PEERS_DOCROOT:-/tmp/peers-docroot}
out=${OUT:-$build/results-$(date +%Y%m%d-%H%M%S).md}
for tool in h2load curl h2o cmake ninja python3; do
  command -v "$tool" >/dev/null || { echo "run_suite: '$tool' is not installed" >&2; exit 1; }
done
t_start=$(date +%s)

# ---- Build ---------------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DH2_BUILD_TESTS=OFF -DH2_INTEROP_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target h2 bench_hpack bench_memory >/dev/null
h2=$build/h2

work=$(mktemp -d /tmp/h2-suite.XXXXXX)
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
h2o_pid=""
cleanup() {
  stop_h2o
  rm -rf "$work"
}
trap cleanup EXIT

# ---- The server: h2o, one thread ---------------------------------------------
[ -f "$docroot/1g.bin" ] || bash "$root/tests/peers/make-docroot.sh" "$docroot" >/dev/null
bash "$root/tests/peers/make-certs.sh" "$work/certs" >/dev/null
mkdir -p "$work/gen"
truncate -s 100M "$work/gen/100m.bin"
read -r port_h2c port_tls < <(free_ports 2)
start_h2o "$work" "$docroot" "$port_h2c" "$port_tls" "$work/gen" || exit 1
ca=$work/certs/ca.pem
H2C=http://127.0.0.1:$port_h2c
TLS=https://localhost:$port_tls

# ---- Helpers -------------------------------------------------------------------
# Runs a command with its output in $work/last.out and prints "user sys" (the
# child's CPU seconds, from wait4, microsecond resolution).
cpu() { python3 "$root/bench/lib/cpu_of.py" "$work/last.out" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
emit() { echo "$*" | tee -a "$out"; }
fail_run() { echo "run_suite: $1 failed:" >&2; tail -20 "$work/last.out" >&2; exit 1; }

# h2 bench ARGS... -> "req/s user sys"; checks every request succeeded.
run_h2bench() {
  local n=$1
  shift
  read -r u s rc < <(cpu "$h2" bench --json -n "$n" "$@")
  [ "$rc" = 0 ] && grep -q "\"succeeded\":$n,\"failed\":0" "$work/last.out" || fail_run "h2 bench $*"
  echo "$(grep -o '"req_per_s":[0-9.]*' "$work/last.out" | cut -d: -f2) $u $s"
}
# h2load ARGS... -> "req/s user sys"; checks every request succeeded.
run_h2load() {
  local n=$1
  shift
  read -r u s rc < <(cpu h2load -n "$n" "$@")
  [ "$rc" = 0 ] && grep -q " $n succeeded, 0 failed" "$work/last.out" || fail_run "h2load $*"
  echo "$(awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i == "req/s,") print $(i - 1) }' "$work/last.out") $u $s"
}

{
  echo "# libh2 benchmark suite, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr). Server: h2o $(h2o --version 2>/dev/null | head -1 | awk '{print $3}'), 1 thread, loopback."
  echo "Peers: $(h2load --version 2>/dev/null | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)."
  echo "Medians of $runs runs; client CPU is user+sys of the client process (wait4)."
  echo
} | tee "$out"

# ---- 1. Small GETs --------------------------------------------------------------
if want gets; then
  emit "## 1. Small GETs (1k.bin), h2 bench vs h2load, against h2o (1 thread)"
  emit ""
  emit "| case | h2load req/s | h2 bench req/s | req/s ratio (target >= 1) | h2load us/req | h2 bench us/req | CPU ratio (target <= 0.7) | spec baseline (h2load) |"
  emit "|---|---:|---:|---:|---:|---:|---:|---|"
  n=100000
  for tr in h2c tls; do
    if [ $tr = h2c ]; then url=$H2C/1k.bin; else url=$TLS/1k.bin; fi
    for cm in "1 100" "8 10"; do
      read -r c m <<<"$cm"
      : >"$work/a" && : >"$work/b" && : >"$work/ac" && : >"$work/bc"
      for ((r = 0; r < runs; r++)); do
        read -r rps u s < <(run_h2load $n -c "$c" -m "$m" -t 1 "$url")
        echo "$rps" >>"$work/a"
        awk -v u="$u" -v s="$s" -v n=$n 'BEGIN { print (u + s) * 1e6 / n }' >>"$work/ac"
        read -r rps u s < <(run_h2bench $n -c "$c" -m "$m" -t 1 --cacert "$ca" "$url")
        echo "$rps" >>"$work/b"
        awk -v u="$u" -v s="$s" -v n=$n 'BEGIN { print (u + s) * 1e6 / n }' >>"$work/bc"
      done
      a=$(median <"$work/a"); b=$(median <"$work/b"); ac=$(median <"$work/ac"); bc=$(median <"$work/bc")
      base="-"
      [ "$tr$c" = h2c1 ] && base="386k req/s, 1.2 us/req"
      [ "$tr$c" = tls1 ] && base="308k req/s, 1.4 us/req"
      emit "| $tr -n $n -c $c -m $m | $(fmt "$a" %.0f) | $(fmt "$b" %.0f) | $(ratio "$b" "$a") | $(fmt "$ac" %.3f) | $(fmt "$bc" %.3f) | $(ratio "$bc" "$ac") | $base |"
    done
  done
  emit ""
fi

# ---- 2. 1 GiB download ------------------------------------------------------------
if want download; then
  emit "## 2. 1 GiB download (h2c, one stream): client CPU per GiB"
  emit ""
  emit "| client | user s/GiB | sys s/GiB | total s/GiB | total vs h2load | spec baseline |"
  emit "|---|---:|---:|---:|---:|---|"
  url=$H2C/1g.bin
  clients=("h2 get" "h2 bench" "h2load" "curl")
  for k in 0 1 2 3; do : >"$work/u$k" && : >"$work/s$k"; done
  for ((r = 0; r < runs; r++)); do
    for k in 0 1 2 3; do
      case $k in
        0) read -r u s rc < <(cpu "$h2" get -o /dev/null "$url") ;;
        1) read -r u s rc < <(cpu "$h2" bench -n 1 -c 1 "$url") ;;
        2) read -r u s rc < <(cpu h2load -n 1 -c 1 "$url") ;;
        3) read -r u s rc < <(cpu curl -s --http2-prior-knowledge -o /dev/null "$url") ;;
      esac
      [ "$rc" = 0 ] || fail_run "${clients[$k]} download"
      echo "$u" >>"$work/u$k"
      echo "$s" >>"$work/s$k"
    done
  done
  hu=$(median <"$work/u2"); hs=$(median <"$work/s2")
  hl=$(awk -v u="$hu" -v s="$hs" 'BEGIN { print u + s }')
  for k in 0 1 2 3; do
    u=$(median <"$work/u$k"); s=$(median <"$work/s$k")
    t=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
    base="-"
    [ $k = 2 ] && base="0.39 s/GiB"
    [ $k = 3 ] && base="0.41 s/GiB"
    [ $k -le 1 ] && base="target: <= h2load; user <= 0.05"
    emit "| ${clients[$k]} | $(fmt "$u" %.3f) | $(fmt "$s" %.3f) | $(fmt "$t" %.3f) | $(ratio "$t" "$hl") | $base |"
  done
  emit ""
fi

# ---- 3. HPACK ------------------------------------------------------------------------
if want hpack; then
  corpus=$build/hpack_stories
  [ -d "$corpus" ] || /usr/bin/python3 "$root/tools/gen_hpack_stories.py" --out "$corpus" >/dev/null
  : >"$work/hp"
  for ((r = 0; r < runs; r++)); do
    "$build/bench/hpack" --rounds 5 "$corpus" >"$work/last.out" 2>&1 || fail_run "bench/hpack"
    grep '^| \(decode ns\|encode ns\|encoded bytes\)' "$work/last.out" >>"$work/hp"
  done
  emit "## 3. HPACK ($(grep -o '[0-9]* fields' "$work/last.out" | head -1) of generated header sets; best of 5 rounds per run)"
  emit ""
  emit "| metric | libh2 | libnghttp2 (baseline) | ratio | target | spec baseline (libnghttp2) |"
  emit "|---|---:|---:|---:|---|---|"
  for metric in "decode ns/field" "encode ns/field" "encoded bytes"; do
    a=$(grep -F "| $metric |" "$work/hp" | awk -F'|' '{ print $3 + 0 }' | median)
    b=$(grep -F "| $metric |" "$work/hp" | awk -F'|' '{ print $4 + 0 }' | median)
    case $metric in
      "encoded bytes") emit "| $metric | $(fmt "$a" %.0f) | $(fmt "$b" %.0f) | $(ratio "$a" "$b") of libnghttp2's | <= 1 | 14.8% of list size |" ;;
      decode*) emit "| $metric | $(fmt "$a" %.1f) | $(fmt "$b" %.1f) | $(ratio "$b" "$a")x faster | >= 2x | 92 ns/field |" ;;
      encode*) emit "| $metric | $(fmt "$a" %.1f) | $(fmt "$b" %.1f) | $(ratio "$b" "$a")x faster | >= 1.5x | 83 ns/field |" ;;
    esac
  done
  emit ""
fi

# ---- 4. Memory -----------------------------------------------------------------------
if want memory; then
  emit "## 4. Memory: live heap of one client connection (deterministic: one run)"
  emit ""
  "$build/bench/memory" | tail -n +3 | tee -a "$out"
  emit ""
  emit "Spec baseline (libnghttp2): 25.6 KiB idle; +235 B per open stream at 100, +427 B at 1000."
  emit ""
fi

# ---- 5. Scaling ---------------------------------------------------------------------
if want scaling; then
  emit "## 5. Scaling: 10x the work costs at most 10x (h2 bench, h2c)"
  emit ""
  emit "| what | small | large (10x) | client CPU s small | client CPU s large | CPU ratio (target <= 10) | wall ratio |"
  emit "|---|---|---|---:|---:|---:|---:|"
  scale() { # label, small args (quoted), large args (quoted), n small, n large
    : >"$work/c1" && : >"$work/c2" && : >"$work/w1" && : >"$work/w2"
    for ((r = 0; r < runs; r++)); do
      for k in 1 2; do
        local args n
        if [ $k = 1 ]; then args=$2 n=$4; else args=$3 n=$5; fi
        # shellcheck disable=SC2086
        read -r rps u s < <(run_h2bench "$n" $args)
        awk -v u="$u" -v s="$s" 'BEGIN { print u + s }' >>"$work/c$k"
        awk -v n="$n" -v r="$rps" 'BEGIN { print n / r }' >>"$work/w$k"
      done
    done
    local c1 c2 w1 w2
    c1=$(median <"$work/c1"); c2=$(median <"$work/c2"); w1=$(median <"$work/w1"); w2=$(median <"$work/w2")
    emit "| $1 | \`$2 -n $4\` | \`$3 -n $5\` | $(fmt "$c1" %.3f) | $(fmt "$c2" %.3f) | $(ratio "$c2" "$c1") | $(ratio "$w2" "$w1") |"
  }
  scale "requests" "-c 1 -m 100 $H2C/1k.bin" "-c 1 -m 100 $H2C/1k.bin" 10000 100000
  scale "connections" "-c 1 -m 10 $H2C/1k.bin" "-c 10 -m 10 $H2C/1k.bin" 10000 100000
  scale "streams in flight" "-c 1 -m 10 $H2C/1k.bin" "-c 1 -m 100 $H2C/1k.bin" 100000 100000
  scale "body size" "-c 1 -m 1 $H2C/10m.bin" "-c 1 -m 1 $H2C/gen/100m.bin" 1 1
  emit ""
  emit "Requests, connections and body size: 10x the work, so a ratio near 10 is linear and"
  emit "below 10 means fixed costs amortised. Streams in flight: the same work, so near 1."
  emit ""
fi

# ---- Profile -----------------------------------------------------------------------
if [ $perf = 1 ]; then
  for tr in h2c tls; do
    if [ $tr = h2c ]; then url=$H2C/1k.bin; else url=$TLS/1k.bin; fi
    emit "## perf: h2 bench -n 200000 -c 1 -m 100, $tr (top 15 symbols, % of client samples)"
    emit ""
    perf record -q -F 4999 -o "$work/perf.data" "$h2" bench -n 200000 -c 1 -m 100 \
      --cacert "$ca" "$url" >/dev/null 2>&1
    emit '```'
    perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | awk 'NR <= 15 { sub(/[ -]+$/, ""); print }' | tee -a "$out"
    emit '```'
    emit ""
  done
fi

echo "Total time: $(($(date +%s) - t_start)) s. Results: $out" >&2
