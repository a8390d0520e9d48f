#!/usr/bin/env bash
# Installs the Debian packages libh2's build, tests and quick start need.
# Only what is missing is installed, so a second run costs nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # the build
  clang libclang-rt-14-dev                        # second compiler, sanitizers, libFuzzer
  libssl-dev libjansson-dev                       # TLS filter, the CLI's JSON
  libnghttp2-dev                                  # reference HPACK for tests and benchmarks
  python3 python3-hpack python3-h2 python3-hyperframe  # independent HPACK, scripted servers
  h2o nghttp2-client nghttp2-server curl          # real peers for the quick start and tests
  nginx libnginx-mod-http-lua openssl iproute2    # more peers (tests/peers), their certificates
  python3-grpcio python3-protobuf lua-cjson       # the Lua examples' gRPC server, JSON (APNs)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (apt-get is needed)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
