#!/usr/bin/env bash
# test_long_replay: bad input (issue 17). One connection of ROUNDS round trips
# (tcpload, port 21795) recorded with -w: over a million events on one
# connection; and one a tenth as long. Asserts:
#  - replaying the million to a ladder, JSONL, pcapng and stream stays in
#    bounded memory: peak resident under 16 MiB, and no more than 4 MiB above
#    the replay of the tenth; the -v ladder (every row, up to its cap of
#    200,000) under 48 MiB;
#  - its ladder: one complete connection in at most 300 rows whose drawn
#    and summarized segments and bytes per direction equal the JSONL's;
#  - the recording cut in the middle, as it is and gzip-compressed: replay
#    exits 1 with one line saying where it ended, and the ladder still tells
#    the story up to the cut: one INCOMPLETE connection, its handshake, no
#    FIN, at most 300 rows, the figures equal to the same replay's JSONL.
# Peak memory is the replay's own (getrusage of the child), never a time.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21795
ROUNDS=${LONG_REPLAY_ROUNDS:-90000}
TCPLOAD=${TCPLOAD:-$ROOT/build/tests/tcpload}
CHECK_LONG="$ROOT/tests/integration/check_long.py"
W=$WORKDIR

need_root
[ -x "$TCPLOAD" ] || abort "$TCPLOAD not built (run make)"
[ -x /usr/bin/time ] || abort "GNU time not installed (scripts/install-deps.sh)"

# peak_kib CMD...: runs CMD, prints "PEAK_KIB RC" (GNU time: its own fork
# is small; a shell's or python's would count in the peak, kept across exec)
peak_kib() {
	local rc
	/usr/bin/time -f %M -o "$W/peak" "$@"
	rc=$?
	echo "$(tail -n 1 "$W/peak") $rc"
}

# record NAME ROUNDS: one connection of ROUNDS round trips into $W/NAME.rec
record() {
	"$SYNSCOPE" -P "$PORT" -w "$W/$1.rec" -- "$TCPLOAD" pair --port "$PORT" --requests "$2" \
		>"$W/$1.out" 2>"$W/$1.err"
	expect_eq "record-$1" "exit 0, 0 lost, tcpload ok" \
		"exit $?, $(sed -nE 's/^synscope: [0-9]+ events recorded in .*, ([0-9]+) lost$/\1/p' "$W/$1.err") lost, tcpload $(grep -q '^conns=1 ' "$W/$1.out" && echo ok)"
}

record big "$ROUNDS"
record tenth "$((ROUNDS / 10))"
events=$(sed -nE 's/^synscope: ([0-9]+) events recorded.*/\1/p' "$W/big.err")
expect_true million-events test "${events:-0}" -ge 1000000
echo "# $events events on one connection, $(stat -c %s "$W/big.rec") bytes"

# bounded memory, whatever the sink
read -r tenth_kib rc < <(peak_kib "$SYNSCOPE" -r "$W/tenth.rec" -o "$W/tenth.txt" 2>/dev/null | tail -n 1)
expect_eq replay-tenth-exit 0 "$rc"
for f in ladder jsonl pcapng stream; do
	read -r kib rc < <(peak_kib "$SYNSCOPE" -r "$W/big.rec" -f "$f" -o "$W/big.$f" 2>/dev/null | tail -n 1)
	expect_eq "replay-$f-exit" 0 "$rc"
	echo "# replay of the million to $f: peak $((kib / 1024)) MiB (the tenth to a ladder: $((tenth_kib / 1024)) MiB)"
	expect_true "replay-$f-memory" test "$kib" -lt $((16 * 1024)) -a "$kib" -le $((tenth_kib + 4096))
	[ "$f" = ladder ] || [ "$f" = jsonl ] || rm -f "$W/big.$f"
done
read -r kib rc < <(peak_kib "$SYNSCOPE" -r "$W/big.rec" -v -o "$W/big-v.txt" 2>/dev/null | tail -n 1)
expect_eq replay-v-exit 0 "$rc"
echo "# replay of the million to a -v ladder: peak $((kib / 1024)) MiB"
expect_true replay-v-memory test "$kib" -lt $((48 * 1024))
rm -f "$W/big-v.txt"
checked=$(cd "$ROOT/tests/integration" && python3 "$CHECK_LONG" --name "$TEST_NAME/million" \
	--reference-jsonl "$W/big.jsonl" --ladder "$W/big.ladder" --max-rows 300 2>&1)
count_checks check_long "$checked" $?
rm -f "$W/big.jsonl" "$W/big.ladder" "$W/tenth.rec"

# cut in the middle: raw, and compressed
size=$(stat -c %s "$W/big.rec")
head -c "$((size / 2 + 77))" "$W/big.rec" >"$W/cut.rec"
gzip -1 -c "$W/big.rec" >"$W/big.rec.gz"
gzsize=$(stat -c %s "$W/big.rec.gz")
head -c "$((gzsize / 2))" "$W/big.rec.gz" >"$W/cut.gz"
rm -f "$W/big.rec" "$W/big.rec.gz"
for cut in cut.rec cut.gz; do
	"$SYNSCOPE" -r "$W/$cut" -o "$W/$cut.txt" 2>"$W/$cut.err"
	rc=$?
	last=$(tail -n 1 "$W/$cut.err")
	expect_eq "$cut-exit" 1 "$rc"
	expect_true "$cut-says-where" grep -Eq "^synscope: $W/$cut: truncated at byte [0-9]+ \(record [0-9]+\)" <<<"$last"
	"$SYNSCOPE" -r "$W/$cut" -f jsonl -o "$W/$cut.jsonl" 2>/dev/null
	checked=$(cd "$ROOT/tests/integration" && python3 "$CHECK_LONG" --name "$TEST_NAME/$cut" \
		--reference-jsonl "$W/$cut.jsonl" --ladder "$W/$cut.txt" --max-rows 300 --incomplete 2>&1)
	count_checks check_long "$checked" $?
	rm -f "$W/$cut.jsonl"
done
finish
