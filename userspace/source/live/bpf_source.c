#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "base/names.h"
#include "source/live/bpf_source.h"
#include "source/live/cpu_list.h"
#include "source/live/kernel_reqs.h"
#include "source/live/ring_merge.h"
#include "source/live/scrub.h"
#include "synscope.skel.h"

/* The default for all CPUs together, each ring at least the minimum;
 * -b names one CPU's ring. */
#define DEFAULT_RING_BYTES (32u << 20)
#define MIN_DEFAULT_RING_BYTES (1u << 20)
/* A record is stamped, then submitted within microseconds (its program runs
 * with preemption off): one stamped this long before a read began is in its
 * ring by then, unless the CPU was taken away in between (a long softirq, a
 * hypervisor): such a record goes out late, not lost. A small ring holds
 * less: no longer than a fast producer takes to fill an eighth of it. */
#define MERGE_MARGIN_NS 5000000ull

/* One CPU's ring, mapped: the consumer page, and the producer page with the
 * data area (twice) after it. */
struct ring_map {
	int fd;
	void *cons, *prod;
};

struct bpf_source {
	struct synscope_bpf *skel;
	int ncpus;                /* possible CPUs */
	int nrings;               /* one per online CPU */
	bool *online;             /* by possible CPU */
	size_t ring_bytes;
	struct ring_map *maps;
	struct ring_merge merge;  /* its rings: one per map */
	int epfd;
	__u64 *percpu;            /* a per-CPU counter's values, as last read (read_percpu) */
	__u64 delivered;          /* records handed on, the drain's included */
	unsigned int gather_us; /* after a batch, let the next one gather this long */
	__u64 margin_ns;        /* what the merge holds back, by its stamp */
	__u64 known_ns;         /* every event stamped before this was in the rings when
				 * they were last read (the margin's promise) */
};

/* One CPU's ring: a power of two, as the kernel wants. */
static size_t ring_bytes_per_cpu(const struct bpf_source_opts *o, int ncpus)
{
	size_t ring = DEFAULT_RING_BYTES;

	if (o->ring_bytes)
		return o->ring_bytes;
	while (ncpus > 1 && ring > MIN_DEFAULT_RING_BYTES) {
		ring /= 2;
		ncpus = (ncpus + 1) / 2;
	}
	return ring;
}

/* libbpf's own chatter (load failures, the verifier log) goes to stderr only
 * with SYNSCOPE_DEBUG set, and never with an address in it. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];

	if (level == LIBBPF_DEBUG || !getenv("SYNSCOPE_DEBUG"))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	scrub_kernel_addresses(line);
	return fputs(line, stderr);
}

/* A line for SYNSCOPE_DEBUG only. */
static void debug_note(const char *msg)
{
	if (getenv("SYNSCOPE_DEBUG"))
		fprintf(stderr, "synscope: %s\n", msg);
}

/* The address of the kernel function name, from /proc/kallsyms
 * (SYNSCOPE_KALLSYMS names another file: the tests' kernel without it).
 * A name the compiler suffixed (name.llvm.N) counts too. 0: not there,
 * hidden (kptr_restrict shows zeros) or not one function (two addresses).
 * The address stays in this process and the program's read-only data. */
static __u64 kallsyms_addr(const char *name)
{
	const char *path = getenv("SYNSCOPE_KALLSYMS");
	size_t len = strlen(name);
	unsigned long long addr;
	__u64 found = 0;
	char line[512], sym[256], type;
	FILE *f = fopen(path && *path ? path : "/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3 || strncmp(sym, name, len) ||
		    (sym[len] && strncmp(sym + len, ".llvm.", 6)))
			continue;
		if (found && found != addr) {
			found = 0;
			break;
		}
		found = addr;
	}
	fclose(f);
	return found;
}

/* Names of a kernel enum's values (prefix cut) for a names.c table. */
static void load_enum_names(const struct btf *btf, const char *enum_name, const char *prefix,
			    void (*set)(const char *const *names, size_t n))
{
	const char *names[256] = { 0 };
	const struct btf_type *t;
	const struct btf_enum *en;
	__s32 id;

	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t)
		return;
	en = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, en++) {
		const char *name = btf__name_by_offset(btf, en->name_off);

		if (!name || en->val < 0 || en->val >= 256)
			continue;
		if (!strncmp(name, prefix, strlen(prefix)))
			name += strlen(prefix);
		names[en->val] = name;
	}
	set(names, 256);
}

