# shellcheck shell=bash
# Which BPF programs, links and maps a process holds, and whether they are
# gone: for the tests that synscope leaves nothing in the kernel behind.
# Source after lib.sh. Works by id (from /proc/PID/fdinfo), so other tracers
# running at the same time, synscope included, do not disturb the count.

# bpf_ids_of PID: prints "prog N", "link N", "map N" for every BPF object
# PID has an fd of (a link's fd also names its program: counted once).
bpf_ids_of() {
	local pid=$1 f
	for f in /proc/"$pid"/fdinfo/*; do
		case $(readlink "/proc/$pid/fd/${f##*/}" 2>/dev/null) in
		anon_inode:bpf-prog) sed -n 's/^prog_id:[[:space:]]*/prog /p' "$f" ;;
		anon_inode:bpf_link) sed -n 's/^link_id:[[:space:]]*/link /p' "$f" ;;
		anon_inode:bpf-map) sed -n 's/^map_id:[[:space:]]*/map /p' "$f" ;;
		esac
	done 2>/dev/null | sort -u
}

# bpf_prog_stats PID: a JSON array of bpftool's view of each BPF program
# PID holds (run_cnt and run_time_ns with kernel.bpf_stats_enabled=1): that
# tracer's own, whatever else is loaded (make bench, scripts/bpf_cost.sh).
bpf_prog_stats() {
	local id first=1
	echo "["
	for id in $(bpf_ids_of "$1" | sed -n 's/^prog //p'); do
		[ "$first" = 1 ] || echo ","
		first=0
		bpftool prog show id "$id" --json
	done
	echo "]"
}

# bpf_ids_left FILE: prints the objects listed in FILE (bpf_ids_of's
# output) that the kernel still has.
bpf_ids_left() {
	local kind id
	while read -r kind id; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind $id"
	done <"$1"
}

# bpf_ids_gone FILE SECONDS: waits until none of FILE's objects is left
# (the kernel frees them a moment after their last fd closes).
bpf_ids_gone() {
	local file=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -z "$(bpf_ids_left "$file")" ] && return 0
		sleep 0.1
	done
	return 1
}
