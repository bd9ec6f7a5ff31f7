# Scenario 2: the server closes the moment read() returns 0. Its ACK of the
# client's FIN is still delayed, so the FIN carries it: three segments.
include handshake.inc
call client write() 
tx client PSH,ACK -> data
tx server ACK -> ack
call client write=6 -> write
call server read=6 -> read-data
call client close() -> close-sends-fin
state client ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx client FIN,ACK -> teardown-1
state server ESTABLISHED>CLOSE_WAIT -> state-close-wait
call server read=0 -> read-eof
call server close() -> close-sends-fin
state server CLOSE_WAIT>LAST_ACK -> state-last-ack
tx server FIN,ACK -> teardown-2-3
state client FIN_WAIT1>FIN_WAIT2 -> state-fin-wait-2
state client FIN_WAIT2>TIME_WAIT* -> state-time-wait
state client FIN_WAIT2>CLOSE -> state-timewait-socket
tx client ACK -> teardown-4
state server LAST_ACK>CLOSE -> state-closed
# (the client stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
