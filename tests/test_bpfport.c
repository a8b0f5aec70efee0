#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bpfport.h"
#include "diag.h"
#include "nlio.h"
#include "sock.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ---- the parser ------------------------------------------------------- */

static struct bpfport_wire wire(uint64_t cookie, uint16_t sport, uint8_t state,
				uint8_t family, int8_t fr, int8_t frp,
				uint8_t has_tb)
{
	struct bpfport_wire w;

	memset(&w, 0, sizeof(w));
	w.cookie = cookie;
	w.sport = sport;
	w.state = state;
	w.family = family;
	w.fastreuse = fr;
	w.fastreuseport = frp;
	w.has_tb = has_tb;
	w.version = BPFPORT_WIRE_VERSION;
	return w;
}

static void test_parse_valid(void **state)
{
	struct bpfport_wire w[5];
	struct bpfport_vec v;
	struct bpfport_stats st;

	(void)state;
	w[0] = wire(11, 40001, SOCK_ESTABLISHED, AF_INET, -1, -1, 1);
	w[1] = wire(12, 40002, SOCK_ESTABLISHED, AF_INET6, 0, -1, 1);
	w[2] = wire(13, 40003, SOCK_TIME_WAIT, AF_INET, -1, 0, 1);
	w[3] = wire(14, 40004, SOCK_FIN_WAIT1, AF_INET, 1, 1, 1);
	w[4] = wire(15, 40005, SOCK_CLOSE, AF_INET, -1, -1, 0);
	memset(&st, 0, sizeof(st));
	bpfport_vec_init(&v);
	assert_int_equal(bpfport_parse(w, sizeof(w), &v, &st), 0);
	assert_int_equal(v.len, 5);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(v.v[0].cookie, 11);
	assert_int_equal(v.v[0].sport, 40001);
	assert_int_equal(v.v[0].state, SOCK_ESTABLISHED);
	assert_int_equal(v.v[0].family, AF_INET);
	assert_int_equal(v.v[0].bind, SOCK_BIND_AUTO);
	assert_int_equal(v.v[1].family, AF_INET6);
	assert_int_equal(v.v[1].bind, SOCK_BIND_OWNED);
	assert_int_equal(v.v[2].state, SOCK_TIME_WAIT);
	assert_int_equal(v.v[2].bind, SOCK_BIND_OWNED);
	assert_int_equal(v.v[3].bind, SOCK_BIND_OWNED);
	assert_int_equal(v.v[4].bind, SOCK_BIND_UNKNOWN);
	/* appends */
	assert_int_equal(bpfport_parse(w, sizeof(w[0]), &v, &st), 0);
	assert_int_equal(v.len, 6);
	assert_int_equal(v.v[5].cookie, 11);
	bpfport_vec_release(&v);
	bpfport_vec_release(NULL);
}

static void test_parse_torn_unaligned(void **state)
{
	unsigned char buf[1 + 3 * sizeof(struct bpfport_wire)];
	struct bpfport_wire w[2];
	struct bpfport_vec v;
	struct bpfport_stats st;

	(void)state;
	w[0] = wire(21, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 1);
	w[1] = wire(22, 2, SOCK_LISTEN, AF_INET6, 0, 0, 1);
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf + 1, w, sizeof(w));
	memset(&st, 0, sizeof(st));
	bpfport_vec_init(&v);
	/* two records and 5 bytes of a third, from an odd address */
	assert_int_equal(bpfport_parse(buf + 1, sizeof(w) + 5, &v, &st), 0);
	assert_int_equal(v.len, 2);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(v.v[1].cookie, 22);
	assert_int_equal(v.v[1].bind, SOCK_BIND_OWNED);
	/* only a torn record */
	assert_int_equal(bpfport_parse(buf + 1, 15, &v, &st), 0);
	assert_int_equal(v.len, 2);
	assert_int_equal(st.malformed, 2);
	bpfport_vec_release(&v);
}