/* Has the kernel the bpf_rdonly_cast kfunc (6.2+) that the fast syscall
 * and packet programs need? SYNSCOPE_COMPAT=1 takes the older programs anyway (tests). */
static bool has_rdonly_cast(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0 &&
	       !(getenv("SYNSCOPE_COMPAT") && *getenv("SYNSCOPE_COMPAT"));
}

/* The running kernel's reset and drop reasons, by value: their numbering
 * differs between kernels. */
static void load_reason_names(const struct btf *btf)
{
	load_enum_names(btf, "sk_rst_reason", "SK_RST_REASON_", rst_reason_names_set);
	load_enum_names(btf, "skb_drop_reason", "SKB_DROP_REASON_", drop_reason_names_set);
}

/* The arguments of tracepoint tp as tp_btf sees them: the kernel's BTF
 * typedef btf_trace_TP points to a prototype whose first parameter is the
 * tracepoint's own context. -1: the kernel has no such tracepoint. */
static int tp_btf_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	__s32 id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -1;
	return btf_vlen(t) - 1;
}

/* Can a program be attached to a BTF tracepoint (tp_btf) at all? Loads an
 * empty one for sys_enter, attaches it and lets both go. 0 or -errno. */
static int probe_tp_btf(const struct btf *btf)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	__s32 id = btf__find_by_name_kind(btf, "btf_trace_sys_enter", BTF_KIND_TYPEDEF);
	int prog, link;

	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "synscope_probe", "GPL", ret0, 2, &opts);
	if (prog < 0)
		return prog;
	link = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (link < 0)
		return link;
	close(link);
	return 0;
}

/* What the kernel must offer, checked before anything is loaded so a
 * missing feature is named, not reported as a failed load. Programs on
 * tracepoints that synscope can do without are switched off (one line
 * each on stderr says what is not shown then). */
static int probe_kernel(struct synscope_bpf *skel, const struct btf *btf, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int rc;

	rc = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (rc != 1) {
		if (rc == -ENOSYS)
			snprintf(err, errlen, "this kernel has no bpf() system call "
				 "(needs CONFIG_BPF_SYSCALL=y)");
		else if (rc == 0)
			snprintf(err, errlen, "this kernel has no BPF ring buffer "
				 "(BPF_MAP_TYPE_RINGBUF: Linux 5.8 or newer)");
		else
			snprintf(err, errlen, "cannot create a BPF ring buffer: %s", strerror(-rc));
		return -1;
	}
	rc = probe_tp_btf(btf);
	if (rc) {
		snprintf(err, errlen, "this kernel cannot attach BPF programs to BTF tracepoints "
			 "(tp_btf: Linux 5.5 or newer with BTF): %s", strerror(-rc));
		return -1;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *tp = strncmp(sec, "tp_btf/", 7) ? NULL : sec + 7;
		bool fatal = true;
		char msg[256];

		if (!tp || tp_req_check(tp, tp_btf_nargs(btf, tp), &fatal, msg, sizeof(msg)))
			continue;
		if (fatal) {
			snprintf(err, errlen, "%s", msg);
			return -1;
		}
		fprintf(stderr, "synscope: %s\n", msg);
		bpf_program__set_autoload(prog, false);
	}
	return 0;
}

/* Kernel lockdown in confidentiality mode forbids reading kernel memory,
 * which every program here does. */
static bool kernel_locked_down(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/security/lockdown", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strstr(buf, "[confidentiality]") != NULL;
}

