#!/usr/bin/env python3
"""The raw events of a synscope recording (-w FILE), one JSON object a line.

    rec_events.py FILE [--kind NAME ...]
    (or from Python: rec_events.load(FILE), a list of the same objects)

For the tests of the kernel side: it shows every field of struct syn_event
(bpf/synscope_event.h, ABI 4) as the kernel filled it, before the tracker
makes anything of it. Reads the format of docs/recording.md itself, gzip or
not (by the file's first bytes), standard library only.

Each object has the common header (ts, sock_id, netns, pid, tid, kind,
family, sport, dport, proto, sk_kind, saddr, daddr, comm) and the fields of
its kind:
  syscall     call, phase, last_ref, vlen, fd, arg, new_fd, ret, val (new_fd is
              [gs]etsockopt's level, arg its optname, val[:vlen/4] its value;
              arg is sendmmsg's and recvmmsg's vlen)
  state       old, new
  segment     dir, flags, opts, wscale, win, mss, seq, ack, len, tsval, tsecr,
              fo_cookie_len
  retransmit  rtx, state, flags, ca_state, seq, end_seq, timer, retransmits
  reset       rst, state, reason
  drop        dir, flags, seq, ack, len, reason
  lost        count, since
  timewait    how, substate
  tick        (nothing more)
Numbers stay numbers (states in the kernel's TCP_* numbering); the names
are the ABI's: kind, sk_kind, call, phase, dir, flags, opts, rtx, rst.
Both formats: 1 (each event as it lies in memory) and 2 (compact events).
"""
import argparse
import gzip
import ipaddress
import json
import struct
import sys

MAGIC = b"SYNSCOPE"
T_EVENT = 16
EVENT_SIZE = 120

KINDS = {1: "syscall", 2: "state", 3: "segment", 4: "retransmit", 5: "reset", 6: "destroy",
         7: "lost", 8: "drop", 9: "timewait", 10: "tick"}
SK_KINDS = {0: "unknown", 1: "full", 2: "request", 3: "timewait", 4: "control", 5: "none",
            6: "listener"}
CALLS = {1: "listen", 2: "connect", 3: "accept", 4: "accept4", 5: "shutdown", 6: "close",
         7: "socket", 8: "bind", 9: "read", 10: "write", 11: "recvfrom", 12: "sendto",
         13: "recvmsg", 14: "sendmsg", 15: "setsockopt", 16: "readv", 17: "writev",
         18: "sendfile", 19: "getsockopt",
         20: "sendmmsg", 21: "recvmmsg"}
FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
OPTS = ["mss", "wscale", "sackOK", "ts", "fastopen"]


def flags(v):
    return [f for i, f in enumerate(FLAGS) if v & (1 << i)]


def addr(family, raw):
    if family == 2:
        return str(ipaddress.IPv4Address(raw[:4]))
    if family == 10:
        return str(ipaddress.IPv6Address(raw))
    return ""


T_HEADER, T_HEADER_END = 1, 5
HISTORY = 1024  # format 2: the events a compact record may refer back to


def varint(data, pos):
    """An unsigned LEB128 number at pos: (value, the position after it)."""
    v = shift = 0
    while True:
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, pos
        shift += 7


def compact_events(data, pos, size):
    """Format 2's records after HEADER_END (docs/recording.md): each event
    against one or two of the last HISTORY events, given as EVENT records."""
    words = (size + 7) // 8
    hist = [bytes(size)] * HISTORY
    count = prev = 0
    while pos < len(data):
        if data[pos] == 0:  # a framed record
            rtype, length = struct.unpack_from("<HH", data, pos + 1)
            yield rtype, data[pos + 5:pos + 5 + length]
            pos += 5 + length
            continue
        head, pos = varint(data, pos)
        ev = bytearray(hist[(count - (head >> 1)) % HISTORY])
        if head & 1:
            back, pos = varint(data, pos)
            split, pos = varint(data, pos)
            ev[split * 8:] = hist[(count - back) % HISTORY][split * 8:]
        dt, pos = varint(data, pos)
        prev = (prev + ((dt >> 1) ^ -(dt & 1))) % 2**64
        struct.pack_into("<Q", ev, 0, prev)
        mask, pos = varint(data, pos)
        for w in range(1, words):
            if not mask >> (words - 1 - w) & 1:
                continue
            bm = data[pos]
            pos += 1
            for b in range(8):
                if bm >> b & 1:
                    ev[w * 8 + b] ^= data[pos]
                    pos += 1
        hist[count % HISTORY] = bytes(ev)
        count += 1
        yield T_EVENT, bytes(ev)


