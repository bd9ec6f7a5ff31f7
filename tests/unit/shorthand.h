/* Short names for the tracker tests' synthetic traces: TCP states by the
 * kernel's numbers, flags, directions and call phases, so that a trace
 * reads like the ladder it makes. */
#ifndef SYNSCOPE_TEST_SHORTHAND_H
#define SYNSCOPE_TEST_SHORTHAND_H

#include "bpf/synscope_event.h"

#define ESTABLISHED 1
#define SYN_SENT 2
#define SYN_RECV 3
#define FIN_WAIT1 4
#define FIN_WAIT2 5
#define TIME_WAIT 6
#define CLOSE 7
#define CLOSE_WAIT 8
#define LAST_ACK 9
#define LISTEN 10

#define S_ SYN_TCP_SYN
#define A_ SYN_TCP_ACK
#define F_ SYN_TCP_FIN
#define P_ SYN_TCP_PSH
#define R_ SYN_TCP_RST
#define TX SYN_DIR_TX
#define RX SYN_DIR_RX
#define ENTRY SYN_PHASE_ENTRY
#define RET SYN_PHASE_RETURN

#endif
