#!/usr/bin/env bash
# Runs the resty.http2 binding's tests inside a real nginx with the Lua
# module (Debian's libnginx-mod-http-lua), against the real peers that the
# "peers" fixture started (tests/peers). Test::Nginx is not in Debian, so
# this is the harness: one nginx (port H2_PEER_LUA_HARNESS_PORT) whose locations run
# tests/lua/t_*.lua, fetched with curl; every "ok - " / "not ok - " line is
# a check, and a page that does not end with "done" is a failure.
#
#   tests/lua/run.sh SRC_DIR BUILD_DIR PEERS_DIR
#
# H2_LUA_ONLY=REGEX runs only the pages whose description matches;
# H2_LUA_SEQUENTIAL=N sets the sequential-request count (10000);
# H2_LUA_MEMORY_REQUESTS=N the memory page's requests per phase (100000);
# H2_LUA_VERBOSE=1 prints the pages whole; H2_LUA_SKIP=REGEX skips the pages
# whose description matches.
#
# H2_LUA_VALGRIND=1 runs the harness nginx under valgrind's memcheck, on
# ports shifted by 50 and in its own run directory (so it can run beside
# the plain harness): after the pages, nginx is stopped gracefully, which
# closes the Lua VM and so runs every ffi.gc finalizer, and the memcheck
# log must show no invalid access and no block of libh2 still allocated
# (tests/lua/valgrind/scan_memcheck.py).
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
peers=$(cd "$3" && pwd)
# shellcheck source=/dev/null
source "$peers/peers.env"
export PATH="$PATH:/usr/sbin:/sbin"

valgrind=${H2_LUA_VALGRIND:-}
run=$build/lua-harness
if [ -n "$valgrind" ]; then
  run=$build/lua-harness-valgrind
  for name in $(compgen -v H2_PEER_LUA_); do
    printf -v "$name" '%s' $((${!name} + 50))
  done
fi
harness_port=$H2_PEER_LUA_HARNESS_PORT
rm -rf "$run"
mkdir -p "$run/logs"

[ -f "$build/lua/resty/http2/libpath.lua" ] ||
  { echo "run.sh: $build/lua/resty/http2/libpath.lua missing (configure the build)"; exit 1; }

