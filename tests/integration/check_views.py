#!/usr/bin/env python3
"""Checks of synscope's views (docs/views.md) against other views of the same
traffic. Prints "ok NAME/check" or "FAIL NAME/check: why" lines (checks.py)
and exits 1 when one failed.

    check_views.py --name N json    TABLE JSONL     the table's numbers are the JSONL
                                                   "connection" lines' (same facts,
                                                   two writers)
    check_views.py --name N ladder  TABLE LADDER    each connection's SYN -> SYN-ACK,
                                                   connect(), accept wait and
                                                   duration, from the ladder's rows
    check_views.py --name N pcap    TABLE PCAP [--tol-ms T]
                                                   per connection (by its client's
                                                   port): segments and payload bytes
                                                   each way exactly tcpdump's; SYN ->
                                                   SYN-ACK and duration within T ms
                                                   (default 1) of tcpdump's times
    check_views.py --name N stats   TABLE STATS     the statistics: connections by
                                                   how they ended, and every histogram
                                                   slot, counted again from the table
    check_views.py --name N expect  TABLE EXPR...   every line: "FIELD OP VALUE"
                                                   (OP: == != < <= > >=, ~ a regular
                                                   expression; times in ms, "-" not
                                                   known), "lines OP N"; with
                                                   --conn ID, that connection's line
    check_views.py --name N same    TABLE OTHER [--tol-ms T]
                                                   the same connections with the same
                                                   numbers, times within T ms (a merge
                                                   that estimated its clock offset)

TABLE is `synscope -f table` output, LADDER the default format of the same
recording, PCAP a tcpdump capture, STATS `synscope -f stats` output.
"""
import argparse
import json
import math
import operator
import re
import subprocess
import sys

from checks import Checks

TIME_COLS = ("SYN-SA", "CONNECT", "ACCEPT", "DURATION")
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
       ">": operator.gt, ">=": operator.ge,
       "~": lambda got, want: re.search(str(want), str(got)) is not None}


def read_table(path):
    """{conn id: {column: value}}, in file order; ms columns as float or None."""
    rows = {}
    header = None
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0] == "synscope:" or line.startswith(("statistics", " ")):
                continue
            if w[0] == "END(UTC)":
                header = w
                # two SEGS columns: C>S's and S>C's
                header[header.index("SEGS")] = "C>S-SEGS"
                header[header.index("SEGS")] = "S>C-SEGS"
                continue
            if not header or len(w) != len(header):
                continue
            row = dict(zip(header, w))
            for c in TIME_COLS:
                row[c] = None if row[c] == "-" else float(row[c])
            for c in ("C>S-BYTES", "C>S-SEGS", "S>C-BYTES", "S>C-SEGS"):
                row[c] = int(row[c])
            row["RTX-C"], row["RTX-S"] = (int(x) for x in row["RTX"].split("/"))
            rows[row["CONN"]] = row
    return rows


