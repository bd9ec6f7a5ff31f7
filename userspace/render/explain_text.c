/* The words of explain mode, in English and Simplified Chinese. A template
 * names what it needs: {who} the lane the row is about, {other} the other
 * lane, {n} a number (bytes), {why} a kernel reason or errno name. */
#include <stdio.h>
#include <string.h>
#include "render/explain.h"
#include "base/names.h"

struct ex_words {
	const char *name; /* stable name, for JSONL and tests */
	const char *en;
	const char *zh;
};

static const struct ex_words words[EX_NKEYS] = {
	[EX_SOCKET] = { "socket",
		"socket(): a new socket, CLOSED, with no address yet",
		"socket()：新建一个套接字，状态 CLOSED，还没有地址" },
	[EX_BIND] = { "bind",
		"bind(): the socket gets its local address and port",
		"bind()：为套接字绑定本地地址和端口" },
	[EX_CONNECT_CALL] = { "connect-call",
		"connect(): the {who} starts the three-way handshake and waits",
		"connect()：{who}发起三次握手并等待" },
	[EX_CONNECT_CALL_REFUSED_AT_ONCE] = { "connect-call-fails-at-once",
		"connect(): the {who} asks to connect, and its own kernel refuses within the call: no SYN is sent and no local port is chosen (the return says why)",
		"connect()：{who}请求建立连接，但它自己的内核在调用中就拒绝了：没有发出 SYN，也没有选定本地端口（返回值说明原因）" },
	[EX_CONNECT_OK] = { "connect-returns",
		"connect() returns: the {who} saw the SYN-ACK (2nd segment)",
		"connect() 返回：{who}收到了 SYN-ACK（第 2 个报文段）" },
	[EX_CONNECT_REFUSED] = { "connect-refused",
		"connect() fails with ECONNREFUSED: the SYN was answered with RST",
		"connect() 失败（ECONNREFUSED）：对 SYN 的回答是 RST" },
	[EX_CONNECT_TIMEDOUT] = { "connect-timed-out",
		"connect() fails with ETIMEDOUT: nothing answered the SYN or any of its retransmissions (net.ipv4.tcp_syn_retries, 6 by default: about 2 minutes)",
		"connect() 失败（ETIMEDOUT）：SYN 及其所有重传都没有得到回答（net.ipv4.tcp_syn_retries，默认 6 次：大约 2 分钟）" },
	[EX_CONNECT_HOST_UNREACH] = { "connect-host-unreachable",
		"connect() fails with EHOSTUNREACH (No route to host): an ICMP error said the server's host cannot be reached, or nothing answered ARP or neighbour discovery for it",
		"connect() 失败（EHOSTUNREACH，No route to host）：ICMP 差错报告说服务器的主机不可达，或者没有谁回答对它的 ARP 或邻居发现" },
	[EX_CONNECT_NET_UNREACH] = { "connect-network-unreachable",
		"connect() fails with ENETUNREACH (Network is unreachable): this host has no route to the server's network (then no SYN left), or a router said so with an ICMP error",
		"connect() 失败（ENETUNREACH，Network is unreachable）：本机没有到服务器所在网络的路由（那样就没有 SYN 发出），或者路由器用 ICMP 差错报告了这一点" },
	[EX_CONNECT_NO_PORT] = { "connect-no-local-port",
		"connect() fails with EADDRNOTAVAIL (Cannot assign requested address): no local port is free for this destination: the ephemeral range (net.ipv4.ip_local_port_range) is used up, often by connections in TIME-WAIT",
		"connect() 失败（EADDRNOTAVAIL，Cannot assign requested address）：没有可用于这个目的地址的本地端口：临时端口范围（net.ipv4.ip_local_port_range）已经用完，常常是被处于 TIME-WAIT 的连接占用" },
	[EX_CONNECT_FAIL] = { "connect-fails",
		"connect() fails: {why}",
		"connect() 失败：{why}" },
	[EX_ACCEPT_CALL] = { "accept-call",
		"{call}(): the {who} waits for a connection whose handshake is complete",
		"{call}()：{who}等待一个已完成握手的连接" },
	[EX_ACCEPT_OK] = { "accept-returns",
		"{call}() returns: the 3rd segment arrived, the connection is ready",
		"{call}() 返回：第 3 个报文段已到达，连接就绪" },
	[EX_ACCEPT_QUEUED] = { "accept-from-queue",
		"{call}() returns at once: the handshake finished earlier and the connection waited in the accept queue; no new segment",
		"{call}() 立即返回：握手早已完成，连接一直在 accept 队列中等待；没有新的报文段" },
	[EX_SYN] = { "handshake-1",
		"handshake 1/3: SYN, the {who} asks to open and picks its initial sequence number",
		"握手 1/3：SYN，{who}请求建立连接，并选定自己的初始序号" },
	[EX_SYN_RETRANS] = { "syn-retransmitted",
		"SYN again: no SYN-ACK came back within the initial RTO, so the {who} retransmits it",
		"再次发送 SYN：在初始重传超时（RTO）内没有收到 SYN-ACK，{who}重传 SYN" },
	[EX_SYN_SIMUL] = { "simultaneous-open-syn",
		"simultaneous open: the {who} sends SYN while the {other}'s SYN is on its way",
		"同时打开：{who}发送 SYN 时，{other}的 SYN 也在路上" },
	[EX_SYN_UNANSWERED] = { "syn-unanswered",
		"the SYN arrived, but the {who}'s kernel does not answer it and gives no drop reason (a full accept queue drops SYNs this way; nstat counts ListenOverflows)",
		"SYN 已到达，但{who}的内核没有回答，也没有给出丢弃原因（accept 队列满时 SYN 就是这样被丢弃的；nstat 中的 ListenOverflows 会计数）" },
	[EX_SYNACK_AGAIN] = { "synack-again",
		"SYN-ACK again: the handshake's last ACK did not complete it, so the {who} repeats its SYN-ACK",
		"再次发送 SYN-ACK：握手的最后一个 ACK 没有完成握手，{who}重发 SYN-ACK" },
	[EX_ACK3_AGAIN] = { "handshake-3-again",
		"the {who} answers the repeated SYN-ACK with its ACK again (handshake 3/3 once more)",
		"{who}再次用 ACK 回答重复的 SYN-ACK（再一次握手 3/3）" },
	[EX_SYNACK] = { "handshake-2",
		"handshake 2/3: SYN-ACK, the {who} agrees, acknowledges the SYN and picks its own initial sequence number",
		"握手 2/3：SYN-ACK，{who}同意建立连接，确认对方的 SYN，并选定自己的初始序号" },
	[EX_SYNACK_SIMUL] = { "simultaneous-open-synack",
		"simultaneous open: the {who} answers the {other}'s SYN with SYN-ACK",
		"同时打开：{who}用 SYN-ACK 回答{other}的 SYN" },
	[EX_ACK3] = { "handshake-3",
		"handshake 3/3: ACK of the {other}'s SYN, the connection is open",
		"握手 3/3：确认{other}的 SYN，连接建立" },
	[EX_DATA] = { "data",
		"data: {n} bytes from the {who}",
		"数据：{who}发送 {n} 字节" },
	[EX_DATA_HALF_CLOSED] = { "data-after-fin",
		"half-close: the {who} still sends {n} bytes after the {other}'s FIN",
		"半关闭：在{other}发出 FIN 之后，{who}仍在发送 {n} 字节数据" },
	[EX_DATA_ACK] = { "ack",
		"ACK: the {who} acknowledges the bytes it received",
		"ACK：{who}确认收到的数据" },
	[EX_RETRANS] = { "retransmission",
		"retransmission: no ACK came in time, the {who} sends the same bytes again",
		"重传：没有及时收到 ACK，{who}再次发送同样的数据" },
	[EX_FIN1] = { "teardown-1",
		"teardown 1/4: FIN, the {who} has no more data to send",
		"挥手 1/4：FIN，{who}没有数据要发送了" },
	[EX_FIN1_EXIT] = { "teardown-1-exit",
		"teardown 1/4: FIN without a close() call: the {who}'s process exited and the kernel closed its sockets",
		"挥手 1/4：没有调用 close() 却发出了 FIN：{who}进程已退出，内核关闭了它的套接字" },
	[EX_ACK2] = { "teardown-2",
		"teardown 2/4: ACK of the {other}'s FIN; from that FIN on, the {who}'s read() returns 0",
		"挥手 2/4：确认{other}的 FIN；从那个 FIN 起，{who}的 read() 返回 0" },
	[EX_ACK2_DATA] = { "teardown-2-data",
		"teardown 2/4: {n} bytes of data from the {who} that also acknowledge the {other}'s FIN: the {who} may still send (half-close); from that FIN on, its read() returns 0",
		"挥手 2/4：{who}发送 {n} 字节数据，同时确认了{other}的 FIN：{who}仍可继续发送（半关闭）；从那个 FIN 起，{who}的 read() 返回 0" },
	[EX_FIN_MERGED] = { "teardown-2-3",
		"teardown 2+3/4: the {who}'s FIN also acknowledges the {other}'s FIN: its delayed ACK rode on the FIN (three-segment teardown)",
		"挥手 2+3/4：{who}的 FIN 同时确认了{other}的 FIN：被延迟的 ACK 搭载在 FIN 上（三次挥手）" },
	[EX_FIN2] = { "teardown-3",
		"teardown 3/4: FIN, the {who} closes too",
		"挥手 3/4：FIN，{who}也关闭了" },
	[EX_FIN2_EXIT] = { "teardown-3-exit",
		"teardown 3/4: FIN without a close() call: the {who}'s process exited and the kernel closed its sockets",
		"挥手 3/4：没有调用 close() 却发出了 FIN：{who}进程已退出，内核关闭了它的套接字" },
	[EX_ACK4] = { "teardown-4",
		"teardown 4/4: ACK of the {other}'s FIN, the connection is closed",
		"挥手 4/4：确认{other}的 FIN，连接关闭" },
	[EX_FIN_SIMUL] = { "simultaneous-close-fin",
		"simultaneous close: the {who} sends FIN before it has seen the {other}'s FIN",
		"同时关闭：{who}在收到{other}的 FIN 之前就发出了自己的 FIN" },
	[EX_ACK_SIMUL] = { "simultaneous-close-ack",
		"simultaneous close: the {who} acknowledges the {other}'s FIN",
		"同时关闭：{who}确认{other}的 FIN" },
	[EX_ACK_SIMUL_OPEN] = { "simultaneous-open-ack",
		"simultaneous open: the {who} acknowledges the {other}'s SYN-ACK",
		"同时打开：{who}确认{other}的 SYN-ACK" },
	[EX_SELF_SYN] = { "self-connect-syn",
		"self-connect: the socket sends SYN to its own address and port, and receives it itself: a simultaneous open with itself",
		"自连接：套接字向自己的地址和端口发送 SYN，并由自己收到：与自己的同时打开" },
	[EX_SELF_SYNACK] = { "self-connect-synack",
		"self-connect: the socket answers its own SYN with SYN-ACK",
		"自连接：套接字用 SYN-ACK 回答自己的 SYN" },
	[EX_SELF_FIN] = { "self-connect-fin",
		"self-connect: the socket's FIN comes back to itself while it waits in FIN-WAIT-1: a simultaneous close with itself",
		"自连接：套接字的 FIN 在它处于 FIN-WAIT-1 时回到自己：与自己的同时关闭" },
	[EX_RST] = { "rst",
		"RST: the {who} aborts the connection at once: no FIN exchange, no TIME-WAIT",
		"RST：{who}立即中止连接：没有 FIN 交换，也没有 TIME-WAIT" },
	[EX_RST_REFUSED] = { "rst-refused",
		"RST: nothing listens on this port, so the {who}'s kernel refuses the connection",
		"RST：该端口没有进程在监听，{who}的内核拒绝连接" },
	[EX_UDP] = { "udp-datagram",
		"UDP datagram of {n} bytes from the {who}: no handshake before it, no ACK after it, no teardown",
		"UDP 数据报（{n} 字节），由{who}发送：之前没有握手，之后没有确认，也没有挥手" },
	[EX_ST_SYN_SENT] = { "state-syn-sent",
		"SYN-SENT: the {who} waits for the SYN-ACK",
		"SYN-SENT：{who}等待 SYN-ACK" },
	[EX_ST_SYN_RECV_INFERRED] = { "state-syn-received",
		"SYN-RECEIVED (inferred): Linux keeps this half-open connection in a request socket and reports no state for it",
		"SYN-RECEIVED（推断）：Linux 把这个半连接放在请求套接字（request sock）里，不报告它的状态" },
	[EX_ST_SYN_RECV_KERNEL] = { "state-full-socket",
		"the final ACK arrived: only now does the kernel create the full socket (it reports LISTEN -> SYN_RECV here)",
		"最后的 ACK 到达：内核现在才创建完整的套接字（所以在这里报告 LISTEN -> SYN_RECV）" },
	[EX_ST_SYN_RECV_SIMUL] = { "state-syn-received-simultaneous",
		"SYN-RECEIVED: a SYN arrived while the {who}'s own SYN was unanswered (simultaneous open)",
		"SYN-RECEIVED：{who}自己的 SYN 尚未得到回答时，收到了对方的 SYN（同时打开）" },
	[EX_ST_ESTABLISHED] = { "state-established",
		"ESTABLISHED: the {who} can send and receive data",
		"ESTABLISHED：{who}可以收发数据了" },
	[EX_ST_FIN_WAIT1] = { "state-fin-wait-1",
		"FIN-WAIT-1: the {who}'s FIN is out, waiting for its ACK",
		"FIN-WAIT-1：{who}的 FIN 已发出，等待对它的确认" },
	[EX_ST_FIN_WAIT2] = { "state-fin-wait-2",
		"FIN-WAIT-2: the {who}'s FIN was acknowledged; waiting for the {other}'s FIN",
		"FIN-WAIT-2：{who}的 FIN 已被确认；等待{other}的 FIN" },
	[EX_ST_CLOSE_WAIT] = { "state-close-wait",
		"CLOSE-WAIT: the {other} has closed; the {who} may still send until it closes too",
		"CLOSE-WAIT：{other}已经关闭；{who}在自己关闭之前仍然可以发送数据" },
	[EX_ST_LAST_ACK] = { "state-last-ack",
		"LAST-ACK: the {who}'s FIN is out, waiting for the last ACK",
		"LAST-ACK：{who}的 FIN 已发出，等待最后一个 ACK" },
	[EX_ST_CLOSING] = { "state-closing",
		"CLOSING: the {other}'s FIN arrived before the ACK of the {who}'s own FIN",
		"CLOSING：{other}的 FIN 先于对{who}自己 FIN 的确认到达" },
	[EX_ST_TIME_WAIT] = { "state-time-wait",
		"TIME-WAIT: waits 2MSL, so that a lost last ACK can be repeated and old duplicates of this connection die out before its ports are used again (inferred: a timewait socket holds it, 60 s on Linux)",
		"TIME-WAIT：等待 2MSL，以便在最后的 ACK 丢失时可以重发，并让这个连接的旧重复报文在端口被再次使用之前消失（推断：由 timewait 套接字保持，Linux 上为 60 秒）" },
	[EX_ST_TW_KERNEL] = { "state-timewait-socket",
		"the kernel frees the full socket (it reports CLOSE); a small timewait socket carries the connection on",
		"内核释放完整的套接字（报告 CLOSE）；由一个小的 timewait 套接字继续维持这个连接" },
	[EX_ST_TW_END] = { "state-time-wait-end",
		"2MSL are over: the timewait socket's timer fired, TIME-WAIT ends and the connection is gone",
		"2MSL 结束：timewait 套接字的定时器到期，TIME-WAIT 结束，连接彻底消失" },
	[EX_ST_CLOSED] = { "state-closed",
		"CLOSED: the connection is over for the {who}",
		"CLOSED：对{who}来说连接结束了" },
	[EX_READ_DATA] = { "read-data",
		"{call}() returns {n} bytes from the receive buffer",
		"{call}() 从接收缓冲区返回 {n} 字节" },
	[EX_READ_EOF] = { "read-eof",
		"{call}() returns 0: end-of-file, the {other}'s FIN arrived and no more data will come",
		"{call}() 返回 0：文件结束（EOF），{other}的 FIN 已到达，不会再有数据" },
	[EX_READ_FAIL] = { "read-fails",
		"{call}() fails: {why}",
		"{call}() 失败：{why}" },
	[EX_WRITE] = { "write",
		"{call}(): {n} bytes copied into the send buffer; the kernel sends them",
		"{call}()：{n} 字节被复制到发送缓冲区，由内核发送" },
	[EX_WRITE_FAIL] = { "write-fails",
		"{call}() fails: {why}",
		"{call}() 失败：{why}" },
	[EX_CLOSE_FIN] = { "close-sends-fin",
		"close(): the last descriptor of this socket is closed, so the kernel sends FIN",
		"close()：这个套接字的最后一个描述符被关闭，内核发送 FIN" },
	[EX_CLOSE_RST] = { "close-aborts",
		"close(): the last descriptor is closed, but the kernel aborts the connection: RST instead of FIN",
		"close()：最后一个描述符被关闭，但内核中止了连接：发送 RST 而不是 FIN" },
	[EX_CLOSE_NOT_LAST] = { "close-not-last",
		"close(): another descriptor (from dup() or fork()) still refers to the socket, so nothing is sent",
		"close()：还有另一个描述符（来自 dup() 或 fork()）指向这个套接字，所以什么也不发送" },
	[EX_CLOSE_ABANDON] = { "close-abandons-connect",
		"close() before the handshake finished: the kernel abandons the connection attempt and sends nothing (no FIN: the connection never opened)",
		"close() 在握手完成之前被调用：内核放弃这次连接尝试，什么也不发送（没有 FIN：连接从未建立）" },
	[EX_CLOSE_FREE] = { "close",
		"close(): releases the descriptor",
		"close()：释放描述符" },
	[EX_SHUT_WR] = { "shutdown-wr",
		"shutdown(SHUT_WR): half-close, send FIN but keep reading",
		"shutdown(SHUT_WR)：半关闭，发送 FIN，但仍然可以读" },
	[EX_SHUT_RD] = { "shutdown-rd",
		"shutdown(SHUT_RD): stop reading; nothing is sent",
		"shutdown(SHUT_RD)：不再读取；不发送任何报文段" },
	[EX_SHUT_RDWR] = { "shutdown-rdwr",
		"shutdown(SHUT_RDWR): send FIN and stop reading",
		"shutdown(SHUT_RDWR)：发送 FIN，并且不再读取" },
	[EX_SENDTO_UDP] = { "udp-send",
		"{call}(): one datagram of {n} bytes, sent as it is: no connection needed",
		"{call}()：发送一个 {n} 字节的数据报：不需要连接" },
	[EX_RECVFROM_UDP] = { "udp-receive",
		"{call}(): one whole datagram of {n} bytes",
		"{call}()：收到一个完整的 {n} 字节数据报" },
	[EX_DESTROY] = { "socket-freed",
		"the kernel frees the {who}'s socket",
		"内核释放{who}的套接字" },
	[EX_DROP_BACKLOG] = { "drop-backlog-full",
		"dropped: the listen backlog (accept queue) is full; the {other} will retransmit",
		"被丢弃：监听队列（accept 队列）已满；{other}稍后会重传" },
	[EX_DROP_BACKLOG_ACK] = { "drop-backlog-full-ack",
		"dropped: the handshake's last ACK found the accept queue full; the {who} keeps the half-open connection and repeats its SYN-ACK later",
		"被丢弃：握手的最后一个 ACK 到达时 accept 队列已满；{who}保留这个半连接，稍后重发 SYN-ACK" },
	[EX_DROP_INVALID_SYN] = { "drop-invalid-syn",
		"dropped: a SYN on a connection that is already open is not valid (RFC 5961); the {who} answers it with an ACK",
		"被丢弃：对已建立的连接来说，SYN 是无效的（RFC 5961）；{who}用一个 ACK 回应它" },
	[EX_DROP_NO_SOCKET] = { "drop-no-socket",
		"dropped: no socket on the {who}'s host wants this segment (nothing listens, or the connection is gone)",
		"被丢弃：{who}所在主机上没有套接字接收这个报文段（没有进程监听，或者连接已经不存在）" },
	[EX_DROP_OLD] = { "drop-old",
		"dropped: nothing in this segment is new to the {who} (already received); its ACK was used, the rest is dropped",
		"被丢弃：这个报文段对{who}来说没有新内容（已经收到过）；内核使用了其中的 ACK，其余丢弃" },
	[EX_DROP_FIREWALL] = { "drop-firewall",
		"dropped by the firewall (netfilter) on the {who}'s host",
		"被{who}所在主机的防火墙（netfilter）丢弃" },
	[EX_DROP_NEIGH] = { "drop-no-neighbour",
		"dropped before it left: the {who}'s host never learned the next hop's link-layer address (ARP or neighbour discovery got no answer: {why}), so nothing reached the wire",
		"在发出之前被丢弃：{who}所在主机始终没有得到下一跳的链路层地址（ARP 或邻居发现没有回答：{why}），所以什么也没有发到线路上" },
	[EX_DROP_OTHER] = { "drop",
		"dropped by the {who}'s kernel: {why}",
		"被{who}的内核丢弃：{why}" },
	[EX_RST_SENT_NO_SOCKET] = { "rst-no-socket",
		"the {who}'s kernel has no socket for this port: it answers with RST (connection refused)",
		"{who}的内核在这个端口上没有套接字：用 RST 回答（连接被拒绝）" },
	[EX_RST_SENT_UNREAD] = { "rst-unread-data",
		"close() with unread data in the receive queue: the {who} aborts with RST instead of FIN",
		"接收队列中还有未读数据时调用 close()：{who}用 RST 而不是 FIN 中止连接" },
	[EX_RST_SENT_LINGER] = { "rst-linger",
		"close() with SO_LINGER and a zero timeout: the {who} aborts with RST instead of FIN",
		"设置了 SO_LINGER 且超时为 0 时调用 close()：{who}用 RST 而不是 FIN 中止连接" },
	[EX_RST_SENT_OTHER] = { "rst-sent",
		"the {who} sends RST: {why}",
		"{who}发送 RST：{why}" },
	[EX_RST_RECEIVED] = { "rst-received",
		"RST received: the {other} aborted; the {who}'s next call fails with ECONNRESET",
		"收到 RST：{other}中止了连接；{who}接下来的调用会以 ECONNRESET 失败" },
	[EX_RETRANS_FAST] = { "retransmission-fast",
		"fast retransmit: duplicate ACKs told the {who} this segment was lost, so it sends it again without waiting for its timer",
		"快速重传：重复的 ACK 告诉{who}这个报文段丢失了，于是不等定时器到期就再次发送" },
	[EX_RETRANS_RTO] = { "retransmission-timeout",
		"retransmission timeout: no ACK came in time, the {who} sends the same bytes again (and waits twice as long next time)",
		"超时重传：没有及时收到 ACK，{who}再次发送同样的数据（下次等待的时间加倍）" },
	[EX_RETRANS_TLP] = { "retransmission-probe",
		"tail loss probe: the {other} has been quiet, so the {who} sends its last segment again to draw an ACK before its timer would",
		"尾部丢失探测：{other}一直没有回应，{who}在定时器到期之前重发最后一个报文段，以引出一个 ACK" },
	[EX_DUP_ACK] = { "duplicate-ack",
		"duplicate ACK: the {who} acknowledges the same byte again, with no data: a segment before it is missing (the third in a row makes the {other} retransmit)",
		"重复 ACK：{who}再次确认同一个字节且不带数据：前面有报文段丢失（连续第三个会让{other}重传）" },
	[EX_ZERO_WINDOW] = { "zero-window",
		"zero window: the {who}'s receive buffer is full; the {other} must stop sending until it opens again",
		"零窗口：{who}的接收缓冲区满了；{other}必须停止发送，直到窗口再次打开" },
	[EX_WINDOW_UPDATE] = { "window-update",
		"window update: the {who}'s application read, there is room again, the {other} may send",
		"窗口更新：{who}的应用程序读取了数据，又有空间了，{other}可以继续发送" },
	[EX_WINDOW_PROBE] = { "window-probe",
		"window probe: the {other}'s window is zero; the {who} asks whether it has opened (the answer carries the window)",
		"窗口探测：{other}的窗口为零；{who}询问窗口是否已经打开（回答中带有窗口大小）" },
	[EX_KEEPALIVE] = { "keepalive-probe",
		"keepalive probe: nothing has arrived for a while, so the {who}'s kernel checks the {other} is still there: an ACK with no data and a sequence number already used, which the {other}'s kernel must answer",
		"保活探测：一段时间没有收到任何东西，{who}的内核检查{other}是否还在：一个不带数据、序号已经用过的 ACK，{other}的内核必须回答它" },
	[EX_KEEPALIVE_UNANSWERED] = { "keepalive-probe-unanswered",
		"keepalive probe {n} in a row without an answer: nothing comes back from the {other}; after TCP_KEEPCNT of them the {who}'s kernel gives up",
		"连续第 {n} 个没有得到回答的保活探测：{other}那边什么也没有回来；连续 TCP_KEEPCNT 个之后，{who}的内核就会放弃" },
	[EX_KEEPALIVE_ACK] = { "keepalive-answer",
		"the {who}'s kernel answers the keepalive probe with an ACK: the {who} is still there (its application takes no part)",
		"{who}的内核用 ACK 回答保活探测：{who}还在（应用程序并不参与）" },
	[EX_DROP_PROBE] = { "drop-probe-answered",
		"dropped once answered: the probe's sequence number is one the {who} has already acknowledged (TCP_OLD_SEQUENCE), which is what makes its kernel answer; the ACK it drew was the point",
		"回答之后被丢弃：探测报文的序号是{who}已经确认过的（TCP_OLD_SEQUENCE），正因如此它的内核才会回答；引出那个 ACK 就是探测的目的" },
	[EX_RST_SENT_KEEPALIVE] = { "rst-keepalive-timeout",
		"the {who}'s kernel gives the {other} up: its last {n} keepalive probes got no answer (TCP_KEEPCNT), so it resets the connection, and the {who}'s calls fail with ETIMEDOUT",
		"{who}的内核放弃了{other}：最近 {n} 个保活探测都没有回答（TCP_KEEPCNT），于是重置连接，{who}的调用以 ETIMEDOUT 失败" },
	[EX_READ_KEEPALIVE] = { "read-keepalive-timeout",
		"{call}() fails with ETIMEDOUT: the keepalive probes went unanswered, so the kernel gave the connection up (the RST above); the {other} never said goodbye",
		"{call}() 以 ETIMEDOUT 失败：保活探测都没有得到回答，内核放弃了这个连接（见上面的 RST）；{other}从未道别" },
	[EX_SYNACK_COOKIE] = { "handshake-2-cookie",
		"handshake 2/3 with a SYN cookie: the {who}'s queue of half-open connections is full (a flood?), so it keeps nothing and encodes the connection in its initial sequence number; the ACK must bring it back",
		"握手 2/3（SYN cookie）：{who}的半连接队列已满（遭到洪泛？），所以不保存任何状态，而是把连接信息编码进初始序号；由 ACK 把它带回来" },
	[EX_RST_KERNEL_ABORT] = { "rst-kernel-abort",
		"the {who}'s kernel aborts the connection itself (no RST arrived): data came after the {who} had closed, and the kernel answers it with RST",
		"{who}的内核自己中止了连接（并没有收到 RST）：{who}关闭之后又来了数据，内核用 RST 回答" },
	[EX_RST_RECEIVED_REFUSED] = { "rst-received-refused",
		"RST in answer to the SYN: nothing listens on that port; connect() fails with ECONNREFUSED",
		"对 SYN 的回答是 RST：那个端口上没有进程监听；connect() 以 ECONNREFUSED 失败" },
	[EX_ST_TW_KILLED] = { "time-wait-killed",
		"the RST kills the timewait socket at once: TIME-WAIT ends early (Linux does this unless net.ipv4.tcp_rfc1337 is set; RFC 1337 calls it TIME-WAIT assassination)",
		"RST 立即终止了 timewait 套接字：TIME-WAIT 提前结束（Linux 默认如此，除非设置了 net.ipv4.tcp_rfc1337；RFC 1337 称之为 TIME-WAIT 暗杀）" },
	[EX_ST_REQ_RESET] = { "state-request-reset",
		"the RST ends the half-open connection: the request socket is freed and the listener goes on (RFC 9293: back to LISTEN)",
		"RST 结束了这个半连接：请求套接字被释放，监听继续（RFC 9293：回到 LISTEN）" },
	[EX_ST_FW2_TIMEOUT] = { "fin-wait-2-timeout",
		"FIN-WAIT-2 times out: the {other}'s FIN never came, and Linux does not wait for ever (net.ipv4.tcp_fin_timeout)",
		"FIN-WAIT-2 超时：{other}的 FIN 一直没有来，Linux 不会永远等待（net.ipv4.tcp_fin_timeout）" },
	[EX_RST_SENT_LISTENER] = { "rst-listener-closed",
		"the listener was closed while this connection still waited in its accept queue: the {who}'s kernel resets it (nobody will accept() it)",
		"监听套接字被关闭时，这个连接还在 accept 队列中等待：{who}的内核用 RST 中止它（不会再有人 accept() 它）" },
	[EX_ST_SYN_RECV_FASTOPEN] = { "state-syn-received-fastopen",
		"TCP Fast Open: the SYN's cookie is valid, so the kernel creates the full socket at once, in SYN-RECEIVED, and its data can be read before the handshake ends",
		"TCP 快速打开：SYN 中的 cookie 有效，内核立即创建完整的套接字（处于 SYN-RECEIVED），不等握手结束就可以读取其中的数据" },
	[EX_ACCEPT_FASTOPEN] = { "accept-fastopen",
		"{call}() returns before the 3rd segment: with TCP Fast Open the connection is ready at the SYN",
		"{call}() 在第 3 个报文段之前就返回：使用 TCP 快速打开时，连接在收到 SYN 时就已就绪" },
	[EX_CONNECT_DEFERRED] = { "connect-deferred",
		"connect() returns at once and sends nothing: with TCP_FASTOPEN_CONNECT the SYN waits for the first write, to carry its data",
		"connect() 立即返回且不发送任何报文段：使用 TCP_FASTOPEN_CONNECT 时，SYN 要等到第一次写入，好携带数据" },
	[EX_READ_AFTER_RESET] = { "read-after-reset",
		"{call}() returns 0: the connection was reset, nothing more will come (no FIN arrived)",
		"{call}() 返回 0：连接已被重置，不会再有数据（并没有收到 FIN）" },
	[EX_WRITE_ZERO_WINDOW] = { "write-zero-window",
		"{call}(): {n} bytes copied into the send buffer; the {other}'s window is zero, so they wait there until it opens",
		"{call}()：{n} 字节被复制到发送缓冲区；{other}的窗口为零，数据留在缓冲区里，直到窗口打开" },
	[EX_RETRANS_RECOVERY] = { "retransmission-recovery",
		"SACK recovery: still recovering after the fast retransmit, the {who} resends the next hole the {other}'s SACK blocks show",
		"SACK 恢复：快速重传之后仍在恢复中，{who}重发{other}的 SACK 块所显示的下一个空洞" },
	[EX_ICMP_PORT] = { "icmp-port-unreachable",
		"ICMP port unreachable: the {other}'s host says nothing listens there (it answers with ICMP instead of RST); a connect() still waiting fails with ECONNREFUSED",
		"ICMP 端口不可达：{other}所在主机说那里没有进程监听（它用 ICMP 而不是 RST 回答）；仍在等待的 connect() 以 ECONNREFUSED 失败" },
	[EX_ICMP] = { "icmp",
		"ICMP error about the {who}'s segment: {why}; a connect() still waiting gives up with it, an open connection only notes it and keeps retrying",
		"关于{who}的报文段的 ICMP 差错：{why}；仍在等待的 connect() 因此放弃，已建立的连接只记下它并继续重试" },
	[EX_ICMP_OWN_HOST] = { "icmp-from-own-host",
		"ICMP {why} from the {who}'s own host: its next hop never answered ARP or neighbour discovery, so the kernel reports the segment undeliverable; a connect() still waiting fails with EHOSTUNREACH (No route to host)",
		"ICMP {why}，来自{who}自己的主机：下一跳始终没有回答 ARP 或邻居发现，所以内核报告这个报文段无法送达；仍在等待的 connect() 以 EHOSTUNREACH（No route to host）失败" },
	[EX_LISTEN] = { "listen",
		"listen(): the {who}'s socket will wait for connections: from now on its kernel answers SYNs on this port by itself and keeps the finished connections in an accept queue (backlog {n}) until accept() takes them",
		"listen()：{who}的套接字开始等待连接：此后内核自己应答这个端口上的 SYN，并把完成握手的连接放进 accept 队列（backlog {n}），直到 accept() 取走" },
	[EX_ST_LISTEN] = { "state-listen",
		"LISTEN: the {who} waits for connections on its port",
		"LISTEN：{who}在自己的端口上等待连接" },
	[EX_BIND_IN_USE] = { "bind-in-use",
		"bind() fails with EADDRINUSE: another socket still holds this address and port: a listener, or a connection in TIME-WAIT (a socket with SO_REUSEADDR may bind beside one in TIME-WAIT that had it too, never beside a listener)",
		"bind() 失败（EADDRINUSE）：另一个套接字仍然占用着这个地址和端口：一个监听套接字，或者一个处于 TIME-WAIT 的连接（设置了 SO_REUSEADDR 的套接字可以与同样设置了它的 TIME-WAIT 连接并存，但不能与监听套接字并存）" },
	[EX_BIND_FAIL] = { "bind-fails",
		"bind() fails: {why}",
		"bind() 失败：{why}" },
	[EX_SO_REUSEADDR] = { "so-reuseaddr",
		"SO_REUSEADDR on: bind() may take this address and port while a connection that used it is still in TIME-WAIT (never while another socket listens there)",
		"开启 SO_REUSEADDR：即使使用过这个地址和端口的连接还处于 TIME-WAIT，bind() 也可以绑定它（但有其他套接字在监听时仍然不行）" },
	[EX_SO_REUSEPORT] = { "so-reuseport",
		"SO_REUSEPORT on: several sockets of one user may bind and listen on the same port; the kernel spreads the connections among them",
		"开启 SO_REUSEPORT：同一用户的多个套接字可以绑定并监听同一个端口；内核把连接分给它们" },
	[EX_SO_KEEPALIVE] = { "so-keepalive",
		"SO_KEEPALIVE on: when nothing has arrived for a while (TCP_KEEPIDLE, 2 hours unless set), the kernel sends probes to check the {other} is still there",
		"开启 SO_KEEPALIVE：一段时间内什么都没有收到时（TCP_KEEPIDLE，默认 2 小时），内核发送探测报文，检查{other}是否还在" },
	[EX_TCP_KEEPIDLE] = { "tcp-keepidle",
		"TCP_KEEPIDLE {n} s: the first keepalive probe goes out once nothing has arrived from the {other} for {n} s",
		"TCP_KEEPIDLE {n} 秒：{n} 秒内没有收到{other}的任何报文段，就发出第一个保活探测" },
	[EX_TCP_KEEPINTVL] = { "tcp-keepintvl",
		"TCP_KEEPINTVL {n} s: a keepalive probe that gets no answer is followed by the next one {n} s later",
		"TCP_KEEPINTVL {n} 秒：保活探测没有得到回答时，{n} 秒后发下一个" },
	[EX_TCP_KEEPCNT] = { "tcp-keepcnt",
		"TCP_KEEPCNT {n}: after {n} keepalive probes in a row without an answer the kernel gives the connection up: it sends RST, and the application's calls fail with ETIMEDOUT",
		"TCP_KEEPCNT {n}：连续 {n} 个保活探测都没有回答，内核就放弃这个连接：发送 RST，应用程序的调用以 ETIMEDOUT 失败" },
	[EX_SO_LINGER_RST] = { "so-linger-zero",
		"SO_LINGER on with 0 s: close() will neither wait nor send FIN: it aborts the connection with RST (and no TIME-WAIT)",
		"开启 SO_LINGER 且时间为 0 秒：close() 既不等待也不发送 FIN，而是用 RST 中止连接（也没有 TIME-WAIT）" },
	[EX_SO_LINGER_WAIT] = { "so-linger",
		"SO_LINGER on with {n} s: close() waits up to {n} s until the data still in the send buffer is acknowledged",
		"开启 SO_LINGER，时间为 {n} 秒：close() 最多等待 {n} 秒，直到发送缓冲区里剩余的数据得到确认" },
	[EX_SO_LINGER_OFF] = { "so-linger-off",
		"SO_LINGER off: close() returns at once and the kernel finishes the connection in the background (the default)",
		"关闭 SO_LINGER：close() 立即返回，由内核在后台完成连接的关闭（默认行为）" },
	[EX_TCP_NODELAY] = { "tcp-nodelay",
		"TCP_NODELAY on: small writes leave at once; Nagle's algorithm no longer holds them back until earlier data is acknowledged",
		"开启 TCP_NODELAY：小块数据立即发送；Nagle 算法不再把它们留到之前的数据被确认之后" },
	[EX_TCP_FASTOPEN] = { "tcp-fastopen",
		"TCP_FASTOPEN {n}: the listener takes data in a SYN that brings a valid cookie (TCP Fast Open), with at most {n} such connections waiting",
		"TCP_FASTOPEN {n}：监听套接字接受带有有效 cookie 的 SYN 中的数据（TCP 快速打开），最多允许 {n} 个这样的连接等待" },
	[EX_SOCKOPT_OFF] = { "sockopt-off",
		"setsockopt(): {opt} off",
		"setsockopt()：关闭 {opt}" },
	[EX_SOCKOPT] = { "sockopt",
		"setsockopt(): {opt} set to {n}",
		"setsockopt()：把 {opt} 设为 {n}" },
	[EX_SOCKOPT_FAIL] = { "setsockopt-fails",
		"setsockopt() fails: {why}; the option stays as it was",
		"setsockopt() 失败：{why}；选项保持原样" },
	[EX_SOCKET_UDP] = { "udp-socket",
		"socket(): a new UDP socket, with no address yet; UDP keeps no connection and no states",
		"socket()：新建一个 UDP 套接字，还没有地址；UDP 不维护连接，也没有状态" },
	[EX_CLOSE_UDP] = { "udp-close",
		"close(): the socket is gone and nothing is sent: UDP has no connection to end",
		"close()：套接字被释放，不发送任何东西：UDP 没有需要结束的连接" },
	[EX_RECV_WAIT_UDP] = { "udp-receive-wait",
		"{call}(): the {who} waits for a datagram; it needs no connection: anyone may send one to its port",
		"{call}()：{who}等待一个数据报；不需要连接：任何人都可以向它的端口发送数据报" },
	[EX_CONNECT_OK_SIMUL] = { "connect-returns-simultaneous",
		"connect() returns: the {other}'s SYN-ACK acknowledged the {who}'s SYN (a simultaneous open: each side sent SYN and SYN-ACK, there was no three-way handshake)",
		"connect() 返回：{other}的 SYN-ACK 确认了{who}的 SYN（同时打开：双方各发送了 SYN 和 SYN-ACK，没有三次握手）" },
	[EX_ST_TW_KERNEL_HELD] = { "state-timewait-socket-held",
		"the kernel reports CLOSE for the full socket: a small timewait socket carries the connection on; the process still holds the old socket, closed, until it closes its descriptor",
		"内核为完整套接字报告 CLOSE：由一个小的 timewait 套接字继续承载连接；进程仍持有这个已关闭的旧套接字，直到它关闭描述符" },
	[EX_ST_CLOSING_SELF] = { "state-closing-self",
		"CLOSING: the socket's own FIN came back to it before the ACK of that FIN",
		"CLOSING：套接字自己的 FIN 先于对该 FIN 的确认回到了自己" },
	[EX_CONNECT_CALL_NONBLOCK] = { "connect-call-nonblocking",
		"connect() on a non-blocking socket: the {who} starts the three-way handshake and does not wait for it",
		"connect()（非阻塞套接字）：{who}发起三次握手，但不等待它完成" },
	[EX_CONNECT_INPROGRESS] = { "connect-in-progress",
		"connect() returns EINPROGRESS, which is no failure: the socket is non-blocking and the handshake goes on; the {who} learns it is done when the socket becomes writable (poll, select, epoll)",
		"connect() 返回 EINPROGRESS，这并不是失败：套接字是非阻塞的，握手仍在进行；套接字变为可写时（poll、select、epoll），{who}就知道握手已完成" },
	[EX_CONNECT_INPROGRESS_DONE] = { "connect-in-progress-done",
		"connect() returns EINPROGRESS although the handshake completed before it returned: a non-blocking connect() does not wait and does not look; the {who} learns it is done when the socket becomes writable (poll, select, epoll)",
		"connect() 返回 EINPROGRESS，尽管握手在它返回之前已经完成：非阻塞的 connect() 既不等待也不查看；套接字变为可写时（poll、select、epoll），{who}就知道握手已完成" },
	[EX_ACCEPT_CALL_READY] = { "accept-call-ready",
		"{call}(): the {who} takes the next connection from the accept queue; this one's handshake is already complete, so there is nothing to wait for",
		"{call}()：{who}从 accept 队列中取下一个连接；这个连接的握手已经完成，无需等待" },
	[EX_CONNECT_AGAIN] = { "connect-again",
		"connect() again on a socket whose handshake has begun: nothing is sent; the answer says how the connection stands (how a non-blocking program asks after poll())",
		"对已开始握手的套接字再次调用 connect()：不发送任何东西；返回值说明连接的状况（非阻塞程序在 poll() 之后这样询问）" },
	[EX_CONNECT_AGAIN_OPEN] = { "connect-again-open",
		"connect() answers that the connection is open (0, or EISCONN): its handshake completed earlier",
		"connect() 回答连接已经打开（0 或 EISCONN）：握手早已完成" },
	[EX_CONNECT_AGAIN_BUSY] = { "connect-again-busy",
		"connect() fails with EALREADY: the handshake is still under way; the {who} should wait (poll) and ask again",
		"connect() 失败（EALREADY）：握手仍在进行；{who}应当等待（poll）后再问" },
	[EX_CONNECT_INPROGRESS_ENDED] = { "connect-in-progress-ended",
		"connect() returns EINPROGRESS although the attempt had already ended before it returned (the rows above say how): a non-blocking connect() does not wait and does not look; the {who} learns the outcome when the socket becomes writable and getsockopt(SO_ERROR) reports it",
		"connect() 返回 EINPROGRESS，尽管这次连接尝试在它返回之前已经结束（上面的行说明了结果）：非阻塞的 connect() 既不等待也不查看；套接字变为可写时，{who}通过 getsockopt(SO_ERROR) 得知结果" },
	[EX_READ_AGAIN] = { "read-again",
		"{call}() fails with EAGAIN: the socket is non-blocking and nothing has arrived yet; the {who} waits until it becomes readable (poll, epoll) and reads again",
		"{call}() 失败（EAGAIN）：套接字是非阻塞的，还没有数据到达；{who}等到它变为可读（poll、epoll）后再读" },
	[EX_WRITE_AGAIN] = { "write-again",
		"{call}() fails with EAGAIN: the socket is non-blocking and its send buffer is full; the {who} waits until it becomes writable (poll, epoll) and writes the rest",
		"{call}() 失败（EAGAIN）：套接字是非阻塞的，发送缓冲区已满；{who}等到它变为可写（poll、epoll）后再写剩下的数据" },
	[EX_SOCKET_NONBLOCK] = { "socket-nonblock",
		"socket(): a new socket, CLOSED, with no address yet; SOCK_NONBLOCK makes it non-blocking: connect(), accept() and read() on it return at once (EINPROGRESS, EAGAIN) rather than wait",
		"socket()：新建一个套接字，状态 CLOSED，还没有地址；SOCK_NONBLOCK 使它成为非阻塞套接字：在它上面调用 connect()、accept() 和 read() 会立即返回（EINPROGRESS、EAGAIN），而不是等待" },
	[EX_RST_SENT_DATA_AFTER_CLOSE] = { "rst-data-after-close",
		"data arrived after the {who} had closed its socket (close(), or its process exited): no one can read it any more, so the {who}'s kernel answers with RST ({why})",
		"{who}关闭套接字之后（close() 或进程退出）又有数据到达：再也没有人能读取它，所以{who}的内核用 RST 回答（{why}）" },
	[EX_RST_RECEIVED_AFTER_FIN] = { "rst-received-after-fin",
		"RST received after the {other}'s FIN: the connection is reset; the {who}'s read() still returns 0 (end-of-file), its next write() fails with EPIPE",
		"在{other}的 FIN 之后收到 RST：连接被重置；{who}的 read() 仍然返回 0（文件结束），下一次 write() 以 EPIPE 失败" },
	[EX_WRITE_EPIPE] = { "write-epipe",
		"{call}() fails with EPIPE: this end can send nothing more (the connection was reset, or its sending side shut down); the kernel also sends the process SIGPIPE, which ends a program that neither ignores nor handles it",
		"{call}() 以 EPIPE 失败：这一端再也不能发送（连接已被重置，或发送方向已关闭）；内核还会向进程发送 SIGPIPE，没有忽略或处理它的程序会因此终止" },
	[EX_SO_ERROR_NONE] = { "so-error-none",
		"getsockopt(SO_ERROR) answers 0: no error waits on the socket; after a non-blocking connect() this is how the {who} learns that the connection is open",
		"getsockopt(SO_ERROR) 返回 0：套接字上没有待处理的错误；非阻塞 connect() 之后，{who}由此得知连接已经建立" },
	[EX_SO_ERROR_REFUSED] = { "so-error-refused",
		"getsockopt(SO_ERROR) answers ECONNREFUSED: an RST answered the SYN, the connection was refused; this is how the {who} learns that its non-blocking connect() failed (reading the error clears it)",
		"getsockopt(SO_ERROR) 返回 ECONNREFUSED：SYN 得到的回答是 RST，连接被拒绝；{who}由此得知非阻塞 connect() 失败了（读取后错误即被清除）" },
	[EX_SO_ERROR] = { "so-error",
		"getsockopt(SO_ERROR) answers {why}: the error that ended the {who}'s connection attempt (or its connection), kept on the socket until read; after a non-blocking connect() this is how the {who} learns that it failed",
		"getsockopt(SO_ERROR) 返回 {why}：结束{who}这次连接尝试（或连接）的错误，一直保存在套接字上直到被读取；非阻塞 connect() 之后，{who}由此得知连接失败" },
	[EX_SENDMMSG] = { "sendmmsg",
		"sendmmsg(): {n} messages handed to the kernel in one call; on UDP each one is a datagram of its own (glibc's resolver sends its A and AAAA queries so)",
		"sendmmsg()：一次调用把 {n} 条消息交给内核；在 UDP 上每条消息都是一个独立的数据报（glibc 的解析器就这样发送 A 和 AAAA 查询）" },
	[EX_RECVMMSG] = { "recvmmsg",
		"recvmmsg(): {n} messages taken in one call; on UDP each one is one whole datagram",
		"recvmmsg()：一次调用取走 {n} 条消息；在 UDP 上每条消息都是一个完整的数据报" },
	[EX_CONNECT_UDP] = { "udp-connect",
		"connect() on a UDP socket sends nothing: it only records the peer's address, so later sends need none and only that peer's datagrams are received",
		"对 UDP 套接字调用 connect() 不发送任何东西：它只记下对端地址，此后发送时无需再给地址，并且只接收来自该对端的数据报" },
	[EX_ST_CLOSE_AFTER_SHUTDOWN] = { "state-again-close",
		"the same state again: the {who}'s last descriptor was closed after shutdown() had sent its FIN; Linux reports the state it stays in, and nothing is sent",
		"状态未变：{who}在 shutdown() 已发出 FIN 之后关闭了最后一个描述符；Linux 再次报告它所处的状态，不发送任何东西" },
	[EX_SUMMARY] = { "summary",
		"summary: these rows moved ordinary data and acknowledgements; the figures say how much each way (-v draws every row)",
		"汇总：这些行只是普通的数据和确认；数字给出每个方向的数量（-v 显示每一行）" },
};

