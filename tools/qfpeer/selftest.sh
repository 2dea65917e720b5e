#!/usr/bin/env bash
# qfpeer self-test: a qfpeer initiator against a qfpeer acceptor (QuickFIX on both
# ends) on loopback. Exits non-zero on the first failed check.
#
#   speed           N NewOrderSingles each way, as fast as the sessions allow
#   kill-initiator  N each way at RATE/s; kill -9 the initiator mid-stream, restart it
#   kill-acceptor   the same, killing the acceptor
#   crash-before-send  the initiator kills itself between recording an index and
#                   QuickFIX storing that message; the restart must send it once
#   echo            the initiator sends ECHO_N, the acceptor echoes each one back
#
# After each phase both peers must exit 0 and each `received` file must hold every
# id of the other side exactly once, apart from extra copies flagged PossDup=Y.
#
# usage: tools/qfpeer/selftest.sh [WORKDIR]   (default: a new /tmp/qfpeer-selftest.*)
# env:   QFPEER_N (10000), QFPEER_RATE (4000), QFPEER_ECHO_N (1000), QFPEER_TIMEOUT (300 s)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d /tmp/qfpeer-selftest.XXXXXX)}
N=${QFPEER_N:-10000}
RATE=${QFPEER_RATE:-4000}
ECHO_N=${QFPEER_ECHO_N:-1000}
TIMEOUT=${QFPEER_TIMEOUT:-300}
dict=$repo/config/dictionaries/FIX44.xml
bin=$work/qfpeer
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -ltnH "sport = :$p")" ]; then echo "$p"; return; fi
  done
  fail "no free TCP port found"
}

# start_peer VAR ROLE DIR ARGS...: runs qfpeer in the background, appending its
# stdout/stderr to DIR.out, and stores its pid in VAR.
start_peer() {
  local var=$1 role=$2 dir=$3; shift 3
  local sender=ACC target=INI
  [ "$role" = initiator ] && { sender=INI; target=ACC; }
  "$bin" --role "$role" --port "$PORT" --sender $sender --target $target \
    --dir "$dir" --dict "$dict" "$@" >>"$dir.out" 2>&1 &
  printf -v "$var" '%s' "$!"
  PIDS+=("$!")
}

# On any exit, kill -9 the peers this script started that are still running.
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
# forget PID: the pid has been reaped; never signal it again (it may be reused).
forget() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
trap cleanup EXIT

wait_listening() {
  local deadline=$((SECONDS + 10))
  until [ -n "$(ss -ltnH "sport = :$PORT")" ]; do
    [ $SECONDS -lt $deadline ] || fail "acceptor is not listening on port $PORT"
    sleep 0.02
  done
}

# wait_exit PID LABEL: waits (bounded by TIMEOUT) and fails unless it exits 0.
wait_exit() {
  local pid=$1 label=$2 deadline=$((SECONDS + TIMEOUT)) rc=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -9 "$pid" 2>/dev/null || true
      fail "$label (pid $pid) still running after ${TIMEOUT}s"
    fi
    sleep 0.05
  done
  wait "$pid" || rc=$?
  forget "$pid"
  [ "$rc" -eq 0 ] || fail "$label exited with $rc"
}

wait_lines() {
  local file=$1 n=$2 deadline=$((SECONDS + TIMEOUT))
  until [ -f "$file" ] && [ "$(wc -l <"$file")" -ge "$n" ]; do
    [ $SECONDS -lt $deadline ] || fail "$file did not reach $n lines"
    sleep 0.02
  done
}

