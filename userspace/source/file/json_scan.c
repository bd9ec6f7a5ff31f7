#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/file/json_scan.h"

struct scan {
	const char *s;
	size_t len, pos;
	char *pool;
	size_t used;
	char *err;
	size_t errlen;
};

static int fail(struct scan *c, const char *what)
{
	snprintf(c->err, c->errlen, "column %zu: %s", c->pos + 1, what);
	return -1;
}

static void skip_space(struct scan *c)
{
	while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
				   c->s[c->pos] == '\r' || c->s[c->pos] == '\n'))
		c->pos++;
}

static bool at(struct scan *c, char ch)
{
	return c->pos < c->len && c->s[c->pos] == ch;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static int hex4(struct scan *c, unsigned int *out)
{
	unsigned int v = 0;

	if (c->pos + 4 > c->len)
		return fail(c, "\\u needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char h = c->s[c->pos + i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (unsigned int)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (unsigned int)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (unsigned int)(h - 'A' + 10);
		else
			return fail(c, "\\u needs four hex digits");
	}
	c->pos += 4;
	*out = v;
	return 0;
}

static void put_utf8(char *out, size_t *n, unsigned int cp)
{
	if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
	}
	out[(*n)++] = (char)(0x80 | (cp & 0x3f));
}

/* A string at c->pos (the opening quote), decoded into the pool. The pool
 * holds as many bytes as the line: decoding never grows a string. */
