#!/usr/bin/env bash
# test_sigkill: kill -9 leaves no BPF program, link or map behind. synscope
# tracing system-wide (-P 21520) holds its objects by file descriptor only
# (nothing pinned): when the kernel closes them at its death, they go.
# Asserts: while it runs, synscope holds one link and one program per
# tp_btf program in bpf/synscope.bpf.c, and its maps; after SIGKILL every
# one of those ids is gone (bpftool prog/link/map show id N fails) within
# 10 s; nothing named synscope is pinned in /sys/fs/bpf; a new run right
# after traces a connection as usual.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=bpf_ids.sh
. "$(dirname "$0")/bpf_ids.sh"
PORT=21520

need_root
command -v bpftool >/dev/null || abort "bpftool not installed"
# one program per tracepoint is loaded: the syscall and packet programs have a second
# (compat) program for kernels without bpf_rdonly_cast, and only one is loaded
nprogs=$(sed -n 's/^SEC("tp_btf\/\([a-z_0-9]*\)")$/\1/p' "$ROOT/bpf/synscope.bpf.c" | sort -u | wc -l)

start_synscope "$WORKDIR/stream.txt" -f stream -P "$PORT" || abort "synscope did not start"
bpf_ids_of "$SYNSCOPE_PID" >"$WORKDIR/ids"
expect_eq links-while-running "$nprogs" "$(grep -c '^link ' "$WORKDIR/ids")"
expect_eq progs-while-running "$nprogs" "$(grep -c '^prog ' "$WORKDIR/ids")"
expect_true maps-while-running grep -q '^map ' "$WORKDIR/ids"
expect_eq all-ids-exist "$(cat "$WORKDIR/ids")" "$(bpf_ids_left "$WORKDIR/ids")"

kill -KILL "$SYNSCOPE_PID"
{ wait "$SYNSCOPE_PID"; } 2>/dev/null # no "Killed" line from bash
expect_eq killed "137" "$?"
SYNSCOPE_PID=
if bpf_ids_gone "$WORKDIR/ids" 10; then
	pass nothing-left
else
	fail nothing-left "still there: $(bpf_ids_left "$WORKDIR/ids" | tr '\n' ' ')"
fi
pinned=$(find /sys/fs/bpf -iname '*synscope*' 2>/dev/null | head -n 1)
expect_eq nothing-pinned "" "$pinned"

# and the next run is not disturbed by the one killed
start_synscope "$WORKDIR/again.txt" -f jsonl -P "$PORT" -- "$TCPDEMO" pair --scenario client-close \
	--port "$PORT" || abort "synscope did not start again"
wait_synscope
expect_true next-run-traces grep -q "\"dport\":$PORT" "$WORKDIR/again.txt"
finish
