#!/usr/bin/env bash
# test_refused: a connect() to 127.0.0.1:20300 where nothing listens
# (tcpdemo pair --scenario refused), traced by synscope (JSONL, -P 20300) and
# captured by tcpdump on lo. Asserts, via check_trace.py:
#  - exactly one connection, no lost events;
#  - tx segments: client SYN, then the kernel's RST,ACK (no server socket,
#    shown on the server lane) acknowledging SYN seq + 1, and nothing else;
#  - kernel states on the client lane: CLOSE>SYN_SENT, SYN_SENT>CLOSE; none on
#    the server lane; no inferred TIME_WAIT;
#  - connect returned -111 (ECONNREFUSED), the client's close returned 0;
#  - client lane comm demo-client;
#  - synscope's tx segments equal tcpdump's;
#  - synscope and tcpdemo exited 0 (tcpdemo only succeeds if it was refused).
# A run whose checks fail is run once more (checked_scenario, lib.sh): the
# kernel now and then runs no BPF program for a softirq's packets.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20300

need_root
if ss -Hltn "sport = :$PORT" | grep -q .; then
	abort "something listens on port $PORT: the refused test needs it free"
fi
checked_scenario "$PORT" refused --family 4
finish
