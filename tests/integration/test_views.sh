#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through second_chance (lib.sh) and traps
# test_views: the connection table, the statistics and the live view
# (docs/views.md) on real traffic whose timings are known, every number
# checked against the ladder of the same recording, the JSON Lines
# "connection" lines and a tcpdump capture of the same traffic
# (check_views.py), and the statistics counted again from the table:
#  1. late-accept: a server that calls accept() 300 ms after the handshake
#     (ACCEPT >= 300 ms), then a connection to a closed port (refused); the
#     filters --rst and --slower on the replay;
#  2. late-answer: a remote peer (tunpeer) answers the SYN after 400 ms
#     (SYN-SA and CONNECT about 400 ms, tcpdump's SYN -> SYN-ACK within 1 ms);
#  3. syn-dropped: nftables in the server's namespace drops the first SYN,
#     so connect() takes its 1 s retransmission (SYN-SA about 1000 ms, one
#     retransmission); the two namespaces' halves merged (with the true
#     offset: the same table; estimated, and from JSON Lines: the same
#     numbers within 1 ms);
#  4. nginx + ab: 200 requests, 4 at a time, -f table --stats live (one line
#     per connection, ab's "Total transferred" in S>C-BYTES, SIGUSR1's
#     statistics while tracing goes on, the replay's table the live one);
#     then --comm ab in the kernel beside unrelated traffic;
#  5. redis-benchmark: long connections, each exactly tcpdump's;
#  6. --top on a pseudo-terminal (screens, the terminal given back), and
#     refused with one line when standard output is not a terminal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=remote_lib.sh
. "$(dirname "$0")/remote_lib.sh"
CHECK_VIEWS="$ROOT/tests/integration/check_views.py"
NETNS=$ROOT/scripts/netns.sh
SPLIT="$ROOT/tests/integration/rec_split.py"
NS=synscope-views
PREFIX=vws
PORT_ACCEPT=24100 PORT_CLOSED=24101 PORT_PEER=24102 PORT_DROP=24103 PORT_NGINX=24104
PORT_REDIS=24105 PORT_OTHER=24106 PORT_TOP=24107
NGINX_PID=
REDIS_PID=

remote_need
for c in nft nginx ab redis-server redis-benchmark script; do
	command -v "$c" >/dev/null || abort "$c missing (scripts/install-deps.sh installs it)"
done
# What a scenario leaves when it stops early: undone at the exit and before a
# scenario's second run (second_chance).
views_reset() {
	stop_tracers
	[ -n "$NGINX_PID" ] && kill_wait "$NGINX_PID"
	[ -n "$REDIS_PID" ] && kill_wait "$REDIS_PID"
	NGINX_PID='' REDIS_PID=''
	remote_cleanup
	"$NETNS" down "$PREFIX"
}
trap 'views_reset; cleanup' EXIT
"$NETNS" down "$PREFIX"

# views TAG ARGS...: check_views.py --name $TEST_NAME/TAG ARGS..., counted.
views() {
	local tag=$1 out rc
	shift
	out=$(python3 "$CHECK_VIEWS" --name "$TEST_NAME/$tag" "$@" 2>&1)
	rc=$?
	count_checks check_views "$out" "$rc"
}

table_lines() {
	grep -E '^(END|[0-9][0-9]:[0-9][0-9]:)' "$1"
}

# replays DIR: the recording DIR/trace.rec as a ladder, JSON Lines, a table
# and statistics; the replay's table is the live one.
replays() {
	local d=$1 f
	for f in ladder jsonl table stats; do
		"$SYNSCOPE" -r "$d/trace.rec.gz" -f "$f" -o "$d/replay.$f" 2>>"$d/replay.err" ||
			fail "$(basename "$d")/replay-$f" "$(last_line "$d/replay.err")"
	done
	# the table's lines (the live output may hold statistics too)
	expect_eq "$(basename "$d")/replay-is-live" "" "$(diff <(table_lines "$d/live.table") \
		<(table_lines "$d/replay.table") | head -n 3)"
}

