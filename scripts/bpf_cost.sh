#!/usr/bin/env bash
# bpf_cost: what each of synscope's BPF programs costs per run, on a loopback
# connection storm (tcpdemo storm), with kernel.bpf_stats_enabled=1. Root.
#
#   scripts/bpf_cost.sh [SYNSCOPE]      (default build/synscope)
#
# Two configurations, each RUNS times (median of the runs, per program):
#   all       synscope -w FILE          every event recorded
#   filtered  synscope -P <unused port> -w FILE   every event filtered out
# Prints one line per program: runs per connection and ns per run. The run
# counts are the kernel's (bpftool prog show: run_cnt, run_time_ns) for the
# programs of that synscope process only, so another tracer does not count.
#
# Environment: COST_CONNS (20000), COST_THREADS (2), COST_RUNS (3),
# COST_PORT (21750), TCPDEMO.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${1:-$ROOT/build/synscope}
TCPDEMO=${TCPDEMO:-$ROOT/build/tests/tcpdemo}
CONNS=${COST_CONNS:-20000}
THREADS=${COST_THREADS:-2}
RUNS=${COST_RUNS:-3}
PORT=${COST_PORT:-21750}
WORK=$(mktemp -d /tmp/synscope-cost.XXXXXX)
PID=
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
unset SUDO_UID SUDO_GID
cleanup() {
	[ -n "$PID" ] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bpf_cost: run as root" >&2; exit 1; }
sysctl -qw kernel.bpf_stats_enabled=1

# shellcheck source-path=SCRIPTDIR source=../tests/integration/bpf_ids.sh
. "$ROOT/tests/integration/bpf_ids.sh"

one_run() { # CONFIG N: one storm traced, stats into $WORK/CONFIG.N.json
	local c=$1 n=$2 i
	local -a args=(-w "$WORK/rec")
	[ "$c" = filtered ] && args+=(-P "$((PORT + 1))")
	# a new file per run: the last run's "tracing" must not be taken for
	# this one's (a SIGINT before synscope handles it would be ignored)
	"$SYNSCOPE" "${args[@]}" 2>"$WORK/$c.$n.err" &
	PID=$!
	for ((i = 0; i < 200; i++)); do
		grep -q '^synscope: tracing' "$WORK/$c.$n.err" 2>/dev/null && break
		sleep 0.1
	done
	"$TCPDEMO" storm --port "$PORT" --conns "$CONNS" --threads "$THREADS" >/dev/null ||
		echo "bpf_cost: storm failed" >&2
	bpf_prog_stats "$PID" >"$WORK/$c.$n.json"
	kill -INT "$PID"
	wait "$PID"
	PID=
}

for c in all filtered; do
	for ((n = 1; n <= RUNS; n++)); do
		one_run "$c" "$n"
	done
	python3 - "$c" "$CONNS" "$WORK"/"$c".*.json <<'PY'
import json, statistics, sys
c, conns, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
per = {}
for f in files:
    for p in json.load(open(f)):
        name, cnt = p.get("name", ""), p.get("run_cnt", 0)
        per.setdefault(name, []).append((cnt, p.get("run_time_ns", 0)))
print(f"{c}: {conns} connections x {len(files)} runs (median ns/run)")
for name in sorted(per):
    runs = per[name]
    cnt = statistics.median(r[0] for r in runs)
    ns = statistics.median(r[1] / r[0] if r[0] else 0 for r in runs)
    print(f"  {name:<16} {cnt / conns:8.2f} runs/conn {ns:7.0f} ns/run")
PY
done
