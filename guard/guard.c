/* The guard: the only reader of the server's tun device and the holder of
 * the one UDP port's unconnected socket. It hands each tun packet to the
 * data process that owns its destination, and each datagram from an
 * endpoint no data socket is connected to (a session's first packet, NAT
 * rebinding, roaming) to the session its header names, through that
 * session's POSIX message queue. A full queue keeps or drops that batch and
 * counts it: one slow client never stalls the others. Only the acceptor
 * registers routes, over the guard's socket; the queues arrive as fds, and
 * no queue has a name while packets flow.
 *
 * Tap mode: the guard switches frames. It reads the server's tap and each
 * session's reverse queue (data -> guard), learns which session owns which
 * MAC address only from what a session's data process put into that
 * session's queue (frames and notices: never from the network or the
 * tap), and sends each frame to the owner of its destination, or floods
 * it to every session (but the sender) if its destination is a group
 * address or unknown. Frames between sessions only with client-to-client,
 * which the data processes enforce (they send the guard none without it).
 * The table (guard/mactable.c) is bounded by sessions x max-macs-per-
 * client; entries age out after mac-age and go at once with their session.
 * The guard never writes the tap: what is for the server the data process
 * wrote there itself.
 *
 * Owns: fd 3 (socket to the acceptor), the tun fd (read), the UDP sockets
 * (the first of the port's group for each local address clients reach),
 * one queue write end per session (tap: and the read end of its reverse
 * queue). */
#include <errno.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mactable.h"
#include "msg.h"
#include "offload.h"
#include "packet.h"
#include "roles.h"
#include "route.h"
#include "sandbox.h"
#include "slots.h"
#include "stats.h"
#include "tun.h"
#include "util.h"

#define GUARD_BATCH 64		/* tun reads per wake-up */
#define GUARD_UDP_BATCH 16	/* datagrams per recvmmsg */
#define GUARD_STATS_MS 1000
#define GUARD_UDP_MAX 16	/* local addresses with a socket of ours */
#define GUARD_UP_BATCH 8	/* reverse queue messages per session and
				   wake-up */
#define GUARD_UP_MSGSIZE 65536	/* the largest reverse queue message */

struct guard_out {
	mqd_t q;		/* -1: no session in this slot */
	size_t msgsize;		/* the queue's message size */
	size_t fill;		/* bytes pending in buf */
	unsigned npkts;
	uint8_t *buf;		/* msgsize bytes: a QMSG_TUN batch */
	int dirty_next;		/* -1 ends the dirty list; -2: not on it */
};

enum { P_TUN, P_PARENT, P_UDP, P_COUNT = P_UDP + GUARD_UDP_MAX };

struct guard {
	const struct conf *c;
	int tun, parent;
	struct pollfd *pfd;	/* P_UDP + i: UDP socket i, or -1; tap:
				   P_COUNT + slot: its reverse queue */
	nfds_t npfd;
	unsigned nslots;
	struct slot_table *slots;
	struct route_table *routes;
	int *net_owner;		/* per client-network: its session's slot,
				   or -1 while that client is away */
	struct guard_out *out;
	int dirty;		/* first slot with pending packets, or -1 */
	bool sparse;		/* the last wake-up found one packet in tun */
	uint8_t *pkt;		/* one tun read */
	size_t pktcap;
	bool vnet;		/* tun reads start with a virtio_net_hdr */
	uint8_t *seg;		/* a super-packet split for a small queue */
	size_t segcap;
	uint16_t seglen[OFF_MAX_SEGS];
	size_t ucap;		/* bytes per UDP buffer, header included */
	uint8_t *ubuf;
	struct mmsghdr umsg[GUARD_UDP_BATCH];
	struct iovec uiov[GUARD_UDP_BATCH];
	struct sockaddr_storage ufrom[GUARD_UDP_BATCH];
	struct guard_stats st;

	/* tap mode */
	bool tap;
	uint64_t now;		/* ms, once per wake-up */
	struct mactable *macs;
	mqd_t *up;		/* per slot: its reverse queue, or -1 */
	uint8_t *upbuf;		/* GUARD_UP_MSGSIZE */
};

