/* Segmentation of tun super-packets and coalescing of TCP segments, as
 * the kernel's GSO and GRO would do them, for a tun opened with
 * IFF_VNET_HDR (see offload.h). Nothing here trusts a length it has not
 * checked against the buffer; a malformed packet is refused, never
 * guessed at. */
#include <string.h>

#include <linux/virtio_net.h>

#include "offload.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v & 0xffff);
}

/* Ones' complement sum in big-endian 16-bit words. The sum does not
 * depend on byte order but for a swap at the end (RFC 1071), so the bulk
 * is added as native 32-bit words, 16 bytes a round. */
static uint64_t
csum_add(const uint8_t *p, size_t n, uint64_t sum)
{
	uint64_t a = 0, b = 0;
	uint32_t w[4];
	uint8_t be[2];
	uint16_t h;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(w, p, sizeof(w));
		a += (uint64_t)w[0] + w[1];
		b += (uint64_t)w[2] + w[3];
	}
	for (; n >= 4; p += 4, n -= 4)
		sum += rd32(p);
	if (n >= 2) {
		sum += rd16(p);
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)p[0] << 8;
	a += b;
	while (a >> 16)
		a = (a & 0xffff) + (a >> 16);
	h = (uint16_t)a;
	memcpy(be, &h, 2);
	return sum + rd16(be);
}

static uint16_t
csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
off_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
	uint16_t c = (uint16_t)~csum_fold(csum_add(buf, len, sum));
	uint8_t be[2];
	uint16_t v;

	wr16(be, c);
	memcpy(&v, be, 2);
	return v;
}

/* The pseudo header's sum; ip is an IPv4 or IPv6 header. */
static uint64_t
csum_pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	bool v6 = ip[0] >> 4 == 6;

	return csum_add(ip + (v6 ? 8 : 12), v6 ? 32 : 8, 0) + proto + l4len;
}

/* The L4 checksum of a complete packet, written into it. */
static void
csum_l4_set(uint8_t *ip, size_t iphl, size_t len, uint8_t proto)
{
	uint8_t *l4 = ip + iphl;
	size_t at = proto == IPPROTO_TCP_ ? 16 : 6;
	uint16_t c;

	wr16(l4 + at, 0);
	c = (uint16_t)~csum_fold(csum_add(l4, len - iphl,
	    csum_pseudo(ip, proto, len - iphl)));
	if (c == 0 && proto == IPPROTO_UDP_)
		c = 0xffff;	/* 0 would mean "no checksum" */
	wr16(l4 + at, c);
}

static void
csum_ip4_set(uint8_t *ip, size_t iphl)
{
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~csum_fold(csum_add(ip, iphl, 0)));
}

