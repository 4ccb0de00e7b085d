/* A data process's counters, sent to its parent once a second (MSG_STATS)
 * and printed by `simpletun status`. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STATS_FIELDS(X)	\
	X(rx_packets)	\
	X(rx_bytes)	\
	X(tx_packets)	\
	X(tx_bytes)	\
	X(malformed)	\
	X(unknown_key)	\
	X(replay)	\
	X(bad_mac)	\
	X(bad_inner)	\
	X(bad_source)	\
	X(blocked)	\
	X(no_endpoint)	\
	X(tx_epoch)	\
	X(rekeys)

struct data_stats {
#define X(f) uint64_t f;
	STATS_FIELDS(X)
#undef X
	uint16_t udp_port;
	struct sockaddr_storage endpoint;	/* ss_family 0: none yet */
};

/* STATS payload: u16 udp port | u8 family | 16 address | u16 port | u64s. */
size_t stats_encode(const struct data_stats *s, uint8_t *out, size_t cap);
int stats_decode(const uint8_t *p, size_t len, struct data_stats *s);
/* Reads every STATS message waiting on fd (non-blocking) into s: 0 when
 * drained, -1 when the sender is gone (errno 0) or sent something else
 * (errno EBADMSG). */
int stats_drain(int fd, struct data_stats *s);
/* Appends " udp_port=.. endpoint=.. rx_packets=.. ..." to buf. */
void stats_format(const struct data_stats *s, char *buf, size_t len);

#endif
