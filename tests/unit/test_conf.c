/* Unit test of configuration loading: defaults, every directive's good and
 * bad values, config files against the command line, error texts,
 * conf_check, and the round trip through conf_dump and conf_load_fd.
 * Temporary files live in one directory removed at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#include "check.h"

#define ERRLEN 1024
#define ARGS_MAX 160
#define FILES_MAX 64

static char tmpdir[] = "/tmp/test_conf.XXXXXX";
static char *files[FILES_MAX];
static int nfiles;

static char *
tmp_path(const char *name)
{
	char *p;

	if (nfiles == FILES_MAX || asprintf(&p, "%s/%s", tmpdir, name) == -1) {
		fprintf(stderr, "tmp_path: out of room\n");
		exit(1);
	}
	files[nfiles++] = p;
	return p;
}

static char *
write_file(const char *name, const char *text, size_t len)
{
	char *path = tmp_path(name);
	FILE *f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static char *
write_conf(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

static void
cleanup(void)
{
	while (nfiles > 0) {
		unlink(files[--nfiles]);
		free(files[nfiles]);
	}
	rmdir(tmpdir);
}

/* The arguments after the subcommand, as main passes them (argv + 2); the
 * list ends with NULL. */
static int
vload(struct conf *c, enum conf_role role, char *err, va_list ap)
{
	char *argv[ARGS_MAX + 1];
	int argc = 0;

	while (argc <= ARGS_MAX && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	argv[argc] = NULL;
	err[0] = '\0';
	return conf_load(c, role, argc, argv, err, ERRLEN);
}

static int
load_ok_at(int line, struct conf *c, enum conf_role role, ...)
{
	char err[ERRLEN];
	va_list ap;
	int r;

	va_start(ap, role);
	r = vload(c, role, err, ap);
	va_end(ap);
	if (r != 0) {
		fprintf(stderr, "%s:%d: conf_load failed: %s\n", __FILE__,
		    line, err);
		failures++;
	}
	return r;
}

/* want is a substring of the error, or the whole of it if it starts
 * with '='. */
static void
load_err_at(int line, enum conf_role role, const char *want, ...)
{
	char err[ERRLEN];
	struct conf c;
	va_list ap;
	int r, match;

	va_start(ap, want);
	r = vload(&c, role, err, ap);
	va_end(ap);
	if (want[0] == '=')
		match = strcmp(err, want + 1) == 0;
	else
		match = strstr(err, want) != NULL;
	if (r != -1 || !match || strchr(err, '\n') != NULL) {
		fprintf(stderr, "%s:%d: want error \"%s\", got %d \"%s\"\n",
		    __FILE__, line, want, r, err);
		failures++;
	}
	if (r == 0)
		conf_free(&c);
	else
		CHECK(c.fixed == NULL);
}

#define LOAD_OK(c, role, ...) load_ok_at(__LINE__, c, role, __VA_ARGS__, NULL)
#define LOAD_ERR(role, want, ...)					\
	load_err_at(__LINE__, role, want, __VA_ARGS__, NULL)

static void
check_err_at(int line, const struct conf *c, const char *want)
{
	char err[ERRLEN] = "";
	int r = conf_check(c, err, sizeof(err));
	bool match;

	match = want == NULL ? r == 0 : (r == -1 && (want[0] == '=' ?
	    strcmp(err, want + 1) == 0 : strstr(err, want) != NULL));
	if (!match) {
		fprintf(stderr, "%s:%d: conf_check: want \"%s\", got %d "
		    "\"%s\"\n", __FILE__, line, want ? want : "success", r, err);
		failures++;
	}
}

#define CHECK_CONF(c, want) check_err_at(__LINE__, c, want)

static uint32_t
ip(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		abort();
	return ntohl(in.s_addr);
}

/* a is the IPv6 address s */
static bool
is_ip6(const uint8_t *a, const char *s)
{
	uint8_t b[16];

	if (inet_pton(AF_INET6, s, b) != 1)
		abort();
	return memcmp(a, b, 16) == 0;
}

/* conf_client_net_of6 of the IPv6 address s */
static int
net_of6(const struct conf *c, const char *s)
{
	uint8_t b[16];

	if (inet_pton(AF_INET6, s, b) != 1)
		abort();
	return conf_client_net_of6(c, b);
}

/* conf_pull_route6 of the IPv6 route s/prefix */
static bool
pull6(const struct conf *c, const char *s, uint8_t prefix,
    const struct conf_pull_filter **rule)
{
	uint8_t b[16];

	if (inet_pton(AF_INET6, s, b) != 1)
		abort();
	return conf_pull_route6(c, b, prefix, rule);
}

static void
test_defaults(void)
{
	const struct sockaddr_in *sin;
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, NULL) != 0)
		return;
	CHECK(c.role == CONF_SERVER);
	CHECK(strcmp(c.dev, "stun0") == 0);
	CHECK(c.ca[0] == '\0' && c.cert[0] == '\0' && c.key[0] == '\0');
	CHECK(c.crl[0] == '\0');
	CHECK(strcmp(c.user, "nobody") == 0);
	CHECK(strcmp(c.status_socket, "/run/simpletun/server.sock") == 0);
	CHECK(c.keepalive_interval == 10 && c.keepalive_timeout == 60);
	CHECK(!c.keepalive_set);
	CHECK(c.handshake_timeout == 10);
	CHECK(c.mtu == 1420);
	CHECK(c.verbose == 1);
	sin = (const struct sockaddr_in *)&c.listen;
	CHECK(c.listen_len == sizeof(*sin));
	CHECK(sin->sin_family == AF_INET && ntohs(sin->sin_port) == 1194 &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY));
	CHECK(c.pool_prefix == 0);
	CHECK(c.client_to_client);
	CHECK(c.max_clients == 64);
	CHECK(c.duplicate_cn == CONF_DUP_REPLACE);
	CHECK(c.nroutes == 0 && c.nfixed == 0 && c.fixed == NULL);
	conf_free(&c);

	if (LOAD_OK(&c, CONF_CLIENT, NULL) != 0)
		return;
	CHECK(c.role == CONF_CLIENT);
	CHECK(strcmp(c.dev, "stun0") == 0);
	CHECK(c.connect_retry == 1 && c.connect_retry_max == 60);
	CHECK(c.keepalive_interval == 10 && !c.keepalive_set);
	CHECK(c.remote_host[0] == '\0' && c.server_name[0] == '\0');
	CHECK(c.mtu == 0);	/* a server directive: no default here */
	conf_free(&c);

	if (LOAD_OK(&c, CONF_STATUS, NULL) != 0)
		return;
	CHECK(c.status_socket[0] == '\0' && c.dev[0] == '\0');
	conf_free(&c);
}

static void
test_strings(void)
{
	char longname[5000];
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--dev", "tun7", "--ca", "/a",
	    "--cert", "/b", "--key", "/c", "--crl", "/d", "--user", "daemon",
	    "--status-socket", "/run/st.sock") == 0) {
		CHECK(strcmp(c.dev, "tun7") == 0);
		CHECK(strcmp(c.ca, "/a") == 0 && strcmp(c.cert, "/b") == 0);
		CHECK(strcmp(c.key, "/c") == 0 && strcmp(c.crl, "/d") == 0);
		CHECK(strcmp(c.user, "daemon") == 0);
		CHECK(strcmp(c.status_socket, "/run/st.sock") == 0);
		conf_free(&c);
	}
	/* IFNAMSIZ leaves 15 characters */
	if (LOAD_OK(&c, CONF_SERVER, "--dev", "abcdefghijklmno") == 0)
		conf_free(&c);
	LOAD_ERR(CONF_SERVER, "=--dev: 'abcdefghijklmnop' is too long (at "
	    "most 15 characters)", "--dev", "abcdefghijklmnop");
	LOAD_ERR(CONF_SERVER, "=--dev: empty value", "--dev", "");
	memset(longname, 'k', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	LOAD_ERR(CONF_SERVER, "--key: '", "--key", longname);
	LOAD_ERR(CONF_CLIENT, "too long", "--server-name", longname);
	longname[sizeof(c.user)] = '\0';
	LOAD_ERR(CONF_CLIENT, "at most 63 characters", "--user", longname);
	memset(longname, 'k', sizeof(c.status_socket) - 1);
	longname[sizeof(c.status_socket) - 1] = '\0';
	if (LOAD_OK(&c, CONF_STATUS, "--status-socket", longname) == 0)
		conf_free(&c);
	longname[sizeof(c.status_socket) - 1] = 'k';
	longname[sizeof(c.status_socket)] = '\0';
	LOAD_ERR(CONF_STATUS, "at most 107", "--status-socket", longname);
}

static void
test_uints(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--handshake-timeout", "1", "--mtu",
	    "576", "--verb", "0", "--max-clients", "1") == 0) {
		CHECK(c.handshake_timeout == 1 && c.mtu == 576);
		CHECK(c.verbose == 0 && c.max_clients == 1);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "192.0.2.1", "--reneg-sec",
	    "0") == 0) {
		CHECK(c.reneg_sec == 0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "192.0.2.1", "--reneg-sec",
	    "604800") == 0) {
		CHECK(c.reneg_sec == 604800);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "192.0.2.1") == 0) {
		CHECK(c.reneg_sec == 3600);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--reneg-sec: 'reneg-sec' is not a server "
	    "directive", "--reneg-sec", "60");
	if (LOAD_OK(&c, CONF_SERVER, "--handshake-timeout", "300", "--mtu",
	    "9000", "--verb", "2", "--max-clients", "1024") == 0) {
		CHECK(c.handshake_timeout == 300 && c.mtu == 9000);
		CHECK(c.verbose == 2 && c.max_clients == 1024);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--handshake-timeout: '0' is out of range "
	    "(1..300)", "--handshake-timeout", "0");
	LOAD_ERR(CONF_SERVER, "out of range", "--handshake-timeout", "301");
	LOAD_ERR(CONF_SERVER, "=--mtu: '575' is out of range (576..9000)",
	    "--mtu", "575");
	LOAD_ERR(CONF_SERVER, "out of range", "--mtu", "9001");
	LOAD_ERR(CONF_SERVER, "out of range", "--verb", "3");
	LOAD_ERR(CONF_SERVER, "out of range", "--max-clients", "0");
	LOAD_ERR(CONF_SERVER, "out of range", "--max-clients", "1025");
	LOAD_ERR(CONF_CLIENT, "out of range", "--remote", "192.0.2.1",
	    "--reneg-sec", "604801");
	LOAD_ERR(CONF_SERVER, "out of range", "--mtu",
	    "99999999999999999999999999");
	LOAD_ERR(CONF_SERVER, "=--mtu: '1400x' is not a number", "--mtu",
	    "1400x");
	LOAD_ERR(CONF_SERVER, "not a number", "--mtu", "-1400");
	LOAD_ERR(CONF_SERVER, "not a number", "--mtu", "+1400");
	LOAD_ERR(CONF_SERVER, "not a number", "--mtu", " 1400");
	LOAD_ERR(CONF_SERVER, "not a number", "--mtu", "0x500");
	LOAD_ERR(CONF_SERVER, "not a number", "--mtu", "");
}

static void
test_bool_enum(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--client-to-client", "no",
	    "--duplicate-cn", "refuse") == 0) {
		CHECK(!c.client_to_client);
		CHECK(c.duplicate_cn == CONF_DUP_REFUSE);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--client-to-client", "yes",
	    "--duplicate-cn", "replace") == 0) {
		CHECK(c.client_to_client);
		CHECK(c.duplicate_cn == CONF_DUP_REPLACE);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--client-to-client: 'true' is not yes or no",
	    "--client-to-client", "true");
	LOAD_ERR(CONF_SERVER, "not yes or no", "--client-to-client", "YES");
	LOAD_ERR(CONF_SERVER, "=--duplicate-cn: 'kill' is not one of "
	    "replace|refuse", "--duplicate-cn", "kill");
}

