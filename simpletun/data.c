/* The data processes, one per session on each side. Each owns its UDP
 * socket; the server's reads packets for its client from its message queue
 * (filled by the guard) and the client's reads its tun device. Both write
 * what they open straight to tun. Receive order (DESIGN.md section 4):
 * header checks, key id, replay pre-check, MAC, replay update, decrypt,
 * inner packet checks. Nothing on the per-packet path allocates, fetches an
 * algorithm, keys a context or logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "packet.h"
#include "replay.h"
#include "roles.h"
#include "stats.h"
#include "util.h"

#define DATA_BATCH 32		/* datagrams per recvmmsg/sendmmsg */
#define DATA_ROUNDS 8		/* batches per direction per wake-up */
#define DATA_STATS_MS 1000
#define DATA_GRACE_MS 60000	/* an old key still opens packets this long */
#define DATA_SEQ_LIMIT (1ULL << 62)	/* far below wrap: end, never reuse */
#define DATA_SETUP_MS 30000

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
	bool c2c;
	uint64_t ka_int, ka_to;		/* ms */
	size_t mtu;

	struct sockaddr_storage peer;	/* ss_family 0: not known yet */
	struct data_key keys[2];	/* by epoch parity */
	int tx;				/* index into keys, -1: none */
	bool rekey_due;
	uint64_t now, last_rx, last_tx, next_stats;
	struct data_stats st;

	size_t slot;			/* bytes per batch buffer */
	uint8_t *rx_buf, *tx_buf, *in_buf;
	size_t in_cap;
	struct mmsghdr rx_msg[DATA_BATCH], tx_msg[DATA_BATCH];
	struct iovec rx_iov[DATA_BATCH], tx_iov[DATA_BATCH];
	struct sockaddr_storage rx_from[DATA_BATCH];
	unsigned ntx;
};

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
	uint8_t p[MSG_STATS_MAX];
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
data_install_keys(struct data *d, const uint8_t *p)
{
	uint32_t epoch = get_u32(p);
	struct data_key *k = &d->keys[epoch & 1];

	if (pkt_key_set(k->tx, epoch & 0xff, p + 5) == -1 ||
	    pkt_key_set(k->rx, epoch & 0xff, p + 5 + PKT_KEYMAT_LEN) == -1)
		fatalx("cannot key epoch %u", epoch);
	k->valid = true;
	k->epoch = epoch;
	k->tx_seq = 0;
	k->expires = 0;
	replay_init(&k->replay);
	if ((p[4] & MSG_KEYS_TX_NOW) || d->tx < 0)
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

/* What may enter tun: well-formed IPv4 and, on the server, only from the
 * client's own address and, without client-to-client, not to other
 * clients. */
static bool
data_inner_ok(struct data *d, const uint8_t *p, size_t n)
{
	uint32_t dst;

	if (!inner_ipv4_ok(p, n)) {
		d->st.bad_inner++;
		return false;
	}
	if (!d->server)
		return true;
	if (get_u32(p + 12) != d->vaddr) {
		d->st.bad_source++;
		return false;
	}
	dst = get_u32(p + 16);
	if (!d->c2c && (dst & d->pool_mask) == d->pool &&
	    dst != d->server_vaddr) {
		d->st.blocked++;
		return false;
	}
	return true;
}

static bool
sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* Only authenticated packets move the endpoint, and only forward in
 * sequence, so a replayed old packet from elsewhere cannot steal it. */
static void
data_roam(struct data *d, const struct sockaddr_storage *from, bool newest)
{
	char a[64];

	if (!d->server || (d->peer.ss_family != 0 && (!newest ||
	    sa_equal(from, &d->peer))))
		return;
	d->peer = *from;
	d->st.endpoint = *from;
	log_info("client endpoint is %s", sa_str((const struct sockaddr *)from,
	    a, sizeof(a)));
}

static void
data_rx_one(struct data *d, uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	struct pkt_hdr h;
	struct data_key *k;
	ssize_t n;
	bool newest;

	if (pkt_parse_hdr(buf, len, &h) == -1 ||
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
	if (k->pending)
		data_tx_switch(d, (int)(k - d->keys));
	data_roam(d, from, newest);
	if (h.type == PKT_KEEPALIVE || !data_inner_ok(d, buf + PKT_HDR_LEN,
	    (size_t)n))
		return;
	if (write(d->tun, buf + PKT_HDR_LEN, (size_t)n) == n) {
		d->st.rx_packets++;
		d->st.rx_bytes += (uint64_t)n;
	}
}

/* One batch; true if there may be more. */
static bool
data_dispatch_udp(struct data *d)
{
	int n;

	for (int i = 0; i < DATA_BATCH; i++) {
		d->rx_msg[i].msg_hdr.msg_namelen = sizeof(d->rx_from[i]);
		d->rx_msg[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(d->udp, d->rx_msg, DATA_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return false;
	for (int i = 0; i < n; i++) {
		if (d->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			d->st.malformed++;
		else
			data_rx_one(d, d->rx_iov[i].iov_base,
			    d->rx_msg[i].msg_len, &d->rx_from[i]);
	}
	return n == DATA_BATCH;
}

/* --- send: tun or queue -> UDP --- */

static void
data_tx_flush(struct data *d)
{
	unsigned sent = 0;

	while (sent < d->ntx) {
		int n = sendmmsg(d->udp, d->tx_msg + sent, d->ntx - sent, 0);

		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;	/* full or unreachable: drop the rest */
		}
		for (int i = 0; i < n; i++) {
			d->st.tx_packets++;
			d->st.tx_bytes += d->tx_iov[sent + i].iov_len;
		}
		sent += (unsigned)n;
	}
	if (sent > 0)
		d->last_tx = d->now;
	d->ntx = 0;
}

static void
data_tx(struct data *d, uint8_t type, const uint8_t *pkt, size_t len)
{
	struct data_key *k;
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
	out = d->tx_buf + d->ntx * d->slot;
	/* index 0 until the peer's receiver index reaches the data process */
	n = pkt_seal(k->tx, type, 0, ++k->tx_seq, pkt, len, out, d->slot);
	if (n < 0)
		return;
	d->tx_iov[d->ntx].iov_base = out;
	d->tx_iov[d->ntx].iov_len = (size_t)n;
	d->tx_msg[d->ntx].msg_hdr.msg_name = d->server ? &d->peer : NULL;
	d->tx_msg[d->ntx].msg_hdr.msg_namelen = d->server ?
	    sizeof(d->peer) : 0;
	if (++d->ntx == DATA_BATCH)
		data_tx_flush(d);
}

/* A queue message holds packets as [u16 length | packet]...; the guard
 * built it, so a bad one is a bug, not an attack. */
static void
data_tx_queue_msg(struct data *d, const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t n;

		if (len < 2 || (n = get_u16(p)) > len - 2 || n > d->mtu)
			fatalx("malformed message from the guard");
		data_tx(d, PKT_DATA, p + 2, n);
		p += 2 + n;
		len -= 2 + n;
	}
}

/* One batch: a queue message on the server, DATA_BATCH tun reads on the
 * client; true if there may be more. */
static bool
data_dispatch_input(struct data *d)
{
	int reads = d->server ? 1 : DATA_BATCH, i;

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
		if (d->server)
			data_tx_queue_msg(d, d->in_buf, (size_t)n);
		else if ((size_t)n <= d->mtu && inner_ipv4_ok(d->in_buf, n))
			data_tx(d, PKT_DATA, d->in_buf, (size_t)n);
	}
	data_tx_flush(d);
	return i == reads;
}

/* --- the control process --- */

static void
data_dispatch_ctl(struct data *d)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	int r = msg_recv(d->ctl, buf, sizeof(buf), &m);

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 1 && m.type == MSG_KEYS)
		data_install_keys(d, m.payload);
	else if (r == 1)
		fatalx("unexpected %s from the control process",
		    msg_name(m.type));
	else if (r == -1)
		fatal("from the control process");
	else
		data_exit(d, 0);	/* the session is over */
	OPENSSL_cleanse(buf, sizeof(buf));
}

static uint16_t
data_local_port(struct data *d)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(d->udp, (struct sockaddr *)&ss, &sl) == -1)
		fatal("getsockname");
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
data_session(struct data *d, const uint8_t *p)
{
	const uint8_t *pa = p + 24;
	char a[16];

	d->vaddr = get_u32(p);
	d->server_vaddr = get_u32(p + 6);
	d->pool = get_u32(p + 10);
	d->pool_mask = p[14] ? 0xffffffffu << (32 - p[14]) : 0;
	d->c2c = p[5] & 1;
	d->ka_int = get_u16(p + 16) * 1000ULL;
	d->ka_to = get_u16(p + 18) * 1000ULL;
	d->mtu = get_u16(p + 20);
	log_set_client(NULL, ip4_str(d->vaddr, a));
	if (!d->server) {
		struct sockaddr_in *in = (struct sockaddr_in *)&d->peer;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, pa, 4);
		in->sin_port = htons(get_u16(p + 22));
		if (connect(d->udp, (struct sockaddr *)in, sizeof(*in)) == -1)
			fatal("connect UDP");
		d->st.endpoint = d->peer;
		d->st.udp_port = data_local_port(d);
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
			data_session(d, m.payload);
			have_session = true;
		} else if (r == 1 && m.type == MSG_KEYS && have_session) {
			d->now = now_ms();
			data_install_keys(d, m.payload);
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

/* Sized once by the session's MTU; the hot path never allocates. */
static void
data_buffers(struct data *d, long msgsize)
{
	d->slot = d->mtu + PKT_OVERHEAD;
	d->in_cap = d->server ? (size_t)msgsize : d->mtu;
	d->rx_buf = malloc(DATA_BATCH * d->slot);
	d->tx_buf = malloc(DATA_BATCH * d->slot);
	d->in_buf = malloc(d->in_cap);
	if (d->rx_buf == NULL || d->tx_buf == NULL || d->in_buf == NULL)
		fatal("memory");
	for (int i = 0; i < DATA_BATCH; i++) {
		d->rx_iov[i] = (struct iovec){ d->rx_buf + i * d->slot,
		    d->slot };
		d->rx_msg[i].msg_hdr = (struct msghdr){
		    .msg_name = &d->rx_from[i], .msg_iov = &d->rx_iov[i],
		    .msg_iovlen = 1 };
		d->tx_msg[i].msg_hdr = (struct msghdr){
		    .msg_iov = &d->tx_iov[i], .msg_iovlen = 1 };
	}
}

static void
data_udp(struct data *d, const struct sockaddr_storage *local)
{
	struct sockaddr_storage ss;
	int family = d->server ? local->ss_family : AF_INET;
	int buf = 4 << 20;
	uint8_t port[MSG_PORT_LEN];

	d->udp = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->udp == -1)
		fatal("UDP socket");
	/* Bursts from the guard or tun must not overrun the socket. */
	if (setsockopt(d->udp, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
	    sizeof(buf)) == -1)
		setsockopt(d->udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(d->udp, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
	    sizeof(buf)) == -1)
		setsockopt(d->udp, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (d->server) {
		/* The address the client reached us on, with a fresh port
		 * (sin_port and sin6_port are at the same place). */
		ss = *local;
		((struct sockaddr_in *)&ss)->sin_port = 0;
		if (bind(d->udp, (struct sockaddr *)&ss, family == AF_INET ?
		    sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)) == -1)
			fatal("bind UDP");
	}
	d->st.udp_port = data_local_port(d);
	put_u16(port, d->st.udp_port);
	if (msg_send(d->ctl, MSG_PORT, port, sizeof(port)) == -1)
		fatal("send PORT");
}

