# Scenario 16: keepalive with a dead peer. Once the handshake is in, the
# server's firewall drops everything from the client (and the RST of the
# server's own close()): to the client, the server's host is gone. The
# client blocks in read(). Its three probes, 1 s apart, arrive and are
# dropped; nothing comes back. 1 s after the third its kernel gives up: an
# RST (reason TCP_KEEPALIVE_TIMEOUT), CLOSE, and read() fails with
# ETIMEDOUT. The server never learns: it is still ESTABLISHED when, 6 s
# after accept(), it closes with SO_LINGER 0, and that RST never leaves its
# host.
include keepalive-handshake.inc
call server setsockopt() -> so-linger-zero
call server setsockopt=0
call client read()
tx client ACK -> keepalive-probe-unanswered
drop server ACK NETFILTER_DROP -> drop-firewall
tx client ACK -> keepalive-probe-unanswered
drop server ACK NETFILTER_DROP -> drop-firewall
tx client ACK -> keepalive-probe-unanswered
drop server ACK NETFILTER_DROP -> drop-firewall
tx client RST,ACK -> rst
reset client sent TCP_KEEPALIVE_TIMEOUT -> rst-keepalive-timeout
state client ESTABLISHED>CLOSE -> state-closed
drop server RST,ACK NETFILTER_DROP -> drop-firewall
call client read=-110 -> read-keepalive-timeout
call client close() -> close
call client close=0
call server close() -> close-aborts
state server ESTABLISHED>CLOSE -> state-closed
drop server RST,ACK NETFILTER_DROP -> drop-firewall
reset server sent TCP_STATE -> rst-linger
call server close=0
