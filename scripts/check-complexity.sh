#!/usr/bin/env bash
# check-complexity.sh: no function in userspace/ is longer than 100 lines or
# has a cyclomatic complexity (pmccabe's modified count: a switch is one
# decision) over 30: a function a reader can hold in mind. Prints each
# function over a limit and exits 1; ends with "N passed, N failed" (one
# check per function). pmccabe comes from Debian (scripts/install-deps.sh).
set -u
cd "$(dirname "$0")/.." || exit 2
MAX_LINES=${MAX_LINES:-100}
MAX_CCN=${MAX_CCN:-30}

command -v pmccabe >/dev/null || { echo "check-complexity: pmccabe not installed (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
mapfile -t files < <(find userspace -name '*.c' | sort)
# pmccabe: modified CCN, traditional CCN, statements, first line, lines, file(line): name
pmccabe "${files[@]}" | awk -v maxl="$MAX_LINES" -v maxc="$MAX_CCN" '
	{ total++ }
	$1 > maxc || $5 > maxl {
		bad++
		printf "FAIL %s: %d lines, complexity %d (limits %d, %d)\n", $6 " " $7, $5, $1, maxl, maxc
	}
	END { printf "%d passed, %d failed\n", total - bad, bad; exit bad > 0 }'
