#!/usr/bin/env bash
# Runs synscope's tests: scripts/run-tests.sh [unit|integration|fuzz|sanitize|all]
# (default all: the four).
#
#   unit         every build/tests/test_* built from tests/unit/*/test_*.c (no root)
#   integration  every tests/integration/test_*.sh (root: they trace the kernel)
#   fuzz         every build/fuzz/fuzz_* built from tests/fuzz/fuzz_*.c, each run
#                for FUZZ_SECONDS from its seed corpus (tests/fuzz/run_fuzz.sh)
#   sanitize     the same unit tests built with ASan+UBSan in build-asan/
#                (make sanitize-build), leak checks on; then the integration
#                scripts in SANITIZE_SCRIPTS with that synscope and tcpdemo
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
unit | integration | fuzz | sanitize | all) ;;
*)
	echo "usage: $0 [unit|integration|fuzz|sanitize|all]" >&2
	exit 2
	;;
esac

# Integration scripts also run against the sanitized build. Not there:
# test_valgrind (valgrind and ASan exclude each other) and test_privileges
# (LeakSanitizer cannot stop the threads of a process that dropped root: it
# is no longer dumpable, on purpose).
SANITIZE_SCRIPTS="client_close interrupt refused signals crash files privacy sigkill"
SAN_DIR=build-asan
# any sanitizer report fails the binary; leaks are reported at exit
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

LOCK=${SYNSCOPE_TEST_LOCK:-/tmp/synscope-integration.lock}
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

# run_unit [BUILD_DIR [LABEL]]: the unit test binaries of BUILD_DIR (build).
run_unit() {
	local dir=${1:-build} label=${2:-} src bin name
	for src in tests/unit/*/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		bin=$dir/tests/$name
		if [ ! -x "$bin" ]; then
			echo "== $label$name"
			echo "  FAIL $label$name: $bin not built (run make${label:+ sanitize-build})"
			total_failed=$((total_failed + 1))
			continue
		fi
		run_one "$label$name" "$bin"
	done
}

# run_checks: the code's shape (docs/design.md): the stage rule of its
# includes, and functions small enough to read (pmccabe).
run_checks() {
	run_one check_stages bash -c 'scripts/check-stages.sh && echo "1 passed, 0 failed" ||
		{ echo "0 passed, 1 failed"; exit 1; }'
	run_one check_complexity scripts/check-complexity.sh
}

# run_integration [BUILD_DIR LABEL SCRIPT...]: every tests/integration/test_*.sh
# against build/, or the named ones against BUILD_DIR's synscope and tcpdemo.
run_integration() {
	local label=${2:-} script name scripts=() envs=()
	if [ $# -gt 2 ]; then
		envs=(SYNSCOPE="$ROOT/$1/synscope" TCPDEMO="$ROOT/$1/tests/tcpdemo")
		shift 2
		for name in "$@"; do scripts+=("tests/integration/test_$name.sh"); done
	else
		scripts=(tests/integration/test_*.sh)
	fi
	for script in "${scripts[@]}"; do
		name=$label$(basename "$script" .sh)
		if [ ! -e "$script" ]; then
			[ -n "$label" ] || continue # no test_*.sh at all
			echo "== $name"
			echo "  FAIL $name: $script does not exist"
			total_failed=$((total_failed + 1))
			continue
		fi
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
		# one tracing test at a time on this machine: a whole-system trace
		# would see another checkout's test traffic
		run_one "$name" flock "$LOCK" env "${envs[@]}" bash "$script"
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
sanitize)
	run_unit "$SAN_DIR" asan:
	# shellcheck disable=SC2086 # a list of names
	run_integration "$SAN_DIR" asan: $SANITIZE_SCRIPTS
	;;
all)
	run_checks
	run_unit
	run_integration
	run_fuzz
	run_unit "$SAN_DIR" asan:
	# shellcheck disable=SC2086
	run_integration "$SAN_DIR" asan: $SANITIZE_SCRIPTS
	;;
esac

if [ "$total_skipped" -gt 0 ]; then
	echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
	echo "$total_passed passed, $total_failed failed"
fi
[ "$total_failed" -eq 0 ]
