#!/usr/bin/env bash
# Reproduces "packets the kernel never showed" (docs/reliability.md): delayed
# ACKs sent from a timer across a veth pair, beside a loopback storm, traced
# with no filter; tcpdump on the client's end is the ground truth. Each run
# prints check_views.py's comparison of the table with tcpdump and synscope's
# summary line ("N segments seen only arriving" when the kernel skipped a
# departure and the arrival was seen). Not part of make test: it takes about
# a minute a run and fails by design when the kernel skips a packet.
#
# Usage (root, after make): scripts/unshown_repro.sh [RUNS] [CONNECTIONS]
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-4} N=${2:-1000} PORT=24999 STORM_PORT=21777 PREFIX=unshown
OUT=$(mktemp -d /tmp/synscope-unshown.XXXXXX)

one_run() {
	local d=$1 td sy sv
	mkdir -p "$d"
	scripts/netns.sh down "$PREFIX" >/dev/null 2>&1
	scripts/netns.sh up "$PREFIX" >/dev/null || return 1
	ip netns exec "$PREFIX-client" tcpdump -i "$PREFIX-c" -nn -Z root -s 256 --immediate-mode \
		-U -B 32768 -w "$d/capture.pcap" "tcp port $PORT" 2>"$d/tcpdump.err" &
	td=$!
	build/synscope -f table -o "$d/live.table" -w "$d/trace.rec" 2>"$d/synscope.err" &
	sy=$!
	sleep 3
	build/tests/tcpdemo storm --port "$STORM_PORT" --conns 2000000 >/dev/null 2>&1 &
	ip netns exec "$PREFIX-server" build/tests/tcpdemo server --addr 10.99.0.2 --port "$PORT" \
		--count "$N" --linger-ms 50 &
	sv=$!
	sleep 0.3
	ip netns exec "$PREFIX-client" build/tests/tcpdemo client --addr 10.99.0.2 --port "$PORT" \
		--count "$N"
	wait "$sv"
	pkill -f "tcpdemo storm --port $STORM_PORT"
	sleep 0.5
	kill -INT "$sy"
	wait "$sy"
	sleep 1
	kill -INT "$td"
	wait "$td"
	scripts/netns.sh down "$PREFIX"
	awk -v p=":$PORT\$" 'NR == 1 || $6 ~ p' "$d/live.table" >"$d/port.table"
	python3 tests/integration/check_views.py --name "unshown/$(basename "$d")" pcap \
		"$d/port.table" "$d/capture.pcap"
	tail -n 1 "$d/live.table"
}

for i in $(seq "$RUNS"); do
	one_run "$OUT/run$i"
done
echo "# files in $OUT"
