/* Writes the seed corpora: tests/fuzz/mkcorpus tests/fuzz/corpus (from a
 * build dir: tests/fuzz/mkcorpus ../tests/fuzz/corpus). Seeds are built
 * with the project's own encoders, so they stay valid as formats evolve;
 * files it does not name (saved crashes) are left alone. */
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_key.h"
#include "msg.h"
#include "packet.h"
#include "replay.h"
#include "stats.h"

static const char *outdir;

static void
put(const char *target, const char *name, const void *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if (len >= 4096)
		errx(1, "%s: %zu bytes, keep seeds under 4 KiB", path, len);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, buf, len) != (ssize_t)len ||
	    close(fd) == -1)
		err(1, "%s", path);
}

/* msg: one growing stream buffer, so a session can be several messages. */
static uint8_t sbuf[MSG_MAX_LEN * 2];
static size_t slen;

static void
add(uint16_t type, const void *p, size_t len)
{
	ssize_t n;

	if ((n = msg_build(sbuf + slen, sizeof(sbuf) - slen, type, p,
	    len)) == -1)
		errx(1, "msg_build %s %zu", msg_name(type), len);
	slen += (size_t)n;
}

static void
put_msg(const char *name, uint16_t type, const void *p, size_t len)
{
	slen = 0;
	add(type, p, len);
	put("msg", name, sbuf, slen);
}

/* A message msg_build would refuse: the header as given, then len bytes. */
static void
put_bad_msg(const char *name, uint16_t type, const void *p, size_t len)
{
	uint8_t b[MSG_MAX_LEN];

	put_u16(b, type);
	put_u16(b + 2, (uint16_t)len);
	if (len > 0)
		memcpy(b + MSG_HDR_LEN, p, len);
	put("msg", name, b, MSG_HDR_LEN + len);
}

static void
seed_sa4(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
		errx(1, "%s", addr);
}

static void
seed_sa6(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
		errx(1, "%s", addr);
}

/* 198.18.0.6/16 from server 198.18.0.1, MTU 1420, UDP 40001, keepalive
 * 10/60, then n routes 10.<i>.0.0/16 (203.0.113.0/24 first). */
static size_t
config(uint8_t *p, unsigned n)
{
	struct msg_config c = { .vaddr = 0xc6120006, .prefix = 16,
	    .server_vaddr = 0xc6120001, .mtu = 1420, .port = 40001,
	    .keepalive_interval = 10, .keepalive_timeout = 60,
	    .index = 0x8000002a, .nroutes = (uint8_t)n };

	for (unsigned i = 0; i < n && i < MSG_ROUTES_MAX; i++)
		c.routes[i] = (struct msg_route){ i == 0 ? 0xcb007100 :
		    0x0a000000 | i << 16, i == 0 ? 24 : 16 };
	return msg_put_config(p, &c);
}

/* config(p, 1) with IPv6: 2001:db8:1::2/64 from server 2001:db8:1::1,
 * then n6 routes 2001:db8:<i>::/48. */
static size_t
config6(uint8_t *p, unsigned n6)
{
	struct msg_config c = { .vaddr = 0xc6120006, .prefix = 16,
	    .server_vaddr = 0xc6120001, .mtu = 1420, .port = 40001,
	    .keepalive_interval = 10, .keepalive_timeout = 60,
	    .index = 0x8000002a, .nroutes = 1,
	    .routes = { { 0xcb007100, 24 } },
	    .vaddr6 = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, 64 },
	    .server_vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 },
	    .nroutes6 = (uint8_t)n6 };

	for (unsigned i = 0; i < n6 && i < MSG_ROUTES_MAX; i++)
		c.routes6[i] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8,
		    0x02, (uint8_t)i }, 48 };
	return msg_put_config(p, &c);
}

/* config() with the DNS part full: 4 servers (IPv4 and IPv6) and 4
 * domains, the last of the longest kind. */
static size_t
config_dns(uint8_t *p, unsigned n)
{
	struct msg_config c = { .vaddr = 0xc6120006, .prefix = 16,
	    .server_vaddr = 0xc6120001, .mtu = 1420, .port = 40001,
	    .keepalive_interval = 10, .keepalive_timeout = 60,
	    .index = 0x8000002a, .nroutes = (uint8_t)n,
	    .ndns = MSG_DNS_MAX, .ndomains = MSG_DOMAINS_MAX,
	    .dns = { { 4, { 198, 18, 0, 53 } },
	    { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 } },
	    { 4, { 198, 19, 0, 53 } },
	    { 6, { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 0x53 } } },
	    .domains = { "corp.example", "lab-1.corp.example", "x" } };

	memset(c.domains[3], 'z', MSG_DOMAIN_MAX);
	c.domains[3][63] = c.domains[3][127] = c.domains[3][191] = '.';
	for (unsigned i = 0; i < n && i < MSG_ROUTES_MAX; i++)
		c.routes[i] = (struct msg_route){ 0x0a000000 | i << 16, 16 };
	return msg_put_config(p, &c);
}

/* A server's data process: 198.18.0.6/16 in pool 198.18.0.0/16. */
static struct msg_session
session(void)
{
	struct msg_session s = { .vaddr = 0xc6120006, .prefix = 16,
	    .server_vaddr = 0xc6120001, .pool = 0xc6120000,
	    .pool_prefix = 16, .keepalive_interval = 10,
	    .keepalive_timeout = 60, .mtu = 1420, .rx_index = 0x80000001,
	    .tx_index = 0x12345678 };

	return s;
}

