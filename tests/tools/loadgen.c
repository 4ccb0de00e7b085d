/*
 * loadgen: a load tool for the network tests. It opens N real sessions
 * against one server (TCP, TLS 1.3 with a certificate of its own per
 * session, HELLO/CONFIG, keys exported from TLS), holds them with sealed
 * keepalives, checks that every one carries traffic both ways, and reports
 *
 *   handshakes per second: sessions up / wall time from the first connect
 *     to the last CONFIG received;
 *   sessions held with traffic: each sends a sealed ICMP echo request from
 *     its virtual address to the server's tunnel address (the server's
 *     kernel answers through tun, guard, queue and data process) and opens
 *     the sealed reply, retried --tries times a second apart;
 *   the server's PSS: the sum of Pss in /proc/PID/smaps_rollup over
 *     --server-pid and its descendants, before the sessions (baseline) and
 *     with them, per session;
 *   CPU per handshake: what the server's processes (--server-pid and its
 *     descendants) and loadgen's own ran from the first connect to the last
 *     CONFIG, per session up, and the handshake rate the machine's cores
 *     allow at that cost (both ends on one machine, as here: the online
 *     CPUs' milliseconds per second over both ends' cost).
 *
 *   loadgen --remote IP:PORT --server-name NAME --ca FILE --ca-key FILE -n N
 *       [--workers K] [--inflight M] [--timeout S] [--hold S] [--tries T]
 *       [--server-pid PID] [--rekey-flood N] [--json]
 *
 * The client certificates are made in memory: EC P-256 keys, CN load-0000
 * and up, signed with the CA's key and with the extensions certs/mkcerts
 * gives client certificates (one CN per session: the server replaces a live
 * session of the same CN). K worker processes (default 2) each run their
 * share of the sessions in one poll loop, at most M handshakes in flight
 * (default 32), and keep every session's TLS connection open and its data
 * channel alive (a sealed KEEPALIVE each keepalive interval the server
 * sent) until the end; --hold waits that long between the last handshake
 * and the traffic check.
 *
 * --rekey-flood N: once every session is up, session 0 sends N REKEY
 * messages back to back (epochs 1 to N, without waiting for REKEY_ACK), as
 * a hostile client would, and keeps reading; whether the server then said
 * BYE to it, and why, is reported. Session 0 is then left out of the
 * traffic check: the others must still be up and carry traffic.
 *
 * Exit status: 0 if every session came up, got its reply and was still up
 * at the end; 1 otherwise; 2 for bad usage.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "msg.h"
#include "packet.h"
#include "tls.h"

#define LG_PROTO_VERSION 3	/* PROTO_VERSION in simpletun/control.c */
#define LG_MAX_SESSIONS 60000	/* the ICMP identifier is the session's id */
#define LG_MAX_WORKERS 64
#define LG_IO_MS 5000		/* one small TLS write, at most */
#define LG_TICK_MS 100		/* timers are checked this often */
#define LG_ECHO_GAP_US 1000000	/* between two echo requests of a session */
#define LG_FAILS_SHOWN 10	/* failure lines per worker, then a count */
#define LG_CERT_DAYS 825	/* as certs/mkcerts */
#define LG_UDP_BATCH 64		/* datagrams read per wake-up and session */

#define IP_HDR_LEN 20
#define ICMP_HDR_LEN 8
#define ECHO_DATA_LEN 32
#define ECHO_LEN (IP_HDR_LEN + ICMP_HDR_LEN + ECHO_DATA_LEN)
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

struct opts {
	struct sockaddr_in remote;
	const char *server_name;
	const char *ca, *ca_key;
	unsigned long n, workers, inflight, timeout_s, hold_s, tries;
	pid_t server_pid;		/* 0: no PSS figures */
	unsigned long rekey_flood;	/* REKEYs session 0 sends; 0: none */
	bool json;
};

/* A session's client certificate and key. */
struct ident {
	X509 *cert;
	EVP_PKEY *key;
};

/* What a worker tells the parent after each phase. */
struct report {
	uint32_t up;			/* sessions up now */
	uint32_t failed;		/* sessions that never came up or ended */
	uint32_t replied;		/* sessions up whose echo came back */
	uint64_t first_connect_us, last_config_us;
	/* session 0, from the worker that has it */
	uint32_t s0_up, s0_replied;	/* counted in up and replied too */
	uint32_t s0_acks;		/* REKEY_ACKs to the flood */
	bool s0_bye;
	char s0_why[MSG_REASON_MAX + 1];	/* the BYE's reason */
};

/* What the parent tells its workers, one byte each. */
enum command {
	CMD_GO = 'g',			/* start the handshakes */
	CMD_CHECK = 'c',		/* send the echo requests */
	CMD_FLOOD = 'f',		/* session 0 sends its REKEYs */
	CMD_STOP = 's',			/* say BYE, report and exit */
};

enum sess_state {
	SESS_WAITING,			/* not started yet */
	SESS_CONNECT,			/* TCP connect in progress */
	SESS_TLS,			/* TLS handshake */
	SESS_CONFIG,			/* HELLO sent, waiting for CONFIG */
	SESS_UP,
	SESS_FAILED,
	SESS_CLOSED,			/* said BYE at the end */
};

struct sess {
	unsigned id;			/* CN load-%04u, ICMP identifier */
	enum sess_state state;
	int tcp, udp;			/* owned here, -1 when closed */
	SSL *ssl;
	short want;			/* poll events the handshake waits for */
	uint32_t rx_index;		/* ours: in every packet from the server */
	struct msg_config cfg;
	struct pkt_key *tx, *rx;
	uint64_t seq;			/* of the last packet sealed */
	uint64_t deadline_us;		/* to reach SESS_UP */
	uint64_t next_ka_us, next_echo_us;
	unsigned tries;			/* echo requests sent */
	bool replied;
	uint8_t in[2 * MSG_MAX_LEN];	/* TLS bytes not yet parsed */
	size_t inlen;
};

/* Poll slots of a worker: its parent, then two per session. */
enum { W_PARENT, W_SESSIONS };
enum { SLOT_TCP, SLOT_UDP, SLOTS_PER_SESS };

struct worker {
	const struct opts *o;
	SSL_CTX *ctx;
	const struct ident *ids;	/* every session's, indexed by id */
	struct sess *s;
	unsigned ns;
	unsigned next;			/* next session to start */
	unsigned inflight;		/* started, not yet up or failed */
	struct pollfd *pfd;
	nfds_t npfd;
	int parent;			/* socketpair to the parent */
	bool go, checking, up_reported, check_reported;
	unsigned fails;			/* failure lines printed */
	struct report rep;
};

