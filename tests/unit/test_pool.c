/* Unit test of the address pool: server address, lowest free address,
 * reservations, release and reuse, exhaustion, and the edges of contains. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#include "check.h"

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 |	\
	(uint32_t)(c) << 8 | (uint32_t)(d))

static void
test_new(void)
{
	struct pool *p;

	CHECK(pool_new(A(10, 0, 0, 0), 7) == NULL);
	CHECK(pool_new(A(10, 8, 0, 0), 31) == NULL);
	CHECK(pool_new(A(10, 8, 0, 0), 32) == NULL);
	CHECK(pool_new(A(10, 8, 0, 1), 24) == NULL);	/* host bits */
	CHECK((p = pool_new(A(10, 0, 0, 0), 8)) != NULL);
	pool_free(p);
	pool_free(NULL);
}

static void
test_contains(void)
{
	struct pool *p = pool_new(A(198, 18, 0, 0), 24);

	CHECK(p != NULL);
	CHECK(pool_server_addr(p) == A(198, 18, 0, 1));
	CHECK(!pool_contains(p, A(198, 18, 0, 0)));	/* network */
	CHECK(!pool_contains(p, A(198, 18, 0, 1)));	/* server */
	CHECK(pool_contains(p, A(198, 18, 0, 2)));
	CHECK(pool_contains(p, A(198, 18, 0, 254)));
	CHECK(!pool_contains(p, A(198, 18, 0, 255)));	/* broadcast */
	CHECK(!pool_contains(p, A(198, 18, 1, 2)));
	CHECK(!pool_contains(p, A(198, 17, 255, 255)));
	CHECK(!pool_contains(p, 0));
	CHECK(!pool_contains(p, 0xffffffff));
	pool_free(p);

	/* the top of the address space must not wrap */
	p = pool_new(A(255, 255, 255, 0), 24);
	CHECK(p != NULL);
	CHECK(pool_contains(p, A(255, 255, 255, 254)));
	CHECK(!pool_contains(p, A(255, 255, 255, 255)));
	CHECK(!pool_contains(p, A(0, 0, 0, 2)));
	pool_free(p);

	/* and neither the bottom */
	p = pool_new(0, 8);
	CHECK(p != NULL);
	CHECK(!pool_contains(p, 0));
	CHECK(!pool_contains(p, 1));
	CHECK(pool_contains(p, 2));
	CHECK(pool_contains(p, A(0, 255, 255, 254)));
	CHECK(!pool_contains(p, A(0, 255, 255, 255)));
	CHECK(pool_take_lowest(p) == 2);
	pool_free(p);
}

static void
test_lowest_reserve_release(void)
{
	struct pool *p = pool_new(A(198, 18, 0, 0), 24);

	CHECK(pool_in_use(p) == 0);
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 2));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 3));
	CHECK(pool_reserve(p, A(198, 18, 0, 4)) == 0);
	CHECK(pool_reserve(p, A(198, 18, 0, 4)) == 0);	/* idempotent */
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 5));
	CHECK(pool_in_use(p) == 3);

	/* a reserved address is still taken on purpose, once */
	CHECK(pool_take(p, A(198, 18, 0, 4)) == 0);
	CHECK(pool_take(p, A(198, 18, 0, 4)) == -1);
	CHECK(pool_in_use(p) == 4);

	/* released reserved addresses stay out of take_lowest */
	pool_release(p, A(198, 18, 0, 4));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 6));

	pool_release(p, A(198, 18, 0, 3));
	CHECK(pool_in_use(p) == 3);
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 3));
	CHECK(pool_in_use(p) == 4);

	/* releasing what is not taken changes nothing */
	pool_release(p, A(198, 18, 0, 100));
	pool_release(p, A(198, 18, 0, 0));
	pool_release(p, A(10, 0, 0, 2));
	CHECK(pool_in_use(p) == 4);

	CHECK(pool_reserve(p, A(198, 18, 0, 0)) == -1);
	CHECK(pool_reserve(p, A(198, 18, 0, 1)) == -1);
	CHECK(pool_reserve(p, A(198, 18, 0, 255)) == -1);
	CHECK(pool_reserve(p, A(198, 19, 0, 7)) == -1);
	CHECK(pool_take(p, A(198, 18, 0, 1)) == -1);
	CHECK(pool_take(p, A(198, 18, 0, 255)) == -1);
	CHECK(pool_take(p, A(198, 18, 0, 2)) == -1);	/* taken */

	/* a reload drops a fixed address: take_lowest may hand it out
	 * again; the never-usable ones stay out */
	pool_unreserve(p, A(198, 18, 0, 4));
	pool_unreserve(p, A(198, 18, 0, 1));
	pool_unreserve(p, A(198, 18, 0, 255));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 4));
	CHECK(pool_take(p, A(198, 18, 0, 1)) == -1);
	CHECK(pool_take(p, A(198, 18, 0, 255)) == -1);
	pool_free(p);
}