static void
data_register(struct data *d, mqd_t guard, uint16_t slot)
{
	uint8_t p[MSG_REGISTER_LEN], buf[MSG_MAX_LEN];
	ssize_t n;

	memset(p, 0, sizeof(p));
	put_u16(p, slot);
	p[2] = 4;
	put_u32(p + 3, d->vaddr);
	n = msg_build(buf, sizeof(buf), MSG_REGISTER, p, sizeof(p));
	if (n < 0 || mq_send(guard, (char *)buf, (size_t)n, 0) == -1)
		fatal("register with the guard");
	mq_close(guard);
}

static int
data_timeout(struct data *d)
{
	uint64_t next = d->next_stats;

	if (d->peer.ss_family != 0 && d->last_tx + d->ka_int < next)
		next = d->last_tx + d->ka_int;
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
	if (d->peer.ss_family != 0 && d->now >= d->last_tx + d->ka_int) {
		data_tx(d, PKT_KEEPALIVE, NULL, 0);
		data_tx_flush(d);
	}
	if (d->now >= d->next_stats) {
		data_expire_keys(d);
		data_send_stats(d);
	}
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
		if (pfd[P_CTL].revents)
			data_dispatch_ctl(d);
		if (pfd[P_PARENT].revents)
			data_exit(d, 0);	/* the parent never writes */
	}
}

void
data_main(const struct conf *c, const struct data_fds *fds)
{
	struct data d = { .c = c, .server = c->role == CONF_SERVER,
	    .ctl = fds->ctl, .parent = fds->parent, .tun = fds->tun,
	    .queue = fds->queue, .tx = -1 };
	struct mq_attr qa = { .mq_msgsize = 0 };

	log_set_role("data");
	if (d.server && mq_getattr(d.queue, &qa) == -1)
		fatal("queue attributes");
	data_keys_new(&d);
	data_udp(&d, &fds->local);
	data_setup(&d);
	data_buffers(&d, qa.mq_msgsize);
	if (d.server)
		data_register(&d, fds->guard, fds->slot);
	fd_nonblock(d.ctl);
	fd_nonblock(d.parent);
	d.now = d.last_rx = d.last_tx = now_ms();
	d.next_stats = d.now;
	if (!d.server)
		data_tx(&d, PKT_KEEPALIVE, NULL, 0);	/* tell our endpoint */
	data_tx_flush(&d);
	data_loop(&d);
}
