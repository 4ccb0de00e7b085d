/* The server's virtual address pool: the first host address is the server's,
 * clients get a fixed address (reserved for their CN) or the lowest free one. */
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

#endif
