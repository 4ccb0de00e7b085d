/* Children are started by exec of the simpletun binary itself, so each
 * begins with a fresh address space and only what it is handed: its
 * socket to the parent as fd 3, then a START message carrying its fds.
 * The first fd is always the configuration (a sealed memfd of directive
 * text); the rest, per role:
 *   guard           tun, UDP socket (unconnected, first of the port's group)
 *   control         TCP socket, end of control<->data, PEM files (4 or 5)
 *   data            end of control<->data, tun (written only), UDP socket
 *   client control  end of control<->data, PEM files (4 or 5)
 *   client data     end of control<->data, tun */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct conf;
struct msg_start;

enum child_role {
	CHILD_GUARD,
	CHILD_CONTROL,
	CHILD_DATA,
	CHILD_CLIENT_CONTROL,
	CHILD_CLIENT_DATA,
	CHILD_NROLES,
};

#define CHILD_SOCK_FD 3
#define CHILD_MAX_FDS 8

/* Who a child runs as. */
struct child_cred {
	uid_t uid;
	gid_t gid;
};

/* The parent's copy of the configuration for its children: a sealed memfd
 * holding conf_dump() of c; -1 on error (errno set). */
int child_conf_fd(const struct conf *c);
/* Forks and execs `simpletun child ROLE` as cred, with NoNewPrivs and no
 * capabilities, and sends it START with conf_fd and fds (which the caller
 * still owns). Returns the pid and the parent's end of its socket in *sock
 * (non-blocking), or -1 with errno set. */
pid_t child_spawn(enum child_role role, const struct child_cred *cred,
    int conf_fd, const struct msg_start *start, const int *fds, size_t nfds,
    int *sock);
/* In the child: `simpletun child ROLE`. Never returns. */
int child_main(const char *role);
const char *child_role_name(enum child_role role);
/* The uid and gid of user ("" or "root": 0). 0, or -1 if unknown. */
int child_cred_of(const char *user, struct child_cred *cred);

#endif
