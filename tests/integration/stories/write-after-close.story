# Scenario 8c: the server closes first, and its process reads nothing more;
# the client reads the EOF and writes all the same. Once the server's FIN is
# acknowledged, a timewait socket holds its end (FIN-WAIT-2). Data arriving
# there can never be read, so the server's kernel answers with RST (reason
# TCP_TIMEWAIT_SOCKET), and the timewait socket is gone with it. After the
# server's FIN, the client's kernel keeps that reset for the next write():
# EPIPE (and SIGPIPE, which tcplab ignores), where read() would say
# end-of-file.
include handshake.inc
call server close() -> close-sends-fin
state server ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx server FIN,ACK -> teardown-1
state client ESTABLISHED>CLOSE_WAIT -> state-close-wait
call client read=0 -> read-eof
tx client ACK -> teardown-2
state server FIN_WAIT1>FIN_WAIT2 -> state-fin-wait-2
state server FIN_WAIT2>CLOSE -> state-timewait-socket
tx client PSH,ACK -> data-after-fin
reset server sent TCP_TIMEWAIT_SOCKET -> rst-data-after-close
state server FIN_WAIT2>CLOSE* -> state-closed
tx server RST -> rst
reset client received -> rst-received-after-fin
state client CLOSE_WAIT>CLOSE -> state-closed
call client write=6 -> write
call client write=-32 -> write-epipe
call client close() -> close
