/* simpletun: parse the command line and the configuration, then start the
 * role asked for. Exit codes: 0 clean end, 1 bad command line or
 * configuration, 2 could not start (certificates, tun, sockets),
 * 3 failed while running; a client: 4 refused for good (a certificate),
 * 5 gave up otherwise (both after connect-retry-max attempts, or 4 from
 * --daemon's foreground at the first refusal). */
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "conf.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "roles.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: simpletun server [--config FILE] [--DIRECTIVE ARG...]\n"
	    "       simpletun client [--config FILE] [--DIRECTIVE ARG...]\n"
	    "       simpletun status [--config FILE | --status-socket PATH] "
	    "[--json]\n"
	    "       simpletun kick CN --status-socket PATH\n"
	    "       simpletun [server|client|status] --help\n");
}

static void
help(enum conf_role role)
{
	usage(stdout);
	printf("\nEvery directive may stand in the configuration file as "
	    "\"DIRECTIVE ARG...\"\nor on the command line as "
	    "\"--DIRECTIVE ARG...\"; the command line wins.\n");
	if (role & CONF_SERVER) {
		printf("\nserver directives:\n");
		conf_help(stdout, CONF_SERVER);
	}
	if (role & CONF_CLIENT) {
		printf("\nclient directives:\n");
		conf_help(stdout, CONF_CLIENT);
	}
	if (role & CONF_STATUS) {
		printf("\nstatus directives:\n");
		conf_help(stdout, CONF_STATUS);
	}
	printf("\nexit codes: 0 clean end, 1 bad command line or "
	    "configuration,\n2 could not start, 3 failed while running, "
	    "4 (client) refused for good:\na certificate unknown, revoked, "
	    "expired or of another name, 5 (client) gave up\nafter "
	    "connect-retry-max attempts for another reason\n");
	if (role & CONF_STATUS)
		printf("kick: 0 a session ended, 1 no session of that CN, "
		    "2 no answer\n");
}

static bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* conf_check found each hook a regular file; it must also be one we can
 * exec without a shell's help. */
static int
hooks_check(const struct conf *c)
{
	const struct { const char *name, *path; } hooks[] = {
		{ "up", c->up }, { "down", c->down },
		{ "client-connect", c->client_connect },
		{ "client-disconnect", c->client_disconnect },
	};
	const char *why;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (hooks[i].path[0] != '\0' &&
		    (why = hook_unusable(hooks[i].path)) != NULL) {
			fprintf(stderr, "simpletun: %s: %s: %s\n",
			    hooks[i].name, hooks[i].path, why);
			return -1;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct conf c;
	enum conf_role role;
	char err[1024];
	int kick;
	int r;

	if (argc < 2 || (argc == 2 && wants_help(argc, argv))) {
		if (argc < 2) {
			usage(stderr);
			return 1;
		}
		help(CONF_SERVER | CONF_CLIENT | CONF_STATUS);
		return 0;
	}
	if (strcmp(argv[1], "child") == 0 && argc == 3)
		return child_main(argv[2]);
	if (strcmp(argv[1], "server") == 0)
		role = CONF_SERVER;
	else if (strcmp(argv[1], "client") == 0)
		role = CONF_CLIENT;
	else if (strcmp(argv[1], "status") == 0 ||
	    strcmp(argv[1], "kick") == 0)
		role = CONF_STATUS;
	else {
		fprintf(stderr, "simpletun: unknown command '%s' (expected "
		    "server, client, status or kick)\n", argv[1]);
		return 1;
	}
	kick = strcmp(argv[1], "kick") == 0;
	if (wants_help(argc - 1, argv + 1)) {
		help(role);
		return 0;
	}
	if (kick && (argc < 3 || strncmp(argv[2], "--", 2) == 0)) {
		fprintf(stderr, "simpletun: kick: expects CN, then "
		    "--status-socket PATH\n");
		return 1;
	}
	if (conf_load(&c, role, argc - 2 - kick, argv + 2 + kick, err,
	    sizeof(err)) == -1 ||
	    conf_check(&c, err, sizeof(err)) == -1) {
		fprintf(stderr, "simpletun: %s\n", err);
		return 1;
	}
	if (hooks_check(&c) == -1)
		return 1;
	log_init(argv[1], (int)c.verbose);
	/* Taken out of the environment before any child or hook starts. */
	if (role != CONF_STATUS && notify_open() == -1)
		log_warn("NOTIFY_SOCKET is no socket we can use; "
		    "not telling the service manager");
	if (role == CONF_SERVER)
		r = server_main(&c, argc - 2, argv + 2);
	else if (role == CONF_CLIENT)
		r = client_main(&c);
	else if (kick)
		r = status_kick_main(&c, argv[2]);
	else
		r = status_main(&c);
	conf_free(&c);
	return r;
}
