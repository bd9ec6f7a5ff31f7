# Scenario 1: three-way handshake, a request from the client, then the
# client closes first and the passive closer's ACK and FIN are two segments:
# the four-way teardown. (RFC 9293's Figures 6 and 12.)
include handshake.inc
call client write()
tx client PSH,ACK -> data
tx server ACK -> ack
call client write=6 -> write
call server read=6 -> read-data
include client-closes.inc
call client close=0
