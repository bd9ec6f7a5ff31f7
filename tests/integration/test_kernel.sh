#!/usr/bin/env bash
# test_kernel: the start-up probes of the running kernel (docs/requirements.md).
#  - on this kernel every probe passes: synscope says nothing but
#    "synscope: tracing" and its summary (no "this kernel ..." line), exits 0
#    and traces a connection on port 21570;
#  - the tp_btf probe program is gone once synscope traces: no program named
#    synscope_probe is loaded, and synscope holds one program per tracepoint;
#  - every tracepoint bpf/synscope.bpf.c attaches to has its requirement
#    written down in userspace/source/live/kernel_reqs.c (the table the probes judge by)
#    and in docs/requirements.md, and exists in this kernel's BTF;
#  - the raw records of that connection (-w): every one names its kernel
#    object (sk_kind: calls, states and ends full sockets'; segments sent
#    by full, request or timewait sockets, received ones unknown); ticks
#    come, never go back, and no event delivered after a tick is stamped
#    before it; the last record is a tick;
#  - the compat programs' records of the same connection have the same
#    kinds from the same objects.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=bpf_ids.sh
. "$(dirname "$0")/bpf_ids.sh"
PORT=21570

need_root
command -v bpftool >/dev/null || abort "bpftool not installed"
# each tracepoint once: the syscall and packet programs have a second (compat) one for
# kernels without bpf_rdonly_cast, and only one of the two is loaded
mapfile -t TPS < <(sed -n 's/^SEC("tp_btf\/\([a-z_0-9]*\)")$/\1/p' "$ROOT/bpf/synscope.bpf.c" | sort -u)
[ "${#TPS[@]}" -gt 0 ] || abort "no tp_btf programs found in bpf/synscope.bpf.c"

start_synscope "$WORKDIR/trace.jsonl" -f jsonl -P "$PORT" -w "$WORKDIR/fast.rec" ||
	abort "synscope did not start"
expect_eq probe-program-gone "" "$(bpftool prog show name synscope_probe 2>/dev/null | head -n 1)"
bpf_ids_of "$SYNSCOPE_PID" >"$WORKDIR/ids"
expect_eq one-program-per-tracepoint "${#TPS[@]}" "$(grep -c '^prog ' "$WORKDIR/ids")"
"$TCPDEMO" pair --scenario client-close --port "$PORT" || fail pair "tcpdemo failed"
stop_synscope
expect_true traced grep -q "\"dport\":$PORT.*\"name\":\"connect\"" "$WORKDIR/trace.jsonl"
expect_eq nothing-missing "" "$(grep -v -e '^synscope: tracing$' -e '^synscope: [0-9]* connection' "$SYNSCOPE_ERR")"

# the programs for kernels before 6.2 (no bpf_rdonly_cast) trace the same
# connection on this one: SYNSCOPE_COMPAT=1 loads them instead
export SYNSCOPE_COMPAT=1
start_synscope "$WORKDIR/compat.jsonl" -f jsonl -P "$PORT" -w "$WORKDIR/compat.rec" ||
	abort "synscope (compat) did not start"
unset SYNSCOPE_COMPAT
expect_eq compat-one-program-per-tracepoint "${#TPS[@]}" "$(bpf_ids_of "$SYNSCOPE_PID" | grep -c '^prog ')"
"$TCPDEMO" pair --scenario client-close --port "$PORT" || fail compat-pair "tcpdemo failed"
stop_synscope
expect_true compat-connect grep -q "\"dport\":$PORT.*\"name\":\"connect\"" "$WORKDIR/compat.jsonl"
for kind in segment state syscall; do
	expect_eq "compat-$kind-events" "$(grep -c "\"kind\":\"$kind\"" "$WORKDIR/trace.jsonl")" \
		"$(grep -c "\"kind\":\"$kind\"" "$WORKDIR/compat.jsonl")"
done

out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/fast.rec" "$WORKDIR/compat.rec" <<'PY'
import collections, sys
import rec_events
p = []
def shape(ev):
    return collections.Counter((e["kind"], e["sk_kind"], e.get("dir")) for e in ev
                               if e["kind"] not in ("tick", "lost"))
fast, compat = rec_events.load(sys.argv[1]), rec_events.load(sys.argv[2])
for name, ev in (("fast", fast), ("compat", compat)):
    for e in ev:
        k = (e["kind"], e["sk_kind"], e.get("dir"))
        if e["kind"] in ("syscall", "state", "destroy") and e["sk_kind"] != "full" or \
                k[0] == "segment" and k[2] == "tx" and k[1] not in ("full", "request", "timewait") or \
                k[0] == "segment" and k[2] == "rx" and k[1] != "unknown":
            p.append(f"{name}: {k}")
            break
    ticks = [e["ts"] for e in ev if e["kind"] == "tick"]
    if not ticks or ticks != sorted(ticks) or ev[-1]["kind"] != "tick":
        p.append(f"{name}: ticks {ticks}, the last record a {ev[-1]['kind']}")
    last = 0
    for e in ev:
        if e["kind"] == "tick":
            last = e["ts"]
        elif e["kind"] != "lost" and e["ts"] < last:
            p.append(f"{name}: a {e['kind']} stamped {last - e['ts']} ns before the tick before it")
            break
if shape(fast) != shape(compat):
    p.append(f"fast {sorted(shape(fast).items())} != compat {sorted(shape(compat).items())}")
print("; ".join(p))
PY
)
expect_eq records-kinds-and-ticks "" "$out"

bpftool btf dump file /sys/kernel/btf/vmlinux format raw 2>/dev/null |
	sed -n "s/^\[[0-9]*\] TYPEDEF 'btf_trace_\([a-z_0-9]*\)'.*/\1/p" >"$WORKDIR/kernel-tps"
for tp in "${TPS[@]}"; do
	expect_true "$tp-in-kernel_reqs" grep -q "{ \"$tp\", [0-9]" "$ROOT/userspace/source/live/kernel_reqs.c"
	expect_true "$tp-in-requirements-doc" grep -q "\`$tp\`" "$ROOT/docs/requirements.md"
	expect_true "$tp-in-this-kernel" grep -qx "$tp" "$WORKDIR/kernel-tps"
done
finish
