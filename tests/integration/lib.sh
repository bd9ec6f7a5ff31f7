# shellcheck shell=bash
# Shared helpers for tests/integration/test_*.sh (bash, run as root).
# Source it first thing: `. "$(dirname "$0")/lib.sh"`.
#
# A test script prints "ok NAME" / "FAIL NAME: reason" lines and ends with
# `finish`, which prints "N passed, N failed" and exits 1 if anything failed.
# Background processes started here are always killed on exit (trap EXIT).
# The work directory (traces, captures, logs) is removed on success and kept
# on failure, or always with KEEP=1.
#
# Environment: SYNSCOPE, TCPDEMO (binaries), KEEP=1, TIMEOUT (seconds a traced
# run may take, default 60).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
TCPDEMO=${TCPDEMO:-$ROOT/build/tests/tcpdemo}
CHECK_TRACE="$ROOT/tests/integration/check_trace.py"
CHECK_RFC="$ROOT/tests/integration/check_rfc.py"
TIMEOUT=${TIMEOUT:-60}
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test_}
WORKDIR=$(mktemp -d "/tmp/synscope-$TEST_NAME.XXXXXX")
TRACE_OUT=() # run_traced_scenario's synscope output, when not its JSONL
# Run through sudo, synscope would give root up to sudo's caller once
# attached, and could not write into these root-only work directories
# (docs/reliability.md). test_privileges sets them itself.
unset SUDO_UID SUDO_GID SUDO_USER

PASSED=0
FAILED=0
SYNSCOPE_PID=
TCPDUMP_PID=
SYNSCOPE_ERR=
TCPDUMP_ERR=

pass() {
	PASSED=$((PASSED + 1))
	echo "ok $TEST_NAME/$1"
}

# fail NAME REASON
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $TEST_NAME/$1: $2"
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want '$2', got '$3'"
	fi
}

# traced_run NAME STDOUT ARGS...: "$SYNSCOPE" ARGS within TIMEOUT, its
# standard output to STDOUT, its errors to $WORKDIR/NAME.err (slashes in
# NAME as dashes). Passes NAME/run, or fails it with the last error line;
# returns the run's status.
traced_run() {
	local name=$1 out=$2 err="$WORKDIR/${1//\//-}.err"
	shift 2
	if timeout "$TIMEOUT" "$SYNSCOPE" "$@" >"$out" 2>"$err"; then
		pass "$name/run"
		return 0
	fi
	fail "$name/run" "synscope or the program failed: $(last_line "$err")"
	return 1
}

# traced_program NAME WROTE ARGS...: traced_run NAME /dev/null ARGS... for a
# program that writes down what it did in the file WROTE (its truth); fails
# NAME/wrote when the run left that file empty.
traced_program() {
	local name=$1 wrote=$2
	shift 2
	rm -f "$wrote"
	traced_run "$name" /dev/null "$@" || return 1
	[ -s "$wrote" ] && return 0
	fail "$name/wrote" "the program wrote nothing"
	return 1
}

# not COMMAND...: succeeds when the command fails (for expect_true).
not() { ! "$@"; }

# expect_true NAME COMMAND...: passes when the command succeeds.
expect_true() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

# second_chance RESET FN ARGS...: runs FN ARGS, a traced scenario and its
# checks against tcpdump. When one of its checks fails, its failures are shown
# as the first run's ("# first run: FAIL ..."), not counted; RESET (a command)
# undoes what the run left, and a second run is judged instead. Why: this
# kernel now and then runs no BPF program for the packets of a softirq that
# interrupted another task, uncounted, where tcpdump and ftrace see them
# (docs/reliability.md, "Packets the kernel never showed"). A fault of ours
# fails both runs. Returns FN's status. An abort in the first run ends the
# test with that run's lines shown.
second_chance() {
	local reset=$1 passed=$PASSED failed=$FAILED first rc
	shift
	first=$(mktemp "$WORKDIR/first-run.XXXXXX")
	exec {CHANCE_STDOUT}>&1
	CHANCE_FIRST=$first
	"$@" >"$first"
	rc=$?
	CHANCE_FIRST=
	if [ "$FAILED" -eq "$failed" ]; then
		cat "$first"
		return "$rc"
	fi
	grep '^FAIL ' "$first" | sed 's/^/# first run: /'
	PASSED=$passed FAILED=$failed
	$reset
	"$@"
}

# The last line of a file, for failure messages.
last_line() {
	tail -n 1 "$1" 2>/dev/null | tr -d '\r'
}

# Prints the summary and exits: call at the end of every test script.
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}

# abort REASON: the test cannot go on; counts one failure and finishes.
abort() {
	if [ -n "${CHANCE_FIRST:-}" ]; then # a first run (second_chance) ends here: show it
		exec >&"$CHANCE_STDOUT"
		cat "$CHANCE_FIRST"
		CHANCE_FIRST=
	fi
	fail setup "$1"
	finish
}

