/* Addresses, routes and links through rtnetlink (libmnl), one path for
 * IPv4 and IPv6. Never prints or exits: -1 with the kernel's errno. */
#ifndef NETLINK_H
#define NETLINK_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* An address or network: family AF_INET or AF_INET6, addr in network
 * order (IPv4 in the first 4 bytes), len the prefix length. */
struct nl_prefix {
	int family;
	uint8_t addr[16];
	uint8_t len;
};

/* A route of the main table: dst via gw (family 0: none, on-link) out of
 * ifindex (0: any). nl_route_get also fills src, the source it would use. */
struct nl_route {
	struct nl_prefix dst;
	int gw_family;
	uint8_t gw[16];
	unsigned ifindex;
	int src_family;
	uint8_t src[16];
};

/* IPv4 host-order helpers for callers that still hold uint32_t. */
struct nl_prefix nl_prefix4(uint32_t addr, uint8_t len);
void nl_gw4(struct nl_route *r, uint32_t gw);
/* addr/len as text ("198.18.0.1/24", "2001:db8::/32"); returns buf. */
const char *nl_prefix_str(const struct nl_prefix *p, char *buf, size_t len);

/* Adds (or replaces) / removes one address of a link. */
int nl_addr_add(unsigned ifindex, const struct nl_prefix *p);
int nl_addr_del(unsigned ifindex, const struct nl_prefix *p);
/* Removes every address of family (AF_INET, AF_INET6) from the link. */
int nl_addr_flush(unsigned ifindex, int family);
/* Adds a route; EEXIST if one with that destination and metric is there. */
int nl_route_add(const struct nl_route *r);
int nl_route_del(const struct nl_route *r);
/* Link up (up > 0) or down (up == 0), or left (up < 0); mtu 0: left. */
int nl_link_set(unsigned ifindex, int up, unsigned mtu);
/* The link's MTU, or -1. */
int nl_link_mtu(unsigned ifindex);
/* Which gateway and device reach dst (a host address) now, as the kernel
 * answers RTM_GETROUTE; out->dst is dst. */
int nl_route_get(const struct nl_prefix *dst, struct nl_route *out);

/* Message building and parsing, exposed for the unit test: each build
 * returns the message in buf (at least NL_BUF bytes). */
#define NL_BUF 8192
struct nlmsghdr *nl_build_addr(void *buf, uint16_t type, uint16_t flags,
    unsigned ifindex, const struct nl_prefix *p);
struct nlmsghdr *nl_build_route(void *buf, uint16_t type, uint16_t flags,
    const struct nl_route *r);
struct nlmsghdr *nl_build_link(void *buf, uint16_t type, unsigned ifindex,
    int up, unsigned mtu);
/* Reads an RTM_NEWROUTE into out; -1 (EBADMSG) if malformed. */
int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *out);
/* Runs the replies in buf for request seq: 0 at the ack, 1 if more is to
 * come, -1 with errno from an NLMSG_ERROR or EBADMSG. Each message that is
 * not the ack goes to cb, if any. */
int nl_replies(const void *buf, size_t len, uint32_t seq, uint32_t portid,
    int (*cb)(const struct nlmsghdr *, void *), void *arg);

#endif
