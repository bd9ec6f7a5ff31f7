#!/usr/bin/env bash
# test_files: -o writes regular files only, never through a symbolic link,
# and a write error is reported without spoiling what was written.
#  - refused, exit 1, one line naming why, the thing untouched: a symbolic
#    link to a file (its target keeps its bytes), a dangling symbolic link
#    (its target is not created), a FIFO with and without a reader, a
#    directory, /dev/null; with -w FILE beside it, no empty recording is
#    left (a FILE that was there stays).
#  - an existing regular file is truncated: nothing of its old bytes stays.
#  - a full disk (a 64 KiB tmpfs in a private mount namespace; 50 parallel
#    connections on port 21551, JSONL): exit 1, "No space left on device"
#    named once; the file keeps complete JSON lines only, ends with a
#    newline and is not empty; the same with the ladder on standard output
#    redirected into the full tmpfs (exit 1, "error writing standard output").
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21550

need_root
command -v unshare >/dev/null || abort "unshare not installed (util-linux)"

# refused NAME PATH WHY: synscope -o PATH exits 1 with one line containing WHY.
refused() {
	local name=$1 path=$2 why=$3
	timeout 30 "$SYNSCOPE" -o "$path" -P "$PORT" -d 1 >/dev/null 2>"$WORKDIR/$name.err"
	expect_eq "$name-exit" 1 "$?"
	expect_true "$name-why" grep -qF "synscope: not writing $path: $why" "$WORKDIR/$name.err"
	expect_eq "$name-one-line" 1 "$(wc -l <"$WORKDIR/$name.err")"
}

echo precious >"$WORKDIR/target"
ln -s "$WORKDIR/target" "$WORKDIR/link"
refused symlink "$WORKDIR/link" "it is a symbolic link"
expect_eq symlink-target-kept precious "$(cat "$WORKDIR/target")"

ln -s "$WORKDIR/not-there" "$WORKDIR/dangling"
refused dangling "$WORKDIR/dangling" "it is a symbolic link"
expect_true dangling-not-created test ! -e "$WORKDIR/not-there"

mkfifo "$WORKDIR/fifo"
refused fifo-no-reader "$WORKDIR/fifo" "a FIFO"
cat "$WORKDIR/fifo" >/dev/null &
reader=$!
refused fifo-reader "$WORKDIR/fifo" "a FIFO"
kill_wait "$reader"

mkdir "$WORKDIR/dir"
refused directory "$WORKDIR/dir" "a directory"
refused dev-null /dev/null "a character device"

# -w FILE with an -o that is refused: no empty recording left behind (one
# made by this run), and one that was there before is still there
timeout 30 "$SYNSCOPE" -w "$WORKDIR/new.rec" -o "$WORKDIR/link" -P "$PORT" -d 1 >/dev/null 2>&1
expect_eq refused-with-w-exit 1 "$?"
expect_true refused-with-w-no-recording test ! -e "$WORKDIR/new.rec"
touch "$WORKDIR/old.rec"
timeout 30 "$SYNSCOPE" -w "$WORKDIR/old.rec" -o "$WORKDIR/link" -P "$PORT" -d 1 >/dev/null 2>&1
expect_true refused-with-w-old-kept test -e "$WORKDIR/old.rec"

# an existing file longer than what is written now: truncated first
python3 -c 'import sys; open(sys.argv[1], "w").write("OLDBYTES " * 20000)' "$WORKDIR/old.txt"
timeout 30 "$SYNSCOPE" -o "$WORKDIR/old.txt" -P "$PORT" -d 1 >/dev/null 2>"$WORKDIR/old.err"
expect_eq existing-file-exit 0 "$?"
expect_eq existing-file-truncated 0 "$(grep -c OLDBYTES "$WORKDIR/old.txt")"
expect_true existing-file-written grep -q '^synscope: 0 connections' "$WORKDIR/old.txt"

# --- a full disk
PORT=21551
mkdir "$WORKDIR/full"
# in_full_fs COMMAND: runs COMMAND (sh) with a 64 KiB tmpfs on
# $WORKDIR/full, in a mount namespace of its own: it vanishes afterwards.
# The command copies what it wants to keep out of it.
in_full_fs() {
	timeout 60 unshare -m sh -c "mount -t tmpfs -o size=64k synscope-full '$WORKDIR/full' && $1"
}
in_full_fs "'$SYNSCOPE' -f jsonl -o '$WORKDIR/full/t.jsonl' -P $PORT -- '$TCPDEMO' pair \
	--scenario parallel --count 50 --port $PORT 2>'$WORKDIR/full.err'; echo \$? >'$WORKDIR/full.rc'; \
	cp '$WORKDIR/full/t.jsonl' '$WORKDIR/kept.jsonl'"
expect_eq full-exit 1 "$(cat "$WORKDIR/full.rc")"
expect_eq full-reported 1 "$(grep -c "^synscope: error writing $WORKDIR/full/t.jsonl: No space left on device" \
	"$WORKDIR/full.err")"
expect_true full-kept-something test -s "$WORKDIR/kept.jsonl"
expect_true full-kept-whole-lines python3 - "$WORKDIR/kept.jsonl" <<'PY'
import json, sys
data = open(sys.argv[1], encoding="utf-8").read()
assert data.endswith("\n")
for line in data.splitlines():
    json.loads(line)
PY
expect_true full-traffic-was-more grep -q '^synscope: 50 connections' "$WORKDIR/full.err"

in_full_fs "'$SYNSCOPE' -P $PORT -- '$TCPDEMO' pair --scenario parallel --count 50 --port $PORT \
	>'$WORKDIR/full/ladder.txt' 2>'$WORKDIR/stdout-full.err'; echo \$? >'$WORKDIR/stdout-full.rc'"
expect_eq stdout-full-exit 1 "$(cat "$WORKDIR/stdout-full.rc")"
expect_true stdout-full-reported grep -q "^synscope: error writing standard output: No space left on device" \
	"$WORKDIR/stdout-full.err"
finish
