/* libnftables keeps one netlink socket per context from nft_ctx_new to
 * nft_ctx_free; the table's owner flag binds it to that socket. The socket
 * is not close-on-exec, but child_spawn closes every fd a child does not
 * own, so no child keeps the table alive. Names go into nft's syntax, so
 * only a plain interface-name alphabet is accepted.
 *
 * libnftables (with libnftnl, libgmp, libjansson, libxtables) is opened
 * with dlopen, only by an acceptor with masquerade: every child is an
 * exec of this binary, and linking it would make each of them load and
 * relocate those five libraries for nothing (about 4 ms and 120 KiB of
 * private memory per process on a small machine). */
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masq.h"

#define MASQ_LIB "libnftables.so.1"

struct masq {
	struct nft_ctx *nft;
	char table[16 + IFNAMSIZ];
};

/* The libnftables calls we make, from MASQ_LIB; typed by its header. */
static struct {
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_error_buffer) *get_error_buffer;
	__typeof__(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} nft;

/* Loaded once, kept until exit (the table's socket lives in it). */
static int
masq_lib_open(char *err, size_t errlen)
{
	const struct { const char *name; void *slot; } syms[] = {
		{ "nft_ctx_new", &nft.ctx_new },
		{ "nft_ctx_free", &nft.ctx_free },
		{ "nft_ctx_buffer_output", &nft.buffer_output },
		{ "nft_ctx_buffer_error", &nft.buffer_error },
		{ "nft_ctx_get_error_buffer", &nft.get_error_buffer },
		{ "nft_run_cmd_from_buffer", &nft.run_cmd_from_buffer },
	};
	void *h, *p;

	if (nft.ctx_new != NULL)
		return 0;
	if ((h = dlopen(MASQ_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "masquerade needs %s (Debian package "
		    "libnftables1): %s", MASQ_LIB, dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((p = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "masquerade: %s has no %s",
			    MASQ_LIB, syms[i].name);
			memset(&nft, 0, sizeof(nft));
			dlclose(h);
			return -1;
		}
		/* POSIX: dlsym's object pointer holds a function's address */
		memcpy(syms[i].slot, &p, sizeof(p));
	}
	return 0;
}

static int
masq_name_ok(const char *s)
{
	if (s[0] == '\0' || strlen(s) >= IFNAMSIZ)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == strlen(s);
}

/* nft's error text is several lines (command, caret); the first names
 * the problem. */
static void
masq_error(struct nft_ctx *nftc, const char *what, char *err, size_t errlen)
{
	const char *e = nft.get_error_buffer(nftc);
	size_t n = e != NULL ? strcspn(e, "\n") : 0;

	snprintf(err, errlen, "%s: %.*s", what, (int)n, n > 0 ? e :
	    "nftables refused it");
}

struct masq *
masq_new(const char *dev, const char *iface, uint32_t pool, uint8_t prefix,
    char *err, size_t errlen)
{
	struct masq *m;
	char cmd[512];

	if (!masq_name_ok(dev) || !masq_name_ok(iface)) {
		snprintf(err, errlen, "masquerade: '%s' is not an interface "
		    "name nftables may be given", masq_name_ok(dev) ? iface :
		    dev);
		return NULL;
	}
	if (masq_lib_open(err, errlen) == -1)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->nft = nft.ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		snprintf(err, errlen, "masquerade: %s", strerror(errno));
		free(m);
		return NULL;
	}
	nft.buffer_output(m->nft);
	nft.buffer_error(m->nft);
	snprintf(m->table, sizeof(m->table), "simpletun-%s", dev);
	snprintf(cmd, sizeof(cmd), "table ip %s {\n"
	    "\tflags owner\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\toifname \"%s\" ip saddr %u.%u.%u.%u/%u masquerade\n"
	    "\t}\n"
	    "}\n", m->table, iface, pool >> 24, (pool >> 16) & 255,
	    (pool >> 8) & 255, pool & 255, prefix);
	if (nft.run_cmd_from_buffer(m->nft, cmd) != 0) {
		masq_error(m->nft, "masquerade: nftables table", err, errlen);
		nft.ctx_free(m->nft);
		free(m);
		return NULL;
	}
	return m;
}

const char *
masq_table(const struct masq *m)
{
	return m->table;
}

void
masq_free(struct masq *m)
{
	char cmd[64];

	if (m == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "delete table ip %s", m->table);
	nft.run_cmd_from_buffer(m->nft, cmd);	/* closing would do it too */
	nft.ctx_free(m->nft);
	free(m);
}
