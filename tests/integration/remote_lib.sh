# shellcheck shell=bash
# The remote-peer harness of test_remote.sh, for any test that needs a peer
# with no kernel socket: a network namespace NS holding a tun device DEV,
# tunpeer (a scripted peer on it) and tcpapp (the local program). Source it
# after lib.sh; set NS before calling namespace_up. docs/remote-peers.md.
TUNPEER=${TUNPEER:-$ROOT/build/tests/tunpeer}
TCPAPP=${TCPAPP:-$ROOT/build/tests/tcpapp}
NS=${NS:-synscope-remote}
DEV=tunp0
PEER_TIMEOUT=30   # seconds a peer script may run
APP_TIMEOUT=10    # seconds tcpapp may outlive the peer's script
PEER_PID=
APP_PID=

# remote_need: root, the two programs and a tun device.
remote_need() {
	need_root
	[ -x "$TUNPEER" ] || abort "$TUNPEER not built (run make)"
	[ -x "$TCPAPP" ] || abort "$TCPAPP not built (run make)"
	[ -c /dev/net/tun ] || abort "/dev/net/tun missing: the kernel needs CONFIG_TUN"
}

# remote_cleanup: the peer, the program and the namespace are gone.
remote_cleanup() {
	[ -n "$APP_PID" ] && kill_wait "$APP_PID"
	[ -n "$PEER_PID" ] && kill_wait "$PEER_PID"
	APP_PID=''
	PEER_PID=
	ip netns del "$NS" 2>/dev/null
	return 0
}

# namespace_up FAMILY LOCAL PEER: the namespace, its tun device and the route
# to the peer through it. GSO is capped at one segment, so what the stack
# queues (synscope's tx rows) is what goes on the wire (tcpdump's); a long
# queue: the kernel drops nothing before tunpeer reads it.
namespace_up() {
	local family=$1 local_addr=$2
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" tuntap add dev "$DEV" mode tun &&
		ip -n "$NS" link set "$DEV" gso_max_segs 1 txqueuelen 10000 addrgenmode none &&
		if [ "$family" = 6 ]; then
			ip -n "$NS" -6 addr add "$local_addr/64" dev "$DEV" nodad
		else
			ip -n "$NS" addr add "$local_addr/24" dev "$DEV"
		fi &&
		ip -n "$NS" link set "$DEV" up
}

# wait_ready FILE PID: until FILE has a line "ready" (5 s at most, or until
# PID exits), looking every 10 ms: the peer must answer a client's first SYN
# at once, or the handshake's RTT (and every timer after it) would be the
# time this loop slept.
wait_ready() {
	local i
	for ((i = 0; i < 500; i++)); do
		grep -q '^ready' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.01
	done
	grep -q '^ready' "$1" 2>/dev/null
}

# wait_exit PID SECONDS: true when PID exited (and was reaped) in time.
wait_exit() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	return 124
}

# run_peer_and_app DIR PORT LOCAL PEER: tunpeer attached and waiting, tcpapp
# started, then the peer's script; both must finish their scripts.
run_peer_and_app() {
	local dir=$1 port=$2 local_addr=$3 peer_addr=$4 rc
	# A second run (second_chance) finds the first's files: its "go" would
	# start the peer at once and its "ready" lines would pass the waits
	# before either program is up, so the SYN meets no listener.
	rm -f "$dir/go" "$dir/peer.log" "$dir/app.log"
	ip netns exec "$NS" "$TUNPEER" --dev "$DEV" --local "$local_addr" --peer "$peer_addr" \
		--port "$port" --log "$dir/peer.log" --go "$dir/go" --hold "$dir/peer" \
		2>"$dir/peer.err" &
	PEER_PID=$!
	wait_ready "$dir/peer.log" "$PEER_PID" ||
		{ fail peer "tunpeer did not attach: $(last_line "$dir/peer.err")"; return 1; }
	ip netns exec "$NS" "$TCPAPP" --local "$local_addr" --peer "$peer_addr" --port "$port" \
		--log "$dir/app.log" "$dir/app" 2>"$dir/app.err" &
	APP_PID=$!
	wait_ready "$dir/app.log" "$APP_PID" ||
		fail app "tcpapp never got ready: $(last_line "$dir/app.err")"
	touch "$dir/go"
	if ! wait_for_line "$dir/peer.log" '^([0-9.]+ )?(done|FAIL)' "$PEER_TIMEOUT" "$PEER_PID"; then
		fail peer "the peer's script did not end within ${PEER_TIMEOUT}s"
	elif grep -q '^FAIL' "$dir/peer.log"; then
		fail peer "tunpeer: $(grep -m1 '^FAIL' "$dir/peer.log")"
	else
		pass peer
	fi
	wait_exit "$APP_PID" "$APP_TIMEOUT"
	rc=$?
	case $rc in
	0) pass app ;;
	124) fail app "tcpapp still running ${APP_TIMEOUT}s after the peer's script"; kill_wait "$APP_PID" ;;
	*) fail app "$(last_line "$dir/app.err")" ;;
	esac
	APP_PID=
}