# every_view DIR TOL [EXPECT...]: the table against the JSONL, the ladder,
# tcpdump (times within TOL ms) and the statistics; then the expectations.
every_view() {
	local d=$1 tol=$2 tag
	tag=$(basename "$d")
	shift 2
	views "$tag" json "$d/replay.table" "$d/replay.jsonl"
	views "$tag" ladder "$d/replay.table" "$d/replay.ladder"
	views "$tag" --tol-ms "$tol" pcap "$d/replay.table" "$d/capture.pcap"
	views "$tag" stats "$d/replay.table" "$d/replay.stats"
	[ $# -gt 0 ] && views "$tag" expect "$d/replay.table" "$@"
}

# ---- 1. a server that accepts late; a closed port --------------------------

late_accept() {
	local d=$WORKDIR/late-accept
	mkdir -p "$d"
	start_tcpdump lo "tcp port $PORT_ACCEPT or tcp port $PORT_CLOSED" "$d/capture.pcap" || return
	start_synscope "$d/live.table" -f table -w "$d/trace.rec.gz" -P "$PORT_ACCEPT" -P "$PORT_CLOSED" ||
		return
	python3 - "$PORT_ACCEPT" "$PORT_CLOSED" <<'PY' >"$d/app.log" 2>&1 || fail late-accept/app "$(tail -n 1 "$d/app.log")"
import socket, sys, threading, time
port, closed = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
connected = threading.Event()
def serve():
    connected.wait()
    time.sleep(0.3)            # the handshake is done: the accept wait
    c, _ = srv.accept()
    c.recv(100)
    c.sendall(b"world\n")
    c.recv(100)                # the client's FIN: it closes first
    c.close()
t = threading.Thread(target=serve)
t.start()
cli = socket.create_connection(("127.0.0.1", port))
connected.set()
cli.sendall(b"hello\n")
assert cli.recv(100) == b"world\n"
cli.close()
t.join()
srv.close()
try:
    socket.create_connection(("127.0.0.1", closed))
    sys.exit("connected to a closed port")
except ConnectionRefusedError:
    pass
PY
	sleep 0.3
	stop_synscope
	stop_tcpdump
	replays "$d"
	every_view "$d" 1 "lines == 2"
	views late-accept --conn 1 expect "$d/replay.table" "ACCEPT >= 300" "ACCEPT < 450" \
		"SYN-SA < 5" "ENDED == FIN/FIN" "CLOSED == client" "TW == client" "S>C-BYTES == 6"
	# the filters, on the replay: --rst keeps the refused one, --slower the late one
	"$SYNSCOPE" -r "$d/trace.rec.gz" -f table --rst -o "$d/rst.table" 2>"$d/rst.err"
	views late-accept/rst expect "$d/rst.table" "lines == 1" "ENDED == refused" \
		"CLOSED == server" "C>S-SEGS == 1" "S>C-SEGS == 1"
	expect_true late-accept/rst-said grep -q "1 not shown (not chosen by --slower" "$d/rst.table"
	"$SYNSCOPE" -r "$d/trace.rec.gz" -f table --slower 250 -o "$d/slow.table" 2>/dev/null
	views late-accept/slower expect "$d/slow.table" "lines == 1" "ACCEPT >= 300"
}

# ---- 2. a remote peer that answers late ---------------------------------------

late_answer() {
	local d=$WORKDIR/late-answer
	mkdir -p "$d"
	printf '%s\n' socket connect "write 5" "read 5" close >"$d/app"
	printf '%s\n' "expect SYN" "sleep 400ms" "send SYN,ACK ack=1 mss=1460" "expect ACK" \
		"expect PSH,ACK len=5" "send PSH,ACK len=5" "expect ACK|FIN,ACK" "await FIN,ACK" \
		"send FIN,ACK" "expect ACK" >"$d/peer"
	namespace_up 4 10.77.0.1 || { fail late-answer/setup "cannot make namespace $NS"; return; }
	TCPDUMP_NETNS=$NS start_tcpdump "$DEV" tcp "$d/capture.pcap" || return
	start_synscope "$d/live.table" -f table -w "$d/trace.rec.gz" -P "$PORT_PEER" || return
	run_peer_and_app "$d" "$PORT_PEER" 10.77.0.1 10.77.0.2
	sleep 0.3
	ip -n "$NS" link set "$DEV" down
	stop_synscope
	stop_tcpdump
	remote_cleanup
	replays "$d"
	every_view "$d" 1 "lines == 1" "SYN-SA >= 400" "SYN-SA < 500" "CONNECT >= 400" \
		"CONNECT < 500" "ACCEPT == -" "SERVER == (remote)" "ENDED == FIN/FIN" "TW == client" \
		"C>S-BYTES == 5" "S>C-BYTES == 5"
}

# ---- 3. a SYN dropped once by nftables; the two hosts' halves merged ------------

syn_dropped() {
	local d=$WORKDIR/syn-dropped c=$PREFIX-client s=$PREFIX-server
	mkdir -p "$d"
	"$NETNS" up "$PREFIX" >/dev/null || { fail syn-dropped/setup "scripts/netns.sh up failed"; return; }
	ip netns exec "$s" nft -f - <<NFT || { fail syn-dropped/setup "nft rule failed"; return; }
table inet synscope_views {
	chain input {
		type filter hook input priority 0;
		tcp dport $PORT_DROP tcp flags & (syn | ack) == syn drop
	}
}
NFT
	TCPDUMP_NETNS=$c start_tcpdump "$PREFIX-c" "tcp port $PORT_DROP" "$d/capture.pcap" || return
	start_synscope "$d/live.table" -f table -w "$d/trace.rec.gz" -P "$PORT_DROP" || return
	ip netns exec "$s" "$TCPDEMO" server --addr 10.99.0.2 --port "$PORT_DROP" --count 1 \
		--linger-ms 50 &
	local server=$!
	sleep 0.3
	(sleep 0.5; ip netns exec "$s" nft delete table inet synscope_views) &
	ip netns exec "$c" "$TCPDEMO" client --addr 10.99.0.2 --port "$PORT_DROP" --count 1 ||
		fail syn-dropped/client "tcpdemo client failed"
	wait "$server" || fail syn-dropped/server "tcpdemo server failed"
	sleep 0.3
	stop_synscope
	stop_tcpdump
	replays "$d"
	every_view "$d" 1 "lines == 1" "SYN-SA >= 1000" "SYN-SA < 1100" "CONNECT >= 1000" \
		"CONNECT < 1100" "RTX == 1/0" "ENDED == FIN/FIN"
	expect_true syn-dropped/drop-said grep -q "drops in connections, by reason: NETFILTER_DROP 1" \
		"$d/replay.stats"
	# host A (the client's namespace) and host B (the server's), B's clock 3.5 s ahead
	if ! { python3 "$SPLIT" "$d/trace.rec.gz" "$d/a.gz" --addr 10.99.0.1 --keep-lost &&
		python3 "$SPLIT" "$d/trace.rec.gz" "$d/b.gz" --addr 10.99.0.2 --shift-ts 3500000000; } \
		2>"$d/split.err"; then
		fail syn-dropped/split "rec_split.py: $(last_line "$d/split.err")"
		return
	fi
	"$SYNSCOPE" merge "$d/a.gz" "$d/b.gz" --offset 3.5 -f table -o "$d/merged-exact.table" 2>/dev/null
	expect_eq syn-dropped/merge-exact "" "$(diff "$d/merged-exact.table" "$d/replay.table" | head -n 3)"
	"$SYNSCOPE" merge "$d/a.gz" "$d/b.gz" -f table -o "$d/merged.table" 2>/dev/null
	views syn-dropped/merge --tol-ms 1 same "$d/merged.table" "$d/replay.table"
	"$SYNSCOPE" -r "$d/a.gz" -f jsonl -o "$d/a.jsonl" 2>/dev/null
	"$SYNSCOPE" -r "$d/b.gz" -f jsonl -o "$d/b.jsonl" 2>/dev/null
	"$SYNSCOPE" merge "$d/a.jsonl" "$d/b.jsonl" -f table -o "$d/merged-jsonl.table" \
		2>"$d/merge-jsonl.err" || fail syn-dropped/merge-jsonl "$(last_line "$d/merge-jsonl.err")"
	views syn-dropped/merge-jsonl --tol-ms 1 same "$d/merged-jsonl.table" "$d/replay.table"
	# the server's last pure ACK (its delayed ACK of the client's FIN) taken out
	# of its half, as the kernel sometimes leaves one unshown (docs/reliability.md):
	# counted once, from its arrival at the client, and said
	python3 - "$d/b.jsonl" "$d/b-unshown.jsonl" "$PORT_DROP" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
acks = [i for i, line in enumerate(lines) if (o := json.loads(line)).get("kind") == "segment"
        and o.get("dir") == "tx" and o.get("flags") == ["ACK"] and o.get("len") == 0
        and o.get("sport") == int(sys.argv[3])]
del lines[acks[-1]]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
	"$SYNSCOPE" merge "$d/a.jsonl" "$d/b-unshown.jsonl" -f table -o "$d/unshown.table" 2>/dev/null
	views syn-dropped/unshown --tol-ms 1 same "$d/unshown.table" "$d/replay.table"
	expect_true syn-dropped/unshown-said grep -q \
		", 1 segment seen only arriving: its departure never reached synscope" "$d/unshown.table"
	"$NETNS" down "$PREFIX"
}

# ---- 4. nginx and ab ---------------------------------------------------------------

nginx_up() {
	local d=$1
	mkdir -p "$d/nginx"
	cat >"$d/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $d/nginx/body;
	proxy_temp_path $d/nginx/proxy;
	fastcgi_temp_path $d/nginx/fastcgi;
	uwsgi_temp_path $d/nginx/uwsgi;
	scgi_temp_path $d/nginx/scgi;
	server {
		listen 127.0.0.1:$PORT_NGINX;
		location / { return 200 "hello from nginx\n"; }
	}
}
EOF
	nginx -c "$d/nginx/nginx.conf" -p "$d/nginx" 2>"$d/nginx/stderr" &
	NGINX_PID=$!
	for _ in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$PORT_NGINX") 2>/dev/null && return 0
		sleep 0.1
	done
	fail nginx/start "$(last_line "$d/nginx/stderr")"
	return 1
}

