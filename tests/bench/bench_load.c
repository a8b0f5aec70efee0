#include "config.h"

/*
 * bench_load: the socket population of `make bench`, inside the private
 * network namespace that tests/bench/run.sh made (it sets the sysctls:
 * ip_local_port_range 1024 65535, tcp_tw_reuse 0, somaxconn 65535).
 *
 *   bench_load tw --ready FILE [--est N] [--tw N] [--timeout SECS]
 *     Four workers, one per destination (127.0.0.1..4, port 80, outside
 *     the range), each holding both ends of est/8 connections (so est
 *     ESTABLISHED sockets in all, est/2 of them client ends toward the
 *     destinations) and making tw/4 client-side TIME_WAIT entries (the
 *     client closes first; the server reads EOF and closes; the client
 *     goes FIN_WAIT2 -> TIME_WAIT). A worker holds at most ~15,500 fds:
 *     a process may not raise RLIMIT_NOFILE past the hard limit here.
 *     A TIME_WAIT entry lives 60 s, so each worker replaces every batch
 *     of entries when it turns 60 s old: the count stays constant. The
 *     replacements come in bursts as long as the first fill; `wait-quiet`
 *     tells the driver when no burst is near.
 *
 *   bench_load procs --ready FILE [--procs N] [--socks M] [--timeout SECS]
 *     N processes each holding M sockets (both ends of M/2 connections
 *     toward the four destinations): the attribution worst case.
 *
 *   bench_load wait-quiet --ready FILE --secs S
 *     Return once no TIME_WAIT replacement is due within the next S
 *     seconds (exit 1 after 70 s of waiting).
 *
 * FILE (written to FILE.tmp and renamed once the population is complete)
 * holds "key value" lines: pid, established, time_wait, procs,
 * fill_s (seconds the TIME_WAIT fill took). FILE.state holds, for each
 * worker, the CLOCK_MONOTONIC nanoseconds of its oldest TIME_WAIT batch
 * (int64, native order), updated after every replacement.
 *
 * The population stays until SIGTERM/SIGINT or the timeout (default
 * 600 s); every connection is then aborted (SO_LINGER 0: RST, no new
 * TIME_WAIT).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BL_NDEST 4
#define BL_PORT 80
#define BL_BATCH 250              /* TIME_WAIT entries made at a time */
#define BL_TW_LIFE_NS 60000000000LL /* TCP_TIMEWAIT_LEN */
#define BL_FD_SLACK 64

static volatile sig_atomic_t bl_stop;

static void bl_on_signal(int sig)
{
	(void)sig;
	bl_stop = 1;
}

__attribute__((format(printf, 1, 2), noreturn))
static void bl_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t bl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void bl_sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns <= 0)
		return;
	ts.tv_sec = (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	nanosleep(&ts, NULL);   /* a signal cuts it short: fine */
}

static void bl_dest_addr(unsigned d, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(BL_PORT);
	sin->sin_addr.s_addr = htonl(0x7f000001u + d);   /* 127.0.0.(d+1) */
}

/* Raise RLIMIT_NOFILE to its hard limit; returns the soft limit. */
static rlim_t bl_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		bl_die("getrlimit: %s", strerror(errno));
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		bl_die("setrlimit: %s", strerror(errno));
	return rl.rlim_cur;
}

static int bl_listen(unsigned d)
{
	struct sockaddr_in sin;
	int one = 1, fd;

	bl_dest_addr(d, &sin);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bl_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		bl_die("bind 127.0.0.%u:%d: %s", d + 1, BL_PORT, strerror(errno));
	if (listen(fd, 65535) != 0)
		bl_die("listen: %s", strerror(errno));
	return fd;
}

/*
 * Connect n clients to destination d and accept their server ends from
 * lfd: cli[i] and srv[i] (not paired: every server end is a connection
 * of this batch). The backlog must hold n.
 */
static void bl_connect_batch(unsigned d, int lfd, int *cli, int *srv,
			     unsigned n)
{
	struct sockaddr_in sin;
	unsigned i;

	bl_dest_addr(d, &sin);
	for (i = 0; i < n; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cli[i] < 0)
			bl_die("socket: %s", strerror(errno));
		if (connect(cli[i], (struct sockaddr *)&sin, sizeof(sin)) != 0)
			bl_die("connect to 127.0.0.%u:%d (socket %u): %s",
			       d + 1, BL_PORT, i, strerror(errno));
	}
	for (i = 0; i < n; i++) {
		srv[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (srv[i] < 0)
			bl_die("accept: %s", strerror(errno));
	}
}