static void configure(struct synscope_bpf *skel, const struct btf *btf,
		      const struct bpf_source_opts *o, size_t ring)
{
	__u64 keys[2] = { 0, 0 };

	/* a fresh secret per run: sock ids cannot be turned back into addresses */
	if (getrandom(keys, sizeof(keys), 0) != sizeof(keys))
		keys[0] = (__u64)getpid() * 0x9e3779b97f4a7c15ULL ^ (__u64)time(NULL);
	skel->rodata->id_key1 = keys[0];
	skel->rodata->id_key2 = keys[1];
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->retransmit_err = tp_btf_nargs(btf, "tcp_retransmit_skb") >= 3;
	/* the timer program knows a timewait socket's timer by its function */
	skel->rodata->tw_timer_fn = kallsyms_addr("tw_timer_handler");
	if (!skel->rodata->tw_timer_fn && bpf_program__autoload(skel->progs.on_timer_expire)) {
		bpf_program__set_autoload(skel->progs.on_timer_expire, false);
		debug_note("no tw_timer_handler in /proc/kallsyms: the ends of timewait sockets "
			   "are not shown (timer_expire_entry is not traced)");
	}
	skel->rodata->filter_pid = o->pid;
	memcpy((void *)skel->rodata->filter_comm, o->comm, sizeof(skel->rodata->filter_comm));
	skel->rodata->filter_family = o->family;
	skel->rodata->filter_nports = (__u8)o->nports;
	for (int i = 0; i < o->nports && i < SYN_MAX_PORTS; i++)
		skel->rodata->filter_ports[i] = o->ports[i];
	/* wake the reader at 1/8 full; it also polls every few ms. Looking
	 * every 32 events (4 KiB) is soon enough in a buffer of 256 KiB or more */
	skel->rodata->wakeup_bytes = (__u32)(ring / 8);
	skel->rodata->wakeup_mask = ring >= (256u << 10) ? 31 : 0;
}

/* Which possible CPUs are online: a CPU that may come later (some VMs
 * declare dozens) gets no ring of its own. All of them when unknown. */
static int count_online(struct bpf_source *s)
{
	char text[4096];
	ssize_t len = -1;
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC), n = -1;

	if (fd >= 0) {
		len = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (len > 0) {
		text[len] = '\0';
		n = cpu_list_parse(text, s->online, s->ncpus);
	}
	if (n <= 0) {
		for (int i = 0; i < s->ncpus; i++)
			s->online[i] = true;
		n = s->ncpus;
	}
	return n;
}

/* A ring per online CPU, put where that CPU's programs look it up, mapped
 * for reading in place, and watched by one epoll set. A CPU that is not
 * online shares an online one's ring, should it come up: the ring takes
 * reserves from any CPU, in the order they come. */
