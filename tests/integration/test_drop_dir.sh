#!/usr/bin/env bash
# test_drop_dir: a segment dropped on the host that sent it is a tx drop of
# that host. Two namespaces (scripts/netns.sh: client 10.99.0.1, server
# 10.99.0.2); nothing listens on the server's port 21820, and an nftables
# rule in the server namespace's OUTPUT chain drops every RST it sends. The
# client's SYN (and its retransmission a second later) each make the
# server's control socket send an RST, which the firewall drops before it
# has a device. synscope -P 21820 -w REC -f jsonl traces both namespaces.
# Asserts, from the raw records (rec_events.py) and from the JSONL:
#  - the client's connect() got no answer (kpeer connect-silent);
#  - at least one RST drop, and every one is dir tx, sk_kind control, in the
#    server's namespace (its device is not set yet: the socket's namespace),
#    with the server's view of the tuple (10.99.0.2:21820 -> the client);
#  - the SYN's own drop (NO_SOCKET: the port is closed) stays an rx drop of
#    the server's namespace;
#  - in the JSONL, every RST drop is "dir":"tx" on the server's end, with
#    reason NETFILTER_DROP, and there is no rx RST drop at all.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21820
PREFIX=sdropdir
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
netns_cleanup() { "$ROOT/scripts/netns.sh" down "$PREFIX"; }
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
"$ROOT/scripts/netns.sh" up "$PREFIX" || abort "cannot create the namespaces"
ip netns exec "$PREFIX-server" nft -f - <<NFT || abort "nft rule failed"
table inet synscope_test {
	chain output {
		type filter hook output priority 0;
		tcp sport $PORT tcp flags & rst == rst drop
	}
}
NFT
SERVER_NS=$(ip netns exec "$PREFIX-server" readlink /proc/self/ns/net | tr -dc 0-9)

start_synscope "$WORKDIR/synscope.out" -P "$PORT" -w "$WORKDIR/rec" -f jsonl \
	-o "$WORKDIR/trace.jsonl" || abort "synscope did not start"
expect_true client-got-no-answer ip netns exec "$PREFIX-client" python3 "$KPEER" \
	connect-silent --addr 10.99.0.2 --port "$PORT" --wait 1.6
sleep 0.3
stop_synscope

out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/rec" "$WORKDIR/trace.jsonl" \
	"$SERVER_NS" "$PORT" <<'PY'
import json, sys
import rec_events
rec, jsonl, ns, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = []
drops = [e for e in rec_events.load(rec) if e["kind"] == "drop"]
rst = [e for e in drops if "RST" in e["flags"]]
if not rst:
    p.append(f"no RST drop among {len(drops)} drops")
for e in rst:
    got = (e["dir"], e["sk_kind"], e["netns"], e["saddr"], e["sport"], e["daddr"])
    want = ("tx", "control", ns, "10.99.0.2", port, "10.99.0.1")
    if got != want:
        p.append(f"RST drop {got}, want {want}")
syn = [e for e in drops if e["flags"] == ["SYN"]]
if not syn or any((e["dir"], e["netns"], e["sport"]) != ("rx", ns, port) for e in syn):
    p.append(f"the SYN's drops: {[(e['dir'], e['netns'], e['sport']) for e in syn]}, want rx in the server's namespace")
rows = [json.loads(l) for l in open(jsonl) if '"kind":"drop"' in l]
jrst = [r for r in rows if "RST" in r.get("flags", [])]
if len(jrst) != len(rst):
    p.append(f"{len(jrst)} RST drops in the JSONL, {len(rst)} recorded")
for r in jrst:
    if (r.get("dir"), r.get("end"), r.get("reason_name")) != ("tx", "server", "NETFILTER_DROP"):
        p.append(f"JSONL RST drop dir={r.get('dir')} end={r.get('end')} reason={r.get('reason_name')}, "
                 "want tx on the server's end, NETFILTER_DROP")
print("; ".join(p))
PY
)
expect_eq rst-dropped-where-it-was-sent "" "$out"
finish
