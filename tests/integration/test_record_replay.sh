#!/usr/bin/env bash
# test_record_replay: `synscope -w` records, `synscope -r` replays (as an
# unprivileged user) through the same tracker and sinks. Asserts:
#  - for ladder, stream and jsonl: a traced tcpdemo pair (client-close, port
#    21001) written with -w REC -o LIVE exits 0 when its command does, and
#    `-r REC` with the same options, run as nobody, writes a file
#    byte-identical to LIVE;
#  - the JSONL of that run read back with -r (as nobody): the same JSONL
#    byte for byte, and the recording's ladder but for where its "socket
#    freed" rows sit (JSON Lines keeps none: the reader rebuilds them);
#  - the recording is a valid gzip file (gzip -t) whose data starts with
#    "SYNSCOPE" (zcat | head -c);
#  - -w alone (a name without .gz) draws nothing, says how many events it
#    recorded, and writes them uncompressed ("SYNSCOPE" at byte 0, not gzip);
#    replayed as nobody it is the connection, complete, with that many events;
#    a -r -P -w copy of it to a .gz name is gzip and replays the same ladder;
#  - a recording of two connections (ports 21002 and 21003) replayed with
#    -P 21003 gives exactly the one connection, row for row what a live
#    `-P 21003` run traced at the same time (timestamps aside);
#  - a copy cut to 60% renders what was complete (its stream lines are the
#    first lines of the whole replay), says "truncated at byte N (record M)"
#    on its last stderr line and exits 1;
#  - garbage is refused with one line and exit 1;
#  - SIGINT and SIGTERM while recording system-wide (-P 21004) leave a
#    complete recording: gzip -t passes, replay exits 0 and is identical to
#    what synscope printed live;
#  - lost events (a 4 KiB ring buffer under a storm on port 21005) are in the
#    recording too: the replayed JSONL, lost lines included, is identical;
#  - -w - and -r - (tcpdump's): a live -w - (port 21006) through a pipe into
#    -r - as nobody draws the connection complete, while the trace still
#    runs, with every event sent; a
#    file on standard input and a -w - | -r - pipe draw the file's ladder;
#    -w - > FILE writes what -w FILE does; neither onto nor from a terminal
#    (exit 2, one line); a reader that goes away (| head -c 100) ends the
#    run with exit 0 and one line that says so, no write error; Ctrl-C to
#    both ends of a live pipe mid-connection: the reader reads on to the
#    end, draws the connection INCOMPLETE with every event sent, both exit
#    0; a second Ctrl-C stops a reader whose pipe brings no end (exit 1, one
#    line, what came drawn); --top takes a pipe (exit 0) and refuses a file
#    on standard input (exit 2).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21001
PORT_A=21002
PORT_B=21003
PORT_SIG=21004
PORT_LOST=21005
PORT_PIPE=21006

need_root
command -v setpriv >/dev/null || abort "setpriv (util-linux) not installed"

# nobody must reach the recordings and a place to write: its own directory
chmod 711 "$WORKDIR"
NB="$WORKDIR/nobody"
install -d -m 755 -o nobody "$NB"
cp "$SYNSCOPE" "$NB/synscope"
chmod 755 "$NB/synscope"

# as_nobody ARGS...: synscope run as nobody, no capabilities, no groups
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$NB/synscope" "$@"
}

# live_traced PORT OUT ARGS...: synscope ARGS -P PORT -- tcpdemo pair on PORT,
# in the foreground; stderr to OUT.err. Returns synscope's exit status.
live_traced() {
	local port=$1 out=$2
	shift 2
	timeout "$TIMEOUT" "$SYNSCOPE" "$@" -P "$port" -- \
		"$TCPDEMO" pair --scenario client-close --port "$port" >"$out" 2>"$out.err"
}

