/* A strict scanner for one flat JSON object: the shape of every line
 * synscope's JSONL sink writes (docs/jsonl.md). Values are integers,
 * strings, true/false, null, or arrays of strings; nothing else (no
 * fractions, no nested objects) is in the schema, so anything else is an
 * error, said in one line with its column. */
#ifndef SYNSCOPE_JSON_SCAN_H
#define SYNSCOPE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define JSON_MAX_FIELDS 48
#define JSON_MAX_ITEMS 8     /* elements of an array (the 8 TCP flags) */

enum json_type {
	JSON_INT = 1,
	JSON_STR,
	JSON_BOOL,
	JSON_NULL,
	JSON_ARR,            /* of strings */
};

struct json_str {
	const char *s;       /* decoded bytes (in the object's pool), NUL-terminated */
	size_t len;
};

struct json_field {
	struct json_str key;
	enum json_type type;
	bool neg;            /* JSON_INT: the value is -mag */
	__u64 mag;
	bool b;              /* JSON_BOOL */
	struct json_str str; /* JSON_STR */
	struct json_str items[JSON_MAX_ITEMS]; /* JSON_ARR */
	int nitems;
	int col;             /* 1-based column of the value, for messages */
	bool used;           /* taken by the reader: the rest are unknown fields */
};

struct json_obj {
	struct json_field f[JSON_MAX_FIELDS];
	int n;
	int next;            /* where json_get() looks first */
	char *pool;          /* decoded strings */
};

/* Scan s[0..len) as one object, optionally followed by spaces. Strings
 * are decoded: synscope writes a byte that is not UTF-8 as \u00XX, so
 * \u0080-\u00ff decode to that byte; higher code points to UTF-8. A
 * decoded NUL, raw control bytes and invalid UTF-8 are errors, and so are
 * duplicate keys. Returns 0, or -1 with one line in err. json_obj_free()
 * either way. */
int json_scan_object(const char *s, size_t len, struct json_obj *o, char *err, size_t errlen);
void json_obj_free(struct json_obj *o);
/* The field named key, marked used; NULL when absent. */
struct json_field *json_get(struct json_obj *o, const char *key);

#endif
