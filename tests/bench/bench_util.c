#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

long bench_self_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

void bench_result(const char *label, double *ms, size_t n, double *cpu,
		  long sockets, long rss_kib)
{
	double med = bench_median(ms, n);

	printf("RESULT\t%s\t%.3f\t%.3f\t%.3f\t%zu\t%ld\t", label, med,
	       n ? ms[0] : 0.0, n ? ms[n - 1] : 0.0, n, sockets);
	if (rss_kib >= 0)
		printf("%ld\t", rss_kib);
	else
		printf("-\t");
	if (cpu)
		printf("%.3f\n", bench_median(cpu, n));
	else
		printf("-\n");
	fflush(stdout);
}

long bench_num(const char *prog, const char *opt, const char *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "%s: bad value for %s: '%s'\n", prog, opt, val);
		exit(2);
	}
	return v;
}