static void
corpus_sockaddr(void)
{
	uint8_t p[MSG_MAX_PAYLOAD] = { 0 };
	struct msg_start st;
	struct msg_session s = session();
	size_t n;

	memset(&st, 0, sizeof(st));
	put_msg("start-none", MSG_START, p, msg_put_start(p, &st));
	seed_sa4(&st.peer, "192.0.2.10", 51820);
	put_msg("start-v4", MSG_START, p, n = msg_put_start(p, &st));
	p[0] = 5;
	put_msg("start-bad-family", MSG_START, p, n);
	seed_sa6(&st.peer, "2001:db8::a", 443);
	put_msg("start-v6", MSG_START, p, msg_put_start(p, &st));

	put_msg("session", MSG_SESSION, p, msg_put_session(p, &s));
	s.client_to_client = true;
	seed_sa4(&s.peer, "192.0.2.1", 1194);
	put_msg("session-client-v4", MSG_SESSION, p, msg_put_session(p, &s));
	seed_sa6(&s.peer, "2001:db8::1", 1194);
	put_msg("session-client-v6", MSG_SESSION, p,
	    n = msg_put_session(p, &s));
	put_bad_msg("session-long", MSG_SESSION, p, n + 1);
	/* framed right, refused by get */
	s.mtu = 575;
	put_msg("session-bad-mtu", MSG_SESSION, p, msg_put_session(p, &s));
	s = session();
	s.keepalive_timeout = s.keepalive_interval;
	put_msg("session-bad-keepalive", MSG_SESSION, p,
	    msg_put_session(p, &s));
	s = session();
	s.prefix = 33;
	put_msg("session-bad-prefix", MSG_SESSION, p, msg_put_session(p, &s));
	/* client networks after the fixed part */
	s = session();
	s.nnets = 2;
	s.nets[0] = (struct msg_route){ 0xc6130100, 24 };
	s.nets[1] = (struct msg_route){ 0xcb007180, 25 };
	put_msg("session-nets", MSG_SESSION, p, n = msg_put_session(p, &s));
	put_msg("session-nets-cut", MSG_SESSION, p, n - 1);
	s.nets[1].prefix = 24;
	put_msg("session-nets-host-bits", MSG_SESSION, p,
	    msg_put_session(p, &s));
	s.nnets = MSG_NETS_MAX;
	for (unsigned i = 0; i < MSG_NETS_MAX; i++)
		s.nets[i] = (struct msg_route){ 0x0a000000 | i << 16, 16 };
	put_msg("session-nets-max", MSG_SESSION, p, n = msg_put_session(p, &s));
	put_bad_msg("session-nets-long", MSG_SESSION, p, n + 5);
	/* IPv6 client networks after the IPv4 ones, both counted */
	s = session();
	s.nnets = 1;
	s.nets[0] = (struct msg_route){ 0xc6130100, 24 };
	s.nnets6 = 2;
	s.nets6[0] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8, 0, 5 }, 64 };
	s.nets6[1] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8, 0, 6,
	    [15] = 1 }, 128 };
	put_msg("session-nets6", MSG_SESSION, p, n = msg_put_session(p, &s));
	put_msg("session-nets6-cut", MSG_SESSION, p, n - 1);
	p[n - 18] = 48;			/* the first IPv6 one: host bits */
	put_msg("session-nets6-host-bits", MSG_SESSION, p, n);
	s.nnets = 0;
	s.nnets6 = MSG_NETS_MAX;
	for (unsigned i = 0; i < MSG_NETS_MAX; i++)
		s.nets6[i] = (struct msg_net6){ { 0x20, 0x01, 0x0d, 0xb8, 0,
		    (uint8_t)i }, 48 };
	put_msg("session-nets6-max", MSG_SESSION, p,
	    n = msg_put_session(p, &s));
	put_bad_msg("session-nets6-long", MSG_SESSION, p, n + 17);
}

