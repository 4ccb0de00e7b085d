/* The address pool as two bitmaps over the network's addresses: one for
 * addresses in use, one for addresses no dynamic client may get. */
#include <errno.h>
#include <stdlib.h>

#include "pool.h"

struct pool {
	uint32_t net;
	uint32_t size;		/* addresses in the network, 2^(32-prefix) */
	size_t nwords;
	unsigned in_use;
	uint64_t *used;
	uint64_t *reserved;	/* fixed addresses, and never-usable ones */
};

static bool
pool_bit(const uint64_t *map, uint32_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void
pool_set(uint64_t *map, uint32_t i)
{
	map[i / 64] |= (uint64_t)1 << (i % 64);
}

static void
pool_clear(uint64_t *map, uint32_t i)
{
	map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Marking the network, server and broadcast addresses and the tail of the
 * last word as reserved lets pool_take_lowest look only at the bitmaps. */
static void
pool_reserve_unusable(struct pool *p)
{
	uint32_t i;

	pool_set(p->reserved, 0);
	pool_set(p->reserved, 1);
	pool_set(p->reserved, p->size - 1);
	for (i = p->size; i < p->nwords * 64; i++)
		pool_set(p->reserved, i);
}

struct pool *
pool_new(uint32_t net, uint8_t prefix)
{
	struct pool *p;

	if (prefix < 8 || prefix > 30 || (net & ~(~0u << (32 - prefix)))) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->net = net;
	p->size = (uint32_t)1 << (32 - prefix);
	p->nwords = (p->size + 63) / 64;
	p->used = calloc(p->nwords, sizeof(uint64_t));
	p->reserved = calloc(p->nwords, sizeof(uint64_t));
	if (p->used == NULL || p->reserved == NULL) {
		pool_free(p);
		return NULL;
	}
	pool_reserve_unusable(p);
	return p;
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	free(p->used);
	free(p->reserved);
	free(p);
}

uint32_t
pool_server_addr(const struct pool *p)
{
	return p->net + 1;
}

bool
pool_contains(const struct pool *p, uint32_t addr)
{
	uint32_t i = addr - p->net;

	/* unsigned wrap-around puts addresses below net far above size */
	return i >= 2 && i < p->size - 1;
}

int
pool_reserve(struct pool *p, uint32_t addr)
{
	if (!pool_contains(p, addr))
		return -1;
	pool_set(p->reserved, addr - p->net);
	return 0;
}

void
pool_unreserve(struct pool *p, uint32_t addr)
{
	if (pool_contains(p, addr))
		pool_clear(p->reserved, addr - p->net);
}

int
pool_take(struct pool *p, uint32_t addr)
{
	uint32_t i = addr - p->net;

	if (!pool_contains(p, addr) || pool_bit(p->used, i))
		return -1;
	pool_set(p->used, i);
	p->in_use++;
	return 0;
}

uint32_t
pool_take_lowest(struct pool *p)
{
	uint64_t free_bits;
	uint32_t i;
	size_t w;

	for (w = 0; w < p->nwords; w++) {
		free_bits = ~(p->used[w] | p->reserved[w]);
		if (free_bits == 0)
			continue;
		i = (uint32_t)(w * 64) + (uint32_t)__builtin_ctzll(free_bits);
		pool_set(p->used, i);
		p->in_use++;
		return p->net + i;
	}
	return 0;
}

void
pool_release(struct pool *p, uint32_t addr)
{
	uint32_t i = addr - p->net;

	if (!pool_contains(p, addr) || !pool_bit(p->used, i))
		return;
	pool_clear(p->used, i);
	p->in_use--;
}

unsigned
pool_in_use(const struct pool *p)
{
	return p->in_use;
}
