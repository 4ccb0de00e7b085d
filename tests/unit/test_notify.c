/* The notify module against sockets this test makes: a path and an abstract
 * name get the datagram as sent, NOTIFY_SOCKET leaves the environment, no
 * socket is no error, and a name that is neither is refused. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static int failures;

static void
check(bool ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* A datagram socket bound to NAME (a path, or "@abstract"). */
static int
listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || len >= sizeof(sun.sun_path))
		abort();
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == -1)
		abort();
	return fd;
}

/* What arrived, or "" when nothing did. */
static const char *
received(int fd)
{
	static char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_socket(const char *name, const char *what)
{
	char msg[128];
	int fd = listener(name);

	setenv("NOTIFY_SOCKET", name, 1);
	snprintf(msg, sizeof(msg), "%s: notify_open finds it", what);
	check(notify_open() == 1, msg);
	snprintf(msg, sizeof(msg), "%s: NOTIFY_SOCKET is gone", what);
	check(getenv("NOTIFY_SOCKET") == NULL, msg);
	snprintf(msg, sizeof(msg), "%s: READY=1 arrives", what);
	check(notify_send("READY=1") == 0 &&
	    strcmp(received(fd), "READY=1") == 0, msg);
	snprintf(msg, sizeof(msg), "%s: STATUS= arrives whole", what);
	check(notify_send("STATUS=listening on 0.0.0.0:1194") == 0 &&
	    strcmp(received(fd), "STATUS=listening on 0.0.0.0:1194") == 0,
	    msg);
	snprintf(msg, sizeof(msg), "%s: nothing more", what);
	check(strcmp(received(fd), "") == 0, msg);
	notify_close();
	close(fd);
	if (name[0] == '/')
		unlink(name);
}

int
main(void)
{
	char dir[] = "/tmp/test_notify.XXXXXX", path[128], abs[64];
	int fd;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/notify", dir);
	test_socket(path, "path");
	snprintf(abs, sizeof(abs), "@simpletun-test-notify-%d", (int)getpid());
	test_socket(abs, "abstract");

	unsetenv("NOTIFY_SOCKET");
	check(notify_open() == 0, "no NOTIFY_SOCKET: nothing to open");
	check(notify_send("READY=1") == 0, "no socket: sending is no error");

	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	check(notify_open() == -1 && errno == EINVAL,
	    "a relative path is refused");
	check(getenv("NOTIFY_SOCKET") == NULL,
	    "a refused NOTIFY_SOCKET leaves the environment too");
	check(notify_send("READY=1") == 0, "after a refusal nothing is sent");

	/* The manager went away: the sender hears of it. */
	fd = listener(path);
	close(fd);
	setenv("NOTIFY_SOCKET", path, 1);
	check(notify_open() == 1, "a socket file with no reader opens");
	check(notify_send("READY=1") == -1, "a send nobody reads fails");
	notify_close();
	unlink(path);

	rmdir(dir);
	if (failures == 0)
		printf("notify: all tests passed\n");
	return failures != 0;
}
