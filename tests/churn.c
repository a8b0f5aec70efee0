#include "config.h"

/*
 * churn: client and server ends of short TCP connections, for porttop's
 * process-attribution test (tests/netns_attrib.sh).
 *
 * Usage:
 *   churn serve --port PORT --ready FILE [--timeout SECS]
 *   churn client --port PORT -n N --ready FILE --go FILE --done FILE
 *                [--linger SECS] [--timeout SECS]
 *
 * serve: listens on 127.0.0.1:PORT, writes FILE once listening, accepts
 * connections and closes each one as soon as it reads its EOF (so the
 * client, which sends its FIN first, ends in TIME_WAIT). Runs until
 * SIGTERM or the timeout (default 120 s).
 *
 * client: opens N connections to 127.0.0.1:PORT, writes its pid to the
 * ready FILE, and holds them until the go FILE exists. Then it closes
 * them client-first: shutdown(SHUT_WR), read the server's EOF, close();
 * each socket is then a client-side TIME_WAIT entry. It writes the
 * number closed that way to the done FILE, stays --linger seconds
 * (default 0) and exits 0. Any failure exits 1 with a reason on stderr.
 *
 * Files are written to FILE.tmp and renamed, so a reader never sees half
 * of one.
 */

#include <arpa/inet.h>
#include <errno.h>
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

#define CHURN_MAX_CONN 4096

static volatile sig_atomic_t churn_stop;

static void churn_on_signal(int sig)
{
	(void)sig;
	churn_stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "churn: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void loopback(struct sockaddr_in *sa, long port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int serve(long port, const char *ready, long timeout)
{
	static struct pollfd fds[CHURN_MAX_CONN + 1];
	struct sockaddr_in sa;
	double end = now_s() + (double)timeout;
	size_t n = 1, i;
	int one = 1, lfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	loopback(&sa, port);
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0)
		die("listen");
	write_file(ready, "listening\n");
	fds[0].fd = lfd;
	fds[0].events = POLLIN;
	while (!churn_stop && now_s() < end) {
		int r = poll(fds, n, 200);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		for (i = n; i-- > 1;) {
			char buf[256];
			ssize_t got;

			if (!fds[i].revents)
				continue;
			got = read(fds[i].fd, buf, sizeof(buf));
			if (got > 0 || (got < 0 && errno == EINTR))
				continue;
			/* EOF (the client's FIN) or an error: close our end */
			close(fds[i].fd);
			fds[i] = fds[--n];
		}
		if (fds[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c < 0 && errno != EINTR && errno != EAGAIN)
				die("accept");
			if (c >= 0 && n > CHURN_MAX_CONN) {
				close(c);
			} else if (c >= 0) {
				fds[n].fd = c;
				fds[n].events = POLLIN;
				fds[n].revents = 0;
				n++;
			}
		}
	}
	return 0;
}

static int client(long port, long count, const char *ready, const char *go,
		  const char *done, long linger, long timeout)
{
	static int fds[CHURN_MAX_CONN];
	struct sockaddr_in sa;
	double end = now_s() + (double)timeout;
	char text[64];
	struct stat st;
	long i, closed = 0;

	loopback(&sa, port);
	for (i = 0; i < count; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("socket");
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("connect");
	}
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	write_file(ready, text);
	while (stat(go, &st) != 0) {
		if (churn_stop || now_s() > end) {
			fprintf(stderr, "churn: no go file before the timeout\n");
			return 1;
		}
		usleep(20000);
	}
	for (i = 0; i < count; i++)
		if (shutdown(fds[i], SHUT_WR) != 0)
			die("shutdown");
	for (i = 0; i < count; i++) {
		char c;
		ssize_t got;

		/* the server's FIN: after it, close() leaves TIME_WAIT */
		do
			got = read(fds[i], &c, 1);
		while (got < 0 && errno == EINTR);
		if (got != 0) {
			fprintf(stderr, "churn: expected EOF from the server\n");
			return 1;
		}
		close(fds[i]);
		closed++;
	}
	snprintf(text, sizeof(text), "%ld\n", closed);
	write_file(done, text);
	end = now_s() + (double)linger;
	while (!churn_stop && now_s() < end)
		usleep(50000);
	return 0;
}

static void usage(void)
{
	fputs("usage: churn serve --port PORT --ready FILE [--timeout SECS]\n"
	      "       churn client --port PORT -n N --ready FILE --go FILE "
	      "--done FILE [--linger SECS] [--timeout SECS]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ready = NULL, *go = NULL, *done = NULL;
	long port = 0, count = 0, linger = 0, timeout = 120;
	struct sigaction sa;
	int i;

	if (argc < 2)
		usage();
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--port"))
			port = arg_num(argv[++i], 1, 65535);
		else if (!strcmp(a, "-n"))
			count = arg_num(argv[++i], 1, CHURN_MAX_CONN);
		else if (!strcmp(a, "--ready"))
			ready = argv[++i];
		else if (!strcmp(a, "--go"))
			go = argv[++i];
		else if (!strcmp(a, "--done"))
			done = argv[++i];
		else if (!strcmp(a, "--linger"))
			linger = arg_num(argv[++i], 0, 3600);
		else if (!strcmp(a, "--timeout"))
			timeout = arg_num(argv[++i], 1, 3600);
		else
			usage();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = churn_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "serve") && port && ready)
		return serve(port, ready, timeout);
	if (!strcmp(argv[1], "client") && port && count && ready && go && done)
		return client(port, count, ready, go, done, linger, timeout);
	usage();
	return 2;
}
