/* The status socket: a daemon answers each connection with its state as
 * key=value lines, one STATUS_REPLY message per line, then closes. */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <sys/types.h>

/* Binds a SOCK_SEQPACKET unix socket at path, mode 0600; -1 with errno. */
int status_listen(const char *path);
/* Before status_listen, as root, for a daemon that will run as uid/gid:
 * makes the socket's directory (mode 0700, theirs) if it is missing, so
 * that the daemon can remove its socket at exit. -1 with errno if it
 * cannot be made; 0, and *removable says whether uid may unlink there. */
int status_dir(const char *path, uid_t uid, gid_t gid, bool *removable);
void status_reply(int fd, const char *line);

#endif
