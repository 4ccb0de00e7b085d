/* The data processes, one per session on each side. Each owns its UDP
 * socket; the server's reads packets for its client from its message queue
 * (filled by the guard) and the client's reads its tun device. Both write
 * what they open straight to tun. Receive order (DESIGN.md section 4):
 * header checks, key id, replay pre-check, MAC, replay update, decrypt,
 * inner packet checks. Nothing on the per-packet path allocates, fetches an
 * algorithm, keys a context or logs.
 *
 * Tap mode (dev-type tap): frames, not packets. The server's data process
 * keeps the MAC addresses its client may send from (the first it uses, up
 * to max-macs-per-client, aged out after mac-age: a mactable of one slot),
 * writes to the tap what is for the server (its MAC, and every group
 * address), and sends the guard, through a second queue of its own (data
 * -> guard), what other sessions need: frames for other MACs and group
 * addresses (client-to-client only), and a notice of each address it
 * owns (when first seen, then every third of mac-age while in use), so the
 * guard learns MACs only from what an authenticated session sent.
 *
 * Owns: fd 3 (socket to its parent), the socket to its control process,
 * the tun fd (server: written only, seccomp forbids reading it), its UDP
 * socket (server: on the one port, connected to the client's endpoint once
 * a packet from it authenticated) and, on the server, its queue, which it
 * creates under a random name, hands to the guard through the acceptor and
 * unlinks before any packet flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"
#include "mactable.h"
#include "msg.h"
#include "offload.h"
#include "packet.h"
#include "replay.h"
#include "roles.h"
#include "sandbox.h"
#include "stats.h"
#include "tap.h"
#include "tun.h"
#include "util.h"

#define DATA_BATCH 32		/* datagrams per recvmmsg/sendmmsg */
#define DATA_GRO_BATCH 8	/* GRO datagrams (64 KiB each) per recvmmsg */
#define DATA_GSO_MAX 65507	/* bytes of one UDP_SEGMENT send (IPv4) */
#define DATA_GSO_SEGS 64	/* datagrams of one UDP_SEGMENT send */
#define DATA_TX_BYTES (4 * 65536)	/* sealed bytes per flush */
#define DATA_ROUNDS 8		/* batches per direction per wake-up */
#define DATA_STATS_MS 1000
#define DATA_GRACE_MS 60000	/* an old key still opens packets this long */
#define DATA_SEQ_LIMIT (1ULL << 62)	/* far below wrap: end, never reuse */
#define DATA_SETUP_MS 30000
#define DATA_PROBE_MS 1000	/* keepalives until the peer is heard */

struct data_key {
	bool valid;
	bool pending;		/* installed; we send with it once the peer
				   has shown it has it too */
	uint32_t epoch;
	struct pkt_key *tx, *rx;
	struct replay replay;
	uint64_t tx_seq;
	uint64_t expires;	/* ms; 0: does not expire */
};

struct data {
	const struct conf *c;
	bool server;
	int udp, ctl, parent, tun;
	mqd_t queue;

	uint32_t vaddr, server_vaddr, pool, pool_mask;
	struct msg_net6 vaddr6;		/* prefix 128, or 0: no IPv6 */
	struct msg_net6 server6;	/* prefix 128 */
	struct msg_net6 pool6;		/* prefix 0: no pool6 */
	struct {
		uint32_t addr, mask;
	} nets[MSG_NETS_MAX];		/* client-networks: sources the */
	unsigned nnets;			/* client may use besides vaddr */
	struct msg_net6 nets6[MSG_NETS_MAX];	/* and besides vaddr6 */
	unsigned nnets6;
	uint32_t rx_index, tx_index;
	bool c2c;
	uint64_t ka_int, ka_to;		/* ms */
	size_t mtu;

	struct sockaddr_storage peer;	/* ss_family 0: not known yet */
	struct data_key keys[2];	/* by epoch parity */
	int tx;				/* index into keys, -1: none */
	bool rekey_due;
	bool heard;		/* a packet of the peer's authenticated */
	uint64_t now, last_rx, last_tx, next_stats;
	struct data_stats st;

	/* Offloads: tun packets carry a virtio_net_hdr (vnet); our socket
	 * sends sealed batches with UDP_SEGMENT (gso) and receives them
	 * coalesced (gro). */
	bool vnet, gso, gro;
	size_t slot;			/* bytes per receive buffer */
	unsigned rx_batch;
	uint8_t *rx_buf, *tx_buf, *in_buf;
	size_t in_cap;
	bool sparse;		/* the last input batch was one packet */
	struct mmsghdr rx_msg[DATA_BATCH], tx_msg[DATA_BATCH];
	struct iovec rx_iov[DATA_BATCH], tx_iov[DATA_BATCH];
	struct sockaddr_storage rx_from[DATA_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} rx_cm[DATA_BATCH], tx_cm[DATA_BATCH];
	/* Sealed datagrams lie back to back in tx_buf; tx_msg[i] sends a
	 * run of tx_segs[i] of equal size (the last may be shorter). */
	unsigned ntx;
	size_t tx_fill;
	uint16_t tx_seg[DATA_BATCH];
	unsigned tx_segs[DATA_BATCH];
	bool tx_open[DATA_BATCH];
	size_t tx_inner[DATA_BATCH];	/* a run's inner bytes; 0: keepalives */
	/* A super-packet split for sealing, and the TCP coalescer's
	 * super-packet on its way to tun. */
	uint8_t *seg_buf, *co_buf;
	size_t seg_cap, co_bytes;
	uint16_t seg_len[OFF_MAX_SEGS];
	struct off_coalesce co;

	/* tap mode; the rest only on the server */
	bool tap;
	uint8_t server_mac[MAC_LEN];	/* the server's tap */
	struct mactable *macs;		/* our client's, one slot */
	mqd_t up;			/* our queue to the guard (write) */
	int up_rd;			/* its read end, until handed over */
	uint8_t *up_buf;		/* a QMSG_FRAMES batch */
	size_t up_cap, up_fill;
	unsigned up_n;			/* frames in up_buf */
	uint64_t notice_since, next_notice;
};

