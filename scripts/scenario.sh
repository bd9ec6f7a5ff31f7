#!/usr/bin/env bash
# Runs one classroom scenario end to end between two network namespaces
# (scripts/netns.sh: PREFIX-client 10.99.0.1, PREFIX-server 10.99.0.2), or on
# the client namespace's loopback where the scenario needs it, and always
# removes the namespaces again. The scenario's processes are tcplab server
# ("demo-server") and tcplab client ("demo-client"), started with
# `ip netns exec`, so they are descendants of this script:
#
#   synscope -- scripts/scenario.sh handshake-close
#
# Usage (root):
#   scripts/scenario.sh --list
#   scripts/scenario.sh NAME [--prefix P] [--port P] [--slow MS] [-6]
#                            [--pcap FILE] [--verbose]
#
#   --prefix P    namespace prefix (default scn): P-client, P-server
#   --port P      the server's port (default 9000); simultaneous-close and
#                 simultaneous-open retry on the ports after it (P .. P+39)
#   --slow MS     pause MS before every step and say each step, so a
#                 teacher can talk it through (timing-critical moments such as
#                 merged-fin's close() on EOF are never delayed)
#   -6            IPv6 (fd99::1, fd99::2, ::1) instead of IPv4
#   --pcap FILE   also record the scenario's TCP and UDP packets with tcpdump,
#                 in the server namespace (on lo for self-connect)
#   -v, --verbose say each step
#
# Exit status 0 when the scenario's own checks held (every syscall returned
# what the scenario teaches); otherwise 1 with the failing check's line.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPLAB=${TCPLAB:-$ROOT/build/tests/tcplab}
NETNS=$ROOT/scripts/netns.sh

die() {
	echo "scenario: $*" >&2
	exit 1
}

usage() {
	echo "usage: scripts/scenario.sh --list | NAME [--prefix P] [--port P] [--slow MS] [-6] [--pcap FILE] [--verbose]" >&2
	exit 2
}

[ -x "$TCPLAB" ] || die "$TCPLAB is not built (run make)"

NAME=
PREFIX=scn
PORT=9000
SLOW=
FAMILY=4
PCAP=
VERBOSE=
while [ $# -gt 0 ]; do
	case $1 in
	--list)
		"$TCPLAB" list
		exit
		;;
	--prefix) [ $# -ge 2 ] || usage; PREFIX=$2; shift 2 ;;
	--port) [ $# -ge 2 ] || usage; PORT=$2; shift 2 ;;
	--slow) [ $# -ge 2 ] || usage; SLOW=$2; shift 2 ;;
	--pcap) [ $# -ge 2 ] || usage; PCAP=$2; shift 2 ;;
	-6) FAMILY=6; shift ;;
	-v | --verbose) VERBOSE=1; shift ;;
	-h | --help) sed -n '2,/^set -u/{/^set -u/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
	-*) echo "scenario: unknown option '$1'" >&2; usage ;;
	*) [ -z "$NAME" ] || usage; NAME=$1; shift ;;
	esac
done
[ -n "$NAME" ] || usage
"$TCPLAB" list | awk '{ print $1 }' | grep -qx -- "$NAME" ||
	die "unknown scenario '$NAME' (scripts/scenario.sh --list shows them)"
if ! [[ $PORT =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65495 ]; then
	die "--port $PORT: not a port from 1 to 65495"
fi
[ -z "$SLOW" ] || [[ $SLOW =~ ^[0-9]+$ ]] || die "--slow $SLOW: not a number of milliseconds"
[ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces)"

NS_C=$PREFIX-client
NS_S=$PREFIX-server
if [ "$FAMILY" = 6 ]; then
	ADDR_C=fd99::1 ADDR_S=fd99::2 ADDR_LO=::1
else
	ADDR_C=10.99.0.1 ADDR_S=10.99.0.2 ADDR_LO=127.0.0.1
fi

WORK=
SERVER_PID=
TCPDUMP_PID=
NETNS_MADE=

# kill_wait PID: SIGTERM, SIGKILL after 2 s, reaped.
kill_wait() {
	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	for _ in $(seq 20); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# shellcheck disable=SC2317 # run by the EXIT trap
teardown() {
	local rc=$?
	[ -n "$SERVER_PID" ] && kill_wait "$SERVER_PID"
	[ -n "$TCPDUMP_PID" ] && kill_wait "$TCPDUMP_PID"
	[ -n "$NETNS_MADE" ] && "$NETNS" down "$PREFIX"
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d /tmp/scenario.XXXXXX) || die "mktemp failed"
"$NETNS" up "$PREFIX" || exit 1
NETNS_MADE=1

# What is special about a scenario: where it runs, what else it needs.
HAS_SERVER=1
CLIENT_ADDR=$ADDR_S
CAPTURE_NS=$NS_S
CAPTURE_IF=$PREFIX-s
EXTRA=()
case $NAME in
refused) HAS_SERVER= ;;
self-connect)
	HAS_SERVER=
	CLIENT_ADDR=$ADDR_LO
	CAPTURE_NS=$NS_C
	CAPTURE_IF=lo
	;;
simultaneous-close | simultaneous-open | reuseaddr)
	: >"$WORK/sync"
	EXTRA=(--sync "$WORK/sync")
	[ "$NAME" = simultaneous-open ] && EXTRA+=(--client-addr "$ADDR_C")
	;;