def ms_of(ns):
    """The table's writing of a duration: ms, truncated to the microsecond."""
    return None if ns is None else (ns // 1000) / 1000.0


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


# ---- the table and the JSONL "connection" lines -------------------------------

def check_json(rep, table, path):
    conns = {}
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if o["kind"] == "connection":
                key = str(o["conn"]) + ("+" if o.get("continued") else "")
                conns[key] = o
    rep("json-count", len(conns) == len(table) and table,
        f"{len(table)} table lines, {len(conns)} connection lines")
    bad = []
    for cid, r in table.items():
        o = conns.get(cid)
        if not o:
            bad.append(f"conn {cid}: no connection line")
            continue
        want = {"SYN-SA": ms_of(o["syn_synack_ns"]), "CONNECT": ms_of(o["connect_ns"]),
                "ACCEPT": ms_of(o["accept_wait_ns"]), "DURATION": ms_of(o["duration_ns"]),
                "C>S-BYTES": o["client_bytes"], "C>S-SEGS": o["client_segs"],
                "S>C-BYTES": o["server_bytes"], "S>C-SEGS": o["server_segs"],
                "RTX-C": o["client_rtx"], "RTX-S": o["server_rtx"],
                "CLOSED": o["closed_first"] or "-", "TW": o["time_wait"] or "-",
                "CLIENT-ADDR": f"{o['saddr']}:{o['sport']}"}
        for k, v in want.items():
            got = r[k]
            if isinstance(v, float) and got is not None and abs(got - v) < 5e-7:
                continue
            if got != v:
                bad.append(f"conn {cid}: {k} {got} in the table, {v} in the JSONL")
        if not r["ENDED"].lower().startswith(o["outcome"]) and not (
                o["outcome"] == "fin" and r["ENDED"].startswith("FIN/FIN")):
            bad.append(f"conn {cid}: ENDED {r['ENDED']}, outcome {o['outcome']}")
    rep("json-same-numbers", not bad, "; ".join(bad[:5]))


# ---- the table and the ladder ------------------------------------------------------

LADDER_ROW = re.compile(r"^\s*(\d+)\s+(\d+\.\d{6})\s+\S+\s+\S+\s*\|(.*)\|\s*\S*$")
LADDER_HEAD = re.compile(r"^connection (\d+)( \(continued\))?:")
# A segment seen at both ends is one ladder row at the time it left: the
# table counts its arrival (a SYN-ACK's at the client; the last segment's).
# Calls and states are rows of their own, to the microsecond on both sides.
LADDER_TOL_MS = {"SYN-SA": 0.1, "DURATION": 0.1, "CONNECT": 0.002, "ACCEPT": 0.002}


def read_ladder(path):
    """{conn id: [(time s, the text between the rails)]}"""
    conns, cur = {}, None
    with open(path) as f:
        for line in f:
            m = LADDER_HEAD.match(line)
            if m:
                cur = conns.setdefault(m[1] + ("+" if m[2] else ""), [])
                continue
            m = LADDER_ROW.match(line)
            if m and cur is not None:
                cur.append((float(m[2]), m[3].strip()))
    return conns


def first(rows, pattern):
    return next((t for t, text in rows if re.match(pattern, text)), None)


def ladder_numbers(rows):
    """The four times of the table, from the ladder's rows: the client's SYN
    leaving ("--SYN seq="), the SYN-ACK arriving at the client ("<---SYN,ACK"),
    connect()'s entry and return (or the client's ESTABLISHED after
    EINPROGRESS), the server's SYN_RECV -> ESTABLISHED and accept()'s return,
    the last segment row."""
    syn = first(rows, r"-+SYN seq=")
    synack = first(rows, r"<-+SYN,ACK seq=")
    conn_in = first(rows, r"connect\(fd=")
    conn_out = first(rows, r"connect = ")
    if conn_out is not None and conn_out == first(rows, r"connect = -\d+ EINPROGRESS"):
        conn_out = first(rows, r"SYN_SENT -> ESTABLISHED$")
    estab = first(rows, r"SYN_RECV -> ESTABLISHED$")
    accept = first(rows, r"accept4? = \d")
    segs = [t for t, text in rows if " seq=" in text]

    def ms(a, b):
        return None if a is None or b is None else (b - a) * 1e3

    return {"SYN-SA": ms(syn, synack), "CONNECT": ms(conn_in, conn_out),
            "ACCEPT": ms(estab, accept), "DURATION": ms(syn, segs[-1] if segs else None)}


def check_ladder(rep, table, path):
    ladder = read_ladder(path)
    bad, compared = [], 0
    for cid, r in table.items():
        rows = ladder.get(cid)
        if rows is None:
            bad.append(f"conn {cid}: no ladder")
            continue
        got = ladder_numbers(rows)
        for col in TIME_COLS:
            a, b = r[col], got[col]
            if (a is None) != (b is None):
                bad.append(f"conn {cid}: {col} {a} in the table, {b} in the ladder")
            elif a is not None:
                compared += 1
                if abs(a - b) > LADDER_TOL_MS[col]:
                    bad.append(f"conn {cid}: {col} {a} ms in the table, {b:.3f} ms in the "
                               f"ladder")
    rep("ladder-same-times", not bad and compared, "; ".join(bad[:5]) or "nothing compared")


# ---- the table and tcpdump ---------------------------------------------------------

TD = re.compile(r"^(\d+\.\d+) IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](.*)$")


def read_pcap(path):
    """{client port: {"syn": t, "synack": t, "last": t, "segs": [c, s], "bytes": [c, s]}}"""
    out = subprocess.run(["tcpdump", "-tt", "-nn", "-S", "-r", path], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"tcpdump -r: {out.stderr.strip()}")
    flows = {}
    for line in out.stdout.splitlines():
        m = TD.match(line)
        if not m:
            continue
        t, sport, dport, flags = float(m[1]), int(m[3]), int(m[5]), m[6]
        length = re.findall(r", length (\d+)", m[7])
        n = int(length[-1]) if length else 0
        if flags == "S":
            f = flows.setdefault(sport, {"syn": t, "synack": None, "last": t, "server": dport,
                                         "segs": [0, 0], "bytes": [0, 0]})
        f = flows.get(sport) if sport in flows and flows[sport]["server"] == dport else \
            flows.get(dport) if dport in flows and flows[dport]["server"] == sport else None
        if f is None:
            continue
        side = 0 if sport in flows and flows[sport] is f else 1
        f["segs"][side] += 1
        f["bytes"][side] += n
        f["last"] = t
        if flags == "S." and side == 1 and f["synack"] is None:
            f["synack"] = t
    return flows


def check_pcap(rep, table, path, tol):
    try:
        flows = read_pcap(path)
    except (OSError, RuntimeError) as e:
        rep("pcap", False, str(e))
        return
    bad = []
    for cid, r in table.items():
        f = flows.get(port_of(r["CLIENT-ADDR"]))
        if f is None:
            bad.append(f"conn {cid}: not in the capture")
            continue
        for col, want in (("C>S-SEGS", f["segs"][0]), ("S>C-SEGS", f["segs"][1]),
                          ("C>S-BYTES", f["bytes"][0]), ("S>C-BYTES", f["bytes"][1])):
            if r[col] != want:
                bad.append(f"conn {cid}: {col} {r[col]}, tcpdump {want}")
        if f["synack"] is not None and r["SYN-SA"] is not None:
            d = (f["synack"] - f["syn"]) * 1e3
            if abs(d - r["SYN-SA"]) > tol:
                bad.append(f"conn {cid}: SYN-SA {r['SYN-SA']} ms, tcpdump {d:.3f} ms")
        if r["DURATION"] is not None:
            d = (f["last"] - f["syn"]) * 1e3
            if abs(d - r["DURATION"]) > tol:
                bad.append(f"conn {cid}: DURATION {r['DURATION']} ms, tcpdump {d:.3f} ms")
    rep("pcap-same-numbers", not bad and table, "; ".join(bad[:5]) or "no connection")
    ports = {port_of(r["CLIENT-ADDR"]) for r in table.values()}
    extra = sorted(set(flows) - ports)
    rep("pcap-every-flow", not extra, f"flows of client ports {extra[:5]} not in the table")


# ---- the table and the statistics -------------------------------------------------------

def slot(v):
    return 0 if v <= 1 else int(math.log2(v)) if v < (1 << 52) else v.bit_length() - 1


HIST_TITLES = {"connect latency": ("SYN-SA", 1e3), "connect() called": ("CONNECT", 1e3),
               "accept wait": ("ACCEPT", 1e3), "duration": ("DURATION", 1),
               "bytes client -> server": ("C>S-BYTES", None),
               "bytes server -> client": ("S>C-BYTES", None)}


def read_stats(path):
    """The final statistics: {"title": {slot: count}}, "ended": {outcome: n}."""
    text = open(path).read()
    text = text[text.rfind("\nstatistics: ") + 1:] if "\nstatistics: " in text else text
    out, cur = {"hists": {}}, None
    for line in text.splitlines():
        m = re.match(r"^statistics: (\d+) connections? ended", line)
        if m:
            out["conns"] = int(m[1])
        if line.startswith("by how they ended:"):
            out["ended"] = {k: int(v) for k, v in re.findall(r" (\w+) (\d+)", line)}
        for title in HIST_TITLES:
            if line.startswith(title):
                cur = out["hists"].setdefault(title, {})
                break
        m = re.match(r"^\s*(\d+) -> (\d+)\s*: (\d+)", line)
        if m and cur is not None:
            cur[slot(int(m[1]) or 1)] = int(m[3])
    return out


def outcome_word(ended):
    if ended.startswith("FIN/FIN"):
        return "fin"
    if ended.startswith("RST"):
        return "rst"
    return ended.split(":")[0].split(";")[0]


def check_stats(rep, table, path):
    st = read_stats(path)
    rows = [r for cid, r in table.items() if not cid.endswith("+")]
    rep("stats-count", st.get("conns") == len(rows), f"{st.get('conns')} vs {len(rows)} lines")
    want = {}
    for r in rows:
        w = outcome_word(r["ENDED"])
        want[w] = want.get(w, 0) + 1
    got = {k: v for k, v in st.get("ended", {}).items() if v}
    rep("stats-outcomes", got == want, f"statistics {got}, table {want}")
    bad = []
    for title, (col, unit) in HIST_TITLES.items():
        counts = {}
        for r in rows:
            v = r[col]
            if v is None:
                continue
            v = int(round(v * unit)) if unit == 1e3 else int(v) if unit == 1 else v
            counts[slot(v)] = counts.get(slot(v), 0) + 1
        have = {k: n for k, n in st["hists"].get(title, {}).items() if n}
        if have != counts:
            bad.append(f"{title}: statistics {sorted(have.items())}, table {sorted(counts.items())}")
    rep("stats-histograms", not bad, "; ".join(bad))


# ---- expectations ------------------------------------------------------------------

def value(v):
    try:
        return float(v)
    except ValueError:
        return v


def check_expect(rep, table, exprs):
    for e in exprs:
        w = e.split(None, 2)
        if len(w) != 3 or w[1] not in OPS:
            rep("expect", False, f"cannot read '{e}'")
            continue
        col, op, want = w[0], OPS[w[1]], value(w[2])
        if col == "lines":
            rep(f"expect {e}", op(len(table), want), f"{len(table)} lines")
            continue
        if want == "-":  # not known
            bad = [f"conn {cid}: {r.get(col)}" for cid, r in table.items()
                   if col not in r or (r[col] is None) != (w[1] == "==")]
        else:
            bad = [f"conn {cid}: {r.get(col)}" for cid, r in table.items()
                   if r.get(col) is None or not op(r[col], want)]
        rep(f"expect {e}", not bad and table, "; ".join(bad[:5]) or "no line")


# ---- two tables of the same traffic ------------------------------------------------

def check_same(rep, table, path, tol):
    other = read_table(path)
    rep("same-connections", sorted(table) == sorted(other) and table,
        f"{sorted(table)[:8]} vs {sorted(other)[:8]}")
    bad = []
    for cid, r in table.items():
        o = other.get(cid)
        for col in r if o else ():
            a, b = r[col], o[col]
            if col == "END(UTC)":
                continue  # a wall-clock time: the merge's clock
            if col in TIME_COLS and a is not None and b is not None:
                if abs(a - b) > tol:
                    bad.append(f"conn {cid}: {col} {a} vs {b}")
            elif a != b:
                bad.append(f"conn {cid}: {col} {a} vs {b}")
    rep("same-numbers", not bad, "; ".join(bad[:5]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--tol-ms", type=float, default=1.0)
    ap.add_argument("--conn", help="expect: only this connection's line")
    ap.add_argument("what", choices=("json", "ladder", "pcap", "stats", "expect", "same"))
    ap.add_argument("table")
    ap.add_argument("rest", nargs="*")
    a = ap.parse_args()
    rep = Checks(a.name)
    table = read_table(a.table)
    if a.what == "json":
        check_json(rep, table, a.rest[0])
    elif a.what == "ladder":
        check_ladder(rep, table, a.rest[0])
    elif a.what == "pcap":
        check_pcap(rep, table, a.rest[0], a.tol_ms)
    elif a.what == "stats":
        check_stats(rep, table, a.rest[0])
    elif a.what == "same":
        check_same(rep, table, a.rest[0], a.tol_ms)
    else:
        if a.conn:
            table = {k: v for k, v in table.items() if k == a.conn}
        check_expect(rep, table, a.rest)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
