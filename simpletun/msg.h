/* Typed messages between processes and over TLS (DESIGN.md section 2):
 * type (u16) | length (u16) | payload, big-endian, length checked per type. */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MSG_HDR_LEN 4
#define MSG_MAX_PAYLOAD 4096
#define MSG_MAX_LEN (MSG_HDR_LEN + MSG_MAX_PAYLOAD)

enum msg_type {
	/* between processes of one host */
	MSG_PORT = 1,		/* data -> control: u16 UDP port */
	MSG_SESSION,		/* control -> data: struct session_info, once */
	MSG_KEYS,		/* control -> data: u32 epoch | u8 flags | tx keymat |
				   rx keymat */
	MSG_PEER_DEAD,		/* data -> control: empty */
	MSG_STATS,		/* data -> parent: u64 counters */
	MSG_STOP,		/* acceptor -> control: replaced, say BYE; empty */
	MSG_ADDRESS_REQUEST,	/* control -> acceptor: CN (1..64 bytes) */
	MSG_ADDRESS_GRANT,	/* acceptor -> control: u32 addr | u8 prefix | u32 server */
	MSG_ADDRESS_DENY,	/* acceptor -> control: reason text */
	MSG_REGISTER,		/* data -> guard: u16 slot | u8 family | addr (4 or 16) */
	MSG_UNREGISTER,		/* acceptor -> guard: u16 slot */
	MSG_TUN_CONFIG,		/* client control -> client parent: CONFIG payload */
	MSG_REKEY_DUE,		/* data -> control: empty */
	MSG_STATUS_REPLY,	/* daemon -> a status connection: a line of text */

	/* over TLS, client <-> server */
	MSG_HELLO = 0x100,	/* u16 version | u16 flags */
	MSG_CONFIG,		/* see control.h */
	MSG_REKEY,		/* u32 epoch */
	MSG_REKEY_ACK,		/* u32 epoch */
	MSG_BYE,		/* reason text */
};

/* Payload sizes; msg.c's table enforces them (exact unless MIN/MAX). */
#define MSG_PORT_LEN 2
#define MSG_SESSION_LEN 40
/* SESSION: 0 u32 vaddr | 4 u8 prefix | 5 u8 flags | 6 u32 server vaddr |
 * 10 u32 pool base | 14 u8 pool prefix | 15 u8 zero | 16 u16 keepalive
 * interval | 18 u16 keepalive timeout | 20 u16 mtu | 22 u16 peer port |
 * 24 peer address (16 bytes; IPv4 in the first 4) */
#define MSG_KEYS_LEN (5 + 2 * 72)
#define MSG_KEYS_TX_NOW 1	/* send with it at once, not once the peer has */
#define MSG_STATS_MAX 256
#define MSG_CN_MAX 64
#define MSG_ADDRESS_GRANT_LEN 9
#define MSG_REASON_MAX 256
#define MSG_REGISTER_LEN 19
#define MSG_UNREGISTER_LEN 2
#define MSG_STATUS_MAX MSG_MAX_PAYLOAD
#define MSG_HELLO_LEN 4
#define MSG_CONFIG_MIN 18
#define MSG_CONFIG_ROUTES_MAX 64
#define MSG_CONFIG_MAX (MSG_CONFIG_MIN + 5 * MSG_CONFIG_ROUTES_MAX)
/* CONFIG and TUN_CONFIG: 0 u32 vaddr | 4 u8 prefix | 5 u32 server vaddr |
 * 9 u16 mtu | 11 u16 UDP port | 13 u16 keepalive interval | 15 u16 keepalive
 * timeout | 17 u8 route count n | 18 n * (u32 addr | u8 prefix); the length
 * must be exactly 18 + 5n. */
#define MSG_EPOCH_LEN 4

struct msg {
	uint16_t type;
	uint16_t len;
	const uint8_t *payload;
};

/* Parses one message at the start of buf. Returns its total length (header
 * plus payload) if a whole valid message is there, 0 if more bytes are
 * needed, -1 if it is malformed: unknown type, or a length outside the
 * bounds of its type. Never reads past len. */
ssize_t msg_parse(const uint8_t *buf, size_t len, struct msg *m);
/* Writes a message into out; returns its total length, or -1 if the type is
 * unknown, the length out of bounds, or cap too small. */
ssize_t msg_build(uint8_t *out, size_t cap, uint16_t type,
    const void *payload, size_t len);
/* One message per datagram on a SOCK_SEQPACKET socket. */
int msg_send(int fd, uint16_t type, const void *payload, size_t len);
/* Receives one datagram into buf and parses it; it must be exactly one whole
 * valid message. Returns 1 with m set, 0 on EOF, -1 on error with errno set
 * (EBADMSG for a malformed message, EAGAIN if nothing is there). */
int msg_recv(int fd, uint8_t *buf, size_t cap, struct msg *m);
const char *msg_name(uint16_t type);
/* Checks a CONFIG (or TUN_CONFIG) payload that msg_parse accepted: prefix
 * 8..30, both addresses in it, MTU 576..9000, port and keepalive set, routes
 * without host bits and, if server (host order) is not 0, none covering
 * the server's own address. NULL if fine, else what is wrong. */
const char *msg_config_check(const uint8_t *p, size_t len, uint32_t server);

static inline void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void
put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, v >> 16);
	put_u16(p + 2, v);
}

static inline void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, v >> 32);
	put_u32(p + 4, v);
}

static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) << 16 | get_u16(p + 2);
}

static inline uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

#endif
