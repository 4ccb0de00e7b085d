/* The server's virtual address pools (pool, and pool6 for IPv6): the first
 * host address is the server's, clients get a fixed address (reserved for
 * their CN) or the lowest free one. */
#ifndef POOL_H
#define POOL_H

#include <stdbool.h>
#include <stdint.h>

struct pool;

/* net and all addresses in host byte order; prefix 8..30. NULL on error. */
struct pool *pool_new(uint32_t net, uint8_t prefix);
void pool_free(struct pool *p);
uint32_t pool_server_addr(const struct pool *p);
/* True for a client-usable address: inside, not network, broadcast, server. */
bool pool_contains(const struct pool *p, uint32_t addr);
/* Keeps addr out of pool_take_lowest (a fixed address of some CN). */
int pool_reserve(struct pool *p, uint32_t addr);
/* Gives a reserved address back to pool_take_lowest (a reload dropped its
 * fixed-address); a no-op for one that is never usable. */
void pool_unreserve(struct pool *p, uint32_t addr);
/* Takes addr (reserved or not); -1 if not usable or already taken. */
int pool_take(struct pool *p, uint32_t addr);
/* Takes the lowest free unreserved address; 0 if none is left. */
uint32_t pool_take_lowest(struct pool *p);
void pool_release(struct pool *p, uint32_t addr);
unsigned pool_in_use(const struct pool *p);

/* IPv6 (pool6): net in network order, prefix POOL6_PREFIX_MIN..MAX. The
 * server has net+1; clients get net+2 up, at most POOL6_HOSTS addresses
 * from the network's start (no session table comes near that). pool_in_use
 * counts as for IPv4; the IPv4 calls fail or are no-ops on an IPv6 pool. */
#define POOL6_PREFIX_MIN 64
#define POOL6_PREFIX_MAX 124
#define POOL6_HOSTS 65536
struct pool *pool_new6(const uint8_t net[16], uint8_t prefix);
void pool_server_addr6(const struct pool *p, uint8_t out[16]);
bool pool_contains6(const struct pool *p, const uint8_t addr[16]);
/* The lowest free address into out: 0, or -1 if none is left. */
int pool_take_lowest6(struct pool *p, uint8_t out[16]);
/* As pool_reserve, pool_unreserve and pool_take. */
int pool_reserve6(struct pool *p, const uint8_t addr[16]);
void pool_unreserve6(struct pool *p, const uint8_t addr[16]);
int pool_take6(struct pool *p, const uint8_t addr[16]);
void pool_release6(struct pool *p, const uint8_t addr[16]);

#endif
