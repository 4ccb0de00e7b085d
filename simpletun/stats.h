/* Counters that the data processes and the guard send their parent once a
 * second (MSG_STATS) and `simpletun status` prints. Both kinds go through
 * one field-table encoding: u8 kind | u8 field count | endpoint
 * (MSG_SA_LEN) | one u64 per field, in table order.
 *
 * What the data counters count (`simpletun status` shows them as they were
 * at the data process's last report, at most a second old):
 *   rx_packets, rx_bytes: tunnel packets that authenticated, passed the
 *     inner checks and were written to tun; bytes are the inner IP packets'
 *     lengths (IP header included; no outer IP/UDP, no 16-byte data header,
 *     no 16-byte tag: on the wire each is PKT_OVERHEAD = 32 bytes more).
 *   tx_packets, tx_bytes: inner packets sealed and handed to the UDP socket,
 *     counted the same way.
 *   rx_keepalives, tx_keepalives: keepalives (sealed, empty), apart.
 *   tx_errors: sealed datagrams the socket refused (full, unreachable).
 *   malformed .. no_endpoint: received datagrams dropped, one reason each
 *     (no_endpoint: packets to send before the peer's endpoint is known).
 *   tx_epoch: the key epoch we send with; rekeys, roams: how often it and
 *     the peer's endpoint changed.
 *   rx_last_ms: CLOCK_MONOTONIC ms of the last authenticated packet, 0 if
 *     none yet. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DATA_STATS_FIELDS(X)	\
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
	X(rekeys)	\
	X(roams)	\
	X(mac_refused)	\
	X(up_frames)	\
	X(up_dropped)	\
	X(rx_keepalives)	\
	X(tx_keepalives)	\
	X(tx_errors)	\
	X(rx_last_ms)

#define GUARD_STATS_FIELDS(X)	\
	X(rx_packets)	\
	X(no_route)	\
	X(queue_full)	\
	X(too_big)	\
	X(routes)	\
	X(udp_packets)	\
	X(forwarded)	\
	X(no_session)	\
	X(oversize)	\
	X(net_down)	\
	X(macs)		\
	X(up_frames)	\
	X(flooded)	\
	X(mac_refused)	\
	X(up_bad)	\
	X(misdirected)

#define STATS_COUNT(f) + 1
enum {
	DATA_STATS_N = 0 DATA_STATS_FIELDS(STATS_COUNT),
	GUARD_STATS_N = 0 GUARD_STATS_FIELDS(STATS_COUNT),
};
#undef STATS_COUNT

#define STATS_FIELD(f) uint64_t f;
struct data_stats {
	union {
		struct { DATA_STATS_FIELDS(STATS_FIELD) };
		uint64_t v[DATA_STATS_N];
	};
	struct sockaddr_storage endpoint;	/* ss_family 0: none yet */
};

struct guard_stats {
	union {
		struct { GUARD_STATS_FIELDS(STATS_FIELD) };
		uint64_t v[GUARD_STATS_N];
	};
};
#undef STATS_FIELD

/* The STATS payload; 0 if cap is too small. */
size_t stats_encode(const struct data_stats *s, uint8_t *out, size_t cap);
size_t stats_encode_guard(const struct guard_stats *s, uint8_t *out,
    size_t cap);
/* -1 unless p is a STATS payload of that kind. */
int stats_decode(const uint8_t *p, size_t len, struct data_stats *s);
int stats_decode_guard(const uint8_t *p, size_t len, struct guard_stats *s);
/* Reads every STATS message waiting on fd (non-blocking) into s: 0 when
 * drained, -1 when the sender is gone (errno 0) or sent something else
 * (errno EBADMSG). */
int stats_drain(int fd, struct data_stats *s);
int stats_drain_guard(int fd, struct guard_stats *s);
/* The name of data counter i (< DATA_STATS_N), as the text status
 * shows it. */
const char *stats_data_name(size_t i);
/* Appends " endpoint=.. rx_packets=.. ..." (or the guard's fields). */
void stats_format(const struct data_stats *s, char *buf, size_t len);
void stats_format_guard(const struct guard_stats *s, char *buf, size_t len);

#endif
