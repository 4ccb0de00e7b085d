/* A data process's side of the guard's queue: qmsg_kind, then
 * qmsg_tun_next over a batch or qmsg_udp_get on a datagram, on bytes in a
 * buffer of their exact size so that ASan sees any read past the end. What
 * was walked must rebuild to the bytes it came from, and whatever is
 * refused must really be malformed. */
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "msg.h"

/* the data process walks with its MTU as max; 0xffff is no limit */
static const size_t maxes[] = { 1500, 0xffff };

/* Walks p as a QMSG_TUN batch (the walk does not look at the kind) and
 * rebuilds it; returns how many records it took. */
static size_t
walk_tun(const uint8_t *p, size_t size, size_t max)
{
	uint8_t *re;
	const uint8_t *pkt;
	size_t pos = 0, plen, fill, n = 0;
	int r;

	CHECK((re = malloc(size + QMSG_HDR_LEN)) != NULL);
	fill = qmsg_tun_start(re);
	while ((r = qmsg_tun_next(p, size, &pos, max, &pkt, &plen)) == 1) {
		CHECK(plen <= max && pkt >= p + QMSG_HDR_LEN +
		    QMSG_TUN_REC_HDR && pkt + plen <= p + size);
		CHECK(pos == (size_t)(pkt - p) + plen);
		fill = qmsg_tun_add(re, fill, pkt, plen);
		CHECK(fill == pos);
		n++;
	}
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		/* the end is where the bytes end, and stays the end */
		CHECK(fill == (size > 0 ? size : QMSG_HDR_LEN));
		CHECK(qmsg_tun_next(p, size, &pos, max, &pkt, &plen) == 0);
	} else {
		/* what is left is a cut header, a cut record or one too long */
		CHECK(fill < size);
		CHECK(size - fill < QMSG_TUN_REC_HDR ||
		    get_u16(p + fill) > size - fill - QMSG_TUN_REC_HDR ||
		    get_u16(p + fill) > max);
	}
	if (size > 0) {
		CHECK(memcmp(re + QMSG_HDR_LEN, p + QMSG_HDR_LEN,
		    fill - QMSG_HDR_LEN) == 0);
		CHECK(p[0] != QMSG_TUN || memcmp(re, p, fill) == 0);
	}
	free(re);
	return n;
}

static void
check_udp(uint8_t *p, size_t size)
{
	struct sockaddr_storage ss;
	uint8_t *dgram, *re, *want;
	size_t dlen;

	if (qmsg_udp_get(p, size, &ss, &dgram, &dlen) == -1) {
		CHECK(size < QMSG_UDP_HDR || p[0] != QMSG_UDP ||
		    (p[1] != 4 && p[1] != 6));
		return;
	}
	CHECK(size >= QMSG_UDP_HDR && p[0] == QMSG_UDP);
	CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	CHECK(dgram == p + QMSG_UDP_HDR && dlen == size - QMSG_UDP_HDR);
	CHECK((re = malloc(size)) != NULL && (want = malloc(size)) != NULL);
	qmsg_udp_put(re, &ss);
	memcpy(re + QMSG_UDP_HDR, dgram, dlen);
	memcpy(want, p, size);
	fuzz_canon_sa(want + QMSG_HDR_LEN);
	CHECK(memcmp(re, want, size) == 0);
	free(re);
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n[2];
	uint8_t *p;

	/* exactly size bytes, so that ASan sees any read past the end */
	CHECK((p = malloc(size > 0 ? size : 1)) != NULL);
	p[0] = 0;
	if (size > 0)
		memcpy(p, data, size);
	CHECK(qmsg_kind(p, size) == (size > 0 ? p[0] : -1));
	for (size_t i = 0; i < 2; i++)
		n[i] = walk_tun(p, size, maxes[i]);
	/* a lower max only ever stops the walk earlier */
	CHECK(n[0] <= n[1]);
	check_udp(p, size);
	free(p);
	return 0;
}