# check_received FILE PREFIX COUNT: ids PREFIX1..PREFIXCOUNT each present, at most
# one copy with PossDup=N, nothing else in the file.
check_received() {
  awk -v p="$2" -v n="$3" -v f="$1" '
    $1 == "D" && index($2, p) == 1 && substr($2, length(p) + 1) ~ /^[1-9][0-9]*$/ {
      i = substr($2, length(p) + 1) + 0
      if (i <= n) { total[i]++; if ($4 == "N") fresh[i]++; else if ($4 != "Y") bad++; next }
    }
    { bad++; if (bad <= 5) print "  unexpected line: " $0 }
    END {
      for (i = 1; i <= n; i++) {
        if (!(i in total)) { missing++; if (missing <= 5) print "  missing id " p i }
        else extra += total[i] - 1
        if (fresh[i] > 1) { twice++; if (twice <= 5) print "  id " p i " received twice without PossDup" }
      }
      printf "  %s: %d lines, %d ids missing, %d non-PossDup duplicates, %d PossDup duplicates, %d unexpected\n",
        f, NR, missing, twice, extra - twice, bad
      exit (missing || twice || bad) ? 1 : 0
    }' "$1" || fail "$1 does not hold every id with prefix $2 exactly once"
}

# wait_done DIR ACCPID INIPID: until both peers printed DONE. Returns early when
# one exited without DONE (wait_exit then reports its exit code).
wait_done() {
  local dir=$1 deadline=$((SECONDS + TIMEOUT)) a i
  while :; do
    a=0; i=0
    grep -q '^DONE$' "$dir/acc.out" 2>/dev/null && a=1
    grep -q '^DONE$' "$dir/ini.out" 2>/dev/null && i=1
    [ $a -eq 1 ] && [ $i -eq 1 ] && return 0
    { [ $a -eq 1 ] || kill -0 "$2" 2>/dev/null; } || return 0
    { [ $i -eq 1 ] || kill -0 "$3" 2>/dev/null; } || return 0
    [ $SECONDS -lt $deadline ] || fail "$dir: the peers did not both print DONE within ${TIMEOUT}s (acceptor DONE=$a, initiator DONE=$i)"
    sleep 0.02
  done
}

# resent_indexes SENTFILE: how many indexes were recorded more than once.
resent_indexes() { awk '{ c[$1]++ } END { for (i in c) if (c[i] > 1) n++; print n + 0 }' "$1"; }

# phase NAME KILL(none|initiator|acceptor) RATE(0 = unpaced)
phase() {
  local name=$1 kill=$2 rate=$3 dir=$work/$1
  local pace=() acc ini victim t0 td t1
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$rate" -gt 0 ] && pace=(--rate "$rate")
  local acc_args=(--send "$N" --id-prefix A --expect "$N" "${pace[@]}")
  local ini_args=(--send "$N" --id-prefix I --expect "$N" "${pace[@]}")
  PORT=$(free_port)
  t0=$(now)
  start_peer acc acceptor "$dir/acc" "${acc_args[@]}"
  wait_listening
  start_peer ini initiator "$dir/ini" "${ini_args[@]}"
  if [ "$kill" != none ]; then
    local vdir=$dir/acc vpid=$acc
    [ "$kill" = initiator ] && { vdir=$dir/ini; vpid=$ini; }
    wait_lines "$vdir/sent" $((N * 3 / 10))
    kill -9 "$vpid"
    wait "$vpid" 2>/dev/null || true
    forget "$vpid"
    victim="killed the $kill at $(wc -l <"$vdir/sent") sends, $(wc -l <"$vdir/received") receipts"
    if [ "$kill" = initiator ]; then
      start_peer ini initiator "$dir/ini" "${ini_args[@]}"
    else
      start_peer acc acceptor "$dir/acc" "${acc_args[@]}"
    fi
  fi
  wait_done "$dir" "$acc" "$ini"
  td=$(now)
  wait_exit "$ini" "$name initiator"
  wait_exit "$acc" "$name acceptor"
  t1=$(now)
  echo "phase $name: $N NewOrderSingles each way: both DONE after $(secs "$t0" "$td") s, both exited after $(secs "$t0" "$t1") s${victim:+ ($victim)}"
  check_received "$dir/acc/received" I "$N"
  check_received "$dir/ini/received" A "$N"
  echo "  indexes recorded twice in sent (re-sent after restart): acc $(resent_indexes "$dir/acc/sent"), ini $(resent_indexes "$dir/ini/sent")"
  TIMES+=("$name $(secs "$t0" "$td")/$(secs "$t0" "$t1")s")
}

