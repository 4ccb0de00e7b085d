/* tap setup through ioctl(2) only, as tun.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

int
tap_open(char *name, size_t namelen)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
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
tap_mac(int fd, uint8_t mac[6])
{
	struct ifreq ifr;
	int s, r, e;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) == -1)
		return -1;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, SIOCGIFHWADDR, &ifr);
	e = errno;
	close(s);
	errno = e;
	if (r == -1)
		return -1;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EPROTOTYPE;
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void
tap_sin(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
}

/* On a segment a route needs a gateway: the server, which forwards. */
static int
tap_route(unsigned long req, const char *name, uint32_t net, uint8_t prefix,
    uint32_t gw)
{
	struct rtentry rt;
	char dev[IFNAMSIZ];
	int s, r, e;

	memset(&rt, 0, sizeof(rt));
	tap_sin(&rt.rt_dst, net);
	tap_sin(&rt.rt_genmask, prefix == 0 ? 0 : 0xffffffffu << (32 - prefix));
	tap_sin(&rt.rt_gateway, gw);
	snprintf(dev, sizeof(dev), "%s", name);
	rt.rt_dev = dev;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = ioctl(s, req, &rt);
	e = errno;
	close(s);
	errno = e;
	return r;
}

int
tap_add_route(const char *name, uint32_t net, uint8_t prefix, uint32_t gw)
{
	if (tap_route(SIOCADDRT, name, net, prefix, gw) == 0)
		return 0;
	return errno == EEXIST ? 1 : -1;
}

int
tap_del_route(const char *name, uint32_t net, uint8_t prefix, uint32_t gw)
{
	return tap_route(SIOCDELRT, name, net, prefix, gw);
}
