/* The status socket: a daemon answers each connection with its state as
 * key=value lines, one STATUS_REPLY message per line, then closes. */
#ifndef STATUS_H
#define STATUS_H

/* Binds a SOCK_SEQPACKET unix socket at path, mode 0600; -1 with errno. */
int status_listen(const char *path);
void status_reply(int fd, const char *line);

#endif
