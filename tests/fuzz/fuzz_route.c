/* The guard's route table driven by an op sequence and checked, op by op,
 * against a plain array of what it should hold.
 *
 * Byte 0: capacity (0..63). Then ops, one byte each: bits 0-1 add, add,
 * delete slot, lookup; bit 2 IPv6; bit 3 a whole address follows (else one
 * byte picks one of a few addresses that differ only in their last byte,
 * so entries collide); for add and delete a slot byte follows. */
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "route.h"

#define CAP_MAX 64

struct ref {
	int family;
	uint8_t addr[16];
	uint16_t slot;
};

static struct ref ref[CAP_MAX];
static unsigned nref;

static int
alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static struct ref *
ref_find(int family, const uint8_t *addr)
{
	for (unsigned i = 0; i < nref; i++)
		if (ref[i].family == family &&
		    memcmp(ref[i].addr, addr, alen(family)) == 0)
			return &ref[i];
	return NULL;
}

static void
ref_add(struct route_table *t, unsigned cap, int family,
    const uint8_t *addr, uint16_t slot)
{
	struct ref *r = ref_find(family, addr);
	int rc = route_add(t, family, addr, slot);

	if (r == NULL && nref == cap) {
		CHECK(rc == -1);
		return;
	}
	CHECK(rc == 0);
	if (r == NULL) {
		r = &ref[nref++];
		r->family = family;
		memcpy(r->addr, addr, alen(family));
	}
	r->slot = slot;
}

static void
ref_del(struct route_table *t, uint16_t slot)
{
	unsigned i, n = 0;

	route_del_slot(t, slot);
	for (i = 0; i < nref; i++)
		if (ref[i].slot != slot)
			ref[n++] = ref[i];
	nref = n;
	/* a deletion rebuilds the table: everything else must survive it */
	for (i = 0; i < nref; i++)
		CHECK(route_lookup(t, ref[i].family, ref[i].addr) ==
		    ref[i].slot);
}

static void
ref_lookup(const struct route_table *t, int family, const uint8_t *addr)
{
	struct ref *r = ref_find(family, addr);

	CHECK(route_lookup(t, family, addr) == (r ? r->slot : -1));
}

/* The address an op names; NULL when the input ran out. */
static const uint8_t *
op_addr(uint8_t op, int family, const uint8_t **p, size_t *left,
    uint8_t buf[16])
{
	size_t n = op & 8 ? (size_t)alen(family) : 1;

	if (*left < n)
		return NULL;
	if (op & 8)
		memcpy(buf, *p, n);
	else {
		memset(buf, 0, 16);
		buf[0] = family == AF_INET ? 198 : 0x20;
		buf[1] = family == AF_INET ? 18 : 0x01;
		buf[alen(family) - 1] = **p & 7;
	}
	*p += n;
	*left -= n;
	return buf;
}

static int
run_op(struct route_table *t, unsigned cap, const uint8_t **p, size_t *left)
{
	uint8_t op = *(*p)++, buf[16];
	int family = op & 4 ? AF_INET6 : AF_INET;
	const uint8_t *addr = NULL;
	uint16_t slot;

	(*left)--;
	if ((op & 3) != 2 &&
	    (addr = op_addr(op, family, p, left, buf)) == NULL)
		return -1;
	if ((op & 3) == 3) {
		ref_lookup(t, family, addr);
		return 0;
	}
	if (*left < 1)
		return -1;
	/* 16 slots, so deletions hit, spread up to 0xffff */
	slot = (uint16_t)((*(*p)++ & 15) * 0x1111);
	(*left)--;
	if ((op & 3) == 2)
		ref_del(t, slot);
	else
		ref_add(t, cap, family, addr, slot);
	CHECK(route_count(t) == nref);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_table *t;
	unsigned cap;

	if (size < 1)
		return 0;
	cap = data[0] % CAP_MAX;
	CHECK((t = route_new(cap)) != NULL);
	nref = 0;
	data++;
	size--;
	while (size > 0 && run_op(t, cap, &data, &size) == 0)
		;
	for (unsigned i = 0; i < nref; i++)
		ref_lookup(t, ref[i].family, ref[i].addr);
	/* an unknown family is refused, never read */
	CHECK(route_add(t, AF_UNIX, (const uint8_t *)"", 1) == -1);
	CHECK(route_lookup(t, AF_UNIX, (const uint8_t *)"") == -1);
	route_free(t);
	return 0;
}
