/* Pushed DNS on the client: through systemd-resolved when it runs, by
 * resolvectl on our tun device, as wg-quick and OpenVPN's dns-updown do.
 * The client's parent runs it (root, no seccomp, like the hooks), without
 * a shell: argv to execve, the environment of a hook, a time limit. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dns.h"
#include "hook.h"
#include "msg.h"

/* PATH when the client has none, as hook.c gives its programs. */
#define DNS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The first executable regular file named resolvectl in a directory of
 * PATH (relative entries skipped: we are root). */
static bool
dns_find(char *path, size_t size)
{
	const char *p = getenv("PATH"), *end;
	struct stat st;
	int n;

	for (p = p != NULL && *p != '\0' ? p : DNS_PATH; *p != '\0'; p = end) {
		end = strchrnul(p, ':');
		n = snprintf(path, size, "%.*s/resolvectl", (int)(end - p), p);
		if (*end == ':')
			end++;
		if (p[0] != '/' || n < 0 || (size_t)n >= size)
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* Whether pid is in our network namespace. */
static bool
dns_same_netns(pid_t pid)
{
	struct stat ours, theirs;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat("/proc/self/ns/net", &ours) == 0 &&
	    stat(path, &theirs) == 0 && ours.st_dev == theirs.st_dev &&
	    ours.st_ino == theirs.st_ino;
}

/* A socket file is left behind when resolved is killed, so a connect
 * tells whether one listens. And resolved takes a link by its index in
 * its own network namespace: a client in another (ip netns exec) would
 * set the DNS of some other link there. So whoever listens must share our
 * network namespace. */
static bool
dns_listening(const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	bool ok;
	int fd;

	if (strlen(sock) >= sizeof(sun.sun_path))
		return false;
	memcpy(sun.sun_path, sock, strlen(sock));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return false;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    dns_same_netns(cred.pid);
	close(fd);
	return ok;
}

bool
dns_resolved(char *path, size_t size)
{
	return dns_listening(DNS_RESOLVED_SOCKET) && dns_find(path, size);
}

/* One resolvectl call: argv[0] is filled in. 0, or -1 with one line. */
static int
dns_run(const char *resolvectl, char **argv, char *why, size_t whylen)
{
	struct hook_env e;
	size_t n = 0;
	int r;

	argv[0] = (char *)resolvectl;
	hook_env_init(&e, "dns");
	if ((r = hook_run_argv(argv, &e, DNS_TIMEOUT)) == 0)
		return 0;
	n = (size_t)snprintf(why, whylen, "%s", resolvectl);
	for (unsigned i = 1; argv[i] != NULL && n < whylen; i++)
		n += (size_t)snprintf(why + n, whylen - n, " %s", argv[i]);
	if (n < whylen)
		snprintf(why + n, whylen - n, ": %s%d%s", r == -1 ?
		    "did not start (" : "exit status ", r, r == 128 + 14 ?
		    " (ran out of time)" : r == -1 ? ")" : "");
	return -1;
}

int
dns_apply(const char *resolvectl, const char *dev,
    const struct msg_config *cfg, bool default_route, char *why,
    size_t whylen)
{
	char addrs[MSG_DNS_MAX][INET6_ADDRSTRLEN];
	char *argv[3 + MSG_DNS_MAX + MSG_DOMAINS_MAX + 1] = { NULL, "dns",
	    (char *)dev };
	unsigned i;

	for (i = 0; i < cfg->ndns; i++)
		argv[3 + i] = (char *)msg_dns_str(&cfg->dns[i], addrs[i]);
	argv[3 + i] = NULL;
	if (cfg->ndns > 0 && dns_run(resolvectl, argv, why, whylen) == -1)
		return -1;
	argv[1] = "domain";
	for (i = 0; i < cfg->ndomains; i++)
		argv[3 + i] = (char *)cfg->domains[i];
	argv[3 + i] = NULL;
	if (cfg->ndomains > 0 && dns_run(resolvectl, argv, why, whylen) == -1)
		return -1;
	if (!default_route)
		return 0;
	argv[1] = "default-route";
	argv[3] = "true";
	argv[4] = NULL;
	return dns_run(resolvectl, argv, why, whylen);
}

int
dns_revert(const char *resolvectl, const char *dev, char *why, size_t whylen)
{
	char *argv[] = { NULL, "revert", (char *)dev, NULL };

	return dns_run(resolvectl, argv, why, whylen);
}
