#!/usr/bin/env python3
"""Checks a synscope JSON Lines trace of one tcpdemo scenario (and, with
--pcap, compares it with a tcpdump capture of the same traffic).

Usage:
  check_trace.py --name TEST --scenario client-close|server-close|refused|parallel
                 --jsonl TRACE.jsonl [--pcap CAPTURE.pcap] [--conns N]

Prints one line per check, "ok TEST/CHECK" or "FAIL TEST/CHECK: reason",
and exits 1 if any check failed. Standard library only.

What it asserts, per connection (rows grouped by their "conn" field):
  conns      the number of connections is exactly --conns (default 1), and
             no "lost" rows report lost events
  handshake  the first three segments sent (dir tx, in time order, both ends
             merged) are client SYN, server SYN,ACK, client ACK, each
             acknowledging the one before (ack = seq + 1)
  teardown   the last four are the scenario's four-way close: the closer's
             FIN,ACK, the peer's ACK of it, the peer's FIN,ACK, the closer's
             ACK (refused: client SYN, then RST,ACK and nothing else)
  payload    the segments in between carry no SYN/FIN/RST and their payload
             lengths sum to 6 bytes ("hello\\n") from the client and 6
             ("world\\n") from the server, whatever the kernel's ACK pattern
  states     each lane's kernel-reported (not inferred) state changes, in
             order, are exactly the sequence this kernel produces
  inferred   the active closer's lane has an inferred FIN_WAIT2->TIME_WAIT
             row and the passive closer's none; the server lane has an
             inferred LISTEN->SYN_RECV (where the SYN arrived)
  syscalls   connect returned 0 (refused: -111), accept returned >= 0 on the
             server lane, every close returned 0, one close at least per lane
  comm       client lane rows say demo-client; server lane rows say
             demo-server with a non-zero pid
  (refused has no server process: its server lane, which holds only the
  kernel's RST, is exempt from the comm, close and inferred-state checks)
  pcap       per 4-tuple, tcpdump's sequence of (sender, flags, seq, ack, len)
             equals synscope's tx segments exactly (tcpdump on lo sees each
             segment once). tcpdump prints no seq for a pure ACK: it is the
             sender's next sequence number, which the capture itself gives.

The JSONL schema is synscope's (userspace/export/jsonl.c): "kind", "conn" (0 =
outside any connection), "end" ("client"/"server"), "t_ns", "pid", "comm";
segments "dir", "flags" (a list), "seq", "ack", "len"; states "from", "to",
"inferred"; syscalls "name", "phase", "ret"; lost "count". A connection's
rows come in time order.
"""
import argparse
import json
import re
import subprocess
import sys
from collections import OrderedDict, defaultdict

from kernel_addresses import check_no_kernel_addresses

FLAG_ORDER = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
STATE_NAMES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1",
               5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT",
               9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV"}
ECONNREFUSED = 111
REQUEST_LEN = 6   # "hello\n"
REPLY_LEN = 6     # "world\n"

# Kernel-reported state changes, observed on Linux 6.18 with bpftrace on
# sock:inet_sock_set_state while running tcpdemo. The server's accepted
# socket is born as a clone of the listener: LISTEN->SYN_RECV, then
# SYN_RECV->ESTABLISHED on the handshake's final ACK. An orphaned
# FIN_WAIT2 socket moves straight into a timewait socket, which the kernel
# reports as FIN_WAIT2->CLOSE.
ACTIVE_CLOSER = ["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT1",
                 "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"]
PASSIVE_CLIENT = ["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT",
                  "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE"]
SERVER_OPEN = ["LISTEN>SYN_RECV", "SYN_RECV>ESTABLISHED"]

SCENARIOS = {
    "client-close": {
        "closer": "client",
        "teardown": [("client", "FIN,ACK"), ("server", "ACK"),
                     ("server", "FIN,ACK"), ("client", "ACK")],
        "states": {"client": ACTIVE_CLOSER,
                   "server": SERVER_OPEN + ["ESTABLISHED>CLOSE_WAIT",
                                            "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE"]},
    },
    "server-close": {
        "closer": "server",
        "teardown": [("server", "FIN,ACK"), ("client", "ACK"),
                     ("client", "FIN,ACK"), ("server", "ACK")],
        "states": {"client": PASSIVE_CLIENT,
                   "server": SERVER_OPEN + ["ESTABLISHED>FIN_WAIT1",
                                            "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"]},
    },
    "refused": {
        "closer": None,
        # The RST,ACK is the kernel's answer with no socket behind it: synscope
        # puts it on the server lane, by its tuple.
        "segments": [("client", "SYN"), ("server", "RST,ACK")],
        "states": {"client": ["CLOSE>SYN_SENT", "SYN_SENT>CLOSE"], "server": []},
    },
}
SCENARIOS["parallel"] = SCENARIOS["client-close"]


