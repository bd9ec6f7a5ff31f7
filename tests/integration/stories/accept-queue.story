# Scenario 10a: the server waits (poll) until a connection is ready and only
# then calls accept(): the handshake completed in the kernel without it, the
# connection waited in the accept queue, and accept() returns at once, with
# no segment on the wire. The server then greets the client.
call client socket=>=0 -> socket
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> handshake-1
state server LISTEN>SYN_RECV* -> state-syn-received
tx server SYN,ACK -> handshake-2
state client SYN_SENT>ESTABLISHED -> state-established
tx client ACK -> handshake-3
state server LISTEN>SYN_RECV -> state-full-socket
state server SYN_RECV>ESTABLISHED -> state-established
call client connect=0 -> connect-returns
call server accept() -> accept-call-ready
call server accept=>=0 -> accept-from-queue
tx server PSH,ACK -> data
tx client ACK -> ack
call server write=6 -> write
call client read=6 -> read-data
include client-closes.inc
