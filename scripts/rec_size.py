#!/usr/bin/env python3
"""Bytes an event takes in a recording, in format 1 and format 2, for make bench.

    rec_size.py LABEL FILE

FILE is a recording in format 2 (what synscope -w FILE.gz writes; make bench
makes one from a plain -w FILE with synscope -r FILE -w FILE2.gz). Its events are
read with tests/integration/rec_events.py (the format of docs/recording.md,
not synscope's code) and written again as format 1 would hold them (each
event as it lies in memory, in a framed record), so both formats hold the
same events, header and end. Each stream is then compressed with zlib at
level 1 (what synscope -w FILE.gz uses) in one piece, so the two are
compressed alike. Prints one line: bytes per event record (ticks included;
the whole stream, header included, over the records) raw and compressed,
and format 2's over format 1's.
"""
import gzip
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import rec_events  # noqa: E402

T_EVENT = 16


def as_format1(data):
    """The same records as format 1 writes them; and how many events."""
    out = bytearray(data[:8] + struct.pack("<I", 1))
    events = 0
    for rtype, payload in rec_events.records(data):
        out += struct.pack("<HH", rtype, len(payload)) + payload
        events += rtype == T_EVENT
    return bytes(out), events


def gzip1(data):
    z = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return len(z.compress(data) + z.flush())


def main():
    label, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        v2 = f.read()
    if v2[:2] == b"\x1f\x8b":
        v2 = gzip.decompress(v2)
    if struct.unpack_from("<I", v2, 8)[0] != 2:
        sys.exit("rec_size: %s is not format 2" % path)
    v1, n = as_format1(v2)
    if not n:
        sys.exit("rec_size: %s holds no events" % path)
    raw1, raw2, gz1, gz2 = len(v1) / n, len(v2) / n, gzip1(v1) / n, gzip1(v2) / n
    print("  %-16s %9d records  format 1: %6.1f raw %5.2f gzip  format 2: %5.1f raw %5.2f gzip"
          "  (2 / 1: %.3f raw, %.2f gzip)" % (label, n, raw1, gz1, raw2, gz2, raw2 / raw1,
                                             gz2 / gz1))


if __name__ == "__main__":
    main()
