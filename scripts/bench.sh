#!/usr/bin/env bash
# make bench: what tracing a loopback connection storm costs, side by side
# with the tools people use for it. docs/performance.md has the latest table.
#
# The storm is `tcpdemo storm`: CONNS short connections (connect, 1 byte
# each way, close) from THREADS client threads to as many server threads, on
# 127.0.0.1. Each configuration runs it RUNS times, interleaved (run 1 of
# every configuration, then run 2, ... starting one further along each time),
# so that all see the same machine:
#
#   untraced    nothing traces
#   ladder      synscope -o FILE                 (system-wide, ladder text to a file)
#   table       synscope -f table -o FILE        (a line per connection: docs/views.md)
#   stats       synscope -f stats -o FILE        (statistics only, said at the end)
#   stream      synscope -f stream -o FILE       (a line per event)
#   jsonl       synscope -f jsonl -o FILE        (a JSON object per event)
#   record      synscope -w FILE                 (events as they are, format 1; nothing drawn)
#   record-gz   synscope -w FILE.gz              (the same, gzip level 1)
#   record-ladder synscope -w FILE -o FILE2      (recorded and drawn at once)
#   filtered    synscope -P <a port nobody uses> -o FILE
#   tcpstates   tcpstates > FILE                 (bcc's libbpf-tools, Debian's libbpf-tools)
#   tcpdump     tcpdump -i lo -w FILE
#   floor-attach  synscope's programs attached but returning at once (-w FILE)
#   floor-record  one bare record per tracepoint hit, nothing read (-w FILE)
#
# The two floors (make bench-floors builds them from bpf/synscope.bpf.c with
# scripts/bench_floor.py) say what the mechanism costs before synscope's own
# logic: being attached to every system call and packet at all, and writing
# as many records as a full capture does.
# Then it prints the median connections/second of each, its ratio to the
# untraced median, the median of its per-run ratios to the same run's
# untraced rate (steadier on a drifting machine), what each tool said it
# lost, and the CPU the tracing
# process itself used per 10,000 connections. After the table:
#   - BPF: one more traced storm with kernel.bpf_stats_enabled=1: run counts
#     and ns per run of each synscope program, events per connection;
#   - replay: the last recording replayed to JSONL on one CPU (taskset),
#     events per second;
#   - recording size: the last -w FILE storm recording's bytes per event in
#     format 1 and 2, raw and zlib level 1, and their ratio (rec_size.py);
#     the same for the long connections' recording;
#   - long connections (issue 17): LONG_CONNS persistent connections of
#     LONG_REQUESTS round trips each (tcpload), untraced and traced by each
#     sink (ladder, table, stats, stream, jsonl, -w, -w .gz) and tcpdump -w, interleaved:
#     round trips/s, events/s, lost, tracer and machine CPU per event;
#   - nginx + ab (issue 20): `ab -q -n WEB_REQUESTS -c WEB_CONCURRENCY`
#     (no -k: a new connection per request) against nginx on a port of its
#     own (BENCH_PORT+4, a private config, one worker, a 1 KiB static
#     file), untraced and traced by ladder, stream, jsonl, -w, -w .gz, all
#     with -P PORT as the long connections, and tcpdump -w "tcp port PORT",
#     interleaved: requests/s, its paired ratio, events/s, lost, tracer CPU
#     per 1000 requests, machine CPU per request;
#   - server load: scripts/redis_load.sh, redis-benchmark -n 20000 -c 50
#     traced with -P PORT -w FILE -f jsonl -o FILE, REDIS_RUNS times (what
#     each run lost);
#   - memory: MEM_CONNS connections traced end to end (ladder to /dev/null
#     through standard output: -o takes regular files only),
#     synscope's own resident memory (RssAnon: not the rings) after every 100,000.
# Informational: ratios and counts, never a wall-clock assert.
#
# Other synscope instances (a test suite running next to the bench) slow every
# system call of the machine: before each run the bench waits (up to
# CLEAN_WAIT seconds) until no other synscope's programs are loaded, and marks
# the runs that could not wait for that with '*'.
#
# Environment: BENCH_CONNS (20000), BENCH_THREADS (2), BENCH_RUNS (3),
# BENCH_PORT (21700; the filtered run asks for BENCH_PORT+1, the long
# connections +2, redis +3, nginx +4),
# BENCH_CONFIGS (all fourteen above, in that order), BENCH_MEM_CONNS (1000000; 0
# skips), BENCH_CLEAN_WAIT (120), BENCH_LONG (1; 0 skips the long connections),
# BENCH_LONG_CONNS (50), BENCH_LONG_REQUESTS (2000), BENCH_LONG_CONFIGS
# (untraced ladder table stats stream jsonl record record-gz tcpdump; record-ladder
# too if asked), BENCH_WEB
# (1; 0 skips nginx + ab, as does nginx or ab not installed), BENCH_WEB_REQUESTS
# (20000), BENCH_WEB_CONCURRENCY (20), BENCH_WEB_CONFIGS (untraced ladder stream
# jsonl record record-gz record-ladder tcpdump), BENCH_REDIS_RUNS (5;
# 0 skips), SYNSCOPE, TCPDEMO, TCPLOAD, FLOOR_ATTACH, FLOOR_RECORD (binaries).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/integration/bpf_ids.sh
. "$ROOT/tests/integration/bpf_ids.sh"
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
TCPDEMO=${TCPDEMO:-$ROOT/build/tests/tcpdemo}
CONNS=${BENCH_CONNS:-20000}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
PORT=${BENCH_PORT:-21700}
CONFIGS=${BENCH_CONFIGS:-untraced ladder table stats stream jsonl record record-gz record-ladder filtered tcpstates tcpdump floor-attach floor-record}
FLOOR_ATTACH=${FLOOR_ATTACH:-$ROOT/build/floor-attach/synscope}
FLOOR_RECORD=${FLOOR_RECORD:-$ROOT/build/floor-record/synscope}
MEM_CONNS=${BENCH_MEM_CONNS:-1000000}
TCPLOAD=${TCPLOAD:-$ROOT/build/tests/tcpload}
LONG=${BENCH_LONG:-1}
LONG_CONNS=${BENCH_LONG_CONNS:-50}
LONG_REQUESTS=${BENCH_LONG_REQUESTS:-2000}
LONG_CONFIGS=${BENCH_LONG_CONFIGS:-untraced ladder table stats stream jsonl record record-gz tcpdump}
WEB=${BENCH_WEB:-1}
WEB_REQUESTS=${BENCH_WEB_REQUESTS:-20000}
WEB_CONCURRENCY=${BENCH_WEB_CONCURRENCY:-20}
WEB_CONFIGS=${BENCH_WEB_CONFIGS:-untraced ladder stream jsonl record record-gz record-ladder tcpdump}
REDIS_RUNS=${BENCH_REDIS_RUNS:-5}
CLEAN_WAIT=${BENCH_CLEAN_WAIT:-120}
MEM_STEP=100000
HZ=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/synscope-bench.XXXXXX)
# synscope stays root (no drop to sudo's caller): it writes into $WORK
unset SUDO_UID SUDO_GID
TOOL_PID=
WEB_PID=
STATS_WAS=
cleanup() {
	if [ -n "$TOOL_PID" ]; then
		kill -INT "$TOOL_PID" 2>/dev/null
		sleep 1
		kill -KILL "$TOOL_PID" 2>/dev/null
		wait "$TOOL_PID" 2>/dev/null
	fi
	# nginx's master takes its worker with it on SIGTERM
	[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null && wait "$WEB_PID" 2>/dev/null
	[ -n "$STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

note() {
	echo "bench: $*"
}

[ -x "$TCPDEMO" ] || die "$TCPDEMO not built (run make)"
ROOTED=1
if [ "$(id -u)" -ne 0 ]; then
	note "not root: measuring untraced only (tracing needs root)"
	ROOTED=0
fi

# ---- which configurations can run --------------------------------------

TCPSTATES=$(command -v tcpstates || echo /usr/sbin/tcpstates)
TCPDUMP=$(command -v tcpdump || echo /usr/sbin/tcpdump)
want=()
for c in $CONFIGS; do
	case $c in
	untraced) want+=("$c") ;;
	ladder | table | stats | stream | jsonl | record | record-gz | record-ladder | filtered)
		if [ "$ROOTED" = 1 ] && [ -x "$SYNSCOPE" ]; then
			want+=("$c")
		else
			note "skipping $c: needs root and $SYNSCOPE"
		fi
		;;
	tcpstates)
		if [ "$ROOTED" = 1 ] && [ ! -x "$TCPSTATES" ]; then
			"$ROOT/scripts/install-deps.sh" --bench >/dev/null || true
		fi
		# libbpf-tools' tcpstates attaches to the tracepoint through tracefs
		if [ "$ROOTED" = 1 ] && [ -d /sys/kernel/tracing ] && [ ! -e /sys/kernel/tracing/events ]; then
			mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null &&
				note "mounted tracefs on /sys/kernel/tracing (tcpstates attaches through it)"
		fi
		if [ "$ROOTED" = 1 ] && [ -x "$TCPSTATES" ]; then
			want+=("$c")
		else
			note "skipping tcpstates: needs root and Debian's libbpf-tools"
		fi
		;;
	tcpdump)
		if [ "$ROOTED" = 1 ] && [ -x "$TCPDUMP" ]; then
			want+=("$c")
		else
			note "skipping tcpdump: needs root and tcpdump"
		fi
		;;
	floor-attach | floor-record)
		bin=$FLOOR_ATTACH
		[ "$c" = floor-record ] && bin=$FLOOR_RECORD
		if [ "$ROOTED" = 1 ] && [ -x "$bin" ]; then
			want+=("$c")
		else
			note "skipping $c: needs root and $bin (make bench-floors)"
		fi
		;;
	*) die "unknown configuration '$c' in BENCH_CONFIGS" ;;
	esac
