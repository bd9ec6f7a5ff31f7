#!/usr/bin/env bash
# Two hosts for the classroom scenarios: network namespaces PREFIX-client and
# PREFIX-server joined by a veth pair (PREFIX-c in the client, PREFIX-s in the
# server), each with lo up and its own addresses:
#
#   PREFIX-client  PREFIX-c  10.99.0.1/24  fd99::1/64
#   PREFIX-server  PREFIX-s  10.99.0.2/24  fd99::2/64
#
# Usage (root):
#   scripts/netns.sh up PREFIX     create them; fails if either namespace exists
#   scripts/netns.sh down PREFIX   delete them (the veth pair goes with them);
#                                  fine when they do not exist
# The two ends have fixed MAC addresses and know each other's as permanent
# neighbour entries: no ARP or neighbour discovery, so a scenario's first
# segment leaves at once (on a new link, IPv6 would otherwise hold it back for
# up to a second) and the wire shows only the scenario.
# PREFIX: 1-12 characters of [a-z0-9-], starting with a letter or digit, so
# that the interface names stay within the kernel's 15 characters.
set -u

NETNS_CLIENT_ADDR4=10.99.0.1
NETNS_SERVER_ADDR4=10.99.0.2
NETNS_CLIENT_ADDR6=fd99::1
NETNS_SERVER_ADDR6=fd99::2
NETNS_CLIENT_MAC=02:99:00:00:00:01
NETNS_SERVER_MAC=02:99:00:00:00:02

die() {
	echo "netns.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: scripts/netns.sh up|down PREFIX" >&2
	exit 2
}

netns_exists() {
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qx -- "$1"
}

netns_down() {
	local p=$1 ns
	for ns in "$p-client" "$p-server"; do
		if netns_exists "$ns"; then
			ip netns del "$ns" || die "cannot delete namespace $ns"
		fi
	done
	return 0
}

netns_up() {
	local p=$1 c=$1-client s=$1-server
	netns_exists "$c" && die "namespace $c exists (scripts/netns.sh down $p removes it)"
	netns_exists "$s" && die "namespace $s exists (scripts/netns.sh down $p removes it)"
	# From here on, a failure leaves nothing half made.
	if ! {
		ip netns add "$c" &&
		ip netns add "$s" &&
		ip link add "$p-c" address "$NETNS_CLIENT_MAC" netns "$c" type veth \
			peer name "$p-s" address "$NETNS_SERVER_MAC" netns "$s" &&
		ip -n "$c" addr add "$NETNS_CLIENT_ADDR4/24" dev "$p-c" &&
		ip -n "$s" addr add "$NETNS_SERVER_ADDR4/24" dev "$p-s" &&
		ip -n "$c" addr add "$NETNS_CLIENT_ADDR6/64" dev "$p-c" nodad &&
		ip -n "$s" addr add "$NETNS_SERVER_ADDR6/64" dev "$p-s" nodad &&
		ip -n "$c" neigh add "$NETNS_SERVER_ADDR4" lladdr "$NETNS_SERVER_MAC" dev "$p-c" nud permanent &&
		ip -n "$s" neigh add "$NETNS_CLIENT_ADDR4" lladdr "$NETNS_CLIENT_MAC" dev "$p-s" nud permanent &&
		ip -n "$c" neigh add "$NETNS_SERVER_ADDR6" lladdr "$NETNS_SERVER_MAC" dev "$p-c" nud permanent &&
		ip -n "$s" neigh add "$NETNS_CLIENT_ADDR6" lladdr "$NETNS_CLIENT_MAC" dev "$p-s" nud permanent &&
		ip -n "$c" link set lo up &&
		ip -n "$s" link set lo up &&
		ip -n "$c" link set "$p-c" up &&
		ip -n "$s" link set "$p-s" up
	}; then
		netns_down "$p"
		die "cannot set up namespaces $c and $s"
	fi
}

[ $# -eq 2 ] || usage
case $2 in
[a-z0-9]*) ;;
*) die "bad prefix '$2' (1-12 characters of a-z, 0-9, -)" ;;
esac
if [ ${#2} -gt 12 ] || [[ $2 == *[!a-z0-9-]* ]]; then
	die "bad prefix '$2' (1-12 characters of a-z, 0-9, -)"
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces)"

case $1 in
up) netns_up "$2" ;;
down) netns_down "$2" ;;
*) usage ;;
esac
