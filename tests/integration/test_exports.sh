#!/usr/bin/env bash
# test_exports: the pcapng and mermaid exports of a real connection
# (tcpdemo pair --scenario client-close, IPv4 on loopback, port 21101).
# Three synscope instances trace the same run at once: JSON Lines and Mermaid
# (whole system, -P 21101, stopped with SIGINT) and pcapng (running tcpdemo
# itself); tcpdump captures the same traffic on lo. Asserts:
#  - every synscope exited 0, tcpdemo succeeded, tcpdump dropped nothing;
#  - via check_exports.py: tshark reads the pcapng cleanly; IPv4 and TCP
#    checksums are valid (TCP: unverified where payload is left out); no TCP
#    analysis flag; tshark's flow,tcp,standard shows SYN, SYN,ACK, ACK with
#    the seq/ack numbers of the JSONL trace; the first packet is outbound on
#    the client interface with synscope's comments; the packets equal
#    tcpdump's; the Mermaid arrows show the same handshake;
#  - the Mermaid file parses with Mermaid's parser (tests/mermaid/check.mjs)
#    as exactly one diagram;
#  - -f pcapng to a terminal is refused with one line and exit status 2.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21101
CHECK_EXPORTS="$ROOT/tests/integration/check_exports.py"
MERMAID_CHECK="$ROOT/tests/mermaid/check.mjs"

need_root
command -v tshark >/dev/null || abort "tshark not installed (scripts/install-deps.sh)"
command -v node >/dev/null || abort "node not installed (scripts/install-deps.sh)"
[ -f "$ROOT/tests/mermaid/node_modules/mermaid/package.json" ] ||
	abort "Mermaid's parser not installed in tests/mermaid (scripts/install-deps.sh)"

# start_watcher VAR OUT ARGS...: a whole-system synscope in the background,
# its pid in VAR, stderr in OUT.err; waits until it is tracing.
start_watcher() {
	local var=$1 out=$2 pid
	shift 2
	"$SYNSCOPE" "$@" >"$out" 2>"$out.err" &
	pid=$!
	printf -v "$var" '%s' "$pid"
	wait_for_line "$out.err" '^synscope: tracing' 20 "$pid" ||
		abort "synscope $* did not start: $(last_line "$out.err")"
}

# stop_watcher NAME PID OUT: SIGINT, up to 10 s to exit, exit status 0.
stop_watcher() {
	local name=$1 pid=$2 out=$3 i rc
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name-exit" "still running 10 s after SIGINT"
		kill_wait "$pid"
		return
	fi
	wait "$pid"
	rc=$?
	expect_eq "$name-exit" 0 "$rc"
	[ "$rc" -eq 0 ] || echo "# $name: $(last_line "$out.err")"
}

# run_checker COMMAND...: counts its "ok"/"FAIL" lines as this test's results.
run_checker() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	count_checks "$(basename "$1")" "$out" "$rc"
}

W=$WORKDIR
start_tcpdump lo "tcp port $PORT" "$W/capture.pcap" || abort "tcpdump did not start"
start_watcher JSONL_PID "$W/jsonl.out" -f jsonl -o "$W/trace.jsonl" -P "$PORT"
start_watcher MERMAID_PID "$W/mermaid.out" -f mermaid -o "$W/trace.mmd" -P "$PORT"
start_synscope "$W/pcapng.out" -f pcapng -o "$W/trace.pcapng" -P "$PORT" \
	-- "$TCPDEMO" pair --scenario client-close --port "$PORT" --family 4 ||
	abort "synscope did not start"
wait_synscope
if grep -q '^tcpdemo: ' "$SYNSCOPE_ERR"; then
	fail tcpdemo "$(grep '^tcpdemo: ' "$SYNSCOPE_ERR" | head -n 1)"
else
	pass tcpdemo
fi
# the watchers' last events (the server's close) may still be in flight
sleep 0.3
stop_watcher jsonl "$JSONL_PID" "$W/jsonl.out"
stop_watcher mermaid "$MERMAID_PID" "$W/mermaid.out"
stop_tcpdump

run_checker python3 "$CHECK_EXPORTS" --name "$TEST_NAME" --jsonl "$W/trace.jsonl" \
	--pcapng "$W/trace.pcapng" --pcap "$W/capture.pcap" --mermaid "$W/trace.mmd"

# Mermaid's own parser: one diagram, no error
out=$(node "$MERMAID_CHECK" "$W/trace.mmd" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && grep -qx 'diagrams: 1, errors: 0' <<<"$out"; then
	pass mermaid-parses
else
	fail mermaid-parses "exit $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# binary output never goes to a terminal: script(1) gives synscope one
out=$(script -qec "$SYNSCOPE -f pcapng -P $PORT" /dev/null </dev/null 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
expect_eq pcapng-terminal-refused \
	"synscope: pcapng is binary: give -o FILE or pipe it, not to a terminal rc=2" "$out rc=$rc"

finish
