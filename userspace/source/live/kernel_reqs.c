#include <stdio.h>
#include <string.h>
#include "source/live/kernel_reqs.h"

/* docs/requirements.md lists the same, with kernel versions. */
static const struct tp_req tp_reqs[] = {
	{ "sys_enter", 2, NULL },
	{ "sys_exit", 2, NULL },
	{ "inet_sock_set_state", 3, NULL },
	{ "tcp_destroy_sock", 1, NULL },
	{ "net_dev_queue", 1, NULL },
	{ "netif_receive_skb", 1, NULL },
	{ "kfree_skb", 3, "dropped segments and their drop reasons are not shown" },
	{ "tcp_retransmit_skb", 2, "retransmitted segments are not marked as retransmissions" },
	{ "tcp_retransmit_synack", 2, "retransmitted SYN-ACKs are not marked as retransmissions" },
	{ "tcp_send_reset", 3, "resets sent and their reasons are not shown "
			       "(the RST segments still are)" },
	{ "tcp_receive_reset", 1, "resets received are not shown (the RST segments still are)" },
	{ "timer_expire_entry", 1, "the ends of timewait sockets are not shown" },
};

struct tp_req tp_req_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tp_reqs) / sizeof(tp_reqs[0]); i++)
		if (!strcmp(tp_reqs[i].name, name))
			return tp_reqs[i];
	return (struct tp_req){ name, 0, NULL };
}

bool tp_req_check(const char *name, int nargs, bool *fatal, char *msg, size_t len)
{
	struct tp_req r = tp_req_find(name);

	if (nargs >= r.nargs)
		return true;
	*fatal = !r.lost;
	if (nargs < 0)
		snprintf(msg, len, "this kernel has no tracepoint %s%s%s", name,
			 r.lost ? ": " : " (synscope cannot work without it)", r.lost ? r.lost : "");
	else
		snprintf(msg, len, "this kernel's tracepoint %s has %d argument%s, synscope reads %d%s%s",
			 name, nargs, nargs == 1 ? "" : "s", r.nargs,
			 r.lost ? ": " : " (synscope cannot work without it)", r.lost ? r.lost : "");
	return false;
}
