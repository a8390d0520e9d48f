#!/usr/bin/env bash
# End-to-end check of the peers that start-peers.sh started, with reference
# clients only (curl, nghttp, h2load, and python3-hyperframe/hpack to look
# at raw frames). It tests the environment, not libh2: every promise of
# tests/peers/README.md that libh2's interop tests rely on.
#
#   tests/peers/smoke_test.sh RUNDIR
#
# Exits non-zero on any failure, with one "FAIL:" line per failed check.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/peers.env" ]; then
  echo "usage: $0 RUNDIR   (after tests/peers/start-peers.sh RUNDIR)" >&2
  exit 2
fi
# shellcheck disable=SC1091
source "$1/peers.env"
run=$H2_PEERS_RUNDIR
docroot=$H2_PEERS_DOCROOT
ca=$H2_PEERS_CA
tmp=$(mktemp -d "${TMPDIR:-/tmp}/h2-peers-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS

passes=0
failures=()
pass() { passes=$((passes + 1)); printf 'ok    %s\n' "$1"; }
fail() { failures+=("$1"); printf 'FAIL: %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 15 | sed 's/^/      /'; }
expect_sum() { awk -v f="$1" '$2 == f { print $1 }' "$docroot/SHA256SUMS"; }

# URL and curl options that reach PORT over its transport with verification
# that succeeds (the right trust anchor and name for the two failure cases).
url_of() { # port transport role path
  if [ "$2" = h2c ]; then echo "http://127.0.0.1:$1$4"
  elif [ "$3" = wrong-host-cert ]; then echo "https://wrong.example:$1$4"
  else echo "https://localhost:$1$4"; fi
}
curl_opts() { # port transport role
  if [ "$2" = h2c ]; then
    echo --http2-prior-knowledge
  else
    local anchor=$ca
    [ "$3" = untrusted-ca-cert ] && anchor=$H2_PEERS_UNTRUSTED_CA
    echo --http2 --cacert "$anchor" --resolve "localhost:$1:127.0.0.1" --resolve "wrong.example:$1:127.0.0.1"
  fi
}
nghttp_url() { # port transport path  (nghttp does not verify certificates)
  if [ "$2" = h2c ]; then echo "http://127.0.0.1:$1$3"; else echo "https://127.0.0.1:$1$3"; fi
}

mapfile -t peers <"$run/peers.tsv" # port server transport role instance
plain=()
for line in "${peers[@]}"; do
  read -r port server transport role _ <<<"$line"
  [ "$role" = plain ] && plain+=("$port $server $transport")
done

echo "== GET /1m.bin over HTTP/2 on every port, SHA-256 checked"
want=$(expect_sum 1m.bin)
for line in "${peers[@]}"; do
  read -r port server transport role _ <<<"$line"
  # shellcheck disable=SC2046
  out=$(curl -sS --max-time 20 -o "$tmp/body" -w '%{http_version} %{response_code}' \
        $(curl_opts "$port" "$transport" "$role") "$(url_of "$port" "$transport" "$role" /1m.bin)" 2>&1)
  got=$(sha256sum <"$tmp/body" | cut -d' ' -f1)
  what="$port $server $transport $role: GET /1m.bin"
  if [ "$out" = "2 200" ] && [ "$got" = "$want" ]; then pass "$what"
  else fail "$what (curl: $out, sha256 $got)"; fi
done

echo "== HEAD /1m.bin on the plain ports"
for line in "${plain[@]}"; do
  read -r port server transport <<<"$line"
  # shellcheck disable=SC2046
  out=$(curl -sS --max-time 10 -I $(curl_opts "$port" "$transport" plain) \
        "$(url_of "$port" "$transport" plain /1m.bin)" 2>&1)
  what="$port $server $transport: HEAD /1m.bin"
  if grep -q '^HTTP/2 200' <<<"$out" && grep -qi '^content-length: 1048576' <<<"$out"; then pass "$what"
  else fail "$what" "$out"; fi
done

echo "== GET /1g.bin on the plain h2c ports, SHA-256 checked"
want=$(expect_sum 1g.bin)
for line in "${plain[@]}"; do
  read -r port server transport <<<"$line"
  [ "$transport" = h2c ] || continue
  start=$SECONDS
  got=$(curl -sS --max-time 60 --http2-prior-knowledge "http://127.0.0.1:$port/1g.bin" 2>"$tmp/err" |
        sha256sum | cut -d' ' -f1)
  what="$port $server $transport: GET /1g.bin ($((SECONDS - start)) s)"
  if [ "$got" = "$want" ]; then pass "$what"; else fail "$what (sha256 $got)" "$(cat "$tmp/err")"; fi
done

echo "== POST 10 MiB to /echo (and nginx /sha256) on the plain ports"
want=$(expect_sum 10m.bin)
for line in "${plain[@]}"; do
  read -r port server transport <<<"$line"
  endpoints=(/echo)
  [ "$server" = nginx ] && endpoints+=(/sha256)
  for ep in "${endpoints[@]}"; do
    # shellcheck disable=SC2046
    out=$(curl -sS --max-time 30 -o "$tmp/body" -w '%{http_version} %{response_code}' \
          --data-binary @"$docroot/10m.bin" -H 'content-type: application/octet-stream' \
          $(curl_opts "$port" "$transport" plain) "$(url_of "$port" "$transport" plain "$ep")" 2>&1)
    if [ "$ep" = /echo ]; then got=$(sha256sum <"$tmp/body" | cut -d' ' -f1)
    else got=$(cat "$tmp/body"); want_ep="$want  10485760"; fi
    what="$port $server $transport: POST $ep 10 MiB"
    if [ "$out" = "2 200" ] && [ "$got" = "${want_ep:-$want}" ]; then pass "$what"
    else fail "$what (curl: $out, got: $got)"; fi
    unset want_ep
  done
done

echo "== 1000 requests on one connection, 100 in flight (h2load) on the plain ports"
for line in "${plain[@]}"; do
  read -r port server transport <<<"$line"
  out=$(h2load -n 1000 -c 1 -m 100 "$(nghttp_url "$port" "$transport" /1k.bin)" 2>&1)
  what="$port $server $transport: h2load -n 1000 -c 1 -m 100"
  if grep -q '1000 succeeded, 0 failed' <<<"$out"; then pass "$what"; else fail "$what" "$out"; fi
done

echo "== SETTINGS_MAX_CONCURRENT_STREAMS"
for line in "${peers[@]}"; do
  read -r port server transport role _ <<<"$line"
  case $role in
    plain) ;;
    max-streams-10) ;;
    *) continue ;;
  esac
  out=$(nghttp -nv --max-concurrent-streams=100 "$(nghttp_url "$port" "$transport" /1.bin)" 2>&1)
  n=$(sed -n '/recv SETTINGS frame/,/recv\|send/ s/.*SETTINGS_MAX_CONCURRENT_STREAMS(0x03):\([0-9]*\).*/\1/p' <<<"$out" | head -1)
  what="$port $server $transport $role: server advertises MAX_CONCURRENT_STREAMS=${n:-none}"
  if [ "$role" = max-streams-10 ]; then
    if [ "$n" = 10 ]; then pass "$what"; else fail "$what, want 10" "$out"; fi
  elif [ -n "$n" ] && ((n >= 100)); then pass "$what"
  else fail "$what, want >= 100" "$out"; fi
