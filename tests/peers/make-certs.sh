#!/usr/bin/env bash
# Generates the test PKI into DIR (created if missing), with the openssl CLI
# only. Idempotent: a complete, still valid set is left as it is.
#
#   tests/peers/make-certs.sh DIR
#
# Files (all PEM, keys are EC P-256, unencrypted):
#   ca.pem, ca.key                    the test CA (trust anchor for tests)
#   server.pem, server.key            localhost, 127.0.0.1, ::1 — signed by the test CA
#   wrong-host.pem, wrong-host.key    wrong.example only — signed by the test CA
#   untrusted-ca.pem, untrusted-ca.key          a second CA that tests never trust
#   untrusted-server.pem, untrusted-server.key  localhost, 127.0.0.1, ::1 — signed by it
#   client.pem, client.key            a client certificate (clientAuth) — signed by the test CA
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
generation=1 # bump when the set of files or their contents change
days=3650

mkdir -p "$dir"
cd "$dir"

files=(ca.pem ca.key server.pem server.key wrong-host.pem wrong-host.key
       untrusted-ca.pem untrusted-ca.key untrusted-server.pem untrusted-server.key
       client.pem client.key)

complete() {
  [ "$(cat .complete 2>/dev/null)" = "$generation" ] || return 1
  local f
  for f in "${files[@]}"; do [ -s "$f" ] || return 1; done
  # Still valid for at least a day.
  for f in ca.pem server.pem wrong-host.pem untrusted-ca.pem untrusted-server.pem client.pem; do
    openssl x509 -in "$f" -noout -checkend 86400 >/dev/null || return 1
  done
}
complete && exit 0

rm -f .complete
tmp=$(mktemp -d "$PWD/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }

make_ca() { # name, subject
  newkey "$tmp/$1.key"
  openssl req -new -x509 -key "$tmp/$1.key" -out "$tmp/$1.pem" -days "$days" -sha256 \
    -subj "$2" -set_serial "$(serial)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

make_leaf() { # name, ca name, subject, extensions (one per line)
  newkey "$tmp/$1.key"
  openssl req -new -key "$tmp/$1.key" -out "$tmp/$1.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" >"$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" \
    -set_serial "$(serial)" -days "$days" -sha256 -extfile "$tmp/$1.ext" \
    -out "$tmp/$1.pem" 2>/dev/null
}

server_ext() { # subjectAltName value
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" \
    "subjectAltName=$1"
}

make_ca ca "/O=libh2 tests/CN=libh2 test CA"
make_leaf server ca "/O=libh2 tests/CN=localhost" \
  "$(server_ext "DNS:localhost,IP:127.0.0.1,IP:::1")"
make_leaf wrong-host ca "/O=libh2 tests/CN=wrong.example" \
  "$(server_ext "DNS:wrong.example")"
make_ca untrusted-ca "/O=libh2 tests/CN=libh2 untrusted CA"
make_leaf untrusted-server untrusted-ca "/O=libh2 tests/CN=localhost" \
  "$(server_ext "DNS:localhost,IP:127.0.0.1,IP:::1")"
make_leaf client ca "/O=libh2 tests/CN=libh2 test client" \
  "$(printf '%s\n' "basicConstraints=critical,CA:FALSE" \
     "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" \
     "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid")"

# Sanity: each leaf verifies against its own CA.
for pair in server:ca wrong-host:ca untrusted-server:untrusted-ca client:ca; do
  openssl verify -CAfile "$tmp/${pair#*:}.pem" "$tmp/${pair%%:*}.pem" >/dev/null
done

chmod 600 "$tmp"/*.key
for f in "${files[@]}"; do mv -f "$tmp/$f" "$f"; done
echo "$generation" >.complete
echo "make-certs: generated test certificates in $PWD"