static void test_parse_bad_fields(void **state)
{
	struct bpfport_wire w[8];
	struct bpfport_vec v;
	struct bpfport_stats st;

	(void)state;
	w[0] = wire(1, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 1);
	w[0].version = 0;
	w[1] = wire(2, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 1);
	w[1].version = BPFPORT_WIRE_VERSION + 1;
	w[2] = wire(3, 1, SOCK_ESTABLISHED, AF_UNIX, -1, -1, 1);
	w[3] = wire(4, 1, 0, AF_INET, -1, -1, 1);
	w[4] = wire(5, 1, SOCK_STATE_MAX, AF_INET, -1, -1, 1);
	w[5] = wire(6, 1, 255, AF_INET6, -1, -1, 1);
	w[6] = wire(7, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 2);
	w[7] = wire(8, 1, SOCK_BOUND, AF_INET6, -1, -1, 1);   /* the good one */
	memset(&st, 0, sizeof(st));
	bpfport_vec_init(&v);
	assert_int_equal(bpfport_parse(w, sizeof(w), &v, &st), 0);
	assert_int_equal(st.malformed, 7);
	assert_int_equal(st.records, 1);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].cookie, 8);
	bpfport_vec_release(&v);
}

static void test_parse_empty(void **state)
{
	struct bpfport_vec v;
	struct bpfport_stats st;

	(void)state;
	memset(&st, 0, sizeof(st));
	bpfport_vec_init(&v);
	assert_int_equal(bpfport_parse(NULL, 0, &v, &st), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.malformed, 0);
	bpfport_vec_release(&v);
}

static void test_parse_random(void **state)
{
	size_t len = 1u << 20, i, good = 0;
	unsigned char *buf = malloc(len);
	struct bpfport_vec v;
	struct bpfport_stats st;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
	/* make a known share of the chunks valid, the rest random */
	for (i = 0; i + BPFPORT_WIRE_SIZE <= len; i += 7 * BPFPORT_WIRE_SIZE) {
		struct bpfport_wire w = wire(i, 1, SOCK_ESTABLISHED, AF_INET,
					     -1, -1, 1);

		memcpy(buf + i, &w, sizeof(w));
		good++;
	}
	memset(&st, 0, sizeof(st));
	bpfport_vec_init(&v);
	/* an odd length: a torn tail too */
	assert_int_equal(bpfport_parse(buf, len - 3, &v, &st), 0);
	assert_int_equal(st.records + st.malformed,
			 (len - 3) / BPFPORT_WIRE_SIZE + 1);
	assert_int_equal(st.records, v.len);
	assert_true(v.len >= good);
	assert_true(st.malformed > 0);
	for (i = 0; i < v.len; i++) {
		assert_true(v.v[i].family == AF_INET ||
			    v.v[i].family == AF_INET6);
		assert_in_range(v.v[i].state, SOCK_ESTABLISHED, SOCK_BOUND);
		assert_in_range(v.v[i].bind, SOCK_BIND_UNKNOWN, SOCK_BIND_OWNED);
	}
	bpfport_vec_release(&v);
	free(buf);
}

/* ---- the join ----------------------------------------------------------- */

