#!/usr/bin/env bash
# Generates the peers' document root into DIR: files of deterministic,
# incompressible content (the AES-128-CTR key stream of a fixed key, one IV
# per file), the value of the large response header, and SHA256SUMS.
# Idempotent: a complete root of the same generation is left as it is, so
# the 1 GiB file is made once per directory (about 2-4 s).
#
#   tests/peers/make-docroot.sh DIR
#
# Files:
#   0.bin 1.bin 1k.bin 16k.bin 1m.bin 10m.bin 1g.bin   0 B ... 1 GiB
#   index.html                                          a short text page
#   big-header.txt   the 40960-byte value of the x-big-header response
#                    header (and nghttpd's x-big-trailer), no newline
#   SHA256SUMS       `sha256sum -c` format, every file above
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
generation=1 # bump when any file's name or content changes
key=6c69626832207465737420646f63726f # "libh2 test docro"

# name size iv (32 hex digits)
specs=(
  "0.bin 0 00000000000000000000000000000000"
  "1.bin 1 00000000000000000000000000000001"
  "1k.bin 1024 00000000000000000000000000000002"
  "16k.bin 16384 00000000000000000000000000000003"
  "1m.bin 1048576 00000000000000000000000000000004"
  "10m.bin 10485760 00000000000000000000000000000005"
  "1g.bin 1073741824 00000000000000000000000000000006"
)
big_header_len=40960
alphabet=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_

mkdir -p "$dir"
cd "$dir"

complete() {
  [ "$(cat .generation 2>/dev/null)" = "$generation" ] && [ -s SHA256SUMS ] || return 1
  local spec name size iv
  for spec in "${specs[@]}"; do
    read -r name size iv <<<"$spec"
    [ -f "$name" ] && [ "$(stat -c %s "$name")" = "$size" ] || return 1
  done
  [ -f index.html ] && [ "$(stat -c %s big-header.txt 2>/dev/null)" = "$big_header_len" ]
}
complete && exit 0

rm -f .generation SHA256SUMS
stream() { # iv: the key stream on stdout, forever
  openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$1" -in /dev/zero 2>/dev/null || true
}

sums=$(mktemp "$PWD/.sums.XXXXXX")
trap 'rm -f "$sums" .tmp.*' EXIT
for spec in "${specs[@]}"; do
  read -r name size iv <<<"$spec"
  tmp=".tmp.$name"
  # The checksum is taken while the file is written (two cores: ~3 s for 1 GiB).
  sum=$(stream "$iv" | head -c "$size" | tee "$tmp" | sha256sum | cut -d' ' -f1)
  [ "$(stat -c %s "$tmp")" = "$size" ] || { echo "make-docroot: short $name" >&2; exit 1; }
  mv -f "$tmp" "$name"
  echo "$sum  $name" >>"$sums"
done

printf 'libh2 test peer\n' >index.html
# 640 times the 64-character alphabet: Huffman coding cannot shrink it below
# about 31 KB, so it never fits one 16 KiB HEADERS frame.
value=""
for ((i = 0; i < big_header_len / ${#alphabet}; i++)); do value+=$alphabet; done
printf '%s' "$value" >big-header.txt
sha256sum index.html big-header.txt >>"$sums"

chmod 644 "$sums"
mv -f "$sums" SHA256SUMS
echo "$generation" >.generation
echo "make-docroot: generated the document root in $PWD"
