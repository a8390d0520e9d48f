#!/usr/bin/env bash
# The resty.http2 benchmark: worker CPU of ONE nginx worker running the
# binding against its own h2o (one thread), medians of N runs, a markdown
# table with the pure-Lua seed's figures (../shared/spec/performance.md)
# and references measured in the same run (bench/README.md).
#
#   bench/lua/run.sh [--runs N] [--only LIST] [--perf CASE]
#
#   --runs N     repetitions (default 3; the table shows medians)
#   --only LIST  cases, comma-separated: fresh (with the seed's keepalive
#                reuse), kept, threads, pool, download
#   --perf CASE  also `perf record` the worker during one run of CASE
#                (fresh, kept, threads, download) and print its top symbols
#
# Environment: BUILD_DIR (default /tmp/h2-lua-bench-build, a Release build
# of libh2.so), H2_PEERS_DOCROOT (default /tmp/peers-docroot), OUT (the
# results file, default BUILD_DIR/lua-results-DATE.md). Ports are free
# ephemeral ones from the kernel; nothing is written into the source tree.
# For experiments: H2_BENCH_EXTRA (appended to every /bench query, e.g.
# "&window=N&frame=N&jitv=FILE", or "&jitp=Fl" for LuaJIT's profiler, its
# reports left in BUILD_DIR/jitp.CASE), H2_BENCH_NGINX_HTTP (directives for the
# default nginx's http block), H2_BENCH_STRACE (a /bench query run once
# under strace -c, e.g. "case=fresh&n=1000").
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
runs=3
only=fresh,kept,threads,pool,download
perf_case=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --perf) perf_case=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lua bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "lua bench: bad --runs" >&2; exit 2; }
want() { [[ ",$only," == *",$1,"* ]]; }
export PATH="$PATH:/usr/sbin:/sbin"
for tool in h2o nginx h2load curl cmake ninja python3; do
  command -v "$tool" >/dev/null || { echo "lua bench: '$tool' is not installed" >&2; exit 1; }
done
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] ||
  { echo "lua bench: libnginx-mod-http-lua is not installed" >&2; exit 1; }

build=${BUILD_DIR:-/tmp/h2-lua-bench-build}
docroot=${H2_PEERS_DOCROOT:-/tmp/peers-docroot}
out=${OUT:-$build/lua-results-$(date +%Y%m%d-%H%M%S).md}

# ---- Build: the shared library the binding loads -----------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DH2_BUILD_TESTS=OFF -DH2_INTEROP_TESTS=OFF -DH2_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target h2_shared >/dev/null
[ -f "$build/lua/resty/http2/libpath.lua" ] || { echo "lua bench: no libpath.lua in $build" >&2; exit 1; }

work=$(mktemp -d /tmp/h2-lua-bench.XXXXXX)
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
h2o_pid=""
declare -A nginx_pids=() nginx_ports=()
cleanup() {
  local pid
  for pid in "${nginx_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_h2o
  wait 2>/dev/null || true
  # Profiles asked for with H2_BENCH_EXTRA="&jitp=MODE" outlive the run.
  cp "$work"/nginx-*/jitp.* "$build"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -f "$docroot/1g.bin" ] || bash "$root/tests/peers/make-docroot.sh" "$docroot" >/dev/null
bash "$root/tests/peers/make-certs.sh" "$work/certs" >/dev/null
ca=$work/certs/ca.pem
read -r port_h2c port_tls port_nginx port_nginx_tuned < <(free_ports 4)

# ---- The server: h2o, one thread, h2c and TLS --------------------------------
start_h2o "$work" "$docroot" "$port_h2c" "$port_tls" || exit 1

# ---- The client: nginx, ONE worker (master_process off: the one process is
# the worker, so its /proc entry is the worker's), the Lua module. Two of
# them, one at a time busy: "default" with nginx's defaults, and "tuned" with
# lua_socket_buffer_size 128k (the cosocket's read buffer; at the default
# 4 KiB every 16 KiB DATA frame takes four reads), used for the download.
# start_nginx NAME PORT EXTRA_HTTP_DIRECTIVES -> sets nginx_pids[NAME]
start_nginx() {
  local dir=$work/nginx-$1
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections 1024; }
http {
    access_log off;
    lua_package_path "$build/lua/?.lua;$root/lua/?.lua;/usr/share/lua/5.1/?.lua;/usr/share/luajit-2.1.0-beta3/?.lua;;";
    lua_socket_log_errors off;
    $3
    server {
        listen 127.0.0.1:$2;
        location = /bench { content_by_lua_file $root/bench/lua/bench.lua; }
        location = /pool { content_by_lua_file $root/bench/lua/pool.lua; }
        location = /noop { content_by_lua_block { ngx.say("ok 1024") } }
    }
}
CONF
  nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
  nginx_pids[$1]=$!
  nginx_ports[$1]=$2
}
start_nginx default "$port_nginx" "${H2_BENCH_NGINX_HTTP:-}"
start_nginx tuned "$port_nginx_tuned" "lua_socket_buffer_size 128k;"
# use_nginx NAME: the instance the helpers below measure.
use_nginx() {
  nginx_pid=${nginx_pids[$1]}
  nginx_dir=$work/nginx-$1
  NGINX=http://127.0.0.1:${nginx_ports[$1]}
}