static void
corpus_fixed(void)
{
	uint8_t p[MSG_MAX_PAYLOAD] = { 0 };
	struct msg_keys k = { .epoch = 2, .flags = MSG_KEYS_TX_NOW };
	struct msg_grant g = { .vaddr = 0xc6120006, .prefix = 16,
	    .server_vaddr = 0xc6120001, .index = 0x80000001,
	    .vaddr6 = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, 64 },
	    .server_vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 } };
	struct msg_register r = { .slot = 3, .index = 0x80000001,
	    .vaddr = 0xc6120006,
	    .vaddr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 } };
	struct msg_unregister u = { .slot = 3 };
	struct msg_hello h = { .version = 3, .index = 0x8000002a };
	struct msg_epoch e = { .epoch = 2 };
	struct msg_recheck rc = { .generation = 3 };
	struct msg_end end = { .cause = MSG_END_KICKED };
	struct msg_live live = { .client_to_client = true };
	struct msg_kick kick = { .cn = "alice" };
	size_t n;

	corpus_sockaddr();
	fuzz_keymat(0, k.tx);
	fuzz_keymat(1, k.rx);
	put_msg("keys", MSG_KEYS, p, msg_put_keys(p, &k));
	k.flags = 0;
	put_msg("keys-no-flag", MSG_KEYS, p, msg_put_keys(p, &k));
	k.flags = 2;
	put_msg("keys-bad-flag", MSG_KEYS, p, msg_put_keys(p, &k));
	put_msg("peer-dead", MSG_PEER_DEAD, NULL, 0);
	put_msg("stop", MSG_STOP, NULL, 0);
	put_msg("queue", MSG_QUEUE, NULL, 0);
	put_msg("rekey-due", MSG_REKEY_DUE, NULL, 0);
	put_msg("address-grant", MSG_ADDRESS_GRANT, p, msg_put_grant(p, &g));
	g.prefix = 33;
	put_msg("address-grant-bad-prefix", MSG_ADDRESS_GRANT, p,
	    msg_put_grant(p, &g));
	put_msg("register", MSG_REGISTER, p, msg_put_register(p, &r));
	memcpy(r.cn, "site-a", 7);
	put_msg("register-cn", MSG_REGISTER, p, n = msg_put_register(p, &r));
	p[12] = 0;
	put_msg("register-cn-nul", MSG_REGISTER, p, n);
	put_msg("unregister", MSG_UNREGISTER, p, msg_put_unregister(p, &u));
	put_msg("hello", MSG_HELLO, p, msg_put_hello(p, &h));
	put_msg("rekey", MSG_REKEY, p, msg_put_epoch(p, &e));
	put_msg("rekey-ack", MSG_REKEY_ACK, p, msg_put_epoch(p, &e));
	put_bad_msg("unknown-type", 0x4242, NULL, 0);
	put_bad_msg("unknown-type-gap", MSG_STATUS_REPLY + 1, p, 4);
	put_msg("recheck", MSG_RECHECK, p, msg_put_recheck(p, &rc));
	put_msg("end-kicked", MSG_END, p, msg_put_end(p, &end));
	end.cause = 0;
	put_msg("end-bad-cause", MSG_END, p, msg_put_end(p, &end));
	put_msg("live", MSG_LIVE, p, msg_put_live(p, &live));
	live.client_to_client = false;
	put_msg("live-off", MSG_LIVE, p, msg_put_live(p, &live));
	put_msg("kick", MSG_KICK, p, msg_put_kick(p, &kick));
	put_msg("kick-bad-cn", MSG_KICK, "al\nce", 6);
}

static void
corpus_ranges(void)
{
	static const char status[] = "client1 198.18.0.6 endpoint="
	    "192.0.2.10:51820 rx_packets=12 rx_bytes=1008\n";
	uint8_t p[MSG_MAX_PAYLOAD] = { 0 }, text[513];	/* a STATS too long */
	size_t n;

	memset(text, 'x', sizeof(text));
	put_msg("stats-min", MSG_STATS, NULL, 0);
	put_msg("stats-max", MSG_STATS, text, 512);
	put_bad_msg("stats-long", MSG_STATS, text, 513);
	put_msg("address-request-min", MSG_ADDRESS_REQUEST, "a", 1);
	put_msg("address-request-max", MSG_ADDRESS_REQUEST, text, MSG_CN_MAX);
	put_bad_msg("address-request-empty", MSG_ADDRESS_REQUEST, NULL, 0);
	put_msg("address-deny-min", MSG_ADDRESS_DENY, "-", 1);
	put_msg("address-deny-max", MSG_ADDRESS_DENY, text, MSG_REASON_MAX);
	put_msg("bye-min", MSG_BYE, NULL, 0);
	put_msg("bye-max", MSG_BYE, text, MSG_REASON_MAX);
	put_msg("status-reply-min", MSG_STATUS_REPLY, NULL, 0);
	put_msg("status-reply", MSG_STATUS_REPLY, status, strlen(status));
	put_msg("config-min", MSG_CONFIG, p, config(p, 0));
	put_msg("config-max", MSG_CONFIG, p, config(p, MSG_ROUTES_MAX));
	put_msg("tun-config-min", MSG_TUN_CONFIG, p, config(p, 0));
	put_msg("tun-config-max", MSG_TUN_CONFIG, p,
	    config(p, MSG_ROUTES_MAX));
	put_msg("config-dns", MSG_CONFIG, p, config_dns(p, 1));
	put_msg("config-dns-max", MSG_CONFIG, p, config_dns(p, MSG_ROUTES_MAX));
	put_msg("tun-config-dns", MSG_TUN_CONFIG, p, config_dns(p, 0));
	/* the judge's DNS rules: a server twice, a multicast one */
	n = config_dns(p, 0);
	memcpy(p + 22 + 1 + 17 * 2, p + 22 + 1, 17);
	put_msg("config-dns-twice", MSG_CONFIG, p, n);
	p[22 + 1 + 1] = 224;
	put_msg("config-dns-multicast", MSG_CONFIG, p, n);
	/* framing: a family 5, a domain with an underscore */
	n = config_dns(p, 0);
	p[22 + 1] = 5;
	put_bad_msg("config-dns-family", MSG_CONFIG, p, n);
	n = config_dns(p, 0);
	p[22 + 1 + 17 * 4 + 1 + 1 + 4] = '_';
	put_bad_msg("config-domain-char", MSG_CONFIG, p, n);
	/* framing: a domain's length past the end, a count short */
	n = config_dns(p, 0);
	p[22 + 1 + 17 * 4 + 1] = 13;
	put_bad_msg("config-domain-long", MSG_CONFIG, p, n);
	n = config_dns(p, 0);
	p[22] = 3;
	put_bad_msg("config-dns-count-short", MSG_CONFIG, p, n);
	/* msg_config_check's last test: a route over the server's address */
	n = config(p, 2);
	put_u32(p + n - 7, 0xc6120000);
	put_msg("config-covers-server", MSG_CONFIG, p, n);
	/* the route count must account for every byte */
	n = config(p, 3);
	p[21] = 2;
	put_bad_msg("config-count-short", MSG_CONFIG, p, n);
	n = config(p, MSG_ROUTES_MAX);
	p[21] = MSG_ROUTES_MAX + 1;
	memset(p + n, 0, 5);
	put_bad_msg("config-65-routes", MSG_CONFIG, p, n + 5);
	/* the IPv6 part: present or not, its count accounting for it all */
	put_msg("config6-min", MSG_CONFIG, p, config6(p, 0));
	put_msg("config6", MSG_CONFIG, p, config6(p, 3));
	put_msg("config6-max", MSG_CONFIG, p, config6(p, MSG_ROUTES_MAX));
	put_msg("tun-config6", MSG_TUN_CONFIG, p, config6(p, 2));
	n = config6(p, 2);
	put_bad_msg("config6-cut", MSG_CONFIG, p, n - 1);
	p[27 + 33] = 3;
	put_bad_msg("config6-count-long", MSG_CONFIG, p, n);
	n = config6(p, 1);
	p[27 + 16] = 0;
	put_bad_msg("config6-no-prefix", MSG_CONFIG, p, n);
}

