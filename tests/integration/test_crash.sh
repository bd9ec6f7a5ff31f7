#!/usr/bin/env bash
# test_crash: a traced command that crashes or is killed still gets its
# connections rendered, and synscope's exit status says how it died.
#  - SEGV mid-connection: a Python program connects to its own listener on
#    port 21530, sends "hello", reads it on the accepted socket and kills
#    itself with SIGSEGV. Its sockets are closed by the kernel (no close()
#    call): the ladder still shows the connection, both python3 lanes, the
#    handshake, the kernel's FIN for the dead process, and the summary; exit
#    status 139 (128 + SIGSEGV).
#  - SIGKILL the same way on port 21531: exit status 137, same ladder.
#  - a shell that ran a whole tcpdemo pair (port 21532) and then dies of
#    SIGSEGV: the complete connection is rendered, exit status 139.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
ulimit -c 0 # no core files from the crashes on purpose

# shellcheck disable=SC2317 # called by the traced bash -c
dies_mid_connection() {
	python3 - "$1" "$2" <<'PY'
import os, signal, socket, sys
port, sig = int(sys.argv[1]), getattr(signal, sys.argv[2])
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen()
c = socket.create_connection(("127.0.0.1", port))
a, _ = l.accept()
c.sendall(b"hello\n")
a.recv(6)
os.kill(os.getpid(), sig)
PY
}
export -f dies_mid_connection

for case in SIGSEGV:21530:139 SIGKILL:21531:137; do
	IFS=: read -r sig port want <<<"$case"
	L="$WORKDIR/$sig.txt"
	timeout "$TIMEOUT" "$SYNSCOPE" --no-color -P "$port" -- bash -c 'dies_mid_connection "$@"' _ "$port" "$sig" \
		>"$L" 2>"$L.err"
	expect_eq "$sig-exit-status" "$want" "$?"
	expect_true "$sig-header" grep -q "^connection 1: 127.0.0.1:[0-9]* python3/[0-9]* -> 127.0.0.1:$port python3/[0-9]*" "$L"
	expect_true "$sig-syn" grep -q -- "--SYN seq=" "$L"
	expect_true "$sig-data" grep -q -- "--PSH,ACK seq=.*" "$L"
	expect_true "$sig-kernel-fin" grep -q "FIN,ACK seq=" "$L"
	expect_eq "$sig-no-close-call" 0 "$(grep -c 'close(fd=' "$L")"
	expect_true "$sig-summary" grep -q "^synscope: 1 connection (0 incomplete)" "$L"
done

PORT=21532
L="$WORKDIR/shell.txt"
# shellcheck disable=SC2016 # expanded by the traced shell
timeout "$TIMEOUT" "$SYNSCOPE" --no-color -P "$PORT" -- bash -c \
	'"$1" pair --scenario client-close --port "$2" && kill -SEGV $$' _ "$TCPDEMO" "$PORT" >"$L" 2>"$L.err"
expect_eq shell-exit-status 139 "$?"
expect_true shell-header grep -q "^connection 1: .* demo-client/[0-9]* -> 127.0.0.1:$PORT demo-server/" "$L"
expect_true shell-complete grep -q "rows, complete" "$L"
finish
