/* Unit test of the rtnetlink messages, without root and without the
 * kernel: what nl_build_* writes, nl_parse_route reading it back (IPv4 and
 * IPv6), and nl_replies turning an NLMSG_ERROR into errno. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "netlink.h"

#include "check.h"

static struct nl_prefix
p6(const char *s, uint8_t len)
{
	struct nl_prefix p = { .family = AF_INET6, .len = len };

	inet_pton(AF_INET6, s, p.addr);
	return p;
}

static const struct nlattr *
attr(const struct nlmsghdr *nlh, size_t off, uint16_t type)
{
	const struct nlattr *at;

	mnl_attr_for_each(at, nlh, off)
		if (mnl_attr_get_type(at) == type)
			return at;
	return NULL;
}

static void
test_addr(void)
{
	static char buf[NL_BUF];
	struct nl_prefix p = nl_prefix4(0xc6120001, 24);	/* 198.18.0.1 */
	struct nlmsghdr *nlh = nl_build_addr(buf, RTM_NEWADDR,
	    NLM_F_CREATE, 7, &p);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *at = attr(nlh, sizeof(*ifa), IFA_LOCAL);
	char s[64];

	CHECK(nlh->nlmsg_type == RTM_NEWADDR);
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE));
	CHECK(ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == 24 &&
	    ifa->ifa_index == 7);
	CHECK(at != NULL && mnl_attr_get_payload_len(at) == 4 &&
	    memcmp(mnl_attr_get_payload(at), "\xc6\x12\x00\x01", 4) == 0);
	CHECK(strcmp(nl_prefix_str(&p, s, sizeof(s)), "198.18.0.1/24") == 0);
	p = p6("2001:db8::1", 64);
	nlh = nl_build_addr(buf, RTM_DELADDR, 0, 3, &p);
	ifa = mnl_nlmsg_get_payload(nlh);
	at = attr(nlh, sizeof(*ifa), IFA_ADDRESS);
	CHECK(ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 64);
	CHECK(at != NULL && mnl_attr_get_payload_len(at) == 16);
	CHECK(strcmp(nl_prefix_str(&p, s, sizeof(s)), "2001:db8::1/64") == 0);
}

