/* The address pool as two bitmaps over the network's addresses: one for
 * addresses in use, one for addresses no dynamic client may get. IPv4 and
 * IPv6 pools share them: an address is its index from the network. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct pool {
	uint32_t net;		/* IPv4, host order */
	uint8_t net6[16];	/* IPv6 (v6 true), network order */
	bool v6;
	uint32_t size;		/* addresses in the network, 2^(32-prefix);
				   IPv6: at most POOL6_HOSTS */
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
	if (!p->v6)		/* IPv6 has no broadcast address */
		pool_set(p->reserved, p->size - 1);
	for (i = p->size; i < p->nwords * 64; i++)
		pool_set(p->reserved, i);
}

static struct pool *
pool_alloc(uint32_t size, bool v6)
{
	struct pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->v6 = v6;
	p->size = size;
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

struct pool *
pool_new(uint32_t net, uint8_t prefix)
{
	struct pool *p;

	if (prefix < 8 || prefix > 30 || (net & ~(~0u << (32 - prefix)))) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = pool_alloc((uint32_t)1 << (32 - prefix), false)) != NULL)
		p->net = net;
	return p;
}

/* Whether a (network order) has no bit set past its first prefix bits. */
static bool
pool_host_bits_zero(const uint8_t *a, unsigned prefix)
{
	for (unsigned i = prefix; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

struct pool *
pool_new6(const uint8_t net[16], uint8_t prefix)
{
	struct pool *p;
	unsigned host = 128u - prefix;

	if (prefix < POOL6_PREFIX_MIN || prefix > POOL6_PREFIX_MAX ||
	    !pool_host_bits_zero(net, prefix)) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = pool_alloc(host >= 16 ? POOL6_HOSTS : (uint32_t)1 << host,
	    true)) != NULL)
		memcpy(p->net6, net, 16);
	return p;
}

/* The last 16 bits: the only ones an IPv6 pool hands out. */
static uint32_t
pool_low16(const uint8_t *a)
{
	return (uint32_t)a[14] << 8 | a[15];
}

/* addr's index in the IPv6 pool; >= size if it is not inside. */
static uint32_t
pool_index6(const struct pool *p, const uint8_t addr[16])
{
	if (!p->v6 || memcmp(addr, p->net6, 14) != 0)
		return UINT32_MAX;
	return pool_low16(addr) - pool_low16(p->net6);
}

static void
pool_addr6(const struct pool *p, uint32_t i, uint8_t out[16])
{
	uint32_t low = pool_low16(p->net6) + i;

	memcpy(out, p->net6, 14);
	out[14] = (uint8_t)(low >> 8);
	out[15] = (uint8_t)low;
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

void
pool_server_addr6(const struct pool *p, uint8_t out[16])
{
	pool_addr6(p, 1, out);
}

/* A client-usable index: not the network's, the server's or (IPv4) the
 * broadcast address's. Unsigned wrap-around puts addresses below the
 * network far above size. */
static bool
pool_usable(const struct pool *p, uint32_t i)
{
	return i >= 2 && i < p->size - (p->v6 ? 0 : 1);
}

static uint32_t
pool_index(const struct pool *p, uint32_t addr)
{
	return p->v6 ? UINT32_MAX : addr - p->net;
}

bool
pool_contains(const struct pool *p, uint32_t addr)
{
	return pool_usable(p, pool_index(p, addr));
}

bool
pool_contains6(const struct pool *p, const uint8_t addr[16])
{
	return pool_usable(p, pool_index6(p, addr));
}

static int
pool_reserve_index(struct pool *p, uint32_t i)
{
	if (!pool_usable(p, i))
		return -1;
	pool_set(p->reserved, i);
	return 0;
}

static void
pool_unreserve_index(struct pool *p, uint32_t i)
{
	if (pool_usable(p, i))
		pool_clear(p->reserved, i);
}

int
pool_reserve(struct pool *p, uint32_t addr)
{
	return pool_reserve_index(p, pool_index(p, addr));
}

void
pool_unreserve(struct pool *p, uint32_t addr)
{
	pool_unreserve_index(p, pool_index(p, addr));
}

int
pool_reserve6(struct pool *p, const uint8_t addr[16])
{
	return pool_reserve_index(p, pool_index6(p, addr));
}

void
pool_unreserve6(struct pool *p, const uint8_t addr[16])
{
	pool_unreserve_index(p, pool_index6(p, addr));
}

static int
pool_take_index(struct pool *p, uint32_t i)
{
	if (!pool_usable(p, i) || pool_bit(p->used, i))
		return -1;
	pool_set(p->used, i);
	p->in_use++;
	return 0;
}

int
pool_take(struct pool *p, uint32_t addr)
{
	return pool_take_index(p, pool_index(p, addr));
}

int
pool_take6(struct pool *p, const uint8_t addr[16])
{
	return pool_take_index(p, pool_index6(p, addr));
}

/* The lowest free unreserved index, taken; 0 if none is left. */
static uint32_t
pool_take_lowest_index(struct pool *p)
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
		return i;
	}
	return 0;
}

uint32_t
pool_take_lowest(struct pool *p)
{
	uint32_t i;

	if (p->v6 || (i = pool_take_lowest_index(p)) == 0)
		return 0;
	return p->net + i;
}

int
pool_take_lowest6(struct pool *p, uint8_t out[16])
{
	uint32_t i;

	if (!p->v6 || (i = pool_take_lowest_index(p)) == 0)
		return -1;
	pool_addr6(p, i, out);
	return 0;
}

static void
pool_release_index(struct pool *p, uint32_t i)
{
	if (!pool_usable(p, i) || !pool_bit(p->used, i))
		return;
	pool_clear(p->used, i);
	p->in_use--;
}

void
pool_release(struct pool *p, uint32_t addr)
{
	pool_release_index(p, pool_index(p, addr));
}

void
pool_release6(struct pool *p, const uint8_t addr[16])
{
	pool_release_index(p, pool_index6(p, addr));
}

unsigned
pool_in_use(const struct pool *p)
{
	return p->in_use;
}
