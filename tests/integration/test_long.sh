#!/usr/bin/env bash
# test_long: one long connection (issue 17). tcpload pair makes one
# connection of ROUNDS request/response round trips on port 21780 ("ping\n",
# "pong\n", then the client closes first), and tcpdump captures the port.
# Two synscope instances trace it at once: `-f jsonl -w FILE` running
# tcpload itself, and a ladder (system-wide, -P, stopped with SIGINT). The
# recording is replayed to JSONL, to -f pcapng, and to a ladder with -v.
# Through check_long.py, against tcpdump's capture:
#  - JSONL (live and replayed) holds every segment as a tx line at its
#    sender and an rx line at its receiver, same flags/seq/ack/len, in order;
#    every line carries its lane's addresses and ports; nothing lost;
#  - the pcapng export holds every packet, and tshark sees no gap;
#  - the ladder has the handshake, the teardown with its final ACK, at most
#    300 rows, and its summary rows add up (segments and bytes per
#    direction) to what tcpdump saw; the -v ladder draws every segment;
#  - the replayed JSONL is the live one, line for line.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21780
ROUNDS=${LONG_ROUNDS:-3000}
TCPLOAD=${TCPLOAD:-$ROOT/build/tests/tcpload}
CHECK_LONG="$ROOT/tests/integration/check_long.py"

need_root
[ -x "$TCPLOAD" ] || abort "$TCPLOAD not built (run make)"
command -v tshark >/dev/null || abort "tshark not installed (scripts/install-deps.sh)"

W=$WORKDIR
start_tcpdump lo "tcp port $PORT" "$W/capture.pcap" || abort "tcpdump did not start"
"$SYNSCOPE" -P "$PORT" -o "$W/live-ladder.txt" 2>"$W/ladder.err" &
LADDER_PID=$!
wait_for_line "$W/ladder.err" '^synscope: tracing' 20 "$LADDER_PID" ||
	abort "the ladder's synscope did not start: $(last_line "$W/ladder.err")"
start_synscope "$W/synscope.out" -P "$PORT" -f jsonl -o "$W/trace.jsonl" -w "$W/trace.rec" \
	-- "$TCPLOAD" pair --port "$PORT" --requests "$ROUNDS" || abort "synscope did not start"
wait_synscope
if grep -q '^tcpload: ' "$SYNSCOPE_ERR"; then
	fail tcpload "$(grep '^tcpload: ' "$SYNSCOPE_ERR" | head -n 1)"
else
	expect_true tcpload grep -q "^conns=1 requests=$ROUNDS " "$W/synscope.out"
fi
sleep 0.3 # the ladder's instance: the server's last events
kill -INT "$LADDER_PID"
wait "$LADDER_PID"
expect_eq ladder-exit 0 $?
stop_tcpdump

for f in jsonl pcapng; do
	"$SYNSCOPE" -r "$W/trace.rec" -f "$f" -o "$W/replay.$f" 2>"$W/replay-$f.err"
	expect_eq "replay-$f-exit" 0 $?
done
"$SYNSCOPE" -r "$W/trace.rec" -v -o "$W/replay-v.txt" 2>"$W/replay-v.err"
expect_eq replay-ladder-v-exit 0 $?
if cmp -s "$W/trace.jsonl" "$W/replay.jsonl"; then
	pass replay-jsonl-same
else
	fail replay-jsonl-same "$(diff "$W/trace.jsonl" "$W/replay.jsonl" | head -n 2 | cut -c1-200)"
fi

checked=$(cd "$ROOT/tests/integration" && python3 "$CHECK_LONG" --name "$TEST_NAME" \
	--pcap "$W/capture.pcap" --jsonl "$W/trace.jsonl" --jsonl "$W/replay.jsonl" \
	--pcapng "$W/replay.pcapng" --ladder "$W/live-ladder.txt" --max-rows 300 \
	--ladder-all "$W/replay-v.txt" 2>&1)
count_checks check_long "$checked" $?
finish