nginx_ab() {
	local d=$WORKDIR/nginx total sum
	mkdir -p "$d"
	nginx_up "$d" || return
	start_tcpdump lo "tcp port $PORT_NGINX" "$d/capture.pcap" || return
	start_synscope "$d/live.table" -f table --stats -w "$d/trace.rec.gz" -P "$PORT_NGINX" || return
	ab -n 200 -c 4 "http://127.0.0.1:$PORT_NGINX/" >"$d/ab.txt" 2>&1 || fail nginx/ab "$(tail -n 1 "$d/ab.txt")"
	sleep 0.5
	# the statistics so far, and tracing goes on
	kill -USR1 "$SYNSCOPE_PID"
	if wait_for_line "$d/live.table" '^statistics so far \(SIGUSR1\): 20[0-9] connections ended' 5; then
		pass nginx/sigusr1
	else
		fail nginx/sigusr1 "no statistics so far in the output"
	fi
	expect_true nginx/still-tracing kill -0 "$SYNSCOPE_PID"
	stop_synscope
	stop_tcpdump
	replays "$d"
	every_view "$d" 1 "CLIENT ~ ^ab/" "SERVER ~ ^nginx/" "ENDED == FIN/FIN" "RTX == 0/0"
	views nginx expect "$d/replay.table" "lines >= 200"
	views nginx/live-stats stats "$d/replay.table" "$d/live.table"
	total=$(sed -n 's/^Total transferred: *\([0-9]*\) bytes/\1/p' "$d/ab.txt")
	sum=$(awk '$1 != "synscope:" && NR > 1 { s += $13 } END { print s + 0 }' "$d/replay.table")
	expect_eq nginx/ab-bytes "$total" "$sum"
	# --comm ab, in the kernel: beside it, unrelated loopback traffic of another
	# process on another port, which the recording must not hold
	start_synscope "$d/comm.out" --comm ab -w "$d/comm.rec" -f table -o "$d/comm.table" || return
	python3 - "$PORT_OTHER" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
for _ in range(20):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    a, _ = s.accept()
    c.close()
    a.close()
    time.sleep(0.02)
PY
	local other=$!
	ab -n 20 -c 2 "http://127.0.0.1:$PORT_NGINX/" >"$d/ab2.txt" 2>&1
	wait "$other"
	sleep 0.3
	stop_synscope
	# nginx's own calls are not traced: its ends are the connections' other halves
	views nginx/comm expect "$d/comm.table" "lines >= 20" "CLIENT ~ ^ab/" "SERVER == ?"
	"$SYNSCOPE" -r "$d/comm.rec" -f jsonl -o "$d/comm.jsonl" 2>/dev/null
	expect_eq nginx/comm-in-kernel 0 \
		"$(grep -c "\"sport\":${PORT_OTHER}[,}]\|\"dport\":${PORT_OTHER}[,}]" "$d/comm.jsonl")"
	kill_wait "$NGINX_PID"
	NGINX_PID=
}

