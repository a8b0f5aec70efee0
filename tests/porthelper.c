#include "config.h"

/*
 * porthelper: builds a known socket population in the current network
 * namespace and measures the truth about it by exhaustion, for porttop's
 * integration tests. Linux only. Meant to run as root inside a private
 * network namespace (tests/lib.sh: netns_enter) whose sysctls the test has
 * set: a small ip_local_port_range that holds the ports 40100 and 40101.
 *
 * Usage:
 *   porthelper run --report FILE [--tw-age MS] -- CMD [ARG]...
 *   porthelper hold --ready FILE [--tw-age MS] [--timeout SECS]
 *
 * Population (every socket is checked as it is built):
 *   TCP listeners outside the range: 127.0.0.1:5001, 127.0.0.1:5002,
 *     127.0.0.2:5001 and [::1]:5003 (backlog 4096);
 *   owned ports inside the range: a listener on 127.0.0.1:40100 and a
 *     bound-only socket (bind, no listen) on 127.0.0.1:40101;
 *   ESTABLISHED clients, whose server ends the helper holds too: 30 to
 *     127.0.0.1:5001, 20 to 127.0.0.1:5002, 10 to 127.0.0.2:5001 and 15 to
 *     [::1]:5003;
 *   client-side TIME_WAIT: 25 to 127.0.0.1:5001 and 12 to [::1]:5003. The
 *     client shuts down its sending side first; the server reads EOF and
 *     closes; the client, in FIN_WAIT2, gets the server's FIN and the kernel
 *     moves it to TIME_WAIT. The helper counts an entry once the client has
 *     read that EOF and TCP_INFO shows the full socket gone (TCP_CLOSE);
 *   UDP: 4 sockets bound to 127.0.0.1:0 and 2 connected to 127.0.0.1:5353.
 * Every client and UDP local port must lie in the range, else the helper
 * fails (the sysctls were not set).
 *
 * run: builds the population, waits until the youngest TIME_WAIT entry is
 * MS milliseconds old (--tw-age, default 0), runs CMD (fork, exec, wait;
 * it inherits none of the helper's sockets), checks the population is
 * unchanged, then measures:
 *   per pool address (127.0.0.1, 0.0.0.0, ::1, ::), TCP and UDP, bind_ok:
 *     socket() + bind(ADDR:0) calls that succeed before EADDRINUSE (IPv6
 *     sockets keep the namespace's IPV6_V6ONLY default, 0);
 *   UDP connect_ok: socket() + connect(127.0.0.1:5353) calls that succeed
 *     before the autobind fails with EAGAIN. The kernel autobinds before it
 *     picks a source address, so this draws on the wildcard's pool;
 *   per destination, connects_ok: further non-blocking connect() calls
 *     toward it that succeed (0 or EINPROGRESS) before EADDRNOTAVAIL. They
 *     are closed with SO_LINGER 0 (RST, no TIME_WAIT) and the listener's
 *     queue is drained before the next destination. With tcp_tw_reuse this
 *     reuses (destroys) TIME_WAIT entries, so it comes last.
 * Each loop closes its sockets before the next one starts, stops at 70000
 * calls (a failure), and fails on any errno but the one it expects. It then writes FILE. Exit status: 0 when all went well and
 * CMD exited 0; 1 otherwise, with a reason on stderr (FILE is still written
 * when the measurement could be made); 2 on a usage error.
 *
 * hold: builds the population, writes FILE (the same object without the
 * measured keys) once it is ready, then waits for SIGTERM, SIGINT, SIGHUP,
 * EOF on stdin (only when stdin is a pipe or a socket) or the timeout
 * (default 600 s), and exits 0.
 *
 * On a normal exit both ends of every ESTABLISHED connection are aborted
 * (RST), so the helper leaves no TIME_WAIT beyond the ones it made.
 *
 * FILE is one JSON object on one line, written to FILE.tmp and renamed:
 *   {"range": {"low": 40000, "high": 40199},
 *    "owned": [{"proto": "tcp", "addr": "127.0.0.1", "port": 40100,
 *               "state": "LISTEN"}, ...],
 *    "destinations": [{"proto": "tcp", "saddr": "127.0.0.1",
 *        "daddr": "127.0.0.1", "dport": 5001, "established": 30,
 *        "time_wait": 25, "in_use": 55, "connects_ok": 133}, ...],
 *    "pools": [{"proto": "tcp", "saddr": "127.0.0.1", "bind_ok": 123}, ...
 *              {"proto": "udp", "saddr": "::", "bind_ok": 184}],
 *    "udp": {"bound": 4, "connected": 2, "ports_in_range": 6,
 *            "connect_ok": 184},
 *    "cmd_status": 0}
 * saddr is the local address the kernel chose for the helper's clients;
 * in_use the number of distinct local ports they hold. pools lists the TCP
 * pools first, each in the order above. connects_ok, bind_ok, connect_ok and
 * cmd_status appear only in run mode.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PH_LOOP_MAX 70000
#define PH_BACKLOG 4096
#define PH_IO_TIMEOUT_MS 5000
#define PH_MAX_PER_DEST 64
#define PH_PORT_BYTES (65536 / 8)

struct ph_addr_spec {
	int family;
	const char *addr;
	unsigned port;
};

/* The listeners the destinations connect to (outside the range). */
static const struct ph_addr_spec ph_listeners[] = {
	{ AF_INET, "127.0.0.1", 5001 },
	{ AF_INET, "127.0.0.1", 5002 },
	{ AF_INET, "127.0.0.2", 5001 },
	{ AF_INET6, "::1", 5003 },
};
#define PH_NDEST (sizeof ph_listeners / sizeof ph_listeners[0])

