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
/* Ends every child: signal(arg, SIGTERM), waits up to ms for all to be
 * reaped, then signal(arg, SIGKILL) and waits for the rest. */
void children_end(void (*signal_all)(void *arg, int sig), void *arg, int ms);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);
/* Dotted quad of a host-order IPv4 address into a static-free buffer. */
const char *ip4_str(uint32_t addr, char buf[16]);
const char *ip6_str(const uint8_t addr[16], char buf[46]);
/* Same family, address and port. */
bool sa_equal(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);
/* 0.0.0.0 or [::]. */
bool sa_is_any(const struct sockaddr_storage *ss);
void sa_set_port(struct sockaddr_storage *ss, uint16_t port);
socklen_t sa_len(const struct sockaddr_storage *ss);
/* "addr:port" of a socket address, "[addr]:port" for IPv6; an IPv4-mapped
 * IPv6 address (an IPv4 client of a dual-stack socket) prints as IPv4. */
const char *sa_str(const struct sockaddr *sa, char *buf, size_t len);
/* While root: raises RLIMIT_NOFILE and the fs.mqueue sysctls to what
 * sessions need, each with queues of qmsgs x qmsgsize, and says so in one
 * line; names each setting it cannot raise. */
void limits_raise(unsigned sessions, long qmsgs, long qmsgsize);
/* Drops to user (no-op for "" or "root") keeping only caps (a mask of
 * CAP_* bits); 0 or -1 with errno. */
int priv_drop_keep(const char *user, uint64_t caps);
/* SIGCHLD/SIGTERM/SIGINT/SIGHUP handlers that only set flags. The signals
 * stay blocked except inside poll_wait(), so none is lost between a check of
 * the flags and the next wait. */
void sig_setup(void);
/* After sig_setup, in the acceptor: SIGHUP sets sig_hup (reload) instead
 * of sig_term, and SIGUSR1 / SIGUSR2 set sig_usr1 / sig_usr2 instead of
 * being ignored; all three stay blocked outside poll_wait() too. */
void sig_setup_reload(void);
int poll_wait(struct pollfd *fds, nfds_t n, int timeout_ms);
extern volatile sig_atomic_t sig_term, sig_chld, sig_hup, sig_usr1, sig_usr2;

#endif
