/* Tun offloads: off_segment on any vnet header and packet, then every
 * segment it makes through the TCP coalescer, and the raw input too.
 * Segments must fit the MTU and the buffer and carry right checksums;
 * what the coalescer gives back must fit its buffer.
 *
 * Input: u16 mtu (clamped to 68..9000) | vnet header (OFF_VNET_LEN) |
 * packet. */
#include <string.h>

#include "fuzz.h"
#include "offload.h"

static uint8_t out[OFF_MAX_SEGS * 9000], co[OFF_VNET_LEN + OFF_MAX_PKT];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* An IPv4 header's checksum sums to 0xffff; off_csum of it is 0. */
static void
check_segment(const uint8_t *p, size_t len)
{
	if (len >= 20 && p[0] == 0x45)
		CHECK(off_csum(p, 20, 0) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t lens[OFF_MAX_SEGS];
	struct off_coalesce c;
	size_t mtu, at = 0, hr;
	int n;

	if (size < 2 + OFF_VNET_LEN)
		return 0;
	mtu = (size_t)(data[0] << 8 | data[1]) % 8933 + 68;
	hr = data[0] & 1 ? OFF_VNET_LEN : 0;
	n = off_segment(data + 2, data + 2 + OFF_VNET_LEN,
	    size - 2 - OFF_VNET_LEN, mtu, hr, out, sizeof(out), lens,
	    OFF_MAX_SEGS);
	CHECK(n >= -1 && n <= OFF_MAX_SEGS);
	off_coalesce_init(&c, co);
	for (int i = 0; i < n; i++) {
		const uint8_t *s = out + at + hr;

		CHECK(lens[i] <= mtu);
		CHECK(at + hr + lens[i] <= sizeof(out));
		if (data[2 + 1] != 0)	/* split: headers are ours */
			check_segment(s, lens[i]);
		if (!off_coalesce_append(&c, s, lens[i])) {
			CHECK(off_coalesce_finish(&c) <= sizeof(co));
			off_coalesce_start(&c, s, lens[i]);
		}
		at += hr + lens[i];
	}
	CHECK(off_coalesce_finish(&c) <= sizeof(co));
	CHECK(off_coalesce_finish(&c) == 0);
	if (off_coalesce_start(&c, data + 2 + OFF_VNET_LEN,
	    size - 2 - OFF_VNET_LEN))
		CHECK(off_coalesce_finish(&c) == OFF_VNET_LEN + size - 2 -
		    OFF_VNET_LEN);
	return 0;
}
