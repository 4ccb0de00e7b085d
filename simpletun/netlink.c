/* rtnetlink through libmnl. One socket per request, opened close-on-exec
 * and closed before returning, so no caller owns a netlink fd between
 * calls; every request asks for an ack, and an NLMSG_ERROR becomes errno
 * (libmnl's mnl_cb_run does that). */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"

#define NL_ADDRS_MAX 64		/* addresses nl_addr_flush removes */

static size_t
nl_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static int
nl_family_ok(int family)
{
	if (family == AF_INET || family == AF_INET6)
		return 0;
	errno = EAFNOSUPPORT;
	return -1;
}

struct nl_prefix
nl_prefix4(uint32_t addr, uint8_t len)
{
	struct nl_prefix p = { .family = AF_INET, .len = len };
	uint32_t n = htonl(addr);

	memcpy(p.addr, &n, 4);
	return p;
}

void
nl_gw4(struct nl_route *r, uint32_t gw)
{
	uint32_t n = htonl(gw);

	r->gw_family = AF_INET;
	memset(r->gw, 0, sizeof(r->gw));
	memcpy(r->gw, &n, 4);
}

const char *
nl_prefix_str(const struct nl_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (nl_family_ok(p->family) == -1 ||
	    inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

static struct nlmsghdr *
nl_header(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	return nlh;
}

struct nlmsghdr *
nl_build_addr(void *buf, uint16_t type, uint16_t flags, unsigned ifindex,
    const struct nl_prefix *p)
{
	struct nlmsghdr *nlh = nl_header(buf, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = nl_addr_len(p->family);

	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* A tunnel has no neighbours to detect a duplicate on; without this
	 * the address stays tentative (unusable) for a second or more. */
	if (p->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	return nlh;
}

struct nlmsghdr *
nl_build_route(void *buf, uint16_t type, uint16_t flags,
    const struct nl_route *r)
{
	struct nlmsghdr *nlh = nl_header(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)r->dst.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	if (type == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_scope = r->gw_family != 0 ? RT_SCOPE_UNIVERSE :
		    RT_SCOPE_LINK;
	} else if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	if (r->dst.len > 0 || type == RTM_GETROUTE)
		mnl_attr_put(nlh, RTA_DST, nl_addr_len(r->dst.family),
		    r->dst.addr);
	if (r->gw_family != 0)
		mnl_attr_put(nlh, RTA_GATEWAY, nl_addr_len(r->gw_family),
		    r->gw);
	if (r->ifindex != 0)
		mnl_attr_put_u32(nlh, RTA_OIF, r->ifindex);
	return nlh;
}

struct nlmsghdr *
nl_build_link(void *buf, uint16_t type, unsigned ifindex, int up,
    unsigned mtu)
{
	struct nlmsghdr *nlh = nl_header(buf, type, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up > 0 ? IFF_UP : 0;
	}
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh;
}

int
nl_replies(const void *buf, size_t len, uint32_t seq, uint32_t portid,
    int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	int r = mnl_cb_run(buf, len, seq, portid, cb, arg);

	if (r < MNL_CB_STOP && errno == 0)
		errno = EBADMSG;
	return r < MNL_CB_STOP ? -1 : r == MNL_CB_STOP ? 0 : 1;
}

/* Sends one request and runs its replies until the ack. */
static int
nl_talk(struct nlmsghdr *nlh, int (*cb)(const struct nlmsghdr *, void *),
    void *arg)
{
	static char buf[32768];	/* a dump's datagram fits */
	struct mnl_socket *nl;
	int r = -1, e;
	ssize_t n;

	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		goto out;
	do {
		errno = 0;
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1)
			break;
		r = nl_replies(buf, (size_t)n, nlh->nlmsg_seq,
		    mnl_socket_get_portid(nl), cb, arg);
	} while (r == 1);
out:
	e = errno;
	mnl_socket_close(nl);
	errno = e;
	return r == 0 ? 0 : -1;
}

int
nl_addr_add(unsigned ifindex, const struct nl_prefix *p)
{
	char buf[NL_BUF];

	if (nl_family_ok(p->family) == -1)
		return -1;
	return nl_talk(nl_build_addr(buf, RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_REPLACE, ifindex, p), NULL, NULL);
}

int
nl_addr_del(unsigned ifindex, const struct nl_prefix *p)
{
	char buf[NL_BUF];

	if (nl_family_ok(p->family) == -1)
		return -1;
	return nl_talk(nl_build_addr(buf, RTM_DELADDR, 0, ifindex, p), NULL,
	    NULL);
}

struct nl_addrs {
	unsigned ifindex;
	struct nl_prefix a[NL_ADDRS_MAX];
	unsigned n;
};

static int
nl_addr_collect(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_addrs *as = arg;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *at;
	struct nl_prefix p;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	p = (struct nl_prefix){ .family = ifa->ifa_family,
	    .len = ifa->ifa_prefixlen };
	if (ifa->ifa_index != as->ifindex || nl_family_ok(p.family) == -1)
		return MNL_CB_OK;
	mnl_attr_for_each(at, nlh, sizeof(*ifa)) {
		uint16_t t = mnl_attr_get_type(at);

		if ((t == IFA_LOCAL || (t == IFA_ADDRESS && p.family ==
		    AF_INET6)) && mnl_attr_get_payload_len(at) ==
		    nl_addr_len(p.family))
			memcpy(p.addr, mnl_attr_get_payload(at),
			    nl_addr_len(p.family));
	}
	if (as->n < NL_ADDRS_MAX)
		as->a[as->n++] = p;
	return MNL_CB_OK;
}

int
nl_addr_flush(unsigned ifindex, int family)
{
	struct nl_addrs as = { .ifindex = ifindex };
	char buf[NL_BUF];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int r = 0;

	if (nl_family_ok(family) == -1)
		return -1;
	nlh = nl_header(buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	if (nl_talk(nlh, nl_addr_collect, &as) == -1)
		return -1;
	for (unsigned i = 0; i < as.n; i++)
		if (nl_addr_del(ifindex, &as.a[i]) == -1 &&
		    errno != EADDRNOTAVAIL)
			r = -1;
	return r;
}

int
nl_route_add(const struct nl_route *r)
{
	char buf[NL_BUF];

	if (nl_family_ok(r->dst.family) == -1)
		return -1;
	return nl_talk(nl_build_route(buf, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_EXCL, r), NULL, NULL);
}

int
nl_route_del(const struct nl_route *r)
{
	char buf[NL_BUF];

	if (nl_family_ok(r->dst.family) == -1)
		return -1;
	return nl_talk(nl_build_route(buf, RTM_DELROUTE, 0, r), NULL, NULL);
}

int
nl_link_set(unsigned ifindex, int up, unsigned mtu)
{
	char buf[NL_BUF];

	return nl_talk(nl_build_link(buf, RTM_NEWLINK, ifindex, up, mtu),
	    NULL, NULL);
}

static int
nl_link_collect(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *at;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return MNL_CB_OK;
	mnl_attr_for_each(at, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(at) == IFLA_MTU &&
		    mnl_attr_validate(at, MNL_TYPE_U32) == 0)
			*(int *)arg = (int)mnl_attr_get_u32(at);
	return MNL_CB_OK;
}

int
nl_link_mtu(unsigned ifindex)
{
	char buf[NL_BUF];
	int mtu = -1;

	if (nl_talk(nl_build_link(buf, RTM_GETLINK, ifindex, -1, 0),
	    nl_link_collect, &mtu) == -1)
		return -1;
	if (mtu < 0)
		errno = ENODATA;
	return mtu;
}

static int
nl_route_attr(const struct nlattr *at, int family, uint8_t *out)
{
	size_t alen = nl_addr_len(family);

	if (mnl_attr_get_payload_len(at) != alen)
		return -1;
	memcpy(out, mnl_attr_get_payload(at), alen);
	return 0;
}

int
nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *out)
{
	const struct rtmsg *rtm;
	const struct nlattr *at;
	int r = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		goto bad;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (nl_family_ok(rtm->rtm_family) == -1 || rtm->rtm_dst_len >
	    8 * nl_addr_len(rtm->rtm_family))
		goto bad;
	memset(out, 0, sizeof(*out));
	out->dst.family = rtm->rtm_family;
	out->dst.len = rtm->rtm_dst_len;
	mnl_attr_for_each(at, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(at)) {
		case RTA_DST:
			r |= nl_route_attr(at, rtm->rtm_family, out->dst.addr);
			break;
		case RTA_GATEWAY:
			out->gw_family = rtm->rtm_family;
			r |= nl_route_attr(at, rtm->rtm_family, out->gw);
			break;
		case RTA_PREFSRC:
			out->src_family = rtm->rtm_family;
			r |= nl_route_attr(at, rtm->rtm_family, out->src);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(at, MNL_TYPE_U32) == -1)
				r = -1;
			else
				out->ifindex = mnl_attr_get_u32(at);
			break;
		}
	}
	if (r == 0)
		return 0;
bad:
	errno = EBADMSG;
	return -1;
}

struct nl_got {
	struct nl_route *out;
	int found;
};

static int
nl_route_collect(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_got *g = arg;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (nl_parse_route(nlh, g->out) == -1)
		return MNL_CB_ERROR;
	g->found = 1;
	return MNL_CB_OK;
}

int
nl_route_get(const struct nl_prefix *dst, struct nl_route *out)
{
	struct nl_route q = { .dst = *dst };
	struct nl_got g = { .out = out };
	char buf[NL_BUF];

	if (nl_family_ok(dst->family) == -1)
		return -1;
	q.dst.len = (uint8_t)(8 * nl_addr_len(dst->family));
	if (nl_talk(nl_build_route(buf, RTM_GETROUTE, 0, &q),
	    nl_route_collect, &g) == -1)
		return -1;
	if (!g.found) {
		errno = ENETUNREACH;
		return -1;
	}
	out->dst = q.dst;
	return 0;
}