static void	data_tx(struct data *, uint8_t, const uint8_t *, size_t);
static void	data_tx_flush(struct data *);
static void	data_tap_rx(struct data *, const uint8_t *, size_t);

static noreturn void
data_exit(struct data *d, int code)
{
	for (int i = 0; i < 2; i++) {
		pkt_key_free(d->keys[i].tx);
		pkt_key_free(d->keys[i].rx);
	}
	exit(code);
}

static void
data_send_stats(struct data *d)
{
	uint8_t p[MSG_MAX_PAYLOAD];
	size_t n = stats_encode(&d->st, p, sizeof(p));

	if (n > 0 && msg_send(d->parent, MSG_STATS, p, n) == -1 &&
	    errno != EAGAIN)
		data_exit(d, 0);	/* the parent is gone */
	d->next_stats = d->now + DATA_STATS_MS;
}

/* --- keys --- */

static void
data_tx_switch(struct data *d, int k)
{
	if (d->tx >= 0 && d->tx != k)
		d->keys[d->tx].expires = d->now + DATA_GRACE_MS;
	d->tx = k;
	d->keys[k].pending = false;
	d->st.rekeys += d->st.tx_epoch != d->keys[k].epoch;
	d->st.tx_epoch = d->keys[k].epoch;
}

static void
data_install_keys(struct data *d, const struct msg_keys *mk)
{
	uint32_t epoch = mk->epoch;
	struct data_key *k = &d->keys[epoch & 1];

	if (pkt_key_set(k->tx, epoch & 0xff, mk->tx) == -1 ||
	    pkt_key_set(k->rx, epoch & 0xff, mk->rx) == -1)
		fatalx("cannot key epoch %u", epoch);
	k->valid = true;
	k->epoch = epoch;
	k->tx_seq = 0;
	k->expires = 0;
	replay_init(&k->replay);
	if ((mk->flags & MSG_KEYS_TX_NOW) || d->tx < 0)
		data_tx_switch(d, (int)(epoch & 1));
	else
		k->pending = true;
	log_debug("epoch %u installed", epoch);
}

static void
data_expire_keys(struct data *d)
{
	for (int i = 0; i < 2; i++) {
		struct data_key *k = &d->keys[i];

		if (!k->valid || k->expires == 0 || d->now < k->expires)
			continue;
		/* Overwrite the old material rather than keep it around. */
		pkt_key_free(k->tx);
		pkt_key_free(k->rx);
		k->tx = pkt_key_new();
		k->rx = pkt_key_new();
		if (k->tx == NULL || k->rx == NULL)
			fatal("memory");
		k->valid = false;
	}
}

static struct data_key *
data_rx_key(struct data *d, uint8_t id)
{
	struct data_key *k = &d->keys[id & 1];

	return k->valid && (k->epoch & 0xff) == id ? k : NULL;
}

/* --- receive: UDP -> tun --- */

static bool
inner_ipv4_ok(const uint8_t *p, size_t n)
{
	size_t ihl;

	if (n < 20 || p[0] >> 4 != 4)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	return ihl >= 20 && ihl <= n && get_u16(p + 2) == n;
}

/* The fixed header and a payload length that accounts for every byte. */
static bool
inner_ipv6_ok(const uint8_t *p, size_t n)
{
	return n >= 40 && p[0] >> 4 == 6 && get_u16(p + 4) == n - 40;
}

static bool
inner_ip_ok(const uint8_t *p, size_t n)
{
	return inner_ipv4_ok(p, n) || inner_ipv6_ok(p, n);
}

/* What a client sends from its tun: no IPv6 from a link-local address or
 * to a multicast one. The tunnel is routed: the kernel's neighbour
 * discovery and MLD on tun have no one to talk to (and the server would
 * count them as bad sources). */
static bool
inner_tx_ok(const uint8_t *p, size_t n)
{
	if (inner_ipv4_ok(p, n))
		return true;
	return inner_ipv6_ok(p, n) && !(p[8] == 0xfe && (p[9] & 0xc0) ==
	    0x80) && p[24] != 0xff;
}

/* a lies in net; a prefix of 0 here means none, not everything */
static bool
data_in_net6(const uint8_t *a, const struct msg_net6 *net)
{
	return net->prefix != 0 && msg_net6_holds(net, a);
}

/* The client's own IPv6 address, or one in an IPv6 network behind it. */
static bool
data_source6_ok(const struct data *d, const uint8_t *src)
{
	if (data_in_net6(src, &d->vaddr6))
		return true;
	for (unsigned i = 0; i < d->nnets6; i++)
		if (msg_net6_holds(&d->nets6[i], src))
			return true;
	return false;
}

/* IPv6 from the client: only from its own address (or its
 * client-networks); without client-to-client, not to another client's,
 * at its address or in a network behind it. */
static bool
data_inner6_ok(struct data *d, const uint8_t *p)
{
	bool other;

	if (!data_source6_ok(d, p + 8)) {
		d->st.bad_source++;
		return false;
	}
	other = data_in_net6(p + 24, &d->pool6) ?
	    !data_in_net6(p + 24, &d->server6) :
	    conf_client_net_of6(d->c, p + 24) != -1 &&
	    !data_source6_ok(d, p + 24);
	if (!d->c2c && other) {
		d->st.blocked++;
		return false;
	}
	return true;
}

/* The client's own address, or one in a network behind it. */
static bool
data_source_ok(const struct data *d, uint32_t src)
{
	if (src == d->vaddr)
		return true;
	for (unsigned i = 0; i < d->nnets; i++)
		if ((src & d->nets[i].mask) == d->nets[i].addr)
			return true;
	return false;
}

/* Another client, at its address or in a network behind it. */
static bool
data_other_client(const struct data *d, uint32_t dst)
{
	if ((dst & d->pool_mask) == d->pool)
		return dst != d->server_vaddr;
	return conf_client_net_of(d->c, dst) != -1 && !data_source_ok(d, dst);
}

