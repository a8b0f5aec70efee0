#include "config.h"

/*
 * bench_run: time a command the way `make bench` times porttop, ss and
 * netstat: RUNS runs (after WARM unrecorded ones), each with stdin and
 * stdout on /dev/null, wall time from CLOCK_MONOTONIC around fork and
 * wait, CPU time and peak RSS from the child's own rusage (wait4).
 *
 *   bench_run [-n RUNS] [-w WARM] [-l LABEL] [-s SOCKETS] [-p PRECMD]
 *             [-k] [-o FILE] -- CMD [ARG]...
 *
 * -p: a shell command run (untimed) before every run, e.g. waiting for
 * the load to be quiet; -k: CMD keeps bench_run's stdin and stdout (a
 * terminal UI); -o: the result line goes to FILE instead of stdout;
 * -t SECS: a run still going after SECS is killed, no further run is
 * made, and the label says so (its time is then a lower bound).
 * Prints one result line (bench_util.h; peak RSS is the largest of the
 * runs). Exits 1 when a run of CMD (or PRECMD) does not exit 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

static double br_tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

/* One run: 0 and the measures, 1 when it was stopped at the limit
 * (limit_ms > 0), or -1 when CMD failed. */
static int br_once(char **cmd, int keep, double limit_ms, double *wall,
		   double *cpu, long *rss)
{
	int stopped = 0;
	struct rusage ru;
	double t0 = bench_now_ms();
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("bench_run: fork");
		return -1;
	}
	if (pid == 0) {
		int fd = keep ? -1 : open("/dev/null", O_RDWR);

		if (!keep && (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0))
			_exit(126);
		execvp(cmd[0], cmd);
		fprintf(stderr, "bench_run: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = wait4(pid, &status, limit_ms > 0 ? WNOHANG : 0, &ru);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("bench_run: wait4");
			return -1;
		}
		if (w == 0 && !stopped && bench_now_ms() - t0 > limit_ms) {
			kill(pid, SIGKILL);
			stopped = 1;
		}
		if (w == 0)
			usleep(20000);
	}
	*wall = bench_now_ms() - t0;
	*cpu = br_tv_ms(&ru.ru_utime) + br_tv_ms(&ru.ru_stime);
	*rss = ru.ru_maxrss;   /* KiB on Linux */
	if (stopped)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_run: %s failed (status %d)\n", cmd[0],
			status);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *label = NULL, *pre = NULL, *outfile = NULL;
	int keep = 0, stopped = 0;
	double limit_ms = 0;
	char name[256];
	long runs = 7, warm = 1, socks = -1, rss_max = -1;
	double *wall, *cpu;
	int opt, i;

	while ((opt = getopt(argc, argv, "+n:w:l:s:p:ko:t:")) != -1) {
		switch (opt) {
		case 'n':
			runs = bench_num("bench_run", "-n", optarg);
			break;
		case 'w':
			warm = strtol(optarg, NULL, 10);
			break;
		case 'l':
			label = optarg;
			break;
		case 's':
			socks = strtol(optarg, NULL, 10);
			break;
		case 'p':
			pre = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 't':
			limit_ms = 1000.0 * (double)bench_num("bench_run", "-t",
							     optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench_run [-n RUNS] [-w WARM] [-l LABEL] "
			"[-s SOCKETS] -- CMD [ARG]...\n");
		return 2;
	}
	if (!label)
		label = argv[optind];
	wall = calloc((size_t)runs, sizeof(double));
	cpu = calloc((size_t)runs, sizeof(double));
	if (!wall || !cpu)
		return 1;
	for (i = -(int)warm; i < runs; i++) {
		double w, c;
		long rss;
		int r;

		if (pre && system(pre) != 0) {
			fprintf(stderr, "bench_run: '%s' failed\n", pre);
			return 1;
		}
		r = br_once(argv + optind, keep, limit_ms, &w, &c, &rss);
		if (r < 0)
			return 1;
		if (r > 0) {
			/* this run alone is reported: a lower bound */
			wall[0] = w;
			cpu[0] = c;
			if (rss > rss_max)
				rss_max = rss;
			runs = 1;
			stopped = 1;
			break;
		}
		if (i < 0)
			continue;
		wall[i] = w;
		cpu[i] = c;
		if (rss > rss_max)
			rss_max = rss;
	}
	if (outfile && !freopen(outfile, "w", stdout)) {
		perror("bench_run: output file");
		return 1;
	}
	if (stopped) {
		snprintf(name, sizeof(name), "%s (stopped after %.0f s)", label,
			 limit_ms / 1000.0);
		label = name;
		runs = 1;
	}
	bench_result(label, wall, (size_t)runs, cpu, socks, rss_max);
	free(wall);
	free(cpu);
	return 0;
}