# ---- each format: live with -w, replay as nobody, identical bytes --------
for fmt in ladder stream jsonl; do
	rec="$NB/rec.$fmt.gz"
	live_traced "$PORT" "$WORKDIR/live.$fmt.stdout" -f "$fmt" -w "$rec" -o "$WORKDIR/live.$fmt"
	rc=$?
	expect_eq "$fmt/live-exit" 0 "$rc"
	chmod 644 "$rec"
	expect_true "$fmt/gzip-t" gzip -t "$rec"
	expect_eq "$fmt/zcat-magic" SYNSCOPE "$(zcat "$rec" | head -c 8)"
	as_nobody -r "$rec" -f "$fmt" -o "$NB/replay.$fmt" 2>"$NB/replay.$fmt.err"
	rc=$?
	expect_eq "$fmt/replay-exit" 0 "$rc"
	expect_true "$fmt/replay-says-so" grep -q "^synscope: replaying $rec: recorded on " \
		"$NB/replay.$fmt.err"
	if cmp "$WORKDIR/live.$fmt" "$NB/replay.$fmt" >/dev/null 2>&1 && [ -s "$WORKDIR/live.$fmt" ]; then
		pass "$fmt/identical"
	else
		fail "$fmt/identical" "$(cmp "$WORKDIR/live.$fmt" "$NB/replay.$fmt" 2>&1 | head -n 1)"
	fi
done
# ---- -r FILE.jsonl: the JSON Lines of that run drawn again ---------------
# the same JSONL again, byte for byte; the recording's ladder but for where
# each "socket freed" row sits (rebuilt: JSONL has none) and so the times
as_nobody -r "$WORKDIR/live.jsonl" -f jsonl -o "$NB/again.jsonl" 2>"$NB/again.err"
expect_eq jsonl-read/exit 0 "$?"
expect_true jsonl-read/says-so grep -q "^synscope: replaying $WORKDIR/live.jsonl: [0-9]* events from JSON Lines" \
	"$NB/again.err"
expect_true jsonl-read/same-jsonl cmp "$WORKDIR/live.jsonl" "$NB/again.jsonl"
# rows_but_freed LADDER: its rows without number, time and delta; no "socket
# freed", no summary line (its event count counts what came back)
rows_but_freed() {
	sed -E 's/^ *[0-9]+ +[0-9]+\.[0-9]+ +[^ ]+ //' "$1" | grep -v -e "socket freed" -e "^synscope: "
}
as_nobody -r "$WORKDIR/live.jsonl" -o "$NB/jsonl.ladder" 2>/dev/null
as_nobody -r "$NB/rec.jsonl.gz" -o "$NB/rec.ladder" 2>/dev/null
expect_true jsonl-read/ladder-drawn grep -q "^  started .* rows, complete$" "$NB/jsonl.ladder"
expect_eq jsonl-read/same-ladder "$(rows_but_freed "$NB/rec.ladder")" \
	"$(rows_but_freed "$NB/jsonl.ladder")"
expect_true ladder/the-connection grep -q \
	"^connection 1: 127.0.0.1:[0-9]* demo-client/[0-9]* -> 127.0.0.1:$PORT demo-server/" \
	"$WORKDIR/live.ladder"

# ---- -w alone: the events uncompressed, nothing drawn ---------------------
# (a name without .gz; like tcpdump -w, the recording is all that is made)
live_traced "$PORT" "$WORKDIR/only.stdout" -w "$NB/only.rec"
expect_eq only/live-exit 0 "$?"
chmod 644 "$NB/only.rec"
expect_eq only/nothing-drawn 0 "$(stat -c %s "$WORKDIR/only.stdout")"
expect_eq only/plain-magic SYNSCOPE "$(head -c 8 "$NB/only.rec")"
if gzip -t "$NB/only.rec" 2>/dev/null; then
	fail only/not-gzip "a recording named without .gz is gzip"
else
	pass only/not-gzip
fi
recorded=$(sed -nE 's/^synscope: ([0-9]+) events recorded in .*, 0 lost$/\1/p' "$WORKDIR/only.stdout.err")
as_nobody -r "$NB/only.rec" -o "$NB/only.ladder" 2>"$NB/only.err"
expect_eq only/replay-exit 0 "$?"
expect_true only/the-connection grep -q \
	"^connection 1: 127.0.0.1:[0-9]* demo-client/[0-9]* -> 127.0.0.1:$PORT demo-server/.*" \
	"$NB/only.ladder"
expect_true only/complete grep -q '^  started .*, complete$' "$NB/only.ladder"
# the count said at the end is what the file holds
expect_eq only/events-said "$(sed -nE 's/^synscope: .*, ([0-9]+) events, 0 lost(,.*)?$/\1/p' "$NB/only.err")" \
	"${recorded:-none}"
