#!/usr/bin/env bash
# The classroom demo: one textbook TCP scenario on real sockets, between a
# "client" and a "server" network namespace, traced by synscope and explained
# row by row.
#
#   scripts/demo.sh                 scenario 1: handshake, request, four-way teardown
#   scripts/demo.sh NAME [options]  any scenario (scripts/demo.sh --list)
#
#   --lang zh        explain in Simplified Chinese
#   --pace SECS      slow motion: pause SECS after each ladder row
#   --slow MS        pause MS between the programs' steps, and say each one
#   --rfc            RFC 9293 notation instead of the ladder
#   -6               IPv6
#
# make demo runs it with no arguments. Environment: SYNSCOPE (binary),
# DEMO_PORT (9000), DEMO_PREFIX (namespaces PREFIX-client, PREFIX-server: scn).
# The scenario's own results ("scenario NAME: ok") come after the ladders.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNSCOPE=${SYNSCOPE:-$ROOT/build/synscope}
SCENARIO=$ROOT/scripts/scenario.sh
PORT=${DEMO_PORT:-9000}
PREFIX=${DEMO_PREFIX:-scn}

usage() {
	echo "usage: scripts/demo.sh [--list | NAME] [--lang en|zh] [--pace SECS] [--slow MS] [--rfc] [-6]" >&2
	exit 2
}

NAME=handshake-close
LANG_OPTS=()
PACE_OPTS=()
STYLE_OPTS=()
RUN_OPTS=()
while [ $# -gt 0 ]; do
	case $1 in
	--list)
		"$SCENARIO" --list
		exit
		;;
	--lang) [ $# -ge 2 ] || usage; LANG_OPTS=(--lang "$2"); shift 2 ;;
	--pace) [ $# -ge 2 ] || usage; PACE_OPTS=(--pace "$2"); shift 2 ;;
	--slow) [ $# -ge 2 ] || usage; RUN_OPTS+=(--slow "$2"); shift 2 ;;
	--rfc) STYLE_OPTS=(--style rfc --relative-seq); shift ;;
	-6) RUN_OPTS+=(-6); shift ;;
	-h | --help) usage ;;
	-*) echo "demo: unknown option $1" >&2; usage ;;
	*) NAME=$1; shift ;;
	esac
done

# explained in either style, in either language, at any pace
SYN_OPTS=(--explain "${STYLE_OPTS[@]}" "${LANG_OPTS[@]}" "${PACE_OPTS[@]}")

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: synscope loads BPF programs into the kernel: run it as root (sudo make demo)." >&2
	exit 1
fi
[ -x "$SYNSCOPE" ] || { echo "demo: $SYNSCOPE is not built: run make" >&2; exit 1; }
if ! "$SCENARIO" --list | awk '{print $1}' | grep -qx -- "$NAME"; then
	echo "demo: no scenario '$NAME'; scripts/demo.sh --list shows them" >&2
	exit 2
fi

# What the class reads first: the scenario, then how to read what follows,
# in the language of the explanations. Every line fits 78 columns (a Chinese
# character takes two).
summary_zh() {
	case $1 in
	handshake-close) echo "三次握手，一个请求，客户端先关闭：四次挥手" ;;
	merged-fin) echo "服务器读到 EOF 立即关闭：它的 FIN 捎带被延迟的 ACK（三个报文段）" ;;
	server-close) echo "服务器先关闭，最后处于 TIME-WAIT" ;;
	simultaneous-close) echo "双方同时 close()：两端都经过 FIN-WAIT-1 -> CLOSING -> TIME-WAIT" ;;
	simultaneous-open) echo "双方同时 connect() 对方，没有监听者：两个 SYN 交叉" ;;
	self-connect) echo "一个套接字在回环接口上连接到自己的地址" ;;
	half-close) echo "shutdown(SHUT_WR) 之后，服务器在 FIN 之后仍然发送它的回复" ;;
	refused) echo "没有监听者：SYN 被 RST 回答，connect() 以 ECONNREFUSED 失败" ;;
	linger-rst) echo "设置 SO_LINGER 为 0 再 close()：用 RST 代替 FIN" ;;
	unread-rst) echo "接收队列里还有未读数据时 close()：用 RST 代替 FIN" ;;
	write-after-close) echo "服务器关闭之后客户端仍然写：RST，然后是 EPIPE 和 SIGPIPE" ;;
	lost-syn) echo "第一个 SYN 被丢弃；客户端在初始 RTO 之后重传它" ;;
	accept-queue) echo "握手在 accept() 之前就已完成；accept() 不发送任何报文段" ;;
	backlog-full) echo "listen(fd, 1)，三个客户端，不调用 accept()：第三个 SYN 被丢弃" ;;
	backlog-late) echo "最后的 ACK 遇到已满的 accept 队列：被丢弃，稍后才得到应答" ;;
	exit-close) echo "客户端不调用 close() 就退出：由内核发送它的 FIN" ;;
	dup-close) echo "关闭两个 dup() 描述符之一不发送任何报文段；关闭最后一个才发送 FIN" ;;
	fork-close) echo "父进程的 close() 不发送任何报文段；fork 出的子进程的 close() 发送 FIN" ;;
	eof) echo "FIN 就是文件结束：服务器阻塞中的 read() 返回 0" ;;
	udp) echo "用 UDP 作对比：一个请求和一个回复，没有握手，也没有挥手" ;;
	esac
}

