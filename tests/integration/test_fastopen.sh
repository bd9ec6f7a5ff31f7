#!/usr/bin/env bash
# test_fastopen: TCP Fast Open on the wire and in the calls. In a fresh
# namespace (net.ipv4.tcp_fastopen=3: client and server), kpeer fastopen on
# 127.0.0.1 opens two connections to port 21850 with sendto(MSG_FASTOPEN):
# the first SYN asks for a cookie and the SYN-ACK brings one, the second SYN
# carries the cookie and the request; then a Fast Open sendto() to port
# 21851, where nothing listens, fails with ECONNREFUSED. synscope -P 21850
# -P 21851 -w REC runs it. Asserts from the raw records:
#  - the first client SYN has the Fast Open option with no cookie (a
#    request) and no data; the first SYN-ACK (from the request socket) a
#    cookie of 8 bytes; the second SYN the 8-byte cookie and 6 bytes of data,
#    its SYN-ACK sent by the Fast Open child, a full socket;
#  - each of the client's three sendto() calls naming a destination has its
#    entry and its return: 6, 6 and -ECONNREFUSED (-111), the failing one
#    included (its socket lost its ports with the connection);
# Then SYNs made by hand (kpeer raw-syn, a raw socket, system-wide -P 21852)
# with the option as kind 34 and as the experimental kind 254 with magic
# 0xF989 (8-byte cookies), kind 34 of length 2 (a request), and a kind 254
# of another experiment (magic 0x1234): the first three read as Fast Open
# with their cookie's length, the last does not; a raw socket's own SYN is
# not a kernel object's (sk_kind unknown), the RST answering it is sent by
# the control socket.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21850
PORT_REFUSED=21851
PORT_RAW=21852
NS=synscope-fo
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
netns_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
ip netns add "$NS" && ip -n "$NS" link set lo up || abort "cannot create the namespace"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_fastopen=3 || abort "cannot enable Fast Open"

start_synscope "$WORKDIR/fo.out" -P "$PORT" -P "$PORT_REFUSED" -w "$WORKDIR/fo.rec" -- \
	ip netns exec "$NS" python3 "$KPEER" fastopen --port "$PORT" --refused-port "$PORT_REFUSED" ||
	abort "synscope did not start"
wait_synscope
out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/fo.rec" "$PORT" "$PORT_REFUSED" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
port, refused = int(sys.argv[2]), int(sys.argv[3])
p = []
syns = [e for e in ev if e["kind"] == "segment" and e["dir"] == "tx" and e["flags"] == ["SYN"]
        and e["dport"] == port]
synacks = [e for e in ev if e["kind"] == "segment" and e["dir"] == "tx"
           and e["flags"] == ["SYN", "ACK"] and e["sport"] == port]
def fo(e):
    return ("fastopen" in e["opts"], e["fo_cookie_len"], e["len"], e["sk_kind"])
want = [((True, 0, 0, "full"), (True, 8, 0, "request")), ((True, 8, 6, "full"), (False, 0, 0, "full"))]
got = list(zip([fo(e) for e in syns], [fo(e) for e in synacks]))
if got != want:
    p.append(f"SYN / SYN-ACK (fastopen, cookie bytes, len, sk_kind) {got}, want {want}")
# the client's sendto() calls that name a destination, and their returns
calls = [e for e in ev if e["kind"] == "syscall" and e["call"] == "sendto"]
pending, results = {}, []
for e in calls:
    if e["phase"] == "entry" and e["arg"] in (port, refused):
        pending[e["tid"]] = e["arg"]
    elif e["phase"] == "return" and e["tid"] in pending:
        results.append((pending.pop(e["tid"]), e["ret"]))
if results != [(port, 6), (port, 6), (refused, -111)] or pending:
    p.append(f"sendto() (destination port, ret) {results}, unanswered {pending}; "
             f"want [({port}, 6), ({port}, 6), ({refused}, -111)]")
print("; ".join(p))
PY
)
expect_eq fastopen-connections "" "$out"

start_synscope "$WORKDIR/raw.out" -P "$PORT_RAW" -w "$WORKDIR/raw.rec" || abort "synscope did not start"
for o in 40001:fe0cf9890102030405060708 40002:220a0102030405060708 40003:2202 \
	40004:fe06123400000204ffd7; do
	python3 "$KPEER" raw-syn --port "$PORT_RAW" --sport "${o%%:*}" --opts "${o#*:}" ||
		fail raw-syn "kpeer raw-syn ${o#*:} failed"
done
sleep 0.3
stop_synscope
out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/raw.rec" "$PORT_RAW" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
port = int(sys.argv[2])
p = []
want = {40001: (True, 8), 40002: (True, 8), 40003: (True, 0), 40004: (False, 0)}
for sport, w in want.items():
    for d in ("tx", "rx"):
        s = [e for e in ev if e["kind"] == "segment" and e["flags"] == ["SYN"] and e["dir"] == d
             and port in (e["sport"], e["dport"]) and sport in (e["sport"], e["dport"])]
        got = [("fastopen" in e["opts"], e["fo_cookie_len"]) for e in s]
        if got != [w]:
            p.append(f"{d} SYN from {sport}: (fastopen, cookie bytes) {got}, want [{w}]")
        if d == "tx" and [e["sk_kind"] for e in s] != ["unknown"]:
            p.append(f"the raw socket's SYN from {sport}: sk_kind {[e['sk_kind'] for e in s]}")
mss = [e["mss"] for e in ev if e["kind"] == "segment" and e["dir"] == "tx" and e["sport"] == 40004]
if mss != [65495]:
    p.append(f"the option after the other experiment: mss {mss}, want [65495]")
rst = [e for e in ev if e["kind"] == "segment" and e["dir"] == "tx" and "RST" in e["flags"]]
if len(rst) != 4 or any((e["sk_kind"], e["sock_id"]) != ("control", 0) for e in rst):
    p.append(f"RSTs sent {[(e['sk_kind'], e['sock_id']) for e in rst]}, want 4 from the control socket")
print("; ".join(p))
PY
)
expect_eq fastopen-option "" "$out"
finish
