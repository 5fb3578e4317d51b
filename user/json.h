/*
 * json.h — a small streaming JSON writer for --json output: no allocation,
 * commas and indentation tracked per nesting level.
 */
#ifndef RTTRACE_JSON_H
#define RTTRACE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* a comma is due at this level */
	bool after_key;			/* the next value follows "key": */
};

void json_init(struct json *j, FILE *f);
/* json_finish ends the document with a newline. */
void json_finish(struct json *j);

/* json_key writes "key": ; the next call writes its value. */
void json_key(struct json *j, const char *key);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/*
 * json_raw writes text, one complete JSON value another writer produced
 * (such as a report printed to a memory stream), as the next value.
 */
void json_raw(struct json *j, const char *text);

#endif /* RTTRACE_JSON_H */
