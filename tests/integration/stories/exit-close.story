# Scenario 11a: the client process exits without calling close(): the
# kernel closes its descriptors, and the last reference sends the FIN.
include handshake.inc
state client ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx client FIN,ACK -> teardown-1-exit
state server ESTABLISHED>CLOSE_WAIT -> state-close-wait
call server read=0 -> read-eof
tx server ACK -> teardown-2
state client FIN_WAIT1>FIN_WAIT2 -> state-fin-wait-2
state client FIN_WAIT2>CLOSE -> state-timewait-socket
call server close() -> close-sends-fin
state server CLOSE_WAIT>LAST_ACK -> state-last-ack
tx server FIN,ACK -> teardown-3
state client FIN_WAIT2>TIME_WAIT* -> state-time-wait
tx client ACK -> teardown-4
state server LAST_ACK>CLOSE -> state-closed
# (the client stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
