#!/usr/bin/env bash
# test_pid_filter: `synscope -p PID` on a server that was already listening
# and blocked in accept() before tracing began (tcpdemo server, port 20600).
# An untraced client makes 2 connections to it while an unrelated pair of
# processes talks on port 20601. Asserts, from the JSONL:
#  - exactly 2 connections, both on port 20600, none on 20601 (the kernel
#    filtered the unrelated traffic: no row of it at all);
#  - each has the whole handshake on the wire from its first segment
#    (SYN from the client lane, SYN,ACK from the server lane), although the
#    server's listen() and first accept() happened before tracing: its port
#    was read from /proc before the programs attached;
#  - every syscall row is the server's (the client is not a traced process);
#  - the server lane is attributed to the server's pid.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20600
OTHER=20601

need_root
"$TCPDEMO" server --port "$PORT" --count 2 &
SERVER=$!
for ((i = 0; i < 50; i++)); do
	ss -Hltn "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
sleep 0.2 # blocked in accept() now
start_synscope "$WORKDIR/synscope.out" --format jsonl -o "$WORKDIR/trace.jsonl" -p "$SERVER" \
	|| abort "synscope did not start"
"$TCPDEMO" pair --scenario client-close --port "$OTHER" &
OTHER_PAIR=$!
"$TCPDEMO" client --port "$PORT" --count 2 || fail client "tcpdemo client failed"
wait "$SERVER" || fail server "tcpdemo server failed"
wait "$OTHER_PAIR" || fail other-pair "the unrelated pair failed"
sleep 0.3
stop_synscope

if out=$(python3 - "$WORKDIR/trace.jsonl" "$SERVER" "$PORT" "$OTHER" <<'PY'
import json, sys
path, server, port, other = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(path)]
problems = []
conns = {}
for r in rows:
    if other in (r["sport"], r["dport"]):
        problems.append(f"row of the unrelated port {other}: {r['kind']}")
    if r["kind"] == "syscall" and r["pid"] != server:
        problems.append(f"syscall of pid {r['pid']} {r['comm']}: not the traced process")
    if r["conn"]:
        conns.setdefault(r["conn"], []).append(r)
if len(conns) != 2:
    problems.append(f"{len(conns)} connections, want 2")
for cid, cr in conns.items():
    tx = [(r["end"], ",".join(r["flags"])) for r in cr if r["kind"] == "segment" and r["dir"] == "tx"]
    if tx[:3] != [("client", "SYN"), ("server", "SYN,ACK"), ("client", "ACK")]:
        problems.append(f"conn {cid}: handshake {tx[:3]}")
    if not any(r["kind"] == "segment" and set(r["flags"]) >= {"FIN"} for r in cr):
        problems.append(f"conn {cid}: no FIN")
    srv = {r["pid"] for r in cr if r.get("end") == "server"}
    if srv != {server}:
        problems.append(f"conn {cid}: server lane pids {srv}, want {{{server}}}")
    if any(port not in (r["sport"], r["dport"]) and r["sport"] for r in cr):
        problems.append(f"conn {cid}: a row not on port {port}")
print("; ".join(problems))
PY
); then
	expect_eq pid-filter "" "$out"
else
	fail pid-filter "checker crashed"
fi
finish
