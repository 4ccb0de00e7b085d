/* The guard: the only reader of the server's tun device. It hands each
 * packet to the data process that owns the destination address, through
 * that process's POSIX message queue, several packets per message. A full
 * queue drops the packet and counts it: one slow client never stalls the
 * others. Registrations arrive on the guard's own queue. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "route.h"
#include "util.h"

#define GUARD_BATCH 64		/* tun reads per wake-up */
#define GUARD_STATS_MS 1000

struct guard_out {
	mqd_t q;
	size_t fill;		/* bytes pending in buf */
	unsigned npkts;
	uint8_t *buf;		/* msgsize bytes: [u16 len | packet]... */
	int dirty_next;		/* -1 ends the dirty list; -2: not on it */
};

struct guard {
	int tun, parent;
	mqd_t inbox;
	pid_t server;
	long msgsize;
	unsigned nslots;
	struct route_table *routes;
	struct guard_out *out;
	int dirty;		/* first slot with pending packets, or -1 */
	uint8_t *pkt;		/* one tun read */
	size_t pktcap;
	uint64_t rx_packets, no_route, queue_full, too_big;
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
		g->queue_full += o->npkts;
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
		if (!guard_flush(g, (unsigned)slot))
			guard_mark_dirty(g, (unsigned)slot);
		slot = next;
	}
}

static void
guard_queue(struct guard *g, unsigned slot, const uint8_t *pkt, size_t len)
{
	struct guard_out *o = &g->out[slot];

	if (2 + len > (size_t)g->msgsize) {
		g->too_big++;
		return;
	}
	if (o->fill + 2 + len > (size_t)g->msgsize && !guard_flush(g, slot)) {
		g->queue_full++;
		return;
	}
	put_u16(o->buf + o->fill, (uint16_t)len);
	memcpy(o->buf + o->fill + 2, pkt, len);
	o->fill += 2 + len;
	o->npkts++;
	guard_mark_dirty(g, slot);
}

static void
guard_route(struct guard *g, const uint8_t *pkt, size_t len)
{
	int slot = -1;

	if (len >= 20 && pkt[0] >> 4 == 4)
		slot = route_lookup(g->routes, AF_INET, pkt + 16);
	else if (len >= 40 && pkt[0] >> 4 == 6)
		slot = route_lookup(g->routes, AF_INET6, pkt + 24);
	if (slot < 0 || (unsigned)slot >= g->nslots ||
	    g->out[slot].q == (mqd_t)-1) {
		g->no_route++;
		return;
	}
	guard_queue(g, (unsigned)slot, pkt, len);
}

static void
guard_dispatch_tun(struct guard *g)
{
	for (int i = 0; i < GUARD_BATCH; i++) {
		ssize_t n = read(g->tun, g->pkt, g->pktcap);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fatal("read from tun");
			break;
		}
		g->rx_packets++;
		guard_route(g, g->pkt, (size_t)n);
	}
	guard_flush_dirty(g);
}

static void
guard_unregister(struct guard *g, uint16_t slot)
{
	struct guard_out *o = &g->out[slot];

	route_del_slot(g->routes, slot);
	if (o->q != (mqd_t)-1)
		mq_close(o->q);
	o->q = (mqd_t)-1;
	o->fill = 0;
	o->npkts = 0;
}

static void
guard_register(struct guard *g, const uint8_t *p)
{
	uint16_t slot = get_u16(p);
	int family = p[2] == 4 ? AF_INET : p[2] == 6 ? AF_INET6 : -1;
	char name[64];

	if (slot >= g->nslots || family == -1)
		fatalx("malformed REGISTER for slot %u", slot);
	guard_unregister(g, slot);
	snprintf(name, sizeof(name), "/simpletun.%d.%u", (int)g->server, slot);
	g->out[slot].q = mq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (g->out[slot].q == (mqd_t)-1) {
		log_warn("open %s", name);
		return;
	}
	if (route_add(g->routes, family, p + 3, slot) == -1) {
		log_warnx("route table full, slot %u not registered", slot);
		guard_unregister(g, slot);
		return;
	}
	log_debug("slot %u registered", slot);
}

