# Scenario 3: the server closes first: it is the active closer and ends in
# TIME-WAIT; the client reads EOF, waits, and closes second.
include handshake.inc
call server close() -> close-sends-fin
state server ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx server FIN,ACK -> teardown-1
state client ESTABLISHED>CLOSE_WAIT -> state-close-wait
call client read=0 -> read-eof
tx client ACK -> teardown-2
state server FIN_WAIT1>FIN_WAIT2 -> state-fin-wait-2
state server FIN_WAIT2>CLOSE -> state-timewait-socket
call client close() -> close-sends-fin
state client CLOSE_WAIT>LAST_ACK -> state-last-ack
tx client FIN,ACK -> teardown-3
state server FIN_WAIT2>TIME_WAIT* -> state-time-wait
tx server ACK -> teardown-4
state client LAST_ACK>CLOSE -> state-closed
state server TIME_WAIT>CLOSE* -> state-time-wait-end
