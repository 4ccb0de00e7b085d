/* tap setup: the device is opened as tun.c opens tun; its MAC through
 * ioctl(2). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "tun.h"

int
tap_open(char *name, size_t namelen)
{
	return tun_open_flags(name, namelen, IFF_TAP | IFF_NO_PI);
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
