#!/usr/bin/env python3
"""Checks one remote-peer scenario (tests/integration/test_remote.sh): the
local end a real program (tcpapp), the peer a scripted injector on a tun
device (tunpeer), synscope tracing the local kernel.

Usage:
  check_remote.py --name NAME --expect FILE --jsonl TRACE.jsonl --ladder TRACE.txt
                  --pcap CAPTURE.pcap --peer-log PEER.log --app-log APP.log
                  --local ADDR --peer ADDR [--vars FILE]

Prints "ok NAME/CHECK" or "FAIL NAME/CHECK: reason" per check; exits 1 if
any failed. Standard library only. The checks, by group:

  harness (the test's own ground truth, so that a failure below is synscope's):
    harness-peer-log   tunpeer's log of what it read and wrote equals the
                       capture, segment for segment, each direction in order
    harness:VAR        an "harness VAR OP N" line of the expect file: a fact
                       about the kernel (ss, nstat) that the scenario must
                       have provoked
  a. segments (tcpdump on the tun device against synscope's JSON Lines):
    segments-tx        what the local kernel sent, as "dir":"tx" rows: same
                       flags, seq, ack, len, win, in the same order
    segments-rx        what the peer sent, as "dir":"rx" rows, the same way
    segments-order     both directions interleaved in the same order (an rx
                       the socket backlog held past an independent tx may
                       follow it: stack_order)
    segments-syn-options  SYN options (mss, wscale, sack_perm, tsval, tsecr)
  b. calls:
    calls              every call tcpapp logged is in the trace, its entry
                       and its return, same fd and result, in order, and no
                       other call of tcpapp's
  c. story (hand-written expectations, the expect file):
    story-LINE-WHAT    one per expect line
  and no-kernel-addresses over the JSON Lines and the ladder.

Expect file (a scenario's [expect] section), one expectation a line, '#'
comments. "local" and "remote" name the lanes: the local end is the end
that made tcpapp's calls in the trace (the role line when none did).
  role client|server|any        synscope names the local end so (client: it
                                sent the first SYN)
  conns N                       connections in the JSON Lines and connection
                                numbers in the ladders (a "(continued)" ladder
                                draws late rows of its number): the whole
                                scenario is N connections
  jsonl-conns OP N              connections in the JSON Lines only (a flood,
                                which the text may summarize)
  complete yes|no               every ladder header says complete (no:
                                INCOMPLETE, still open when tracing stopped)
  states [N] local|remote S...  the lane's state column in ladder N (1),
                                repeats merged, '*' (inferred) ignored
  rows OP N FILTER...           JSON Lines rows matching FILTER: OP is = >= <=;
                                FILTER words key=value, key!=value, key~value
                                (flags contain / text contains); end=local|remote;
                                N a number or $VAR
  at FILTER => FILTER           a row matching the second comes right at one
                                matching the first: the nearest segment row
                                before it (its connection, time order) matches
                                the first, within 10 ms
  ladder-has /RE/ | ladder-lacks /RE/ | ladder-rows OP N /RE/
                                the ladder text (with --explain): a row is its
                                numbered line and the lines under it; /RE/i is
                                case-insensitive
  rss-growth-kib <= N           synscope's anonymous memory grew by at most N KiB
  harness VAR OP N              (see above)
Variables ($VAR): wire.tx.FLAGS / wire.rx.FLAGS (segments with exactly these
flags in the capture), wire.unanswered_syn (SYNs from the peer whose port got
no SYN,ACK), and the --vars file's NAME=VALUE lines (timewait, rss_*_kib,
the namespace's nstat counters).
"""
import argparse
import json
import re
import struct
import sys
from collections import Counter, OrderedDict

from check_trace import load_jsonl, norm_flags
from checks import Checks
from kernel_addresses import check_no_kernel_addresses

AT_WINDOW_NS = 10_000_000


# ---- the capture ----

