# Scenario 11b: dup() makes two descriptors of one socket. close() of the
# first is not the last reference: nothing is sent. close() of the second is.
include handshake.inc
call client close() -> close-not-last
call client close=0
include client-closes.inc