/* n client-side TIME_WAIT entries toward d. */
static void bl_tw_batch(unsigned d, int lfd, int *cli, int *srv, unsigned n)
{
	char buf[16];
	unsigned i;
	ssize_t r;

	bl_connect_batch(d, lfd, cli, srv, n);
	for (i = 0; i < n; i++)
		close(cli[i]);           /* client first: FIN */
	for (i = 0; i < n; i++) {
		/* EOF: the client's FIN is in, so our FIN finds it in
		 * FIN_WAIT2 and it goes to TIME_WAIT (not both sides) */
		do
			r = read(srv[i], buf, sizeof(buf));
		while (r > 0 || (r < 0 && errno == EINTR));
		if (r < 0)
			bl_die("read: %s", strerror(errno));
		close(srv[i]);
	}
}

static void bl_abort_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void bl_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			bl_die("write: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

/* One byte from fd (-1 on EOF or error); retries EINTR unless stopping. */
static int bl_read_byte(int fd)
{
	unsigned char c;
	ssize_t r;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == 1)
			return c;
		if (r < 0 && errno == EINTR && !bl_stop)
			continue;
		return -1;
	}
}

/*
 * One byte from fd, watching the children that should send it: -1 as
 * soon as one of them has exited (it failed: it said why on stderr).
 */
static int bl_read_byte_watch(int fd, const pid_t *pids, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t i;

	for (;;) {
		int r = poll(&pfd, 1, 500);

		if (r > 0)
			return bl_read_byte(fd);
		if (r < 0 && errno != EINTR)
			return -1;
		if (bl_stop)
			return -1;
		for (i = 0; i < n; i++)
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
				return -1;
	}
}

struct bl_opts {
	const char *ready;
	long est, tw, procs, socks, timeout;
	double secs;
};

/* ---- tw mode -------------------------------------------------------------- */

/*
 * Worker d: build the ESTABLISHED connections, say 'E' on `up`; wait for
 * 'G' on `go`, fill the TIME_WAIT batches, say 'T'; then replace each batch
 * when it turns 60 s old until told to stop (EOF on `go`, or a signal).
 */
static void bl_tw_worker(unsigned d, const struct bl_opts *o, int up, int go,
			 int64_t *state)
{
	long nconn = o->est / 2 / BL_NDEST, ntw = o->tw / BL_NDEST;
	size_t nb = (size_t)(ntw + BL_BATCH - 1) / BL_BATCH, b;
	int *cli = calloc((size_t)nconn + 1, sizeof(int));
	int *srv = calloc((size_t)nconn + 1, sizeof(int));
	int tcli[BL_BATCH], tsrv[BL_BATCH];
	int64_t *born = calloc(nb + 1, sizeof(int64_t));
	long done;
	int lfd;

	if (!cli || !srv || !born)
		bl_die("out of memory");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	lfd = bl_listen(d);
	for (done = 0; done < nconn; done += BL_BATCH) {
		unsigned n = (unsigned)(nconn - done < BL_BATCH ?
					nconn - done : BL_BATCH);

		bl_connect_batch(d, lfd, cli + done, srv + done, n);
	}
	bl_write_all(up, "E", 1);
	if (bl_read_byte(go) != 'G')
		_exit(0);
	for (b = 0; b < nb; b++) {
		unsigned n = (unsigned)(ntw - (long)b * BL_BATCH < BL_BATCH ?
					ntw - (long)b * BL_BATCH : BL_BATCH);

		born[b] = bl_now_ns();
		bl_tw_batch(d, lfd, tcli, tsrv, n);
	}
	__atomic_store_n(&state[d], born[0], __ATOMIC_RELEASE);
	bl_write_all(up, "T", 1);

	/* Replace the oldest batch when it is due; `go` gives EOF at stop. */
	for (b = 0; !bl_stop && nb > 0; b = (b + 1) % nb) {
		unsigned n = (unsigned)(ntw - (long)b * BL_BATCH < BL_BATCH ?
					ntw - (long)b * BL_BATCH : BL_BATCH);
		struct pollfd pfd = { .fd = go, .events = POLLIN };

		for (;;) {
			int64_t wait = born[b] + BL_TW_LIFE_NS - bl_now_ns();

			if (wait <= 0 || bl_stop)
				break;
			if (poll(&pfd, 1, (int)(wait / 1000000 + 1)) > 0)
				bl_stop = 1;
		}
		if (bl_stop)
			break;
		born[b] = bl_now_ns();
		bl_tw_batch(d, lfd, tcli, tsrv, n);
		__atomic_store_n(&state[d], born[(b + 1) % nb], __ATOMIC_RELEASE);
	}
	for (done = 0; done < nconn; done++) {
		bl_abort_close(cli[done]);
		bl_abort_close(srv[done]);
	}
	close(lfd);
	_exit(0);
}

