#!/usr/bin/env python3
"""Check synscope's --style rfc output against RFC 9293's figures.

    check_rfc.py [--name NAME] [--conns N] --figure F [--figure F ...] FILE

For every connection in FILE (synscope --style rfc output) and every figure
F (6, 7, 12 or 13), looks for the figure's lines in the connection's lines
and compares them one by one: the same sub-lines, the same state names on
each side, the same arrows (-->, <--, ...), the same control bits and
<DATA> or not. Sequence and acknowledgment numbers are not compared (ours
are not the RFC's 100 and 300). PSH is left out of the comparison: Linux
sets it on the last segment of a write, the RFC's figures leave it out.

Figures 6 and 7 start a connection: they must match its first lines.
Figures 12 and 13 end one: they must match its last lines; their line 1
(both peers ESTABLISHED, no segment) matches whatever line of ours leaves
both peers in those states. Figures 7 and 13 (simultaneous open and
close) are races the scenario retries on a fresh connection until the
segments cross: only the last connection, the attempt that did, is held
to them (as check_story.py does).

Comment lines (first non-space character '#', what --explain adds under a
step) are skipped.

Prints "ok NAME/figure-F" or "FAIL NAME/figure-F: reason" per figure, and
"ok NAME/connections" or a FAIL when --conns N is given and the count
differs; exits 1 if anything failed. The skeletons below are written from
the figures of RFC 9293 sections 3.5 and 3.6, numbers left out.
"""
import argparse
import re
import sys

# Each skeleton: the figure's lines in synscope's columns (TCP Peer A at
# column 4; the right-hand states start past the header's "TCP Peer B").
FIGURES = {
    "6": ("start", """
    TCP Peer A                                   TCP Peer B
1.  CLOSED                                       LISTEN
2.  SYN-SENT    --> <CTL=SYN>                --> SYN-RECEIVED
3.  ESTABLISHED <-- <CTL=SYN,ACK>            <-- SYN-RECEIVED
4.  ESTABLISHED --> <CTL=ACK>                --> ESTABLISHED
5.  ESTABLISHED --> <CTL=ACK><DATA>          --> ESTABLISHED
"""),
    "7": ("start", """
    TCP Peer A                                   TCP Peer B
1.  CLOSED                                       CLOSED
2.  SYN-SENT     --> <CTL=SYN>               ...
3.  SYN-RECEIVED <-- <CTL=SYN>               <-- SYN-SENT
4.               ... <CTL=SYN>               --> SYN-RECEIVED
5.  SYN-RECEIVED --> <CTL=SYN,ACK>           ...
6.  ESTABLISHED  <-- <CTL=SYN,ACK>           <-- SYN-RECEIVED
7.               ... <CTL=SYN,ACK>           --> ESTABLISHED
"""),
    "12": ("end", """
    TCP Peer A                                   TCP Peer B
1.  ESTABLISHED                                  ESTABLISHED
2.  (Close)
    FIN-WAIT-1  --> <CTL=FIN,ACK>            --> CLOSE-WAIT
3.  FIN-WAIT-2  <-- <CTL=ACK>                <-- CLOSE-WAIT
4.                                               (Close)
    TIME-WAIT   <-- <CTL=FIN,ACK>            <-- LAST-ACK
5.  TIME-WAIT   --> <CTL=ACK>                --> CLOSED
6.  (2 MSL)
    CLOSED
"""),
    "13": ("end", """
    TCP Peer A                                   TCP Peer B
1.  ESTABLISHED                                  ESTABLISHED
2.  (Close)                                      (Close)
    FIN-WAIT-1  --> <CTL=FIN,ACK>            ... FIN-WAIT-1
                <-- <CTL=FIN,ACK>            <--
                ... <CTL=FIN,ACK>            -->
3.  CLOSING     --> <CTL=ACK>                ... CLOSING
                <-- <CTL=ACK>                <--
                ... <CTL=ACK>                -->
4.  TIME-WAIT                                    TIME-WAIT
    (2 MSL)                                      (2 MSL)
    CLOSED                                       CLOSED
"""),
}

# a state may carry a * (inferred: docs/rfc-style.md); the figures' states
# are compared without it
SIDE = r"\(Close\)|\(2 MSL\)|[A-Z][A-Z0-9-]*\*?"
LINE_RE = re.compile(
    r"^(?P<left>" + SIDE + r")?\s*"
    r"(?:(?P<la>-->|<--|\.\.\.)\s+(?P<seg>(?:<[^>]*>)+)\s+(?P<ra>-->|<--|\.\.\.))?\s*"
    r"(?P<right>" + SIDE + r")?\s*$")
CALLS = ("(Close)", "(2 MSL)")


class Line:
    """One printed line: what each side says, the arrows, the segment."""

    def __init__(self, left, la, ctl, data, ra, right, text):
        self.left, self.la, self.ctl, self.data = left, la, ctl, data
        self.ra, self.right, self.text = ra, right, text

    def key(self, drop_psh):
        ctl = self.ctl
        if ctl is not None and drop_psh:
            ctl = ctl - {"PSH"}
        return (self.left, self.la, ctl, self.data, self.ra, self.right)

    def states(self):
        """(A, B) states this line shows, None for a side showing none."""
        sides = [s if s and s not in CALLS else None for s in (self.left, self.right)]
        return tuple(sides)

    def __str__(self):
        parts = [self.left or "_", self.la or "", "CTL=" + ",".join(sorted(self.ctl))
                 if self.ctl is not None else "", "DATA" if self.data else "",
                 self.ra or "", self.right or "_"]
        return " ".join(p for p in parts if p)


