/* What every fuzz target shares: libFuzzer's entry points, and a check
 * that stays on in release builds, where NDEBUG turns assert() off. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* A socket address as msg_put_sa writes it (the model the fuzzers check
 * msg_get_sa/msg_put_sa against): no address, nothing but the family;
 * IPv4, nothing after its 4 address bytes. */
static inline void
fuzz_canon_sa(uint8_t *p)
{
	if (p[0] == 0)
		memset(p, 0, MSG_SA_LEN);
	else if (p[0] == 4)
		memset(p + 3 + 4, 0, MSG_SA_LEN - 3 - 4);
}

#endif
