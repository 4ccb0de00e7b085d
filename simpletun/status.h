/* The status socket: a daemon answers each connection with its state
 * twice, as text (key=value lines, one STATUS_REPLY message each) and as
 * one JSON document (STATUS_JSON messages, their payloads concatenated),
 * then STATUS_END, and closes. `simpletun status` prints the one asked
 * for. The daemons describe their state once, through status_out, which
 * writes both forms: a record is a text line and a JSON object. */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <sys/types.h>

/* Binds a SOCK_SEQPACKET unix socket at path, mode 0600; -1 with errno. */
int status_listen(const char *path);
/* Before status_listen, as root, for a daemon that will run as uid/gid:
 * makes the socket's directory (mode 0700, theirs) if it is missing, so
 * that the daemon can remove its socket at exit. -1 with errno if it
 * cannot be made; 0, and *removable says whether uid may unlink there. */
int status_dir(const char *path, uid_t uid, gid_t gid, bool *removable);
/* One STATUS_REPLY line without waiting (kick's answer). */
void status_reply(int fd, const char *line);

#include <stdint.h>

#include "json.h"

#define STATUS_NEST_MAX 8

struct status_out {
	int fd;
	struct json json;
	char line[4096];		/* the text line being built */
	size_t linelen;
	bool record[STATUS_NEST_MAX];	/* this level began a text line */
	unsigned depth;
	bool failed;			/* the reader went away or stalled */
	uint64_t deadline;		/* ms: the reply's whole budget */
};

/* Starts the reply on an accepted connection (the JSON document's outer
 * object); status_close() sends what is left, STATUS_END, and closes fd. */
void status_open(struct status_out *, int fd);
void status_close(struct status_out *);
/* A record: a text line that starts with kind, and a JSON object under
 * key (NULL: an element of the list around it). */
void status_record(struct status_out *, const char *key, const char *kind);
/* An object nested in the JSON only: its members stay on the text line. */
void status_group(struct status_out *, const char *key);
/* Ends the innermost record or group. */
void status_end(struct status_out *);
/* A JSON list of records (no text of its own). */
void status_list(struct status_out *, const char *key);
void status_list_end(struct status_out *);
/* Members. A NULL string is JSON null and text "none"; text quotes a
 * string (JSON escapes) when it holds blanks, quotes, backslashes or
 * non-ASCII bytes, or is empty. */
void status_str(struct status_out *, const char *key, const char *v);
void status_u64(struct status_out *, const char *key, uint64_t v);
void status_i64(struct status_out *, const char *key, int64_t v);
void status_bool(struct status_out *, const char *key, bool v);
/* A JSON list of strings; text joins them with commas ("none" if empty). */
void status_strs(struct status_out *, const char *key,
    const char *const *v, size_t n);
/* A wall-clock time (Unix seconds; 0: never): key as ISO 8601 UTC text and
 * key_epoch as a number (null and "none" for never). */
void status_time(struct status_out *, const char *key, int64_t epoch);
struct data_stats;
/* A data process's figures: endpoint, last authenticated packet, traffic
 * each way, drops by reason (a "drops" object), key epoch. */
void status_traffic(struct status_out *, const struct data_stats *);
/* Seconds since the Unix epoch, now. */
int64_t status_wallclock(void);

#endif
