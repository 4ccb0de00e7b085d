/* A seccomp allow-list per process role, entered once the role's setup is
 * done; a call off the list kills the whole process with SIGSYS. */
#ifndef SANDBOX_H
#define SANDBOX_H

enum sandbox_role {
	SANDBOX_GUARD,
	SANDBOX_CONTROL,
	SANDBOX_DATA,
	SANDBOX_CLIENT_CONTROL,
	SANDBOX_CLIENT_DATA,
};

/* Sets no_new_privs and loads role's filter: 0, or -1 with errno (then
 * the process may be half restricted: end it). tun is the role's tun fd
 * where the filter keeps one direction off it: the guard may never write
 * it, the server's data process never read it (both EINVAL without it).
 * The other roles pass -1. */
int sandbox_enter(enum sandbox_role role, int tun);
/* "guard", "control", ...; "?" for a value outside the enum. */
const char *sandbox_role_name(enum sandbox_role role);

#endif