/* A whole TLS conversation, the last message cut short. */
static void
corpus_stream(void)
{
	uint8_t p[MSG_MAX_PAYLOAD] = { 0 };
	struct msg_hello h = { .version = 3, .index = 0x8000002a };
	struct msg_epoch e = { .epoch = 1 };

	slen = 0;
	add(MSG_HELLO, p, msg_put_hello(p, &h));
	add(MSG_CONFIG, p, config_dns(p, 3));
	add(MSG_REKEY, p, msg_put_epoch(p, &e));
	add(MSG_REKEY_ACK, p, msg_put_epoch(p, &e));
	add(MSG_BYE, "shutdown", 8);
	put("msg", "session-stream", sbuf, slen);
	put("msg", "session-stream-cut", sbuf, slen - 3);
}

#define CONF(name, text) { name, text, sizeof(text) - 1 }

/* The first byte picks the role: 0 server, 1 client. */
static const struct {
	const char *name;
	const char *text;
	size_t len;
} confs[] = {
	CONF("server-full", "\x00"
	  "# simpletun server, every directive\n"
	  "ca /etc/simpletun/ca.pem\n"
	  "cert /etc/simpletun/server.pem\n"
	  "key /etc/simpletun/server.key\n"
	  "crl /etc/simpletun/crl.pem\n"
	  "handshake-timeout 10\n"
	  "dev stun0\n"
	  "mtu 1420\n"
	  "keepalive 10 60\n"
	  "user nobody\n"
	  "status-socket /run/simpletun.sock\n"
	  "verb 1\n"
	  "listen 192.0.2.1:1194\n"
	  "pool 198.18.0.0/16\n"
	  "client-to-client no\n"
	  "session-users 1879048192 65536\n"
	  "max-clients 64\n"
	  "udp-port 51820\n"
	  "duplicate-cn refuse\n"
	  "push-route 203.0.113.0/24\n"
	  "push-route 198.51.100.0/24\n"
	  "fixed-address client1 198.18.0.10\n"
	  "fixed-address client2 198.18.0.11\n"
	  "client-network client1 198.19.1.0/24\n"
	  "client-network client1 198.19.2.0/24\n"
	  "client-network client2 203.0.113.128/25\n"
	  "push-client-networks yes\n"
	  "push-dns 198.18.0.53\n"
	  "push-dns 2001:db8::53\n"
	  "push-domain corp.example\n"),
	CONF("client-full", "\x01"
	  "# simpletun client, every directive\n"
	  "ca /etc/simpletun/ca.pem\n"
	  "cert /etc/simpletun/client1.pem\n"
	  "key /etc/simpletun/client1.key\n"
	  "crl /etc/simpletun/crl.pem\n"
	  "handshake-timeout 20\n"
	  "reneg-sec 0\n"
	  "dev stun1\n"
	  "keepalive 5 30\n"
	  "user nobody\n"
	  "status-socket /run/simpletun-client.sock\n"
	  "verb 2\n"
	  "remote vpn.example.net:1194\n"
	  "server-name vpn.example.net\n"
	  "connect-retry 1 60\n"),
	/* files that exist, so that conf_check gets past them */
	CONF("server-checks", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nlisten [::]:1194\n"
	  "fixed-address alice 198.18.0.2\n"
	  "fixed-address bob 198.18.0.254\n"),
	CONF("server-client-nets", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npush-route 198.19.0.0/16\n"
	  "client-network a 198.19.1.0/24\nclient-network b 198.19.2.0/24\n"
	  "push-client-networks no\n"),
	CONF("server-client-nets-overlap", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\n"
	  "client-network a 198.19.0.0/16\nclient-network b 198.19.2.0/24\n"),
	CONF("server-client-nets-pool", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\n"
	  "client-network a 198.18.0.0/25\n"),
	CONF("server-client-nets-push", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npush-route 198.19.1.0/25\n"
	  "client-network a 198.19.1.0/24\n"),
	CONF("server-client-nets6", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npool6 2001:db8:1::/64\n"
	  "push-route 2001:db8::/32\n"
	  "client-network a 2001:db8:5::/64\nclient-network a 198.19.1.0/24\n"
	  "client-network b 2001:db8:6:1::1/128\n"),
	CONF("server-client-nets6-overlap", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npool6 2001:db8:1::/64\n"
	  "client-network a 2001:db8:5::/48\n"
	  "client-network b 2001:db8:5:1::/64\n"),
	CONF("server-client-nets6-pool6", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npool6 2001:db8:1::/64\n"
	  "client-network a 2001:db8:1::/96\n"),
	CONF("server-client-nets6-no-pool6", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\n"
	  "client-network a 2001:db8:5::/64\n"),
	CONF("server-client-nets6-push", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/24\nuser root\npool6 2001:db8:1::/64\n"
	  "push-route 2001:db8:5:8::/64\n"
	  "client-network a 2001:db8:5::/48\n"),
	CONF("err-client-net6-prefix", "\x00"
	  "client-network a 2001:db8::/15\n"),
	CONF("err-client-net-twice", "\x00"
	  "client-network a 198.19.1.0/24\nclient-network a 198.19.1.0/24\n"),
	CONF("err-client-net-prefix", "\x00"
	  "client-network a 198.0.0.0/7\n"),
	CONF("server-fixed-outside", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 198.18.0.0/30\nfixed-address alice 198.18.0.3\n"),
	CONF("server-fixed-twice", "\x00"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "pool 10.0.0.0/8\nuser root\n"
	  "fixed-address a 10.8.0.2\nfixed-address b 10.8.0.2\n"),
	CONF("client-checks", "\x01"
	  "ca /etc/passwd\ncert /etc/passwd\nkey /etc/passwd\n"
	  "remote [2001:db8::1]:443\nuser root\n"),
	CONF("client-pull-filter", "\x01"
	  "ca ca.pem\ncert c.pem\nkey c.key\nremote vpn\n"
	  "route-nopull no\nredirect-gateway yes\n"
	  "pull-filter accept 2001:db8:5:8::/64\n"
	  "pull-filter ignore 2001:db8:5::/48\n"
	  "pull-filter accept 192.168.10.0/24\n"
	  "pull-filter ignore 0.0.0.0/0\npull-filter ignore ::/0\n"),
	CONF("err-pull-filter6-prefix", "\x01"
	  "pull-filter ignore 2001:db8:5::/129\n"),
	CONF("err-pull-filter6-host-bits", "\x01"
	  "pull-filter ignore 2001:db8:5::1/48\n"),
	CONF("client-v4-noport", "\x01"
	  "\tremote 192.0.2.1   # no port: 1194\r\n"
	  "ca ca.pem\r\ncert c.pem\r\nkey c.key\r\n"),
	CONF("server-minimal", "\x00"
	  "ca ca.pem\ncert s.pem\nkey s.key\npool 198.18.0.0/16\n"),
	CONF("client-minimal", "\x01"
	  "ca ca.pem\ncert c.pem\nkey c.key\nremote vpn\n"),
	CONF("server-v6-ids", "\x00"
	  "listen [2001:db8::1]:443\n"
	  "udp-port 0\n"
	  "session-users 1000 64\n"
	  "keepalive 3 7\n"
	  "max-clients 64\n"
	  "pool 198.18.0.0/24\n"),
	CONF("err-session-users", "\x00" "session-users 4294967293 2\n"),
	CONF("err-unknown", "\x00" "compress lz4\n"),
	CONF("err-twice", "\x00" "mtu 1400\nmtu 1500\n"),
	CONF("err-trailing", "\x00" "keepalive 10 60 90\n"),
	CONF("err-range", "\x00" "mtu 99999999999999999999\n"),
	CONF("err-host-bits", "\x00" "push-route 203.0.113.1/24\n"),
	CONF("err-role", "\x01" "pool 198.18.0.0/16\n"),
	CONF("err-keepalive", "\x01" "keepalive 60 10\n"),
	CONF("err-remote", "\x01" "remote [2001:db8::1\n"),
	CONF("err-nul", "\x00" "dev a\0b\n"),
	CONF("err-retry", "\x01" "connect-retry 60 1\n"),
	CONF("err-dns", "\x00" "push-dns 198.18.0.53 x\npush-dns dns.example\n"),
	CONF("err-dns-twice", "\x00"
	  "push-dns 2001:db8::53\npush-dns 2001:db8:0::53\n"),
	CONF("err-dns-five", "\x00"
	  "push-dns 198.18.0.1\npush-dns 198.18.0.2\npush-dns ::ffff:1.2.3.4\n"
	  "push-dns 2001:db8::4\npush-dns 2001:db8::5\n"),
	CONF("err-domain", "\x00"
	  "push-domain corp.example\npush-domain -bad..example.\n"),
};

/* Every route a server may push, and one more. */
static void
conf_routes(void)
{
	char buf[2048];
	size_t n = 1;

	buf[0] = 0;
	for (int i = 0; i <= CONF_ROUTES_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "push-route 10.%d.0.0/16\n", i);
	put("conf", "err-routes", buf, n);
}

static void
corpus_conf(void)
{
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		put("conf", confs[i].name, confs[i].text, confs[i].len);
	conf_routes();
}

/* packet: records as fuzz_packet.c reads them */
static uint8_t rbuf[4096];
static size_t rlen;
static struct pkt_key *tx[FUZZ_NKEYS];

static void
rec_bytes(const void *p, size_t len)
{
	if (len > sizeof(rbuf) - rlen)
		errx(1, "packet seed too long");
	memcpy(rbuf + rlen, p, len);
	rlen += len;
}

static void
rec_u8(uint8_t v)
{
	rec_bytes(&v, 1);
}

static void
rec_u16(uint16_t v)
{
	uint8_t b[2];

	put_u16(b, v);
	rec_bytes(b, 2);
}

static void
rec_raw(const uint8_t *pkt, size_t len)
{
	rec_u8(0);
	rec_u16((uint16_t)len);
	rec_bytes(pkt, len);
}

/* A sealed packet of plen bytes of an IPv4 header's worth of pattern. */
static size_t
sealed(int ki, uint8_t type, uint32_t index, uint64_t seq, size_t plen,
    uint8_t *out)
{
	uint8_t payload[1500];
	ssize_t n;

	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 7);
	if (plen > 0)
		payload[0] = 0x45;
	n = pkt_seal(tx[ki], type, index, seq, payload, plen, out,
	    plen + PKT_OVERHEAD);
	if (n == -1)
		errx(1, "pkt_seal");
	return (size_t)n;
}

