/* A JSON writer; see json.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void
json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

static void
json_put(struct json *j, const char *s, size_t n)
{
	char *b;
	size_t cap;

	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		cap = j->cap ? j->cap : 1024;
		while (cap < j->len + n + 1)
			cap *= 2;
		if ((b = realloc(j->buf, cap)) == NULL) {
			j->failed = true;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

/* Before any value or key: the comma, and the rule that an object's
 * members are keyed and an array's elements are not. */
static void
json_sep(struct json *j)
{
	if (j->keyed) {
		j->keyed = false;
		return;
	}
	if (j->comma[j->depth])
		json_put(j, ",", 1);
	j->comma[j->depth] = true;
}

/* The escaped form of one byte: printable ASCII as itself (but '"' and
 * '\'), everything else as \uXXXX, bytes above 0x7f read as Latin-1 so
 * that the output is ASCII and valid whatever the input. */
static size_t
json_escape_byte(unsigned char ch, char out[7])
{
	if (ch == '"' || ch == '\\') {
		out[0] = '\\';
		out[1] = (char)ch;
		return 2;
	}
	if (ch >= 0x20 && ch < 0x7f) {
		out[0] = (char)ch;
		return 1;
	}
	snprintf(out, 7, "\\u%04x", ch);
	return 6;
}

static void
json_out(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, (*n)++)
		if (*n + 1 < cap)
			out[*n] = s[i];
}

size_t
json_quote(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	char e[7];

	json_out(out, cap, &n, "\"", 1);
	for (; *s != '\0'; s++)
		json_out(out, cap, &n, e, json_escape_byte((unsigned char)*s,
		    e));
	json_out(out, cap, &n, "\"", 1);
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

void
json_stringn(struct json *j, const char *s, size_t n)
{
	char e[7];

	json_sep(j);
	json_put(j, "\"", 1);
	for (size_t i = 0; i < n; i++)
		json_put(j, e, json_escape_byte((unsigned char)s[i], e));
	json_put(j, "\"", 1);
}

void
json_string(struct json *j, const char *s)
{
	json_stringn(j, s, strlen(s));
}

void
json_key(struct json *j, const char *k)
{
	if (j->keyed || j->depth == 0) {
		j->failed = true;
		return;
	}
	json_string(j, k);
	json_put(j, ":", 1);
	j->keyed = true;
}

static void
json_open(struct json *j, const char *c)
{
	json_sep(j);
	json_put(j, c, 1);
	if (j->depth + 1 >= JSON_DEPTH_MAX) {
		j->failed = true;
		return;
	}
	j->comma[++j->depth] = false;
}

static void
json_close(struct json *j, const char *c)
{
	if (j->depth == 0 || j->keyed) {
		j->failed = true;
		return;
	}
	j->depth--;
	json_put(j, c, 1);
}

void
json_object(struct json *j)
{
	json_open(j, "{");
}

void
json_object_end(struct json *j)
{
	json_close(j, "}");
}

void
json_array(struct json *j)
{
	json_open(j, "[");
}

void
json_array_end(struct json *j)
{
	json_close(j, "]");
}

static void
json_raw(struct json *j, const char *s)
{
	json_sep(j);
	json_put(j, s, strlen(s));
}

void
json_uint(struct json *j, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	json_raw(j, b);
}

void
json_int(struct json *j, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	json_raw(j, b);
}

void
json_bool(struct json *j, bool v)
{
	json_raw(j, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	json_raw(j, "null");
}

const char *
json_done(struct json *j)
{
	if (j->failed || j->depth != 0 || j->keyed || j->buf == NULL)
		return NULL;
	return j->buf;
}