done
[ ${#want[@]} -gt 0 ] || die "nothing to measure"

# ---- helpers -------------------------------------------------------------

# Programs of synscope instances that are not ours (none of ours runs when
# this is asked).
others_loaded() {
	[ "$ROOTED" = 1 ] || { echo 0; return; }
	bpftool prog show 2>/dev/null | grep -c 'on_sys_e'
}

# still_clean CONFIG: no other synscope came while it ran (ours has two
# syscall programs); clears CLEAN if one did.
still_clean() {
	local mine=2
	case $1 in untraced | tcpstates | tcpdump) mine=0 ;; esac
	[ "$(others_loaded)" -le "$mine" ] || CLEAN=0
}

# wait_clean: until no other synscope is loaded, or CLEAN_WAIT s; sets CLEAN.
wait_clean() {
	local i n
	CLEAN=1
	for ((i = 0; i < CLEAN_WAIT * 2; i++)); do
		n=$(others_loaded)
		[ "$n" -eq 0 ] && return
		[ "$i" -eq 0 ] && note "waiting for $((n / 2)) other synscope instance(s) to end ..."
		sleep 0.5
	done
	CLEAN=0
}

# CPU time (user + system, in clock ticks) of a process so far.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# storm [CONNS]: one storm; sets RATE (connections/second).
# busy_ticks: CPU time the whole machine spent busy so far (user, nice,
# system, irq, softirq; not idle, iowait or steal), in clock ticks.
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# storm [CONNS]: sets RATE (connections/s) and BUSY_US (machine CPU per
# connection, us: steal and idle left out, so steadier than the rate on a
# shared VM).
storm() {
	local line b0 b1 n=${1:-$CONNS}
	b0=$(busy_ticks)
	line=$("$TCPDEMO" storm --port "$PORT" --conns "$n" --threads "$THREADS") ||
		die "tcpdemo storm failed"
	b1=$(busy_ticks)
	RATE=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")
	[ -n "$RATE" ] || die "no rate in tcpdemo's output: $line"
	BUSY_US=$(awk -v t="$((b1 - b0))" -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }')
}

# wait_line FILE REGEX: until a line matches (20 s), or the tool died.
wait_line() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# start_tool CONFIG [SYNSCOPE ARGS...]: the tracer of a configuration, in
# the background and ready; TOOL_ERR is its standard error.
start_tool() {
	local c=$1
	shift
	TOOL_ERR="$WORK/$c.err"
	case $c in
	ladder) "$SYNSCOPE" -o "$WORK/ladder.txt" "$@" 2>"$TOOL_ERR" & ;;
	table) "$SYNSCOPE" -f table -o "$WORK/table.txt" "$@" 2>"$TOOL_ERR" & ;;
	stats) "$SYNSCOPE" -f stats -o "$WORK/stats.txt" "$@" 2>"$TOOL_ERR" & ;;
	stream) "$SYNSCOPE" -f stream -o "$WORK/stream.txt" "$@" 2>"$TOOL_ERR" & ;;
	jsonl) "$SYNSCOPE" -f jsonl -o "$WORK/storm.jsonl" "$@" 2>"$TOOL_ERR" & ;;
	record) "$SYNSCOPE" -w "$WORK/storm.rec" "$@" 2>"$TOOL_ERR" & ;;
	record-gz) "$SYNSCOPE" -w "$WORK/storm.rec.gz" "$@" 2>"$TOOL_ERR" & ;;
	record-ladder) "$SYNSCOPE" -w "$WORK/both.rec" -o "$WORK/ladder.txt" "$@" 2>"$TOOL_ERR" & ;;
	filtered) "$SYNSCOPE" -P "$((PORT + 1))" -o "$WORK/filtered.txt" "$@" 2>"$TOOL_ERR" & ;;
	memory) "$SYNSCOPE" "$@" >/dev/null 2>"$TOOL_ERR" & ;;
	tcpstates) "$TCPSTATES" >"$WORK/tcpstates.txt" 2>"$TOOL_ERR" & ;;
	tcpdump) "$TCPDUMP" -i lo -w "$WORK/tcpdump.pcap" 2>"$TOOL_ERR" & ;;
	floor-attach) "$FLOOR_ATTACH" -w "$WORK/floor.rec" 2>"$TOOL_ERR" & ;;
	floor-record) "$FLOOR_RECORD" -w "$WORK/floor.rec" 2>"$TOOL_ERR" & ;;
	esac
	TOOL_PID=$!
	tool_ready "$c"
}