/* Raw packets carry receiver index 7, the fuzzer's own seals 0 unless
 * told otherwise. */
#define SEED_INDEX 7

static void
raw(int ki, uint8_t type, uint64_t seq, size_t plen)
{
	uint8_t out[1500 + PKT_OVERHEAD];

	rec_raw(out, sealed(ki, type, SEED_INDEX, seq, plen, out));
}

/* Sealed by the fuzzer: delta from the key's top, or absolute. */
static void
seal_delta(int ki, int16_t delta, uint16_t plen)
{
	uint8_t pl[64] = { 0x45 };

	rec_u8((uint8_t)(1 | ki << 1));
	rec_u16((uint16_t)delta);
	rec_u16(plen);
	rec_bytes(pl, plen);
}

static void
seal_abs(int ki, uint8_t type, uint64_t seq, uint16_t plen)
{
	uint8_t pl[64] = { 0x60 }, b[8];

	rec_u8((uint8_t)(1 | ki << 1 | (type == PKT_KEEPALIVE) << 2 | 8));
	put_u64(b, seq);
	rec_bytes(b, 8);
	rec_u16(plen);
	rec_bytes(pl, plen);
}

static void
seal_index(int ki, uint64_t seq, uint32_t index, uint16_t plen)
{
	uint8_t pl[64] = { 0x45 }, b[8];

	rec_u8((uint8_t)(1 | ki << 1 | 8 | 16));
	put_u64(b, seq);
	rec_bytes(b, 8);
	put_u32(b, index);
	rec_bytes(b, 4);
	rec_u16(plen);
	rec_bytes(pl, plen);
}