/* A full queue keeps the batch pending, and the batch keeps growing, so a
 * busy data process gets fewer, fuller messages; only when the batch is
 * full too are packets dropped. Returns false if the queue was full. */
static bool
guard_flush(struct guard *g, unsigned slot)
{
	struct guard_out *o = &g->out[slot];

	if (o->fill == 0)
		return true;
	if (mq_send(o->q, (const char *)o->buf, o->fill, 0) == -1) {
		if (errno == EAGAIN)
			return false;
		log_warn("queue of slot %u", slot);
		g->st.queue_full += o->npkts;
	}
	o->fill = 0;
	o->npkts = 0;
	return true;
}

static void
guard_mark_dirty(struct guard *g, unsigned slot)
{
	struct guard_out *o = &g->out[slot];

	if (o->dirty_next == -2) {
		o->dirty_next = g->dirty;
		g->dirty = (int)slot;
	}
}

/* Sends every pending batch; those whose queue is full stay pending. */
static void
guard_flush_dirty(struct guard *g)
{
	int slot = g->dirty;

	g->dirty = -1;
	while (slot >= 0) {
		int next = g->out[slot].dirty_next;

		g->out[slot].dirty_next = -2;
		if (g->out[slot].q != (mqd_t)-1 &&
		    !guard_flush(g, (unsigned)slot))
			guard_mark_dirty(g, (unsigned)slot);
		slot = next;
	}
}

static void	guard_queue(struct guard *, unsigned, const uint8_t *,
		    size_t);

/* A super-packet larger than the session's queue takes (a queue made
 * where fs.mqueue.msgsize_max stayed low): split here instead. */
static void
guard_queue_split(struct guard *g, unsigned slot, const uint8_t *pkt,
    size_t len)
{
	size_t at = 0;
	int n = off_segment(pkt, pkt + OFF_VNET_LEN, len - OFF_VNET_LEN,
	    g->c->mtu, OFF_VNET_LEN, g->seg, g->segcap, g->seglen,
	    OFF_MAX_SEGS);

	if (n < 0) {
		g->st.too_big++;
		return;
	}
	for (int i = 0; i < n; i++) {
		off_vnet_put_plain(g->seg + at);
		guard_queue(g, slot, g->seg + at, OFF_VNET_LEN + g->seglen[i]);
		at += OFF_VNET_LEN + g->seglen[i];
	}
}

/* pkt: as read from tun, vnet header included if it has one. */
static void
guard_queue(struct guard *g, unsigned slot, const uint8_t *pkt, size_t len)
{
	struct guard_out *o = &g->out[slot];

	if (QMSG_HDR_LEN + QMSG_TUN_REC_HDR + len > o->msgsize ||
	    len > UINT16_MAX) {
		if (g->vnet && len > OFF_VNET_LEN + g->c->mtu)
			guard_queue_split(g, slot, pkt, len);
		else
			g->st.too_big++;
		return;
	}
	if (o->fill + QMSG_TUN_REC_HDR + len > o->msgsize &&
	    !guard_flush(g, slot)) {
		g->st.queue_full++;
		return;
	}
	if (o->fill == 0)
		o->fill = qmsg_tun_start(o->buf);
	o->fill = qmsg_tun_add(o->buf, o->fill, pkt, len);
	o->npkts++;
	guard_mark_dirty(g, slot);
}

/* A packet for a network behind a client: its session's slot, or -1
 * (counted) while that client is away; -2 if no client-network holds dst
 * (of family AF_INET or AF_INET6). */
static int
guard_client_net(struct guard *g, int family, const uint8_t *dst)
{
	int i = family == AF_INET ? conf_client_net_of(g->c, get_u32(dst)) :
	    conf_client_net_of6(g->c, dst);

	if (i < 0)
		return -2;
	if (g->net_owner[i] < 0)
		g->st.net_down++;
	return g->net_owner[i];
}