# tool_ready CONFIG: until the tracer just started (TOOL_PID, TOOL_ERR)
# traces, or die; then TOOL_CPU0, its CPU so far.
tool_ready() {
	local c=$1 ready i
	case $c in
	tcpstates)
		# its output is block-buffered in a file: wait for its program
		for ((i = 0; i < 200; i++)); do
			bpftool prog show 2>/dev/null | grep -q handle_set_stat && break
			kill -0 "$TOOL_PID" 2>/dev/null || break
			sleep 0.1
		done
		sleep 0.3 # loaded, then attached
		kill -0 "$TOOL_PID" 2>/dev/null ;;
	tcpdump) wait_line "$TOOL_ERR" 'listening on' ;;
	*) wait_line "$TOOL_ERR" '^synscope: tracing' ;;
	esac
	ready=$?
	[ "$ready" -eq 0 ] || die "$c did not start: $(tail -n 2 "$TOOL_ERR" | tr '\n' ' ')"
	sleep 0.2 # tcpdump and tcpstates say so a moment before they capture
	TOOL_CPU0=$(cpu_ticks "$TOOL_PID")
}

# stop_tool CONFIG: SIGINT, wait, and what it said it lost; sets LOST and
# TOOL_CPU (seconds during the storm).
stop_tool() {
	local c=$1 i rc ticks
	ticks=$(cpu_ticks "$TOOL_PID")
	TOOL_CPU=$(awk -v a="$TOOL_CPU0" -v b="$ticks" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	kill -INT "$TOOL_PID"
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TOOL_PID" 2>/dev/null && die "$c still running 120 s after SIGINT"
	wait "$TOOL_PID"
	rc=$?
	TOOL_PID=
	# the kernel frees an exited tracer's programs a moment later: let ours
	# go quietly, so that wait_clean speaks only of somebody else's
	for ((i = 0; i < 50; i++)); do
		[ "$(others_loaded)" -eq 0 ] && break
		sleep 0.1
	done
	case $c in
	tcpstates)
		# libbpf-tools print "lost N events on CPU #C" for a full perf buffer
		LOST=$(grep -Eo 'lost [0-9]+ events' "$TOOL_ERR" | awk '{ n += $2 } END { print n + 0 }') ;;
	tcpdump)
		LOST=$(sed -nE 's/^([0-9]+) packets? dropped by kernel.*/\1/p' "$TOOL_ERR" | tail -n 1) ;;
	*)
		[ "$rc" -eq 0 ] || die "synscope exited with status $rc: $(tail -n 1 "$TOOL_ERR")"
		LOST=$(sed -nE 's/^synscope: .*, ([0-9]+) lost.*/\1/p' "$TOOL_ERR" | tail -n 1)
		SUMMARY=$(grep '^synscope: [0-9]* connection' "$TOOL_ERR" | tail -n 1) ;;
	esac
	LOST=${LOST:-?}
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- the side-by-side runs ---------------------------------------------