# The banner's pieces in the explanations' language.
if [ "${LANG_OPTS[1]:-en}" = zh ]; then
	TITLE="synscope 演示：$NAME"
	SUMMARY=$(summary_zh "$NAME")
	[ -z "$SUMMARY" ] || SUMMARY="$SUMMARY。" # else (not translated yet) the English one
	CABLE='客户端进程（demo-client）在 "client" 网络命名空间里，
服务器进程（demo-server）在 "server" 命名空间里，两者之间连着一根虚拟网线。'
	READ_RFC='按 RFC 9293 图示的记法绘制：TCP Peer A 是客户端，TCP Peer B 是服务器。
每个编号的步骤给出之后双方的状态，以及两者之间的报文段（--> 或 <--；
仍在途中时为 ...）。每一步下面以 # 开头的行说明它的含义，以及说的是哪一方。'
	READ_LADDER='左边的泳道：客户端的套接字调用和 TCP 状态；右边的泳道：服务器的。
箭头是线路上的报文段。每一行下面以 # 开头的一行说明它的含义。
标有 * 的状态是推断出来的：Linux 不在教科书画出它们的地方报告这些状态
（原因见 docs/classroom.md）。'
else
	TITLE="synscope demo: $NAME"
	SUMMARY=
	CABLE='A client process (demo-client) in the "client" network namespace talks to a
server process (demo-server) in the "server" namespace, over a virtual cable.'
	READ_RFC="Drawn as RFC 9293's figures: TCP Peer A is the client, TCP Peer B the
server. Each numbered step shows the peers' states after it and the segment
between them (--> or <--; ... while it is still in flight). Under each step,
lines starting with # say what it means, and for which peer."
	READ_LADDER="Left lane: the client's socket calls and TCP states; right lane: the server's.
Arrows are the segments on the wire. Under each row, a line starting with #
says what it means. States marked * are inferred: Linux does not report them
where the textbook draws them (docs/classroom.md explains why)."
fi
echo "$TITLE"
if [ -n "$SUMMARY" ]; then
	echo "  $SUMMARY" # written to fit: fold would count a Chinese character's bytes
else
	"$SCENARIO" --list | awk -v n="$NAME" '$1 == n { $1 = ""; sub(/^ +/, ""); print $0 "." }' |
		fold -s -w 76 | sed 's/^/  /; s/ *$//'
fi
echo
echo "$CABLE"
if [ ${#STYLE_OPTS[@]} -gt 0 ]; then
	echo "$READ_RFC"
else
	echo "$READ_LADDER"
fi
echo

# The scenario prints its results when it ends, while synscope may still be
# drawing connections that ended just before: they are kept, and shown once
# every ladder is out. Its narration (--slow) goes to stderr, as it happens.
RESULTS=$(mktemp /tmp/demo-results.XXXXXX) || exit 1
trap 'rm -f "$RESULTS"' EXIT
# shellcheck disable=SC2016 # expanded by the inner shell
"$SYNSCOPE" "${SYN_OPTS[@]}" -- /bin/sh -c 'out=$1; shift; exec "$@" >"$out"' sh "$RESULTS" \
	"$SCENARIO" "$NAME" --prefix "$PREFIX" --port "$PORT" "${RUN_OPTS[@]}"
rc=$?
cat "$RESULTS"
exit "$rc"
