# Scenario 7: nothing listens on the server's port. Its kernel answers the
# SYN with RST (from no socket at all: reason NO_SOCKET) and drops the SYN;
# connect() fails with ECONNREFUSED.
call client socket=>=0 -> socket
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> handshake-1
reset server sent NO_SOCKET -> rst-no-socket
tx server RST,ACK -> rst-refused
drop server SYN NO_SOCKET -> drop-no-socket
reset client received -> rst-received-refused
state client SYN_SENT>CLOSE -> state-closed
call client connect=-111 -> connect-refused
call client close() -> close
