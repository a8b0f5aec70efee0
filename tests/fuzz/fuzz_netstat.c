#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "netstat.h"

/*
 * /proc/net/snmp and /proc/net/netstat (pairs of "Sect: names" and
 * "Sect: values" lines). Checks: the count returned equals the bits
 * set in found, only names asked for are found, values not found are
 * left as they were.
 */

static int fuzz_one(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"TWRecycled", "TCPTimeWaitOverflow", "ActiveOpens", "X",
	};
	static const char *const sects[] = { "TcpExt", "Tcp", "Ip", "" };
	uint64_t vals[4] = { 11, 22, 33, 44 };
	unsigned found = 0;
	int r;
	size_t i;

	if (size < 1)
		return 0;
	r = netstat_parse((const char *)data + 1, size - 1, sects[data[0] & 3],
			  names, vals, 4, &found);
	FUZZ_CHECK(r >= 0 && r <= 4);
	FUZZ_CHECK(r == __builtin_popcount(found));
	FUZZ_CHECK((found >> 4) == 0);
	for (i = 0; i < 4; i++)
		if (!(found & (1u << i)))
			FUZZ_CHECK(vals[i] == (i + 1) * 11);
	return 0;
}

FUZZ_TARGET(netstat)
