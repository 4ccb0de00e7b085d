/* The process roles: each runs its own poll() loop in its own file. The
 * acceptor and the client parent start the others (child.c). */
#ifndef ROLES_H
#define ROLES_H

#include <stdnoreturn.h>

struct conf;
struct msg_start;
struct tls_pem;

/* What a data process is handed; the rest comes from its control process
 * as SESSION and KEYS. */
struct data_fds {
	int parent;		/* socket to the acceptor / client parent */
	int ctl;		/* socketpair to the control process */
	int tun;		/* server: written only */
	int udp;		/* server: bound to the one port, not yet
				   connected; client: -1, made once the
				   server's endpoint is known */
};

/* A data process's queue where the system allows it: 32 messages, each
 * able to take a 64 KiB super-packet from an offloading tun (with its
 * vnet and record headers), as deep as batches of small packets or single
 * forwarded datagrams need. The acceptor raises RLIMIT_MSGQUEUE to fit
 * while root; else 12 of them fit the default 800 KiB that each
 * session's uid has to itself. */
#define DATA_QUEUE_MSGS 32
#define DATA_QUEUE_MSGS_DEFAULT 12
#define DATA_QUEUE_MSGSIZE 65600
/* Tap mode's reverse queue (data -> guard) carries batches of frames, never
 * super-packets; it is made first, so the forward queue takes what is left
 * of the uid's 800 KiB (32 x 16 KiB here: tap has no vnet header). */
#define DATA_UP_MSGSIZE 16384

/* argc and argv: the words after "server", read again on SIGHUP. */
int server_main(struct conf *c, int argc, char **argv);
int client_main(struct conf *c);
int status_main(struct conf *c);
int status_kick_main(struct conf *c, const char *cn);
noreturn void guard_main(const struct conf *c, int parent, int tun, int udp);
noreturn void control_server_main(const struct conf *c, int parent,
    const struct msg_start *st, int sock, int data, struct tls_pem *pem);
noreturn void control_client_main(const struct conf *c, int parent,
    int data, struct tls_pem *pem);
noreturn void data_main(const struct conf *c, const struct data_fds *fds);

#endif
