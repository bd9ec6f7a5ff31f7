#!/usr/bin/env bash
# test_sk_kind: every record names the kernel object it came from
# (sk_kind), and a listener's reset is named by the segment it answers.
# synscope -P 21860 -P 21861 -P 21862 -w REC, system-wide, while:
#  - tcpdemo pair --scenario client-close on 127.0.0.1:21860: calls, states
#    and socket ends are full sockets'; the server's SYN-ACK leaves from its
#    request socket, the client's last ACK (answering the server's FIN after
#    its own close) from its timewait socket, each named by its tuple alone
#    (sock_id 0); the client's SYN and the data from full sockets (with a
#    sock_id); received segments are not yet demultiplexed (unknown);
#  - tcpdemo pair --scenario refused on 21861: the RST leaves from the
#    control socket, and the reset sent is the control socket's (state 0);
#  - in a namespace with net.ipv4.tcp_syncookies=2 (cookies always), a
#    listener on 127.0.0.1:21862 (kpeer sink) gets a bare ACK that belongs
#    to no connection (kpeer raw-ack from port 40005): the listener answers
#    with an RST; its reset record has sk_kind listener, state LISTEN, the
#    segment's tuple (21862 -> 40005, never port 0) and no sock_id; then a
#    connection to it, whose SYN-ACK carries a SYN cookie and leaves with no
#    socket at all (sk_kind none, sock_id 0).
# Every record's sk_kind is one of the enum's.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21860
PORT_REFUSED=21861
PORT_COOKIE=21862
NS=synscope-skk
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
netns_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
ip netns add "$NS" && ip -n "$NS" link set lo up || abort "cannot create the namespace"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_syncookies=2 || abort "cannot set tcp_syncookies"
NS_INO=$(ip netns exec "$NS" readlink /proc/self/ns/net | tr -dc 0-9)

start_synscope "$WORKDIR/synscope.out" -P "$PORT" -P "$PORT_REFUSED" -P "$PORT_COOKIE" \
	-w "$WORKDIR/rec" || abort "synscope did not start"
"$TCPDEMO" pair --scenario client-close --port "$PORT" || fail pair "tcpdemo client-close failed"
"$TCPDEMO" pair --scenario refused --port "$PORT_REFUSED" || fail refused "tcpdemo refused failed"
ip netns exec "$NS" python3 "$KPEER" sink --port "$PORT_COOKIE" >"$WORKDIR/sink.out" &
SINK=$!
wait_for_line "$WORKDIR/sink.out" '^ready' 10 "$SINK" || fail sink "kpeer sink did not start"
ip netns exec "$NS" python3 "$KPEER" raw-ack --port "$PORT_COOKIE" --sport 40005 ||
	fail raw-ack "kpeer raw-ack failed"
ip netns exec "$NS" python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"x")
c.close()' "$PORT_COOKIE" || fail cookie-connect "the connection to the cookie listener failed"
wait "$SINK" || fail sink "kpeer sink failed"
sleep 0.3
stop_synscope

out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/rec" "$PORT" "$PORT_REFUSED" \
	"$PORT_COOKIE" "$NS_INO" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
port, refused, cookie, ns = (int(a) for a in sys.argv[2:])
p = []
kinds = {"unknown", "full", "request", "timewait", "control", "none", "listener"}
bad = {e["sk_kind"] for e in ev} - kinds
if bad:
    p.append(f"sk_kind values outside the enum: {bad}")
for e in ev:
    if e["kind"] in ("syscall", "state", "destroy") and e["sk_kind"] != "full":
        p.append(f"{e['kind']} with sk_kind {e['sk_kind']}")
        break
def segs(pred):
    return [e for e in ev if e["kind"] == "segment" and pred(e)]
# client-close on PORT
tx = segs(lambda e: e["dir"] == "tx" and port in (e["sport"], e["dport"]))
rx = segs(lambda e: e["dir"] == "rx" and port in (e["sport"], e["dport"]))
synack = [e for e in tx if e["flags"] == ["SYN", "ACK"]]
if [(e["sk_kind"], e["sock_id"]) for e in synack] != [("request", 0)]:
    p.append(f"SYN-ACK {[(e['sk_kind'], e['sock_id']) for e in synack]}, want one from the request socket")
last = tx[-1] if tx else None
if not last or (last["flags"], last["dport"], last["sk_kind"], last["sock_id"]) != (["ACK"], port, "timewait", 0):
    p.append(f"the client's last ACK: {last and (last['flags'], last['dport'], last['sk_kind'], last['sock_id'])}, want from its timewait socket")
full = [e for e in tx if e["flags"] == ["SYN"] or e["len"] > 0]
if len(full) < 3 or any(e["sk_kind"] != "full" or not e["sock_id"] for e in full):
    p.append(f"SYN and data: {[(e['flags'], e['sk_kind'], e['sock_id'] != 0) for e in full]}, want full sockets with a sock_id")
if not rx or any(e["sk_kind"] != "unknown" for e in rx):
    p.append(f"received segments: {sorted({e['sk_kind'] for e in rx})}, want unknown")
# refused
rst = segs(lambda e: e["dir"] == "tx" and "RST" in e["flags"] and e["sport"] == refused)
if [(e["sk_kind"], e["sock_id"]) for e in rst] != [("control", 0)]:
    p.append(f"the refusing RST {[(e['sk_kind'], e['sock_id']) for e in rst]}, want one from the control socket")
rs = [e for e in ev if e["kind"] == "reset" and e["rst"] == "sent" and e["sport"] == refused]
if [(e["sk_kind"], e["state"], e["sock_id"]) for e in rs] != [("control", 0, 0)]:
    p.append(f"the refusing reset {[(e['sk_kind'], e['state'], e['sock_id']) for e in rs]}")
# the listener's reset, and the cookie's SYN-ACK
lr = [e for e in ev if e["kind"] == "reset" and e["rst"] == "sent" and e["netns"] == ns]
got = [(e["sk_kind"], e["state"], e["sport"], e["dport"], e["sock_id"]) for e in lr]
if got != [("listener", 10, cookie, 40005, 0)]:
    p.append(f"the listener's reset {got}, want [('listener', 10, {cookie}, 40005, 0)]")
if any(e["kind"] == "reset" and e["dport"] == 0 for e in ev):
    p.append("a reset with remote port 0")
ck = segs(lambda e: e["dir"] == "tx" and e["flags"] == ["SYN", "ACK"] and e["sport"] == cookie)
if [(e["sk_kind"], e["sock_id"]) for e in ck] != [("none", 0)]:
    p.append(f"the SYN cookie's SYN-ACK {[(e['sk_kind'], e['sock_id']) for e in ck]}, want one with no socket")
print("; ".join(p))
PY
)
expect_eq kernel-objects "" "$out"
finish
