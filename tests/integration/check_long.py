#!/usr/bin/env python3
"""Checks synscope's outputs of long, busy connections (tcpload) against a
tcpdump capture of the same traffic, segment for segment (issue 17).

Usage:
  check_long.py --name TEST (--pcap CAPTURE.pcap | --reference-jsonl TRACE.jsonl)
                [--conns N] [--jsonl TRACE.jsonl]... [--pcapng TRACE.pcapng]...
                [--ladder LADDER.txt [--max-rows R]] [--ladder-all LADDER-v.txt]
                [--incomplete]

--reference-jsonl takes the segments a JSONL trace says each lane sent as
what happened, in place of a capture (a replay of a recording cut short);
--incomplete: the ladders' connections were cut short (their headers say
INCOMPLETE, and no teardown is asked for).

Every connection of the capture (a flow that starts with a SYN) is matched
with synscope's by its client's address and port. Prints "ok TEST/CHECK" or
"FAIL TEST/CHECK: reason" per check; exits 1 if any failed. Standard library
only (and tshark for --pcapng).

  capture          the capture holds --conns connections (default 1)
  jsonl-conns      (each --jsonl) the same connections, no "lost" line
  jsonl-tx / -rx   every segment tcpdump saw is a tx line at its sender and an
                   rx line at its receiver, with the same flags, seq, ack and
                   length, in the same order, and no other segment line
  jsonl-addresses  every line of a connection carries its lane's addresses and
                   ports; each connection's lines are in time order
  no-kernel-addresses
  pcapng           (each --pcapng) tshark reads the file; its packets (ports,
                   flags, seq, ack, length) equal tcpdump's, in order, and
                   tshark finds no segment missing ("previous segment not
                   captured", "ACKed unseen segment")
  ladder-*         (--ladder) each connection's header says complete and no
                   events lost; the handshake's SYN, SYN,ACK, ACK are drawn,
                   and the teardown's two FINs with the final ACK after them;
                   at most --max-rows numbered rows; the segments drawn plus
                   those its summary rows count, and their bytes, equal
                   tcpdump's in each direction
  ladder-all-*     (--ladder-all, the -v ladder) no summary row, every segment
                   drawn: the drawn ones alone equal tcpdump's
"""
import argparse
import json
import re
import sys
from collections import OrderedDict

from check_exports import pcap_segments, tshark
from check_trace import load_jsonl, norm_flags, read_pcap
from checks import Checks
from kernel_addresses import check_no_kernel_addresses

DIRS = ("client", "server")


def first(problems, n=3):
    more = f" (and {len(problems) - n} more)" if len(problems) > n else ""
    return "; ".join(problems[:n]) + more


# ---- tcpdump -------------------------------------------------------------

def capture_flows(path):
    """{(client addr, client port): {"segs": [(sender, flags, seq, ack, len)],
    "server": (addr, port)}} from tcpdump's own reading of its capture."""
    flows = OrderedDict()
    for (client, server), segs in read_pcap(path).items():
        flows[client] = {"server": server, "segs": segs}
    return flows


def jsonl_flows(path):
    """The same as capture_flows, from the tx segment lines of a JSONL trace."""
    flows = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if '"kind":"segment"' not in line or '"dir":"tx"' not in line:
                continue
            r = json.loads(line)
            me = (r["saddr"], r["sport"])
            peer = (r["daddr"], r["dport"])
            client = me if r["end"] == "client" else peer
            flow = flows.setdefault(client, {"server": peer if r["end"] == "client" else me,
                                             "segs": []})
            flags = norm_flags(r.get("flags", []))
            flow["segs"].append((r["end"], flags, r["seq"],
                                 r["ack"] if "ACK" in flags.split(",") else None, r["len"]))
    return flows


def by_sender(segs):
    """{lane: [(flags, seq, ack, len)]}: what each lane sent, in order."""
    out = {d: [] for d in DIRS}
    for sender, flags, seq, ack, n in segs:
        out[sender].append((flags, seq, ack, n))
    return out