static void
test_pairs(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_CLIENT, "--keepalive", "1", "2",
	    "--connect-retry", "5", "5") == 0) {
		CHECK(c.keepalive_interval == 1 && c.keepalive_timeout == 2);
		CHECK(c.keepalive_set);
		CHECK(c.connect_retry == 5 && c.connect_retry_max == 5);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--connect-retry", "1", "3600",
	    "--keepalive", "3599", "3600") == 0) {
		CHECK(c.connect_retry_max == 3600);
		CHECK(c.keepalive_interval == 3599);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--keepalive: TIMEOUT 10 must be greater than "
	    "INTERVAL 10", "--keepalive", "10", "10");
	LOAD_ERR(CONF_SERVER, "must be greater", "--keepalive", "10", "9");
	LOAD_ERR(CONF_SERVER, "out of range", "--keepalive", "0", "5");
	LOAD_ERR(CONF_SERVER, "out of range", "--keepalive", "10", "3601");
	LOAD_ERR(CONF_SERVER, "not a number", "--keepalive", "10", "x");
	LOAD_ERR(CONF_CLIENT, "=--connect-retry: 1 is less than 5; expects "
	    "INITIAL MAX", "--connect-retry", "5", "1");
	LOAD_ERR(CONF_CLIENT, "out of range", "--connect-retry", "0", "5");
	LOAD_ERR(CONF_CLIENT, "out of range", "--connect-retry", "1", "3601");
	/* missing arguments, also when the next flag follows at once */
	LOAD_ERR(CONF_SERVER, "=--keepalive: expects INTERVAL TIMEOUT",
	    "--keepalive", "10");
	LOAD_ERR(CONF_SERVER, "=--keepalive: expects INTERVAL TIMEOUT",
	    "--keepalive", "10", "--mtu", "1400");
	LOAD_ERR(CONF_SERVER, "=--mtu: expects N", "--mtu");
	LOAD_ERR(CONF_SERVER, "=--mtu: unexpected argument '2'", "--mtu",
	    "1400", "2");
}

static void
test_listen(void)
{
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_in *sin;
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--listen", "192.0.2.1:443") == 0) {
		sin = (const struct sockaddr_in *)&c.listen;
		CHECK(c.listen_len == sizeof(*sin) && sin->sin_family ==
		    AF_INET);
		CHECK(ntohl(sin->sin_addr.s_addr) == ip("192.0.2.1"));
		CHECK(ntohs(sin->sin_port) == 443);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--listen", "[::1]:65535") == 0) {
		sin6 = (const struct sockaddr_in6 *)&c.listen;
		CHECK(c.listen_len == sizeof(*sin6));
		CHECK(sin6->sin6_family == AF_INET6);
		CHECK(memcmp(&sin6->sin6_addr, &lo6, sizeof(lo6)) == 0);
		CHECK(ntohs(sin6->sin6_port) == 65535);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--listen: '0.0.0.0' is not ADDR:PORT",
	    "--listen", "0.0.0.0");
	LOAD_ERR(CONF_SERVER, "out of range", "--listen", "192.0.2.1:0");
	LOAD_ERR(CONF_SERVER, "out of range", "--listen", "192.0.2.1:65536");
	LOAD_ERR(CONF_SERVER, "not a number", "--listen", "192.0.2.1:");
	LOAD_ERR(CONF_SERVER, "not an IPv4 address", "--listen",
	    "vpn.example:443");
	LOAD_ERR(CONF_SERVER, "not an IPv4 address", "--listen",
	    "192.0.2.256:443");
	LOAD_ERR(CONF_SERVER, "[ADDR]:PORT", "--listen", "::1:443");
	LOAD_ERR(CONF_SERVER, "not ADDR:PORT", "--listen", "[::1]");
	LOAD_ERR(CONF_SERVER, "not an IPv6 address", "--listen",
	    "[192.0.2.1]:443");
	LOAD_ERR(CONF_SERVER, "missing ']'", "--listen", "[::1:443");
	LOAD_ERR(CONF_SERVER, "junk after ']'", "--listen", "[::1]443");
	LOAD_ERR(CONF_SERVER, "no host", "--listen", ":443");
	LOAD_ERR(CONF_SERVER, "no host", "--listen", "[]:443");
}

static void
test_cidr(void)
{
	struct conf c;
	char *argv[2 * 65], names[65][32];
	int i;

	if (LOAD_OK(&c, CONF_SERVER, "--pool", "198.18.0.0/15") == 0) {
		CHECK(c.pool_addr == ip("198.18.0.0") && c.pool_prefix == 15);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--pool", "10.0.0.0/8") == 0)
		conf_free(&c);
	if (LOAD_OK(&c, CONF_SERVER, "--pool", "198.18.0.4/30") == 0)
		conf_free(&c);
	LOAD_ERR(CONF_SERVER, "=--pool: '10.0.0.1/24' has host bits set",
	    "--pool", "10.0.0.1/24");
	LOAD_ERR(CONF_SERVER, "=--pool: '10.0.0.0/7': prefix must be 8..30",
	    "--pool", "10.0.0.0/7");
	LOAD_ERR(CONF_SERVER, "prefix must be 8..30", "--pool", "10.0.0.0/31");
	LOAD_ERR(CONF_SERVER, "prefix must be 8..30", "--pool", "10.0.0.0/");
	LOAD_ERR(CONF_SERVER, "prefix must be 8..30", "--pool",
	    "10.0.0.0/24x");
	LOAD_ERR(CONF_SERVER, "not ADDR/PREFIX", "--pool", "10.0.0.0");
	LOAD_ERR(CONF_SERVER, "not an IPv4 address", "--pool", "10.0.0/24");
	LOAD_ERR(CONF_SERVER, "not an IPv4 address", "--pool", "/24");
	LOAD_ERR(CONF_SERVER, "not an IPv4", "--pool",
	    "2001:db8:1:2:3:4:5:6/24");

	if (LOAD_OK(&c, CONF_SERVER, "--push-route", "0.0.0.0/0",
	    "--push-route", "203.0.113.0/24", "--push-route",
	    "192.0.2.7/32") == 0) {
		CHECK(c.nroutes == 3);
		CHECK(c.routes[0].addr == 0 && c.routes[0].prefix == 0);
		CHECK(c.routes[1].addr == ip("203.0.113.0"));
		CHECK(c.routes[1].prefix == 24);
		CHECK(c.routes[2].addr == ip("192.0.2.7"));
		CHECK(c.routes[2].prefix == 32);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "host bits", "--push-route", "10.0.0.1/8");
	LOAD_ERR(CONF_SERVER, "prefix must be 0..32", "--push-route",
	    "10.0.0.0/33");
	LOAD_ERR(CONF_SERVER, "=--push-route: '10.0.0.0/8' given twice",
	    "--push-route", "10.0.0.0/8", "--push-route", "10.0.0.0/8");

	/* at most 64 routes */
	for (i = 0; i < 65; i++) {
		snprintf(names[i], sizeof(names[i]), "10.%d.0.0/16", i);
		argv[2 * i] = "--push-route";
		argv[2 * i + 1] = names[i];
	}
	{
		char err[ERRLEN];

		CHECK(conf_load(&c, CONF_SERVER, 2 * 64, argv, err,
		    sizeof(err)) == 0 && c.nroutes == 64);
		conf_free(&c);
		CHECK(conf_load(&c, CONF_SERVER, 2 * 65, argv, err,
		    sizeof(err)) == -1);
		CHECK(strcmp(err, "--push-route: more than 64 routes") == 0);
	}
}

/* push-dns: IPv4 and IPv6, in order; garbage, a duplicate (however
 * spelt), what no client may use and a fifth are refused, one line each.
 * push-domain: a DNS name, and why not. */
static void
test_dns(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--push-dns", "198.18.0.53",
	    "--push-dns", "2001:db8::53", "--push-domain", "corp.example",
	    "--push-domain", "Lab-1.corp.example") == 0) {
		CHECK(c.ndns == 2 && c.dns[0].family == 4 &&
		    memcmp(c.dns[0].addr, "\xc6\x12\x00\x35", 4) == 0);
		CHECK(c.dns[1].family == 6 && memcmp(c.dns[1].addr, v6, 16) == 0);
		CHECK(c.ndomains == 2 &&
		    strcmp(c.domains[0], "corp.example") == 0 &&
		    strcmp(c.domains[1], "Lab-1.corp.example") == 0);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--push-dns: 'dns.example' is not an IPv4 or "
	    "IPv6 address", "--push-dns", "dns.example");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '198.18.0.53/32' is not an IPv4 "
	    "or IPv6 address", "--push-dns", "198.18.0.53/32");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '2001:0db8:0::53' given twice",
	    "--push-dns", "2001:db8::53", "--push-dns", "2001:0db8:0::53");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '0.0.0.0' is the unspecified "
	    "address", "--push-dns", "0.0.0.0");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '::' is the unspecified address",
	    "--push-dns", "::");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '224.0.0.251' is a multicast "
	    "address", "--push-dns", "224.0.0.251");
	LOAD_ERR(CONF_SERVER, "=--push-dns: 'ff02::fb' is a multicast "
	    "address", "--push-dns", "ff02::fb");
	LOAD_ERR(CONF_SERVER, "=--push-dns: '255.255.255.255' is the "
	    "broadcast address", "--push-dns", "255.255.255.255");
	LOAD_ERR(CONF_SERVER, "=--push-dns: more than 4 DNS servers",
	    "--push-dns", "198.18.0.1", "--push-dns", "198.18.0.2",
	    "--push-dns", "198.18.0.3", "--push-dns", "2001:db8::4",
	    "--push-dns", "2001:db8::5");
	LOAD_ERR(CONF_CLIENT, "is not a client directive", "--push-dns",
	    "198.18.0.53");

	LOAD_ERR(CONF_SERVER, "=--push-domain: 'corp..example' is not a DNS "
	    "name: it has an empty label (a dot at the start or end, or two "
	    "in a row)", "--push-domain", "corp..example");
	LOAD_ERR(CONF_SERVER, "--push-domain: 'corp.example.' is not a DNS "
	    "name: it has an empty label", "--push-domain", "corp.example.");
	LOAD_ERR(CONF_SERVER, "=--push-domain: '-corp.example' is not a DNS "
	    "name: it has a label that starts with '-'", "--push-domain",
	    "-corp.example");
	LOAD_ERR(CONF_SERVER, "=--push-domain: 'corp-.example' is not a DNS "
	    "name: it has a label that ends with '-'", "--push-domain",
	    "corp-.example");
	LOAD_ERR(CONF_SERVER, "=--push-domain: 'corp_x.example' is not a DNS "
	    "name: it holds a character other than letters, digits, '-' and "
	    "'.'", "--push-domain", "corp_x.example");
	LOAD_ERR(CONF_SERVER, "--push-domain: '~corp.example' is not a DNS "
	    "name", "--push-domain", "~corp.example");
	LOAD_ERR(CONF_SERVER, "a label longer than 63 characters",
	    "--push-domain", "a234567890123456789012345678901234567890"
	    "123456789012345678901234.example");
	LOAD_ERR(CONF_SERVER, "=--push-domain: 'CORP.example' given twice",
	    "--push-domain", "corp.example", "--push-domain", "CORP.example");
	LOAD_ERR(CONF_SERVER, "=--push-domain: more than 4 domains",
	    "--push-domain", "a.example", "--push-domain", "b.example",
	    "--push-domain", "c.example", "--push-domain", "d.example",
	    "--push-domain", "e.example");
}

static void
test_fixed(void)
{
	char cn64[65], cn65[66];
	struct conf c;

	memset(cn64, 'c', 64);
	cn64[64] = '\0';
	memset(cn65, 'c', 65);
	cn65[65] = '\0';
	if (LOAD_OK(&c, CONF_SERVER, "--fixed-address", "alice",
	    "198.18.0.10", "--fixed-address", cn64, "198.18.0.11",
	    "--fixed-address", "bob@example.net", "198.18.0.12") == 0) {
		CHECK(c.nfixed == 3 && c.fixed != NULL);
		CHECK(strcmp(c.fixed[0].cn, "alice") == 0);
		CHECK(c.fixed[0].addr == ip("198.18.0.10"));
		CHECK(strcmp(c.fixed[1].cn, cn64) == 0);
		CHECK(strcmp(c.fixed[2].cn, "bob@example.net") == 0);
		CHECK(c.fixed[2].addr == ip("198.18.0.12"));
		conf_free(&c);
		CHECK(c.fixed == NULL && c.nfixed == 0);
	}
	LOAD_ERR(CONF_SERVER, "=--fixed-address: duplicate CN 'alice' (a second IPv4 "
	    "address)",
	    "--fixed-address", "alice", "198.18.0.10",
	    "--fixed-address", "alice", "198.18.0.11");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--fixed-address", cn65,
	    "198.18.0.10");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--fixed-address", "",
	    "198.18.0.10");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--fixed-address", "al ice",
	    "198.18.0.10");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--fixed-address", "al\x01ice",
	    "198.18.0.10");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--fixed-address", "\xc3\xa9t\xc3"
	    "\xa9", "198.18.0.10");
	LOAD_ERR(CONF_SERVER, "=--fixed-address: '198.18.0.300' is not an "
	    "IPv4 address", "--fixed-address", "alice", "198.18.0.300");
	LOAD_ERR(CONF_SERVER, "=--fixed-address: expects CN ADDR",
	    "--fixed-address", "alice");

	/* IPv6 from pool6: one address per CN and family */
	if (LOAD_OK(&c, CONF_SERVER, "--pool6", "2001:db8:1::/64",
	    "--fixed-address", "alice", "2001:db8:1::10",
	    "--fixed-address", "bob", "198.18.0.12",
	    "--fixed-address", "alice", "198.18.0.10",
	    "--fixed-address", "carol", "2001:db8:1::ffff") == 0) {
		CHECK(c.nfixed == 3);
		CHECK(strcmp(c.fixed[0].cn, "alice") == 0 && c.fixed[0].has4 &&
		    c.fixed[0].addr == ip("198.18.0.10") && c.fixed[0].has6 &&
		    is_ip6(c.fixed[0].addr6, "2001:db8:1::10"));
		CHECK(c.fixed[1].has4 && !c.fixed[1].has6);
		CHECK(!c.fixed[2].has4 && c.fixed[2].has6);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--fixed-address: duplicate CN 'alice' (a "
	    "second IPv6 address)", "--pool6", "2001:db8:1::/64",
	    "--fixed-address", "alice", "2001:db8:1::10",
	    "--fixed-address", "alice", "2001:db8:1::11");
	LOAD_ERR(CONF_SERVER, "=--fixed-address: '2001:db8::1::2' is not an "
	    "IPv6 address", "--pool6", "2001:db8:1::/64",
	    "--fixed-address", "alice", "2001:db8::1::2");
}

