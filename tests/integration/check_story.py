#!/usr/bin/env python3
"""Checks a synscope JSON Lines trace (made with --explain) of one classroom
scenario against its story: a hand-written file of what the textbook and
this kernel say must happen, row by row, with the explanation each row must
carry.

Usage: check_story.py --name TEST --story FILE.story --jsonl TRACE.jsonl

Story lines (blank lines and '#' comments ignored); LANE is client|server:
  include FILE                the lines of FILE (beside the story) here
  conns N                     the trace holds exactly N connections (default 1);
                              "conns any": as many as it takes
  conn N                      the lines after this are about connection N ("last":
                              the last one, e.g. the attempt of a retried race that worked)
  lanes any                   the two peers are alike (simultaneous open): the
                              story may fit with client and server swapped
  tx LANE FLAGS [retransmit] [-> KEY]
                              a segment the lane sent: exactly these flags
                              ("SYN", "SYN,ACK", "PSH,ACK", "FIN,ACK", "RST,ACK",
                              "UDP" for a datagram)
  state LANE FROM>TO[*] [-> KEY]
                              a state change on the lane ('*': inferred)
  call LANE NAME() [-> KEY]   a call's entry
  call LANE NAME=RET [-> KEY] a call's return (RET a number, or >=0)
  rx LANE FLAGS [-> KEY]      a segment the lane received (matched in order, like calls)
  drop LANE FLAGS REASON [-> KEY]
  reset LANE sent|received [REASON] [-> KEY]

Per connection and per lane, the tx segments and the state changes (kernel
and inferred, in time order) must be exactly the story's, in order: nothing
missing, nothing extra. Calls, received segments, drops and resets are matched in order too,
but the trace may hold more of them than the story names (a story need not
list every read() entry). Each story line with "-> KEY" also requires the
matched row's "explain" field to be KEY (or one of KEY1|KEY2). In every
connection, a full socket's "reset sent" and a retransmission event come
before the segment they caused (causal order). Nothing in
the trace may look like a kernel address. Prints "ok TEST/CHECK" or
"FAIL TEST/CHECK: reason" lines; exits 1 if anything failed.
"""
import argparse
import json
import os
import sys
from collections import OrderedDict

from checks import Checks
from kernel_addresses import check_no_kernel_addresses

FLAG_ORDER = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def flags_text(row):
    if row.get("proto") == "udp":
        return "UDP"
    return ",".join(f for f in FLAG_ORDER if f in row.get("flags", []))


def row_item(row):
    """(category, text) of a trace row, or None when stories never name it."""
    kind, lane = row["kind"], row.get("end", "?")
    if kind == "segment":
        if row["dir"] != "tx":
            return ("rx", "rx %s %s" % (lane, flags_text(row)))
        text = "tx %s %s" % (lane, flags_text(row))
        if row.get("retransmit"):
            text += " retransmit"
        return ("seg", text)
    if kind == "state":
        return ("state", "state %s %s>%s%s" % (lane, row["from"], row["to"],
                                              "*" if row.get("inferred") else ""))
    if kind == "syscall":
        if row["phase"] == "entry":
            return ("call", "call %s %s()" % (lane, row["name"]))
        return ("call", "call %s %s=%d" % (lane, row["name"], row["ret"]))
    if kind == "drop":
        return ("drop", "drop %s %s %s" % (lane, flags_text(row),
                                          row.get("reason_name", row["reason"])))
    if kind == "reset":
        text = "reset %s %s" % (lane, row["rst"])
        if row["rst"] == "sent":
            text += " %s" % row.get("reason_name", row["reason"])
        return ("reset", text)
    return None


def story_category(text):
    word = text.split()[0]
    return {"tx": "seg", "rx": "rx", "state": "state", "call": "call", "drop": "drop",
            "reset": "reset"}[word]


def matches(want, got):
    """Story text against a row's text; 'call L name=>=0' accepts any ret >= 0,
    'reset L sent' accepts any reason."""
    if want == got:
        return True
    if want.startswith("call ") and want.endswith("=>=0"):
        head = want[:-len(">=0")]
        if got.startswith(head):
            try:
                return int(got[len(head):]) >= 0
            except ValueError:
                return False
    if want.startswith("reset ") and len(want.split()) == 3:
        return " ".join(got.split()[:3]) == want
    return False


def story_lines(path):
    """(line number, text) of a story, with 'include FILE' lines (a file
    beside it) replaced by that file's lines."""
    with open(path) as f:
        for num, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if words[:1] == ["include"]:
                inc = os.path.join(os.path.dirname(path), words[1])
                for sub, text in story_lines(inc):
                    yield "%d(%s:%s)" % (num, words[1], sub), text
            else:
                yield num, line


