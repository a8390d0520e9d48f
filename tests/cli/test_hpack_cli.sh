#!/usr/bin/env bash
# Tests of `h2 hpack inflate|deflate`: RFC 7541 examples, round trips over
# tests/data/stories, and every error path a person can hit, each checked
# by exit code AND message text.
#
# Usage: test_hpack_cli.sh H2_BINARY [TEMP_PARENT_DIR]
set -euo pipefail

if [[ $# -lt 1 || ! -x $1 ]]; then
  echo "usage: $0 H2_BINARY [TEMP_PARENT_DIR]" >&2
  exit 2
fi
H2=$1
T=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/h2_cli_hpack.XXXXXX")
trap 'rm -rf "$T"' EXIT
STORIES=$(cd "$(dirname "$0")/../data/stories" && pwd)
C4=$STORIES/rfc7541_c4.json

checks=0
failures=0
rc=0

# Runs h2 with the given arguments; output lands in $T/out and $T/err.
run() {
  set +e
  "$H2" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
}

fail() {
  failures=$((failures + 1))
  echo "FAIL: $*" >&2
  echo "  command exit code: $rc" >&2
  sed 's/^/  stdout: /' "$T/out" | head -20 >&2
  sed 's/^/  stderr: /' "$T/err" | head -20 >&2
}

expect_rc() {
  checks=$((checks + 1))
  [[ $rc -eq $1 ]] || fail "$2: expected exit code $1"
}

# expect_in FILE TEXT WHAT: FILE (out or err) contains TEXT literally.
expect_in() {
  checks=$((checks + 1))
  grep -qF -- "$2" "$T/$1" || fail "$3: expected $1 to contain: $2"
}

expect_empty() {
  checks=$((checks + 1))
  [[ ! -s $T/$1 ]] || fail "$2: expected $1 to be empty"
}

# The wires of a story output, one per line.
wires_of() {
  grep -o '"wire": "[0-9a-f]*"' "$1" | sed 's/"wire": "\(.*\)"/\1/'
}

# ---- RFC 7541 C.4 --------------------------------------------------------

run hpack inflate --check "$C4"
expect_rc 0 "inflate --check C.4"
expect_in err "rfc7541_c4.json: ok: 3 cases, 14 fields" "inflate --check C.4"
expect_empty out "inflate --check C.4 prints no JSON"

run hpack inflate "$C4"
expect_rc 0 "inflate C.4"
expect_in out '":authority": "www.example.com"' "inflate C.4 output"
expect_in out '"custom-key": "custom-value"' "inflate C.4 output"
cp "$T/out" "$T/c4_inflated.json"
run hpack inflate --check "$T/c4_inflated.json"
expect_rc 0 "inflate output checks against itself"

run hpack deflate "$C4"
expect_rc 0 "deflate C.4"
cp "$T/out" "$T/c4_deflated.json"
printf '%s\n' 828684418cf1e3c2e5f23a6ba0ab90f4ff 828684be5886a8eb10649cbf \
  828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf >"$T/c4_wires"
checks=$((checks + 1))
wires_of "$T/c4_deflated.json" | diff "$T/c4_wires" - >&2 ||
  fail "deflate C.4 wires differ from RFC 7541 C.4"
expect_in out '"description": "RFC 7541 appendix C.4' "deflate keeps description"

# ---- Round trips over every story ----------------------------------------

mkdir "$T/deflated" "$T/inflated"
run hpack deflate -o "$T/deflated" "$STORIES"/*.json
expect_rc 0 "deflate -o of every story"
expect_empty out "deflate -o prints nothing"
for story in "$STORIES"/*.json; do
  name=$(basename "$story")
  checks=$((checks + 1))
  [[ -s $T/deflated/$name ]] || fail "deflate -o did not write $name"
done
run hpack inflate --check "$T/deflated"/*.json
expect_rc 0 "deflate -> inflate --check round trip"
checks=$((checks + 1))
story_files=("$STORIES"/*.json)
[[ $(grep -c ': ok: ' "$T/err") -eq ${#story_files[@]} ]] ||
  fail "round trip: one summary line per story"
# C.6 starts at 256 bytes, so the encoder's first block must announce it.
checks=$((checks + 1))
[[ $(wires_of "$T/deflated/rfc7541_c6.json" | head -1) == 3fe101* ]] ||
  fail "deflate C.6: first wire must start with a size update to 256"

run hpack inflate -o "$T/inflated" --check "$STORIES"/*.json
expect_rc 0 "inflate --check -o"
for story in "$STORIES"/*.json; do
  name=$(basename "$story")
  checks=$((checks + 1))
  cmp -s <(wires_of "$story") <(wires_of "$T/inflated/$name") ||
    fail "inflate -o $name: wires not kept"
done

# Several FILEs on stdout: one document each, in order.
run hpack deflate "$C4" "$STORIES/rfc7541_c6.json"
expect_rc 0 "deflate of two files to stdout"
checks=$((checks + 1))
[[ $(grep -c '^{$' "$T/out") -eq 2 ]] || fail "two files: two JSON documents"

# ---- --check mismatches ----------------------------------------------------

sed 's/"custom-value"/"custom-valuX"/' "$C4" >"$T/wrong_value.json"
run hpack inflate --check "$T/wrong_value.json"
expect_rc 1 "--check with a wrong value"
expect_in err 'wrong_value.json: seqno 2: header 4: expected "custom-key: custom-valuX", decoded "custom-key: custom-value"' \
  "--check names file, seqno, header and both fields"
expect_empty out "--check mismatch prints no JSON"

# The block carries one field more than the story lists.
cat >"$T/short.json" <<'EOF'
{"cases": [{"seqno": 5, "wire": "828684",
  "headers": [{":method": "GET"}, {":scheme": "http"}]}]}
EOF
run hpack inflate --check "$T/short.json"
expect_rc 1 "--check with an extra decoded field"
expect_in err 'short.json: seqno 5: header 2: expected nothing, decoded ":path: /" (2 headers expected, 3 decoded)' \
  "--check reports the extra field"

# ---- Decode errors (exit 1) ------------------------------------------------

cat >"$T/truncated.json" <<'EOF'
{"cases": [{"seqno": 0, "wire": "828684418cf1e3c2e5f23a6ba0ab90f4",
  "headers": []}]}
EOF
run hpack inflate "$T/truncated.json"
expect_rc 1 "truncated wire"
expect_in err 'truncated.json: seqno 0: cannot decode the wire: ' "truncated wire"
expect_in err 'header block ends inside a field' "truncated wire detail"
expect_empty out "truncated wire prints no JSON"

# A smaller header_table_size must be followed by a size update in the wire.
cat >"$T/no_update.json" <<'EOF'
{"cases": [{"seqno": 0, "wire": "828684418cf1e3c2e5f23a6ba0ab90f4ff"},
           {"seqno": 1, "header_table_size": 100, "wire": "82"}]}
EOF
run hpack inflate "$T/no_update.json"
expect_rc 1 "table size lowered without an update"
expect_in err 'no_update.json: seqno 1: cannot decode the wire: ' "missing update"
expect_in err 'lacks the size update' "missing update detail"
sed 's/"wire": "82"/"wire": "3f4582"/' "$T/no_update.json" >"$T/with_update.json"
run hpack inflate "$T/with_update.json"
expect_rc 0 "table size lowered with an update to 100"

# The value 0xff is not UTF-8, so it cannot be written as JSON.
echo '{"cases": [{"seqno": 3, "wire": "00016101ff"}]}' >"$T/binary.json"
run hpack inflate "$T/binary.json"
expect_rc 1 "decoded value that is not UTF-8"
expect_in err 'binary.json: seqno 3: header 0: value is not valid UTF-8' "not UTF-8"

# ---- Values with NUL bytes -------------------------------------------------

cat >"$T/nul.json" <<'EOF'
{"cases": [{"seqno": 0, "headers": [{"x-nul": "a\u0000b"}, {"empty": ""}]}]}
EOF
run hpack deflate -o "$T/deflated" "$T/nul.json"
expect_rc 0 "deflate a value with NUL"
run hpack inflate --check "$T/deflated/nul.json"
expect_rc 0 "NUL value round trip"
run hpack inflate "$T/deflated/nul.json"
expect_in out '"x-nul": "a\u0000b"' "inflate writes NUL as \\u0000"

# ---- Input errors (exit 2) -------------------------------------------------

run hpack inflate "$T/nope.json"
expect_rc 2 "missing file"
expect_in err "h2: cannot open $T/nope.json: No such file or directory" "missing file"

printf '{"cases": [\n  {"seqno": 0,, "wire": ""}\n]}\n' >"$T/bad.json"
run hpack inflate "$T/bad.json"
expect_rc 2 "bad JSON"
expect_in err "bad.json: line 2, column " "bad JSON gives line and column"
expect_in err "invalid JSON" "bad JSON"

echo '{"description": "no cases"}' >"$T/not_story.json"
run hpack deflate "$T/not_story.json"
expect_rc 2 "JSON that is not a story"
expect_in err 'not a story: expected an object with a "cases" array' "not a story"

cat >"$T/bad_hex.json" <<'EOF'
{"cases": [{"seqno": 0, "wire": "82"}, {"seqno": 3, "wire": "8286g4"}]}
EOF
run hpack inflate "$T/bad_hex.json"
expect_rc 2 "bad hex digit"
expect_in err "bad_hex.json: seqno 3: wire: invalid hex digit 'g' at offset 4" "bad hex"
expect_empty out "bad hex prints no JSON"

echo '{"cases": [{"seqno": 1, "wire": "828"}]}' >"$T/odd_hex.json"
run hpack inflate "$T/odd_hex.json"
expect_rc 2 "odd hex length"
expect_in err "odd_hex.json: seqno 1: wire: odd number of hex digits (3)" "odd hex"

echo '{"cases": [{"seqno": 4, "headers": []}]}' >"$T/no_wire.json"
run hpack inflate "$T/no_wire.json"
expect_rc 2 "inflate without wire"
expect_in err 'no_wire.json: seqno 4: no "wire" to inflate' "no wire"

echo '{"cases": [{"seqno": 4, "wire": "82"}]}' >"$T/no_headers.json"
run hpack inflate --check "$T/no_headers.json"
expect_rc 2 "--check without headers"
expect_in err 'no_headers.json: seqno 4: no "headers" to check against' "no headers"
run hpack deflate "$T/no_headers.json"
expect_rc 2 "deflate without headers"
expect_in err 'no_headers.json: seqno 4: no "headers" to deflate' "no headers"

echo '{"cases": [{"seqno": 6, "headers": [{":method": "GET"}, {"Accept": "*/*"}]}]}' >"$T/upper.json"
run hpack deflate "$T/upper.json"
expect_rc 2 "uppercase name"
expect_in err 'upper.json: seqno 6: header 1: name "Accept" has uppercase letters' "uppercase"

echo '{"cases": [{"seqno": 2, "headers": [{"a": "1", "b": "2"}]}]}' >"$T/two_keys.json"
run hpack deflate "$T/two_keys.json"
expect_rc 2 "header with two names"
expect_in err 'two_keys.json: seqno 2: header 0: expected an object with one name' "two names"

echo '{"cases": [{"seqno": 2, "header_table_size": -1, "headers": []}]}' >"$T/bad_size.json"
run hpack deflate "$T/bad_size.json"
expect_rc 2 "negative header_table_size"
expect_in err 'bad_size.json: seqno 2: "header_table_size" must be an integer' "bad size"

run hpack deflate -o "$T/no/such/dir" "$C4"
expect_rc 2 "unwritable output directory"
expect_in err "h2: cannot write $T/no/such/dir/rfc7541_c4.json: No such file or directory" \
  "unwritable output"

if [[ -w /dev/full ]]; then
  set +e
  "$H2" hpack deflate "$C4" >/dev/full 2>"$T/err"
  rc=$?
  set -e
  : >"$T/out"
  expect_rc 2 "standard output that cannot be written"
  expect_in err "h2: cannot write to standard output: No space left on device" \
    "full standard output"
fi

# ---- Usage (exit 2, usage on stderr) ---------------------------------------

run
expect_rc 2 "no command"
expect_in err "Usage: h2 <command>" "no command shows usage"

run frobnicate
expect_rc 2 "unknown command"
expect_in err "h2: unknown command 'frobnicate'" "unknown command"

run hpack
expect_rc 2 "hpack without subcommand"
expect_in err "h2 hpack: missing inflate or deflate" "hpack without subcommand"
expect_in err "Usage: h2 hpack inflate" "hpack usage on stderr"

run hpack squash "$C4"
expect_rc 2 "unknown hpack subcommand"
expect_in err "h2 hpack: unknown subcommand 'squash'" "unknown subcommand"

run hpack inflate
expect_rc 2 "inflate without FILE"
expect_in err "h2 hpack: no FILE given" "no FILE"

run hpack inflate --bogus "$C4"
expect_rc 2 "unknown option"
expect_in err "h2 hpack: unknown option '--bogus'" "unknown option"

run hpack deflate --check "$C4"
expect_rc 2 "--check with deflate"
expect_in err "h2 hpack: --check applies to inflate only" "--check with deflate"

run hpack inflate "$C4" -o
expect_rc 2 "-o without a directory"
expect_in err "h2 hpack: -o needs a directory" "-o without a directory"

mkdir -p "$T/a" "$T/b"
cp "$C4" "$T/a/same.json"
cp "$C4" "$T/b/same.json"
run hpack inflate -o "$T/inflated" "$T/a/same.json" "$T/b/same.json"
expect_rc 2 "-o with two FILEs of the same name"
expect_in err "two FILEs would both be written to -o DIR/same.json" "same names"

# ---- Help and version (exit 0, stdout) -------------------------------------

run hpack --help
expect_rc 0 "hpack --help"
expect_in out "Exit status:" "hpack --help documents exit codes"
expect_empty err "hpack --help writes nothing on stderr"

run help hpack
expect_rc 0 "help hpack"
expect_in out "Usage: h2 hpack inflate" "help hpack"

run --help
expect_rc 0 "--help"
expect_in out "hpack" "--help lists the hpack command"

run --version
expect_rc 0 "--version"
checks=$((checks + 1))
grep -qE '^h2 \(libh2\) [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "--version format"

echo "cli_hpack: $checks checks, $failures failures"
[[ $failures -eq 0 ]]
