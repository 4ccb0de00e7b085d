/* Both ends of the status socket: the daemons' listener and
 * `simpletun status`, which prints what the daemon says. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "roles.h"
#include "stats.h"
#include "status.h"
#include "util.h"

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

/* One line, at once or never: kick's answer. */
void
status_reply(int fd, const char *line)
{
	uint8_t buf[MSG_MAX_LEN];
	ssize_t n;

	n = msg_build(buf, sizeof(buf), MSG_STATUS_REPLY, line, strlen(line));
	if (n > 0)
		send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

#define STATUS_REPLY_MS 2000	/* a reader that takes longer loses it */

/* One message to the reader. The daemon is single-threaded: a reader that
 * does not keep up gets at most STATUS_REPLY_MS of its time, then the
 * reply is cut short (without STATUS_END, so the reader can tell). */
static void
status_send(struct status_out *o, uint16_t type, const void *p, size_t len)
{
	struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
	uint8_t buf[MSG_MAX_LEN];
	ssize_t n;

	if (o->failed)
		return;
	if (o->fd == -1) {	/* SIGUSR1: the text lines to the log */
		if (type == MSG_STATUS_REPLY)
			log_info("status: %.*s", (int)len, (const char *)p);
		return;
	}
	if ((n = msg_build(buf, sizeof(buf), type, p, len)) < 0) {
		o->failed = true;
		return;
	}
	while (send(o->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    -1) {
		uint64_t now = now_ms();

		if ((errno != EAGAIN && errno != EINTR) || now >= o->deadline ||
		    poll(&pfd, 1, (int)(o->deadline - now)) == -1) {
			o->failed = true;
			return;
		}
	}
}

void
status_open(struct status_out *o, int fd)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->deadline = now_ms() + STATUS_REPLY_MS;
	json_init(&o->json);
	json_object(&o->json);
}

void
status_close(struct status_out *o)
{
	const char *doc;

	json_object_end(&o->json);
	if ((doc = json_done(&o->json)) == NULL)
		o->failed = true;
	else {
		size_t len = strlen(doc);

		for (size_t off = 0; off < len; off += MSG_STATUS_MAX)
			status_send(o, MSG_STATUS_JSON, doc + off,
			    len - off > MSG_STATUS_MAX ? MSG_STATUS_MAX :
			    len - off);
	}
	status_send(o, MSG_STATUS_END, NULL, 0);
	json_free(&o->json);
	if (o->fd != -1)
		close(o->fd);
	o->fd = -1;
}

static void
status_text(struct status_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
status_text(struct status_out *o, const char *fmt, ...)
{
	size_t cap = sizeof(o->line);
	va_list ap;
	int n;

	if (o->linelen >= cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->line + o->linelen, cap - o->linelen, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->linelen += (size_t)n < cap - o->linelen ? (size_t)n :
		    cap - 1 - o->linelen;
}

static void
status_key(struct status_out *o, const char *key)
{
	if (key != NULL)
		json_key(&o->json, key);
}

static void
status_push(struct status_out *o, bool record)
{
	if (o->depth + 1 >= STATUS_NEST_MAX) {
		o->failed = true;
		return;
	}
	o->record[++o->depth] = record;
}

void
status_record(struct status_out *o, const char *key, const char *kind)
{
	status_key(o, key);
	json_object(&o->json);
	status_push(o, true);
	o->linelen = 0;
	status_text(o, "%s", kind);
}

void
status_group(struct status_out *o, const char *key)
{
	status_key(o, key);
	json_object(&o->json);
	status_push(o, false);
}

void
status_end(struct status_out *o)
{
	json_object_end(&o->json);
	if (o->depth == 0) {
		o->failed = true;
		return;
	}
	if (o->record[o->depth--]) {
		status_send(o, MSG_STATUS_REPLY, o->line, o->linelen);
		o->linelen = 0;
	}
}

void
status_list(struct status_out *o, const char *key)
{
	status_key(o, key);
	json_array(&o->json);
}

void
status_list_end(struct status_out *o)
{
	json_array_end(&o->json);
}

/* Printable ASCII without blanks, quotes or backslashes stands as it is;
 * anything else in JSON's quotes and escapes. */
static void
status_text_str(struct status_out *o, const char *v)
{
	char q[sizeof(o->line)];
	bool plain = v[0] != '\0';

	for (const char *p = v; *p != '\0' && plain; p++)
		plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
	if (plain)
		status_text(o, "%s", v);
	else {
		json_quote(q, sizeof(q), v);
		status_text(o, "%s", q);
	}
}

void
status_str(struct status_out *o, const char *key, const char *v)
{
	json_key(&o->json, key);
	status_text(o, " %s=", key);
	if (v == NULL) {
		json_null(&o->json);
		status_text(o, "none");
		return;
	}
	json_string(&o->json, v);
	status_text_str(o, v);
}

void
status_u64(struct status_out *o, const char *key, uint64_t v)
{
	json_key(&o->json, key);
	json_uint(&o->json, v);
	status_text(o, " %s=%llu", key, (unsigned long long)v);
}

void
status_i64(struct status_out *o, const char *key, int64_t v)
{
	json_key(&o->json, key);
	json_int(&o->json, v);
	status_text(o, " %s=%lld", key, (long long)v);
}

void
status_bool(struct status_out *o, const char *key, bool v)
{
	json_key(&o->json, key);
	json_bool(&o->json, v);
	status_text(o, " %s=%s", key, v ? "yes" : "no");
}

void
status_strs(struct status_out *o, const char *key, const char *const *v,
    size_t n)
{
	json_key(&o->json, key);
	json_array(&o->json);
	status_text(o, " %s=%s", key, n == 0 ? "none" : "");
	for (size_t i = 0; i < n; i++) {
		json_string(&o->json, v[i]);
		if (i > 0)
			status_text(o, ",");
		status_text_str(o, v[i]);
	}
	json_array_end(&o->json);
}

void
status_time(struct status_out *o, const char *key, int64_t epoch)
{
	char iso[32], k[64];
	time_t t = (time_t)epoch;
	struct tm tm;

	snprintf(k, sizeof(k), "%s_epoch", key);
	if (epoch <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		status_str(o, key, NULL);
		status_str(o, k, NULL);
		return;
	}
	status_str(o, key, iso);
	status_i64(o, k, epoch);
}

/* The counters that are no drop, in the order they are shown. */
#define STATUS_TRAFFIC(X) X(rx_packets) X(rx_bytes) X(tx_packets) \
	X(tx_bytes) X(rx_keepalives) X(tx_keepalives)
#define STATUS_NOT_DROPS(X) STATUS_TRAFFIC(X) X(tx_epoch) X(rekeys) \
	X(roams) X(rx_last_ms)

static bool
status_is_drop(const char *name)
{
#define STATUS_NAME(f) #f,
	static const char *const not_drops[] = {
		STATUS_NOT_DROPS(STATUS_NAME)
	};
#undef STATUS_NAME

	for (size_t i = 0; i < sizeof(not_drops) / sizeof(not_drops[0]); i++)
		if (strcmp(name, not_drops[i]) == 0)
			return false;
	return true;
}

/* The last authenticated packet: the data process gives its monotonic
 * time, which every process of the host shares. */
static void
status_last_rx(struct status_out *o, uint64_t last_ms)
{
	uint64_t now = now_ms();
	uint64_t age = last_ms != 0 && now > last_ms ? now - last_ms : 0;

	status_time(o, "last_rx", last_ms == 0 ? 0 :
	    status_wallclock() - (int64_t)(age / 1000));
	if (last_ms == 0) {
		status_str(o, "last_rx_age_ms", NULL);
		return;
	}
	status_u64(o, "last_rx_age_ms", age);
}

void
status_traffic(struct status_out *o, const struct data_stats *st)
{
	char ep[64];

	status_str(o, "endpoint", st->endpoint.ss_family == 0 ? NULL :
	    sa_str((const struct sockaddr *)&st->endpoint, ep, sizeof(ep)));
	status_last_rx(o, st->rx_last_ms);
#define STATUS_FIELD(f) status_u64(o, #f, st->f);
	STATUS_TRAFFIC(STATUS_FIELD)
#undef STATUS_FIELD
	status_group(o, "drops");
	for (size_t i = 0; i < DATA_STATS_N; i++)
		if (status_is_drop(stats_data_name(i)))
			status_u64(o, stats_data_name(i), st->v[i]);
	status_end(o);
	status_u64(o, "key_epoch", st->tx_epoch);
	status_u64(o, "rekeys", st->rekeys);
	status_u64(o, "roams", st->roams);
}

int64_t
status_wallclock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* The JSON chunks, gathered; -1 when out of memory. */
static int
status_gather(char **doc, size_t *len, const struct msg *m)
{
	char *d = realloc(*doc, *len + m->len + 1);

	if (d == NULL)
		return -1;
	memcpy(d + *len, m->payload, m->len);
	*len += m->len;
	d[*len] = '\0';
	*doc = d;
	return 0;
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
	char *doc = NULL;
	size_t doclen = 0;
	bool end = false;
	struct msg m;
	int fd, r = 0;

	/* Without --config or --status-socket: a server's, else a
	 * client's. */
	if (c->status_socket[0] == '\0')
		snprintf(c->status_socket, sizeof(c->status_socket), "%s",
		    access(CONF_STATUS_DIR "/server.sock", F_OK) == 0 ||
		    access(CONF_STATUS_DIR "/client.sock", F_OK) == -1 ?
		    CONF_STATUS_DIR "/server.sock" :
		    CONF_STATUS_DIR "/client.sock");
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1 || status_addr(c->status_socket, &sun) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "simpletun: status socket %s: %s\n",
		    c->status_socket, strerror(errno));
		return 2;
	}
	while (!end && (r = msg_recv(fd, buf, sizeof(buf), &m)) == 1) {
		if (m.type == MSG_STATUS_REPLY && !c->json)
			printf("%.*s\n", (int)m.len, (const char *)m.payload);
		else if (m.type == MSG_STATUS_JSON && c->json) {
			if (status_gather(&doc, &doclen, &m) == -1)
				break;
		} else if (m.type == MSG_STATUS_END)
			end = true;
		else if (m.type != MSG_STATUS_REPLY &&
		    m.type != MSG_STATUS_JSON)
			break;
	}
	close(fd);
	if (end && c->json && doc != NULL)
		printf("%s\n", doc);
	free(doc);
	if (!end) {
		fprintf(stderr, "simpletun: status socket %s: %s\n",
		    c->status_socket, r == 1 ? "bad reply" :
		    "reply cut short");
		return 2;
	}
	return 0;
}