/* What may enter tun: well-formed IPv4 or IPv6 and, on the server, only
 * from the client's own address (or its client-networks) and,
 * without client-to-client, not to other clients. */
static bool
data_inner_ok(struct data *d, const uint8_t *p, size_t n)
{
	uint32_t dst;

	if (!inner_ip_ok(p, n)) {
		d->st.bad_inner++;
		return false;
	}
	if (!d->server)
		return true;
	if (p[0] >> 4 == 6)
		return data_inner6_ok(d, p);
	if (!data_source_ok(d, get_u32(p + 12))) {
		d->st.bad_source++;
		return false;
	}
	dst = get_u32(p + 16);
	if (!d->c2c && data_other_client(d, dst)) {
		d->st.blocked++;
		return false;
	}
	return true;
}

/* Only authenticated packets move the endpoint, and only forward in
 * sequence, so a replayed old packet from elsewhere cannot steal it. The
 * server connects its socket to the endpoint, so the kernel delivers that
 * endpoint's packets straight to it instead of through the guard. */
static void
data_roam(struct data *d, const struct sockaddr_storage *from, bool newest)
{
	char a[64];

	if (!d->server || (d->peer.ss_family != 0 && (!newest ||
	    sa_equal(from, &d->peer))))
		return;
	if (connect(d->udp, (const struct sockaddr *)from, from->ss_family ==
	    AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6)) == -1) {
		log_warn("connect to %s", sa_str((const struct sockaddr *)from,
		    a, sizeof(a)));
		return;
	}
	d->st.roams += d->peer.ss_family != 0;
	d->peer = *from;
	d->st.endpoint = *from;
	log_info("client endpoint is %s", sa_str((const struct sockaddr *)from,
	    a, sizeof(a)));
	/* Tells the client it was heard, so it stops probing. */
	data_tx(d, PKT_KEEPALIVE, NULL, 0);
	data_tx_flush(d);
}

/* --- tap mode --- */

/* The batch of frames and notices for the guard; a full queue drops it
 * and counts its frames: the guard is never waited for. */
static void
data_up_flush(struct data *d)
{
	if (d->up_fill == 0)
		return;
	if (mq_send(d->up, (const char *)d->up_buf, d->up_fill, 0) == -1)
		d->st.up_dropped += d->up_n;
	d->up_fill = 0;
	d->up_n = 0;
}

/* A frame (or a MAC notice, QMSG_MAC_NOTICE bytes) for the guard. */
static void
data_up_add(struct data *d, const uint8_t *p, size_t len)
{
	bool frame = len != QMSG_MAC_NOTICE;

	if (QMSG_HDR_LEN + QMSG_TUN_REC_HDR + len > d->up_cap) {
		d->st.up_dropped += frame;
		return;
	}
	if (d->up_fill + QMSG_TUN_REC_HDR + len > d->up_cap)
		data_up_flush(d);
	if (d->up_fill == 0)
		d->up_fill = qmsg_frames_start(d->up_buf);
	d->up_fill = qmsg_tun_add(d->up_buf, d->up_fill, p, len);
	d->up_n += frame;
	d->st.up_frames += frame;
}

/* Ethernet/IPv4 ARP: the sender's addresses must be the frame's source
 * and the client's own address (or 0, a probe). */
static bool
data_arp_ok(struct data *d, const uint8_t *f, size_t n)
{
	const uint8_t *a = f + CONF_ETH_HLEN;
	uint32_t sender;

	if (n < CONF_ETH_HLEN + 28 || get_u16(a) != 1 ||
	    get_u16(a + 2) != 0x0800 || a[4] != MAC_LEN || a[5] != 4) {
		d->st.bad_inner++;
		return false;
	}
	sender = get_u32(a + 14);
	if (memcmp(a + 8, f + MAC_LEN, MAC_LEN) != 0 ||
	    (sender != d->vaddr && sender != 0)) {
		d->st.bad_source++;
		return false;
	}
	return true;
}

/* What a frame from our client carries: IPv4 (checked as in tun mode,
 * Ethernet padding aside) or ARP; nothing else (IPv6 is for tun mode,
 * see pool6). */
static bool
data_frame_ok(struct data *d, const uint8_t *f, size_t n)
{
	size_t ip = n - CONF_ETH_HLEN;

	switch (get_u16(f + 12)) {
	case 0x0800:
		if (ip >= 20 && get_u16(f + CONF_ETH_HLEN + 2) >= 20 &&
		    get_u16(f + CONF_ETH_HLEN + 2) < ip)
			ip = get_u16(f + CONF_ETH_HLEN + 2);
		return data_inner_ok(d, f + CONF_ETH_HLEN, ip);
	case 0x0806:
		return data_arp_ok(d, f, n);
	default:
		d->st.bad_inner++;
		return false;
	}
}

static void
data_tap_write(struct data *d, const uint8_t *f, size_t n)
{
	if (write(d->tun, f, n) == (ssize_t)n) {
		d->st.rx_packets++;
		d->st.rx_bytes += (uint64_t)n;
	}
}

/* An authenticated frame. The client writes it to its tap. The server
 * checks it and its source MAC (owned by this session, first seen up to
 * max-macs-per-client; the rest dropped and counted as mac_refused), then
 * writes what is for the server (its MAC, group addresses) to the tap and
 * gives the guard what other sessions need. */
static void
data_tap_rx(struct data *d, const uint8_t *f, size_t n)
{
	bool to_server, group;
	int r;

	if (n < CONF_ETH_HLEN || n > d->mtu) {
		d->st.bad_inner++;
		return;
	}
	if (!d->server) {
		data_tap_write(d, f, n);
		return;
	}
	if (mactable_is_group(f + MAC_LEN) ||
	    memcmp(f + MAC_LEN, d->server_mac, MAC_LEN) == 0) {
		d->st.mac_refused++;	/* nor from a group, nor the server */
		return;
	}
	if (!data_frame_ok(d, f, n))
		return;
	if ((r = mactable_learn(d->macs, f + MAC_LEN, 0, d->now)) ==
	    MACT_REFUSED) {
		d->st.mac_refused++;
		return;
	}
	if (r == MACT_LEARNED)
		data_up_add(d, f + MAC_LEN, MAC_LEN);
	to_server = memcmp(f, d->server_mac, MAC_LEN) == 0;
	group = mactable_is_group(f);
	if (to_server || group)
		data_tap_write(d, f, n);
	if (to_server)
		return;
	if (!d->c2c) {
		d->st.blocked += !group;
		return;
	}
	data_up_add(d, f, n);
}

