#!/usr/bin/env bash
# run_fuzz.sh BINARY SECONDS: runs one libFuzzer target for SECONDS from its
# committed seed corpus, tests/fuzz/corpus/NAME/ (NAME: the binary's name
# without "fuzz_"). New inputs go to a scratch directory, never into the
# repository; a crash leaves its input in build/fuzz/NAME-crash-* with the
# command that replays it. Ends with "N passed, N failed" (one test: the run).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$1
SECONDS_MAX=${2:-20}
NAME=$(basename "$BIN")
SEEDS="$ROOT/tests/fuzz/corpus/${NAME#fuzz_}"
ARTIFACTS="$ROOT/build/fuzz"

if [ ! -x "$BIN" ]; then
	echo "FAIL $NAME: $BIN not built (make fuzz-build)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -d "$SEEDS" ]; then
	echo "FAIL $NAME: no seed corpus $SEEDS"
	echo "0 passed, 1 failed"
	exit 1
fi
SCRATCH=$(mktemp -d "/tmp/synscope-$NAME.XXXXXX")
LOG="$SCRATCH.log"
trap 'rm -rf "$SCRATCH" "$LOG"' EXIT

"$BIN" -max_total_time="$SECONDS_MAX" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$ARTIFACTS/$NAME-" "$SCRATCH" "$SEEDS" >"$LOG" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "ok $NAME: ${runs:-?} inputs in ${SECONDS_MAX}s, no crash"
	echo "1 passed, 0 failed"
	exit 0
fi
# what went wrong, and how to see it again
grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_|.*runtime error)' "$LOG" | head -n 5 | sed 's/^/# /'
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$LOG" | tail -n 1)
echo "FAIL $NAME: exit status $rc${crash:+, input in $crash (replay: $BIN $crash)}"
echo "0 passed, 1 failed"
exit 1