declare -A RATES LOSTS CPUS BUSY
UNCLEAN_RUNS=0
note "$RUNS x ${#want[@]} storms of $CONNS connections, $THREADS client threads, port $PORT"
n=${#want[@]}
for ((r = 1; r <= RUNS; r++)); do
	line="run $r:"
	for ((k = 0; k < n; k++)); do
		c=${want[$(((k + r - 1) % n))]}
		wait_clean
		if [ "$c" = untraced ]; then
			storm
			still_clean "$c"
			LOST=- TOOL_CPU=-
		else
			start_tool "$c"
			storm
			still_clean "$c"
			stop_tool "$c"
		fi
		mark=
		[ "$CLEAN" = 1 ] || { mark='*'; UNCLEAN_RUNS=$((UNCLEAN_RUNS + 1)); }
		RATES[$c]="${RATES[$c]:-} $RATE"
		BUSY[$c]="${BUSY[$c]:-} $BUSY_US"
		LOSTS[$c]="${LOSTS[$c]:-}${LOSTS[$c]:+ }$LOST$mark"
		[ "$TOOL_CPU" != - ] && CPUS[$c]="${CPUS[$c]:-} $TOOL_CPU"
		line+=$(printf ' %s %.0f%s' "$c" "$RATE" "$mark")
		rm -f "$WORK/ladder.txt" "$WORK/table.txt" "$WORK/stats.txt" "$WORK/filtered.txt" \
			"$WORK/stream.txt" "$WORK/storm.jsonl" "$WORK/tcpstates.txt" "$WORK/tcpdump.pcap" "$WORK/floor.rec" \
			"$WORK/both.rec"
	done
	echo "$line"
done

describe() {
	case $1 in
	untraced) echo "untraced" ;;
	ladder) echo "synscope -o FILE (ladder)" ;;
	table) echo "synscope -f table -o FILE" ;;
	stats) echo "synscope -f stats -o FILE" ;;
	stream) echo "synscope -f stream -o FILE" ;;
	jsonl) echo "synscope -f jsonl -o FILE" ;;
	record) echo "synscope -w FILE" ;;
	record-gz) echo "synscope -w FILE.gz" ;;
	record-ladder) echo "synscope -w FILE -o FILE2" ;;
	filtered) echo "synscope -P <unused port>" ;;
	tcpstates) echo "tcpstates (libbpf-tools)" ;;
	tcpdump) echo "tcpdump -i lo -w FILE" ;;
	floor-attach) echo "floor: programs attached only" ;;
	floor-record) echo "floor: a bare record per hit" ;;
	esac
}

