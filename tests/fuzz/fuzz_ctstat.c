#include "config.h"

#include <string.h>

#include "conntrack.h"
#include "fuzz.h"

/*
 * /proc/net/stat/nf_conntrack (per-CPU hex counters under a header that
 * names the columns). Checks: a failure zeroes the result; known bits
 * only name real columns; unknown columns stay 0; at most one CPU line per
 * input line.
 */

static int fuzz_one(const uint8_t *data, size_t size)
{
	static const struct ct_stats zero;
	struct ct_stats st;
	size_t lines = 0, i;
	unsigned col;
	int r;

	memset(&st, 0xa5, sizeof(st));
	r = ct_parse_stat((const char *)data, size, &st);
	FUZZ_CHECK(r == 0 || r < 0);
	if (r < 0) {
		FUZZ_CHECK(memcmp(&st, &zero, sizeof(st)) == 0);
		return 0;
	}
	FUZZ_CHECK(st.known != 0);
	FUZZ_CHECK((st.known >> CT_S_MAX) == 0);
	for (col = 0; col < CT_S_MAX; col++) {
		if (!(st.known & (1u << col)))
			FUZZ_CHECK(st.v[col] == 0);
		FUZZ_CHECK(ct_stat_name(col) != NULL);
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	FUZZ_CHECK(st.cpus <= lines + 1);
	return 0;
}

FUZZ_TARGET(ctstat)
