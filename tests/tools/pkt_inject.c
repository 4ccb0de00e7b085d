/*
 * pkt_inject: an attacker's tool for the network tests. It replays captured
 * UDP payloads (optionally with one bit flipped) or sends random garbage.
 *
 *   pkt_inject replay PCAP DSTIP DSTPORT [--flip-bit N] [--count N] [--pace US]
 *   pkt_inject garbage DSTIP DSTPORT COUNT [--seed S] [--prefix HEX] [--pace US]
 *
 * replay reads a classic pcap file (either byte order, micro- or nanosecond
 * timestamps; link types EN10MB, LINUX_SLL, LINUX_SLL2 and RAW), takes the
 * unfragmented IPv4/UDP packets whose destination port is DSTPORT and sends
 * each payload from one new UDP socket to DSTIP:DSTPORT. Bit 0 is the most
 * significant bit of payload byte 0. garbage sends COUNT datagrams of random
 * length (1..1500) and random bytes; --prefix makes each start with the given
 * bytes (and be at least that long), e.g. a plausible packet header. --pace
 * waits between datagrams so that a burst is not lost in the receiver's
 * socket buffer.
 * Both modes print "sent N" and exit 0 only if N > 0.
 */
#ifndef _GNU_SOURCE
#define _DEFAULT_SOURCE		/* SOCK_CLOEXEC, nanosleep, clock_gettime */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PCAP_MAX_FILE	(512UL * 1024 * 1024)
#define PCAP_MAX_RECORD	(256U * 1024)
#define GARBAGE_MAX	1500

enum {
	LINK_RAW_OLD = 12,	/* DLT_RAW on some BSDs, raw IP */
	LINK_EN10MB = 1,
	LINK_RAW = 101,
	LINK_LINUX_SLL = 113,
	LINK_LINUX_SLL2 = 276,
};

struct pcap {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	bool		 swapped;
	uint32_t	 linktype;
};

struct target {
	int			fd;
	struct sockaddr_in	addr;
	unsigned long		pace_us;
	unsigned long		sent;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pkt_inject replay PCAP DSTIP DSTPORT [--flip-bit N] "
	    "[--count N] [--pace US]\n"
	    "       pkt_inject garbage DSTIP DSTPORT COUNT [--seed S] "
	    "[--prefix HEX] [--pace US]\n");
	exit(2);
}

/* A whole decimal (or 0x hex) number in [0, max], nothing else. */
static bool
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static unsigned long
number_arg(const char *what, const char *s, unsigned long min,
    unsigned long max)
{
	unsigned long v;

	if (!parse_ulong(s, max, &v) || v < min) {
		fprintf(stderr, "pkt_inject: bad %s '%s' (want %lu..%lu)\n",
		    what, s, min, max);
		exit(2);
	}
	return v;
}

static void
target_open(struct target *t, const char *ip, const char *port,
    unsigned long pace_us)
{
	memset(t, 0, sizeof(*t));
	t->addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &t->addr.sin_addr) != 1) {
		fprintf(stderr, "pkt_inject: bad IPv4 address '%s'\n", ip);
		exit(2);
	}
	t->addr.sin_port = htons((uint16_t)number_arg("port", port, 1, 65535));
	t->pace_us = pace_us;
	t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd == -1) {
		perror("pkt_inject: socket");
		exit(1);
	}
}

