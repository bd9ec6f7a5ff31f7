#!/usr/bin/env python3
"""Checks that every connection that could have lost events says so (issue
17, item 4), against a tcpdump capture of the same traffic and a model of
the loss windows.

Usage:
  check_lost.py --name TEST --pcap CAPTURE.pcap --jsonl TRACE.jsonl --ladder LADDER.txt

TRACE.jsonl and LADDER.txt are the same run's (replays of one recording: the
tracker numbers connections alike). Each connection in the capture is a flow
from a client's SYN on its 4-tuple; synscope's connections are matched to
flows by the client's address and port and their times (a flow can be
drawn as more than one connection when events were lost).

  gaps     every connection of a flow whose segments the JSONL does not hold
           whole (each packet tcpdump saw, as a tx line at its sender and an
           rx line at its receiver) is marked "events were lost" in the
           ladder: no connection is drawn complete over a gap; so is every
           connection that matches no flow (a fragment)
  windows  every connection alive during a loss window is marked: a "lost"
           line says how many events were lost, stamped after since_t_ns (or
           at any time before, when it does not say) and up to its t_ns; a
           connection is alive from its first event (or its flow's first
           packet) to its last
  lost     the run lost events at all (else the test proves nothing)
  window-said  every loss report says its window (since_t_ns): without it,
           and without the source's ticks that come with it, a connection
           that ends before the loss is counted cannot be marked
Prints "ok TEST/CHECK" or "FAIL TEST/CHECK: reason" and a summary comment.
"""
import argparse
import json
import re
import subprocess
import sys
from collections import OrderedDict, defaultdict

from check_trace import norm_flags
from checks import Checks

TD = re.compile(r"^(\d+\.\d+) IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](.*)$")
TD_FLAGS = {"S": "SYN", "F": "FIN", "R": "RST", "P": "PSH", ".": "ACK", "U": "URG",
            "E": "ECE", "W": "CWR"}
SLACK_NS = 2000000  # tcpdump's clock and synscope's differ by a little


def read_flows(path):
    """[{"client": (addr, port), "server": ..., "t0", "t1": ns, "pkts": [(sender,
    flags, seq, ack, len)]}], a new flow at each SYN without ACK."""
    out = subprocess.run(["tcpdump", "-nn", "-S", "-tt", "-r", path], capture_output=True,
                         text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"tcpdump -r: {out.stderr.strip()}")
    flows, current, nxt = [], {}, {}
    for line in out.stdout.splitlines():
        m = TD.match(line)
        if not m:
            continue
        t = int(round(float(m[1]) * 1e9))
        src, dst = (m[2], int(m[3])), (m[4], int(m[5]))
        flags = norm_flags(",".join(TD_FLAGS.get(c, c) for c in m[6]))
        rest = m[7]
        seq = re.search(r", seq (\d+)", rest)
        ack = re.search(r", ack (\d+)", rest)
        length = re.findall(r", length (\d+)", rest)
        key = frozenset((src, dst))
        if flags == "SYN":
            current[key] = {"client": src, "server": dst, "t0": t, "t1": t, "pkts": []}
            flows.append(current[key])
        f = current.get(key)
        if not f:
            continue  # a connection from before the capture
        sender = "client" if src == f["client"] else "server"
        n = int(length[-1]) if length else 0
        s = int(seq[1]) if seq else nxt.get((id(f), sender))
        fl = flags.split(",")
        if s is not None:
            nxt[(id(f), sender)] = (s + n + ("SYN" in fl) + ("FIN" in fl)) & 0xFFFFFFFF
        f["pkts"].append((sender, flags, s, int(ack[1]) if ack and "ACK" in fl else None, n))
        f["t1"] = t
    return flows


def read_jsonl(path):
    conns, lost = OrderedDict(), []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["kind"] == "lost":
                lost.append((r.get("since_t_ns", 0), r["t_ns"], r["count"]))
            elif r.get("conn"):
                conns.setdefault(r["conn"], []).append(r)
    return conns, lost


def read_ladder(path):
    """{conn id: (marked lost, header)}"""
    heads, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^connection (\d+): ", line)
            if m:
                cur = int(m.group(1))
                heads[cur] = line
            elif cur is not None and line.startswith("  ") and not re.match(r"^\s+(#|\d+ )", line):
                heads[cur] += line
            elif cur is not None:
                cur = None if re.match(r"^\s+#", line) else cur
    return {k: ("events were lost" in v, v) for k, v in heads.items()}


def client_of(rows):
    for r in rows:
        if r.get("end") == "client" and r.get("sport"):
            return (r["saddr"], r["sport"])
    for r in rows:
        if r.get("end") == "server" and r.get("dport"):
            return (r["daddr"], r["dport"])
    return None