done

echo "== GOAWAY after $H2_PEER_GOAWAY_AFTER requests"
for port in "$H2_PEER_NGINX_GOAWAY100_H2C" "$H2_PEER_NGINX_GOAWAY100_TLS"; do
  transport=h2c
  [ "$port" = "$H2_PEER_NGINX_GOAWAY100_TLS" ] && transport=tls
  # nghttp's first request is stream 13 (streams 3..11 are its priority
  # anchors), so the 100th is 13 + 2 * 99 = 211.
  out=$(nghttp -nv -m 150 "$(nghttp_url "$port" "$transport" /1.bin)" 2>&1)
  what="$port nginx $transport: GOAWAY(NO_ERROR, last_stream_id=211) after 100 requests (nghttp -m 150)"
  if grep -A1 'recv GOAWAY' <<<"$out" | grep -q 'last_stream_id=211, error_code=NO_ERROR'; then pass "$what"
  else fail "$what" "$(grep -A1 GOAWAY <<<"$out")"; fi
  out=$(h2load -n 150 -c 1 "$(nghttp_url "$port" "$transport" /1.bin)" 2>&1)
  what="$port nginx $transport: h2load -n 150 -c 1 answers 100, fails 50 (GOAWAY)"
  if grep -q '100 succeeded, 50 failed' <<<"$out"; then pass "$what"
  else fail "$what" "$(grep requests: <<<"$out")"; fi
