#!/usr/bin/env python3
"""Checks synscope's pcapng and mermaid exports of one traced tcpdemo
connection against synscope's own JSON Lines trace of the same run, and the
pcapng against a tcpdump capture of it.

Usage:
  check_exports.py --name TEST --jsonl TRACE.jsonl --pcapng TRACE.pcapng
                   --pcap CAPTURE.pcap --mermaid TRACE.mmd

Prints "ok TEST/CHECK" or "FAIL TEST/CHECK: reason" per check; exits 1 if any
failed. Needs tshark. Standard library only.

  pcapng-read      tshark -r reads the file, no error, at least the 10
                   segments of a client-close connection
  checksums        with checksum validation on, every IPv4 header checksum is
                   good; every TCP checksum of a segment without payload is
                   good; with payload it is unverified (the payload is not in
                   the file), never bad
  analysis         no TCP analysis flag (retransmission, dup ACK, ...), nothing
                   malformed: the file reads like a clean capture
  flow-handshake   tshark -z flow,tcp,standard (absolute numbers) starts with
                   SYN, SYN,ACK, ACK between the same ports with the same
                   seq/ack as the first three segments of the JSONL trace
  direction        the first packet is the client's SYN, on the "client"
                   interface, flagged outbound, with comments naming the
                   connection, the client's connect() and CLOSE -> SYN_SENT
  same-as-tcpdump  the packets (sender port, flags, seq, ack, payload length)
                   equal tcpdump's capture of the same traffic, in order
  mermaid-arrows   the diagram's first three arrows are the same handshake
                   with the same numbers; participants name demo-client and
                   demo-server
"""
import argparse
import json
import re
import subprocess
import sys

RESULTS = {"failed": 0}
NAME = "exports"


def ok(check):
    print(f"ok {NAME}/{check}")


def fail(check, why):
    RESULTS["failed"] += 1
    print(f"FAIL {NAME}/{check}: {why}")


def expect(check, cond, why):
    if cond:
        ok(check)
    else:
        fail(check, why)


def tshark(*args):
    r = subprocess.run(["tshark", *args], capture_output=True, text=True)
    # tshark warns about running as root on stderr: not an error
    err = "\n".join(l for l in r.stderr.splitlines() if "Running as user" not in l)
    return r.returncode, r.stdout, err


def fields(path, *names, opts=()):
    args = ["-r", path, *opts, "-T", "fields", "-E", "separator=\t"]
    for n in names:
        args += ["-e", n]
    rc, out, err = tshark(*args)
    if rc:
        raise RuntimeError(f"tshark -r {path}: exit {rc}: {err.strip()}")
    return [l.split("\t") for l in out.splitlines()]


FLAG_ORDER = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def flag_names(bits):
    return ",".join(n for i, n in enumerate(FLAG_ORDER) if bits & (1 << i))


def jsonl_segments(path):
    """The connection's segments as sent: (sport, dport, flags, seq, ack, len)."""
    segs = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e["kind"] == "segment" and e["dir"] == "tx" and e["conn"]:
                segs.append((e["sport"], e["dport"], ",".join(e["flags"]), e["seq"], e["ack"],
                             e["len"]))
    return segs


def pcap_segments(path):
    rows = fields(path, "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq_raw",
                  "tcp.ack_raw", "tcp.len")
    return [(int(r[0]), int(r[1]), flag_names(int(r[2], 16)), int(r[3]), int(r[4]), int(r[5]))
            for r in rows]


def flow_arrows(path):
    """tshark's flow graph: [(flags, sport, dport, seq, ack or None)]."""
    rc, out, err = tshark("-r", path, "-q", "-o", "tcp.relative_sequence_numbers:FALSE",
                          "-z", "flow,tcp,standard")
    if rc:
        raise RuntimeError(f"tshark flow: exit {rc}: {err.strip()}")
    lines = out.splitlines()
    arrows = []
    for i, l in enumerate(lines[:-1]):
        m = re.match(r"\|\d+\.\d+\s*\|\s*([A-Z, ]+?)\s*(?:- Len: \d+)?\s*\|Seq = (\d+)(?: Ack = (\d+))?",
                     l)
        if not m:
            continue
        ports = re.search(r"\((\d+)\)\s*(<?)-+(>?)\s*\((\d+)\)", lines[i + 1])
        if not ports:
            continue
        left, right = int(ports.group(1)), int(ports.group(4))
        sport, dport = (left, right) if ports.group(3) == ">" else (right, left)
        arrows.append((m.group(1).replace(" ", ""), sport, dport, int(m.group(2)),
                       int(m.group(3)) if m.group(3) else None))
    return arrows


