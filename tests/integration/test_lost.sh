#!/usr/bin/env bash
# test_lost: the lost-events counter is real. synscope with a 4 KiB ring
# buffer (-b 4) traces a storm of 3000 short connections on port 20620; the
# reader cannot keep up with a buffer that small. Asserts:
#  - the summary line reports lost > 0 and synscope still exits 0;
#  - the JSONL has "lost" lines whose counts add up to the summary's;
#  - a ladder run the same way marks connections "events were lost".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20620

need_root
start_synscope "$WORKDIR/synscope.out" -b 4 -P "$PORT" --format jsonl -o "$WORKDIR/trace.jsonl" \
	|| abort "synscope did not start"
"$TCPDEMO" storm --port "$PORT" --conns 3000 --threads 2 >/dev/null || fail storm "tcpdemo storm failed"
stop_synscope
summary_lost=$(sed -n 's/^synscope: .* \([0-9]*\) lost$/\1/p' "$SYNSCOPE_ERR")
jsonl_lost=$(python3 -c '
import json, sys
print(sum(json.loads(l).get("count", 0) for l in open(sys.argv[1]) if "\"kind\":\"lost\"" in l))' \
	"$WORKDIR/trace.jsonl")
expect_true summary-reports-loss test "${summary_lost:-0}" -gt 0
expect_eq jsonl-lost-adds-up "$summary_lost" "$jsonl_lost"

start_synscope "$WORKDIR/ladder.out" -b 4 -P "$PORT" -o "$WORKDIR/ladder.txt" \
	|| abort "synscope did not start"
"$TCPDEMO" storm --port "$PORT" --conns 3000 --threads 2 >/dev/null || fail storm "tcpdemo storm failed"
stop_synscope
marked=$(grep -c 'events were lost, this ladder may be incomplete' "$WORKDIR/ladder.txt")
expect_true ladder-marks-loss test "${marked:-0}" -gt 0
finish
