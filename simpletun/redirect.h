/* A client's full tunnel keeps the server off the tunnel: a host route to
 * the server through the gateway that reached it before, recorded in a
 * state file so that the next start removes it if we were killed. */
#ifndef REDIRECT_H
#define REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define REDIRECT_DIR "/run/simpletun"

struct redirect {
	char path[160];		/* the state file */
	bool held;		/* route is ours and in the table */
	struct nl_route route;
};

/* Names the state file after this network namespace and dev (the
 * configured name). 0, or -1 if the namespace cannot be told. */
int redirect_init(struct redirect *r, const char *dev);
/* Removes the route a killed client of this namespace and dev left, as
 * its state file says, and the file. 1 if one was removed (described in
 * what), 0 if none was left, -1 on error. */
int redirect_stale(struct redirect *r, char *what, size_t whatlen);
/* Adds a host route to server (IPv4 or IPv6) through the gateway that
 * reaches it now: 0 if added (and recorded), 1 if none is needed (the
 * server is on a network of ours, or that route is there already and not
 * ours), -1. */
int redirect_hold(struct redirect *r, const struct nl_prefix *server);
/* Removes the route, if ours, and the state file. */
int redirect_release(struct redirect *r);

#endif