done

echo "== trailers"
check_trailers() { # port server transport path
  local out what
  out=$(nghttp -nv "$(nghttp_url "$1" "$3" "$4")" 2>&1)
  what="$1 $2 $3: GET $4 ends with trailers x-trailer-one, x-trailer-two"
  # After the DATA frame: both trailer fields, then HEADERS with END_STREAM|END_HEADERS.
  if sed -n '/recv DATA frame/,$p' <<<"$out" | tr '\n' ' ' |
     grep -q 'x-trailer-one: one.*x-trailer-two: two.*recv HEADERS frame <length=[0-9]*, flags=0x05'; then
    pass "$what"
  else fail "$what" "$out"; fi
}
check_trailers "$H2_PEER_NGHTTPD_TRAILERS_H2C" nghttpd h2c /1k.bin
check_trailers "$H2_PEER_NGHTTPD_TRAILERS_TLS" nghttpd tls /1k.bin
check_trailers "$H2_PEER_NGINX_H2C" nginx h2c /trailers/1k.bin
check_trailers "$H2_PEER_NGINX_TLS" nginx tls /trailers/1k.bin

echo "== header blocks larger than a frame: HEADERS + CONTINUATION (raw frames)"
# Prints one line per header block of stream 1: "response|trailers FRAMES NAME LEN SHA256"
# for the field NAME (or "-" when absent).
cat >"$tmp/frames.py" <<'EOF'
import hashlib, socket, ssl, sys
import hpack, hyperframe.frame as hf
port, tls, path, name, ca = int(sys.argv[1]), sys.argv[2] == "tls", sys.argv[3], sys.argv[4].encode(), sys.argv[5]
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
if tls:
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    sock = ctx.wrap_socket(sock, server_hostname="localhost")
    assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
enc, dec = hpack.Encoder(), hpack.Decoder()
dec.max_header_list_size = 1 << 20
dec.max_allowed_table_size = 1 << 16
hdrs = hf.HeadersFrame(1, flags=["END_HEADERS", "END_STREAM"])
hdrs.data = enc.encode([(":method", "GET"), (":scheme", "https" if tls else "http"),
                        (":authority", "localhost:%d" % port), (":path", path)])
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + hf.SettingsFrame(0).serialize() + hdrs.serialize())
buf = b""
def read_frame():
    global buf
    while True:
        if len(buf) >= 9:
            f, length = hf.Frame.parse_frame_header(memoryview(buf[:9]))
            if len(buf) >= 9 + length:
                f.parse_body(memoryview(buf[9:9 + length]))
                buf = buf[9 + length:]
                return f
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed early")
        buf += chunk
block, frames, kind, done, ending = b"", 0, "response", False, False
while not done:
    f = read_frame()
    if isinstance(f, hf.SettingsFrame) and "ACK" not in f.flags:
        sock.sendall(hf.SettingsFrame(0, flags=["ACK"]).serialize())
    elif isinstance(f, hf.GoAwayFrame):
        raise SystemExit("GOAWAY %d" % f.error_code)
    elif f.stream_id == 1 and isinstance(f, hf.RstStreamFrame):
        raise SystemExit("RST_STREAM %d" % f.error_code)
    elif f.stream_id == 1 and isinstance(f, (hf.HeadersFrame, hf.ContinuationFrame)):
        block += f.data
        frames += 1
        if "END_STREAM" in f.flags:  # ends the stream once its CONTINUATIONs are in
            ending = True
        if "END_HEADERS" in f.flags:
            done = ending
            fields = dict(dec.decode(block, raw=True))
            v = fields.get(name)
            print(kind, frames, name.decode(), len(v) if v is not None else "-",
                  hashlib.sha256(v).hexdigest() if v is not None else "-")
            block, frames, kind = b"", 0, "trailers"
    elif f.stream_id == 1 and isinstance(f, hf.DataFrame):
        if f.flow_controlled_length:
            sock.sendall(hf.WindowUpdateFrame(0, window_increment=f.flow_controlled_length).serialize()
                         + hf.WindowUpdateFrame(1, window_increment=f.flow_controlled_length).serialize())
        if "END_STREAM" in f.flags:
            done = True
