/* libnftables keeps one netlink socket per context from nft_ctx_new to
 * nft_ctx_free; the table's owner flag binds it to that socket. The socket
 * is not close-on-exec, but child_spawn closes every fd a child does not
 * own, so no child keeps the table alive. Names go into nft's syntax, so
 * only a plain interface-name alphabet is accepted. */
#include <errno.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masq.h"

struct masq {
	struct nft_ctx *nft;
	char table[16 + IFNAMSIZ];
};

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
masq_error(struct nft_ctx *nft, const char *what, char *err, size_t errlen)
{
	const char *e = nft_ctx_get_error_buffer(nft);
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
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		snprintf(err, errlen, "masquerade: %s", strerror(errno));
		free(m);
		return NULL;
	}
	nft_ctx_buffer_output(m->nft);
	nft_ctx_buffer_error(m->nft);
	snprintf(m->table, sizeof(m->table), "simpletun-%s", dev);
	snprintf(cmd, sizeof(cmd), "table ip %s {\n"
	    "\tflags owner\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\toifname \"%s\" ip saddr %u.%u.%u.%u/%u masquerade\n"
	    "\t}\n"
	    "}\n", m->table, iface, pool >> 24, (pool >> 16) & 255,
	    (pool >> 8) & 255, pool & 255, prefix);
	if (nft_run_cmd_from_buffer(m->nft, cmd) != 0) {
		masq_error(m->nft, "masquerade: nftables table", err, errlen);
		nft_ctx_free(m->nft);
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
	nft_run_cmd_from_buffer(m->nft, cmd);	/* closing would do it too */
	nft_ctx_free(m->nft);
	free(m);
}
