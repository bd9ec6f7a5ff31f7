/* Power-of-two histograms in the bcc tools' look (hist.h). */
#include "render/hist.h"

int hist_slot(__u64 v)
{
	int s = 0;

	while (v > 1) {
		v >>= 1;
		s++;
	}
	return s;
}

void hist_add(struct log2_hist *h, __u64 v)
{
	h->slot[hist_slot(v)]++;
	h->n++;
}

/* As bcc's print_stars: val * width / max stars, a '+' past max. */
static void print_stars(FILE *f, __u64 val, __u64 max, int width)
{
	int stars = (int)((val < max ? val : max) * (__u64)width / max);

	for (int i = 0; i < width; i++)
		fputc(i < stars ? '*' : ' ', f);
	if (val > max)
		fputc('+', f);
}

void hist_print(FILE *f, const struct log2_hist *h, const char *unit)
{
	int idx_max = -1, width, stars;
	__u64 max = 0;

	for (int i = 0; i < HIST_SLOTS; i++) {
		if (h->slot[i])
			idx_max = i;
		if (h->slot[i] > max)
			max = h->slot[i];
	}
	if (idx_max < 0)
		return;
	fprintf(f, "%*s%-*s : count    distribution\n", idx_max <= 32 ? 5 : 15, "",
		idx_max <= 32 ? 19 : 29, unit);
	stars = idx_max <= 32 ? 40 : 20;
	width = idx_max <= 32 ? 10 : 20;
	for (int i = 0; i <= idx_max; i++) {
		unsigned long long low = 1ull << i, high = i == 63 ? ~0ull : (1ull << (i + 1)) - 1;

		if (low == high)
			low -= 1;
		fprintf(f, "%*llu -> %-*llu : %-8llu |", width, low, width, high,
			(unsigned long long)h->slot[i]);
		print_stars(f, h->slot[i], max, stars);
		fputs("|\n", f);
	}
}