/* Every third of mac-age, a notice of each address our client used since
 * the last round, so that the guard keeps it while it talks only to the
 * server; then what aged out is forgotten here too. */
static void
data_tap_notices(struct data *d)
{
	uint8_t macs[64][MAC_LEN];
	unsigned n = mactable_slot_macs(d->macs, 0, d->notice_since, macs, 64);

	for (unsigned i = 0; i < n; i++)
		data_up_add(d, macs[i], MAC_LEN);
	data_up_flush(d);
	mactable_expire(d->macs, d->now);
	d->notice_since = d->now;
	d->next_notice = d->now + d->c->mac_age * 1000ULL / 3;
}

/* A queue under a fresh random name (O_EXCL: a squatted name only costs a
 * retry), charged to our uid, of the first size in want[] that the sysctls
 * (EINVAL) and our RLIMIT_MSGQUEUE (EMFILE) allow; oflag is the end we
 * keep. Its name goes to name (64 bytes), for the caller to open the other
 * end and unlink it; its size to got. */
static mqd_t
data_mq_create(const char *kind, const struct mq_attr *want, size_t nwant,
    int oflag, char *name, struct mq_attr *got)
{
	size_t wi = 0;
	uint8_t rnd[12];
	mqd_t q;

	for (int tries = 0; tries < 16; tries++) {
		if (getentropy(rnd, sizeof(rnd)) == -1)
			fatal("getentropy");
		snprintf(name, 64, "/simpletun.%s%02x%02x%02x%02x%02x%02x%02x"
		    "%02x%02x%02x%02x%02x", kind, rnd[0], rnd[1], rnd[2],
		    rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9],
		    rnd[10], rnd[11]);
		q = mq_open(name, oflag | O_CREAT | O_EXCL | O_NONBLOCK |
		    O_CLOEXEC, 0600, (struct mq_attr *)&want[wi]);
		if (q != (mqd_t)-1) {
			*got = want[wi];
			return q;
		}
		if ((errno == EINVAL || errno == EMFILE) && wi + 1 < nwant)
			wi++;
		else if (errno == EMFILE)
			fatalx("create queue (%ld x %ld bytes): the queue "
			    "memory of uid %u (RLIMIT_MSGQUEUE) is used up; does "
			    "another server use this session-users range?",
			    want[wi].mq_maxmsg, want[wi].mq_msgsize,
			    (unsigned)getuid());
		else if (errno != EEXIST)
			fatal("create queue (%ld x %ld bytes)",
			    want[wi].mq_maxmsg, want[wi].mq_msgsize);
	}
	fatalx("no free queue name in 16 tries");
}

/* The queue to the guard, made as data_queue() makes ours; we keep the
 * write end, the read end goes to the guard with our other queue. */
static void
data_up_queue(struct data *d)
{
	static const struct mq_attr want[] = {
		{ .mq_maxmsg = 10, .mq_msgsize = DATA_UP_MSGSIZE },
		{ .mq_maxmsg = 10, .mq_msgsize = 8192 },
	};
	struct mq_attr qa;
	char name[64];

	d->up = data_mq_create("up.", want, sizeof(want) / sizeof(want[0]),
	    O_WRONLY, name, &qa);
	d->up_rd = mq_open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	mq_unlink(name);
	if (d->up_rd == (mqd_t)-1)
		fatal("open the queue to the guard");
	d->up_cap = (size_t)qa.mq_msgsize;
	if ((d->up_buf = malloc(d->up_cap)) == NULL)
		fatal("memory");
}

/* Before the sandbox: the server's MAC, our table and our queue to the
 * guard. */
static void
data_tap_setup(struct data *d)
{
	uint64_t seed;

	if (tap_mac(d->tun, d->server_mac) == -1)
		fatal("the MAC address of the server's tap");
	if (getentropy(&seed, sizeof(seed)) == -1)
		fatal("getentropy");
	d->macs = mactable_new(1, d->c->max_macs, d->c->mac_age * 1000ULL,
	    seed);
	if (d->macs == NULL)
		fatal("memory");
	data_up_queue(d);
}

/* The pending coalesced super-packet, if any, to tun. */
static void
data_tun_flush(struct data *d)
{
	unsigned nseg = d->co.nseg;
	size_t n = off_coalesce_finish(&d->co);

	if (n > 0 && write(d->tun, d->co_buf, n) == (ssize_t)n) {
		d->st.rx_packets += nseg;
		d->st.rx_bytes += d->co_bytes;
	}
}

/* An opened packet to tun: with offloads, into the coalescer if it
 * continues or may start a TCP super-packet, else written alone with a
 * plain vnet header in the OFF_VNET_LEN bytes of headroom before p. */
static void
data_tun_out(struct data *d, uint8_t *p, size_t n)
{
	if (d->vnet) {
		if (off_coalesce_append(&d->co, p, n)) {
			d->co_bytes += n;
			return;
		}
		data_tun_flush(d);
		if (off_coalesce_start(&d->co, p, n)) {
			d->co_bytes = n;
			return;
		}
		p -= OFF_VNET_LEN;
		off_vnet_put_plain(p);
		n += OFF_VNET_LEN;
	}
	if (write(d->tun, p, n) == (ssize_t)n) {
		d->st.rx_packets++;
		d->st.rx_bytes += n - (d->vnet ? OFF_VNET_LEN : 0);
	}
}

