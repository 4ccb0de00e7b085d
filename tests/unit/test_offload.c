/* Tun offloads: hand-made TCPv4, TCPv6 and UDP super-packets split into
 * segments and coalesced back, every checksum verified by an independent
 * byte-by-byte RFC 1071 sum; and malformed inputs refused. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "offload.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

static int failures;

#define CHECK(c) check((c), #c, __LINE__)

static void
check(bool ok, const char *what, int line)
{
	if (!ok) {
		printf("FAIL line %d: %s\n", line, what);
		failures++;
	}
}

static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long
be32(const uint8_t *p)
{
	return (unsigned long)be16(p) << 16 | be16(p + 2);
}

/* RFC 1071, one 16-bit word at a time. */
static unsigned
rfc1071(const uint8_t *p, size_t n, unsigned long sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (unsigned long)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned)sum;
}

static unsigned long
pseudo(const uint8_t *ip, unsigned proto, size_t l4len)
{
	bool v6 = ip[0] >> 4 == 6;
	unsigned long s = 0;

	for (size_t i = 0; i < (v6 ? 32u : 8u); i += 2)
		s += be16(ip + (v6 ? 8 : 12) + i);
	return s + proto + l4len;
}

/* A whole packet's checksums are right (IPv4 header and L4). */
static bool
csums_ok(const uint8_t *p, size_t len)
{
	bool v6 = p[0] >> 4 == 6;
	size_t iphl = v6 ? 40 : (size_t)(p[0] & 15) * 4;
	unsigned proto = v6 ? p[6] : p[9];

	if (!v6 && rfc1071(p, iphl, 0) != 0xffff)
		return false;
	return rfc1071(p + iphl, len - iphl, pseudo(p, proto,
	    len - iphl)) == 0xffff;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p + 2, (unsigned)v);
}

/* A TCP packet as the kernel hands it to tun for TSO: IPv4 or IPv6,
 * timestamps option, pay bytes of payload, pseudo header sum in the
 * checksum field. Returns its length. */
static size_t
mk_tcp(uint8_t *p, bool v6, size_t pay, uint8_t flags, unsigned long seq)
{
	size_t iphl = v6 ? 40 : 20, len = iphl + 32 + pay;
	uint8_t *t = p + iphl;

	memset(p, 0, iphl + 32);
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, (unsigned)(len - 40));
		p[6] = 6;
		p[7] = 64;
		p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8;
		p[23] = 1;
		p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8;
		p[39] = 2;
	} else {
		p[0] = 0x45;
		put16(p + 2, (unsigned)len);
		put16(p + 4, 0x1234);
		p[6] = 0x40;	/* DF */
		p[8] = 64;
		p[9] = 6;
		p[12] = 198; p[13] = 18; p[14] = 0; p[15] = 2;
		p[16] = 203; p[17] = 0; p[18] = 113; p[19] = 7;
		put16(p + 10, rfc1071(p, 20, 0) ^ 0xffff);
	}
	put16(t, 40000);
	put16(t + 2, 5201);
	put32(t + 4, seq);
	put32(t + 8, 0xabcdef01);
	t[12] = 8 << 4;
	t[13] = flags;
	put16(t + 14, 502);
	t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10;	/* NOP NOP TS */
	put32(t + 24, 111);
	put32(t + 28, 222);
	for (size_t i = 0; i < pay; i++)
		t[32 + i] = (uint8_t)(i * 7 + seq);
	put16(t + 16, rfc1071(NULL, 0, pseudo(p, 6, len - iphl)));
	return len;
}

static void
mk_vnet(uint8_t *v, uint8_t type, uint16_t gso, uint16_t hdr_len,
    uint16_t cstart, uint16_t coff)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = type, .hdr_len = hdr_len, .gso_size = gso,
	    .csum_start = cstart, .csum_offset = coff };

	memcpy(v, &h, sizeof(h));
}

static uint8_t big[70000], out[200000], co[OFF_VNET_LEN + OFF_MAX_PKT];
static uint16_t lens[OFF_MAX_SEGS];

/* Splits a TCP super-packet of pay bytes, checks every segment, then
 * coalesces them and checks the result against the original. */