# paired CONFIG ARRAY: the median, over the runs, of CONFIG's value in ARRAY
# (an associative array: a list of values per configuration) over the
# untraced value of the same run: each pair ran minutes apart at most, so a
# machine that drifts over the bench moves both of a pair (the plain ratio
# divides medians that may come from different runs).
paired() {
	local -a a u
	local i out=
	read -ra a <<<"$(eval echo "\${$2[$1]}")"
	read -ra u <<<"$(eval echo "\${$2[untraced]:-}")"
	for ((i = 0; i < ${#a[@]} && i < ${#u[@]}; i++)); do
		out+=" $(awk -v t="${a[$i]}" -v p="${u[$i]}" 'BEGIN { if (p > 0) printf "%.4f", t / p }')"
	done
	[ -n "$out" ] || { echo -; return; }
	echo "$out" | median | awk '{ printf "%.2f", $1 }'
}

base=$(echo "${RATES[untraced]:-}" | median)
echo
busy_base=$(echo "${BUSY[untraced]:-}" | median)
printf '%-31s %9s %7s %7s  %-16s %-10s %s\n' "configuration" "conn/s" "ratio" "paired" "lost (per run)" "tracer CPU" "machine CPU"
printf '%-31s %9s %7s %7s  %-16s %-10s %s\n' "" "" "" "" "" "s/10k conn" "us/conn (ratio)"
for c in "${want[@]}"; do
	m=$(echo "${RATES[$c]}" | median)
	ratio=$(awk -v t="$m" -v p="$base" 'BEGIN { if (p > 0) printf "%.2f", t / p; else print "-" }')
	cpu=-
	if [ -n "${CPUS[$c]:-}" ]; then
		cpu=$(echo "${CPUS[$c]}" | median)
		cpu=$(awk -v s="$cpu" -v n="$CONNS" 'BEGIN { printf "%.2f", s * 10000 / n }')
	fi
	busy=$(echo "${BUSY[$c]}" | median)
	bratio=$(awk -v b="$busy" -v u="$busy_base" 'BEGIN { if (b > 0) printf "%.2f", u / b; else print "-" }')
	printf '%-31s %9.0f %7s %7s  %-16s %-10s %s\n' "$(describe "$c")" "$m" "$ratio" "$(paired "$c" RATES)" \
		"${LOSTS[$c]:--}" "$cpu" "$busy ($bratio)"
done
echo "(medians of $RUNS interleaved runs; ratio = conn/s / untraced conn/s; paired = the median of"
echo " each run's conn/s / the same run's untraced conn/s; machine CPU: busy time of all CPUs"
echo " during the storm per connection, (ratio) = untraced's / this one's)"
[ "$UNCLEAN_RUNS" -gt 0 ] &&
	echo "(* $UNCLEAN_RUNS run(s) had another synscope loaded before or during the storm: not clean)"
[ "$ROOTED" = 1 ] && [ -x "$SYNSCOPE" ] || exit 0

# ---- where the kernel side's time goes ---------------------------------

echo
wait_clean
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
start_tool ladder
storm
still_clean ladder
bpf_prog_stats "$TOOL_PID" >"$WORK/stats.json" 2>/dev/null # this tracer's only
stop_tool ladder
sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
STATS_WAS=
echo "BPF programs during one more traced storm (kernel.bpf_stats_enabled=1, ${RATE%.*} conn/s$([ "$CLEAN" = 1 ] || echo ', not clean')):"
python3 - "$CONNS" "$WORK/stats.json" <<'PY'
import json, sys
conns = int(sys.argv[1])
total = 0
for p in json.load(open(sys.argv[2])):
    name, cnt = p.get("name", ""), p.get("run_cnt", 0)
    if not name.startswith("on_") or not cnt:
        continue
    total += p["run_time_ns"]
    print(f"  {name:<22} {cnt:>9} runs {p['run_time_ns'] / cnt:7.0f} ns/run")
print(f"  all programs: {total / conns / 1000:.1f} us of CPU per connection")
PY
echo "  $SUMMARY" | awk -v n="$CONNS" '{ print } match($0, /, [0-9]+ events/) {
	e = substr($0, RSTART + 2, RLENGTH - 9); printf "  %.1f events per connection\n", e / n }'

# ---- replay --------------------------------------------------------------

REC="$WORK/storm.rec.gz"
[ -f "$REC" ] || REC="$WORK/storm.rec"
if [ -f "$REC" ] && command -v taskset >/dev/null; then
	echo
	for dest in /dev/null "$WORK/replay.jsonl"; do
		rates=()
		for ((r = 1; r <= RUNS; r++)); do
			t0=$(date +%s.%N)
			# through standard output: -o takes regular files only
			taskset -c 0 "$SYNSCOPE" -r "$REC" -f jsonl >"$dest" 2>"$WORK/replay.err" ||
				die "replay failed: $(tail -n 1 "$WORK/replay.err")"
			t1=$(date +%s.%N)
			ev=$(sed -nE 's/^synscope: .*, ([0-9]+) events.*/\1/p' "$WORK/replay.err" | tail -n 1)
			rates+=("$(awk -v e="$ev" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }')")
			rm -f "$WORK/replay.jsonl"
		done
		m=$(echo "${rates[*]}" | median)
		printf 'replay of a recording (%s events, %s bytes) to JSONL in %s on one CPU: %.0f events/s (runs: %s)\n' \
			"$ev" "$(stat -c %s "$REC")" "$([ "$dest" = /dev/null ] && echo /dev/null || echo a file)" \
			"$m" "${rates[*]}"
	done
fi

# ---- recording size -------------------------------------------------------
# the last storm's recording in format 1 and 2 (scripts/rec_size.py)

rec_size() {
	[ -f "$2" ] || return 0
	# -w FILE writes format 1: the same events again as FILE.gz, format 2 inside
	"$SYNSCOPE" -r "$2" -w "$WORK/size.rec.gz" 2>/dev/null &&
		python3 "$ROOT/scripts/rec_size.py" "$1" "$WORK/size.rec.gz" || echo "  $1: rec_size.py failed"
	rm -f "$WORK/size.rec.gz"
}
if [ -f "$WORK/storm.rec" ]; then
	echo
	echo "bytes per event of a recording, format 1 (events as they are) and 2 (compact), zlib level 1:"
	rec_size "storm" "$WORK/storm.rec"
fi

# ---- a workload on a port, untraced and traced by each sink ---------------
# The long connections and nginx + ab below run alike: a workload on a port
# of its own, untraced and traced by each sink with -P PORT (so that other
# traffic on the machine is not theirs to trace) and by tcpdump -w of the
# same port, RUNS rounds interleaved and rotated as the storm's. They differ
# in the workload and in what a table row counts per.

# events_said FILE: the events a synscope said it took (its standard error).
events_said() {
	sed -nE 's/^synscope: ([0-9]+) events recorded.*/\1/p; s/^synscope: [0-9]+ connections? .*, ([0-9]+) events.*/\1/p' "$1" | tail -n 1
}

# port_want ENVNAME CONFIG...: PWANT, the configurations that can run (all
# but tcpdump where it is not installed); ENVNAME names the list for die.
port_want() {
	local env=$1 c
	shift
	PWANT=()
	for c in "$@"; do
		case $c in
		untraced | ladder | table | stats | stream | jsonl | record | record-gz | record-ladder) PWANT+=("$c") ;;
		tcpdump)
			if [ -x "$TCPDUMP" ]; then
				PWANT+=("$c")
			else
				note "skipping tcpdump in $env: not installed"
			fi
			;;
		*) die "unknown configuration '$c' in $env" ;;
		esac
	done
}

# port_start CONFIG PORT NAME: the tracer, filtered to PORT, its output
# $WORK/NAME.*, in the background and ready.
port_start() {
	local c=$1 port=$2 out=$WORK/$3
	TOOL_ERR="$out-$c.err"
	case $c in
	ladder) "$SYNSCOPE" -P "$port" -o "$out.txt" 2>"$TOOL_ERR" & ;;
	table | stats | stream) "$SYNSCOPE" -P "$port" -f "$c" -o "$out.txt" 2>"$TOOL_ERR" & ;;
	jsonl) "$SYNSCOPE" -P "$port" -f jsonl -o "$out.jsonl" 2>"$TOOL_ERR" & ;;
	record) "$SYNSCOPE" -P "$port" -w "$out.rec" 2>"$TOOL_ERR" & ;;
	record-gz) "$SYNSCOPE" -P "$port" -w "$out.rec.gz" 2>"$TOOL_ERR" & ;;
	record-ladder) "$SYNSCOPE" -P "$port" -w "$out.both.rec" -o "$out.txt" 2>"$TOOL_ERR" & ;;
	tcpdump) "$TCPDUMP" -i lo -w "$out.pcap" "tcp port $port" 2>"$TOOL_ERR" & ;;
	esac
	TOOL_PID=$!
	tool_ready "$c"
}