backlog-late)
	EXTRA=(--client-addr "$ADDR_C")
	# Drops the first pure ACK from the second client (port PORT+1): its
	# handshake's last segment. 52 or 72 bytes use up the 80-byte quota.
	ip netns exec "$NS_S" nft -f - <<-NFT || die "nft: cannot add the rule that drops one ACK"
	table inet tcplab {
		chain input {
			type filter hook input priority 0;
			tcp sport $((PORT + 1)) tcp flags == ack quota until 80 bytes counter drop
		}
	}
	NFT
	;;
keepalive-dead)
	# The server's host drops off the network once the handshake is in:
	# input to the port passes until 160 bytes (the SYN and the last ACK,
	# 112 bytes over IPv4, 152 over IPv6), and is dropped from the first
	# keepalive probe on; the server's own RST at its close() never leaves.
	ip netns exec "$NS_S" nft -f - <<-NFT || die "nft: cannot add the rules of a dead host"
	table inet tcplab {
		chain input {
			type filter hook input priority 0;
			tcp dport $PORT quota over 160 bytes counter drop
		}
		chain output {
			type filter hook output priority 0;
			tcp sport $PORT tcp flags & rst == rst counter drop
		}
	}
	NFT
	;;
lost-syn)
	# Drops the first SYN to the port and nothing after it: the quota of
	# 100 bytes is used up by one SYN (60 or 80 bytes with its header).
	ip netns exec "$NS_S" nft -f - <<-NFT || die "nft: cannot add the rule that drops the first SYN"
	table inet tcplab {
		chain input {
			type filter hook input priority 0;
			tcp dport $PORT tcp flags & (syn | ack) == syn quota until 100 bytes counter drop
		}
	}
	NFT
	;;
esac
COMMON=(--scenario "$NAME" --port "$PORT" "${EXTRA[@]}")
[ -n "$SLOW" ] && COMMON+=(--slow "$SLOW" --verbose)
[ -n "$VERBOSE" ] && COMMON+=(--verbose)

if [ -n "$PCAP" ]; then
	ip netns exec "$CAPTURE_NS" tcpdump -i "$CAPTURE_IF" -nn -Z root -s 256 --immediate-mode -U \
		-w "$PCAP" 'tcp or udp' 2>"$WORK/tcpdump.err" &
	TCPDUMP_PID=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break
		kill -0 "$TCPDUMP_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q 'listening on' "$WORK/tcpdump.err" ||
		die "tcpdump did not start: $(tail -n 1 "$WORK/tcpdump.err")"
fi

RC=0
if [ -n "$HAS_SERVER" ]; then
	# The server says "ready" on stdout once it listens: the client never
	# races listen(). Its later lines are results, shown at the end.
	mkfifo "$WORK/server.out"
	ip netns exec "$NS_S" "$TCPLAB" server "${COMMON[@]}" --addr "$ADDR_S" >"$WORK/server.out" &
	SERVER_PID=$!
	exec {SERVER_OUT}<"$WORK/server.out"
	if ! read -r -t 10 line <&"$SERVER_OUT" || [ "$line" != ready ]; then
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
		die "the server did not get ready"
	fi
fi

ip netns exec "$NS_C" "$TCPLAB" client "${COMMON[@]}" --addr "$CLIENT_ADDR" || RC=1

if [ -n "$SERVER_PID" ]; then
	# The client failed: the server may wait for it forever.
	[ "$RC" -eq 0 ] || kill_wait "$SERVER_PID"
	wait "$SERVER_PID" || RC=1
	SERVER_PID=
	cat <&"$SERVER_OUT"
	exec {SERVER_OUT}<&-
fi

if [ "$NAME" = lost-syn ] && [ "$RC" -eq 0 ]; then
	dropped=$(ip netns exec "$NS_S" nft list table inet tcplab | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	if [ "$dropped" != 1 ]; then
		echo "scenario: lost-syn: the rule dropped '${dropped:-?}' SYNs, expected 1" >&2
		RC=1
	fi
fi

if [ "$NAME" = keepalive-dead ] && [ "$RC" -eq 0 ]; then
	# three probes and the client's RST in; the server's RST out
	dropped=$(ip netns exec "$NS_S" nft list table inet tcplab |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | paste -sd ' ')
	if [ "$dropped" != "4 1" ]; then
		echo "scenario: keepalive-dead: the firewall dropped '${dropped:-?}' packets (in, out), expected '4 1'" >&2
		RC=1
	fi
fi

if [ -n "$TCPDUMP_PID" ]; then
	# Everything is on the wire once both processes are done (the passive
	# closer waits for the last ACK); let tcpdump write it out, then stop it.
	size=-1
	for _ in $(seq 30); do
		sleep 0.1
		now=$(stat -c %s "$PCAP" 2>/dev/null || echo 0)
		[ "$now" = "$size" ] && break
		size=$now
	done
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
	if [ "${dropped:-x}" != 0 ]; then
		echo "scenario: tcpdump: the kernel dropped '${dropped:-?}' packets of the capture" >&2
		RC=1
	fi
fi

if [ "$RC" -eq 0 ]; then
	echo "scenario $NAME: ok"
else
	echo "scenario $NAME: FAILED" >&2
fi
exit "$RC"