EOF
want=$(expect_sum big-header.txt)
check_big() { # port server transport path kind field
  local out what frames len sum
  out=$(/usr/bin/python3 "$tmp/frames.py" "$1" "$3" "$4" "$6" "$ca" 2>&1)
  read -r _ frames _ len sum <<<"$(grep "^$5 " <<<"$out")"
  what="$1 $2 $3: GET $4: $5 field $6 of ${len:-?} bytes in ${frames:-?} frames"
  if [ "${len:-}" = "$H2_PEER_BIG_HEADER_LEN" ] && [ "$sum" = "$want" ] && ((frames >= 2)); then
    pass "$what (HEADERS + $((frames - 1)) CONTINUATION)"
  else fail "$what" "$out"; fi
}
check_big "$H2_PEER_H2O_H2C" h2o h2c /big-header/1k.bin response x-big-header
check_big "$H2_PEER_H2O_TLS" h2o tls /big-header/1k.bin response x-big-header
check_big "$H2_PEER_NGINX_H2C" nginx h2c /big-header/1k.bin response x-big-header
check_big "$H2_PEER_NGINX_TLS" nginx tls /big-header/1k.bin response x-big-header
check_big "$H2_PEER_NGHTTPD_BIGTRAILER_H2C" nghttpd h2c /1k.bin trailers x-big-trailer
check_big "$H2_PEER_NGHTTPD_BIGTRAILER_TLS" nghttpd tls /1k.bin trailers x-big-trailer
# And with a reference client: nghttp receives the whole value.
out=$(nghttp -nv "http://127.0.0.1:$H2_PEER_NGINX_H2C/big-header/1k.bin" 2>&1)
len=$(sed -n 's/.*recv (stream_id=[0-9]*) x-big-header: //p' <<<"$out" | tr -d '\n' | wc -c)
what="$H2_PEER_NGINX_H2C nginx h2c: nghttp receives x-big-header of $len bytes"
if [ "$len" = "$H2_PEER_BIG_HEADER_LEN" ]; then pass "$what"; else fail "$what" "$out"; fi

echo "== certificate failures (curl must refuse; the positive controls passed above)"
check_refused() { # port what expected-message ca
  local out rc
  out=$(curl -sS --max-time 10 --http2 --cacert "$4" --resolve "localhost:$1:127.0.0.1" \
        -o /dev/null "https://localhost:$1/1k.bin" 2>&1)
  rc=$?
  if [ "$rc" = 60 ] && grep -qi "$3" <<<"$out"; then pass "$1 tls: $2 is refused (curl exit 60: $3)"
  else fail "$1 tls: $2 is refused (curl exit $rc)" "$out"; fi
}
check_refused "$H2_PEER_NGHTTPD_WRONGHOST_TLS" "nghttpd's certificate for wrong.example" \
  "no alternative certificate subject name matches" "$ca"
check_refused "$H2_PEER_NGHTTPD_UNTRUSTED_TLS" "nghttpd's certificate from the untrusted CA" \
  "unable to get local issuer certificate" "$ca"
check_refused "$H2_PEER_NGINX_TLS" "nginx's (test CA) certificate with only the untrusted CA trusted" \
  "unable to get local issuer certificate" "$H2_PEERS_UNTRUSTED_CA"

echo
echo "smoke: ${passes} checks passed, ${#failures[@]} failed, in $((SECONDS - t0)) s"
if ((${#failures[@]})); then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