static void
test_route_roundtrip(void)
{
	static char buf[NL_BUF];
	struct nl_route r = { .dst = nl_prefix4(0x80000000, 1), .ifindex = 9 },
	    back;
	struct nlmsghdr *nlh;
	const struct rtmsg *rtm;

	nlh = nl_build_route(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK(rtm->rtm_table == RT_TABLE_MAIN && rtm->rtm_dst_len == 1 &&
	    rtm->rtm_scope == RT_SCOPE_LINK && rtm->rtm_type == RTN_UNICAST);
	CHECK(attr(nlh, sizeof(*rtm), RTA_GATEWAY) == NULL);
	CHECK(nl_parse_route(nlh, &back) == 0);
	CHECK(back.dst.family == AF_INET && back.dst.len == 1 &&
	    memcmp(back.dst.addr, "\x80\0\0\0", 4) == 0 &&
	    back.ifindex == 9 && back.gw_family == 0);

	/* a host route through a gateway, as redirect-gateway adds */
	r = (struct nl_route){ .dst = nl_prefix4(0xc0000201, 32),
	    .ifindex = 2 };
	nl_gw4(&r, 0xc6336401);
	nlh = nl_build_route(buf, RTM_NEWROUTE, NLM_F_CREATE, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK(rtm->rtm_scope == RT_SCOPE_UNIVERSE);
	CHECK(nl_parse_route(nlh, &back) == 0);
	CHECK(back.gw_family == AF_INET &&
	    memcmp(back.gw, "\xc6\x33\x64\x01", 4) == 0);

	r = (struct nl_route){ .dst = p6("2001:db8:1::", 48) };
	r.gw_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", r.gw);
	nlh = nl_build_route(buf, RTM_NEWROUTE, NLM_F_CREATE, &r);
	CHECK(nl_parse_route(nlh, &back) == 0);
	CHECK(back.dst.family == AF_INET6 && back.dst.len == 48 &&
	    memcmp(back.dst.addr, r.dst.addr, 16) == 0 &&
	    memcmp(back.gw, r.gw, 16) == 0 && back.ifindex == 0);

	/* a deletion is not a route to read; a short attribute is refused */
	nlh = nl_build_route(buf, RTM_DELROUTE, 0, &r);
	errno = 0;
	CHECK(nl_parse_route(nlh, &back) == -1 && errno == EBADMSG);
	r = (struct nl_route){ .dst = nl_prefix4(0x0a000000, 8) };
	nlh = nl_build_route(buf, RTM_NEWROUTE, 0, &r);
	mnl_attr_put_u16(nlh, RTA_GATEWAY, 1);
	errno = 0;
	CHECK(nl_parse_route(nlh, &back) == -1 && errno == EBADMSG);
}

static void
test_link(void)
{
	static char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_build_link(buf, RTM_NEWLINK, 4, 0, 1400);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *at = attr(nlh, sizeof(*ifi), IFLA_MTU);

	CHECK(ifi->ifi_index == 4 && ifi->ifi_change == IFF_UP &&
	    ifi->ifi_flags == 0);
	CHECK(at != NULL && mnl_attr_get_u32(at) == 1400);
	nlh = nl_build_link(buf, RTM_NEWLINK, 4, -1, 0);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK(ifi->ifi_change == 0 && attr(nlh, sizeof(*ifi), IFLA_MTU) ==
	    NULL);
}

/* An NLMSG_ERROR for seq with error e (0: the ack). */
static struct nlmsghdr *
error_msg(void *buf, uint32_t seq, int e)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	err->error = -e;
	return nlh;
}

static int seen;

static int
count(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	seen++;
	return MNL_CB_OK;
}

static void
test_replies(void)
{
	static char buf[NL_BUF];
	struct nl_route r = { .dst = nl_prefix4(0x0a000000, 8) };
	struct nlmsghdr *nlh;
	size_t len;

	nlh = error_msg(buf, 5, 0);
	CHECK(nl_replies(buf, nlh->nlmsg_len, 5, 0, NULL, NULL) == 0);
	nlh = error_msg(buf, 5, EEXIST);
	errno = 0;
	CHECK(nl_replies(buf, nlh->nlmsg_len, 5, 0, NULL, NULL) == -1 &&
	    errno == EEXIST);
	nlh = error_msg(buf, 5, ESRCH);
	errno = 0;
	CHECK(nl_replies(buf, nlh->nlmsg_len, 5, 0, NULL, NULL) == -1 &&
	    errno == ESRCH);
	/* another request's reply is not ours */
	nlh = error_msg(buf, 6, 0);
	CHECK(nl_replies(buf, nlh->nlmsg_len, 5, 0, NULL, NULL) == -1);
	/* a route, then the ack, in one datagram: the route goes to cb */
	nlh = nl_build_route(buf, RTM_NEWROUTE, 0, &r);
	nlh->nlmsg_seq = 5;
	len = nlh->nlmsg_len;
	error_msg(buf + len, 5, 0);
	len += ((struct nlmsghdr *)(buf + len))->nlmsg_len;
	seen = 0;
	CHECK(nl_replies(buf, len, 5, 0, count, NULL) == 0 && seen == 1);
	/* the route alone: more is to come */
	CHECK(nl_replies(buf, nlh->nlmsg_len, 5, 0, count, NULL) == 1);
	/* a truncated datagram */
	errno = 0;
	CHECK(nl_replies(buf, 10, 5, 0, NULL, NULL) != 0);
}

int
main(void)
{
	test_addr();
	test_route_roundtrip();
	test_link();
	test_replies();
	if (failures != 0)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures != 0;
}
