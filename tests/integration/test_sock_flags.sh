#!/usr/bin/env bash
# test_sock_flags: the flags a program gives socket() and accept4()
# (SOCK_NONBLOCK, SOCK_CLOEXEC), as nginx and nc ask for them. A Python
# program on loopback port 21897 makes its sockets with libc's socket() and
# accept4() (through ctypes: Python's own calls add SOCK_CLOEXEC), so it
# knows the flags it passed, and writes them down: a listener with none, a
# client with SOCK_NONBLOCK (connected without blocking), and accept4()
# with SOCK_NONBLOCK|SOCK_CLOEXEC. Checked against what it wrote:
#  - JSON Lines, live: each socket() return and the accept4() entry with its
#    descriptor and "sock_flags" (none where it passed none); under -P 21897
#    the accept4() entry alike (socket() is not reported under a port filter);
#  - the ladder of the recording, with --explain: the rows
#    "socket(SOCK_NONBLOCK) = N", "socket = N" and
#    "accept4(fd=N, SOCK_NONBLOCK|SOCK_CLOEXEC)", the explanation of a
#    socket made non-blocking, and accept4()'s own (named accept4()).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=21897
need_root

cat >"$WORKDIR/app.py" <<'PY'
import ctypes, os, select, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
NB, CX = socket.SOCK_NONBLOCK, socket.SOCK_CLOEXEC

def checked(what, fd):
    if fd < 0:
        sys.exit("%s: errno %d" % (what, ctypes.get_errno()))
    return fd

lfd = checked("socket", libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0))
l = socket.socket(fileno=lfd)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(4)
cfd = checked("socket", libc.socket(socket.AF_INET, socket.SOCK_STREAM | NB, 0))
c = socket.socket(fileno=cfd)
c.connect_ex(("127.0.0.1", port))
select.select([], [c], [], 5)
afd = checked("accept4", libc.accept4(lfd, None, None, NB | CX))
os.close(afd)
c.close()
l.close()
with open(out, "w") as f:
    print("socket", lfd, "-", file=f)
    print("socket", cfd, "SOCK_NONBLOCK", file=f)
    print("accept4", lfd, "SOCK_NONBLOCK|SOCK_CLOEXEC", file=f)
PY

# flagged_calls FILE: "socket FD FLAGS" for each socket() return and
# "accept4 FD FLAGS" for each accept4() entry, in time order ("-": none)
flagged_calls() {
	python3 - "$1" <<'PY'
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["t_ns"])
for r in rows:
    if r["kind"] != "syscall":
        continue
    if (r["name"], r["phase"]) in (("socket", "return"), ("accept4", "entry")):
        print(r["name"], r["ret"] if r["name"] == "socket" else r["fd"],
              "|".join(r.get("sock_flags", [])) or "-")
PY
}

for how in all port; do
	opts=(-w "$WORKDIR/all.rec")
	[ "$how" = port ] && opts=(-P "$PORT")
	traced_program "$how" "$WORKDIR/passed.txt" "${opts[@]}" -f jsonl -o "$WORKDIR/$how.jsonl" -- \
		python3 "$WORKDIR/app.py" "$PORT" "$WORKDIR/passed.txt" || continue
	want=$(cat "$WORKDIR/passed.txt")
	[ "$how" = port ] && want=$(grep '^accept4 ' "$WORKDIR/passed.txt")
	expect_eq "$how/records" "$want" "$(flagged_calls "$WORKDIR/$how.jsonl")"
done

"$SYNSCOPE" -r "$WORKDIR/all.rec" --explain -o "$WORKDIR/ladder.txt" 2>"$WORKDIR/ladder.err" ||
	fail ladder/run "$(last_line "$WORKDIR/ladder.err")"
read -r _ lfd _ < <(sed -n 1p "$WORKDIR/passed.txt")
read -r _ cfd _ < <(sed -n 2p "$WORKDIR/passed.txt")
expect_true ladder/listener grep -Eq "\| +socket = $lfd \|" "$WORKDIR/ladder.txt"
expect_true ladder/client grep -Eq "\| socket\(SOCK_NONBLOCK\) = $cfd +\|" "$WORKDIR/ladder.txt"
expect_true ladder/accept4 grep -Eq "\| +accept4\(fd=$lfd, SOCK_NONBLOCK\|SOCK_CLOEXEC\)" \
	"$WORKDIR/ladder.txt"
expect_true ladder/explained grep -q "SOCK_NONBLOCK makes it non-blocking" "$WORKDIR/ladder.txt"
expect_true ladder/accept4-explained grep -q "# accept4(): the server takes the next connection" \
	"$WORKDIR/ladder.txt"

finish
