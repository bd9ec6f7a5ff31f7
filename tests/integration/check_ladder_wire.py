#!/usr/bin/env python3
"""Checks the segments a synscope ladder draws against a packet capture of
the same traffic: every connection's arrows, in order, with their direction
and flags, must be the packets tcpdump saw, nothing more and nothing less.

Usage: check_ladder_wire.py --name TEST --ladder LADDER.txt --pcap CAPTURE
                            --client ADDR [--show]

The ladder is read as text, the way a student reads it: an arrow ending in
'>' at the right rail went from the client to the server, one starting with
'<' at the left rail from the server to the client. A segment in flight is
drawn twice (its departure ends or starts with '. . .', its arrival repeats
it): it is counted once, where it left. '--NOT SENT' (dropped on its host
before the wire) is not on the wire and not counted. Flags are written the
way tcpdump writes them: S, S., ., P., F., R., R; U for a UDP datagram.
Connections are compared as a set: the ladder prints a connection when it
ends, the capture in the order they began.
"""
import argparse
import re
import subprocess
import sys

from checks import Checks

ROW = re.compile(r"^ +\d+ +[\d.]+ +\S+ .*?\|(.*)\|")
FLAGS = re.compile(r"(?:NOT SENT |RETRANS )?([A-Z]+(?:,[A-Z]+)*|UDP)(?:\(\w+\))? ")
LETTERS = [("FIN", "F"), ("SYN", "S"), ("RST", "R"), ("PSH", "P"), ("URG", "U"), ("ECE", "E"),
           ("CWR", "W")]


def tcpdump_flags(names):
    """'SYN,ACK' -> 'S.' as tcpdump prints them."""
    if names == "UDP":
        return "U"
    got = names.split(",")
    text = "".join(letter for name, letter in LETTERS if name in got)
    return text + ("." if "ACK" in got else "")


def segment_of(middle):
    """(direction, flags) of a ladder row's middle part, or None: 'c' for
    client to server, 's' for server to client; None for anything that is
    not a segment leaving (a call, a state, an arrival, a drop note)."""
    m = middle.strip()
    if not m or m[0] not in "-=~<.":
        return None
    if "NOT SENT" in m:
        return None
    found = FLAGS.search(m.lstrip("-=~<. ") + " ")
    if not found:
        return None
    flags = tcpdump_flags(found.group(1))
    if m.startswith(". . ."):
        # an arrival from the client (ends in '>'), or a departure from the server
        return None if m.endswith(">") else ("s", flags)
    if m.endswith(". . ."):
        # a departure from the client, or an arrival from the server ('<' first)
        return None if m.startswith("<") else ("c", flags)
    if m.startswith("<"):
        return ("s", flags)
    if m.endswith(">"):
        return ("c", flags)
    return None


def ladder_flows(path):
    """One 'c:S s:S. ...' string per connection, in the ladder's order."""
    flows, cur = [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("connection "):
            cur = []
            flows.append(cur)
            continue
        m = ROW.match(line)
        if cur is None or not m:
            continue
        seg = segment_of(m.group(1))
        if seg:
            cur.append("%s:%s" % seg)
    return [" ".join(f) for f in flows]


def capture_flows(path, client):
    """The same from tcpdump: one string per flow, in the order flows began."""
    out = subprocess.run(["tcpdump", "-nn", "-r", path], capture_output=True, text=True).stdout
    order, lines = [], {}
    for line in out.splitlines():
        words = line.split()
        if len(words) < 5 or words[1] not in ("IP", "IP6"):
            continue
        src, dst = words[2], words[4].rstrip(":")
        m = re.search(r"Flags \[([^\]]*)\]", line)
        if m:
            flags = m.group(1)
        elif " UDP, " in line:
            flags = "U"
        else:
            continue
        key = tuple(sorted((src, dst)))
        if key not in lines:
            order.append(key)
            lines[key] = []
        lines[key].append("%s:%s" % ("c" if src.rsplit(".", 1)[0] == client else "s", flags))
    return [" ".join(lines[k]) for k in order]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--ladder", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--client", required=True, help="the client's address, as tcpdump writes it")
    ap.add_argument("--show", action="store_true")
    a = ap.parse_args()
    report = Checks(a.name)
    drawn, wire = ladder_flows(a.ladder), capture_flows(a.pcap, a.client)
    if a.show:
        print("# ladder:  " + " | ".join(drawn))
        print("# capture: " + " | ".join(wire))
    report("ladder-vs-capture", sorted(drawn) == sorted(wire),
           "ladder %s; capture %s" % (" | ".join(drawn), " | ".join(wire)))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
