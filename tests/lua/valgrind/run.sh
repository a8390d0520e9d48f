#!/usr/bin/env bash
# The binding under valgrind: luajit (Debian's luajit2, OpenResty's LuaJIT) runs the test pages
# (tests/lua/valgrind/drive.lua, over blocking FFI sockets) against the real
# peers of the "peers" fixture, with memcheck watching libh2. Definite leaks
# and invalid accesses fail the test; LuaJIT's own false positives are
# suppressed narrowly (luajit.supp says why, one by one).
#
#   tests/lua/valgrind/run.sh SRC_DIR BUILD_DIR PEERS_DIR
#
# H2_VALGRIND_OFF=1 runs the driver alone (to tell its failures from
# valgrind's).
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
peers=$(cd "$3" && pwd)
set -a
# shellcheck source=/dev/null
source "$peers/peers.env"
set +a

log=$build/lua-valgrind.log
if [ -n "${H2_VALGRIND_OFF:-}" ]; then
  exec luajit "$src/tests/lua/valgrind/drive.lua" "$src" "$build"
fi
status=0
valgrind --quiet --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
  --suppressions="$src/tests/lua/valgrind/luajit.supp" --log-file="$log" \
  luajit "$src/tests/lua/valgrind/drive.lua" "$src" "$build" || status=$?
cat "$log"
if [ "$status" = 99 ]; then
  echo "not ok - valgrind reported errors (above; full log in $log)"
elif [ "$status" = 0 ]; then
  echo "ok - valgrind: no invalid access, no definite leak"
fi
exit "$status"
