#!/usr/bin/env bash
# test_merge: `synscope merge` on two hosts' views of real connections.
#
# Two hosts on one machine: classroom scenarios (scripts/scenario.sh) between
# the namespaces mrg-client (10.99.0.1, fd99::1: host A) and mrg-server
# (10.99.0.2, fd99::2: host B), recorded once with synscope -w. Both
# namespaces share the kernel, so that recording holds both ends on one clock:
# it is the truth. rec_split.py cuts it into what each host would have
# recorded (by namespace) and gives B a clock of its own: 3.5 s ahead (its
# events' times), or 0.8 s behind (its recording's wall-clock offset). Then,
# per scenario:
#  - offset: merge's estimate is the known shift within 1 ms;
#  - check_merge.py: the merged JSONL holds the unsplit recording's lines, A's
#    at the same times, B's all moved by one amount within 1 ms; every segment
#    is received after it was sent; each connection's lines in time order;
#  - the same from the JSONL of each half (synscope -r HALF -f jsonl), and
#    from a recording and a JSONL file;
#  - the ladder: byte for byte the unsplit recording's with B's events moved
#    by the estimate's error (which check_merge.py measured): the times, and
#    the order of two hosts' events closer together than that error (the two
#    close() calls of simultaneous-close, in the same microsecond), are all
#    that may differ from the unsplit ladder;
#  - every format (ladder, --style rfc, stream, jsonl, html, mermaid, pcapng),
#    given the true offset with --offset: byte for byte the unsplit
#    recording's.
# And: two recordings with no connection in common merge with a warning;
# a recording merged with half of itself is refused; no root is needed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SCENARIO=$ROOT/scripts/scenario.sh
NETNS=$ROOT/scripts/netns.sh
TCPLAB=${TCPLAB:-$ROOT/build/tests/tcplab}
SPLIT="$ROOT/tests/integration/rec_split.py"
CHECK_MERGE="$ROOT/tests/integration/check_merge.py"
PREFIX=mrg                 # ports: 21600-21679, 8 per scenario (below)
AHEAD=3500000000   # B's clock ahead, ns
BEHIND=-800000000  # B's clock behind, ns
HOSTS=(--host "A=10.99.0.1,fd99::1" --host "B=10.99.0.2,fd99::2")

[ "$(id -u)" -eq 0 ] || abort "must run as root"
[ -x "$SYNSCOPE" ] || abort "$SYNSCOPE not built (run make)"
[ -x "$TCPLAB" ] || abort "$TCPLAB not built (run make)"
command -v python3 >/dev/null || abort "python3 not installed"
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
trap '"$NETNS" down "$PREFIX"; cleanup' EXIT
"$NETNS" down "$PREFIX"

# record NAME OUT.gz PORT [scenario options]: the scenario under synscope -w,
# only its ports (simultaneous-* and backlog-* use the ones after PORT).
record() {
	local name=$1 out=$2 port=$3 ports=() k
	shift 3
	for k in 0 1 2 3 4 5 6 7; do
		ports+=(-P $((port + k)))
	done
	if timeout "$TIMEOUT" "$SYNSCOPE" -w "$out" "${ports[@]}" -o "$out.txt" -- \
		"$SCENARIO" "$name" --prefix "$PREFIX" --port "$port" "$@" >"$out.log" 2>&1; then
		pass "$name/record"
		return 0
	fi
	fail "$name/record" "$(tail -n 2 "$out.log" | tr '\n' ' ')"
	return 1
}

# offset_is TAG ERRFILE WANT_NS: merge's stated offset within 1 ms of WANT_NS.
offset_is() {
	local tag=$1 err=$2 want=$3 got
	got=$(sed -n 's/^synscope: merge: clock offset \([-+][0-9]*\.[0-9]*\) s.*/\1/p' "$err")
	if [ -z "$got" ]; then
		fail "$tag/offset" "no offset line: $(last_line "$err")"
		return
	fi
	if python3 -c "import sys; sys.exit(abs(round(float('$got') * 1e9) - $want) >= 1000000)"; then
		pass "$tag/offset"
		echo "# $tag: offset $got s, true $want ns"
	else
		fail "$tag/offset" "estimated $got s, true $want ns"
	fi
}