/* Writes the records gathered so far as one seed of target, and starts
 * afresh. */
static void
put_records(const char *target, const char *name)
{
	put(target, name, rbuf, rlen);
	rlen = 0;
}

static void
corpus_packet_raw(void)
{
	uint8_t p[64 + PKT_OVERHEAD];
	size_t n;

	raw(0, PKT_DATA, 1, 84);
	put_records("packet", "raw-data");
	raw(0, PKT_KEEPALIVE, 1, 0);
	put_records("packet", "raw-keepalive");
	raw(1, PKT_DATA, 1, 40);
	put_records("packet", "raw-second-key");
	raw(0, PKT_DATA, 1, 1420);
	put_records("packet", "raw-mtu");
	raw(0, PKT_DATA, 7, 20);
	raw(0, PKT_DATA, 7, 20);
	put_records("packet", "raw-replayed");
	raw(0, PKT_DATA, 5, 20);
	raw(0, PKT_DATA, 3, 20);
	raw(0, PKT_DATA, 4, 20);
	raw(0, PKT_DATA, 3, 20);
	raw(0, PKT_KEEPALIVE, 1, 0);
	put_records("packet", "raw-reordered");
	n = sealed(0, PKT_DATA, SEED_INDEX, 2, 20, p);
	p[n - 1] ^= 1;
	rec_raw(p, n);
	p[n - 1] ^= 1;
	p[PKT_OFF_INDEX + 3] ^= 1;
	rec_raw(p, n);
	p[PKT_OFF_INDEX + 3] ^= 1;
	p[PKT_OFF_RESERVED] = 1;
	rec_raw(p, n);
	p[PKT_OFF_RESERVED] = 0;
	p[PKT_OFF_KEY_ID] = 9;
	rec_raw(p, n);
	p[PKT_OFF_KEY_ID] = 1;
	p[PKT_OFF_TYPE] = 3;
	rec_raw(p, n);
	p[PKT_OFF_TYPE] = PKT_KEEPALIVE;
	rec_raw(p, n);
	rec_raw(p, PKT_OVERHEAD - 1);
	put_records("packet", "raw-broken");
}

