#!/usr/bin/env bash
# test_parallel: 50 concurrent client-close connections on IPv4 loopback
# (tcpdemo pair --scenario parallel --count 50: one demo-server process with a
# thread per connection, one demo-client process with 50 threads), traced by
# synscope (JSONL, -P 20500) and captured by tcpdump on lo. Asserts, for each
# of exactly 50 distinct connection ids (no lost events):
#  - handshake SYN / SYN,ACK / ACK and teardown client FIN,ACK / server ACK /
#    server FIN,ACK / client ACK exactly; 6 payload bytes each way;
#  - both lanes' kernel state sequences, the client's inferred TIME_WAIT and
#    the server's inferred LISTEN>SYN_RECV;
#  - connect 0, accept >= 0, close 0;
#  - server lane comm demo-server (pid != 0), client lane comm demo-client;
#  - synscope's tx segments equal tcpdump's, flow by flow (50 flows).
# A run whose checks fail is run once more (checked_scenario, lib.sh): the
# kernel now and then runs no BPF program for a softirq's packets.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20500
CONNS=50

need_root
CHECK_ARGS=(--conns "$CONNS")
checked_scenario "$PORT" parallel --family 4 --count "$CONNS"
finish