static int scan_string(struct scan *c, struct json_str *out)
{
	char *dst = c->pool + c->used;
	size_t n = 0;

	if (!at(c, '"'))
		return fail(c, "expected a string");
	c->pos++;
	for (;;) {
		unsigned char b;

		if (c->pos >= c->len)
			return fail(c, "the string does not end");
		b = (unsigned char)c->s[c->pos];
		if (b == '"') {
			c->pos++;
			break;
		}
		if (b < 0x20)
			return fail(c, "a control byte in a string (it must be escaped)");
		if (b >= 0x80) {
			size_t k = utf8_len((const unsigned char *)c->s + c->pos, c->len - c->pos);

			if (!k)
				return fail(c, "a string that is not UTF-8");
			memcpy(dst + n, c->s + c->pos, k);
			n += k;
			c->pos += k;
			continue;
		}
		if (b != '\\') {
			dst[n++] = (char)b;
			c->pos++;
			continue;
		}
		c->pos++;
		if (c->pos >= c->len)
			return fail(c, "the string does not end");
		b = (unsigned char)c->s[c->pos++];
		switch (b) {
		case '"': case '\\': case '/':
			dst[n++] = (char)b;
			break;
		case 'b': dst[n++] = '\b'; break;
		case 'f': dst[n++] = '\f'; break;
		case 'n': dst[n++] = '\n'; break;
		case 'r': dst[n++] = '\r'; break;
		case 't': dst[n++] = '\t'; break;
		case 'u': {
			unsigned int cp, lo;

			if (hex4(c, &cp))
				return -1;
			if (cp == 0)
				return fail(c, "\\u0000: a NUL byte in a string");
			if (cp < 0x100) {
				/* synscope's escape of one byte (docs/jsonl.md) */
				dst[n++] = (char)cp;
				break;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(c, "a lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (c->pos + 2 > c->len || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u')
					return fail(c, "a high surrogate without its low half");
				c->pos += 2;
				if (hex4(c, &lo))
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(c, "a high surrogate without its low half");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(dst, &n, cp);
			break;
		}
		default:
			c->pos--;
			return fail(c, "an unknown escape in a string");
		}
	}
	dst[n] = '\0';
	out->s = dst;
	out->len = n;
	c->used += n + 1;
	return 0;
}

/* -?(0|[1-9][0-9]*): JSONL has integers only. */
static int scan_int(struct scan *c, struct json_field *f)
{
	__u64 v = 0;
	size_t start;

	if (at(c, '-')) {
		f->neg = true;
		c->pos++;
	}
	start = c->pos;
	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
		unsigned int d = (unsigned int)(c->s[c->pos] - '0');

		if (v > (~0ull - d) / 10)
			return fail(c, "a number too large");
		v = v * 10 + d;
		c->pos++;
	}
	if (c->pos == start)
		return fail(c, "expected a value");
	if (c->s[start] == '0' && c->pos - start > 1)
		return fail(c, "a number with a leading zero");
	if (at(c, '.') || at(c, 'e') || at(c, 'E'))
		return fail(c, "not an integer (the schema has no fractions)");
	if (f->neg && v == 0) {
		c->pos = start - 1; /* the message points at the value, its '-' */
		return fail(c, "-0 is not an integer of the schema");
	}
	f->type = JSON_INT;
	f->mag = v;
	return 0;
}

static bool scan_word(struct scan *c, const char *w)
{
	size_t n = strlen(w);

	if (c->len - c->pos < n || memcmp(c->s + c->pos, w, n))
		return false;
	c->pos += n;
	return true;
}

static int scan_value(struct scan *c, struct json_field *f)
{
	f->col = (int)c->pos + 1;
	if (at(c, '"')) {
		f->type = JSON_STR;
		return scan_string(c, &f->str);
	}
	if (at(c, '[')) {
		c->pos++;
		f->type = JSON_ARR;
		skip_space(c);
		if (at(c, ']')) {
			c->pos++;
			return 0;
		}
		for (;;) {
			skip_space(c);
			if (f->nitems == JSON_MAX_ITEMS)
				return fail(c, "an array longer than the schema allows");
			if (!at(c, '"'))
				return fail(c, "an array of something else than strings");
			if (scan_string(c, &f->items[f->nitems++]))
				return -1;
			skip_space(c);
			if (at(c, ']')) {
				c->pos++;
				return 0;
			}
			if (!at(c, ','))
				return fail(c, "expected ',' or ']' in an array");
			c->pos++;
		}
	}
	if (at(c, '{'))
		return fail(c, "a nested object (not in the schema)");
	if (scan_word(c, "true") || scan_word(c, "false")) {
		f->type = JSON_BOOL;
		f->b = c->s[f->col - 1] == 't';
		return 0;
	}
	if (scan_word(c, "null")) {
		f->type = JSON_NULL;
		return 0;
	}
	return scan_int(c, f);
}

int json_scan_object(const char *s, size_t len, struct json_obj *o, char *err, size_t errlen)
{
	struct scan c = { .s = s, .len = len, .err = err, .errlen = errlen };

	o->n = 0; /* each field is cleared as it is added: a line is ~20 of 48 */
	o->next = 0;
	o->pool = malloc(len + 1);
	if (!o->pool) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c.pool = o->pool;
	skip_space(&c);
	if (!at(&c, '{'))
		return fail(&c, "not a JSON object (a line must start with '{')");
	c.pos++;
	skip_space(&c);
	if (at(&c, '}')) {
		c.pos++;
	} else {
		for (;;) {
			struct json_field *f;

			skip_space(&c);
			if (o->n == JSON_MAX_FIELDS)
				return fail(&c, "more fields than any line of the schema has");
			f = &o->f[o->n];
			memset(f, 0, sizeof(*f));
			if (!at(&c, '"'))
				return fail(&c, "expected a field name in quotes");
			if (scan_string(&c, &f->key))
				return -1;
			for (int i = 0; i < o->n; i++) {
				if (o->f[i].key.len == f->key.len && !strcmp(o->f[i].key.s, f->key.s)) {
					char msg[96];

					c.pos -= 1;
					snprintf(msg, sizeof(msg), "field \"%.40s\" appears twice", f->key.s);
					return fail(&c, msg);
				}
			}
			skip_space(&c);
			if (!at(&c, ':'))
				return fail(&c, "expected ':' after a field name");
			c.pos++;
			skip_space(&c);
			if (scan_value(&c, f))
				return -1;
			o->n++;
			skip_space(&c);
			if (at(&c, '}')) {
				c.pos++;
				break;
			}
			if (!at(&c, ','))
				return fail(&c, "expected ',' or '}' after a value");
			c.pos++;
		}
	}
	skip_space(&c);
	if (c.pos != c.len)
		return fail(&c, "something after the object");
	return 0;
}

void json_obj_free(struct json_obj *o)
{
	free(o->pool);
	o->pool = NULL;
	o->n = 0;
}

/* Readers ask in about the order the writer wrote: the search starts after
 * the last field found and goes round once. */
struct json_field *json_get(struct json_obj *o, const char *key)
{
	for (int k = 0; k < o->n; k++) {
		int i = (o->next + k) % o->n;

		if (!strcmp(o->f[i].key.s, key)) {
			o->f[i].used = true;
			o->next = i + 1;
			return &o->f[i];
		}
	}
	return NULL;
}