# kill_wait PID: SIGTERM, then SIGKILL after 2 s; reaps it.
kill_wait() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 20); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# stop_tracers: kills synscope and tcpdump if they still run (a scenario
# that stopped early), and forgets them.
stop_tracers() {
	[ -n "$SYNSCOPE_PID" ] && kill_wait "$SYNSCOPE_PID"
	[ -n "$TCPDUMP_PID" ] && kill_wait "$TCPDUMP_PID"
	SYNSCOPE_PID='' TCPDUMP_PID=''
}

cleanup() {
	local rc=$?
	stop_tracers
	# Anything else this shell left running in the background.
	local p
	for p in $(jobs -p); do
		kill_wait "$p"
	done
	if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" -ne 0 ]; then
		echo "# $TEST_NAME: files kept in $WORKDIR" >&2
	else
		rm -rf "$WORKDIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# need_root: every integration test traces the kernel and captures packets.
need_root() {
	[ "$(id -u)" -eq 0 ] || abort "must run as root"
	[ -x "$SYNSCOPE" ] || abort "$SYNSCOPE not built (run make)"
	[ -x "$TCPDEMO" ] || abort "$TCPDEMO not built (run make)"
	command -v tcpdump >/dev/null || abort "tcpdump not installed"
	command -v python3 >/dev/null || abort "python3 not installed"
}

# wait_for_line FILE REGEX TIMEOUT_S [PID]: polls FILE until a line matches;
# gives up early when PID (the writer) has exited. Returns 0 when found.
wait_for_line() {
	local file=$1 re=$2 limit=$(( $3 * 10 )) pid=${4:-} i
	for ((i = 0; i < limit; i++)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -Eq -- "$re" "$file" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# start_synscope OUTFILE ARGS...: runs "$SYNSCOPE ARGS..." in the background,
# stdout to OUTFILE and stderr to OUTFILE.err, and waits (up to 20 s) until it
# says "synscope: tracing" on stderr: its BPF programs are attached. With
# "-- COMMAND" in ARGS, synscope runs COMMAND itself once tracing, and exits
# when it does: use wait_synscope. Without, use stop_synscope.
start_synscope() {
	local out=$1
	shift
	SYNSCOPE_ERR="$out.err"
	"$SYNSCOPE" "$@" >"$out" 2>"$SYNSCOPE_ERR" &
	SYNSCOPE_PID=$!
	if ! wait_for_line "$SYNSCOPE_ERR" '^synscope: tracing' 20 "$SYNSCOPE_PID"; then
		fail synscope-start "no 'synscope: tracing' line: $(last_line "$SYNSCOPE_ERR")"
		kill_wait "$SYNSCOPE_PID"
		SYNSCOPE_PID=
		return 1
	fi
	pass synscope-start
}

# _synscope_exit SECONDS WHAT: waits up to SECONDS for synscope to exit, then
# checks that it exited 0; if it is still running, fails with "WHAT" and
# kills it.
_synscope_exit() {
	local seconds=$1 what=$2 i rc
	for ((i = 0; i < seconds * 10; i++)); do
		kill -0 "$SYNSCOPE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SYNSCOPE_PID" 2>/dev/null; then
		fail synscope-exit "$what"
		kill_wait "$SYNSCOPE_PID"
		SYNSCOPE_PID=
		return 1
	fi
	wait "$SYNSCOPE_PID"
	rc=$?
	SYNSCOPE_PID=
	if [ "$rc" -eq 0 ]; then
		pass synscope-exit
	else
		fail synscope-exit "exit status $rc: $(last_line "$SYNSCOPE_ERR")"
		return 1
	fi
}

# wait_synscope: waits (up to $TIMEOUT s) for synscope to exit by itself (its
# command finished), then checks that it exited 0.
wait_synscope() {
	[ -n "$SYNSCOPE_PID" ] || return 1
	_synscope_exit "$TIMEOUT" "still running after ${TIMEOUT}s"
}

# stop_synscope: SIGINT (like Ctrl-C), waits up to 10 s, checks exit status 0.
stop_synscope() {
	[ -n "$SYNSCOPE_PID" ] || return 1
	kill -INT "$SYNSCOPE_PID" 2>/dev/null
	_synscope_exit 10 "did not exit within 10 s of SIGINT"
}

# start_tcpdump IFACE FILTER FILE: captures to FILE (pcap) in the background
# and waits until tcpdump says "listening on". -Z root: keep the privileges to
# write into the root-only work directory; immediate mode, packet-buffered
# output and a 32 MiB buffer: nothing dropped, nothing left unwritten. With
# TCPDUMP_NETNS set, tcpdump runs in that network namespace (ip netns exec
# execs it: TCPDUMP_PID is tcpdump's own).
start_tcpdump() {
	local iface=$1 filter=$2 file=$3
	local -a in_ns=()
	[ -n "${TCPDUMP_NETNS:-}" ] && in_ns=(ip netns exec "$TCPDUMP_NETNS")
	TCPDUMP_ERR="$file.err"
	"${in_ns[@]}" tcpdump -i "$iface" -nn -Z root -s 256 --immediate-mode -U -B 32768 \
		-w "$file" "$filter" \
		2>"$TCPDUMP_ERR" &
	TCPDUMP_PID=$!
	if ! wait_for_line "$TCPDUMP_ERR" 'listening on' 10 "$TCPDUMP_PID"; then
		fail tcpdump-start "$(last_line "$TCPDUMP_ERR")"
		kill_wait "$TCPDUMP_PID"
		TCPDUMP_PID=
		return 1
	fi
}

# stop_tcpdump: waits until the capture file stops growing (tcpdump has
# written what it saw), stops tcpdump with SIGINT and checks that the kernel
# dropped no packet.
stop_tcpdump() {
	local file=${TCPDUMP_ERR%.err} size=-1 now i
	[ -n "$TCPDUMP_PID" ] || return 1
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		now=$(stat -c %s "$file" 2>/dev/null || echo 0)
		[ "$now" = "$size" ] && break
		size=$now
	done
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$TCPDUMP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill_wait "$TCPDUMP_PID"
	TCPDUMP_PID=
	local dropped
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$TCPDUMP_ERR")
	if [ "${dropped:-x}" != 0 ]; then
		fail tcpdump-capture "kernel dropped '${dropped:-?}' packets"
		return 1
	fi
	pass tcpdump-capture
}

# count_checks NAME OUTPUT RC: counts a checker's "ok"/"FAIL" lines as this
# test's results (other lines are shown as comments); a checker that exited
# non-zero without a FAIL line (a traceback) is a failure too.
count_checks() {
	local name=$1 out=$2 rc=$3 line
	while IFS= read -r line; do
		case $line in
		"ok "*) PASSED=$((PASSED + 1)); echo "$line" ;;
		"FAIL "*) FAILED=$((FAILED + 1)); echo "$line" ;;
		*) [ -n "$line" ] && echo "# $line" ;;
		esac
	done <<<"$out"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
		fail "$name" "$name exited $rc"
	fi
}