static void
test_client_net(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, "--client-network", "site-a",
	    "198.19.1.0/24", "--client-network", "site-a", "198.19.2.0/24",
	    "--client-network", "site-b", "203.0.113.7/32") == 0) {
		CHECK(c.nclient_nets == 3 && c.push_client_nets);
		CHECK(strcmp(c.client_nets[1].cn, "site-a") == 0);
		CHECK(c.client_nets[1].addr == ip("198.19.2.0") &&
		    c.client_nets[1].prefix == 24);
		CHECK(conf_client_net_of(&c, ip("198.19.1.77")) == 0);
		CHECK(conf_client_net_of(&c, ip("198.19.2.255")) == 1);
		CHECK(conf_client_net_of(&c, ip("203.0.113.7")) == 2);
		CHECK(conf_client_net_of(&c, ip("203.0.113.8")) == -1);
		CHECK(conf_client_net_of(&c, ip("198.19.3.1")) == -1);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--push-client-networks", "no") == 0) {
		CHECK(!c.push_client_nets && c.nclient_nets == 0);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--client-network: 'site-a 198.19.1.0/24' "
	    "given twice", "--client-network", "site-a", "198.19.1.0/24",
	    "--client-network", "site-a", "198.19.1.0/24");
	LOAD_ERR(CONF_SERVER, "=--client-network: '198.19.1.1/24' has host "
	    "bits set", "--client-network", "site-a", "198.19.1.1/24");
	LOAD_ERR(CONF_SERVER, "=--client-network: '198.19.1.0/7': prefix "
	    "must be 8..32", "--client-network", "site-a", "198.19.1.0/7");
	LOAD_ERR(CONF_SERVER, "=--client-network: '198.19.1.0' is not "
	    "ADDR/PREFIX", "--client-network", "site-a", "198.19.1.0");
	LOAD_ERR(CONF_SERVER, "=--client-network: '198.19.1.0/24x': prefix "
	    "must be 8..32", "--client-network", "site-a", "198.19.1.0/24x");
	LOAD_ERR(CONF_SERVER, "=--client-network: '198.19.300.0' is not an "
	    "IPv4 address", "--client-network", "site-a", "198.19.300.0/24");
	LOAD_ERR(CONF_SERVER, "is not a CN", "--client-network", "si te",
	    "198.19.1.0/24");
	LOAD_ERR(CONF_SERVER, "=--client-network: expects CN CIDR",
	    "--client-network", "site-a");
	LOAD_ERR(CONF_CLIENT, "client-network", "--client-network", "site-a",
	    "198.19.1.0/24");

	/* IPv6, beside IPv4 (conf_check wants pool6 for them) */
	if (LOAD_OK(&c, CONF_SERVER, "--client-network", "site-a",
	    "2001:db8:5::/64", "--client-network", "site-a", "198.19.1.0/24",
	    "--client-network", "site-b", "2001:db8:6:1::/112",
	    "--client-network", "site-b", "2001:db8:7::1/128") == 0) {
		CHECK(c.nclient_nets == 4);
		CHECK(c.client_nets[0].v6 && !c.client_nets[1].v6 &&
		    c.client_nets[2].v6 && c.client_nets[3].v6);
		CHECK(is_ip6(c.client_nets[0].addr6, "2001:db8:5::") &&
		    c.client_nets[0].prefix == 64 && c.client_nets[0].addr == 0);
		CHECK(is_ip6(c.client_nets[2].addr6, "2001:db8:6:1::") &&
		    c.client_nets[2].prefix == 112);
		CHECK(net_of6(&c, "2001:db8:5::77") == 0);
		CHECK(net_of6(&c, "2001:db8:5:0:ffff:ffff:ffff:ffff") == 0);
		CHECK(net_of6(&c, "2001:db8:5:1::") == -1);
		CHECK(net_of6(&c, "2001:db8:6:1::ffff") == 2);
		CHECK(net_of6(&c, "2001:db8:6:1::1:0") == -1);
		CHECK(net_of6(&c, "2001:db8:7::1") == 3);
		CHECK(net_of6(&c, "2001:db8:7::2") == -1);
		/* neither family's lookup sees the other's networks */
		CHECK(net_of6(&c, "::c613:101") == -1);
		CHECK(conf_client_net_of(&c, ip("198.19.1.7")) == 1);
		CHECK(conf_client_net_of(&c, ip("0.0.0.0")) == -1);
		CHECK(conf_client_net_of(&c, ip("32.1.13.184")) == -1);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--client-network: 'site-a 2001:db8:5::/64' "
	    "given twice", "--client-network", "site-a", "2001:db8:5::/64",
	    "--client-network", "site-a", "2001:db8:5::/64");
	LOAD_ERR(CONF_SERVER, "=--client-network: '2001:db8:5::1/64' has host "
	    "bits set", "--client-network", "site-a", "2001:db8:5::1/64");
	LOAD_ERR(CONF_SERVER, "=--client-network: '2001:db8:5::/15': prefix "
	    "must be 16..128", "--client-network", "site-a", "2001:db8:5::/15");
	LOAD_ERR(CONF_SERVER, "=--client-network: '2001:db8:5::/129': prefix "
	    "must be 16..128", "--client-network", "site-a",
	    "2001:db8:5::/129");
	LOAD_ERR(CONF_SERVER, "=--client-network: '2001:db8:5::' is not "
	    "ADDR/PREFIX", "--client-network", "site-a", "2001:db8:5::");
	LOAD_ERR(CONF_SERVER, "=--client-network: '2001:db8::5::/64' is not "
	    "an IPv6 network", "--client-network", "site-a",
	    "2001:db8::5::/64");
}

static void
test_remote(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "vpn.example.net:443") == 0) {
		CHECK(strcmp(c.remote_host, "vpn.example.net") == 0);
		CHECK(c.remote_port == 443);
		CHECK(strcmp(c.server_name, "vpn.example.net") == 0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "192.0.2.1") == 0) {
		CHECK(strcmp(c.remote_host, "192.0.2.1") == 0);
		CHECK(c.remote_port == 1194);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "[2001:db8::1]:1195",
	    "--server-name", "vpn.example.net") == 0) {
		CHECK(strcmp(c.remote_host, "2001:db8::1") == 0);
		CHECK(c.remote_port == 1195);
		CHECK(strcmp(c.server_name, "vpn.example.net") == 0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "[::1]") == 0) {
		CHECK(strcmp(c.remote_host, "::1") == 0);
		CHECK(c.remote_port == 1194);
		conf_free(&c);
	}
	LOAD_ERR(CONF_CLIENT, "[ADDR]:PORT", "--remote", "2001:db8::1");
	LOAD_ERR(CONF_CLIENT, "out of range", "--remote", "vpn:0");
	LOAD_ERR(CONF_CLIENT, "out of range", "--remote", "vpn:70000");
	LOAD_ERR(CONF_CLIENT, "=--remote: 'vpn/x' is not a host name",
	    "--remote", "vpn/x");
	LOAD_ERR(CONF_CLIENT, "missing ']'", "--remote", "[::1");
	LOAD_ERR(CONF_CLIENT, "not an IPv6 address", "--remote", "[zz]:1");
	LOAD_ERR(CONF_CLIENT, "no host", "--remote", ":443");
}

static void
test_roles(void)
{
	LOAD_ERR(CONF_CLIENT, "=--pool: 'pool' is not a client directive",
	    "--pool", "10.0.0.0/24");
	LOAD_ERR(CONF_SERVER, "=--remote: 'remote' is not a server directive",
	    "--remote", "vpn");
	LOAD_ERR(CONF_STATUS, "=--dev: 'dev' is not a status directive",
	    "--dev", "x");
	LOAD_ERR(CONF_CLIENT, "not a client directive", "--mtu", "1400");
	LOAD_ERR(CONF_SERVER, "not a server directive", "--connect-retry",
	    "1", "2");
}

static void
test_argv(void)
{
	struct conf c;

	LOAD_ERR(CONF_SERVER, "=unexpected argument 'foo'", "foo");
	LOAD_ERR(CONF_SERVER, "=--verb: unexpected argument 'foo'", "--mtu",
	    "1400", "--verb", "2", "foo", "bar", "baz");
	LOAD_ERR(CONF_SERVER, "=unknown option '--pol'", "--pol", "x");
	LOAD_ERR(CONF_SERVER, "=unknown option '--'", "--");
	LOAD_ERR(CONF_SERVER, "=unknown option '--mtu=1400'", "--mtu=1400");
	LOAD_ERR(CONF_SERVER, "=--mtu: given twice", "--mtu", "1400",
	    "--mtu", "1300");
	LOAD_ERR(CONF_SERVER, "=--config: expects FILE", "--config");
	LOAD_ERR(CONF_SERVER, "=--config: expects FILE", "--config",
	    "--mtu", "1400");
	LOAD_ERR(CONF_SERVER, "=--config: given twice", "--config", "/a",
	    "--config", "/b");
	LOAD_ERR(CONF_SERVER, "=/nonexistent/x.conf: No such file or "
	    "directory", "--config", "/nonexistent/x.conf");
	LOAD_ERR(CONF_SERVER, "Is a directory", "--config", tmpdir);
	/* control characters never reach the one-line error */
	LOAD_ERR(CONF_SERVER, "=--mtu: '1?2' is not a number", "--mtu",
	    "1\n2");
	if (LOAD_OK(&c, CONF_SERVER, "--mtu", "1400", "--verb", "2") == 0) {
		CHECK(c.mtu == 1400 && c.verbose == 2);
		conf_free(&c);
	}
	{
		char *argv[] = { "--mtu", "1", NULL };
		char err[8];

		/* argc 0: nothing to read, even with words in argv */
		CHECK(conf_load(&c, CONF_SERVER, 0, argv, err,
		    sizeof(err)) == 0);
		conf_free(&c);
		/* a tiny error buffer only cuts the text short */
		CHECK(conf_load(&c, CONF_SERVER, 2, argv, err,
		    sizeof(err)) == -1);
		CHECK(strcmp(err, "--mtu: ") == 0);
		/* the first word is a flag like any other */
		argv[1] = "1400";
		CHECK(conf_load(&c, CONF_SERVER, 2, argv, err,
		    sizeof(err)) == 0 && c.mtu == 1400);
		conf_free(&c);
	}
}

