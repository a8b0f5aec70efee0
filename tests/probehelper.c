#include "config.h"

/*
 * probehelper: builds one "world" of sockets, described on the command
 * line, in the current network namespace, runs a command while it stands,
 * then measures the truth about it by exhaustion. For
 * tests/netns_headroom.sh. Linux only; meant to run as root inside a
 * private network namespace whose sysctls the test has set (a small
 * ip_local_port_range).
 *
 * Usage:
 *   probehelper run --report FILE [--tw-age MS] ITEM... -- CMD [ARG]...
 *
 * An endpoint EP is ADDR:PORT, split at the last colon; ADDR is IPv4 or
 * IPv6 without brackets ("::1", "::ffff:127.0.0.1": an AF_INET6 socket
 * toward a v4-mapped address). World items, built in this order whatever
 * the order given:
 *   listen:EP           a TCP listener (a destination, or, with a port in
 *                       the range, an owned port);
 *   bound:EP            a TCP socket bound to EP, never listening;
 *   conn:MODE:EST:TW:EP EST connections to EP that stay ESTABLISHED and TW
 *                       more that end in client-side TIME_WAIT (the
 *                       client shuts down first, the server closes after
 *                       EOF, the client reads the server's FIN: TCP_INFO
 *                       then shows the full socket gone). The listener
 *                       accepting them is the listen: item that is the
 *                       same kernel endpoint (127.0.0.1:P serves
 *                       ::ffff:127.0.0.1:P). MODE says how the client gets
 *                       its local port:
 *                         connect   connect() alone;
 *                         bind0     bind(LOOPBACK, 0), then connect();
 *                         noport    IP_BIND_ADDRESS_NO_PORT, bind(LOOPBACK,
 *                                   0), then connect();
 *                         explicit  bind(LOOPBACK, P) to ports of the
 *                                   range that are not reserved, from the
 *                                   top down, then connect();
 *                       LOOPBACK is 127.0.0.1, ::1 or ::ffff:127.0.0.1,
 *                       the family of EP. These groups are built in the
 *                       order given, explicit ones first;
 *   udpsock:ADDR:N      N UDP sockets bound to ADDR:0;
 *   udpconn:EP:N        N UDP sockets connected to EP.
 * Every client and UDP local port must lie in the range.
 *
 * Measures, made in the order given after CMD has run:
 *   connect:EP          non-blocking connect() calls toward EP that
 *                       succeed (0 or EINPROGRESS) before EADDRNOTAVAIL,
 *                       closed with SO_LINGER 0 (RST, no TIME_WAIT) once
 *                       the limit is met; the listener's queue is drained
 *                       after. With tcp_tw_reuse they reuse (destroy) the
 *                       TIME_WAIT entries toward EP, nothing else;
 *   tcpbind:ADDR        socket() + bind(ADDR:0) calls (TCP) that succeed
 *                       before EADDRINUSE;
 *   udpbind:ADDR        the same over UDP;
 *   udpconnect:EP       UDP socket() + connect(EP) calls that succeed
 *                       before the autobind fails with EAGAIN.
 * Each loop stops at 70000 calls (a failure) and fails on any errno but
 * the one it expects.
 *
 * For every connect measure the helper also writes what the kernel's
 * rules (the project's docs/model.md) say it should get, from what it
 * built, as model_min..model_max: the ports of the range that are not
 * reserved, not held by a listener or bound socket, not held by a bind0 or
 * explicit client (alive or in TIME_WAIT: its bind bucket is owned) and
 * not used toward EP's kernel endpoint, unless by a TIME_WAIT entry of a
 * connect or noport client that tcp_tw_reuse lets connect() take over
 * (tcp_tw_reuse 1, or 2 and loopback; tcp_timestamps 1; older than
 * tcp_tw_reuse_delay, 1000 ms when absent); entries an earlier measure
 * took over count as free ports. A range of an odd number of
 * ports gives model_min = model_max - 1: each scan skips one end.
 *
 * run: builds the world, waits until the youngest TIME_WAIT entry is MS
 * milliseconds old (--tw-age, default 0), runs CMD (fork, exec, wait; it
 * inherits none of the helper's sockets), checks every ESTABLISHED client
 * still is, measures, writes FILE and aborts (RST) both ends of every
 * connection it holds. Exit status: 0 when all went well and CMD exited 0;
 * 1 otherwise, with a reason on stderr (FILE is still written when the
 * measures could be made); 2 on a usage error.
 *
 * FILE is one JSON object on one line (written to FILE.tmp, renamed):
 *   {"range": {"low": 40000, "high": 40199, "reserved": 0},
 *    "sysctl": {"tcp_tw_reuse": 2, "tcp_timestamps": 1,
 *               "tcp_tw_reuse_delay_ms": 1000},
 *    "tw_age_ms": 1520, "owned": 2,
 *    "groups": [{"mode": "bind0", "daddr": "127.0.0.1", "dport": 5002,
 *                "saddr": "127.0.0.1", "established": 20,
 *                "time_wait": 10}, ...],
 *    "destinations": [{"daddr": "127.0.0.1", "dport": 5002,
 *                      "saddr": "127.0.0.1", "established": 20,
 *                      "time_wait": 10, "in_use": 30}, ...],
 *    "udp": {"sockets": 6, "ports_in_range": 6},
 *    "measures": [{"kind": "connect", "target": "127.0.0.1:5001",
 *                  "ok": 140, "model_min": 140, "model_max": 140,
 *                  "reusable_model": 0, "recycled": 0}, {"kind": "tcpbind",
 *                  "target": "127.0.0.1", "ok": 170}, ...],
 *    "cmd_status": 0}
 * destinations[] has one entry per EP text of the conn: items (the
 * kernel endpoint ::ffff:127.0.0.1:P and 127.0.0.1:P are two entries
 * there, as ss shows them); in_use counts distinct local ports. saddr is
 * the local address the kernel gave the clients.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PB_LOOP_MAX 70000
#define PB_BACKLOG 4096
#define PB_IO_TIMEOUT_MS 5000
#define PB_MAX_ITEMS 32
#define PB_MAX_PER_GROUP 2048
#define PB_MAX_UDP 1024
#define PB_PORT_BYTES (65536 / 8)
#define PB_TEXT 64

/* One endpoint: the address as given, and its kernel identity (IPv4 as a
 * v4-mapped IPv6 address), which is what 4-tuples are compared on. */
