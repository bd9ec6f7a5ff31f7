#!/usr/bin/env bash
# test_valgrind: valgrind memcheck finds no memory error and no leak in
# synscope on short live traces (ports 21501-21503):
#  - a traced command (tcpdemo pair), ladder on standard output;
#  - system-wide, JSONL into an -o file, as nobody after attaching (-Z),
#    stopped by SIGINT with a connection still open;
#  - the stream format into `| head -n 1` (the closed-pipe path).
# Each: synscope exits 0, its trace has the connection, and memcheck
# reports 0 errors with definite, indirect and possible leaks counted as
# errors (memory still reachable at exit is not a leak: names.c keeps the
# kernel's reason names for the whole run). Suppressions:
# tests/valgrind/libbpf.supp, each one explained there.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
command -v valgrind >/dev/null || abort "valgrind not installed"
SUPP="$ROOT/tests/valgrind/libbpf.supp"
# shellcheck disable=SC2054 # commas inside one option's value
VALGRIND=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect,possible
	--error-exitcode=99 --suppressions="$SUPP" --child-silent-after-fork=yes)

# memcheck_ok NAME: the memcheck log $WORKDIR/NAME.vg says no error, no leak.
memcheck_ok() {
	local log="$WORKDIR/$1.vg"
	expect_true "$1-memcheck-no-errors" grep -q 'ERROR SUMMARY: 0 errors' "$log"
	if grep -q 'All heap blocks were freed' "$log" ||
		grep -q 'definitely lost: 0 bytes in 0 blocks' "$log"; then
		pass "$1-memcheck-no-leaks"
	else
		fail "$1-memcheck-no-leaks" "$(grep -E 'definitely|indirectly|possibly' "$log" | tr -s ' ' | tr '\n' ';')"
	fi
}

# memcheck NAME ARGS...: runs synscope ARGS under memcheck (stdout to
# $WORKDIR/NAME.out, stderr to NAME.err, memcheck's log to NAME.vg), waits
# for it and checks its exit status 0 and memcheck's verdict.
memcheck() {
	local name=$1
	shift
	timeout 120 "${VALGRIND[@]}" --log-file="$WORKDIR/$name.vg" "$SYNSCOPE" "$@" \
		>"$WORKDIR/$name.out" 2>"$WORKDIR/$name.err"
	expect_eq "$name-exit" 0 "$?"
	memcheck_ok "$name"
}

# 1. a traced command, the ladder
PORT=21501
memcheck command --no-color -P "$PORT" -w "$WORKDIR/rec.gz" --explain -- "$TCPDEMO" pair \
	--scenario client-close --port "$PORT"
expect_true command-traced grep -q "^connection 1: .* demo-client/[0-9]* -> 127.0.0.1:$PORT demo-server/" \
	"$WORKDIR/command.out"

# 2. system-wide into a file, privileges dropped, stopped by SIGINT
# a replay (no root needed; the recording of the run above) through every sink
# (--explain where it applies: the stream and pcapng refuse it)
for fmt in ladder jsonl stream html mermaid pcapng; do
	explain=--explain
	[ "$fmt" = stream ] || [ "$fmt" = pcapng ] && explain=
	memcheck "replay-$fmt" -r "$WORKDIR/rec.gz" -f "$fmt" $explain -o "$WORKDIR/replay.$fmt"
done
memcheck replay-rfc -r "$WORKDIR/rec.gz" --style rfc --explain -o "$WORKDIR/replay.rfc"
expect_true replay-traced grep -q "^connection 1: .* -> 127.0.0.1:21501 demo-server/" \
	"$WORKDIR/replay.ladder"

PORT=21502
chmod 0711 "$WORKDIR"
mkdir "$WORKDIR/nobody" && chown nobody: "$WORKDIR/nobody"
SYNSCOPE_ERR="$WORKDIR/sigint.err"
"${VALGRIND[@]}" --log-file="$WORKDIR/sigint.vg" "$SYNSCOPE" -Z nobody -f jsonl \
	-o "$WORKDIR/nobody/trace.jsonl" -P "$PORT" >/dev/null 2>"$SYNSCOPE_ERR" &
SYNSCOPE_PID=$!
if wait_for_line "$SYNSCOPE_ERR" '^synscope: tracing' 60 "$SYNSCOPE_PID"; then
	"$TCPDEMO" pair --scenario client-close --port "$PORT" --linger-ms 3000 &
	pair=$!
	sleep 1
	kill -INT "$SYNSCOPE_PID"
	_synscope_exit 60 "did not exit within 60 s of SIGINT"
	kill_wait "$pair"
	memcheck_ok sigint
	expect_true sigint-traced grep -q "\"dport\":$PORT.*\"name\":\"connect\"" "$WORKDIR/nobody/trace.jsonl"
else
	fail sigint-start "$(last_line "$SYNSCOPE_ERR")"
	kill_wait "$SYNSCOPE_PID"
	SYNSCOPE_PID=
fi

# 3. the reader goes away
PORT=21503
timeout 120 "${VALGRIND[@]}" --log-file="$WORKDIR/pipe.vg" "$SYNSCOPE" -f stream -P "$PORT" -- \
	"$TCPDEMO" pair --scenario client-close --port "$PORT" --linger-ms 2000 2>"$WORKDIR/pipe.err" |
	head -n 1 >"$WORKDIR/pipe.out"
expect_eq pipe-exit 0 "${PIPESTATUS[0]}"
memcheck_ok pipe
expect_eq pipe-one-line 1 "$(wc -l <"$WORKDIR/pipe.out")"
finish