class Report:
    def __init__(self, name):
        self.name = name
        self.failed = 0

    def check(self, check, problems):
        """problems: a list of strings; empty means the check passed."""
        if problems:
            self.failed += 1
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            print(f"FAIL {self.name}/{check}: " + "; ".join(problems[:3]) + more)
        else:
            print(f"ok {self.name}/{check}")
        sys.stdout.flush()


# ---- reading synscope's JSONL ----

def norm_flags(v):
    """["SYN","ACK"], 'SYN,ACK', 18 ... -> 'SYN,ACK' in wire order."""
    if isinstance(v, int):
        names = {FLAG_ORDER[i] for i in range(8) if v & (1 << i)}
    elif isinstance(v, list):
        names = {str(f).upper() for f in v}
    else:
        names = {f for f in re.split(r"[,|+ ]+", str(v).upper()) if f}
    return ",".join(f for f in FLAG_ORDER if f in names) + \
        "".join("," + f for f in sorted(names - set(FLAG_ORDER)))


def norm_state(v):
    return STATE_NAMES.get(v, str(v)) if isinstance(v, int) else str(v).upper()


def row_ts(row):
    for key in ("t_ns", "ts_ns", "ts"):
        if isinstance(row.get(key), (int, float)):
            return row[key]
    return None


def load_jsonl(path):
    rows, errors = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except ValueError as e:
                    errors.append(f"line {n}: not JSON ({e})")
                    continue
                if not isinstance(row, dict):
                    errors.append(f"line {n}: not an object")
                    continue
                row["_line"] = n
                rows.append(row)
    except OSError as e:
        errors.append(str(e))
    return rows, errors


def group_conns(rows):
    """conn id -> rows in time order (file order when there is no timestamp)."""
    conns = OrderedDict()
    for row in rows:
        cid = row.get("conn")
        if cid in (None, 0, ""):
            continue
        conns.setdefault(cid, []).append(row)
    for cid, lst in conns.items():
        if all(row_ts(r) is not None for r in lst):
            lst.sort(key=lambda r: (row_ts(r), r["_line"]))
    return conns


def tx_segments(crow):
    """The segments each end sent: [(end, flags, seq, ack, len)] in order."""
    out = []
    for r in crow:
        if r.get("kind") == "segment" and r.get("dir") == "tx":
            out.append((r.get("end"), norm_flags(r.get("flags", "")),
                        r.get("seq"), r.get("ack"), r.get("len", 0)))
    return out


def fmt_segs(segs):
    return "[" + ", ".join(f"{e} {f}" + (f" len={n}" if n else "") for e, f, _s, _a, n in segs) + "]"


def plus(seq, n):
    return None if seq is None else (seq + n) & 0xFFFFFFFF


# ---- the checks ----

def check_segments(scn, conns):
    """handshake, teardown, payload: returns three problem lists."""
    hs, td, pl = [], [], []
    for cid, crow in conns.items():
        segs = tx_segments(crow)
        pairs = [(e, f) for e, f, _s, _a, _n in segs]
        if "segments" in scn:  # refused: the whole exchange is fixed
            if pairs != scn["segments"]:
                hs.append(f"conn {cid}: tx segments {fmt_segs(segs)}, want {scn['segments']}")
            elif segs[1][3] != plus(segs[0][2], 1):
                hs.append(f"conn {cid}: RST acks {segs[1][3]}, want SYN seq+1 = {plus(segs[0][2], 1)}")
            continue
        want_hs = [("client", "SYN"), ("server", "SYN,ACK"), ("client", "ACK")]
        if pairs[:3] != want_hs:
            hs.append(f"conn {cid}: starts {fmt_segs(segs[:3])}, want {want_hs}")
        elif segs[1][3] != plus(segs[0][2], 1) or segs[2][3] != plus(segs[1][2], 1) \
                or segs[2][4] != 0:
            hs.append(f"conn {cid}: handshake seq/ack do not chain: {segs[:3]}")
        want_td = scn["teardown"]
        if len(segs) < 7 or pairs[-4:] != want_td:
            td.append(f"conn {cid}: ends {fmt_segs(segs[-4:])}, want {want_td}")
        else:
            fin1, ack1, fin2, ack2 = segs[-4:]
            if ack1[3] != plus(fin1[2], 1) or ack2[3] != plus(fin2[2], 1):
                td.append(f"conn {cid}: teardown ACKs do not acknowledge the FINs: {segs[-4:]}")
        middle = segs[3:-4] if len(segs) >= 7 else []
        sent = defaultdict(int)
        for e, f, _s, _a, n in middle:
            if {"SYN", "FIN", "RST"} & set(f.split(",")):
                pl.append(f"conn {cid}: unexpected {e} {f} in the data phase")
            sent[e] += n or 0
        if sent["client"] != REQUEST_LEN or sent["server"] != REPLY_LEN:
            pl.append(f"conn {cid}: payload client={sent['client']} server={sent['server']}, "
                      f"want {REQUEST_LEN} and {REPLY_LEN}: {fmt_segs(middle)}")
    return hs, td, pl