/* The parent's view of one worker. */
struct child {
	pid_t pid;
	int sock;
	bool lost;			/* died or sent nonsense */
};

/* A process tree's figures: PSS and CPU time. */
struct tree {
	unsigned long kb;
	unsigned procs;
	double cpu_ms;		/* run by the live ones and their reaped children */
};

static void sess_fail(struct worker *, struct sess *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen --remote IP:PORT --server-name NAME --ca FILE "
	    "--ca-key FILE -n N\n"
	    "           [--workers K] [--inflight M] [--timeout S] "
	    "[--hold S] [--tries T]\n"
	    "           [--server-pid PID] [--rekey-flood N] [--json]\n");
	exit(2);
}

static noreturn void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- options -------------------------------------------------------- */

/* A whole decimal number in [min, max], nothing else; exits on anything
 * else. */
static unsigned long
opt_number(const char *what, const char *s, unsigned long min,
    unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)s[0]) ? strtoul(s, &end, 10) : 0;
	if (!isdigit((unsigned char)s[0]) || errno != 0 || *end != '\0' ||
	    v < min || v > max) {
		fprintf(stderr, "loadgen: bad %s '%s' (want %lu..%lu)\n", what,
		    s, min, max);
		exit(2);
	}
	return v;
}

/* IPv4:PORT; the server's data channel speaks IPv4 only. */
static void
opt_remote(const char *s, struct sockaddr_in *sin)
{
	const char *colon = strrchr(s, ':');
	char ip[INET_ADDRSTRLEN];

	if (colon == NULL || (size_t)(colon - s) >= sizeof(ip)) {
		fprintf(stderr, "loadgen: bad --remote '%s' (want IP:PORT)\n",
		    s);
		exit(2);
	}
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
		fprintf(stderr, "loadgen: bad IPv4 address '%s'\n", ip);
		exit(2);
	}
	sin->sin_port = htons((uint16_t)opt_number("port", colon + 1, 1,
	    65535));
}

static void
opt_parse(int argc, char **argv, struct opts *o)
{
	enum { O_REMOTE = 256, O_NAME, O_CA, O_CA_KEY, O_WORKERS, O_INFLIGHT,
	    O_TIMEOUT, O_HOLD, O_TRIES, O_PID, O_FLOOD, O_JSON };
	static const struct option longopts[] = {
		{ "remote", required_argument, NULL, O_REMOTE },
		{ "server-name", required_argument, NULL, O_NAME },
		{ "ca", required_argument, NULL, O_CA },
		{ "ca-key", required_argument, NULL, O_CA_KEY },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "inflight", required_argument, NULL, O_INFLIGHT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "tries", required_argument, NULL, O_TRIES },
		{ "server-pid", required_argument, NULL, O_PID },
		{ "rekey-flood", required_argument, NULL, O_FLOOD },
		{ "json", no_argument, NULL, O_JSON },
		{ NULL, 0, NULL, 0 },
	};
	bool have_remote = false;
	int c;

	*o = (struct opts){ .workers = 2, .inflight = 32, .timeout_s = 30,
	    .tries = 5 };
	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (c) {
		case O_REMOTE:
			opt_remote(optarg, &o->remote);
			have_remote = true;
			break;
		case O_NAME:
			o->server_name = optarg;
			break;
		case O_CA:
			o->ca = optarg;
			break;
		case O_CA_KEY:
			o->ca_key = optarg;
			break;
		case 'n':
			o->n = opt_number("-n", optarg, 1, LG_MAX_SESSIONS);
			break;
		case O_WORKERS:
			o->workers = opt_number("--workers", optarg, 1,
			    LG_MAX_WORKERS);
			break;
		case O_INFLIGHT:
			o->inflight = opt_number("--inflight", optarg, 1, 10000);
			break;
		case O_TIMEOUT:
			o->timeout_s = opt_number("--timeout", optarg, 1, 3600);
			break;
		case O_HOLD:
			o->hold_s = opt_number("--hold", optarg, 0, 86400);
			break;
		case O_TRIES:
			o->tries = opt_number("--tries", optarg, 1, 100);
			break;
		case O_PID:
			o->server_pid = (pid_t)opt_number("--server-pid", optarg,
			    1, INT32_MAX);
			break;
		case O_FLOOD:
			o->rekey_flood = opt_number("--rekey-flood", optarg, 1,
			    100000);
			break;
		case O_JSON:
			o->json = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_remote || o->server_name == NULL ||
	    o->ca == NULL || o->ca_key == NULL || o->n == 0)
		usage();
	if (o->workers > o->n)
		o->workers = o->n;
}

/* Each worker holds two fds per session of its share. */
static void
nofile_raise(const struct opts *o)
{
	rlim_t need = 2 * (o->n / o->workers + 1) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* only root may; tried below */
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("RLIMIT_NOFILE: need %llu fds per worker: %s (ulimit -n, or "
		    "more --workers)", (unsigned long long)need,
		    strerror(errno));
}

/* ---- certificates ----------------------------------------------------- */