# a filtered copy of a recording, also nothing drawn, compressed by its name
as_nobody -r "$NB/only.rec" -P "$PORT" -w "$NB/only-copy.gz" >"$NB/copy.out" 2>"$NB/copy.err"
expect_eq only/copy-exit 0 "$?"
expect_eq only/copy-nothing-drawn 0 "$(stat -c %s "$NB/copy.out")"
expect_true only/copy-gzip gzip -t "$NB/only-copy.gz"
as_nobody -r "$NB/only-copy.gz" -o "$NB/only-copy.ladder" 2>/dev/null
expect_true only/copy-identical cmp "$NB/only.ladder" "$NB/only-copy.ladder"

# ---- -w - and -r -: a recording through a pipe ----------------------------
# (tcpdump's -w - and -r -: ssh host synscope -w - | synscope -r -)
# live, into a pipe, and drawn by a replay as nobody at its other end
mkfifo -m 666 "$NB/pipe"
as_nobody -r - -o "$NB/pipe.ladder" <"$NB/pipe" 2>"$NB/reader.err" &
reader=$!
if start_synscope "$NB/pipe" -w - -P "$PORT_PIPE"; then
	"$TCPDEMO" pair --scenario client-close --port "$PORT_PIPE" >/dev/null ||
		fail pipe/pair "tcpdemo pair failed"
	# drawn while the trace goes on: the reader writes at the ticks
	if wait_for_line "$NB/pipe.ladder" '^connection 1: ' 10; then
		pass pipe/drawn-while-tracing
	else
		fail pipe/drawn-while-tracing "nothing drawn 10 s after the connection"
	fi
	stop_synscope
fi
wait "$reader"
expect_eq pipe/reader-exit 0 "$?"
expect_true pipe/the-connection grep -q \
	"^connection 1: 127.0.0.1:[0-9]* demo-client/[0-9]* -> 127.0.0.1:$PORT_PIPE demo-server/.*" \
	"$NB/pipe.ladder"
expect_true pipe/complete grep -q '^  started .*, complete$' "$NB/pipe.ladder"
sent=$(sed -nE 's/^synscope: ([0-9]+) events recorded in standard output, 0 lost$/\1/p' "$NB/pipe.err")
expect_eq pipe/every-event-arrived "$(sed -nE 's/^synscope: .*, ([0-9]+) events, 0 lost(,.*)?$/\1/p' \
	"$NB/reader.err")" "${sent:-none}"
expect_true pipe/says-standard-input grep -q "^synscope: replaying standard input: recorded on " \
	"$NB/reader.err"
# gone_within PID SECONDS: true once PID has exited; false, and it killed,
# when it is still there after SECONDS (a test must not hang on it)
gone_within() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	return 1
}

# Ctrl-C in the terminal reaches both ends of the pipe: the reader reads on
# to the end its writer makes, and draws the connection still open then
setsid bash -c "'$SYNSCOPE' -w - -P $PORT_PIPE 2>'$NB/int.w.err' |
	'$SYNSCOPE' -r - -o '$NB/int.ladder' 2>'$NB/int.r.err'; echo \${PIPESTATUS[*]} >'$NB/int.rc'" &
group=$!
if wait_for_line "$NB/int.w.err" '^synscope: tracing' 20; then
	"$TCPDEMO" pair --scenario client-close --port "$PORT_PIPE" --linger-ms 3000 >/dev/null &
	pair=$!
	sleep 1 # mid-connection: the server lingers
	kill -INT -- -"$group"
	gone_within "$group" 15 || fail int/ended "the pipe still ran 15 s after Ctrl-C"
	wait "$group"
	wait "$pair"
	expect_eq int/both-exit "0 0" "$(cat "$NB/int.rc" 2>/dev/null)"
	expect_true int/says-it-reads-on grep -q "^synscope: reading on to the end of the recording" \
		"$NB/int.r.err"
	expect_true int/drawn-incomplete grep -q "INCOMPLETE: still open when tracing stopped" \
		"$NB/int.ladder"
	sent=$(sed -nE 's/^synscope: ([0-9]+) events recorded in standard output, 0 lost$/\1/p' \
		"$NB/int.w.err")
	expect_eq int/every-event-arrived "$(sed -nE 's/^synscope: .*, ([0-9]+) events, 0 lost(,.*)?$/\1/p' \
		"$NB/int.r.err")" "${sent:-none}"
