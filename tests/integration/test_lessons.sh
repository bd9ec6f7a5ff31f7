#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through second_chance (lib.sh) and traps
# test_lessons: the classroom scenarios of issue 19's lessons, each traced the
# way a teacher runs it (`synscope --explain -- scripts/scenario.sh NAME`,
# with `--pcap` for a capture of the same traffic in the server namespace):
#  - the ladder's arrows, per connection, in order, with their direction and
#    flags, are the packets tcpdump saw (check_ladder_wire.py): nothing drawn
#    that was not on the wire (a segment dropped on its host before it is
#    drawn "NOT SENT"), nothing on the wire missing;
#  - the trace, replayed to JSON Lines, follows the scenario's hand-written
#    story in tests/integration/stories/ (check_story.py: segments and states
#    exactly, calls, drops and resets in order, each with its explanation);
#  - the explanations a class reads in the ladder, counted or quoted below.
# Scenarios: udp (request and reply), udp-oneway (IPv4 and IPv6), keepalive
# (IPv4 and IPv6), keepalive-dead, reuseaddr (IPv4 and IPv6); and the
# listener's setup (socket, setsockopt, bind, listen) in the server lane.
# Environment: LESSONS="udp ..." runs only those; KEEP=1 keeps the files.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SCENARIO=$ROOT/scripts/scenario.sh
NETNS=$ROOT/scripts/netns.sh
STORIES=$ROOT/tests/integration/stories
PREFIX=scn-l
PORT=22700 # each run takes the next 10 ports

need_root
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
trap '"$NETNS" down "$PREFIX"; cleanup' EXIT
"$NETNS" down "$PREFIX"

# lesson_run NAME FAM TAG CLI: one traced run of the scenario into $OUT.*;
# sets WIRE/WIRE_RC (the ladder against the capture) and STORY/STORY_RC
# (the JSON Lines against the story). False when it did not run.
lesson_run() {
	local name=$1 fam=$2 tag=$3 cli=$4 base=$OUT
	PORT=$((PORT + 10))
	timeout "$TIMEOUT" "$SYNSCOPE" --explain -o "$base.ladder" -w "$base.rec" -- \
		"$SCENARIO" "$name" --prefix "$PREFIX" --port "$PORT" --pcap "$base.pcap" ${fam:+"$fam"} \
		>"$base.stdout" 2>"$base.stderr" || return 1
	WIRE=$(python3 "$ROOT/tests/integration/check_ladder_wire.py" \
		--name "$tag" --ladder "$base.ladder" --pcap "$base.pcap" --client "$cli" 2>&1)
	WIRE_RC=$?
	"$SYNSCOPE" -r "$base.rec" --explain -f jsonl -o "$base.jsonl" 2>/dev/null
	STORY=$(python3 "$ROOT/tests/integration/check_story.py" --name "$tag" \
		--story "$STORIES/$name.story" --jsonl "$base.jsonl" 2>&1)
	STORY_RC=$?
}

# lesson_once NAME FAM TAG CLI: one traced run of the scenario, its checks
# counted. False when it did not run.
lesson_once() {
	local tag=$3
	if ! lesson_run "$@"; then
		fail "$tag/run" "synscope or the scenario failed: $(tail -n 2 "$OUT.stderr" | tr '\n' ' ')"
		return 1
	fi
	pass "$tag/run"
	count_checks ladder-wire "$WIRE" "$WIRE_RC"
	count_checks story "$STORY" "$STORY_RC"
}

# lesson NAME [-6]: traces the scenario, checks its ladder against the
# capture and its JSON Lines against the story. Leaves $OUT.ladder. A run
# with a failed check gets a second chance (lib.sh): a loaded machine has
# merged a FIN and the delayed ACK before it (the wire, not the story), and
# a keepalive probe, its answer and its drop have been missing from a trace
# (1 run in ~20): the kernel ran no BPF program for them (docs/reliability.md).
lesson() {
	local name=$1 fam=${2:-} tag=$1 cli=10.99.0.1
	[ "$fam" = -6 ] && tag=$name-v6 cli=fd99::1
	OUT=$WORKDIR/$tag
	second_chance true lesson_once "$name" "$fam" "$tag" "$cli"
}

# explains TAG N TEXT: the ladder has N explanation lines starting with TEXT
explains() {
	local got
	got=$(grep -cF -- "# $3" "$OUT.ladder")
	expect_eq "$1" "$2" "$got"
}

# has TAG TEXT: the ladder has TEXT (a row, a header)
has() {
	if grep -qF -- "$2" "$OUT.ladder"; then
		pass "$1"
	else
		fail "$1" "no '$2' in the ladder"
	fi
}

want() {
	[ -z "${LESSONS:-}" ] || [[ " $LESSONS " == *" $1 "* ]]
}

if want udp; then
	if lesson udp; then
		explains udp/socket-no-tcp-state 2 "socket(): a new UDP socket, with no address yet"
		explains udp/no-closed-state 0 "socket(): a new socket, CLOSED"
		explains udp/close-sends-nothing 2 "close(): the socket is gone and nothing is sent"
		has udp/complete "rows, complete"
	fi