static void push_rec(struct bpfport_vec *v, uint64_t cookie, uint8_t bind)
{
	struct bpfport_wire w;
	struct bpfport_stats st;

	/* through the parser, as the live path does */
	switch (bind) {
	case SOCK_BIND_AUTO:
		w = wire(cookie, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 1);
		break;
	case SOCK_BIND_OWNED:
		w = wire(cookie, 1, SOCK_ESTABLISHED, AF_INET, 0, 0, 1);
		break;
	default:
		w = wire(cookie, 1, SOCK_ESTABLISHED, AF_INET, -1, -1, 0);
		break;
	}
	memset(&st, 0, sizeof(st));
	assert_int_equal(bpfport_parse(&w, sizeof(w), v, &st), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(v->v[v->len - 1].bind, bind);
}

static void push_sock(struct sockvec *sv, uint64_t cookie, uint8_t proto,
		      uint8_t state, uint8_t bind)
{
	struct sock_rec r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = proto;
	r.state = state;
	r.cookie = cookie;
	r.bind = bind;
	assert_int_equal(sockvec_push(sv, &r), 0);
}

static void test_join(void **state)
{
	struct bpfport_vec v;
	struct sockvec sv;
	struct bpfport_stats st;
	size_t i;

	(void)state;
	bpfport_vec_init(&v);
	sockvec_init(&sv);
	/* unsorted, with duplicates */
	push_rec(&v, 9, SOCK_BIND_OWNED);
	push_rec(&v, 3, SOCK_BIND_AUTO);
	push_rec(&v, 11, SOCK_BIND_AUTO);
	push_rec(&v, 5, SOCK_BIND_AUTO);
	push_rec(&v, 11, SOCK_BIND_OWNED);
	push_rec(&v, 11, SOCK_BIND_UNKNOWN);
	push_rec(&v, 12, SOCK_BIND_UNKNOWN);
	push_rec(&v, 12, SOCK_BIND_AUTO);
	push_rec(&v, 20, SOCK_BIND_AUTO);
	push_rec(&v, 21, SOCK_BIND_UNKNOWN);

	push_sock(&sv, 3, IPPROTO_TCP, SOCK_ESTABLISHED, 0);      /* 0 AUTO */
	push_sock(&sv, 9, IPPROTO_TCP, SOCK_TIME_WAIT, 0);        /* 1 OWNED */
	push_sock(&sv, 7, IPPROTO_TCP, SOCK_ESTABLISHED, 0);      /* 2 missing */
	push_sock(&sv, 0, IPPROTO_TCP, SOCK_ESTABLISHED, 0);      /* 3 missing */
	push_sock(&sv, 100, IPPROTO_TCP, SOCK_LISTEN, 0);         /* 4 OWNED */
	push_sock(&sv, 0, IPPROTO_TCP, SOCK_BOUND, 0);            /* 5 OWNED */
	push_sock(&sv, 20, IPPROTO_TCP, SOCK_LISTEN, 0);          /* 6 OWNED */
	push_sock(&sv, 5, IPPROTO_UDP, SOCK_CLOSE, 0);            /* 7 UDP */
	push_sock(&sv, 11, IPPROTO_TCP, SOCK_ESTABLISHED, 0);     /* 8 OWNED */
	push_sock(&sv, 12, IPPROTO_TCP, SOCK_FIN_WAIT2, 0);       /* 9 AUTO */
	push_sock(&sv, 30, IPPROTO_TCP, SOCK_NEW_SYN_RECV, 0);    /* 10 OWNED */
	push_sock(&sv, 31, IPPROTO_TCP, SOCK_ESTABLISHED,
		  SOCK_BIND_OWNED);                               /* 11 kept */
	push_sock(&sv, 21, IPPROTO_TCP, SOCK_ESTABLISHED,
		  SOCK_BIND_OWNED);                               /* 12 UNKN */

	memset(&st, 0, sizeof(st));
	assert_int_equal(bpfport_join(&v, &sv, &st), 0);
	assert_int_equal(sv.v[0].bind, SOCK_BIND_AUTO);
	assert_int_equal(sv.v[1].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[2].bind, SOCK_BIND_UNKNOWN);
	assert_int_equal(sv.v[3].bind, SOCK_BIND_UNKNOWN);
	assert_int_equal(sv.v[4].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[5].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[6].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[7].bind, 0);
	assert_int_equal(sv.v[8].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[9].bind, SOCK_BIND_AUTO);
	assert_int_equal(sv.v[10].bind, SOCK_BIND_OWNED);
	assert_int_equal(sv.v[11].bind, SOCK_BIND_OWNED);
	/* a record without a bucket says UNKNOWN, over what the caller had */
	assert_int_equal(sv.v[12].bind, SOCK_BIND_UNKNOWN);
	assert_int_equal(st.missing, 3);    /* 7, the cookie 0 one, 31 */
	assert_int_equal(st.joined, 9);
	for (i = 1; i < v.len; i++)
		assert_true(v.v[i - 1].cookie <= v.v[i].cookie);

	/* no records at all: every plain TCP socket missing */
	v.len = 0;
	memset(&st, 0, sizeof(st));
	assert_int_equal(bpfport_join(&v, &sv, &st), 0);
	assert_int_equal(st.missing, 8);
	assert_int_equal(st.joined, 4);
	assert_int_equal(sv.v[7].bind, 0);
	bpfport_vec_release(&v);
	sockvec_release(&sv);
}

/* Many sockets against a brute-force truth: the merge must agree. */
static void test_join_many(void **state)
{
	enum { N = 5000 };
	static uint8_t truth[N];
	struct bpfport_vec v;
	struct sockvec sv;
	struct bpfport_stats st;
	unsigned seed = 777;
	size_t i, missing = 0;

	(void)state;
	bpfport_vec_init(&v);
	sockvec_init(&sv);
	for (i = 0; i < N; i++) {
		unsigned r;

		seed = seed * 1103515245u + 12345u;
		r = seed >> 16;
		/* sparse, spread cookies; a tenth without a record */
		truth[i] = r % 10 == 0 ? SOCK_BIND_UNKNOWN :
			   r % 3 == 0 ? SOCK_BIND_OWNED : SOCK_BIND_AUTO;
		missing += truth[i] == SOCK_BIND_UNKNOWN;
		push_sock(&sv, ((uint64_t)(N - i) << 20) + r, IPPROTO_TCP,
			  SOCK_ESTABLISHED, 0);
	}
	/* records in an order of their own */
	for (i = 0; i < N; i++) {
		size_t k = (i * 2713) % N;

		if (truth[k] != SOCK_BIND_UNKNOWN)
			push_rec(&v, sv.v[k].cookie, truth[k]);
	}
	/* one socket twice in the dump */
	assert_int_equal(sockvec_push(&sv, &sv.v[17]), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(bpfport_join(&v, &sv, &st), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(sv.v[i].bind, truth[i]);
	assert_int_equal(sv.v[N].bind, truth[17]);
	assert_int_equal(st.missing, missing + (truth[17] == 0));
	assert_int_equal(st.joined + st.missing, N + 1);
	bpfport_vec_release(&v);
	sockvec_release(&sv);
}

static void test_errors(void **state)
{
	static const int errs[] = {
		0, -ENOSYS, -EPERM, -ENOENT, -ENOMEM, -E2BIG, -EIO,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *s = bpfport_strerror(errs[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 10);
		assert_null(strchr(s, '\n'));
	}
	assert_non_null(strstr(bpfport_strerror(-EPERM), "root"));
	assert_string_not_equal(bpfport_strerror(-EPERM),
				bpfport_strerror(-ENOENT));
#ifndef HAVE_BPF
	{
		struct bpfport *bp = (struct bpfport *)&bp;

		assert_int_equal(bpfport_open(&bp), -ENOSYS);
		assert_null(bp);
		bpfport_free(NULL);
	}
#endif
}

/* ---- live: a private network namespace ---------------------------------- */

static int require_live(void)
{
	const char *req = getenv("PORTTOP_REQUIRE_NETNS");
	const char *bpf = getenv("PORTTOP_BPF");

	return req && strcmp(req, "1") == 0 && bpf && strcmp(bpf, "1") == 0;
}

#define skip_or_fail(why) do { \
	if (require_live()) \
		fail_msg("%s, and PORTTOP_REQUIRE_NETNS=1 with PORTTOP_BPF=1", \
			 why); \
	print_message("skipped: %s\n", why); \
	skip(); \
} while (0)

static uint64_t fd_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len), 0);
	assert_true(c != 0);
	return c;
}

