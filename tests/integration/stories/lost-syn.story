# Scenario 9: an nftables rule in the server's namespace drops the first
# SYN (netif_receive_skb saw it arrive; netfilter dropped it: the kernel's
# drop reason says so). The client retransmits it after the initial RTO (1 s);
# only the retransmission is answered, so SYN-RECEIVED is inferred there.
call server accept() -> accept-call
call client socket=>=0 -> socket
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> handshake-1
drop server SYN NETFILTER_DROP -> drop-firewall
tx client SYN retransmit -> syn-retransmitted
state server LISTEN>SYN_RECV* -> state-syn-received
tx server SYN,ACK -> handshake-2
state client SYN_SENT>ESTABLISHED -> state-established
tx client ACK -> handshake-3
state server LISTEN>SYN_RECV -> state-full-socket
state server SYN_RECV>ESTABLISHED -> state-established
call client connect=0 -> connect-returns
call server accept=>=0 -> accept-returns
include client-closes.inc
