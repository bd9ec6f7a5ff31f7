# Scenario 13: UDP for contrast. A request datagram and a reply datagram,
# each one sendto() and one recvfrom(): no handshake before, no ACK, no
# teardown after, no states at all: socket() speaks of none, a recvfrom()
# just waits for a datagram, close() sends nothing.
call server socket=>=0 -> udp-socket
call server bind() -> bind
call server recvfrom() -> udp-receive-wait
call client socket=>=0 -> udp-socket
call client sendto()
tx client UDP -> udp-datagram
call client sendto=6 -> udp-send
call client recvfrom() -> udp-receive-wait
call server recvfrom=6 -> udp-receive
call server sendto()
tx server UDP -> udp-datagram
call server sendto=6 -> udp-send
call client recvfrom=6 -> udp-receive
call server close() -> udp-close
call client close() -> udp-close
