/* sd_notify(3) in a page: systemd reads one datagram per state change from
 * the socket it named in $NOTIFY_SOCKET and attributes it by the sender's
 * credentials, so the main process (the acceptor, the client's parent) must
 * send it. The socket is made and connected while still root: a path's
 * write permission is checked at connect, and the acceptor sends READY=1
 * after it dropped to `user`. Should that connection fail (the manager
 * re-created its socket), each state goes out with sendto() as sd_notify
 * does. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static bool notify_connected;

/* A path must be absolute; "@name" is the abstract name "\0name". */
static int
notify_addr_set(const char *name)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len > sizeof(notify_addr.sun_path) - (name[0] == '/')) {
		errno = EINVAL;
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, name, len);
	if (name[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (name[0] == '/'));
	return 0;
}

int
notify_open(void)
{
	const char *env = getenv("NOTIFY_SOCKET");
	int r;

	notify_close();
	if (env == NULL || env[0] == '\0') {
		unsetenv("NOTIFY_SOCKET");
		return 0;
	}
	r = notify_addr_set(env);
	unsetenv("NOTIFY_SOCKET");
	if (r == -1)
		return -1;
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1)
		return -1;
	notify_connected = connect(notify_fd,
	    (const struct sockaddr *)&notify_addr, notify_len) == 0;
	return 1;
}

int
notify_send(const char *state)
{
	ssize_t n;

	if (notify_fd == -1)
		return 0;
	if (notify_connected &&
	    send(notify_fd, state, strlen(state), MSG_NOSIGNAL) >= 0)
		return 0;
	n = sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
	    (const struct sockaddr *)&notify_addr, notify_len);
	if (n == -1)
		return -1;
	return 0;
}

int
notify_sendf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	return notify_send(buf);
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
