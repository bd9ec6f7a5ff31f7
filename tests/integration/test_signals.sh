#!/usr/bin/env bash
# test_signals: how synscope ends on a signal or a closed output pipe.
#  - SIGINT and SIGTERM (system-wide, -P 21510/21511, JSONL to a file): a
#    connection still open (its server lingers 5 s) is written, every line
#    whole; the summary counts it incomplete; exit status 0; every BPF
#    program, link and map it held is gone afterwards.
#  - SIGPIPE, `synscope -f stream | head -n 1` (-P 21512): synscope ends on
#    its own once head has gone, even with nothing more to write, with exit
#    status 0, no error message, and nothing left in the kernel.
#  - the same with a traced command still running (-P 21513) and with
#    ladders longer than the pipe takes (-P 21514): exit status 0, quiet.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=bpf_ids.sh
. "$(dirname "$0")/bpf_ids.sh"

need_root

# jsonl_whole FILE: every line parses as JSON and the file ends with a newline.
# shellcheck disable=SC2317 # called through expect_true
jsonl_whole() {
	python3 - "$1" <<'PY'
import json, sys
data = open(sys.argv[1], encoding="utf-8").read()
assert data.endswith("\n"), "no newline at the end"
for line in data.splitlines():
    json.loads(line)
PY
}

for sig in INT TERM; do
	port=$([ "$sig" = INT ] && echo 21510 || echo 21511)
	out="$WORKDIR/$sig.jsonl"
	start_synscope "$WORKDIR/$sig.out" -f jsonl -o "$out" -P "$port" || abort "synscope did not start"
	bpf_ids_of "$SYNSCOPE_PID" >"$WORKDIR/$sig.ids"
	"$TCPDEMO" pair --scenario client-close --port "$port" --linger-ms 5000 &
	pair=$!
	sleep 1 # the client has closed; the server lingers
	kill -"$sig" "$SYNSCOPE_PID"
	_synscope_exit 10 "did not exit within 10 s of SIG$sig"
	kill_wait "$pair"
	expect_true "$sig-jsonl-whole" jsonl_whole "$out"
	expect_true "$sig-connect-written" grep -q "\"dport\":$port.*\"name\":\"connect\"" "$out"
	expect_true "$sig-summary" grep -q '^synscope: 1 connection (1 incomplete)' "$WORKDIR/$sig.out.err"
	expect_true "$sig-had-objects" test -s "$WORKDIR/$sig.ids"
	if bpf_ids_gone "$WORKDIR/$sig.ids" 10; then
		pass "$sig-detached"
	else
		fail "$sig-detached" "left: $(bpf_ids_left "$WORKDIR/$sig.ids" | tr '\n' ' ')"
	fi
done

# SIGPIPE: head takes the first line and goes; synscope has nothing more to
# write (the pair's server lingers) and must still notice and end.
PORT=21512
(
	bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$WORKDIR/pipe.pid" \
		"$SYNSCOPE" -f stream -P "$PORT" 2>"$WORKDIR/pipe.err" | head -n 1 >"$WORKDIR/pipe.first"
	echo "${PIPESTATUS[0]}" >"$WORKDIR/pipe.rc"
) &
wait_for_line "$WORKDIR/pipe.err" '^synscope: tracing' 20 || abort "synscope did not start"
bpf_ids_of "$(cat "$WORKDIR/pipe.pid")" >"$WORKDIR/pipe.ids"
"$TCPDEMO" pair --scenario client-close --port "$PORT" --linger-ms 3000 &
pair=$!
wait_for_line "$WORKDIR/pipe.rc" '.' 20
kill_wait "$pair"
expect_eq pipe-exit-status 0 "$(cat "$WORKDIR/pipe.rc" 2>/dev/null)"
expect_eq pipe-first-line 1 "$(wc -l <"$WORKDIR/pipe.first")"
expect_eq pipe-quiet "" "$(grep -v -e '^synscope: tracing$' -e '^synscope: [0-9]* connection' "$WORKDIR/pipe.err")"
expect_true pipe-had-objects test -s "$WORKDIR/pipe.ids"
if bpf_ids_gone "$WORKDIR/pipe.ids" 10; then
	pass pipe-detached
else
	fail pipe-detached "left: $(bpf_ids_left "$WORKDIR/pipe.ids" | tr '\n' ' ')"
fi

# with a command that is still running when head goes: synscope ends it
# and exits 0 (the command did not fail: synscope stopped it)
PORT=21513
timeout 30 "$SYNSCOPE" -f stream -P "$PORT" -- "$TCPDEMO" pair --scenario client-close --port "$PORT" \
	--linger-ms 3000 2>"$WORKDIR/cmd.err" | head -n 1 >/dev/null
expect_eq pipe-command-exit-status 0 "${PIPESTATUS[0]}"
expect_eq pipe-command-quiet "" "$(grep -v -e '^synscope: tracing$' -e '^synscope: [0-9]* connection' "$WORKDIR/cmd.err")"

# ladders: written when a connection ends, more than head reads
PORT=21514
timeout 30 "$SYNSCOPE" -P "$PORT" -- "$TCPDEMO" pair --scenario parallel --count 20 --port "$PORT" \
	2>"$WORKDIR/ladder.err" | head -n 2 >/dev/null
expect_eq pipe-ladder-exit-status 0 "${PIPESTATUS[0]}"
expect_eq pipe-ladder-quiet "" "$(grep -v -e '^synscope: tracing$' -e '^synscope: [0-9]* connection' "$WORKDIR/ladder.err")"
finish