static const char *
ossl_why(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

static X509 *
pem_cert_load(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (f == NULL)
		die("ca %s: %s", path, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		die("ca %s: %s", path, ossl_why());
	return x;
}

static EVP_PKEY *
pem_key_load(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (f == NULL)
		die("ca key %s: %s", path, strerror(errno));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die("ca key %s: %s", path, ossl_why());
	return k;
}

static int
cert_add_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* A random positive 128-bit serial, as mkcerts' openssl rand -hex 16. */
static int
cert_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[0] = (r[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))
	    != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* The client certificate certs/mkcerts would make for cn. */
static X509 *
cert_make(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	bool ok;

	ok = x != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	    cert_serial(x) == 0 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x),
		LG_CERT_DAYS * 86400L) != NULL &&
	    X509_NAME_add_entry_by_NID(X509_get_subject_name(x),
		NID_commonName, MBSTRING_ASC, (const unsigned char *)cn, -1,
		-1, 0) == 1 &&
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1 &&
	    X509_set_pubkey(x, key) == 1 &&
	    cert_add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE")
		== 0 &&
	    cert_add_ext(x, ca, NID_key_usage, "critical,digitalSignature")
		== 0 &&
	    cert_add_ext(x, ca, NID_subject_key_identifier, "hash") == 0 &&
	    cert_add_ext(x, ca, NID_authority_key_identifier, "keyid") == 0 &&
	    cert_add_ext(x, ca, NID_ext_key_usage, "clientAuth") == 0 &&
	    X509_sign(x, ca_key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static struct ident *
idents_make(const struct opts *o)
{
	X509 *ca = pem_cert_load(o->ca);
	EVP_PKEY *ca_key = pem_key_load(o->ca_key);
	struct ident *ids = calloc(o->n, sizeof(*ids));
	char cn[32];

	if (ids == NULL)
		die("out of memory");
	if (X509_check_private_key(ca, ca_key) != 1)
		die("ca key %s does not belong to ca %s", o->ca_key, o->ca);
	for (unsigned long i = 0; i < o->n; i++) {
		snprintf(cn, sizeof(cn), "load-%04lu", i);
		if ((ids[i].key = EVP_EC_gen("P-256")) == NULL ||
		    (ids[i].cert = cert_make(ca, ca_key, ids[i].key, cn))
		    == NULL)
			die("certificate %s: %s", cn, ossl_why());
	}
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return ids;
}

static void
idents_free(struct ident *ids, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		X509_free(ids[i].cert);
		EVP_PKEY_free(ids[i].key);
	}
	free(ids);
}

/* A memfd with x (or k) in PEM, which is how tls_ctx_new takes them. */
static int
pem_memfd(const char *name, X509 *x, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long len;
	int fd = -1;

	if (b != NULL && (x != NULL ? PEM_write_bio_X509(b, x) :
	    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) == 1 &&
	    (len = BIO_get_mem_data(b, &data)) > 0 &&
	    (fd = memfd_create(name, MFD_CLOEXEC)) != -1 &&
	    write(fd, data, (size_t)len) != len) {
		close(fd);
		fd = -1;
	}
	BIO_free(b);
	return fd;
}

/* The project's TLS context (TLS 1.3, verification, no resumption), built
 * with the first session's certificate; every session sets its own. */
static SSL_CTX *
ctx_make(const struct opts *o, const struct ident *first)
{
	struct tls_pem pem = { .fd = { -1, -1, -1, -1 },
	    .path = { o->ca, "load-0000.crt (memory)",
		"load-0000.key (memory)", "" } };
	char err[512];
	SSL_CTX *ctx;

	pem.fd[TLS_CA] = open(o->ca, O_RDONLY | O_CLOEXEC);
	pem.fd[TLS_CERT] = pem_memfd("cert", first->cert, NULL);
	pem.fd[TLS_KEY] = pem_memfd("key", NULL, first->key);
	if (pem.fd[TLS_CA] == -1 || pem.fd[TLS_CERT] == -1 ||
	    pem.fd[TLS_KEY] == -1)
		die("TLS context: %s", strerror(errno));
	ctx = tls_ctx_new(false, &pem, err, sizeof(err));
	tls_pem_close(&pem);
	if (ctx == NULL)
		die("TLS context: %s", err);
	return ctx;
}

/* ---- ICMP echo -------------------------------------------------------- */

static uint16_t
inet_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get_u16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4 echo request from src to dst (host order) into p. */
static size_t
icmp_echo_build(uint8_t *p, uint32_t src, uint32_t dst, uint16_t id,
    uint16_t seq)
{
	uint8_t *icmp = p + IP_HDR_LEN;

	memset(p, 0, ECHO_LEN);
	p[0] = 0x45;			/* version 4, 5 words of header */
	put_u16(p + 2, ECHO_LEN);
	put_u16(p + 4, seq);		/* IP identification */
	p[8] = 64;			/* TTL */
	p[9] = IPPROTO_ICMP;
	put_u32(p + 12, src);
	put_u32(p + 16, dst);
	put_u16(p + 10, inet_csum(p, IP_HDR_LEN));
	icmp[0] = ICMP_ECHO_REQUEST;
	put_u16(icmp + 4, id);
	put_u16(icmp + 6, seq);
	memset(icmp + ICMP_HDR_LEN, 0xa5, ECHO_DATA_LEN);
	put_u16(icmp + 2, inet_csum(icmp, ICMP_HDR_LEN + ECHO_DATA_LEN));
	return ECHO_LEN;
}

/* An echo reply from src to dst with identifier id, checksums right. */
static bool
icmp_is_reply(const uint8_t *p, size_t n, uint32_t src, uint32_t dst,
    uint16_t id)
{
	size_t ihl, total;

	if (n < IP_HDR_LEN || p[0] >> 4 != 4)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = get_u16(p + 2);
	if (ihl < IP_HDR_LEN || total > n || total < ihl + ICMP_HDR_LEN ||
	    p[9] != IPPROTO_ICMP || inet_csum(p, ihl) != 0 ||
	    get_u32(p + 12) != src || get_u32(p + 16) != dst)
		return false;
	p += ihl;
	return p[0] == ICMP_ECHO_REPLY && get_u16(p + 4) == id &&
	    inet_csum(p, total - ihl) == 0;
}

/* ---- sessions ----------------------------------------------------------- */

static struct pollfd *
sess_pfd(struct worker *w, const struct sess *s, int slot)
{
	return &w->pfd[W_SESSIONS + (size_t)(s - w->s) * SLOTS_PER_SESS +
	    (size_t)slot];
}

static bool
sess_in_flight(const struct sess *s)
{
	return s->state == SESS_CONNECT || s->state == SESS_TLS ||
	    s->state == SESS_CONFIG;
}

static void
sess_close(struct sess *s)
{
	tls_close(s->ssl, 0);
	s->ssl = NULL;
	if (s->tcp != -1)
		close(s->tcp);
	if (s->udp != -1)
		close(s->udp);
	s->tcp = s->udp = -1;
	pkt_key_free(s->tx);
	pkt_key_free(s->rx);
	s->tx = s->rx = NULL;
}

static void
sess_fail(struct worker *w, struct sess *s, const char *fmt, ...)
{
	va_list ap;

	if (sess_in_flight(s))
		w->inflight--;
	if (w->fails++ < LG_FAILS_SHOWN) {
		fprintf(stderr, "loadgen: load-%04u: ", s->id);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	sess_close(s);
	s->state = SESS_FAILED;
}

/* OpenSSL's reason for the last failure, and the verification result. */
static const char *
sess_tls_why(const struct sess *s, char *buf, size_t len)
{
	long vr = SSL_get_verify_result(s->ssl);

	snprintf(buf, len, "%s%s%s%s", ossl_why(),
	    vr != X509_V_OK ? " (" : "",
	    vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "",
	    vr != X509_V_OK ? ")" : "");
	return buf;
}

static void
sess_send(struct sess *s, uint8_t type, const uint8_t *p, size_t len)
{
	uint8_t buf[ECHO_LEN + PKT_OVERHEAD];
	ssize_t n;

	n = pkt_seal(s->tx, type, s->cfg.index, ++s->seq, p, len, buf,
	    sizeof(buf));
	/* A lost datagram is retried by the next keepalive or echo. */
	if (n > 0)
		(void)send(s->udp, buf, (size_t)n, MSG_DONTWAIT);
}

static void
sess_keepalive(struct sess *s, uint64_t now)
{
	sess_send(s, PKT_KEEPALIVE, NULL, 0);
	s->next_ka_us = now + s->cfg.keepalive_interval * 1000000ULL;
}

static void
sess_echo(struct sess *s, uint64_t now)
{
	uint8_t p[ECHO_LEN];

	icmp_echo_build(p, s->cfg.vaddr, s->cfg.server_vaddr,
	    (uint16_t)s->id, (uint16_t)++s->tries);
	sess_send(s, PKT_DATA, p, sizeof(p));
	s->next_echo_us = now + LG_ECHO_GAP_US;
}

/* Keys of epoch 0: the first half seals client -> server, the second
 * server -> client (DESIGN.md section 3). */
static int
sess_keys(struct sess *s)
{
	uint8_t km[2 * PKT_KEYMAT_LEN];
	int r = -1;

	if (tls_export(s->ssl, 0, km, sizeof(km)) == 0 &&
	    (s->tx = pkt_key_new()) != NULL &&
	    (s->rx = pkt_key_new()) != NULL &&
	    pkt_key_set(s->tx, 0, km) == 0 &&
	    pkt_key_set(s->rx, 0, km + PKT_KEYMAT_LEN) == 0)
		r = 0;
	OPENSSL_cleanse(km, sizeof(km));
	return r;
}

/* The data channel: a UDP socket of its own, connected to CONFIG's port
 * on the address we reached the server at. */
static int
sess_udp_open(struct worker *w, struct sess *s)
{
	struct sockaddr_in sin = w->o->remote;

	sin.sin_port = htons(s->cfg.port);
	s->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->udp == -1 ||
	    connect(s->udp, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return -1;
	return 0;
}

static void
sess_up(struct worker *w, struct sess *s)
{
	uint64_t now = now_us();

	if (sess_keys(s) == -1) {
		sess_fail(w, s, "cannot derive keys");
		return;
	}
	if (sess_udp_open(w, s) == -1) {
		sess_fail(w, s, "UDP socket: %s", strerror(errno));
		return;
	}
	w->inflight--;
	s->state = SESS_UP;
	w->rep.last_config_us = now;
	/* at once, so the server learns our endpoint */
	sess_keepalive(s, now);
	if (w->checking)
		sess_echo(s, now);
}

static void
sess_config(struct worker *w, struct sess *s, const struct msg *m)
{
	const char *why;

	if (msg_get_config(m, &s->cfg) == -1) {
		sess_fail(w, s, "malformed CONFIG");
		return;
	}
	why = msg_config_check(&s->cfg, ntohl(w->o->remote.sin_addr.s_addr));
	if (why != NULL) {
		sess_fail(w, s, "bad CONFIG: %s", why);
		return;
	}
	sess_up(w, s);
}

static void
sess_handle_msg(struct worker *w, struct sess *s, const struct msg *m)
{
	char why[MSG_REASON_MAX + 1];

	if (m->type == MSG_BYE) {
		msg_get_text(m, why, sizeof(why));
		if (s->id == 0) {
			w->rep.s0_bye = true;
			memcpy(w->rep.s0_why, why, sizeof(why));
		}
		sess_fail(w, s, "the server said BYE%s: %s",
		    s->state == SESS_CONFIG ? " instead of CONFIG" : "", why);
	} else if (m->type == MSG_CONFIG && s->state == SESS_CONFIG)
		sess_config(w, s, m);
	else if (m->type == MSG_REKEY_ACK && s->id == 0 && w->o->rekey_flood)
		w->rep.s0_acks++;
	else
		sess_fail(w, s, "unexpected %s", msg_name(m->type));
}

/* Reads what TLS has, then handles every whole message; a close is
 * reported after what came before it. */
static void
sess_tls_read(struct worker *w, struct sess *s)
{
	char err[256] = "";
	bool closed = false;
	struct msg m;
	ssize_t n;

	while (s->inlen < sizeof(s->in)) {
		n = tls_read(s->ssl, s->in + s->inlen, sizeof(s->in) - s->inlen,
		    err, sizeof(err));
		if (n <= 0) {
			closed = n < 0;
			break;
		}
		s->inlen += (size_t)n;
	}
	while (s->state == SESS_CONFIG || s->state == SESS_UP) {
		if ((n = msg_parse(s->in, s->inlen, &m)) == 0)
			break;
		if (n < 0) {
			sess_fail(w, s, "malformed message from the server");
			return;
		}
		sess_handle_msg(w, s, &m);
		memmove(s->in, s->in + n, s->inlen - (size_t)n);
		s->inlen -= (size_t)n;
	}
	if (closed && (s->state == SESS_CONFIG || s->state == SESS_UP))
		sess_fail(w, s, "control connection %s: %s",
		    s->state == SESS_UP ? "lost" : "closed before CONFIG", err);
}

static void
sess_hello(struct worker *w, struct sess *s)
{
	struct msg_hello h = { .version = LG_PROTO_VERSION,
	    .index = s->rx_index };
	uint8_t p[MSG_MAX_PAYLOAD], buf[MSG_MAX_LEN];
	char err[256];
	ssize_t n;

	n = msg_build(buf, sizeof(buf), MSG_HELLO, p, msg_put_hello(p, &h));
	if (n < 0 || tls_write(s->ssl, buf, (size_t)n, LG_IO_MS, err,
	    sizeof(err)) == -1) {
		sess_fail(w, s, "send HELLO: %s", n < 0 ? "cannot build" : err);
		return;
	}
	s->state = SESS_CONFIG;
}

static void
sess_tls_step(struct worker *w, struct sess *s)
{
	char why[512];
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_connect(s->ssl)) == 1) {
		sess_hello(w, s);
		return;
	}
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		s->want = POLLIN;
		return;
	case SSL_ERROR_WANT_WRITE:
		s->want = POLLOUT;
		return;
	}
	sess_fail(w, s, "TLS handshake failed: %s",
	    sess_tls_why(s, why, sizeof(why)));
}