static void
test_file(void)
{
	struct conf c;
	char *p;

	p = write_conf("good.conf",
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "dev\tstun3\n"
	    "pool 198.18.0.0/24   # trailing comment\n"
	    "keepalive  5 \t 30\n"
	    "mtu 1400\n"
	    "fixed-address alice 198.18.0.9\n"
	    "push-route 203.0.113.0/24\n"
	    "ca /x#y\n"
	    "verb 2\r\n"
	    "user daemon");		/* no newline at the end */
	if (LOAD_OK(&c, CONF_SERVER, "--config", p) == 0) {
		CHECK(strcmp(c.dev, "stun3") == 0);
		CHECK(c.pool_addr == ip("198.18.0.0") && c.pool_prefix == 24);
		CHECK(c.keepalive_interval == 5 && c.keepalive_timeout == 30);
		CHECK(c.keepalive_set);
		CHECK(c.mtu == 1400 && c.verbose == 2);
		CHECK(c.nfixed == 1 && c.nroutes == 1);
		CHECK(strcmp(c.ca, "/x#y") == 0);
		CHECK(strcmp(c.user, "daemon") == 0);
		conf_free(&c);
	}

	/* the command line wins wherever --config stands, and repeatable
	 * directives append */
	if (LOAD_OK(&c, CONF_SERVER, "--mtu", "1300", "--config", p,
	    "--push-route", "192.0.2.0/24", "--fixed-address", "bob",
	    "198.18.0.8", "--dev", "stun9") == 0) {
		CHECK(c.mtu == 1300);
		CHECK(strcmp(c.dev, "stun9") == 0);
		CHECK(c.verbose == 2);
		CHECK(c.nroutes == 2);
		CHECK(c.routes[0].addr == ip("203.0.113.0"));
		CHECK(c.routes[1].addr == ip("192.0.2.0"));
		CHECK(c.nfixed == 2 && strcmp(c.fixed[1].cn, "bob") == 0);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--fixed-address: duplicate CN 'alice' (a second IPv4 "
	    "address)",
	    "--config", p, "--fixed-address", "alice", "198.18.0.8");
	/* a bad flag is found before the file is read */
	LOAD_ERR(CONF_SERVER, "=unknown option '--bad'", "--config",
	    "/nonexistent", "--bad");
	/* a client reading a server's file */
	LOAD_ERR(CONF_CLIENT, ":6: pool: 'pool' is not a client directive",
	    "--config", p);
}

static void
test_file_errors(void)
{
	char *p, *big;
	size_t i;

	p = write_conf("unknown.conf", "dev x\n\n# c\n\n\n\n\n\n\n\n\npol "
	    "10.0.0.0/24\n");
	{
		char want[256];

		snprintf(want, sizeof(want), "=%s:12: unknown directive "
		    "'pol'", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("hostbits.conf", "dev x\n\npool 10.0.0.1/24\n");
		snprintf(want, sizeof(want), "=%s:3: pool: '10.0.0.1/24' has "
		    "host bits set", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("trailing.conf", "mtu 1400 x\n");
		snprintf(want, sizeof(want), "=%s:1: mtu: unexpected argument "
		    "'x'", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("missing.conf", "keepalive 10 # 60\n");
		snprintf(want, sizeof(want), "=%s:1: keepalive: expects "
		    "INTERVAL TIMEOUT", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("twice.conf", "mtu 1400\nverb 2\nmtu 1300\n");
		snprintf(want, sizeof(want), "=%s:3: mtu: already given on "
		    "line 1", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("dupcn.conf", "fixed-address a 198.18.0.5\n"
		    "fixed-address a 198.18.0.6\n");
		snprintf(want, sizeof(want), "=%s:2: fixed-address: duplicate "
		    "CN 'a' (a second IPv4 address)", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_file("nul.conf", "dev x\nmtu 14\0000\n",
		    sizeof("dev x\nmtu 14\0000\n") - 1);
		snprintf(want, sizeof(want), "=%s:2: NUL byte in line", p);
		LOAD_ERR(CONF_SERVER, want, "--config", p);

		p = write_conf("flag.conf", "--mtu 1400\n");
		LOAD_ERR(CONF_SERVER, "unknown directive '--mtu'", "--config",
		    p);
		p = write_conf("config.conf", "config /etc/other.conf\n");
		LOAD_ERR(CONF_SERVER, "unknown directive 'config'",
		    "--config", p);
	}

	/* 8192 characters fit a line, 8193 do not */
	big = malloc(3 * 5000);
	memset(big, ' ', 8192);
	memcpy(big, "# ", 2);
	big[8192] = '\n';
	memcpy(big + 8193, "mtu 1400\n", 10);
	p = write_conf("long-ok.conf", big);
	{
		struct conf c;

		if (LOAD_OK(&c, CONF_SERVER, "--config", p) == 0) {
			CHECK(c.mtu == 1400);
			conf_free(&c);
		}
	}
	for (i = 0; i < 3 * 5000 - 1; i++)
		big[i] = i < 9 ? "mtu 1400 "[i] : 'x';
	big[3 * 5000 - 1] = '\0';
	p = write_conf("long.conf", big);
	LOAD_ERR(CONF_SERVER, ":1: line longer than 8192 characters",
	    "--config", p);
	free(big);
}

static void
test_fixed_max(void)
{
	char line[64], *p;
	size_t len = 0;
	char *text = malloc(1025 * sizeof(line));
	char want[64];
	int i;

	text[0] = '\0';
	for (i = 0; i < 1025; i++) {
		snprintf(line, sizeof(line), "fixed-address cn%d 10.0.%d.%d\n",
		    i, 4 + i / 250, 2 + i % 250);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	p = write_conf("manyfixed.conf", text);
	snprintf(want, sizeof(want), ":1025: fixed-address: more than 1024 "
	    "fixed addresses");
	LOAD_ERR(CONF_SERVER, want, "--config", p);
	free(text);
}

static void
test_check(void)
{
	char *ca, *cert, *key, *nokey;
	struct conf c;

	ca = write_conf("ca.pem", "ca\n");
	cert = write_conf("cert.pem", "cert\n");
	key = write_conf("key.pem", "key\n");
	nokey = tmp_path("nokey.pem");

#define TLS "--ca", ca, "--cert", cert, "--key", key, "--user", "root"
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.0.2", "--fixed-address", "b",
	    "198.18.0.254") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/30") == 0) {
		CHECK_CONF(&c, NULL);
		c.pool_prefix = 31;	/* what the parser cannot produce */
		CHECK_CONF(&c, "=pool: /31 leaves no room for clients "
		    "(prefix 8..30)");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--ca", ca, "--cert", cert, "--key",
	    key, "--pool", "198.18.0.0/24") == 0) {
		CHECK_CONF(&c, NULL);	/* nobody, the default user */
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS) == 0) {
		CHECK_CONF(&c, "=server needs 'pool'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--ca", ca, "--cert", cert, "--pool",
	    "198.18.0.0/24") == 0) {
		CHECK_CONF(&c, "=server needs 'key'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--ca", ca, "--cert", cert, "--key",
	    nokey, "--pool", "198.18.0.0/24") == 0) {
		char want[512];

		snprintf(want, sizeof(want), "=key: %s: No such file or "
		    "directory", nokey);
		CHECK_CONF(&c, want);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--crl", nokey, "--pool",
	    "198.18.0.0/24") == 0) {
		CHECK_CONF(&c, "crl: ");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--crl", tmpdir) == 0) {
		CHECK_CONF(&c, "not a regular file");
		conf_free(&c);
	}
	if (geteuid() != 0 && chmod(key, 0) == 0) {
		if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool",
		    "198.18.0.0/24") == 0) {
			CHECK_CONF(&c, "Permission denied");
			conf_free(&c);
		}
		chmod(key, 0600);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--ca", ca, "--cert", cert, "--key", key,
	    "--pool", "198.18.0.0/24", "--user", "no-such-user-st") == 0) {
		CHECK_CONF(&c, "=user: 'no-such-user-st' does not exist");
		conf_free(&c);
	}

	/* fixed addresses: inside the pool, not its network, server or
	 * broadcast address, and not shared */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.1.5") == 0) {
		CHECK_CONF(&c, "=fixed-address: 198.18.1.5 of 'a' is not a "
		    "client address of pool 198.18.0.0/24");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.0.0") == 0) {
		CHECK_CONF(&c, "not a client address");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.0.1") == 0) {
		CHECK_CONF(&c, "not a client address");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.0.255") == 0) {
		CHECK_CONF(&c, "not a client address");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "198.18.0.7", "--fixed-address", "b",
	    "198.18.0.7") == 0) {
		CHECK_CONF(&c, "=fixed-address: 198.18.0.7 is given to both "
		    "'a' and 'b'");
		conf_free(&c);
	}
	/* IPv6: pool6's usable part, once, and only with pool6 */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--fixed-address", "a", "2001:db8:1::10") == 0) {
		CHECK_CONF(&c, "=fixed-address: 2001:db8:1::10 of 'a' is IPv6 "
		    "and there is no pool6");
		conf_free(&c);
	}
	for (unsigned i = 0; i < 3; i++) {
		static const char *const bad[] = { "2001:db8:1::1",
		    "2001:db8:1::1:0", "2001:db8:2::10" };
		char want[200];

		if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
		    "--pool6", "2001:db8:1::/64", "--fixed-address", "a",
		    bad[i]) != 0)
			continue;
		snprintf(want, sizeof(want), "=fixed-address: %s of 'a' is "
		    "not a client address of pool6 2001:db8:1::/64 (the "
		    "first 65534 addresses after the server's)", bad[i]);
		CHECK_CONF(&c, want);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::100/120", "--fixed-address", "a",
	    "2001:db8:1::200") == 0) {
		CHECK_CONF(&c, "=fixed-address: 2001:db8:1::200 of 'a' is not a "
		    "client address of pool6 2001:db8:1::100/120 (the first 254 "
		    "addresses after the server's)");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--fixed-address", "a",
	    "2001:db8:1::10", "--fixed-address", "b", "2001:db8:1::10") == 0) {
		CHECK_CONF(&c, "=fixed-address: 2001:db8:1::10 is given to "
		    "both 'a' and 'b'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--fixed-address", "a",
	    "198.18.0.7", "--fixed-address", "a", "2001:db8:1::ffff") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}

	/* client and status */
	if (LOAD_OK(&c, CONF_CLIENT, TLS, "--remote", "vpn.example") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, TLS) == 0) {
		CHECK_CONF(&c, "=client needs 'remote'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "vpn") == 0) {
		CHECK_CONF(&c, "=client needs 'ca'");
		conf_free(&c);
	}
	/* client networks: one owner each, outside the pool, no push-route
	 * inside them */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "203.0.113.0/24", "--push-route", "198.19.0.0/16",
	    "--client-network", "a", "198.19.1.0/24", "--client-network", "b",
	    "198.19.2.0/24", "--client-network", "a", "198.18.1.0/24") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "198.19.1.0/24", "--client-network", "b",
	    "198.19.1.0/24") == 0) {
		CHECK_CONF(&c, "=client-network 198.19.1.0/24 of 'b' overlaps "
		    "198.19.1.0/24 of 'a'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "198.19.1.0/24", "--client-network", "b",
	    "198.19.0.0/16") == 0) {
		CHECK_CONF(&c, "=client-network 198.19.0.0/16 of 'b' overlaps "
		    "198.19.1.0/24 of 'a'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "198.19.1.128/25", "--client-network",
	    "a", "198.19.1.0/24") == 0) {
		CHECK_CONF(&c, "=client-network 198.19.1.0/24 of 'a' overlaps "
		    "198.19.1.128/25 of 'a'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "198.18.0.128/25") == 0) {
		CHECK_CONF(&c, "=client-network 198.18.0.128/25 of 'a' "
		    "overlaps pool 198.18.0.0/24");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "198.18.0.0/16") == 0) {
		CHECK_CONF(&c, "=client-network 198.18.0.0/16 of 'a' overlaps "
		    "pool 198.18.0.0/24");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "198.19.1.64/26", "--client-network", "a",
	    "198.19.1.0/24") == 0) {
		CHECK_CONF(&c, "=push-route 198.19.1.64/26 is inside "
		    "client-network 198.19.1.0/24 of 'a'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "198.19.1.0/24", "--client-network", "a",
	    "198.19.1.0/24") == 0) {
		CHECK_CONF(&c, "=push-route 198.19.1.0/24 is inside "
		    "client-network 198.19.1.0/24 of 'a'");
		conf_free(&c);
	}
	/* IPv6 client networks: the same rules, in pool6's family */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route", "2001:db8:203::/64",
	    "--client-network", "a", "2001:db8:5::/64", "--client-network",
	    "a", "198.19.1.0/24", "--client-network", "b", "2001:db8:6::/48",
	    "--client-network", "b", "2001:db8:1:1::/64") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "2001:db8:5::/64") == 0) {
		CHECK_CONF(&c, "=client-network 2001:db8:5::/64 of 'a': IPv6 "
		    "networks need pool6");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--client-network", "a",
	    "2001:db8:1::80/121") == 0) {
		CHECK_CONF(&c, "=client-network 2001:db8:1::80/121 of 'a' "
		    "overlaps pool6 2001:db8:1::/64");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--client-network", "a",
	    "2001:db8::/32") == 0) {
		CHECK_CONF(&c, "=client-network 2001:db8::/32 of 'a' overlaps "
		    "pool6 2001:db8:1::/64");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--client-network", "a",
	    "2001:db8:5::/64", "--client-network", "b", "2001:db8:5:0:1::/80")
	    == 0) {
		CHECK_CONF(&c, "=client-network 2001:db8:5:0:1::/80 of 'b' "
		    "overlaps 2001:db8:5::/64 of 'a'");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route", "2001:db8:5:8::/64",
	    "--client-network", "a", "2001:db8:5::/48") == 0) {
		CHECK_CONF(&c, "=push-route 2001:db8:5:8::/64 is inside "
		    "client-network 2001:db8:5::/48 of 'a'");
		conf_free(&c);
	}
	/* a network must be one a client would take as a route, pushed or
	 * not: the server routes it and accepts sources from it */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--client-network", "a",
	    "fe80::/64") == 0) {
		CHECK_CONF(&c, "client-network fe80::/64 of 'a' is no network "
		    "to route (and the other clients would refuse it): ");
		c.push_client_nets = false;
		CHECK_CONF(&c, "client-network fe80::/64 of 'a' is no network "
		    "to route");
		c.push_client_nets = true;
		c.client_to_client = false;
		CHECK_CONF(&c, "client-network fe80::/64 of 'a' is no network "
		    "to route");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--client-network", "a", "127.0.0.0/8",
	    "--client-to-client", "no") == 0) {
		CHECK_CONF(&c, "client-network 127.0.0.0/8 of 'a' is no network "
		    "to route (and the other clients would refuse it): ");
		conf_free(&c);
	}
	/* a push-route holding the network is no push-route inside it */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route", "2001:db8::/32",
	    "--client-network", "a", "2001:db8:5::/48") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--status-socket", "/run/st6",
	    "--pool6", "2001:db8:1::/64") == 0) {
		c.pool_addr = ip("198.18.0.0");
		c.pool_prefix = 24;
		for (unsigned i = 0; i < CONF_ROUTES_MAX; i++) {
			c.routes6[i] = (struct conf_net6){ { 0x20, 0x01, 0x0d,
			    0xb8, 0x02, 0x03, 0, (uint8_t)i }, 64 };
			c.nroutes6++;
		}
		memcpy(c.client_nets[0].cn, "site", 5);
		c.client_nets[0].v6 = true;
		c.client_nets[0].addr6[0] = 0x20;
		c.client_nets[0].addr6[1] = 0x01;
		c.client_nets[0].addr6[2] = 0x0d;
		c.client_nets[0].addr6[3] = 0xb8;
		c.client_nets[0].addr6[5] = 5;
		c.client_nets[0].prefix = 64;
		c.nclient_nets = 1;
		CHECK_CONF(&c, "=push-route and client-network give more than "
		    "64 routes to push; set push-client-networks no or push "
		    "fewer");
		c.push_client_nets = false;
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--status-socket", "/run/st") == 0) {
		char a[32];

		c.pool_addr = ip("198.18.0.0");
		c.pool_prefix = 24;
		for (unsigned i = 0; i < CONF_ROUTES_MAX; i++)
			c.routes[c.nroutes++] = (struct conf_route){
			    ip("203.0.113.0") + i, 32 };
		snprintf(a, sizeof(a), "site");
		memcpy(c.client_nets[0].cn, a, strlen(a) + 1);
		c.client_nets[0].addr = ip("198.19.1.0");
		c.client_nets[0].prefix = 24;
		c.nclient_nets = 1;
		CHECK_CONF(&c, "=push-route and client-network give more than "
		    "64 routes to push; set push-client-networks no or push "
		    "fewer");
		c.push_client_nets = false;
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_STATUS, NULL) == 0) {
		/* status_main then tries server.sock and client.sock */
		CHECK_CONF(&c, NULL);
		CHECK(c.status_socket[0] == '\0' && !c.json);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_STATUS, "--status-socket", "/run/st") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}

	/* what a client with default settings refuses, the server refuses
	 * to start with (msg_config_judge on both sides) */
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "203.0.113.0/24", "--push-route", "0.0.0.0/0") ==
	    0) {
		CHECK_CONF(&c, "=push-route 0.0.0.0/0: a client refuses it by "
		    "default: route 0.0.0.0/0 covers 0.0.0.0/8 (this "
		    "network) and allow-full-tunnel is no (for a full tunnel: "
		    "push-redirect-gateway)");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "224.0.0.0/4") == 0) {
		CHECK_CONF(&c, "push-route 224.0.0.0/4: a client refuses it");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "127.0.0.0/8") == 0) {
		CHECK_CONF(&c, "=clients would refuse this server's CONFIG: "
		    "address 127.0.0.2/8 overlaps 127.0.0.0/8 (loopback)");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--mtu", "9000") == 0) {
		CHECK_CONF(&c, "=clients would refuse this server's CONFIG: "
		    "mtu 9000 is outside 576..8940");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--keepalive", "301", "3600") == 0) {
		CHECK_CONF(&c, "keepalive 301 3600 is outside interval 1..300");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-redirect-gateway", "yes", "--push-route",
	    "203.0.113.0/24", "--mtu", "8940", "--keepalive", "300",
	    "3600") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