static void
pace(unsigned long us)
{
	struct timespec ts;

	if (us == 0)
		return;
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool
target_send(struct target *t, const uint8_t *p, size_t len)
{
	ssize_t n;

	pace(t->sent == 0 ? 0 : t->pace_us);
	do {
		n = sendto(t->fd, p, len, 0, (const struct sockaddr *)&t->addr,
		    sizeof(t->addr));
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		/* An ICMP error from an earlier datagram; this one is lost. */
		fprintf(stderr, "pkt_inject: sendto: %s\n", strerror(errno));
		return false;
	}
	if ((size_t)n != len)
		return false;
	t->sent++;
	return true;
}

static int
target_finish(struct target *t)
{
	close(t->fd);
	printf("sent %lu\n", t->sent);
	return t->sent > 0 ? 0 : 1;
}

/* Reads a whole file into memory, refusing anything over max bytes. */
static uint8_t *
read_file(const char *path, size_t max, size_t *lenp)
{
	FILE	*f;
	uint8_t	*buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*lenp = len;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
pcap_u32(const struct pcap *pc, const uint8_t *p)
{
	if (pc->swapped)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/*
 * Reads the 24-byte global header. The magic, read little-endian, tells the
 * writer's byte order: "swapped" means the fields are big-endian.
 */
static bool
pcap_open(struct pcap *pc, const uint8_t *buf, size_t len)
{
	uint32_t magic;

	memset(pc, 0, sizeof(*pc));
	pc->buf = buf;
	pc->len = len;
	if (len < 24) {
		fprintf(stderr, "pkt_inject: file too short for a pcap header\n");
		return false;
	}
	magic = pcap_u32(pc, buf);
	if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		pc->swapped = true;
	else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
		fprintf(stderr, "pkt_inject: not a classic pcap file "
		    "(magic 0x%08x; pcapng is not supported)\n", magic);
		return false;
	}
	pc->linktype = pcap_u32(pc, buf + 20) & 0x0fffffff;
	switch (pc->linktype) {
	case LINK_EN10MB:
	case LINK_LINUX_SLL:
	case LINK_LINUX_SLL2:
	case LINK_RAW:
	case LINK_RAW_OLD:
		break;
	default:
		fprintf(stderr, "pkt_inject: unsupported link type %u\n",
		    pc->linktype);
		return false;
	}
	pc->off = 24;
	return true;
}

/* Next record's captured bytes; 1 = got one, 0 = end, -1 = corrupt file. */
static int
pcap_next(struct pcap *pc, const uint8_t **pkt, size_t *caplen)
{
	uint32_t incl;

	if (pc->off == pc->len)
		return 0;
	if (pc->len - pc->off < 16) {
		fprintf(stderr, "pkt_inject: truncated record header at "
		    "offset %zu\n", pc->off);
		return -1;
	}
	incl = pcap_u32(pc, pc->buf + pc->off + 8);
	if (incl > PCAP_MAX_RECORD || incl > pc->len - pc->off - 16) {
		fprintf(stderr, "pkt_inject: bad record length %u at "
		    "offset %zu\n", incl, pc->off);
		return -1;
	}
	*pkt = pc->buf + pc->off + 16;
	*caplen = incl;
	pc->off += 16 + (size_t)incl;
	return 1;
}

/* Finds the network-layer packet in a frame; false if it is not IPv4. */
static bool
link_ipv4(uint32_t linktype, const uint8_t *f, size_t len,
    const uint8_t **ip, size_t *iplen)
{
	size_t		off;
	uint16_t	proto;

	switch (linktype) {
	case LINK_EN10MB:
		if (len < 14)
			return false;
		proto = be16(f + 12);
		off = 14;
		while ((proto == 0x8100 || proto == 0x88a8) && len >= off + 4) {
			proto = be16(f + off + 2);
			off += 4;
		}
		break;
	case LINK_LINUX_SLL:
		if (len < 16)
			return false;
		proto = be16(f + 14);
		off = 16;
		break;
	case LINK_LINUX_SLL2:
		if (len < 20)
			return false;
		proto = be16(f);
		off = 20;
		break;
	default:
		proto = 0x0800;
		off = 0;
		break;
	}
	if (proto != 0x0800 || len < off)
		return false;
	*ip = f + off;
	*iplen = len - off;
	return true;
}

/* The UDP payload of an unfragmented IPv4/UDP packet to port, if complete. */
static bool
ipv4_udp_payload(const uint8_t *ip, size_t len, uint16_t port,
    const uint8_t **payload, size_t *plen)
{
	size_t		ihl, total, udplen;
	const uint8_t	*udp;

	if (len < 20 || ip[0] >> 4 != 4)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (ihl < 20 || total < ihl || total > len)
		return false;	/* malformed, or cut short by the snaplen */
	if (ip[9] != 17 || (be16(ip + 6) & 0x3fff) != 0)
		return false;	/* not UDP, or a fragment */
	if (total - ihl < 8)
		return false;
	udp = ip + ihl;
	udplen = be16(udp + 4);
	if (be16(udp + 2) != port || udplen < 8 || udplen > total - ihl)
		return false;
	*payload = udp + 8;
	*plen = udplen - 8;
	return true;
}

static int
cmd_replay(int argc, char **argv)
{
	const char	*path, *ip, *port;
	unsigned long	 flip = ULONG_MAX, count = ULONG_MAX, pace_us = 0;
	unsigned long	 matched = 0, shortpkts = 0;
	uint8_t		*file, copy[65536];
	size_t		 flen, caplen, iplen, plen;
	const uint8_t	*frame, *ipp, *payload;
	struct pcap	 pc;
	struct target	 t;
	uint16_t	 dport;
	int		 i, r;

	if (argc < 4)
		usage();
	path = argv[1];
	ip = argv[2];
	port = argv[3];
	for (i = 4; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--flip-bit") == 0)
			flip = number_arg("bit", argv[i + 1], 0,
			    sizeof(copy) * 8 - 1);
		else if (strcmp(argv[i], "--count") == 0)
			count = number_arg("count", argv[i + 1], 1, ULONG_MAX);
		else if (strcmp(argv[i], "--pace") == 0)
			pace_us = number_arg("pace", argv[i + 1], 0, 10000000);
		else
			usage();
	}
	target_open(&t, ip, port, pace_us);
	dport = ntohs(t.addr.sin_port);
	if ((file = read_file(path, PCAP_MAX_FILE, &flen)) == NULL) {
		fprintf(stderr, "pkt_inject: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!pcap_open(&pc, file, flen)) {
		free(file);
		return 1;
	}
	while (t.sent < count && (r = pcap_next(&pc, &frame, &caplen)) == 1) {
		if (!link_ipv4(pc.linktype, frame, caplen, &ipp, &iplen) ||
		    !ipv4_udp_payload(ipp, iplen, dport, &payload, &plen))
			continue;
		matched++;
		if (plen > sizeof(copy))
			continue;
		memcpy(copy, payload, plen);
		if (flip != ULONG_MAX) {
			if (flip / 8 >= plen) {
				shortpkts++;
				continue;
			}
			copy[flip / 8] ^= (uint8_t)(0x80u >> (flip % 8));
		}
		target_send(&t, copy, plen);
	}
	free(file);
	if (shortpkts > 0)
		fprintf(stderr, "pkt_inject: %lu packet(s) too short to flip "
		    "bit %lu, not sent\n", shortpkts, flip);
	if (matched == 0)
		fprintf(stderr, "pkt_inject: no IPv4/UDP packet to port %u in "
		    "%s\n", dport, path);
	return target_finish(&t);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Even-length hex, at most max bytes; false for anything else. */
static bool
parse_hex(const char *s, uint8_t *out, size_t max, size_t *lenp)
{
	size_t	n = strlen(s), i;
	int	hi, lo;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return false;
	for (i = 0; i < n / 2; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*lenp = n / 2;
	return true;
}

/* splitmix64: small, seedable, good enough for garbage. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
cmd_garbage(int argc, char **argv)
{
	unsigned long	 count, pace_us = 0, seed, n, j;
	uint64_t	 state, r;
	uint8_t		 buf[GARBAGE_MAX], prefix[64];
	size_t		 len, plen = 0;
	struct target	 t;
	struct timespec	 now;
	int		 i;

	if (argc < 4)
		usage();
	clock_gettime(CLOCK_REALTIME, &now);
	seed = (unsigned long)now.tv_nsec ^ (unsigned long)getpid() << 20 ^
	    (unsigned long)now.tv_sec;
	count = number_arg("count", argv[3], 1, 100000000);
	for (i = 4; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--seed") == 0)
			seed = number_arg("seed", argv[i + 1], 0, ULONG_MAX);
		else if (strcmp(argv[i], "--pace") == 0)
			pace_us = number_arg("pace", argv[i + 1], 0, 10000000);
		else if (strcmp(argv[i], "--prefix") == 0) {
			if (!parse_hex(argv[i + 1], prefix, sizeof(prefix),
			    &plen)) {
				fprintf(stderr, "pkt_inject: bad prefix '%s' "
				    "(hex, at most %zu bytes)\n", argv[i + 1],
				    sizeof(prefix));
				exit(2);
			}
		} else
			usage();
	}
	target_open(&t, argv[1], argv[2], pace_us);
	state = seed;
	for (n = 0; n < count; n++) {
		len = 1 + (size_t)(rng_next(&state) % GARBAGE_MAX);
		if (len < plen)
			len = plen;
		for (j = 0; j < len; j += 8) {
			r = rng_next(&state);
			memcpy(buf + j, &r, len - j < 8 ? len - j : 8);
		}
		memcpy(buf, prefix, plen);
		target_send(&t, buf, len);
	}
	return target_finish(&t);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "garbage") == 0)
		return cmd_garbage(argc - 1, argv + 1);
	usage();
	return 2;
}