def ip_text(raw):
    import ipaddress
    return str(ipaddress.ip_address(raw))


def tcp_options(b):
    """The options synscope reports on SYNs."""
    o, i = {}, 0
    while i < len(b):
        kind = b[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2:
            break
        n = b[i + 1]
        body = b[i + 2:i + n]
        if kind == 2 and n == 4:
            o["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3 and n == 3:
            o["wscale"] = body[0]
        elif kind == 4 and n == 2:
            o["sack_perm"] = True
        elif kind == 8 and n == 10:
            o["tsval"], o["tsecr"] = struct.unpack("!II", body)
        i += n
    return o


def parse_ip(pkt):
    """(src, dst, proto, l4 bytes, l4 length on the wire) or None."""
    if len(pkt) >= 20 and pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack("!H", pkt[2:4])[0]
        return ip_text(pkt[12:16]), ip_text(pkt[16:20]), pkt[9], pkt[ihl:total], total - ihl
    if len(pkt) >= 40 and pkt[0] >> 4 == 6:
        plen = struct.unpack("!H", pkt[4:6])[0]
        return ip_text(pkt[8:24]), ip_text(pkt[24:40]), pkt[6], pkt[40:40 + plen], plen
    return None


def read_pcap(path):
    """The packets of a pcap file as raw IP: [(t, bytes)]."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
              b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if not endian:
        raise ValueError(f"{path}: not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(endian + "I", data[20:24])[0]
    skip = {101: 0, 12: 0, 14: 0, 228: 0, 229: 0, 113: 16, 276: 20}.get(link)
    if skip is None:
        raise ValueError(f"{path}: link type {link} is not raw IP")
    out, i = [], 24
    while i + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[i:i + 16])
        out.append((sec + frac / (1e9 if nano else 1e6), data[i + 16 + skip:i + 16 + incl]))
        i += 16 + incl
    return out


def wire_segments(path, local, peer):
    """TCP segments between the two addresses: dicts like the JSONL's, dir
    tx (local kernel to peer) or rx."""
    segs = []
    for t, pkt in read_pcap(path):
        ip = parse_ip(pkt)
        if not ip or ip[2] != 6 or len(ip[3]) < 20:
            continue
        src, dst, _proto, th, l4len = ip
        if {src, dst} != {local, peer}:
            continue
        sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", th[:16])
        thl = (off >> 4) * 4
        segs.append({"t": t, "dir": "tx" if src == local else "rx", "sport": sport,
                     "dport": dport, "flags": norm_flags(flags), "seq": seq, "ack": ack,
                     "len": l4len - thl, "win": win, "opts": tcp_options(th[20:thl])})
    return segs


# ---- synscope's trace ----

def trace_segments(rows):
    segs = [r for r in rows if r.get("kind") == "segment"]
    segs.sort(key=lambda r: (r.get("t_ns", 0), r["_line"]))
    return segs


def seg_key(s):
    """What the comparison looks at; ack only when ACK is set."""
    flags = norm_flags(s.get("flags", ""))
    ack = s.get("ack") if "ACK" in flags.split(",") else None
    return (s.get("dir"), flags, s.get("seq"), ack, s.get("len", 0), s.get("win"))


def fmt_key(k):
    if k is None:
        return "none"
    d, f, seq, ack, n, w = k
    return f"{d} {f} seq={seq}" + (f" ack={ack}" if ack is not None else "") + f" len={n} win={w}"


def first_difference(mine, theirs, what_mine="synscope", what_theirs="tcpdump"):
    """'' when equal, else where the two lists part."""
    if mine == theirs:
        return ""
    i = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
    return (f"item {i + 1}: {what_mine} {fmt_key(mine[i]) if i < len(mine) else 'none'}, "
            f"{what_theirs} {fmt_key(theirs[i]) if i < len(theirs) else 'none'} "
            f"({len(mine)} vs {len(theirs)})")


def seq_after(a, b):
    """a is at or after b in sequence space (RFC 1982 serial arithmetic)."""
    return (a - b) & 0xFFFFFFFF < 0x80000000


def independent(rx, tx):
    """Neither segment could have been shaped by the other: the local tx does
    not acknowledge anything rx carried, and rx does not acknowledge tx."""
    _d, rflags, rseq, rack, rlen, _w = rx
    _d, tflags, tseq, tack, tlen, _w = tx
    rx_uses = rlen + ("SYN" in rflags) + ("FIN" in rflags)
    tx_uses = tlen + ("SYN" in tflags) + ("FIN" in tflags)
    tx_acks_rx = rx_uses and tack is not None and seq_after(tack, rseq + rx_uses)
    rx_acks_tx = tx_uses and rack is not None and seq_after(rack, tseq + tx_uses)
    return not tx_acks_rx and not rx_acks_tx


def stack_order(trace, wire):
    """The trace's keys with one kind of swap undone, and how many: tcpdump
    on the tun device sees the peer's segment when tunpeer writes it, but
    while the program holds the socket (inside write()) TCP parks it on the
    socket's backlog and takes it after the program's own segment went out,
    so an rx the wire shows just before a local tx the stack processes just
    after it. Only an adjacent
    rx-then-tx pair of the wire, independent of each other, may appear as
    tx-then-rx in the trace; the other way round, or a tx that acknowledges
    the rx, is still a difference."""
    trace = list(trace)
    swapped = 0
    for i in range(min(len(trace), len(wire)) - 1):
        rx, tx = wire[i], wire[i + 1]
        if (trace[i] != rx and trace[i] == tx and trace[i + 1] == rx
                and rx[0] == "rx" and tx[0] == "tx" and independent(rx, tx)):
            trace[i], trace[i + 1] = rx, tx
            swapped += 1
    return trace, swapped


def check_segments(report, wire, trace):
    wk = [seg_key(s) for s in wire]
    tk = [seg_key(s) for s in trace]
    for d in ("tx", "rx"):
        why = first_difference([k for k in tk if k[0] == d], [k for k in wk if k[0] == d])
        report("segments-" + d, not why, why)
    tk, swapped = stack_order(tk, wk)
    why = first_difference(tk, wk)
    if why and swapped:
        why += f" (after {swapped} concurrent rx/tx pair(s) taken in the stack's order)"
    report("segments-order", not why, why)
    problems = []
    for w, t in zip([s for s in wire if "SYN" in s["flags"]],
                    [s for s in trace if "SYN" in s.get("flags", [])]):
        want = dict(w["opts"])
        got = {k: t[k] for k in ("mss", "wscale", "sack_perm", "tsval", "tsecr") if k in t}
        if want != got:
            problems.append(f"{w['dir']} {w['flags']} seq={w['seq']}: wire {want}, synscope {got}")
    report("segments-syn-options", not problems, "; ".join(problems[:3]))


def check_peer_log(report, path, wire):
    """tunpeer's own log against the capture: the harness saw what the wire did."""
    line_re = re.compile(r"^\d+\.\d+ (in|out) +\S+ > \S+ (\S+) seq=(\d+) ack=(\d+) len=(\d+) win=(\d+)")
    logged = []
    with open(path) as f:
        for line in f:
            m = line_re.match(line)
            if m:
                d = "tx" if m[1] == "in" else "rx"
                flags = norm_flags(m[2])
                ack = int(m[4]) if "ACK" in flags.split(",") else None
                logged.append((d, flags, int(m[3]), ack, int(m[5]), int(m[6])))
    wk = [seg_key(s) for s in wire]
    # Each direction on its own: tunpeer logs a packet when it reads it,
    # which can be after it wrote its own next one.
    why = "; ".join(f"{d}: {w}" for d, w in
                    ((d, first_difference([k for k in logged if k[0] == d],
                                          [k for k in wk if k[0] == d], "tunpeer", "tcpdump"))
                     for d in ("tx", "rx")) if w)
    report("harness-peer-log", not why and logged, why or "tunpeer logged no segment")


# ---- the application's calls ----

def app_calls(path):
    calls = []
    with open(path) as f:
        for line in f:
            m = re.match(r"^\d+\.\d+ call (\S+) fd=(-?\d+) ret=(-?\d+)", line)
            if m:
                calls.append((m[1], int(m[2]), int(m[3])))
    return calls


def check_calls(report, path, rows):
    want = []
    for name, fd, ret in app_calls(path):
        want += [(name, "entry", fd, None), (name, "return", fd, ret)]
    got = [(r.get("name"), r.get("phase"), r.get("fd"),
            r.get("ret") if r.get("phase") == "return" else None)
           for r in sorted((r for r in rows if r.get("kind") == "syscall" and r.get("comm") == "tcpapp"),
                           key=lambda r: (r.get("t_ns", 0), r["_line"]))]
    if want == got:
        report("calls", True)
        return
    i = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))

    def text(c):
        if c is None:
            return "none"
        return f"{c[0]} {c[1]} fd={c[2]}" + (f" ret={c[3]}" if c[1] == "return" else "")
    report("calls", False, f"call {i + 1}: tcpapp made {text(want[i] if i < len(want) else None)}, "
                           f"trace has {text(got[i] if i < len(got) else None)} "
                           f"({len(want)} entries and returns made, {len(got)} in the trace)")


