#!/usr/bin/env bash
# test_privileges: what synscope needs, and what it gives up once attached.
#  - as nobody, no capabilities: exit 1 and one line naming CAP_BPF and
#    CAP_PERFMON; as root without CAP_BPF (and CAP_SYS_ADMIN, which holds
#    it): the line names CAP_BPF only.
#  - as nobody with just CAP_BPF and CAP_PERFMON (ambient, -P 21540): traces
#    a connection, and holds no capability once tracing (CapEff/CapPrm 0).
#  - run as root with SUDO_UID/SUDO_GID of nobody (as sudo sets them, -P
#    21541): once tracing, synscope runs as nobody with nobody's groups and
#    no capability; the -o file in a directory of nobody's belongs to nobody;
#    the traced command ran as nobody; the connection is in the trace.
#    nobody cannot list synscope's file descriptors (it is not dumpable,
#    so its BPF objects stay out of the user's reach);
#  - -Z nobody does the same without sudo's variables (-P 21542); -Z root
#    keeps root (-P 21543); -Z no-such-user is refused before anything.
#  - the -o file is opened after the drop: nobody cannot write into a
#    root-only directory through synscope.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
command -v setpriv >/dev/null || abort "setpriv not installed (util-linux)"
NOBODY_UID=$(id -u nobody) || abort "no user nobody"
NOBODY_GID=$(id -g nobody)
# nobody must reach its own directory and the binaries
chmod 0711 "$WORKDIR"
ND="$WORKDIR/nobody"
mkdir "$ND" && chown nobody: "$ND"
for bin in "$SYNSCOPE" "$TCPDEMO"; do
	setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups test -x "$bin" ||
		abort "nobody cannot run $bin (a directory on its path is closed)"
done

# status_field PID FIELD: the value of a /proc/PID/status line, tabs as spaces.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' ' | sed 's/ *$//'
}

# --- what is missing is named
setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups "$SYNSCOPE" -P 21540 \
	>/dev/null 2>"$WORKDIR/nocaps.err"
expect_eq nocaps-exit 1 "$?"
expect_true nocaps-names-both grep -q '^synscope: missing CAP_BPF and CAP_PERFMON (' "$WORKDIR/nocaps.err"
expect_eq nocaps-one-line 1 "$(wc -l <"$WORKDIR/nocaps.err")"
setpriv --inh-caps=-bpf,-sys_admin --bounding-set=-bpf,-sys_admin "$SYNSCOPE" -P 21540 \
	>/dev/null 2>"$WORKDIR/nobpf.err"
expect_eq nobpf-exit 1 "$?"
expect_true nobpf-names-cap-bpf grep -q '^synscope: missing CAP_BPF (' "$WORKDIR/nobpf.err"
expect_eq nobpf-not-perfmon 0 "$(grep -c 'missing CAP_BPF and' "$WORKDIR/nobpf.err")"

# --- CAP_BPF and CAP_PERFMON are enough, and are given up once attached
PORT=21540
setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups --inh-caps=+bpf,+perfmon \
	--ambient-caps=+bpf,+perfmon "$SYNSCOPE" -f jsonl -P "$PORT" >"$WORKDIR/caps.jsonl" 2>"$WORKDIR/caps.err" &
SYNSCOPE_PID=$!
SYNSCOPE_ERR="$WORKDIR/caps.err"
if wait_for_line "$WORKDIR/caps.err" '^synscope: tracing' 20 "$SYNSCOPE_PID"; then
	pass caps-start
	expect_eq caps-uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "$(status_field "$SYNSCOPE_PID" Uid)"
	expect_eq caps-effective-none 0000000000000000 "$(status_field "$SYNSCOPE_PID" CapEff)"
	expect_eq caps-permitted-none 0000000000000000 "$(status_field "$SYNSCOPE_PID" CapPrm)"
	"$TCPDEMO" pair --scenario client-close --port "$PORT" || fail caps-pair "tcpdemo failed"
	stop_synscope
	expect_true caps-traced grep -q "\"dport\":$PORT.*\"name\":\"connect\"" "$WORKDIR/caps.jsonl"
else
	fail caps-start "$(last_line "$WORKDIR/caps.err")"
	kill_wait "$SYNSCOPE_PID"
	SYNSCOPE_PID=
fi

