#!/usr/bin/env python3
"""One host's view out of a recording of two network namespaces.

    rec_split.py IN OUT --addr 10.99.0.1 [--addr fd99::1] [--shift-ts NS] [--shift-wall NS]
                 [--keep-lost]
    rec_split.py IN OUT --addr 10.99.0.2 --shift-ts NS --all

Both namespaces share one kernel, so a synscope -w run records both ends of
every connection between them. This keeps the events of the namespaces that
own ADDR (the namespaces of the events whose local address is ADDR), the
events that have no namespace but ADDR as local address (the kernel side
names none for some drops), the clock's ticks (each host's tracer writes
its own), and, with --keep-lost, the lost counts (give it to one of the two
halves only: merged, they must not count twice). So it makes the recording
"host A" or "host B" would have made. To give that host
a clock of its own:

    --shift-ts NS    add NS to every event's time (its CLOCK_MONOTONIC)
    --shift-wall NS  add NS to the header's wall-clock offset

With --all, nothing is cut out: every event is kept and only the events of
ADDR's host are moved by --shift-ts, not the ticks (the whole recording as a
merge with a clock estimate off by NS would see it: on A's clock).

Reads the format of docs/recording.md itself (not synscope's code; format
1 or 2, through rec_events.py) and writes format 1, gzip-compressed, with a
correct END count. Prints to stderr how many
events it kept of how many, and the namespaces.
"""
import argparse
import gzip
import ipaddress
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rec_events  # noqa: E402  (format 2's events, read)

MAGIC = b"SYNSCOPE"
T_HEADER, T_HEADER_END, T_EVENT, T_END = 1, 5, 16, 17
EVENT_SIZE = 120
KIND_LOST = 7
KIND_TICK = 10


def records(data):
    if data[:8] != MAGIC:
        sys.exit("rec_split: not a recording")
    return rec_events.records(data)


def addr_bytes(text):
    a = ipaddress.ip_address(text)
    return a.packed.ljust(16, b"\0"), 2 if a.version == 4 else 10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--addr", action="append", required=True)
    ap.add_argument("--shift-ts", type=int, default=0)
    ap.add_argument("--shift-wall", type=int, default=0)
    ap.add_argument("--keep-lost", action="store_true")
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()

    with gzip.open(args.inp, "rb") as f:
        data = f.read()
    recs = list(records(data))
    wanted = [addr_bytes(a) for a in args.addr]

    netns = set()
    for rtype, p in recs:
        if rtype != T_EVENT:
            continue
        ns, = struct.unpack_from("<I", p, 16)
        family = p[29]
        if ns and (p[36:52], family) in wanted:
            netns.add(ns)
    if not netns:
        sys.exit("rec_split: no event has the local address %s" % ", ".join(args.addr))

    out = bytearray(MAGIC + struct.pack("<I", 1))  # written as format 1
    kept = total = 0
    for rtype, p in recs:
        if rtype == T_HEADER:
            p = bytearray(p)
            wall, = struct.unpack_from("<q", p, 8)
            struct.pack_into("<q", p, 8, wall + args.shift_wall)
        elif rtype == T_EVENT:
            tick = p[28] == KIND_TICK
            total += 1
            ns, = struct.unpack_from("<I", p, 16)
            # an event without a namespace (some drops): by its local address
            mine = p[28] not in (KIND_LOST, KIND_TICK) and \
                (ns in netns or (ns == 0 and (p[36:52], p[29]) in wanted))
            if not args.all and not mine and not tick and \
                    not (p[28] == KIND_LOST and args.keep_lost):
                continue
            p = bytearray(p)
            ts, = struct.unpack_from("<Q", p, 0)
            shift = args.shift_ts if mine or not args.all else 0
            if ts + shift < 0:
                sys.exit("rec_split: --shift-ts %d makes a time negative" % shift)
            struct.pack_into("<Q", p, 0, ts + shift)
            kept += 1  # END counts every event record, ticks too
        elif rtype == T_END:
            p = struct.pack("<Q", kept)
        out += struct.pack("<HH", rtype, len(p)) + bytes(p)
    with gzip.open(args.out, "wb") as f:
        f.write(bytes(out))
    print("rec_split: %s: kept %d of %d events, namespaces %s" %
          (args.out, kept, total, " ".join(str(n) for n in sorted(netns))), file=sys.stderr)


if __name__ == "__main__":
    main()
