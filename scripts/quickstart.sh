#!/usr/bin/env bash
# Quick start: installs what is missing, builds libh2 and the h2 tool, and
# decodes RFC 7541's example header blocks with `h2 hpack inflate`.
# (The HTTP/2 client, and with it `h2 get` against a local h2o, is being
# built; this script grows with it.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
echo
echo "\$ build/h2 hpack inflate tests/data/stories/rfc7541_c4.json"
build/h2 hpack inflate tests/data/stories/rfc7541_c4.json
echo
echo "\$ build/h2 hpack inflate --check tests/data/stories/*.json"
build/h2 hpack inflate --check tests/data/stories/*.json
