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

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

int
tun_open_flags(char *name, size_t namelen, short flags)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
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

int
tun_open(char *name, size_t namelen)
{
	return tun_open_flags(name, namelen, IFF_TUN | IFF_NO_PI);
}

/* Kernels before 6.2 know no USO: then TSO alone, then nothing. */
int
tun_open_vnet(char *name, size_t namelen, char *why, size_t whylen)
{
	static const struct { unsigned long f; const char *what; } try[] = {
		{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 |
		  TUN_F_USO6, "offloads csum tso4 tso6 uso4 uso6" },
		{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
		  "offloads csum tso4 tso6 (the kernel refused uso)" },
		{ TUN_F_CSUM, "offloads csum only (the kernel refused tso)" },
	};
	int fd = tun_open_flags(name, namelen, IFF_TUN | IFF_NO_PI |
	    IFF_VNET_HDR);

	if (fd == -1)
		return -1;
	for (size_t i = 0; i < sizeof(try) / sizeof(try[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, try[i].f) == 0) {
			snprintf(why, whylen, "%s", try[i].what);
			return fd;
		}
	snprintf(why, whylen, "no offloads (TUNSETOFFLOAD: %s)",
	    strerror(errno));
	return fd;
}

int
tun_is_vnet(int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == -1)
		return -1;
	return (ifr.ifr_flags & IFF_VNET_HDR) != 0;
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
tun_add_addr(const char *name, const struct nl_prefix *p)
{
	unsigned i = tun_index(name);

	return i == 0 ? -1 : nl_addr_add(i, p);
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

int
tun_route_add(const char *name, const struct nl_route *rt)
{
	struct nl_route r = *rt;

	if ((r.ifindex = tun_index(name)) == 0)
		return -1;
	if (nl_route_add(&r) == 0)
		return 0;
	return errno == EEXIST ? 1 : -1;
}

int
tun_route_del(const char *name, const struct nl_route *rt)
{
	struct nl_route r = *rt;

	if ((r.ifindex = tun_index(name)) == 0)
		return -1;
	return nl_route_del(&r);
}

int
tun_get_mtu(const char *name)
{
	unsigned i = tun_index(name);

	return i == 0 ? -1 : nl_link_mtu(i);
}

/* Deleting the device's addresses takes their connected and local
 * routes with them. */
int
tun_unconfigure(const char *name, unsigned mtu)
{
	unsigned i = tun_index(name);
	int r = 0;

	if (i == 0)
		return -1;
	if (nl_addr_flush(i, AF_INET) == -1 ||
	    nl_addr_flush(i, AF_INET6) == -1)
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