static void
guard_route(struct guard *g, const uint8_t *pkt, size_t len)
{
	size_t off = g->vnet ? OFF_VNET_LEN : 0;
	const uint8_t *ip = pkt + off;
	int slot = -1;

	if (len < off) {
		g->st.no_route++;
		return;
	}
	if (len - off >= 20 && ip[0] >> 4 == 4) {
		slot = route_lookup(g->routes, AF_INET, ip + 16);
		if (slot < 0 && g->c->nclient_nets > 0 &&
		    (slot = guard_client_net(g, AF_INET, ip + 16)) == -1)
			return;
	} else if (len - off >= 40 && ip[0] >> 4 == 6) {
		slot = route_lookup(g->routes, AF_INET6, ip + 24);
		if (slot < 0 && g->c->nclient_nets > 0 &&
		    (slot = guard_client_net(g, AF_INET6, ip + 24)) == -1)
			return;
	}
	if (slot < 0 || (unsigned)slot >= g->nslots ||
	    g->out[slot].q == (mqd_t)-1) {
		g->st.no_route++;
		return;
	}
	guard_queue(g, (unsigned)slot, pkt, len);
}

static void	guard_unregister(struct guard *, unsigned);

/* A frame to every session but its sender (from, or -1 for the tap). */
static void
guard_flood(struct guard *g, int from, const uint8_t *f, size_t len)
{
	for (unsigned slot = 0; slot < g->nslots; slot++)
		if ((int)slot != from && g->out[slot].q != (mqd_t)-1)
			guard_queue(g, slot, f, len);
}

/* --- tap mode --- */

/* The session whose address a unicast frame is for: an IPv4 packet's
 * destination or an ARP packet's target, looked up in the routes (-1 if
 * no session has it); -2 for a frame that is neither, or an ARP with no
 * target address (the answer to a probe, RFC 5227). */
static int
guard_frame_owner_ip(struct guard *g, const uint8_t *f, size_t len)
{
	const uint8_t *p = f + CONF_ETH_HLEN;

	switch (get_u16(f + 12)) {
	case 0x0800:
		if (len < CONF_ETH_HLEN + 20 || p[0] >> 4 != 4)
			return -1;
		return route_lookup(g->routes, AF_INET, p + 16);
	case 0x0806:
		if (len < CONF_ETH_HLEN + 28 || get_u16(p) != 1 ||
		    get_u16(p + 2) != 0x0800 || p[4] != MAC_LEN || p[5] != 4)
			return -1;
		if (get_u32(p + 24) == 0)
			return -2;
		return route_lookup(g->routes, AF_INET, p + 24);
	default:
		return -2;
	}
}

/* A frame from the tap (from -1) or from session from's reverse queue.
 * A group destination goes to every session but the sender. A unicast
 * IPv4 or ARP frame goes to the session whose address it carries,
 * whoever owns its MAC (counted as misdirected when another session
 * does), and to no one (no_route) when no session has the address;
 * any other unicast frame goes to the owner of its MAC, or, if nobody
 * owns it, to every session. So a stale or forged MAC (a neighbour entry
 * of the server's that one client poisoned with another's MAC, a MAC
 * taken while its session was away, a client that left) never sends one
 * session's traffic to another, nor keeps it from its own session. */
static void
guard_switch(struct guard *g, int from, const uint8_t *f, size_t len)
{
	int to, mac, ip;

	if (len < CONF_ETH_HLEN) {
		g->st.no_route++;
		return;
	}
	if (len > conf_frame_max(g->c)) {	/* a VLAN tag, a larger MTU */
		g->st.too_big++;
		return;
	}
	/* Client-to-client is the data processes' to decide, as in tun
	 * mode: they follow a reload (LIVE), and without it send the guard
	 * no frame at all. */
	if (mactable_is_group(f)) {
		g->st.flooded++;
		guard_flood(g, from, f, len);
		return;
	}
	mac = mactable_lookup(g->macs, f);
	ip = guard_frame_owner_ip(g, f, len);
	if (ip == -2 && mac < 0) {
		g->st.flooded++;
		guard_flood(g, from, f, len);
		return;
	}
	if (ip >= 0 && mac >= 0 && mac != ip)
		g->st.misdirected++;
	to = ip == -2 ? mac : ip;
	if (to < 0 || to == from || (unsigned)to >= g->nslots ||
	    g->out[to].q == (mqd_t)-1) {
		g->st.no_route++;
		return;
	}
	guard_queue(g, (unsigned)to, f, len);
}