# port_rounds WORKLOAD PORT NAME CONFIG...: RUNS rounds of WORKLOAD (a
# function that runs it once and sets WRATE, its units/s, WSECS, its
# seconds, and WBUSY, the machine's busy CPU seconds meanwhile), in each
# round untraced and traced by every CONFIG. Per configuration, a value a
# run: W_RATE, W_SECS, W_BUSY, W_EV (events the tracer took; tcpdump:
# packets), W_LOST (with '*' where another synscope was loaded: as the
# storm's), W_CPU (the tracer's CPU seconds); W_UNCLEAN counts the '*'. The
# last -w FILE recording stays as $WORK/NAME-kept.rec.
declare -A W_RATE W_SECS W_BUSY W_EV W_LOST W_CPU
port_rounds() {
	local run=$1 port=$2 name=$3 r k c n line mark
	shift 3
	local -a cfg=("$@")
	W_RATE=() W_SECS=() W_BUSY=() W_EV=() W_LOST=() W_CPU=()
	W_UNCLEAN=0
	n=${#cfg[@]}
	for ((r = 1; r <= RUNS; r++)); do
		line="run $r:"
		for ((k = 0; k < n; k++)); do
			c=${cfg[$(((k + r - 1) % n))]}
			wait_clean
			if [ "$c" = untraced ]; then
				"$run"
				still_clean "$c"
				LOST=- TOOL_CPU=- EV=-
			else
				port_start "$c" "$port" "$name"
				"$run"
				still_clean "$c"
				sleep 0.3 # the last connections' last events
				stop_tool "$c"
				if [ "$c" = tcpdump ]; then
					EV=$(sed -nE 's/^([0-9]+) packets? captured.*/\1/p' "$TOOL_ERR" | tail -n 1)
				else
					EV=$(events_said "$TOOL_ERR")
				fi
			fi
			W_RATE[$c]="${W_RATE[$c]:-} $WRATE"
			W_BUSY[$c]="${W_BUSY[$c]:-} $WBUSY"
			W_EV[$c]="${W_EV[$c]:-} ${EV:-0}"
			W_SECS[$c]="${W_SECS[$c]:-} $WSECS"
			mark=
			[ "$CLEAN" = 1 ] || { mark='*'; W_UNCLEAN=$((W_UNCLEAN + 1)); }
			W_LOST[$c]="${W_LOST[$c]:-}${W_LOST[$c]:+ }$LOST$mark"
			[ "$TOOL_CPU" != - ] && W_CPU[$c]="${W_CPU[$c]:-} $TOOL_CPU"
			line+=$(printf ' %s %.0f%s' "$c" "$WRATE" "$mark")
			[ "$c" = record ] && mv "$WORK/$name.rec" "$WORK/$name-kept.rec"
			rm -f "$WORK/$name.txt" "$WORK/$name.jsonl" "$WORK/$name.rec.gz" "$WORK/$name.pcap" \
				"$WORK/$name.both.rec"
		done
		echo "$line"
	done
}

# port_table UNIT UNITS PER CONFIG...: port_rounds' table, a row per
# configuration: UNIT/s and its paired ratio, events/s through the tracer,
# what it lost, its own CPU (PER=event: ns per event, tcpdump's per packet;
# PER=N: ms per N UNITs), and the machine's busy CPU per UNIT (UNITS of
# them a run) with its ratio untraced's / this one's, and over untraced's
# per event.
port_table() {
	local unit=$1 units=$2 per=$3 c m busy ev secs evs tcpu urt bratio extra ubusy thead=ns/event
	shift 3
	[ "$per" = event ] || thead="ms/$per $unit"
	ubusy=$(echo "${W_BUSY[untraced]:-}" | median)
	echo
	printf '%-27s %9s %7s %11s  %-14s %-12s %s\n' "configuration" "$unit/s" "paired" "events/s" "lost (per run)" "tracer CPU" "machine CPU"
	printf '%-27s %9s %7s %11s  %-14s %-12s %s\n' "" "" "" "" "" "$thead" "us/$unit (ratio), +ns/event"
	for c in "$@"; do
		m=$(echo "${W_RATE[$c]}" | median)
		busy=$(echo "${W_BUSY[$c]}" | median)
		ev=$(echo "${W_EV[$c]}" | median)
		secs=$(echo "${W_SECS[$c]}" | median)
		evs=-
		[ "$c" != untraced ] && evs=$(awk -v e="$ev" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", e / s; else print "-" }')
		tcpu=-
		if [ -n "${W_CPU[$c]:-}" ]; then
			tcpu=$(echo "${W_CPU[$c]}" | median)
			if [ "$per" = event ]; then
				tcpu=$(awk -v s="$tcpu" -v e="$ev" 'BEGIN { if (e > 0) printf "%.0f", s * 1e9 / e; else print "-" }')
				[ "$c" = tcpdump ] && tcpu="$tcpu/pkt"
			else
				tcpu=$(awk -v s="$tcpu" -v n="$units" -v p="$per" 'BEGIN { printf "%.1f", s * 1e3 * p / n }')
			fi
		fi
		urt=$(awk -v b="$busy" -v n="$units" 'BEGIN { printf "%.1f", b * 1e6 / n }')
		bratio=$(awk -v b="$busy" -v u="$ubusy" 'BEGIN { if (b > 0) printf "%.2f", u / b; else print "-" }')
		extra=-
		[ "$c" != untraced ] && extra=$(awk -v b="$busy" -v u="$ubusy" -v e="$ev" 'BEGIN { if (e > 0) printf "%.0f", (b - u) * 1e9 / e; else print "-" }')
		[ "$c" = tcpdump ] && extra="$extra/pkt"
		printf '%-27s %9.0f %7s %11s  %-14s %-12s %s\n' "$(describe "$c")" "$m" "$(paired "$c" W_RATE)" "$evs" \
			"${W_LOST[$c]:--}" "$tcpu" "$urt ($bratio), +$extra"
	done
	if [ "$W_UNCLEAN" -gt 0 ]; then
		echo "(* $W_UNCLEAN run(s) had another synscope loaded before or during the workload: not clean)"
	fi
}

# ---- long connections ---------------------------------------------------
# LONG_CONNS persistent connections of LONG_REQUESTS round trips each
# (tcpload pair, port PORT+2, every client thread keeping a request in
# flight on each of its connections), through port_rounds and port_table;
# the table's tracer CPU is per event (a round trip is a fixed number of
# them); then the -w FILE recording replayed through each sink.

if [ "$LONG" != 0 ] && [ -x "$TCPLOAD" ]; then
	echo
	LPORT=$((PORT + 2))
	# shellcheck disable=SC2086 # a list of names
	port_want BENCH_LONG_CONFIGS $LONG_CONFIGS
	# long_run: one workload, for port_rounds
	long_run() {
		local line b0 b1
		b0=$(busy_ticks)
		line=$("$TCPLOAD" pair --port "$LPORT" --conns "$LONG_CONNS" --requests "$LONG_REQUESTS") ||
			die "tcpload pair failed"
		b1=$(busy_ticks)
		WRATE=$(sed -nE 's/.* rate=([0-9.]+).*/\1/p' <<<"$line")
		WSECS=$(sed -nE 's/.* secs=([0-9.]+).*/\1/p' <<<"$line")
		WBUSY=$(awk -v t="$((b1 - b0))" -v hz="$HZ" 'BEGIN { printf "%.3f", t / hz }')
	}
	note "long connections: $RUNS x ${#PWANT[@]} runs of $LONG_CONNS connections x $LONG_REQUESTS round trips, port $LPORT"
	port_rounds long_run "$LPORT" long "${PWANT[@]}"
	port_table rt $((LONG_CONNS * LONG_REQUESTS)) event "${PWANT[@]}"
	echo "(medians of $RUNS interleaved runs of $LONG_CONNS x $LONG_REQUESTS round trips; paired = the median of"
	echo " each run's rate / the same run's untraced rate; events/s: events the tracer took / the"
	echo " workload's seconds; tracer CPU: its own per event (tcpdump: per packet); machine CPU: busy"
	echo " time of all CPUs per round trip, (untraced's / this one's), and over untraced per event)"

	# what each sink sustains: the recording replayed through it on one CPU
	if [ -f "$WORK/long-kept.rec" ] && command -v taskset >/dev/null; then
		echo
		echo "bytes per event of the long-connection recording, as above:"
		rec_size "long connections" "$WORK/long-kept.rec"
		echo
		echo "replay of the long-connection recording ($(stat -c %s "$WORK/long-kept.rec") bytes) on one CPU, to a file, median of $RUNS:"
		for f in ladder table stats stream jsonl pcapng html mermaid record record-gz; do
			rates=()
			for ((r = 1; r <= RUNS; r++)); do
				case $f in
				record) args=(-w "$WORK/replay.out") ;;
				record-gz) args=(-w "$WORK/replay.out.gz") ;;
				*) args=(-f "$f" -o "$WORK/replay.out") ;;
				esac
				t0=$(date +%s.%N)
				taskset -c 0 "$SYNSCOPE" -r "$WORK/long-kept.rec" "${args[@]}" 2>"$WORK/replay.err" ||
					die "replay to $f failed: $(tail -n 1 "$WORK/replay.err")"
				t1=$(date +%s.%N)
				ev=$(events_said "$WORK/replay.err")
				rates+=("$(awk -v e="$ev" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }')")
				rm -f "$WORK/replay.out" "$WORK/replay.out.gz"
			done
			printf '  %-10s %9.0f events/s (runs: %s)\n' "$f" "$(echo "${rates[*]}" | median)" "${rates[*]}"
		done
		rm -f "$WORK/long-kept.rec"
	fi