def check_states(scenario, scn, conns):
    """states, inferred: two problem lists."""
    st, inf = [], []
    for cid, crow in conns.items():
        kernel = {"client": [], "server": []}
        inferred = {"client": [], "server": []}
        for r in crow:
            if r.get("kind") != "state":
                continue
            step = f"{norm_state(r.get('from'))}>{norm_state(r.get('to'))}"
            (inferred if r.get("inferred") else kernel).setdefault(r.get("end"), []).append(step)
        for end in ("client", "server"):
            want = scn["states"][end]
            if kernel.get(end, []) != want:
                st.append(f"conn {cid} {end}: {kernel.get(end, [])}, want {want}")
        for end in ("client", "server"):
            got = inferred.get(end, [])
            if end == scn["closer"] and "FIN_WAIT2>TIME_WAIT" not in got:
                inf.append(f"conn {cid} {end}: no inferred FIN_WAIT2>TIME_WAIT (inferred: {got})")
            elif end != scn["closer"] and any(x.endswith(">TIME_WAIT") for x in got):
                inf.append(f"conn {cid} {end}: inferred TIME_WAIT on the passive end")
        if scenario != "refused" and "LISTEN>SYN_RECV" not in inferred.get("server", []):
            inf.append(f"conn {cid} server: no inferred LISTEN>SYN_RECV "
                       f"(inferred: {inferred.get('server', [])})")
    return st, inf


def check_syscalls(scenario, conns):
    sc = []
    for cid, crow in conns.items():
        rets = defaultdict(list)  # (end, call) -> [ret]
        for r in crow:
            if r.get("kind") != "syscall" or r.get("phase") != "return":
                continue
            rets[(r.get("end"), r.get("name"))].append(r.get("ret"))
        want_connect = [-ECONNREFUSED] if scenario == "refused" else [0]
        if rets[("client", "connect")] != want_connect:
            sc.append(f"conn {cid}: client connect returned {rets[('client', 'connect')]}, "
                      f"want {want_connect}")
        accepts = rets[("server", "accept")] + rets[("server", "accept4")]
        if scenario != "refused" and (len(accepts) != 1 or accepts[0] < 0):
            sc.append(f"conn {cid}: server accept returned {accepts}, want one value >= 0")
        for end in ("client", "server"):
            closes = rets[(end, "close")]
            if scenario == "refused" and end == "server":
                continue
            if not closes or any(v != 0 for v in closes):
                sc.append(f"conn {cid}: {end} close returned {closes}, want 0")
        # a SYN to a closed port: the kernel says why it reset (6.10+ names it)
        if scenario == "refused":
            why = [r.get("reason_name") for r in crow
                   if r.get("kind") == "reset" and r.get("rst") == "sent"]
            if why != ["NO_SOCKET"]:
                sc.append(f"conn {cid}: reset sent with reason {why}, want ['NO_SOCKET']")
        # tcpdemo never duplicates a descriptor: each close() drops the last
        # reference, the one that sends the FIN
        for r in crow:
            if (r.get("kind") == "syscall" and r.get("name") == "close"
                    and r.get("phase") == "entry" and r.get("last_ref") is not True):
                sc.append(f"conn {cid}: {r.get('end')} close entry last_ref={r.get('last_ref')}, want true")
    return sc


def check_comm(scenario, conns):
    cm = []
    for cid, crow in conns.items():
        for r in crow:
            end = r.get("end")
            if end == "server" and scenario == "refused":
                continue  # no server process: the kernel answered alone
            want = {"client": "demo-client", "server": "demo-server"}.get(end)
            # A syscall row names its caller; any other row its lane's owner
            # (never the task a softirq happened to interrupt).
            if want and "comm" in r and r["comm"] != want:
                cm.append(f"conn {cid} line {r['_line']}: {end} {r.get('kind')} row "
                          f"comm {r['comm']!r}, want {want!r}")
            if end == "server" and r.get("pid", 1) == 0:
                cm.append(f"conn {cid} line {r['_line']}: server {r.get('kind')} row has pid 0")
    return cm


# ---- tcpdump ----

TD_LINE = re.compile(r" IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](.*)$")
TD_FLAGS = {"S": "SYN", "F": "FIN", "R": "RST", "P": "PSH", ".": "ACK",
            "U": "URG", "E": "ECE", "W": "CWR"}


