#!/usr/bin/env python3
"""png_check: is a screenshot more than a blank page? Standard library only.

    png_check.py FILE.png [--min-colours N] [--min-ink PERCENT]
                 [--colour RRGGBB:MIN_PIXELS ...]

Decodes the PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes) and
prints one "ok"/"FAIL" line per check:
  colours  at least N distinct colours (a blank or one-colour page has 1-2);
  ink      at least PERCENT of the pixels are not white;
  colour   at least MIN_PIXELS pixels of exactly RRGGBB (a colour the page
           draws with, e.g. the SYN arrows' green, so the drawing is there).
Exit status 0 when every check passed.
"""
import argparse
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    """(width, height, [bytes of one row of RGB pixels, ...])"""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if not hdr:
        raise ValueError(f"{path}: no IHDR chunk")
    width, height, depth, ctype, _comp, _filt, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read "
                         f"(depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xff
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xff
        prev = line
        if bpp == 4:  # drop alpha: a screenshot is opaque
            line = bytearray(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(bytes(line))
    return width, height, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("png")
    ap.add_argument("--min-colours", type=int, default=0)
    ap.add_argument("--min-ink", type=float, default=0.0, help="percent of non-white pixels")
    ap.add_argument("--colour", action="append", default=[], help="RRGGBB:MIN_PIXELS")
    a = ap.parse_args()

    try:
        width, height, rows = decode(a.png)
    except (OSError, ValueError, zlib.error) as e:
        print(f"FAIL png: {e}")
        return 1
    counts = {}
    for row in rows:
        for i in range(0, len(row), 3):
            px = row[i:i + 3]
            counts[px] = counts.get(px, 0) + 1
    total = width * height
    ink = total - counts.get(b"\xff\xff\xff", 0)
    failed = 0

    def report(name, good, detail):
        nonlocal failed
        print(f"{'ok' if good else 'FAIL'} {name}: {detail}")
        failed += not good

    report("colours", len(counts) >= a.min_colours,
           f"{len(counts)} distinct colours (want >= {a.min_colours})")
    report("ink", ink * 100.0 >= a.min_ink * total,
           f"{ink * 100.0 / max(total, 1):.2f}% of {width}x{height} pixels not white "
           f"(want >= {a.min_ink}%)")
    for spec in a.colour:
        hexrgb, _, least = spec.partition(":")
        n = counts.get(bytes.fromhex(hexrgb), 0)
        report(f"colour-{hexrgb}", n >= int(least or 1),
               f"{n} pixels of #{hexrgb} (want >= {least or 1})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
