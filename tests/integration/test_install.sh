#!/usr/bin/env bash
# test_install: `make install` with PREFIX and DESTDIR puts the program and
# its man page (docs/synscope.8) where they belong; the page renders without
# a groff warning; every option `synscope --help` and `synscope merge -h`
# list is described in it (so it cannot fall behind an option added later).
# No root needed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v groff >/dev/null || abort "groff not installed (scripts/install-deps.sh)"
dest=$WORKDIR/root
make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/opt/syn >"$WORKDIR/install.out" 2>&1
expect_eq install-exit 0 "$?"
expect_true binary test -x "$dest/opt/syn/sbin/synscope"
expect_true manpage test -f "$dest/opt/syn/share/man/man8/synscope.8"
expect_true binary-runs "$dest/opt/syn/sbin/synscope" --help

page=$ROOT/docs/synscope.8
warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
expect_eq groff-clean "" "$warnings"
MANWIDTH=80 man -l "$page" >"$WORKDIR/page.txt" 2>/dev/null
expect_true renders grep -q '^SYNOPSIS' "$WORKDIR/page.txt"

# every option the help texts name has a paragraph of its own (a tagged
# paragraph: its name first, at the page's option indent)
opts=$( { "$SYNSCOPE" --help; "$SYNSCOPE" merge -h; } 2>&1 | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' |
	sed 's/^[ ,]//' | sort -u)
[ -n "$opts" ] || abort "no options found in --help"
for o in $opts; do
	expect_true "documents$o" grep -qE -- "^       (-[a-zA-Z0-9], )?$o( |,|\$)" "$WORKDIR/page.txt"
done
finish
