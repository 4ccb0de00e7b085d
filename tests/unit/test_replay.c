/* Anti-replay window: fixed cases at the edges (sequence 0, the window
 * boundary, jumps, the top of the 64-bit range) and a randomized
 * cross-check against a naive model that remembers every number. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SET_BITS 19
#define SET_CAP ((size_t)1 << SET_BITS)
#define RANDOM_OPS 200000

/* The model: every accepted number in a hash set, and the top. */
struct naive {
	uint64_t	 top;
	uint64_t	*set;		/* open addressing; 0 is a free slot */
	size_t		 n;
};

static int failures;
static uint64_t rng_state = 0x5eed5eed12345678ULL;

static void
check(int ok, const char *what, uint64_t seq)
{
	if (!ok) {
		printf("FAIL: %s (seq %" PRIu64 ")\n", what, seq);
		failures++;
	}
}

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
naive_init(struct naive *m)
{
	if (m->set == NULL && (m->set = calloc(SET_CAP, 8)) == NULL)
		abort();
	memset(m->set, 0, SET_CAP * 8);
	m->top = 0;
	m->n = 0;
}

/* Index of seq in the set, or of the free slot where it would go. */
static size_t
naive_slot(const struct naive *m, uint64_t seq)
{
	size_t i = (seq * 0x9e3779b97f4a7c15ULL) >> (64 - SET_BITS);

	while (m->set[i] != 0 && m->set[i] != seq)
		i = (i + 1) % SET_CAP;
	return i;
}

static int
naive_ok(const struct naive *m, uint64_t seq)
{
	if (seq == 0 || m->set[naive_slot(m, seq)] == seq)
		return 0;
	return seq > m->top || m->top - seq <= REPLAY_WINDOW;
}

static int
naive_update(struct naive *m, uint64_t seq)
{
	int newtop = seq > m->top;

	if (!naive_ok(m, seq))
		return 0;
	if (m->n++ > SET_CAP / 2)
		abort();
	m->set[naive_slot(m, seq)] = seq;
	if (newtop)
		m->top = seq;
	return newtop;
}

/* replay_check, asserting that it leaves the window untouched. */
static int
checked(const struct replay *r, uint64_t seq)
{
	struct replay before = *r;
	int ok = replay_check(r, seq);

	check(memcmp(&before, r, sizeof(before)) == 0, "check changed state",
	    seq);
	return ok;
}

/* The receive path: pre-check, MAC assumed good, update. */
static int
receive(struct replay *r, uint64_t seq)
{
	if (!checked(r, seq))
		return 0;
	replay_update(r, seq);
	return 1;
}

/* Both sides agree on every number from below the window to past top. */
static void
sweep(const struct replay *r, const struct naive *m, const char *what)
{
	uint64_t s, lo, hi;

	lo = r->top > REPLAY_BITS + 8 ? r->top - REPLAY_BITS - 8 : 0;
	hi = r->top < UINT64_MAX - 200 ? r->top + 200 : UINT64_MAX;
	for (s = lo;; s++) {
		if (checked(r, s) != naive_ok(m, s)) {
			check(0, what, s);
			return;
		}
		if (s == hi)
			break;
	}
}

static void
test_zero(void)
{
	struct replay r, before;

	replay_init(&r);
	check(!checked(&r, 0), "0 on a fresh window", 0);
	before = r;
	check(!replay_update(&r, 0), "update 0", 0);
	check(memcmp(&before, &r, sizeof(r)) == 0, "update 0 changed state",
	    0);
	check(receive(&r, 1), "1 on a fresh window", 1);
	check(!checked(&r, 0), "0 after 1", 0);
}

static void
test_in_order(void)
{
	struct replay r;
	uint64_t s;

	replay_init(&r);
	for (s = 1; s <= 20000; s++) {
		check(checked(&r, s), "in order check", s);
		check(replay_update(&r, s), "in order new top", s);
	}
	for (s = 20000 - REPLAY_WINDOW; s <= 20000; s++)
		check(!checked(&r, s), "duplicate", s);
	for (s = 1; s < 20000 - REPLAY_WINDOW; s++)
		check(!checked(&r, s), "too old", s);
}

static void
test_reorder(void)
{
	struct replay r;
	uint64_t s, top = 10000;

	replay_init(&r);
	check(receive(&r, top), "top", top);
	for (s = top - 1; s >= top - REPLAY_WINDOW; s--) {
		check(checked(&r, s), "reordered", s);
		check(!replay_update(&r, s), "reordered is not a new top", s);
		check(r.top == top, "reordered moved top", s);
	}
	check(!checked(&r, top - REPLAY_WINDOW - 1), "past the window",
	    top - REPLAY_WINDOW - 1);
	for (s = top - REPLAY_WINDOW; s <= top; s++)
		check(!checked(&r, s), "reordered duplicate", s);
}

/*
 * top - REPLAY_WINDOW is the last one accepted, top - REPLAY_WINDOW - 1
 * the first one refused, for every position of top inside its word.
 * Marking the refused one must not shadow the number one ring ahead.
 */