static void
guard_dispatch_inbox(struct guard *g)
{
	struct msg m;
	ssize_t n;

	/* mq_receive wants room for the queue's largest message. */
	while ((n = mq_receive(g->inbox, (char *)g->pkt, g->pktcap, NULL)) >= 0) {
		if (msg_parse(g->pkt, (size_t)n, &m) != n)
			fatalx("malformed message on the guard queue");
		if (m.type == MSG_REGISTER)
			guard_register(g, m.payload);
		else if (m.type == MSG_UNREGISTER)
			guard_unregister(g, get_u16(m.payload));
		else
			fatalx("unexpected %s on the guard queue",
			    msg_name(m.type));
	}
	if (errno != EAGAIN && errno != EINTR)
		fatal("guard queue");
}

static void
guard_send_stats(struct guard *g)
{
	uint8_t p[GUARD_STATS_LEN];

	put_u64(p, g->rx_packets);
	put_u64(p + 8, g->no_route);
	put_u64(p + 16, g->queue_full);
	put_u64(p + 24, g->too_big);
	put_u64(p + 32, route_count(g->routes));
	if (msg_send(g->parent, MSG_STATS, p, sizeof(p)) == -1 &&
	    errno != EAGAIN)
		fatal("send stats to the acceptor");
}

static void
guard_init(struct guard *g, const struct conf *c)
{
	g->nslots = c->max_clients;
	g->routes = route_new(c->max_clients * 2);
	g->out = calloc(g->nslots, sizeof(*g->out));
	g->pktcap = g->msgsize > 65536 ? (size_t)g->msgsize : 65536;
	g->pkt = malloc(g->pktcap);
	if (g->routes == NULL || g->out == NULL || g->pkt == NULL)
		fatal("guard memory");
	for (unsigned i = 0; i < g->nslots; i++) {
		g->out[i].q = (mqd_t)-1;
		g->out[i].dirty_next = -2;
		if ((g->out[i].buf = malloc(g->msgsize)) == NULL)
			fatal("guard memory");
	}
	g->dirty = -1;
}

void
guard_main(const struct conf *c, int tun, mqd_t inbox, int parent,
    pid_t server, long msgsize)
{
	enum { P_TUN, P_INBOX, P_PARENT, P_COUNT };
	struct pollfd pfd[P_COUNT];
	struct guard g = { .tun = tun, .inbox = inbox, .parent = parent,
	    .server = server, .msgsize = msgsize };
	uint64_t next_stats = now_ms();

	log_set_role("guard");
	guard_init(&g, c);
	pfd[P_TUN] = (struct pollfd){ .fd = tun, .events = POLLIN };
	pfd[P_INBOX] = (struct pollfd){ .fd = (int)inbox, .events = POLLIN };
	pfd[P_PARENT] = (struct pollfd){ .fd = parent, .events = POLLIN };
	while (!sig_term) {
		uint64_t now = now_ms();

		if (now >= next_stats) {
			guard_send_stats(&g);
			next_stats = now + GUARD_STATS_MS;
		}
		/* Pending batches are retried soon: the data process is
		 * draining its queue. */
		if (poll_wait(pfd, P_COUNT, g.dirty >= 0 ? 1 :
		    (int)(next_stats - now)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* Registrations first, so a new client's first packets find
		 * their route. */
		if (pfd[P_INBOX].revents)
			guard_dispatch_inbox(&g);
		if (pfd[P_TUN].revents)
			guard_dispatch_tun(&g);
		else if (g.dirty >= 0)
			guard_flush_dirty(&g);
		if (pfd[P_PARENT].revents)
			break;	/* the acceptor is gone or says stop */
	}
	exit(0);
}
