#!/usr/bin/env bash
# test_demo: the classroom demo as a teacher runs it, scripts/demo.sh NAME
# (its banner, synscope --explain, the scenario in two namespaces):
#  - order: the ladders come in the order the connections began (backlog-late
#    and backlog-full have three each; the second one of backlog-late ends
#    last), and the scenario's own result ("scenario NAME: ok") comes after
#    every ladder and the summary line, not between two ladders;
#  - flags: `demo.sh refused --rfc --lang zh` draws RFC 9293's notation
#    explained in Chinese (comment lines), and its banner says so.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
DEMO=${DEMO:-$ROOT/scripts/demo.sh}
NETNS=$ROOT/scripts/netns.sh
export TCPLAB=${TCPLAB:-$ROOT/build/tests/tcplab}
export DEMO_PREFIX=scn-d
PORT=22900

need_root
trap '"$NETNS" down "$DEMO_PREFIX"; cleanup' EXIT
"$NETNS" down "$DEMO_PREFIX"

# demo NAME OUT [demo options...]: scripts/demo.sh, stdout and stderr into
# OUT (as `scripts/demo.sh NAME > lesson.txt 2>&1`); passes when it exits 0.
demo() {
	local name=$1 out=$2
	shift 2
	PORT=$((PORT + 50))
	if DEMO_PORT=$PORT timeout "$TIMEOUT" "$DEMO" "$name" "$@" >"$out" 2>&1; then
		pass "$name/run${*:+ $*}"
		return 0
	fi
	fail "$name/run${*:+ $*}" "demo.sh failed: $(tail -n 2 "$out" | tr '\n' ' ')"
	return 1
}

for name in backlog-late backlog-full; do
	out=$WORKDIR/$name.txt
	demo "$name" "$out" || continue
	expect_eq "$name/ladders-in-order" "1 2 3" \
		"$(sed -n 's/^connection \([0-9]*\):.*/\1/p' "$out" | tr '\n' ' ' | sed 's/ $//')"
	# the summary line, then the scenario's result: the last two lines
	expect_eq "$name/result-last" "synscope: 3 connections|scenario $name: ok" \
		"$(tail -n 2 "$out" | sed 's/ (.*//' | tr '\n' '|' | sed 's/|$//')"
done

out=$WORKDIR/refused-rfc-zh.txt
if demo refused "$out" --rfc --lang zh; then
	expect_true refused-rfc/notation grep -q '^    TCP Peer A  *TCP Peer B$' "$out"
	expect_true refused-rfc/explained-zh grep -q '^    # 客户端：' "$out"
	expect_true refused-rfc/banner-says-rfc grep -q "RFC 9293's figures" "$out"
fi

finish
