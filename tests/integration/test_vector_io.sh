#!/usr/bin/env bash
# test_vector_io: the calls that move a stream's bytes besides read() and
# write(): readv(), writev() (nginx's answers) and sendfile() (nginx's files).
# A Python server and client on loopback port 21890: the client sends a
# request with writev() (2 buffers), the server reads it with readv(),
# answers with writev() (a header and a body) and sendfile() (a 3000-byte
# file), the client reads the answer with readv() and read(). Checked in
# JSON Lines, live and under -P 21890: each call's entry and return on the
# right lane with the byte counts Python saw, and the bytes each lane's
# calls wrote are the bytes its data segments carried; the ladder names
# them and explains writev()'s and sendfile()'s returns as writes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21890
need_root

head -c 3000 /dev/zero | tr '\0' 'f' >"$WORKDIR/file.bin"
cat >"$WORKDIR/app.py" <<'PY'
import os, socket, sys
port, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(4)
c = socket.create_connection(("127.0.0.1", port))
s, _ = l.accept()
log = []
log.append(("client", "writev", os.writev(c.fileno(), [b"GET / HTTP/1.1\r\n", b"Host: x\r\n\r\n"])))
buf = bytearray(27)
log.append(("server", "readv", os.readv(s.fileno(), [buf])))
log.append(("server", "writev", os.writev(s.fileno(), [b"HTTP/1.1 200 OK\r\n\r\n", b"hello\n"])))
with open(path, "rb") as f:
    log.append(("server", "sendfile", os.sendfile(s.fileno(), f.fileno(), 0, 3000)))
got, want = 0, 25 + 3000
while got < want:
    b = bytearray(want - got)
    n = os.readv(c.fileno(), [b])
    log.append(("client", "readv", n))
    got += n
c.close()
s.close()
l.close()
with open(out, "w") as f:
    for lane, call, n in log:
        print(lane, call, n, file=f)
PY

# jsonl_calls FILE: "lane call ret" for each return of a vector call, in
# time order; then "bytes lane N" for each lane's data segments
jsonl_calls() {
	python3 - "$1" <<'PY'
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["t_ns"])
sent = {"client": 0, "server": 0}
entries = {}
for r in rows:
    if r["kind"] == "syscall" and r["name"] in ("readv", "writev", "sendfile"):
        key = (r.get("end"), r["name"])
        if r["phase"] == "entry":
            entries[key] = entries.get(key, 0) + 1
        else:
            if not entries.get(key):
                print("a return without its entry:", *key)
            entries[key] = entries.get(key, 0) - 1
            print(r.get("end"), r["name"], r["ret"])
    if r["kind"] == "segment" and r["dir"] == "tx" and r.get("end") in sent:
        sent[r["end"]] += r["len"]
for lane in ("client", "server"):
    print("bytes", lane, sent[lane])
PY
}

# what the program saw, and the bytes each lane wrote
want() {
	cat "$WORKDIR/seen.txt"
	awk '$2 != "readv" { s[$1] += $3 } END { print "bytes client", s["client"] + 0;
		print "bytes server", s["server"] + 0 }' "$WORKDIR/seen.txt"
}

for how in all port; do
	opts=()
	[ "$how" = port ] && opts=(-P "$PORT")
	traced_program "$how" "$WORKDIR/seen.txt" "${opts[@]}" -f jsonl -o "$WORKDIR/$how.jsonl" -- \
		python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/file.bin" "$WORKDIR/seen.txt" || continue
	expect_eq "$how/calls" "$(want)" "$(jsonl_calls "$WORKDIR/$how.jsonl")"
done

# the ladder names them, and explains the writes as writes
traced_run ladder /dev/null --explain -P "$PORT" -o "$WORKDIR/ladder.txt" -- \
	python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/file.bin" "$WORKDIR/seen.txt"
expect_true ladder/writev grep -q "# writev(): 25 bytes copied into the send buffer" "$WORKDIR/ladder.txt"
expect_true ladder/sendfile grep -q "# sendfile(): 3000 bytes copied into the send buffer" \
	"$WORKDIR/ladder.txt"
expect_true ladder/readv grep -q "readv = " "$WORKDIR/ladder.txt"

finish