for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port_nginx/noop" &&
    curl -s -o /dev/null "http://127.0.0.1:$port_nginx_tuned/noop" && break
  sleep 0.1
done
for name in default tuned; do
  curl -sf -o /dev/null "http://127.0.0.1:${nginx_ports[$name]}/noop" ||
    { echo "lua bench: nginx ($name) did not start:" >&2; cat "$work/nginx-$name/logs/error.log" >&2; exit 1; }
done
use_nginx default

# ---- Helpers -------------------------------------------------------------------
hz=$(getconf CLK_TCK)
# The worker's user + system CPU seconds so far (/proc/PID/stat fields 14, 15).
worker_cpu() { sed 's/^.*) //' "/proc/$nginx_pid/stat" | awk -v hz="$hz" '{ printf "%.4f", ($12 + $13) / hz }'; }
worker_user() { sed 's/^.*) //' "/proc/$nginx_pid/stat" | awk -v hz="$hz" '{ printf "%.4f", $12 / hz }'; }
worker_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$nginx_pid/status"; }
# A command's own CPU (user + sys seconds, from wait4), its output in $work/last.out.
cpu_of() { python3 "$root/bench/lib/cpu_of.py" "$work/last.out" "$@" | awk '{ printf "%.6f %d\n", $1 + $2, $3 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
emit() { echo "$*" | tee -a "$out"; }
fail() { echo "lua bench: $1" >&2; tail -n 20 "$nginx_dir/logs/error.log" >&2; exit 1; }

# bench_page QUERY -> "worker_cpu_s wall_s requests bytes worker_user_s";
# fails the run on any failed request.
bench_page() {
  local before after line user_before user_after
  before=$(worker_cpu)
  user_before=$(worker_user)
  line=$(curl -s --max-time 600 "$NGINX/bench?$1${H2_BENCH_EXTRA:-}")
  after=$(worker_cpu)
  user_after=$(worker_user)
  [[ $line == ok* ]] || fail "/bench?$1: $line"
  local requests bytes seconds
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  bytes=$(sed 's/.*bytes=\([0-9]*\).*/\1/' <<<"$line")
  seconds=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
  echo "$(calc %.4f "$after - $before") $seconds $requests $bytes $(calc %.4f "$user_after - $user_before")"
}
# h2load_ref ARGS... -> "client_cpu_s req_per_s"; every request must succeed.
h2load_ref() {
  local n=$1 cpu rc
  shift
  read -r cpu rc < <(cpu_of h2load -n "$n" "$@")
  if [ "$rc" != 0 ] || ! grep -q " $n succeeded, 0 failed" "$work/last.out"; then
    cat "$work/last.out" >&2
    fail "h2load $*"
  fi
  echo "$cpu $(awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i == "req/s,") print $(i - 1) }' "$work/last.out")"
}

h2c="port=$port_h2c"
tls="port=$port_tls&tls=1&ca=$ca"
n_fresh=5000
n_kept=20000
n_threads=50000
n_pool=20000
declare -A samples
add() { samples[$1]+="$2 "; }
med() { tr ' ' '\n' <<<"${samples[$1]:-}" | grep . | median; }

echo "lua bench: h2o on $port_h2c (h2c) and $port_tls (TLS), nginx worker pid $nginx_pid on $port_nginx; $runs runs" >&2
for run in $(seq "$runs"); do
  echo "lua bench: run $run of $runs" >&2
  if want fresh; then
    read -r c w r _ u < <(bench_page "case=fresh&$h2c&n=$n_fresh")
    add fresh_us "$(calc %.2f "$c / $r * 1e6")"; add fresh_rps "$(calc %.0f "$r / $w")"
    add fresh_user_us "$(calc %.2f "$u / $r * 1e6")"
    read -r c w r b u < <(bench_page "case=floor&$h2c&n=$n_fresh")
    [ "$b" = $((n_fresh * 1024)) ] || fail "floor: $b bytes"
    add floor_us "$(calc %.2f "$c / $r * 1e6")"; add floor_user_us "$(calc %.2f "$u / $r * 1e6")"
    read -r c w r _ u < <(bench_page "case=keepalive&$h2c&n=$n_kept")
    add keepalive_us "$(calc %.2f "$c / $r * 1e6")"; add keepalive_rps "$(calc %.0f "$r / $w")"
    add keepalive_user_us "$(calc %.2f "$u / $r * 1e6")"
  fi
  if want kept; then
    for t in h2c tls; do
      q=$h2c; [ $t = tls ] && q=$tls
      read -r c w r _ < <(bench_page "case=kept&$q&n=$n_kept")
      add kept_${t}_us "$(calc %.2f "$c / $r * 1e6")"; add kept_${t}_rps "$(calc %.0f "$r / $w")"
    done
    read -r c rps < <(h2load_ref "$n_kept" -c 1 -m 1 "http://127.0.0.1:$port_h2c/1k.bin")
    add ref_kept_us "$(calc %.2f "$c / $n_kept * 1e6")"; add ref_kept_rps "$rps"
  fi
  if want threads; then
    for t in h2c tls; do
      q=$h2c; [ $t = tls ] && q=$tls
      read -r c w r _ < <(bench_page "case=threads&$q&n=$n_threads&threads=100")
      add threads_${t}_us "$(calc %.2f "$c / $r * 1e6")"; add threads_${t}_rps "$(calc %.0f "$r / $w")"
    done
    read -r c rps < <(h2load_ref "$n_threads" -c 1 -m 100 "http://127.0.0.1:$port_h2c/1k.bin")
    add ref_threads_us "$(calc %.2f "$c / $n_threads * 1e6")"; add ref_threads_rps "$rps"
  fi
  if want pool; then
    # Many concurrent HTTP/1.1 clients of nginx, each request one pool.request;
    # /noop is the same client load without the upstream request, so the
    # difference is what the pool and the binding cost.
    for page in noop pool; do
      url="$NGINX/$page"; [ $page = pool ] && url="$NGINX/pool?url=http://127.0.0.1:$port_h2c/1k.bin"
      before=$(worker_cpu)
      read -r _ rps < <(h2load_ref "$n_pool" --h1 -c 50 "$url")
      after=$(worker_cpu)
      add ${page}_us "$(calc %.2f "($after - $before) / $n_pool * 1e6")"; add ${page}_rps "$rps"
    done
  fi
  if want download; then
    for inst in default tuned; do
      use_nginx "$inst"
      for t in h2c tls; do
        q=$h2c; [ $t = tls ] && q=$tls
        read -r c w r b u < <(bench_page "case=download&$q&path=/1g.bin")
        [ "$b" = 1073741824 ] || fail "download $t: $b bytes"
        add dl_${inst}_${t} "$c"; add dl_${inst}_${t}_user "$u"
        add dl_${inst}_${t}_mbs "$(calc %.0f "$b / $w / 1048576")"
      done
      read -r c w r b u < <(bench_page "case=floor_download&$h2c&path=/1g.bin&mode=frames")
      [ "$b" = 1073741824 ] || fail "floor download: $b bytes"
      add floor_dl_${inst} "$c"; add floor_dl_${inst}_user "$u"
    done
    use_nginx default
    read -r c _ < <(h2load_ref 1 -c 1 "http://127.0.0.1:$port_h2c/1g.bin"); add ref_dl_h2load_h2c "$c"
    read -r c rc < <(cpu_of curl -s --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$port_h2c/1g.bin")
    [ "$rc" = 0 ] || fail "curl h2c download"; add ref_dl_curl_h2c "$c"
    read -r c _ < <(h2load_ref 1 -c 1 "https://localhost:$port_tls/1g.bin"); add ref_dl_h2load_tls "$c"
    read -r c rc < <(cpu_of curl -s --cacert "$ca" --resolve "localhost:$port_tls:127.0.0.1" -o /dev/null "https://localhost:$port_tls/1g.bin")
    [ "$rc" = 0 ] || fail "curl TLS download"; add ref_dl_curl_tls "$c"
  fi
done

if [ -n "${H2_BENCH_STRACE:-}" ]; then
  strace -c -f -p "$nginx_pid" -o "$work/strace.out" &
  strace_pid=$!
  sleep 0.5
  curl -s --max-time 600 "$NGINX/bench?$H2_BENCH_STRACE&port=$port_h2c" >/dev/null
  kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
  head -25 "$work/strace.out" >&2
fi
if [ -n "$perf_case" ]; then
  command -v perf >/dev/null || fail "perf is not installed"
  q="case=$perf_case&$h2c&n=$n_kept"
  [ "$perf_case" = download ] && q="case=download&$h2c&path=/1g.bin"
  [ "$perf_case" = fresh ] && q="case=fresh&$h2c&n=$n_fresh"
  perf record -q ${H2_BENCH_PERF_EVENT:+-e "$H2_BENCH_PERF_EVENT"} -p "$nginx_pid" -o "$work/perf.data" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
  curl -s --max-time 600 "$NGINX/bench?$q" >/dev/null
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  { perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null |
      grep -v '^#' | grep '%' | head -8 || true
    perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
      grep -v '^#' | grep -v kernel | grep '%' | head -25 || true
  } >"$work/perf.top"
fi

# ---- The table -------------------------------------------------------------------
pct() { calc %.2f "$1 / $2"; }
emit ""
emit "### resty.http2 in one nginx worker against h2o (1 thread), medians of $runs runs, $(date -u +%Y-%m-%dT%H:%MZ)"
emit ""
emit "Worker CPU is user + system of the nginx worker from /proc/PID/stat (10 ms ticks, taken over the"
emit "whole case). Reference clients' CPU is their own, from wait4, against the same h2o in the same run."
emit ""
emit "| case | resty.http2 on libh2 | seed (spec) | target | ratio to seed | reference, same run |"
emit "|---|---:|---:|---:|---:|---|"
if want fresh; then
  v=$(med fresh_us)
  emit "| (a) GET 1k.bin, fresh connection per request, h2c: worker CPU/request | $v µs, user $(med fresh_user_us) ($(med fresh_rps) req/s) | ~160 µs (~4.3k req/s) | ≤ 32 µs | $(pct "$v" 160) | raw cosocket floor (prepared request bytes, no library): $(med floor_us) µs, user $(med floor_user_us) |"
  v=$(med keepalive_us)
  emit "| (a) same, the seed's README reuse (per request: a cosocket from a pool of one, http2.new{key=}, setkeepalive, keepalive(key)) | $v µs, user $(med keepalive_user_us) ($(med keepalive_rps) req/s) | fails after 128 requests | ≤ 32 µs | $(pct "$v" 160) | - |"
fi
if want kept; then
  emit "| (b) GET 1k.bin, sequential on one kept session, h2c: CPU/request | $(med kept_h2c_us) µs ($(med kept_h2c_rps) req/s) | fails after 128 requests | unlimited | - | h2load -c 1 -m 1: $(med ref_kept_us) µs ($(med ref_kept_rps) req/s) |"
  emit "| (b) same, TLS | $(med kept_tls_us) µs ($(med kept_tls_rps) req/s) | no TLS | - | - | - |"
fi
if want threads; then
  emit "| (c) 100 light threads on one connection, h2c: CPU/request | $(med threads_h2c_us) µs ($(med threads_h2c_rps) req/s) | one stream at a time | 100 multiplexed | - | h2load -c 1 -m 100: $(med ref_threads_us) µs ($(med ref_threads_rps) req/s) |"
  emit "| (c) same, TLS | $(med threads_tls_us) µs ($(med threads_tls_rps) req/s) | no TLS | - | - | - |"
fi
if want pool; then
  p=$(med pool_us); z=$(med noop_us)
  emit "| (d) pool.request from 50 concurrent HTTP/1.1 clients (h2load --h1), h2c: worker CPU/request | $p µs ($(med pool_rps) req/s); pool's share $(calc %.2f "$p - $z") µs | no pool | - | - | same clients on a Lua page with no upstream: $z µs ($(med noop_rps) req/s) |"
fi
if want download; then
  for inst in default tuned; do
    label="nginx defaults"; [ $inst = tuned ] && label="lua_socket_buffer_size 128k"
    v=$(med dl_${inst}_h2c)
    emit "| (e) 1 GiB download, h2c, $label: worker CPU-s/GiB | $v s, user $(med dl_${inst}_h2c_user) ($(med dl_${inst}_h2c_mbs) MiB/s) | 0.9–1.0 s | ≤ 0.45–0.5 s | $(pct "$v" 0.95) | raw cosocket floor in the same nginx (prepared request, frames read and dropped, no flow control): $(med floor_dl_${inst}) s, user $(med floor_dl_${inst}_user); h2load $(med ref_dl_h2load_h2c) s, curl $(med ref_dl_curl_h2c) s |"
    v=$(med dl_${inst}_tls)
    emit "| (e) 1 GiB download, TLS, $label: worker CPU-s/GiB | $v s, user $(med dl_${inst}_tls_user) ($(med dl_${inst}_tls_mbs) MiB/s) | no TLS | - | - | h2load $(med ref_dl_h2load_tls) s, curl $(med ref_dl_curl_tls) s |"
  done
fi
emit ""
emit "Worker RSS at the end: $(worker_rss_kib) KiB."
if [ -n "$perf_case" ]; then
  emit ""
  emit "perf, worker, case $perf_case (self time by dso and symbol):"
  emit '```'
  while IFS= read -r l; do emit "$l"; done <"$work/perf.top"
  emit '```'
fi
for name in default tuned; do
  use_nginx "$name"
  if grep -qE '\[(alert|crit|emerg)\]' "$nginx_dir/logs/error.log"; then fail "nginx ($name) logged alerts"; fi
done
echo "lua bench: results in $out" >&2
