#!/usr/bin/env bash
# Stops the peers that tests/peers/start-peers.sh started.
#
#   tests/peers/stop-peers.sh RUNDIR          the peers of RUNDIR
#   tests/peers/stop-peers.sh --all [RUNDIR]  those of every run directory
#                                              started on this machine, and RUNDIR's
#
# Each daemon was started as the leader of its own process group, so the
# whole group (nginx's workers too) gets SIGTERM, then SIGKILL after 5 s.
# A pid file is acted on only while its process still runs from that run
# directory (its command line names it), so a recycled pid is never hit.
# Exits 0 once nothing of theirs runs, 1 if something survived SIGKILL.
set -uo pipefail

registry=${H2_PEERS_REGISTRY:-/tmp/libh2-peers.active}
dirs=()
if [ "${1:-}" = --all ]; then
  shift
  [ -f "$registry" ] && mapfile -t dirs <"$registry"
fi
[ $# -ge 1 ] && [ -d "$1" ] && dirs+=("$(cd "$1" && pwd)")
if [ "${#dirs[@]}" -eq 0 ] && [ $# -eq 0 ]; then
  echo "usage: $0 RUNDIR | --all [RUNDIR]" >&2
  exit 2
fi

# "PGRP PID" of every live (not zombie) process, one scan of /proc.
live_processes() {
  local f stat fields
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue
    read -ra fields <<<"${stat##*) }" # 0 state, 1 ppid, 2 pgrp
    [ "${fields[0]}" != Z ] && [ "${fields[0]}" != X ] && echo "${fields[2]} ${f//[^0-9]/}"
  done
}
# Live members of process group $1 (from a live_processes listing in $2).
group_members() { awk -v g="$1" '$1 == g { print $2 }' <<<"$2"; }

groups=()
for dir in "${dirs[@]+"${dirs[@]}"}"; do
  [ -d "$dir/pids" ] || continue
  for pidfile in "$dir"/pids/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null)
    rm -f "$pidfile"
    [[ $pid =~ ^[0-9]+$ ]] || continue
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    [[ $cmdline == *"$dir/"* ]] || continue
    groups+=("$pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
done

# Wait for every group to be gone; SIGKILL what is left after 5 s.
left=()
for ((tick = 0; tick < 100 && ${#groups[@]} > 0; tick++)); do
  procs=$(live_processes)
  left=()
  for g in "${groups[@]}"; do
    [ -n "$(group_members "$g" "$procs")" ] && left+=("$g")
  done
  ((${#left[@]})) || break
  if ((tick == 50)); then
    for g in "${left[@]}"; do
      echo "stop-peers: process group $g ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL -- "-$g" 2>/dev/null
      for p in $(group_members "$g" "$procs"); do kill -KILL "$p" 2>/dev/null; done
    done
  fi
  sleep 0.1
done

status=0
procs=$(live_processes)
for g in "${left[@]+"${left[@]}"}"; do
  members=$(group_members "$g" "$procs")
  if [ -n "$members" ]; then
    echo "stop-peers: FAILED: still running: ${members//$'\n'/ }" >&2
    status=1
  fi
done

# Forget the stopped run directories.
if [ -f "$registry" ] && ((status == 0)); then
  keep=$(grep -vxF -f <(printf '%s\n' "${dirs[@]+"${dirs[@]}"}") "$registry" || true)
  if [ -n "$keep" ]; then printf '%s\n' "$keep" >"$registry"; else rm -f "$registry"; fi
fi
exit "$status"