static int open_rings(struct bpf_source *s, char *err, size_t errlen)
{
	int outer = bpf_map__fd(s->skel->maps.rings);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int next = 0;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		snprintf(err, errlen, "cannot watch the ring buffers: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < s->nrings; i++) {
		struct ring_map *m = &s->maps[i];
		struct epoll_event ev = { .events = EPOLLIN };

		m->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "synscope_ring", 0, 0,
				       (__u32)s->ring_bytes, NULL);
		if (m->fd < 0) {
			snprintf(err, errlen, "cannot create a %zu KiB ring buffer: %s",
				 s->ring_bytes >> 10, strerror(errno));
			return -1;
		}
		m->cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
		m->prod = mmap(NULL, page + 2 * s->ring_bytes, PROT_READ, MAP_SHARED, m->fd,
			       (off_t)page);
		if (m->cons == MAP_FAILED || m->prod == MAP_FAILED ||
		    epoll_ctl(s->epfd, EPOLL_CTL_ADD, m->fd, &ev)) {
			snprintf(err, errlen, "cannot map a ring buffer: %s", strerror(errno));
			return -1;
		}
		s->merge.rings[i] = (struct ring_view){
			.consumer_pos = m->cons,
			.producer_pos = m->prod,
			.data = (const unsigned char *)m->prod + page,
			.mask = s->ring_bytes - 1,
		};
	}
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		__u32 key = (__u32)cpu;
		int ring = s->online[cpu] && next < s->nrings ? next++ : cpu % s->nrings;

		if (bpf_map_update_elem(outer, &key, &s->maps[ring].fd, BPF_ANY)) {
			snprintf(err, errlen, "cannot install the ring buffer of CPU %d: %s", cpu,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The per-CPU tables and the rings' slots, before the object is opened. */
static int alloc_per_cpu(struct bpf_source *s, const struct bpf_source_opts *o, char *err,
			 size_t errlen)
{
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus < 1) {
		snprintf(err, errlen, "cannot count the CPUs: %s", strerror(-s->ncpus));
		return -1;
	}
	s->percpu = calloc(s->ncpus, sizeof(__u64));
	s->online = calloc(s->ncpus, sizeof(*s->online));
	if (!s->percpu || !s->online) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->nrings = count_online(s);
	s->ring_bytes = ring_bytes_per_cpu(o, s->nrings);
	s->maps = malloc(s->nrings * sizeof(*s->maps));
	if (s->maps)
		for (int i = 0; i < s->nrings; i++)
			s->maps[i] = (struct ring_map){ .fd = -1, .cons = MAP_FAILED,
							.prod = MAP_FAILED };
	s->skel = synscope_bpf__open();
	if (!s->maps || ring_merge_init(&s->merge, s->nrings) || !s->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* What this kernel needs: its BTF checked, the settings written, and the
 * program of each pair that its BTF can verify chosen. */
static int prepare_programs(struct bpf_source *s, const struct bpf_source_opts *o, char *err,
			    size_t errlen)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool fast;

	if (!btf) {
		snprintf(err, errlen, "this kernel has no BTF at /sys/kernel/btf/vmlinux "
			 "(needs CONFIG_DEBUG_INFO_BTF=y)");
		return -1;
	}
	if (probe_kernel(s->skel, btf, err, errlen)) {
		btf__free(btf);
		return -1;
	}
	configure(s->skel, btf, o, s->ring_bytes);
	load_reason_names(btf);
	fast = has_rdonly_cast(btf);
	btf__free(btf);
	bpf_program__set_autoload(s->skel->progs.on_sys_enter, fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_exit, fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_enter_compat, !fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_exit_compat, !fast);
	bpf_program__set_autoload(s->skel->progs.on_net_dev_queue, fast);
	bpf_program__set_autoload(s->skel->progs.on_netif_receive_skb, fast);
	bpf_program__set_autoload(s->skel->progs.on_net_dev_queue_compat, !fast);
	bpf_program__set_autoload(s->skel->progs.on_netif_receive_skb_compat, !fast);
	bpf_map__set_max_entries(s->skel->maps.rings, (__u32)s->ncpus);
	return 0;
}

/* Data in the ring makes epoll return at once: a reader that polls again
 * right away takes events a few at a time, with several system calls for
 * each few (docs/performance.md). After a batch it waits instead, for as
 * long as a fast producer (~250 MB/s) takes to fill a 1/8 of the ring, at
 * most 10 ms; not at all for a small ring. The merge holds back no longer
 * than that either. */
static void set_pacing(struct bpf_source *s)
{
	size_t eighth_us = s->ring_bytes / 2048;

	s->gather_us = eighth_us > 10000 ? 10000 : eighth_us < 200 ? 0 : (unsigned int)eighth_us;
	s->margin_ns = eighth_us * 1000 > MERGE_MARGIN_NS ? MERGE_MARGIN_NS : eighth_us * 1000;
}

/* Load with the rings' template in place: the kernel checks each CPU's
 * ring against this template's size. */
static int load_programs(struct bpf_source *s, char *err, size_t errlen)
{
	size_t ring = s->ring_bytes;
	int inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "synscope_tmpl", 0, 0, (__u32)ring, NULL);
	int rc;

	if (inner < 0 || bpf_map__set_inner_map_fd(s->skel->maps.rings, inner)) {
		snprintf(err, errlen, "cannot create a %zu KiB ring buffer: %s", ring >> 10,
			 strerror(errno));
		if (inner >= 0)
			close(inner);
		return -1;
	}
	rc = synscope_bpf__load(s->skel);
	close(inner);
	if (rc) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc != -EPERM ? "" : kernel_locked_down() ?
			 " (kernel lockdown=confidentiality forbids reading kernel memory)" :
			 " (needs CAP_BPF and CAP_PERFMON, or root)");
		return -1;
	}
	return 0;
}

struct bpf_source *bpf_source_open(const struct bpf_source_opts *o, char *err, size_t errlen)
{
	struct bpf_source *s = calloc(1, sizeof(*s));
	__u8 one = 1;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->epfd = -1;
	libbpf_set_print(libbpf_print);
	if (alloc_per_cpu(s, o, err, errlen) || prepare_programs(s, o, err, errlen))
		goto fail;
	set_pacing(s);
	if (load_programs(s, err, errlen))
		goto fail;
	for (int i = 0; i < o->nwatch; i++)
		bpf_map__update_elem(s->skel->maps.watch_ports, &o->watch_ports[i],
				     sizeof(o->watch_ports[i]), &one, sizeof(one), BPF_ANY);
	/* before attaching: a program that finds no ring counts its event lost */
	if (open_rings(s, err, errlen))
		goto fail;
	rc = synscope_bpf__attach(s->skel);
	if (rc) {
		snprintf(err, errlen, "cannot attach to the tracepoints: %s", strerror(-rc));
		goto fail;
	}
	return s;
fail:
	bpf_source_close(s);
	return NULL;
}

static __u64 monotonic_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t); /* bpf_ktime_get_ns()'s clock */
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

