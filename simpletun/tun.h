/* The tun device: open it, give it an address, MTU and routes. */
#ifndef TUN_H
#define TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens (or creates) tun device name; the kernel's name goes to name.
 * Returns the fd (close-on-exec) or -1. */
int tun_open(char *name, size_t namelen);
/* Host-order IPv4 address and prefix, MTU, and brings the link up. */
int tun_configure(const char *name, uint32_t addr, uint8_t prefix,
    unsigned mtu);
/* Route net/prefix (host order) through the device; an existing one is ok. */
int tun_add_route(const char *name, uint32_t net, uint8_t prefix);
/* Per-device IPv4 forwarding, so client-to-client needs no global switch. */
int tun_set_forwarding(const char *name, bool on);

#endif
