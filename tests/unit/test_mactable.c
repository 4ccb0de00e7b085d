/* The tap-mode MAC table: ownership (first seen, a limit per slot, never a
 * group address), aging, a session ending, flood decisions; and a random
 * run against a plain array as reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mactable.h"

static int failures;

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

#define AGE 300000		/* ms */

static void
mac(uint8_t out[MAC_LEN], unsigned n)
{
	out[0] = 0x02;		/* locally administered, unicast */
	out[1] = 0;
	out[2] = n >> 24;
	out[3] = n >> 16;
	out[4] = n >> 8;
	out[5] = n;
}

static void
test_ownership(void)
{
	struct mactable *t = mactable_new(4, 2, AGE, 1);
	uint8_t a[MAC_LEN], b[MAC_LEN], c[MAC_LEN];
	uint8_t bcast[MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t mcast[MAC_LEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t zero[MAC_LEN] = { 0 };

	CHECK(t != NULL);
	mac(a, 1);
	mac(b, 2);
	mac(c, 3);
	CHECK(mactable_learn(t, a, 0, 1000) == MACT_LEARNED);
	CHECK(mactable_learn(t, a, 0, 2000) == MACT_REFRESHED);
	/* first seen owns it: another slot cannot take it while it lives */
	CHECK(mactable_learn(t, a, 1, 2000) == MACT_REFUSED);
	CHECK(mactable_lookup(t, a, 2000) == 0);
	/* the limit per slot */
	CHECK(mactable_learn(t, b, 0, 2000) == MACT_LEARNED);
	CHECK(mactable_learn(t, c, 0, 2000) == MACT_REFUSED);
	CHECK(mactable_lookup(t, c, 2000) == -1);
	CHECK(mactable_learn(t, c, 1, 2000) == MACT_LEARNED);
	/* group and zero addresses are never owned; slots out of range */
	CHECK(mactable_learn(t, bcast, 2, 2000) == MACT_REFUSED);
	CHECK(mactable_learn(t, mcast, 2, 2000) == MACT_REFUSED);
	CHECK(mactable_learn(t, zero, 2, 2000) == MACT_REFUSED);
	CHECK(mactable_learn(t, a, 4, 2000) == MACT_REFUSED);
	CHECK(mactable_count(t) == 3);
	mactable_free(t);
	CHECK(mactable_new(0, 1, AGE, 0) == NULL);
	CHECK(mactable_new(1, 0, AGE, 0) == NULL);
	CHECK(mactable_new(1, 1, 0, 0) == NULL);
}

static void
test_aging(void)
{
	struct mactable *t = mactable_new(2, 1, AGE, 2);
	uint8_t a[MAC_LEN], b[MAC_LEN], out[4][MAC_LEN];

	mac(a, 10);
	mac(b, 11);
	CHECK(mactable_learn(t, a, 0, 1000) == MACT_LEARNED);
	CHECK(mactable_lookup(t, a, 1000 + AGE - 1) == 0);
	CHECK(mactable_lookup(t, a, 1000 + AGE) == -1);
	/* a refresh keeps it */
	CHECK(mactable_learn(t, a, 0, 200000) == MACT_REFRESHED);
	CHECK(mactable_lookup(t, a, 1000 + AGE) == 0);
	CHECK(mactable_slot_macs(t, 0, 200000, out, 4) == 1 &&
	    memcmp(out[0], a, MAC_LEN) == 0);
	CHECK(mactable_slot_macs(t, 0, 200001, out, 4) == 0);
	/* aged out: another slot may take it over */
	CHECK(mactable_learn(t, a, 1, 200000 + AGE - 1) == MACT_REFUSED);
	CHECK(mactable_learn(t, a, 1, 200000 + AGE) == MACT_LEARNED);
	CHECK(mactable_lookup(t, a, 200000 + AGE) == 1);
	/* a full slot gives up an aged address for a new one */
	CHECK(mactable_learn(t, b, 1, 200000 + AGE) == MACT_REFUSED);
	CHECK(mactable_learn(t, b, 1, 200000 + 2 * AGE) == MACT_LEARNED);
	CHECK(mactable_count(t) == 1);
	CHECK(mactable_expire(t, 200000 + 3 * AGE) == 1);
	CHECK(mactable_count(t) == 0);
	mactable_free(t);
}

static void
test_dest(void)
{
	struct mactable *t = mactable_new(3, 4, AGE, 3);
	uint8_t a[MAC_LEN], b[MAC_LEN], u[MAC_LEN];
	uint8_t bcast[MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t mcast[MAC_LEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

	mac(a, 20);
	mac(b, 21);
	mac(u, 22);		/* nobody's */
	mactable_learn(t, a, 0, 0);
	mactable_learn(t, b, 1, 0);
	/* from the server: always, by owner or flooded */
	CHECK(mactable_dest(t, a, -1, false, 1) == 0);
	CHECK(mactable_dest(t, b, -1, true, 1) == 1);
	CHECK(mactable_dest(t, u, -1, false, 1) == MACT_FLOOD);
	CHECK(mactable_dest(t, bcast, -1, false, 1) == MACT_FLOOD);
	CHECK(mactable_dest(t, mcast, -1, true, 1) == MACT_FLOOD);
	/* between sessions: only with client-to-client */
	CHECK(mactable_dest(t, b, 0, true, 1) == 1);
	CHECK(mactable_dest(t, b, 0, false, 1) == MACT_DROP);
	CHECK(mactable_dest(t, bcast, 0, true, 1) == MACT_FLOOD);
	CHECK(mactable_dest(t, bcast, 0, false, 1) == MACT_DROP);
	CHECK(mactable_dest(t, u, 1, true, 1) == MACT_FLOOD);
	CHECK(mactable_dest(t, u, 1, false, 1) == MACT_DROP);
	/* not back to its sender */
	CHECK(mactable_dest(t, a, 0, true, 1) == MACT_DROP);
	/* an aged destination is unknown again */
	CHECK(mactable_dest(t, a, -1, true, AGE) == MACT_FLOOD);
	mactable_free(t);
}

static void
test_session_ends(void)
{
	struct mactable *t = mactable_new(2, 4, AGE, 4);
	uint8_t m[4][MAC_LEN], x[MAC_LEN];

	for (unsigned i = 0; i < 4; i++) {
		mac(m[i], 30 + i);
		CHECK(mactable_learn(t, m[i], 0, 5) == MACT_LEARNED);
	}
	mac(x, 40);
	CHECK(mactable_learn(t, x, 1, 5) == MACT_LEARNED);
	mactable_del_slot(t, 0);
	CHECK(mactable_count(t) == 1);
	for (unsigned i = 0; i < 4; i++) {
		CHECK(mactable_lookup(t, m[i], 6) == -1);
		/* at once free for another session */
		CHECK(mactable_learn(t, m[i], 1, 6) ==
		    (i < 3 ? MACT_LEARNED : MACT_REFUSED));
	}
	CHECK(mactable_lookup(t, x, 6) == 1);
	mactable_del_slot(t, 1);
	mactable_del_slot(t, 7);	/* out of range: nothing */
	CHECK(mactable_count(t) == 0);
	mactable_free(t);
}

/* Random learns, deletions and expiries against a reference array. */
struct ref {
	bool used;
	unsigned slot;
	uint64_t seen;
};

static void
test_random(void)
{
	enum { SLOTS = 8, PER = 3, MACS = 64, ROUNDS = 200000 };
	struct mactable *t = mactable_new(SLOTS, PER, 1000, 5);
	struct ref r[MACS] = { 0 };
	uint64_t now = 0;

	srand(7);
	for (int n = 0; n < ROUNDS; n++) {
		unsigned i = (unsigned)rand() % MACS, s = (unsigned)rand() %
		    SLOTS, op = (unsigned)rand() % 100, live = 0;
		uint8_t a[MAC_LEN];
		int want, got;

		now += (unsigned)rand() % 20;
		mac(a, i);
		if (op == 0) {
			mactable_del_slot(t, s);
			for (unsigned j = 0; j < MACS; j++)
				if (r[j].used && r[j].slot == s)
					r[j].used = false;
			continue;
		}
		if (op == 1) {
			mactable_expire(t, now);
			for (unsigned j = 0; j < MACS; j++)
				if (r[j].used && now - r[j].seen >= 1000)
					r[j].used = false;
			continue;
		}
		if (op < 50) {
			want = r[i].used && now - r[i].seen < 1000 ?
			    (int)r[i].slot : -1;
			CHECK(mactable_lookup(t, a, now) == want);
			continue;
		}
		for (unsigned j = 0; j < MACS; j++)
			live += r[j].used && r[j].slot == s &&
			    now - r[j].seen < 1000;
		if (r[i].used && r[i].slot == s && now - r[i].seen < 1000)
			want = MACT_REFRESHED;
		else if (r[i].used && now - r[i].seen < 1000)
			want = MACT_REFUSED;
		else
			want = live < PER ? MACT_LEARNED : MACT_REFUSED;
		got = mactable_learn(t, a, s, now);
		CHECK(got == want);
		if (got == want && want != MACT_REFUSED)
			r[i] = (struct ref){ true, s, now };
		if (got != want)
			break;
	}
	mactable_free(t);
}

int
main(void)
{
	test_ownership();
	test_aging();
	test_dest();
	test_session_ends();
	test_random();
	if (failures != 0) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("test_mactable: all checks passed\n");
	return 0;
}