static void
data_rx_one(struct data *d, uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	struct pkt_hdr h;
	struct data_key *k;
	ssize_t n;
	bool newest;

	if (pkt_parse_hdr(buf, len, &h) == -1 || h.index != d->rx_index ||
	    (h.type == PKT_KEEPALIVE && len != PKT_OVERHEAD)) {
		d->st.malformed++;
		return;
	}
	if ((k = data_rx_key(d, h.key_id)) == NULL) {
		d->st.unknown_key++;
		return;
	}
	if (!replay_check(&k->replay, h.seq)) {
		d->st.replay++;
		return;
	}
	if ((n = pkt_open(k->rx, buf, len)) < 0) {
		d->st.bad_mac++;
		return;
	}
	newest = replay_update(&k->replay, h.seq);
	d->last_rx = d->now;
	d->st.rx_last_ms = d->now;
	d->st.rx_keepalives += h.type == PKT_KEEPALIVE;
	d->heard = true;
	if (k->pending)
		data_tx_switch(d, (int)(k - d->keys));
	data_roam(d, from, newest);
	if (d->tap && h.type == PKT_DATA) {
		data_tap_rx(d, buf + PKT_HDR_LEN, (size_t)n);
		return;
	}
	if (h.type == PKT_KEEPALIVE || !data_inner_ok(d, buf + PKT_HDR_LEN,
	    (size_t)n))
		return;
	data_tun_out(d, buf + PKT_HDR_LEN, (size_t)n);
}

/* The segment size of a datagram the kernel coalesced (UDP_GRO), or 0. */
static size_t
data_gro_size(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL;
	    c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	return 0;
}

/* One batch; true if there may be more. */
static bool
data_dispatch_udp(struct data *d)
{
	int n;

	for (unsigned i = 0; i < d->rx_batch; i++) {
		d->rx_msg[i].msg_hdr.msg_namelen = sizeof(d->rx_from[i]);
		d->rx_msg[i].msg_hdr.msg_controllen = d->gro ?
		    sizeof(d->rx_cm[i].buf) : 0;
		d->rx_msg[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(d->udp, d->rx_msg, d->rx_batch, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return false;
	for (int i = 0; i < n; i++) {
		uint8_t *p = d->rx_iov[i].iov_base;
		size_t len = d->rx_msg[i].msg_len, seg;

		if (d->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			d->st.malformed++;
			continue;
		}
		/* Datagrams the kernel coalesced: each opened alone. */
		seg = d->gro ? data_gro_size(&d->rx_msg[i].msg_hdr) : 0;
		if (seg == 0)
			seg = len;
		for (size_t at = 0; at < len; at += seg)
			data_rx_one(d, p + at, len - at < seg ? len - at : seg,
			    &d->rx_from[i]);
	}
	data_tun_flush(d);
	return (unsigned)n == d->rx_batch;
}

/* --- send: tun or queue -> UDP --- */

/* Each run of datagrams goes out as one UDP_SEGMENT send, all of them in
 * one sendmmsg. */
static void
data_tx_flush(struct data *d)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < d->ntx; i++) {
		struct msghdr *m = &d->tx_msg[i].msg_hdr;
		struct cmsghdr *c = (struct cmsghdr *)d->tx_cm[i].buf;

		m->msg_control = NULL;
		m->msg_controllen = 0;
		if (d->tx_segs[i] < 2)
			continue;
		m->msg_control = d->tx_cm[i].buf;
		m->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &d->tx_seg[i], sizeof(uint16_t));
	}
	while (sent < d->ntx) {
		int n = sendmmsg(d->udp, d->tx_msg + sent, d->ntx - sent, 0);

		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;	/* full or unreachable: drop the rest */
		}
		for (unsigned i = sent; i < sent + (unsigned)n; i++) {
			if (d->tx_inner[i] == 0) {
				d->st.tx_keepalives += d->tx_segs[i];
				continue;
			}
			d->st.tx_packets += d->tx_segs[i];
			d->st.tx_bytes += d->tx_inner[i];
		}
		sent += (unsigned)n;
	}
	d->st.tx_errors += d->ntx - sent;
	if (sent > 0)
		d->last_tx = d->now;
	d->ntx = 0;
	d->tx_fill = 0;
}

static void
data_tx(struct data *d, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct data_key *k;
	size_t want = len + PKT_OVERHEAD;
	unsigned g = d->ntx - 1;
	bool join;
	uint8_t *out;
	ssize_t n;

	if (d->peer.ss_family == 0) {
		d->st.no_endpoint++;
		return;
	}
	k = &d->keys[d->tx];
	if (k->tx_seq >= DATA_SEQ_LIMIT) {
		if (!d->rekey_due && msg_send(d->ctl, MSG_REKEY_DUE, NULL, 0) == 0)
			d->rekey_due = true;
		return;
	}
	/* Joins the last run if as long as its first (or shorter, which
	 * ends the run), within what one UDP_SEGMENT send takes; keepalives
	 * never join, so a run is all data or all keepalives. */
	join = d->gso && type == PKT_DATA && d->ntx > 0 && d->tx_open[g] &&
	    d->tx_inner[g] != 0 && want <= d->tx_seg[g] &&
	    d->tx_segs[g] < DATA_GSO_SEGS &&
	    d->tx_iov[g].iov_len + want <= DATA_GSO_MAX;
	if ((!join && d->ntx == DATA_BATCH) ||
	    d->tx_fill + want > DATA_TX_BYTES) {
		data_tx_flush(d);
		join = false;
	}
	out = d->tx_buf + d->tx_fill;
	n = pkt_seal(k->tx, type, d->tx_index, ++k->tx_seq, pkt, len, out,
	    DATA_TX_BYTES - d->tx_fill);
	if (n < 0)
		return;
	d->tx_fill += (size_t)n;
	if (join) {
		d->tx_iov[g].iov_len += (size_t)n;
		d->tx_inner[g] += len;
		d->tx_segs[g]++;
		d->tx_open[g] = (size_t)n == d->tx_seg[g];
		return;
	}
	g = d->ntx++;
	d->tx_iov[g] = (struct iovec){ out, (size_t)n };
	d->tx_seg[g] = (uint16_t)n;
	d->tx_segs[g] = 1;
	d->tx_open[g] = true;
	d->tx_inner[g] = type == PKT_DATA ? len : 0;
}