def parse_story(path):
    """{conn number: [(category, text, key or None, line number)]}, conns"""
    stories, conns, current, symmetric = OrderedDict(), 1, 1, False
    for num, line in story_lines(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "conns":
            conns = None if words[1] == "any" else int(words[1])
            continue
        if words[0] == "conn":
            current = -1 if words[1] == "last" else int(words[1])
            continue
        if words == ["lanes", "any"]:
            symmetric = True
            continue
        key = None
        if "->" in words:
            i = words.index("->")
            key = words[i + 1]
            words = words[:i]
        text = " ".join(words)
        stories.setdefault(current, []).append((story_category(text), text, key, num))
    return stories, conns, symmetric


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--story", required=True)
    ap.add_argument("--jsonl", required=True)
    args = ap.parse_args()
    report = Checks(args.name)

    rows = OrderedDict()
    with open(args.jsonl) as f:
        for line in f:
            row = json.loads(line)
            if row.get("conn"):
                rows.setdefault(row["conn"], []).append(row)
    stories, want_conns, symmetric = parse_story(args.story)
    problems = check_no_kernel_addresses(args.jsonl)
    report("no-kernel-addresses", not problems, "; ".join(problems))
    if want_conns is not None:
        report("conns", len(rows) == want_conns,
               "want %d connections, got %d" % (want_conns, len(rows)))

    for n, story in stories.items():
        if n == -1:  # the last connection: the attempt that worked
            n = len(rows)
        got = rows.get(list(rows)[n - 1]) if 0 < n <= len(rows) else None
        tag = "conn%d" % n
        if got is None:
            report(tag, False, "no connection %d in the trace" % n)
            continue
        items = [(row_item(r), r) for r in got]
        items = [(it[0], it[1], r) for it, r in items if it]
        results = check_conn(tag, story, items)
        if symmetric and any(not ok for _, ok, _ in results):
            # two peers doing the same thing at once: which one the
            # tracker calls client is chance; the other way round may fit
            swapped = check_conn(tag, [(c, swap_lanes(t), k, num) for c, t, k, num in story],
                                 items)
            if sum(not ok for _, ok, _ in swapped) < sum(not ok for _, ok, _ in results):
                results = swapped
        for check, ok, why in results:
            report(check, ok, why)
    for n, got in enumerate(rows.values(), 1):
        why = causal_order(got)
        report("conn%d/causal-order" % n, not why, why)
    return 1 if report.failed else 0


REPORT_NS = 10000000  # a kernel's report and the segment it speaks of


def causal_order(rows):
    """'' when every report that causes a segment comes before it: a full
    socket's "reset sent" before its RST, the kernel's retransmission event
    before the segment it resent (the kernel reports both once the segment
    went to the device, when the peer may have processed it already)."""
    for i, seg in enumerate(rows):
        if seg["kind"] != "segment" or seg["dir"] != "tx":
            continue
        rst = "RST" in seg["flags"]
        if not rst and not seg.get("retransmit"):
            continue
        for j, rep in enumerate(rows):
            if rep.get("end") != seg.get("end") or abs(rep["t_ns"] - seg["t_ns"]) > REPORT_NS:
                continue
            if rst:
                causes = rep["kind"] == "reset" and rep["rst"] == "sent" and "sk" not in rep
            else:
                causes = rep["kind"] == "retransmit" and rep.get("seq") == seg["seq"]
            if causes and j > i:
                return "row %d (%s) comes after the segment it caused, row %d" % (
                    j + 1, rep["kind"], i + 1)
    return ""


def swap_lanes(text):
    words = text.split()
    words[1] = {"client": "server", "server": "client"}.get(words[1], words[1])
    return " ".join(words)


def check_conn(tag, story, items):
    """[(check name, ok, why)] of one connection's story against its rows."""
    results = []
    checks = [(cat, lane, exact) for cat, exact in
              (("seg", True), ("state", True), ("call", False), ("drop", False),
               ("reset", False), ("rx", False)) for lane in ("client", "server")]
    for cat, lane, exact in checks:
        # each lane on its own: the order between the two hosts is
        # physics (a segment arrives after it left) or chance (two FINs
        # crossing), and the explanations already say which it was
        want = [s for s in story if s[0] == cat and s[1].split()[1] == lane]
        have = [i for i in items if i[0] == cat and i[1].split()[1] == lane]
        if not want and not exact:
            continue
        pos, ok, why = 0, True, ""
        for _, text, key, num in want:
            while pos < len(have) and not matches(text, have[pos][1]):
                if exact:
                    break
                pos += 1
            if pos >= len(have) or not matches(text, have[pos][1]):
                ok = False
                why = "story line %s '%s': trace has %s" % (
                    num, text, "'%s'" % have[pos][1] if pos < len(have) else "nothing more")
                break
            row = have[pos][2]
            if key and row.get("explain") not in key.split("|"):
                ok = False
                why = "story line %s '%s': explain is '%s', want '%s'" % (
                    num, text, row.get("explain", ""), key)
                break
            pos += 1
        if ok and exact and pos != len(have):
            ok = False
            why = "trace has more: '%s'" % have[pos][1]
        if not ok and cat in ("seg", "state"):
            why += "; trace %ss: %s" % (cat, " | ".join(h[1] for h in have))
        results.append(("%s/%s-%s" % (tag, lane, cat), ok, why))
    return results


if __name__ == "__main__":
    sys.exit(main())