static void sin_lo(struct sockaddr_in *sin, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static uint16_t fd_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

static int listener(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin_lo(&sin, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 64), 0);
	return fd;
}

/* A listener on [::1]:0 and a plain connect() client of it; *srv and
 * *cli are the accepted end and the client. */
static int listener6(int *srv, int *cli)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	assert_int_equal(bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin6, &len), 0);
	*cli = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(*cli >= 0);
	assert_int_equal(connect(*cli, (struct sockaddr *)&sin6,
				 sizeof(sin6)), 0);
	*srv = accept(fd, NULL, NULL);
	assert_true(*srv >= 0);
	return fd;
}

enum how { PLAIN, BIND0, EXPLICIT, NO_PORT };

/* A client of 127.0.0.1:port, its local port chosen as `how` says;
 * *srv is the accepted end. */
static int client(enum how how, uint16_t port, uint16_t explicit_port,
		  int lfd, int *srv)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	if (how == NO_PORT)
		assert_int_equal(setsockopt(fd, IPPROTO_IP,
					    IP_BIND_ADDRESS_NO_PORT, &one,
					    sizeof(one)), 0);
	if (how != PLAIN) {
		sin_lo(&sin, how == EXPLICIT ? explicit_port : 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sin,
				      sizeof(sin)), 0);
	}
	sin_lo(&sin, port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*srv = accept(lfd, NULL, NULL);
	assert_true(*srv >= 0);
	return fd;
}

