# Scenario 5, the Linux way with one socket: bound to a port on loopback, it
# connects to its own address and port. Its SYN comes back to itself in
# SYN-SENT: simultaneous open with itself. Both lanes are the same socket, so
# everything happens on one lane. Its FIN comes back in FIN-WAIT-1: CLOSING.
call client socket=>=0 -> socket
call client bind() -> bind
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> self-connect-syn
state client SYN_SENT>SYN_RECV -> state-syn-received-simultaneous
tx client SYN,ACK -> self-connect-synack
state client SYN_RECV>ESTABLISHED -> state-established
drop client SYN,ACK TCP_OLD_DATA -> drop-old
tx client ACK
call client connect=0 -> connect-returns
tx client PSH,ACK
tx client ACK
call client write=6 -> write
call client read=6 -> read-data
call client close() -> close-sends-fin
state client ESTABLISHED>FIN_WAIT1 -> state-fin-wait-1
tx client FIN,ACK -> self-connect-fin
tx client ACK
state client FIN_WAIT1>CLOSING -> state-closing-self
state client CLOSING>TIME_WAIT* -> state-time-wait
state client CLOSING>CLOSE -> state-timewait-socket
# (the client stays in TIME-WAIT for 2MSL: the ladder says until when; no row, it has not happened)