struct vnet {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

static void
vnet_get(const uint8_t p[OFF_VNET_LEN], struct vnet *v)
{
	struct virtio_net_hdr h;

	memcpy(&h, p, sizeof(h));
	*v = (struct vnet){ h.flags, h.gso_type, h.hdr_len, h.gso_size,
	    h.csum_start, h.csum_offset };
}

static void
vnet_put(uint8_t p[OFF_VNET_LEN], const struct vnet *v)
{
	struct virtio_net_hdr h = { .flags = v->flags,
	    .gso_type = v->gso_type, .hdr_len = v->hdr_len,
	    .gso_size = v->gso_size, .csum_start = v->csum_start,
	    .csum_offset = v->csum_offset };

	memcpy(p, &h, sizeof(h));
}

bool
off_vnet_plain(const uint8_t vnet[OFF_VNET_LEN])
{
	struct vnet v;

	vnet_get(vnet, &v);
	return v.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    !(v.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
}

void
off_vnet_put_plain(uint8_t vnet[OFF_VNET_LEN])
{
	memset(vnet, 0, OFF_VNET_LEN);
}

/* The headers of a packet to split: IP header length, L4 header length
 * and protocol, checked against len. -1 if they do not parse or do not
 * match what the vnet header says. */
static int
seg_headers(const struct vnet *v, const uint8_t *p, size_t len,
    size_t *iphl, size_t *l4hl)
{
	uint8_t proto, want;

	if (len < 20)
		return -1;
	if (p[0] >> 4 == 4 && v->gso_type != VIRTIO_NET_HDR_GSO_TCPV6) {
		*iphl = (size_t)(p[0] & 0x0f) * 4;
		if (*iphl < 20 || rd16(p + 2) != len ||
		    (rd16(p + 6) & 0x3fff) != 0)	/* a fragment */
			return -1;
		proto = p[9];
	} else if (p[0] >> 4 == 6 && len >= 40 &&
	    v->gso_type != VIRTIO_NET_HDR_GSO_TCPV4) {
		*iphl = 40;
		if (rd16(p + 4) + 40u != len)
			return -1;
		proto = p[6];	/* extension headers are not split */
	} else
		return -1;
	want = v->gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? IPPROTO_UDP_ :
	    IPPROTO_TCP_;
	if (proto != want || len < *iphl + (proto == IPPROTO_TCP_ ? 20 : 8))
		return -1;
	*l4hl = proto == IPPROTO_TCP_ ? (size_t)(p[*iphl + 12] >> 4) * 4 : 8;
	if (*l4hl < (proto == IPPROTO_TCP_ ? 20u : 8u) || *iphl + *l4hl > len)
		return -1;
	return 0;
}

/* Segment i of n: headers of the original with this segment's lengths,
 * id, sequence number and flags, then its payload; checksums last. */
static void
seg_fix(uint8_t *s, size_t iphl, size_t l4hl, size_t slen, unsigned i,
    unsigned n, size_t pay)
{
	uint8_t proto;

	if (s[0] >> 4 == 4) {
		proto = s[9];
		wr16(s + 2, (uint16_t)slen);
		wr16(s + 4, (uint16_t)(rd16(s + 4) + i));
		csum_ip4_set(s, iphl);
	} else {
		proto = s[6];
		wr16(s + 4, (uint16_t)(slen - 40));
	}
	if (proto == IPPROTO_TCP_) {
		uint8_t *t = s + iphl;

		wr32(t + 4, rd32(t + 4) + (uint32_t)(i * pay));
		if (i + 1 < n)
			t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			t[13] &= (uint8_t)~TCP_CWR;
	} else
		wr16(s + iphl + 4, (uint16_t)(slen - iphl));
	(void)l4hl;
	csum_l4_set(s, iphl, slen, proto);
}

/* A packet that is not split but whose checksum the kernel left to us:
 * the field holds the pseudo header's sum, so summing from csum_start to
 * the end and complementing completes it. */
static int
seg_csum_only(const struct vnet *v, const uint8_t *pkt, size_t len,
    size_t headroom, uint8_t *out, size_t cap, uint16_t *seglen)
{
	uint8_t *p = out + headroom;
	size_t at = (size_t)v->csum_start + v->csum_offset;

	if (len > OFF_MAX_PKT || headroom + len > cap || at + 2 > len ||
	    v->csum_start >= len)
		return -1;
	memcpy(p, pkt, len);
	wr16(p + at, (uint16_t)~csum_fold(csum_add(p + v->csum_start,
	    len - v->csum_start, 0)));
	seglen[0] = (uint16_t)len;
	return 1;
}

int
off_segment(const uint8_t vnet[OFF_VNET_LEN], const uint8_t *pkt,
    size_t len, size_t mtu, size_t headroom, uint8_t *out, size_t cap,
    uint16_t *seglen, size_t maxsegs)
{
	struct vnet v;
	size_t iphl, l4hl, hdr, pay, total, at = 0;
	unsigned n;

	vnet_get(vnet, &v);
	if (maxsegs == 0 || len > OFF_MAX_PKT + 40)
		return -1;
	if (v.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (!(v.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return len <= mtu && headroom + len <= cap &&
			    len <= OFF_MAX_PKT ? (memcpy(out + headroom, pkt,
			    len), seglen[0] = (uint16_t)len, 1) : -1;
		return len <= mtu ? seg_csum_only(&v, pkt, len, headroom, out,
		    cap, seglen) : -1;
	}
	if ((v.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    v.gso_type != VIRTIO_NET_HDR_GSO_TCPV6 &&
	    v.gso_type != VIRTIO_NET_HDR_GSO_UDP_L4) || v.gso_size == 0 ||
	    v.hdr_len > len || seg_headers(&v, pkt, len, &iphl, &l4hl) == -1)
		return -1;
	hdr = iphl + l4hl;
	if (hdr >= mtu)
		return -1;
	pay = v.gso_size;
	if (hdr + pay > mtu) {
		/* A UDP segment is a datagram: it cannot be cut smaller. */
		if (v.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4)
			return -1;
		pay = mtu - hdr;
	}
	total = len - hdr;
	n = total == 0 ? 1 : (unsigned)((total + pay - 1) / pay);
	if (n > maxsegs || n * (headroom + hdr) + total > cap)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		size_t chunk = total - i * pay < pay ? total - i * pay : pay;
		uint8_t *s = out + at + headroom;

		memcpy(s, pkt, hdr);
		memcpy(s + hdr, pkt + hdr + i * pay, chunk);
		seg_fix(s, iphl, l4hl, hdr + chunk, i, n, pay);
		seglen[i] = (uint16_t)(hdr + chunk);
		at += headroom + hdr + chunk;
	}
	return (int)n;
}

/* --- coalescing --- */

void
off_coalesce_init(struct off_coalesce *c, uint8_t *buf)
{
	*c = (struct off_coalesce){ .buf = buf };
}

/* A TCP segment that may be coalesced: its IP and TCP header lengths,
 * payload, flags; checksums verified (the kernel will trust the
 * super-packet's, so a corrupt segment must not hide inside one). */
struct tcpseg {
	size_t iphl, hdrl, pay;
	uint8_t flags;
};

static bool
tcp_parse(const uint8_t *p, size_t len, struct tcpseg *s)
{
	const uint8_t *t;

	if (len < 40 || len > OFF_MAX_PKT)
		return false;
	if (p[0] >> 4 == 4) {
		s->iphl = (size_t)(p[0] & 0x0f) * 4;
		/* the header's length first: the checksum reads all of it */
		if (s->iphl < 20 || s->iphl + 20 > len || rd16(p + 2) != len ||
		    p[9] != IPPROTO_TCP_ ||
		    (rd16(p + 6) & 0x3fff) != 0 ||
		    csum_fold(csum_add(p, s->iphl, 0)) != 0xffff)
			return false;
	} else if (p[0] >> 4 == 6 && len >= 60) {
		s->iphl = 40;
		if (rd16(p + 4) + 40u != len || p[6] != IPPROTO_TCP_)
			return false;
	} else
		return false;
	if (s->iphl + 20 > len)
		return false;
	t = p + s->iphl;
	s->hdrl = s->iphl + (size_t)(t[12] >> 4) * 4;
	if (s->hdrl < s->iphl + 20 || s->hdrl >= len)
		return false;	/* no payload: nothing to coalesce */
	s->pay = len - s->hdrl;
	s->flags = t[13];
	if ((s->flags & ~TCP_PSH) != TCP_ACK)
		return false;
	return csum_fold(csum_add(t, len - s->iphl,
	    csum_pseudo(p, IPPROTO_TCP_, len - s->iphl))) == 0xffff;
}

/* Same flow and same headers but for what changes per segment: IPv4
 * length, id, checksum; IPv6 payload length; TCP sequence number, flags
 * (PSH), window and checksum. */
static bool
tcp_same(const uint8_t *a, const uint8_t *b, size_t iphl, size_t hdrl)
{
	if (a[0] >> 4 == 4) {
		if (a[0] != b[0] || a[1] != b[1] || a[6] != b[6] ||
		    memcmp(a + 8, b + 8, 2) != 0 ||
		    memcmp(a + 12, b + 12, iphl - 12) != 0)
			return false;
	} else if (memcmp(a, b, 4) != 0 || memcmp(a + 6, b + 6, 34) != 0)
		return false;
	return memcmp(a + iphl, b + iphl, 4) == 0 &&		/* ports */
	    memcmp(a + iphl + 8, b + iphl + 8, 5) == 0 &&	/* ack, off */
	    memcmp(a + iphl + 18, b + iphl + 18, hdrl - iphl - 18) == 0;
}

bool
off_coalesce_start(struct off_coalesce *c, const uint8_t *pkt, size_t len)
{
	struct tcpseg s;

	if (!tcp_parse(pkt, len, &s) || (s.flags & TCP_PSH))
		return false;
	memcpy(c->buf + OFF_VNET_LEN, pkt, len);
	c->len = len;
	c->iphl = s.iphl;
	c->hdrl = s.hdrl;
	c->gso = s.pay;
	c->next_seq = rd32(pkt + s.iphl + 4) + (uint32_t)s.pay;
	c->nseg = 1;
	c->closed = false;
	return true;
}

bool
off_coalesce_append(struct off_coalesce *c, const uint8_t *pkt, size_t len)
{
	struct tcpseg s;
	uint8_t *head = c->buf + OFF_VNET_LEN;

	if (c->len == 0 || c->closed || c->nseg >= OFF_MAX_SEGS ||
	    !tcp_parse(pkt, len, &s) || s.iphl != c->iphl ||
	    s.hdrl != c->hdrl || s.pay > c->gso ||
	    c->len + s.pay > OFF_MAX_PKT ||
	    rd32(pkt + s.iphl + 4) != c->next_seq ||
	    !tcp_same(head, pkt, s.iphl, s.hdrl))
		return false;
	memcpy(head + c->len, pkt + s.hdrl, s.pay);
	c->len += s.pay;
	c->next_seq += (uint32_t)s.pay;
	c->nseg++;
	if (s.flags & TCP_PSH) {
		head[c->iphl + 13] |= TCP_PSH;
		c->closed = true;
	}
	if (s.pay < c->gso)
		c->closed = true;
	return true;
}

size_t
off_coalesce_finish(struct off_coalesce *c)
{
	uint8_t *p = c->buf + OFF_VNET_LEN;
	struct vnet v = { 0 };
	size_t len = c->len;
	bool v6 = p[0] >> 4 == 6;

	if (len == 0)
		return 0;
	c->len = 0;
	if (c->nseg > 1) {
		if (v6)
			wr16(p + 4, (uint16_t)(len - 40));
		else {
			wr16(p + 2, (uint16_t)len);
			csum_ip4_set(p, c->iphl);
		}
		/* The kernel completes the checksum from the pseudo
		 * header's sum, as for a packet it segments itself. */
		wr16(p + c->iphl + 16, csum_fold(csum_pseudo(p, IPPROTO_TCP_,
		    len - c->iphl)));
		v = (struct vnet){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		    .gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
		    VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = (uint16_t)c->hdrl,
		    .gso_size = (uint16_t)c->gso,
		    .csum_start = (uint16_t)c->iphl, .csum_offset = 16 };
	}
	vnet_put(c->buf, &v);
	return OFF_VNET_LEN + len;
}