# merged TAG A B [merge options]: merges A and B into TAG.jsonl; passes on exit 0.
merged() {
	local tag=$1 a=$2 b=$3
	shift 3
	if "$SYNSCOPE" merge "$a" "$b" -f jsonl -o "$W/$tag.jsonl" "$@" 2>"$W/$tag.err"; then
		pass "$tag/merge"
		return 0
	fi
	fail "$tag/merge" "exit $?: $(last_line "$W/$tag.err")"
	return 1
}

# check TAG REF: the merged JSONL against the unsplit one. Sets ERROR_NS: how
# far B's lines were moved (the estimate's error), "" when not found.
check() {
	local tag=$1 ref=$2 out rc
	out=$(python3 "$CHECK_MERGE" --name "$TEST_NAME/$tag" "${HOSTS[@]}" --delta A=0 --exact A \
		--delta B=0 "$ref" "$W/$tag.jsonl" 2>&1)
	rc=$?
	count_checks check_merge "$out" "$rc"
	ERROR_NS=$(sed -n 's/.*host B moved by \(-\{0,1\}[0-9]*\) ns.*/\1/p' <<<"$out")
}

W=$WORKDIR
run_scenario() {
	local name=$1 port=$2 fam=${3:-4} tag=$1 a_addr=10.99.0.1 b_addr=10.99.0.2 f
	local opts=()
	if [ "$fam" = 6 ]; then
		tag=$name-v6
		a_addr=fd99::1 b_addr=fd99::2
		opts=(-6)
	fi
	local all=$W/$tag.gz A=$W/$tag-A.gz B=$W/$tag-B.gz B2=$W/$tag-B-behind.gz
	record "$name" "$all" "$port" "${opts[@]}" || return
	if ! { python3 "$SPLIT" "$all" "$A" --addr "$a_addr" --keep-lost &&
		python3 "$SPLIT" "$all" "$B" --addr "$b_addr" --shift-ts "$AHEAD" &&
		python3 "$SPLIT" "$all" "$B2" --addr "$b_addr" --shift-wall "$BEHIND"; } 2>>"$W/split.log"; then
		fail "$tag/split" "$(last_line "$W/split.log")"
		return
	fi
	"$SYNSCOPE" -r "$all" -f jsonl -o "$W/$tag-ref.jsonl" 2>/dev/null

	ERROR_NS=
	merged "$tag" "$A" "$B" && offset_is "$tag" "$W/$tag.err" "$AHEAD" && check "$tag" "$W/$tag-ref.jsonl"
	local error_ns=$ERROR_NS
	merged "$tag-behind" "$A" "$B2" && offset_is "$tag-behind" "$W/$tag-behind.err" "$BEHIND" &&
		check "$tag-behind" "$W/$tag-ref.jsonl"

	# from JSON Lines: each half replayed, as each host would have written it
	"$SYNSCOPE" -r "$A" -f jsonl -o "$W/$tag-A.jsonl" 2>/dev/null
	"$SYNSCOPE" -r "$B" -f jsonl -o "$W/$tag-B.jsonl" 2>/dev/null
	merged "$tag-jsonl" "$W/$tag-A.jsonl" "$W/$tag-B.jsonl" &&
		offset_is "$tag-jsonl" "$W/$tag-jsonl.err" "$AHEAD" && check "$tag-jsonl" "$W/$tag-ref.jsonl"
	merged "$tag-mixed" "$A" "$W/$tag-B.jsonl" && check "$tag-mixed" "$W/$tag-ref.jsonl"

	# the ladder, with the estimated offset: byte for byte the unsplit
	# recording's with B's events moved by the estimate's error (a ladder
	# draws crossing segments by their order, which the error may change)
	if [ -n "$error_ns" ]; then
		python3 "$SPLIT" "$all" "$W/$tag-moved.gz" --addr "$b_addr" --shift-ts "$error_ns" --all \
			2>>"$W/split.log"
		"$SYNSCOPE" -r "$W/$tag-moved.gz" -o "$W/$tag-moved.ladder" 2>/dev/null
		"$SYNSCOPE" merge "$A" "$B" -o "$W/$tag-m.ladder" 2>/dev/null
		if [ -s "$W/$tag-m.ladder" ] && cmp -s "$W/$tag-moved.ladder" "$W/$tag-m.ladder"; then
			pass "$tag/ladder"
		else
			fail "$tag/ladder" "not the unsplit recording's with B moved by $error_ns ns"
		fi
	else
		fail "$tag/ladder" "no estimate error from check_merge"
	fi
	# every format, with the true offset: byte for byte
	for f in ladder rfc stream jsonl html mermaid pcapng; do
		local fo=(-f "$f")
		[ "$f" = rfc ] && fo=(--style rfc)
		"$SYNSCOPE" -r "$all" "${fo[@]}" -o "$W/$tag-ref.$f" 2>/dev/null
		"$SYNSCOPE" merge "$A" "$B" --offset 3.5 "${fo[@]}" -o "$W/$tag-exact.$f" 2>/dev/null
		if [ -s "$W/$tag-ref.$f" ] && cmp -s "$W/$tag-ref.$f" "$W/$tag-exact.$f"; then
			pass "$tag/exact-$f"
		else
			fail "$tag/exact-$f" "not the unsplit recording's output"
		fi
	done
}

