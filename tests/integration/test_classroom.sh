#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through second_chance (lib.sh) and traps
# test_classroom: every classroom scenario traced the way a teacher runs it,
# `synscope --explain -- scripts/scenario.sh NAME` (two namespaces joined by a
# veth pair, or loopback for self-connect), checked against its hand-written
# story in tests/integration/stories/NAME.story by check_story.py:
#  - per lane, the exact TCP flags of every segment it sent, and its exact
#    state changes, the inferred SYN-RECEIVED / TIME-WAIT / 2MSL end included;
#  - the syscalls' results (connect = 0 or -ECONNREFUSED, read = 0 at EOF ...);
#  - drops with the kernel's reason (netfilter, a full accept queue), resets
#    with theirs;
#  - the explanation of each of those rows (its stable "explain" name);
#  - nothing that looks like a kernel address.
# Then, on the same scenarios:
#  - --style rfc of handshake-close has RFC 9293's Figures 6 and 12, of
#    simultaneous-open Figure 7, of simultaneous-close Figure 13;
#  - --lang zh explains in Chinese, and every ladder line stays within 100
#    display columns;
#  - a few scenarios over IPv6 follow the same stories.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SCENARIO=$ROOT/scripts/scenario.sh
NETNS=$ROOT/scripts/netns.sh
STORIES=$ROOT/tests/integration/stories
CHECK_STORY=$ROOT/tests/integration/check_story.py
PREFIX=scn-c
PORT=22200 # each run takes the next 50 ports: simultaneous-* use PORT..PORT+39

need_root
trap '"$NETNS" down "$PREFIX"; cleanup' EXIT
"$NETNS" down "$PREFIX"

next_port() {
	PORT=$((PORT + 50))
}

# traced NAME OUT [synscope options...] [-- scenario options...]: runs the
# scenario under synscope; passes when both exit 0.
traced() {
	local name=$1 out=$2 sopts=() popts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sopts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	popts=("$@")
	next_port
	if timeout "$TIMEOUT" "$SYNSCOPE" "${sopts[@]}" -o "$out" -- \
		"$SCENARIO" "$name" --prefix "$PREFIX" --port "$PORT" "${popts[@]}" \
		>"$out.stdout" 2>"$out.stderr"; then
		pass "$name/run${popts[*]:+ ${popts[*]}}"
		return 0
	fi
	fail "$name/run" "synscope or the scenario failed: $(tail -n 2 "$out.stderr" | tr '\n' ' ')"
	return 1
}

story() {
	local name=$1 jsonl=$2 tag=$3 out rc
	out=$(python3 "$CHECK_STORY" --name "$tag" --story "$STORIES/$name.story" \
		--jsonl "$jsonl" 2>&1)
	rc=$?
	count_checks check_story "$out" "$rc"
}

# traced_story_once NAME OUT TAG [-- scenario options]: a trace checked
# against the story. A trace in which the kernel counted events lost (its
# lost counter, or runs it skipped because the program was already running
# on that CPU) cannot be held to a story: it is said, and the scenario runs
# once more.
traced_story_once() {
	local name=$1 out=$2 tag=$3
	shift 3
	traced "$name" "$out" --explain -f jsonl "$@" || return
	if grep -q '"kind":"lost"' "$out"; then
		echo "# $tag: the kernel lost events in this run; running it again"
		traced "$name" "$out" --explain -f jsonl "$@" || return
	fi
	story "$name" "$out" "$tag"
}

# traced_story: traced_story_once with a second chance (lib.sh): a timer's
# retransmission has been missing from a trace with no loss counted, where
# the kernel ran no BPF program for it (docs/reliability.md).
traced_story() {
	second_chance true traced_story_once "$@"
}

for st in "$STORIES"/*.story; do
	name=$(basename "$st" .story)
	traced_story "$name" "$WORKDIR/$name.jsonl" "$name"
done

for name in handshake-close refused udp lost-syn; do
	traced_story "$name" "$WORKDIR/$name-v6.jsonl" "$name-v6" -- -6
done

# RFC 9293's figures, from the real traces of scenarios 1, 5, 1 and 4.
for pair in handshake-close:6 handshake-close:12 simultaneous-open:7 simultaneous-close:13; do
	name=${pair%%:*} fig=${pair##*:}
	out=$WORKDIR/$name-rfc$fig.txt
	traced "$name" "$out" --style rfc --relative-seq && check_rfc "$out" --figure "$fig"
done

# Chinese: the same rows, explained in Simplified Chinese, within 100 columns.
out=$WORKDIR/merged-fin-zh.txt
if traced merged-fin "$out" --explain --lang zh; then
	for want in "# 握手 1/3：SYN，客户端请求建立连接" "# 挥手 1/4：FIN，客户端没有数据要发送了" \
		"# 挥手 2+3/4：服务器的 FIN 同时确认了客户端的 FIN" "# read() 返回 0：文件结束（EOF）"; do
		if grep -qF -- "$want" "$out"; then
			pass "zh/has '$want'"
		else
			fail "zh/has '$want'" "not in the ladder"
		fi
	done
	wide=$(python3 -c '
import sys, unicodedata
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.rstrip("\n"))
    if w > 100:
        print("line %d is %d columns" % (n, w))
' "$out")
	expect_eq zh/width-100 "" "$wide"
fi

finish