struct pb_ep {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
	unsigned port;
	char addr[INET6_ADDRSTRLEN];
	uint8_t norm[16];
};

enum pb_mode { PB_CONNECT, PB_BIND0, PB_NOPORT, PB_EXPLICIT };
static const char *const pb_mode_name[] = { "connect", "bind0", "noport", "explicit" };

struct pb_listener {
	struct pb_ep ep;
	int fd;
};

struct pb_group {
	enum pb_mode mode;
	unsigned want_est, want_tw;
	struct pb_ep dst;
	int listener;                  /* index into listeners */
	int cli[PB_MAX_PER_GROUP];     /* ESTABLISHED client ends */
	int srv[PB_MAX_PER_GROUP];     /* their server ends */
	unsigned nest, ntw;
	char saddr[INET6_ADDRSTRLEN];
	uint8_t ports[PB_PORT_BYTES];  /* local ports, any state */
	uint8_t tw_ports[PB_PORT_BYTES];
	int tw_taken;                  /* a connect measure took its TIME_WAIT
					  entries over: their ports are free */
};

enum pb_kind { PB_M_CONNECT, PB_M_TCPBIND, PB_M_UDPBIND, PB_M_UDPCONNECT };
static const char *const pb_kind_name[] = { "connect", "tcpbind", "udpbind", "udpconnect" };

struct pb_measure {
	enum pb_kind kind;
	char target[PB_TEXT];
	struct pb_ep ep;               /* port 0 for the bind kinds */
	long ok;
	long model_min, model_max, reusable_model;
	long recycled;                 /* TWRecycled growth during the measure */
	int reuse;                     /* tcp_tw_reuse lets it take TIME_WAIT over */
};

struct pb_state {
	unsigned low, high;
	uint8_t reserved[PB_PORT_BYTES];
	unsigned nreserved;
	int tw_reuse, timestamps;
	long reuse_delay_ms;

	struct pb_listener listeners[PB_MAX_ITEMS];
	unsigned nlisteners;
	struct pb_ep bound_eps[PB_MAX_ITEMS];
	int bound_fd[PB_MAX_ITEMS];
	unsigned nbound;
	uint8_t owned[PB_PORT_BYTES];  /* listeners and bound sockets */
	unsigned nowned;

	struct pb_group *groups[PB_MAX_ITEMS];
	unsigned ngroups;
	unsigned next_explicit;        /* next port an explicit bind tries */

	struct pb_ep udp_bind_ep[PB_MAX_ITEMS];
	unsigned udp_bind_n[PB_MAX_ITEMS];
	unsigned nudp_bind;
	struct pb_ep udp_conn_ep[PB_MAX_ITEMS];
	unsigned udp_conn_n[PB_MAX_ITEMS];
	unsigned nudp_conn;
	int udp_fd[PB_MAX_UDP];
	unsigned nudp;
	uint8_t udp_ports[PB_PORT_BYTES];

	struct pb_measure measures[PB_MAX_ITEMS];
	unsigned nmeasures;

	int have_tw;
	struct timespec last_tw;       /* when the youngest TIME_WAIT began */
	double tw_age_ms;              /* its age when the measures began */
	int cmd_status;
};

static void pb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void pb_die(const char *fmt, ...)
{
	va_list ap;

	fputs("probehelper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void pb_usage(const char *why) __attribute__((noreturn));

static void pb_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "probehelper: %s\n", why);
	fputs("usage: probehelper run --report FILE [--tw-age MS] ITEM... -- CMD [ARG]...\n"
	      "  world:    listen:EP bound:EP conn:MODE:EST:TW:EP udpsock:ADDR:N udpconn:EP:N\n"
	      "  measures: connect:EP tcpbind:ADDR udpbind:ADDR udpconnect:EP\n"
	      "  MODE: connect bind0 noport explicit; EP: ADDR:PORT\n",
	      stderr);
	exit(2);
}

static long pb_number(const char *s, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "probehelper: bad %s: '%s'\n", what, s);
		pb_usage(NULL);
	}
	return v;
}

