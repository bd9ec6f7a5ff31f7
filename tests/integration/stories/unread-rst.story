# Scenario 8b: the client's request arrives, the server never reads it and
# closes: data left unread makes the kernel abort with RST instead of FIN
# (reason TCP_ABORT_ON_CLOSE). The client's read() fails with ECONNRESET.
include handshake.inc
tx client PSH,ACK -> data
tx server ACK -> ack
call client write=6 -> write
call server close() -> close-aborts
state server ESTABLISHED>CLOSE -> state-closed
tx server RST,ACK -> rst
reset server sent TCP_ABORT_ON_CLOSE -> rst-unread-data
reset client received -> rst-received
state client ESTABLISHED>CLOSE -> state-closed
call client read=-104 -> read-fails
call client close() -> close
