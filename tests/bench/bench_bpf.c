#include "config.h"

/*
 * bench_bpf: the cost of the exact port state (engine/bpfport.h) at the
 * bench population: RUNS times (after one warm-up) porttop's own TCP and
 * UDP dump (diag_dump_all, for the cookies to join), then the BPF
 * iterator read and the join by cookie, and next to each the bare floor
 * (bench_dump.h; before or after in turn).
 *
 *   bench_bpf [-n RUNS] [-l LABEL]
 *
 * Result lines: "LABEL: read+join", "LABEL: read", "LABEL: join",
 * "LABEL: floor", and "LABEL: read+join: x floor" (the median of the
 * per-run ratios of read+join to its neighbouring floor). Without BPF in
 * the build or the kernel it says why on stderr and prints no result.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_dump.h"
#include "bench_util.h"
#include "bpfport.h"
#include "diag.h"
#include "nlio.h"
#include "sock.h"

int main(int argc, char **argv)
{
	const char *label = "bpf";
	long runs = 11, r;
	int opt, err;
	double *rj, *rd, *jn, *fl, *ratio;
	struct bench_dump *bd;
	struct bpfport *bp;
	struct bpfport_vec v;
	struct bpfport_stats st;
	struct diag_stats dst;
	struct sockvec sv;
	struct nlio io;
	char name[200];

	while ((opt = getopt(argc, argv, "n:l:")) != -1) {
		if (opt == 'n')
			runs = bench_num("bench_bpf", "-n", optarg);
		else if (opt == 'l')
			label = optarg;
		else
			return 2;
	}
	err = bpfport_open(&bp);
	if (err) {
		fprintf(stderr, "bench_bpf: not measured: %s\n",
			bpfport_strerror(err));
		return 0;
	}
	rj = calloc((size_t)runs, sizeof(double));
	rd = calloc((size_t)runs, sizeof(double));
	jn = calloc((size_t)runs, sizeof(double));
	fl = calloc((size_t)runs, sizeof(double));
	ratio = calloc((size_t)runs, sizeof(double));
	bd = bench_dump_new(0);
	if (!rj || !rd || !jn || !fl || !ratio || !bd) {
		perror("bench_bpf");
		return 1;
	}
	err = nlio_open_sock_diag(&io, 0);
	if (err) {
		fprintf(stderr, "bench_bpf: sock_diag: %s\n", diag_strerror(err));
		return 1;
	}
	sockvec_init(&sv);
	bpfport_vec_init(&v);
	memset(&st, 0, sizeof(st));
	for (r = -1; r < runs; r++) {
		double t0, t1, t2, f0 = 0;

		if (r % 2 == 0) {
			f0 = bench_now_ms();
			if (bench_dump_all(bd) < 0)
				goto dump_fail;
			f0 = bench_now_ms() - f0;
		}
		memset(&dst, 0, sizeof(dst));
		err = diag_dump_all(&io, &sv, &dst);
		if (err) {
			fprintf(stderr, "bench_bpf: dump: %s\n",
				diag_strerror(err));
			return 1;
		}
		t0 = bench_now_ms();
		err = bpfport_read(bp, &v, &st);
		t1 = bench_now_ms();
		if (!err)
			err = bpfport_join(&v, &sv, &st);
		t2 = bench_now_ms();
		if (err) {
			fprintf(stderr, "bench_bpf: %s\n", bpfport_strerror(err));
			return 1;
		}
		if (r % 2 != 0) {
			f0 = bench_now_ms();
			if (bench_dump_all(bd) < 0)
				goto dump_fail;
			f0 = bench_now_ms() - f0;
		}
		if (r < 0)
			continue;
		rd[r] = t1 - t0;
		jn[r] = t2 - t1;
		rj[r] = t2 - t0;
		fl[r] = f0;
		ratio[r] = f0 > 0 ? rj[r] / f0 : 0.0;
	}
	fflush(stdout);
	fprintf(stderr, "bench_bpf: %zu records, %zu dump sockets; over all "
		"runs %llu joined, %llu missing, %llu malformed\n", v.len,
		sv.len, (unsigned long long)st.joined,
		(unsigned long long)st.missing,
		(unsigned long long)st.malformed);
	snprintf(name, sizeof(name), "%s: read+join", label);
	bench_result(name, rj, (size_t)runs, NULL, (long)v.len,
		     bench_self_hwm_kib());
	snprintf(name, sizeof(name), "%s: read", label);
	bench_result(name, rd, (size_t)runs, NULL, (long)v.len, -1);
	snprintf(name, sizeof(name), "%s: join", label);
	bench_result(name, jn, (size_t)runs, NULL, (long)sv.len, -1);
	snprintf(name, sizeof(name), "%s: floor", label);
	bench_result(name, fl, (size_t)runs, NULL, (long)sv.len, -1);
	snprintf(name, sizeof(name), "%s: read+join: x floor", label);
	bench_result(name, ratio, (size_t)runs, NULL, (long)v.len, -1);
	bpfport_vec_release(&v);
	sockvec_release(&sv);
	nlio_close(&io);
	bpfport_free(bp);
	bench_dump_free(bd);
	free(rj);
	free(rd);
	free(jn);
	free(fl);
	free(ratio);
	return 0;
dump_fail:
	perror("bench_bpf: floor dump");
	return 1;
}
