#!/usr/bin/env bash
# test_scenarios: every classroom scenario, end to end, as a teacher runs it:
# `scripts/scenario.sh NAME --pcap FILE` (two namespaces joined by a veth
# pair, made and removed by the script; tcpdump in the server namespace, on lo
# for self-connect), over IPv4 and IPv6. For each scenario:
#  - run: scenario.sh exits 0, i.e. tcplab's own checks of every syscall's
#    result held, and its namespaces are gone afterwards;
#  - wire: the TCP flags of each connection in the capture, in order and
#    with their direction (c: client to server, s: server to client, x: a
#    socket talking to itself), equal the hand-written sequence below. For
#    simultaneous-close/-open, which retry until the segments really crossed,
#    the last connection must show the crossing and there must be exactly as
#    many connections as the attempts tcplab reported.
# Also: --list names exactly the scenarios expected here, an unknown name and
# a failing scenario exit non-zero, a failure still removes the namespaces,
# and --slow narrates the steps.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SCENARIO=$ROOT/scripts/scenario.sh
NETNS=$ROOT/scripts/netns.sh
TCPLAB=${TCPLAB:-$ROOT/build/tests/tcplab}
PREFIX=scn-t
PORT=21400

[ "$(id -u)" -eq 0 ] || abort "must run as root"
[ -x "$TCPLAB" ] || abort "$TCPLAB not built (run make)"
command -v tcpdump >/dev/null || abort "tcpdump not installed"
command -v nft >/dev/null || abort "nft missing (scripts/install-deps.sh installs nftables)"
trap '"$NETNS" down "$PREFIX"; cleanup' EXIT
"$NETNS" down "$PREFIX"

# Expected flags per connection, in the order the connections began. Exact
# sequences; "|" separates connections.
declare -A WIRE=(
	[handshake-close]="c:S s:S. c:. c:P. s:. c:F. s:. s:F. c:."
	[merged-fin]="c:S s:S. c:. c:P. s:. c:F. s:F. c:."
	[server-close]="c:S s:S. c:. s:F. c:. c:F. s:."
	[self-connect]="x:S x:S. x:. x:P. x:. x:F. x:."
	[half-close]="c:S s:S. c:. c:P. s:. c:F. s:. s:P. c:. s:F. c:."
	[refused]="c:S s:R."
	[linger-rst]="c:S s:S. c:. c:R."
	[unread-rst]="c:S s:S. c:. c:P. s:. s:R."
	[write-after-close]="c:S s:S. c:. s:F. c:. c:P. s:R"
	[lost-syn]="c:S c:S s:S. c:. c:F. s:. s:F. c:."
	[accept-queue]="c:S s:S. c:. s:P. c:. c:F. s:. s:F. c:."
	[backlog-full]="c:S s:S. c:. s:F. c:. c:F. s:.|c:S s:S. c:. s:F. c:. c:F. s:.|c:S c:S s:S. c:. s:F. c:. c:F. s:."
	[backlog-late]="c:S s:S. c:. s:F. c:. c:F. s:.|c:S s:S. c:. s:S. c:. s:S. c:. s:F. c:. c:F. s:.|c:S s:S. c:. s:F. c:. c:F. s:."
	[exit-close]="c:S s:S. c:. c:F. s:. s:F. c:."
	[dup-close]="c:S s:S. c:. c:F. s:. s:F. c:."
	[fork-close]="c:S s:S. c:. c:F. s:. s:F. c:."
	[eof]="c:S s:S. c:. c:P. s:. c:F. s:. s:F. c:."
	[reuseaddr]="c:S s:S. c:. s:F. c:. c:F. s:.|c:S s:S. c:. c:F. s:. s:F. c:."
	[keepalive]="c:S s:S. c:. c:. s:. c:. s:. c:. s:. c:F. s:. s:F. c:."
	[keepalive-dead]="c:S s:S. c:. c:. c:. c:. c:R."
	[udp]="c:U s:U"
	[udp-oneway]="c:U"
)
# The racy ones: the last connection, as an extended regular expression.
# Both FINs (SYNs) are on the wire before either is answered, in either order.
declare -A WIRE_RE=(
	[simultaneous-close]='^c:S s:S\. c:\. (c:F\. s:F\.|s:F\. c:F\.) (c:\. s:\.|s:\. c:\.)$'
	[simultaneous-open]='^(c:S s:S|s:S c:S) (c:S\. s:S\.|s:S\. c:S\.) (c:\. s:\.|s:\. c:\.) c:F\. s:\. s:F\. c:\.$'
)

# flows PCAP CLIENT_ADDR: one line per connection (its two endpoints), in the
# order of their first packet: "DIR:FLAGS ..." with tcpdump's flag letters,
# U for a UDP datagram.
flows() {
	tcpdump -nn -r "$1" 2>/dev/null | awk -v cli="$2" '
	{
		src = $3; dst = $5; sub(/:$/, "", dst)
		if (match($0, /Flags \[[^]]*\]/))
			f = substr($0, RSTART + 7, RLENGTH - 8)
		else if ($0 ~ / UDP, /)
			f = "U"
		else
			next
		sa = src; sub(/\.[0-9]+$/, "", sa)
		da = dst; sub(/\.[0-9]+$/, "", da)
		d = sa == da ? "x" : (sa == cli ? "c" : "s")
		key = src < dst ? src " " dst : dst " " src
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		line[key] = line[key] (line[key] == "" ? "" : " ") d ":" f
	}
	END { for (i = 1; i <= n; i++) print line[order[i]] }'
}

