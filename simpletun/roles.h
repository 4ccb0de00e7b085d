/* The process roles: each runs its own poll() loop in its own file. */
#ifndef ROLES_H
#define ROLES_H

#include <mqueue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <openssl/ssl.h>

struct conf;

/* What a data process is given at fork; the rest comes from its control
 * process as SESSION and KEYS. */
struct data_fds {
	struct sockaddr_storage local;	/* server: the address the client
					   reached; the UDP socket binds it */
	int ctl;		/* socketpair to the control process */
	int parent;		/* socketpair to the acceptor / client parent */
	int tun;		/* written only, on the server */
	mqd_t queue;		/* server: packets from the guard; else -1 */
	mqd_t guard;		/* server: the guard's inbox; else -1 */
	uint16_t slot;
};

/* The guard's STATS: u64 rx_packets, no_route, queue_full, too_big,
 * routes. */
#define GUARD_STATS_LEN 40

int server_main(struct conf *c);
int client_main(struct conf *c);
int status_main(struct conf *c);
noreturn void guard_main(const struct conf *c, int tun, mqd_t inbox,
    int parent, pid_t server, long msgsize);
noreturn void control_server_main(const struct conf *c, SSL_CTX *ctx,
    int sock, int acceptor, int data, const char *peer);
noreturn void control_client_main(const struct conf *c, SSL_CTX *ctx,
    int parent, int data);
noreturn void data_main(const struct conf *c, const struct data_fds *fds);

#endif