def read_pcap(path):
    """4-tuple flows from `tcpdump -nn -S -r`: {(client, server): [(sender, flags,
    seq, ack, len)]} where the client is the end that sent the SYN."""
    out = subprocess.run(["tcpdump", "-nn", "-S", "-r", path], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"tcpdump -r failed: {out.stderr.strip()}")
    flows = OrderedDict()
    for line in out.stdout.splitlines():
        m = TD_LINE.search(line)
        if not m:
            continue
        src, dst = (m[1], int(m[2])), (m[3], int(m[4]))
        flags = norm_flags(",".join(TD_FLAGS.get(c, c) for c in m[5]))
        rest = m[6]
        seq = re.search(r", seq (\d+)", rest)
        ack = re.search(r", ack (\d+)", rest)
        length = re.findall(r", length (\d+)", rest)
        key = frozenset((src, dst))
        flows.setdefault(key, []).append(
            (src, flags, int(seq[1]) if seq else None, int(ack[1]) if ack else None,
             int(length[-1]) if length else 0))
    result = {}
    for key, pkts in flows.items():
        syn = next((p for p in pkts if p[1] == "SYN"), None)
        if not syn:
            continue  # not a connection we saw open
        client = syn[0]
        nxt = {}
        segs = []
        for src, flags, seq, ack, n in pkts:
            end = "client" if src == client else "server"
            if seq is None:  # tcpdump leaves out a pure ACK's seq
                seq = nxt.get(end)
            fl = flags.split(",")
            nxt[end] = plus(seq, n + ("SYN" in fl) + ("FIN" in fl))
            segs.append((end, flags, seq, ack if "ACK" in fl else None, n))
        result[(client, next(iter(key - {client}), client))] = segs
    return result


def check_pcap(conns, path):
    try:
        flows = read_pcap(path)
    except (OSError, RuntimeError) as e:
        return [str(e)]
    problems = []
    by_isn = {}
    for (client, server), segs in flows.items():
        by_isn[segs[0][2]] = ((client, server), segs)
    matched = set()
    for cid, crow in conns.items():
        mine = [(e, f, s, a if "ACK" in f.split(",") else None, n or 0)
                for e, f, s, a, n in tx_segments(crow)]
        syn = next((s for s in mine if s[0] == "client" and s[1] == "SYN"), None)
        if not syn or syn[2] not in by_isn:
            problems.append(f"conn {cid}: no flow in the capture starts with SYN seq "
                            f"{syn[2] if syn else '?'}")
            continue
        tuple_, theirs = by_isn[syn[2]]
        matched.add(syn[2])
        if mine != theirs:
            i = next((i for i, (x, y) in enumerate(zip(mine, theirs)) if x != y),
                     min(len(mine), len(theirs)))
            problems.append(f"conn {cid} ({tuple_[0][0]}:{tuple_[0][1]}): segment {i}: "
                            f"synscope {mine[i] if i < len(mine) else 'none'}, "
                            f"tcpdump {theirs[i] if i < len(theirs) else 'none'} "
                            f"({len(mine)} vs {len(theirs)} segments)")
    for isn, (tuple_, _segs) in by_isn.items():
        if isn not in matched:
            problems.append(f"flow {tuple_[0][0]}:{tuple_[0][1]} is in the capture "
                            f"but not in the trace")
    if not flows:
        problems.append("no TCP connection in the capture")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True, help="test name printed before each check")
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--jsonl", required=True)
    ap.add_argument("--pcap")
    ap.add_argument("--conns", type=int, default=1)
    a = ap.parse_args()
    rep = Report(a.name)
    scn = SCENARIOS[a.scenario]

    rows, errors = load_jsonl(a.jsonl)
    rep.check("jsonl", errors + ([] if rows else ["no rows"]))
    conns = group_conns(rows)
    problems = []
    if len(conns) != a.conns:
        problems.append(f"{len(conns)} connections in the trace, want {a.conns}")
    lost = sum(int(r.get("count", r.get("lost", 0)) or 0)
               for r in rows if r.get("kind") == "lost")  # the field test_lost.sh reads from real losses
    if lost:
        problems.append(f"{lost} events lost")
    rep.check("conns", problems)
    if not conns:
        return 1

    hs, td, pl = check_segments(scn, conns)
    rep.check("handshake", hs)
    if a.scenario != "refused":
        rep.check("teardown", td)
        rep.check("payload", pl)
    st, inf = check_states(a.scenario, scn, conns)
    rep.check("states", st)
    rep.check("inferred", inf)
    rep.check("syscalls", check_syscalls(a.scenario, conns))
    rep.check("comm", check_comm(a.scenario, conns))
    rep.check("no-kernel-addresses", check_no_kernel_addresses(a.jsonl))
    if a.pcap:
        rep.check("pcap", check_pcap(conns, a.pcap))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