static void
corpus_packet_seal(void)
{
	for (int i = 0; i < 5; i++)
		seal_delta(0, 1, 20);
	seal_delta(0, -2, 20);
	put_records("packet", "seal-in-order");
	seal_abs(0, PKT_DATA, 10000, 8);
	seal_delta(0, -REPLAY_WINDOW, 8);
	seal_delta(0, -REPLAY_WINDOW - 1, 8);
	seal_delta(0, -REPLAY_WINDOW, 8);
	put_records("packet", "seal-window-edge");
	seal_abs(0, PKT_DATA, 100, 0);
	seal_delta(0, REPLAY_BITS + 8, 0);
	seal_delta(0, -REPLAY_WINDOW + 64, 0);
	seal_abs(0, PKT_DATA, 100, 0);
	seal_delta(0, 64, 0);
	put_records("packet", "seal-ring-wrap");
	seal_abs(0, PKT_DATA, 1, 4);
	seal_abs(0, PKT_DATA, (uint64_t)1 << 40, 4);
	seal_abs(0, PKT_DATA, 2, 4);
	seal_delta(0, 1, 4);
	put_records("packet", "seal-jump");
	seal_abs(1, PKT_DATA, UINT64_MAX, 4);
	seal_abs(1, PKT_DATA, UINT64_MAX - 1, 4);
	seal_abs(1, PKT_KEEPALIVE, UINT64_MAX - 2, 0);
	put_records("packet", "seal-max-seq");
	seal_abs(0, PKT_DATA, 1, 16);
	seal_abs(1, PKT_DATA, 1, 16);
	seal_abs(0, PKT_KEEPALIVE, 2, 0);
	seal_abs(1, PKT_DATA, 1, 16);
	put_records("packet", "seal-two-keys");
	seal_abs(0, PKT_DATA, 0, 4);
	seal_abs(0, PKT_KEEPALIVE, 5, 4);
	put_records("packet", "seal-refused");
	raw(0, PKT_DATA, 9, 20);
	seal_abs(0, PKT_DATA, 9, 20);
	seal_delta(0, -1, 20);
	put_records("packet", "raw-then-seal");
	seal_index(0, 1, 1, 20);
	seal_index(0, 2, 0x80000000, 0);
	seal_index(1, 1, UINT32_MAX, 20);
	seal_index(0, 1, 2, 20);
	put_records("packet", "seal-index");
}

static void
corpus_packet(void)
{
	uint8_t km[PKT_KEYMAT_LEN];

	for (int i = 0; i < FUZZ_NKEYS; i++) {
		fuzz_keymat(i, km);
		if ((tx[i] = pkt_key_new()) == NULL ||
		    pkt_key_set(tx[i], fuzz_key_id(i), km) == -1)
			errx(1, "pkt_key_set");
	}
	corpus_packet_raw();
	corpus_packet_seal();
	for (int i = 0; i < FUZZ_NKEYS; i++)
		pkt_key_free(tx[i]);
}

static void
corpus_stats(void)
{
	struct data_stats s = { .rx_packets = 1000, .rx_bytes = 1234567,
	    .tx_packets = 990, .tx_bytes = 1200000, .replay = 3,
	    .bad_mac = 1, .tx_epoch = 2, .rekeys = 1, .roams = 1 };
	struct guard_stats g = { .rx_packets = 5000, .no_route = 2,
	    .routes = 3, .udp_packets = 4000, .forwarded = 3990,
	    .no_session = 10 };
	uint8_t p[MSG_MAX_PAYLOAD] = { 0 };
	size_t n;

	n = stats_encode(&s, p, sizeof(p));
	put("stats", "no-endpoint", p, n);
	put("stats", "short", p, n - 1);
	put("stats", "long", p, n + 1);
	put("stats", "empty", p, 0);
	p[1]--;
	put("stats", "count-short", p, n);
	seed_sa4(&s.endpoint, "192.0.2.10", 51820);
	put("stats", "ipv4", p, stats_encode(&s, p, sizeof(p)));
	p[2] = 5;
	put("stats", "bad-family", p, n);
	p[2] = 4;
	p[0] = 2;
	put("stats", "data-as-guard", p, n);
	seed_sa6(&s.endpoint, "2001:db8::1", 65535);
	put("stats", "ipv6", p, stats_encode(&s, p, sizeof(p)));
	memset(p + 21, 0xff, n - 21);
	put("stats", "counters-max", p, n);

	memset(p, 0, sizeof(p));
	n = stats_encode_guard(&g, p, sizeof(p));
	put("stats", "guard", p, n);
	put("stats", "guard-short", p, n - 1);
	memset(p + 21, 0xff, n - 21);
	put("stats", "guard-counters-max", p, n);
	p[2] = 4;
	put("stats", "guard-endpoint", p, n);
	p[2] = 0;
	p[0] = 1;
	put("stats", "guard-as-data", p, n);
}

/* qmsg: queue messages as the guard writes them for a data process */
static void
corpus_qmsg(void)
{
	static const size_t lens[] = { 84, 0, 1, 1500, 40 };
	uint8_t q[4096] = { 0 }, pkt[1501];
	struct sockaddr_storage ss;
	size_t n = 0, at;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	pkt[0] = 0x45;
	n = qmsg_tun_start(q);
	put("qmsg", "tun-empty", q, n);
	n = qmsg_tun_add(q, n, pkt, 84);
	put("qmsg", "tun-one", q, n);
	n = qmsg_tun_start(q);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		n = qmsg_tun_add(q, n, pkt, lens[i]);
	put("qmsg", "tun-batch", q, n);
	put("qmsg", "tun-cut-record", q, n - 1);
	put("qmsg", "tun-cut-header", q, n - 40 - 1);
	/* longer than a data process's MTU */
	n = qmsg_tun_start(q);
	n = qmsg_tun_add(q, n, pkt, 20);
	at = n;
	n = qmsg_tun_add(q, n, pkt, 1501);
	put("qmsg", "tun-too-long", q, n);
	put_u16(q + at, 0xffff);
	put("qmsg", "tun-length-past-end", q, n);

	seed_sa4(&ss, "192.0.2.10", 51820);
	qmsg_udp_put(q, &ss);
	memcpy(q + QMSG_UDP_HDR, pkt, 48);
	put("qmsg", "udp-v4", q, QMSG_UDP_HDR + 48);
	put("qmsg", "udp-v4-empty", q, QMSG_UDP_HDR);
	put("qmsg", "udp-short", q, QMSG_UDP_HDR - 1);
	q[1] = 5;
	put("qmsg", "udp-bad-family", q, QMSG_UDP_HDR + 48);
	q[1] = 0;
	put("qmsg", "udp-no-family", q, QMSG_UDP_HDR + 48);
	seed_sa6(&ss, "2001:db8::1", 443);
	qmsg_udp_put(q, &ss);
	put("qmsg", "udp-v6", q, QMSG_UDP_HDR + 48);
	q[0] = 3;
	put("qmsg", "unknown-kind", q, QMSG_UDP_HDR + 48);
	put("qmsg", "empty", q, 0);
}

