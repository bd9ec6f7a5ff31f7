# Scenario 4: both ends close() at the same instant: each FIN leaves before
# the other's arrives, so neither acknowledges the other. Both go
# FIN-WAIT-1 -> CLOSING (the other's FIN before the ACK of their own), then
# TIME-WAIT: both ends are active closers.
# The program retries on new ports until the segments really cross: the
# trace holds every attempt, and the story is the last one's.
conns any
conn last
include handshake.inc
call client close() -> close-sends-fin
call server close() -> close-sends-fin
state client ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
state server ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx client FIN,ACK -> simultaneous-close-fin
tx server FIN,ACK -> simultaneous-close-fin
state client FIN_WAIT1>CLOSING -> state-closing
state server FIN_WAIT1>CLOSING -> state-closing
tx client ACK -> simultaneous-close-ack
tx server ACK -> simultaneous-close-ack
state client CLOSING>TIME_WAIT* -> state-time-wait
state client CLOSING>CLOSE -> state-timewait-socket
state server CLOSING>TIME_WAIT* -> state-time-wait
state server CLOSING>CLOSE -> state-timewait-socket
# (the client stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
# (the server stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
