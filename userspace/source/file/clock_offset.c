#include <stdlib.h>
#include <string.h>
#include "source/file/clock_offset.h"

static int s64_cmp(const void *pa, const void *pb)
{
	__s64 a = *(const __s64 *)pa, b = *(const __s64 *)pb;

	return a < b ? -1 : a > b;
}

/* The median of the handshakes' estimates: one odd delay cannot pull it. */
static bool rounds_median(const struct clock_obs *o, struct clock_estimate *out)
{
	__s64 *est;
	size_t n = o->nrounds;

	if (!n)
		return false;
	est = malloc(n * sizeof(*est));
	if (!est)
		return false;
	for (size_t i = 0; i < n; i++)
		est[i] = (o->rounds[i].ab - o->rounds[i].ba) / 2;
	qsort(est, n, sizeof(*est), s64_cmp);
	out->rounds = n;
	out->round_min = est[0];
	out->round_max = est[n - 1];
	if (n % 2)
		out->raw_ns = est[n / 2];
	else
		out->raw_ns = est[n / 2 - 1] + (est[n / 2] - est[n / 2 - 1]) / 2;
	free(est);
	return true;
}

void clock_estimate(const struct clock_obs *o, const __s64 *user, struct clock_estimate *out)
{
	__s64 v;

	memset(out, 0, sizeof(*out));
	out->segments = o->nab + o->nba;
	/* rx_B - tx_A = offset + delay > offset; rx_A - tx_B = delay - offset > -offset */
	for (size_t i = 0; i < o->nab; i++) {
		if (!out->has_hi || o->ab[i] < out->hi)
			out->hi = o->ab[i];
		out->has_hi = true;
	}
	for (size_t i = 0; i < o->nba; i++) {
		if (!out->has_lo || -o->ba[i] > out->lo)
			out->lo = -o->ba[i];
		out->has_lo = true;
	}
	out->inconsistent = out->has_lo && out->has_hi && out->hi - out->lo < 2;

	if (user) {
		out->source = CLOCK_FROM_USER;
		out->raw_ns = *user;
	} else if (rounds_median(o, out)) {
		out->source = CLOCK_FROM_HANDSHAKES;
	} else if (out->has_lo && out->has_hi && !out->inconsistent) {
		out->source = CLOCK_FROM_SEGMENTS;
		out->raw_ns = out->lo + (out->hi - out->lo) / 2;
	}
	v = out->raw_ns;
	if (!user && !out->inconsistent) {
		__s64 margin = CLOCK_MARGIN_NS;

		if (out->has_lo && out->has_hi && (out->hi - out->lo) / 2 < margin)
			margin = (out->hi - out->lo) / 2;
		if (out->has_hi && v >= out->hi)
			v = out->hi - margin;
		if (out->has_lo && v <= out->lo)
			v = out->lo + margin;
		out->moved = v != out->raw_ns;
	}
	out->offset_ns = v;
	for (size_t i = 0; i < o->nab; i++)
		out->violations += o->ab[i] <= v;
	for (size_t i = 0; i < o->nba; i++)
		out->violations += o->ba[i] <= -v;
}
