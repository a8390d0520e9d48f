#!/usr/bin/env bash
# Starts the real HTTP/2 peers (nghttpd, h2o, nginx; h2c and TLS) as
# background daemons, everything under RUNDIR: certificates, document root,
# generated configurations, pid files, logs. Nothing in /etc or any system
# service is touched. The ports are fixed (tests/peers/ports.env).
#
#   tests/peers/start-peers.sh RUNDIR [DOCROOT]
#
# DOCROOT defaults to $H2_PEERS_DOCROOT or RUNDIR/docroot (1 GiB; made once).
# H2_PEER_PORT_OFFSET=N (default 0) shifts every port by N, so that two
# checkouts can run their suites side by side; peers.env carries the shifted
# ports. Give each such run its own H2_PEERS_REGISTRY as well, or the
# "stop everything left over" step below stops the other run's peers.
# First stops whatever a previous start left running (from any run
# directory), then waits until every port answers a real HTTP/2 request,
# prints a table and exits 0; or names each server that did not come up,
# with the tail of its log, stops them all and exits 1.
#
# Writes RUNDIR/peers.env (ports.env plus the paths of the certificates and
# the document root, for tests to source) and RUNDIR/peers.tsv (one line
# per port: port, server, transport, role, instance).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 RUNDIR [DOCROOT]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
rundir=$(cd "$1" && pwd)
docroot=${2:-${H2_PEERS_DOCROOT:-$rundir/docroot}}
mkdir -p "$docroot"
docroot=$(cd "$docroot" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
startup_timeout=${H2_PEERS_STARTUP_TIMEOUT:-10}
# shellcheck source=tests/peers/ports.env
source "$here/ports.env"
port_offset=${H2_PEER_PORT_OFFSET:-0}
[[ $port_offset =~ ^[0-9]+$ ]] && [ "$port_offset" -le 40000 ] ||
  { echo "start-peers: H2_PEER_PORT_OFFSET must be a number from 0 to 40000" >&2; exit 2; }
# Every port variable (the names in ports.env ending in _H2C, _TLS or _PORT),
# shifted by the offset; peers.env is written from this list.
port_vars=$(grep -oE '^H2_PEER_[A-Z0-9_]+_(H2C|TLS|PORT)=' "$here/ports.env" | tr -d =)
for var in $port_vars; do
  printf -v "$var" '%d' $((${!var} + port_offset))
done

t0=$(date +%s%N)
elapsed() { echo "$((($(date +%s%N) - t0) / 1000000)) ms"; }

for tool in nghttpd h2o nginx curl openssl setsid; do
  command -v "$tool" >/dev/null ||
    { echo "start-peers: FAILED: '$tool' is not installed (bash scripts/install-deps.sh)" >&2; exit 1; }
done

# 1. Leftovers of earlier runs, this directory's and any other's.
bash "$here/stop-peers.sh" --all "$rundir"

# 2. Certificates, document root, directories.
bash "$here/make-certs.sh" "$rundir/certs" >/dev/null
bash "$here/make-docroot.sh" "$docroot" >/dev/null
certs=$rundir/certs
rm -rf "$rundir/logs" "$rundir/pids" "$rundir/nginx" "$rundir/h2o"
mkdir -p "$rundir/logs" "$rundir/pids" "$rundir/nginx" "$rundir/h2o"
big_header=$(cat "$docroot/big-header.txt")

# 3. The instances: port server transport role instance(process name).
instances=(
  "$H2_PEER_NGHTTPD_H2C nghttpd h2c plain nghttpd-plain-h2c"
  "$H2_PEER_NGHTTPD_TLS nghttpd tls plain nghttpd-plain-tls"
  "$H2_PEER_H2O_H2C h2o h2c plain h2o"
  "$H2_PEER_H2O_TLS h2o tls plain h2o"
  "$H2_PEER_NGINX_H2C nginx h2c plain nginx"
  "$H2_PEER_NGINX_TLS nginx tls plain nginx"
  "$H2_PEER_NGHTTPD_MAXSTREAMS10_H2C nghttpd h2c max-streams-10 nghttpd-maxstreams10-h2c"
  "$H2_PEER_NGHTTPD_MAXSTREAMS10_TLS nghttpd tls max-streams-10 nghttpd-maxstreams10-tls"
  "$H2_PEER_NGINX_MAXSTREAMS10_H2C nginx h2c max-streams-10 nginx"
  "$H2_PEER_NGINX_MAXSTREAMS10_TLS nginx tls max-streams-10 nginx"
  "$H2_PEER_NGINX_GOAWAY100_H2C nginx h2c goaway-after-100 nginx"
  "$H2_PEER_NGINX_GOAWAY100_TLS nginx tls goaway-after-100 nginx"
  "$H2_PEER_NGHTTPD_TRAILERS_H2C nghttpd h2c trailers nghttpd-trailers-h2c"
  "$H2_PEER_NGHTTPD_TRAILERS_TLS nghttpd tls trailers nghttpd-trailers-tls"
  "$H2_PEER_NGHTTPD_BIGTRAILER_H2C nghttpd h2c big-trailer nghttpd-bigtrailer-h2c"
  "$H2_PEER_NGHTTPD_BIGTRAILER_TLS nghttpd tls big-trailer nghttpd-bigtrailer-tls"
  "$H2_PEER_NGHTTPD_WRONGHOST_TLS nghttpd tls wrong-host-cert nghttpd-wronghost"
  "$H2_PEER_NGHTTPD_UNTRUSTED_TLS nghttpd tls untrusted-ca-cert nghttpd-untrusted"
)
printf '%s\n' "${instances[@]}" | tr ' ' '\t' >"$rundir/peers.tsv"

# Every port must be free now: a stranger on one of them is a failure.
busy=0
for line in "${instances[@]}"; do
  read -r port _ <<<"$line"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start-peers: FAILED: port $port is already in use by a process this script did not start:" >&2
    ss -ltnp "sport = :$port" >&2 2>/dev/null || true
    busy=1
  fi
done
((busy == 0)) || exit 1

# 4. Launch. Each daemon is its own session and process group (setsid), so
# stop-peers.sh can end it with all its children; its stdin, stdout and
# stderr are not the caller's, so CTest does not wait for it.
echo "$rundir" >>"${H2_PEERS_REGISTRY:-/tmp/libh2-peers.active}"
launch() { # name, command...
  local name=$1
  shift
  LIBH2_PEERS_RUNDIR=$rundir setsid "$@" </dev/null >"$rundir/logs/$name.log" 2>&1 &
  echo $! >"$rundir/pids/$name.pid"
}

# The servers see the document root through a link inside the run dir, so
# that every server's command line names the run dir: stop-peers.sh only
# signals processes whose command line does, and a shared document root
# elsewhere (H2_PEERS_DOCROOT) must not hide a cleartext nghttpd from it.
ln -sfn "$docroot" "$rundir/htdocs"
nghttpd_common=(-a 127.0.0.1 -d "$rundir/htdocs")
launch nghttpd-plain-h2c nghttpd "${nghttpd_common[@]}" --echo-upload --no-tls "$H2_PEER_NGHTTPD_H2C"
launch nghttpd-plain-tls nghttpd "${nghttpd_common[@]}" --echo-upload \
  "$H2_PEER_NGHTTPD_TLS" "$certs/server.key" "$certs/server.pem"
launch nghttpd-maxstreams10-h2c nghttpd "${nghttpd_common[@]}" -m 10 --echo-upload --no-tls \
  "$H2_PEER_NGHTTPD_MAXSTREAMS10_H2C"
launch nghttpd-maxstreams10-tls nghttpd "${nghttpd_common[@]}" -m 10 --echo-upload \
  "$H2_PEER_NGHTTPD_MAXSTREAMS10_TLS" "$certs/server.key" "$certs/server.pem"
trailers=(--trailer "x-trailer-one: one" --trailer "x-trailer-two: two")
launch nghttpd-trailers-h2c nghttpd "${nghttpd_common[@]}" "${trailers[@]}" --no-tls \
  "$H2_PEER_NGHTTPD_TRAILERS_H2C"
launch nghttpd-trailers-tls nghttpd "${nghttpd_common[@]}" "${trailers[@]}" \
  "$H2_PEER_NGHTTPD_TRAILERS_TLS" "$certs/server.key" "$certs/server.pem"
launch nghttpd-bigtrailer-h2c nghttpd "${nghttpd_common[@]}" --trailer "x-big-trailer: $big_header" \
  --no-tls "$H2_PEER_NGHTTPD_BIGTRAILER_H2C"
launch nghttpd-bigtrailer-tls nghttpd "${nghttpd_common[@]}" --trailer "x-big-trailer: $big_header" \
  "$H2_PEER_NGHTTPD_BIGTRAILER_TLS" "$certs/server.key" "$certs/server.pem"
launch nghttpd-wronghost nghttpd "${nghttpd_common[@]}" \
  "$H2_PEER_NGHTTPD_WRONGHOST_TLS" "$certs/wrong-host.key" "$certs/wrong-host.pem"
launch nghttpd-untrusted nghttpd "${nghttpd_common[@]}" \
  "$H2_PEER_NGHTTPD_UNTRUSTED_TLS" "$certs/untrusted-server.key" "$certs/untrusted-server.pem"

# h2o: one process, two listeners. Runs as root (user: root), logs to stderr.
h2o_paths() {
  cat <<EOF
    paths:
      /echo:
        mruby.handler: |
          Proc.new do |env|
            input = env["rack.input"]
            body = input ? input.read : ""
            [200, {"content-type" => "application/octet-stream",
                   "x-body-length" => body.bytesize.to_s}, [body]]
          end
      /big-header:
        file.dir: "$docroot"
        header.add: "$H2_PEER_BIG_HEADER_NAME: $big_header"
      /:
        file.dir: "$docroot"
EOF
}
{
  cat <<EOF
# Generated by tests/peers/start-peers.sh
user: root
num-threads: 2
max-connections: 1024
hosts:
  "127.0.0.1:$H2_PEER_H2O_H2C":
    listen:
      host: 127.0.0.1
      port: $H2_PEER_H2O_H2C
EOF
  h2o_paths
  cat <<EOF
  "localhost:$H2_PEER_H2O_TLS":
    listen:
      host: 127.0.0.1
      port: $H2_PEER_H2O_TLS
      ssl:
        certificate-file: "$certs/server.pem"
        key-file: "$certs/server.key"
        ocsp-update-interval: 0
EOF
  h2o_paths
} >"$rundir/h2o/h2o.conf"
launch h2o h2o -m worker -c "$rundir/h2o/h2o.conf"

# nginx: one master (in the foreground, as root) for all its ports, with the
# Lua module for the POST endpoints. Debian's /etc/nginx is never read.
ngx=$rundir/nginx
big_chunk=${big_header:0:2048} # 40960 = 20 x 2048, and 2048 is a multiple of the period
big_var=""
# shellcheck disable=SC2016 # an nginx variable, not a shell one
for ((i = 0; i < ${#big_header} / 2048; i++)); do big_var+='$h2_big_chunk'; done
[ "$(printf "%.0s$big_chunk" $(seq 20))" = "$big_header" ] ||
  { echo "start-peers: big header is not 20 copies of its first 2048 bytes" >&2; exit 1; }
cat >"$ngx/locations.conf" <<EOF
# Generated by tests/peers/start-peers.sh; included by every server.
root $docroot;
set \$h2_big_chunk "$big_chunk";
set \$h2_big "$big_var";

location / {
}
location /big-header/ {
    alias $docroot/;
    add_header $H2_PEER_BIG_HEADER_NAME \$h2_big always;
}
location /trailers/ {
    alias $docroot/;
    add_trailer x-trailer-one one;
    add_trailer x-trailer-two two;
}
location = /echo {
    client_max_body_size 0;
    client_body_buffer_size 16m;
    content_by_lua_block {
        local body = h2_read_body()
        ngx.header["content-type"] = "application/octet-stream"
        ngx.header["content-length"] = #body
        ngx.header["x-body-length"] = #body
        ngx.print(body)
    }
}
location = /sha256 {
    client_max_body_size 0;
    client_body_buffer_size 16m;
    content_by_lua_block {
        local body = h2_read_body()
        local md = ffi.new("unsigned char[32]")
        ffi.C.SHA256(body, #body, md)
        local hex = {}
        for i = 0, 31 do hex[#hex + 1] = string.format("%02x", md[i]) end
        ngx.header["content-type"] = "text/plain"
        ngx.header["x-body-length"] = #body
        ngx.say(table.concat(hex) .. "  " .. #body)
    }
}
EOF
ngx_tls() {
  printf '    ssl_certificate %s;\n    ssl_certificate_key %s;\n' "$certs/server.pem" "$certs/server.key"
}
ngx_server() { # port, tls|h2c, extra directives
  local ssl=""
  [ "$2" = tls ] && ssl=" ssl"
  echo "server {"
  echo "    listen 127.0.0.1:$1$ssl http2;"
  [ "$2" = tls ] && ngx_tls
  [ -n "${3:-}" ] && echo "    $3"
  echo "    include $ngx/locations.conf;"
  echo "}"
}
{
  cat <<EOF
# Generated by tests/peers/start-peers.sh
daemon off;
master_process on;
worker_processes 1;
user root;
pid $ngx/nginx.pid;
error_log $rundir/logs/nginx.log notice;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path $ngx/client_body;
    proxy_temp_path $ngx/proxy;
    fastcgi_temp_path $ngx/fastcgi;
    uwsgi_temp_path $ngx/uwsgi;
    scgi_temp_path $ngx/scgi;
    types {
        text/html html;
        text/plain txt;
        application/octet-stream bin;
    }
    default_type application/octet-stream;
    # sendfile makes nginx 1.22's HTTP/2 hold a response's last small DATA
    # frame behind the client's delayed ACK: about 44 ms per sequential
    # request (h2load -c1 -m1 shows it too), which would hide our own
    # per-request costs. Reading files into buffers avoids it.
    sendfile off;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    init_by_lua_block {
        ffi = require "ffi"
        ffi.cdef[[unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md);]]
        function h2_read_body()
            ngx.req.read_body()
            local body = ngx.req.get_body_data()
            if body then return body end
            local path = ngx.req.get_body_file()
            if not path then return "" end
            local f = assert(io.open(path, "rb"))
            body = f:read("*a")
            f:close()
            return body
        end
    }
EOF
  ngx_server "$H2_PEER_NGINX_H2C" h2c
  ngx_server "$H2_PEER_NGINX_TLS" tls
  ngx_server "$H2_PEER_NGINX_MAXSTREAMS10_H2C" h2c "http2_max_concurrent_streams 10;"
  ngx_server "$H2_PEER_NGINX_MAXSTREAMS10_TLS" tls "http2_max_concurrent_streams 10;"
  ngx_server "$H2_PEER_NGINX_GOAWAY100_H2C" h2c "keepalive_requests $H2_PEER_GOAWAY_AFTER;"
  ngx_server "$H2_PEER_NGINX_GOAWAY100_TLS" tls "keepalive_requests $H2_PEER_GOAWAY_AFTER;"
  echo "}"
} >"$ngx/nginx.conf"
launch nginx nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$rundir/logs/nginx.log"

{
  echo "# Generated by tests/peers/start-peers.sh: source it in tests."
  echo "H2_PEERS_RUNDIR=$rundir"
  echo "H2_PEERS_DOCROOT=$docroot"
  echo "H2_PEERS_CERTS=$certs"
  echo "H2_PEERS_CA=$certs/ca.pem"
  echo "H2_PEERS_UNTRUSTED_CA=$certs/untrusted-ca.pem"
  echo "H2_PEER_PORT_OFFSET=$port_offset"
  grep -E '^[A-Z0-9_]+=' "$here/ports.env" | while IFS== read -r name value; do
    if grep -qxF "$name" <<<"$port_vars"; then echo "$name=${!name}"; else echo "$name=$value"; fi
  done
} >"$rundir/peers.env"

# 5. Wait until every port answers GET /1k.bin over HTTP/2 (h2c with prior
# knowledge, or TLS with ALPN h2 and a verified certificate).
probe() { # port transport role -> "2 200" when up
  local url=http://127.0.0.1:$1/1k.bin opts=(--http2-prior-knowledge)
  if [ "$2" = tls ]; then
    opts=(--http2 --cacert "$certs/ca.pem")
    url=https://localhost:$1/1k.bin
    case $3 in
      wrong-host-cert) url=https://wrong.example:$1/1k.bin ;;
      untrusted-ca-cert) opts=(--http2 --cacert "$certs/untrusted-ca.pem") ;;
    esac
    opts+=(--resolve "localhost:$1:127.0.0.1" --resolve "wrong.example:$1:127.0.0.1")
  fi
  curl -s --max-time 2 -o /dev/null -w '%{http_version} %{response_code}' "${opts[@]}" "$url" 2>/dev/null || true
}
alive() { kill -0 "$(cat "$rundir/pids/$1.pid")" 2>/dev/null; }

declare -A state
pending=${#instances[@]}
deadline=$(($(date +%s%N) + startup_timeout * 1000000000))
while ((pending > 0)); do
  for line in "${instances[@]}"; do
    read -r port server transport role name <<<"$line"
    [ -z "${state[$port]:-}" ] || continue
    if [ "$(probe "$port" "$transport" "$role")" = "2 200" ]; then
      state[$port]=up
      pending=$((pending - 1))
    elif ! alive "$name"; then
      state[$port]="FAILED (exited)"
      pending=$((pending - 1))
    fi
  done
  ((pending > 0)) || break
  if (($(date +%s%N) > deadline)); then
    for line in "${instances[@]}"; do
      read -r port _ <<<"$line"
      [ -n "${state[$port]:-}" ] || state[$port]="FAILED (no HTTP/2 answer in ${startup_timeout}s)"
    done
    break
  fi
  sleep 0.1
done

failed=()
printf '%-6s %-8s %-4s %-18s %s\n' PORT SERVER TLS ROLE STATE
for line in "${instances[@]}"; do
  read -r port server transport role name <<<"$line"
  printf '%-6s %-8s %-4s %-18s %s\n' "$port" "$server" "$transport" "$role" "${state[$port]}"
  if [ "${state[$port]}" != up ]; then
    [[ " ${failed[*]-} " == *" $name "* ]] || failed+=("$name")
  fi
done

if ((${#failed[@]})); then
  for name in "${failed[@]}"; do
    echo "--- start-peers: $name did not start; tail of $rundir/logs/$name.log:"
    tail -n 20 "$rundir/logs/$name.log" 2>/dev/null || true
  done
  echo "start-peers: FAILED: ${failed[*]}" >&2
  bash "$here/stop-peers.sh" "$rundir" >/dev/null 2>&1 || true
  exit 1
fi
echo "start-peers: all ${#instances[@]} ports up in $(elapsed) (run dir $rundir)"
