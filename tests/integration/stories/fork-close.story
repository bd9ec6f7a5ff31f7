# Scenario 11c: after fork() the child shares the socket. The parent's
# close() is not the last reference: nothing is sent. The child's is.
include handshake.inc
call client close() -> close-not-last
call client close=0
include client-closes.inc
