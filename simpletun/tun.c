/* tun setup through ioctl(2) only: no shell-outs, so it works the same in
 * every namespace and after the caller has closed everything else. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tun.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static int
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

static void
sin_set(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
}

static uint32_t
prefix_mask(uint8_t prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static int
tun_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s, r, e;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, req, ifr);
	e = errno;
	close(s);
	errno = e;
	return r;
}

int
tun_configure(const char *name, uint32_t addr, uint8_t prefix, unsigned mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin_set(&ifr.ifr_addr, addr);
	if (tun_ioctl(SIOCSIFADDR, &ifr) == -1)
		return -1;
	sin_set(&ifr.ifr_netmask, prefix_mask(prefix));
	if (tun_ioctl(SIOCSIFNETMASK, &ifr) == -1)
		return -1;
	ifr.ifr_mtu = (int)mtu;
	if (tun_ioctl(SIOCSIFMTU, &ifr) == -1)
		return -1;
	if (tun_ioctl(SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return tun_ioctl(SIOCSIFFLAGS, &ifr);
}

static int
tun_route(unsigned long req, const char *name, uint32_t net, uint8_t prefix)
{
	struct rtentry rt;
	char dev[IFNAMSIZ];
	int s, r, e;

	memset(&rt, 0, sizeof(rt));
	sin_set(&rt.rt_dst, net);
	sin_set(&rt.rt_genmask, prefix_mask(prefix));
	snprintf(dev, sizeof(dev), "%s", name);
	rt.rt_dev = dev;
	rt.rt_flags = RTF_UP;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, req, &rt);
	e = errno;
	close(s);
	errno = e;
	return r;
}

int
tun_add_route(const char *name, uint32_t net, uint8_t prefix)
{
	if (tun_route(SIOCADDRT, name, net, prefix) == 0)
		return 0;
	return errno == EEXIST ? 1 : -1;
}

int
tun_del_route(const char *name, uint32_t net, uint8_t prefix)
{
	return tun_route(SIOCDELRT, name, net, prefix);
}

int
tun_get_mtu(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (tun_ioctl(SIOCGIFMTU, &ifr) == -1)
		return -1;
	return ifr.ifr_mtu;
}

/* Setting the address 0.0.0.0 deletes the device's address (the kernel
 * inserts no address 0), and with it its connected and local routes. */
int
tun_unconfigure(const char *name, unsigned mtu)
{
	struct ifreq ifr;
	int r = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin_set(&ifr.ifr_addr, 0);
	if (tun_ioctl(SIOCSIFADDR, &ifr) == -1)
		r = -1;
	if (tun_ioctl(SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	ifr.ifr_flags &= ~IFF_UP;
	if (tun_ioctl(SIOCSIFFLAGS, &ifr) == -1)
		r = -1;
	ifr.ifr_mtu = (int)mtu;
	if (tun_ioctl(SIOCSIFMTU, &ifr) == -1)
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