# ---- the ladder ----

ROW_RE = re.compile(r"^\s*(\d+)\s+\d+\.\d+\s+\S+\s")


def parse_ladder(path):
    """[{header, status, rows: [{lines, client, server}]}]"""
    conns = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("connection "):
                conns.append({"header": line, "status": "", "rows": []})
            elif conns and line.startswith("  started "):
                conns[-1]["status"] = line
            elif conns and ROW_RE.match(line) and "|" in line:
                left, right = line.split("|", 1)[0], line.rsplit("|", 1)[1]
                words = left.split()
                conns[-1]["rows"].append({"lines": [line],
                                          "client": words[3] if len(words) > 3 else "",
                                          "server": right.strip()})
            elif conns and conns[-1]["rows"] and line.startswith("   "):
                conns[-1]["rows"][-1]["lines"].append(line)
            elif conns and line.startswith("  ") and not conns[-1]["rows"]:
                conns[-1]["status"] += " " + line.strip()  # a wrapped header
    return conns


def lane_states(conn, lane):
    seq = []
    for row in conn["rows"]:
        s = row[lane].rstrip("*")
        if s and (not seq or seq[-1] != s):
            seq.append(s)
    return seq


def ladder_regex(text):
    m = re.fullmatch(r"/(.*)/(i?)", text)
    if not m:
        raise ValueError(f"'{text}' is not /REGEX/ or /REGEX/i")
    return re.compile(m[1], re.I if m[2] else 0)


