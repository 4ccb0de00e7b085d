/* The tap-mode MAC table: ownership (first seen, a limit per slot, never a
 * group address, never passed to another slot while its own lives),
 * aging (room for a slot's new addresses, a data process forgetting), a
 * session ending; and a random run against a plain array as reference. */
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
	CHECK(mactable_lookup(t, a) == 0);
	/* the limit per slot */
	CHECK(mactable_learn(t, b, 0, 2000) == MACT_LEARNED);
	CHECK(mactable_learn(t, c, 0, 2000) == MACT_REFUSED);
	CHECK(mactable_lookup(t, c) == -1);
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
	/* a refresh keeps it live */
	CHECK(mactable_learn(t, a, 0, 200000) == MACT_REFRESHED);
	CHECK(mactable_slot_macs(t, 0, 200000, out, 4) == 1 &&
	    memcmp(out[0], a, MAC_LEN) == 0);
	CHECK(mactable_slot_macs(t, 0, 200001, out, 4) == 0);
	/* unused for age: still its slot's, never another's */
	CHECK(mactable_lookup(t, a) == 0);
	CHECK(mactable_learn(t, a, 1, 200000 + AGE) == MACT_REFUSED);
	CHECK(mactable_learn(t, a, 1, 200000 + 5 * AGE) == MACT_REFUSED);
	CHECK(mactable_lookup(t, a) == 0);
	/* its own slot uses it again: learned again */
	CHECK(mactable_learn(t, a, 0, 200000 + 5 * AGE) == MACT_LEARNED);
	/* a full slot gives up an address it has not used for age, for a
	 * new one of its own */
	CHECK(mactable_learn(t, b, 0, 200000 + 6 * AGE - 1) == MACT_REFUSED);
	CHECK(mactable_learn(t, b, 0, 200000 + 6 * AGE) == MACT_LEARNED);
	CHECK(mactable_lookup(t, a) == -1);
	CHECK(mactable_lookup(t, b) == 0);
	CHECK(mactable_count(t) == 1);
	/* a data process's own table forgets what aged */
	CHECK(mactable_expire(t, 200000 + 7 * AGE - 1) == 0);
	CHECK(mactable_expire(t, 200000 + 7 * AGE) == 1);
	CHECK(mactable_count(t) == 0);
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
		CHECK(mactable_lookup(t, m[i]) == -1);
		/* at once free for another session */
		CHECK(mactable_learn(t, m[i], 1, 6) ==
		    (i < 3 ? MACT_LEARNED : MACT_REFUSED));
	}
	CHECK(mactable_lookup(t, x) == 1);
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
		    SLOTS, op = (unsigned)rand() % 100, live = 0, held = 0;
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
			want = r[i].used ? (int)r[i].slot : -1;
			CHECK(mactable_lookup(t, a) == want);
			continue;
		}
		for (unsigned j = 0; j < MACS; j++) {
			live += r[j].used && r[j].slot == s &&
			    now - r[j].seen < 1000;
			held += r[j].used && r[j].slot == s;
		}
		if (r[i].used && r[i].slot == s)
			want = now - r[i].seen < 1000 ? MACT_REFRESHED :
			    MACT_LEARNED;
		else if (r[i].used)
			want = MACT_REFUSED;	/* however long unused */
		else
			want = live < PER ? MACT_LEARNED : MACT_REFUSED;
		/* a full slot first gives up, for a new address, what it
		 * has not used lately */
		if (!r[i].used && held >= PER)
			for (unsigned j = 0; j < MACS; j++)
				if (r[j].used && r[j].slot == s &&
				    now - r[j].seen >= 1000)
					r[j].used = false;
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
	test_session_ends();
	test_random();
	if (failures != 0) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("test_mactable: all checks passed\n");
	return 0;
}
