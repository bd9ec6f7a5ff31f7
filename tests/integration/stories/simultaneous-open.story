# Scenario 5: no listener. Two bound sockets connect() to each other at the
# same instant: the SYNs cross. Each end, in SYN-SENT, receives a bare SYN:
# SYN-RECEIVED, and answers with SYN-ACK (its own SYN again, now with ACK);
# each SYN-ACK makes the other ESTABLISHED. Linux then acknowledges the SYN-ACK
# (an ACK RFC 9293's figure does not draw) and drops the SYN-ACK's old
# sequence space (TCP_OLD_DATA). The "client" closes first. Which peer the
# tracker names client is chance: both connect().
lanes any
# The program retries on new ports until the segments really cross: the
# trace holds every attempt, and the story is the last one's.
conns any
conn last
call client socket=>=0 -> socket
call client bind() -> bind
call client connect() -> connect-call
call server socket=>=0 -> socket
call server bind() -> bind
call server connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
state server CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> simultaneous-open-syn
tx server SYN -> simultaneous-open-syn
state client SYN_SENT>SYN_RECV -> state-syn-received-simultaneous
state server SYN_SENT>SYN_RECV -> state-syn-received-simultaneous
tx client SYN,ACK -> simultaneous-open-synack
tx server SYN,ACK -> simultaneous-open-synack
state client SYN_RECV>ESTABLISHED -> state-established
state server SYN_RECV>ESTABLISHED -> state-established
drop client SYN,ACK TCP_OLD_DATA -> drop-old
drop server SYN,ACK TCP_OLD_DATA -> drop-old
tx client ACK -> simultaneous-open-ack
tx server ACK -> simultaneous-open-ack
call client connect=0 -> connect-returns-simultaneous
call server connect=0 -> connect-returns-simultaneous
include client-closes.inc
