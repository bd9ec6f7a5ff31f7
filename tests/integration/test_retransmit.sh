#!/usr/bin/env bash
# test_retransmit: a lost SYN, retransmitted, on a real kernel. Two network
# namespaces joined by a veth pair (client 10.215.0.1, server 10.215.0.2);
# an nftables rule in the server namespace drops SYNs to port 20640 and is
# removed 0.5 s later, so the client's first SYN is lost and its
# retransmission (after the initial RTO, about 1 s) gets through. synscope
# traces both namespaces. Asserts from the JSONL:
#  - one connection; the client sent SYN twice with the same seq, and only
#    the second is marked "retransmit": true, about 1 s after the first;
#  - a "retransmit" event row on the client lane;
#  - the server lane's inferred LISTEN->SYN_RECV comes after the second SYN
#    arrived, not at the dropped one;
#  - the connection completes (handshake, FINs), client connect() returned 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20640
NSC=synscope-rtx-c
NSS=synscope-rtx-s

need_root
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
netns_cleanup() {
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSS" 2>/dev/null
}
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
ip netns add "$NSC" && ip netns add "$NSS" || abort "cannot create namespaces"
ip link add rtx-c type veth peer name rtx-s || abort "cannot create veth"
ip link set rtx-c netns "$NSC"
ip link set rtx-s netns "$NSS"
ip -n "$NSC" addr add 10.215.0.1/24 dev rtx-c
ip -n "$NSS" addr add 10.215.0.2/24 dev rtx-s
for ns in "$NSC" "$NSS"; do ip -n "$ns" link set lo up; done
ip -n "$NSC" link set rtx-c up
ip -n "$NSS" link set rtx-s up
ip netns exec "$NSS" nft -f - <<NFT || abort "nft rule failed"
table inet synscope_test {
	chain input {
		type filter hook input priority 0;
		tcp dport $PORT tcp flags & (syn | ack) == syn drop
	}
}
NFT

start_synscope "$WORKDIR/synscope.out" --format jsonl -o "$WORKDIR/trace.jsonl" -P "$PORT" \
	|| abort "synscope did not start"
ip netns exec "$NSS" "$TCPDEMO" server --addr 10.215.0.2 --port "$PORT" --count 1 --linger-ms 50 &
SERVER=$!
sleep 0.3
(sleep 0.5; ip netns exec "$NSS" nft delete table inet synscope_test) &
ip netns exec "$NSC" "$TCPDEMO" client --addr 10.215.0.2 --port "$PORT" --count 1 \
	|| fail client "tcpdemo client failed"
wait "$SERVER" || fail server "tcpdemo server failed"
sleep 0.3
stop_synscope

if out=$(python3 - "$WORKDIR/trace.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
conns = {}
for r in rows:
    if r["conn"]:
        conns.setdefault(r["conn"], []).append(r)
p = []
if len(conns) != 1:
    p.append(f"{len(conns)} connections, want 1")
else:
    cr = next(iter(conns.values()))
    syns = [r for r in cr if r["kind"] == "segment" and r["end"] == "client"
            and r["dir"] == "tx" and r["flags"] == ["SYN"]]
    if len(syns) != 2:
        p.append(f"{len(syns)} client SYNs, want 2")
    else:
        if syns[0]["seq"] != syns[1]["seq"]:
            p.append("the two SYNs have different seq")
        if syns[0].get("retransmit") or not syns[1].get("retransmit"):
            p.append(f"retransmit marks {syns[0].get('retransmit')}/{syns[1].get('retransmit')}, want None/True")
        gap = (syns[1]["t_ns"] - syns[0]["t_ns"]) / 1e9
        if not 0.5 < gap < 5:
            p.append(f"SYN retransmitted after {gap:.3f} s")
        if not any(r["kind"] == "retransmit" and r["end"] == "client" for r in cr):
            p.append("no retransmit row on the client lane")
        inferred = [r for r in cr if r["kind"] == "state" and r.get("inferred")
                    and r["end"] == "server" and r["to"] == "SYN_RECV"]
        rx2 = [r for r in cr if r["kind"] == "segment" and r["end"] == "server"
               and r["dir"] == "rx" and r["flags"] == ["SYN"]]
        if len(inferred) != 1 or not rx2 or inferred[0]["t_ns"] < rx2[-1]["t_ns"]:
            p.append("inferred SYN_RECV not at the answered (second) SYN")
    flags = [",".join(r["flags"]) for r in cr if r["kind"] == "segment" and r["dir"] == "tx"]
    if "SYN,ACK" not in flags or sum("FIN" in f for f in flags) != 2:
        p.append(f"incomplete exchange: {flags}")
    rets = [r.get("ret") for r in cr if r["kind"] == "syscall" and r.get("name") == "connect"
            and r.get("phase") == "return"]
    if rets != [0]:
        p.append(f"connect returned {rets}")
print("; ".join(p))
PY
); then
	expect_eq retransmitted-syn "" "$out"
else
	fail retransmitted-syn "checker crashed"
fi
finish
