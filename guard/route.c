/* Open addressing with linear probing; deletions rebuild the table, since
 * they happen once per session while lookups happen once per packet. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "route.h"

struct route_entry {
	uint8_t used;
	uint8_t family;
	uint16_t slot;
	uint8_t addr[16];
};

struct route_table {
	size_t mask;
	unsigned count, capacity;
	struct route_entry *e;
	struct route_entry *scratch;	/* capacity entries, for deletions */
};

static int
addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

static size_t
route_hash(int family, const uint8_t *addr, int len)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;

	for (int i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

struct route_table *
route_new(unsigned capacity)
{
	struct route_table *t;
	size_t size = 16;

	while (size < (size_t)capacity * 2)
		size *= 2;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->e = calloc(size, sizeof(*t->e));
	t->scratch = calloc(capacity ? capacity : 1, sizeof(*t->scratch));
	if (t->e == NULL || t->scratch == NULL) {
		route_free(t);
		return NULL;
	}
	t->mask = size - 1;
	t->capacity = capacity;
	return t;
}

void
route_free(struct route_table *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->scratch);
	free(t);
}

/* The entry for addr, or the empty entry where it would go. */
static struct route_entry *
route_find(const struct route_table *t, int family, const uint8_t *addr,
    int len)
{
	size_t i = route_hash(family, addr, len) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		struct route_entry *e = &t->e[i];

		if (!e->used || (e->family == family &&
		    memcmp(e->addr, addr, len) == 0))
			return e;
	}
}

int
route_add(struct route_table *t, int family, const uint8_t *addr,
    uint16_t slot)
{
	struct route_entry *e;
	int len = addr_len(family);

	if (len == -1)
		return -1;
	e = route_find(t, family, addr, len);
	if (!e->used) {
		if (t->count >= t->capacity)
			return -1;
		t->count++;
		e->used = 1;
		e->family = (uint8_t)family;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr, len);
	}
	e->slot = slot;
	return 0;
}

void
route_del_slot(struct route_table *t, uint16_t slot)
{
	size_t size = t->mask + 1, n = 0;
	struct route_entry *keep = t->scratch;

	for (size_t i = 0; i < size; i++)
		if (t->e[i].used && t->e[i].slot != slot)
			keep[n++] = t->e[i];
	memset(t->e, 0, size * sizeof(*t->e));
	t->count = 0;
	for (size_t i = 0; i < n; i++)
		route_add(t, keep[i].family, keep[i].addr, keep[i].slot);
}

unsigned
route_count(const struct route_table *t)
{
	return t->count;
}

int
route_lookup(const struct route_table *t, int family, const uint8_t *addr)
{
	const struct route_entry *e;
	int len = addr_len(family);

	if (len == -1)
		return -1;
	e = route_find(t, family, addr, len);
	return e->used ? e->slot : -1;
}
