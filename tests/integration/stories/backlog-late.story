# Scenario 10c: listen(fd, 1) and no accept(), as in backlog-full, but the
# queue fills up between the second client's SYN and its last ACK: an nft
# rule drops that ACK once, a third connection completes and fills the
# queue, and when the server repeats its SYN-ACK the client's ACK finds the
# accept queue full: the kernel drops it with reason TCP_LISTEN_OVERFLOW and
# keeps the half-open connection. (The client, already ESTABLISHED, drops each
# repeated SYN-ACK as invalid and answers it with an ACK.) After the server
# accepted the two queued connections, the next SYN-ACK completes the
# handshake, late. The server closes each connection first. Connections come
# in the order they began: the second (the late one) before the third.
conns 3
conn 1
include handshake-queued.inc
include server-closes.inc
conn 2
call client socket=>=0 -> socket
call client bind() -> bind
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> handshake-1
state server LISTEN>SYN_RECV* -> state-syn-received
tx server SYN,ACK -> handshake-2
state client SYN_SENT>ESTABLISHED -> state-established
tx client ACK -> handshake-3
drop server ACK NETFILTER_DROP -> drop-firewall
call client connect=0 -> connect-returns
tx server SYN,ACK retransmit -> synack-again
drop client SYN,ACK TCP_INVALID_SYN -> drop-invalid-syn
tx client ACK -> handshake-3-again
drop server ACK TCP_LISTEN_OVERFLOW -> drop-backlog-full-ack
call server accept() -> accept-call
tx server SYN,ACK retransmit -> synack-again
drop client SYN,ACK TCP_INVALID_SYN -> drop-invalid-syn
tx client ACK -> handshake-3-again
state server LISTEN>SYN_RECV -> state-full-socket
state server SYN_RECV>ESTABLISHED -> state-established
call server accept=>=0 -> accept-returns
include server-closes.inc
conn 3
include handshake-queued.inc
include server-closes.inc
