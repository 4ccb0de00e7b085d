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

/* 198.18.0.6/16 from server 198.18.0.1, MTU 1420, UDP 40001, keepalive
 * 10/60, then n routes 10.<i>.0.0/16 (203.0.113.0/24 first). */
static size_t
config(uint8_t *p, unsigned n)
{
	put_u32(p, 0xc6120006);
	p[4] = 16;
	put_u32(p + 5, 0xc6120001);
	put_u16(p + 9, 1420);
	put_u16(p + 11, 40001);
	put_u16(p + 13, 10);
	put_u16(p + 15, 60);
	p[17] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		put_u32(p + 18 + 5 * i, i == 0 ? 0xcb007100 : 0x0a000000 |
		    i << 16);
		p[18 + 5 * i + 4] = i == 0 ? 24 : 16;
	}
	return MSG_CONFIG_MIN + 5 * n;
}

static void
corpus_fixed(void)
{
	uint8_t p[MSG_KEYS_LEN];

	put_u16(p, 40001);
	put_msg("port", MSG_PORT, p, MSG_PORT_LEN);
	memset(p, 0, MSG_SESSION_LEN);
	put_u32(p, 0xc6120006);
	p[4] = 16;
	put_u32(p + 6, 0xc6120001);
	put_u32(p + 10, 0xc6120000);
	p[14] = 16;
	put_u16(p + 16, 10);
	put_u16(p + 18, 60);
	put_u16(p + 20, 1420);
	put_u16(p + 22, 51820);
	put_u32(p + 24, 0xc0000202);
	put_msg("session", MSG_SESSION, p, MSG_SESSION_LEN);
	put_u32(p, 2);
	p[4] = MSG_KEYS_TX_NOW;
	fuzz_keymat(0, p + 5);
	fuzz_keymat(1, p + 5 + PKT_KEYMAT_LEN);
	put_msg("keys", MSG_KEYS, p, MSG_KEYS_LEN);
	put_msg("peer-dead", MSG_PEER_DEAD, NULL, 0);
	put_msg("stop", MSG_STOP, NULL, 0);
	put_msg("rekey-due", MSG_REKEY_DUE, NULL, 0);
	put_u32(p, 0xc6120006);
	p[4] = 16;
	put_u32(p + 5, 0xc6120001);
	put_msg("address-grant", MSG_ADDRESS_GRANT, p, MSG_ADDRESS_GRANT_LEN);
	memset(p, 0, MSG_REGISTER_LEN);
	put_u16(p, 3);
	p[2] = 4;
	put_u32(p + 3, 0xc6120006);
	put_msg("register", MSG_REGISTER, p, MSG_REGISTER_LEN);
	put_msg("unregister", MSG_UNREGISTER, p, MSG_UNREGISTER_LEN);
	put_u16(p, 1);
	put_u16(p + 2, 0);
	put_msg("hello", MSG_HELLO, p, MSG_HELLO_LEN);
	put_u32(p, 2);
	put_msg("rekey", MSG_REKEY, p, MSG_EPOCH_LEN);
	put_msg("rekey-ack", MSG_REKEY_ACK, p, MSG_EPOCH_LEN);
}

static void
corpus_ranges(void)
{
	static const char status[] = "client1 198.18.0.6 endpoint="
	    "192.0.2.10:51820 udp_port=40001 rx_packets=12 rx_bytes=1008\n";
	uint8_t p[MSG_CONFIG_MAX], text[MSG_REASON_MAX];
	size_t n;

	memset(text, 'x', sizeof(text));
	put_msg("stats-min", MSG_STATS, NULL, 0);
	put_msg("stats-max", MSG_STATS, text, MSG_STATS_MAX);
	put_msg("address-request-min", MSG_ADDRESS_REQUEST, "a", 1);
	put_msg("address-request-max", MSG_ADDRESS_REQUEST, text, MSG_CN_MAX);
	put_msg("address-deny-min", MSG_ADDRESS_DENY, "-", 1);
	put_msg("address-deny-max", MSG_ADDRESS_DENY, text, MSG_REASON_MAX);
	put_msg("bye-min", MSG_BYE, NULL, 0);
	put_msg("bye-max", MSG_BYE, text, MSG_REASON_MAX);
	put_msg("status-reply-min", MSG_STATUS_REPLY, NULL, 0);
	put_msg("status-reply", MSG_STATUS_REPLY, status, strlen(status));
	put_msg("config-min", MSG_CONFIG, p, config(p, 0));
	put_msg("config-max", MSG_CONFIG, p, config(p, MSG_CONFIG_ROUTES_MAX));
	put_msg("tun-config-min", MSG_TUN_CONFIG, p, config(p, 0));
	put_msg("tun-config-max", MSG_TUN_CONFIG, p,
	    config(p, MSG_CONFIG_ROUTES_MAX));
	/* msg_config_check's last test: a route over the server's address */
	n = config(p, 2);
	put_u32(p + 23, 0xc6120000);
	put_msg("config-covers-server", MSG_CONFIG, p, n);
}

/* A whole TLS conversation, the last message cut short. */
static void
corpus_stream(void)
{
	uint8_t p[MSG_CONFIG_MAX];

	slen = 0;
	put_u16(p, 1);
	put_u16(p + 2, 0);
	add(MSG_HELLO, p, MSG_HELLO_LEN);
	add(MSG_CONFIG, p, config(p, 3));
	put_u32(p, 1);
	add(MSG_REKEY, p, MSG_EPOCH_LEN);
	add(MSG_REKEY_ACK, p, MSG_EPOCH_LEN);
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
	  "max-clients 64\n"
	  "duplicate-cn refuse\n"
	  "push-route 203.0.113.0/24\n"
	  "push-route 198.51.100.0/24\n"
	  "fixed-address client1 198.18.0.10\n"
	  "fixed-address client2 198.18.0.11\n"),
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
	CONF("client-v4-noport", "\x01"
	  "\tremote 192.0.2.1   # no port: 1194\r\n"
	  "ca ca.pem\r\ncert c.pem\r\nkey c.key\r\n"),
	CONF("server-minimal", "\x00"
	  "ca ca.pem\ncert s.pem\nkey s.key\npool 198.18.0.0/16\n"),
	CONF("client-minimal", "\x01"
	  "ca ca.pem\ncert c.pem\nkey c.key\nremote vpn\n"),
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
	    .bad_mac = 1, .tx_epoch = 2, .rekeys = 1, .udp_port = 40001 };
	struct sockaddr_in *in = (struct sockaddr_in *)&s.endpoint;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s.endpoint;
	uint8_t p[MSG_STATS_MAX + 1];
	size_t n;

	n = stats_encode(&s, p, sizeof(p));
	put("stats", "no-endpoint", p, n);
	put("stats", "short", p, n - 1);
	p[n] = 0;
	put("stats", "long", p, n + 1);
	put("stats", "empty", p, 0);
	in->sin_family = AF_INET;
	in->sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.10", &in->sin_addr);
	put("stats", "ipv4", p, stats_encode(&s, p, sizeof(p)));
	p[2] = 5;
	put("stats", "bad-family", p, n);
	memset(&s.endpoint, 0, sizeof(s.endpoint));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8::1", &in6->sin6_addr);
	put("stats", "ipv6", p, stats_encode(&s, p, sizeof(p)));
	memset(p + 21, 0xff, n - 21);
	put("stats", "counters-max", p, n);
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
	corpus_route();
	return 0;
}
