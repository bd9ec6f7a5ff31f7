#!/usr/bin/env python3
"""Checks `synscope merge -f jsonl` output against the JSONL of the unsplit
recording it was made from (both hosts were network namespaces of one
kernel, so the unsplit recording is the truth, on one clock).

Usage: check_merge.py --name TEST REF.jsonl MERGED.jsonl
           --host A=10.99.0.1,fd99::1 --host B=10.99.0.2,fd99::2
           --delta A=0 --delta B=3500000000 [--exact A] [--tol-ns 1000000]

--host names the addresses of each host. --delta HOST=NS is how much later
than in REF every line of that host must be in MERGED: with --exact, exactly
(the input whose clock is the output's); otherwise all the host's lines must
be moved by one and the same amount, within --tol-ns of NS (the clock
estimate's error is the same for every event of the host).

Checks (one "ok"/"FAIL" line each):
  lines      MERGED holds exactly REF's lines, but for t_ns and the conn
             numbers (as a multiset); a "connection" line (the sum of its
             connection's lines) also but for its start and duration, which
             can span both hosts' clocks, and for closed_first when the two
             first FINs left closer together than the clock estimate's error
             (as delta-H measured it) plus 1 us: the merge's order of two such
             events is its estimate's
  delta-H    each host's lines are moved as --delta says
  order      within each connection, MERGED's lines are in time order
  send-recv  every segment received in MERGED was sent before it was
             received, when its transmission is in MERGED too
Exits 1 if anything failed.
"""
import argparse
import json
import sys
from collections import defaultdict

from checks import Checks

SEG_KEY = ("seq", "ack", "flags", "len", "win", "tsval", "tsecr", "proto")


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def host_of_addr(hosts, addr):
    for name, addrs in hosts.items():
        if addr in addrs:
            return name
    return None


def hosts_of_lines(lines, hosts):
    """The host of every line: by its own local address, else by its lane."""
    lane = {}
    for ln in lines:
        h = host_of_addr(hosts, ln.get("saddr"))
        if h and ln["conn"]:
            lane[(ln["conn"], ln["end"])] = h
    out = []
    for ln in lines:
        if ln["kind"] == "connection":  # its end is either host's last line
            out.append(None)
            continue
        h = host_of_addr(hosts, ln.get("saddr"))
        if not h and ln["conn"]:
            h = lane.get((ln["conn"], ln["end"]))
        out.append(h)
    return out


SPANS = ("start_t_ns", "duration_ns")
# two hosts' events closer together than the clock estimate's error plus this
# may change order in the merge (the error itself is measured: delta-H)
TIE_NS = 1000


def fins_tied(lines, within_ns):
    """Did both lanes of a connection send their first FIN within within_ns
    of each other (a simultaneous close's two close() calls)? Which came
    first is then the clock estimate's to decide, and so is the connection
    line's closed_first."""
    first = {}
    for ln in lines:
        if ln["kind"] == "segment" and ln.get("dir") == "tx" and "FIN" in ln.get("flags", []):
            first.setdefault((ln["conn"], ln["end"]), ln["t_ns"])
    conns = {c for c, _ in first}
    return any(abs(first[(c, "client")] - first[(c, "server")]) < within_ns
               for c in conns if (c, "client") in first and (c, "server") in first)


def key(ln, tied=False):
    skip = ("t_ns", "conn") + (SPANS if ln["kind"] == "connection" else ())
    if tied and ln["kind"] == "connection":
        skip += ("closed_first",)
    return json.dumps({k: v for k, v in ln.items() if k not in skip}, sort_keys=True)