namespaces_left() {
	ip netns list | awk '{ print $1 }' | grep -E "^$PREFIX-(client|server)\$" | tr '\n' ' '
}

# run_scenario NAME FAMILY(4|6) [--slow MS]
run_scenario() {
	local name=$1 fam=$2 t=$1 out=$WORKDIR/$1-$2 cli=10.99.0.1 rc got want attempts n
	local args=()
	shift 2
	if [ "$fam" = 6 ]; then
		t=$name/ipv6
		cli=fd99::1
		args+=(-6)
	fi
	if [ $# -gt 0 ]; then
		t=$t/slow
		out=$out-slow
		args+=("$@")
	fi
	args+=(--prefix "$PREFIX" --port "$PORT" --pcap "$out.pcap")
	"$SCENARIO" "$name" "${args[@]}" >"$out.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$(namespaces_left)" ]; then
		pass "$t/run"
	elif [ "$rc" -ne 0 ]; then
		fail "$t/run" "exit $rc: $(grep -v '^scenario .*FAILED' "$out.log" | tail -n 1)"
	else
		fail "$t/run" "namespaces left behind: $(namespaces_left)"
		"$NETNS" down "$PREFIX"
	fi
	got=$(flows "$out.pcap" "$cli")
	if [ -n "${WIRE_RE[$name]:-}" ]; then
		attempts=$(sed -n 's/^client: .* on attempt \([0-9]*\) of .*/\1/p' "$out.log")
		n=$(grep -c . <<<"$got")
		if [ "$n" != "${attempts:-?}" ]; then
			fail "$t/wire" "$n connections on the wire, tcplab reported ${attempts:-no} attempts"
		elif [[ $(tail -n 1 <<<"$got") =~ ${WIRE_RE[$name]} ]]; then
			pass "$t/wire"
		else
			fail "$t/wire" "last connection '$(tail -n 1 <<<"$got")' does not match ${WIRE_RE[$name]}"
		fi
	else
		want=${WIRE[$name]}
		got=$(paste -sd '|' <<<"$got")
		expect_eq "$t/wire" "$want" "$got"
	fi
}

# --list: exactly the scenarios this test knows.
listed=$("$SCENARIO" --list | awk '{ print $1 }' | sort | tr '\n' ' ')
known=$(printf '%s\n' "${!WIRE[@]}" "${!WIRE_RE[@]}" | sort | tr '\n' ' ')
expect_eq list "$known" "$listed"
if "$SCENARIO" --list | awk 'NF < 3 { bad = 1 } END { exit bad }'; then
	pass list-descriptions
else
	fail list-descriptions "a scenario without a description"
fi

for name in $("$SCENARIO" --list | awk '{ print $1 }'); do
	for fam in 4 6; do
		run_scenario "$name" "$fam"
	done
done

# An unknown scenario: one line, non-zero, nothing created.
if out=$("$SCENARIO" no-such-scenario --prefix "$PREFIX" 2>&1); then
	fail unknown-name "exit 0"
else
	expect_eq unknown-name "1:scenario: unknown scenario 'no-such-scenario' (scripts/scenario.sh --list shows them)" \
		"$(wc -l <<<"$out" | tr -d ' '):$out"
fi

# A scenario whose client fails: exit 1, the server stopped, namespaces gone.
cat >"$WORKDIR/failing-tcplab" <<EOF
#!/bin/sh
if [ "\$1" = client ]; then
	echo "tcplab: client: failing on purpose" >&2
	exit 1
fi
exec "$TCPLAB" "\$@"
EOF
chmod +x "$WORKDIR/failing-tcplab"
TCPLAB="$WORKDIR/failing-tcplab" timeout 30 "$SCENARIO" handshake-close --prefix "$PREFIX" \
	--port "$PORT" >"$WORKDIR/failing.log" 2>&1
expect_eq failure-exit 1 "$?"
expect_eq failure-teardown "" "$(namespaces_left)"
if grep -q '^tcplab: client: failing on purpose' "$WORKDIR/failing.log"; then
	pass failure-message
else
	fail failure-message "$(last_line "$WORKDIR/failing.log")"
fi

# --slow never delays what must happen at once: the same wire.
run_scenario merged-fin 4 --slow 100
run_scenario backlog-full 4 --slow 100

# --slow narrates each step of both processes and still passes.
if "$SCENARIO" eof --prefix "$PREFIX" --port "$PORT" --slow 20 >"$WORKDIR/slow.log" 2>&1; then
	pass slow-run
else
	fail slow-run "$(last_line "$WORKDIR/slow.log")"
fi
for want in '^client: connect\(\) to 10\.99\.0\.2:21400$' '^server: read\(\) blocks; the client.s FIN makes it return 0$'; do
	if grep -Eq "$want" "$WORKDIR/slow.log"; then
		pass "slow-steps"
	else
		fail "slow-steps" "no line matching $want"
	fi
done
finish
