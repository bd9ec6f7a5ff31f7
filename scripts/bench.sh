#!/usr/bin/env bash
# make bench: what tracing costs a loopback connection storm.
#
# Runs `tcpdemo storm` (CONNS short connections: connect, 1 byte each way,
# close; THREADS client threads) RUNS times untraced and RUNS times traced by
# a system-wide `synscope -o <file>` (no filter, ladder text to a file),
# interleaved so that both see the same machine conditions. Prints each run,
# the median connections/second of both, their ratio (traced/untraced), and
# the events synscope reports lost (its summary line "synscope: N connections
# (M incomplete), E events, L lost"). Informational: no wall-clock asserts.
#
# Environment: BENCH_CONNS (20000), BENCH_THREADS (2), BENCH_RUNS (3),
# BENCH_PORT (21700), SYNSCOPE, TCPDEMO (binaries).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
TCPDEMO=${TCPDEMO:-$ROOT/build/tests/tcpdemo}
CONNS=${BENCH_CONNS:-20000}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
PORT=${BENCH_PORT:-21700}

WORK=$(mktemp -d /tmp/synscope-bench.XXXXXX)
# synscope stays root (no drop to sudo's caller): it writes into $WORK
unset SUDO_UID SUDO_GID
SYNSCOPE_PID=
cleanup() {
	if [ -n "$SYNSCOPE_PID" ]; then
		kill -INT "$SYNSCOPE_PID" 2>/dev/null
		sleep 1
		kill -KILL "$SYNSCOPE_PID" 2>/dev/null
		wait "$SYNSCOPE_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

[ -x "$TCPDEMO" ] || die "$TCPDEMO not built (run make)"
traced=1
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: not root: measuring untraced only (tracing needs root)"
	traced=0
elif [ ! -x "$SYNSCOPE" ]; then
	echo "bench: $SYNSCOPE not built: measuring untraced only"
	traced=0
fi

# storm: one run; sets RATE (connections/second).
storm() {
	local line
	line=$("$TCPDEMO" storm --port "$PORT" --conns "$CONNS" --threads "$THREADS") ||
		die "tcpdemo storm failed"
	RATE=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")
	[ -n "$RATE" ] || die "no rate in tcpdemo's output: $line"
}

# traced_storm RUN: a storm under system-wide synscope; sets RATE and LOST.
traced_storm() {
	local run=$1 err="$WORK/synscope.$1.err" i rc
	"$SYNSCOPE" -o "$WORK/ladder.$run.txt" 2>"$err" &
	SYNSCOPE_PID=$!
	for ((i = 0; i < 200; i++)); do
		grep -q '^synscope: tracing' "$err" 2>/dev/null && break
		kill -0 "$SYNSCOPE_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^synscope: tracing' "$err" || die "synscope did not start: $(tail -n 1 "$err")"
	storm
	# SIGINT: synscope drains, writes its ladders and summary, exits 0.
	kill -INT "$SYNSCOPE_PID"
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$SYNSCOPE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SYNSCOPE_PID" 2>/dev/null && die "synscope still running 120 s after SIGINT"
	wait "$SYNSCOPE_PID"
	rc=$?
	SYNSCOPE_PID=
	[ "$rc" -eq 0 ] || die "synscope exited with status $rc: $(tail -n 1 "$err")"
	LOST=$(sed -nE 's/^synscope: .*, ([0-9]+) lost.*/\1/p' "$err" | tail -n 1)
	LOST=${LOST:-?}
	rm -f "$WORK/ladder.$run.txt"
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "bench: $RUNS x $CONNS connections, $THREADS client threads, port $PORT"
plain=() tr_rates=() losts=()
for ((r = 1; r <= RUNS; r++)); do
	storm
	p=$RATE
	plain+=("$p")
	if [ "$traced" = 1 ]; then
		traced_storm "$r"
		tr_rates+=("$RATE")
		losts+=("$LOST")
		printf 'run %d: untraced %8.0f conn/s   traced %8.0f conn/s   lost %s\n' \
			"$r" "$p" "$RATE" "$LOST"
	else
		printf 'run %d: untraced %8.0f conn/s\n' "$r" "$p"
	fi
done

pm=$(echo "${plain[*]}" | median)
printf 'untraced median: %.0f conn/s\n' "$pm"
if [ "$traced" = 1 ]; then
	tm=$(echo "${tr_rates[*]}" | median)
	printf 'traced median:   %.0f conn/s\n' "$tm"
	awk -v t="$tm" -v p="$pm" 'BEGIN { printf "ratio traced/untraced: %.2f\n", (p > 0) ? t / p : 0 }'
	echo "lost events per traced run: ${losts[*]}"
fi
