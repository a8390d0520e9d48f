# Shell helpers shared by the benchmark scripts (bench/run_suite.sh,
# bench/lua/run.sh). Source it; it defines functions only.

# median < numbers, one per line -> their median
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# free_ports N -> N loopback ports free right now, on one line
free_ports() {
  python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' "$1"
}

# start_h2o WORK DOCROOT PORT_H2C PORT_TLS [GEN_DIR]: h2o with ONE worker
# thread serving DOCROOT (and GEN_DIR under /gen) over h2c on PORT_H2C and
# TLS on PORT_TLS (certificates of tests/peers/make-certs.sh in WORK/certs),
# in its own process group; sets h2o_pid and returns once it answers, or
# prints its log and returns 1.
start_h2o() {
  local work=$1 docroot=$2 port_h2c=$3 port_tls=$4 gen=${5:-} paths try
  paths="    paths:"
  [ -z "$gen" ] || paths+=$'\n'"      /gen: {file.dir: \"$gen\"}"
  paths+=$'\n'"      /: {file.dir: \"$docroot\"}"
  {
    echo "user: $(id -un)"
    echo "num-threads: 1"
    echo "max-connections: 1024"
    echo "hosts:"
    echo "  \"127.0.0.1:$port_h2c\":"
    echo "    listen: {host: 127.0.0.1, port: $port_h2c}"
    echo "$paths"
    echo "  \"localhost:$port_tls\":"
    echo "    listen:"
    echo "      host: 127.0.0.1"
    echo "      port: $port_tls"
    echo "      ssl:"
    echo "        certificate-file: \"$work/certs/server.pem\""
    echo "        key-file: \"$work/certs/server.key\""
    echo "        ocsp-update-interval: 0"
    echo "$paths"
  } >"$work/h2o.conf"
  setsid h2o -m worker -c "$work/h2o.conf" </dev/null >"$work/h2o.log" 2>&1 &
  h2o_pid=$!
  for try in $(seq 100); do
    curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$port_h2c/1k.bin" && return 0
    sleep 0.1
  done
  echo "h2o did not start:" >&2
  cat "$work/h2o.log" >&2
  return 1
}

# stop_h2o: ends start_h2o's server (its whole process group).
stop_h2o() {
  if [ -n "${h2o_pid:-}" ]; then
    kill -TERM -- "-$h2o_pid" 2>/dev/null || kill "$h2o_pid" 2>/dev/null || true
  fi
}