# crash_phase: the initiator SIGKILLs itself right after recording index K in
# `sent`, before QuickFIX stores or sends that message (QFPEER_KILL_AT_INDEX).
# The restart must send K again (after its Logon, so under a later MsgSeqNum),
# and the acceptor must see I<K> exactly once, with no PossDup copy either.
crash_phase() {
  local dir=$work/crash-before-send acc ini t0 td t1 rc=0 k=$((N / 2))
  rm -rf "$dir" && mkdir -p "$dir"
  PORT=$(free_port)
  t0=$(now)
  start_peer acc acceptor "$dir/acc" --send "$N" --id-prefix A --expect "$N"
  wait_listening
  QFPEER_KILL_AT_INDEX=$k start_peer ini initiator "$dir/ini" --send "$N" --id-prefix I --expect "$N"
  { wait "$ini"; } 2>/dev/null || rc=$?
  forget "$ini"
  [ "$rc" -eq 137 ] || fail "crash-before-send: the initiator exited with $rc, expected 137 (SIGKILL)"
  [ "$(tail -n 1 "$dir/ini/sent" | cut -d' ' -f1)" = "$k" ] || fail "crash-before-send: sent does not end at $k"
  start_peer ini initiator "$dir/ini" --send "$N" --id-prefix I --expect "$N"
  wait_done "$dir" "$acc" "$ini"
  td=$(now)
  wait_exit "$ini" "crash-before-send initiator"
  wait_exit "$acc" "crash-before-send acceptor"
  t1=$(now)
  echo "phase crash-before-send: $N each way, initiator killed itself after recording index $k: both DONE after $(secs "$t0" "$td") s, exited after $(secs "$t0" "$t1") s"
  [ "$(grep -c "^$k " "$dir/ini/sent")" -eq 2 ] || fail "crash-before-send: index $k was not re-sent after the restart"
  [ "$(grep -c "^D I$k " "$dir/acc/received")" -eq 1 ] || fail "crash-before-send: I$k not received exactly once"
  check_received "$dir/acc/received" I "$N"
  check_received "$dir/ini/received" A "$N"
  TIMES+=("crash-before-send $(secs "$t0" "$td")/$(secs "$t0" "$t1")s")
}

echo_phase() {
  local dir=$work/echo acc ini t0 td t1
  rm -rf "$dir" && mkdir -p "$dir"
  PORT=$(free_port)
  t0=$(now)
  start_peer acc acceptor "$dir/acc" --echo --expect "$ECHO_N"
  wait_listening
  start_peer ini initiator "$dir/ini" --send "$ECHO_N" --id-prefix E --expect "$ECHO_N"
  wait_done "$dir" "$acc" "$ini"
  td=$(now)
  wait_exit "$ini" "echo initiator"
  wait_exit "$acc" "echo acceptor"
  t1=$(now)
  echo "phase echo: $ECHO_N round trips: both DONE after $(secs "$t0" "$td") s, exited after $(secs "$t0" "$t1") s"
  check_received "$dir/acc/received" E "$ECHO_N"
  check_received "$dir/ini/received" E "$ECHO_N"
  TIMES+=("echo $(secs "$t0" "$td")/$(secs "$t0" "$t1")s")
}

TIMES=()
t_build=$(now)
"$here/build.sh" "$bin"
echo "built $bin in $(secs "$t_build" "$(now)") s; work dir $work"
phase speed none 0
phase kill-initiator initiator "$RATE"
phase kill-acceptor acceptor "$RATE"
crash_phase
echo_phase
echo "PASS (seconds to both DONE / to both exited: ${TIMES[*]})"