static void
tcp_round_trip(bool v6, size_t pay, size_t gso, size_t mtu)
{
	size_t iphl = v6 ? 40 : 20, hdr = iphl + 32, len, at = 0, seg;
	uint8_t vnet[OFF_VNET_LEN], flags = 0x10 | 0x08 | 0x01 | 0x80;
	unsigned long seq0 = 0xfffff000;	/* wraps inside the run */
	struct off_coalesce c;
	int n, want;

	len = mk_tcp(big, v6, pay, flags, seq0);
	mk_vnet(vnet, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
	    (uint16_t)gso, (uint16_t)hdr, (uint16_t)iphl, 16);
	seg = gso + hdr <= mtu ? gso : mtu - hdr;
	want = (int)((pay + seg - 1) / seg);
	n = off_segment(vnet, big, len, mtu, 4, out, sizeof(out), lens,
	    OFF_MAX_SEGS);
	CHECK(n == want);
	if (n != want)
		return;
	for (int i = 0; i < n; i++) {
		uint8_t *s = out + at + 4, *t = s + iphl;
		size_t chunk = i + 1 < n ? seg : pay - (size_t)(n - 1) * seg;

		CHECK(lens[i] == hdr + chunk);
		CHECK(csums_ok(s, lens[i]));
		CHECK(be16(v6 ? s + 4 : s + 2) == (v6 ? lens[i] - 40u : lens[i]));
		if (!v6)
			CHECK(be16(s + 4) == 0x1234u + (unsigned)i);
		CHECK(be32(t + 4) == ((seq0 + (unsigned long)i * seg) &
		    0xffffffffUL));
		CHECK(((t[13] & 0x01) != 0) == (i == n - 1));	/* FIN */
		CHECK(((t[13] & 0x08) != 0) == (i == n - 1));	/* PSH */
		CHECK(((t[13] & 0x80) != 0) == (i == 0));	/* CWR */
		CHECK((t[13] & 0x10) != 0);
		CHECK(memcmp(t + 32, big + hdr + (size_t)i * seg, chunk) == 0);
		at += 4 + lens[i];
	}

	/* Without FIN and CWR the segments coalesce back into one. */
	len = mk_tcp(big, v6, pay, 0x10 | 0x08, seq0);
	n = off_segment(vnet, big, len, mtu, 0, out, sizeof(out), lens,
	    OFF_MAX_SEGS);
	CHECK(n == want);
	off_coalesce_init(&c, co);
	at = 0;
	for (int i = 0; i < n; i++) {
		if (i == 0)
			CHECK(n == 1 ? !off_coalesce_start(&c, out, lens[0]) :
			    off_coalesce_start(&c, out, lens[0]));
		else
			CHECK(off_coalesce_append(&c, out + at, lens[i]));
		at += lens[i];
	}
	if (n < 2)
		return;
	/* Nothing more after PSH. */
	CHECK(!off_coalesce_append(&c, out, lens[0]));
	size_t cl = off_coalesce_finish(&c);
	struct virtio_net_hdr h;

	CHECK(cl == OFF_VNET_LEN + len);
	memcpy(&h, co, sizeof(h));
	CHECK(h.gso_type == (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
	    VIRTIO_NET_HDR_GSO_TCPV4));
	CHECK(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK(h.gso_size == seg);
	CHECK(h.hdr_len == hdr);
	CHECK(h.csum_start == iphl && h.csum_offset == 16);
	/* Same bytes as the original (which also carries the pseudo header
	 * sum in its checksum field), but the IPv4 id. */
	uint8_t *p = co + OFF_VNET_LEN;
	CHECK(memcmp(p + hdr, big + hdr, pay) == 0);
	CHECK(be16(p + iphl + 16) == be16(big + iphl + 16));
	CHECK(p[iphl + 13] == (0x10 | 0x08));
	if (!v6)
		CHECK(rfc1071(p, 20, 0) == 0xffff && be16(p + 2) == len);
	else
		CHECK(be16(p + 4) == len - 40);
	/* Completed as the kernel would: the checksum is right. */
	put16(p + iphl + 16, rfc1071(p + iphl, len - iphl, 0) ^ 0xffff);
	CHECK(csums_ok(p, len));
	CHECK(off_coalesce_finish(&c) == 0);
}

static void
udp_split(bool v6)
{
	size_t iphl = v6 ? 40 : 20, pay = 2500, len = iphl + 8 + pay, at = 0;
	uint8_t vnet[OFF_VNET_LEN];
	struct off_coalesce c;
	int n;

	mk_tcp(big, v6, 0, 0, 0);	/* the IP header */
	if (v6) {
		big[6] = 17;
		put16(big + 4, (unsigned)(len - 40));
	} else {
		big[9] = 17;
		put16(big + 2, (unsigned)len);
		put16(big + 10, 0);
		put16(big + 10, rfc1071(big, 20, 0) ^ 0xffff);
	}
	put16(big + iphl, 5353);
	put16(big + iphl + 2, 53);
	put16(big + iphl + 4, (unsigned)(len - iphl));
	for (size_t i = 0; i < pay; i++)
		big[iphl + 8 + i] = (uint8_t)(i ^ 0x5a);
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_UDP_L4, 1000, (uint16_t)(iphl + 8),
	    (uint16_t)iphl, 6);
	n = off_segment(vnet, big, len, 1420, 0, out, sizeof(out), lens,
	    OFF_MAX_SEGS);
	CHECK(n == 3);
	off_coalesce_init(&c, co);
	for (int i = 0; i < n && n == 3; i++) {
		size_t chunk = i < 2 ? 1000 : 500;

		CHECK(lens[i] == iphl + 8 + chunk);
		CHECK(be16(out + at + iphl + 4) == 8 + chunk);
		CHECK(csums_ok(out + at, lens[i]));
		CHECK(memcmp(out + at + iphl + 8, big + iphl + 8 + i * 1000,
		    chunk) == 0);
		CHECK(!off_coalesce_start(&c, out + at, lens[i]));
		at += lens[i];
	}
	/* A UDP datagram cannot be cut below its segment size. */
	CHECK(off_segment(vnet, big, len, 1000, 0, out, sizeof(out), lens,
	    OFF_MAX_SEGS) == -1);
}