def seen_from_start(rows):
    """Did synscope see the connection begin: its first row the client's
    socket() or connect() entry, or its first SYN leaving? Then nothing of
    it happened before that row's stamp. A server's accept() entry may come
    first: it waited for the connection, which begins with the next row."""
    rest = [r for r in rows if not (r["kind"] == "syscall" and r.get("end") == "server" and
                                    r.get("name") in ("accept", "accept4") and
                                    r.get("phase") == "entry")]
    if not rest:
        return False
    r = rest[0]
    if r["kind"] == "syscall":
        return r.get("name") in ("socket", "connect") and r.get("end") == "client"
    return r["kind"] == "segment" and r.get("dir") == "tx" and norm_flags(r["flags"]) == "SYN"


def segments(rows, direction):
    """Counter of (sender, flags, seq, ack, len) seen with dir tx or rx."""
    c = defaultdict(int)
    for r in rows:
        if r["kind"] != "segment" or r["dir"] != direction:
            continue
        flags = norm_flags(r["flags"])
        sender = r["end"] if direction == "tx" else ("server" if r["end"] == "client"
                                                      else "client")
        c[(sender, flags, r["seq"], r["ack"] if "ACK" in flags.split(",") else None,
           r["len"])] += 1
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--jsonl", required=True)
    ap.add_argument("--ladder", required=True)
    a = ap.parse_args()
    rep = Checks(a.name)
    try:
        flows = read_flows(a.pcap)
        conns, lost = read_jsonl(a.jsonl)
        heads = read_ladder(a.ladder)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        rep("inputs", False, str(e))
        return 1
    rep("lost", sum(c for _s, _t, c in lost) > 0, "no event was lost: nothing to check")
    rep("window-said", all(since for since, _t, _c in lost),
        f"{sum(1 for since, _t, _c in lost if not since)} of {len(lost)} loss reports say no "
        f"window (no since_t_ns): the live source has no loss window and no ticks")

    # each synscope connection to the flow of its client endpoint alive then
    by_client = defaultdict(list)
    for f in flows:
        by_client[f["client"]].append(f)
    conn_flow, flow_conns = {}, defaultdict(list)
    for cid, rows in conns.items():
        cl, t0, t1 = client_of(rows), rows[0]["t_ns"], rows[-1]["t_ns"]
        best = None
        for i, f in enumerate(by_client.get(cl, [])):
            if f["t0"] - SLACK_NS <= t1 and t0 <= f["t1"] + SLACK_NS:
                best = f
                break
        conn_flow[cid] = best
        if best is not None:
            flow_conns[id(best)].append(cid)

    gaps, windows = [], []
    ngap = nwin = 0
    for cid, rows in conns.items():
        marked, header = heads.get(cid, (None, ""))
        if marked is None:
            continue  # not drawn (a flood's half-open connections are counted, not drawn)
        f = conn_flow[cid]
        if f is None:
            gap = True
        else:
            want = defaultdict(int)
            for p in f["pkts"]:
                want[p] += 1
            tx, rx = defaultdict(int), defaultdict(int)
            for other in flow_conns[id(f)]:
                for k, v in segments(conns[other], "tx").items():
                    tx[k] += v
                for k, v in segments(conns[other], "rx").items():
                    rx[k] += v
            gap = tx != want or rx != want
        ngap += gap
        if gap and not marked:
            gaps.append(f"conn {cid} ({header.splitlines()[0][:90]}): segments missing, "
                        f"not marked")
        # tcpdump stamps a packet after synscope's program saw it (microseconds,
        # more under load; never before), so its last packet bounds the end.
        # Its first may come late for a start synscope lost: a connection seen
        # from its start began then; otherwise allow the slack
        t0 = rows[0]["t_ns"] if seen_from_start(rows) else \
            min(rows[0]["t_ns"], f["t0"] if f else rows[0]["t_ns"]) - SLACK_NS
        t1 = max(rows[-1]["t_ns"], f["t1"] if f else rows[-1]["t_ns"])
        inside = any(since <= t1 and t0 <= until for since, until, _c in lost)
        nwin += inside
        if inside and not marked:
            windows.append(f"conn {cid}: alive {t0}..{t1} during a loss window, not marked")
    nmarked = sum(1 for m, _h in heads.values() if m)
    print(f"{len(flows)} connections captured, {len(heads)} drawn, {nmarked} marked lost, "
          f"{ngap} with a gap, {nwin} alive in a loss window; {len(lost)} loss reports, "
          f"{sum(c for _s, _t, c in lost)} events lost")
    rep("gaps", not gaps, "; ".join(gaps[:3]) + (f" (and {len(gaps) - 3} more)" if len(gaps) > 3 else ""))
    rep("windows", not windows,
        "; ".join(windows[:3]) + (f" (and {len(windows) - 3} more)" if len(windows) > 3 else ""))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