static void bl_write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bl_die("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) != 0)
		bl_die("rename %s: %s", tmp, strerror(errno));
}

static int64_t *bl_map_state(const char *ready, int create)
{
	char path[4096];
	int64_t *st;
	int fd;

	snprintf(path, sizeof(path), "%s.state", ready);
	fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC :
		  O_RDONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		bl_die("open %s: %s", path, strerror(errno));
	if (create && ftruncate(fd, 4096) != 0)
		bl_die("ftruncate %s: %s", path, strerror(errno));
	st = mmap(NULL, 4096, create ? PROT_READ | PROT_WRITE : PROT_READ,
		  MAP_SHARED, fd, 0);
	if (st == MAP_FAILED)
		bl_die("mmap %s: %s", path, strerror(errno));
	close(fd);
	return st;
}

/* Wait for the stop signal or the timeout. */
static void bl_hold(long timeout)
{
	int64_t end = bl_now_ns() + (int64_t)timeout * 1000000000LL;

	while (!bl_stop && bl_now_ns() < end)
		bl_sleep_ns(200000000LL);
}

static int bl_mode_tw(const struct bl_opts *o)
{
	int up[2], go[2];
	pid_t pids[BL_NDEST];
	int64_t *state, t0, t1;
	char text[512];
	unsigned d;
	int c, n;
	rlim_t lim = bl_raise_nofile();

	if (o->est % (2 * BL_NDEST) || o->tw % BL_NDEST || o->est < 0 || o->tw < 0)
		bl_die("--est must be a multiple of %d and --tw of %d",
		       2 * BL_NDEST, BL_NDEST);
	if ((rlim_t)(o->est / BL_NDEST + 2 * BL_BATCH + BL_FD_SLACK) > lim)
		bl_die("--est %ld needs %ld fds per worker; the limit is %llu",
		       o->est, o->est / BL_NDEST + 2 * BL_BATCH + BL_FD_SLACK,
		       (unsigned long long)lim);
	state = bl_map_state(o->ready, 1);
	if (pipe2(up, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0)
		bl_die("pipe: %s", strerror(errno));
	for (d = 0; d < BL_NDEST; d++) {
		pids[d] = fork();
		if (pids[d] < 0)
			bl_die("fork: %s", strerror(errno));
		if (pids[d] == 0) {
			close(up[0]);
			close(go[1]);
			bl_tw_worker(d, o, up[1], go[0], state);
		}
	}
	close(up[1]);
	close(go[0]);
	for (n = 0; n < BL_NDEST; n++)
		if ((c = bl_read_byte_watch(up[0], pids, BL_NDEST)) != 'E')
			bl_die("a worker failed while connecting");
	/* All at once, so the replacement bursts line up. */
	t0 = bl_now_ns();
	bl_write_all(go[1], "GGGG", BL_NDEST);
	for (n = 0; n < BL_NDEST; n++)
		if ((c = bl_read_byte_watch(up[0], pids, BL_NDEST)) != 'T')
			bl_die("a worker failed while making TIME_WAIT entries");
	t1 = bl_now_ns();
	snprintf(text, sizeof(text),
		 "pid %ld\nestablished %ld\ntime_wait %ld\nprocs %d\n"
		 "fill_s %.3f\n", (long)getpid(), o->est, o->tw, BL_NDEST,
		 (double)(t1 - t0) / 1e9);
	bl_write_ready(o->ready, text);
	bl_hold(o->timeout);
	close(go[1]);            /* EOF: the workers abort and exit */
	for (d = 0; d < BL_NDEST; d++)
		waitpid(pids[d], NULL, 0);
	return 0;
}

/* ---- procs mode ------------------------------------------------------------ */

static int bl_mode_procs(const struct bl_opts *o)
{
	int lfd[BL_NDEST], up[2], hold[2];
	long i, nconn = o->socks / 2;
	pid_t *pids;
	char text[512];
	unsigned d;

	if (o->socks % 2 || o->socks <= 0 || o->procs <= 0)
		bl_die("--socks must be even and positive, --procs positive");
	if ((rlim_t)(o->socks + BL_FD_SLACK) > bl_raise_nofile())
		bl_die("--socks %ld is past the fd limit", o->socks);
	pids = calloc((size_t)o->procs, sizeof(*pids));
	if (!pids)
		bl_die("out of memory");
	for (d = 0; d < BL_NDEST; d++)
		lfd[d] = bl_listen(d);
	if (pipe2(up, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0)
		bl_die("pipe: %s", strerror(errno));
	/* One at a time: each child accepts exactly its own connections. */
	for (i = 0; i < o->procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bl_die("fork (process %ld): %s", i, strerror(errno));
		if (pids[i] == 0) {
			int *cli = calloc((size_t)nconn, sizeof(int));
			int *srv = calloc((size_t)nconn, sizeof(int));
			long k;

			if (!cli || !srv)
				bl_die("out of memory");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(up[0]);
			close(hold[1]);
			d = (unsigned)(i % BL_NDEST);
			bl_connect_batch(d, lfd[d], cli, srv, (unsigned)nconn);
			for (k = 0; k < BL_NDEST; k++)
				close(lfd[k]);
			bl_write_all(up[1], "R", 1);
			close(up[1]);
			(void)bl_read_byte(hold[0]);   /* EOF: stop */
			for (k = 0; k < nconn; k++) {
				bl_abort_close(cli[k]);
				bl_abort_close(srv[k]);
			}
			_exit(0);
		}
		if (bl_read_byte_watch(up[0], &pids[i], 1) != 'R')
			bl_die("process %ld failed", i);
	}
	snprintf(text, sizeof(text),
		 "pid %ld\nestablished %ld\ntime_wait 0\nprocs %ld\nfill_s 0\n",
		 (long)getpid(), o->procs * o->socks, o->procs);
	bl_write_ready(o->ready, text);
	bl_hold(o->timeout);
	close(hold[1]);
	for (i = 0; i < o->procs; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	return 0;
}

/* ---- wait-quiet ------------------------------------------------------------- */

static int bl_mode_wait_quiet(const struct bl_opts *o)
{
	int64_t *state = bl_map_state(o->ready, 0);
	int64_t need = (int64_t)(o->secs * 1e9), start = bl_now_ns();
	/* a replacement burst starts when the oldest batch turns 60 s */
	const int64_t margin = 500000000LL;

	for (;;) {
		int64_t now = bl_now_ns(), oldest = INT64_MAX;
		unsigned d;

		for (d = 0; d < BL_NDEST; d++) {
			int64_t v = __atomic_load_n(&state[d], __ATOMIC_ACQUIRE);

			if (v && v < oldest)
				oldest = v;
		}
		if (oldest == INT64_MAX ||
		    oldest + BL_TW_LIFE_NS - margin >= now + need)
			return 0;
		if (now - start > 70000000000LL) {
			fprintf(stderr, "bench_load: no quiet window of %.1f s\n",
				o->secs);
			return 1;
		}
		bl_sleep_ns(50000000LL);
	}
}

static long bl_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		bl_die("bad %s: '%s'", what, s);
	return v;
}

int main(int argc, char **argv)
{
	struct bl_opts o = { NULL, 60000, 60000, 1000, 100, 600, 0.0 };
	struct sigaction sa;
	const char *mode;
	int i;

	if (argc < 2)
		bl_die("usage: bench_load tw|procs|wait-quiet --ready FILE ...");
	mode = argv[1];
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			bl_die("%s needs a value", a);
		if (!strcmp(a, "--ready"))
			o.ready = argv[++i];
		else if (!strcmp(a, "--est"))
			o.est = bl_num(argv[++i], a);
		else if (!strcmp(a, "--tw"))
			o.tw = bl_num(argv[++i], a);
		else if (!strcmp(a, "--procs"))
			o.procs = bl_num(argv[++i], a);
		else if (!strcmp(a, "--socks"))
			o.socks = bl_num(argv[++i], a);
		else if (!strcmp(a, "--timeout"))
			o.timeout = bl_num(argv[++i], a);
		else if (!strcmp(a, "--secs"))
			o.secs = strtod(argv[++i], NULL);
		else
			bl_die("unknown option %s", a);
	}
	if (!o.ready)
		bl_die("--ready FILE is required");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bl_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(mode, "tw"))
		return bl_mode_tw(&o);
	if (!strcmp(mode, "procs"))
		return bl_mode_procs(&o);
	if (!strcmp(mode, "wait-quiet"))
		return bl_mode_wait_quiet(&o);
	bl_die("unknown mode '%s'", mode);
}