# run_dropped NAME PORT ENV... -- SYNSCOPE_ARGS...: runs synscope as root with
# ENV, tracing `tcpdemo pair` (its server lingers 1 s) with -o $ND/NAME.jsonl;
# checks who synscope is while tracing and who the command ran as.
run_dropped() {
	local name=$1 port=$2 envs=()
	shift 2
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	# shellcheck disable=SC2016 # expanded by the traced shell
	env "${envs[@]}" "$SYNSCOPE" -f jsonl -o "$ND/$name.jsonl" -P "$port" "$@" -- \
		bash -c 'id -u >"$1/$2.cmd-uid"; exec "$3" pair --scenario client-close --port "$4" --linger-ms 1000' \
		_ "$ND" "$name" "$TCPDEMO" "$port" >/dev/null 2>"$WORKDIR/$name.err" &
	SYNSCOPE_PID=$!
	SYNSCOPE_ERR="$WORKDIR/$name.err"
	if ! wait_for_line "$WORKDIR/$name.err" '^synscope: tracing' 20 "$SYNSCOPE_PID"; then
		fail "$name-start" "$(last_line "$WORKDIR/$name.err")"
		kill_wait "$SYNSCOPE_PID"
		SYNSCOPE_PID=
		return 1
	fi
	RUN_UID=$(status_field "$SYNSCOPE_PID" Uid)
	RUN_GID=$(status_field "$SYNSCOPE_PID" Gid)
	RUN_GROUPS=$(status_field "$SYNSCOPE_PID" Groups)
	RUN_CAPS=$(status_field "$SYNSCOPE_PID" CapEff)/$(status_field "$SYNSCOPE_PID" CapPrm)
	# the user it became cannot reach into it for its BPF file descriptors
	if setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups ls "/proc/$SYNSCOPE_PID/fd" \
		>/dev/null 2>&1; then
		RUN_FDS_OPEN=yes
	else
		RUN_FDS_OPEN=no
	fi
	wait_synscope
	expect_true "$name-traced" grep -q "\"dport\":$port.*\"name\":\"connect\"" "$ND/$name.jsonl"
}

all4() { echo "$1 $1 $1 $1"; }

# --- through sudo: become the caller
if run_dropped sudo 21541 SUDO_UID="$NOBODY_UID" SUDO_GID="$NOBODY_GID" SUDO_USER=nobody --; then
	expect_eq sudo-uid "$(all4 "$NOBODY_UID")" "$RUN_UID"
	expect_eq sudo-gid "$(all4 "$NOBODY_GID")" "$RUN_GID"
	expect_eq sudo-groups "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" \
		"$(tr ' ' '\n' <<<"$RUN_GROUPS" | sort -n | tr '\n' ' ' | sed 's/ $//')"
	expect_eq sudo-no-caps 0000000000000000/0000000000000000 "$RUN_CAPS"
	expect_eq sudo-bpf-fds-closed-to-nobody no "$RUN_FDS_OPEN"
	expect_eq sudo-file-owner "nobody:$(id -gn nobody)" "$(stat -c %U:%G "$ND/sudo.jsonl")"
	expect_eq sudo-command-user "$NOBODY_UID" "$(cat "$ND/sudo.cmd-uid" 2>/dev/null)"
fi

# --- -Z USER without sudo
if run_dropped z 21542 -- -Z nobody; then
	expect_eq z-uid "$(all4 "$NOBODY_UID")" "$RUN_UID"
	expect_eq z-no-caps 0000000000000000/0000000000000000 "$RUN_CAPS"
	expect_eq z-file-owner nobody "$(stat -c %U "$ND/z.jsonl")"
	expect_eq z-command-user "$NOBODY_UID" "$(cat "$ND/z.cmd-uid" 2>/dev/null)"
fi

# --- -Z root keeps root, even run through sudo
if run_dropped zroot 21543 SUDO_UID="$NOBODY_UID" SUDO_GID="$NOBODY_GID" -- -Z root; then
	expect_eq zroot-uid "0 0 0 0" "$RUN_UID"
	expect_eq zroot-file-owner root "$(stat -c %U "$ND/zroot.jsonl")"
	expect_eq zroot-command-user 0 "$(cat "$ND/zroot.cmd-uid" 2>/dev/null)"
fi

"$SYNSCOPE" -Z no-such-user-here -P 21543 >/dev/null 2>"$WORKDIR/nouser.err"
expect_eq unknown-user-exit 2 "$?"
expect_eq unknown-user-message "synscope: unknown user for -Z: 'no-such-user-here'" "$(cat "$WORKDIR/nouser.err")"

# --- the file is made by the user synscope became, not by root
mkdir -m 0700 "$WORKDIR/rootonly"
"$SYNSCOPE" -Z nobody -o "$WORKDIR/rootonly/x.txt" -P 21543 -d 1 >/dev/null 2>"$WORKDIR/rootonly.err"
expect_eq rootonly-exit 1 "$?"
expect_true rootonly-message grep -q "^synscope: cannot write $WORKDIR/rootonly/x.txt: Permission denied" \
	"$WORKDIR/rootonly.err"
expect_true rootonly-not-created test ! -e "$WORKDIR/rootonly/x.txt"
finish
