#!/usr/bin/env bash
# test_sockopt: setsockopt() as the kernel side records it (ABI 4), for the
# options that change what TCP does, with the value read from the caller's
# memory on entry. A Python server and client on loopback port 21590 set:
#   listener  SO_REUSEADDR 1, SO_RCVTIMEO (not an option synscope reports),
#             TCP_FASTOPEN 5 (after bind: under -P too)
#   client    SO_KEEPALIVE 1, TCP_KEEPIDLE 7, TCP_KEEPINTVL 2, TCP_KEEPCNT 0
#             (EINVAL), TCP_KEEPCNT 3, TCP_NODELAY 1, SO_LINGER {1, 0}
#   server    SO_LINGER {0, 9} on the accepted socket
# Checked in the raw records (-w, rec_events.py): exactly these calls, in
# order, each entry with its level, option and value (SO_LINGER's two) and
# each return with the kernel's result; SO_RCVTIMEO not at all. The same in
# JSON Lines (level and option by name), live and from the recording. Under
# -P 21590, only the calls on sockets that have the port by then: the
# listener's TCP_FASTOPEN after its bind(), the server's SO_LINGER.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21590
need_root

cat >"$WORKDIR/app.py" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
l.bind(("127.0.0.1", port))
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5)
l.listen(4)
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 7)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 2)
try:
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 0)
    sys.exit("TCP_KEEPCNT 0 was accepted")
except OSError:
    pass
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.connect(("127.0.0.1", port))
s, _ = l.accept()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 9))
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
s.close()
l.close()
PY

# calls REC: one line per setsockopt record: phase level optname value... ret
calls() {
	PYTHONPATH="$ROOT/tests/integration" python3 - "$1" <<'PY'
import sys, rec_events
for e in rec_events.load(sys.argv[1]):
    if e["kind"] == "syscall" and e["call"] == "setsockopt":
        if e["phase"] == "entry":
            print("entry", e["new_fd"], e["arg"], *e["val"])
        else:
            print("return", e["new_fd"], e["arg"], e["ret"])
PY
}

# jsonl_calls FILE: the same from JSON Lines
jsonl_calls() {
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("name") == "setsockopt":
        v = [r[k] for k in ("value", "linger") if k in r]
        tail = v if r["phase"] == "entry" else [r["ret"]]
        print(r["phase"], r["level"], r["optname"], *tail)
PY
}

# SOL_SOCKET 1, IPPROTO_TCP 6; SO_REUSEADDR 2, SO_KEEPALIVE 9, SO_LINGER 13;
# TCP_NODELAY 1, TCP_KEEPIDLE 4, TCP_KEEPINTVL 5, TCP_KEEPCNT 6, TCP_FASTOPEN 23
want_raw="entry 1 2 1
return 1 2 0
entry 6 23 5
return 6 23 0
entry 1 9 1
return 1 9 0
entry 6 4 7
return 6 4 0
entry 6 5 2
return 6 5 0
entry 6 6 0
return 6 6 -22
entry 6 6 3
return 6 6 0
entry 6 1 1
return 6 1 0
entry 1 13 0 9
return 1 13 0
entry 1 13 1 0
return 1 13 0"
want_jsonl="entry SOL_SOCKET SO_REUSEADDR 1
return SOL_SOCKET SO_REUSEADDR 0
entry IPPROTO_TCP TCP_FASTOPEN 5
return IPPROTO_TCP TCP_FASTOPEN 0
entry SOL_SOCKET SO_KEEPALIVE 1
return SOL_SOCKET SO_KEEPALIVE 0
entry IPPROTO_TCP TCP_KEEPIDLE 7
return IPPROTO_TCP TCP_KEEPIDLE 0
entry IPPROTO_TCP TCP_KEEPINTVL 2
return IPPROTO_TCP TCP_KEEPINTVL 0
entry IPPROTO_TCP TCP_KEEPCNT 0
return IPPROTO_TCP TCP_KEEPCNT -22
entry IPPROTO_TCP TCP_KEEPCNT 3
return IPPROTO_TCP TCP_KEEPCNT 0
entry IPPROTO_TCP TCP_NODELAY 1
return IPPROTO_TCP TCP_NODELAY 0
entry SOL_SOCKET SO_LINGER 0 9
return SOL_SOCKET SO_LINGER 0
entry SOL_SOCKET SO_LINGER 1 0
return SOL_SOCKET SO_LINGER 0"

# the whole process: every call
if timeout "$TIMEOUT" "$SYNSCOPE" -f jsonl -o "$WORKDIR/live.jsonl" -w "$WORKDIR/all.rec" -- \
	python3 "$WORKDIR/app.py" "$PORT" 2>"$WORKDIR/all.err"; then
	pass run
else
	fail run "synscope or the program failed: $(last_line "$WORKDIR/all.err")"
fi
expect_eq raw-records "$want_raw" "$(calls "$WORKDIR/all.rec")"
# JSON Lines is written in connection order, not time order: sorted by time
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows.sort(key=lambda r: r["t_ns"])
open(sys.argv[2], "w").writelines(json.dumps(r) + "\n" for r in rows)' \
	"$WORKDIR/live.jsonl" "$WORKDIR/live-sorted.jsonl"
expect_eq jsonl-live "$want_jsonl" "$(jsonl_calls "$WORKDIR/live-sorted.jsonl")"
"$SYNSCOPE" -r "$WORKDIR/all.rec" -f jsonl -o "$WORKDIR/replay.jsonl" 2>/dev/null
expect_true jsonl-replay-same cmp "$WORKDIR/live.jsonl" "$WORKDIR/replay.jsonl"

# a port filter: sockets that have the port by then
if timeout "$TIMEOUT" "$SYNSCOPE" -P "$PORT" -o "$WORKDIR/port.txt" -w "$WORKDIR/port.rec" -- \
	python3 "$WORKDIR/app.py" "$PORT" 2>"$WORKDIR/port.err"; then
	pass run-port-filter
else
	fail run-port-filter "synscope or the program failed: $(last_line "$WORKDIR/port.err")"
fi
expect_eq port-filter "entry 6 23 5
return 6 23 0
entry 1 13 0 9
return 1 13 0
entry 1 13 1 0
return 1 13 0" "$(calls "$WORKDIR/port.rec")"

finish