def records(data):
    """(type, payload) of every record, format 1 or 2; format 2's events as
    EVENT records holding the event's bytes."""
    if data[:8] != MAGIC:
        sys.exit("rec_events: not a recording")
    version, = struct.unpack_from("<I", data, 8)
    pos, size = 12, EVENT_SIZE
    while pos + 4 <= len(data):
        rtype, length = struct.unpack_from("<HH", data, pos)
        yield rtype, data[pos + 4:pos + 4 + length]
        pos += 4 + length
        if rtype == T_HEADER:
            size, = struct.unpack_from("<I", data, pos - length + 4)
        if rtype == T_HEADER_END and version == 2:
            yield from compact_events(data, pos, size)
            return


def decode(p):
    ts, sid, netns, pid, tid = struct.unpack_from("<QQIII", p, 0)
    kind, family, sport, dport, proto, sk_kind = struct.unpack_from("<BBHHBB", p, 28)
    e = {"ts": ts, "sock_id": sid, "netns": netns, "pid": pid, "tid": tid,
         "kind": KINDS.get(kind, kind), "family": family, "sport": sport, "dport": dport,
         "proto": proto, "sk_kind": SK_KINDS.get(sk_kind, sk_kind),
         "saddr": addr(family, p[36:52]), "daddr": addr(family, p[52:68]),
         "comm": p[68:84].split(b"\0")[0].decode("utf-8", "replace")}
    u = 88
    if kind == 1:
        (call, phase, last_ref, vlen, fd, arg, new_fd, ret, v0,
         v1) = struct.unpack_from("<BBBBiiiqii", p, u)
        e.update(call=CALLS.get(call, call), phase="return" if phase else "entry",
                 last_ref=last_ref, vlen=vlen, fd=fd, arg=arg, new_fd=new_fd, ret=ret,
                 val=[v0, v1][:vlen // 4])
    elif kind == 2:
        e.update(old=p[u], new=p[u + 1])
    elif kind == 3:
        (d, fl, op, ws, win, mss, seq, ack, ln, tsval, tsecr,
         fo) = struct.unpack_from("<BBBBHHIIIIIB", p, u)
        e.update(dir="rx" if d else "tx", flags=flags(fl),
                 opts=[o for i, o in enumerate(OPTS) if op & (1 << i)], wscale=ws, win=win,
                 mss=mss, seq=seq, ack=ack, len=ln, tsval=tsval, tsecr=tsecr, fo_cookie_len=fo)
    elif kind == 4:
        rk, st, fl, ca, seq, end, timer, n = struct.unpack_from("<BBBBIIBB", p, u)
        e.update(rtx="synack" if rk else "skb", state=st, flags=flags(fl), ca_state=ca,
                 seq=seq, end_seq=end, timer=timer, retransmits=n)
    elif kind == 5:
        rk, st, reason = struct.unpack_from("<BBxxI", p, u)
        e.update(rst="received" if rk else "sent", state=st, reason=reason)
    elif kind == 8:
        d, fl, seq, ack, ln, reason = struct.unpack_from("<BBxxIIII", p, u)
        e.update(dir="rx" if d else "tx", flags=flags(fl), seq=seq, ack=ack, len=ln,
                 reason=reason)
    elif kind == 7:
        count, since = struct.unpack_from("<QQ", p, u)
        e.update(count=count, since=since)
    elif kind == 9:
        e.update(how=p[u], substate=p[u + 1])
    return e


def load(path):
    """Every event of the recording at path, decoded, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [decode(p) for rtype, p in records(data) if rtype == T_EVENT and len(p) == EVENT_SIZE]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--kind", action="append")
    args = ap.parse_args()
    want = set(args.kind) if args.kind else None
    for e in load(args.file):
        if want is None or e["kind"] in want:
            print(json.dumps(e))


if __name__ == "__main__":
    main()
