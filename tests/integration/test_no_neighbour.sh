#!/usr/bin/env bash
# test_no_neighbour: connecting to an address on the local link that nobody
# has (a host that is down, a typo in an address). The SYN waits for ARP,
# which gets no answer, so it never reaches the wire. In a namespace whose
# veth peer has no address (ARP gives up after 2 probes 200 ms apart), a
# Python client on port 21898 connects twice to 10.216.0.9:
#  1. blocking: the kernel drops the SYN (NEIGH_FAILED), its own host sends
#     itself an ICMP host unreachable, and connect() fails with EHOSTUNREACH;
#  2. non-blocking, given up after 100 ms (as curl --connect-timeout does):
#     close() in SYN_SENT, and the SYN is dropped later all the same, with
#     the same ICMP (ICMP to the host itself is not rate limited);
#  3. to 8.8.8.8, with no route to it: connect() fails with ENETUNREACH
#     within the call, before a port or a SYN; drawn all the same, as a
#     connection to where its sockaddr said.
# Traced as `synscope -- command` (the task filter): the drop happens in a
# timer, in whatever task the CPU ran, and is the first record of the port
# the blocking connect() bound (its states and calls all show port 0), so
# it must pass the filter by its socket and carry that socket's id, or the
# connection splits in two.
# Checked: what Python saw, that tcpdump on the veth saw no TCP at all, and
# synscope's live JSON Lines with --explain: no segment row (nothing left),
# the drops, the ICMP from the host itself, the failed and the abandoned
# connect; and the ladder those JSON Lines draw (-r FILE.jsonl --explain);
# live (-f stream), the dropped SYN is the client's at once.
# Then IPv6, whose neighbour discovery failing frees the SYN with no drop
# reason: still one connection (-P alone). Then, in a namespace whose
# ephemeral port range is one port wide (port
# 21899): a second connect() while the first connection holds that port
# fails with EADDRNOTAVAIL, told as no local port free.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21898
PORT_EXHAUSTED=21899
NSA=synscope-nn-a
NSB=synscope-nn-b
NSC=synscope-nn-ports
need_root

netns_cleanup() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip netns del "$NSC" 2>/dev/null
}
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
ip netns add "$NSA" && ip netns add "$NSB" || abort "cannot create namespaces"
ip link add nn-a netns "$NSA" type veth peer name nn-b netns "$NSB" || abort "cannot create veth"
ip -n "$NSA" addr add 10.216.0.1/24 dev nn-a
ip -n "$NSA" link set nn-a up
ip -n "$NSA" link set lo up # the host's ICMP error to itself goes through lo
ip -n "$NSB" link set nn-b up
ip netns exec "$NSA" sysctl -qw net.ipv4.neigh.nn-a.mcast_solicit=2 \
	net.ipv4.neigh.nn-a.retrans_time_ms=200 || abort "cannot set the neighbour sysctls"

cat >"$WORKDIR/app.py" <<'PY'
import errno, select, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
seen = []
c = socket.socket()
try:
    c.connect(("10.216.0.9", port))
    seen.append("connect 0")
except OSError as e:
    seen.append("connect " + errno.errorcode.get(e.errno, str(e.errno)))
c.close()
# a SYN sent at once after the failure was once in 7 runs freed with no
# drop reason and no ICMP (queued, it seems, while the kernel still emptied
# the failed entry's queue): let the failure settle first
time.sleep(0.3)
c = socket.socket()
c.setblocking(False)
c.connect_ex(("10.216.0.9", port))
_, w, _ = select.select([], [c], [], 0.1)
seen.append("given up" if not w else "finished")
c.close()
c = socket.socket()
try:
    c.connect(("8.8.8.8", port))  # no route in this namespace
    seen.append("connect 0")
except OSError as e:
    seen.append("connect " + errno.errorcode.get(e.errno, str(e.errno)))
c.close()
time.sleep(1.0)  # the second SYN's drop comes when ARP gives up
with open(out, "w") as f:
    print("\n".join(seen), file=f)
PY

start_tcpdump_in() {
	TCPDUMP_NETNS=$NSA start_tcpdump nn-a "tcp or icmp" "$WORKDIR/wire.pcap"
}
start_tcpdump_in || abort "tcpdump did not start"
traced_program live "$WORKDIR/wrote" -P "$PORT" -f jsonl --explain -o "$WORKDIR/trace.jsonl" \
	-- ip netns exec "$NSA" python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/wrote"