int bpf_source_poll(struct bpf_source *s, int timeout_ms, syn_event_fn fn, void *ctx)
{
	struct epoll_event ev[8];
	__u64 upto;
	bool held;
	size_t n;

	if (epoll_wait(s->epfd, ev, 8, timeout_ms) < 0)
		return -errno;
	/* the kernel side wakes us only in batches: take what is queued anyway,
	 * but only what every ring has surely delivered up to */
	upto = monotonic_ns() - s->margin_ns;
	n = ring_merge_deliver(&s->merge, upto, fn, ctx, &held);
	s->delivered += n;
	s->known_ns = upto;
	if (n > 0 && s->gather_us)
		usleep(s->gather_us); /* a signal ends it early */
	else if (!n && held)
		usleep((useconds_t)(s->margin_ns / 4000)); /* epoll says "data" until it goes out */
	return n > INT_MAX ? INT_MAX : (int)n;
}

void bpf_source_drain(struct bpf_source *s, syn_event_fn fn, void *ctx)
{
	bool busy = false;

	/* the programs still run: what is stamped before now is in the rings,
	 * but a record may still be being written (its program interrupted
	 * between reserve and submit): give it a moment, not forever */
	s->known_ns = monotonic_ns();
	s->delivered += ring_merge_deliver(&s->merge, UINT64_MAX, fn, ctx, &busy);
	for (int i = 0; busy && i < 5; i++) {
		usleep(200);
		s->delivered += ring_merge_deliver(&s->merge, UINT64_MAX, fn, ctx, &busy);
	}
	/* one stuck for good holds back only what is behind it in its ring */
	s->merge.hold_busy = false;
	s->delivered += ring_merge_deliver(&s->merge, UINT64_MAX, fn, ctx, &busy);
}

/* A one-slot per-CPU counter's values into s->percpu: each CPU's takes 8
 * bytes whatever its size (a u32 is the low half: little-endian, as
 * recordings assume). False when it cannot be read. */
static bool read_percpu(struct bpf_source *s, const struct bpf_map *map)
{
	__u32 zero = 0;

	return bpf_map__lookup_elem(map, &zero, sizeof(zero), s->percpu,
				    sizeof(__u64) * s->ncpus, 0) == 0;
}

__u32 bpf_source_submitted(struct bpf_source *s)
{
	__u32 sum = 0;

	if (!read_percpu(s, s->skel->maps.submits))
		return 0;
	for (int i = 0; i < s->ncpus; i++)
		sum += (__u32)s->percpu[i];
	return sum;
}

__u32 bpf_source_unseen(struct bpf_source *s, __u32 submitted)
{
	return ring_merge_unseen(submitted, s->delivered);
}

__u64 bpf_source_horizon(struct bpf_source *s)
{
	return ring_merge_horizon(&s->merge, s->known_ns);
}

/* Runs the kernel skipped: a tracepoint that fired while the same program
 * was already running on that CPU (a softirq sending a segment in the middle
 * of another). Their events never happened, so they count as lost. */
static __u64 recursion_misses(struct bpf_source *s)
{
	struct bpf_program *prog;
	__u64 sum = 0;

	bpf_object__for_each_program(prog, s->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

__u64 bpf_source_lost(struct bpf_source *s)
{
	__u64 sum = 0;

	if (!read_percpu(s, s->skel->maps.lost))
		return 0;
	for (int i = 0; i < s->ncpus; i++)
		sum += s->percpu[i];
	return sum + recursion_misses(s);
}

__u64 bpf_source_skipped(struct bpf_source *s)
{
	return recursion_misses(s);
}

bool bpf_source_counters_readable(struct bpf_source *s)
{
	return read_percpu(s, s->skel->maps.lost);
}

void bpf_source_close(struct bpf_source *s)
{
	if (!s)
		return;
	synscope_bpf__destroy(s->skel);
	for (int i = 0; s->maps && i < s->nrings; i++) {
		struct ring_map *m = &s->maps[i];

		if (m->cons != MAP_FAILED)
			munmap(m->cons, (size_t)sysconf(_SC_PAGESIZE));
		if (m->prod != MAP_FAILED)
			munmap(m->prod, (size_t)sysconf(_SC_PAGESIZE) + 2 * s->ring_bytes);
		if (m->fd >= 0)
			close(m->fd);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->maps);
	ring_merge_free(&s->merge);
	free(s->online);
	free(s->percpu);
	free(s);
}
