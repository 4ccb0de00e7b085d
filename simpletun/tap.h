/* The tap device (dev-type tap): opened like tun, but carrying Ethernet
 * frames; addresses, MTU and routes are set with tun.h's functions. */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>
#include <stdint.h>

/* Opens (or creates) tap device name, without packet information or a
 * vnet header; the kernel's name goes to name. The fd (close-on-exec) or
 * -1. */
int tap_open(char *name, size_t namelen);
/* The Ethernet address of the device behind a tap fd; 0 or -1. */
int tap_mac(int fd, uint8_t mac[6]);

#endif
