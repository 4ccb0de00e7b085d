/* A slot holds a session's receiver index; the index's low bits are the
 * slot, so a datagram finds its session without a search, and the index
 * as a whole must match, so a stale or forged one finds nothing. */
#include <stdlib.h>

#include "msg.h"
#include "packet.h"
#include "slots.h"

struct slot_table {
	unsigned n;
	struct slot {
		bool used;
		uint32_t index;
	} *s;
};

struct slot_table *
slots_new(unsigned nslots)
{
	struct slot_table *t;

	if (nslots > 1u << SLOTS_INDEX_BITS ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->s = calloc(nslots ? nslots : 1, sizeof(*t->s))) == NULL) {
		free(t);
		return NULL;
	}
	t->n = nslots;
	return t;
}

void
slots_free(struct slot_table *t)
{
	if (t == NULL)
		return;
	free(t->s);
	free(t);
}

static unsigned
slots_of(uint32_t index)
{
	return index & ((1u << SLOTS_INDEX_BITS) - 1);
}

int
slots_register(struct slot_table *t, const struct msg_register *r)
{
	if (r->slot >= t->n || slots_of(r->index) != r->slot)
		return -1;
	t->s[r->slot] = (struct slot){ .used = true, .index = r->index };
	return 0;
}

int
slots_unregister(struct slot_table *t, unsigned slot)
{
	if (slot >= t->n)
		return -1;
	t->s[slot] = (struct slot){ .used = false };
	return 0;
}

bool
slots_used(const struct slot_table *t, unsigned slot)
{
	return slot < t->n && t->s[slot].used;
}

int
slots_for_datagram(const struct slot_table *t, const uint8_t *dgram,
    size_t len)
{
	struct pkt_hdr h;
	unsigned slot;

	if (pkt_parse_hdr(dgram, len, &h) == -1)
		return -1;
	slot = slots_of(h.index);
	if (slot >= t->n || !t->s[slot].used || t->s[slot].index != h.index)
		return -1;
	return (int)slot;
}
