#!/usr/bin/env bash
# test_lost_window: loss marked right (issue 17). Traced with the smallest
# ring (-b 4: 4 KiB per CPU, about 30 events) on port 21798, while tcpdump
# captures the port: a long connection (tcpload, a round trip every 4 s:
# open but idle) and, between their round trips, four bursts of 300 short
# connections each (tcpload, one round trip each), which the ring cannot
# hold. synscope records (-w) and writes JSONL; the recording is
# replayed to JSONL and to a ladder (the same tracker: the same connection
# numbers). Asserts, through check_lost.py:
#  - the run lost events (or the test proves nothing), and each loss report
#    says its window (since_t_ns: the live source's loss window);
#  - every drawn connection whose segments are not all in the JSONL (each
#    packet tcpdump saw, as tx and rx) is marked "events were lost": none is
#    drawn complete over a gap;
#  - every connection alive during a loss window is marked, the idle long
#    one included: what it would have done then is what may be lost;
#  - the live JSONL's lost counts add up to synscope's summary.
# It needs the live source's loss window and ticks (SYN_EV_LOST.since_ns,
# SYN_EV_TICK: the live clock of branch bpf-v3): without them the loss
# reports say no window (window-said fails) and connections that end before
# a loss is counted are drawn complete over their gaps.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21798
BURSTS=4
BURST=300
TCPLOAD=${TCPLOAD:-$ROOT/build/tests/tcpload}
CHECK_LOST="$ROOT/tests/integration/check_lost.py"
W=$WORKDIR

need_root
[ -x "$TCPLOAD" ] || abort "$TCPLOAD not built (run make)"
start_tcpdump lo "tcp port $PORT" "$W/capture.pcap" || abort "tcpdump did not start"
start_synscope "$W/synscope.out" -b 4 -P "$PORT" -w "$W/trace.rec" -f jsonl -o "$W/live.jsonl" ||
	abort "synscope did not start"
"$TCPLOAD" server --port "$PORT" --conns $((1 + BURSTS * BURST)) >/dev/null 2>"$W/server.err" &
SERVER=$!
sleep 1 # quiet: loss checks that find nothing, so the first window is short
# a round trip now, one in 4 s and one in 8 s: idle through every burst
"$TCPLOAD" client --port "$PORT" --conns 1 --requests 3 --pause-ms 4000 \
	>/dev/null 2>"$W/long.err" &
LONG=$!
sleep 0.5
burst_rc=0
for ((b = 0; b < BURSTS; b++)); do
	"$TCPLOAD" client --port "$PORT" --conns "$BURST" --requests 1 >/dev/null 2>>"$W/burst.err" ||
		burst_rc=1
	sleep 0.3
	[ "$b" = 1 ] && sleep 2 # past the second round trip of the long ones
done
expect_eq bursts 0 "$burst_rc"
wait "$LONG"
expect_eq long-connections 0 $?
wait "$SERVER"
expect_eq server 0 $?
sleep 0.5
stop_synscope
stop_tcpdump
summary_lost=$(sed -nE 's/^synscope: [0-9]+ connection.*, ([0-9]+) lost.*/\1/p' "$SYNSCOPE_ERR")
jsonl_lost=$(python3 -c '
import json, sys
print(sum(json.loads(l).get("count", 0) for l in open(sys.argv[1]) if "\"kind\":\"lost\"" in l))' \
	"$W/live.jsonl")
expect_eq jsonl-lost-adds-up "$summary_lost" "$jsonl_lost"

"$SYNSCOPE" -r "$W/trace.rec" -f jsonl -o "$W/trace.jsonl" 2>/dev/null
"$SYNSCOPE" -r "$W/trace.rec" -o "$W/ladder.txt" 2>/dev/null
checked=$(cd "$ROOT/tests/integration" && python3 "$CHECK_LOST" --name "$TEST_NAME" \
	--pcap "$W/capture.pcap" --jsonl "$W/trace.jsonl" --ladder "$W/ladder.txt" 2>&1)
count_checks check_lost "$checked" $?
finish