else
	fail int/start "$(last_line "$NB/int.w.err")"
	kill -INT -- -"$group"
fi
# a second Ctrl-C stops a reader whose pipe brings no end: what came is drawn
size=$(stat -c %s "$NB/only.rec")
mkfifo "$NB/stuck"
{ head -c $((size - 20)) "$NB/only.rec"; exec sleep 30; } >"$NB/stuck" &
writer=$!
"$SYNSCOPE" -r - -o "$NB/stuck.ladder" <"$NB/stuck" 2>"$NB/stuck.err" &
reader=$!
wait_for_line "$NB/stuck.err" '^synscope: replaying standard input' 10
kill -INT "$reader"
wait_for_line "$NB/stuck.err" '^synscope: reading on' 10
kill -INT "$reader"
gone_within "$reader" 10 || fail stuck/ended "still reading 10 s after a second Ctrl-C"
wait "$reader"
expect_eq stuck/exit 1 "$?"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
expect_eq stuck/says-so "synscope: standard input: stopped (Ctrl-C) before the recording's end: what came is drawn" \
	"$(last_line "$NB/stuck.err")"
expect_true stuck/drawn grep -q "^connection 1: " "$NB/stuck.ladder"
# on_tty NAME STATUS LINE COMMAND: COMMAND run on a terminal (a pty of
# script's) exits STATUS and writes a line that starts with LINE
on_tty() {
	script -qec "$4" /dev/null >"$NB/tty.out" 2>&1
	expect_eq "$1-exit" "$2" "$?"
	expect_true "$1-says" grep -aq "^$3" "$NB/tty.out"
}
# --top: a pipe is live, a file on standard input is over
on_tty top/pipe 0 "synscope: 1 connection (0 incomplete)" \
	"cat '$NB/only.rec' | '$SYNSCOPE' -r - --top"
on_tty top/file 2 "synscope: --top shows what happens now: with -r, only a live recording" \
	"'$SYNSCOPE' -r - --top <'$NB/only.rec'"
# from a file on standard input, and through a pipe: the file's own ladder
as_nobody -r - -o "$NB/stdin.ladder" <"$NB/only.rec" 2>/dev/null
expect_eq stdin/exit 0 "$?"
expect_true stdin/identical cmp "$NB/only.ladder" "$NB/stdin.ladder"
as_nobody -r "$NB/only.rec" -w - 2>/dev/null | as_nobody -r - -o "$NB/piped.ladder" 2>/dev/null
expect_eq piped/exit "0 0" "${PIPESTATUS[*]}"
expect_true piped/identical cmp "$NB/only.ladder" "$NB/piped.ladder"
# -w - into a file is the recording -w FILE writes
(cd "$NB" && as_nobody -r only.rec -w - >"$NB/dash.rec" 2>/dev/null)
as_nobody -r "$NB/only.rec" -w "$NB/named.rec" 2>/dev/null
expect_true dash/same-bytes-as-named cmp "$NB/named.rec" "$NB/dash.rec"
# not onto a terminal, and not from one
on_tty tty/write 2 "synscope: a recording is binary: pipe -w - or redirect it to a file, not to a terminal" \
	"'$SYNSCOPE' -r '$NB/only.rec' -w -"
on_tty tty/read 2 "synscope: -r - reads a recording from standard input, and it is a terminal" \
	"'$SYNSCOPE' -r -"

# ---- a port filter on a recording of two connections ---------------------
start_synscope "$WORKDIR/live-b.out" -f jsonl -o "$WORKDIR/live-b.jsonl" -P "$PORT_B" ||
	abort "synscope -P $PORT_B did not start"
timeout "$TIMEOUT" "$SYNSCOPE" -f jsonl -o "$WORKDIR/both.jsonl" -w "$NB/both.gz" \
	-P "$PORT_A" -P "$PORT_B" -- bash -c "
	'$TCPDEMO' pair --scenario client-close --port $PORT_A &&
	'$TCPDEMO' pair --scenario client-close --port $PORT_B" 2>"$WORKDIR/both.err"
