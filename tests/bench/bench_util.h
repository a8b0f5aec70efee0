#ifndef PORTTOP_BENCH_UTIL_H
#define PORTTOP_BENCH_UTIL_H

#include <stddef.h>

/*
 * bench_util: what the `make bench` programs share: the clock, medians,
 * peak RSS, and the one result line that tests/bench/run.sh reads:
 *
 *   RESULT<TAB>label<TAB>median_ms<TAB>min_ms<TAB>max_ms<TAB>runs
 *         <TAB>sockets<TAB>peak_rss_kib<TAB>cpu_ms
 *
 * cpu_ms is the median CPU time (user + system) of one run, or "-" when
 * not measured; peak_rss_kib is "-" when unknown.
 */

/* CLOCK_MONOTONIC in milliseconds. */
double bench_now_ms(void);

/* Median of v[0..n) (sorts v); 0 when n == 0. */
double bench_median(double *v, size_t n);

/* This process's peak RSS (VmHWM) in KiB, or -1. */
long bench_self_hwm_kib(void);

/*
 * Print the result line for the times ms[0..n) (sorted in place), cpu
 * times cpu[0..n) or NULL, the sockets the runs saw and the peak RSS
 * (KiB, -1 unknown).
 */
void bench_result(const char *label, double *ms, size_t n, double *cpu,
		  long sockets, long rss_kib);

/* A positive integer option value, or exit(2) with a message. */
long bench_num(const char *prog, const char *opt, const char *val);

#endif