/* Per destination (same index as ph_listeners). */
static const unsigned ph_established[PH_NDEST] = { 30, 20, 10, 15 };
static const unsigned ph_time_wait[PH_NDEST] = { 25, 0, 0, 12 };

/* Owned ports inside the range: a listener and a bound-only socket. */
static const struct ph_addr_spec ph_owned_listen = { AF_INET, "127.0.0.1", 40100 };
static const struct ph_addr_spec ph_owned_bound = { AF_INET, "127.0.0.1", 40101 };

/* UDP: sockets bound to ph_udp_local and sockets connected to ph_udp_peer. */
#define PH_UDP_BOUND 4
#define PH_UDP_CONNECTED 2
static const struct ph_addr_spec ph_udp_local = { AF_INET, "127.0.0.1", 0 };
static const struct ph_addr_spec ph_udp_peer = { AF_INET, "127.0.0.1", 5353 };

/* The pools measured in run mode: bind(addr, 0), TCP and UDP, on each. */
static const struct ph_addr_spec ph_pools[] = {
	{ AF_INET, "127.0.0.1", 0 },
	{ AF_INET, "0.0.0.0", 0 },
	{ AF_INET6, "::1", 0 },
	{ AF_INET6, "::", 0 },
};
#define PH_NPOOL (sizeof ph_pools / sizeof ph_pools[0])

struct ph_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct ph_dest {
	int listen_fd;
	struct ph_sockaddr dst;
	char saddr[INET6_ADDRSTRLEN];
	int cli[PH_MAX_PER_DEST];      /* ESTABLISHED client ends */
	int srv[PH_MAX_PER_DEST];      /* their server ends */
	unsigned nest;
	unsigned ntw;                  /* TIME_WAIT entries made */
	uint8_t ports[PH_PORT_BYTES];  /* local ports used toward it */
	unsigned in_use;
	long connects_ok;
};

struct ph_state {
	unsigned range_low, range_high;
	struct ph_dest dests[PH_NDEST];
	int owned_listen_fd;
	int owned_bound_fd;
	int udp_fd[PH_UDP_BOUND + PH_UDP_CONNECTED];
	uint8_t udp_ports[PH_PORT_BYTES];
	unsigned udp_ports_in_range;
	struct timespec last_tw;       /* when the youngest TIME_WAIT began */
	long tcp_bind_ok[PH_NPOOL];
	long udp_bind_ok[PH_NPOOL];
	long udp_connect_ok;
	int cmd_status;
};