/* route: ops as fuzz_route.c reads them */
enum { R_ADD = 0, R_DEL = 2, R_LOOKUP = 3, R_V6 = 4, R_RAW = 8 };

static void
r_op(uint8_t op, uint8_t sel, uint8_t slot)
{
	rec_u8(op);
	if ((op & 3) != R_DEL)
		rec_u8(sel);
	if ((op & 3) != R_LOOKUP)
		rec_u8(slot);
}

static void
r_raw(uint8_t op, const char *addr, uint8_t slot)
{
	uint8_t a[16];
	int v6 = strchr(addr, ':') != NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		errx(1, "%s", addr);
	rec_u8(op | R_RAW | (v6 ? R_V6 : 0));
	rec_bytes(a, v6 ? 16 : 4);
	if ((op & 3) != R_LOOKUP)
		rec_u8(slot);
}

static void
corpus_route(void)
{
	rec_u8(6);
	for (int i = 0; i < 7; i++)
		r_op(R_ADD, (uint8_t)i, (uint8_t)i);
	r_op(R_ADD, 2, 9);
	for (int i = 0; i < 8; i++)
		r_op(R_LOOKUP, (uint8_t)i, 0);
	put_records("route", "full");
	rec_u8(16);
	for (int i = 0; i < 8; i++) {
		r_op(R_ADD, (uint8_t)i, (uint8_t)i);
		r_op(R_ADD | R_V6, (uint8_t)i, (uint8_t)(i + 8));
	}
	r_op(R_DEL, 0, 3);
	r_op(R_DEL, 0, 12);
	r_op(R_LOOKUP, 3, 0);
	r_op(R_LOOKUP | R_V6, 4, 0);
	r_op(R_ADD, 3, 15);
	put_records("route", "v4-v6-delete");
	rec_u8(0);
	r_op(R_ADD, 1, 1);
	r_op(R_LOOKUP, 1, 0);
	r_op(R_DEL, 0, 1);
	put_records("route", "capacity-0");
	rec_u8(63);
	r_raw(R_ADD, "198.18.0.6", 1);
	r_raw(R_ADD, "198.18.255.254", 2);
	r_raw(R_ADD, "203.0.113.7", 3);
	r_raw(R_ADD, "2001:db8::6", 4);
	r_raw(R_ADD, "fe80::1", 5);
	r_raw(R_LOOKUP, "198.18.0.7", 0);
	r_raw(R_LOOKUP, "2001:db8::6", 0);
	r_op(R_DEL, 0, 2);
	r_raw(R_LOOKUP, "203.0.113.7", 0);
	put_records("route", "whole-addresses");
}

/* guard: a slot count, then ops (see fuzz_guard.c). */
static void
g_register(uint16_t slot, uint32_t index, uint32_t vaddr)
{
	struct msg_register r = { .slot = slot, .index = index,
	    .vaddr = vaddr };
	uint8_t p[MSG_MAX_PAYLOAD];

	rec_u8(0);
	/* fuzz_guard reads slot, index and IPv4 address: the first 10 */
	msg_put_register(p, &r);
	rec_bytes(p, 10);
}

static void
g_unregister(uint8_t slot)
{
	rec_u8(1);
	rec_u8(slot);
}

static void
g_datagram(uint32_t index)
{
	uint8_t d[PKT_OVERHEAD] = { PKT_KEEPALIVE, 0 };

	put_u32(d + 4, index);
	rec_u8(2);
	rec_u8(PKT_OVERHEAD);
	rec_bytes(d, sizeof(d));
}

static void
g_tun(uint32_t vaddr)
{
	uint8_t a[4];

	put_u32(a, vaddr);
	rec_u8(3);
	rec_bytes(a, 4);
}

static void
corpus_guard(void)
{
	rec_u8(7);		/* 8 slots */
	g_register(1, 0xabcd0001, 0xc6120002);
	g_datagram(0xabcd0001);
	g_datagram(0xabce0001);	/* the slot's, but not its index */
	g_tun(0xc6120002);
	g_unregister(1);
	g_datagram(0xabcd0001);
	g_tun(0xc6120002);
	put_records("guard", "register-and-leave");
	rec_u8(7);
	g_register(2, 0xabcd0001, 0xc6120003);	/* index names slot 1 */
	g_register(9, 0xabcd0009, 0xc6120004);	/* no such slot */
	g_datagram(0xabcd0009);
	g_unregister(70);
	put_records("guard", "refused");
	rec_u8(7);
	g_register(1, 0x11110001, 0xc6120002);
	g_register(2, 0x22220002, 0xc6120002);	/* takes the address over */
	g_tun(0xc6120002);
	g_register(1, 0x33330001, 0xc6120005);	/* a slot's new session */
	g_datagram(0x11110001);
	g_datagram(0x33330001);
	put_records("guard", "takeover");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus CORPUS_DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	corpus_fixed();
	corpus_ranges();
	corpus_stream();
	corpus_conf();
	corpus_packet();
	corpus_stats();
	corpus_qmsg();
	corpus_route();
	corpus_guard();
	return 0;
}