expect_eq two/live-exit 0 "$?"
sleep 0.3
stop_synscope
chmod 644 "$NB/both.gz"
as_nobody -r "$NB/both.gz" -f jsonl -P "$PORT_B" -o "$NB/b.jsonl" 2>"$NB/b.err"
expect_eq two/replay-exit 0 "$?"
if out=$(python3 - "$WORKDIR/both.jsonl" "$NB/b.jsonl" "$WORKDIR/live-b.jsonl" "$PORT_A" "$PORT_B" <<'PY'
import json, sys
both, replayed, live, a, b = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def rows(p):
    return [json.loads(l) for l in open(p)]
problems = []
rb, rr, rl = rows(both), rows(replayed), rows(live)
conns_both = {r["conn"] for r in rb if r["conn"]}
conns_rep = {r["conn"] for r in rr if r["conn"]}
if len(conns_both) != 2:
    problems.append(f"the recording has {len(conns_both)} connections, want 2")
if len(conns_rep) != 1:
    problems.append(f"the filtered replay has {len(conns_rep)} connections, want 1")
if any(a in (r["sport"], r["dport"]) for r in rr):
    problems.append(f"a row on port {a} in the -P {b} replay")
# row for row what the live -P run traced, but for the time, on each lane:
# the order within a lane is cause and effect, the order between the two
# lanes (a server's read() entry, the client's read() return) is the
# scheduler's and differs between two runs; so do the times a connection
# line measures (each tracer reads the clock itself)
# Within a lane, two events on two CPUs microseconds apart (a segment the
# softirq sends, the server's read() entry) carry each tracer's own stamps
# and may swap between them: an adjacent swap of rows less than 100 us
# apart in both runs is the same trace.
def lanes(rs):
    out = {}
    for r in rs:
        out.setdefault((r["conn"], r.get("end")), []).append(
            ({k: v for k, v in r.items() if k not in ("t_ns", "tid", "pid") and
              not (r["kind"] == "connection" and k.endswith("_ns"))}, r.get("t_ns", 0)))
    return out
def near(x, y):
    return abs(x[1] - y[1]) < 100000
def unswapped(a, b):
    a, b, i = list(a), list(b), 0
    while i + 1 < min(len(a), len(b)):
        if a[i][0] != b[i][0] and a[i][0] == b[i + 1][0] and a[i + 1][0] == b[i][0] and \
                near(a[i], a[i + 1]) and near(b[i], b[i + 1]):
            b[i], b[i + 1] = b[i + 1], b[i]
        i += 1
    return [x[0] for x in a], [x[0] for x in b]
sr, sl = lanes(rr), lanes(rl)
for lane in sorted(set(sr) | set(sl), key=str):
    a, b = unswapped(sr.get(lane, []), sl.get(lane, []))
    if a != b:
        diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        problems.append(f"lane {lane}: {len(a)} replayed rows vs {len(b)} live; first difference "
                        f"at row {diff}: {a[diff] if diff < len(a) else None} / "
                        f"{b[diff] if diff < len(b) else None}")
if not any(r["kind"] == "syscall" and r.get("name") == "connect" and r.get("phase") == "entry" for r in rr):
    problems.append("the connect() entry did not pass the replay filter")
print("; ".join(problems))
PY
); then
	expect_eq two/filtered-like-live "" "$out"
else
	fail two/filtered-like-live "checker crashed"
fi

