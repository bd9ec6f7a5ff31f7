/* What a run ends with (text_summary.h). */
#include <stdio.h>
#include <string.h>
#include "base/names.h"
#include "base/strbuf.h"
#include "render/text_line.h"
#include "render/text_summary.h"
#include "render/text_time.h"

void txt_unshown(char *buf, size_t len, __u64 unshown)
{
	if (!unshown) {
		if (len)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, len, ", %llu segment%s seen only arriving: %s departure never reached synscope",
		 (unsigned long long)unshown, unshown == 1 ? "" : "s", unshown == 1 ? "its" : "their");
}

void txt_summary(FILE *f, const struct run_summary *sum)
{
	char unshown[128];

	fprintf(f, "synscope: %llu connection%s (%llu incomplete), %llu events, %llu lost",
		(unsigned long long)sum->conns, sum->conns == 1 ? "" : "s",
		(unsigned long long)sum->incomplete,
		(unsigned long long)sum->events, (unsigned long long)sum->lost);
	if (sum->evicted)
		fprintf(f, ", %llu evicted", (unsigned long long)sum->evicted);
	if (sum->unselected)
		fprintf(f, ", %llu not shown (not chosen by --slower, --rst or --comm)",
			(unsigned long long)sum->unselected);
	txt_unshown(unshown, sizeof(unshown), sum->unshown);
	if (sum->unshown)
		fprintf(f, "%s (docs/reliability.md)", unshown);
	if (sum->halfopen && sum->halfopen->counted)
		fprintf(f, ", %llu half-open counted, not drawn (-v draws them)",
			(unsigned long long)sum->halfopen->counted);
	fputc('\n', f);
}

/* "2,000 SYNs" */
static void put_count(char *buf, size_t len, __u64 n, const char *one, const char *many)
{
	char num[32];

	txt_thousands(n, num, sizeof(num));
	snprintf(buf, len, "%s %s", num, n == 1 ? one : many);
}

/* One port's line and what came in, went out and how they ended. */
static void halfopen_port_text(FILE *f, const struct halfopen_port *p, __s64 wall_offset_ns)
{
	static const char *const ends[HO_NENDS] = {
		[HO_NO_ACK] = "answered, no ACK back", [HO_RESET] = "reset by the peer",
		[HO_REFUSED] = "refused (RST sent)", [HO_UNANSWERED] = "never answered",
	};
	char ep[ADDR_STR_LEN], a[64], b[64], c[64], d[64], e[64], g[64], when[64], dur[32];
	char text[1024];
	int n;

	endpoint_str(p->family, p->addr, p->port, ep, sizeof(ep));
	txt_wall_utc((__s64)p->first_ts + wall_offset_ns, when, sizeof(when));
	txt_seconds(p->last_ts - p->first_ts, 0, dur, sizeof(dur));
	put_count(a, sizeof(a), p->conns, "connection", "connections");
	put_count(b, sizeof(b), p->syns, "SYN", "SYNs");
	put_count(c, sizeof(c), p->synacks, "SYN-ACK", "SYN-ACKs");
	put_count(d, sizeof(d), p->cookies, "with a SYN cookie", "with a SYN cookie");
	put_count(e, sizeof(e), p->synacks_resent, "resent", "resent");
	put_count(g, sizeof(g), p->rsts_out, "RST", "RSTs");
	snprintf(text, sizeof(text), "%s: %s over %s s from %s (%llu drawn);\tin: %s, %llu RST%s;\t"
		 "out: %s (%s, %s), %s;\tended:", ep, a, dur, when, (unsigned long long)p->drawn,
		 b, (unsigned long long)p->rsts_in, p->rsts_in == 1 ? "" : "s", c, d, e, g);
	n = (int)strlen(text);
	for (int i = 0; i < HO_NENDS && n < (int)sizeof(text); i++)
		if (p->ends[i])
			n += snprintf(text + n, sizeof(text) - (size_t)n, " %llu %s,",
				      (unsigned long long)p->ends[i], ends[i]);
	if (n > 0 && text[n - 1] == ',')
		text[--n] = '\0';
	for (int i = 0; i < HALFOPEN_DROP_REASONS && p->drops[i].count && n < (int)sizeof(text); i++) {
		const char *why = drop_reason_name(p->drops[i].reason);

		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%llu dropped: %s",
			      i ? ", " : ";\t", (unsigned long long)p->drops[i].count, why ? why : "?");
	}
	if (p->drops_other && n < (int)sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, ", %llu dropped for other reasons",
			 (unsigned long long)p->drops_other);
	txt_wrap(f, text, '\t', 2, 6, 100);
}

void txt_halfopen(FILE *f, const struct halfopen *h, __s64 wall_offset_ns)
{
	if (!h || !h->counted)
		return;
	fprintf(f, "half-open connections (a SYN and its answer, no socket, no call), by port; "
		"%llu not drawn one by one (-v draws them):\n", (unsigned long long)h->counted);
	for (size_t i = 0; i < h->n; i++)
		if (h->ports[i].conns > h->ports[i].drawn)
			halfopen_port_text(f, &h->ports[i], wall_offset_ns);
	fputc('\n', f);
}

