#!/usr/bin/env bash
# test_ipv6: the client-close scenario over ::1 (tcpdemo pair --scenario
# client-close --family 6), traced by synscope (JSONL, -P 20400) and captured
# by tcpdump on lo. Asserts the same as test_client_close: one connection;
# handshake SYN / SYN,ACK / ACK; 6 payload bytes each way; teardown client
# FIN,ACK / server ACK / server FIN,ACK / client ACK; the kernel state
# sequences of both lanes, the client's inferred TIME_WAIT and the server's
# inferred LISTEN>SYN_RECV; connect 0, accept >= 0, close 0; comm demo-client /
# demo-server; synscope's tx segments equal tcpdump's; synscope and tcpdemo
# exited 0; and the capture holds IPv6 packets only.
# A run whose checks fail is run once more (checked_scenario, lib.sh): the
# kernel now and then runs no BPF program for a softirq's packets.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20400

need_root
checked_scenario "$PORT" client-close --family 6
# The capture itself is IPv6: guards against tcpdemo silently using IPv4.
v4=$(tcpdump -nn -r "$WORKDIR/capture.pcap" 2>/dev/null | grep -c ' IP ')
v6=$(tcpdump -nn -r "$WORKDIR/capture.pcap" 2>/dev/null | grep -c ' IP6 ::1\.')
expect_eq capture-ipv4-packets 0 "$v4"
expect_true capture-ipv6-packets test "$v6" -gt 0
finish
