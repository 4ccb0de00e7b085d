/* Unit test of the JSON writer: commas and nesting, every byte of a
 * string escaped into valid ASCII JSON, numbers at their limits, and
 * misnested documents refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#include "check.h"

#define IS(j, want) do {						\
	const char *got_ = json_done(j);				\
	if (got_ == NULL || strcmp(got_, want) != 0) {			\
		fprintf(stderr, "%s:%d: got %s, want %s\n", __FILE__,	\
		    __LINE__, got_ ? got_ : "(null)", want);		\
		failures++;						\
	}								\
} while (0)

static void
test_shape(void)
{
	struct json j;

	json_init(&j);
	json_object(&j);
	json_key(&j, "a");
	json_uint(&j, 18446744073709551615ULL);
	json_key(&j, "b");
	json_array(&j);
	json_int(&j, -9223372036854775807LL - 1);
	json_bool(&j, true);
	json_null(&j);
	json_object(&j);
	json_object_end(&j);
	json_array(&j);
	json_array_end(&j);
	json_array_end(&j);
	json_key(&j, "c");
	json_string(&j, "");
	json_object_end(&j);
	IS(&j, "{\"a\":18446744073709551615,\"b\":[-9223372036854775808,"
	    "true,null,{},[]],\"c\":\"\"}");
	json_free(&j);
}

static void
test_escape(void)
{
	char all[256], want[2048], *w = want, q[16];
	struct json j;

	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	w += sprintf(w, "[\"");
	for (int i = 1; i < 256; i++) {
		if (i == '"' || i == '\\')
			w += sprintf(w, "\\%c", i);
		else if (i >= 0x20 && i < 0x7f)
			*w++ = (char)i;
		else
			w += sprintf(w, "\\u%04x", i);
	}
	sprintf(w, "\"]");
	json_init(&j);
	json_array(&j);
	json_string(&j, all);
	json_array_end(&j);
	IS(&j, want);
	json_free(&j);

	json_init(&j);
	json_array(&j);
	json_stringn(&j, "a\0b", 3);	/* a NUL inside is a byte too */
	json_array_end(&j);
	IS(&j, "[\"a\\u0000b\"]");
	json_free(&j);

	CHECK(json_quote(q, sizeof(q), "e\"v\\e") == 9 &&
	    strcmp(q, "\"e\\\"v\\\\e\"") == 0);
	CHECK(json_quote(q, 4, "abcdef") == 8 && strcmp(q, "\"ab") == 0);
	CHECK(json_quote(q, sizeof(q), "\n") == 8 &&
	    strcmp(q, "\"\\u000a\"") == 0);
}

static void
test_misnested(void)
{
	struct json j;

	json_init(&j);
	CHECK(json_done(&j) == NULL);		/* nothing yet */
	json_object(&j);
	CHECK(json_done(&j) == NULL);		/* open */
	json_key(&j, "a");
	json_object_end(&j);			/* a key without a value */
	CHECK(json_done(&j) == NULL);
	json_free(&j);

	json_init(&j);
	json_array_end(&j);			/* nothing to close */
	CHECK(json_done(&j) == NULL);
	json_free(&j);

	json_init(&j);
	json_key(&j, "a");			/* a key outside an object */
	CHECK(j.failed);
	json_free(&j);

	json_init(&j);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_array(&j);
	CHECK(j.failed);
	json_free(&j);
}

int
main(void)
{
	test_shape();
	test_escape();
	test_misnested();
	if (failures > 0) {
		fprintf(stderr, "test_json: %d checks failed\n", failures);
		return 1;
	}
	printf("test_json: ok\n");
	return 0;
}