#undef TLS
}

/* pool6 and IPv6 push-route: parsed as IPv6 networks, checked as a
 * client would judge them, and only with each other. */
static void
test_pool6(void)
{
	char *ca = write_conf("ca6.pem", "ca\n");
	char *cert = write_conf("cert6.pem", "cert\n");
	char *key = write_conf("key6.pem", "key\n");
	uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	struct conf c;

	LOAD_ERR(CONF_SERVER, "=--pool6: '198.18.0.0/24' is not an IPv6 "
	    "network", "--pool6", "198.18.0.0/24");
	LOAD_ERR(CONF_SERVER, "=--pool6: '2001:db8:1::' is not ADDR/PREFIX",
	    "--pool6", "2001:db8:1::");
	LOAD_ERR(CONF_SERVER, "=--pool6: '2001:db8::/48': prefix must be "
	    "64..124", "--pool6", "2001:db8::/48");
	LOAD_ERR(CONF_SERVER, "prefix must be 64..124", "--pool6",
	    "2001:db8::/125");
	LOAD_ERR(CONF_SERVER, "=--pool6: '2001:db8::1/64' has host bits set",
	    "--pool6", "2001:db8::1/64");
	LOAD_ERR(CONF_CLIENT, "pool6", "--pool6", "2001:db8::/64");
	LOAD_ERR(CONF_SERVER, "=--push-route: '2001:db8::/129': prefix must "
	    "be 0..128", "--push-route", "2001:db8::/129");
	LOAD_ERR(CONF_SERVER, "host bits", "--push-route", "2001:db8::1/64");
	LOAD_ERR(CONF_SERVER, "=--push-route: '2001:db8::/32' given twice",
	    "--push-route", "2001:db8::/32", "--push-route", "2001:db8::/32");
	LOAD_ERR(CONF_SERVER, "is not an IPv6 network", "--push-route",
	    "2001:zz::/32");

	if (LOAD_OK(&c, CONF_SERVER, "--pool6", "2001:db8:1::/64",
	    "--push-route", "2001:db8:203::/64", "--push-route",
	    "10.0.0.0/8") == 0) {
		CHECK(memcmp(c.pool6.addr, want, 16) == 0 &&
		    c.pool6.prefix == 64);
		CHECK(c.nroutes == 1 && c.nroutes6 == 1 &&
		    c.routes6[0].prefix == 64 && c.routes6[0].addr[5] == 3);
		conf_free(&c);
	}

#define TLS "--ca", ca, "--cert", cert, "--key", key, "--user", "root"
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route",
	    "2001:db8:203::/64", "--push-route", "2001:db8::/32") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--push-route", "2001:db8:203::/64") == 0) {
		CHECK_CONF(&c, "=push-route 2001:db8:203::/64: IPv6 routes "
		    "need pool6");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route",
	    "2001:db8:1:0:8000::/65") == 0) {
		CHECK_CONF(&c, "=push-route 2001:db8:1:0:8000::/65 overlaps "
		    "pool6 2001:db8:1::/64");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route", "::/0") == 0) {
		CHECK_CONF(&c, "=push-route ::/0: a client refuses it by "
		    "default: route ::/0 covers ::/8 (unspecified, loopback, "
		    "IPv4-mapped) and allow-full-tunnel is no");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--push-route", "ff00::/8") == 0) {
		CHECK_CONF(&c, "push-route ff00::/8: a client refuses it");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "2001:db8:1::/64", "--dev-type", "tap") == 0) {
		CHECK_CONF(&c, "=pool6: IPv6 needs dev-type tun");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, TLS, "--pool", "198.18.0.0/24",
	    "--pool6", "fe80::/64") == 0) {
		CHECK_CONF(&c, "=clients would refuse this server's CONFIG: "
		    "address fe80::2/64 overlaps fe80::/10 (link-local)");
		conf_free(&c);
	}
#undef TLS
}

static void
test_words(void)
{
	struct conf c;

	/* what a config file line could not hold is refused everywhere */
	LOAD_ERR(CONF_SERVER, "=--ca: '/a b' holds a blank or a control "
	    "character, which a config file cannot hold", "--ca", "/a b");
	LOAD_ERR(CONF_SERVER, "holds a blank", "--key", "/a\tb");
	LOAD_ERR(CONF_SERVER, "holds a blank", "--user", "x\r");
	LOAD_ERR(CONF_SERVER, "holds a blank", "--dev", "a\x7f");
	LOAD_ERR(CONF_CLIENT, "holds a blank", "--server-name", " vpn");
	LOAD_ERR(CONF_SERVER, "=--crl: '#x' starts with '#', which a config "
	    "file reads as a comment", "--crl", "#x");
	LOAD_ERR(CONF_SERVER, "=--fixed-address: '#a' starts with '#', which "
	    "a config file reads as a comment", "--fixed-address", "#a",
	    "198.18.0.5");
	if (LOAD_OK(&c, CONF_SERVER, "--ca", "/a#b", "--crl",
	    "/etc/\xc3\xa7" "a.pem", "--fixed-address", "a#",
	    "198.18.0.5") == 0)
		conf_free(&c);
}

static void
test_session_users(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, NULL) == 0) {
		CHECK(c.session_uid_first == 0x70000000u);
		CHECK(c.session_uid_count == 65536);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--session-users", "1000", "1") == 0) {
		CHECK(c.session_uid_first == 1000 && c.session_uid_count == 1);
		conf_free(&c);
	}
	/* the last id is 4294967293: (uid_t)-1 is never one */
	if (LOAD_OK(&c, CONF_SERVER, "--session-users", "4294967293",
	    "1") == 0) {
		CHECK(c.session_uid_first == 4294967293u);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--session-users", "4294901758",
	    "65536") == 0) {
		CHECK(c.session_uid_count == 65536);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--session-users: FIRST 4294967293 + COUNT 2 "
	    "is past the last id 4294967293", "--session-users",
	    "4294967293", "2");
	LOAD_ERR(CONF_SERVER, "is past the last id", "--session-users",
	    "4294901759", "65536");
	LOAD_ERR(CONF_SERVER, "=--session-users: '999' is out of range "
	    "(1000..4294967293)", "--session-users", "999", "10");
	LOAD_ERR(CONF_SERVER, "out of range", "--session-users",
	    "4294967294", "1");
	LOAD_ERR(CONF_SERVER, "=--session-users: '0' is out of range "
	    "(1..65536)", "--session-users", "1000", "0");
	LOAD_ERR(CONF_SERVER, "out of range", "--session-users", "1000",
	    "65537");
	LOAD_ERR(CONF_SERVER, "not a number", "--session-users", "-1", "5");
	LOAD_ERR(CONF_SERVER, "=--session-users: expects FIRST COUNT",
	    "--session-users", "1000");
	LOAD_ERR(CONF_CLIENT, "not a client directive", "--session-users",
	    "1000", "10");
}

/* A gid of a group that no user has as uid, at least 1000, or 0. */
static gid_t
lonely_gid(void)
{
	const struct group *gr;
	gid_t gid = 0;

	setgrent();
	while (gid == 0 && (gr = getgrent()) != NULL)
		if (gr->gr_gid >= 1000 && gr->gr_gid < 4294967294u &&
		    getpwuid(gr->gr_gid) == NULL)
			gid = gr->gr_gid;
	endgrent();
	return gid;
}