def ladder_rows_matching(conns, rx):
    return sum(1 for c in conns for row in c["rows"] if any(rx.search(l) for l in row["lines"]))


# ---- expectations ----

OPS = {"=": lambda a, b: a == b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}


class Story:
    def __init__(self, rows, ladder, wire, variables, role, local_addr=None):
        self.local_addr = local_addr
        self.rows = rows
        self.ladder = ladder
        self.variables = variables
        self.role = role
        self.conns = OrderedDict()
        for r in rows:
            if r.get("conn"):
                self.conns.setdefault(r["conn"], []).append(r)
        for lst in self.conns.values():
            lst.sort(key=lambda r: (r.get("t_ns", 0), r["_line"]))
        self.local = self.local_end()
        self.add_wire_variables(wire)

    def local_end(self):
        ends = Counter(r.get("end") for r in self.rows
                       if r.get("kind") == "syscall" and r.get("comm") == "tcpapp" and r.get("conn"))
        if ends:
            return ends.most_common(1)[0][0]
        if self.role in ("client", "server"):
            return self.role
        # no call of tcpapp's in a connection: the lane with this host's address
        ends = Counter(r.get("end") for r in self.rows
                       if r.get("conn") and r.get("saddr") == self.local_addr)
        return ends.most_common(1)[0][0] if ends else "client"

    def add_wire_variables(self, wire):
        for s in wire:
            key = f"wire.{s['dir']}.{s['flags']}"
            self.variables[key] = self.variables.get(key, 0) + 1
        answered = {s["dport"] for s in wire if s["dir"] == "tx" and s["flags"] == "SYN,ACK"}
        self.variables["wire.unanswered_syn"] = sum(
            1 for s in wire if s["dir"] == "rx" and s["flags"] == "SYN" and s["sport"] not in answered)

    def number(self, text):
        if text.startswith("$"):
            if text[1:] not in self.variables:
                raise ValueError(f"no variable {text}")
            return int(self.variables[text[1:]])
        return int(text)

    def lane(self, word):
        other = {"client": "server", "server": "client"}
        if word == "local":
            return self.local
        if word == "remote":
            return other[self.local]
        raise ValueError(f"'{word}' is not local or remote")

    def row_filter(self, words):
        tests = []
        for w in words:
            m = re.fullmatch(r"([a-z_]+)(=|!=|~)(.*)", w)
            if not m:
                raise ValueError(f"'{w}' is not key=value, key!=value or key~value")
            key, op, value = m.groups()
            if key == "end" and value in ("local", "remote"):
                value = self.lane(value)
            tests.append((key, op, value))

        def match(row):
            for key, op, value in tests:
                v = row.get(key)
                if key == "flags":
                    v = norm_flags(v or [])
                    hit = set(value.split(",")) <= set(v.split(",")) if op == "~" \
                        else v == norm_flags(value)
                else:
                    v = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
                    hit = value in v if op == "~" else v == value
                if hit == (op == "!="):
                    return False
            return True
        return match

    # one method per directive: (ok, why)

    def x_role(self, args):
        if args[0] == "any":
            return True, ""
        return self.local == args[0], f"the local end is the {self.local}, want the {args[0]}"

    def x_conns(self, args):
        # a ladder "connection N (continued)" draws late rows of connection N
        want = self.number(args[0])
        numbers = {c["header"].split(":")[0].split()[1] for c in self.ladder}
        return (len(self.conns) == want and len(numbers) == want,
                f"{len(self.conns)} connections in the JSON Lines, {len(numbers)} in the ladders "
                f"({len(self.ladder)} ladders), want {want}")

    def x_jsonl_conns(self, args):
        op, want = args[0], self.number(args[1])
        return OPS[op](len(self.conns), want), f"{len(self.conns)} connections in the JSON Lines, want {op} {want}"

    def x_complete(self, args):
        want = args[0] == "yes"
        bad = [c["header"].split(":")[0] for c in self.ladder
               if (" complete" in c["status"] and "INCOMPLETE" not in c["status"]) != want]
        return (self.ladder and not bad,
                f"{', '.join(bad) or 'no ladder'}: want {'complete' if want else 'INCOMPLETE'}")

    def x_states(self, args):
        n = 1
        if args[0].isdigit():
            n, args = int(args[0]), args[1:]
        if len(self.ladder) < n:
            return False, f"no ladder {n} (there are {len(self.ladder)})"
        got = lane_states(self.ladder[n - 1], self.lane(args[0]))
        want = [s.rstrip("*") for s in args[1:]]
        return got == want, f"{args[0]} lane went {' '.join(got) or 'nowhere'}, want {' '.join(want)}"

    def x_rows(self, args):
        op, want, match = args[0], self.number(args[1]), self.row_filter(args[2:])
        got = sum(1 for r in self.rows if match(r))
        return OPS[op](got, want), f"{got} rows match, want {op} {want}"

    def x_at(self, args):
        i = args.index("=>")
        first, then = self.row_filter(args[:i]), self.row_filter(args[i + 1:])
        seen = 0
        for rows in self.conns.values():
            for k, r in enumerate(rows):
                if not then(r):
                    continue
                seen += 1
                prev = next((p for p in reversed(rows[:k]) if p.get("kind") == "segment"), None)
                if prev is not None and first(prev) and r.get("t_ns", 0) - prev.get("t_ns", 0) <= AT_WINDOW_NS:
                    return True, ""
        return False, (f"{seen} rows match the second filter, none right after a row matching the first"
                       if seen else "no row matches the second filter")

    def x_ladder_has(self, args):
        rx = ladder_regex(" ".join(args))
        return ladder_rows_matching(self.ladder, rx) > 0, f"no ladder row matches {rx.pattern}"

    def x_ladder_lacks(self, args):
        rx = ladder_regex(" ".join(args))
        n = ladder_rows_matching(self.ladder, rx)
        return n == 0, f"{n} ladder rows match {rx.pattern}"

    def x_ladder_rows(self, args):
        op, want, rx = args[0], self.number(args[1]), ladder_regex(" ".join(args[2:]))
        n = ladder_rows_matching(self.ladder, rx)
        return OPS[op](n, want), f"{n} ladder rows match {rx.pattern}, want {op} {want}"

    def x_rss_growth_kib(self, args):
        grown = self.number("$rss_after_kib") - self.number("$rss_before_kib")
        return OPS[args[0]](grown, self.number(args[1])), f"grew by {grown} KiB, want {args[0]} {args[1]}"

    def x_harness(self, args):
        var, op, want = args
        got = self.number("$" + var)
        return OPS[op](got, self.number(want)), f"{var} is {got}, want {op} {want}"


