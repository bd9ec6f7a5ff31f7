# Scenario 10b: listen(fd, 1) and no accept(). Two connections complete and
# wait in the accept queue, which is then full: the third client's SYN
# arrives but the kernel drops it without answering (and without a drop
# reason: this kernel frees it as consumed; only nstat's ListenOverflows
# counts it). The client repeats its SYN after the initial RTO; meanwhile
# the server accepted the two queued connections, so the repeated SYN is
# answered. The server closes each connection first.
conns 3
conn 1
include handshake-queued.inc
include server-closes.inc
conn 2
include handshake-queued.inc
include server-closes.inc
conn 3
call client socket=>=0 -> socket
call client connect() -> connect-call
state client CLOSE>SYN_SENT -> state-syn-sent
tx client SYN -> handshake-1
rx server SYN -> syn-unanswered
tx client SYN retransmit -> syn-retransmitted
state server LISTEN>SYN_RECV* -> state-syn-received
tx server SYN,ACK -> handshake-2
state client SYN_SENT>ESTABLISHED -> state-established
tx client ACK -> handshake-3
state server LISTEN>SYN_RECV -> state-full-socket
state server SYN_RECV>ESTABLISHED -> state-established
call client connect=0 -> connect-returns
call server accept=>=0 -> accept-returns|accept-from-queue
include server-closes.inc