def parse_line(text, a_col, b_col):
    """A figure line without its number; None when it is not one."""
    rest = text[a_col:] if len(text) > a_col else ""
    m = LINE_RE.match(rest)
    if not m:
        return None
    left, right = m.group("left"), m.group("right")
    left = left.rstrip("*") if left else left
    right = right.rstrip("*") if right else right
    # a lone token at the right-hand column is Peer B's
    if left and not m.group("seg") and not right and a_col + m.start("left") >= b_col - 2:
        left, right = None, left
    ctl, data = None, False
    if m.group("seg"):
        seg = m.group("seg")
        c = re.search(r"<CTL=([^>]*)>", seg)
        ctl = frozenset(c.group(1).split(",")) if c else frozenset()
        data = "<DATA>" in seg
    return Line(left, m.group("la"), ctl, data, m.group("ra"), right, text.rstrip())


def parse_figure(lines):
    """Entries (lists of Lines) after the "TCP Peer A ... TCP Peer B" header."""
    a_col = b_col = None
    entries = []
    for text in lines:
        if a_col is None:
            if "TCP Peer A" in text and "TCP Peer B" in text:
                a_col, b_col = text.index("TCP Peer A"), text.index("TCP Peer B")
            continue
        if not text.strip() or text.lstrip().startswith("#"):
            continue  # blank, or a comment (--explain)
        # the footnotes under a figure (what a * means) end it
        if re.match(r"^    (\* inferred: |\(2 MSL\) CLOSED\*: )", text):
            break
        m = re.match(r"^(\d+)\.", text)
        if m:
            entries.append([])
        elif not entries or not text.startswith(" " * a_col):
            raise ValueError(f"not a figure line: {text!r}")
        line = parse_line(text, a_col, b_col)
        if line is None:
            raise ValueError(f"cannot read line: {text!r}")
        entries[-1].append(line)
    if a_col is None:
        raise ValueError("no 'TCP Peer A ... TCP Peer B' header")
    return entries


def connections(text):
    """(header line, entries) for each "connection N:" block of the output."""
    blocks, cur = [], None
    for line in text.splitlines():
        if line.startswith("connection "):
            cur = [line]
            blocks.append(cur)
        elif line.startswith("synscope:"):
            cur = None
        elif cur is not None:
            cur.append(line)
    return [(b[0], parse_figure(b[1:])) for b in blocks]


def entry_states(entry):
    """The states an entry leaves both peers in, as far as it shows them."""
    for line in entry:
        st = line.states()
        if st[0] or st[1]:
            return st
    return (None, None)


def compare(fig_entries, got, anchor):
    """None when the figure's lines are where anchor says, else a reason."""
    n = len(fig_entries)
    if len(got) < n:
        return f"{len(got)} numbered lines, the figure has {n}"
    start = 0 if anchor == "start" else len(got) - n
    for i, want in enumerate(fig_entries):
        have = got[start + i]
        where = f"line {start + i + 1} (figure line {i + 1})"
        if anchor == "end" and i == 0 and all(l.ctl is None for l in want) and len(want) == 1:
            if entry_states(have) != want[0].states():
                return (f"{where}: want both peers {want[0].states()}, "
                        f"got {entry_states(have)}: {have[-1].text.strip()!r}")
            continue
        if len(have) != len(want):
            got_text = " | ".join(l.text.strip() for l in have)
            return f"{where}: want {len(want)} sub-lines, got {len(have)}: {got_text!r}"
        for j, (w, h) in enumerate(zip(want, have)):
            if w.key(False) != h.key(True):
                return f"{where}.{j + 1}: want '{w}', got '{h}' ({h.text.strip()!r})"
    return None


RACES = ("7", "13")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--figure", action="append", required=True, choices=sorted(FIGURES))
    ap.add_argument("--name", default="rfc")
    ap.add_argument("--conns", type=int, help="the number of connections expected")
    args = ap.parse_args()

    failed = False
    try:
        with open(args.file) as f:
            conns = connections(f.read())
    except (OSError, ValueError) as e:
        print(f"FAIL {args.name}/parse: {e}")
        return 1
    if args.conns is not None:
        if len(conns) == args.conns:
            print(f"ok {args.name}/connections")
        else:
            print(f"FAIL {args.name}/connections: want {args.conns}, got {len(conns)}")
            failed = True
    if not conns:
        print(f"FAIL {args.name}/parse: no connection in {args.file}")
        return 1
    for fig in args.figure:
        anchor, skeleton = FIGURES[fig]
        want = parse_figure(skeleton.splitlines())
        bad = None
        for header, entries in conns[-1:] if fig in RACES else conns:
            reason = compare(want, entries, anchor)
            if reason:
                bad = f"{header.split(':')[0]}: {reason}"
                break
        if bad:
            print(f"FAIL {args.name}/figure-{fig}: {bad}")
            failed = True
        else:
            print(f"ok {args.name}/figure-{fig}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