def totals(segs):
    """{lane: (segments, payload bytes)} sent by each lane."""
    return {d: (len(s), sum(x[3] for x in s)) for d, s in by_sender(segs).items()}


# ---- JSONL ---------------------------------------------------------------

def seg_key(r):
    flags = norm_flags(r.get("flags", []))
    return (flags, r.get("seq"), r.get("ack") if "ACK" in flags.split(",") else None,
            r.get("len", 0))


def check_jsonl(rep, tag, path, flows, nconns):
    rows, errors = load_jsonl(path)
    conns = OrderedDict()
    for r in rows:
        if r.get("conn"):
            conns.setdefault(r["conn"], []).append(r)
    lost = sum(int(r.get("count", 0)) for r in rows if r.get("kind") == "lost")
    problems = errors[:]
    if len(conns) != nconns:
        problems.append(f"{len(conns)} connections, want {nconns}")
    if lost:
        problems.append(f"{lost} events lost")
    rep(f"{tag}-conns", not problems, first(problems))

    tx_bad, rx_bad, addr_bad = [], [], []
    seen = set()
    for cid, crows in conns.items():
        client = next(((r.get("saddr"), r.get("sport")) for r in crows
                       if r.get("end") == "client"), None)
        flow = flows.get(client)
        if not flow:
            tx_bad.append(f"conn {cid} (client {client}): not in the capture")
            continue
        seen.add(client)
        lanes = {"client": client, "server": flow["server"]}
        want = by_sender(flow["segs"])
        tx = {d: [seg_key(r) for r in crows if r.get("kind") == "segment" and
                  r.get("dir") == "tx" and r.get("end") == d] for d in DIRS}
        # an rx line at a lane is what the other lane sent
        rx = {d: [seg_key(r) for r in crows if r.get("kind") == "segment" and
                  r.get("dir") == "rx" and r.get("end") != d] for d in DIRS}
        for d in DIRS:
            for got, bad, what in ((tx, tx_bad, "sent"), (rx, rx_bad, "received")):
                if got[d] != want[d]:
                    i = next((i for i, (a, b) in enumerate(zip(got[d], want[d])) if a != b),
                             min(len(got[d]), len(want[d])))
                    bad.append(f"conn {cid}: {d}'s segments {what}: {len(got[d])} lines, "
                               f"tcpdump {len(want[d])}; first difference at {i}: "
                               f"{got[d][i] if i < len(got[d]) else 'none'} vs "
                               f"{want[d][i] if i < len(want[d]) else 'none'}")
        last = None
        for r in crows:
            me, peer = lanes.get(r.get("end")), lanes["server" if r.get("end") == "client"
                                                       else "client"]
            if me is None or (r.get("saddr"), r.get("sport")) != me or \
                    (r.get("daddr"), r.get("dport")) != peer:
                addr_bad.append(f"line {r['_line']}: {r.get('kind')} at {r.get('end')} says "
                                f"{r.get('saddr')}:{r.get('sport')} -> "
                                f"{r.get('daddr')}:{r.get('dport')}")
            if last is not None and r.get("t_ns", 0) < last:
                addr_bad.append(f"line {r['_line']}: t_ns goes back")
            last = r.get("t_ns", 0)
    for client in flows:
        if client not in seen:
            tx_bad.append(f"capture's connection from {client} is not in the trace")
    rep(f"{tag}-tx", not tx_bad, first(tx_bad))
    rep(f"{tag}-rx", not rx_bad, first(rx_bad))
    rep(f"{tag}-addresses", not addr_bad, first(addr_bad))
    bad = check_no_kernel_addresses(path)
    rep(f"{tag}-no-kernel-addresses", not bad, first(bad))


# ---- pcapng --------------------------------------------------------------