/* One reverse queue message of slot: what its data process says the
 * session owns, and frames whose source it must own. The data process
 * may be compromised: anything malformed is dropped and counted. */
static void
guard_up_msg(struct guard *g, unsigned slot, const uint8_t *p, size_t len)
{
	const uint8_t *f;
	size_t pos = 0, n;
	int r;

	if (qmsg_kind(p, len) != QMSG_FRAMES) {
		g->st.up_bad++;
		return;
	}
	while ((r = qmsg_tun_next(p, len, &pos, conf_frame_max(g->c), &f,
	    &n)) == 1) {
		if (n != QMSG_MAC_NOTICE && n < CONF_ETH_HLEN) {
			g->st.up_bad++;
			continue;
		}
		/* a notice is the address; a frame's source follows its
		 * destination */
		if (mactable_learn(g->macs, n == QMSG_MAC_NOTICE ? f :
		    f + MAC_LEN, slot, g->now) == MACT_REFUSED) {
			g->st.mac_refused++;
			continue;
		}
		if (n == QMSG_MAC_NOTICE)
			continue;
		g->st.up_frames++;
		guard_switch(g, (int)slot, f, n);
	}
	if (r == -1)
		g->st.up_bad++;
}

static void
guard_dispatch_up(struct guard *g, unsigned slot)
{
	for (int i = 0; i < GUARD_UP_BATCH; i++) {
		ssize_t n = mq_receive(g->up[slot], (char *)g->upbuf,
		    GUARD_UP_MSGSIZE, NULL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("reverse queue of slot %u", slot);
			return;
		}
		guard_up_msg(g, slot, g->upbuf, (size_t)n);
	}
}

static void
guard_dispatch_ups(struct guard *g)
{
	bool any = false;

	for (unsigned slot = 0; slot < g->nslots; slot++)
		if (g->up[slot] != (mqd_t)-1 &&
		    g->pfd[P_COUNT + slot].revents) {
			guard_dispatch_up(g, slot);
			any = true;
		}
	if (any)
		guard_flush_dirty(g);
}

static void
guard_unregister_up(struct guard *g, unsigned slot)
{
	mactable_del_slot(g->macs, slot);
	if (g->up[slot] != (mqd_t)-1)
		mq_close(g->up[slot]);
	g->up[slot] = (mqd_t)-1;
	g->pfd[P_COUNT + slot].fd = -1;
}

/* REGISTER's second fd: the reverse queue, which tap mode needs and tun
 * mode refuses. */
static void
guard_register_up(struct guard *g, const struct msg *m, int qfd)
{
	struct msg_register r;
	struct mq_attr qa;

	if (msg_get_register(m, &r) == -1 || r.slot >= g->nslots ||
	    g->out[r.slot].q == (mqd_t)-1) {
		if (qfd != -1)
			close(qfd);
		return;		/* guard_register refused it */
	}
	if (!g->tap && qfd == -1)
		return;
	if (!g->tap || qfd == -1 || mq_getattr(qfd, &qa) == -1 ||
	    qa.mq_msgsize < 2048 || qa.mq_msgsize > GUARD_UP_MSGSIZE) {
		log_warnx("refusing REGISTER of slot %u: %s", r.slot, !g->tap ?
		    "a reverse queue in tun mode" : "no usable reverse queue");
		if (qfd != -1)
			close(qfd);
		guard_unregister(g, r.slot);
		return;
	}
	if (fd_nonblock(qfd) == -1)
		fatal("reverse queue");
	g->up[r.slot] = qfd;
	g->pfd[P_COUNT + r.slot] = (struct pollfd){ .fd = qfd,
	    .events = POLLIN };
}