fi

if want udp-oneway; then
	for fam in "" -6; do
		lesson udp-oneway $fam || continue
		t=udp-oneway${fam:+-v6}
		# both lanes: the receiver is a process, with its calls, not "(no socket)"
		has "$t/receiver-lane" "demo-server/"
		has "$t/complete" "rows, complete"
		explains "$t/receiver-waits" 1 "recvfrom(): the server waits for a datagram"
		explains "$t/socket" 2 "socket(): a new UDP socket"
		explains "$t/datagram" 1 "UDP datagram of 6 bytes from the client"
		explains "$t/received" 1 "recvfrom(): one whole datagram of 6 bytes"
		explains "$t/closes" 2 "close(): the socket is gone and nothing is sent"
	done
fi

if want keepalive; then
	for fam in "" -6; do
		lesson keepalive $fam || continue
		t=keepalive${fam:+-v6}
		has "$t/options" "setsockopt(fd=4, TCP_KEEPCNT=3)"
		# three probes, each answered by the server's kernel, which then
		# drops the probe: nothing new in it
		explains "$t/probes" 3 "keepalive probe: nothing has arrived for a while, so the client's kernel"
		explains "$t/answers" 3 "the server's kernel answers the keepalive probe with an ACK"
		explains "$t/probe-dropped" 3 "dropped once answered"
		explains "$t/not-plain-ack" 0 "ACK: the server acknowledges"
	done
fi

if want keepalive-dead; then
	if lesson keepalive-dead; then
		t=keepalive-dead
		explains $t/probe-1 1 "keepalive probe 1 in a row without an answer"
		explains $t/probe-2 1 "keepalive probe 2 in a row without an answer"
		explains $t/probe-3 1 "keepalive probe 3 in a row without an answer"
		explains $t/no-probe-4 0 "keepalive probe 4"
		explains $t/firewall 5 "dropped by the firewall (netfilter) on the server's host"
		explains $t/rst-tied 1 "the client's kernel gives the server up: its last 3 keepalive probes got no answer"
		explains $t/read-tied 1 "read() fails with ETIMEDOUT: the keepalive probes went unanswered"
		explains $t/server-close-rst 1 "close(): the last descriptor is closed, but the kernel aborts the connection: RST"
		# the server's own RST, dropped by its firewall on the way out:
		# a tx drop of the server, never on the wire
		got=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%s:%s:%s" % (r["end"], r["dir"], ",".join(r["flags"]))
               for r in rows if r["kind"] == "drop" and "RST" in r["flags"]))' "$OUT.jsonl")
		expect_eq $t/rst-drops "server:rx:RST,ACK server:tx:RST,ACK" "$got"
	fi
fi

if want reuseaddr; then
	for fam in "" -6; do
		lesson reuseaddr $fam || continue
		t=reuseaddr${fam:+-v6}
		# connection 1's server closed first: it waits in TIME-WAIT
		has "$t/server-time-wait" "the server stays in TIME-WAIT from"
		# connection 2 begins with the restarted listener's setup
		got=$(awk '/^connection 2:/ { on = 1 } on && /^ +[0-9]+ / { sub(/.*\| */, "", $0); print }' \
			"$OUT.ladder" | head -n 10 | tr -s ' ' | paste -sd '|')
		expect_eq "$t/restart-rows" "CLOSE|CLOSE|CLOSE|CLOSE|CLOSE|CLOSE|CLOSE|CLOSE|LISTEN|LISTEN" "$got"
		got=$(awk '/^connection 2:/ { on = 1 } on && /^ +[0-9]+ / { print }' "$OUT.ladder" |
			head -n 10 | sed 's/^.*| *\([^|]*\) |[^|]*$/\1/' | sed 's/ *$//' | paste -sd '|')
		expect_eq "$t/restart-calls" "socket = 4|bind(fd=4, port=$PORT)|bind = -1 EADDRINUSE|setsockopt(fd=4, SO_REUSEADDR=1)|setsockopt = 0|bind(fd=4, port=$PORT)|bind = 0|listen(fd=4, backlog=16)|CLOSE -> LISTEN|listen = 0" "$got"
		explains "$t/bind-in-use" 1 "bind() fails with EADDRINUSE: another socket still holds this address and port"
		explains "$t/so-reuseaddr" 2 "SO_REUSEADDR on: bind() may take this address and port"
		explains "$t/listen" 2 "listen(): the server's socket will wait for connections"
		# JSON Lines has the same calls once, outside any connection
		got=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows.sort(key=lambda r: r["t_ns"])
out = []
for r in rows:
    if r["conn"] == 0 and r["kind"] == "syscall" and r["comm"] == "demo-server" and r["name"] in ("bind", "setsockopt", "listen") and r["phase"] == "return":
        out.append("%s=%d" % (r["name"], r["ret"]))
print(" ".join(out))' "$OUT.jsonl")
		expect_eq "$t/jsonl-listener-calls" \
			"setsockopt=0 bind=0 listen=0 bind=-98 setsockopt=0 bind=0 listen=0" "$got"
	done
fi

finish
