# Scenario 3: the server closes first: it is the active closer and ends in
# TIME-WAIT; the client reads EOF, waits, and closes second.
include handshake.inc
include server-closes.inc
