/* The guard's decisions on what reaches it: REGISTER and UNREGISTER from
 * the acceptor (framed, as they arrive), stray datagrams (the slot their
 * receiver index names) and tun packets (the slot their destination
 * routes to), driven by an op sequence and checked, op by op, against a
 * plain array of what each slot should hold.
 *
 * Byte 0: slots (1..64). Then ops, one byte each, bits 0-1: register
 * (10 payload bytes follow), unregister (a slot byte follows), datagram
 * (a length byte, then that many bytes, at most 48), tun packet (4
 * address bytes follow). Whatever the guard would refuse must change
 * nothing; a datagram or a packet may only ever reach a slot that holds
 * exactly its index or its address. */
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "msg.h"
#include "packet.h"
#include "route.h"
#include "slots.h"

#define SLOTS_MAX 64

struct ref {
	bool used;
	bool routed;		/* the route of its address is its own */
	uint32_t index, vaddr;
};

static struct ref ref[SLOTS_MAX];

static void
do_unregister(struct slot_table *st, struct route_table *rt, unsigned n,
    unsigned slot)
{
	CHECK(slots_unregister(st, slot) == (slot < n ? 0 : -1));
	if (slot >= n)
		return;
	route_del_slot(rt, (uint16_t)slot);
	ref[slot].used = ref[slot].routed = false;
}

/* As guard_register: the message must parse, then the slot take it. */
static void
do_register(struct slot_table *st, struct route_table *rt, unsigned n,
    const uint8_t *payload)
{
	uint8_t buf[MSG_MAX_LEN], addr[4], reg[26] = { 0 };
	struct msg_register r;
	struct msg m;
	ssize_t len;

	/* the fuzzed slot, index and IPv4 address; no IPv6 address */
	memcpy(reg, payload, 10);
	len = msg_build(buf, sizeof(buf), MSG_REGISTER, reg, sizeof(reg));
	CHECK(len == MSG_HDR_LEN + 26 && msg_parse(buf, (size_t)len, &m) == len);
	CHECK(msg_get_register(&m, &r) == 0);
	if (r.slot >= n) {
		CHECK(slots_register(st, &r) == -1);
		return;
	}
	do_unregister(st, rt, n, r.slot);
	if (slots_register(st, &r) == -1) {
		CHECK((r.index & 0xffff) != r.slot);
		return;
	}
	CHECK((r.index & 0xffff) == r.slot && slots_used(st, r.slot));
	put_u32(addr, r.vaddr);
	if (route_add(rt, AF_INET, addr, r.slot) == -1) {
		do_unregister(st, rt, n, r.slot);
		return;
	}
	/* an address has one route: a newer registration takes it over,
	 * and the older session keeps its slot and index */
	for (unsigned i = 0; i < n; i++)
		if (ref[i].vaddr == r.vaddr)
			ref[i].routed = false;
	ref[r.slot] = (struct ref){ true, true, r.index, r.vaddr };
}

static void
do_datagram(const struct slot_table *st, const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);	/* exact size, for ASan */
	struct pkt_hdr h;
	int slot;

	CHECK(copy != NULL);
	if (len > 0)
		memcpy(copy, p, len);
	slot = slots_for_datagram(st, copy, len);
	if (pkt_parse_hdr(copy, len, &h) == -1)
		CHECK(slot == -1);
	else if (slot >= 0)
		CHECK(ref[slot].used && ref[slot].index == h.index);
	else
		for (unsigned i = 0; i < SLOTS_MAX; i++)
			CHECK(!ref[i].used || ref[i].index != h.index);
	free(copy);
}

static void
do_tun(const struct route_table *rt, unsigned n, const uint8_t *addr)
{
	int slot = route_lookup(rt, AF_INET, addr);

	CHECK(slot >= -1 && slot < (int)n);
	if (slot >= 0)
		CHECK(ref[slot].used && ref[slot].routed &&
		    ref[slot].vaddr == get_u32(addr));
	else
		for (unsigned i = 0; i < n; i++)
			CHECK(!ref[i].routed || ref[i].vaddr != get_u32(addr));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slot_table *st;
	struct route_table *rt;
	unsigned n;
	size_t i = 1;

	if (size < 1)
		return 0;
	n = data[0] % SLOTS_MAX + 1;
	memset(ref, 0, sizeof(ref));
	CHECK((st = slots_new(n)) != NULL && (rt = route_new(n * 2)) != NULL);
	while (i < size) {
		uint8_t op = data[i++];
		size_t len;

		switch (op & 3) {
		case 0:
			if (size - i < 10)
				goto out;
			do_register(st, rt, n, data + i);
			i += 10;
			break;
		case 1:
			if (size - i < 1)
				goto out;
			do_unregister(st, rt, n, data[i++] % (SLOTS_MAX + 8));
			break;
		case 2:
			if (size - i < 1)
				goto out;
			len = data[i++] % 49;
			if (size - i < len)
				goto out;
			do_datagram(st, data + i, len);
			i += len;
			break;
		case 3:
			if (size - i < 4)
				goto out;
			do_tun(rt, n, data + i);
			i += 4;
			break;
		}
	}
out:
	slots_free(st);
	route_free(rt);
	return 0;
}
