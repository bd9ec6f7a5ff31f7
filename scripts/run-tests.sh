#!/usr/bin/env bash
# Runs synscope's tests: scripts/run-tests.sh [unit|integration|fuzz|all] (default all).
#
#   unit         every build/tests/test_* built from tests/unit/test_*.c (no root)
#   integration  every tests/integration/test_*.sh (root: they trace the kernel)
#   fuzz         every build/fuzz/fuzz_* built from tests/fuzz/fuzz_*.c, each run
#                for FUZZ_SECONDS from its seed corpus (tests/fuzz/run_fuzz.sh)
#
# Each unit binary and each integration script prints its own results and a
# last line "N passed, N failed"; this script shows their output, adds those
# numbers up and ends with exactly one line of totals:
#   "N passed, N failed"              (or "N passed, N failed, N skipped")
# A binary or script that crashes, times out, prints no summary or exits
# non-zero without reporting a failure counts one extra failure.
# Not root: the integration scripts are skipped, or counted as failed when
# CI=true (CI must never skip them silently).
# Exit status: 0 when nothing failed.
#
# Environment: TEST_TIMEOUT (seconds per binary/script, default 300),
# FUZZ_SECONDS (per fuzz target, default 20).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
MODE=${1:-all}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

case $MODE in
unit | integration | fuzz | all) ;;
*)
	echo "usage: $0 [unit|integration|fuzz|all]" >&2
	exit 2
	;;
esac

total_passed=0
total_failed=0
total_skipped=0

# run_one NAME COMMAND...: runs one test binary or script, prints its output
# (its own summary line last, indented) and adds its counts to the totals.
run_one() {
	local name=$1 out rc summary p f
	shift
	echo "== $name"
	out=$(timeout --kill-after=10 "$TEST_TIMEOUT" "$@" 2>&1)
	rc=$?
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	# Everything but its summary line, as it printed it.
	if [ -n "$out" ]; then
		grep -Ev '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | sed 's/^/  /'
	fi
	if [ -n "$summary" ]; then
		p=$(sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$summary")
		f=$(sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$summary")
	else
		# No summary: count what it did report, and the missing summary.
		p=$(grep -c '^ok ' <<<"$out")
		f=$(( $(grep -c '^FAIL ' <<<"$out") + 1 ))
		echo "  FAIL $name: no 'N passed, N failed' line (exit status $rc)"
	fi
	if [ -n "$summary" ] && [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  FAIL $name: exit status $rc with no failure reported"
	fi
	[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "  FAIL $name: timed out after ${TEST_TIMEOUT}s"
	echo "  $name: $p passed, $f failed"
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
}

run_unit() {
	local src bin name
	for src in tests/unit/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		bin=build/tests/$name
		if [ ! -x "$bin" ]; then
			echo "== $name"
			echo "  FAIL $name: $bin not built (run make)"
			total_failed=$((total_failed + 1))
			continue
		fi
		run_one "$name" "$bin"
	done
}

run_integration() {
	local script name
	for script in tests/integration/test_*.sh; do
		[ -e "$script" ] || continue
		name=$(basename "$script" .sh)
		if [ "$(id -u)" -ne 0 ]; then
			if [ "${CI:-}" = true ]; then
				echo "== $name"
				echo "  FAIL $name: needs root (CI=true: not skipped)"
				total_failed=$((total_failed + 1))
			else
				echo "== $name: skipped (needs root)"
				total_skipped=$((total_skipped + 1))
			fi
			continue
		fi
		run_one "$name" bash "$script"
	done
}

run_fuzz() {
	local src name
	for src in tests/fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		run_one "$name" tests/fuzz/run_fuzz.sh "build/fuzz/$name" "$FUZZ_SECONDS"
	done
}

case $MODE in
unit) run_unit ;;
integration) run_integration ;;
fuzz) run_fuzz ;;
all)
	run_unit
	run_integration
	run_fuzz
	;;
esac

if [ "$total_skipped" -gt 0 ]; then
	echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
	echo "$total_passed passed, $total_failed failed"
fi
[ "$total_failed" -eq 0 ]