def group(ref, mrg, tied):
    """Line indexes of REF and MERGED, by key."""
    groups = defaultdict(lambda: ([], []))
    for i, ln in enumerate(ref):
        groups[key(ln, tied)][0].append(i)
    for i, ln in enumerate(mrg):
        groups[key(ln, tied)][1].append(i)
    return groups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--host", action="append", default=[])
    ap.add_argument("--delta", action="append", default=[])
    ap.add_argument("--exact", action="append", default=[])
    ap.add_argument("--tol-ns", type=int, default=1000000)
    ap.add_argument("ref")
    ap.add_argument("merged")
    a = ap.parse_args()
    hosts = {h.split("=")[0]: h.split("=")[1].split(",") for h in a.host}
    want = {d.split("=")[0]: int(d.split("=")[1]) for d in a.delta}
    ref, mrg = load(a.ref), load(a.merged)
    result = Checks(a.name)

    # delta per host: pair equal lines in time order (connection lines have
    # no host, so closed_first need not be compared for this)
    ref_host = hosts_of_lines(ref, hosts)
    deltas = defaultdict(set)
    for r_idx, m_idx in group(ref, mrg, True).values():
        r_sorted = sorted(r_idx, key=lambda i: ref[i]["t_ns"])
        m_sorted = sorted(m_idx, key=lambda i: mrg[i]["t_ns"])
        for ri, mi in zip(r_sorted, m_sorted):
            deltas[ref_host[ri]].add(mrg[mi]["t_ns"] - ref[ri]["t_ns"])
    errors = [abs(next(iter(deltas[h])) - want[h]) for h in want
              if h not in a.exact and len(deltas.get(h, ())) == 1]

    # lines: the same multiset, but for times and connection numbers
    tie_ns = TIE_NS + max(errors, default=0)
    tied = fins_tied(ref, tie_ns)
    if tied:
        print("# %s: two FINs within %d ns: closed_first is not compared" % (a.name, tie_ns))
    diff = [k for k, (r, m) in group(ref, mrg, tied).items() if len(r) != len(m)]
    result("lines", not diff and len(ref) == len(mrg),
           "%d vs %d lines; first difference: %s" % (len(ref), len(mrg), diff[0] if diff else "-"))

    for h, expect in sorted(want.items()):
        got = deltas.get(h, set())
        if not got:
            result("delta-" + h, False, "no line of host %s" % h)
        elif h in a.exact:
            result("delta-" + h, got == {expect}, "moved by %s, want exactly %d" % (sorted(got)[:5], expect))
        else:
            one = len(got) == 1 and abs(next(iter(got)) - expect) <= a.tol_ns
            result("delta-" + h, one, "moved by %s, want one amount within %d ns of %d" %
                   (sorted(got)[:5], a.tol_ns, expect))
            if one:
                print("# %s: host %s moved by %d ns (estimate off by %+d ns)" %
                      (a.name, h, next(iter(got)), next(iter(got)) - expect))
    if None in deltas and len(deltas[None]) > 0:
        print("# %s: lines of no known host moved by %s" % (a.name, sorted(deltas[None])[:5]))

    # order within each connection
    by_conn = defaultdict(list)
    for ln in mrg:
        if ln["conn"]:
            by_conn[ln["conn"]].append(ln)
    bad = [c for c, lns in by_conn.items()
           if any(x["t_ns"] > y["t_ns"] for x, y in zip(lns, lns[1:]))]
    result("order", not bad, "connections %s out of time order" % bad)

    # every received segment after its transmission
    late, checked = [], 0
    for c, lns in by_conn.items():
        tx = defaultdict(list)
        for ln in lns:
            if ln["kind"] == "segment" and ln["dir"] == "tx":
                tx[(ln["end"],) + tuple(json.dumps(ln.get(k)) for k in SEG_KEY)].append(ln["t_ns"])
        for ln in lns:
            if ln["kind"] != "segment" or ln["dir"] != "rx":
                continue
            other = "server" if ln["end"] == "client" else "client"
            sent = tx.get((other,) + tuple(json.dumps(ln.get(k)) for k in SEG_KEY), [])
            if not sent:
                continue
            checked += 1
            if min(sent) >= ln["t_ns"]:
                late.append("conn %d %s %s seq=%s" % (c, other, "/".join(ln["flags"]), ln["seq"]))
    result("send-recv", checked > 0 and not late,
           "%d segments checked; received before sent: %s" % (checked, late[:3]))
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