static void
test_check_session_users(void)
{
	const struct passwd *pw;
	char *ca, *cert, *key, first[16], want[256];
	struct conf c;
	gid_t gid;

	ca = write_conf("su-ca.pem", "ca\n");
	cert = write_conf("su-cert.pem", "cert\n");
	key = write_conf("su-key.pem", "key\n");
#define SRV_OK "--ca", ca, "--cert", cert, "--key", key, "--user", "root", \
	"--pool", "198.18.0.0/24"
	if (LOAD_OK(&c, CONF_SERVER, SRV_OK, "--session-users",
	    "1879048192", "10") == 0) {
		CHECK_CONF(&c, "=session-users gives 10 uids, fewer than "
		    "max-clients + max-handshakes = 128");
		conf_free(&c);
	}
	/* every slot is a uid: handshakes in progress have theirs too */
	if (LOAD_OK(&c, CONF_SERVER, SRV_OK, "--session-users",
	    "1879048192", "64") == 0) {
		CHECK_CONF(&c, "=session-users gives 64 uids, fewer than "
		    "max-clients + max-handshakes = 128");
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, SRV_OK, "--session-users",
	    "1879048192", "128") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, SRV_OK, "--session-users",
	    "1879048192", "64", "--max-clients", "32", "--max-handshakes",
	    "32") == 0) {
		CHECK_CONF(&c, NULL);
		conf_free(&c);
	}
	/* a range that holds an existing user's uid: nobody is 65534 on
	 * Debian and Fedora alike */
	if ((pw = getpwnam("nobody")) != NULL && pw->pw_uid >= 65000 &&
	    pw->pw_uid < 66000 && LOAD_OK(&c, CONF_SERVER, SRV_OK,
	    "--session-users", "65000", "1000") == 0) {
		snprintf(want, sizeof(want), "=session-users range "
		    "65000..+1000 holds uid %u of user 'nobody'; choose "
		    "another FIRST",
		    (unsigned)pw->pw_uid);
		CHECK_CONF(&c, want);
		conf_free(&c);
	}
	/* a group's gid, where no user has that id */
	if ((gid = lonely_gid()) != 0) {
		snprintf(first, sizeof(first), "%u", (unsigned)gid);
		if (LOAD_OK(&c, CONF_SERVER, SRV_OK, "--max-clients", "1",
		    "--session-users", first, "1") == 0) {
			snprintf(want, sizeof(want), "holds gid %u of group '",
			    (unsigned)gid);
			CHECK_CONF(&c, want);
			conf_free(&c);
		}
	}
#undef SRV_OK
}

static void
test_udp_port(void)
{
	struct conf c;

	if (LOAD_OK(&c, CONF_SERVER, NULL) == 0) {
		CHECK(c.udp_port == 0 && conf_udp_port(&c) == 1194);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--listen", "[::1]:4443") == 0) {
		CHECK(conf_udp_port(&c) == 4443);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--listen", "192.0.2.1:443",
	    "--udp-port", "51820") == 0) {
		CHECK(c.udp_port == 51820 && conf_udp_port(&c) == 51820);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--udp-port", "65535") == 0) {
		CHECK(conf_udp_port(&c) == 65535);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--udp-port", "0") == 0) {
		CHECK(conf_udp_port(&c) == 1194);
		conf_free(&c);
	}
	LOAD_ERR(CONF_SERVER, "=--udp-port: '65536' is out of range "
	    "(0..65535)", "--udp-port", "65536");
	LOAD_ERR(CONF_CLIENT, "not a client directive", "--udp-port", "1");
}

/* The status socket's default comes from the configuration file's name;
 * `status --config FILE` reads only status-socket from a daemon's FILE. */
static void
test_status_socket(void)
{
	struct conf c;
	char *p, *q, *r, want[256];

	p = write_conf("office.conf", "dev x\n");
	if (LOAD_OK(&c, CONF_SERVER, "--config", p) == 0) {
		CHECK(strcmp(c.status_socket, "/run/simpletun/office.sock") ==
		    0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--config", p) == 0) {
		CHECK(strcmp(c.status_socket, "/run/simpletun/office.sock") ==
		    0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, NULL) == 0) {
		CHECK(strcmp(c.status_socket, "/run/simpletun/client.sock") ==
		    0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--status-socket", "none") == 0) {
		CHECK(c.status_socket[0] == '\0');
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_STATUS, "--config", p, "--json") == 0) {
		CHECK(strcmp(c.status_socket, "/run/simpletun/office.sock") ==
		    0);
		CHECK(c.json);
		conf_free(&c);
	}
	q = write_conf("vpn", "ca /x\npool 10.0.0.0/8\n"
	    "status-socket /tmp/s.sock # here\npush-route 1.2.3.0/24\n");
	if (LOAD_OK(&c, CONF_STATUS, "--config", q) == 0) {
		CHECK(strcmp(c.status_socket, "/tmp/s.sock") == 0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--config", q) == 0) {
		CHECK(strcmp(c.status_socket, "/tmp/s.sock") == 0);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_STATUS, "--config", q, "--status-socket",
	    "/tmp/t") == 0) {
		CHECK(strcmp(c.status_socket, "/tmp/t") == 0);
		conf_free(&c);
	}
	r = write_conf(".conf", "dev x\n");
	LOAD_ERR(CONF_SERVER, "status-socket: no name for it", "--config", r);
	LOAD_ERR(CONF_STATUS, "No such file", "--config", "/nonexistent.conf");
	LOAD_ERR(CONF_STATUS, "not a status directive", "--dev", "x");
	LOAD_ERR(CONF_STATUS, "unexpected argument", "--json", "yes");
	/* 15 + 88 + 5 characters: one too many for sun_path's 107 */
	snprintf(want, sizeof(want), "a-name-so-long-that-the-socket-path-"
	    "does-not-fit-in-sun-path-which-holds-108-bytes-of-it.conf");
	p = write_conf(want, "dev x\n");
	LOAD_ERR(CONF_SERVER, "longer than 107 characters", "--config", p);
}

static char *
dump_text(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	conf_dump(c, f);
	fclose(f);
	return buf;
}

/* A sealed memfd holding text, as a parent hands it to its child. */
static int
text_fd(const char *text)
{
	size_t len = strlen(text);
	int fd;

	if ((fd = memfd_create("test_conf", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 ||
	    write(fd, text, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		perror("memfd");
		exit(1);
	}
	return fd;	/* its offset is at the end: the load reads from 0 */
}

static int
load_fd_at(int line, struct conf *c, enum conf_role role, const char *text,
    char *err)
{
	int fd = text_fd(text), r;

	off_t at = lseek(fd, 0, SEEK_CUR);

	err[0] = '\0';
	r = conf_load_fd(c, role, fd, err, ERRLEN);
	if (fcntl(fd, F_GETFD) == -1) {
		fprintf(stderr, "%s:%d: conf_load_fd closed its fd\n",
		    __FILE__, line);
		failures++;
	/* Children share the memfd's file description: a load that moved
	 * its offset would make a sibling starting at once read garbage. */
	} else if (lseek(fd, 0, SEEK_CUR) != at) {
		fprintf(stderr, "%s:%d: conf_load_fd moved the shared offset\n",
		    __FILE__, line);
		failures++;
	}
	close(fd);
	return r;
}

#define SAME(field, cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: round trip changed %s\n",	\
		    __FILE__, line, field);				\
		failures++;						\
	}								\
} while (0)
#define SAME_STR(f) SAME(#f, strcmp(a->f, b->f) == 0)
#define SAME_NUM(f) SAME(#f, a->f == b->f)

static void
same_strings(int line, const struct conf *a, const struct conf *b)
{
	SAME_STR(dev);
	SAME_STR(ca);
	SAME_STR(cert);
	SAME_STR(key);
	SAME_STR(crl);
	SAME_STR(user);
	SAME_STR(status_socket);
	SAME_STR(remote_host);
	SAME_STR(server_name);
}

static void
same_numbers(int line, const struct conf *a, const struct conf *b)
{
	SAME_NUM(role);
	SAME_NUM(keepalive_interval);
	SAME_NUM(keepalive_timeout);
	SAME_NUM(keepalive_set);
	SAME_NUM(handshake_timeout);
	SAME_NUM(mtu);
	SAME_NUM(verbose);
	SAME_NUM(pool_addr);
	SAME_NUM(pool_prefix);
	SAME_NUM(client_to_client);
	SAME_NUM(max_clients);
	SAME_NUM(duplicate_cn);
	SAME_NUM(udp_port);
	SAME_NUM(session_uid_first);
	SAME_NUM(session_uid_count);
	SAME_NUM(reneg_sec);
	SAME_NUM(remote_port);
	SAME_NUM(connect_retry);
	SAME_NUM(connect_retry_max);
}

static void
same_lists(int line, const struct conf *a, const struct conf *b)
{
	unsigned i;

	SAME_NUM(listen_len);
	SAME("listen", memcmp(&a->listen, &b->listen, sizeof(a->listen)) == 0);
	SAME_NUM(nroutes);
	for (i = 0; i < a->nroutes && i < b->nroutes; i++)
		SAME("routes", a->routes[i].addr == b->routes[i].addr &&
		    a->routes[i].prefix == b->routes[i].prefix);
	SAME("pool6", memcmp(&a->pool6, &b->pool6, sizeof(a->pool6)) == 0);
	SAME_NUM(nroutes6);
	SAME("routes6", memcmp(a->routes6, b->routes6,
	    sizeof(a->routes6)) == 0);
	SAME_NUM(nfixed);
	for (i = 0; i < a->nfixed && i < b->nfixed; i++)
		SAME("fixed", strcmp(a->fixed[i].cn, b->fixed[i].cn) == 0 &&
		    a->fixed[i].addr == b->fixed[i].addr);
}

/* The routes without their padding, which parse_route copies from the
 * stack. */
static void
plain_routes(struct conf *c)
{
	struct conf_route r[CONF_ROUTES_MAX];
	unsigned i;

	memcpy(r, c->routes, sizeof(r));
	memset(c->routes, 0, sizeof(c->routes));
	for (i = 0; i < c->nroutes && i < CONF_ROUTES_MAX; i++) {
		c->routes[i].addr = r[i].addr;
		c->routes[i].prefix = r[i].prefix;
	}
}

/* Every field by name, then the whole struct, which also catches a
 * field added later without a dump: a conf loaded from one source has no
 * stale bytes, so its copy is equal byte for byte. */
static void
same_at(int line, const struct conf *a, const struct conf *b)
{
	struct conf x = *a, y = *b;

	same_strings(line, a, b);
	same_numbers(line, a, b);
	same_lists(line, a, b);
	x.fixed = y.fixed = NULL;
	plain_routes(&x);
	plain_routes(&y);
	SAME("the struct", memcmp(&x, &y, sizeof(x)) == 0);
	SAME("fixed entries", a->nfixed != b->nfixed || a->nfixed == 0 ||
	    memcmp(a->fixed, b->fixed, a->nfixed * sizeof(*a->fixed)) == 0);
}

/* Dumps a, loads the text as its child would, and compares. Returns the
 * text for more checks; the caller frees it. */
static char *
round_trip_at(int line, const struct conf *a)
{
	char err[ERRLEN], *text = dump_text(a);
	struct conf b;

	if (load_fd_at(line, &b, a->role, text, err) != 0) {
		fprintf(stderr, "%s:%d: conf_load_fd of the dump failed: "
		    "%s\n%s", __FILE__, line, err, text);
		failures++;
		return text;
	}
	same_at(line, a, &b);
	conf_free(&b);
	return text;
}

#define ROUND_TRIP(a) round_trip_at(__LINE__, a)

static unsigned
count_lines(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned count = 0;
	const char *p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		count += strncmp(p, prefix, n) == 0;
	return count;
}

static void
test_round_trip_server(void)
{
	char cn64[65], longpath[CONF_PATH_MAX], *text;
	struct conf c;

	memset(cn64, '~', 64);
	cn64[64] = '\0';
	/* the longest path a field holds still fits a config line */
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	if (LOAD_OK(&c, CONF_SERVER, "--ca", "/etc/simpletun/ca#1.pem",
	    "--cert", "/etc/simpletun/\xc3\xa7\xc3\xa0.pem", "--key",
	    "relative/key.pem", "--crl", longpath, "--handshake-timeout",
	    "300", "--dev", "tun9", "--mtu", "1280", "--keepalive", "3", "7",
	    "--user", "daemon", "--status-socket", "/run/st.sock", "--verb",
	    "2", "--session-users", "3000000000", "1024", "--listen",
	    "[2001:db8::1]:443", "--udp-port", "51820", "--pool",
	    "198.18.0.0/15", "--client-to-client", "no", "--max-clients",
	    "1024", "--duplicate-cn", "refuse", "--push-route", "0.0.0.0/0",
	    "--push-route", "203.0.113.0/24", "--push-route", "192.0.2.7/32",
	    "--fixed-address", cn64, "198.18.0.10", "--fixed-address",
	    "bob@example.net", "198.19.255.254", "--fixed-address",
	    "a#\"'\\", "198.18.0.2", "--client-network", cn64,
	    "203.0.113.0/25", "--client-network", "a#\"'\\", "10.0.0.0/8",
	    "--client-network", cn64, "2001:db8:5::/64", "--client-network",
	    "a#\"'\\", "2001:db8:6:1::1/128",
	    "--push-client-networks", "no", "--pool6", "2001:db8:1::/64",
	    "--push-route", "2001:db8:203::/64", "--push-route", "::/0",
	    "--push-dns", "198.18.0.53", "--push-dns", "2001:0db8::0:53",
	    "--push-domain", "corp.example", "--push-domain",
	    "b.corp.example", "--fixed-address", "bob@example.net",
	    "2001:db8:1::20", "--fixed-address", "v6only", "2001:db8:1::21")
	    == 0) {
		text = ROUND_TRIP(&c);
		CHECK(count_lines(text, "push-route ") == 5);
		CHECK(strstr(text, "fixed-address bob@example.net "
		    "198.19.255.254\nfixed-address bob@example.net "
		    "2001:db8:1::20\n") != NULL);
		CHECK(strstr(text, "fixed-address v6only 2001:db8:1::21\n") !=
		    NULL);
		CHECK(strstr(text, "pool6 2001:db8:1::/64\n") != NULL);
		CHECK(strstr(text, "push-route 2001:db8:203::/64\n") != NULL);
		CHECK(strstr(text, "push-dns 198.18.0.53\npush-dns "
		    "2001:db8::53\n") != NULL);
		CHECK(strstr(text, "push-domain corp.example\npush-domain "
		    "b.corp.example\n") != NULL);
		CHECK(count_lines(text, "client-network ") == 4);
		CHECK(strstr(text, " 2001:db8:5::/64\n") != NULL);
		CHECK(strstr(text, " 2001:db8:6:1::1/128\n") != NULL);
		CHECK(strstr(text, "push-client-networks no\n") != NULL);
		CHECK(count_lines(text, "fixed-address ") == 5);
		CHECK(strstr(text, "listen [2001:db8::1]:443\n") != NULL);
		CHECK(strstr(text, "session-users 3000000000 1024\n") != NULL);
		CHECK(strstr(text, "keepalive 3 7\n") != NULL);
		CHECK(count_lines(text, "remote") == 0);
		free(text);
		conf_free(&c);
	}
	/* defaults: nothing optional is written, keepalive stays unset */
	if (LOAD_OK(&c, CONF_SERVER, NULL) == 0) {
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "listen 0.0.0.0:1194\n") != NULL);
		CHECK(strstr(text, "udp-port 0\n") != NULL);
		CHECK(strstr(text, "session-users 1879048192 65536\n") !=
		    NULL);
		CHECK(count_lines(text, "crl") == 0);
		CHECK(count_lines(text, "status-socket "
		    "/run/simpletun/server.sock") == 1);
		CHECK(count_lines(text, "keepalive") == 0);
		CHECK(count_lines(text, "pool") == 0);
		free(text);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_SERVER, "--listen", "192.0.2.1:65535",
	    "--pool", "10.0.0.0/8", "--keepalive", "1", "3600") == 0) {
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "listen 192.0.2.1:65535\n") != NULL);
		free(text);
		conf_free(&c);
	}
}

