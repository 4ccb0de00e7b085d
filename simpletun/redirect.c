/* The state file holds one line, "DST/LEN GATEWAY IFNAME", written before
 * the route is added, so a kill at any moment leaves at worst a line for a
 * route that is not there (whose removal then fails with ESRCH). Library-
 * like: never prints or exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redirect.h"

int
redirect_init(struct redirect *r, const char *dev)
{
	char name[IFNAMSIZ];
	struct stat st;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (stat("/proc/self/ns/net", &st) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s", dev);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '/' || name[i] == '%')
			name[i] = '_';
	snprintf(r->path, sizeof(r->path), "%s/client-%lu-%s.routes",
	    REDIRECT_DIR, (unsigned long)st.st_ino, name);
	return 0;
}

static int
redirect_write(const struct redirect *r)
{
	char line[160], dst[64], gw[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	int fd, n, e;

	if (inet_ntop(r->route.gw_family, r->route.gw, gw, sizeof(gw)) ==
	    NULL ||
	    if_indextoname(r->route.ifindex, dev) == NULL)
		return -1;
	n = snprintf(line, sizeof(line), "%s %s %s\n",
	    nl_prefix_str(&r->route.dst, dst, sizeof(dst)), gw, dev);
	if (mkdir(REDIRECT_DIR, 0755) == -1 && errno != EEXIST)
		return -1;
	fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (write(fd, line, (size_t)n) != n || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(r->path);
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return close(fd);
}

/* An IPv4 or IPv6 address as text into addr; its family, or 0. */
static int
redirect_pton(const char *s, uint8_t addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

/* One line as redirect_write wrote it. */
static int
redirect_read(const char *path, struct nl_route *rt)
{
	char line[160], dst[64], gw[64], dev[64], *slash;
	unsigned len;
	FILE *f;
	int ok;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "%63s %63s %63s", dst, gw, dev) == 3;
	fclose(f);
	memset(rt, 0, sizeof(*rt));
	if (ok && (slash = strchr(dst, '/')) != NULL) {
		*slash = '\0';
		rt->dst.family = redirect_pton(dst, rt->dst.addr);
		rt->gw_family = redirect_pton(gw, rt->gw);
		ok = sscanf(slash + 1, "%u", &len) == 1 &&
		    rt->dst.family != 0 && rt->gw_family != 0 &&
		    len <= (rt->dst.family == AF_INET ? 32u : 128u) &&
		    (rt->ifindex = if_nametoindex(dev)) != 0;
	} else
		ok = 0;
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	rt->dst.len = (uint8_t)len;
	return 0;
}

int
redirect_stale(struct redirect *r, char *what, size_t whatlen)
{
	struct nl_route rt;
	char dst[64];
	int ret = 1;

	if (access(r->path, F_OK) == -1)
		return errno == ENOENT ? 0 : -1;
	/* a line we cannot read names nothing we could remove */
	if (redirect_read(r->path, &rt) == -1) {
		snprintf(what, whatlen, "an unreadable state file %s", r->path);
		unlink(r->path);
		return 1;
	}
	if (nl_route_del(&rt) == -1 && errno != ESRCH)
		ret = -1;
	snprintf(what, whatlen, "route %s left by a killed client (%s)",
	    nl_prefix_str(&rt.dst, dst, sizeof(dst)), r->path);
	if (ret == 1 && unlink(r->path) == -1)
		ret = -1;
	return ret;
}

int
redirect_hold(struct redirect *r, const struct nl_prefix *server)
{
	struct nl_route now;

	if (r->held)
		return 0;
	if (nl_route_get(server, &now) == -1)
		return -1;
	/* no gateway: on a network of ours, whose route is longer than
	 * what the tunnel takes */
	if (now.gw_family != server->family)
		return 1;
	r->route = (struct nl_route){ .dst = now.dst, .ifindex = now.ifindex,
	    .gw_family = now.gw_family };
	memcpy(r->route.gw, now.gw, sizeof(r->route.gw));
	if (redirect_write(r) == -1)
		return -1;
	if (nl_route_add(&r->route) == -1) {
		int e = errno;

		unlink(r->path);
		if (e == EEXIST)
			return 1;
		errno = e;
		return -1;
	}
	r->held = true;
	return 0;
}

int
redirect_release(struct redirect *r)
{
	int ret = 0;

	if (!r->held)
		return 0;
	if (nl_route_del(&r->route) == -1 && errno != ESRCH)
		ret = -1;
	r->held = false;
	if (unlink(r->path) == -1 && errno != ENOENT)
		ret = -1;
	return ret;
}
