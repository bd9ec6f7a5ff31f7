# Scenario 8a: the client sets SO_LINGER with a zero timeout and closes: the
# kernel aborts the connection with RST instead of FIN; no TIME-WAIT on
# either side. The server's next read() fails with ECONNRESET.
include handshake.inc
call client close() -> close-aborts
state client ESTABLISHED>CLOSE -> state-closed
tx client RST,ACK -> rst
reset client sent -> rst-linger
reset server received -> rst-received
state server ESTABLISHED>CLOSE -> state-closed
call server read=-104 -> read-fails
call server close() -> close
