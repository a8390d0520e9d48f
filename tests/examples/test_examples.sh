#!/usr/bin/env bash
# The programs of examples/ against the real peers (nghttpd, h2o, nginx
# over h2c and TLS) that the CTest fixture "peers" starts: each must exit
# 0 and print what it promises — status 200, and byte counts and digests
# that match the document root's files.
#
#   test_examples.sh EXAMPLES_DIR PEERS_RUNDIR
set -uo pipefail
bin=$1
rundir=$2
# shellcheck disable=SC1091
source "$rundir/peers.env"
docroot=$H2_PEERS_DOCROOT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

size_of() { stat -c %s "$docroot/$1"; }
sum_of() { awk -v f="$1" '$2 == f { print $1 }' "$docroot/SHA256SUMS"; }

# run NAME EXAMPLE ARGS...: runs one example, keeping its stdout and stderr
# in $out and $err; a non-zero exit fails the check at once.
run() {
  name=$1
  shift
  local prog=$1
  shift
  out=$work/out err=$work/err
  local rc=0
  "$bin/$prog" "$@" >"$out" 2>"$err" || rc=$?
  ((rc == 0)) && return 0
  bad "$name: $prog $* exited $rc"
  return 1
}
bad() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
  sed 's/^/  stdout: /' "$out" | head -20 >&2
  sed 's/^/  stderr: /' "$err" | head -20 >&2
}
# expect FILE LINE...: each LINE must be a whole line of FILE (expect_re:
# each a regular expression matching a whole line).
expect() { match -F "$@"; }
expect_re() { match -E "$@"; }
match() {
  local mode=$1 file=$2 line
  shift 2
  for line in "$@"; do
    if ! grep -qx "$mode" -- "$line" "$file"; then
      bad "$name: expected the line '$line'"
      return 1
    fi
  done
  passed=$((passed + 1))
}

# The tutorial's code is the examples' code: each block that
# docs/tutorial.md marks "<!-- from examples/X.c -->" must be lines of X.c,
# in order, at some indentation.
name="docs/tutorial.md blocks"
out=$work/out err=$work/err
if /usr/bin/python3 - "$(cd "$(dirname "$0")/../.." && pwd)" >"$out" 2>"$err" <<'EOF'; then
import re, sys
root = sys.argv[1]
doc = open(f"{root}/docs/tutorial.md").read().split("\n")
checked = failed = 0
i = 0
while i < len(doc):
    m = re.fullmatch(r"<!-- from (\S+) -->", doc[i])
    if not m:
        i += 1
        continue
    j = i + 2
    block = []
    while j < len(doc) and doc[j] != "```":
        block.append(doc[j])
        j += 1
    src = open(f"{root}/{m.group(1)}").read().split("\n")
    def fits(k):
        indent = src[k][: len(src[k]) - len(src[k].lstrip())]
        return all(k + n < len(src) and src[k + n] == (indent + b if b else "")
                   for n, b in enumerate(block))
    if doc[i + 1] != "```c" or not block or not any(
            s.strip() == block[0].strip() and fits(k) for k, s in enumerate(src)):
        print(f"docs/tutorial.md:{i + 1}: the block is not a part of {m.group(1)}")
        failed += 1
    checked += 1
    i = j
print(f"{checked} blocks checked")
sys.exit(1 if failed or not checked else 0)
EOF
  passed=$((passed + 1))
else
  bad "$name: they differ from the examples"
fi

plain_h2c=("nghttpd $H2_PEER_NGHTTPD_H2C" "h2o $H2_PEER_H2O_H2C" "nginx $H2_PEER_NGINX_H2C")
plain_tls=("nghttpd $H2_PEER_NGHTTPD_TLS" "h2o $H2_PEER_H2O_TLS" "nginx $H2_PEER_NGINX_TLS")

# get_h2c / get_tls: one GET each, the whole body in memory.
for entry in "${plain_h2c[@]}"; do
  read -r server port <<<"$entry"
  for f in 0.bin 16k.bin 1m.bin; do
    run "get_h2c $server $f" get_h2c "http://127.0.0.1:$port/$f" &&
      expect "$out" "status: 200" "content-length: $(size_of "$f")" "body: $(size_of "$f") bytes"
  done
done
for entry in "${plain_tls[@]}"; do
  read -r server port <<<"$entry"
  run "get_tls $server" get_tls "https://localhost:$port/1m.bin" "$H2_PEERS_CA" &&
    expect "$out" "status: 200" "body: $(size_of 1m.bin) bytes"
