#!/usr/bin/env bash
# test_memory: the collector's memory stays flat however many connections it
# traces: finished connections are rendered and dropped, TIME-WAIT ends are
# inferred, not waited for. synscope (-P 21750, ladder to /dev/null) traces
# MEM_CONNS storm connections (default 300,000; `make bench` does 1,000,000)
# in chunks of 100,000 and its own resident memory (RssAnon: heap and
# stacks; not the ring buffers the kernel maps in, whose size -b sets and
# which VmRSS counts twice, their data being mapped twice) is read after each.
# Asserts:
#  - its own resident memory stays under 64 MiB at every sample;
#  - it grows by at most 4 MiB from the first sample to the last (a leak of
#    20 bytes per connection would show);
#  - every connection was rendered: the summary counts at least MEM_CONNS.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21750
CONNS=${MEM_CONNS:-300000}
STEP=100000
LIMIT_KIB=$((64 * 1024))
GROWTH_KIB=$((4 * 1024))

need_root
# the ladder to /dev/null through standard output (-o takes regular files only)
SYNSCOPE_ERR="$WORKDIR/ladder.err"
"$SYNSCOPE" -P "$PORT" >/dev/null 2>"$SYNSCOPE_ERR" &
SYNSCOPE_PID=$!
wait_for_line "$SYNSCOPE_ERR" '^synscope: tracing' 20 "$SYNSCOPE_PID" ||
	abort "synscope did not start: $(last_line "$SYNSCOPE_ERR")"
rss=()
vm=()
done_conns=0
while [ "$done_conns" -lt "$CONNS" ]; do
	"$TCPDEMO" storm --port "$PORT" --conns "$STEP" --threads 2 >/dev/null ||
		abort "tcpdemo storm failed after $done_conns connections"
	done_conns=$((done_conns + STEP))
	sleep 0.5 # what is still in the ring buffer is read and dropped
	rss+=("$(awk '/^RssAnon:/ { print $2 }' "/proc/$SYNSCOPE_PID/status")")
	vm+=("$(awk '/^VmRSS:/ { print $2 }' "/proc/$SYNSCOPE_PID/status")")
done
stop_synscope
echo "# own resident KiB (RssAnon) after each $STEP connections: ${rss[*]} (VmRSS, the rings in: ${vm[*]})"
over=0
for r in "${rss[@]}"; do
	[ "$r" -lt "$LIMIT_KIB" ] || over=$r
done
expect_eq rss-under-64MiB 0 "$over"
growth=$((rss[-1] - rss[0]))
expect_true "rss-flat (grew ${growth} KiB)" test "$growth" -le "$GROWTH_KIB"
conns=$(sed -nE 's/^synscope: ([0-9]+) connections.*/\1/p' "$SYNSCOPE_ERR" | tail -n 1)
echo "# $(grep '^synscope: [0-9]* conn' "$SYNSCOPE_ERR" | tail -n 1)"
expect_true all-rendered test "${conns:-0}" -ge "$CONNS"
finish
