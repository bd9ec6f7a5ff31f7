#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through second_chance (lib.sh) and traps
# test_remote: TCP conversations with a remote peer that has no kernel socket.
# Each scenario (tests/integration/remote/NAME.scn) runs in a network
# namespace of its own holding a tun device: the local end is tcpapp, a real
# program making real socket calls; the peer is tunpeer, a scripted injector
# that reads the packets the local kernel routes to the peer's address and
# writes back the segments its script says. tcpdump on the tun device is the
# ground truth; synscope traces the scenario's port (-P), into JSON Lines
# and a recording replayed into a ladder with --explain. check_remote.py then
# checks, per scenario (docs/remote-peers.md):
#  a. every segment on the wire is in synscope's trace, same fields and order;
#  b. every call tcpapp made is in the trace, entry and return;
#  c. the scenario's hand-written story (its [expect] section).
#
#   bash tests/integration/test_remote.sh                 every scenario
#   SCENARIO=active-close bash tests/integration/test_remote.sh
#   SCENARIO="refused rto" ...                            some of them
# KEEP=1 keeps each scenario's files (in the work directory, one folder each).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=remote_lib.sh
. "$(dirname "$0")/remote_lib.sh"
CHECK_REMOTE=$ROOT/tests/integration/check_remote.py
SCN_DIR=$ROOT/tests/integration/remote
NS=synscope-remote

remote_need
{ command -v ss && command -v nstat; } >/dev/null || abort "ss or nstat missing (iproute2)"
trap 'remote_cleanup; cleanup' EXIT

# section FILE NAME: the lines of FILE's [NAME] section.
section() {
	awk -v want="[$2]" '/^\[[a-z]+\]$/ { on = ($0 == want); next } on' "$1"
}

# setup_value DIR KEY: the value of a "KEY VALUE" line of the [setup] section.
setup_value() {
	awk -v k="$2" '$1 == k { print $2 }' "$1/setup"
}

# apply_sysctls DIR: the [setup] section's "sysctl KEY=VALUE" lines, in the namespace.
apply_sysctls() {
	local kv
	while read -r kv; do
		ip netns exec "$NS" sysctl -qw "$kv" || return 1
	done < <(awk '$1 == "sysctl" { print $2 }' "$1/setup")
}

rss_anon_kib() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# harness_vars DIR RSS_BEFORE: what the kernel in the namespace says, for the
# expectations: sockets in TIME-WAIT, the nstat counters, synscope's memory.
harness_vars() {
	local dir=$1
	{
		echo "timewait=$(ip netns exec "$NS" ss -Htan state time-wait | wc -l)"
		ip netns exec "$NS" nstat -asz | awk 'NF >= 2 && $1 !~ /^#/ { print $1 "=" $2 }'
		echo "rss_before_kib=$2"
		echo "rss_after_kib=$(rss_anon_kib "$SYNSCOPE_PID")"
	} >"$dir/vars"
}

# run_scenario FILE: one scenario, from its own namespace to its checks.
run_scenario() {
	local file=$1 name dir port family local_addr peer_addr rss_before out rc
	name=$(basename "$file" .scn)
	dir=$WORKDIR/$name
	TEST_NAME=remote/$name
	rm -rf "$dir" # a second run starts from nothing the first left
	mkdir -p "$dir"
	for s in setup app peer expect; do section "$file" "$s" >"$dir/$s"; done
	port=$(setup_value "$dir" port)
	family=$(setup_value "$dir" family)
	[ -n "$port" ] || { fail scenario "$file has no 'port N' in [setup]"; return; }
	if [ "${family:-4}" = 6 ]; then
		local_addr=fd77::1 peer_addr=fd77::2
	else
		local_addr=10.77.0.1 peer_addr=10.77.0.2
	fi
	namespace_up "${family:-4}" "$local_addr" || { fail setup "cannot make namespace $NS"; return; }
	apply_sysctls "$dir" || { fail setup "a sysctl of [setup] failed"; remote_cleanup; return; }

	TCPDUMP_NETNS=$NS start_tcpdump "$DEV" "tcp or icmp or icmp6" "$dir/capture.pcap" ||
		{ remote_cleanup; return; }
	if ! start_synscope "$dir/synscope.out" -P "$port" -w "$dir/trace.rec" -f jsonl \
		--explain -o "$dir/trace.jsonl"; then
		stop_tcpdump
		remote_cleanup
		return
	fi
	rss_before=$(rss_anon_kib "$SYNSCOPE_PID")
	run_peer_and_app "$dir" "$port" "$local_addr" "$peer_addr"
	sleep 0.3 # the kernel's last answers reach the wire
	harness_vars "$dir" "$rss_before"
	# Nothing more leaves: synscope and tcpdump stop having seen the same.
	ip -n "$NS" link set "$DEV" down
	stop_synscope
	stop_tcpdump
	remote_cleanup
	# shellcheck disable=SC2046 # ladder-opts: words, e.g. -v
	"$SYNSCOPE" -r "$dir/trace.rec" --explain $(setup_value "$dir" ladder-opts) \
		-o "$dir/ladder.txt" 2>"$dir/replay.err" || fail replay "$(last_line "$dir/replay.err")"

	out=$(python3 "$CHECK_REMOTE" --name "remote/$name" --expect "$dir/expect" \
		--jsonl "$dir/trace.jsonl" --ladder "$dir/ladder.txt" --pcap "$dir/capture.pcap" \
		--peer-log "$dir/peer.log" --app-log "$dir/app.log" --vars "$dir/vars" \
		--local "$local_addr" --peer "$peer_addr" 2>&1)
	rc=$?
	count_checks check_remote "$out" "$rc"
}

scenarios=()
if [ -n "${SCENARIO:-}" ]; then
	for n in ${SCENARIO//,/ }; do
		[ -f "$SCN_DIR/$n.scn" ] || abort "no scenario $SCN_DIR/$n.scn"
		scenarios+=("$SCN_DIR/$n.scn")
	done
else
	scenarios=("$SCN_DIR"/*.scn)
fi
[ -f "${scenarios[0]}" ] || abort "no scenario in $SCN_DIR"
# What a scenario leaves when it stops early: undone before its second run.
remote_reset() {
	stop_tracers
	remote_cleanup
}

for f in "${scenarios[@]}"; do
	started=$SECONDS
	# against tcpdump: a second run where the kernel left packets unshown (lib.sh)
	second_chance remote_reset run_scenario "$f"
	echo "# scenario $(basename "$f" .scn): $((SECONDS - started)) s"
done
TEST_NAME=remote
finish
