#!/usr/bin/env bash
# `h2 get` against real servers: nghttpd, h2o and nginx, each over h2c and
# TLS, started by the CTest fixture "peers" (tests/peers). Every check
# compares what arrived with the document root's SHA-256 sums or with the
# server's own answer, and checks the exit status.
#
#   test_get_peers.sh H2_BINARY PEERS_RUNDIR
set -uo pipefail
h2=$1
rundir=$2
# shellcheck disable=SC1091
source "$rundir/peers.env"
sums="$H2_PEERS_DOCROOT/SHA256SUMS"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { # description, command...: the command must succeed
  local what=$1
  shift
  if "$@"; then ok; else bad "$what"; fi
}
sum_of() { awk -v f="$1" '$2 == f { print $1 }' "$sums"; }

# url_for SERVER MODE: the base URL of a plain server.
url_for() {
  local var="H2_PEER_${1}_${2}"
  if [ "$2" = H2C ]; then echo "http://127.0.0.1:${!var}"; else echo "https://localhost:${!var}"; fi
}

get() { "$h2" get --cacert "$H2_PEERS_CA" "$@"; }

check_download() { # base, file
  local got
  got=$(get "$1/$2" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(sum_of "$2")" ]
}

check_head() {
  local out
  out=$(get -I "$1/1m.bin") || return 1
  grep -q '^HTTP/2 200' <<<"$out" && grep -qi '^content-length: 1048576' <<<"$out" &&
    [ "$(wc -l <<<"$out")" -lt 30 ]
}

check_post() { # base, path: the echoed or hashed body matches the upload
  local want got
  want=$(sha256sum "$work/upload.bin" | cut -d' ' -f1)
  if [ "$2" = /sha256 ]; then
    got=$(get -d "@$work/upload.bin" "$1$2" | cut -d' ' -f1)
  else
    got=$(get -d "@$work/upload.bin" "$1$2" | sha256sum | cut -d' ' -f1)
  fi
  [ "$got" = "$want" ]
}

check_many() { # base, count: all on one connection, all complete
  local urls=() i stats
  for ((i = 0; i < $2; i++)); do urls+=("$1/1k.bin"); done
  stats=$(get --stats "${urls[@]}" 2>&1 >"$work/many.out") || return 1
  grep -q "connections: 1 " <<<"$stats" && grep -q "requests: $2 ok, 0 failed" <<<"$stats" &&
    [ "$(stat -c %s "$work/many.out")" -eq $(($2 * 1024)) ]
}

check_big_headers() { # base: a response header of 40 KiB (CONTINUATION)
  get -i -o "$work/bh.out" "$1/big-header/1k.bin" &&
    awk 'length > 40000 { found = 1 } END { exit !found }' "$work/bh.out"
}

check_trailers() { # url, pattern
  get -i -o "$work/tr.out" "$1" && grep -aq "$2" "$work/tr.out"
}

check_goaway() { # base: more requests than the server allows per connection
  local urls=() i stats
  for ((i = 0; i < 250; i++)); do urls+=("$1/1k.bin"); done
  stats=$(get --stats "${urls[@]}" 2>&1 >/dev/null) || return 1
  grep -q "requests: 250 ok, 0 failed" <<<"$stats" &&
    ! grep -q "connections: 1 " <<<"$stats"
}

check_fails() { # expected exit, message pattern, url
  local out status
  out=$(get "$3" 2>&1 >/dev/null)
  status=$?
  [ "$status" -eq "$1" ] && grep -q "$2" <<<"$out"
}

head -c $((10 * 1024 * 1024)) "$H2_PEERS_DOCROOT/1g.bin" >"$work/upload.bin"

for server in NGHTTPD H2O NGINX; do
  for mode in H2C TLS; do
    base=$(url_for "$server" "$mode")
    name="$server $mode"
    check "$name GET 1 MiB" check_download "$base" 1m.bin
    check "$name GET 0 bytes" check_download "$base" 0.bin
    check "$name HEAD" check_head "$base"
    case $server in
      NGHTTPD) post_path=/echo ;;
      H2O) post_path=/echo ;;
      NGINX) post_path=/sha256 ;;
    esac
    check "$name POST 10 MiB" check_post "$base" "$post_path"
    check "$name GET 1 GiB" check_download "$base" 1g.bin
    check "$name 1000 requests on one connection" check_many "$base" 1000
    [ "$server" != NGHTTPD ] && check "$name large response headers" check_big_headers "$base"
  done
done

# Trailers: nghttpd sends two; a 40 KiB trailer needs CONTINUATION; nginx
# add_trailer.
check "nghttpd trailers h2c" check_trailers "http://127.0.0.1:$H2_PEER_NGHTTPD_TRAILERS_H2C/1k.bin" 'x-trailer-two: two'
check "nghttpd trailers TLS" check_trailers "https://localhost:$H2_PEER_NGHTTPD_TRAILERS_TLS/1k.bin" 'x-trailer-one: one'
check "nghttpd 40 KiB trailer" check_trailers "http://127.0.0.1:$H2_PEER_NGHTTPD_BIGTRAILER_H2C/1k.bin" 'x-big-trailer: '
check "nginx trailers" check_trailers "$(url_for NGINX H2C)/trailers/1k.bin" '^x-'

# A stream limit of 10, lower than our concurrency: still one connection.
check "nghttpd 10 streams h2c" check_many "http://127.0.0.1:$H2_PEER_NGHTTPD_MAXSTREAMS10_H2C" 300
check "nghttpd 10 streams TLS" check_many "https://localhost:$H2_PEER_NGHTTPD_MAXSTREAMS10_TLS" 300
check "nginx 10 streams h2c" check_many "http://127.0.0.1:$H2_PEER_NGINX_MAXSTREAMS10_H2C" 300
check "nginx 10 streams TLS" check_many "https://localhost:$H2_PEER_NGINX_MAXSTREAMS10_TLS" 300

# GOAWAY after 100 requests: the rest are retried on new connections.
check "nginx GOAWAY h2c" check_goaway "http://127.0.0.1:$H2_PEER_NGINX_GOAWAY100_H2C"
check "nginx GOAWAY TLS" check_goaway "https://localhost:$H2_PEER_NGINX_GOAWAY100_TLS"

# Certificates: wrong host, untrusted CA, and no --cacert at all.
check "wrong host refused" check_fails 60 "hostname mismatch" "https://localhost:$H2_PEER_NGHTTPD_WRONGHOST_TLS/1k.bin"
check "untrusted CA refused" check_fails 60 "unable to get local issuer" "https://localhost:$H2_PEER_NGHTTPD_UNTRUSTED_TLS/1k.bin"
check "TLS port over h2c" check_fails 18 "closed" "http://127.0.0.1:$H2_PEER_NGHTTPD_TLS/1k.bin"
check "closed port" check_fails 7 "cannot connect" "http://127.0.0.1:1/"
check "bad URL" check_fails 3 "not a valid" "ftp://x/"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