/* A packet from tun (after its vnet header if tun has one): split into
 * MTU-sized packets where the kernel left that to us, then sealed. The
 * client sends only IPv4. */
static void
data_tx_tun(struct data *d, const uint8_t *p, size_t n)
{
	const uint8_t *v = p;
	size_t at = 0;
	int k;

	if (d->vnet) {
		if (n < OFF_VNET_LEN) {
			d->st.bad_inner++;
			return;
		}
		p += OFF_VNET_LEN;
		n -= OFF_VNET_LEN;
	}
	if (!d->vnet || off_vnet_plain(v)) {
		if (n <= d->mtu && (d->server || (d->tap ?
		    n >= CONF_ETH_HLEN : inner_tx_ok(p, n))))
			data_tx(d, PKT_DATA, p, n);
		else
			d->st.bad_inner++;
		return;
	}
	k = off_segment(v, p, n, d->mtu, 0, d->seg_buf, d->seg_cap,
	    d->seg_len, OFF_MAX_SEGS);
	if (k < 0)
		d->st.bad_inner++;
	for (int i = 0; i < k; i++) {
		if (d->server || inner_tx_ok(d->seg_buf + at, d->seg_len[i]))
			data_tx(d, PKT_DATA, d->seg_buf + at, d->seg_len[i]);
		at += d->seg_len[i];
	}
}

/* A queue message from the guard: packets from tun to seal, or one
 * datagram that reached the guard's socket (from an endpoint we are not
 * connected to) to open. The guard built it, so a malformed one is a bug,
 * not an attack. */
static void
data_queue_msg(struct data *d, uint8_t *p, size_t len)
{
	struct sockaddr_storage from;
	const uint8_t *pkt;
	uint8_t *dgram;
	size_t pos = 0, n;
	int r;

	if (qmsg_kind(p, len) == QMSG_UDP) {
		if (qmsg_udp_get(p, len, &from, &dgram, &n) == -1)
			fatalx("malformed datagram from the guard");
		data_rx_one(d, dgram, n, &from);
		data_tun_flush(d);
		return;
	}
	if (qmsg_kind(p, len) != QMSG_TUN)
		fatalx("malformed message from the guard");
	while ((r = qmsg_tun_next(p, len, &pos, d->vnet ? UINT16_MAX : d->mtu,
	    &pkt, &n)) == 1)
		data_tx_tun(d, pkt, n);
	if (r == -1)
		fatalx("malformed batch from the guard");
}

/* One batch: a queue message on the server, DATA_BATCH tun reads on the
 * client; true if there may be more. Latency: while traffic is sparse the
 * first packet is sent before the read that finds nothing more (a ping
 * waits for it); and on the server only a queue message at least half
 * full says the guard has a backlog, so after a small one poll tells
 * whether another came instead of a receive that fails (a syscall per
 * packet on an idle tunnel; a busy one gets full messages). */
static bool
data_dispatch_input(struct data *d)
{
	int reads = d->server ? 1 : DATA_BATCH, i;
	bool more = true;

	for (i = 0; i < reads; i++) {
		ssize_t n;

		if (d->server)
			n = mq_receive(d->queue, (char *)d->in_buf, d->in_cap,
			    NULL);
		else
			n = read(d->tun, d->in_buf, d->in_cap);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fatal(d->server ? "queue" : "tun");
			break;
		}
		if (d->server) {
			data_queue_msg(d, d->in_buf, (size_t)n);
			more = (size_t)n >= d->in_cap / 2;
		} else
			data_tx_tun(d, d->in_buf, (size_t)n);
		if (i == 0 && d->sparse)
			data_tx_flush(d);
	}
	d->sparse = i <= 1;
	data_tx_flush(d);
	return i == reads && more;
}

/* --- the control process --- */

static void
data_keys_msg(struct data *d, const struct msg *m)
{
	struct msg_keys k;

	if (msg_get_keys(m, &k) == -1)
		fatalx("malformed KEYS from the control process");
	data_install_keys(d, &k);
	OPENSSL_cleanse(&k, sizeof(k));
}