run_scenario handshake-close 21600
run_scenario handshake-close 21610 6
run_scenario server-close 21620
run_scenario refused 21630
run_scenario lost-syn 21640
run_scenario simultaneous-close 21650
run_scenario backlog-late 21660
run_scenario half-close 21670

# Nothing in common: said, clocks as they are, still rendered.
if "$SYNSCOPE" merge "$W/handshake-close-A.gz" "$W/refused-B.gz" -f jsonl -o "$W/none.jsonl" \
	2>"$W/none.err" && grep -q 'not estimated: no segment was seen at both ends' "$W/none.err" &&
	[ -s "$W/none.jsonl" ]; then
	pass nothing-in-common
else
	fail nothing-in-common "$(last_line "$W/none.err")"
fi
# A host's view merged with the whole recording (which holds it too): refused.
if "$SYNSCOPE" merge "$W/handshake-close.gz" "$W/handshake-close-A.gz" -o "$W/overlap.txt" \
	2>"$W/overlap.err"; then
	fail overlap "accepted"
else
	expect_eq overlap 1 "$(grep -c 'each input must be one host.s view' "$W/overlap.err")"
fi
# No root needed: as nobody, without capabilities, from a copy of the binary
# and inputs in a directory of its own.
if command -v setpriv >/dev/null; then
	chmod 711 "$W"
	NB=$W/nobody
	install -d -m 755 -o nobody "$NB"
	cp "$SYNSCOPE" "$W/handshake-close-A.gz" "$W/handshake-close-B.gz" "$NB/"
	chmod 755 "$NB/synscope"
	chmod 644 "$NB"/*.gz
	if setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$NB/synscope" merge "$NB/handshake-close-A.gz" "$NB/handshake-close-B.gz" -f jsonl \
		>"$W/nobody.jsonl" 2>"$W/nobody.err" &&
		cmp -s "$W/nobody.jsonl" "$W/handshake-close.jsonl"; then
		pass as-nobody
	else
		fail as-nobody "$(last_line "$W/nobody.err")"
	fi
else
	fail as-nobody "setpriv (util-linux) not installed"
fi
finish