static void
sess_tls_start(struct worker *w, struct sess *s)
{
	const struct ident *id = &w->ids[s->id];
	const char *name = w->o->server_name;
	char why[512];

	ERR_clear_error();
	if ((s->ssl = SSL_new(w->ctx)) == NULL ||
	    SSL_use_certificate(s->ssl, id->cert) != 1 ||
	    SSL_use_PrivateKey(s->ssl, id->key) != 1 ||
	    SSL_set_fd(s->ssl, s->tcp) != 1 ||
	    SSL_set1_host(s->ssl, name) != 1 ||
	    SSL_set_tlsext_host_name(s->ssl, name) != 1) {
		snprintf(why, sizeof(why), "%s", ossl_why());
		sess_fail(w, s, "TLS setup: %s", why);
		return;
	}
	s->state = SESS_TLS;
	sess_tls_step(w, s);
}

static void
sess_connected(struct worker *w, struct sess *s)
{
	socklen_t len = sizeof(int);
	int e = 0;

	if (getsockopt(s->tcp, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		sess_fail(w, s, "connect: %s", strerror(e));
		return;
	}
	sess_tls_start(w, s);
}

static void
sess_start(struct worker *w, struct sess *s)
{
	const struct sockaddr_in *sin = &w->o->remote;
	uint64_t now = now_us();

	s->state = SESS_CONNECT;
	w->inflight++;
	s->deadline_us = now + w->o->timeout_s * 1000000ULL;
	if (RAND_bytes((unsigned char *)&s->rx_index,
	    sizeof(s->rx_index)) != 1) {
		sess_fail(w, s, "no random receiver index");
		return;
	}
	s->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->tcp == -1) {
		sess_fail(w, s, "socket: %s", strerror(errno));
		return;
	}
	if (w->rep.first_connect_us == 0)
		w->rep.first_connect_us = now;
	if (connect(s->tcp, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		sess_tls_start(w, s);
	else if (errno != EINPROGRESS)
		sess_fail(w, s, "connect: %s", strerror(errno));
}

static void
sess_dispatch_tcp(struct worker *w, struct sess *s)
{
	switch (s->state) {
	case SESS_CONNECT:
		sess_connected(w, s);
		break;
	case SESS_TLS:
		sess_tls_step(w, s);
		break;
	case SESS_CONFIG:
	case SESS_UP:
		sess_tls_read(w, s);
		break;
	default:
		break;
	}
}

/* Opens what the server sent; an echo reply for us marks the session. */
static void
sess_dispatch_udp(struct sess *s)
{
	uint8_t buf[2048];
	struct pkt_hdr h;
	ssize_t n;

	for (int i = 0; i < LG_UDP_BATCH; i++) {
		n = recv(s->udp, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == ECONNREFUSED))
			continue;
		if (n == -1)
			return;
		if (pkt_parse_hdr(buf, (size_t)n, &h) == -1 ||
		    h.index != s->rx_index ||
		    (n = pkt_open(s->rx, buf, (size_t)n)) < 0)
			continue;
		if (h.type == PKT_DATA && icmp_is_reply(buf + PKT_HDR_LEN,
		    (size_t)n, s->cfg.server_vaddr, s->cfg.vaddr,
		    (uint16_t)s->id))
			s->replied = true;
	}
}

/* REKEY epoch 1, 2, ... n, back to back; the ACKs are only counted. */
static void
sess_rekey_flood(struct worker *w, struct sess *s, unsigned long n)
{
	uint8_t p[MSG_MAX_PAYLOAD], buf[MSG_MAX_LEN];
	char err[256];
	ssize_t len;

	for (unsigned long i = 1; i <= n && s->state == SESS_UP; i++) {
		struct msg_epoch e = { .epoch = (uint32_t)i };

		len = msg_build(buf, sizeof(buf), MSG_REKEY, p,
		    msg_put_epoch(p, &e));
		if (len < 0 || tls_write(s->ssl, buf, (size_t)len, LG_IO_MS,
		    err, sizeof(err)) == -1)
			sess_fail(w, s, "send REKEY %lu: %s", i,
			    len < 0 ? "cannot build" : err);
	}
}

/* Says BYE and closes, as a client that is done. */
static void
sess_bye(struct sess *s)
{
	static const char why[] = "load test done";
	uint8_t buf[MSG_MAX_LEN];
	char err[256];
	ssize_t n;

	n = msg_build(buf, sizeof(buf), MSG_BYE, why, sizeof(why) - 1);
	if (n > 0)
		(void)tls_write(s->ssl, buf, (size_t)n, LG_IO_MS, err,
		    sizeof(err));
	sess_close(s);
	s->state = SESS_CLOSED;
}

/* ---- workers ------------------------------------------------------------ */

static void
worker_count(const struct worker *w, struct report *r)
{
	*r = w->rep;
	r->up = r->failed = r->replied = 0;
	for (unsigned i = 0; i < w->ns; i++) {
		const struct sess *s = &w->s[i];

		r->up += s->state == SESS_UP;
		r->failed += s->state == SESS_FAILED;
		r->replied += s->state == SESS_UP && s->replied;
		if (s->id == 0) {
			r->s0_up = s->state == SESS_UP;
			r->s0_replied = s->state == SESS_UP && s->replied;
		}
	}
}

static void
worker_report(struct worker *w)
{
	struct report r;

	worker_count(w, &r);
	if (write(w->parent, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
}

static void
worker_start_more(struct worker *w)
{
	while (w->go && w->next < w->ns && w->inflight < w->o->inflight)
		sess_start(w, &w->s[w->next++]);
}

/* Every session has its reply, or its last try has had its time. */
static bool
worker_check_done(const struct worker *w, uint64_t now)
{
	for (unsigned i = 0; i < w->ns; i++) {
		const struct sess *s = &w->s[i];

		if (s->state == SESS_UP && !s->replied &&
		    (s->tries < w->o->tries || now < s->next_echo_us))
			return false;
	}
	return true;
}

static void
worker_timers(struct worker *w)
{
	uint64_t now = now_us();

	for (unsigned i = 0; i < w->ns; i++) {
		struct sess *s = &w->s[i];

		if (sess_in_flight(s) && now >= s->deadline_us)
			sess_fail(w, s, "no CONFIG within %lu s (%s)",
			    w->o->timeout_s, s->state == SESS_CONNECT ?
			    "connecting" : s->state == SESS_TLS ?
			    "TLS handshake" : "waiting for CONFIG");
		if (s->state != SESS_UP)
			continue;
		if (now >= s->next_ka_us)
			sess_keepalive(s, now);
		if (w->checking && !s->replied && s->tries < w->o->tries &&
		    now >= s->next_echo_us)
			sess_echo(s, now);
	}
}

static void
worker_phase(struct worker *w)
{
	if (w->go && !w->up_reported && w->next == w->ns &&
	    w->inflight == 0) {
		worker_report(w);
		w->up_reported = true;
	}
	if (w->checking && !w->check_reported &&
	    worker_check_done(w, now_us())) {
		worker_report(w);
		w->check_reported = true;
	}
}

static void
worker_stop(struct worker *w)
{
	struct report r;

	worker_count(w, &r);
	for (unsigned i = 0; i < w->ns; i++)
		if (w->s[i].state == SESS_UP)
			sess_bye(&w->s[i]);
		else
			sess_close(&w->s[i]);
	if (write(w->parent, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	_exit(0);
}

static void
worker_dispatch_parent(struct worker *w)
{
	uint64_t now = now_us();
	char cmd;
	ssize_t n = read(w->parent, &cmd, 1);

	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n != 1)
		_exit(1);		/* the parent is gone */
	switch (cmd) {
	case CMD_GO:
		w->go = true;
		break;
	case CMD_CHECK:
		w->checking = true;
		for (unsigned i = 0; i < w->ns; i++)
			if (w->s[i].state == SESS_UP)
				sess_echo(&w->s[i], now);
		break;
	case CMD_FLOOD:
		if (w->ns > 0 && w->s[0].id == 0 && w->s[0].state == SESS_UP)
			sess_rekey_flood(w, &w->s[0], w->o->rekey_flood);
		break;
	case CMD_STOP:
		worker_stop(w);
		break;
	default:
		_exit(1);
	}
}

/* What each slot waits for, from its session's state. */
static void
worker_poll_set(struct worker *w)
{
	static const short tcp_events[SESS_CLOSED + 1] = {
		[SESS_CONNECT] = POLLOUT, [SESS_CONFIG] = POLLIN,
		[SESS_UP] = POLLIN,
	};

	for (unsigned i = 0; i < w->ns; i++) {
		struct sess *s = &w->s[i];
		struct pollfd *tcp = sess_pfd(w, s, SLOT_TCP);
		struct pollfd *udp = sess_pfd(w, s, SLOT_UDP);

		tcp->fd = s->tcp;
		tcp->events = s->state == SESS_TLS ? s->want :
		    tcp_events[s->state];
		udp->fd = s->state == SESS_UP ? s->udp : -1;
		udp->events = POLLIN;
	}
}

static void
worker_dispatch(struct worker *w)
{
	if (w->pfd[W_PARENT].revents != 0)
		worker_dispatch_parent(w);
	for (unsigned i = 0; i < w->ns; i++) {
		struct sess *s = &w->s[i];

		if (sess_pfd(w, s, SLOT_TCP)->revents != 0 && s->tcp != -1)
			sess_dispatch_tcp(w, s);
		if (sess_pfd(w, s, SLOT_UDP)->revents != 0 &&
		    s->state == SESS_UP)
			sess_dispatch_udp(s);
	}
}

static noreturn void
worker_main(struct worker *w)
{
	for (;;) {
		worker_start_more(w);
		worker_timers(w);
		worker_phase(w);
		worker_poll_set(w);
		if (poll(w->pfd, w->npfd, LG_TICK_MS) > 0)
			worker_dispatch(w);
	}
}

/* Sessions [lo, hi) of the whole run. */
static void
worker_init(struct worker *w, const struct opts *o, SSL_CTX *ctx,
    const struct ident *ids, unsigned lo, unsigned hi, int parent)
{
	*w = (struct worker){ .o = o, .ctx = ctx, .ids = ids, .ns = hi - lo,
	    .parent = parent };
	w->s = calloc(w->ns, sizeof(*w->s));
	w->npfd = W_SESSIONS + (nfds_t)w->ns * SLOTS_PER_SESS;
	w->pfd = calloc(w->npfd, sizeof(*w->pfd));
	if (w->s == NULL || w->pfd == NULL)
		die("out of memory");
	for (unsigned i = 0; i < w->ns; i++)
		w->s[i] = (struct sess){ .id = lo + i, .tcp = -1, .udp = -1 };
	w->pfd[W_PARENT] = (struct pollfd){ .fd = parent, .events = POLLIN };
}

/* ---- the server's memory ------------------------------------------------ */

struct proc {
	pid_t pid, ppid;
	bool in_tree;
};

static int
proc_cmp(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* A /proc entry's name as a pid, or 0 if it is not one. */
static pid_t
proc_pid(const char *name)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)name[0]))
		return 0;
	errno = 0;
	v = strtol(name, &end, 10);
	return errno == 0 && *end == '\0' && v <= INT32_MAX ? (pid_t)v : 0;
}

/* The parent pid from /proc/PID/stat; comm may hold spaces and ')'. */
static pid_t
proc_ppid(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Every process, sorted by pid. */
static struct proc *
proc_list(size_t *count)
{
	DIR *d = opendir("/proc");
	struct proc *ps = NULL, *bigger;
	size_t n = 0, cap = 0;
	struct dirent *de;
	pid_t pid, ppid;

	if (d == NULL)
		die("/proc: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if ((pid = proc_pid(de->d_name)) <= 0 ||
		    (ppid = proc_ppid(pid)) < 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((bigger = realloc(ps, cap * sizeof(*ps))) == NULL)
				die("out of memory");
			ps = bigger;
		}
		ps[n++] = (struct proc){ pid, ppid, false };
	}
	closedir(d);
	qsort(ps, n, sizeof(*ps), proc_cmp);
	*count = n;
	return ps;
}

static struct proc *
proc_find(struct proc *ps, size_t n, pid_t pid)
{
	struct proc key = { .pid = pid };

	return bsearch(&key, ps, n, sizeof(*ps), proc_cmp);
}

/* Marks root and its descendants; a pass per generation. */
static void
proc_mark_tree(struct proc *ps, size_t n, pid_t root)
{
	struct proc *p = proc_find(ps, n, root), *parent;
	bool more = p != NULL;

	if (p != NULL)
		p->in_tree = true;
	while (more) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (ps[i].in_tree)
				continue;
			parent = proc_find(ps, n, ps[i].ppid);
			if (parent != NULL && parent->in_tree)
				more = ps[i].in_tree = true;
		}
	}
}