def expectations(path):
    """[(line number, words)]"""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if words:
                out.append((n, words))
    return out


def check_story(report, story, lines):
    for n, words in lines:
        what, args = words[0], words[1:]
        method = getattr(story, "x_" + what.replace("-", "_"), None)
        tag = {"harness": "harness:" + (args[0] if args else "")}.get(what, f"story-{n}-{what}")
        if not method:
            report(tag, False, f"expect line {n}: unknown expectation '{what}'")
            continue
        try:
            ok, why = method(args)
        except (ValueError, IndexError, KeyError) as e:
            ok, why = False, f"expect line {n}: {e}"
        report(tag, ok, f"line {n} '{' '.join(words)}': {why}")


def read_vars(path):
    out = {}
    if path:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    out[k] = v
    return out


def main():
    ap = argparse.ArgumentParser()
    for a in ("name", "expect", "jsonl", "ladder", "pcap", "peer-log", "app-log", "local", "peer"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--vars")
    a = ap.parse_args()
    report = Checks(a.name)

    rows, errors = load_jsonl(a.jsonl)
    report("jsonl", not errors and rows, "; ".join(errors[:3]) or "no rows")
    problems = check_no_kernel_addresses(a.jsonl) + check_no_kernel_addresses(a.ladder)
    report("no-kernel-addresses", not problems, "; ".join(problems))
    lost = sum(int(r.get("count", 0)) for r in rows if r.get("kind") == "lost")
    report("no-lost-events", not lost, f"{lost} events lost")
    try:
        wire = wire_segments(a.pcap, a.local, a.peer)
    except (OSError, ValueError) as e:
        report("pcap", False, str(e))
        return 1
    check_peer_log(report, a.peer_log, wire)
    check_segments(report, wire, trace_segments(rows))
    check_calls(report, a.app_log, rows)
    lines = expectations(a.expect)
    role = next((w[1] for _n, w in lines if w[0] == "role" and len(w) > 1), "client")
    story = Story(rows, parse_ladder(a.ladder), wire, read_vars(a.vars), role, a.local)
    check_story(report, story, lines)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
