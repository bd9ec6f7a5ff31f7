#!/usr/bin/env bash
# test_so_error: getsockopt(SO_ERROR), how a program learns what became of
# its non-blocking connect() (curl does it after poll()). A Python client on
# loopback port 21895 connects without blocking twice: first with nothing
# listening (refused), then to a listener; after each, poll() and
# getsockopt(SO_ERROR), and getsockopt(SO_TYPE), an option synscope does not
# follow. Checked in JSON Lines, live, under -P 21895 and in the live
# recording replayed under -P 21895: one return record
# per SO_ERROR call, on the client lane, with the value Python got (111,
# then 0) and no entry records; SO_TYPE nowhere. And the ladder: the rows
# "getsockopt(fd=N, SO_ERROR): ECONNREFUSED" and ": 0" with their
# explanations.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21895
need_root

cat >"$WORKDIR/app.py" <<'PY'
import select, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
seen = []

def attempt():
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    select.select([], [c], [], 5)
    seen.append(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    c.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
    return c

attempt().close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(4)
c = attempt()
s, _ = l.accept()
c.close()
s.close()
l.close()
with open(out, "w") as f:
    for v in seen:
        print("client getsockopt SO_ERROR", v, file=f)
PY

# getsockopt_rows FILE: "lane getsockopt OPTION value" for each getsockopt
# record, in time order; an entry record or a return without a value says so
getsockopt_rows() {
	python3 - "$1" <<'PY'
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["t_ns"])
for r in rows:
    if r["kind"] != "syscall" or r["name"] != "getsockopt":
        continue
    if r["phase"] != "return" or r["ret"] != 0 or "value" not in r:
        print("unexpected:", json.dumps(r))
        continue
    print(r.get("end"), "getsockopt", r["optname"], r["value"])
PY
}

for how in all port; do
	opts=(-w "$WORKDIR/all.rec")
	[ "$how" = port ] && opts=(-P "$PORT")
	traced_program "$how" "$WORKDIR/seen.txt" "${opts[@]}" -f jsonl -o "$WORKDIR/$how.jsonl" -- \
		python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/seen.txt" || continue
	expect_eq "$how/program-saw" "client getsockopt SO_ERROR 111
client getsockopt SO_ERROR 0" "$(cat "$WORKDIR/seen.txt")"
	expect_eq "$how/records" "$(cat "$WORKDIR/seen.txt")" "$(getsockopt_rows "$WORKDIR/$how.jsonl")"
done

# the whole recording replayed under -P: the same returns pass the filter
"$SYNSCOPE" -r "$WORKDIR/all.rec" -P "$PORT" -f jsonl -o "$WORKDIR/replay.jsonl" \
	2>"$WORKDIR/replay.err" || fail replay/run "$(last_line "$WORKDIR/replay.err")"
expect_eq replay/records "$(cat "$WORKDIR/seen.txt")" "$(getsockopt_rows "$WORKDIR/replay.jsonl")"

traced_run ladder /dev/null --explain -P "$PORT" -o "$WORKDIR/ladder.txt" -- \
	python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/seen.txt"
expect_true ladder/refused grep -Eq "\| getsockopt\(fd=[0-9]+, SO_ERROR\): ECONNREFUSED +\|" \
	"$WORKDIR/ladder.txt"
expect_true ladder/refused-explained grep -q "# getsockopt(SO_ERROR) answers ECONNREFUSED: an RST" \
	"$WORKDIR/ladder.txt"
expect_true ladder/open grep -Eq "\| getsockopt\(fd=[0-9]+, SO_ERROR\): 0 +\|" "$WORKDIR/ladder.txt"
expect_true ladder/open-explained grep -q "# getsockopt(SO_ERROR) answers 0: no error waits" \
	"$WORKDIR/ladder.txt"
expect_true ladder/no-so-type not grep -q "SO_TYPE" "$WORKDIR/ladder.txt"

finish