static void
data_dispatch_ctl(struct data *d)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(d->ctl, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_KEYS)
		data_keys_msg(d, &m);
	else if (r == 1)
		fatalx("unexpected %s from the control process",
		    msg_name(m.type));
	else if (r == -1)
		fatal("from the control process");
	else
		data_exit(d, 0);	/* the session is over */
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void
data_socket_buffers(int fd)
{
	int buf = 4 << 20;

	/* Bursts from the guard or tun must not overrun the socket. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
	    sizeof(buf)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
	    sizeof(buf)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
}

/* UDP_SEGMENT and UDP_GRO where the kernel has them; one line if not. */
static void
data_udp_offload(struct data *d)
{
	int one = 1, v = 0;
	socklen_t sl = sizeof(v);

	d->gso = getsockopt(d->udp, SOL_UDP, UDP_SEGMENT, &v, &sl) == 0;
	d->gro = setsockopt(d->udp, SOL_UDP, UDP_GRO, &one,
	    sizeof(one)) == 0;
	if (!d->gso || !d->gro)
		log_info("UDP offloads refused by the kernel:%s%s",
		    d->gso ? "" : " UDP_SEGMENT", d->gro ? "" : " UDP_GRO");
}

/* The client's socket, connected to the server's one UDP port. */
static void
data_client_udp(struct data *d)
{
	socklen_t sl = d->peer.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	d->udp = socket(d->peer.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (d->udp == -1)
		fatal("UDP socket");
	data_socket_buffers(d->udp);
	data_udp_offload(d);
	if (connect(d->udp, (struct sockaddr *)&d->peer, sl) == -1)
		fatal("connect UDP");
	d->st.endpoint = d->peer;
}

static void
data_session6(struct data *d, const struct msg_session *s)
{
	memcpy(d->vaddr6.addr, s->vaddr6, 16);
	memcpy(d->server6.addr, s->server_vaddr6, 16);
	memcpy(d->pool6.addr, s->pool6, 16);
	d->pool6.prefix = s->pool6_prefix;
	/* all zero: the session has no IPv6, and :: is no source */
	d->vaddr6.prefix = memcmp(s->vaddr6, (uint8_t[16]){ 0 }, 16) ? 128 :
	    0;
	d->server6.prefix = 128;
}

static void
data_session(struct data *d, const struct msg *m)
{
	struct msg_session s;
	char a[16];

	if (msg_get_session(m, &s) == -1)
		fatalx("malformed SESSION from the control process");
	d->vaddr = s.vaddr;
	d->server_vaddr = s.server_vaddr;
	d->pool = s.pool;
	d->pool_mask = s.pool_prefix ? 0xffffffffu << (32 - s.pool_prefix) :
	    0;
	d->c2c = s.client_to_client;
	data_session6(d, &s);
	d->ka_int = s.keepalive_interval * 1000ULL;
	d->ka_to = s.keepalive_timeout * 1000ULL;
	d->mtu = s.mtu + (d->tap ? CONF_ETH_HLEN : 0);	/* frames in tap */
	d->rx_index = s.rx_index;
	d->tx_index = s.tx_index;
	for (d->nnets = 0; d->nnets < s.nnets; d->nnets++) {
		uint8_t p = s.nets[d->nnets].prefix;

		d->nets[d->nnets].addr = s.nets[d->nnets].addr;
		d->nets[d->nnets].mask = p ? 0xffffffffu << (32 - p) : 0;
	}
	/* only with an IPv6 address of its own does the session carry IPv6 */
	d->nnets6 = d->vaddr6.prefix != 0 ? s.nnets6 : 0;
	memcpy(d->nets6, s.nets6, d->nnets6 * sizeof(d->nets6[0]));
	log_set_client(NULL, ip4_str(d->vaddr, a));
	if (!d->server) {
		if (s.peer.ss_family == 0)
			fatalx("SESSION without the server's endpoint");
		d->peer = s.peer;
		data_client_udp(d);
	}
}

/* SESSION, then KEYS, before anything else. */
static void
data_setup(struct data *d)
{
	struct pollfd pfd = { .fd = d->ctl, .events = POLLIN };
	uint64_t deadline = now_ms() + DATA_SETUP_MS;
	uint8_t buf[MSG_MAX_LEN];
	bool have_session = false;
	struct msg m;
	int r;

	while (d->tx < 0) {
		if (sig_term || now_ms() >= deadline)
			data_exit(d, 0);
		if (poll_wait(&pfd, 1, 1000) <= 0)
			continue;
		if ((r = msg_recv(d->ctl, buf, sizeof(buf), &m)) == 0)
			data_exit(d, 0);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r == 1 && m.type == MSG_SESSION && !have_session) {
			data_session(d, &m);
			have_session = true;
		} else if (r == 1 && m.type == MSG_KEYS && have_session) {
			d->now = now_ms();
			data_keys_msg(d, &m);
			OPENSSL_cleanse(buf, sizeof(buf));
		} else
			fatalx("unexpected message before the session began");
	}
}

/* --- setup and loop --- */

static void
data_keys_new(struct data *d)
{
	for (int i = 0; i < 2; i++) {
		d->keys[i].tx = pkt_key_new();
		d->keys[i].rx = pkt_key_new();
		if (d->keys[i].tx == NULL || d->keys[i].rx == NULL)
			fatal("memory");
	}
}

/* Sized once by the session's MTU and queue; the hot path never
 * allocates. A queue message is a batch of tun packets or one datagram. */
static void
data_buffers(struct data *d, long msgsize)
{
	d->slot = d->gro ? 65536 : d->mtu + PKT_OVERHEAD;
	d->rx_batch = d->gro ? DATA_GRO_BATCH : DATA_BATCH;
	d->in_cap = d->server ? (size_t)msgsize : d->vnet ? OFF_VNET_LEN +
	    65536 : d->mtu;
	d->seg_cap = OFF_MAX_SEGS * d->mtu;
	d->rx_buf = malloc(d->rx_batch * d->slot);
	d->tx_buf = malloc(DATA_TX_BYTES);
	d->in_buf = malloc(d->in_cap);
	d->seg_buf = malloc(d->seg_cap);
	d->co_buf = malloc(OFF_VNET_LEN + OFF_MAX_PKT);
	if (d->rx_buf == NULL || d->tx_buf == NULL || d->in_buf == NULL ||
	    d->seg_buf == NULL || d->co_buf == NULL)
		fatal("memory");
	off_coalesce_init(&d->co, d->co_buf);
	for (int i = 0; i < DATA_BATCH; i++) {
		d->rx_iov[i] = (struct iovec){ d->rx_buf + (i %
		    d->rx_batch) * d->slot, d->slot };
		d->rx_msg[i].msg_hdr = (struct msghdr){
		    .msg_name = &d->rx_from[i], .msg_iov = &d->rx_iov[i],
		    .msg_iovlen = 1, .msg_control = d->rx_cm[i].buf };
		d->tx_msg[i].msg_hdr = (struct msghdr){
		    .msg_iov = &d->tx_iov[i], .msg_iovlen = 1 };
	}
}

/* Our queue: created under a name nobody can guess (O_EXCL, so a squatted
 * name only costs a retry), charged to our own uid, its write end handed to
 * the guard through the acceptor, and its name gone before any packet
 * flows. Deep queues where the system allows them, else the kernel's
 * default for unprivileged processes. */
static long
data_queue(struct data *d)
{
	static const struct mq_attr want[] = {
		{ .mq_maxmsg = DATA_QUEUE_MSGS,
		  .mq_msgsize = DATA_QUEUE_MSGSIZE },
		{ .mq_maxmsg = DATA_QUEUE_MSGS_DEFAULT,
		  .mq_msgsize = DATA_QUEUE_MSGSIZE },
		{ .mq_maxmsg = 32, .mq_msgsize = 16384 },
		{ .mq_maxmsg = 10, .mq_msgsize = 8192 },
	};
	struct mq_attr qa;
	char name[64];
	mqd_t w;

	d->queue = data_mq_create("", want, sizeof(want) / sizeof(want[0]),
	    O_RDONLY, name, &qa);
	w = mq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	mq_unlink(name);
	if (w == (mqd_t)-1)
		fatal("open queue");
	if (msg_send_fds(d->parent, MSG_QUEUE, NULL, 0, (int[]){ w, d->up_rd },
	    d->up_rd == -1 ? 1 : 2) == -1)
		fatal("hand the queue to the acceptor");
	mq_close(w);
	if (d->up_rd != -1)
		mq_close(d->up_rd);
	d->up_rd = -1;
	return qa.mq_msgsize;
}

/* Until the peer has been heard, the client probes often: its first
 * packets may reach the server before its session is routable. */
static uint64_t
data_ka_interval(const struct data *d)
{
	return d->heard || d->server ? d->ka_int : DATA_PROBE_MS;
}

static int
data_timeout(struct data *d)
{
	uint64_t next = d->next_stats;

	if (d->peer.ss_family != 0 && d->last_tx + data_ka_interval(d) < next)
		next = d->last_tx + data_ka_interval(d);
	if (d->last_rx + d->ka_to < next)
		next = d->last_rx + d->ka_to;
	return next > d->now ? (int)(next - d->now) : 0;
}

static void
data_timers(struct data *d)
{
	if (d->now >= d->last_rx + d->ka_to) {
		log_info("peer dead: nothing received for %llu s",
		    (unsigned long long)(d->ka_to / 1000));
		msg_send(d->ctl, MSG_PEER_DEAD, NULL, 0);
		data_exit(d, 0);
	}
	if (d->peer.ss_family != 0 &&
	    d->now >= d->last_tx + data_ka_interval(d)) {
		data_tx(d, PKT_KEEPALIVE, NULL, 0);
		data_tx_flush(d);
	}
	if (d->macs != NULL && d->now >= d->next_notice)
		data_tap_notices(d);
	if (d->now >= d->next_stats) {
		data_expire_keys(d);
		data_send_stats(d);
	}
}

/* The parent writes only LIVE, what a reload changed for running
 * sessions; anything else, or its end, ends us. */
static void
data_dispatch_parent(struct data *d)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg_live l;
	struct msg m;
	int r = msg_recv(d->parent, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && msg_get_live(&m, &l) == 0 && d->server) {
		if (d->c2c != l.client_to_client)
			log_info("client-to-client %s", l.client_to_client ?
			    "on" : "off");
		d->c2c = l.client_to_client;
		return;
	}
	if (r == 1)
		log_warnx("unexpected %s from the parent", msg_name(m.type));
	data_exit(d, 0);
}

