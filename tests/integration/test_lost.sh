#!/usr/bin/env bash
# test_lost: the lost-events counter is real. synscope with a 4 KiB ring
# buffer (-b 4) traces a storm of 3000 short connections on port 20620; the
# reader cannot keep up with a buffer that small. Asserts:
#  - the summary line reports lost > 0 and synscope still exits 0;
#  - the JSONL has "lost" lines whose counts add up to the summary's;
#  - a ladder run the same way marks connections "events were lost";
#  - the first run's recording (-w): its lost records count as many, each
#    says since when (since_ns: the previous check, before its ts_ns, never
#    going back), ticks never go back, no event after a tick is stamped
#    before it, and the recording ends with a tick.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=20620

need_root
start_synscope "$WORKDIR/synscope.out" -b 4 -P "$PORT" --format jsonl -o "$WORKDIR/trace.jsonl" \
	-w "$WORKDIR/rec" \
	|| abort "synscope did not start"
"$TCPDEMO" storm --port "$PORT" --conns 3000 --threads 2 >/dev/null || fail storm "tcpdemo storm failed"
stop_synscope
summary_lost=$(sed -nE 's/^synscope: [0-9]+ connection.*, ([0-9]+) lost.*/\1/p' "$SYNSCOPE_ERR")
jsonl_lost=$(python3 -c '
import json, sys
print(sum(json.loads(l).get("count", 0) for l in open(sys.argv[1]) if "\"kind\":\"lost\"" in l))' \
	"$WORKDIR/trace.jsonl")
expect_true summary-reports-loss test "${summary_lost:-0}" -gt 0
expect_eq jsonl-lost-adds-up "$summary_lost" "$jsonl_lost"
out=$(PYTHONPATH="$ROOT/tests/integration" python3 - "$WORKDIR/rec" "${summary_lost:-0}" <<'PY'
import sys
import rec_events
ev = rec_events.load(sys.argv[1])
p = []
lost = [e for e in ev if e["kind"] == "lost"]
if sum(e["count"] for e in lost) != int(sys.argv[2]):
    p.append(f"lost records count {sum(e['count'] for e in lost)}, the summary {sys.argv[2]}")
since = 0
for e in lost:
    if not (e["since"] > 0 and since <= e["since"] < e["ts"]):
        p.append(f"lost since {e['since']} ts {e['ts']} (the one before since {since})")
        break
    since = e["since"]
ticks = [e["ts"] for e in ev if e["kind"] == "tick"]
if not ticks or ticks != sorted(ticks) or ev[-1]["kind"] != "tick":
    p.append(f"{len(ticks)} ticks, in order: {ticks == sorted(ticks)}, the last record a {ev[-1]['kind']}")
last = 0
for e in ev:
    if e["kind"] == "tick":
        last = e["ts"]
    elif e["kind"] != "lost" and e["ts"] < last:
        p.append(f"a {e['kind']} stamped {last - e['ts']} ns before the tick before it")
        break
print("; ".join(p))
PY
)
expect_eq lost-window-and-ticks "" "$out"

start_synscope "$WORKDIR/ladder.out" -b 4 -P "$PORT" -o "$WORKDIR/ladder.txt" \
	|| abort "synscope did not start"
"$TCPDEMO" storm --port "$PORT" --conns 3000 --threads 2 >/dev/null || fail storm "tcpdemo storm failed"
stop_synscope
marked=$(grep -c 'events were lost, this ladder may be incomplete' "$WORKDIR/ladder.txt")
expect_true ladder-marks-loss test "${marked:-0}" -gt 0
finish