/* The most a server can hold: 64 routes and 1024 fixed addresses. */
static void
test_round_trip_full(void)
{
	char line[64], *text, *p;
	size_t len = 0;
	struct conf c;
	int i;

	text = malloc((64 + 1024) * sizeof(line));
	for (i = 0; i < 64 + 1024; i++) {
		if (i < 64)
			snprintf(line, sizeof(line),
			    "push-route 10.%d.0.0/16\n", i);
		else
			snprintf(line, sizeof(line), "fixed-address cn%d "
			    "198.18.%d.%d\n", i, i / 250, 2 + i % 250);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	p = write_conf("full.conf", text);
	free(text);
	if (LOAD_OK(&c, CONF_SERVER, "--config", p) == 0) {
		CHECK(c.nroutes == 64 && c.nfixed == 1024);
		free(ROUND_TRIP(&c));
		conf_free(&c);
	}
}

static void
test_round_trip_client(void)
{
	char *text;
	struct conf c;

	if (LOAD_OK(&c, CONF_CLIENT, "--ca", "/ca.pem", "--cert", "/c.pem",
	    "--key", "/k.pem", "--crl", "/crl.pem", "--handshake-timeout",
	    "1", "--reneg-sec", "0", "--dev", "stun1", "--keepalive", "5",
	    "30", "--user", "daemon", "--status-socket", "/run/c.sock",
	    "--verb", "0", "--remote", "[2001:db8::2]:1195", "--server-name",
	    "vpn.example.net", "--connect-retry", "2", "30") == 0) {
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "remote [2001:db8::2]:1195\n") != NULL);
		CHECK(strstr(text, "server-name vpn.example.net\n") != NULL);
		CHECK(count_lines(text, "pool") == 0);
		CHECK(count_lines(text, "listen") == 0);
		free(text);
		conf_free(&c);
	}
	/* the keepalive a server pushes stays in charge */
	if (LOAD_OK(&c, CONF_CLIENT, "--remote", "vpn.example.net") == 0) {
		CHECK(!c.keepalive_set);
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "remote vpn.example.net:1194\n") != NULL);
		CHECK(count_lines(text, "keepalive") == 0);
		free(text);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, NULL) == 0) {
		free(ROUND_TRIP(&c));
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_STATUS, "--status-socket", "/run/st") == 0) {
		text = ROUND_TRIP(&c);
		CHECK(strcmp(text, "status-socket /run/st\n") == 0);
		free(text);
		conf_free(&c);
	}
}

/* A configuration built from a file and flags over it compares equal by
 * field (stale bytes after a string's end may differ). */
static void
test_round_trip_layers(void)
{
	char err[ERRLEN], *p, *text;
	struct conf a, b;

	p = write_conf("layers.conf", "dev averylongname\nmtu 1400\n"
	    "push-route 203.0.113.0/24\n");
	if (LOAD_OK(&a, CONF_SERVER, "--config", p, "--dev", "x",
	    "--push-route", "192.0.2.0/24") != 0)
		return;
	text = dump_text(&a);
	if (load_fd_at(__LINE__, &b, CONF_SERVER, text, err) == 0) {
		same_strings(__LINE__, &a, &b);
		same_numbers(__LINE__, &a, &b);
		same_lists(__LINE__, &a, &b);
		conf_free(&b);
	} else {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
		failures++;
	}
	free(text);
	conf_free(&a);
}

static void
test_load_fd(void)
{
	char err[ERRLEN];
	struct conf c;
	int fds[2];

	if (load_fd_at(__LINE__, &c, CONF_SERVER, "# from the parent\n"
	    "dev x\nmtu 1400\n", err) == 0) {
		CHECK(strcmp(c.dev, "x") == 0 && c.mtu == 1400);
		CHECK(c.max_clients == 64);	/* the role's defaults */
		conf_free(&c);
	}
	if (load_fd_at(__LINE__, &c, CONF_SERVER, "", err) == 0) {
		CHECK(c.mtu == 1420);
		conf_free(&c);
	}
	CHECK(load_fd_at(__LINE__, &c, CONF_SERVER, "dev x\nmtu 1\n",
	    err) == -1);
	CHECK(strcmp(err, "configuration from the parent:2: mtu: '1' is out "
	    "of range (576..9000)") == 0);
	CHECK(c.fixed == NULL);
	CHECK(load_fd_at(__LINE__, &c, CONF_CLIENT, "remote vpn\n"
	    "pool 10.0.0.0/8\n", err) == -1);
	CHECK(strcmp(err, "configuration from the parent:2: pool: 'pool' is "
	    "not a client directive") == 0);
	CHECK(load_fd_at(__LINE__, &c, CONF_SERVER, "fixed-address a "
	    "198.18.0.5\nmtu 1400\nmtu 1300\n", err) == -1);
	CHECK(strcmp(err, "configuration from the parent:3: mtu: already "
	    "given on line 2") == 0);
	CHECK(c.fixed == NULL);
	CHECK(conf_load_fd(&c, CONF_SERVER, -1, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "configuration from the parent: Bad file "
	    "descriptor") == 0);

	/* a pipe has no offset to rewind: it is read from where it is */
	if (pipe2(fds, O_CLOEXEC) == -1) {
		perror("pipe2");
		exit(1);
	}
	CHECK(write(fds[1], "dev y\n", 6) == 6);
	close(fds[1]);
	if (conf_load_fd(&c, CONF_SERVER, fds[0], err, sizeof(err)) == 0) {
		CHECK(strcmp(c.dev, "y") == 0);
		conf_free(&c);
	} else {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
		failures++;
	}
	CHECK(fcntl(fds[0], F_GETFD) != -1);
	close(fds[0]);
}

static char *
help_text(enum conf_role role)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	conf_help(f, role);
	fclose(f);
	return buf;
}

/* allow-full-tunnel, route-nopull, pull-filter: parsing, the round trip
 * to a child, and which pushed routes a client takes. */
static void
test_pull(void)
{
	const struct conf_pull_filter *rule;
	struct conf c;
	char *text;

	if (LOAD_OK(&c, CONF_CLIENT, NULL) == 0) {
		CHECK(!c.allow_full_tunnel && !c.route_nopull);
		CHECK(c.npull_filters == 0);
		CHECK(conf_pull_route(&c, ip("0.0.0.0"), 0, &rule) && !rule);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--allow-full-tunnel", "yes",
	    "--pull-filter", "accept", "203.0.113.128/25", "--pull-filter",
	    "ignore", "203.0.113.0/24", "--pull-filter", "ignore",
	    "10.0.0.0/8", "--pull-filter", "accept", "0.0.0.0/0") == 0) {
		CHECK(c.allow_full_tunnel && !c.route_nopull);
		CHECK(c.npull_filters == 4);
		/* the first rule whose network holds the route decides */
		CHECK(conf_pull_route(&c, ip("203.0.113.128"), 26, &rule));
		CHECK(rule == &c.pull_filters[0]);
		CHECK(!conf_pull_route(&c, ip("203.0.113.0"), 24, &rule));
		CHECK(rule == &c.pull_filters[1]);
		CHECK(!conf_pull_route(&c, ip("203.0.113.0"), 25, &rule));
		CHECK(!conf_pull_route(&c, ip("10.9.9.9"), 32, NULL));
		/* a route wider than a rule is not inside it */
		CHECK(conf_pull_route(&c, ip("203.0.112.0"), 23, &rule));
		CHECK(rule == &c.pull_filters[3]);
		CHECK(conf_pull_route(&c, ip("0.0.0.0"), 0, &rule));
		CHECK(rule == &c.pull_filters[3]);
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "allow-full-tunnel yes\n") != NULL);
		CHECK(strstr(text, "route-nopull no\n") != NULL);
		CHECK(strstr(text, "pull-filter accept 203.0.113.128/25\n"
		    "pull-filter ignore 203.0.113.0/24\npull-filter ignore "
		    "10.0.0.0/8\npull-filter accept 0.0.0.0/0\n") != NULL);
		free(text);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--route-nopull", "yes", "--pull-filter",
	    "accept", "0.0.0.0/0") == 0) {
		CHECK(!conf_pull_route(&c, ip("203.0.113.0"), 24, &rule));
		CHECK(rule == NULL);
		free(ROUND_TRIP(&c));
		conf_free(&c);
	}
	LOAD_ERR(CONF_CLIENT, "=--pull-filter: 'drop' is not accept or ignore",
	    "--pull-filter", "drop", "10.0.0.0/8");
	LOAD_ERR(CONF_CLIENT, "has host bits set", "--pull-filter", "ignore",
	    "10.0.0.1/8");
	LOAD_ERR(CONF_CLIENT, "prefix must be 0..32", "--pull-filter",
	    "ignore", "10.0.0.0/33");
	LOAD_ERR(CONF_CLIENT, "expects accept|ignore CIDR", "--pull-filter",
	    "ignore");
	LOAD_ERR(CONF_CLIENT, "not yes or no", "--route-nopull", "1");
	LOAD_ERR(CONF_SERVER, "not a server directive", "--allow-full-tunnel",
	    "yes");
	LOAD_ERR(CONF_SERVER, "not a server directive", "--pull-filter",
	    "ignore", "10.0.0.0/8");
}