def check_pcapng(rep, tag, path, pcap):
    try:
        mine, theirs = pcap_segments(path), pcap_segments(pcap)
    except (RuntimeError, OSError, ValueError) as e:
        rep(tag, False, str(e))
        return
    if mine != theirs:
        i = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b),
                 min(len(mine), len(theirs)))
        rep(tag, False, f"{len(mine)} packets, tcpdump {len(theirs)}; first difference at {i}: "
                        f"{mine[i] if i < len(mine) else 'none'} vs "
                        f"{theirs[i] if i < len(theirs) else 'none'}")
    else:
        rep(tag, True)
    rc, out, err = tshark("-r", path, "-Y",
                          "tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment")
    gaps = len(out.splitlines())
    rep(f"{tag}-no-gap", rc == 0 and gaps == 0,
        f"exit {rc}, {gaps} packets after a gap: {out.strip()[:300]} {err.strip()[:200]}")


# ---- the ladder ----------------------------------------------------------

ROW = re.compile(r"^\s*(\d+)\s+\d+\.\d+\s+\S+\s+\S+\s+\|(.*)\|\s*\S*\s*$")
CONT = re.compile(r"^\s+\|(.*)\|\s*$")
HEADER = re.compile(r"^connection (\d+): (\S+):(\d+) .* -> ")
INFLIGHT = ". . ."


def parse_ladders(path):
    """[{"id", "client": (addr, port), "header": [lines], "rows": [(n, mid, cont)]}]"""
    conns, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = HEADER.match(line)
            if m:
                addr = m.group(2).strip("[]")
                cur = {"id": int(m.group(1)), "client": (addr, int(m.group(3))),
                       "header": [line], "rows": []}
                conns.append(cur)
                continue
            if cur is None:
                continue
            m = ROW.match(line)
            if m:
                cur["rows"].append([int(m.group(1)), m.group(2).strip(), ""])
                continue
            m = CONT.match(line)
            if m and cur["rows"]:
                cur["rows"][-1][2] += " " + m.group(1).strip()
                continue
            if not cur["rows"]:
                cur["header"].append(line)
    return conns


def arrow(mid):
    """A segment row's (sender, counts, label): counts is False for the
    arrival half of a segment drawn in flight (its departure counted it)."""
    if mid.startswith("<"):
        return "server", not mid.endswith(INFLIGHT), mid.strip("<-~=. ")
    if mid.endswith(">"):
        return "client", not mid.startswith(INFLIGHT), mid.strip(">-~=. ")
    if mid.startswith(INFLIGHT) and mid[len(INFLIGHT):].startswith(("-", "~", "=")):
        return "server", True, mid.strip("-~=. ")
    if mid.endswith(INFLIGHT) and mid.startswith(("--", "~~", "==")):
        return "client", True, mid.strip("-~=. ")
    return None


def number(text):
    return int(text.replace(",", ""))


def ladder_figures(conn):
    """What a ladder says of one connection: drawn segments [(sender, flags,
    len)], summary totals {lane: [segments, bytes]}, and the row count."""
    drawn, summed, nsum = [], {d: [0, 0] for d in DIRS}, 0
    for _n, mid, cont in conn["rows"]:
        # a summary row: its head across the middle, or " summary " there and
        # the head below when the middle is too narrow for it
        if mid.startswith(":") and ("summarized" in mid or " summary " in mid):
            nsum += 1
            for src, dst, segs, nbytes in re.findall(
                    r"(client|server) -> (client|server): ([\d,]+) segments?, ([\d,]+) B", cont):
                summed[src][0] += number(segs)
                summed[src][1] += number(nbytes)
            continue
        a = arrow(mid)
        if not a or not a[1]:
            continue
        sender, _counts, label = a
        label = label.replace("RETRANS ", "")
        flags = label.split(" ")[0]
        m = re.search(r"\blen=(\d+)", label + " " + cont)
        drawn.append((sender, flags, int(m.group(1)) if m else 0))
    return drawn, summed, nsum