static void
csum_only(void)
{
	uint8_t vnet[OFF_VNET_LEN];
	size_t len = mk_tcp(big, false, 300, 0x18, 7);

	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 20, 16);
	CHECK(!off_vnet_plain(vnet));
	CHECK(off_segment(vnet, big, len, 1420, 0, out, sizeof(out), lens,
	    1) == 1);
	CHECK(lens[0] == len && csums_ok(out, len));
	/* The checksum field is past the end. */
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_NONE, 0, 0, (uint16_t)len, 16);
	CHECK(off_segment(vnet, big, len, 1420, 0, out, sizeof(out), lens,
	    1) == -1);
	off_vnet_put_plain(vnet);
	CHECK(off_vnet_plain(vnet));
	CHECK(off_segment(vnet, big, len, 1420, 0, out, sizeof(out), lens,
	    1) == 1 && memcmp(out, big, len) == 0);
	CHECK(off_segment(vnet, big, len, 100, 0, out, sizeof(out), lens,
	    1) == -1);
}

static void
malformed(void)
{
	uint8_t vnet[OFF_VNET_LEN], save;
	size_t len = mk_tcp(big, false, 5000, 0x10, 1);

#define SEG(l) off_segment(vnet, big, (l), 1420, 0, out, sizeof(out), \
	lens, OFF_MAX_SEGS)
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 52, 20, 16);
	CHECK(SEG(len) == 5);
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_TCPV4, 0, 52, 20, 16);
	CHECK(SEG(len) == -1);				/* gso_size 0 */
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 60000, 20, 16);
	CHECK(SEG(len) == -1);				/* hdr_len */
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_TCPV6, 1000, 52, 20, 16);
	CHECK(SEG(len) == -1);				/* wrong family */
	mk_vnet(vnet, 77, 1000, 52, 20, 16);
	CHECK(SEG(len) == -1);				/* unknown type */
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_UDP_L4, 1000, 28, 20, 6);
	CHECK(SEG(len) == -1);				/* not UDP */
	mk_vnet(vnet, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 52, 20, 16);
	CHECK(SEG(len - 1) == -1);			/* truncated */
	CHECK(SEG(19) == -1);
	CHECK(SEG(45) == -1);				/* inside TCP */
	CHECK(off_segment(vnet, big, len, 1420, 0, out, 3000, lens,
	    OFF_MAX_SEGS) == -1);			/* no room */
	CHECK(off_segment(vnet, big, len, 1420, 0, out, sizeof(out), lens,
	    4) == -1);					/* too many */
	CHECK(off_segment(vnet, big, len, 52, 0, out, sizeof(out), lens,
	    OFF_MAX_SEGS) == -1);			/* no room for data */
	save = big[32];
	big[32] = 4 << 4;				/* TCP offset 16 */
	CHECK(SEG(len) == -1);
	big[32] = 15 << 4;				/* past the end: fine */
	CHECK(SEG(len) == 5);
	big[32] = save;
	big[0] = 0x44;					/* IHL 16 */
	CHECK(SEG(len) == -1);
	big[0] = 0x45;
	big[6] |= 0x20;					/* a fragment */
	CHECK(SEG(len) == -1);
	big[6] &= (uint8_t)~0x20;
	put16(big + 2, 100);				/* IP length */
	CHECK(SEG(len) == -1);