/* The Pss line of /proc/PID/smaps_rollup in kB; 0 for a process that has
 * just gone (or a zombie, which has no memory). */
static unsigned long
proc_pss_kb(pid_t pid)
{
	char path[64], line[256];
	unsigned long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Pss:", 4) == 0) {
			kb = strtoul(line + 4, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* CPU time in ms: what the process ran (/proc/PID/schedstat, in ns), and
 * what its reaped children ran (cutime and cstime of /proc/PID/stat, in
 * clock ticks); 0 for a process that has just gone. */
static double
proc_cpu_ms(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long long ns = 0, cut = 0, cst = 0;
	double ms = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fscanf(f, "%llu", &ns) == 1)
			ms = (double)ns / 1e6;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return ms;
	/* after the name in parentheses: state is field 3, cutime 16 */
	if (fgets(line, sizeof(line), f) != NULL &&
	    (p = strrchr(line, ')')) != NULL && sscanf(p + 1, " %*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu", &cut,
	    &cst) == 2)
		ms += (double)(cut + cst) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return ms;
}

/* PSS and CPU time of root and all its descendants. */
static void
tree_measure(pid_t root, struct tree *out)
{
	size_t n;
	struct proc *ps = proc_list(&n);

	proc_mark_tree(ps, n, root);
	*out = (struct tree){ 0 };
	for (size_t i = 0; i < n; i++)
		if (ps[i].in_tree) {
			out->kb += proc_pss_kb(ps[i].pid);
			out->cpu_ms += proc_cpu_ms(ps[i].pid);
			out->procs++;
		}
	free(ps);
	if (out->procs == 0)
		die("pid %d: no such process", (int)root);
}

/* ---- the parent ----------------------------------------------------------- */

static void
children_start(const struct opts *o, SSL_CTX *ctx, const struct ident *ids,
    struct child *ch)
{
	struct worker w;
	int sv[2];

	for (unsigned long k = 0; k < o->workers; k++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)
		    == -1)
			die("socketpair: %s", strerror(errno));
		fflush(NULL);
		if ((ch[k].pid = fork()) == -1)
			die("fork: %s", strerror(errno));
		if (ch[k].pid == 0) {
			for (unsigned long j = 0; j < k; j++)
				close(ch[j].sock);
			close(sv[0]);
			worker_init(&w, o, ctx, ids,
			    (unsigned)(o->n * k / o->workers),
			    (unsigned)(o->n * (k + 1) / o->workers), sv[1]);
			worker_main(&w);
		}
		close(sv[1]);
		ch[k].sock = sv[0];
		ch[k].lost = false;
	}
}

