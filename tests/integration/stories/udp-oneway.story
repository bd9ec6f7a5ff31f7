# Scenario 14: UDP one way. The receiver (the server lane) binds and waits
# in recvfrom(); the sender (the client lane) only calls sendto() with the
# receiver's address, and closes. One datagram and nothing back: no
# handshake, no ACK, no teardown, no states, and nothing tells the sender
# that it arrived. The receiver's calls name no peer: they join this flow
# when the datagram reaches its port. Complete once both sockets closed.
call server socket=>=0 -> udp-socket
call server bind() -> bind
call server bind=0
call server recvfrom() -> udp-receive-wait
call client socket=>=0 -> udp-socket
call client sendto()
tx client UDP -> udp-datagram
call client sendto=6 -> udp-send
call server recvfrom=6 -> udp-receive
call client close() -> udp-close
call client close=0
call server close() -> udp-close
call server close=0
