# Scenario 6: the client sends its request and half-closes with
# shutdown(SHUT_WR): FIN, but it keeps reading. The server reads the request
# and EOF, then still sends its reply after the client's FIN, then closes.
include handshake.inc
tx client PSH,ACK -> data
tx server ACK -> ack
call client write=6 -> write
call server read=6 -> read-data
call client shutdown() -> shutdown-wr
state client ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx client FIN,ACK -> teardown-1
state server ESTABLISHED>CLOSE_WAIT -> state-close-wait
call server read=0 -> read-eof
tx server ACK -> teardown-2
state client FIN_WAIT1>FIN_WAIT2 -> state-fin-wait-2
tx server PSH,ACK -> data-after-fin
tx client ACK -> ack
call server write=6 -> write
call client read=6 -> read-data
call server close() -> close-sends-fin
state server CLOSE_WAIT>LAST_ACK -> state-last-ack
tx server FIN,ACK -> teardown-3
state client FIN_WAIT2>TIME_WAIT* -> state-time-wait
state client FIN_WAIT2>CLOSE -> state-timewait-socket-held
tx client ACK -> teardown-4
state server LAST_ACK>CLOSE -> state-closed
call client read=0 -> read-eof
call client close() -> close
# (the client stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