static void
children_tell(struct child *ch, unsigned long k, enum command cmd)
{
	char c = (char)cmd;

	for (unsigned long i = 0; i < k; i++)
		if (!ch[i].lost && write(ch[i].sock, &c, 1) != 1)
			ch[i].lost = true;
}

/* One report from every worker, summed: counts added up, the earliest
 * first connect and the latest CONFIG. A worker that died is marked. */
static void
children_collect(struct child *ch, unsigned long k, struct report *sum)
{
	struct report r;

	*sum = (struct report){ 0 };
	for (unsigned long i = 0; i < k; i++) {
		if (ch[i].lost || read(ch[i].sock, &r, sizeof(r)) !=
		    (ssize_t)sizeof(r)) {
			if (!ch[i].lost)
				fprintf(stderr, "loadgen: worker %lu died\n", i);
			ch[i].lost = true;
			continue;
		}
		sum->up += r.up;
		sum->failed += r.failed;
		sum->replied += r.replied;
		if (i == 0) {		/* worker 0 has session 0 */
			sum->s0_up = r.s0_up;
			sum->s0_replied = r.s0_replied;
			sum->s0_acks = r.s0_acks;
			sum->s0_bye = r.s0_bye;
			memcpy(sum->s0_why, r.s0_why, sizeof(r.s0_why));
		}
		if (r.first_connect_us != 0 && (sum->first_connect_us == 0 ||
		    r.first_connect_us < sum->first_connect_us))
			sum->first_connect_us = r.first_connect_us;
		if (r.last_config_us > sum->last_config_us)
			sum->last_config_us = r.last_config_us;
	}
}

