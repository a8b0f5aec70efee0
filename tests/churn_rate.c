#include "config.h"

/*
 * churn_rate: opens and closes TCP connections to one destination at a
 * known rate, the client closing first (so each client port goes to
 * TIME_WAIT for 60 s), for porttop's rate and forecast tests. Linux only;
 * meant for a private network namespace.
 *
 * Usage:
 *   churn_rate --port P --rate R --duration S [--ready FILE] --report FILE
 *   churn_rate --port P --burst N --every MS --duration S [--ready FILE]
 *              --report FILE
 *
 * A listener on 127.0.0.1:P (keep P outside ip_local_port_range) runs in
 * a child process: it accepts, reads to EOF (the client's FIN) and closes.
 * The client connects to it without bind() and closes first at once:
 *   --rate R     R connections per second on an absolute schedule
 *                (connection k starts at start + k / R), so the average
 *                rate is exact whatever the cost of each. Each closes
 *                with shutdown(SHUT_WR) (its FIN), reads the listener's
 *                FIN, then close(): every one ends in TIME_WAIT;
 *   --burst N    every MS milliseconds open N connections, then close()
 *                all N in a row: N destroy events at once, to overrun a
 *                small event queue. An orphaned socket is freed (and its
 *                destroy event sent) as it enters TIME_WAIT, so the
 *                events come with the TIME_WAIT entries; in such a
 *                loopback burst the kernel now and then resets a few
 *                connections instead (count the TIME_WAIT entries with
 *                ss for the exact number).
 * --ready FILE is written (FILE.tmp, renamed) when the first connection is
 * about to start: {"start": WALL}. After --duration seconds the client
 * stops, waits until the listener has closed every connection (so every
 * client port is in TIME_WAIT), and writes --report FILE:
 *   {"start": WALL, "end": WALL, "connections": N, "errors": E,
 *    "max_life_us": U, "rate": R}
 * start and end are wall-clock seconds (CLOCK_REALTIME) of the first
 * connect() and the last close(); rate = N / (end - start) for --rate, 0
 * for --burst; max_life_us the longest connect()-to-close() time. Exit 0
 * when E == 0, 1 otherwise (a reason on stderr), 2 on a usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CR_BACKLOG 4096
#define CR_MAX_BURST 4096

struct cr_opts {
	unsigned port;
	double rate;
	long burst;
	long every_ms;
	double duration;
	const char *ready;
	const char *report;
};

static void cr_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void cr_die(const char *fmt, ...)
{
	va_list ap;

	fputs("churn_rate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void cr_usage(void) __attribute__((noreturn));

static void cr_usage(void)
{
	fputs("usage: churn_rate --port P (--rate R | --burst N --every MS) "
	      "--duration S [--ready FILE] --report FILE\n", stderr);
	exit(2);
}

static double cr_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cr_sleep_until(double mono_deadline)
{
	struct timespec ts;
	double left = mono_deadline - cr_now(CLOCK_MONOTONIC);

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double cr_number(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		cr_usage();
	return v;
}

static void cr_write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		cr_die("path too long: %s", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		cr_die("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) != 0)
		cr_die("cannot rename %s: %s", tmp, strerror(errno));
}

static struct sockaddr_in cr_addr(unsigned port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* The listener: accept, read to EOF, close; the client closed first. */
static void cr_server(int lfd) __attribute__((noreturn));

static void cr_server(int lfd)
{
	char buf[256];

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		ssize_t n;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(errno == EINVAL ? 0 : 1);
		}
		do
			n = read(fd, buf, sizeof(buf));
		while (n > 0 || (n < 0 && errno == EINTR));
		close(fd);
	}
}

