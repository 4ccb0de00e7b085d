/* The guard's session slots: what the acceptor may register, and which
 * slot a stray datagram's receiver index names. */
#ifndef SLOTS_H
#define SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOTS_INDEX_BITS 16	/* a receiver index's low bits: its slot */

struct slot_table;
struct msg_register;

struct slot_table *slots_new(unsigned nslots);
void slots_free(struct slot_table *t);
/* Takes r's slot for r's index, replacing what the slot held: -1 unless
 * the slot is in range and the index names it. */
int slots_register(struct slot_table *t, const struct msg_register *r);
/* Frees slot; -1 if out of range. */
int slots_unregister(struct slot_table *t, unsigned slot);
bool slots_used(const struct slot_table *t, unsigned slot);
/* The registered slot that the receiver index in a data packet's header
 * names, or -1 (too short, bad header, no such session). */
int slots_for_datagram(const struct slot_table *t, const uint8_t *dgram,
    size_t len);

#endif
