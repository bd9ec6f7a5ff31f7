#!/usr/bin/env bash
# test_retransmit_facts: a retransmission says why the sender resent, as the
# kernel saw it (ca_state, the pending timer, the timeouts so far). Two
# namespaces (scripts/netns.sh: client 10.99.0.1, server 10.99.0.2), a
# kpeer sink in the server for each port, nftables rules in the server's
# INPUT chain, synscope -P ... -w REC system-wide:
#  - port 21870: the first SYN is dropped (the rule goes after 0.5 s): its
#    retransmission is in SYN_SENT (2) and Loss (4) after a timeout, with
#    one timeout so far at least;
#  - port 21871: every data segment is dropped for 1.2 s (the rule is in
#    place before connect; the handshake's small segments pass it): the sender's tail
#    loss probe comes first (ca_state Open or CWR, its timer LOSS_PROBE (5)
#    still pending, no timeout yet), then retransmission timeouts (Loss,
#    the count rising with each);
#  - port 21872: 2 MB sent, one large segment of every 40 dropped (numgen):
#    the hole is seen through duplicate ACKs and SACK, resent in fast
#    retransmit (ca_state Recovery, 3) with no timeout.
# Each sender's data must be acknowledged in the end (kpeer send-data).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
P1=21870
P2=21871
P3=21872
PREFIX=srtxfacts
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
netns_cleanup() { "$ROOT/scripts/netns.sh" down "$PREFIX"; }
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
"$ROOT/scripts/netns.sh" up "$PREFIX" || abort "cannot create the namespaces"
SNS="$PREFIX-server"
CNS="$PREFIX-client"

# rules TABLE RULE: a table of its own with one INPUT rule in the server
rules() {
	ip netns exec "$SNS" nft -f - <<NFT || abort "nft rule failed: $2"
table inet $1 {
	chain input {
		type filter hook input priority 0;
		$2
	}
}
NFT
}

# sink PORT: a kpeer sink in the server namespace, ready
BG=()
sink() {
	ip netns exec "$SNS" python3 "$KPEER" sink --addr 10.99.0.2 --port "$1" >"$WORKDIR/sink.$1" &
	BG+=($!)
	wait_for_line "$WORKDIR/sink.$1" '^ready' 10 || fail "sink-$1" "kpeer sink did not start"
}

# send PORT BYTES: from the client, until all is acknowledged
send() {
	ip netns exec "$CNS" python3 "$KPEER" send-data --addr 10.99.0.2 --port "$1" --bytes "$2" \
		--wait 10 >/dev/null || fail "send-$1" "kpeer send-data failed"
}

start_synscope "$WORKDIR/synscope.out" -P "$P1" -P "$P2" -P "$P3" -w "$WORKDIR/rec" ||
	abort "synscope did not start"
sink "$P1"
rules p1 "tcp dport $P1 tcp flags & (syn | ack) == syn drop"
(sleep 0.5; ip netns exec "$SNS" nft delete table inet p1) &
BG+=($!)
send "$P1" 100
sink "$P2"
# the rule is in place before the client starts: the handshake's segments
# (60 and 52 bytes) pass it, the data does not (no race with the send)
rules p2 "tcp dport $P2 meta length > 100 drop"
(sleep 1.2; ip netns exec "$SNS" nft delete table inet p2) &
BG+=($!)
send "$P2" 1000
sink "$P3"
rules p3 "tcp dport $P3 meta length > 1000 numgen inc mod 40 == 3 drop"
send "$P3" 2000000
wait "${BG[@]}"
stop_synscope

out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/rec" "$P1" "$P2" "$P3" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
p1, p2, p3 = (int(a) for a in sys.argv[2:])
p = []
def rtx(port):
    return [e for e in ev if e["kind"] == "retransmit" and e["dport"] == port]
def facts(e):
    return (e["flags"], e["state"], e["ca_state"], e["timer"], e["retransmits"])
r1 = rtx(p1)
if not r1 or any((e["flags"], e["state"], e["ca_state"]) != (["SYN"], 2, 4) or e["retransmits"] < 1
                 for e in r1):
    p.append(f"port {p1}: {[facts(e) for e in r1]}, want SYNs resent in SYN_SENT, Loss, 1+ timeouts")
r2 = rtx(p2)
tlp = [e for e in r2 if e["timer"] == 5 and e["ca_state"] in (0, 2)]
rto = [e for e in r2 if e["ca_state"] == 4]
if not r2 or r2[0] not in tlp or r2[0]["retransmits"] != 0:
    p.append(f"port {p2}: first {r2 and facts(r2[0])}, want a tail loss probe (Open/CWR, timer 5, 0 timeouts)")
if not rto or any(e["timer"] != 0 or e["retransmits"] < 1 for e in rto) or \
        [e["retransmits"] for e in rto] != sorted({e["retransmits"] for e in rto}):
    p.append(f"port {p2}: timeouts {[facts(e) for e in rto]}, want Loss, no timer pending, the count rising")
r3 = rtx(p3)
if not any(e["ca_state"] == 3 and e["retransmits"] == 0 for e in r3):
    p.append(f"port {p3}: {[facts(e) for e in r3]}, want a fast retransmit (Recovery, 0 timeouts)")
if any(e["sk_kind"] != "full" for e in r1 + r2 + r3):
    p.append("a retransmission not from a full socket")
print("; ".join(p))
PY
)
expect_eq retransmission-facts "" "$out"
finish
