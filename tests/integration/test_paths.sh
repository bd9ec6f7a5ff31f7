#!/usr/bin/env bash
# test_paths: replay (-r) and merge keep every output guarantee live tracing
# gives (docs/reliability.md, Files), because all three open one run
# (userspace/run/run.c). A 200-connection recording (over 4096 events: past a commit point) made here (port 21561)
# is replayed; two hosts' views cut out of a committed two-namespace
# recording (tests/unit/data, rec_split.py) are merged.
#  - -o through a symbolic link, to a dangling one, to a FIFO (no hang):
#    refused with one line, exit 1, nothing touched; for -r and for merge.
#  - a closed pipe (| head -n 1): exit 0, no error line (not SIGPIPE's 141,
#    not "synscope: FILE: " with nothing after it).
#  - a full disk (a 64 KiB tmpfs): the error said once, exit 1, the file
#    whole JSON lines; for -r and merge. And -w: the events it says it
#    recorded are the events the file holds (cut back to its last flush).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21561

need_root
command -v unshare >/dev/null || abort "unshare not installed (util-linux)"

rec=$WORKDIR/pair.rec
timeout 60 "$SYNSCOPE" -P "$PORT" -w "$rec" -- "$TCPDEMO" pair --scenario parallel --count 200 \
	--port "$PORT" >/dev/null 2>"$WORKDIR/rec.err" || abort "recording failed: $(last_line "$WORKDIR/rec.err")"
recorded=$(sed -n 's/^synscope: \([0-9]*\) events recorded in .*/\1/p' "$WORKDIR/rec.err")
expect_true "recording-past-commit-points" test "${recorded:-0}" -gt 4096
data=$ROOT/tests/unit/data/backlog-late.gz
python3 "$ROOT/tests/integration/rec_split.py" "$data" "$WORKDIR/a.rec" --addr 10.99.0.1 --keep-lost \
	2>/dev/null || abort "rec_split A failed"
python3 "$ROOT/tests/integration/rec_split.py" "$data" "$WORKDIR/b.rec" --addr 10.99.0.2 \
	2>/dev/null || abort "rec_split B failed"

# refused NAME WHY COMMAND...: exit 1 and one line on stderr containing WHY.
refused() {
	local name=$1 why=$2
	shift 2
	timeout 20 "$@" >/dev/null 2>"$WORKDIR/$name.err"
	expect_eq "$name-exit" 1 "$?"
	expect_true "$name-why" grep -qF "$why" "$WORKDIR/$name.err"
	expect_eq "$name-one-line" 1 "$(grep -c '^synscope: .*\(not writing\|is a file\)' "$WORKDIR/$name.err")"
}

echo precious >"$WORKDIR/target"
ln -s "$WORKDIR/target" "$WORKDIR/link"
ln -s "$WORKDIR/not-there" "$WORKDIR/dangling"
mkfifo "$WORKDIR/fifo"
for how in replay merge; do
	if [ "$how" = replay ]; then
		cmd=("$SYNSCOPE" -r "$rec")
	else
		cmd=("$SYNSCOPE" merge "$WORKDIR/a.rec" "$WORKDIR/b.rec")
	fi
	refused "$how-symlink" "it is a symbolic link" "${cmd[@]}" -o "$WORKDIR/link"
	expect_eq "$how-symlink-target-kept" precious "$(cat "$WORKDIR/target")"
	refused "$how-dangling" "it is a symbolic link" "${cmd[@]}" -o "$WORKDIR/dangling"
	expect_true "$how-dangling-not-created" test ! -e "$WORKDIR/not-there"
	refused "$how-fifo" "a FIFO" "${cmd[@]}" -o "$WORKDIR/fifo"
	if [ "$how" = replay ]; then # the parser sees the two names first
		timeout 20 "${cmd[@]}" -o "$rec" >/dev/null 2>"$WORKDIR/$how-input.err"
		expect_eq "$how-input-exit" 2 "$?"
		expect_true "$how-input-why" grep -qF "name the same file" "$WORKDIR/$how-input.err"
	else
		refused "$how-input" "is a file being read" "${cmd[@]}" -o "$WORKDIR/a.rec"
	fi

	# a closed pipe: quietly, exit 0 (bash: the first command's status)
	set +o pipefail
	timeout 20 "${cmd[@]}" -f stream 2>"$WORKDIR/$how-pipe.err" | head -n 1 >/dev/null
	expect_eq "$how-pipe-exit" 0 "${PIPESTATUS[0]}"
	expect_eq "$how-pipe-no-error" 0 "$(grep -c '^synscope: .*\(error\|: $\)' "$WORKDIR/$how-pipe.err")"
done

# --- full disks
mkdir "$WORKDIR/full"
# in_full_fs SIZE COMMAND: COMMAND (sh) with a tmpfs of SIZE on
# $WORKDIR/full, in a mount namespace of its own; it copies out what it keeps.
in_full_fs() {
	timeout 60 unshare -m sh -c "mount -t tmpfs -o size=$1 synscope-full '$WORKDIR/full' && $2"
}
for how in replay merge; do
	if [ "$how" = replay ]; then # the explained JSONL of 50 connections: about 1 MB
		cmd="'$SYNSCOPE' -r '$rec'" size=64k
	else # a few connections', about 40 KB
		cmd="'$SYNSCOPE' merge '$WORKDIR/a.rec' '$WORKDIR/b.rec'" size=8k
	fi
	in_full_fs $size "$cmd -f jsonl --explain -o '$WORKDIR/full/t.jsonl' 2>'$WORKDIR/$how-full.err'; \
		echo \$? >'$WORKDIR/$how-full.rc'; cp '$WORKDIR/full/t.jsonl' '$WORKDIR/$how-kept.jsonl'"
	expect_eq "$how-full-exit" 1 "$(cat "$WORKDIR/$how-full.rc")"
	expect_eq "$how-full-said-once" 1 "$(grep -c 'No space left on device' "$WORKDIR/$how-full.err")"
	expect_eq "$how-full-no-empty-line" 0 "$(grep -c '^synscope: [^ ]*: $' "$WORKDIR/$how-full.err")"
	expect_true "$how-full-kept-some" test -s "$WORKDIR/$how-kept.jsonl"
	expect_true "$how-full-whole-lines" python3 -c '
import json, sys
data = open(sys.argv[1], encoding="utf-8").read()
assert data.endswith("\n")
for line in data.splitlines():
    json.loads(line)' "$WORKDIR/$how-kept.jsonl"
done

# -w into a full disk (uncompressed: the bytes are the records, format 1's
# events as they are): the events said are the events the file holds
in_full_fs 256k "'$SYNSCOPE' -r '$rec' -w '$WORKDIR/full/copy.rec' 2>'$WORKDIR/w-full.err'; \
	echo \$? >'$WORKDIR/w-full.rc'; cp '$WORKDIR/full/copy.rec' '$WORKDIR/w-kept.rec'"
expect_eq w-full-exit 1 "$(cat "$WORKDIR/w-full.rc")"
said=$(sed -n 's/^synscope: \([0-9]*\) events recorded in .*/\1/p' "$WORKDIR/w-full.err")
held=$(python3 "$ROOT/tests/integration/rec_events.py" "$WORKDIR/w-kept.rec" | grep -vc '"kind": "tick"')
expect_eq w-full-count-true "$held" "${said:-none}"
expect_true w-full-some test "${held:-0}" -gt 0
expect_true w-full-not-all test "${held:-0}" -lt "$(python3 "$ROOT/tests/integration/rec_events.py" "$rec" | grep -vc '"kind": "tick"')"
finish
