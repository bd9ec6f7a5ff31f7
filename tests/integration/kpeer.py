#!/usr/bin/env python3
"""Socket programs for the kernel-side tests (test_sk_kind, test_timewait,
test_accept_reset, test_fastopen, test_drop_dir, test_retransmit_facts).
Each does one thing the kernel must be seen doing, checks that the kernel
did it, prints what a test needs to know (ports) as "key=value" lines on
stdout, and exits 0; otherwise one line "kpeer: ..." on stderr and exit 1.

  kpeer.py connect-silent --addr A --port P --wait S
        connect() that gets no answer (its SYNs or their RSTs are dropped):
        gives up after S seconds; fails if connect() ended otherwise
  kpeer.py fin-wait2 --port P --hold S
        on 127.0.0.1: a client that closes first and a server that never
        closes (held open S seconds): the client's orphan ends in a
        FIN-WAIT-2 timewait socket; prints cport=
  kpeer.py rst-before-accept --port P
        on 127.0.0.1: a client connects and aborts (SO_LINGER 0: RST) before
        the server calls accept(), which must still return the reset child;
        prints cport= and fd=
  kpeer.py fastopen --port P --refused-port Q
        on 127.0.0.1: two Fast Open connections (sendto MSG_FASTOPEN: the
        first asks for a cookie, the second sends its data in the SYN), then
        a Fast Open sendto() to Q, where nothing listens: ECONNREFUSED
  kpeer.py raw-syn --port P --sport S --opts HEX
        on 127.0.0.1: one SYN with the TCP options HEX (padded to 4 bytes),
        through a raw socket
  kpeer.py raw-ack --port P --sport S
        on 127.0.0.1: one bare ACK (no connection), through a raw socket
  kpeer.py send-data --addr A --port P --bytes N --wait S
        connect, send N bytes, wait up to S s for the peer to acknowledge
        them all (SIOCOUTQ 0), close
  kpeer.py sink --addr A --port P
        accept one connection, read to EOF, close
"""
import argparse
import ctypes
import errno
import fcntl
import socket
import struct
import sys
import threading
import time

SIOCOUTQ = 0x5411


def die(msg):
    print(f"kpeer: {msg}", file=sys.stderr)
    sys.exit(1)


def listener(addr, port, backlog=8, fastopen=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fastopen:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def connect_silent(a):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(a.wait)
    try:
        c.connect((a.addr, a.port))
    except socket.timeout:
        return
    except OSError as e:
        die(f"connect() failed with {e}, want no answer at all")
    die("connect() succeeded, want no answer at all")


def fin_wait2(a):
    srv = listener("127.0.0.1", a.port)
    c = socket.create_connection(("127.0.0.1", a.port))
    conn, _ = srv.accept()
    print(f"cport={c.getsockname()[1]}", flush=True)
    c.close()  # FIN; the server ACKs it and never sends its own
    time.sleep(a.hold)
    conn.close()
    srv.close()


def rst_before_accept(a):
    libc = ctypes.CDLL(None, use_errno=True)
    srv = listener("127.0.0.1", a.port)
    c = socket.create_connection(("127.0.0.1", a.port))
    cport = c.getsockname()[1]
    time.sleep(0.05)  # the handshake is done: the child waits in the queue
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()  # RST: the child is reset and unhashed before accept()
    time.sleep(0.1)
    # no address asked for: the kernel cannot name the peer of a closed socket
    fd = libc.accept(srv.fileno(), None, None)
    if fd < 0:
        die(f"accept() failed: {errno.errorcode.get(ctypes.get_errno(), '?')}")
    print(f"cport={cport}\nfd={fd}", flush=True)
    libc.close(fd)
    srv.close()


def fastopen(a):
    srv = listener("127.0.0.1", a.port, fastopen=True)

    def serve():
        for _ in range(2):
            conn, _ = srv.accept()
            data = conn.recv(100)
            conn.sendall(b"world\n" if data == b"hello\n" else b"bad\n")
            conn.close()

    t = threading.Thread(target=serve)
    t.start()
    for i in range(2):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        n = c.sendto(b"hello\n", socket.MSG_FASTOPEN, ("127.0.0.1", a.port))
        if n != 6:
            die(f"Fast Open sendto() {i + 1} returned {n}")
        if c.recv(100) != b"world\n":
            die(f"connection {i + 1}: no answer")
        c.close()
        time.sleep(0.05)
    t.join()
    srv.close()
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        c.sendto(b"hello\n", socket.MSG_FASTOPEN, ("127.0.0.1", a.refused_port))
    except ConnectionRefusedError:
        pass
    else:
        die("a Fast Open sendto() to a closed port did not fail with ECONNREFUSED")
    c.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def raw_send(sport, dport, flags, opts=b"", seq=1000, ack=0):
    """One TCP segment 127.0.0.1:sport -> 127.0.0.1:dport (the kernel makes
    the IP header)."""
    opts += b"\x01" * (-len(opts) % 4)
    src = dst = socket.inet_aton("127.0.0.1")
    doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
    hdr = hdr[:16] + struct.pack("!H", checksum(pseudo + hdr)) + hdr[18:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.sendto(hdr, ("127.0.0.1", 0))
    r.close()


def send_data(a):
    c = socket.create_connection((a.addr, a.port))
    print(f"cport={c.getsockname()[1]}", flush=True)
    c.sendall(b"x" * a.bytes)
    end = time.time() + a.wait
    while time.time() < end:
        queued = struct.unpack("i", fcntl.ioctl(c.fileno(), SIOCOUTQ, b"\0" * 4))[0]
        if queued == 0:
            break
        time.sleep(0.05)
    else:
        die(f"{a.bytes} bytes not acknowledged within {a.wait} s")
    c.close()


def sink(a):
    srv = listener(a.addr, a.port)
    print("ready", flush=True)
    conn, _ = srv.accept()
    while conn.recv(65536):
        pass
    conn.close()
    srv.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--refused-port", type=int)
    ap.add_argument("--sport", type=int, default=40000)
    ap.add_argument("--opts", default="")
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--hold", type=float, default=3.0)
    ap.add_argument("--bytes", type=int, default=1000)
    a = ap.parse_args()
    if a.what == "connect-silent":
        connect_silent(a)
    elif a.what == "fin-wait2":
        fin_wait2(a)
    elif a.what == "rst-before-accept":
        rst_before_accept(a)
    elif a.what == "fastopen":
        fastopen(a)
    elif a.what == "raw-syn":
        raw_send(a.sport, a.port, 0x02, bytes.fromhex(a.opts))
    elif a.what == "raw-ack":
        raw_send(a.sport, a.port, 0x10, seq=1000, ack=2000)
    elif a.what == "send-data":
        send_data(a)
    elif a.what == "sink":
        sink(a)
    else:
        die(f"no such program: {a.what}")


if __name__ == "__main__":
    main()
