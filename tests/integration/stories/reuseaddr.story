# Scenario 17: SO_REUSEADDR. Connection 1: the server closes first, so its
# end waits in TIME-WAIT (2MSL, 60 s on Linux), holding its address and
# port. The server restarts on a new socket: bind() without SO_REUSEADDR
# fails with EADDRINUSE; with it, it succeeds (the old socket had it too),
# and the client connects again: connection 2, which the client closes
# first. The restart's calls are the listener's: outside any connection in
# JSON Lines (test_lessons checks them there), drawn before connection 2's
# first row in its ladder.
conns 2
conn 1
include handshake.inc
include server-closes.inc
conn 2
include handshake.inc
include client-closes.inc
call client close=0