static bool
children_wait(struct child *ch, unsigned long k)
{
	bool ok = true;
	int st;

	for (unsigned long i = 0; i < k; i++) {
		close(ch[i].sock);
		while (waitpid(ch[i].pid, &st, 0) == -1 && errno == EINTR)
			;
		ok = ok && !ch[i].lost && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0;
	}
	return ok;
}

/* What one run found. */
struct result {
	unsigned long n;
	struct report up, check, end;
	double hs_seconds, hs_rate;
	bool have_server;
	struct tree base, held;
	/* CPU from before the first connect to after the last CONFIG: the
	 * server's tree (with --server-pid) and ours (the workers) */
	struct tree srv0, srv1, own0, own1;
	bool workers_ok;
};

/* With --rekey-flood, session 0 is the attacker: only the others count
 * after the flood. */
static bool
result_ok(const struct opts *o, const struct result *r)
{
	uint32_t want = (uint32_t)r->n - (o->rekey_flood ? 1 : 0);
	uint32_t replied = r->check.replied, end = r->end.up;

	if (o->rekey_flood) {
		replied -= r->check.s0_replied;
		end -= r->end.s0_up;
	}
	return r->workers_ok && r->up.up == r->n && replied == want &&
	    end == want;
}

static double
cpu_per_hs(const struct result *r, const struct tree *a, const struct tree *b)
{
	return r->up.up > 0 ? (b->cpu_ms - a->cpu_ms) / r->up.up : 0;
}

/* The handshakes a second this machine's CPUs allow when each costs what
 * both ends just spent on one. */