const char *explain_key_name(unsigned int key)
{
	return key < EX_NKEYS && words[key].name ? words[key].name : "";
}

const char *explain_lane(int lane, enum explain_lang lang)
{
	if (lang == EXPLAIN_ZH)
		return lane ? "服务器" : "客户端";
	return lane ? "server" : "client";
}

/* The number and reason a row's text may need. */
static void row_facts(const struct conn_row *r, char *n, size_t nlen, char *why, size_t wlen)
{
	const struct syn_event *e = &r->ev;
	const char *name = NULL;

	n[0] = why[0] = '\0';
	switch (e->kind) {
	case SYN_EV_SEGMENT:
		snprintf(n, nlen, "%u", e->seg.len);
		break;
	case SYN_EV_SYSCALL:
		if (e->sys.phase == SYN_PHASE_ENTRY && e->sys.call == SYN_CALL_LISTEN)
			snprintf(n, nlen, "%d", e->sys.arg);
		else if (e->sys.phase == SYN_PHASE_ENTRY && e->sys.call == SYN_CALL_SETSOCKOPT)
			/* the value; SO_LINGER's: its seconds */
			snprintf(n, nlen, "%d", e->sys.val[e->sys.vlen >= 8]);
		else if (e->sys.call == SYN_CALL_GETSOCKOPT && e->sys.ret == 0 && e->sys.vlen >= 4)
			txt_errno_text(e->sys.val[0], why, wlen); /* SO_ERROR's answer */
		else if (e->sys.phase == SYN_PHASE_RETURN && txt_errno_of(e->sys.ret))
			txt_errno_text(txt_errno_of(e->sys.ret), why, wlen);
		else if (e->sys.phase == SYN_PHASE_RETURN) /* a count, or no errno: as it came */
			snprintf(n, nlen, "%lld", (long long)e->sys.ret);
		break;
	case SYN_EV_DROP:
		name = drop_reason_name(e->drop.reason);
		if (!name)
			snprintf(why, wlen, "reason %u", e->drop.reason);
		break;
	case SYN_EV_RESET:
		name = rst_reason_name(e->rst.reason);
		if (!name)
			snprintf(why, wlen, "reason %u", e->rst.reason);
		break;
	case SYN_EV_ICMP:
		name = icmp_error_name(e->family, e->icmp.type, e->icmp.code);
		break;
	}
	if (name)
		snprintf(why, wlen, "%s", name);
}

