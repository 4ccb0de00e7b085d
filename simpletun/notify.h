/* The service manager's readiness protocol (sd_notify(3)) without
 * libsystemd: one datagram such as "READY=1" to the socket $NOTIFY_SOCKET
 * names, a path or, with a leading '@', an abstract name. Never prints. */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Takes $NOTIFY_SOCKET and removes it from the environment, so no child or
 * hook believes it is the service. Returns 1 with a socket to send to,
 * 0 when there is none, -1 (errno set) when it names nothing usable. */
int notify_open(void);
/* Sends one state ("READY=1", "STOPPING=1", "STATUS=text"); 0 when sent
 * or when there is no socket, -1 (errno set) when the send failed. */
int notify_send(const char *state);
/* The same, formatted; "READY=1\nSTATUS=..." sends both in one datagram. */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_close(void);

#endif