static void
test_boundary(void)
{
	struct replay r, before;
	uint64_t top, s;

	for (top = 100000; top < 100000 + 64; top++) {
		replay_init(&r);
		check(receive(&r, top), "boundary top", top);
		check(checked(&r, top - REPLAY_WINDOW), "oldest in", top);
		check(!checked(&r, top - REPLAY_WINDOW - 1), "just out", top);
		before = r;
		check(!replay_update(&r, top - REPLAY_WINDOW - 1),
		    "update just out", top);
		check(memcmp(&before, &r, sizeof(r)) == 0,
		    "update just out changed state", top);
		for (s = top + 1; s <= top + REPLAY_BITS; s++)
			check(checked(&r, s), "ahead after boundary", s);
		check(receive(&r, top - REPLAY_WINDOW), "accept oldest", top);
		check(!checked(&r, top - REPLAY_WINDOW), "oldest twice", top);
	}
}

/* Jumps of every interesting size from a full window: no stale bit from
 * before the jump may reject a number the model accepts. */
static void
test_jumps(struct naive *m)
{
	static const uint64_t jumps[] = { 1, 63, 64, 65, 127, 4096, 8127,
	    8128, 8129, 8191, 8192, 8193, 8256, 16384, 16385, 1000000007,
	    (uint64_t)1 << 40 };
	struct replay r;
	uint64_t s, top = 50000;
	size_t i;

	for (i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
		replay_init(&r);
		naive_init(m);
		for (s = top - REPLAY_WINDOW; s <= top; s++) {
			receive(&r, s);
			naive_update(m, s);
		}
		check(checked(&r, top + jumps[i]), "jump", jumps[i]);
		check(replay_update(&r, top + jumps[i]), "jump new top",
		    jumps[i]);
		naive_update(m, top + jumps[i]);
		sweep(&r, m, "after jump");
	}
}

static void
test_near_max(void)
{
	struct replay r;
	uint64_t s;

	replay_init(&r);
	check(receive(&r, UINT64_MAX - 10), "near max", UINT64_MAX - 10);
	check(receive(&r, UINT64_MAX - 20), "near max reorder", UINT64_MAX);
	check(checked(&r, UINT64_MAX), "max", UINT64_MAX);
	check(replay_update(&r, UINT64_MAX), "max new top", UINT64_MAX);
	check(!checked(&r, UINT64_MAX), "max twice", UINT64_MAX);
	check(!checked(&r, UINT64_MAX - 10), "near max twice", UINT64_MAX);
	s = UINT64_MAX - REPLAY_WINDOW;
	check(checked(&r, s), "oldest below max", s);
	check(!checked(&r, s - 1), "just out below max", s - 1);
	check(!checked(&r, 1), "small after max", 1);

	replay_init(&r);
	check(receive(&r, UINT64_MAX), "max first", UINT64_MAX);
	check(receive(&r, UINT64_MAX - 1), "max first reorder", UINT64_MAX);
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_sub(uint64_t a, uint64_t b)
{
	return a < b ? 0 : a - b;
}

/* Mostly near the top, around the window edge, duplicates, jumps. */
static uint64_t
random_seq(const struct naive *m, const uint64_t *recent)
{
	uint64_t r = rnd() % 100;

	if (r < 35)
		return sat_add(m->top, 1 + rnd() % 4);
	if (r < 65)
		return sat_sub(m->top, rnd() % (REPLAY_WINDOW + 200));
	if (r < 75)
		return sat_sub(m->top, REPLAY_WINDOW - 8 + rnd() % 16);
	if (r < 85)
		return recent[rnd() % 64];
	if (r < 93)
		return sat_add(m->top, rnd() % (3 * REPLAY_BITS));
	if (r < 95)
		return sat_add(m->top, rnd() % ((uint64_t)1 << 40));
	if (r < 97)
		return 0;
	return rnd();
}

/* One operation: a failed MAC (check only), a normal receive, or an
 * update without a pre-check, compared with the model each time. */
static void
random_op(struct replay *r, struct naive *m, uint64_t *recent, uint64_t seq)
{
	uint64_t act = rnd() % 10;
	int want = naive_ok(m, seq);

	if (act < 9 && checked(r, seq) != want) {
		check(0, "random check", seq);
		return;
	}
	if (act >= 2) {
		check(replay_update(r, seq) == naive_update(m, seq),
		    "random update", seq);
		check(r->top == m->top, "random top", seq);
	}
	if (want)
		recent[rnd() % 64] = seq;
}

static void
test_random(struct naive *m, uint64_t base)
{
	struct replay r;
	uint64_t recent[64];
	int i, before = failures;

	replay_init(&r);
	naive_init(m);
	for (i = 0; i < 64; i++)
		recent[i] = base;
	if (base != 0) {
		replay_update(&r, base);
		naive_update(m, base);
	}
	for (i = 0; i < RANDOM_OPS && failures == before; i++) {
		random_op(&r, m, recent, random_seq(m, recent));
		if (i % 1000 == 0)
			sweep(&r, m, "random sweep");
	}
	sweep(&r, m, "final sweep");
}

int
main(void)
{
	struct naive m = { 0 };

	test_zero();
	test_in_order();
	test_reorder();
	test_boundary();
	test_jumps(&m);
	test_near_max();
	test_random(&m, 0);
	test_random(&m, UINT64_MAX - ((uint64_t)1 << 24));
	free(m.set);
	if (failures != 0) {
		printf("test_replay: %d failures\n", failures);
		return 1;
	}
	printf("test_replay: ok\n");
	return 0;
}
