#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/file/jsonl_read.h"
#include "source/file/merge_input.h"

static int push(struct merge_input *in, size_t *cap, const struct syn_event *e)
{
	if (in->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct syn_event *p = realloc(in->ev, ncap * sizeof(*p));

		if (!p)
			return -1;
		in->ev = p;
		*cap = ncap;
	}
	in->ev[in->n++] = *e;
	return 0;
}

static int load_recording(struct merge_input *in, char *err, size_t errlen)
{
	struct rec_header h;
	struct rec_reader *r = rec_reader_open(in->path, &h, err, errlen);
	struct syn_event e;
	enum rec_status st;
	size_t cap = 0;

	if (!r)
		return -1;
	memcpy(in->host, h.host, sizeof(in->host));
	memcpy(in->kernel, h.kernel, sizeof(in->kernel));
	in->start_ns = h.start_ns;
	in->wall_offset_ns = h.wall_offset_ns;
	memcpy(in->rst_names, h.rst_names, sizeof(in->rst_names));
	memcpy(in->drop_names, h.drop_names, sizeof(in->drop_names));
	while ((st = rec_reader_next(r, &e)) == REC_EVENT) {
		if (push(in, &cap, &e)) {
			snprintf(err, errlen, "out of memory");
			rec_reader_close(r);
			return -1;
		}
	}
	if (st != REC_END)
		snprintf(in->damage, sizeof(in->damage), "%s", rec_reader_error(r));
	rec_reader_close(r);
	return 0;
}

static int load_jsonl(struct merge_input *in, FILE *f, char *err, size_t errlen)
{
	struct jsonl_events je;

	if (jsonl_read_events(f, &je, err, errlen))
		return -1;
	in->ev = je.ev;
	in->n = je.n;
	in->start_ns = je.first_ns;
	for (int i = 0; i < REC_RST_REASONS && i < JSONL_REASONS; i++) {
		in->rst_names[i] = je.rst_names[i];
		in->drop_names[i] = je.drop_names[i];
	}
	return 0;
}

/* What kind of file: a recording starts with gzip's magic or SYNSCOPE, a
 * JSONL file with '{'. */
static int sniff(FILE *f, struct merge_input *in, char *err, size_t errlen)
{
	unsigned char b[8];
	size_t got = fread(b, 1, sizeof(b), f);
	int c;

	if (ferror(f)) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (!got) {
		snprintf(err, errlen, "empty file (neither a recording nor JSON Lines)");
		return -1;
	}
	/* a plain recording cut inside its magic is still one: the reader says so */
	if ((got >= 2 && b[0] == 0x1f && b[1] == 0x8b) || !memcmp(b, "SYNSCOPE", got)) {
		in->jsonl = false;
		return 0;
	}
	rewind(f);
	while ((c = fgetc(f)) == ' ' || c == '\t' || c == '\r')
		;
	if (c == '{') {
		rewind(f);
		in->jsonl = true;
		return 0;
	}
	snprintf(err, errlen, "neither a synscope recording nor synscope JSON Lines");
	return -1;
}

int merge_input_load(struct merge_input *in, const char *path, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	memset(in, 0, sizeof(*in));
	in->path = path;
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	rc = sniff(f, in, err, errlen);
	if (!rc)
		rc = in->jsonl ? load_jsonl(in, f, err, errlen) : load_recording(in, err, errlen);
	fclose(f);
	if (rc) {
		merge_input_free(in);
		in->path = path;
	}
	return rc;
}

void merge_input_free(struct merge_input *in)
{
	free(in->ev);
	for (int i = 0; i < REC_RST_REASONS; i++) {
		free(in->rst_names[i]);
		free(in->drop_names[i]);
	}
	memset(in, 0, sizeof(*in));
}

bool merge_input_is_jsonl(const char *path)
{
	struct merge_input in = { 0 };
	char err[8];
	FILE *f = fopen(path, "r");
	bool jsonl;

	if (!f)
		return false;
	jsonl = !sniff(f, &in, err, sizeof(err)) && in.jsonl;
	fclose(f);
	return jsonl;
}
