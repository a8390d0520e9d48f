#!/usr/bin/env bash
# The hostile-server suite over real sockets and TLS: `h2 get` against the
# scripted server of server.py, one scenario at a time, each on a fresh port
# the kernel picks (so it never collides with the fixed peer ports or with a
# parallel ctest). Every case checks the exit status, the message on stderr,
# the output, and often what the server saw (its log); every run of h2 is
# also checked for sanitizer reports, and is killed if it hangs.
#
#   test_real.sh H2_BINARY            the counted run
#   test_real.sh H2_BINARY --pending  also the checks of pending.txt (known
#                                     library faults), reported, not counted
#
# Needs /usr/bin/python3 with hyperframe and hpack (Debian python3-h2);
# exits 77 (skipped) without them. Certificates are made with openssl by
# tests/peers/make-certs.sh into a temporary directory.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 H2_BINARY [--pending]" >&2
  exit 2
fi
h2=$(realpath "$1")
mode=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
server="$here/server.py"
# The OpenSSL server of case 126 (tls_reneg_server.c), built with h2.
reneg=${H2_RENEG_SERVER:-$(dirname "$h2")/tests/tls_reneg_server}

if ! "$py" -c 'import hyperframe, hpack' 2>/dev/null; then
  echo "FAIL: $py lacks hyperframe/hpack (scripts/install-deps.sh installs python3-h2)"
  exit 1
fi
for tool in openssl timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: no $tool (scripts/install-deps.sh installs it)"; exit 1; }
done
timer=/usr/bin/time
[ -x "$timer" ] || timer=

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$here/../../peers/make-certs.sh" "$work/certs" >/dev/null || {
  echo "cannot generate certificates" >&2
  exit 1
}
certs=$work/certs
for b in ok partial drip ok2000; do "$py" "$server" --body "$b" >"$work/$b.bin"; done

passed=0
failed=0
pending_passed=0
pending_failed=0
started=$(date +%s%N)

# ---- Running one scenario ------------------------------------------------

name=       # the case being run
problems=() # what went wrong in it

# serve SCENARIO: starts server.py on a fresh port; sets $port, $srvlog.
serve() {
  local scenario=$1
  srvlog=$work/$name.server.log
  rm -f "$work/port"
  "$py" "$server" --certs "$certs" --port-file "$work/port" --timeout 30 \
    "$scenario" >/dev/null 2>"$srvlog" &
  server_pid=$!
  wait_for_port server.py
}

# serve_reneg: starts tls_reneg_server (case 126) instead of server.py.
serve_reneg() {
  srvlog=$work/$name.server.log
  rm -f "$work/port"
  if [ ! -x "$reneg" ]; then
    problems+=("no tls_reneg_server at $reneg (set H2_RENEG_SERVER)")
    return
  fi
  "$reneg" "$certs/server.pem" "$certs/server.key" "$work/port" 2>"$srvlog" &
  server_pid=$!
  wait_for_port tls_reneg_server
}

# wait_for_port NAME: waits for the started server's port file; sets $port,
# $http, $https.
wait_for_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$work/port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  port=$(cat "$work/port" 2>/dev/null)
  [ -n "$port" ] || problems+=("$1 did not start: $(tail -3 "$srvlog")")
  http=http://127.0.0.1:$port
  https=https://localhost:$port
}

