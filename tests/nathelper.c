#include "config.h"

/*
 * nathelper: TCP servers and clients for porttop's NAT test
 * (tests/netns_nat.sh), run inside the test's own network namespaces.
 *
 * Usage:
 *   nathelper serve --ready FILE PORT
 *       listen on 0.0.0.0:PORT, write FILE once listening, accept every
 *       connection and keep it open;
 *   nathelper hold --ready FILE [--timeout-ms MS] ADDR:PORT[*N]...
 *       open N (default 1) connections to each ADDR:PORT in turn; each
 *       must complete within MS milliseconds (default 3000), else the
 *       helper fails. Writes FILE, one line per connection
 *       ("ADDR PORT LOCALPORT"), once all are open, and keeps them;
 *   nathelper try [--timeout-ms MS] ADDR:PORT
 *       one connection attempt: prints "connected", "timeout" (no answer
 *       within MS: a SYN dropped on the way) or "error ERRNO-NAME" and
 *       exits 0, 3 or 1.
 * serve and hold run until SIGTERM, SIGINT, SIGHUP, EOF on stdin (when it
 * is a pipe) or 600 s, then exit 0. Exit status 2 on a usage error, 1 on
 * any other failure (with a reason on stderr). IPv4 only.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NH_MAX_CONNS 1024
#define NH_LIFETIME_S 600

static volatile sig_atomic_t nh_stop;

static void nh_on_signal(int sig)
{
	(void)sig;
	nh_stop = 1;
}

static void nh_usage(void)
{
	fputs("usage: nathelper serve --ready FILE PORT\n"
	      "       nathelper hold --ready FILE [--timeout-ms MS] ADDR:PORT[*N]...\n"
	      "       nathelper try [--timeout-ms MS] ADDR:PORT\n", stderr);
	exit(2);
}

static void nh_die(const char *what)
{
	fprintf(stderr, "nathelper: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long nh_number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		nh_usage();
	return v;
}

/* "10.0.0.1:80*4" -> address, port, count. */
static void nh_target(const char *spec, struct sockaddr_in *sin, long *count)
{
	char buf[64], *colon, *star;

	if (strlen(spec) >= sizeof(buf))
		nh_usage();
	strcpy(buf, spec);
	*count = 1;
	star = strchr(buf, '*');
	if (star) {
		*star = '\0';
		*count = nh_number(star + 1, 1, NH_MAX_CONNS);
	}
	colon = strchr(buf, ':');
	if (!colon)
		nh_usage();
	*colon = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)nh_number(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		nh_usage();
}

/* Write FILE through FILE.tmp and a rename, so readers see all or none. */
static void nh_ready(const char *file, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		nh_die(tmp);
	if (rename(tmp, file) != 0)
		nh_die(file);
}

/*
 * A non-blocking connect that must finish within ms: 0 connected,
 * -ETIMEDOUT when nothing answered, else the negative errno.
 */
static int nh_connect(const struct sockaddr_in *sin, int ms, int *out)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	p.fd = fd;
	p.events = POLLOUT;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (err) {
		close(fd);
		return -err;
	}
	*out = fd;
	return 0;
}

/* Hold until a signal, EOF on a piped stdin, or the lifetime; with a
 * listener, accept (and keep) every connection meanwhile. */
static void nh_wait(int lfd)
{
	static int held[NH_MAX_CONNS];
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	struct stat sb;
	time_t end = time(NULL) + NH_LIFETIME_S;
	size_t k, nheld = 0;
	int watch_stdin;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nh_on_signal;
	sigemptyset(&sa.sa_mask);
	for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		if (sigaction(sigs[k], &sa, NULL) != 0)
			nh_die("sigaction");
	watch_stdin = fstat(STDIN_FILENO, &sb) == 0 &&
		      (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
	while (!nh_stop && time(NULL) < end) {
		struct pollfd p[2] = {
			{ .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = lfd, .events = POLLIN },
		};
		int r = poll(p, 2, 500);

		if (r < 0 && errno != EINTR)
			nh_die("poll");
		if (r <= 0)
			continue;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[64];

			if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
				break;
		}
		if (p[1].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0 && nheld < NH_MAX_CONNS)
				held[nheld++] = fd;
			else if (fd >= 0)
				close(fd);
		}
	}
	for (k = 0; k < nheld; k++)
		close(held[k]);
}

static int nh_serve(const char *file, long port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		nh_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		nh_die("bind");
	if (listen(fd, 128) != 0)
		nh_die("listen");
	nh_ready(file, "listening\n");
	nh_wait(fd);
	return 0;
}

static int nh_hold(const char *file, int ms, int argc, char **argv)
{
	static char report[NH_MAX_CONNS * 48];
	size_t used = 0, nconn = 0;
	int i;

	for (i = 0; i < argc; i++) {
		struct sockaddr_in sin, local;
		char addr[INET_ADDRSTRLEN];
		long count, k;

		nh_target(argv[i], &sin, &count);
		inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof(addr));
		for (k = 0; k < count; k++) {
			socklen_t len = sizeof(local);
			int fd = -1, err;

			if (++nconn > NH_MAX_CONNS) {
				fprintf(stderr, "nathelper: more than %d "
					"connections\n", NH_MAX_CONNS);
				return 1;
			}
			err = nh_connect(&sin, ms, &fd);
			if (err) {
				fprintf(stderr, "nathelper: connection %ld to "
					"%s:%u: %s\n", k + 1, addr,
					ntohs(sin.sin_port), strerror(-err));
				return 1;
			}
			if (getsockname(fd, (struct sockaddr *)&local, &len))
				nh_die("getsockname");
			used += (size_t)snprintf(report + used,
						 sizeof(report) - used,
						 "%s %u %u\n", addr,
						 ntohs(sin.sin_port),
						 ntohs(local.sin_port));
		}
	}
	nh_ready(file, report);
	nh_wait(-1);
	return 0;
}

static int nh_try(int ms, const char *spec)
{
	struct sockaddr_in sin;
	long count;
	int fd = -1, err;

	nh_target(spec, &sin, &count);
	err = nh_connect(&sin, ms, &fd);
	if (err == 0) {
		puts("connected");
		close(fd);
		return 0;
	}
	if (err == -ETIMEDOUT) {
		puts("timeout");
		return 3;
	}
	printf("error %s\n", strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	long ms = 3000;
	int i;

	if (argc < 2)
		nh_usage();
	signal(SIGPIPE, SIG_IGN);
	for (i = 2; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--ready") == 0)
			file = argv[i + 1];
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			ms = nh_number(argv[i + 1], 1, 600000);
		else
			nh_usage();
	}
	if (strcmp(argv[1], "serve") == 0 && file && i + 1 == argc)
		return nh_serve(file, nh_number(argv[i], 1, 65535));
	if (strcmp(argv[1], "hold") == 0 && file && i < argc)
		return nh_hold(file, (int)ms, argc - i, argv + i);
	if (strcmp(argv[1], "try") == 0 && !file && i + 1 == argc)
		return nh_try((int)ms, argv[i]);
	nh_usage();
	return 2;
}
