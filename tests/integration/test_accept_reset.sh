#!/usr/bin/env bash
# test_accept_reset: accept() of a connection reset before it returned. On
# 127.0.0.1:21840, kpeer rst-before-accept has a client connect and abort
# at once (SO_LINGER 0: an RST) while its server has not called accept()
# yet; the reset child, unhashed (its local port cleared in the kernel),
# is still in the queue, and accept() returns it. synscope -P 21840 -w REC
# runs the program, with the fast programs and with the compat ones
# (SYNSCOPE_COMPAT=1, which read the socket with helper calls). Asserts
# from the raw records: the accept() return has ret = the new fd, and the
# full tuple: local port 21840, remote port the client's, sk_kind full, a
# sock_id; the client's RST was sent.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21840
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
for mode in fast compat; do
	if [ "$mode" = compat ]; then export SYNSCOPE_COMPAT=1; fi
	start_synscope "$WORKDIR/$mode.out" -P "$PORT" -w "$WORKDIR/$mode.rec" -- \
		python3 "$KPEER" rst-before-accept --port "$PORT" || abort "synscope did not start"
	unset SYNSCOPE_COMPAT
	wait_synscope
	cport=$(sed -n 's/^cport=//p' "$WORKDIR/$mode.out")
	fd=$(sed -n 's/^fd=//p' "$WORKDIR/$mode.out")
	out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/$mode.rec" "$PORT" \
		"${cport:-0}" "${fd:--1}" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
port, cport, fd = (int(a) for a in sys.argv[2:])
p = []
rets = [e for e in ev if e["kind"] == "syscall" and e["call"] in ("accept", "accept4")
        and e["phase"] == "return"]
if len(rets) != 1:
    p.append(f"{len(rets)} accept() returns, want 1")
else:
    e = rets[0]
    got = (e["ret"], e["new_fd"], e["sport"], e["dport"], e["saddr"], e["daddr"], e["sk_kind"],
           e["sock_id"] != 0)
    want = (fd, fd, port, cport, "127.0.0.1", "127.0.0.1", "full", True)
    if got != want:
        p.append(f"accept() return {got}, want {want}")
if not any(e["kind"] == "segment" and e["dir"] == "tx" and "RST" in e["flags"]
           and e["sport"] == cport for e in ev):
    p.append("no RST sent by the client")
print("; ".join(p))
PY
)
	expect_eq "$mode/accept-return-has-the-tuple" "" "$out"
done
finish
