#!/usr/bin/env python3
"""One long half-close on loopback, for test_long: the client sends a
request and shutdown(SHUT_WR)s; the server reads to end-of-file, then
sends N small replies (a pause between them, so each is a segment of its
own) and closes; the client reads to end-of-file and closes.
Usage: long_half_close.py PORT N"""
import socket
import sys
import threading
import time

port, replies = int(sys.argv[1]), int(sys.argv[2])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(1)


def serve():
    conn, _ = listener.accept()
    while conn.recv(4096):
        pass
    for _ in range(replies):
        conn.send(b"x" * 100)
        time.sleep(0.0005)
    conn.close()


server = threading.Thread(target=serve)
server.start()
client = socket.create_connection(("127.0.0.1", port))
client.send(b"GET")
client.shutdown(socket.SHUT_WR)
got = 0
while True:
    data = client.recv(65536)
    if not data:
        break
    got += len(data)
client.close()
server.join()
listener.close()
print(f"replies={replies} bytes={got}")
