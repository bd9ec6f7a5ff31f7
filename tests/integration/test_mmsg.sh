#!/usr/bin/env bash
# test_mmsg: sendmmsg() and recvmmsg(), several datagrams in one call (how
# glibc's resolver sends its A and AAAA queries). tests/integration/udpmmsg.c
# on loopback port 21896: the client sends two 29-byte datagrams in one
# sendmmsg(), the server takes them in one recvmmsg() and answers both in
# one sendmmsg(), the client takes the answers in one recvmmsg(). Checked in
# JSON Lines, live and under -P 21896: each call's entry (with its vlen)
# and return (the messages the program saw) on its lane, each lane's
# datagrams, and none marked a retransmission though all four are as long;
# the ladder names the calls and explains them as messages, not bytes. And
# a UDP socket connected to ::1 and closed without a datagram: its peer is
# on this host ("?", not "(remote)") and connect() waits for nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21896
need_root
UDPMMSG=${UDPMMSG:-$ROOT/build/tests/udpmmsg}

# mmsg_rows FILE: "lane call ret" for each return of an mmsg call, in time
# order, after "lane call vlen=N" for its entry; then "datagrams lane N"
# sent by each lane and "marked N" (datagrams marked a retransmission)
mmsg_rows() {
	python3 - "$1" <<'PY'
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["t_ns"])
sent = {"client": 0, "server": 0}
marked = 0
for r in rows:
    if r["kind"] == "syscall" and r["name"] in ("sendmmsg", "recvmmsg"):
        if r["phase"] == "entry":
            print(r.get("end"), r["name"], "vlen=%s" % r.get("vlen"))
        else:
            print(r.get("end"), r["name"], r["ret"])
    if r["kind"] == "segment" and r["dir"] == "tx" and r.get("end") in sent:
        sent[r["end"]] += 1
    if r["kind"] == "segment" and r.get("retransmit"):
        marked += 1
for lane in ("client", "server"):
    print("datagrams", lane, sent[lane])
print("marked", marked)
PY
}

want="client sendmmsg vlen=2
client sendmmsg 2
server recvmmsg vlen=4
server recvmmsg 2
server sendmmsg vlen=2
server sendmmsg 2
client recvmmsg vlen=4
client recvmmsg 2
datagrams client 2
datagrams server 2
marked 0"

for how in all port; do
	opts=()
	[ "$how" = port ] && opts=(-P "$PORT")
	traced_run "$how" "$WORKDIR/$how.seen" "${opts[@]}" -f jsonl -o "$WORKDIR/$how.jsonl" -- \
		"$UDPMMSG" "$PORT" || continue
	expect_eq "$how/program-saw" "client sendmmsg 2
server recvmmsg 2
server sendmmsg 2
client recvmmsg 2" "$(cat "$WORKDIR/$how.seen")"
	expect_eq "$how/calls" "$want" "$(mmsg_rows "$WORKDIR/$how.jsonl")"
done

traced_run ladder /dev/null --explain -P "$PORT" -o "$WORKDIR/ladder.txt" -- "$UDPMMSG" "$PORT"
expect_true ladder/sendmmsg grep -Eq "\| sendmmsg\(fd=[0-9]+, vlen=2\) +\|" "$WORKDIR/ladder.txt"
expect_true ladder/sent grep -q "# sendmmsg(): 2 messages handed to the kernel in one call" \
	"$WORKDIR/ladder.txt"
expect_true ladder/taken grep -q "# recvmmsg(): 2 messages taken in one call" "$WORKDIR/ladder.txt"
expect_true ladder/no-retrans not grep -q "RETRANS" "$WORKDIR/ladder.txt"

# a UDP socket connected to ::1 and closed, nothing sent (how glibc's
# getaddrinfo() tries each address it found): the peer is on this host,
# not "(remote)", and connect() waits for nothing (no " ...")
traced_run probe /dev/null -P "$PORT" -o "$WORKDIR/probe.txt" -- python3 -c "import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(('::1', $PORT))
s.close()"
expect_true probe/peer-here grep -Eq "^connection 1 \(UDP\): .* -> \[::1\]:$PORT \?$" "$WORKDIR/probe.txt"
expect_true probe/no-wait grep -Eq "\| connect\(fd=[0-9]+\) +\|" "$WORKDIR/probe.txt"

finish
