/* The tun device: open it, give it an address, MTU and routes, and take
 * them away again. */
#ifndef TUN_H
#define TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_prefix;
struct nl_route;

/* Opens (or creates) tun device name; the kernel's name goes to name.
 * Returns the fd (close-on-exec) or -1. */
int tun_open(char *name, size_t namelen);
/* TUNSETIFF with flags (IFF_TUN or IFF_TAP, ...): tun_open's and
 * tap_open's common part. */
int tun_open_flags(char *name, size_t namelen, short flags);
/* As tun_open, with IFF_VNET_HDR: every read and write carries a struct
 * virtio_net_hdr. Then asks for checksum, TSO and USO offloads, so one read
 * returns up to 64 KiB; what the kernel granted goes to why as one line
 * ("offloads csum tso4 tso6 uso4 uso6", or what it refused). -1 if the
 * device cannot be opened with IFF_VNET_HDR (use tun_open). */
int tun_open_vnet(char *name, size_t namelen, char *why, size_t whylen);
/* 1 if fd is a tun opened with IFF_VNET_HDR, 0 if not, -1 on error. */
int tun_is_vnet(int fd);
/* Host-order IPv4 address and prefix, MTU, and brings the link up. */
int tun_configure(const char *name, uint32_t addr, uint8_t prefix,
    unsigned mtu);
/* One more address (IPv4 or IPv6) on the device. */
int tun_add_addr(const char *name, const struct nl_prefix *p);
/* Route r (either family) through the device (r's ifindex is ignored):
 * 0 if added, 1 if the same route was there already, -1. */
int tun_route_add(const char *name, const struct nl_route *r);
int tun_route_del(const char *name, const struct nl_route *r);
/* The device's MTU, or -1. */
int tun_get_mtu(const char *name);
/* Removes the device's IPv4 and IPv6 addresses, brings the link down and sets mtu:
 * as tun_open left it. Tries every step; -1 if one failed. */
int tun_unconfigure(const char *name, unsigned mtu);
/* Per-device IPv4 forwarding, so client-to-client needs no global switch. */
int tun_set_forwarding(const char *name, bool on);

#endif