static noreturn void
data_loop(struct data *d)
{
	enum { P_UDP, P_INPUT, P_CTL, P_PARENT, P_COUNT };
	struct pollfd pfd[P_COUNT] = {
		[P_UDP] = { .fd = d->udp, .events = POLLIN },
		[P_INPUT] = { .fd = d->server ? (int)d->queue : d->tun,
		    .events = POLLIN },
		[P_CTL] = { .fd = d->ctl, .events = POLLIN },
		[P_PARENT] = { .fd = d->parent, .events = POLLIN },
	};

	for (;;) {
		d->now = now_ms();
		data_timers(d);
		if (sig_term)
			data_exit(d, 0);
		if (poll_wait(pfd, P_COUNT, data_timeout(d)) <= 0)
			continue;
		d->now = now_ms();
		/* Alternate batches of both directions, so that neither
		 * starves the other (or overflows the guard's queue). */
		for (int round = 0; round < DATA_ROUNDS; round++) {
			bool more = false;

			if (pfd[P_UDP].revents)
				more |= data_dispatch_udp(d);
			if (pfd[P_INPUT].revents)
				more |= data_dispatch_input(d);
			if (!more)
				break;
		}
		if (d->macs != NULL)
			data_up_flush(d);
		if (pfd[P_CTL].revents)
			data_dispatch_ctl(d);
		if (pfd[P_PARENT].revents)
			data_dispatch_parent(d);
	}
}

void
data_main(const struct conf *c, const struct data_fds *fds)
{
	struct data d = { .c = c, .server = c->role == CONF_SERVER,
	    .ctl = fds->ctl, .parent = fds->parent, .tun = fds->tun,
	    .udp = fds->udp, .queue = (mqd_t)-1, .tx = -1,
	    .tap = c->dev_type == CONF_DEV_TAP, .up = (mqd_t)-1, .up_rd = -1 };
	long msgsize = 0;

	data_keys_new(&d);
	d.vnet = tun_is_vnet(d.tun) == 1;
	if (d.server) {
		data_socket_buffers(d.udp);
		data_udp_offload(&d);
	}
	data_setup(&d);
	if (d.server && d.tap)
		data_tap_setup(&d);
	if (d.server)
		msgsize = data_queue(&d);
	data_buffers(&d, msgsize);
	if (fd_nonblock(d.ctl) == -1 || fd_nonblock(d.parent) == -1 ||
	    fd_nonblock(d.tun) == -1 || fd_nonblock(d.udp) == -1)
		fatal("data fds");
	if (sandbox_enter(d.server ? SANDBOX_DATA : SANDBOX_CLIENT_DATA,
	    d.tun) == -1)
		fatal("seccomp");
	/* Setup's garbage (OpenSSL's among it) back to the system: a
	 * thousand sessions idle most of the time. */
	malloc_trim(0);
	d.now = d.last_rx = d.last_tx = now_ms();
	d.next_stats = d.now;
	if (!d.server)
		data_tx(&d, PKT_KEEPALIVE, NULL, 0);	/* tell our endpoint */
	data_tx_flush(&d);
	data_loop(&d);
}
