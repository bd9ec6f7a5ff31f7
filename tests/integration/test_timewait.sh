#!/usr/bin/env bash
# test_timewait: a timewait socket's end, from its timer (SYN_EV_TIMEWAIT,
# timer:timer_expire_entry). In a namespace of its own with
# net.ipv4.tcp_fin_timeout=1, kpeer fin-wait2 on 127.0.0.1:21830 makes a
# client close first while its server never closes: the orphaned client
# socket, once its FIN is acknowledged, becomes a FIN-WAIT-2 timewait socket
# that expires about a second later (TIME-WAIT itself, 60 s, is not waited
# for). Three runs:
#   port     synscope -P 21830 -w REC, system-wide
#   pid      synscope -w REC -- ip netns exec NS kpeer ... (the pid filter:
#            the timewait socket passes by its watched port)
#   other    synscope -P 21831 -w REC: the filter keeps it out
# Asserts from the raw records (rec_events.py): in the first two, exactly
# one timewait record, how TIMER, substate FIN_WAIT2 (5), sk_kind timewait,
# the client's tuple (127.0.0.1:CPORT -> 127.0.0.1:21830), the namespace's
# inode, sock_id 0 (a timewait socket is named by its tuple), stamped 0.5 to
# 3 s after the client socket's FIN_WAIT2 -> CLOSE; in the third, none.
# Then, with SYNSCOPE_KALLSYMS naming a file without tw_timer_handler (a
# kernel without the symbol): synscope still traces, holds one program
# fewer, says why under SYNSCOPE_DEBUG=1, and records no timewait end.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=bpf_ids.sh
. "$(dirname "$0")/bpf_ids.sh"
PORT=21830
NS=synscope-tw
KPEER="$ROOT/tests/integration/kpeer.py"

need_root
netns_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'netns_cleanup; cleanup' EXIT
netns_cleanup
ip netns add "$NS" && ip -n "$NS" link set lo up || abort "cannot create the namespace"
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_fin_timeout=1 || abort "cannot set tcp_fin_timeout"
NS_INO=$(ip netns exec "$NS" readlink /proc/self/ns/net | tr -dc 0-9)

# check_tw NAME REC CPORT WANT: WANT timewait records (0 or 1), as above
check_tw() {
	local out
	out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$2" "$3" "$4" "$NS_INO" "$PORT" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
cport, want, ns, port = (int(a) for a in sys.argv[2:])
tw = [e for e in ev if e["kind"] == "timewait"]
p = []
if len(tw) != want:
    p.append(f"{len(tw)} timewait records, want {want}: {tw}")
elif want:
    e = tw[0]
    got = (e["how"], e["substate"], e["sk_kind"], e["family"], e["saddr"], e["sport"],
           e["daddr"], e["dport"], e["netns"], e["sock_id"], e["proto"])
    exp = (0, 5, "timewait", 2, "127.0.0.1", cport, "127.0.0.1", port, ns, 0, 6)
    if got != exp:
        p.append(f"timewait {got}, want {exp}")
    close = [x for x in ev if x["kind"] == "state" and x["old"] == 5 and x["new"] == 7
             and x["dport"] == port]
    if len(close) != 1:
        p.append(f"{len(close)} FIN_WAIT2 -> CLOSE states, want 1")
    else:
        gap = (e["ts"] - close[0]["ts"]) / 1e9
        if not 0.5 < gap < 3:
            p.append(f"the timewait socket ended {gap:.3f} s after FIN_WAIT2 -> CLOSE")
print("; ".join(p))
PY
)
	expect_eq "$1" "" "$out"
}

# run_fin_wait2 OUT: the scenario in the namespace, its cport= line in OUT
run_fin_wait2() {
	ip netns exec "$NS" python3 "$KPEER" fin-wait2 --port "$PORT" --hold 2.5 >"$1" ||
		fail fin-wait2 "kpeer fin-wait2 failed"
}

# port filter, system-wide
start_synscope "$WORKDIR/port.out" -P "$PORT" -w "$WORKDIR/port.rec" || abort "synscope did not start"
run_fin_wait2 "$WORKDIR/port.kpeer"
stop_synscope
check_tw port-filter "$WORKDIR/port.rec" "$(sed -n 's/^cport=//p' "$WORKDIR/port.kpeer")" 1

# pid filter: synscope runs the scenario
start_synscope "$WORKDIR/pid.out" -w "$WORKDIR/pid.rec" -- ip netns exec "$NS" python3 "$KPEER" \
	fin-wait2 --port "$PORT" --hold 2.5 || abort "synscope did not start"
wait_synscope
check_tw pid-filter "$WORKDIR/pid.rec" "$(sed -n 's/^cport=//p' "$WORKDIR/pid.out")" 1

# another port: filtered out
start_synscope "$WORKDIR/other.out" -P $((PORT + 1)) -w "$WORKDIR/other.rec" ||
	abort "synscope did not start"
run_fin_wait2 "$WORKDIR/other.kpeer"
stop_synscope
check_tw other-port-filtered "$WORKDIR/other.rec" 0 0

# a kernel without tw_timer_handler in /proc/kallsyms
grep -v -w tw_timer_handler /proc/kallsyms >"$WORKDIR/kallsyms"
mapfile -t TPS < <(sed -n 's/^SEC("tp_btf\/\([a-z_0-9]*\)")$/\1/p' "$ROOT/bpf/synscope.bpf.c" | sort -u)
SYNSCOPE_KALLSYMS="$WORKDIR/kallsyms" SYNSCOPE_DEBUG=1 start_synscope "$WORKDIR/nosym.out" \
	-P "$PORT" -w "$WORKDIR/nosym.rec" || abort "synscope did not start without the symbol"
expect_eq nosym-one-program-fewer "$((${#TPS[@]} - 1))" \
	"$(bpf_ids_of "$SYNSCOPE_PID" | grep -c '^prog ')"
run_fin_wait2 "$WORKDIR/nosym.kpeer"
stop_synscope
expect_true nosym-says-why grep -q \
	'^synscope: no tw_timer_handler in /proc/kallsyms: the ends of timewait sockets are not shown' \
	"$WORKDIR/nosym.out.err"
check_tw nosym-no-timewait "$WORKDIR/nosym.rec" 0 0
expect_true nosym-still-traces grep -q '"kind": "state"' \
	<(python3 "$ROOT/tests/integration/rec_events.py" "$WORKDIR/nosym.rec")
finish
