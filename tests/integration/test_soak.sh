#!/usr/bin/env bash
# test_soak: synscope under load, the way a busy server would have it.
#  - soak: one system-wide synscope (port filter on the soak's two ports,
#    ladder into a file, default ring buffer) while, in parallel, 40,000
#    short connections arrive in storms (connect, a byte each way, close; about
#    ten minutes of a server taking 70 connections a second) and 20 long-lived
#    connections stay open the whole time, exchanging a byte every 50 ms. No
#    event may be lost, every connection must come out complete (short ones
#    as they end, long ones when they close at the end), and the collector's
#    resident memory must stay flat: the largest sample of the second half of
#    the run no more than 16 MiB above the largest of the first half.
#  - flood: a 4 KiB ring buffer (33 events) under a storm must overflow (a
#    64 KiB one no longer does reliably: the collector keeps up): synscope keeps
#    running, reports what it lost (summary and a connection marked as maybe
#    incomplete), and recovers: a connection made after the flood is drawn
#    complete.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SHORT_PORT=22900
LONG_PORT=22901
FLOOD_PORT=22902
AFTER_PORT=22903
SHORT=40000
LONG=20

need_root

# rss_sampler PID FILE: the collector's VmRSS (KiB), one line per second.
rss_sampler() {
	local pid=$1 file=$2
	while kill -0 "$pid" 2>/dev/null; do
		sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null >>"$file"
		sleep 1
	done
}

start_synscope "$WORKDIR/soak.out" -P "$SHORT_PORT" -P "$LONG_PORT" -o "$WORKDIR/soak.txt" ||
	abort "synscope did not start"

# long-lived connections: a server and LONG clients, a byte each way every
# 50 ms, until the stop file appears; then every client closes.
python3 - "$LONG_PORT" "$LONG" "$WORKDIR/long.stop" >"$WORKDIR/long.out" 2>&1 <<'PY' &
import os, socket, sys, threading, time
port, n, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(n)
def echo(c):
    while True:
        b = c.recv(1)
        if not b:
            break
        c.sendall(b)
    c.close()
def server():
    for _ in range(n):
        c, _ = srv.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
threading.Thread(target=server, daemon=True).start()
time.sleep(0.5)
clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
rounds = 0
while not os.path.exists(stop):
    for c in clients:
        c.sendall(b"x")
        assert c.recv(1) == b"x"
    rounds += 1
    time.sleep(0.05)
for c in clients:
    c.close()
time.sleep(0.5)
print("long-lived done", rounds)
PY
LONG_PID=$!
rss_sampler "$SYNSCOPE_PID" "$WORKDIR/rss" &
SAMPLER=$!
for ((i = 0; i < 8; i++)); do
	"$TCPDEMO" storm --port "$SHORT_PORT" --conns $((SHORT / 8)) --threads 2 >>"$WORKDIR/storm.out" ||
		fail "storm-$i" "tcpdemo storm failed"
done
touch "$WORKDIR/long.stop"
wait "$LONG_PID"
expect_eq long-lived-ran 0 "$?"
sleep 1
stop_synscope
wait "$SAMPLER" 2>/dev/null

summary=$(grep '^synscope: [0-9]* connection' "$WORKDIR/soak.txt" | tail -n 1)
expect_eq soak/connections "$((SHORT + LONG))" "$(sed -n 's/^synscope: \([0-9]*\) connections.*/\1/p' <<<"$summary")"
expect_eq soak/incomplete 0 "$(sed -n 's/.*(\([0-9]*\) incomplete).*/\1/p' <<<"$summary")"
expect_eq soak/lost 0 "$(sed -n 's/.*, \([0-9]*\) lost.*/\1/p' <<<"$summary")"
expect_eq soak/complete-ladders "$((SHORT + LONG))" "$(grep -c '^  started .* complete' "$WORKDIR/soak.txt")"
# the long-lived ones: both lanes' data rows, and they lasted the whole run
long=$(grep -c "^connection .* -> 127.0.0.1:$LONG_PORT " "$WORKDIR/soak.txt")
expect_eq soak/long-lived "$LONG" "$long"
# memory: no growth once warm
if [ -s "$WORKDIR/rss" ]; then
	verdict=$(python3 - "$WORKDIR/rss" <<'PY'
import sys
s = [int(x) for x in open(sys.argv[1]) if x.strip()]
h = len(s) // 2
first, second = max(s[:max(h, 1)]), max(s[h:] or s)
ok = second <= first + 16 * 1024
print("%s first-half max %d KiB, second-half max %d KiB, %d samples" %
      ("ok" if ok else "grew", first, second, len(s)))
PY
)
	case $verdict in
	ok*) pass "soak/memory-flat" ;;
	*) fail soak/memory-flat "$verdict" ;;
	esac
	echo "# $verdict"
else
	fail soak/memory-flat "no RSS samples"
fi

# ---- flood: overflow a tiny ring buffer, then recover ----------------------
start_synscope "$WORKDIR/flood.out" -b 4 -P "$FLOOD_PORT" -P "$AFTER_PORT" \
	-o "$WORKDIR/flood.txt" || abort "synscope did not start"
"$TCPDEMO" storm --port "$FLOOD_PORT" --conns 20000 --threads 2 >/dev/null ||
	fail flood/storm "tcpdemo storm failed"
sleep 0.5
"$TCPDEMO" pair --scenario client-close --port "$AFTER_PORT" >/dev/null ||
	fail flood/after "tcpdemo pair failed"
sleep 0.5
if kill -0 "$SYNSCOPE_PID" 2>/dev/null; then
	pass flood/still-running
else
	fail flood/still-running "synscope exited during the flood"
fi
stop_synscope
lost=$(grep '^synscope: [0-9]* connection' "$WORKDIR/flood.txt" | tail -n 1 | sed -n 's/.*, \([0-9]*\) lost.*/\1/p')
if [ "${lost:-0}" -gt 0 ]; then
	pass flood/lost-reported
else
	fail flood/lost-reported "no events reported lost with a 4 KiB buffer"
fi
expect_true flood/marked grep -q 'events were lost, this ladder may be incomplete' "$WORKDIR/flood.txt"
# the connection after the flood is whole: handshake to TIME-WAIT (its end
# is 2MSL away: the ladder says until when)
after=$(awk -v p="127.0.0.1:$AFTER_PORT " '/^connection /{on = index($0, p) > 0} on' "$WORKDIR/flood.txt")
expect_true flood/recovers grep -q '^  started .*, complete' <<<"$after"
expect_true flood/recovered-handshake grep -q -- '--SYN seq=' <<<"$after"
expect_true flood/recovered-teardown grep -q 'stays in TIME-WAIT from' <<<"$after"

finish
