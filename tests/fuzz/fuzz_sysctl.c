#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sysctl.h"

/*
 * The sysctl files porttop reads (ip_local_port_range,
 * ip_local_reserved_ports, integers). Byte 0 picks the parser; the rest,
 * NUL-terminated, is the file's text, as sysctl_read() hands it over.
 * Checks: each parser's contract (outputs untouched on error, range
 * bounds, the bitmap cleared on garbage and its population equal to the
 * count returned, port 0 never set).
 */

static int popcount_map(const uint8_t *map)
{
	int n = 0;
	size_t i;

	for (i = 0; i < SYSCTL_PORT_BITMAP_BYTES; i++)
		n += __builtin_popcount(map[i]);
	return n;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static uint8_t map[SYSCTL_PORT_BITMAP_BYTES];
	char *text;
	unsigned low = 7, high = 9;
	int v = 12345, r;

	if (size < 1)
		return 0;
	text = malloc(size);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		r = sysctl_parse_range(text, &low, &high);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		if (r == 0)
			FUZZ_CHECK(low >= 1 && low <= high && high <= 65535);
		else
			FUZZ_CHECK(low == 7 && high == 9);
		break;
	case 1:
		memset(map, 0xff, sizeof(map));
		r = sysctl_parse_reserved(text, map);
		FUZZ_CHECK(r >= 0 || r == -EINVAL);
		FUZZ_CHECK(popcount_map(map) == (r < 0 ? 0 : r));
		FUZZ_CHECK(!(map[0] & 1));
		break;
	default:
		r = sysctl_parse_int(text, &v);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		if (r != 0)
			FUZZ_CHECK(v == 12345);
		break;
	}
	free(text);
	return 0;
}

FUZZ_TARGET(sysctl)
