/* The guard's route table against a plain array as reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "route.h"

static int failures;

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static void
ip4(uint32_t a, uint8_t out[4])
{
	out[0] = a >> 24;
	out[1] = a >> 16;
	out[2] = a >> 8;
	out[3] = a;
}

static void
test_basic(void)
{
	struct route_table *t = route_new(4);
	uint8_t a[4], b[4], v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	CHECK(t != NULL);
	ip4(0xc6120002, a);
	ip4(0xc6120003, b);
	CHECK(route_lookup(t, AF_INET, a) == -1);
	CHECK(route_add(t, AF_INET, a, 7) == 0);
	CHECK(route_lookup(t, AF_INET, a) == 7);
	CHECK(route_lookup(t, AF_INET, b) == -1);
	CHECK(route_add(t, AF_INET, a, 9) == 0);	/* replaces */
	CHECK(route_lookup(t, AF_INET, a) == 9);
	CHECK(route_add(t, AF_INET6, v6, 9) == 0);
	CHECK(route_lookup(t, AF_INET6, v6) == 9);
	/* the same first four bytes in another family are another address */
	CHECK(route_lookup(t, AF_INET, v6) == -1);
	CHECK(route_add(t, AF_INET, b, 1) == 0);
	CHECK(route_count(t) == 3);
	route_del_slot(t, 9);
	CHECK(route_count(t) == 1);
	CHECK(route_lookup(t, AF_INET, a) == -1);
	CHECK(route_lookup(t, AF_INET6, v6) == -1);
	CHECK(route_lookup(t, AF_INET, b) == 1);
	CHECK(route_add(t, 99, a, 1) == -1);
	route_free(t);
}

static void
test_full(void)
{
	struct route_table *t = route_new(3);
	uint8_t a[4];

	for (uint32_t i = 0; i < 3; i++) {
		ip4(0xc6120010 + i, a);
		CHECK(route_add(t, AF_INET, a, (uint16_t)i) == 0);
	}
	ip4(0xc6120020, a);
	CHECK(route_add(t, AF_INET, a, 5) == -1);
	route_del_slot(t, 1);
	CHECK(route_add(t, AF_INET, a, 5) == 0);
	route_free(t);
}

/* Random adds and slot deletions against a reference map. */
static void
test_random(void)
{
	enum { N = 512, CAP = 256, OPS = 100000 };
	int ref[N];
	unsigned count = 0;
	struct route_table *t = route_new(CAP);
	uint8_t a[4];

	srand(42);
	for (int i = 0; i < N; i++)
		ref[i] = -1;
	for (int op = 0; op < OPS; op++) {
		int i = rand() % N, slot = rand() % 64;

		ip4(0xc6120000 + (uint32_t)i, a);
		if (rand() % 4 == 0) {
			route_del_slot(t, (uint16_t)slot);
			for (int j = 0; j < N; j++)
				if (ref[j] == slot) {
					ref[j] = -1;
					count--;
				}
		} else {
			int r = route_add(t, AF_INET, a, (uint16_t)slot);

			if (ref[i] == -1 && count >= CAP) {
				CHECK(r == -1);
			} else {
				CHECK(r == 0);
				count += ref[i] == -1;
				ref[i] = slot;
			}
		}
		ip4(0xc6120000 + (uint32_t)(rand() % N), a);
		CHECK(route_lookup(t, AF_INET, a) == ref[(a[2] << 8 | a[3]) % N]);
		CHECK(route_count(t) == count);
		if (failures > 10)
			break;
	}
	route_free(t);
}

int
main(void)
{
	test_basic();
	test_full();
	test_random();
	if (failures) {
		fprintf(stderr, "test_route: %d failures\n", failures);
		return 1;
	}
	printf("test_route: ok\n");
	return 0;
}
