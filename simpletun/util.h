/* Small helpers shared by the process roles: fds, time, addresses,
 * privileges. */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

struct conf;

int fd_nonblock(int fd);
/* Closes every fd >= 3 except those listed (-1 entries are ignored). */
void fd_close_except(const int *keep, size_t nkeep);
/* Ends every child: signal(arg, SIGTERM), waits up to ms for all to be
 * reaped, then signal(arg, SIGKILL) and waits for the rest. */
void children_end(void (*signal_all)(void *arg, int sig), void *arg, int ms);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);
/* Dotted quad of a host-order IPv4 address into a static-free buffer. */
const char *ip4_str(uint32_t addr, char buf[16]);
/* "addr:port" of a socket address. */
const char *sa_str(const struct sockaddr *sa, char *buf, size_t len);
/* Raises the message-queue memory limit (needs root, before privdrop). */
void priv_raise_mq_limit(void);
/* Drops to user (no-op for "" or "root"); 0 or -1 with errno. */
int priv_drop(const char *user);
/* The same, but keeps CAP_SYS_RESOURCE: the acceptor needs it to create
 * message queues deeper than an unprivileged process may. */
int priv_drop_keep_resource(const char *user);
/* Drops every capability (after fork, in the acceptor's children). */
int priv_drop_caps(void);
/* SIGCHLD/SIGTERM/SIGINT/SIGHUP handlers that only set flags. The signals
 * stay blocked except inside poll_wait(), so none is lost between a check of
 * the flags and the next wait. */
void sig_setup(void);
int poll_wait(struct pollfd *fds, nfds_t n, int timeout_ms);
extern volatile sig_atomic_t sig_term, sig_chld;

#endif