stop_tcpdump
expect_eq python "connect EHOSTUNREACH,given up,connect ENETUNREACH" "$(paste -sd, "$WORKDIR/wrote" 2>/dev/null)"
expect_eq wire/no-tcp 0 "$(tcpdump -nr "$WORKDIR/wire.pcap" tcp 2>/dev/null | wc -l)"

# facts.py JSONL: what each connection's rows say, one line per connection
cat >"$WORKDIR/facts.py" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for conn in sorted({r["conn"] for r in rows if r.get("conn")}):
    mine = sorted((r for r in rows if r.get("conn") == conn), key=lambda r: r["t_ns"])
    facts = []
    for r in mine:
        k = r["kind"]
        if k == "segment":
            facts.append("segment")
        elif k == "drop":
            facts.append(f"drop {r.get('reason_name')} {r.get('explain')}")
        elif k == "icmp":
            facts.append(f"icmp {r.get('icmp')} {r.get('explain')}")
        elif k == "syscall" and r["name"] == "connect" and r.get("end") == "client":
            if r["phase"] == "entry":
                facts.append(f"connect {r.get('explain')}")
            else:
                facts.append(f"connect = {r['ret']} {r.get('explain')}")
        elif k == "syscall" and r["name"] == "close" and r["phase"] == "entry" and \
                r.get("end") == "client":
            facts.append(f"close {r.get('explain')}")
    head = next((r for r in rows if r["kind"] == "connection" and r["conn"] == conn), {})
    print(conn, f"{head.get('daddr')}:{head.get('dport')}", "; ".join(facts))
PY
python3 "$WORKDIR/facts.py" "$WORKDIR/trace.jsonl" >"$WORKDIR/facts"
expect_eq jsonl/blocking "1 10.216.0.9:21898 connect connect-call; drop NEIGH_FAILED drop-no-neighbour; icmp host unreachable icmp-from-own-host; connect = -113 connect-host-unreachable; close close" \
	"$(sed -n 1p "$WORKDIR/facts")"
expect_eq jsonl/given-up "2 10.216.0.9:21898 connect connect-call-nonblocking; connect = -115 connect-in-progress; close close-abandons-connect; drop NEIGH_FAILED drop-no-neighbour; icmp host unreachable icmp-from-own-host" \
	"$(sed -n 2p "$WORKDIR/facts")"
expect_eq jsonl/no-route "3 8.8.8.8:21898 connect connect-call-fails-at-once; connect = -101 connect-network-unreachable; close close" "$(sed -n 3p "$WORKDIR/facts")"
expect_eq jsonl/connections 3 "$(wc -l <"$WORKDIR/facts")"

"$SYNSCOPE" -r "$WORKDIR/trace.jsonl" --explain -o "$WORKDIR/ladder.txt" 2>"$WORKDIR/replay.err" ||
	fail ladder/replay "$(last_line "$WORKDIR/replay.err")"
expect_eq ladder/dropped-before-it-left 2 "$(grep -c 'dropped before it left' "$WORKDIR/ladder.txt")"
expect_eq ladder/own-host 2 "$(grep -c "from the client's own host" "$WORKDIR/ladder.txt")"
expect_eq ladder/abandoned 1 "$(grep -c 'close() before the handshake finished' "$WORKDIR/ladder.txt")"
expect_eq ladder/refused-within-the-call 1 "$(grep -c 'its own kernel refuses within the call' "$WORKDIR/ladder.txt")"
expect_eq ladder/no-arrow 0 "$(grep -c -- '--SYN' "$WORKDIR/ladder.txt")"

# --- live, as it happens (-f stream): the dropped SYN of a blocking
# connect() is its socket's at once (the drop names the socket that sent
# it), not a row of no one's until the socket's last state names its port
cat >"$WORKDIR/one.py" <<'PY'
import socket, sys
c = socket.socket()
try:
    c.connect(("10.216.0.9", int(sys.argv[1])))
except OSError as e:
    open(sys.argv[2], "w").write(str(e.errno) + "\n")
