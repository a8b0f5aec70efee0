#include "config.h"

/*
 * bench_floor: the floor of `make bench` on its own: RUNS times (after
 * one warm-up) the bare sock_diag dumps of one sample (bench_dump.h).
 *
 *   bench_floor [-n RUNS] [-l LABEL] [-f]
 *
 * -f: TCP as one dump per family (what porttop falls back to on a kernel
 * without the older all-families request).
 * Prints one result line (bench_util.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_dump.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
	const char *label = "floor";
	struct bench_dump *bd;
	long runs = 9, socks = 0;
	double *ms;
	int run, opt, per_family = 0;

	while ((opt = getopt(argc, argv, "n:l:f")) != -1) {
		if (opt == 'n')
			runs = bench_num("bench_floor", "-n", optarg);
		else if (opt == 'l')
			label = optarg;
		else if (opt == 'f')
			per_family = 1;
		else
			return 2;
	}
	ms = calloc((size_t)runs, sizeof(double));
	bd = bench_dump_new(per_family);
	if (!ms || !bd) {
		perror("bench_floor: netlink");
		return 1;
	}
	for (run = -1; run < runs; run++) {
		double t0 = bench_now_ms();

		socks = bench_dump_all(bd);
		if (socks < 0) {
			perror("bench_floor: dump");
			return 1;
		}
		if (run >= 0)
			ms[run] = bench_now_ms() - t0;
	}
	bench_result(label, ms, (size_t)runs, NULL, socks, bench_self_hwm_kib());
	bench_dump_free(bd);
	free(ms);
	return 0;
}
