#!/usr/bin/env bash
# test_interrupt: Ctrl-C (SIGINT) renders everything already captured. A
# connection on port 20630 whose server lingers 5 s before its close() is
# still open when synscope, tracing system-wide with -P, gets SIGINT.
# Asserts: synscope exits 0 within the test's limits; its ladder has that
# connection marked INCOMPLETE, with both lanes' processes, the handshake,
# the client's FIN and the server in CLOSE_WAIT; the summary counts it as
# incomplete.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20630

need_root
start_synscope "$WORKDIR/ladder.txt" -P "$PORT" --no-color || abort "synscope did not start"
"$TCPDEMO" pair --scenario client-close --port "$PORT" --linger-ms 5000 &
PAIR=$!
sleep 1
stop_synscope
kill "$PAIR" 2>/dev/null
wait "$PAIR" 2>/dev/null
L="$WORKDIR/ladder.txt"
expect_true header "grep" -q "^connection 1: 127.0.0.1:[0-9]* demo-client/[0-9]* -> 127.0.0.1:$PORT demo-server/[0-9]*" "$L"
expect_true incomplete grep -q "INCOMPLETE: still open when tracing stopped" "$L"
expect_true syn grep -q -- "--SYN seq=" "$L"
expect_true syn-ack grep -q -- "<-*SYN,ACK seq=" "$L"
expect_true client-fin grep -q -- "--FIN,ACK seq=" "$L"
expect_true close-wait grep -q "ESTABLISHED -> CLOSE_WAIT" "$L"
expect_true summary grep -q "^synscope: 1 connection (1 incomplete)" "$L"
finish
