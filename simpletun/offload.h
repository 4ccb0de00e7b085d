/* Tun offloads in userspace: split a super-packet read from tun (with its
 * virtio_net_hdr) into MTU-sized packets, and coalesce consecutive segments
 * of one TCP flow back into one super-packet for tun. Pure functions on
 * buffers: no I/O, no allocation. */
#ifndef OFFLOAD_H
#define OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr, in the host's byte order, in front of every
 * packet read from or written to a tun opened with IFF_VNET_HDR. */
#define OFF_VNET_LEN 10
#define OFF_MAX_SEGS 64		/* segments of one super-packet */
#define OFF_MAX_PKT 65535	/* an IP packet, vnet header not included */

/* Splits pkt (len bytes after the vnet header vnet) into at most maxsegs
 * packets of at most mtu bytes, each complete (lengths, IP ids, TCP
 * sequence numbers and flags, checksums), laid out in out one after the
 * other, each after headroom bytes the caller fills; a packet that needs
 * no splitting but a checksum gets it. seglen[i] is the length of packet
 * i (headroom not included). Returns the number of packets or -1 if the
 * packet or its header is malformed or does not fit. */
int off_segment(const uint8_t vnet[OFF_VNET_LEN], const uint8_t *pkt,
    size_t len, size_t mtu, size_t headroom, uint8_t *out, size_t cap,
    uint16_t *seglen, size_t maxsegs);
/* True if the vnet header asks for nothing: pkt can go out as it is. */
bool off_vnet_plain(const uint8_t vnet[OFF_VNET_LEN]);
/* Writes the vnet header of a packet that asks for nothing. */
void off_vnet_put_plain(uint8_t vnet[OFF_VNET_LEN]);

/* The TCP coalescer: one pending super-packet in a buffer of its owner's,
 * which must hold OFF_VNET_LEN + OFF_MAX_PKT bytes. */
struct off_coalesce {
	uint8_t *buf;		/* vnet header | packet */
	size_t len;		/* packet bytes; 0: nothing pending */
	size_t iphl, hdrl;	/* IP header, IP + TCP headers */
	size_t gso;		/* payload bytes of each segment */
	uint32_t next_seq;
	unsigned nseg;
	bool closed;		/* a short or PSH segment ended it */
};

void off_coalesce_init(struct off_coalesce *c, uint8_t *buf);
/* Appends pkt if it continues the pending super-packet (same flow and
 * headers, next sequence number, plain ACK or ACK|PSH, valid checksums,
 * no longer than the first segment); false if it does not. */
bool off_coalesce_append(struct off_coalesce *c, const uint8_t *pkt,
    size_t len);
/* Starts a new super-packet with pkt if it is a TCP segment that could
 * take more; false (nothing copied) if not. The caller has finished the
 * pending one first. */
bool off_coalesce_start(struct off_coalesce *c, const uint8_t *pkt,
    size_t len);
/* Completes the pending super-packet (vnet header, lengths, IPv4 header
 * checksum, TCP pseudo-header sum) and returns its bytes at c->buf, vnet
 * header included; 0 if none was pending. Nothing is pending after. */
size_t off_coalesce_finish(struct off_coalesce *c);

/* The Internet checksum of buf, to be stored as it is (network order in
 * memory), starting from a partial sum. */
uint16_t off_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif
