#!/usr/bin/env bash
# test_mermaid_parse: every diagram the unit test test_mermaid renders by hand
# (and the ones it builds to be wrong) through Mermaid's own parser
# (tests/mermaid/check.mjs under node). The unit test writes them to
# MERMAID_PARSE_DIR named NNN-ok-DIAGRAMS.mmd (must parse, with that many
# diagrams) or NNN-bad.mmd (must be refused: the parser is really looking).
# No root needed; it lives here because it needs node and npm packages.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

UNIT=${UNIT_MERMAID:-$ROOT/build/tests/test_mermaid}
CHECK="$ROOT/tests/mermaid/check.mjs"
command -v node >/dev/null || abort "node not installed (scripts/install-deps.sh)"
[ -f "$ROOT/tests/mermaid/node_modules/mermaid/package.json" ] ||
	abort "Mermaid's parser not installed in tests/mermaid (scripts/install-deps.sh)"
[ -x "$UNIT" ] || abort "$UNIT not built (make)"

mkdir -p "$WORKDIR/mmd"
MERMAID_PARSE_DIR=$WORKDIR/mmd "$UNIT" >"$WORKDIR/unit.out" 2>&1
expect_eq unit-exit 0 "$?"
files=("$WORKDIR"/mmd/*.mmd)
expect_true some-diagrams test "${#files[@]}" -ge 9
for f in "${files[@]}"; do
	name=$(basename "$f" .mmd)
	out=$(node "$CHECK" "$f" 2>&1)
	rc=$?
	case $name in
	*-ok-*)
		want=${name##*-ok-}
		expect_eq "$name-exit" 0 "$rc"
		expect_true "$name-diagrams" grep -qx "diagrams: $want, errors: 0" <<<"$out"
		;;
	*-bad)
		expect_eq "$name-refused" 1 "$rc"
		expect_true "$name-error" grep -q '^error' <<<"$out"
		;;
	esac
	[ "$rc" -eq 0 ] || [[ $name == *-bad ]] || sed 's/^/  /' <<<"$out" | head -5
done
finish
