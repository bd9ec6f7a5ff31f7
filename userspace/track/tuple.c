/* A connection's identity: its two endpoints, unordered (tuple.h). */
#include <netinet/in.h>
#include <string.h>
#include "base/hmap.h"
#include "track/tuple.h"

/* Events made without a protocol (older recordings, tests) are TCP's. */
__u8 ev_proto(const struct syn_event *e)
{
	return e->proto ? e->proto : IPPROTO_TCP;
}

/* Events read off a packet name both ports themselves, 0 included (a SYN
 * from port 0 is a SYN); on a socket, port 0 means not chosen yet, or
 * already given back. */
bool from_packet(const struct syn_event *e)
{
	return e->kind == SYN_EV_SEGMENT || e->kind == SYN_EV_DROP || e->kind == SYN_EV_TIMEWAIT ||
	       e->kind == SYN_EV_ICMP || (e->kind == SYN_EV_RESET && !e->sock_id);
}

bool tuple_full(const struct syn_event *e)
{
	if (from_packet(e))
		return e->family != 0;
	return e->family && e->sport && e->dport;
}

static int endpoint_cmp(const __u8 a[16], __u16 ap, const __u8 b[16], __u16 bp)
{
	int r = memcmp(a, b, 16);

	return r ? r : (int)ap - (int)bp;
}

/* The same key from either end's view. Every event computes one: eight
 * bytes at a time, not a byte-wise hash. */
static __u64 endpoints_key(__u8 family, __u8 proto, const __u8 *lo, __u16 lop, const __u8 *hi,
			   __u16 hip)
{
	__u64 w[4], h;

	if (endpoint_cmp(lo, lop, hi, hip) > 0) {
		const __u8 *a = lo;
		__u16 ap = lop;

		lo = hi, lop = hip;
		hi = a, hip = ap;
	}
	memcpy(w, lo, 16);
	memcpy(w + 2, hi, 16);
	h = (__u64)family | (__u64)proto << 8 | (__u64)lop << 16 | (__u64)hip << 32;
	for (int i = 0; i < 4; i++)
		h = hmap_mix(h ^ w[i]) + (__u64)i;
	return h ? h : 1;
}

__u64 tuple_key(const struct syn_event *e)
{
	return endpoints_key(e->family, ev_proto(e), e->saddr, e->sport, e->daddr, e->dport);
}

__u64 ends_key(const struct conn_end end[2], __u8 proto)
{
	return endpoints_key(end[0].family, proto, end[0].addr, end[0].port, end[1].addr,
			     end[1].port);
}

bool end_is_local_of(const struct conn_end *end, const struct syn_event *e)
{
	return end->family == e->family && end->port == e->sport &&
	       memcmp(end->addr, e->saddr, 16) == 0;
}

bool ends_have_tuple(const struct conn_end end[2], __u8 proto, const struct syn_event *e)
{
	const struct conn_end *a = &end[0], *b = &end[1];

	if (a->family != e->family || proto != ev_proto(e))
		return false;
	return (end_is_local_of(a, e) && b->port == e->dport && !memcmp(b->addr, e->daddr, 16)) ||
	       (end_is_local_of(b, e) && a->port == e->dport && !memcmp(a->addr, e->daddr, 16));
}
