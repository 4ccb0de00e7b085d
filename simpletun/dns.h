/* Pushed DNS servers and domains on a client's tun device, through
 * systemd-resolved's resolvectl (README: DNS). */
#ifndef DNS_H
#define DNS_H

#include <stdbool.h>
#include <stddef.h>

struct msg_config;

#define DNS_TIMEOUT 10		/* seconds a resolvectl call may take */
/* resolved's varlink socket: it exists, and takes a connection, while
 * systemd-resolved runs (or is socket-activated). */
#define DNS_RESOLVED_SOCKET "/run/systemd/resolve/io.systemd.Resolve"

/* Whether DNS goes through systemd-resolved: DNS_RESOLVED_SOCKET takes a
 * connection from a process in our network namespace (SO_PEERCRED), and
 * an executable resolvectl is in an absolute directory of PATH (its path
 * into path). */
bool dns_resolved(char *path, size_t size);
/* resolvectl dns DEV ADDR..., domain DEV NAME... and, if default_route,
 * default-route DEV true (each only if it has something to set), as root,
 * DNS_TIMEOUT seconds each. 0, or -1 with one line in why (what failed
 * and how); the calls before it took effect. */
int dns_apply(const char *resolvectl, const char *dev,
    const struct msg_config *cfg, bool default_route, char *why,
    size_t whylen);
/* resolvectl revert DEV: everything set on DEV goes. */
int dns_revert(const char *resolvectl, const char *dev, char *why,
    size_t whylen);

#endif