static void
guard_tap_init(struct guard *g)
{
	uint64_t seed;

	if (getentropy(&seed, sizeof(seed)) == -1)
		fatal("getentropy");
	g->macs = mactable_new(g->nslots, g->c->max_macs,
	    g->c->mac_age * 1000ULL, seed);
	g->up = malloc(g->nslots * sizeof(*g->up));
	g->upbuf = malloc(GUARD_UP_MSGSIZE);
	if (g->macs == NULL || g->up == NULL || g->upbuf == NULL)
		fatal("guard memory");
	for (unsigned i = 0; i < g->nslots; i++)
		g->up[i] = (mqd_t)-1;
	g->npfd = P_COUNT + g->nslots;
}

/* While traffic is sparse (the last wake-up found a single packet), the
 * first packet is handed over before the read that finds tun empty: a
 * lone packet is most often a reply someone waits for (a ping's RTT pays
 * for every syscall between tun and the data process), and batching gains
 * nothing when there is one. Bursts are batched as before. */
static void
guard_dispatch_tun(struct guard *g)
{
	int i;

	for (i = 0; i < GUARD_BATCH; i++) {
		ssize_t n = read(g->tun, g->pkt, g->pktcap);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fatal("read from tun");
			break;
		}
		g->st.rx_packets++;
		if (g->tap)
			guard_switch(g, -1, g->pkt, (size_t)n);
		else
			guard_route(g, g->pkt, (size_t)n);
		if (i == 0 && g->sparse)
			guard_flush_dirty(g);
	}
	g->sparse = i <= 1;
	guard_flush_dirty(g);
}

/* A datagram from an endpoint no data socket is connected to: to the
 * session its receiver index names, which authenticates it. Nothing here
 * trusts it beyond choosing the queue. */
static void
guard_forward(struct guard *g, uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	struct guard_out *o;
	int slot = slots_for_datagram(g->slots, buf + QMSG_UDP_HDR, len);

	if (slot < 0) {
		g->st.no_session++;
		return;
	}
	o = &g->out[slot];
	if (QMSG_UDP_HDR + len > o->msgsize) {
		g->st.oversize++;
		return;
	}
	qmsg_udp_put(buf, from);
	if (mq_send(o->q, (const char *)buf, QMSG_UDP_HDR + len, 0) == -1) {
		g->st.queue_full++;
		return;
	}
	g->st.forwarded++;
}

