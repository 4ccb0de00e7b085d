/* masquerade: source NAT of the pool toward one interface, in an nftables
 * table of our own that lives exactly as long as the server. */
#ifndef MASQ_H
#define MASQ_H

#include <stddef.h>
#include <stdint.h>

struct masq;

/* Creates table "ip simpletun-DEV" (flags owner: the kernel deletes it
 * when our netlink socket closes, so also when we are killed) with one
 * postrouting rule: oifname IFACE ip saddr POOL masquerade. pool is host
 * order. NULL with one line in err on failure; never prints or exits. */
struct masq *masq_new(const char *dev, const char *iface, uint32_t pool,
    uint8_t prefix, char *err, size_t errlen);
/* Deletes the table and closes the socket. */
void masq_free(struct masq *m);
/* The table's name, for logs. */
const char *masq_table(const struct masq *m);

#endif
