#!/usr/bin/env bash
# test_load: a server under load (issue 17). tcpload pair: CONNS persistent
# connections to one server on port 21785, REQUESTS request/response round
# trips each, every client thread keeping a request in flight on each of its
# connections (as redis-benchmark does), as fast as the two CPUs go. Traced
# system-wide the way a user watches a busy server, `-P PORT -w FILE -f jsonl
# -o FILE` at the default ring size, while tcpdump captures the port.
# Asserts:
#  - synscope's summary: CONNS connections, 0 incomplete, 0 lost;
#  - the JSONL holds every segment tcpdump saw, as tx and rx (check_long.py);
#  - the recording, replayed to a ladder: every connection complete, no loss
#    mark, handshake and teardown drawn, and its segments and bytes in each
#    direction (drawn rows plus summary rows) equal tcpdump's.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21785
CONNS=${LOAD_CONNS:-40}
REQUESTS=${LOAD_REQUESTS:-500}
TCPLOAD=${TCPLOAD:-$ROOT/build/tests/tcpload}
CHECK_LONG="$ROOT/tests/integration/check_long.py"

need_root
[ -x "$TCPLOAD" ] || abort "$TCPLOAD not built (run make)"

W=$WORKDIR
start_tcpdump lo "tcp port $PORT" "$W/capture.pcap" || abort "tcpdump did not start"
start_synscope "$W/synscope.out" -P "$PORT" -w "$W/trace.rec" -f jsonl -o "$W/trace.jsonl" ||
	abort "synscope did not start"
if "$TCPLOAD" pair --port "$PORT" --conns "$CONNS" --requests "$REQUESTS" >"$W/tcpload.out" \
	2>"$W/tcpload.err"; then
	pass tcpload
	echo "# tcpload: $(cat "$W/tcpload.out")"
else
	fail tcpload "$(head -n 1 "$W/tcpload.err")"
fi
sleep 0.5 # the last connections' last events
stop_synscope
stop_tcpdump
summary=$(grep -E '^synscope: [0-9]+ connection' "$SYNSCOPE_ERR" | tail -n 1)
expect_eq summary "$CONNS connections (0 incomplete), 0 lost" \
	"$(sed -nE 's/^synscope: ([0-9]+ connections? \([0-9]+ incomplete\)), [0-9]+ events, ([0-9]+ lost).*/\1, \2/p' <<<"$summary")"
echo "# $summary"

"$SYNSCOPE" -r "$W/trace.rec" -o "$W/ladder.txt" 2>"$W/replay.err"
expect_eq replay-exit 0 $?
checked=$(cd "$ROOT/tests/integration" && python3 "$CHECK_LONG" --name "$TEST_NAME" \
	--pcap "$W/capture.pcap" --conns "$CONNS" --jsonl "$W/trace.jsonl" --ladder "$W/ladder.txt" 2>&1)
count_checks check_long "$checked" $?
finish