# ---- 5. redis-benchmark ----------------------------------------------------------

redis_bench() {
	local d=$WORKDIR/redis
	mkdir -p "$d"
	redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$d" >"$d/redis.log" 2>&1 &
	REDIS_PID=$!
	for _ in $(seq 50); do
		redis-cli -p "$PORT_REDIS" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	start_tcpdump lo "tcp port $PORT_REDIS" "$d/capture.pcap" || return
	start_synscope "$d/live.table" -f table -w "$d/trace.rec.gz" -P "$PORT_REDIS" || return
	redis-benchmark -p "$PORT_REDIS" -n 4000 -c 8 -t ping -q >"$d/bench.txt" 2>&1 ||
		fail redis/bench "$(tail -n 1 "$d/bench.txt")"
	sleep 0.3
	stop_synscope
	stop_tcpdump
	kill_wait "$REDIS_PID"
	REDIS_PID=
	replays "$d"
	every_view "$d" 1 "lines >= 16" "CLIENT ~ ^redis-benchmark/" "SERVER ~ ^redis-server/" \
		"RTX == 0/0"
}

# ---- 6. the live view ----------------------------------------------------------------

live_view() {
	local d=$WORKDIR/top rc
	mkdir -p "$d"
	"$SYNSCOPE" --top -d 1 >"$d/notty.out" 2>"$d/notty.err"
	rc=$?
	expect_eq top/refused-status 2 "$rc"
	expect_eq top/refused-line "synscope: --top draws on a terminal, and standard output is not one: -f table or -f stats write to files and pipes" \
		"$(cat "$d/notty.err")"
	# on a pseudo-terminal, with traffic: screens, then the terminal as it was
	script -qfec "$SYNSCOPE --top -P $PORT_TOP -d 3.5" "$d/typescript" >/dev/null 2>&1 &
	local top=$!
	wait_for_line "$d/typescript" 'synscope: tracing' 20 "$top" || fail top/start "not tracing"
	"$TCPDEMO" pair --scenario parallel --count 20 --port "$PORT_TOP" ||
		fail top/traffic "tcpdemo failed"
	wait "$top"
	python3 - "$d/typescript" <<'PY' >"$d/check.txt"
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
on, off = t.find("\x1b[?1049h"), t.rfind("\x1b[?1049l")
screens = t.count("\x1b[Hsynscope --top")
print("alternate screen on" if on >= 0 else "no alternate screen")
print("given back last" if off > t.rfind("\x1b[Hsynscope --top") > on >= 0 else "not given back")
print("cursor shown" if t.rfind("\x1b[?25h") > t.rfind("\x1b[?25l") else "cursor hidden")
print("screens %s" % ("2+" if screens >= 2 else screens))
rates = [float(x) for x in re.findall(r"(\d+\.\d) new connections/s", t)]
seen = re.search(r"\ndemo-client/\d+ ", t) and max(rates, default=0) > 0
print("conns seen" if seen else "no connection on screen")
print("summary after" if re.search(r"synscope: 20 connections", t[off:]) else "no summary after")
PY
	expect_eq top/pty "alternate screen on,given back last,cursor shown,screens 2+,conns seen,summary after" \
		"$(paste -sd, "$d/check.txt")"
}

# each against tcpdump: a second run where the kernel left packets unshown
for scenario in late_accept late_answer syn_dropped nginx_ab redis_bench; do
	second_chance views_reset "$scenario"
done
live_view
finish
