#!/usr/bin/env bash
# test_demo: the classroom demo as a teacher runs it, scripts/demo.sh NAME
# (its banner, synscope --explain, the scenario in two namespaces):
#  - order: the ladders come in the order the connections began (backlog-late
#    and backlog-full have three each; the second one of backlog-late ends
#    last), and the scenario's own result ("scenario NAME: ok") comes after
#    every ladder and the summary line, not between two ladders;
#  - flags: `demo.sh refused --rfc --lang zh` draws RFC 9293's notation
#    explained in Chinese (comment lines), and its banner says so;
#  - language: under --lang zh the banner is in Chinese too;
#  - width: on an 80-column terminal (a pty whose window is 80 columns), no
#    line of the demo is wider than 80 display columns (a Chinese character
#    takes two, colour codes none): explained in English and in Chinese, and
#    with --rfc; nothing of the ladder is lost (each row is there).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
DEMO=${DEMO:-$ROOT/scripts/demo.sh}
NETNS=$ROOT/scripts/netns.sh
export TCPLAB=${TCPLAB:-$ROOT/build/tests/tcplab}
export DEMO_PREFIX=scn-d
PORT=22900

need_root
trap '"$NETNS" down "$DEMO_PREFIX"; cleanup' EXIT
"$NETNS" down "$DEMO_PREFIX"

# demo NAME OUT [demo options...]: scripts/demo.sh, stdout and stderr into
# OUT (as `scripts/demo.sh NAME > lesson.txt 2>&1`); passes when it exits 0.
demo() {
	local name=$1 log=$2
	shift 2
	PORT=$((PORT + 50))
	if DEMO_PORT=$PORT timeout "$TIMEOUT" "$DEMO" "$name" "$@" >"$log" 2>&1; then
		pass "$name/run${*:+ $*}"
		return 0
	fi
	fail "$name/run${*:+ $*}" "demo.sh failed: $(tail -n 2 "$log" | tr '\n' ' ')"
	return 1
}

for name in backlog-late backlog-full; do
	file=$WORKDIR/$name.txt
	demo "$name" "$file" || continue
	expect_eq "$name/ladders-in-order" "1 2 3" \
		"$(sed -n 's/^connection \([0-9]*\):.*/\1/p' "$file" | tr '\n' ' ' | sed 's/ $//')"
	# the summary line, then the scenario's result: the last two lines
	expect_eq "$name/result-last" "synscope: 3 connections|scenario $name: ok" \
		"$(tail -n 2 "$file" | sed 's/ (.*//' | tr '\n' '|' | sed 's/|$//')"
done

file=$WORKDIR/refused-rfc-zh.txt
if demo refused "$file" --rfc --lang zh; then
	expect_true refused-rfc/notation grep -q '^    TCP Peer A  *TCP Peer B$' "$file"
	expect_true refused-rfc/explained-zh grep -q '^    # 客户端：' "$file"
	expect_true refused-rfc/banner-says-rfc grep -q '^按 RFC 9293 图示的记法绘制' "$file"
fi

# on_pty.py COLS OUT CMD...: runs CMD on a pseudo-terminal COLS columns wide
# (its window size, as a terminal emulator sets it), its output into OUT;
# exits as CMD did.
cat >"$WORKDIR/on_pty.py" <<'PY'
import fcntl, os, pty, struct, sys, termios
cols, out, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("COLUMNS", None)
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data.replace(b"\r\n", b"\n"))
sys.exit(os.waitstatus_to_exitcode(status))
PY

# widest OUT: the widest line's display columns and the line, colour codes out.
widest() {
	python3 - "$1" <<-'PY'
	import re, sys, unicodedata
	best = (0, "")
	for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
	    text = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
	    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
	    best = max(best, (w, text))
	print(best[0], best[1])
	PY
}

for opts in "" "--lang zh" "--rfc"; do
	tag="80cols${opts:+ $opts}"
	file=$WORKDIR/merged-fin-${opts//[- ]/}.pty
	PORT=$((PORT + 50))
	# shellcheck disable=SC2086 # the options are words
	if ! DEMO_PORT=$PORT timeout "$TIMEOUT" python3 "$WORKDIR/on_pty.py" 80 "$file" "$DEMO" merged-fin $opts; then
		fail "$tag/run" "demo.sh failed: $(tail -n 2 "$file" | tr '\n' ' ')"
		continue
	fi
	pass "$tag/run"
	read -r cols line < <(widest "$file")
	if [ "$cols" -le 80 ]; then
		pass "$tag/fits"
	else
		fail "$tag/fits" "a line of $cols columns: $line"
	fi
	if [ "$opts" = "--lang zh" ]; then
		expect_true "$tag/banner-zh" grep -qx 'synscope 演示：merged-fin' "$file"
		expect_true "$tag/summary-zh" grep -q '^  服务器读到 EOF 立即关闭' "$file"
		if grep -q 'A client process\|Left lane' "$file"; then
			fail "$tag/no-english-banner" "the banner is in English"
		else
			pass "$tag/no-english-banner"
		fi
	fi
	# every ladder row is there: the rows the header counts, numbered 1..N
	if [ -z "$opts" ] || [ "$opts" = "--lang zh" ]; then
		rows=$(sed -n 's/^  started .*, \([0-9]*\) rows, .*/\1/p' "$file" | head -n 1)
		last=$(grep -cE '^ {0,3}[0-9]+ +[0-9]+\.[0-9]+ ' "$file")
		expect_eq "$tag/every-row" "$rows" "$last"
	fi
done

finish