/* A setsockopt row's option: "SO_REUSEADDR", or "option 99". */
static const char *option_name(const struct syn_event *e, char *buf, size_t len)
{
	const char *name = sockopt_name(e->sys.level, e->sys.arg);

	if (name)
		return name;
	snprintf(buf, len, "option %d", e->sys.arg);
	return buf;
}

char *explain_text(const struct conn *c, size_t i, const struct explain_note *n,
		   enum explain_lang lang, char *buf, size_t len)
{
	const char *tpl, *p;
	char num[24], why[64], opt[24];
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (n->key == EX_NONE || n->key >= EX_NKEYS || lang == EXPLAIN_OFF)
		return buf;
	tpl = lang == EXPLAIN_ZH ? words[n->key].zh : words[n->key].en;
	row_facts(&c->rows[i], num, sizeof(num), why, sizeof(why));
	if (n->n)
		snprintf(num, sizeof(num), "%u", n->n);
	for (p = tpl; *p && used + 1 < len;) {
		const char *sub = NULL;
		size_t skip = 0;

		if (!strncmp(p, "{who}", 5))
			sub = explain_lane(n->who, lang), skip = 5;
		else if (!strncmp(p, "{other}", 7))
			sub = explain_lane(!n->who, lang), skip = 7;
		else if (!strncmp(p, "{n}", 3))
			sub = num, skip = 3;
		else if (!strncmp(p, "{why}", 5))
			sub = why, skip = 5;
		else if (!strncmp(p, "{call}", 6))
			sub = syn_call_name(c->rows[i].ev.sys.call), skip = 6;
		else if (!strncmp(p, "{opt}", 5))
			sub = option_name(&c->rows[i].ev, opt, sizeof(opt)), skip = 5;
		if (sub) {
			int w = snprintf(buf + used, len - used, "%s", sub);

			used += w > 0 ? (size_t)w : 0;
			if (used >= len)
				used = len - 1;
			p += skip;
		} else {
			buf[used++] = *p++;
		}
	}
	buf[used] = '\0';
	return buf;
}
