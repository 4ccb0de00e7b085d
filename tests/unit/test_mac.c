/* HMAC-SHA256 against RFC 4231 test cases 1-7, reuse of one keyed
 * context, and tag comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

#define MAX_KEY 131
#define MAX_DATA 160

struct vector {
	const char	*key;		/* hex, unless key_fill is set */
	int		 key_fill;	/* >= 0: key_len copies of this byte */
	size_t		 key_len;
	const char	*data;		/* text, unless data_fill is set */
	int		 data_fill;
	size_t		 data_len;
	const char	*mac;		/* hex; 32 bytes or truncated */
};

static const struct vector vectors[] = {
	{ NULL, 0x0b, 20, "Hi There", -1, 0,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4a656665", -1, 4, "what do ya want for nothing?", -1, 0,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ NULL, 0xaa, 20, NULL, 0xdd, 50,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819", -1, 25,
	  NULL, 0xcd, 50,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ NULL, 0x0c, 20, "Test With Truncation", -1, 0,
	  "a3b6167473100ee06e0c796c2955552b" },
	{ NULL, 0xaa, 131,
	  "Test Using Larger Than Block-Size Key - Hash Key First", -1, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ NULL, 0xaa, 131,
	  "This is a test using a larger than block-size key and a larger "
	  "than block-size data. The key needs to be hashed before being "
	  "used by the HMAC algorithm.", -1, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};
#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))

struct material {
	uint8_t	 key[MAX_KEY], data[MAX_DATA], mac[MAC_FULL_LEN];
	size_t	 key_len, data_len, mac_len;
};

static int failures;

static void
check(int ok, const char *what, size_t n)
{
	if (!ok) {
		printf("FAIL: %s (%zu)\n", what, n);
		failures++;
	}
}

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int b;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			abort();
		out[i] = (uint8_t)b;
	}
}

static void
material(const struct vector *v, struct material *m)
{
	if (v->key_fill >= 0) {
		m->key_len = v->key_len;
		memset(m->key, v->key_fill, m->key_len);
	} else {
		m->key_len = v->key_len;
		unhex(v->key, m->key, m->key_len);
	}
	if (v->data_fill >= 0) {
		m->data_len = v->data_len;
		memset(m->data, v->data_fill, m->data_len);
	} else {
		m->data_len = strlen(v->data);
		memcpy(m->data, v->data, m->data_len);
	}
	m->mac_len = strlen(v->mac) / 2;
	unhex(v->mac, m->mac, m->mac_len);
}

/* Full vectors through mac_compute, all vectors through mac_verify at
 * their published length (case 5 is the 128-bit truncation). */
static void
test_vector(size_t i)
{
	struct material m;
	struct mac_ctx *ctx;
	uint8_t out[MAC_FULL_LEN];

	material(&vectors[i], &m);
	if ((ctx = mac_new()) == NULL ||
	    mac_set_key(ctx, m.key, m.key_len) == -1) {
		check(0, "mac_new/mac_set_key", i + 1);
		mac_free(ctx);
		return;
	}
	check(mac_compute(ctx, m.data, m.data_len, out) == 0, "compute", i + 1);
	check(memcmp(out, m.mac, m.mac_len) == 0, "RFC 4231 case", i + 1);
	check(mac_verify(ctx, m.data, m.data_len, m.mac, m.mac_len) == 1,
	    "verify RFC 4231 case", i + 1);
	mac_free(ctx);
}

/* One keyed context, many messages: the reinit must restore the key and
 * not carry any message state over. */
static void
test_reuse(void)
{
	struct material a, b;
	struct mac_ctx *ctx;
	uint8_t out[MAC_FULL_LEN];
	int round;

	material(&vectors[5], &a);
	material(&vectors[6], &b);	/* same key as case 6 */
	if ((ctx = mac_new()) == NULL ||
	    mac_set_key(ctx, a.key, a.key_len) == -1) {
		check(0, "reuse setup", 0);
		mac_free(ctx);
		return;
	}
	for (round = 0; round < 4; round++) {
		check(mac_compute(ctx, b.data, b.data_len, out) == 0, "reuse",
		    1);
		check(memcmp(out, b.mac, MAC_FULL_LEN) == 0, "reuse case 7",
		    round);
		check(mac_compute(ctx, a.data, a.data_len, out) == 0, "reuse",
		    2);
		check(memcmp(out, a.mac, MAC_FULL_LEN) == 0, "reuse case 6",
		    round);
		check(mac_verify(ctx, a.data, a.data_len, a.mac, 16) == 1,
		    "reuse verify", round);
	}
	/* Rekeying the same context to case 1 changes the result. */
	material(&vectors[0], &a);
	check(mac_set_key(ctx, a.key, a.key_len) == 0, "rekey", 0);
	check(mac_compute(ctx, a.data, a.data_len, out) == 0, "rekey", 1);
	check(memcmp(out, a.mac, MAC_FULL_LEN) == 0, "rekey case 1", 0);
	mac_free(ctx);
}

/* Every single-bit change of the tag or the data is rejected. */
static void
test_reject(void)
{
	struct material m;
	struct mac_ctx *ctx;
	size_t bit;

	material(&vectors[2], &m);
	if ((ctx = mac_new()) == NULL ||
	    mac_set_key(ctx, m.key, m.key_len) == -1) {
		check(0, "reject setup", 0);
		mac_free(ctx);
		return;
	}
	for (bit = 0; bit < 8 * 16; bit++) {
		m.mac[bit / 8] ^= 1 << (bit % 8);
		check(mac_verify(ctx, m.data, m.data_len, m.mac, 16) == 0,
		    "flipped tag bit", bit);
		m.mac[bit / 8] ^= 1 << (bit % 8);
	}
	for (bit = 0; bit < 8 * m.data_len; bit++) {
		m.data[bit / 8] ^= 1 << (bit % 8);
		check(mac_verify(ctx, m.data, m.data_len, m.mac, 16) == 0,
		    "flipped data bit", bit);
		m.data[bit / 8] ^= 1 << (bit % 8);
	}
	check(mac_verify(ctx, m.data, m.data_len, m.mac, 16) == 1, "intact", 0);
	check(mac_verify(ctx, m.data, m.data_len, m.mac, 0) == -1, "taglen 0",
	    0);
	check(mac_verify(ctx, m.data, m.data_len, m.mac, 33) == -1,
	    "taglen 33", 0);
	mac_free(ctx);
}

static void
test_lifecycle(void)
{
	struct mac_ctx *ctx;
	uint8_t out[MAC_FULL_LEN], key[MAC_KEY_LEN];

	if ((ctx = mac_new()) == NULL) {
		check(0, "mac_new", 0);
		return;
	}
	memset(key, 1, sizeof(key));
	check(mac_compute(ctx, key, sizeof(key), out) == -1, "unkeyed", 0);
	check(mac_verify(ctx, key, 1, key, 16) == -1, "unkeyed verify", 0);
	check(mac_set_key(ctx, key, 0) == -1, "empty key", 0);
	check(mac_set_key(ctx, key, sizeof(key)) == 0, "key", 0);
	check(mac_compute(ctx, NULL, 0, out) == 0, "empty message", 0);
	mac_free(ctx);
	mac_free(NULL);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NVECTORS; i++)
		test_vector(i);
	test_reuse();
	test_reject();
	test_lifecycle();
	if (failures != 0) {
		printf("test_mac: %d failures\n", failures);
		return 1;
	}
	printf("test_mac: ok\n");
	return 0;
}
