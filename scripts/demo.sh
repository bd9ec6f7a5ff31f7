#!/usr/bin/env bash
# The classroom demo: one textbook TCP scenario on real sockets, between a
# "client" and a "server" network namespace, traced by synscope and explained
# row by row.
#
#   scripts/demo.sh                 scenario 1: handshake, request, four-way teardown
#   scripts/demo.sh NAME [options]  any scenario (scripts/demo.sh --list)
#
#   --lang zh        explain in Simplified Chinese
#   --pace SECS      slow motion: pause SECS after each ladder row
#   --slow MS        pause MS between the programs' steps, and say each one
#   --rfc            RFC 9293 notation instead of the ladder
#   -6               IPv6
#
# make demo runs it with no arguments. Environment: SYNSCOPE (binary),
# DEMO_PORT (9000), DEMO_PREFIX (namespaces PREFIX-client, PREFIX-server: scn).
# The scenario's own results ("scenario NAME: ok") come after the ladders.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
SCENARIO=$ROOT/scripts/scenario.sh
PORT=${DEMO_PORT:-9000}
PREFIX=${DEMO_PREFIX:-scn}

usage() {
	echo "usage: scripts/demo.sh [--list | NAME] [--lang en|zh] [--pace SECS] [--slow MS] [--rfc] [-6]" >&2
	exit 2
}

NAME=handshake-close
LANG_OPTS=()
PACE_OPTS=()
STYLE_OPTS=()
RUN_OPTS=()
while [ $# -gt 0 ]; do
	case $1 in
	--list)
		"$SCENARIO" --list
		exit
		;;
	--lang) [ $# -ge 2 ] || usage; LANG_OPTS=(--lang "$2"); shift 2 ;;
	--pace) [ $# -ge 2 ] || usage; PACE_OPTS=(--pace "$2"); shift 2 ;;
	--slow) [ $# -ge 2 ] || usage; RUN_OPTS+=(--slow "$2"); shift 2 ;;
	--rfc) STYLE_OPTS=(--style rfc --relative-seq); shift ;;
	-6) RUN_OPTS+=(-6); shift ;;
	-h | --help) usage ;;
	-*) echo "demo: unknown option $1" >&2; usage ;;
	*) NAME=$1; shift ;;
	esac
done

# explained in either style, in either language, at any pace
SYN_OPTS=(--explain "${STYLE_OPTS[@]}" "${LANG_OPTS[@]}" "${PACE_OPTS[@]}")

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: synscope loads BPF programs into the kernel: run it as root (sudo make demo)." >&2
	exit 1
fi
[ -x "$SYNSCOPE" ] || { echo "demo: $SYNSCOPE is not built: run make" >&2; exit 1; }
if ! "$SCENARIO" --list | awk '{print $1}' | grep -qx -- "$NAME"; then
	echo "demo: no scenario '$NAME'; scripts/demo.sh --list shows them" >&2
	exit 2
fi

# What the class reads first: the scenario, then how to read what follows.
# Every line fits 78 columns.
banner() {
	local summary
	summary=$("$SCENARIO" --list | awk -v n="$NAME" '$1 == n { $1 = ""; sub(/^ +/, ""); print }')
	echo "synscope demo: $NAME"
	echo "$summary." | fold -s -w 76 | sed 's/^/  /; s/ *$//'
	echo
	cat <<-EOF
	A client process (demo-client) in the "client" network namespace talks to a
	server process (demo-server) in the "server" namespace, over a virtual cable.
	EOF
	if [ ${#STYLE_OPTS[@]} -gt 0 ]; then
		cat <<-EOF
		Drawn as RFC 9293's figures: TCP Peer A is the client, TCP Peer B the
		server. Each numbered step shows the peers' states after it and the segment
		between them (--> or <--; ... while it is still in flight). Under each step,
		lines starting with # say what it means, and for which peer.
		EOF
	else
		cat <<-EOF
		Left lane: the client's socket calls and TCP states; right lane: the server's.
		Arrows are the segments on the wire. Under each row, a line starting with #
		says what it means. States marked * are inferred: Linux does not report them
		where the textbook draws them (docs/classroom.md explains why).
		EOF
	fi
	echo
}

banner

# The scenario prints its results when it ends, while synscope may still be
# drawing connections that ended just before: they are kept, and shown once
# every ladder is out. Its narration (--slow) goes to stderr, as it happens.
RESULTS=$(mktemp /tmp/demo-results.XXXXXX) || exit 1
trap 'rm -f "$RESULTS"' EXIT
# shellcheck disable=SC2016 # expanded by the inner shell
"$SYNSCOPE" "${SYN_OPTS[@]}" -- /bin/sh -c 'out=$1; shift; exec "$@" >"$out"' sh "$RESULTS" \
	"$SCENARIO" "$NAME" --prefix "$PREFIX" --port "$PORT" "${RUN_OPTS[@]}"
rc=$?
cat "$RESULTS"
exit "$rc"