def check_pcapng(args, jsegs):
    rc, out, err = tshark("-r", args.pcapng)
    n = len(out.splitlines())
    expect("pcapng-read", rc == 0 and not err.strip() and n >= 10,
           f"exit {rc}, {n} packets, stderr: {err.strip()[:200]}")

    rows = fields(args.pcapng, "ip.checksum.status", "tcp.checksum.status", "tcp.len",
                  opts=["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"])
    bad = [i + 1 for i, r in enumerate(rows)
           if r[0] != "1" or r[1] != ("1" if r[2] == "0" else "2")]
    expect("checksums", rows and not bad,
           f"frames with a bad or unexpected checksum status: {bad} ({rows})")

    rc, out, err = tshark("-r", args.pcapng, "-o", "ip.check_checksum:TRUE",
                          "-o", "tcp.check_checksum:TRUE",
                          "-Y", "tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= 6291456")
    expect("analysis", rc == 0 and not out.strip(), f"flagged frames:\n{out.strip()}")

    arrows = flow_arrows(args.pcapng)
    want = [(s[2], s[0], s[1], s[3], s[4] if "ACK" in s[2] else None) for s in jsegs[:3]]
    expect("flow-handshake",
           arrows[:3] == want and [a[0] for a in want] == ["SYN", "SYN,ACK", "ACK"],
           f"flow {arrows[:3]}, jsonl {want}")

    first = fields(args.pcapng, "frame.interface_name", "frame.packet_flags_direction",
                   "tcp.flags", "frame.comment", opts=["-c", "1"])
    f0 = first[0] if first else ["", "", "0", ""]
    expect("direction",
           f0[0] == "client" and int(f0[1], 16) == 2 and int(f0[2], 16) == 0x02 and
           "synscope connection 1, sent by client" in f0[3] and "client: connect(fd=" in f0[3] and
           "client: CLOSE -> SYN_SENT" in f0[3],
           f"first packet: {f0}")

    mine, theirs = pcap_segments(args.pcapng), pcap_segments(args.pcap)
    expect("same-as-tcpdump", mine == theirs and mine == jsegs,
           f"\n  pcapng  {mine}\n  tcpdump {theirs}\n  jsonl   {jsegs}")


def check_mermaid(args, jsegs):
    with open(args.mermaid) as f:
        text = f.read()
    arrows = []
    for m in re.finditer(r"^    ([CS])->>([CS]): ([A-Z,]+) seq=(\d+)(?: ack=(\d+))?", text, re.M):
        arrows.append((m.group(1), m.group(3), int(m.group(4)),
                       int(m.group(5)) if m.group(5) else None))
    want = [("C" if i != 1 else "S", s[2], s[3], s[4] if "ACK" in s[2] else None)
            for i, s in enumerate(jsegs[:3])]
    parts = re.findall(r"^    participant ([CS]) as (.*)$", text, re.M)
    expect("mermaid-arrows",
           arrows[:3] == want and len(parts) == 2 and "demo-client/" in parts[0][1] and
           "demo-server/" in parts[1][1],
           f"arrows {arrows[:3]}, want {want}, participants {parts}")


def main():
    global NAME
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--jsonl", required=True)
    ap.add_argument("--pcapng", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--mermaid", required=True)
    args = ap.parse_args()
    NAME = args.name

    jsegs = jsonl_segments(args.jsonl)
    if len(jsegs) < 10:
        fail("jsonl", f"{len(jsegs)} segments sent in the JSONL trace, want at least 10")
    for check in (check_pcapng, check_mermaid):
        try:
            check(args, jsegs)
        except (RuntimeError, OSError, ValueError, IndexError) as e:
            fail(check.__name__, str(e))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