# ---- a truncated copy ----------------------------------------------------
full="$NB/rec.stream.gz"
# cut 60% into the events, gzip stream and all (the header, with the
# kernel's reason names, is most of a short recording of compact events:
# where it ends is found from its framed records)
usize=$(zcat "$full" | wc -c)
hsize=$(zcat "$full" | python3 -c '
import struct, sys
d, p, t = sys.stdin.buffer.read(), 12, 0
while t != 5:  # HEADER_END
    t, n = struct.unpack_from("<HH", d, p)
    p += 4 + n
print(p)')
zcat "$full" | head -c $((hsize + (usize - hsize) * 6 / 10)) | gzip -1 | head -c -8 >"$NB/cut.gz"
chmod 644 "$NB/cut.gz"
as_nobody -r "$full" -f stream -o "$NB/whole.stream" 2>/dev/null
as_nobody -r "$NB/cut.gz" -f stream -o "$NB/cut.stream" 2>"$NB/cut.err"
expect_eq cut/exit 1 "$?"
if tail -n 1 "$NB/cut.err" | grep -Eq "^synscope: $NB/cut.gz: truncated at byte [0-9]+ \(record [0-9]+\): "; then
	pass cut/says-where
else
	fail cut/says-where "last line: $(last_line "$NB/cut.err")"
fi
# the event lines rendered are the whole replay's first lines
grep -v '^synscope: ' "$NB/cut.stream" >"$NB/cut.lines"
n=$(wc -l <"$NB/cut.lines")
if [ "$n" -ge 5 ] && head -n "$n" "$NB/whole.stream" | cmp -s - "$NB/cut.lines"; then
	pass cut/renders-what-was-complete
else
	fail cut/renders-what-was-complete "$n lines, not the first lines of the whole replay"
fi
expect_true cut/summary grep -q "^synscope: 1 connection (1 incomplete)" "$NB/cut.stream"

# ---- garbage ---------------------------------------------------------------
head -c 4096 /dev/urandom >"$NB/garbage"
chmod 644 "$NB/garbage"
as_nobody -r "$NB/garbage" 2>"$NB/garbage.err" >"$NB/garbage.out"
expect_eq garbage/exit 1 "$?"
expect_eq garbage/message "synscope: $NB/garbage: not a synscope recording (neither gzip nor plain data starts with SYNSCOPE)" \
	"$(cat "$NB/garbage.err")"

# ---- a signal while recording: the file is still whole -------------------
for sig in INT TERM; do
	start_synscope "$WORKDIR/sig.$sig.out" -o "$WORKDIR/sig.$sig.txt" -w "$NB/sig.$sig.gz" \
		-P "$PORT_SIG" || abort "synscope -w did not start"
	"$TCPDEMO" pair --scenario client-close --port "$PORT_SIG" --linger-ms 2000 &
	pair=$!
	sleep 1 # mid-connection: the server still lingers
	kill -"$sig" "$SYNSCOPE_PID"
	_synscope_exit 10 "did not exit within 10 s of SIG$sig"
	wait "$pair"
	chmod 644 "$NB/sig.$sig.gz"
	expect_true "sig$sig/gzip-t" gzip -t "$NB/sig.$sig.gz"
	as_nobody -r "$NB/sig.$sig.gz" -o "$NB/sig.$sig.txt" 2>"$NB/sig.$sig.err"
	expect_eq "sig$sig/replay-exit" 0 "$?"
	expect_true "sig$sig/identical" cmp "$WORKDIR/sig.$sig.txt" "$NB/sig.$sig.txt"
	expect_true "sig$sig/incomplete" grep -q "INCOMPLETE: still open when tracing stopped" \
		"$NB/sig.$sig.txt"
done

# ---- lost events are recorded like the others -----------------------------
start_synscope "$WORKDIR/lost.out" -b 4 -P "$PORT_LOST" -f jsonl -o "$WORKDIR/lost.jsonl" \
	-w "$NB/lost.gz" || abort "synscope -b 4 -w did not start"
"$TCPDEMO" storm --port "$PORT_LOST" --conns 3000 --threads 2 >/dev/null || fail lost/storm "tcpdemo storm failed"
stop_synscope
chmod 644 "$NB/lost.gz"
as_nobody -r "$NB/lost.gz" -f jsonl -o "$NB/lost.jsonl" 2>/dev/null
expect_eq lost/replay-exit 0 "$?"
expect_true lost/has-lost-lines grep -q '"kind":"lost"' "$NB/lost.jsonl"
expect_true lost/identical cmp "$WORKDIR/lost.jsonl" "$NB/lost.jsonl"

# ---- the reader of -w - goes away: the run ends quietly, exit 0 -----------
# (megabytes of events into a pipe that takes 100 bytes, as `| head` does)
as_nobody -r "$NB/lost.gz" -w - 2>"$NB/gone.err" | head -c 100 >/dev/null
expect_eq gone/exit "0 0" "${PIPESTATUS[*]}"
if last_line "$NB/gone.err" | grep -Eq "^synscope: [0-9]+ events recorded in standard output, [0-9]+ lost; its reader went away$"; then
	pass gone/says-so
else
	fail gone/says-so "last line: $(last_line "$NB/gone.err")"
fi
expect_eq gone/no-error 0 "$(grep -c "cannot write" "$NB/gone.err")"
finish