static double
hs_ceiling(const struct result *r)
{
	double ms = cpu_per_hs(r, &r->srv0, &r->srv1) +
	    cpu_per_hs(r, &r->own0, &r->own1);

	return ms > 0 ? (double)sysconf(_SC_NPROCESSORS_ONLN) * 1000.0 / ms :
	    0;
}

static void
result_print_text(const struct opts *o, const struct result *r)
{
	printf("sessions %lu workers %lu: %u up, %u failed\n", r->n,
	    o->workers, r->up.up, r->up.failed);
	printf("handshakes: %u in %.3f s, %.1f per second\n", r->up.up,
	    r->hs_seconds, r->hs_rate);
	printf("held with traffic: %u of %lu (still up at the end: %u)\n",
	    r->check.replied, r->n, r->end.up);
	if (r->have_server)
		printf("server pss: baseline %lu kB (%u processes), with "
		    "sessions %lu kB (%u processes): %.1f kB per session, "
		    "%.1f kB per session above baseline\n", r->base.kb,
		    r->base.procs, r->held.kb, r->held.procs,
		    (double)r->held.kb / (double)r->n,
		    ((double)r->held.kb - (double)r->base.kb) / (double)r->n);
	if (r->have_server && r->up.up > 0)
		printf("cpu per handshake: server %.1f ms, loadgen %.1f ms; "
		    "%ld CPUs allow %.0f handshakes per second at that cost\n",
		    cpu_per_hs(r, &r->srv0, &r->srv1),
		    cpu_per_hs(r, &r->own0, &r->own1), sysconf(
		    _SC_NPROCESSORS_ONLN), hs_ceiling(r));
	if (o->rekey_flood)
		printf("rekey flood: %lu REKEYs from session 0, %u ACKs, %s%s\n",
		    o->rekey_flood, r->end.s0_acks, r->end.s0_bye ?
		    "BYE: " : "no BYE", r->end.s0_bye ? r->end.s0_why : "");
	printf("%s\n", result_ok(o, r) ? "ok" : "FAILED");
}

/* The BYE reason as a JSON string: printable ASCII, quotes and backslashes
 * escaped, anything else as \u00XX. */
static void
json_flood(const struct opts *o, const struct result *r)
{
	printf(", \"rekey_flood\": %lu, \"rekey_acks\": %u, "
	    "\"flood_bye\": %s, \"flood_bye_reason\": \"", o->rekey_flood,
	    r->end.s0_acks, r->end.s0_bye ? "true" : "false");
	for (const char *c = r->end.s0_why; *c != '\0'; c++) {
		unsigned char u = (unsigned char)*c;

		if (u == '"' || u == '\\')
			printf("\\%c", u);
		else if (u < 0x20 || u > 0x7e)
			printf("\\u%04x", u);
		else
			putchar(u);
	}
	putchar('"');
}

static void
result_print_json(const struct opts *o, const struct result *r)
{
	printf("{\"sessions\": %lu, \"workers\": %lu, \"up\": %u, "
	    "\"failed\": %u, \"handshake_seconds\": %.3f, "
	    "\"handshakes_per_second\": %.1f, \"held_with_traffic\": %u, "
	    "\"up_at_end\": %u", r->n, o->workers, r->up.up, r->up.failed,
	    r->hs_seconds, r->hs_rate, r->check.replied, r->end.up);
	if (r->have_server)
		printf(", \"pss_baseline_kb\": %lu, \"pss_total_kb\": %lu, "
		    "\"server_processes\": %u, \"pss_per_session_kb\": %.1f, "
		    "\"pss_added_per_session_kb\": %.1f", r->base.kb,
		    r->held.kb, r->held.procs,
		    (double)r->held.kb / (double)r->n,
		    ((double)r->held.kb - (double)r->base.kb) / (double)r->n);
	if (r->have_server && r->up.up > 0)
		printf(", \"server_cpu_ms_per_handshake\": %.1f, "
		    "\"loadgen_cpu_ms_per_handshake\": %.1f, \"cpus\": %ld, "
		    "\"handshakes_per_second_cpu_allows\": %.0f",
		    cpu_per_hs(r, &r->srv0, &r->srv1),
		    cpu_per_hs(r, &r->own0, &r->own1),
		    sysconf(_SC_NPROCESSORS_ONLN), hs_ceiling(r));
	if (o->rekey_flood)
		json_flood(o, r);
	printf(", \"ok\": %s}\n", result_ok(o, r) ? "true" : "false");
}

static void
run(const struct opts *o, SSL_CTX *ctx, const struct ident *ids,
    struct result *r)
{
	struct child ch[LG_MAX_WORKERS];
	uint64_t t;

	*r = (struct result){ .n = o->n, .have_server = o->server_pid != 0 };
	if (r->have_server)
		tree_measure(o->server_pid, &r->base);
	children_start(o, ctx, ids, ch);
	if (r->have_server) {
		tree_measure(o->server_pid, &r->srv0);
		tree_measure(getpid(), &r->own0);
	}
	children_tell(ch, o->workers, CMD_GO);
	children_collect(ch, o->workers, &r->up);
	if (r->have_server) {
		tree_measure(o->server_pid, &r->srv1);
		tree_measure(getpid(), &r->own1);
	}
	t = r->up.last_config_us > r->up.first_connect_us ?
	    r->up.last_config_us - r->up.first_connect_us : 0;
	r->hs_seconds = (double)t / 1e6;
	r->hs_rate = t > 0 ? r->up.up / r->hs_seconds : 0;
	if (o->rekey_flood)
		children_tell(ch, o->workers, CMD_FLOOD);
	if (o->hold_s > 0)
		sleep((unsigned)o->hold_s);
	children_tell(ch, o->workers, CMD_CHECK);
	children_collect(ch, o->workers, &r->check);
	if (r->have_server)
		tree_measure(o->server_pid, &r->held);
	children_tell(ch, o->workers, CMD_STOP);
	children_collect(ch, o->workers, &r->end);
	r->workers_ok = children_wait(ch, o->workers);
}

int
main(int argc, char **argv)
{
	struct result r;
	struct opts o;
	struct ident *ids;
	SSL_CTX *ctx;

	opt_parse(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	nofile_raise(&o);
	ids = idents_make(&o);
	ctx = ctx_make(&o, &ids[0]);
	run(&o, ctx, ids, &r);
	if (o.json)
		result_print_json(&o, &r);
	else
		result_print_text(&o, &r);
	SSL_CTX_free(ctx);
	idents_free(ids, o.n);
	return result_ok(&o, &r) ? 0 : 1;
}