c.close()
PY
traced_program stream "$WORKDIR/one.wrote" -P "$PORT" -f stream -o "$WORKDIR/stream.txt" \
	-- ip netns exec "$NSA" python3 "$WORKDIR/one.py" "$PORT" "$WORKDIR/one.wrote"
expect_eq stream/drop-is-the-clients 1 \
	"$(grep -c '^[0-9.]* conn 1 client python3/[0-9]* .* DROPPED SYN: NEIGH_FAILED$' "$WORKDIR/stream.txt")"

# --- IPv6: neighbour discovery gets no answer either, but the kernel frees
# the waiting SYN with no drop reason (ndisc_error_report), so the ICMPv6
# error it sends itself and the socket's last state (its port given back,
# inet_sport still naming it) are what tie the attempt together: one
# connection, traced under -P alone (the ICMPv6 comes in a timer, and only
# a port filter lets it pass for a port no record had named before)
ip -n "$NSA" addr add fd16::1/64 dev nn-a nodad
ip netns exec "$NSA" sysctl -qw net.ipv6.neigh.nn-a.mcast_solicit=2 \
	net.ipv6.neigh.nn-a.retrans_time_ms=200 || abort "cannot set the IPv6 neighbour sysctls"
if start_synscope "$WORKDIR/v6.out" -P "$PORT" -f jsonl --explain -o "$WORKDIR/v6.jsonl"; then
	v6=$(ip netns exec "$NSA" python3 -c '
import errno, socket, sys
c = socket.socket(socket.AF_INET6)
try:
    c.connect(("fd16::9", int(sys.argv[1])))
    print("connect 0")
except OSError as e:
    print("connect " + errno.errorcode.get(e.errno, str(e.errno)))
c.close()' "$PORT")
	sleep 0.2
	stop_synscope
	expect_eq v6/python "connect EHOSTUNREACH" "$v6"
	python3 "$WORKDIR/facts.py" "$WORKDIR/v6.jsonl" >"$WORKDIR/v6.facts"
	expect_eq v6/one-connection \
		"1 fd16::9:$PORT connect connect-call; icmp address unreachable icmp-from-own-host; connect = -113 connect-host-unreachable; close close" \
		"$(cat "$WORKDIR/v6.facts")"
fi

# --- no local port free: the ephemeral range one port wide, and that port
# taken by a first connection; a second connect() to the same listener
# fails with EADDRNOTAVAIL within the call (the kernel reports SYN_SENT and
# takes it back, sending nothing)
ip netns add "$NSC" || abort "cannot create namespace $NSC"
ip -n "$NSC" link set lo up
ip netns exec "$NSC" sysctl -qw net.ipv4.ip_local_port_range="40000 40000" ||
	abort "cannot narrow the port range"
cat >"$WORKDIR/ports.py" <<'PY'
import errno, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
l = socket.socket()
l.bind(("127.0.0.1", port))
l.listen(4)
a = socket.socket()
a.connect(("127.0.0.1", port))
b = socket.socket()
try:
    b.connect(("127.0.0.1", port))
    seen = "connect 0"
except OSError as e:
    seen = "connect " + errno.errorcode.get(e.errno, str(e.errno))
b.close()
a.close()
l.close()
with open(out, "w") as f:
    print(seen, file=f)
PY
traced_program ports "$WORKDIR/ports.wrote" -P "$PORT_EXHAUSTED" -f jsonl --explain \
	-o "$WORKDIR/ports.jsonl" -- ip netns exec "$NSC" python3 "$WORKDIR/ports.py" \
	"$PORT_EXHAUSTED" "$WORKDIR/ports.wrote"
expect_eq ports/python "connect EADDRNOTAVAIL" "$(cat "$WORKDIR/ports.wrote" 2>/dev/null)"
python3 "$WORKDIR/facts.py" "$WORKDIR/ports.jsonl" >"$WORKDIR/ports.facts"
expect_eq ports/connections 2 "$(wc -l <"$WORKDIR/ports.facts")"
expect_eq ports/no-local-port \
	"2 127.0.0.1:$PORT_EXHAUSTED connect connect-call-fails-at-once; connect = -99 connect-no-local-port; close close" \
	"$(sed -n 2p "$WORKDIR/ports.facts")"
finish