# stop_server: the server exits by itself after its connections; this makes
# sure, so that nothing is left running and its log is complete.
stop_server() {
  [ -n "$server_pid" ] || return 0
  local i
  for ((i = 0; i < 40; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

# get ARGS...: runs `h2 get ARGS` (killed after 30 s); sets $rc, $ms
# (elapsed), $rss (max RSS in KB); stdout in $out, stderr in $err.
get() {
  out=$work/$name.out
  err=$work/$name.err
  local t0 t1
  t0=$(date +%s%N)
  if [ -n "$timer" ]; then
    timeout -k 2 30 "$timer" -f %M -o "$work/$name.rss" "$h2" get "$@" >"$out" 2>"$err"
  else
    timeout -k 2 30 "$h2" get "$@" >"$out" 2>"$err"
  fi
  rc=$?
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  rss=$(tail -1 "$work/$name.rss" 2>/dev/null)
  [[ "$rss" =~ ^[0-9]+$ ]] || rss=0
  [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || problems+=("h2 get hung (killed after 30 s)")
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$err"; then
    problems+=("sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$err")")
  fi
}

expect_rc() {
  [ "$rc" -eq "$1" ] || problems+=("exit status $rc, expected $1")
}
# expect_err REGEX: the message (stderr) matches (grep -E, case-insensitive).
expect_err() {
  grep -qiE -- "$1" "$err" || problems+=("stderr does not match /$1/: $(head -c 300 "$err")")
}
expect_no_err() {
  [ ! -s "$err" ] || problems+=("unexpected stderr: $(head -c 300 "$err")")
}
# expect_err_clean: one line per URL at most, printable (binary data from the
# server must never reach the terminal).
expect_err_clean() {
  if LC_ALL=C grep -q '[^[:print:][:space:]]' "$err"; then
    problems+=("stderr holds non-printable bytes")
  fi
  [ "$(wc -c <"$err")" -lt 2048 ] || problems+=("stderr is $(wc -c <"$err") bytes long")
}
expect_out_file() { # the output equals the file
  cmp -s "$out" "$1" || problems+=("output ($(wc -c <"$out") B) differs from $(basename "$1") ($(wc -c <"$1") B)")
}
expect_out_empty() {
  [ ! -s "$out" ] || problems+=("unexpected output ($(wc -c <"$out") B)")
}
# expect_srv REGEX: the server's log shows it (what the client sent).
expect_srv() {
  grep -qE -- "$1" "$srvlog" || problems+=("server log lacks /$1/")
}
expect_max_ms() {
  [ "$ms" -le "$1" ] || problems+=("took $ms ms (limit $1 ms)")
}
expect_min_ms() {
  [ "$ms" -ge "$1" ] || problems+=("took only $ms ms (expected at least $1 ms)")
}
# expect_max_rss: the peak RSS stays within $rss_limit (KB), set from the
# sanity case (so that a sanitizer build's larger baseline is allowed for).
expect_max_rss() {
  [ -z "$timer" ] && return 0
  [ "$rss" -le "$rss_limit" ] || problems+=("max RSS $rss KB (limit $rss_limit KB)")
}

# run CASE DESCRIPTION: runs the function t_CASE, counts it.
run() {
  local fn=$1
  name=${fn#t_}
  problems=()
  "$fn"
  stop_server
  if grep -q "SERVER ERROR" "$work/$name.server.log" 2>/dev/null; then
    problems+=("server.py failed: $(grep -m1 'SERVER ERROR' "$work/$name.server.log")")
  fi
  local timing="${ms:-?} ms, max RSS ${rss:-?} KB"
  if [ ${#problems[@]} -eq 0 ]; then
    if [ "$counting" = 1 ]; then passed=$((passed + 1)); else pending_passed=$((pending_passed + 1)); fi
    echo "ok   $name ($timing, exit $rc)"
  else
    if [ "$counting" = 1 ]; then failed=$((failed + 1)); else pending_failed=$((pending_failed + 1)); fi
    echo "FAIL $name ($timing, exit $rc)"
    local p
    for p in "${problems[@]}"; do echo "       $p"; done
    echo "       h2 stderr:"
    head -c 1500 "$work/$name.err" 2>/dev/null | sed 's/^/         | /'
    echo "       server log (last lines):"
    tail -8 "$work/$name.server.log" 2>/dev/null | sed 's/^/         | /'

  fi
  ms=
  rss=
}

# ---- h2c scenarios ------------------------------------------------------------

# Sanity: a 100,000-byte response (flow control included).
t_ok() {
  serve ok
  get "$http/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/ok.bin"
  expect_srv "recv HEADERS stream=1 GET /x END_STREAM"
  expect_srv "recv GOAWAY last=0 code=0"
  # The limit for the flood cases: 50 MB, or the baseline + 40 MB when a
  # sanitizer build starts bigger.
  rss_limit=$((rss + 40000 > 50000 ? rss + 40000 : 50000))
}

# 39: every byte of the server's output in its own send(), 2 ms apart.
t_split_reads() {
  serve drip
  get "$http/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/drip.bin"
}

# 40: the connection closes in the middle of a frame header, after 2,000
# bytes of a 5,000-byte body: the partial body is output, the transfer is
# reported as cut short.
t_cut_frame_header() {
  serve cut-frame-header
  get "$http/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_out_file "$work/partial.bin"
}

# 40/118: FIN in the middle of a DATA payload.
t_cut_body() {
  serve cut-body
  get "$http/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_out_file "$work/partial.bin"
}

# 117: GOAWAY(INTERNAL_ERROR, last=1), more body, then FIN mid-body.
t_goaway_then_cut() {
  serve goaway-then-cut
  get "$http/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_out_file "$work/partial.bin"
}

# 2: an HTTP/1.1 answer.
t_http1_answer() {
  serve http1
  get "$http/x"
  expect_rc 16
  expect_err "HTTP/1\\.1, not HTTP/2"
  expect_out_empty
}

# 3: the server accepts and says nothing: the connect timeout fires.
t_silent_server() {
  serve silent
  get --connect-timeout 1 "$http/x"
  expect_rc 28
  expect_err "timed out after 1000 ms"
  expect_min_ms 900
  expect_max_ms 2500
  expect_out_empty
}

# 3: 5 bytes of a frame header, then silence.
t_stalled_frame_header() {
  serve stall-frame-header
  get --connect-timeout 1 "$http/x"
  expect_rc 28
  expect_err "timed out after 1000 ms"
  expect_max_ms 2500
}

# 1: the first frame is a PING.
t_first_frame_not_settings() {
  serve first-not-settings
  get "$http/x"
  expect_rc 16
  expect_err "first frame is not SETTINGS"
  expect_out_empty
}

# 115/116: GOAWAY(2^31-1), then GOAWAY(3), with 1, 3, 5 and 7 in flight: 1
# and 3 complete on the first connection, 5 and 7 are retried on a second.
t_goaway_retry() {
  serve goaway-retry
  get --stats "$http/a" "$http/b" "$http/c" "$http/d"
  expect_rc 0
  expect_err "connections: 2 "
  expect_err "requests: 4 ok, 0 failed, 2 retried"
  local p
  for p in a b c d; do "$py" "$server" --body "path:/$p:1000"; done >"$work/goaway-retry.want"
  expect_out_file "$work/goaway-retry.want"
  expect_srv "conn 0: recv HEADERS stream=7 GET /d"
  expect_srv "conn 1: recv HEADERS stream=1 GET /c"
  expect_srv "conn 1: recv HEADERS stream=3 GET /d"
  expect_srv "conn 0: sent body stream=1 path=/a"
  expect_srv "conn 0: sent body stream=3 path=/b"
}

# 116: a later GOAWAY raising the last-stream-id is a connection error.
t_goaway_raised() {
  serve goaway-increase
  get "$http/x"
  expect_rc 16
  expect_err "/x: GOAWAY raised the last stream id"
  expect_out_empty
}

# A malformed response (an uppercase field name) on /bad is a stream error:
# /bad fails (92), /good on the same connection completes.
t_malformed_one_of_two() {
  serve malformed-one
  get --stats "$http/bad" "$http/good"
  expect_rc 92
  expect_err "/bad: protocol error"
  expect_err "connections: 1 .*requests: 1 ok, 1 failed"
  "$py" "$server" --body "path:/good:20000" >"$work/good.want"
  expect_out_file "$work/good.want"
  expect_srv "recv RST_STREAM stream=1 code=1"
  expect_err "/good: status 200, 20000 B"
}

# 112 / V21 (reset pacing): 8 requests on a connection limited to 4
# streams (before the server's SETTINGS too); the server answers the first
# 4 with malformed responses and holds back the ACK of the PING that
# follows our resets until 0.5 s after the 4th reset arrived (a window in
# which a client without pacing would send more; a pacing client is not
# timed). The resets keep their slots until that
# ACK: no HEADERS may reach the server between our last RST_STREAM and
# the released ACK, and the 4 waiting requests complete after it.
t_provoked_resets_paced() {
  serve provoked-resets-paced
  local urls=() i
  for i in 1 2 3 4 5 6 7 8; do urls+=("$http/r$i"); done
  get --stats --limit initial-max-concurrent-streams=4 "${urls[@]}"
  expect_rc 92
  expect_err "connections: 1 .*requests: 4 ok, 4 failed"
  expect_err "limit fired: resets paced"
  expect_srv "recv PING b'libh2rst' \\(ACK held\\)"
  stop_server
  # Line numbers in the server log: the last reset, the release of the
  # held ACKs, and the 5th request's HEADERS.
  local last_rst release fifth
  last_rst=$(grep -n "recv RST_STREAM stream=7 code=1" "$srvlog" | head -1 | cut -d: -f1)
  release=$(grep -n "releasing [1-9][0-9]* held PING ACK" "$srvlog" | head -1 | cut -d: -f1)
  fifth=$(grep -n "recv HEADERS stream=9 " "$srvlog" | head -1 | cut -d: -f1)
  if [ -z "$last_rst" ] || [ -z "$release" ] || [ -z "$fifth" ]; then
    problems+=("server log lacks the resets, the release or stream 9")
  elif [ "$fifth" -lt "$release" ] || [ "$release" -lt "$last_rst" ]; then
    problems+=("a request left before the resets were confirmed")
  fi
  if [ "$(grep -c "recv RST_STREAM stream=[1357] code=1" "$srvlog")" -ne 4 ]; then
    problems+=("expected 4 RST_STREAM(PROTOCOL_ERROR)")
  fi
  local i
  for i in 5 6 7 8; do expect_err "/r$i: status 200, 1000 B"; done
}

# Section 5 (automatic retries): a server that refuses every request gets
# it 7 times (the request and max_retries = 6 retries), then h2 get fails
# with the refusal; never more, never forever.
t_retries_capped() {
  serve refuse-always
  get --stats "$http/x"
  expect_rc 92
  expect_err "/x: stream refused before processing"
  expect_err "requests: 0 ok, 1 failed, 6 retried"
  stop_server
  local n
  n=$(grep -c "recv HEADERS stream=[0-9]* GET /x" "$srvlog")
  [ "$n" -eq 7 ] || problems+=("the server saw $n requests, expected 7")
}

# 61: HPACK bomb (about 64 MB decoded from 20 KB): connection error,
# bounded memory.
t_hpack_bomb() {
  serve hpack-bomb
  get "$http/x"
  expect_rc 16
  expect_err "/x: header block decodes to more than four times the budget"
  expect_out_empty
  expect_max_rss
  expect_max_ms 3000
}

# 59: HEADERS, then 16 KB CONTINUATIONs (16 MB offered).
t_continuation_flood() {
  serve continuation-flood
  get "$http/x"
  expect_rc 16
  expect_err "/x: CONTINUATION flood"
  expect_out_empty
  expect_max_rss
  expect_max_ms 3000
  expect_srv "flood: sent [0-9]+ of 1000"
}

# 60: HEADERS, then empty CONTINUATIONs (100,000 offered).
t_empty_continuation_flood() {
  serve continuation-flood-empty
  get "$http/x"
  expect_rc 16
  expect_err "/x: CONTINUATION flood"
  expect_out_empty
  expect_max_rss
  expect_max_ms 3000
}

# 109: 100,000 PINGs while the server reads nothing: the pending ACKs are
# bounded, the connection ends (ENHANCE_YOUR_CALM), no hang, no growth.
t_ping_flood() {
  serve ping-flood
  get --stats "$http/x"
  expect_rc 16
  expect_err "/x: the server sends PING or SETTINGS faster than it reads our acknowledgements"
  expect_err "limit fired: ACK flood x1"
  expect_out_empty
  expect_max_rss
  expect_max_ms 5000
}

# 109 again, paced (400 PINGs every 2 ms, never 1000 in one read): only the
# server's not reading our ACKs (a full TCP window, megabytes in the
# kernel) can make them pile up; the bound must still fire.
t_ping_flood_paced() {
  serve ping-flood-paced
  get --stats --max-time 20 "$http/x"
  expect_rc 16
  expect_err "/x: the server sends PING or SETTINGS faster than it reads our acknowledgements"
  expect_err "limit fired: ACK flood x1"
  expect_max_rss
  expect_max_ms 15000
}

# 20: 100,000 SETTINGS while the server reads nothing.
t_settings_flood() {
  serve settings-flood
  get --stats "$http/x"
  expect_rc 16
  expect_err "/x: the server sends PING or SETTINGS faster than it reads our acknowledgements"
  expect_err "limit fired: ACK flood x1"
  expect_max_rss
  expect_max_ms 5000
}

# 119: GOAWAY(ENHANCE_YOUR_CALM) with 16 KB of binary debug data, then FIN
# while stream 1 (<= last) is open: cut short; the binary never reaches the
# terminal.
t_goaway_binary_debug() {
  serve goaway-debug
  get "$http/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_err_clean
  expect_out_empty
}

# 119: the same GOAWAY(NO_ERROR, last=1), then the response completes.
t_goaway_binary_debug_complete() {
  serve goaway-debug-complete
  get "$http/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/partial.bin"
}

# ---- TLS scenarios (123-129) -----------------------------------------------

tls_get() { get --cacert "$certs/ca.pem" "$@"; }

t_tls13_ok() {
  serve tls-ok
  tls_get "$https/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/ok.bin"
  expect_srv "TLS TLSv1.3 .* ALPN=h2"
}

t_tls12_ok() {
  serve tls12-ok
  tls_get "$https/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/ok.bin"
  expect_srv "TLS TLSv1.2 ECDHE-ECDSA-(AES.*GCM|CHACHA20).* ALPN=h2"
}

# 39 over TLS: one plaintext byte per TLS record.
t_tls_split_records() {
  serve tls-drip
  tls_get "$https/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/drip.bin"
}

# 3 over TLS: the handshake completes, then nothing.
t_tls_silent() {
  serve tls-silent
  tls_get --connect-timeout 1 "$https/x"
  expect_rc 28
  expect_err "timed out after 1000 ms"
  expect_max_ms 2500
}

# 123: the server selects http/1.1 (never offered): no preface is sent.
t_tls_alpn_http11() {
  serve tls-alpn-http11
  tls_get "$https/x"
  expect_rc 16
  expect_err '/x: server selected ALPN "http/1.1", not "h2"'
  expect_out_empty
  if grep -q "recv preface" "$srvlog"; then problems+=("the h2 preface was sent"); fi
}

# 123: the server selects no ALPN protocol.
t_tls_alpn_none() {
  serve tls-alpn-none
  tls_get "$https/x"
  expect_rc 16
  expect_err '/x: server selected no ALPN protocol \("h2" required\)'
  expect_out_empty
  expect_srv "ALPN=None"
  if grep -q "recv preface" "$srvlog"; then problems+=("the h2 preface was sent"); fi
}

# 124: the server selects h2c over TLS.
t_tls_alpn_h2c() {
  serve tls-alpn-h2c
  tls_get "$https/x"
  expect_rc 16
  expect_err '/x: server selected ALPN "h2c", not "h2"'
  if grep -q "recv preface" "$srvlog"; then problems+=("the h2 preface was sent"); fi
}

# 125: a TLS 1.1-only server.
t_tls11_only() {
  serve tls11
  tls_get "$https/x"
  expect_rc 35
  expect_err "/x: TLS handshake failed: .*protocol version"
}

# 125: a TLS 1.2 server whose only suite is on the RFC 9113 block list.
t_tls12_blocklisted_cipher() {
  serve tls12-blocklisted-cipher
  tls_get "$https/x"
  expect_rc 35
  expect_err "/x: TLS handshake failed: .*handshake failure"
  expect_srv "no shared cipher"
}

# 126: a HelloRequest (TLS 1.2 renegotiation) once the request arrived.
t_tls12_renegotiation() {
  serve tls12-renegotiation
  tls_get "$https/x"
  expect_rc 16
  expect_err "/x: the server attempted TLS renegotiation \(HelloRequest\)"
  expect_srv "sent HelloRequest \(SSL_renegotiate=1"
}

# 126, the connection error's GOAWAY: the client answers the HelloRequest
# with a no_renegotiation alert, then GOAWAY(last=0, PROTOCOL_ERROR), then
# close_notify. tls_reneg_server decrypts what follows the HelloRequest
# itself (OpenSSL's server stops at the alert).
t_tls12_renegotiation_goaway() {
  serve_reneg
  tls_get "$https/x"
  expect_rc 16
  expect_err "/x: the server attempted TLS renegotiation \(HelloRequest\)"
  stop_server
  expect_srv "^TLS TLSv1.2 cipher ECDHE-ECDSA-AES128-GCM-SHA256"
  expect_srv "^sent HelloRequest"
  expect_srv "^recv alert level=1 description=100"
  expect_srv "^recv GOAWAY last=0 code=1$"
  if [ "$(grep -c "recv GOAWAY" "$srvlog")" -ne 1 ]; then
    problems+=("expected exactly one GOAWAY")
  fi
}

# 127: a TLS 1.3 post-handshake CertificateRequest cannot be provoked: we do
# not offer post_handshake_auth, so OpenSSL refuses to send one; the
# exchange goes on and completes.
t_tls13_post_handshake_auth() {
  serve tls13-post-handshake-auth
  tls_get "$https/x"
  expect_rc 0
  expect_no_err
  expect_out_file "$work/partial.bin"
  expect_srv "post-handshake auth refused by OpenSSL: .*EXTENSION_NOT_RECEIVED"
}

# 128: a certificate for another host.
t_tls_wrong_host() {
  serve tls-wrong-host
  tls_get "$https/x"
  expect_rc 60
  expect_err '/x: certificate verify failed: hostname mismatch \(expected "localhost"\)'
}

# 128: a certificate from a CA we do not trust.
t_tls_untrusted_ca() {
  serve tls-untrusted
  tls_get "$https/x"
  expect_rc 60
  expect_err "/x: certificate verify failed: unable to get local issuer certificate"
}

# The server requires a client certificate: without one (TLS 1.3, the alert
# comes after our handshake completed), then with one.
t_tls_client_cert_missing() {
  serve tls-client-cert
  tls_get "$https/x"
  expect_rc 35
  expect_err "/x: TLS read failed: .*certificate required"
}
t_tls_client_cert_given() {
  serve tls-client-cert
  tls_get --cert "$certs/client.pem" --key "$certs/client.key" "$https/x"
  expect_rc 0
  expect_out_file "$work/ok2000.bin"
}

# 129: the TCP connection ends mid-body without close_notify: cut short,
# never complete.
t_tls_truncated_no_close_notify() {
  serve tls-truncated
  tls_get "$https/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_out_file "$work/partial.bin"
}

# 129: a close_notify mid-body does not make the response complete either.
t_tls_close_notify_mid_body() {
  serve tls-close-notify-mid-body
  tls_get "$https/x"
  expect_rc 18
  expect_err "/x: .*closed"
  expect_out_file "$work/partial.bin"
}

# An https:// URL to a server that answers in cleartext HTTP/2.
t_tls_to_cleartext_server() {
  serve ok
  tls_get "$https/x"
  expect_rc 35
  expect_err "/x: the server did not answer with TLS"
}

# ---- Pending: known library faults (pending.txt), not counted ---------------

# P1 (118): a TCP RST in the middle of a body must be reported as cut short
# (18), not as "cannot connect" (7).
p_rst_mid_body() {
  serve rst-body
  get "$http/x"
  expect_rc 18
  expect_out_file "$work/partial.bin"
}

# P2 (section 4 (c)): a connection error must send GOAWAY(last=0, code)
# before closing; the client closes without it.
p_goaway_sent_on_hpack_bomb() {
  serve hpack-bomb
  get "$http/x"
  expect_rc 16
  expect_srv "recv GOAWAY last=0 code=11"
}
p_goaway_sent_on_empty_continuation_flood() {
  serve continuation-flood-empty
  get "$http/x"
  expect_rc 16
  expect_srv "recv GOAWAY last=0 code=11"
}
p_goaway_sent_on_raised_goaway() {
  serve goaway-increase
  get "$http/x"
  expect_rc 16
  expect_srv "recv GOAWAY last=0 code=1"
}

# ---- Main ------------------------------------------------------------------

rss_limit=50000
counting=1
for fn in t_ok t_split_reads t_cut_frame_header t_cut_body t_goaway_then_cut \
  t_http1_answer t_silent_server t_stalled_frame_header t_first_frame_not_settings \
  t_goaway_retry t_goaway_raised t_retries_capped t_malformed_one_of_two \
  t_provoked_resets_paced \
  t_hpack_bomb \
  t_continuation_flood t_empty_continuation_flood t_ping_flood t_ping_flood_paced \
  t_settings_flood \
  t_goaway_binary_debug t_goaway_binary_debug_complete \
  t_tls13_ok t_tls12_ok t_tls_split_records t_tls_silent t_tls_alpn_http11 \
  t_tls_alpn_none t_tls_alpn_h2c t_tls11_only t_tls12_blocklisted_cipher \
  t_tls12_renegotiation t_tls12_renegotiation_goaway t_tls13_post_handshake_auth \
  t_tls_wrong_host \
  t_tls_untrusted_ca t_tls_client_cert_missing t_tls_client_cert_given \
  t_tls_truncated_no_close_notify t_tls_close_notify_mid_body \
  t_tls_to_cleartext_server \
  p_rst_mid_body p_goaway_sent_on_hpack_bomb \
  p_goaway_sent_on_empty_continuation_flood p_goaway_sent_on_raised_goaway; do
  run "$fn"
done

if [ "$mode" = --pending ]; then
  echo "-- pending (pending.txt): known faults, not counted"
  counting=0
  for fn in; do
    run "$fn"
  done
  echo "pending: $pending_passed now pass, $pending_failed still fail"
fi

echo "runtime: $((($(date +%s%N) - started) / 1000000)) ms"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
