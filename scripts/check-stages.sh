#!/usr/bin/env bash
# check-stages.sh: userspace/'s folders are the pipeline's stages, and a
# stage includes only its own headers and those of the stages before it
# (docs/design.md). Prints each include that breaks the rule and exits 1;
# silent and 0 when there is none. make runs it with every build.
#
#   base < source (live, file) < filter < record < track < render < export < run < cli
#
# base/ is no stage of the pipeline: what every stage builds on (the hash
# map, the names of the ABI's values, string builders). source/live and
# source/file are one stage, two doors: neither includes the other.
set -u
cd "$(dirname "$0")/.." || exit 2

rank() {
	case $1 in
	bpf | base) echo 0 ;;
	source/live | source/file) echo 1 ;;
	filter) echo 2 ;;
	record) echo 3 ;;
	track) echo 4 ;;
	render) echo 5 ;;
	export) echo 6 ;;
	run) echo 7 ;;
	cli) echo 8 ;;
	*) echo 99 ;;
	esac
}

# the stage of a path under userspace/ (or bpf/): its folder, source's two doors apart
stage_of() {
	case $1 in
	bpf/*) echo bpf ;;
	source/*/*) echo "${1%/*}" ;;
	*/*) echo "${1%%/*}" ;;
	*) echo "?" ;;
	esac
}

bad=0
while IFS= read -r file; do
	own=$(stage_of "${file#userspace/}")
	if [ "$(rank "$own")" = 99 ]; then
		echo "check-stages: $file: not in a stage folder"
		bad=1
		continue
	fi
	while IFS= read -r inc; do
		[ "$inc" = synscope.skel.h ] && continue # generated, the live source's own
		their=$(stage_of "$inc")
		[ "$their" = bpf ] && continue # the event ABI: every stage speaks it
		r_own=$(rank "$own") r_their=$(rank "$their")
		if [ "$r_their" = 99 ]; then
			echo "check-stages: $file includes \"$inc\": not a stage's header"
			bad=1
		elif [ "$r_their" -gt "$r_own" ] || { [ "$r_their" = "$r_own" ] && [ "$their" != "$own" ]; }; then
			echo "check-stages: $file ($own) includes \"$inc\" ($their): a later stage"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find userspace -name '*.[ch]' | sort)
exit "$bad"
