#!/usr/bin/env bash
# test_docs: the docs' commands run as written. Every ```sh block of
# docs/classroom.md and docs/scenarios.md is run line by line, as root from
# the source tree (what the pages tell a teacher to do), each line with a
# time limit: it must exit 0 and print no "synscope: " or "demo: " error
# line. The pages also must not tell a root machine to use sudo in a
# command, nor name a bare `synscope` command in a block (it is not on the
# PATH until `make install`).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
cd "$ROOT" || abort "cannot cd to $ROOT"

for page in docs/classroom.md docs/scenarios.md; do
	name=$(basename "$page" .md)
	awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$page" >"$WORKDIR/$name.sh"
	n=$(grep -cv '^[[:space:]]*\(#\|$\)' "$WORKDIR/$name.sh")
	expect_true "$name-has-commands" test "$n" -gt 0
	expect_eq "$name-no-sudo" 0 "$(grep -c '^[[:space:]]*sudo ' "$WORKDIR/$name.sh")"
	expect_eq "$name-no-bare-synscope" 0 "$(grep -c '^[[:space:]]*synscope ' "$WORKDIR/$name.sh")"
	i=0
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		i=$((i + 1))
		out=$WORKDIR/$name-$i.out
		timeout 300 bash -c "$line" </dev/null >"$out" 2>&1
		rc=$?
		expect_eq "$name-$i-exit" 0 "$rc"
		expect_eq "$name-$i-no-error" 0 "$(grep -cE '^(synscope|demo|scenario): .*(error|cannot|fail)' "$out")"
		[ "$rc" -eq 0 ] || echo "# $name line $i: $line: $(tail -n 3 "$out" | tr '\n' ' ')"
	done <"$WORKDIR/$name.sh"
done
finish
