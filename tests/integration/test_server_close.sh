#!/usr/bin/env bash
# test_server_close: one IPv4 connection on loopback where the server closes
# first (tcpdemo pair --scenario server-close), traced by synscope (JSONL,
# -P 20200) and captured by tcpdump on lo. Asserts, via check_trace.py:
#  - exactly one connection, no lost events;
#  - tx segments: handshake SYN / SYN,ACK / ACK; 6 payload bytes each way;
#    then server FIN,ACK / client ACK / client FIN,ACK / server ACK;
#  - kernel states: client CLOSE>SYN_SENT>ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE,
#    server LISTEN>SYN_RECV>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>CLOSE;
#    inferred rows: FIN_WAIT2>TIME_WAIT on the server lane (none on the client's),
#    LISTEN>SYN_RECV on the server lane where the SYN arrived;
#  - connect returned 0, accept >= 0, every close 0;
#  - client lane comm demo-client, server lane comm demo-server (pid != 0);
#  - synscope's tx segments equal tcpdump's (flags, absolute seq/ack, length);
#  - synscope and tcpdemo exited 0, tcpdump dropped nothing.
# A run whose checks fail is run once more (checked_scenario, lib.sh): the
# kernel now and then runs no BPF program for a softirq's packets.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20200

need_root
checked_scenario "$PORT" server-close --family 4
finish
