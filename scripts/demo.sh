#!/usr/bin/env bash
# make demo: one real TCP connection on loopback, drawn as a ladder by synscope.
# Runs `synscope -P PORT -- tcpdemo pair --scenario client-close --port PORT`.
# Environment: DEMO_PORT (9000), SYNSCOPE, TCPDEMO (binaries).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
TCPDEMO=${TCPDEMO:-$ROOT/build/tests/tcpdemo}
PORT=${DEMO_PORT:-9000}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: synscope loads BPF programs into the kernel: run it as root (sudo make demo)." >&2
	exit 1
fi
for bin in "$SYNSCOPE" "$TCPDEMO"; do
	[ -x "$bin" ] || { echo "demo: $bin is not built: run make" >&2; exit 1; }
done

cat <<EOF
synscope demo: a client process (demo-client) connects to a server process
(demo-server) on 127.0.0.1:$PORT. You will see the three-way handshake (SYN,
SYN-ACK, ACK), the client's request "hello" and the server's reply "world" with
their acknowledgements, and then the four-way teardown: the client closes
first (FIN), the server acknowledges it, waits 200 ms, and sends its own FIN,
which the client acknowledges before going into TIME-WAIT. Each lane shows one
end's socket calls and its TCP states as the kernel changes them; rows marked
* are states synscope inferred where the kernel reports none.

EOF

exec "$SYNSCOPE" -P "$PORT" -- "$TCPDEMO" pair --scenario client-close --port "$PORT"