def check_ladder(rep, tag, path, flows, nconns, max_rows, every_row, incomplete=False):
    try:
        conns = parse_ladders(path)
    except OSError as e:
        rep(tag, False, str(e))
        return
    head_bad, hs_bad, td_bad, rows_bad, sum_bad = [], [], [], [], []
    if len(conns) != nconns:
        head_bad.append(f"{len(conns)} connections drawn, want {nconns}")
    for c in conns:
        cid = c["id"]
        header = " ".join(c["header"])
        if (", INCOMPLETE" if incomplete else ", complete") not in header or \
                "events were lost" in header:
            head_bad.append(f"conn {cid}: header {header[:200]!r}")
        flow = flows.get(c["client"])
        if not flow:
            head_bad.append(f"conn {cid} (client {c['client']}): not in the capture")
            continue
        drawn, summed, nsum = ladder_figures(c)
        kinds = [(s, f) for s, f, _n in drawn]
        if kinds[:3] != [("client", "SYN"), ("server", "SYN,ACK"), ("client", "ACK")]:
            hs_bad.append(f"conn {cid}: first segments drawn {kinds[:3]}")
        fins = [i for i, (_s, f) in enumerate(kinds) if "FIN" in f.split(",")]
        if incomplete:
            if fins:
                td_bad.append(f"conn {cid}: a FIN drawn in a connection cut short")
        elif len(fins) != 2 or not kinds[fins[1] + 1:] or \
                kinds[-1] != ("client" if kinds[fins[1]][0] == "server" else "server", "ACK"):
            td_bad.append(f"conn {cid}: teardown drawn {kinds[fins[0]:] if fins else kinds[-4:]}")
        nrows = len(c["rows"])
        if max_rows and nrows > max_rows:
            rows_bad.append(f"conn {cid}: {nrows} rows, want at most {max_rows}")
        if every_row and nsum:
            rows_bad.append(f"conn {cid}: {nsum} summary rows with every row asked for")
        want = totals(flow["segs"])
        for d in DIRS:
            segs = sum(1 for s, _f, _n in drawn if s == d) + summed[d][0]
            nbytes = sum(n for s, _f, n in drawn if s == d) + summed[d][1]
            if (segs, nbytes) != want[d]:
                sum_bad.append(f"conn {cid}: {d} sent {segs} segments, {nbytes} B by the ladder "
                               f"({summed[d][0]} and {summed[d][1]} in summaries); tcpdump "
                               f"{want[d][0]}, {want[d][1]} B")
    rep(f"{tag}-headers", not head_bad, first(head_bad))
    rep(f"{tag}-handshake", not hs_bad, first(hs_bad))
    rep(f"{tag}-teardown", not td_bad, first(td_bad))
    rep(f"{tag}-rows", not rows_bad, first(rows_bad))
    rep(f"{tag}-adds-up", not sum_bad, first(sum_bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--pcap")
    ap.add_argument("--reference-jsonl")
    ap.add_argument("--incomplete", action="store_true")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--jsonl", action="append", default=[])
    ap.add_argument("--pcapng", action="append", default=[])
    ap.add_argument("--ladder")
    ap.add_argument("--ladder-all")
    ap.add_argument("--max-rows", type=int, default=0)
    a = ap.parse_args()
    rep = Checks(a.name)
    if bool(a.pcap) == bool(a.reference_jsonl):
        ap.error("one of --pcap and --reference-jsonl")
    try:
        flows = capture_flows(a.pcap) if a.pcap else jsonl_flows(a.reference_jsonl)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        rep("capture", False, str(e))
        return 1
    rep("capture" if a.pcap else "reference", len(flows) == a.conns,
        f"{len(flows)} connections in {a.pcap or a.reference_jsonl}, want {a.conns}")
    for i, path in enumerate(a.jsonl):
        check_jsonl(rep, "jsonl" if i == 0 else f"jsonl{i + 1}", path, flows, a.conns)
    for i, path in enumerate(a.pcapng):
        check_pcapng(rep, "pcapng" if i == 0 else f"pcapng{i + 1}", path, a.pcap)
    if a.ladder:
        check_ladder(rep, "ladder", a.ladder, flows, a.conns, a.max_rows, False, a.incomplete)
    if a.ladder_all:
        check_ladder(rep, "ladder-all", a.ladder_all, flows, a.conns, 0, True, a.incomplete)
    sys.stdout.flush()
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