static void ph_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void ph_die(const char *fmt, ...)
{
	va_list ap;

	fputs("porthelper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void ph_usage(void) __attribute__((noreturn));

static void ph_usage(void)
{
	fputs("usage: porthelper run --report FILE [--tw-age MS] -- CMD [ARG]...\n"
	      "       porthelper hold --ready FILE [--tw-age MS] [--timeout SECS]\n",
	      stderr);
	exit(2);
}

static void ph_addr(const struct ph_addr_spec *spec, unsigned port, struct ph_sockaddr *out)
{
	memset(out, 0, sizeof *out);
	if (spec->family == AF_INET) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, spec->addr, &sin.sin_addr) != 1)
			ph_die("bad address %s", spec->addr);
		memcpy(&out->ss, &sin, sizeof sin);
		out->len = sizeof sin;
	} else {
		struct sockaddr_in6 sin6;

		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, spec->addr, &sin6.sin6_addr) != 1)
			ph_die("bad address %s", spec->addr);
		memcpy(&out->ss, &sin6, sizeof sin6);
		out->len = sizeof sin6;
	}
}

/* Port and text address of a socket address. */
static unsigned ph_sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, ss, sizeof sin);
		return ntohs(sin.sin_port);
	}
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, ss, sizeof sin6);
		return ntohs(sin6.sin6_port);
	}
	return 0;
}

static void ph_sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = NULL;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof sin);
		a = &sin.sin_addr;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof sin6);
		a = &sin6.sin6_addr;
	}
	if (a == NULL || inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void ph_local(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof *ss;

	memset(ss, 0, sizeof *ss);
	if (getsockname(fd, (struct sockaddr *)ss, &len) != 0)
		ph_die("getsockname: %s", strerror(errno));
}

static void ph_set_bit(uint8_t *map, unsigned port, unsigned *count)
{
	if (!(map[port >> 3] & (1u << (port & 7)))) {
		map[port >> 3] |= (uint8_t)(1u << (port & 7));
		(*count)++;
	}
}

static int ph_in_range(const struct ph_state *st, unsigned port)
{
	return port >= st->range_low && port <= st->range_high;
}

static void ph_read_range(struct ph_state *st)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f == NULL)
		ph_die("cannot read ip_local_port_range: %s", strerror(errno));
	if (fscanf(f, "%u %u", &st->range_low, &st->range_high) != 2 ||
	    st->range_low == 0 || st->range_low > st->range_high ||
	    st->range_high > 65535)
		ph_die("cannot parse ip_local_port_range");
	fclose(f);
	if (!ph_in_range(st, ph_owned_listen.port) || !ph_in_range(st, ph_owned_bound.port))
		ph_die("range %u-%u does not hold the owned ports %u and %u",
		       st->range_low, st->range_high, ph_owned_listen.port,
		       ph_owned_bound.port);
}

/* Raise RLIMIT_NOFILE so the exhaustion loops never meet EMFILE first. */
static void ph_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = PH_LOOP_MAX + 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		ph_die("getrlimit: %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit more = { want, want };

		/* Only root may raise the hard limit; else keep what we have. */
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			ph_die("setrlimit: %s", strerror(errno));
	}
}

static int ph_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		ph_die("socket: %s", strerror(errno));
	return fd;
}

static void ph_wait_fd(int fd, short events, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, PH_IO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		ph_die("poll (%s): %s", what, strerror(errno));
	if (r == 0)
		ph_die("timed out after %d ms waiting for %s", PH_IO_TIMEOUT_MS, what);
}

static int ph_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		ph_die("TCP_INFO: %s", strerror(errno));
	return ti.tcpi_state;
}

static int ph_tcp_bound(const struct ph_addr_spec *spec, int do_listen)
{
	static const int one = 1;
	struct ph_sockaddr a;
	/* Non-blocking, so that draining a listener's queue cannot hang. */
	int fd = ph_socket(spec->family, SOCK_STREAM | (do_listen ? SOCK_NONBLOCK : 0));

	/* Listeners reuse their port even while an earlier helper's server
	 * ends sit in TIME_WAIT; a listening port stays owned either way. */
	if (do_listen && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		ph_die("SO_REUSEADDR: %s", strerror(errno));
	ph_addr(spec, spec->port, &a);
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) != 0)
		ph_die("bind %s:%u: %s", spec->addr, spec->port, strerror(errno));
	if (do_listen && listen(fd, PH_BACKLOG) != 0)
		ph_die("listen %s:%u: %s", spec->addr, spec->port, strerror(errno));
	return fd;
}