/* Take the client to TIME_WAIT: it sends FIN first, the server reads EOF
 * and closes; the client's full socket reads CLOSE once the kernel has
 * replaced it by a TIME_WAIT socket (with the same cookie). */
static void to_time_wait(int cfd, int sfd)
{
	char b;
	struct tcp_info ti;
	socklen_t len;
	int i;

	assert_int_equal(shutdown(cfd, SHUT_WR), 0);
	assert_int_equal(read(sfd, &b, 1), 0);
	assert_int_equal(close(sfd), 0);
	for (i = 0; i < 2000; i++) {
		struct timespec ts = { 0, 1000000 };

		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		assert_int_equal(getsockopt(cfd, IPPROTO_TCP, TCP_INFO, &ti,
					    &len), 0);
		if (ti.tcpi_state == TCP_CLOSE)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(ti.tcpi_state, TCP_CLOSE);
	assert_int_equal(close(cfd), 0);
}

static const struct sock_rec *find_sock(const struct sockvec *sv,
					uint64_t cookie)
{
	size_t i;
	const struct sock_rec *hit = NULL;

	for (i = 0; i < sv->len; i++)
		if (sv->v[i].proto == IPPROTO_TCP && sv->v[i].cookie == cookie) {
			assert_null(hit);   /* one socket per cookie */
			hit = &sv->v[i];
		}
	assert_non_null(hit);
	return hit;
}

static int rec_has(const struct bpfport_vec *v, uint64_t cookie)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (v->v[i].cookie == cookie)
			return 1;
	return 0;
}

static void expect(const struct sockvec *sv, const char *what, uint64_t cookie,
		   unsigned st, unsigned bind)
{
	const struct sock_rec *r = find_sock(sv, cookie);

	print_message("%-28s port %5u %-12s bind %s\n", what, r->sport,
		      sock_state_name(r->state),
		      r->bind == SOCK_BIND_AUTO ? "AUTO" :
		      r->bind == SOCK_BIND_OWNED ? "OWNED" : "UNKNOWN");
	assert_int_equal(r->state, st);
	assert_int_equal(r->bind, bind);
}

