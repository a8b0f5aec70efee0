#include "config.h"

/*
 * exhaust: runs a destination out of local ports, for porttop's demo
 * recording (make demo-recording). Linux only; meant for a private
 * network namespace with a small ip_local_port_range and tcp_tw_reuse 0.
 *
 * Usage: exhaust --port P [--port2 Q] [--hold N] [--hold2 M] [--rate R]
 *                [--after SECS] [--max SECS]
 *
 * A server in a child process listens on 127.0.0.1:P (and :Q), accepts,
 * and closes each connection once it has read the peer's EOF; held
 * connections stay open. The client first opens N connections to P and
 * M to Q and holds them, then opens and at once closes R connections a
 * second to P, without bind(). The client closes first, so each of its
 * ports stays in TIME_WAIT for 60 s: at R a second the range runs dry,
 * connect() fails with EADDRNOTAVAIL, and the client keeps trying for
 * --after seconds (default 5) before it stops (or after --max seconds in
 * all, default 120). Q keeps its connections and its room: the limit is
 * per destination. At the end it prints one line:
 *   {"connections": C, "failures": F, "first_failure_s": T}
 * and exits 0 when the range did run out, 1 otherwise.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EX_MAX_FDS 8192

static double ex_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ex_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int ex_listen(unsigned port)
{
	struct sockaddr_in a;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The server: accept everything, close what the peer closed. */
static void ex_serve(int l1, int l2)
{
	static struct pollfd pfd[EX_MAX_FDS];
	nfds_t n = 0, i;
	char buf[512];

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	pfd[n].fd = l1;
	pfd[n++].events = POLLIN;
	if (l2 >= 0) {
		pfd[n].fd = l2;
		pfd[n++].events = POLLIN;
	}
	for (;;) {
		nfds_t listeners = l2 >= 0 ? 2 : 1;

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (i = 0; i < listeners; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			if (n >= EX_MAX_FDS) {
				close(c);
				continue;
			}
			pfd[n].fd = c;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		for (i = listeners; i < n; i++) {
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0 || (r < 0 && errno == EINTR))
				continue;
			close(pfd[i].fd);
			pfd[i] = pfd[--n];
			i--;
		}
	}
}

static int ex_connect(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static long ex_arg(const char *v, long min, long max, const char *name)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		fprintf(stderr, "exhaust: bad %s '%s'\n", name, v);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long port = 0, port2 = 0, hold = 0, hold2 = 0, rate = 25, after = 5, max = 120;
	long conns = 0, fails = 0, i;
	double start, first_fail = -1, next;
	int l1, l2 = -1, held[2048], nheld = 0;
	pid_t srv;

	for (i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (strcmp(o, "--port") == 0)
			port = ex_arg(v, 1, 65535, o);
		else if (strcmp(o, "--port2") == 0)
			port2 = ex_arg(v, 1, 65535, o);
		else if (strcmp(o, "--hold") == 0)
			hold = ex_arg(v, 0, 1000, o);
		else if (strcmp(o, "--hold2") == 0)
			hold2 = ex_arg(v, 0, 1000, o);
		else if (strcmp(o, "--rate") == 0)
			rate = ex_arg(v, 1, 10000, o);
		else if (strcmp(o, "--after") == 0)
			after = ex_arg(v, 0, 3600, o);
		else if (strcmp(o, "--max") == 0)
			max = ex_arg(v, 1, 3600, o);
		else
			break;
	}
	if (i != argc || port == 0 || (hold2 && !port2)) {
		fprintf(stderr, "usage: exhaust --port P [--port2 Q] [--hold N] "
			"[--hold2 M] [--rate R] [--after SECS] [--max SECS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	l1 = ex_listen((unsigned)port);
	if (port2)
		l2 = ex_listen((unsigned)port2);
	if (l1 < 0 || (port2 && l2 < 0)) {
		perror("exhaust: listen");
		return 1;
	}
	srv = fork();
	if (srv < 0) {
		perror("exhaust: fork");
		return 1;
	}
	if (srv == 0)
		ex_serve(l1, l2);
	close(l1);
	if (l2 >= 0)
		close(l2);

	for (i = 0; i < hold + hold2; i++) {
		int fd = ex_connect((unsigned)(i < hold ? port : port2));

		if (fd < 0) {
			fprintf(stderr, "exhaust: hold: %s\n", strerror(-fd));
			break;
		}
		held[nheld++] = fd;
	}
	start = next = ex_now();
	while (ex_now() - start < (double)max) {
		int fd;

		ex_sleep(next - ex_now());
		next += 1.0 / (double)rate;
		fd = ex_connect((unsigned)port);
		if (fd >= 0) {
			/* the client closes first: its port goes to TIME_WAIT */
			shutdown(fd, SHUT_WR);
			{
				char b;

				while (read(fd, &b, 1) > 0)
					;
			}
			close(fd);
			conns++;
			continue;
		}
		if (fd != -EADDRNOTAVAIL) {
			fprintf(stderr, "exhaust: connect: %s\n", strerror(-fd));
			break;
		}
		fails++;
		if (first_fail < 0)
			first_fail = ex_now() - start;
		if (ex_now() - start - first_fail >= (double)after)
			break;
	}
	for (i = 0; i < nheld; i++)
		close(held[i]);
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	printf("{\"connections\": %ld, \"failures\": %ld, \"first_failure_s\": %.3f}\n",
	       conns, fails, first_fail);
	return fails > 0 ? 0 : 1;
}
