#!/usr/bin/env bash
# `h2 bench` counts correctly against the real servers (the peers fixture):
# every response complete, 404s under 4xx, request bodies, several threads,
# GOAWAY reconnects, and clear failures. Nothing is timed.
#
#   test_bench_peers.sh H2_BINARY PEERS_RUNDIR
set -u
h2=$1
source "$2/peers.env"
fails=0
body=$(mktemp)
trap 'rm -f "$body"' EXIT
head -c 3000 /dev/urandom >"$body"
expect() { # description, wanted exit status, patterns..., --, command...
  local what=$1 want=$2 out rc pats=()
  shift 2
  while [ "$1" != -- ]; do pats+=("$1"); shift; done
  shift
  out=$("$@" 2>&1); rc=$?
  local ok=1
  [ "$rc" = "$want" ] || ok=0
  for p in "${pats[@]}"; do grep -qF -- "$p" <<<"$out" || ok=0; done
  if [ $ok = 1 ]; then echo "ok: $what"; else
    fails=$((fails + 1)); echo "FAIL: $what (exit $rc, wanted $want)"; echo "$out"; fi
}
done2000="requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored"
expect "nghttpd h2c" 0 "$done2000" "2000 2xx" "2048000 of data" -- \
  "$h2" bench -n 2000 -c 2 -m 50 "http://127.0.0.1:$H2_PEER_NGHTTPD_H2C/1k.bin"
expect "nginx TLS" 0 "$done2000" "2000 2xx" "2048000 of data" -- \
  "$h2" bench -n 2000 -c 2 -m 50 --cacert "$H2_PEERS_CA" "https://localhost:$H2_PEER_NGINX_TLS/1k.bin"
expect "h2o TLS, 2 threads" 0 "$done2000" "2048000 of data" -- \
  "$h2" bench -n 2000 -c 4 -m 50 -t 2 --cacert "$H2_PEERS_CA" "https://localhost:$H2_PEER_H2O_TLS/1k.bin"
expect "404 under 4xx" 0 "300 done, 0 succeeded, 300 failed, 0 errored" \
  "0 2xx, 0 3xx, 300 4xx, 0 5xx" -- \
  "$h2" bench -n 300 -c 2 -m 50 "http://127.0.0.1:$H2_PEER_NGINX_H2C/no-such-file"
expect "POST bodies echoed" 0 "200 done, 200 succeeded, 0 failed" "600000 of data" -- \
  "$h2" bench -n 200 -c 1 -m 20 -d "$body" "http://127.0.0.1:$H2_PEER_NGHTTPD_H2C/echo"
expect "1 MiB bodies, 5 streams per connection" 0 "40 done, 40 succeeded, 0 failed" \
  "41943040 of data" -- \
  "$h2" bench -n 40 -c 2 -m 5 -d "$H2_PEERS_DOCROOT/1m.bin" "http://127.0.0.1:$H2_PEER_NGINX_H2C/echo"
expect "JSON summary" 0 '"succeeded":500,"failed":0' -- \
  "$h2" bench --json -n 500 -c 1 -m 10 "http://127.0.0.1:$H2_PEER_H2O_H2C/1k.bin"
expect "stream limit 10, 100 in flight" 0 "1000 done, 1000 succeeded" -- \
  "$h2" bench -n 1000 -c 1 -m 100 "http://127.0.0.1:$H2_PEER_NGINX_MAXSTREAMS10_H2C/1k.bin"
expect "GOAWAY after 100: reconnects" 0 "1000 done, 1000 succeeded, 0 failed, 0 errored" -- \
  "$h2" bench -n 1000 -c 1 -m 10 "http://127.0.0.1:$H2_PEER_NGINX_GOAWAY100_H2C/1k.bin"
expect "untrusted certificate" 60 "0 done" -- \
  "$h2" bench -n 10 --cacert "$H2_PEERS_CA" "https://localhost:$H2_PEER_NGHTTPD_UNTRUSTED_TLS/1k.bin"
expect "connection refused" 7 "cannot connect" -- \
  "$h2" bench -n 10 "http://127.0.0.1:1/"
exit $((fails > 0))
