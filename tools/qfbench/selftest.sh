#!/usr/bin/env bash
# qfbench self-test: builds qfbench and the release fixrail, starts
# `fixrail venue` on a temporary config (one acceptor session for qfbench's
# CompIDs, an EUR/USD instrument with tick 0.00001 and lot 1000), runs qfbench
# with N orders against it and checks its output line and round-trip file.
# Exits non-zero on the first failed check.
#
# usage: tools/qfbench/selftest.sh [WORKDIR]   (default: a new /tmp/qfbench-selftest.*)
# env:   QFBENCH_N (10000), QFBENCH_WARMUP (1000), QFBENCH_VENUE_IDLE (backoff),
#        QFBENCH_TIMEOUT (300 s for the whole run)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d /tmp/qfbench-selftest.XXXXXX)}
N=${QFBENCH_N:-10000}
WARMUP=${QFBENCH_WARMUP:-1000}
IDLE=${QFBENCH_VENUE_IDLE:-backoff}
TIMEOUT=${QFBENCH_TIMEOUT:-300}
dict=$repo/config/dictionaries/FIX44.xml
bin=$work/qfbench
fixrail=$repo/target/release/fixrail
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -ltnH "sport = :$p")" ]; then echo "$p"; return; fi
  done
  fail "no free TCP port found"
}

VENUE_PID=
cleanup() { [ -z "$VENUE_PID" ] || kill -9 "$VENUE_PID" 2>/dev/null || true; }
trap cleanup EXIT

echo "== build qfbench -> $bin"
"$here/build.sh" "$bin"
echo "== build fixrail (release)"
(cd "$repo" && cargo build --release --quiet)
[ -x "$fixrail" ] || fail "$fixrail was not built"

PORT=$(free_port)
cfg=$work/venue.toml
cat >"$cfg" <<EOF
# qfbench self-test venue (written by tools/qfbench/selftest.sh)
[engine]
journal_dir = "journal"
idle = "$IDLE"
log_level = "warn"

[venue]
max_resting_orders_per_instrument = 10_000
max_remembered_orders = $((2 * (N + WARMUP) + 1000))

[[session]]
name = "QFBENCH"
role = "acceptor"
sender_comp_id = "FIXRAIL-VENUE"
target_comp_id = "QFBENCH"
listen = "127.0.0.1:$PORT"
application = "venue"

[[instrument]]
symbol = "EUR/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.08500"
max_order_qty = 50_000_000
EOF

echo "== venue on 127.0.0.1:$PORT (idle=$IDLE)"
"$fixrail" venue --config "$cfg" >"$work/venue.out" 2>&1 &
VENUE_PID=$!
deadline=$((SECONDS + 20))
until [ -n "$(ss -ltnH "sport = :$PORT")" ]; do
  kill -0 "$VENUE_PID" 2>/dev/null || { cat "$work/venue.out" >&2; fail "the venue exited"; }
  [ $SECONDS -lt $deadline ] || fail "the venue is not listening on port $PORT"
  sleep 0.05
done

echo "== qfbench: $N orders after $WARMUP warm-up"
rc=0
timeout "$TIMEOUT" "$bin" --port "$PORT" --sender QFBENCH --target FIXRAIL-VENUE --dir "$work/qf" \
  --dict "$dict" --orders "$N" --warmup "$WARMUP" --symbol EUR/USD --price 1.08500 --qty 1000 \
  --out "$work/rtt.ns" >"$work/qfbench.out" 2>"$work/qfbench.err" || rc=$?
cat "$work/qfbench.out"
[ -s "$work/qfbench.err" ] && sed 's/^/  stderr: /' "$work/qfbench.err"
[ "$rc" -eq 0 ] || fail "qfbench exited $rc"

num='[0-9]+\.[0-9]+'
grep -Eq "^p50_us=$num p90_us=$num p99_us=$num p999_us=$num max_us=$num orders=$N\$" "$work/qfbench.out" ||
  fail "unexpected qfbench output line"
lines=$(wc -l <"$work/rtt.ns")
[ "$lines" -eq "$N" ] || fail "$work/rtt.ns has $lines lines, expected $N"
grep -Evq '^[1-9][0-9]*$' "$work/rtt.ns" && fail "$work/rtt.ns holds a line that is not a positive integer"
# The percentiles must be ordered.
awk '{ for (i = 1; i <= 5; i++) { split($i, kv, "="); v[i] = kv[2] + 0 }
       for (i = 2; i <= 5; i++) if (v[i] < v[i-1]) exit 1 }' "$work/qfbench.out" ||
  fail "percentiles are not in ascending order"

kill -TERM "$VENUE_PID" 2>/dev/null || true
wait "$VENUE_PID" 2>/dev/null || true
VENUE_PID=
echo "PASS (files in $work)"