static void test_live_netns(void **state)
{
	struct bpfport *bp = NULL;
	struct bpfport_vec v;
	struct bpfport_stats st;
	struct diag_stats dst;
	struct sockvec sv;
	struct nlio io;
	int home, outside, lfd, err;
	int c_plain, c_bind0, c_expl, c_nop, c_twp, c_twb;
	int s_plain, s_bind0, s_expl, s_nop, s_twp, s_twb;
	uint64_t k_out, k_l, k_plain, k_bind0, k_expl, k_nop, k_twp, k_twb;
	uint64_t k_srv, k_l6, k_c6;
	int l6, c6, s6;
	uint16_t port;
	size_t i, tcp = 0;

	(void)state;
#ifndef HAVE_BPF
	skip_or_fail("built without BPF");
#endif
	if (geteuid() != 0)
		skip_or_fail("not root");
	/* loaded and attached in the parent namespace: the read below must
	 * still see only the namespace it runs in */
	err = bpfport_open(&bp);
	/* a kernel without BTF or the iterator, a root without CAP_BPF */
	if (err == -ENOENT || err == -EPERM)
		skip_or_fail(bpfport_strerror(err));
	if (err)
		fail_msg("bpfport_open: %s (%d)", bpfport_strerror(err), err);
	outside = listener();
	k_out = fd_cookie(outside);
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home >= 0);
	if (unshare(CLONE_NEWNET) != 0) {
		bpfport_free(bp);
		close(outside);
		close(home);
		skip_or_fail("cannot make a network namespace");
	}
	lo_up();

	lfd = listener();
	port = fd_port(lfd);
	k_l = fd_cookie(lfd);
	c_plain = client(PLAIN, port, 0, lfd, &s_plain);
	c_bind0 = client(BIND0, port, 0, lfd, &s_bind0);
	c_expl = client(EXPLICIT, port, 45678, lfd, &s_expl);
	c_nop = client(NO_PORT, port, 0, lfd, &s_nop);
	c_twp = client(PLAIN, port, 0, lfd, &s_twp);
	c_twb = client(BIND0, port, 0, lfd, &s_twb);
	assert_int_equal(fd_port(c_expl), 45678);
	k_plain = fd_cookie(c_plain);
	k_bind0 = fd_cookie(c_bind0);
	k_expl = fd_cookie(c_expl);
	k_nop = fd_cookie(c_nop);
	k_twp = fd_cookie(c_twp);
	k_twb = fd_cookie(c_twb);
	k_srv = fd_cookie(s_plain);
	l6 = listener6(&s6, &c6);
	k_l6 = fd_cookie(l6);
	k_c6 = fd_cookie(c6);
	to_time_wait(c_twp, s_twp);
	to_time_wait(c_twb, s_twb);

	memset(&io, 0, sizeof(io));
	assert_int_equal(nlio_open_sock_diag(&io, 0), 0);
	sockvec_init(&sv);
	memset(&dst, 0, sizeof(dst));
	assert_int_equal(diag_dump_all(&io, &sv, &dst), 0);
	bpfport_vec_init(&v);
	memset(&st, 0, sizeof(st));
	err = bpfport_read(bp, &v, &st);
	if (err)
		fail_msg("bpfport_read: %s (%d)", bpfport_strerror(err), err);
	assert_int_equal(st.malformed, 0);
	assert_true(v.len > 0);
	/* the iterator saw this namespace only: every record is a socket of
	 * the dump (nothing moved in between), the parent's listener none */
	assert_false(rec_has(&v, k_out));
	for (i = 0; i < v.len; i++)
		find_sock(&sv, v.v[i].cookie);
	assert_int_equal(bpfport_join(&v, &sv, &st), 0);
	for (i = 0; i < sv.len; i++)
		tcp += sv.v[i].proto == IPPROTO_TCP;
	print_message("%zu TCP sockets in the dump, %zu records, joined %llu, "
		      "missing %llu\n", tcp, v.len,
		      (unsigned long long)st.joined,
		      (unsigned long long)st.missing);
	assert_int_equal(st.missing, 0);
	assert_int_equal(st.joined, tcp);
	/* listener, 4 live clients and their 4 servers, 2 TIME_WAIT; the
	 * IPv6 listener, client and server */
	assert_int_equal(tcp, 14);
	assert_int_equal(v.len, 14);

	expect(&sv, "listener", k_l, SOCK_LISTEN, SOCK_BIND_OWNED);
	expect(&sv, "connect()", k_plain, SOCK_ESTABLISHED, SOCK_BIND_AUTO);
	expect(&sv, "IP_BIND_ADDRESS_NO_PORT", k_nop, SOCK_ESTABLISHED,
	       SOCK_BIND_AUTO);
	expect(&sv, "bind(127.0.0.1, 0)", k_bind0, SOCK_ESTABLISHED,
	       SOCK_BIND_OWNED);
	expect(&sv, "bind(127.0.0.1, 45678)", k_expl, SOCK_ESTABLISHED,
	       SOCK_BIND_OWNED);
	expect(&sv, "connect(), TIME_WAIT", k_twp, SOCK_TIME_WAIT,
	       SOCK_BIND_AUTO);
	expect(&sv, "bind(127.0.0.1, 0), TIME_WAIT", k_twb, SOCK_TIME_WAIT,
	       SOCK_BIND_OWNED);
	/* an accepted socket shares its listener's bucket */
	expect(&sv, "accepted", k_srv, SOCK_ESTABLISHED, SOCK_BIND_OWNED);
	expect(&sv, "IPv6 listener", k_l6, SOCK_LISTEN, SOCK_BIND_OWNED);
	expect(&sv, "IPv6 connect()", k_c6, SOCK_ESTABLISHED, SOCK_BIND_AUTO);
	for (i = 0; i < v.len; i++)
		if (v.v[i].cookie == k_c6)
			assert_int_equal(v.v[i].family, AF_INET6);

	bpfport_vec_release(&v);
	sockvec_release(&sv);
	nlio_close(&io);
	close(c_plain);
	close(c_bind0);
	close(c_expl);
	close(c_nop);
	close(s_plain);
	close(s_bind0);
	close(s_expl);
	close(s_nop);
	close(lfd);
	close(l6);
	close(c6);
	close(s6);
	bpfport_free(bp);
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	close(home);
	close(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_torn_unaligned),
		cmocka_unit_test(test_parse_bad_fields),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_many),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_live_netns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