done
# Without the test CA the system store cannot trust the server: exit 1 and
# a verification error naming the reason.
name="get_tls untrusted"
if "$bin/get_tls" "https://localhost:$H2_PEER_H2O_TLS/1k.bin" >"$work/out" 2>"$work/err"; then
  out=$work/out err=$work/err
  bad "$name: succeeded without the CA"
elif grep -q "certificate verif" "$work/err"; then
  passed=$((passed + 1))
else
  out=$work/out err=$work/err
  bad "$name: no certificate verification error"
fi

# many_requests: 100 GETs on one connection, also where the server allows
# only 10 concurrent streams (the rest wait for a free stream).
for entry in "${plain_h2c[@]}" "nghttpd-max10 $H2_PEER_NGHTTPD_MAXSTREAMS10_H2C" \
             "nginx-max10 $H2_PEER_NGINX_MAXSTREAMS10_H2C"; do
  read -r server port <<<"$entry"
  n=100 size=$(size_of 16k.bin)
  run "many_requests $server" many_requests "http://127.0.0.1:$port/16k.bin" $n &&
    expect "$out" "$n requests to http://127.0.0.1:$port/16k.bin: $n completed, 0 failed" \
      "status 200: $n" "body bytes: $((n * size)) in all, $size to $size per response" \
      "connections: 1"
done
run "many_requests nginx tls" many_requests "https://localhost:$H2_PEER_NGINX_TLS/1k.bin" 50 \
  "$H2_PEERS_CA" &&
  expect "$out" "status 200: 50" "body bytes: $((50 * 1024)) in all, 1024 to 1024 per response" \
    "connections: 1"

# upload: the body streamed from a file; the servers echo it back or hash it.
run "upload nginx sha256" upload "http://127.0.0.1:$H2_PEER_NGINX_H2C/sha256" "$docroot/1m.bin" &&
  expect "$out" "$(sum_of 1m.bin)  1048576" &&
  expect "$err" "status: 200"
run "upload nginx tls sha256" upload "https://localhost:$H2_PEER_NGINX_TLS/sha256" \
  "$docroot/10m.bin" "$H2_PEERS_CA" &&
  expect "$out" "$(sum_of 10m.bin)  10485760"
for entry in "h2o $H2_PEER_H2O_H2C /echo" "nghttpd $H2_PEER_NGHTTPD_H2C /echo" \
             "nginx $H2_PEER_NGINX_H2C /echo"; do
  read -r server port path <<<"$entry"
  name="upload $server echo"
  if run "$name" upload "http://127.0.0.1:$port$path" "$docroot/1m.bin"; then
    if [ "$(sha256sum <"$out" | cut -d' ' -f1)" = "$(sum_of 1m.bin)" ]; then
      expect_re "$err" "status: 200" \
        "sent 1048576 bytes in [0-9]+ reads \(0 rewinds\), received 1048576 bytes"
    else
      bad "$name: the echoed body differs from 1m.bin ($(stat -c %s "$out") bytes)"
    fi
  fi
done
run "upload empty file" upload "http://127.0.0.1:$H2_PEER_NGINX_H2C/sha256" "$docroot/0.bin" &&
  expect "$out" "$(sum_of 0.bin)  0"

# conn_memory_io: the sans-I/O core on a blocking socket.
for entry in "${plain_h2c[@]}" "nghttpd-max10 $H2_PEER_NGHTTPD_MAXSTREAMS10_H2C"; do
  read -r server port <<<"$entry"
  paths=(/1k.bin /16k.bin /1m.bin /10m.bin /index.html)
  for i in $(seq 1 12); do paths+=("/16k.bin?$i"); done
  run "conn_memory_io $server" conn_memory_io 127.0.0.1 "$port" "${paths[@]}" &&
    expect "$out" "/1k.bin: status 200, 1024 bytes" "/16k.bin: status 200, 16384 bytes" \
      "/1m.bin: status 200, 1048576 bytes" "/10m.bin: status 200, 10485760 bytes" \
      "/index.html: status 200, $(size_of index.html) bytes" \
      "/16k.bin?12: status 200, 16384 bytes" &&
    expect_re "$out" "${#paths[@]} of ${#paths[@]} streams complete, [0-9]+ retried"
done
run "conn_memory_io 404" conn_memory_io 127.0.0.1 "$H2_PEER_H2O_H2C" /no-such-file &&
  expect "$out" "1 of 1 streams complete, 0 retried" &&
  if ! grep -q '^/no-such-file: status 404, ' "$out"; then bad "$name: expected status 404"; fi

echo "examples: $passed passed, $failed failed"
((failed == 0))
