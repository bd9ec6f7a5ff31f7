/* The loader's configuration (read-only, set before load) and the maps the
 * programs share: the rings and their counters, and the filters' memory.
 *
 * Part of synscope.bpf.c, included there in order (each part uses the
 * ones before it); not a header for anything else. */
#ifndef SYNSCOPE_MAPS_BPF_H
#define SYNSCOPE_MAPS_BPF_H

/* Read-only configuration, set by the loader before load. */
const volatile __u32 filter_pid = 0;      /* trace this process and its descendants */
/* trace the tasks of this name (--comm; the 16 bytes of task->comm, NUL
 * padded, as two words: compared in two loads), 0 = any */
const volatile __u64 filter_comm[2] = {};
const volatile __u8 filter_family = 0;    /* AF_INET / AF_INET6, 0 = both */
const volatile __u8 filter_nports = 0;
const volatile __u16 filter_ports[SYN_MAX_PORTS] = {};
const volatile __u64 id_key1 = 0;         /* per-run secret for sock_id_in() */
const volatile __u64 id_key2 = 0;
const volatile __u32 wakeup_bytes = 0;    /* wake userspace when this much is queued */
const volatile __u32 wakeup_mask = 0;     /* ... looking every wakeup_mask + 1 events */
const volatile __u32 self_tgid = 0;       /* synscope itself: its calls are not traced */
const volatile __u8 retransmit_err = 0;   /* tcp_retransmit_skb passes err (6.11+) */
/* Where tw_timer_handler is, from /proc/kallsyms: a timer that runs it is a
 * timewait socket's. Compared with, never written out; without it the
 * timer program is not loaded. */
const volatile __u64 tw_timer_fn = 0;

/* A ring buffer per CPU: one shared ring's lock and producer position moved
 * between the cores on every record. The loader sizes them, makes one per
 * online CPU (a CPU not online shares one), puts each in its CPU's slot and
 * merges their events back into time order. */
struct ring_of_cpu {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring_of_cpu);
} rings SEC(".maps");

/* Events submitted per CPU: event_submit() looks at the fill level every
 * few. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} submits SEC(".maps");

/* Events that found the ring buffer full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* With a pid or name filter: local ports of the traced processes' sockets, so the
 * segments and softirq state changes of their connections pass too. Keyed
 * by namespace as well: the same port elsewhere is someone else's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct syn_watch_key);
	__type(value, __u8);
} watch_ports SEC(".maps");

/* With a pid or name filter: connections a traced socket took part in, by their
 * addresses and ports (either end's view), in any namespace: so the peer's
 * half on this host passes too, even where no traced process lives (a
 * refusing server namespace's RST). Filled by the handshake's segments. */
struct conn_key {
	__u8 lo_addr[16], hi_addr[16];
	__u16 lo_port, hi_port;
	__u8 family, pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, __u8);
} watch_conns SEC(".maps");

/* With any filter: sockets that passed it once. Their later events pass too,
 * even after the kernel cleared their ports on the way out (the last state
 * changes, the destroy and the final close() carry local port 0), and a
 * traced connect()'s socket passes before its port is chosen. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tracked SEC(".maps");

#endif