/* ADDR (and PORT) into an endpoint; returns 0 or -1 on a bad address. */
static int pb_ep_make(const char *addr, unsigned port, struct pb_ep *ep)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(ep, 0, sizeof *ep);
	memset(&sin, 0, sizeof sin);
	memset(&sin6, 0, sizeof sin6);
	if (strlen(addr) >= sizeof ep->addr)
		return -1;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		memcpy(&ep->ss, &sin, sizeof sin);
		ep->len = sizeof sin;
		ep->family = AF_INET;
		ep->norm[10] = ep->norm[11] = 0xff;
		memcpy(ep->norm + 12, &sin.sin_addr, 4);
	} else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		memcpy(&ep->ss, &sin6, sizeof sin6);
		ep->len = sizeof sin6;
		ep->family = AF_INET6;
		memcpy(ep->norm, &sin6.sin6_addr, 16);
	} else {
		return -1;
	}
	ep->port = port;
	memcpy(ep->addr, addr, strlen(addr) + 1);
	return 0;
}

/* "ADDR:PORT" (split at the last colon) into an endpoint. */
static void pb_ep_parse(const char *text, struct pb_ep *ep)
{
	char buf[PB_TEXT];
	char *colon;

	if (strlen(text) >= sizeof buf)
		pb_usage("endpoint too long");
	memcpy(buf, text, strlen(text) + 1);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		pb_usage("an endpoint is ADDR:PORT");
	*colon = '\0';
	if (pb_ep_make(buf, (unsigned)pb_number(colon + 1, 65535, "port"), ep) != 0) {
		fprintf(stderr, "probehelper: bad address '%s'\n", buf);
		pb_usage(NULL);
	}
}

static void pb_addr_parse(const char *text, struct pb_ep *ep)
{
	if (pb_ep_make(text, 0, ep) != 0) {
		fprintf(stderr, "probehelper: bad address '%s'\n", text);
		pb_usage(NULL);
	}
}

static int pb_same_kernel_ep(const struct pb_ep *a, const struct pb_ep *b)
{
	return a->port == b->port && memcmp(a->norm, b->norm, 16) == 0;
}

static int pb_loopback(const struct pb_ep *ep)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(ep->norm, v6lo, 16) == 0)
		return 1;
	return memcmp(ep->norm, mapped, 12) == 0 && ep->norm[12] == 127;
}

static unsigned pb_sa_port(const struct sockaddr_storage *ss)
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

static void pb_sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
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

static unsigned pb_local_port(int fd, char *text, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		pb_die("getsockname: %s", strerror(errno));
	if (text != NULL)
		pb_sa_text(&ss, text, len);
	return pb_sa_port(&ss);
}

static int pb_bit(const uint8_t *map, unsigned port)
{
	return (map[port >> 3] >> (port & 7)) & 1;
}

static void pb_set(uint8_t *map, unsigned port)
{
	map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static int pb_in_range(const struct pb_state *st, unsigned port)
{
	return port >= st->low && port <= st->high;
}

/* A sysctl as one line; returns 0, or -1 when it does not exist. */
static int pb_sysctl(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long pb_sysctl_long(const char *name, long dflt)
{
	char buf[64];

	if (pb_sysctl(name, buf, sizeof buf) != 0)
		return dflt;
	return strtol(buf, NULL, 10);
}

static void pb_read_sysctls(struct pb_state *st)
{
	char buf[4096];
	char *p, *tok, *save = NULL;
	unsigned port;

	if (pb_sysctl("ip_local_port_range", buf, sizeof buf) != 0 ||
	    sscanf(buf, "%u %u", &st->low, &st->high) != 2 || st->low == 0 ||
	    st->low > st->high || st->high > 65535)
		pb_die("cannot read ip_local_port_range");
	if (pb_sysctl("ip_local_reserved_ports", buf, sizeof buf) != 0)
		pb_die("cannot read ip_local_reserved_ports");
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		unsigned a, b;

		if (sscanf(tok, "%u-%u", &a, &b) == 2 || (sscanf(tok, "%u", &a) == 1 && (b = a, 1))) {
			if (a > b || b > 65535)
				pb_die("cannot parse ip_local_reserved_ports");
			for (port = a; port <= b; port++)
				pb_set(st->reserved, port);
		}
	}
	for (port = st->low; port <= st->high; port++)
		st->nreserved += (unsigned)pb_bit(st->reserved, port);
	st->tw_reuse = (int)pb_sysctl_long("tcp_tw_reuse", 2);
	st->timestamps = (int)pb_sysctl_long("tcp_timestamps", 1);
	st->reuse_delay_ms = pb_sysctl_long("tcp_tw_reuse_delay", 1000);
}

/* Raise RLIMIT_NOFILE so the exhaustion loops never meet EMFILE first. */
static void pb_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = PB_LOOP_MAX + 8192;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		pb_die("getrlimit: %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit more = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			pb_die("setrlimit: %s", strerror(errno));
	}
}

static int pb_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		pb_die("socket: %s", strerror(errno));
	return fd;
}

static void pb_wait_fd(int fd, short events, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, PB_IO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		pb_die("poll (%s): %s", what, strerror(errno));
	if (r == 0)
		pb_die("timed out after %d ms waiting for %s", PB_IO_TIMEOUT_MS, what);
}

static int pb_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		pb_die("TCP_INFO: %s", strerror(errno));
	return ti.tcpi_state;
}

static void pb_expect_eof(int fd, const char *what)
{
	char c;
	ssize_t r;

	pb_wait_fd(fd, POLLIN, what);
	r = read(fd, &c, 1);
	if (r != 0)
		pb_die("%s: expected EOF, got %s", what, r < 0 ? strerror(errno) : "data");
}

