/* Both ends of the status socket: the daemons' listener and
 * `simpletun status`, which prints what the daemon says. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "msg.h"
#include "roles.h"
#include "status.h"

static int
status_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

int
status_dir(const char *path, uid_t uid, gid_t gid, bool *removable)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat sb;
	char *slash;

	if (strlen(path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1) {
		if (errno != ENOENT || mkdir(dir, 0700) == -1 ||
		    chown(dir, uid, gid) == -1 || stat(dir, &sb) == -1)
			return -1;
	}
	/* In a sticky directory only the owner of the directory or of the
	 * socket (root, who made it) may remove it. */
	if (uid == 0 || (sb.st_uid == uid && (sb.st_mode & S_IWUSR)))
		*removable = true;
	else
		*removable = !(sb.st_mode & S_ISVTX) &&
		    (((sb.st_gid == gid) && (sb.st_mode & S_IWGRP)) ||
		    (sb.st_mode & S_IWOTH));
	return 0;
}

int
status_listen(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, r;

	if (status_addr(path, &sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	unlink(path);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || listen(fd, 8) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void
status_reply(int fd, const char *line)
{
	uint8_t buf[MSG_MAX_LEN];
	ssize_t n;

	n = msg_build(buf, sizeof(buf), MSG_STATUS_REPLY, line, strlen(line));
	if (n > 0)
		send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* `simpletun kick CN`: asks the daemon to end every session of CN and
 * prints its answer. 0: ended at least one, 1: none of that CN (or not a
 * CN), 2: the socket could not be asked. */
int
status_kick_main(struct conf *c, const char *cn)
{
	struct msg_kick k = { .cn = "" };
	uint8_t buf[MSG_MAX_LEN], p[MSG_MAX_PAYLOAD];
	struct sockaddr_un sun;
	struct msg m;
	int fd, r, rc = 1;

	if (strlen(cn) == 0 || strlen(cn) > MSG_CN_MAX) {
		fprintf(stderr, "simpletun: kick: '%s' is not a CN (1..%d "
		    "characters)\n", cn, MSG_CN_MAX);
		return 1;
	}
	memcpy(k.cn, cn, strlen(cn) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1 || status_addr(c->status_socket, &sun) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    msg_send(fd, MSG_KICK, p, msg_put_kick(p, &k)) == -1) {
		fprintf(stderr, "simpletun: status socket %s: %s\n",
		    c->status_socket, strerror(errno));
		return 2;
	}
	while ((r = msg_recv(fd, buf, sizeof(buf), &m)) == 1 &&
	    m.type == MSG_STATUS_REPLY) {
		printf("%.*s\n", (int)m.len, (const char *)m.payload);
		if (m.len >= 6 && memcmp(m.payload, "kicked", 6) == 0)
			rc = 0;
	}
	close(fd);
	if (r != 0) {
		fprintf(stderr, "simpletun: status socket %s: bad reply\n",
		    c->status_socket);
		return 2;
	}
	return rc;
}

int
status_main(struct conf *c)
{
	uint8_t buf[MSG_MAX_LEN];
	struct sockaddr_un sun;
	struct msg m;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1 || status_addr(c->status_socket, &sun) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "simpletun: status socket %s: %s\n",
		    c->status_socket, strerror(errno));
		return 2;
	}
	while ((r = msg_recv(fd, buf, sizeof(buf), &m)) == 1) {
		if (m.type != MSG_STATUS_REPLY)
			break;
		printf("%.*s\n", (int)m.len, (const char *)m.payload);
	}
	close(fd);
	if (r != 0) {
		fprintf(stderr, "simpletun: status socket %s: bad reply\n",
		    c->status_socket);
		return 2;
	}
	return 0;
}
