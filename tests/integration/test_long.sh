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
#  - the replayed JSONL is the live one, line for line;
#  - a long half-close (long_half_close.py, port 21781: 300 replies after
#    the client's FIN) traced with -f jsonl --explain, so its rows go out
#    in batches: one each of teardown-1 .. teardown-4, and every reply after
#    the client's FIN is data-after-fin, but the one that carried its ACK
#    (teardown-2-data) when no bare ACK did.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21780
HALF_PORT=21781
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

# ---- a long half-close, explained in JSONL batch by batch -----------------
# 300 replies after the client's FIN: the connection goes out in several
# batches while it lasts, and each is told as part of the whole
"$SYNSCOPE" -P "$HALF_PORT" -f jsonl --explain -o "$W/half.jsonl" -- \
	python3 "$ROOT/tests/integration/long_half_close.py" "$HALF_PORT" 300 \
	>"$W/half.out" 2>"$W/half.err"
expect_eq half/exit 0 $?
expect_true half/replies grep -q "^replies=300 bytes=30000$" "$W/half.out"
out=$(python3 - "$W/half.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
conns = {r["conn"] for r in rows if r.get("conn")}
keys = collections.Counter(r.get("explain") for r in rows if r.get("conn"))
data = sum(1 for r in rows if r["kind"] == "segment" and r.get("end") == "server" and
           r.get("dir") == "tx" and r.get("len", 0) > 0)
problems = []
if len(conns) != 1:
    problems.append(f"{len(conns)} connections")
if len(rows) < 1200:
    problems.append(f"only {len(rows)} lines: not several batches")
# teardown 2/4 is one segment: a bare ACK, or a reply that carried it
keys["teardown-2"] += keys["teardown-2-data"]
for k in ("teardown-1", "teardown-2", "teardown-3", "teardown-4"):
    if keys[k] != 1:
        problems.append(f"{keys[k]} {k}")
# every other reply left after the client's FIN
if keys["data-after-fin"] != data - keys["teardown-2-data"]:
    problems.append(f"data-after-fin {keys['data-after-fin']} of {data} replies")
print("; ".join(problems))
PY
)
expect_eq half/explained-as-whole "" "$out"
finish
