/* The guard's route table: a client's virtual address -> its data slot. */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdint.h>

struct route_table;

struct route_table *route_new(unsigned capacity);
void route_free(struct route_table *t);
/* family is AF_INET (4 address bytes) or AF_INET6 (16); replaces an entry
 * for the same address. 0, or -1 if the table is full or family unknown. */
int route_add(struct route_table *t, int family, const uint8_t *addr,
    uint16_t slot);
/* Removes every entry pointing at slot. */
void route_del_slot(struct route_table *t, uint16_t slot);
/* How many addresses have a route. */
unsigned route_count(const struct route_table *t);
/* The slot for addr, or -1. */
int route_lookup(const struct route_table *t, int family, const uint8_t *addr);

#endif