/* pull-filter with IPv6 networks: the first rule that holds a route
 * decides, a rule never holds a route of the other family, the dump loads
 * back, and a bad network is refused in one line. */
static void
test_pull6(void)
{
	const struct conf_pull_filter *rule;
	struct conf c;
	char *text;

	if (LOAD_OK(&c, CONF_CLIENT, "--pull-filter", "accept",
	    "2001:db8:5:8::/64", "--pull-filter", "ignore", "2001:db8:5::/48",
	    "--pull-filter", "ignore", "0.0.0.0/0", "--pull-filter", "accept",
	    "2001:db8::/32", "--pull-filter", "ignore", "::/0") == 0) {
		CHECK(c.npull_filters == 5);
		CHECK(c.pull_filters[1].v6 && !c.pull_filters[2].v6);
		CHECK(is_ip6(c.pull_filters[1].addr6, "2001:db8:5::"));
		CHECK(c.pull_filters[1].prefix == 48);
		CHECK(pull6(&c, "2001:db8:5:8::", 64, &rule));
		CHECK(rule == &c.pull_filters[0]);
		CHECK(pull6(&c, "2001:db8:5:8::1", 128, &rule));
		CHECK(rule == &c.pull_filters[0]);
		CHECK(!pull6(&c, "2001:db8:5::", 64, &rule));
		CHECK(rule == &c.pull_filters[1]);
		CHECK(!pull6(&c, "2001:db8:5:8::", 63, &rule));
		CHECK(rule == &c.pull_filters[1]);
		/* a route wider than a rule is not inside it */
		CHECK(pull6(&c, "2001:db8:4::", 47, &rule));
		CHECK(rule == &c.pull_filters[3]);
		/* IPv4's 0.0.0.0/0 (rule 2) holds no IPv6 route */
		CHECK(!pull6(&c, "2001:db9::", 32, &rule));
		CHECK(rule == &c.pull_filters[4]);
		CHECK(!pull6(&c, "::", 0, &rule));
		CHECK(rule == &c.pull_filters[4]);
		/* nor do the IPv6 rules hold an IPv4 route, not even one
		 * whose 4 bytes begin 2001:db8::/32 (32.1.13.184) */
		CHECK(!conf_pull_route(&c, ip("32.1.13.184"), 29, &rule));
		CHECK(rule == &c.pull_filters[2]);
		text = ROUND_TRIP(&c);
		CHECK(strstr(text, "pull-filter accept 2001:db8:5:8::/64\n"
		    "pull-filter ignore 2001:db8:5::/48\npull-filter ignore "
		    "0.0.0.0/0\npull-filter accept 2001:db8::/32\n"
		    "pull-filter ignore ::/0\n") != NULL);
		free(text);
		conf_free(&c);
	}
	/* one family's rules leave the other's routes to the default */
	if (LOAD_OK(&c, CONF_CLIENT, "--pull-filter", "ignore", "::/0") == 0) {
		CHECK(conf_pull_route(&c, ip("0.0.0.0"), 0, &rule) && !rule);
		CHECK(!pull6(&c, "2001:db8:5::", 64, &rule) && rule);
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--pull-filter", "ignore", "0.0.0.0/0")
	    == 0) {
		CHECK(pull6(&c, "::", 0, &rule) && !rule);
		CHECK(pull6(&c, "::ffff:0:0", 96, &rule) && !rule);
		conf_free(&c);
	}
	/* route-nopull takes no IPv6 route; redirect-gateway's routes are
	 * IPv4 only, so it leaves IPv6 ones alone */
	if (LOAD_OK(&c, CONF_CLIENT, "--route-nopull", "yes", "--pull-filter",
	    "accept", "::/0") == 0) {
		CHECK(!pull6(&c, "2001:db8:5::", 64, &rule) && !rule);
		free(ROUND_TRIP(&c));
		conf_free(&c);
	}
	if (LOAD_OK(&c, CONF_CLIENT, "--redirect-gateway", "yes") == 0) {
		CHECK(!conf_pull_route(&c, ip("0.0.0.0"), 1, &rule) && !rule);
		CHECK(pull6(&c, "::", 1, &rule) && !rule);
		CHECK(pull6(&c, "8000::", 1, &rule) && !rule);
		conf_free(&c);
	}
	LOAD_ERR(CONF_CLIENT,
	    "=--pull-filter: '2001:db8:5::/129': prefix must be 0..128",
	    "--pull-filter", "ignore", "2001:db8:5::/129");
	LOAD_ERR(CONF_CLIENT,
	    "=--pull-filter: '2001:db8:5::1/48' has host bits set",
	    "--pull-filter", "ignore", "2001:db8:5::1/48");
	LOAD_ERR(CONF_CLIENT,
	    "=--pull-filter: '2001:db8::zz/48' is not an IPv6 network",
	    "--pull-filter", "accept", "2001:db8::zz/48");
	LOAD_ERR(CONF_CLIENT,
	    "=--pull-filter: '2001:db8:5::' is not ADDR/PREFIX",
	    "--pull-filter", "ignore", "2001:db8:5::");
	LOAD_ERR(CONF_CLIENT,
	    "=--pull-filter: '2001:db8:5::/': prefix must be 0..128",
	    "--pull-filter", "ignore", "2001:db8:5::/");
}

/* 64 rules, and not one more. */
static void
test_pull_max(void)
{
	char line[64], text[64 * 64 + 64], *p;
	size_t len = 0;
	struct conf c;
	int i;

	text[0] = '\0';
	for (i = 0; i < 64; i++) {
		snprintf(line, sizeof(line), "pull-filter ignore 10.%d.0.0/16\n",
		    i);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	p = write_conf("pull64.conf", text);
	if (LOAD_OK(&c, CONF_CLIENT, "--config", p) == 0) {
		CHECK(c.npull_filters == 64);
		free(ROUND_TRIP(&c));
		conf_free(&c);
	}
	memcpy(text + len, "pull-filter ignore 10.64.0.0/16\n", 33);
	p = write_conf("pull65.conf", text);
	LOAD_ERR(CONF_CLIENT, "pull65.conf:65: pull-filter: more than 64 rules",
	    "--config", p);
	/* the 64 are for both families together */
	memcpy(text + len, "pull-filter ignore 2001:db8::/32\n", 34);
	p = write_conf("pull65v6.conf", text);
	LOAD_ERR(CONF_CLIENT,
	    "pull65v6.conf:65: pull-filter: more than 64 rules", "--config", p);
}

static void
test_help(void)
{
	char *s;

	s = help_text(CONF_SERVER);
	CHECK(strstr(s, "--config FILE") != NULL);
	CHECK(strstr(s, "--pool CIDR") != NULL);
	CHECK(strstr(s, "(default: 1420)") != NULL);
	CHECK(strstr(s, "(default: 10 60)") != NULL);
	CHECK(strstr(s, "(default: 0.0.0.0:1194)") != NULL);
	CHECK(strstr(s, "--fixed-address CN ADDR") != NULL);
	CHECK(strstr(s, "(required)") != NULL);
	CHECK(strstr(s, "\nServer:\n") != NULL);
	CHECK(strstr(s, "--remote") == NULL);
	CHECK(strstr(s, "Client:") == NULL);
	free(s);

	s = help_text(CONF_CLIENT);
	CHECK(strstr(s, "--remote HOST[:PORT]") != NULL);
	CHECK(strstr(s, "--connect-retry INITIAL MAX") != NULL);
	CHECK(strstr(s, "--allow-full-tunnel yes|no") != NULL);
	CHECK(strstr(s, "--route-nopull yes|no") != NULL);
	CHECK(strstr(s, "--pull-filter accept|ignore CIDR") != NULL);
	CHECK(strstr(s, "--pool") == NULL);
	CHECK(strstr(s, "--mtu") == NULL);
	free(s);

	s = help_text(CONF_STATUS);
	CHECK(strstr(s, "--status-socket PATH") != NULL);
	CHECK(strstr(s, "--dev") == NULL);
	free(s);
}

/* SIGHUP's merge: reloadable directives take the new file's values, the
 * others keep what runs and are named once. */
static void
test_reload(void)
{
	struct conf cur, next;
	char restart[256], err[ERRLEN];

	if (LOAD_OK(&cur, CONF_SERVER, "--pool", "10.1.0.0/24",
	    "--listen", "0.0.0.0:1194", "--push-route", "10.2.0.0/16",
	    "--max-clients", "10", "--fixed-address", "alice",
	    "10.1.0.9") != 0)
		return;
	if (LOAD_OK(&next, CONF_SERVER, "--pool", "10.9.0.0/24",
	    "--listen", "0.0.0.0:1195", "--push-route", "10.3.0.0/16",
	    "--push-route", "10.4.0.0/16", "--max-clients", "2",
	    "--client-to-client", "no", "--dev", "other0") != 0) {
		conf_free(&cur);
		return;
	}
	CHECK(conf_reload(&cur, &next, restart, sizeof(restart), err,
	    sizeof(err)) == 0);
	CHECK(strcmp(restart, "dev, listen, pool") == 0);
	CHECK(next.pool_addr == 0x0a010000 && next.pool_prefix == 24);
	CHECK(strcmp(next.dev, cur.dev) == 0);
	CHECK(conf_udp_port(&next) == 1194);
	CHECK(next.nroutes == 2 && next.routes[0].addr == 0x0a030000 &&
	    next.routes[1].addr == 0x0a040000);
	CHECK(next.max_clients == 2 && !next.client_to_client);
	CHECK(next.nfixed == 0);	/* fixed-address is reloadable */
	conf_free(&next);
	/* nothing changed: nothing to name, and the same values */
	if (LOAD_OK(&next, CONF_SERVER, "--pool", "10.1.0.0/24",
	    "--listen", "0.0.0.0:1194", "--push-route", "10.2.0.0/16",
	    "--max-clients", "10", "--fixed-address", "alice",
	    "10.1.0.9") == 0) {
		CHECK(conf_reload(&cur, &next, restart, sizeof(restart), err,
		    sizeof(err)) == 0);
		CHECK(restart[0] == '\0');
		CHECK(next.nfixed == 1 && next.fixed[0].addr == 0x0a010009 &&
		    strcmp(next.fixed[0].cn, "alice") == 0);
		CHECK(next.max_clients == 10 && next.nroutes == 1);
		conf_free(&next);
	}
	/* a file that checks at startup checks on reload, without opening
	 * what only a restart reads again */
	if (LOAD_OK(&next, CONF_SERVER, "--pool", "10.1.0.0/24",
	    "--ca", "/nonexistent/ca", "--cert", "/nonexistent/cert",
	    "--key", "/nonexistent/key") == 0) {
		CHECK(conf_check_reload(&next, err, sizeof(err)) == 0);
		CHECK(conf_check(&next, err, sizeof(err)) == -1);
		conf_free(&next);
	}
	if (LOAD_OK(&next, CONF_SERVER, "--pool", "10.1.0.0/24",
	    "--ca", "/nonexistent/ca", "--cert", "/nonexistent/cert",
	    "--key", "/nonexistent/key", "--crl", "/nonexistent/crl") == 0) {
		CHECK(conf_check_reload(&next, err, sizeof(err)) == -1 &&
		    strstr(err, "crl: /nonexistent/crl") != NULL);
		conf_free(&next);
	}
	conf_free(&cur);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_defaults();
	test_strings();
	test_uints();
	test_bool_enum();
	test_pairs();
	test_listen();
	test_cidr();
	test_dns();
	test_fixed();
	test_client_net();
	test_remote();
	test_roles();
	test_argv();
	test_file();
	test_file_errors();
	test_fixed_max();
	test_check();
	test_pool6();
	test_words();
	test_session_users();
	test_check_session_users();
	test_udp_port();
	test_status_socket();
	test_round_trip_server();
	test_round_trip_full();
	test_round_trip_client();
	test_round_trip_layers();
	test_load_fd();
	test_pull();
	test_pull6();
	test_pull_max();
	test_help();
	test_reload();
	cleanup();
	if (failures > 0) {
		fprintf(stderr, "test_conf: %d checks failed\n", failures);
		return 1;
	}
	printf("test_conf: ok\n");
	return 0;
}