cat >"$run/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/logs/error.log ${H2_LUA_LOG_LEVEL:-warn};
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections 256; }
http {
    access_log off;
    lua_package_path "$build/lua/?.lua;$src/lua/?.lua;$src/tests/lua/?.lua;$src/examples/lua/?.lua;/usr/share/lua/5.1/?.lua;;";
    lua_socket_log_errors off;
    server {
        listen 127.0.0.1:$harness_port;
        location = / { return 204; }
        location ~ ^/t/(\w+)\$ {
            content_by_lua_file $src/tests/lua/t_\$1.lua;
        }
        # The handlers of examples/lua (docs/lua-examples.md), with the
        # upstream the test pages give in the query.
        location = /example/grpc_hello {
            content_by_lua_block {
                require("grpc_unary").hello_handler(ngx.unescape_uri(ngx.var.arg_upstream))
            }
        }
        location = /example/apns_push {
            content_by_lua_block {
                local a = ngx.req.get_uri_args()
                require("apns_push").push_handler {
                    base = a.base, topic = "com.example.app", pool = "apns-handler",
                    tls = { server_name = "localhost", ca_file = a.ca,
                            cert_file = a.cert, key_file = a.key },
                }
            }
        }
    }
    # mtls-begin: the harness's own servers (not in the installed-prefix copy).
    server {
        listen 127.0.0.1:$H2_PEER_LUA_H2C_PORT http2;
        large_client_header_buffers 4 64k;
        location = /dup {
            add_header x-dup one;
            add_header x-dup two;
            add_header set-cookie a=1;
            add_header set-cookie b=2;
            return 200 "dup\n";
        }
        # nginx sends these as they are (h2o refuses to configure them):
        # the binding removes them, as the seed did.
        location = /conn-fields {
            add_header Connection close;
            add_header Keep-Alive timeout=5;
            add_header Upgrade h2c;
            add_header Proxy-Connection keep-alive;
            add_header X-Kept yes;
            return 200 "fields\n";
        }
        location = /field-size {
            content_by_lua_block { ngx.say("x-big ", #(ngx.var.http_x_big or "")) }
        }
    }
    # h2 over TLS for clients with a certificate of the test CA.
    server {
        listen 127.0.0.1:$H2_PEER_LUA_MTLS_PORT ssl http2;
        ssl_certificate $H2_PEERS_CERTS/server.pem;
        ssl_certificate_key $H2_PEERS_CERTS/server.key;
        ssl_client_certificate $H2_PEERS_CA;
        # "optional" so that /3/device/ can answer a client without a
        # certificate the way APNs does (403); the other locations refuse
        # it with 400, as "on" would.
        ssl_verify_client optional;
        location / {
            if (\$ssl_client_verify != SUCCESS) { return 400 "no client certificate\n"; }
            return 200 "client \$ssl_client_s_dn\n";
        }
        location = /slow {
            if (\$ssl_client_verify != SUCCESS) { return 400 "no client certificate\n"; }
            content_by_lua_block { ngx.sleep(2) ngx.say("late") }
        }
        # An APNs look-alike for the APNs example (tests/lua/apns_server.lua).
        location /3/device/ { content_by_lua_file $src/tests/lua/apns_server.lua; }
    }
    # mtls-end
}
CONF

/usr/bin/python3 "$src/tests/lua/quirks_server.py" "$H2_PEER_LUA_QUIRKS_PORT" \
  2>"$run/logs/quirks.log" &
quirks_pid=$!
if [ -n "$valgrind" ]; then
  # --keep-debuginfo: libh2 is unloaded when the VM closes, before the leak
  # check names the frames of what is left.
  valgrind --quiet --tool=memcheck --leak-check=full --show-leak-kinds=all \
    --keep-debuginfo=yes --num-callers=64 --log-file="$run/logs/memcheck.log" \
    nginx -p "$run/" -c "$run/nginx.conf" -e "$run/logs/error.log" &
else
  nginx -p "$run/" -c "$run/nginx.conf" -e "$run/logs/error.log" &
fi
nginx_pid=$!
# The gRPC example's server (tests/lua/grpc_server.py, Debian's
# python3-grpcio) starts beside nginx; the "grpc example" page below waits
# for its "ready" line and counts a server that never came up as a failure.
/usr/bin/python3 "$src/tests/lua/grpc_server.py" --h2c "$H2_PEER_LUA_GRPC_H2C" \
  --tls "$H2_PEER_LUA_GRPC_TLS" --cert "$H2_PEERS_CERTS/server.pem" \
  --key "$H2_PEERS_CERTS/server.key" >"$run/logs/grpc.out" 2>&1 &
grpc_pid=$!
trap 'kill "$nginx_pid" "$quirks_pid" "$grpc_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$harness_port/" && break
  kill -0 "$nginx_pid" 2>/dev/null ||
    { echo "not ok - the harness nginx did not start"; cat "$run/logs/error.log"; exit 1; }
  sleep 0.1
done

passed=0
failed=0
only=${H2_LUA_ONLY:-} # a regular expression: run only the pages it matches
skip=${H2_LUA_SKIP:-} # and one for the pages not to run
wanted() { # description
  { [ -z "$only" ] || [[ $1 =~ $only ]]; } && { [ -z "$skip" ] || ! [[ $1 =~ $skip ]]; }
}
page() { # description, path
  local out
  wanted "$1" || return 0
  out=$(curl -s --max-time 300 "http://127.0.0.1:$harness_port$2" || true)
  if [ -n "${H2_LUA_VERBOSE:-}" ]; then printf '%s\n' "$out"; else
    printf '%s\n' "$out" | grep -E '^(not )?ok - ' || true
  fi
  passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok - ' || true)))
  failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok - ' || true)))
  if [ "$(printf '%s\n' "$out" | tail -n 1)" != done ]; then
    echo "not ok - $1: the page did not finish; its end and the error log:"
    printf '%s\n' "$out" | tail -n 30
    tail -n 20 "$run/logs/error.log"
    failed=$((failed + 1))
  fi
}

n=${H2_LUA_SEQUENTIAL:-10000}
page "nginx h2c" "/t/client?server=nginx&port=$H2_PEER_NGINX_H2C&n=$n&docroot=$H2_PEERS_DOCROOT"
page "h2o h2c" "/t/client?server=h2o&port=$H2_PEER_H2O_H2C&n=$n&docroot=$H2_PEERS_DOCROOT"
page "nghttpd h2c" "/t/client?server=nghttpd&port=$H2_PEER_NGHTTPD_H2C&n=$n&docroot=$H2_PEERS_DOCROOT"
for s in nginx:$H2_PEER_NGINX_TLS h2o:$H2_PEER_H2O_TLS nghttpd:$H2_PEER_NGHTTPD_TLS; do
  page "${s%%:*} tls client" "/t/client?server=${s%%:*}-tls&port=${s#*:}&n=$n&docroot=$H2_PEERS_DOCROOT&tls=1&ca=$H2_PEERS_CA"
done
page "nginx trailers" "/t/fields?server=nginx&port=$H2_PEER_NGINX_H2C&path=/trailers/1k.bin&expect=trailers"
page "nghttpd trailers" "/t/fields?server=nghttpd&port=$H2_PEER_NGHTTPD_TRAILERS_H2C&path=/1k.bin&expect=trailers"
page "nginx goaway" "/t/goaway?port=$H2_PEER_NGINX_GOAWAY100_H2C&after=$H2_PEER_GOAWAY_AFTER"
tls_common="docroot=$H2_PEERS_DOCROOT&ca=$H2_PEERS_CA"
page "nginx threads" "/t/threads?server=nginx&port=$H2_PEER_NGINX_H2C&docroot=$H2_PEERS_DOCROOT"
page "h2o threads" "/t/threads?server=h2o&port=$H2_PEER_H2O_H2C&docroot=$H2_PEERS_DOCROOT"
page "nghttpd threads" "/t/threads?server=nghttpd&port=$H2_PEER_NGHTTPD_H2C&docroot=$H2_PEERS_DOCROOT"
page "nginx tls threads" "/t/threads?server=nginx&port=$H2_PEER_NGINX_TLS&tls=1&$tls_common"
# A server allowing 10 streams: the other requests of the 100 threads wait
# in the core for a slot (MAX_CONCURRENT_STREAMS honoured, none refused).
page "nginx max-10-streams threads" "/t/threads?server=nginx-max10&port=$H2_PEER_NGINX_MAXSTREAMS10_H2C&docroot=$H2_PEERS_DOCROOT&settings_first=1"
page "nghttpd max-10-streams threads" "/t/threads?server=nghttpd-max10&port=$H2_PEER_NGHTTPD_MAXSTREAMS10_H2C&docroot=$H2_PEERS_DOCROOT&settings_first=1"

# The worker pool (resty.http2.pool).
pool_page() { page "$1 pool $2" "/t/pool?case=$2&server=$1&port=$3&docroot=$H2_PEERS_DOCROOT&ca=$H2_PEERS_CA${4:-}"; }
pool_page nginx basic "$H2_PEER_NGINX_H2C"
pool_page h2o basic "$H2_PEER_H2O_H2C"
pool_page nghttpd basic "$H2_PEER_NGHTTPD_H2C"
pool_page nginx basic "$H2_PEER_NGINX_TLS" "&tls=1"
pool_page h2o basic "$H2_PEER_H2O_TLS" "&tls=1"
pool_page nginx full "$H2_PEER_NGINX_MAXSTREAMS10_H2C"
pool_page nginx goaway "$H2_PEER_NGINX_GOAWAY100_H2C"
pool_page nginx goaway "$H2_PEER_NGINX_GOAWAY100_TLS" "&tls=1"
pool_page nginx idle "$H2_PEER_NGINX_H2C"
pool_page harness timeout "$H2_PEER_LUA_MTLS_PORT" "&cert=$H2_PEERS_CERTS/client.pem&key=$H2_PEERS_CERTS/client.key"
# Many clients of nginx at once, each request handled through the pool.
clients=60
if wanted "nginx pool one"; then
  seq 1 "$clients" | xargs -P 30 -I{} curl -s --max-time 60 \
    "http://127.0.0.1:$harness_port/t/pool?case=one&server=nginx&port=$H2_PEER_NGINX_H2C&docroot=$H2_PEERS_DOCROOT" \
    >"$run/pool-one.out"
  one_ok=$(grep -c '^ok - ' "$run/pool-one.out" || true)
  if [ "$one_ok" -eq "$clients" ]; then
    echo "ok - nginx pool: $clients concurrent client requests served through the pool"
    passed=$((passed + 1))
  else
    echo "not ok - nginx pool: $one_ok of $clients concurrent client requests succeeded"
    grep -v '^ok - \|^done' "$run/pool-one.out" | head -5
    failed=$((failed + 1))
  fi
  pool_page nginx stats "$H2_PEER_NGINX_H2C" "&n=$clients"
fi
page "nginx tls" "/t/tls?server=nginx&port=$H2_PEER_NGINX_TLS&$tls_common&mtls=$H2_PEER_LUA_MTLS_PORT&cert=$H2_PEERS_CERTS/client.pem&key=$H2_PEERS_CERTS/client.key"
page "h2o tls" "/t/tls?server=h2o&port=$H2_PEER_H2O_TLS&$tls_common"
page "nghttpd tls" "/t/tls?server=nghttpd&port=$H2_PEER_NGHTTPD_TLS&$tls_common&wronghost=$H2_PEER_NGHTTPD_WRONGHOST_TLS&untrusted=$H2_PEER_NGHTTPD_UNTRUSTED_TLS&untrusted_ca=$H2_PEERS_UNTRUSTED_CA"
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$H2_PEER_LUA_QUIRKS_PORT") 2>/dev/null && break
  sleep 0.1
done
page "quirks" "/t/quirks?port=$H2_PEER_LUA_QUIRKS_PORT"
page "quirks pool hung" "/t/pool?case=hung&server=quirks&port=$H2_PEER_LUA_QUIRKS_PORT&docroot=$H2_PEERS_DOCROOT"
page "harness fields" "/t/fields?server=harness&port=$H2_PEER_LUA_H2C_PORT&path=/dup&expect=harness"
for s in nginx:$H2_PEER_NGINX_H2C h2o:$H2_PEER_H2O_H2C; do
  page "${s%%:*} big header" "/t/fields?server=${s%%:*}&port=${s#*:}&path=/big-header/1k.bin&expect=bigheader&len=$H2_PEER_BIG_HEADER_LEN"
done

# Worker memory flat over H2_LUA_MEMORY_REQUESTS (100000) requests on a
# reused session and through the pool (h2o: no request limit per connection).
page "memory" "/t/memory?port=$H2_PEER_H2O_H2C&n=${H2_LUA_MEMORY_REQUESTS:-100000}&docroot=$H2_PEERS_DOCROOT"

# The low-level modules (resty.http2.frame, .hpack, .protocol, .stream):
# the codecs alone, then a protocol.session against each server.
page "lowlevel codec" "/t/lowlevel?part=codec"
for s in nginx:$H2_PEER_NGINX_H2C h2o:$H2_PEER_H2O_H2C nghttpd:$H2_PEER_NGHTTPD_H2C; do
  page "${s%%:*} lowlevel session" "/t/lowlevel?part=session&server=${s%%:*}&port=${s#*:}&docroot=$H2_PEERS_DOCROOT"
done
for s in nginx:$H2_PEER_NGINX_TLS h2o:$H2_PEER_H2O_TLS nghttpd:$H2_PEER_NGHTTPD_TLS; do
  page "${s%%:*} tls lowlevel session" "/t/lowlevel?part=session&server=${s%%:*}-tls&port=${s#*:}&docroot=$H2_PEERS_DOCROOT&tls=1&ca=$H2_PEERS_CA"
done

# The examples of docs/lua-examples.md: the doc shows examples/lua/*.lua
# verbatim (checked here), and these pages run those files against a real
# gRPC server and the APNs look-alike of the mTLS port.
if wanted "examples doc"; then
  if drift=$(/usr/bin/python3 "$src/tests/lua/check_examples_doc.py" "$src" 2>&1); then
    echo "ok - examples doc: $drift"
    passed=$((passed + 1))
  else
    echo "not ok - examples doc: $drift"
    failed=$((failed + 1))
  fi
fi
if wanted "grpc example"; then
  # A server that cannot start is a failure, never a skip.
  for _ in $(seq 1 100); do
    grep -qx ready "$run/logs/grpc.out" && break
    kill -0 "$grpc_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -qx ready "$run/logs/grpc.out"; then
    page "grpc example" "/t/grpc?h2c=$H2_PEER_LUA_GRPC_H2C&tls=$H2_PEER_LUA_GRPC_TLS&ca=$H2_PEERS_CA"
  else
    echo "not ok - grpc example: the gRPC server did not start:"
    tail -n 20 "$run/logs/grpc.out"
    failed=$((failed + 1))
  fi
fi
page "apns example" "/t/apns?port=$H2_PEER_LUA_MTLS_PORT&ca=$H2_PEERS_CA&cert=$H2_PEERS_CERTS/client.pem&key=$H2_PEERS_CERTS/client.key"

# After the install step, lua_package_path naming the installed directory
# is all nginx needs: a second nginx (H2_PEER_LUA_INSTALLED_PORT) sees nothing else.
if ! wanted "installed prefix"; then
  :
elif cmake --install "$build" --prefix "$run/prefix" >"$run/logs/install.log" 2>&1; then
  sed -e '/# mtls-begin/,/# mtls-end/d' \
      -e "s|listen 127.0.0.1:$harness_port;|listen 127.0.0.1:$H2_PEER_LUA_INSTALLED_PORT;|" \
      -e "s|lua_package_path .*|lua_package_path \"$run/prefix/share/lua/5.1/?.lua;/usr/share/lua/5.1/?.lua\";|" \
      -e "s|pid $run/nginx.pid;|pid $run/nginx-installed.pid;|" \
      -e "s|error_log $run/logs/error.log|error_log $run/logs/error-installed.log|" \
      "$run/nginx.conf" >"$run/nginx-installed.conf"
  nginx -p "$run/" -c "$run/nginx-installed.conf" -e "$run/logs/error-installed.log" &
  installed_pid=$!
  trap 'kill "$nginx_pid" "$quirks_pid" "$grpc_pid" "$installed_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$H2_PEER_LUA_INSTALLED_PORT/" && break
    sleep 0.1
  done
  harness_port=$H2_PEER_LUA_INSTALLED_PORT page "installed prefix" \
    "/t/installed?prefix=$run/prefix&port=$H2_PEER_NGINX_H2C&docroot=$H2_PEERS_DOCROOT"
else
  echo "not ok - cmake --install into $run/prefix failed:"
  tail -n 20 "$run/logs/install.log"
  failed=$((failed + 1))
fi

if grep -E '\[(alert|crit|emerg)\]' "$run/logs/error.log"; then
  echo "not ok - the harness nginx logged alerts"
  failed=$((failed + 1))
fi

# Under valgrind: a graceful stop closes the Lua VM (every ffi.gc finalizer
# runs), then memcheck writes its leak report; nothing of libh2 may be left.
if [ -n "$valgrind" ]; then
  kill -QUIT "$nginx_pid"
  for _ in $(seq 1 1200); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$nginx_pid" 2>/dev/null; then
    echo "not ok - memcheck: nginx did not exit within 120 s of SIGQUIT"
    failed=$((failed + 1))
  elif report=$(/usr/bin/python3 "$src/tests/lua/valgrind/scan_memcheck.py" \
                  "$run/logs/memcheck.log"); then
    echo "ok - memcheck: $report"
    passed=$((passed + 1))
  else
    echo "not ok - memcheck: $report"
    failed=$((failed + 1))
  fi
fi
echo "lua binding: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