#undef SEG
}

static void
coalesce_refusals(void)
{
	struct off_coalesce c;
	size_t l1, l2;
	uint8_t *a = big, *b = big + 2000;

	off_coalesce_init(&c, co);
	CHECK(off_coalesce_finish(&c) == 0);
	CHECK(!off_coalesce_append(&c, a, 0));
	l1 = mk_tcp(a, false, 1000, 0x10, 1000);
	l2 = mk_tcp(b, false, 1000, 0x10, 2000);
	/* mk_tcp leaves a pseudo header sum: complete both checksums. */
	put16(a + 36, rfc1071(a + 20, l1 - 20, 0) ^ 0xffff);
	put16(b + 36, rfc1071(b + 20, l2 - 20, 0) ^ 0xffff);
	CHECK(off_coalesce_start(&c, a, l1));
	b[23] ^= 1;					/* other port */
	put16(b + 36, 0);
	put16(b + 36, rfc1071(b + 20, l2 - 20, pseudo(b, 6, l2 - 20)) ^ 0xffff);
	CHECK(!off_coalesce_append(&c, b, l2));
	b[23] ^= 1;
	put16(b + 36, 0);
	put16(b + 36, rfc1071(b + 20, l2 - 20, pseudo(b, 6, l2 - 20)) ^ 0xffff);
	CHECK(off_coalesce_append(&c, b, l2));
	CHECK(!off_coalesce_append(&c, b, l2));		/* seq gap */
	CHECK(off_coalesce_finish(&c) == OFF_VNET_LEN + l1 + 1000);
	b[100] ^= 1;					/* bad checksum */
	CHECK(!off_coalesce_start(&c, b, l2));
	b[100] ^= 1;
	b[33] = 0x12;					/* SYN */
	CHECK(!off_coalesce_start(&c, b, l2));
	b[33] = 0x10;
	CHECK(!off_coalesce_start(&c, b, 30));		/* truncated */
	CHECK(!off_coalesce_start(&c, b, l2 - 1));	/* IP length */
	CHECK(off_coalesce_start(&c, b, l2));
	/* One segment alone goes out as it came, with a plain header. */
	CHECK(off_coalesce_finish(&c) == OFF_VNET_LEN + l2);
	CHECK(off_vnet_plain(co) && memcmp(co + OFF_VNET_LEN, b, l2) == 0);
}

int
main(void)
{
	tcp_round_trip(false, 5000, 1000, 1420);
	tcp_round_trip(false, 64000, 1368, 1420);
	tcp_round_trip(false, 3000, 1448, 1420);	/* re-cut by mtu */
	tcp_round_trip(false, 1000, 1000, 1420);	/* one segment */
	tcp_round_trip(true, 5001, 1000, 1420);
	tcp_round_trip(true, 60000, 1348, 1420);
	udp_split(false);
	udp_split(true);
	csum_only();
	malformed();
	coalesce_refusals();
	if (failures)
		printf("%d failures\n", failures);
	else
		printf("ok\n");
	return failures != 0;
}