/*
 * One connection to destination i: a blocking connect, then the matching
 * accept. Records the client's local address and port.
 */
static void ph_connect_pair(struct ph_state *st, unsigned i, int *cli, int *srv)
{
	struct ph_dest *d = &st->dests[i];
	struct sockaddr_storage local, peer;
	socklen_t plen = sizeof peer;
	char text[INET6_ADDRSTRLEN];
	unsigned port;

	*cli = ph_socket(ph_listeners[i].family, SOCK_STREAM);
	if (connect(*cli, (struct sockaddr *)&d->dst.ss, d->dst.len) != 0)
		ph_die("connect to %s:%u: %s", ph_listeners[i].addr,
		       ph_listeners[i].port, strerror(errno));
	ph_local(*cli, &local);
	port = ph_sa_port(&local);
	if (!ph_in_range(st, port))
		ph_die("local port %u toward %s:%u is outside the range %u-%u",
		       port, ph_listeners[i].addr, ph_listeners[i].port,
		       st->range_low, st->range_high);
	ph_sa_text(&local, text, sizeof text);
	if (d->saddr[0] == '\0')
		memcpy(d->saddr, text, sizeof d->saddr);
	else if (strcmp(d->saddr, text) != 0)
		ph_die("clients toward %s:%u got two local addresses: %s, %s",
		       ph_listeners[i].addr, ph_listeners[i].port, d->saddr, text);
	ph_set_bit(d->ports, port, &d->in_use);

	ph_wait_fd(d->listen_fd, POLLIN, "accept");
	memset(&peer, 0, sizeof peer);
	*srv = accept4(d->listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (*srv < 0)
		ph_die("accept: %s", strerror(errno));
	if (ph_sa_port(&peer) != port)
		ph_die("accepted peer port %u, expected %u", ph_sa_port(&peer), port);
}

/* Read one byte-less EOF from fd (after waiting for it). */
static void ph_expect_eof(int fd, const char *what)
{
	char c;
	ssize_t r;

	ph_wait_fd(fd, POLLIN, what);
	r = read(fd, &c, 1);
	if (r != 0)
		ph_die("%s: expected EOF, got %s", what, r < 0 ? strerror(errno) : "data");
}

static void ph_make_time_wait(struct ph_state *st, unsigned i)
{
	int cli, srv, state;

	ph_connect_pair(st, i, &cli, &srv);
	if (shutdown(cli, SHUT_WR) != 0)
		ph_die("shutdown: %s", strerror(errno));
	ph_expect_eof(srv, "the client's FIN");
	close(srv);
	ph_expect_eof(cli, "the server's FIN");
	/* FIN received in FIN_WAIT2: the kernel made a TIME_WAIT entry and
	 * closed the full socket. */
	state = ph_tcp_state(cli);
	if (state != TCP_CLOSE)
		ph_die("client in state %d after the FIN exchange, expected %d",
		       state, TCP_CLOSE);
	close(cli);
	st->dests[i].ntw++;
	clock_gettime(CLOCK_MONOTONIC, &st->last_tw);
}

static void ph_build(struct ph_state *st)
{
	struct ph_sockaddr a;
	struct sockaddr_storage local;
	unsigned i, k;

	ph_read_range(st);

	/* The owned ports first, so that no client takes them. */
	st->owned_listen_fd = ph_tcp_bound(&ph_owned_listen, 1);
	st->owned_bound_fd = ph_tcp_bound(&ph_owned_bound, 0);

	for (i = 0; i < PH_NDEST; i++) {
		struct ph_dest *d = &st->dests[i];

		if (ph_established[i] > PH_MAX_PER_DEST)
			ph_die("too many clients per destination");
		d->listen_fd = ph_tcp_bound(&ph_listeners[i], 1);
		ph_addr(&ph_listeners[i], ph_listeners[i].port, &d->dst);
	}
	for (i = 0; i < PH_NDEST; i++) {
		struct ph_dest *d = &st->dests[i];

		for (k = 0; k < ph_established[i]; k++) {
			ph_connect_pair(st, i, &d->cli[k], &d->srv[k]);
			d->nest++;
		}
		for (k = 0; k < ph_time_wait[i]; k++)
			ph_make_time_wait(st, i);
		if (d->in_use != d->nest + d->ntw)
			ph_die("%s:%u: %u distinct local ports for %u sockets",
			       ph_listeners[i].addr, ph_listeners[i].port,
			       d->in_use, d->nest + d->ntw);
	}

	ph_addr(&ph_udp_local, 0, &a);
	for (k = 0; k < PH_UDP_BOUND; k++) {
		st->udp_fd[k] = ph_socket(ph_udp_local.family, SOCK_DGRAM);
		if (bind(st->udp_fd[k], (struct sockaddr *)&a.ss, a.len) != 0)
			ph_die("udp bind: %s", strerror(errno));
	}
	ph_addr(&ph_udp_peer, ph_udp_peer.port, &a);
	for (; k < PH_UDP_BOUND + PH_UDP_CONNECTED; k++) {
		st->udp_fd[k] = ph_socket(ph_udp_peer.family, SOCK_DGRAM);
		if (connect(st->udp_fd[k], (struct sockaddr *)&a.ss, a.len) != 0)
			ph_die("udp connect: %s", strerror(errno));
	}
	for (k = 0; k < PH_UDP_BOUND + PH_UDP_CONNECTED; k++) {
		unsigned port;

		ph_local(st->udp_fd[k], &local);
		port = ph_sa_port(&local);
		if (!ph_in_range(st, port))
			ph_die("udp port %u is outside the range", port);
		ph_set_bit(st->udp_ports, port, &st->udp_ports_in_range);
	}
}

static double ph_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void ph_wait_tw_age(const struct ph_state *st, long age_ms)
{
	double left;
	unsigned i, ntw = 0;

	for (i = 0; i < PH_NDEST; i++)
		ntw += st->dests[i].ntw;
	if (ntw == 0 || age_ms <= 0)
		return;
	left = (double)age_ms - ph_elapsed_ms(&st->last_tw);
	if (left > 0) {
		struct timespec ts;

		ts.tv_sec = (time_t)(left / 1000.0);
		ts.tv_nsec = (long)((left - (double)ts.tv_sec * 1000.0) * 1e6);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* The population must be as built: every ESTABLISHED client still is. */
static void ph_check_population(const struct ph_state *st)
{
	unsigned i, k;

	for (i = 0; i < PH_NDEST; i++)
		for (k = 0; k < st->dests[i].nest; k++)
			if (ph_tcp_state(st->dests[i].cli[k]) != TCP_ESTABLISHED)
				ph_die("client %u toward %s:%u left ESTABLISHED",
				       k, ph_listeners[i].addr, ph_listeners[i].port);
}

static int ph_run_cmd(char **argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		ph_die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "porthelper: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			ph_die("waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void ph_close_all(int *fds, long n, int abort_conn)
{
	static const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long k;

	for (k = 0; k < n; k++) {
		/* SO_LINGER 0: close sends RST and leaves no TIME_WAIT. */
		if (abort_conn && setsockopt(fds[k], SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
			ph_die("SO_LINGER: %s", strerror(errno));
		close(fds[k]);
	}
}

/* Abort every connection the helper holds, so none lingers in TIME_WAIT. */
static void ph_teardown(struct ph_state *st)
{
	unsigned i;

	for (i = 0; i < PH_NDEST; i++) {
		struct ph_dest *d = &st->dests[i];

		ph_close_all(d->cli, d->nest, 1);
		ph_close_all(d->srv, d->nest, 1);
		d->nest = 0;
	}
}

static void ph_drain(int listen_fd)
{
	long k;

	for (k = 0; k < PH_LOOP_MAX; k++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			ph_die("accept (drain): %s", strerror(errno));
		}
		close(fd);
	}
}

/*
 * How many calls of one kind succeed before the errno `limit`: each call
 * makes a socket of (family, type) and then binds or connects it to `to`.
 * The sockets are kept until the limit, then closed.
 */
static long ph_exhaust(const struct ph_state *st, int family, int type, int do_connect,
		       const struct ph_sockaddr *to, int limit, const char *what)
{
	int *fds = malloc(PH_LOOP_MAX * sizeof *fds);
	struct sockaddr_storage local;
	long n = 0;

	if (fds == NULL)
		ph_die("out of memory");
	for (;;) {
		int fd, r, err;
		unsigned port;

		if (n == PH_LOOP_MAX)
			ph_die("%s: no %s after %d calls", what, strerror(limit), PH_LOOP_MAX);
		fd = socket(family, type | SOCK_CLOEXEC | (do_connect ? SOCK_NONBLOCK : 0), 0);
		if (fd < 0)
			ph_die("%s: socket after %ld: %s", what, n, strerror(errno));
		if (do_connect)
			r = connect(fd, (const struct sockaddr *)&to->ss, to->len);
		else
			r = bind(fd, (const struct sockaddr *)&to->ss, to->len);
		err = errno;
		if (r != 0 && !(do_connect && type == SOCK_STREAM && err == EINPROGRESS)) {
			close(fd);
			if (err == limit)
				break;
			ph_die("%s: call %ld failed with %s, expected %s", what,
			       n + 1, strerror(err), strerror(limit));
		}
		ph_local(fd, &local);
		port = ph_sa_port(&local);
		if (!ph_in_range(st, port))
			ph_die("%s: got port %u outside the range", what, port);
		fds[n++] = fd;
	}
	ph_close_all(fds, n, do_connect && type == SOCK_STREAM);
	free(fds);
	return n;
}

/*
 * The pools first: the connect loops may reuse (and so destroy) TIME_WAIT
 * entries when tcp_tw_reuse allows it, which would free ports in the TCP
 * pool. The bind loops leave nothing behind.
 */
static void ph_measure(struct ph_state *st)
{
	struct ph_sockaddr a;
	unsigned i;

	for (i = 0; i < PH_NPOOL; i++) {
		ph_addr(&ph_pools[i], 0, &a);
		st->tcp_bind_ok[i] = ph_exhaust(st, ph_pools[i].family, SOCK_STREAM, 0,
						&a, EADDRINUSE, "tcp bind");
		st->udp_bind_ok[i] = ph_exhaust(st, ph_pools[i].family, SOCK_DGRAM, 0,
						&a, EADDRINUSE, "udp bind");
	}
	ph_addr(&ph_udp_peer, ph_udp_peer.port, &a);
	st->udp_connect_ok = ph_exhaust(st, ph_udp_peer.family, SOCK_DGRAM, 1, &a,
					EAGAIN, "udp connect");
	for (i = 0; i < PH_NDEST; i++) {
		struct ph_dest *d = &st->dests[i];

		d->connects_ok = ph_exhaust(st, ph_listeners[i].family, SOCK_STREAM, 1,
					    &d->dst, EADDRNOTAVAIL, "connect");
		ph_drain(d->listen_fd);
	}
}

static void ph_write_report(const struct ph_state *st, const char *path, int measured)
{
	char tmp[4096];
	FILE *f;
	unsigned i;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		ph_die("report path too long");
	f = fopen(tmp, "we");
	if (f == NULL)
		ph_die("%s: %s", tmp, strerror(errno));
	fprintf(f, "{\"range\": {\"low\": %u, \"high\": %u}, \"owned\": ["
		"{\"proto\": \"tcp\", \"addr\": \"%s\", \"port\": %u, \"state\": \"LISTEN\"}, "
		"{\"proto\": \"tcp\", \"addr\": \"%s\", \"port\": %u, \"state\": \"BOUND\"}], "
		"\"destinations\": [",
		st->range_low, st->range_high, ph_owned_listen.addr, ph_owned_listen.port,
		ph_owned_bound.addr, ph_owned_bound.port);
	for (i = 0; i < PH_NDEST; i++) {
		const struct ph_dest *d = &st->dests[i];

		fprintf(f, "%s{\"proto\": \"tcp\", \"saddr\": \"%s\", \"daddr\": \"%s\", "
			"\"dport\": %u, \"established\": %u, \"time_wait\": %u, \"in_use\": %u",
			i ? ", " : "", d->saddr, ph_listeners[i].addr, ph_listeners[i].port,
			d->nest, d->ntw, d->in_use);
		if (measured)
			fprintf(f, ", \"connects_ok\": %ld", d->connects_ok);
		fputc('}', f);
	}
	fputs("], \"pools\": [", f);
	for (i = 0; i < 2 * PH_NPOOL; i++) {
		unsigned k = i % PH_NPOOL;
		int udp = i >= PH_NPOOL;

		fprintf(f, "%s{\"proto\": \"%s\", \"saddr\": \"%s\"", i ? ", " : "",
			udp ? "udp" : "tcp", ph_pools[k].addr);
		if (measured)
			fprintf(f, ", \"bind_ok\": %ld",
				udp ? st->udp_bind_ok[k] : st->tcp_bind_ok[k]);
		fputc('}', f);
	}
	fprintf(f, "], \"udp\": {\"bound\": %d, \"connected\": %d, \"ports_in_range\": %u",
		PH_UDP_BOUND, PH_UDP_CONNECTED, st->udp_ports_in_range);
	if (measured)
		fprintf(f, ", \"connect_ok\": %ld", st->udp_connect_ok);
	fputc('}', f);
	if (measured)
		fprintf(f, ", \"cmd_status\": %d", st->cmd_status);
	fputs("}\n", f);
	if (ferror(f) | fclose(f))
		ph_die("writing %s failed", tmp);
	if (rename(tmp, path) != 0)
		ph_die("rename %s: %s", tmp, strerror(errno));
}

static long ph_number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > 86400000L) {
		fprintf(stderr, "porthelper: bad %s: %s\n", what, s);
		ph_usage();
	}
	return v;
}

static volatile sig_atomic_t ph_stop;

static void ph_on_signal(int sig)
{
	(void)sig;
	ph_stop = 1;
}

static void ph_hold(long timeout_s)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	struct stat sb;
	sigset_t block, orig;
	struct timespec start;
	int watch_stdin;
	size_t k;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ph_on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
		sigaddset(&block, sigs[k]);
		if (sigaction(sigs[k], &sa, NULL) != 0)
			ph_die("sigaction: %s", strerror(errno));
	}
	/* Blocked except inside ppoll, so no signal slips in between the
	 * check of ph_stop and the wait. */
	if (sigprocmask(SIG_BLOCK, &block, &orig) != 0)
		ph_die("sigprocmask: %s", strerror(errno));
	watch_stdin = fstat(STDIN_FILENO, &sb) == 0 &&
		      (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!ph_stop && ph_elapsed_ms(&start) < (double)timeout_s * 1000.0) {
		struct pollfd p = { .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN };
		struct timespec ts = { 1, 0 };
		int r = ppoll(&p, 1, &ts, &orig);

		if (r < 0 && errno != EINTR)
			ph_die("ppoll: %s", strerror(errno));
		if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[256];

			if (read(STDIN_FILENO, buf, sizeof buf) <= 0)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	static struct ph_state st;
	const char *file = NULL;
	long tw_age = 0, timeout_s = 600;
	int hold, i;

	if (argc < 2)
		ph_usage();
	if (strcmp(argv[1], "run") == 0)
		hold = 0;
	else if (strcmp(argv[1], "hold") == 0)
		hold = 1;
	else
		ph_usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			ph_usage();
		if (strcmp(argv[i], hold ? "--ready" : "--report") == 0)
			file = argv[++i];
		else if (strcmp(argv[i], "--tw-age") == 0)
			tw_age = ph_number(argv[++i], "--tw-age");
		else if (hold && strcmp(argv[i], "--timeout") == 0)
			timeout_s = ph_number(argv[++i], "--timeout");
		else
			ph_usage();
	}
	if (file == NULL || (hold ? i != argc : i >= argc))
		ph_usage();

	signal(SIGPIPE, SIG_IGN);
	ph_raise_nofile();
	ph_build(&st);
	ph_wait_tw_age(&st, tw_age);
	if (hold) {
		ph_write_report(&st, file, 0);
		ph_hold(timeout_s);
		ph_teardown(&st);
		return 0;
	}
	st.cmd_status = ph_run_cmd(argv + i);
	ph_check_population(&st);
	ph_measure(&st);
	ph_write_report(&st, file, 1);
	ph_teardown(&st);
	if (st.cmd_status != 0) {
		fprintf(stderr, "porthelper: command exited with status %d\n", st.cmd_status);
		return 1;
	}
	return 0;
}
