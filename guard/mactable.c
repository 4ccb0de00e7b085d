/* The MAC table: entries in one array allocated once, chained per hash
 * bucket and per slot, with a free list. See mactable.h. */
#include <stdlib.h>
#include <string.h>

#include "mactable.h"

#define MACT_PER_SLOT_MAX 1024
#define MACT_SLOTS_MAX 65536

struct mact_entry {
	uint8_t mac[MAC_LEN];
	bool used;
	uint32_t slot;
	int32_t next;		/* in its bucket, or on the free list */
	int32_t snext;		/* in its slot's list */
	uint64_t seen;		/* ms */
};

struct mactable {
	unsigned nslots, per_slot, cap, count;
	uint64_t age, seed;
	uint32_t mask;		/* buckets - 1 */
	int32_t *bucket;	/* first entry, or -1 */
	int32_t *shead;		/* per slot: first entry, or -1 */
	unsigned *scount;	/* per slot: entries */
	int32_t free;
	struct mact_entry *e;
};

/* FNV-1a over the seed and the address. */
static uint32_t
mact_hash(const struct mactable *t, const uint8_t *mac)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;

	for (int i = 0; i < MAC_LEN; i++)
		h = (h ^ mac[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ h >> 32) & t->mask;
}

struct mactable *
mactable_new(unsigned nslots, unsigned per_slot, uint64_t age_ms,
    uint64_t seed)
{
	struct mactable *t;
	uint32_t nb = 1;

	if (nslots == 0 || nslots > MACT_SLOTS_MAX || per_slot == 0 ||
	    per_slot > MACT_PER_SLOT_MAX || age_ms == 0 ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nslots = nslots;
	t->per_slot = per_slot;
	t->cap = nslots * per_slot;
	t->age = age_ms;
	t->seed = seed;
	while (nb < 2 * t->cap)
		nb <<= 1;
	t->mask = nb - 1;
	t->bucket = malloc(nb * sizeof(*t->bucket));
	t->shead = malloc(nslots * sizeof(*t->shead));
	t->scount = calloc(nslots, sizeof(*t->scount));
	t->e = calloc(t->cap, sizeof(*t->e));
	if (t->bucket == NULL || t->shead == NULL || t->scount == NULL ||
	    t->e == NULL) {
		mactable_free(t);
		return NULL;
	}
	memset(t->bucket, 0xff, nb * sizeof(*t->bucket));
	memset(t->shead, 0xff, nslots * sizeof(*t->shead));
	for (unsigned i = 0; i < t->cap; i++)
		t->e[i].next = i + 1 < t->cap ? (int32_t)(i + 1) : -1;
	t->free = 0;
	return t;
}

void
mactable_free(struct mactable *t)
{
	if (t == NULL)
		return;
	free(t->bucket);
	free(t->shead);
	free(t->scount);
	free(t->e);
	free(t);
}

static int32_t
mact_find(const struct mactable *t, const uint8_t *mac)
{
	int32_t i = t->bucket[mact_hash(t, mac)];

	while (i >= 0 && memcmp(t->e[i].mac, mac, MAC_LEN) != 0)
		i = t->e[i].next;
	return i;
}

static bool
mact_live(const struct mactable *t, int32_t i, uint64_t now)
{
	return now - t->e[i].seen < t->age || now < t->e[i].seen;
}

/* Unlinks entry i from its bucket and its slot, onto the free list. */
static void
mact_remove(struct mactable *t, int32_t i)
{
	struct mact_entry *x = &t->e[i];
	int32_t *p = &t->bucket[mact_hash(t, x->mac)];

	while (*p != i)
		p = &t->e[*p].next;
	*p = x->next;
	p = &t->shead[x->slot];
	while (*p != i)
		p = &t->e[*p].snext;
	*p = x->snext;
	t->scount[x->slot]--;
	t->count--;
	memset(x, 0, sizeof(*x));
	x->next = t->free;
	t->free = i;
}

/* A slot at its limit first gives up what it no longer uses. */
static void
mact_expire_slot(struct mactable *t, unsigned slot, uint64_t now)
{
	int32_t i = t->shead[slot];

	while (i >= 0) {
		int32_t next = t->e[i].snext;

		if (!mact_live(t, i, now))
			mact_remove(t, i);
		i = next;
	}
}

static bool
mact_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[MAC_LEN];

	return memcmp(mac, zero, MAC_LEN) == 0;
}

int
mactable_learn(struct mactable *t, const uint8_t *mac, unsigned slot,
    uint64_t now)
{
	int32_t i;
	uint32_t h;

	if (slot >= t->nslots || mactable_is_group(mac) || mact_is_zero(mac))
		return MACT_REFUSED;
	if ((i = mact_find(t, mac)) >= 0) {
		bool live;

		if (t->e[i].slot != slot)
			return MACT_REFUSED;	/* however long unused */
		live = mact_live(t, i, now);
		t->e[i].seen = now;
		return live ? MACT_REFRESHED : MACT_LEARNED;
	}
	if (t->scount[slot] >= t->per_slot)
		mact_expire_slot(t, slot, now);
	if (t->scount[slot] >= t->per_slot || t->free < 0)
		return MACT_REFUSED;
	i = t->free;
	t->free = t->e[i].next;
	h = mact_hash(t, mac);
	t->e[i] = (struct mact_entry){ .used = true, .slot = slot,
	    .next = t->bucket[h], .snext = t->shead[slot], .seen = now };
	memcpy(t->e[i].mac, mac, MAC_LEN);
	t->bucket[h] = i;
	t->shead[slot] = i;
	t->scount[slot]++;
	t->count++;
	return MACT_LEARNED;
}

int
mactable_lookup(const struct mactable *t, const uint8_t *mac)
{
	int32_t i;

	if (mactable_is_group(mac) || (i = mact_find(t, mac)) < 0)
		return -1;
	return (int)t->e[i].slot;
}

void
mactable_del_slot(struct mactable *t, unsigned slot)
{
	if (slot >= t->nslots)
		return;
	while (t->shead[slot] >= 0)
		mact_remove(t, t->shead[slot]);
}

unsigned
mactable_expire(struct mactable *t, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->cap; i++)
		if (t->e[i].used && !mact_live(t, (int32_t)i, now)) {
			mact_remove(t, (int32_t)i);
			n++;
		}
	return n;
}

unsigned
mactable_count(const struct mactable *t)
{
	return t->count;
}

unsigned
mactable_slot_macs(const struct mactable *t, unsigned slot, uint64_t since,
    uint8_t (*out)[MAC_LEN], unsigned max)
{
	unsigned n = 0;

	if (slot >= t->nslots)
		return 0;
	for (int32_t i = t->shead[slot]; i >= 0 && n < max; i = t->e[i].snext)
		if (t->e[i].seen >= since)
			memcpy(out[n++], t->e[i].mac, MAC_LEN);
	return n;
}
