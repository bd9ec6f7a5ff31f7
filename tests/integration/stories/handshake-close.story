# Scenario 1: three-way handshake, then the client closes first and the
# passive closer's ACK and FIN are two segments: the four-way teardown.
include handshake.inc
include client-closes.inc
call client close=0