static void
guard_dispatch_udp(struct guard *g, int udp)
{
	int n;

	for (int i = 0; i < GUARD_UDP_BATCH; i++) {
		g->umsg[i].msg_hdr.msg_namelen = sizeof(g->ufrom[i]);
		g->umsg[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(udp, g->umsg, GUARD_UDP_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		g->st.udp_packets++;
		if (g->umsg[i].msg_hdr.msg_flags & MSG_TRUNC)
			g->st.oversize++;
		else
			guard_forward(g, g->ubuf + i * g->ucap,
			    g->umsg[i].msg_len, &g->ufrom[i]);
	}
}

static void
guard_unregister(struct guard *g, unsigned slot)
{
	struct guard_out *o = &g->out[slot];

	route_del_slot(g->routes, (uint16_t)slot);
	for (unsigned i = 0; i < g->c->nclient_nets; i++)
		if (g->net_owner[i] == (int)slot)
			g->net_owner[i] = -1;
	slots_unregister(g->slots, slot);
	if (g->tap)
		guard_unregister_up(g, slot);
	if (o->q != (mqd_t)-1)
		mq_close(o->q);
	free(o->buf);
	*o = (struct guard_out){ .q = (mqd_t)-1, .dirty_next = o->dirty_next };
}

/* The networks behind the registered client are its session's from now
 * on; a later session of the same CN takes them over. */
static void
guard_own_nets(struct guard *g, const struct msg_register *r)
{
	for (unsigned i = 0; i < g->c->nclient_nets; i++)
		if (strcmp(g->c->client_nets[i].cn, r->cn) == 0)
			g->net_owner[i] = r->slot;
}

/* The acceptor checked the session; we check the message and the queue. */
static void
guard_register(struct guard *g, const struct msg *m, int qfd)
{
	struct msg_register r;
	struct mq_attr qa;
	struct guard_out *o;
	uint8_t addr[4];
	static const uint8_t none6[16];

	if (msg_get_register(m, &r) == -1 || r.slot >= g->nslots ||
	    mq_getattr(qfd, &qa) == -1 || qa.mq_msgsize < 2048) {
		log_warnx("refusing a malformed REGISTER");
		close(qfd);
		return;
	}
	guard_unregister(g, r.slot);
	if (slots_register(g->slots, &r) == -1) {
		log_warnx("refusing REGISTER of slot %u with index %08x",
		    r.slot, r.index);
		close(qfd);
		return;
	}
	o = &g->out[r.slot];
	if ((o->buf = malloc((size_t)qa.mq_msgsize)) == NULL) {
		log_warn("slot %u", r.slot);
		close(qfd);
		return;
	}
	o->q = qfd;
	o->msgsize = (size_t)qa.mq_msgsize;
	put_u32(addr, r.vaddr);
	if (route_add(g->routes, AF_INET, addr, r.slot) == -1 ||
	    (memcmp(r.vaddr6, none6, 16) != 0 &&
	    route_add(g->routes, AF_INET6, r.vaddr6, r.slot) == -1)) {
		log_warnx("route table full, slot %u not registered", r.slot);
		guard_unregister(g, r.slot);
		return;
	}
	guard_own_nets(g, &r);
	log_debug("slot %u registered", r.slot);
}

/* One more local address that clients reach the port on. */
static void
guard_add_udp(struct guard *g, int fd)
{
	for (int i = P_UDP; i < P_COUNT; i++)
		if (g->pfd[i].fd == -1) {
			fd_nonblock(fd);
			g->pfd[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
			return;
		}
	log_warnx("more than %d local addresses: refusing one more UDP "
	    "socket", GUARD_UDP_MAX);
	close(fd);
}

static void
guard_dispatch_parent(struct guard *g)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg_unregister u;
	struct msg m;
	int fds[2] = { -1, -1 }, r;
	int fd = -1;
	size_t nfds;

	while ((r = msg_recv_fds(g->parent, buf, sizeof(buf), &m, fds, 2,
	    &nfds)) == 1) {
		fd = fds[0];
		if (m.type == MSG_REGISTER && (nfds == 1 || nfds == 2)) {
			guard_register(g, &m, fd);
			guard_register_up(g, &m, nfds == 2 ? fds[1] : -1);
		} else if (m.type == MSG_UDP_SOCKET && nfds == 1)
			guard_add_udp(g, fd);
		else if (m.type == MSG_UNREGISTER && nfds == 0 &&
		    msg_get_unregister(&m, &u) == 0 && u.slot < g->nslots)
			guard_unregister(g, u.slot);
		else
			fatalx("unexpected %s from the acceptor",
			    msg_name(m.type));
	}
	if (r == 0)
		exit(0);	/* the acceptor is gone */
	if (errno != EAGAIN)
		fatal("from the acceptor");
}

static void
guard_send_stats(struct guard *g)
{
	uint8_t p[MSG_MAX_PAYLOAD];
	size_t n;

	g->st.routes = route_count(g->routes);
	if (g->macs != NULL)
		g->st.macs = mactable_count(g->macs);
	n = stats_encode_guard(&g->st, p, sizeof(p));
	if (msg_send(g->parent, MSG_STATS, p, n) == -1 && errno != EAGAIN)
		fatal("send stats to the acceptor");
}

static void
guard_init(struct guard *g)
{
	g->nslots = conf_slots(g->c);
	g->slots = slots_new(g->nslots);
	g->routes = route_new(g->nslots * 3);	/* IPv4, IPv6, spare */
	g->out = calloc(g->nslots, sizeof(*g->out));
	g->net_owner = malloc((g->c->nclient_nets + 1) *
	    sizeof(*g->net_owner));
	g->vnet = tun_is_vnet(g->tun) == 1;
	g->pktcap = OFF_VNET_LEN + 65536;
	g->pkt = malloc(g->pktcap);
	g->segcap = OFF_MAX_SEGS * (OFF_VNET_LEN + (size_t)g->c->mtu);
	g->seg = malloc(g->segcap);
	g->ucap = QMSG_UDP_HDR + conf_frame_max(g->c) + PKT_OVERHEAD;
	g->npfd = P_COUNT;
	if (g->tap)
		guard_tap_init(g);
	if ((g->pfd = calloc(g->npfd, sizeof(*g->pfd))) == NULL)
		fatal("guard memory");
	for (nfds_t i = 0; i < g->npfd; i++)
		g->pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	g->ubuf = malloc(GUARD_UDP_BATCH * g->ucap);
	if (g->slots == NULL || g->routes == NULL || g->out == NULL ||
	    g->net_owner == NULL || g->pkt == NULL || g->seg == NULL ||
	    g->ubuf == NULL)
		fatal("guard memory");
	for (unsigned i = 0; i < g->nslots; i++)
		g->out[i] = (struct guard_out){ .q = (mqd_t)-1,
		    .dirty_next = -2 };
	for (unsigned i = 0; i < g->c->nclient_nets; i++)
		g->net_owner[i] = -1;
	g->dirty = -1;
	/* Room for the queue header in front of each datagram, so it is
	 * forwarded without a copy. */
	for (int i = 0; i < GUARD_UDP_BATCH; i++) {
		g->uiov[i] = (struct iovec){ g->ubuf + i * g->ucap +
		    QMSG_UDP_HDR, g->ucap - QMSG_UDP_HDR };
		g->umsg[i].msg_hdr = (struct msghdr){
		    .msg_name = &g->ufrom[i], .msg_iov = &g->uiov[i],
		    .msg_iovlen = 1 };
	}
	if (fd_nonblock(g->tun) == -1 || fd_nonblock(g->parent) == -1)
		fatal("guard fds");
	g->pfd[P_TUN] = (struct pollfd){ .fd = g->tun, .events = POLLIN };
	g->pfd[P_PARENT] = (struct pollfd){ .fd = g->parent, .events = POLLIN };
	for (int i = P_UDP; i < P_COUNT; i++)
		g->pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
}

void
guard_main(const struct conf *c, int parent, int tun, int udp)
{
	struct guard g = { .c = c, .tun = tun, .parent = parent,
	    .tap = c->dev_type == CONF_DEV_TAP };
	uint64_t next_stats = now_ms();

	guard_init(&g);
	guard_add_udp(&g, udp);
	if (sandbox_enter(SANDBOX_GUARD, tun) == -1)
		fatal("seccomp");
	while (!sig_term) {
		uint64_t now = now_ms();

		g.now = now;
		if (now >= next_stats) {
			guard_send_stats(&g);
			next_stats = now + GUARD_STATS_MS;
		}
		/* Pending batches are retried soon: the data process is
		 * draining its queue. */
		if (poll_wait(g.pfd, g.npfd, g.dirty >= 0 ? 1 :
		    (int)(next_stats - now)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* Registrations first, so a new client's first packets find
		 * their route. */
		if (g.pfd[P_PARENT].revents)
			guard_dispatch_parent(&g);
		for (int i = P_UDP; i < P_COUNT; i++)
			if (g.pfd[i].fd != -1 && g.pfd[i].revents)
				guard_dispatch_udp(&g, g.pfd[i].fd);
		g.now = now_ms();
		if (g.tap)
			guard_dispatch_ups(&g);
		if (g.pfd[P_TUN].revents)
			guard_dispatch_tun(&g);
		else if (g.dirty >= 0)
			guard_flush_dirty(&g);
	}
	exit(0);
}