fi

# ---- nginx + ab (issue 20) ------------------------------------------------
# A real server's short connections: ab (no -k, so a connection per request)
# fetching a small static file from nginx, through port_rounds and
# port_table like the long connections, every tracer filtered to nginx's
# port (BENCH_PORT+4). The tracer's CPU is per 1000 requests (a request is
# a connection, and ab's rate is what a user of this workload compares).

# web_up: nginx on 127.0.0.1:WPORT from a private config in $WORK/nginx,
# serving $WORK/nginx/www/bench.html; WEB_PID is its master, which cleanup
# stops.
web_up() {
	local d=$WORK/nginx i
	# a port somebody else holds would answer the readiness check below
	(exec 3<>/dev/tcp/127.0.0.1/"$WPORT") 2>/dev/null &&
		die "port $WPORT (BENCH_PORT+4) is taken: nginx + ab needs it"
	mkdir -p "$d/www"
	head -c 1024 /dev/zero | tr '\0' x >"$d/www/bench.html"
	# user root: the worker reads the file from $WORK, which is root's alone
	# (mode 700), and nobody, nginx's default user, could not. One worker:
	# ab is one process, so the two fill the two CPUs and a tracer has to
	# take its CPU from them, which is what the table measures
	cat >"$d/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen 127.0.0.1:$WPORT;
		root $d/www;
	}
}
CONF
	nginx -c "$d/nginx.conf" -p "$d" 2>"$d/stderr" &
	WEB_PID=$!
	for ((i = 0; i < 50; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/"$WPORT") 2>/dev/null && return 0
		kill -0 "$WEB_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "nginx did not start: $(tail -n 2 "$d/stderr" "$d/error.log" 2>/dev/null | tr '\n' ' ')"
}