static void
test_exhaust(uint8_t prefix, unsigned usable)
{
	struct pool *p = pool_new(A(198, 18, 0, 0), prefix);
	unsigned i;

	for (i = 0; i < usable; i++)
		CHECK(pool_take_lowest(p) == A(198, 18, 0, 2) + i);
	CHECK(pool_take_lowest(p) == 0);
	CHECK(pool_in_use(p) == usable);
	pool_release(p, A(198, 18, 0, 2) + usable / 2);
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 2) + usable / 2);
	CHECK(pool_take_lowest(p) == 0);
	pool_free(p);
}

/* Crossing 64-bit words of the bitmaps. */
static void
test_words(void)
{
	struct pool *p = pool_new(A(198, 18, 0, 0), 16);
	unsigned i;

	for (i = 0; i < 200; i++)
		CHECK(pool_take_lowest(p) == A(198, 18, 0, 2) + i);
	CHECK(pool_reserve(p, A(198, 18, 0, 202)) == 0);
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 203));
	pool_release(p, A(198, 18, 0, 64));
	pool_release(p, A(198, 18, 0, 130));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 64));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 130));
	CHECK(pool_take_lowest(p) == A(198, 18, 0, 204));
	CHECK(pool_take(p, A(198, 18, 255, 254)) == 0);
	CHECK(pool_take(p, A(198, 18, 255, 255)) == -1);
	CHECK(pool_in_use(p) == 203);
	pool_free(p);
}

static void
a6(const char *s, uint8_t out[16])
{
	CHECK(inet_pton(AF_INET6, s, out) == 1);
}

static bool
is6(const uint8_t *a, const char *s)
{
	uint8_t b[16];

	a6(s, b);
	return memcmp(a, b, 16) == 0;
}

/* pool6: prefix bounds and host bits, the server at ::1, the lowest free
 * address from ::2 up, release and reuse, no broadcast to keep out, and
 * at most POOL6_HOSTS addresses however short the prefix. The IPv4 calls
 * do nothing to it. */