/* A listener or a bound-only socket on ep. */
static int pb_tcp_bound(const struct pb_ep *ep, int do_listen)
{
	static const int one = 1;
	/* Non-blocking, so that draining a listener's queue cannot hang. */
	int fd = pb_socket(ep->family, SOCK_STREAM | (do_listen ? SOCK_NONBLOCK : 0));

	if (do_listen && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		pb_die("SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&ep->ss, ep->len) != 0)
		pb_die("bind %s:%u: %s", ep->addr, ep->port, strerror(errno));
	if (do_listen && listen(fd, PB_BACKLOG) != 0)
		pb_die("listen %s:%u: %s", ep->addr, ep->port, strerror(errno));
	return fd;
}

static int pb_find_listener(const struct pb_state *st, const struct pb_ep *dst)
{
	unsigned i;

	for (i = 0; i < st->nlisteners; i++)
		if (pb_same_kernel_ep(&st->listeners[i].ep, dst))
			return (int)i;
	return -1;
}

/* The loopback address of dst's family, as the conn: modes bind to. */
static void pb_loopback_of(const struct pb_ep *dst, unsigned port, struct pb_ep *out)
{
	const char *a = "127.0.0.1";

	if (dst->family == AF_INET6)
		a = dst->norm[10] == 0xff && dst->norm[11] == 0xff ? "::ffff:127.0.0.1" : "::1";
	if (pb_ep_make(a, port, out) != 0)
		pb_die("internal: bad loopback");
}

/* The client socket of one connection of group g, bound as its mode says. */
static int pb_client(struct pb_state *st, const struct pb_group *g)
{
	static const int one = 1;
	struct pb_ep local;
	int fd = pb_socket(g->dst.family, SOCK_STREAM);

	switch (g->mode) {
	case PB_CONNECT:
		break;
	case PB_NOPORT:
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
			pb_die("IP_BIND_ADDRESS_NO_PORT: %s", strerror(errno));
		/* fall through */
	case PB_BIND0:
		pb_loopback_of(&g->dst, 0, &local);
		if (bind(fd, (const struct sockaddr *)&local.ss, local.len) != 0)
			pb_die("bind %s:0: %s", local.addr, strerror(errno));
		break;
	case PB_EXPLICIT:
		for (;;) {
			if (st->next_explicit < st->low)
				pb_die("no port left for an explicit bind");
			pb_loopback_of(&g->dst, st->next_explicit--, &local);
			if (pb_bit(st->reserved, local.port))
				continue;
			if (bind(fd, (const struct sockaddr *)&local.ss, local.len) == 0)
				break;
			if (errno != EADDRINUSE)
				pb_die("bind %s:%u: %s", local.addr, local.port, strerror(errno));
		}
		break;
	}
	return fd;
}

/* One connection of group g: a blocking connect, then the matching accept. */
static void pb_connect_pair(struct pb_state *st, struct pb_group *g, int *cli, int *srv)
{
	int lfd = st->listeners[g->listener].fd;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	char text[INET6_ADDRSTRLEN];
	unsigned port;

	*cli = pb_client(st, g);
	if (connect(*cli, (const struct sockaddr *)&g->dst.ss, g->dst.len) != 0)
		pb_die("%s connect to %s:%u: %s", pb_mode_name[g->mode], g->dst.addr,
		       g->dst.port, strerror(errno));
	port = pb_local_port(*cli, text, sizeof text);
	if (!pb_in_range(st, port))
		pb_die("local port %u toward %s:%u is outside the range %u-%u", port,
		       g->dst.addr, g->dst.port, st->low, st->high);
	if (pb_bit(g->ports, port))
		pb_die("local port %u used twice toward %s:%u", port, g->dst.addr, g->dst.port);
	if (g->saddr[0] == '\0')
		memcpy(g->saddr, text, sizeof g->saddr);
	else if (strcmp(g->saddr, text) != 0)
		pb_die("clients toward %s:%u got two local addresses: %s, %s",
		       g->dst.addr, g->dst.port, g->saddr, text);
	pb_set(g->ports, port);

	pb_wait_fd(lfd, POLLIN, "accept");
	memset(&peer, 0, sizeof peer);
	*srv = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (*srv < 0)
		pb_die("accept: %s", strerror(errno));
	if (pb_sa_port(&peer) != port)
		pb_die("accepted peer port %u, expected %u", pb_sa_port(&peer), port);
}

static void pb_make_time_wait(struct pb_state *st, struct pb_group *g)
{
	int cli, srv, state;
	unsigned port;

	pb_connect_pair(st, g, &cli, &srv);
	port = pb_local_port(cli, NULL, 0);
	if (shutdown(cli, SHUT_WR) != 0)
		pb_die("shutdown: %s", strerror(errno));
	pb_expect_eof(srv, "the client's FIN");
	close(srv);
	pb_expect_eof(cli, "the server's FIN");
	/* FIN received in FIN_WAIT2: the kernel made a TIME_WAIT entry and
	 * closed the full socket. */
	state = pb_tcp_state(cli);
	if (state != TCP_CLOSE)
		pb_die("client in state %d after the FIN exchange, expected %d", state, TCP_CLOSE);
	close(cli);
	pb_set(g->tw_ports, port);
	g->ntw++;
	st->have_tw = 1;
	clock_gettime(CLOCK_MONOTONIC, &st->last_tw);
}

static void pb_build_group(struct pb_state *st, struct pb_group *g)
{
	unsigned k;

	for (k = 0; k < g->want_est; k++) {
		pb_connect_pair(st, g, &g->cli[k], &g->srv[k]);
		g->nest++;
	}
	for (k = 0; k < g->want_tw; k++)
		pb_make_time_wait(st, g);
}

static void pb_build(struct pb_state *st)
{
	unsigned i, k;

	for (i = 0; i < st->nlisteners; i++) {
		struct pb_listener *l = &st->listeners[i];

		l->fd = pb_tcp_bound(&l->ep, 1);
		if (pb_in_range(st, l->ep.port))
			pb_set(st->owned, l->ep.port);
	}
	for (i = 0; i < st->nbound; i++) {
		st->bound_fd[i] = pb_tcp_bound(&st->bound_eps[i], 0);
		if (!pb_in_range(st, st->bound_eps[i].port))
			pb_die("bound:%s:%u is outside the range", st->bound_eps[i].addr,
			       st->bound_eps[i].port);
		pb_set(st->owned, st->bound_eps[i].port);
	}
	for (k = st->low; k <= st->high; k++)
		st->nowned += (unsigned)pb_bit(st->owned, k);

	/* explicit binds first, so that no automatic choice takes their ports */
	for (i = 0; i < st->ngroups; i++)
		if (st->groups[i]->mode == PB_EXPLICIT)
			pb_build_group(st, st->groups[i]);
	for (i = 0; i < st->ngroups; i++)
		if (st->groups[i]->mode != PB_EXPLICIT)
			pb_build_group(st, st->groups[i]);

	for (i = 0; i < st->nudp_bind; i++)
		for (k = 0; k < st->udp_bind_n[i]; k++) {
			int fd = pb_socket(st->udp_bind_ep[i].family, SOCK_DGRAM);

			if (bind(fd, (const struct sockaddr *)&st->udp_bind_ep[i].ss,
				 st->udp_bind_ep[i].len) != 0)
				pb_die("udp bind %s:0: %s", st->udp_bind_ep[i].addr, strerror(errno));
			st->udp_fd[st->nudp++] = fd;
		}
	for (i = 0; i < st->nudp_conn; i++)
		for (k = 0; k < st->udp_conn_n[i]; k++) {
			int fd = pb_socket(st->udp_conn_ep[i].family, SOCK_DGRAM);

			if (connect(fd, (const struct sockaddr *)&st->udp_conn_ep[i].ss,
				    st->udp_conn_ep[i].len) != 0)
				pb_die("udp connect %s:%u: %s", st->udp_conn_ep[i].addr,
				       st->udp_conn_ep[i].port, strerror(errno));
			st->udp_fd[st->nudp++] = fd;
		}
	for (k = 0; k < st->nudp; k++) {
		unsigned port = pb_local_port(st->udp_fd[k], NULL, 0);

		if (!pb_in_range(st, port))
			pb_die("udp port %u is outside the range", port);
		pb_set(st->udp_ports, port);
	}
}

static double pb_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void pb_wait_tw_age(const struct pb_state *st, long age_ms)
{
	double left;

	if (!st->have_tw || age_ms <= 0)
		return;
	left = (double)age_ms - pb_elapsed_ms(&st->last_tw);
	if (left > 0) {
		struct timespec ts;

		ts.tv_sec = (time_t)(left / 1000.0);
		ts.tv_nsec = (long)((left - (double)ts.tv_sec * 1000.0) * 1e6);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

static void pb_check_world(const struct pb_state *st)
{
	unsigned i, k;

	for (i = 0; i < st->ngroups; i++)
		for (k = 0; k < st->groups[i]->nest; k++)
			if (pb_tcp_state(st->groups[i]->cli[k]) != TCP_ESTABLISHED)
				pb_die("a %s client toward %s:%u left ESTABLISHED",
				       pb_mode_name[st->groups[i]->mode], st->groups[i]->dst.addr,
				       st->groups[i]->dst.port);
}

static int pb_run_cmd(char **argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		pb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "probehelper: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			pb_die("waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void pb_close_all(int *fds, long n, int abort_conn)
{
	static const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long k;

	for (k = 0; k < n; k++) {
		/* SO_LINGER 0: close sends RST and leaves no TIME_WAIT. */
		if (abort_conn && setsockopt(fds[k], SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
			pb_die("SO_LINGER: %s", strerror(errno));
		close(fds[k]);
	}
}

static void pb_teardown(struct pb_state *st)
{
	unsigned i;

	for (i = 0; i < st->ngroups; i++) {
		struct pb_group *g = st->groups[i];

		pb_close_all(g->cli, g->nest, 1);
		pb_close_all(g->srv, g->nest, 1);
		g->nest = 0;
	}
}

static void pb_drain(int listen_fd)
{
	long k;

	for (k = 0; k < PB_LOOP_MAX; k++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			pb_die("accept (drain): %s", strerror(errno));
		}
		close(fd);
	}
}

/*
 * How many calls of one kind succeed before the errno `limit`: each makes
 * a socket of (family, type), then binds or connects it to `to`. The
 * sockets are kept until the limit, then closed.
 */
static long pb_exhaust(const struct pb_state *st, int type, int do_connect,
		       const struct pb_ep *to, int limit, const char *what)
{
	int *fds = malloc(PB_LOOP_MAX * sizeof *fds);
	long n = 0;

	if (fds == NULL)
		pb_die("out of memory");
	for (;;) {
		int fd, r, err;
		unsigned port;

		if (n == PB_LOOP_MAX)
			pb_die("%s: no %s after %d calls", what, strerror(limit), PB_LOOP_MAX);
		fd = socket(to->family, type | SOCK_CLOEXEC | (do_connect ? SOCK_NONBLOCK : 0), 0);
		if (fd < 0)
			pb_die("%s: socket after %ld: %s", what, n, strerror(errno));
		if (do_connect)
			r = connect(fd, (const struct sockaddr *)&to->ss, to->len);
		else
			r = bind(fd, (const struct sockaddr *)&to->ss, to->len);
		err = errno;
		if (r != 0 && !(do_connect && type == SOCK_STREAM && err == EINPROGRESS)) {
			close(fd);
			if (err == limit)
				break;
			pb_die("%s %s: call %ld failed with %s, expected %s", what, to->addr,
			       n + 1, strerror(err), strerror(limit));
		}
		port = pb_local_port(fd, NULL, 0);
		if (!pb_in_range(st, port))
			pb_die("%s %s: got port %u outside the range", what, to->addr, port);
		fds[n++] = fd;
	}
	pb_close_all(fds, n, do_connect && type == SOCK_STREAM);
	free(fds);
	return n;
}

/* TcpExt TWRecycled of this namespace (/proc/net/netstat): TIME_WAIT
 * entries connect() took over. */
static long pb_tw_recycled(void)
{
	char names[8192], values[8192];
	char *np, *vp, *ns = NULL, *vs = NULL, *n, *v;
	FILE *f = fopen("/proc/net/netstat", "re");

	if (f == NULL)
		pb_die("/proc/net/netstat: %s", strerror(errno));
	while (fgets(names, sizeof names, f) != NULL) {
		if (fgets(values, sizeof values, f) == NULL)
			break;
		if (strncmp(names, "TcpExt:", 7) != 0 || strncmp(values, "TcpExt:", 7) != 0)
			continue;
		for (np = names, vp = values;
		     (n = strtok_r(np, " \n", &ns)) != NULL && (v = strtok_r(vp, " \n", &vs)) != NULL;
		     np = vp = NULL)
			if (strcmp(n, "TWRecycled") == 0) {
				fclose(f);
				return strtol(v, NULL, 10);
			}
	}
	fclose(f);
	pb_die("no TcpExt TWRecycled in /proc/net/netstat");
}

/* What the kernel's rules say connect() toward m->ep gets (see the top). */
static void pb_model(const struct pb_state *st, struct pb_measure *m)
{
	int reuse = st->tw_reuse == 1 || (st->tw_reuse == 2 && pb_loopback(&m->ep));
	long free_ports = 0, reusable = 0;
	unsigned port, i;

	reuse = reuse && st->timestamps == 1 && st->tw_age_ms > (double)st->reuse_delay_ms;
	for (port = st->low; port <= st->high; port++) {
		int blocked = pb_bit(st->reserved, port) || pb_bit(st->owned, port);
		int tw_reusable = 0;

		for (i = 0; i < st->ngroups && !blocked; i++) {
			const struct pb_group *g = st->groups[i];

			if (!pb_bit(g->ports, port))
				continue;
			if (g->mode == PB_BIND0 || g->mode == PB_EXPLICIT)
				blocked = 1;     /* an owned bind bucket */
			else if (pb_same_kernel_ep(&g->dst, &m->ep)) {
				if (g->tw_taken && pb_bit(g->tw_ports, port))
					continue; /* an earlier measure took it over */
				if (reuse && pb_bit(g->tw_ports, port))
					tw_reusable = 1;
				else
					blocked = 1;
			}
		}
		if (!blocked) {
			free_ports++;
			reusable += tw_reusable;
		}
	}
	m->model_max = free_ports;
	/* An odd number of ports: each scan covers an even number of them. */
	m->model_min = free_ports - ((st->high - st->low + 1) % 2 && free_ports > 0);
	m->reusable_model = reusable;
	m->reuse = reuse;
}

static void pb_measure(struct pb_state *st)
{
	unsigned i, k;

	st->tw_age_ms = st->have_tw ? pb_elapsed_ms(&st->last_tw) : 0;
	for (i = 0; i < st->nmeasures; i++) {
		struct pb_measure *m = &st->measures[i];
		int l;

		switch (m->kind) {
		case PB_M_CONNECT:
			l = pb_find_listener(st, &m->ep);
			if (l < 0)
				pb_die("connect:%s: no listen: item serves it", m->target);
			pb_model(st, m);
			m->recycled = pb_tw_recycled();
			m->ok = pb_exhaust(st, SOCK_STREAM, 1, &m->ep, EADDRNOTAVAIL, "connect");
			m->recycled = pb_tw_recycled() - m->recycled;
			for (k = 0; k < st->ngroups && m->reuse; k++)
				if ((st->groups[k]->mode == PB_CONNECT || st->groups[k]->mode == PB_NOPORT) &&
				    pb_same_kernel_ep(&st->groups[k]->dst, &m->ep))
					st->groups[k]->tw_taken = 1;
			pb_drain(st->listeners[l].fd);
			break;
		case PB_M_TCPBIND:
			m->ok = pb_exhaust(st, SOCK_STREAM, 0, &m->ep, EADDRINUSE, "tcp bind");
			break;
		case PB_M_UDPBIND:
			m->ok = pb_exhaust(st, SOCK_DGRAM, 0, &m->ep, EADDRINUSE, "udp bind");
			break;
		case PB_M_UDPCONNECT:
			m->ok = pb_exhaust(st, SOCK_DGRAM, 1, &m->ep, EAGAIN, "udp connect");
			break;
		}
	}
}

static void pb_write_report(const struct pb_state *st, const char *path)
{
	char tmp[4096];
	unsigned i, j, k, n, port;
	FILE *f;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		pb_die("report path too long");
	f = fopen(tmp, "we");
	if (f == NULL)
		pb_die("%s: %s", tmp, strerror(errno));
	fprintf(f, "{\"range\": {\"low\": %u, \"high\": %u, \"reserved\": %u}, "
		"\"sysctl\": {\"tcp_tw_reuse\": %d, \"tcp_timestamps\": %d, "
		"\"tcp_tw_reuse_delay_ms\": %ld}, \"tw_age_ms\": %.0f, \"owned\": %u, \"groups\": [",
		st->low, st->high, st->nreserved, st->tw_reuse, st->timestamps,
		st->reuse_delay_ms, st->tw_age_ms, st->nowned);
	for (i = 0; i < st->ngroups; i++) {
		const struct pb_group *g = st->groups[i];

		fprintf(f, "%s{\"mode\": \"%s\", \"daddr\": \"%s\", \"dport\": %u, "
			"\"saddr\": \"%s\", \"established\": %u, \"time_wait\": %u}",
			i ? ", " : "", pb_mode_name[g->mode], g->dst.addr, g->dst.port,
			g->saddr, g->nest, g->ntw);
	}
	fputs("], \"destinations\": [", f);
	/* one entry per destination text, at its first group */
	for (i = 0, n = 0; i < st->ngroups; i++) {
		const struct pb_group *g = st->groups[i];
		unsigned est = 0, tw = 0, in_use = 0;
		const char *saddr;
		int seen = 0;

		for (j = 0; j < i; j++)
			seen |= strcmp(st->groups[j]->dst.addr, g->dst.addr) == 0 &&
				st->groups[j]->dst.port == g->dst.port;
		if (seen)
			continue;
		for (port = st->low; port <= st->high; port++) {
			int used = 0;

			for (j = i; j < st->ngroups; j++) {
				const struct pb_group *h = st->groups[j];

				if (strcmp(h->dst.addr, g->dst.addr) == 0 &&
				    h->dst.port == g->dst.port && pb_bit(h->ports, port))
					used = 1;
			}
			in_use += (unsigned)used;
		}
		saddr = "";
		for (j = i; j < st->ngroups; j++) {
			const struct pb_group *h = st->groups[j];

			if (strcmp(h->dst.addr, g->dst.addr) != 0 || h->dst.port != g->dst.port)
				continue;
			est += h->nest;
			tw += h->ntw;
			/* a group that made no connection has no address */
			if (saddr[0] == '\0')
				saddr = h->saddr;
			else if (h->saddr[0] != '\0' && strcmp(h->saddr, saddr) != 0)
				pb_die("clients toward %s:%u got two local addresses: %s, %s",
				       g->dst.addr, g->dst.port, saddr, h->saddr);
		}
		fprintf(f, "%s{\"daddr\": \"%s\", \"dport\": %u, \"saddr\": \"%s\", "
			"\"established\": %u, \"time_wait\": %u, \"in_use\": %u}",
			n++ ? ", " : "", g->dst.addr, g->dst.port, saddr, est, tw, in_use);
	}
	for (k = st->low, n = 0; k <= st->high; k++)
		n += (unsigned)pb_bit(st->udp_ports, k);
	fprintf(f, "], \"udp\": {\"sockets\": %u, \"ports_in_range\": %u}, \"measures\": [",
		st->nudp, n);
	for (i = 0; i < st->nmeasures; i++) {
		const struct pb_measure *m = &st->measures[i];

		fprintf(f, "%s{\"kind\": \"%s\", \"target\": \"%s\", \"ok\": %ld",
			i ? ", " : "", pb_kind_name[m->kind], m->target, m->ok);
		if (m->kind == PB_M_CONNECT)
			fprintf(f, ", \"model_min\": %ld, \"model_max\": %ld, "
				"\"reusable_model\": %ld, \"recycled\": %ld", m->model_min,
				m->model_max, m->reusable_model, m->recycled);
		fputc('}', f);
	}
	fprintf(f, "], \"cmd_status\": %d}\n", st->cmd_status);
	if (ferror(f) | fclose(f))
		pb_die("writing %s failed", tmp);
	if (rename(tmp, path) != 0)
		pb_die("rename %s: %s", tmp, strerror(errno));
}

static enum pb_mode pb_mode_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof pb_mode_name / sizeof pb_mode_name[0]; i++)
		if (strcmp(s, pb_mode_name[i]) == 0)
			return (enum pb_mode)i;
	fprintf(stderr, "probehelper: bad mode '%s'\n", s);
	pb_usage(NULL);
}

/* "N:REST" -> N, *rest; for the conn: and udp items. */
static long pb_field(const char **s, long max, const char *what)
{
	char buf[16];
	const char *colon = strchr(*s, ':');
	size_t len;

	if (colon == NULL || (len = (size_t)(colon - *s)) == 0 || len >= sizeof buf) {
		fprintf(stderr, "probehelper: bad %s in '%s'\n", what, *s);
		pb_usage(NULL);
	}
	memcpy(buf, *s, len);
	buf[len] = '\0';
	*s = colon + 1;
	return pb_number(buf, max, what);
}

static void pb_parse_item(struct pb_state *st, const char *item)
{
	const char *arg = strchr(item, ':');
	size_t klen;

	if (arg == NULL)
		pb_usage("an item is KIND:ARGS");
	klen = (size_t)(arg - item);
	arg++;
#define PB_IS(name) (klen == strlen(name) && strncmp(item, name, klen) == 0)
	if (PB_IS("listen")) {
		if (st->nlisteners == PB_MAX_ITEMS)
			pb_usage("too many listen: items");
		pb_ep_parse(arg, &st->listeners[st->nlisteners++].ep);
	} else if (PB_IS("bound")) {
		if (st->nbound == PB_MAX_ITEMS)
			pb_usage("too many bound: items");
		pb_ep_parse(arg, &st->bound_eps[st->nbound++]);
	} else if (PB_IS("conn")) {
		struct pb_group *g;
		const char *colon = strchr(arg, ':');
		char mode[16];

		if (st->ngroups == PB_MAX_ITEMS)
			pb_usage("too many conn: items");
		if (colon == NULL || (size_t)(colon - arg) >= sizeof mode)
			pb_usage("conn:MODE:EST:TW:EP");
		memcpy(mode, arg, (size_t)(colon - arg));
		mode[colon - arg] = '\0';
		g = calloc(1, sizeof *g);
		if (g == NULL)
			pb_die("out of memory");
		g->mode = pb_mode_parse(mode);
		arg = colon + 1;
		g->want_est = (unsigned)pb_field(&arg, PB_MAX_PER_GROUP, "EST");
		g->want_tw = (unsigned)pb_field(&arg, 65535, "TW");
		pb_ep_parse(arg, &g->dst);
		st->groups[st->ngroups++] = g;
	} else if (PB_IS("udpsock")) {
		char buf[PB_TEXT];
		const char *colon = strrchr(arg, ':');

		if (st->nudp_bind == PB_MAX_ITEMS || colon == NULL ||
		    (size_t)(colon - arg) >= sizeof buf)
			pb_usage("udpsock:ADDR:N");
		memcpy(buf, arg, (size_t)(colon - arg));
		buf[colon - arg] = '\0';
		pb_addr_parse(buf, &st->udp_bind_ep[st->nudp_bind]);
		st->udp_bind_n[st->nudp_bind++] = (unsigned)pb_number(colon + 1, 256, "N");
	} else if (PB_IS("udpconn")) {
		char buf[PB_TEXT];
		const char *colon = strrchr(arg, ':');

		if (st->nudp_conn == PB_MAX_ITEMS || colon == NULL ||
		    (size_t)(colon - arg) >= sizeof buf)
			pb_usage("udpconn:EP:N");
		memcpy(buf, arg, (size_t)(colon - arg));
		buf[colon - arg] = '\0';
		pb_ep_parse(buf, &st->udp_conn_ep[st->nudp_conn]);
		st->udp_conn_n[st->nudp_conn++] = (unsigned)pb_number(colon + 1, 256, "N");
	} else {
		struct pb_measure *m;
		enum pb_kind kind;

		if (PB_IS("connect"))
			kind = PB_M_CONNECT;
		else if (PB_IS("tcpbind"))
			kind = PB_M_TCPBIND;
		else if (PB_IS("udpbind"))
			kind = PB_M_UDPBIND;
		else if (PB_IS("udpconnect"))
			kind = PB_M_UDPCONNECT;
		else
			pb_usage("unknown item");
		if (st->nmeasures == PB_MAX_ITEMS || strlen(arg) >= PB_TEXT)
			pb_usage("too many measures");
		m = &st->measures[st->nmeasures++];
		m->kind = kind;
		memcpy(m->target, arg, strlen(arg) + 1);
		if (kind == PB_M_CONNECT || kind == PB_M_UDPCONNECT)
			pb_ep_parse(arg, &m->ep);
		else
			pb_addr_parse(arg, &m->ep);
	}
#undef PB_IS
}

int main(int argc, char **argv)
{
	static struct pb_state st;
	const char *file = NULL;
	long tw_age = 0;
	unsigned u, sum;
	int i;

	if (argc < 2 || strcmp(argv[1], "run") != 0)
		pb_usage(NULL);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--report") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--tw-age") == 0 && i + 1 < argc)
			tw_age = pb_number(argv[++i], 600000, "--tw-age");
		else
			pb_parse_item(&st, argv[i]);
	}
	if (file == NULL || i >= argc)
		pb_usage(NULL);
	for (u = 0, sum = 0; u < st.nudp_bind; u++)
		sum += st.udp_bind_n[u];
	for (u = 0; u < st.nudp_conn; u++)
		sum += st.udp_conn_n[u];
	if (sum > PB_MAX_UDP)
		pb_usage("too many UDP sockets");

	signal(SIGPIPE, SIG_IGN);
	pb_raise_nofile();
	pb_read_sysctls(&st);
	st.next_explicit = st.high;
	for (u = 0; u < st.ngroups; u++) {
		st.groups[u]->listener = pb_find_listener(&st, &st.groups[u]->dst);
		if (st.groups[u]->listener < 0)
			pb_die("conn: toward %s:%u: no listen: item serves it",
			       st.groups[u]->dst.addr, st.groups[u]->dst.port);
	}
	pb_build(&st);
	pb_wait_tw_age(&st, tw_age);
	st.cmd_status = pb_run_cmd(argv + i);
	pb_check_world(&st);
	pb_measure(&st);
	pb_write_report(&st, file);
	pb_teardown(&st);
	for (u = 0; u < st.ngroups; u++)
		free(st.groups[u]);
	if (st.cmd_status != 0) {
		fprintf(stderr, "probehelper: command exited with status %d\n", st.cmd_status);
		return 1;
	}
	return 0;
}
