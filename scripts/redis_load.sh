#!/usr/bin/env bash
# scripts/redis_load.sh: issue 17's server load, measured. redis-server on
# loopback (a port of its own, no persistence) and `redis-benchmark -n N -c C
# -q` against it, traced with `synscope -P PORT -w FILE -f jsonl -o FILE` at
# the default buffer, RUNS times; each run prints what synscope said it lost,
# the events and connections it saw, the benchmark's time and synscope's CPU.
# The last line: "lost in K of RUNS runs". Exit status 0 when no run lost
# anything. Needs root and redis-server/redis-tools (scripts/install-deps.sh).
#
#   scripts/redis_load.sh [-- EXTRA SYNSCOPE ARGS]     e.g. -- -b 65536
#
# Environment: REDIS_RUNS (5), REDIS_PORT (21790), REDIS_REQUESTS (20000),
# REDIS_CLIENTS (50), REDIS_TRACE ("-w FILE -f jsonl -o FILE" by default;
# "none" runs untraced, "record" -w only, "ladder" -o FILE only, "jsonl-null"
# -w FILE -f jsonl with the JSONL to /dev/null), SYNSCOPE,
# REDIS_DIR (/tmp: where the outputs go), KEEP=1 keeps the work directory and the
# last run's outputs.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
RUNS=${REDIS_RUNS:-5}
PORT=${REDIS_PORT:-21790}
REQUESTS=${REDIS_REQUESTS:-20000}
CLIENTS=${REDIS_CLIENTS:-50}
TRACE=${REDIS_TRACE:-full}
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
HZ=$(getconf CLK_TCK)

die() {
	echo "redis_load: $*" >&2
	exit 2
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
	die "redis-server and redis-benchmark not installed (scripts/install-deps.sh)"
fi
[ -x "$SYNSCOPE" ] || die "$SYNSCOPE not built (run make)"

WORK=$(mktemp -d "${REDIS_DIR:-/tmp}/synscope-redis.XXXXXX")
unset SUDO_UID SUDO_GID
REDIS_PID=
TRACER=
cleanup() {
	[ -n "$TRACER" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "redis_load: files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis-server --port "$PORT" --save '' --appendonly no --bind 127.0.0.1 \
	--logfile "$WORK/redis.log" &
REDIS_PID=$!
for ((i = 0; i < 50; i++)); do
	redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break
	sleep 0.1
done
redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG || die "redis-server did not start"

cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

lossy=0
for ((r = 1; r <= RUNS; r++)); do
	redis-cli -p "$PORT" flushall >/dev/null
	args=(-P "$PORT")
	case $TRACE in
	full) args+=(-w "$WORK/trace.rec" -f jsonl -o "$WORK/trace.jsonl") ;;
	jsonl-null) args+=(-w "$WORK/trace.rec" -f jsonl) ;; # JSONL to /dev/null: no file to write
	record) args+=(-w "$WORK/trace.rec") ;;
	ladder) args+=(-o "$WORK/trace.txt") ;;
	none) args=() ;;
	*) die "REDIS_TRACE: full, record, ladder, jsonl-null or none" ;;
	esac
	if [ ${#args[@]} -gt 0 ]; then
		"$SYNSCOPE" "${args[@]}" "${EXTRA[@]}" >/dev/null 2>"$WORK/synscope.err" &
		TRACER=$!
		for ((i = 0; i < 200; i++)); do
			grep -q '^synscope: tracing' "$WORK/synscope.err" 2>/dev/null && break
			kill -0 "$TRACER" 2>/dev/null || break
			sleep 0.1
		done
		grep -q '^synscope: tracing' "$WORK/synscope.err" ||
			die "synscope did not start: $(tail -n 1 "$WORK/synscope.err")"
		c0=$(cpu_ticks "$TRACER")
	fi
	t0=$(date +%s.%N)
	redis-benchmark -p "$PORT" -n "$REQUESTS" -c "$CLIENTS" -q >"$WORK/bench.out" 2>&1 ||
		die "redis-benchmark failed: $(tail -n 1 "$WORK/bench.out")"
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	if [ -z "$TRACER" ]; then
		echo "run $r: untraced, benchmark ${secs}s"
		continue
	fi
	c1=$(cpu_ticks "$TRACER")
	sleep 0.5 # the last connection's last events
	kill -INT "$TRACER"
	wait "$TRACER"
	rc=$?
	TRACER=
	[ "$rc" -eq 0 ] || die "synscope exited $rc: $(tail -n 1 "$WORK/synscope.err")"
	line=$(grep -E '^synscope: [0-9]+ connection' "$WORK/synscope.err" | tail -n 1)
	[ -n "$line" ] || line=$(grep -E '^synscope: [0-9]+ events recorded' "$WORK/synscope.err" | tail -n 1)
	lost=$(sed -nE 's/.*, ([0-9]+) lost.*/\1/p' <<<"$line")
	[ "${lost:-1}" = 0 ] || lossy=$((lossy + 1))
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	echo "run $r: lost ${lost:-?}, benchmark ${secs}s, synscope CPU ${cpu}s during it; ${line#synscope: }"
	# KEEP=1 keeps the last run's outputs
	if [ "${KEEP:-0}" != 1 ] || [ "$r" -ne "$RUNS" ]; then
		rm -f "$WORK/trace.rec" "$WORK/trace.jsonl" "$WORK/trace.txt"
	fi
done
if [ "$TRACE" != none ]; then
	echo "lost in $lossy of $RUNS runs"
	[ "$lossy" -eq 0 ]
fi
