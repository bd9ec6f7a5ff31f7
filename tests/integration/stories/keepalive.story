# Scenario 15: keepalive of an idle connection. Nobody sends anything.
# After 1 s without a segment from the server, the client's kernel sends a
# probe: an ACK with no data and a sequence number one below its next (its
# SYN's), which the server's kernel must answer. It answers with an ACK,
# then drops the probe (TCP_OLD_SEQUENCE: nothing new in it). Three times,
# 1 s apart; neither application is involved (the server sits in read()).
# Then the client closes first: the four-way teardown.
include keepalive-handshake.inc
call server read()
tx client ACK -> keepalive-probe
tx server ACK -> keepalive-answer
drop server ACK TCP_OLD_SEQUENCE -> drop-probe-answered
tx client ACK -> keepalive-probe
tx server ACK -> keepalive-answer
drop server ACK TCP_OLD_SEQUENCE -> drop-probe-answered
tx client ACK -> keepalive-probe
tx server ACK -> keepalive-answer
drop server ACK TCP_OLD_SEQUENCE -> drop-probe-answered
include client-closes.inc
call client close=0
