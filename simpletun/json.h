/* A small JSON writer into a growing buffer, for `simpletun status --json`:
 * it places the commas and escapes every string, so any bytes a peer chose
 * (a certificate's CN) come out as valid JSON. It never prints or exits. */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 16

struct json {
	char *buf;
	size_t len, cap;
	bool failed;			/* out of memory or misnested */
	unsigned depth;
	bool comma[JSON_DEPTH_MAX];	/* a value came before at this level */
	bool keyed;			/* a key waits for its value */
};

void json_init(struct json *);
void json_free(struct json *);
/* Inside an object, a member is json_key() and then one value. */
void json_key(struct json *, const char *);
void json_object(struct json *);
void json_object_end(struct json *);
void json_array(struct json *);
void json_array_end(struct json *);
void json_string(struct json *, const char *);
void json_stringn(struct json *, const char *, size_t);
void json_uint(struct json *, uint64_t);
void json_int(struct json *, int64_t);
void json_bool(struct json *, bool);
void json_null(struct json *);
/* The document: NUL-terminated, NULL unless it is complete and whole. */
const char *json_done(struct json *);
/* Writes s as a JSON string (quotes included) into out; the length it
 * needs, as snprintf. */
size_t json_quote(char *out, size_t cap, const char *s);

#endif