# web_run: one ab, for port_rounds; dies if ab fails or any request failed
# (a wrong length, a refused connection) or was not answered 200.
web_run() {
	local out b0 b1 failed
	b0=$(busy_ticks)
	out=$(ab -q -n "$WEB_REQUESTS" -c "$WEB_CONCURRENCY" "http://127.0.0.1:$WPORT/bench.html" 2>&1) ||
		die "ab failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	b1=$(busy_ticks)
	WRATE=$(sed -nE 's/^Requests per second: +([0-9.]+).*/\1/p' <<<"$out")
	WSECS=$(sed -nE 's/^Time taken for tests: +([0-9.]+).*/\1/p' <<<"$out")
	failed=$(sed -nE 's/^Failed requests: +([0-9]+).*/\1/p' <<<"$out")
	if [ -z "$WRATE" ] || [ -z "$WSECS" ] || [ -z "$failed" ]; then
		die "no rate in ab's output: $(tr '\n' ' ' <<<"$out")"
	fi
	[ "$failed" -eq 0 ] || die "ab: $failed of $WEB_REQUESTS requests failed"
	grep -q '^Non-2xx responses' <<<"$out" && die "ab: $(grep '^Non-2xx responses' <<<"$out")"
	WBUSY=$(awk -v t="$((b1 - b0))" -v hz="$HZ" 'BEGIN { printf "%.3f", t / hz }')
}

if [ "$WEB" != 0 ]; then
	if ! command -v nginx >/dev/null || ! command -v ab >/dev/null; then
		note "skipping nginx + ab: needs nginx and ab (scripts/install-deps.sh installs nginx-light and apache2-utils)"
	else
		echo
		WPORT=$((PORT + 4))
		# shellcheck disable=SC2086 # a list of names
		port_want BENCH_WEB_CONFIGS $WEB_CONFIGS
		web_up
		note "nginx + ab: $RUNS x ${#PWANT[@]} runs of ab -n $WEB_REQUESTS -c $WEB_CONCURRENCY (a connection per request), port $WPORT, tracers filtered to it (-P $WPORT, tcpdump \"tcp port $WPORT\")"
		port_rounds web_run "$WPORT" web "${PWANT[@]}"
		port_table req "$WEB_REQUESTS" 1000 "${PWANT[@]}"
		echo "(medians of $RUNS interleaved runs of ab -n $WEB_REQUESTS -c $WEB_CONCURRENCY; paired = the median of each"
		echo " run's requests/s / the same run's untraced requests/s; events/s: events the tracer took"
		echo " (tcpdump: packets) / ab's seconds; tracer CPU: its own per 1000 requests; machine CPU:"
		echo " busy time of all CPUs per request, (untraced's / this one's), and over untraced per event)"
		if [ -f "$WORK/web-kept.rec" ]; then
			echo
			echo "bytes per event of the nginx + ab recording, as above:"
			rec_size "nginx + ab" "$WORK/web-kept.rec"
			rm -f "$WORK/web-kept.rec"
		fi
		kill "$WEB_PID" && wait "$WEB_PID"
		WEB_PID=
	fi
fi

# ---- server load: redis-benchmark (issue 17) ------------------------------

if [ "$REDIS_RUNS" -gt 0 ] && command -v redis-benchmark >/dev/null; then
	echo
	wait_clean
	note "redis-benchmark -n 20000 -c 50 against redis-server, traced with -P PORT -w FILE -f jsonl -o FILE at the default ring, $REDIS_RUNS runs"
	REDIS_RUNS=$REDIS_RUNS REDIS_PORT=$((PORT + 3)) SYNSCOPE="$SYNSCOPE" "$ROOT/scripts/redis_load.sh"
fi

# ---- memory --------------------------------------------------------------

[ "$MEM_CONNS" -gt 0 ] || exit 0
echo
wait_clean
start_tool memory
series=()
done_conns=0
while [ "$done_conns" -lt "$MEM_CONNS" ]; do
	step=$MEM_STEP
	[ $((MEM_CONNS - done_conns)) -lt "$step" ] && step=$((MEM_CONNS - done_conns))
	storm "$step"
	still_clean memory
	done_conns=$((done_conns + step))
	rss=$(awk '/^RssAnon:/ { print $2 }' "/proc/$TOOL_PID/status") # its own: not the rings
	series+=("$((done_conns / 1000))k:$((rss / 1024))MiB")
done
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TOOL_PID/status")
stop_tool memory
echo "memory: $MEM_CONNS connections traced (ladder to /dev/null$([ "$CLEAN" = 1 ] || echo ', not clean')): its own resident memory (RssAnon, the rings not in) after each ${MEM_STEP}:"
echo "  ${series[*]}"
first=${series[0]#*:}
last=${series[-1]#*:}
echo "  peak resident with the rings mapped in (VmHWM; their data is mapped twice) $((hwm / 1024)) MiB; own after the first ${MEM_STEP}: ${first%MiB} -> ${last%MiB} MiB"
echo "  $SUMMARY"
