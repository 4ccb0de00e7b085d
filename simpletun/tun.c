/* tun setup: TUNSETIFF to open it, rtnetlink (netlink.c) for addresses,
 * routes and link state; no shell-outs, so it works the same in every
 * namespace and after the caller has closed everything else. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "tun.h"

int
tun_open(char *name, size_t namelen)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	snprintf(name, namelen, "%s", ifr.ifr_name);
	return fd;
}

/* The device's index, or 0 with errno ENODEV. */
static unsigned
tun_index(const char *name)
{
	unsigned i = if_nametoindex(name);

	if (i == 0)
		errno = ENODEV;
	return i;
}

int
tun_configure(const char *name, uint32_t addr, uint8_t prefix, unsigned mtu)
{
	struct nl_prefix p = nl_prefix4(addr, prefix);
	unsigned i = tun_index(name);

	if (i == 0 || nl_addr_add(i, &p) == -1)
		return -1;
	return nl_link_set(i, 1, mtu);
}

static struct nl_route
tun_route(unsigned ifindex, uint32_t net, uint8_t prefix, uint32_t gw)
{
	struct nl_route r = { .dst = nl_prefix4(net, prefix),
	    .ifindex = ifindex };

	if (gw != 0)
		nl_gw4(&r, gw);
	return r;
}

int
tun_add_route(const char *name, uint32_t net, uint8_t prefix, uint32_t gw)
{
	unsigned i = tun_index(name);
	struct nl_route r = tun_route(i, net, prefix, gw);

	if (i == 0)
		return -1;
	if (nl_route_add(&r) == 0)
		return 0;
	return errno == EEXIST ? 1 : -1;
}

int
tun_del_route(const char *name, uint32_t net, uint8_t prefix, uint32_t gw)
{
	unsigned i = tun_index(name);
	struct nl_route r = tun_route(i, net, prefix, gw);

	return i == 0 ? -1 : nl_route_del(&r);
}

int
tun_get_mtu(const char *name)
{
	unsigned i = tun_index(name);

	return i == 0 ? -1 : nl_link_mtu(i);
}

/* Deleting the device's IPv4 addresses takes their connected and local
 * routes with them. */
int
tun_unconfigure(const char *name, unsigned mtu)
{
	unsigned i = tun_index(name);
	int r = 0;

	if (i == 0)
		return -1;
	if (nl_addr_flush(i, AF_INET) == -1)
		r = -1;
	if (nl_link_set(i, 0, 0) == -1)
		r = -1;
	if (nl_link_set(i, -1, mtu) == -1)
		r = -1;
	return r;
}

int
tun_set_forwarding(const char *name, bool on)
{
	char path[128];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
	    name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, on ? "1\n" : "0\n", 2);
	close(fd);
	return n == 2 ? 0 : -1;
}