static void
test_pool6(void)
{
	uint8_t net[16], x[16], y[16];
	struct pool *p;

	a6("2001:db8:1::", net);
	CHECK(pool_new6(net, 63) == NULL);
	CHECK(pool_new6(net, 125) == NULL);
	a6("2001:db8:1::1", x);
	CHECK(pool_new6(x, 64) == NULL);			/* host bits */
	CHECK((p = pool_new6(net, 64)) != NULL);
	pool_server_addr6(p, x);
	CHECK(is6(x, "2001:db8:1::1"));
	CHECK(pool_take_lowest6(p, x) == 0 && is6(x, "2001:db8:1::2"));
	CHECK(pool_take_lowest6(p, y) == 0 && is6(y, "2001:db8:1::3"));
	CHECK(pool_in_use(p) == 2);
	pool_release6(p, x);
	pool_release6(p, x);				/* twice: no-op */
	CHECK(pool_in_use(p) == 1);
	CHECK(pool_take_lowest6(p, x) == 0 && is6(x, "2001:db8:1::2"));
	a6("2001:db8:1::", x);
	CHECK(!pool_contains6(p, x));			/* the network's */
	a6("2001:db8:1::1", x);
	CHECK(!pool_contains6(p, x));			/* the server's */
	a6("2001:db8:1::ffff", x);
	CHECK(pool_contains6(p, x));			/* no broadcast */
	a6("2001:db8:1::1:0", x);
	CHECK(!pool_contains6(p, x));			/* past POOL6_HOSTS */
	a6("2001:db8:2::2", x);
	CHECK(!pool_contains6(p, x));
	pool_release6(p, x);				/* not ours: no-op */
	CHECK(pool_in_use(p) == 2);
	/* the IPv4 calls on an IPv6 pool */
	CHECK(pool_take_lowest(p) == 0 && !pool_contains(p, 2) &&
	    pool_take(p, 2) == -1);
	pool_release(p, 3);
	CHECK(pool_in_use(p) == 2);
	pool_free(p);

	/* a /120 inside a network: 254 clients from ::x02 to ::xff */
	a6("2001:db8:1::100", net);
	CHECK((p = pool_new6(net, 120)) != NULL);
	pool_server_addr6(p, x);
	CHECK(is6(x, "2001:db8:1::101"));
	for (unsigned i = 0; i < 254; i++)
		CHECK(pool_take_lowest6(p, x) == 0);
	CHECK(is6(x, "2001:db8:1::1ff"));
	CHECK(pool_take_lowest6(p, y) == -1);
	pool_release6(p, x);
	CHECK(pool_take_lowest6(p, y) == 0 && is6(y, "2001:db8:1::1ff"));
	a6("2001:db8:1::ff", x);
	CHECK(!pool_contains6(p, x));			/* below the network */
	a6("2001:db8:1::200", x);
	CHECK(!pool_contains6(p, x));			/* above it */
	pool_free(p);

	/* an IPv4 pool has no IPv6 */
	p = pool_new(A(198, 18, 0, 0), 24);
	CHECK(pool_take_lowest6(p, x) == -1 && !pool_contains6(p, y));
	a6("2001:db8:1::5", x);
	CHECK(pool_reserve6(p, x) == -1 && pool_take6(p, x) == -1);
	pool_free(p);
}

/* fixed-address in pool6: a reserved address is skipped by the lowest
 * free pick, taken only by name, and back for everyone once unreserved. */
static void
test_pool6_fixed(void)
{
	uint8_t net[16], fixed[16], x[16];
	struct pool *p;

	a6("2001:db8:1::", net);
	CHECK((p = pool_new6(net, 64)) != NULL);
	a6("2001:db8:1::2", fixed);
	CHECK(pool_reserve6(p, fixed) == 0);
	CHECK(pool_take_lowest6(p, x) == 0 && is6(x, "2001:db8:1::3"));
	CHECK(pool_take6(p, fixed) == 0 && pool_in_use(p) == 2);
	CHECK(pool_take6(p, fixed) == -1);		/* taken */
	pool_release6(p, fixed);
	pool_unreserve6(p, fixed);
	CHECK(pool_take_lowest6(p, x) == 0 && is6(x, "2001:db8:1::2"));
	a6("2001:db8:1::1", x);
	CHECK(pool_reserve6(p, x) == -1 && pool_take6(p, x) == -1);
	a6("2001:db8:2::2", x);
	CHECK(pool_reserve6(p, x) == -1 && pool_take6(p, x) == -1);
	pool_unreserve6(p, x);				/* not ours: no-op */
	CHECK(pool_in_use(p) == 2);
	pool_free(p);
}

int
main(void)
{
	test_new();
	test_contains();
	test_lowest_reserve_release();
	test_exhaust(30, 1);
	test_exhaust(29, 5);
	test_exhaust(24, 253);
	test_words();
	test_pool6();
	test_pool6_fixed();
	if (failures > 0) {
		fprintf(stderr, "test_pool: %d checks failed\n", failures);
		return 1;
	}
	printf("test_pool: ok\n");
	return 0;
}