/* Close first: our FIN, the listener's FIN, then close(). 0 or -1. */
static int cr_close_first(int fd)
{
	char buf[64];
	ssize_t n;

	if (shutdown(fd, SHUT_WR) != 0) {
		close(fd);
		return -1;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
	return n == 0 ? 0 : -1;
}

/* connect() to the listener; the socket, or -1 (errno set). */
static int cr_connect(const struct sockaddr_in *dst)
{
	struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* A listener that never answers must not hang the test. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct cr_opts o = { 0, 0, 0, 0, 0, NULL, NULL };
	struct sockaddr_in dst;
	double start_wall, end_wall = 0, start_mono, stop_mono, max_life = 0;
	long conns = 0, errors = 0;
	int lfd, one = 1, i, status;
	static int burst_fd[CR_MAX_BURST];
	char text[512];
	pid_t srv;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			cr_usage();
		if (strcmp(a, "--port") == 0)
			o.port = (unsigned)cr_number(argv[++i], 1, 65535);
		else if (strcmp(a, "--rate") == 0)
			o.rate = cr_number(argv[++i], 0.1, 100000);
		else if (strcmp(a, "--burst") == 0)
			o.burst = (long)cr_number(argv[++i], 1, CR_MAX_BURST);
		else if (strcmp(a, "--every") == 0)
			o.every_ms = (long)cr_number(argv[++i], 1, 600000);
		else if (strcmp(a, "--duration") == 0)
			o.duration = cr_number(argv[++i], 0.01, 3600);
		else if (strcmp(a, "--ready") == 0)
			o.ready = argv[++i];
		else if (strcmp(a, "--report") == 0)
			o.report = argv[++i];
		else
			cr_usage();
	}
	if (!o.port || !o.report || o.duration <= 0 ||
	    (o.rate > 0) == (o.burst > 0) || (o.burst > 0 && o.every_ms <= 0))
		cr_usage();

	signal(SIGPIPE, SIG_IGN);
	dst = cr_addr(o.port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (const struct sockaddr *)&dst, sizeof(dst)) != 0 ||
	    listen(lfd, CR_BACKLOG) != 0)
		cr_die("cannot listen on 127.0.0.1:%u: %s", o.port, strerror(errno));
	srv = fork();
	if (srv < 0)
		cr_die("fork: %s", strerror(errno));
	if (srv == 0) {
		/* Never outlive the client (a killed test must not leave a
		 * listener behind in the namespace). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		cr_server(lfd);
	}

	start_wall = cr_now(CLOCK_REALTIME);
	start_mono = cr_now(CLOCK_MONOTONIC);
	stop_mono = start_mono + o.duration;
	if (o.ready) {
		snprintf(text, sizeof(text), "{\"start\": %.6f}\n", start_wall);
		cr_write_file(o.ready, text);
	}
	for (;;) {
		double t = o.rate > 0 ? start_mono + (double)conns / o.rate
				      : start_mono + (double)(conns / o.burst) *
					(double)o.every_ms / 1000.0;
		double t0;
		long k, n = o.rate > 0 ? 1 : o.burst;

		if (t >= stop_mono)
			break;
		cr_sleep_until(t);
		t0 = cr_now(CLOCK_MONOTONIC);
		for (k = 0; k < n; k++) {
			burst_fd[k] = cr_connect(&dst);
			if (burst_fd[k] < 0 && errors++ < 5)
				fprintf(stderr, "churn_rate: connect: %s\n",
					strerror(errno));
		}
		for (k = 0; k < n; k++) {
			if (burst_fd[k] < 0)
				continue;
			if (o.burst > 0)
				close(burst_fd[k]);
			else if (cr_close_first(burst_fd[k]) != 0 && errors++ < 5)
				fprintf(stderr, "churn_rate: no EOF from the "
					"listener\n");
		}
		if (cr_now(CLOCK_MONOTONIC) - t0 > max_life)
			max_life = cr_now(CLOCK_MONOTONIC) - t0;
		end_wall = cr_now(CLOCK_REALTIME);
		conns += n;
	}

	/* Let the listener close everything: every client port then sits in
	 * TIME_WAIT. Closing the listener ends the child's accept(). */
	cr_sleep_until(cr_now(CLOCK_MONOTONIC) + 0.5);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	kill(srv, SIGTERM);
	if (waitpid(srv, &status, 0) < 0)
		cr_die("waitpid: %s", strerror(errno));

	snprintf(text, sizeof(text),
		 "{\"start\": %.6f, \"end\": %.6f, \"connections\": %ld, "
		 "\"errors\": %ld, \"max_life_us\": %.0f, \"rate\": %.3f}\n",
		 start_wall, end_wall, conns, errors, max_life * 1e6,
		 o.rate > 0 && conns > 1 && end_wall > start_wall ?
		 (double)(conns - 1) / (end_wall - start_wall) : 0.0);
	cr_write_file(o.report, text);
	if (errors) {
		fprintf(stderr, "churn_rate: %ld connections failed\n", errors);
		return 1;
	}
	return 0;
}