# check_trace ARGS...: check_trace.py --name $TEST_NAME ARGS..., counted.
check_trace() {
	local out rc
	out=$(python3 "$CHECK_TRACE" --name "$TEST_NAME" "$@" 2>&1)
	rc=$?
	count_checks check_trace "$out" "$rc"
}

# check_rfc FILE ARGS...: check_rfc.py --name $TEST_NAME ARGS... FILE
# (synscope --style rfc output against RFC 9293's figures, e.g. --figure 6),
# counted.
check_rfc() {
	local file=$1 out rc
	shift
	out=$(python3 "$CHECK_RFC" --name "$TEST_NAME" "$@" "$file" 2>&1)
	rc=$?
	count_checks check_rfc "$out" "$rc"
}

# run_traced_scenario PORT SCENARIO [TCPDEMO PAIR ARGS...]: the common body
# of the scenario tests. Captures "tcp port PORT" on lo with tcpdump, runs
# `synscope --format jsonl -o $WORKDIR/trace.jsonl -P PORT -- tcpdemo pair
# --scenario SCENARIO --port PORT ARGS...`, and leaves the trace in
# $WORKDIR/trace.jsonl and the capture in $WORKDIR/capture.pcap. A caller
# that wants other output sets the array TRACE_OUT (e.g. (-f html -o F))
# in place of `--format jsonl -o $WORKDIR/trace.jsonl`.
run_traced_scenario() {
	local port=$1 scenario=$2
	local -a out=(--format jsonl -o "$WORKDIR/trace.jsonl")
	shift 2
	[ "${#TRACE_OUT[@]}" -gt 0 ] && out=("${TRACE_OUT[@]}")
	start_tcpdump lo "tcp port $port" "$WORKDIR/capture.pcap" || abort "tcpdump did not start"
	start_synscope "$WORKDIR/synscope.out" "${out[@]}" \
		-P "$port" -- "$TCPDEMO" pair --scenario "$scenario" --port "$port" "$@" \
		|| abort "synscope did not start"
	wait_synscope
	stop_tcpdump
	# tcpdemo prints nothing on success, one "tcpdemo: ..." line otherwise;
	# it inherits synscope's stderr.
	if grep -q '^tcpdemo: ' "$SYNSCOPE_ERR"; then
		fail tcpdemo "$(grep '^tcpdemo: ' "$SYNSCOPE_ERR" | head -n 1)"
	else
		pass tcpdemo
	fi
}

# checked_scenario PORT SCENARIO [TCPDEMO PAIR ARGS...]: run_traced_scenario,
# then check_trace.py on its JSONL and capture (with CHECK_ARGS too), given a
# second chance (the kernel's unseen packets, above).
CHECK_ARGS=()
checked_scenario() {
	second_chance true checked_scenario_once "$@"
}

checked_scenario_once() {
	run_traced_scenario "$@"
	check_trace --scenario "$2" ${CHECK_ARGS[@]+"${CHECK_ARGS[@]}"} \
		--jsonl "$WORKDIR/trace.jsonl" --pcap "$WORKDIR/capture.pcap"
}
