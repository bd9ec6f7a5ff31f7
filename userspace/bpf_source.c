#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "names.h"
#include "bpf_source.h"
#include "scrub.h"
#include "synscope.skel.h"

#define DEFAULT_RING_BYTES (16u << 20)

struct bpf_source {
	struct synscope_bpf *skel;
	struct ring_buffer *rb;
	syn_event_fn fn;
	void *ctx;
	int ncpus;
	__u64 *lost_percpu;
};

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct bpf_source *s = ctx;

	if (size < sizeof(struct syn_event))
		return 0;
	s->fn(s->ctx, data);
	return 0;
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

/* From the running kernel's BTF: its reset and drop reasons, by value (their
 * numbering differs between kernels; without BTF they stay numbers), and
 * whether it has the bpf_rdonly_cast kfunc (6.2+) that the fast syscall
 * programs need. SYNSCOPE_COMPAT=1 takes the older programs anyway (tests). */
static bool probe_kernel_btf(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool rdonly_cast;

	if (!btf)
		return false;
	load_enum_names(btf, "sk_rst_reason", "SK_RST_REASON_", rst_reason_names_set);
	load_enum_names(btf, "skb_drop_reason", "SKB_DROP_REASON_", drop_reason_names_set);
	rdonly_cast = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return rdonly_cast && !(getenv("SYNSCOPE_COMPAT") && *getenv("SYNSCOPE_COMPAT"));
}

static void configure(struct synscope_bpf *skel, const struct bpf_source_opts *o)
{
	__u64 keys[2] = { 0, 0 };
	size_t ring;

	/* a fresh secret per run: sock ids cannot be turned back into addresses */
	if (getrandom(keys, sizeof(keys), 0) != sizeof(keys))
		keys[0] = (__u64)getpid() * 0x9e3779b97f4a7c15ULL ^ (__u64)time(NULL);
	skel->rodata->id_key1 = keys[0];
	skel->rodata->id_key2 = keys[1];
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->filter_pid = o->pid;
	skel->rodata->filter_family = o->family;
	skel->rodata->filter_nports = (__u8)o->nports;
	for (int i = 0; i < o->nports && i < SYN_MAX_PORTS; i++)
		skel->rodata->filter_ports[i] = o->ports[i];
	/* wake the reader at 1/8 full; it also polls every few ms. Looking
	 * every 32 events (4 KiB) is soon enough in a buffer of 256 KiB or more */
	ring = o->ring_bytes ? o->ring_bytes : DEFAULT_RING_BYTES;
	skel->rodata->wakeup_bytes = (__u32)(ring / 8);
	skel->rodata->wakeup_mask = ring >= (256u << 10) ? 31 : 0;
}

struct bpf_source *bpf_source_open(const struct bpf_source_opts *o, char *err, size_t errlen)
{
	struct bpf_source *s = calloc(1, sizeof(*s));
	size_t ring = o->ring_bytes ? o->ring_bytes : DEFAULT_RING_BYTES;
	bool fast;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_print);
	s->ncpus = libbpf_num_possible_cpus();
	s->lost_percpu = calloc(s->ncpus > 0 ? s->ncpus : 1, sizeof(__u64));
	s->skel = synscope_bpf__open();
	if (!s->lost_percpu || !s->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	configure(s->skel, o);
	fast = probe_kernel_btf();
	bpf_program__set_autoload(s->skel->progs.on_sys_enter, fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_exit, fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_enter_compat, !fast);
	bpf_program__set_autoload(s->skel->progs.on_sys_exit_compat, !fast);
	bpf_map__set_max_entries(s->skel->maps.events, (__u32)ring);
	rc = synscope_bpf__load(s->skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (needs CAP_BPF and CAP_PERFMON, or root)" : "");
		goto fail;
	}
	for (int i = 0; i < o->nwatch; i++) {
		__u8 one = 1;

		bpf_map__update_elem(s->skel->maps.watch_ports, &o->watch_ports[i],
				     sizeof(o->watch_ports[i]), &one, sizeof(one), BPF_ANY);
	}
	rc = synscope_bpf__attach(s->skel);
	if (rc) {
		snprintf(err, errlen, "cannot attach to the tracepoints: %s "
			 "(needs tp_btf: a kernel with BTF, 5.5 or newer)", strerror(-rc));
		goto fail;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ring_record, s, NULL);
	if (!s->rb) {
		snprintf(err, errlen, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	bpf_source_close(s);
	return NULL;
}

int bpf_source_poll(struct bpf_source *s, int timeout_ms, syn_event_fn fn, void *ctx)
{
	int n, m;

	s->fn = fn;
	s->ctx = ctx;
	n = ring_buffer__poll(s->rb, timeout_ms);
	if (n < 0)
		return n;
	/* the kernel side wakes us only in batches: take what is queued anyway */
	m = ring_buffer__consume(s->rb);
	return m < 0 ? m : n + m;
}

__u64 bpf_source_lost(struct bpf_source *s)
{
	__u32 zero = 0;
	__u64 sum = 0;

	if (bpf_map__lookup_elem(s->skel->maps.lost, &zero, sizeof(zero), s->lost_percpu,
				 sizeof(__u64) * s->ncpus, 0))
		return 0;
	for (int i = 0; i < s->ncpus; i++)
		sum += s->lost_percpu[i];
	return sum;
}

void bpf_source_close(struct bpf_source *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	synscope_bpf__destroy(s->skel);
	free(s->lost_percpu);
	free(s);
}
