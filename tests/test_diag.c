#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "diag.h"
#include "nlio.h"
#include "sock.h"

/* ---- building kernel-like datagrams -------------------------------------- */

/* One datagram under construction (u32 words: nlmsghdr alignment). */
struct dg {
	uint32_t w[2048];
	size_t len;
};

/* What one inet_diag_msg says. Addresses are text; NULL means all zero. */
struct spec {
	uint8_t family;
	uint8_t state;
	uint8_t timer;
	const char *src;
	const char *dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t cookie_lo;
	uint32_t cookie_hi;
	uint32_t uid;
	uint32_t inode;
	uint32_t expires;
	uint32_t ifindex;
	int v6only;         /* value of INET_DIAG_SKV6ONLY, -1: no attribute */
};

static void dg_init(struct dg *d)
{
	memset(d, 0, sizeof(*d));
}

static struct nlmsghdr *dg_header(struct dg *d, uint16_t type, uint32_t seq,
				  uint16_t flags)
{
	struct nlmsghdr *nlh;

	assert_true(d->len + 512 <= sizeof(d->w));
	nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

/* Account for a finished message (its nlmsg_len is kept aligned). */
static void dg_close(struct dg *d, const struct nlmsghdr *nlh)
{
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void put_addr(uint8_t family, const char *text, uint32_t *dst)
{
	if (text)
		assert_int_equal(inet_pton(family, text, dst), 1);
}

/* A SOCK_DIAG_BY_FAMILY message, left open (not yet in d->len). */
static struct nlmsghdr *dg_sock_open(struct dg *d, uint32_t seq,
				     uint16_t flags, const struct spec *s)
{
	struct nlmsghdr *nlh = dg_header(d, SOCK_DIAG_BY_FAMILY, seq,
					 NLM_F_MULTI | flags);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	m->idiag_family = s->family;
	m->idiag_state = s->state;
	m->idiag_timer = s->timer;
	m->id.idiag_sport = htons(s->sport);
	m->id.idiag_dport = htons(s->dport);
	put_addr(s->family, s->src, m->id.idiag_src);
	put_addr(s->family, s->dst, m->id.idiag_dst);
	m->id.idiag_if = s->ifindex;
	m->id.idiag_cookie[0] = s->cookie_lo;
	m->id.idiag_cookie[1] = s->cookie_hi;
	m->idiag_expires = s->expires;
	m->idiag_uid = s->uid;
	m->idiag_inode = s->inode;
	if (s->v6only >= 0)
		mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, (uint8_t)s->v6only);
	return nlh;
}

static void dg_sock(struct dg *d, uint32_t seq, uint16_t flags,
		    const struct spec *s)
{
	dg_close(d, dg_sock_open(d, seq, flags, s));
}

/* A plain TCP/UDP IPv4 socket with a given source port. */
static void dg_simple(struct dg *d, uint32_t seq, uint16_t flags,
		      uint16_t sport)
{
	const struct spec s = {
		.family = AF_INET, .state = SOCK_ESTABLISHED,
		.src = "10.0.0.1", .dst = "10.0.0.2", .sport = sport,
		.dport = 80, .inode = sport, .v6only = -1,
	};

	dg_sock(d, seq, flags, &s);
}

static void dg_done_err(struct dg *d, uint32_t seq, uint16_t flags, int err)
{
	struct nlmsghdr *nlh = dg_header(d, NLMSG_DONE, seq,
					 NLM_F_MULTI | flags);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*p = err;
	dg_close(d, nlh);
}

static void dg_done(struct dg *d, uint32_t seq, uint16_t flags)
{
	dg_done_err(d, seq, flags, 0);
}

static void dg_error(struct dg *d, uint32_t seq, int err)
{
	struct nlmsghdr *nlh = dg_header(d, NLMSG_ERROR, seq, 0);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	e->msg.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	e->msg.nlmsg_seq = seq;
	dg_close(d, nlh);
}

static struct nlio_canned_buf cbuf(const struct dg *d)
{
	struct nlio_canned_buf b = { .data = d->w, .len = d->len, .err = 0 };

	return b;
}

static struct nlio_canned_buf cerr(int err)
{
	struct nlio_canned_buf b = { .data = NULL, .len = 0, .err = err };

	return b;
}

/* Parse a single message built from s. */
static int parse_one(const struct spec *s, uint8_t proto,
		     struct sock_rec *rec)
{
	struct dg d;
	struct nlmsghdr *nlh;

	dg_init(&d);
	nlh = dg_sock_open(&d, 1, 0, s);
	return diag_parse_msg(nlh, proto, rec);
}

static void assert_addr(const uint8_t *got, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(inet_pton(family, text, want), 1);
	assert_memory_equal(got, want, 16);
}

static const struct sock_rec *find_port(const struct sockvec *v,
					uint8_t proto, uint16_t sport)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (v->v[i].proto == proto && v->v[i].sport == sport)
			return &v->v[i];
	return NULL;
}

/* ---- diag_parse_msg: fields ------------------------------------------------ */

static void test_tcp4_established_fields(void **state)
{
	const struct spec s = {
		.family = AF_INET, .state = 1, .timer = 1,
		.src = "192.0.2.10", .dst = "198.51.100.7",
		.sport = 0x9c41, .dport = 0x01bb,
		.cookie_lo = 0x89abcdefu, .cookie_hi = 0x01234567u,
		.uid = 1000, .inode = 987654, .expires = 4321, .ifindex = 3,
		.v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	memset(&r, 0xaa, sizeof(r));
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.proto, IPPROTO_TCP);
	assert_int_equal(r.state, SOCK_ESTABLISHED);
	assert_int_equal(r.sport, 0x9c41);
	assert_int_equal(r.dport, 0x01bb);
	assert_addr(r.saddr, AF_INET, "192.0.2.10");
	assert_addr(r.daddr, AF_INET, "198.51.100.7");
	assert_true(r.cookie == UINT64_C(0x0123456789abcdef));
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 987654);
	assert_int_equal(r.expires_ms, 4321);
	assert_int_equal(r.timer, 1);
	assert_int_equal(r.ifindex, 3);
	assert_int_equal(r.flags, 0);
}

static void test_cookie_none(void **state)
{
	struct spec s = {
		.family = AF_INET, .state = 1, .src = "10.0.0.1",
		.dst = "10.0.0.2", .sport = 1, .dport = 2,
		.cookie_lo = INET_DIAG_NOCOOKIE,
		.cookie_hi = INET_DIAG_NOCOOKIE, .v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_true(r.cookie == 0);
	/* Only the pair means "no cookie": one half is a real value. */
	s.cookie_hi = 0;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_true(r.cookie == UINT64_C(0xffffffff));
}

static void test_ipv6_v6only(void **state)
{
	struct spec s = {
		.family = AF_INET6, .state = SOCK_LISTEN,
		.src = "2001:db8::1", .dst = "::", .sport = 8443,
		.uid = 33, .inode = 77, .v6only = 1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.state, SOCK_LISTEN);
	assert_int_equal(r.sport, 8443);
	assert_addr(r.saddr, AF_INET6, "2001:db8::1");
	assert_addr(r.daddr, AF_INET6, "::");
	assert_int_equal(r.flags, SOCK_F_V6ONLY);

	s.v6only = 0;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.family, AF_INET6);
}

static void test_ipv4_mapped(void **state)
{
	struct spec s = {
		.family = AF_INET6, .state = SOCK_ESTABLISHED,
		.src = "::ffff:10.1.2.3", .dst = "::ffff:10.4.5.6",
		.sport = 40001, .dport = 443, .v6only = 0,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_addr(r.saddr, AF_INET, "10.1.2.3");
	assert_addr(r.daddr, AF_INET, "10.4.5.6");
	assert_int_equal(r.sport, 40001);

	/* Bound to :: with a mapped peer: IPv4, local side 0.0.0.0. */
	s.src = "::";
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_addr(r.saddr, AF_INET, "0.0.0.0");
	assert_addr(r.daddr, AF_INET, "10.4.5.6");

	/* Bound to a mapped address, no peer (UDP). */
	s.src = "::ffff:127.0.0.1";
	s.dst = "::";
	s.state = SOCK_CLOSE;
	assert_int_equal(parse_one(&s, IPPROTO_UDP, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_addr(r.saddr, AF_INET, "127.0.0.1");
	assert_addr(r.daddr, AF_INET, "0.0.0.0");

	/* Mapped paired with a real IPv6 address: left as IPv6. */
	s.src = "2001:db8::5";
	s.dst = "::ffff:10.4.5.6";
	s.state = SOCK_ESTABLISHED;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_addr(r.saddr, AF_INET6, "2001:db8::5");
	assert_addr(r.daddr, AF_INET6, "::ffff:10.4.5.6");
}

static void test_tcp_close_is_bound(void **state)
{
	const struct spec s = {
		.family = AF_INET, .state = SOCK_CLOSE, .src = "127.0.0.1",
		.sport = 33333, .inode = 5, .v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.state, SOCK_BOUND);
	assert_int_equal(r.sport, 33333);
	assert_int_equal(r.dport, 0);
}

static void test_udp_states_kept(void **state)
{
	struct spec s = {
		.family = AF_INET, .state = SOCK_CLOSE, .src = "0.0.0.0",
		.sport = 5353, .v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_UDP, &r), 0);
	assert_int_equal(r.state, SOCK_CLOSE);
	assert_int_equal(r.proto, IPPROTO_UDP);
	s.state = SOCK_ESTABLISHED;
	s.dst = "10.9.9.9";
	s.dport = 53;
	assert_int_equal(parse_one(&s, IPPROTO_UDP, &r), 0);
	assert_int_equal(r.state, SOCK_ESTABLISHED);
	assert_int_equal(r.dport, 53);
}

static void test_time_wait(void **state)
{
	const struct spec s = {
		.family = AF_INET, .state = SOCK_TIME_WAIT, .timer = 3,
		.src = "10.0.0.1", .dst = "10.0.0.2", .sport = 50002,
		.dport = 5001, .cookie_lo = 34, .cookie_hi = 0,
		.expires = 59000, .uid = 0, .inode = 0, .v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	assert_int_equal(r.state, SOCK_TIME_WAIT);
	assert_int_equal(r.timer, 3);
	assert_int_equal(r.expires_ms, 59000);
	assert_true(r.cookie == 34);
	assert_int_equal(r.uid, 0);
	assert_int_equal(r.inode, 0);
	assert_int_equal(r.sport, 50002);
	assert_int_equal(r.dport, 5001);
}

static void test_bad_state_family(void **state)
{
	struct spec s = {
		.family = AF_INET, .state = 0, .src = "10.0.0.1",
		.sport = 1, .v6only = -1,
	};
	struct sock_rec r;

	(void)state;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), -EINVAL);
	s.state = SOCK_BOUND;  /* porttop's own state, never the kernel's */
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), -EINVAL);
	s.state = 200;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), -EINVAL);
	s.state = SOCK_NEW_SYN_RECV;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), 0);
	s.family = AF_UNIX;
	s.src = NULL;
	assert_int_equal(parse_one(&s, IPPROTO_TCP, &r), -EINVAL);
}

/* ---- diag_parse: datagrams -------------------------------------------------- */

static void test_parse_datagram_done(void **state)
{
	struct dg d;
	struct sockvec v;
	struct diag_stats st = { 0 };

	(void)state;
	sockvec_init(&v);
	dg_init(&d);
	dg_simple(&d, 7, 0, 1001);
	dg_simple(&d, 7, 0, 1002);
	dg_done(&d, 7, 0);
	dg_simple(&d, 7, 0, 1003);  /* after DONE: not read */
	assert_int_equal(diag_parse(d.w, d.len, 7, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_DONE);
	assert_int_equal(v.len, 2);
	assert_int_equal(v.v[0].sport, 1001);
	assert_int_equal(v.v[1].sport, 1002);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.sockets, 2);
	assert_int_equal(st.malformed, 0);
	sockvec_release(&v);
}

static void test_truncated_message(void **state)
{
	struct dg d;
	struct nlmsghdr *nlh;
	struct sockvec v;
	struct diag_stats st = { 0 };

	(void)state;
	sockvec_init(&v);
	dg_init(&d);
	dg_simple(&d, 1, 0, 2001);
	/* The second message claims more bytes than the datagram holds. */
	nlh = dg_sock_open(&d, 1, 0, &(struct spec){
		.family = AF_INET, .state = 1, .sport = 2002, .v6only = -1 });
	dg_close(&d, nlh);
	nlh->nlmsg_len += 64;
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_MORE);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 2001);
	assert_int_equal(st.malformed, 1);

	/* A partial header at the end of a datagram. */
	sockvec_clear(&v);
	memset(&st, 0, sizeof(st));
	dg_init(&d);
	dg_simple(&d, 1, 0, 2003);
	d.len += 8;
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_MORE);
	assert_int_equal(v.len, 1);
	assert_int_equal(st.malformed, 1);

	/* nlmsg_len smaller than a header: cannot be framed, stop. */
	sockvec_clear(&v);
	memset(&st, 0, sizeof(st));
	dg_init(&d);
	nlh = dg_header(&d, SOCK_DIAG_BY_FAMILY, 1, 0);
	dg_close(&d, nlh);
	nlh->nlmsg_len = 4;
	dg_done(&d, 1, 0);
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_MORE);
	assert_int_equal(v.len, 0);
	assert_int_equal(st.malformed, 1);
	sockvec_release(&v);
}

static void test_short_payload(void **state)
{
	struct dg d;
	struct nlmsghdr *nlh;
	struct sockvec v;
	struct diag_stats st = { 0 };
	struct sock_rec r;

	(void)state;
	sockvec_init(&v);
	dg_init(&d);
	nlh = dg_header(&d, SOCK_DIAG_BY_FAMILY, 1, NLM_F_MULTI);
	memset(mnl_nlmsg_put_extra_header(nlh, 40), 0x11, 40);
	dg_close(&d, nlh);
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_TCP, &r), -EINVAL);
	dg_simple(&d, 1, 0, 3001);
	dg_done(&d, 1, 0);
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_DONE);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 3001);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.sockets, 1);
	sockvec_release(&v);
}

static void test_bad_attribute(void **state)
{
	const struct spec s = {
		.family = AF_INET6, .state = SOCK_LISTEN, .src = "::",
		.sport = 4001, .v6only = -1,
	};
	struct dg d;
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct sockvec v;
	struct diag_stats st = { 0 };
	struct sock_rec r;
	uint16_t u16 = 1;

	(void)state;
	sockvec_init(&v);
	dg_init(&d);
	/* SKV6ONLY with no payload. */
	nlh = dg_sock_open(&d, 1, 0, &s);
	mnl_attr_put(nlh, INET_DIAG_SKV6ONLY, 0, NULL);
	dg_close(&d, nlh);
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_TCP, &r), -EINVAL);
	/* SKV6ONLY two bytes long. */
	nlh = dg_sock_open(&d, 1, 0, &s);
	mnl_attr_put(nlh, INET_DIAG_SKV6ONLY, sizeof(u16), &u16);
	dg_close(&d, nlh);
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_TCP, &r), -EINVAL);
	/* An attribute whose length runs past the message. */
	nlh = dg_sock_open(&d, 1, 0, &s);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	a->nla_len = 64;
	dg_close(&d, nlh);
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_TCP, &r), -EINVAL);
	/* Three stray bytes after the last attribute. */
	nlh = dg_sock_open(&d, 1, 0, &s);
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	nlh->nlmsg_len += 3;
	dg_close(&d, nlh);
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_TCP, &r), -EINVAL);
	/* A good one: an unknown attribute is fine, v6only read. */
	nlh = dg_sock_open(&d, 1, 0, &s);
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, 1);
	dg_close(&d, nlh);
	dg_done(&d, 1, 0);
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 DIAG_PARSE_DONE);
	assert_int_equal(st.malformed, 4);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 4001);
	assert_int_equal(v.v[0].flags, SOCK_F_V6ONLY);
	sockvec_release(&v);
}

static void test_nlmsg_error(void **state)
{
	struct dg d, d2;
	struct nlmsghdr *nlh;
	struct sockvec v;
	struct diag_stats st = { 0 };
	struct nlio io;
	struct nlio_canned_buf bufs[1];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 1 };

	(void)state;
	sockvec_init(&v);
	dg_init(&d);
	dg_error(&d, 1, -EPERM);
	assert_int_equal(diag_parse(d.w, d.len, 1, IPPROTO_TCP, &v, &st),
			 -EPERM);

	/* Through diag_dump. */
	bufs[0] = cbuf(&d);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, &st),
			 -EPERM);
	assert_int_equal(v.len, 0);

	/* An error message too short to hold its error: protocol error. */
	dg_init(&d2);
	nlh = dg_header(&d2, NLMSG_ERROR, 1, 0);
	mnl_nlmsg_put_extra_header(nlh, 2);
	dg_close(&d2, nlh);
	memset(&st, 0, sizeof(st));
	assert_int_equal(diag_parse(d2.w, d2.len, 1, IPPROTO_TCP, &v, &st),
			 -EPROTO);
	assert_int_equal(st.malformed, 1);

	/* A positive "errno" is not one. */
	dg_init(&d2);
	dg_error(&d2, 1, 5);
	assert_int_equal(diag_parse(d2.w, d2.len, 1, IPPROTO_TCP, &v, &st),
			 -EPROTO);

	/* NLMSG_DONE carrying a dump error. */
	dg_init(&d2);
	dg_simple(&d2, 1, 0, 5);
	dg_done_err(&d2, 1, 0, -EINVAL);
	assert_int_equal(diag_parse(d2.w, d2.len, 1, IPPROTO_TCP, &v, &st),
			 -EINVAL);
	sockvec_release(&v);
}

/* ---- diag_dump over the canned transport ---------------------------------- */

static void test_dump_intr(void **state)
{
	struct dg d1, d2, d3;
	struct sockvec v;
	struct diag_stats st = { 0 };
	struct nlio io;
	struct nlio_canned_buf bufs[3];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 3 };
	struct sock_rec keep;

	(void)state;
	sockvec_init(&v);
	memset(&keep, 0, sizeof(keep));
	keep.sport = 4242;
	assert_int_equal(sockvec_push(&v, &keep), 0);

	dg_init(&d1);
	dg_simple(&d1, 1, 0, 6001);
	dg_init(&d2);
	dg_simple(&d2, 1, NLM_F_DUMP_INTR, 6002);
	dg_done(&d2, 1, NLM_F_DUMP_INTR);
	dg_init(&d3);  /* the next dump's: must not be eaten by the drain */
	dg_simple(&d3, 2, 0, 6003);
	bufs[0] = cbuf(&d1);
	bufs[1] = cbuf(&d2);
	bufs[2] = cbuf(&d3);
	nlio_init_canned(&io, &c);

	assert_int_equal(diag_parse(d2.w, d2.len, 1, IPPROTO_TCP, &v, &st),
			 -EAGAIN);
	assert_int_equal(v.len, 1);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, &st),
			 -EAGAIN);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 4242);
	assert_int_equal(c.sends, 1);
	assert_int_equal(c.next, 2);
	sockvec_release(&v);
}

/* A dump interrupted in its middle datagram is read to its end. */
static void test_dump_intr_drains(void **state)
{
	struct dg d1, d2, d3;
	struct sockvec v;
	struct nlio io;
	struct nlio_canned_buf bufs[4];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 4 };

	(void)state;
	sockvec_init(&v);
	dg_init(&d1);
	dg_simple(&d1, 1, NLM_F_DUMP_INTR, 6101);
	dg_init(&d2);
	dg_simple(&d2, 1, NLM_F_DUMP_INTR, 6102);
	dg_init(&d3);
	dg_done(&d3, 1, NLM_F_DUMP_INTR);
	bufs[0] = cbuf(&d1);
	bufs[1] = cerr(EINTR);
	bufs[2] = cbuf(&d2);
	bufs[3] = cbuf(&d3);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL),
			 -EAGAIN);
	assert_int_equal(v.len, 0);
	assert_int_equal(c.next, 4);
	sockvec_release(&v);
}

static void test_dump_all_retry_once(void **state)
{
	struct dg d[5];
	struct nlio_canned_buf bufs[5];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 5 };
	struct nlio io;
	struct sockvec v;
	struct diag_stats st = { 0 };
	const struct spec v6 = {
		.family = AF_INET6, .state = SOCK_LISTEN, .src = "::",
		.sport = 7002, .v6only = 1,
	};
	size_t i;

	(void)state;
	sockvec_init(&v);
	for (i = 0; i < 5; i++)
		dg_init(&d[i]);
	/* Attempt 1: the first dump (seq 1) is interrupted. */
	dg_simple(&d[0], 1, 0, 7001);
	dg_simple(&d[0], 1, NLM_F_DUMP_INTR, 7009);
	dg_done(&d[0], 1, NLM_F_DUMP_INTR);
	/* Attempt 2: seq 2..5, TCP4, TCP6, UDP4, UDP6. */
	dg_simple(&d[1], 2, 0, 7001);
	dg_done(&d[1], 2, 0);
	dg_sock(&d[2], 3, 0, &v6);
	dg_done(&d[2], 3, 0);
	dg_simple(&d[3], 4, 0, 7003);
	dg_done(&d[3], 4, 0);
	dg_done(&d[4], 5, 0);
	for (i = 0; i < 5; i++)
		bufs[i] = cbuf(&d[i]);
	nlio_init_canned(&io, &c);

	assert_int_equal(diag_dump_all(&io, &v, &st), 0);
	assert_int_equal(st.retries, 1);
	assert_int_equal(c.sends, 5);
	assert_int_equal(c.next, 5);
	assert_int_equal(v.len, 3);
	assert_int_equal(v.v[0].sport, 7001);
	assert_int_equal(v.v[0].proto, IPPROTO_TCP);
	assert_int_equal(v.v[1].sport, 7002);
	assert_int_equal(v.v[1].family, AF_INET6);
	assert_int_equal(v.v[1].flags, SOCK_F_V6ONLY);
	assert_int_equal(v.v[2].sport, 7003);
	assert_int_equal(v.v[2].proto, IPPROTO_UDP);
	sockvec_release(&v);
}

static void test_dump_all_always_intr(void **state)
{
	struct dg d[DIAG_MAX_RETRIES + 1];
	struct nlio_canned_buf bufs[DIAG_MAX_RETRIES + 1];
	struct nlio_canned c = { .bufs = bufs, .nbufs = DIAG_MAX_RETRIES + 1 };
	struct nlio io;
	struct sockvec v;
	struct diag_stats st = { 0 };
	struct sock_rec old;
	unsigned i;

	(void)state;
	sockvec_init(&v);
	memset(&old, 0, sizeof(old));
	assert_int_equal(sockvec_push(&v, &old), 0);  /* cleared first */
	for (i = 0; i <= DIAG_MAX_RETRIES; i++) {
		dg_init(&d[i]);
		dg_simple(&d[i], i + 1, NLM_F_DUMP_INTR, (uint16_t)(8000 + i));
		dg_done(&d[i], i + 1, NLM_F_DUMP_INTR);
		bufs[i] = cbuf(&d[i]);
	}
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump_all(&io, &v, &st), -EAGAIN);
	assert_int_equal(v.len, 0);
	assert_int_equal(st.retries, DIAG_MAX_RETRIES);
	assert_int_equal(c.sends, DIAG_MAX_RETRIES + 1);
	assert_int_equal(c.next, DIAG_MAX_RETRIES + 1);
	sockvec_release(&v);
}

static void test_other_seq_ignored(void **state)
{
	struct dg d1, d2;
	struct nlio_canned_buf bufs[2];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 2 };
	struct nlio io;
	struct sockvec v;
	struct diag_stats st = { 0 };

	(void)state;
	sockvec_init(&v);
	dg_init(&d1);
	dg_simple(&d1, 99, 0, 9901);
	dg_simple(&d1, 99, NLM_F_DUMP_INTR, 9902);
	dg_error(&d1, 99, -EBUSY);
	dg_simple(&d1, 1, 0, 9001);
	dg_done(&d1, 99, 0);
	dg_init(&d2);
	dg_done(&d2, 1, 0);
	bufs[0] = cbuf(&d1);
	bufs[1] = cbuf(&d2);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, &st), 0);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 9001);
	assert_int_equal(st.messages, 1);
	assert_int_equal(c.next, 2);
	assert_int_equal(c.last_seq, 1);
	sockvec_release(&v);
}

static void test_recv_eintr_retried(void **state)
{
	struct dg d1;
	struct nlio_canned_buf bufs[3];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 3 };
	struct nlio io;
	struct sockvec v;

	(void)state;
	sockvec_init(&v);
	dg_init(&d1);
	dg_simple(&d1, 1, 0, 1111);
	dg_done(&d1, 1, 0);
	bufs[0] = cerr(EINTR);
	bufs[1] = cerr(EINTR);
	bufs[2] = cbuf(&d1);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL), 0);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.v[0].sport, 1111);
	sockvec_release(&v);
}

static void test_transport_ends_early(void **state)
{
	struct dg d1;
	struct nlio_canned_buf bufs[1];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 1 };
	struct nlio io;
	struct sockvec v;

	(void)state;
	sockvec_init(&v);
	dg_init(&d1);
	dg_simple(&d1, 1, 0, 1212);
	bufs[0] = cbuf(&d1);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL),
			 -EPROTO);
	assert_int_equal(v.len, 0);
	sockvec_release(&v);
}

static void test_recv_errors(void **state)
{
	static uint32_t big[NLIO_BUF_SIZE / 4 + 1];
	struct dg d1, d2;
	struct nlio_canned_buf bufs[3];
	struct nlio_canned c = { .bufs = bufs, .nbufs = 3 };
	struct nlio io;
	struct sockvec v;

	(void)state;
	sockvec_init(&v);
	/* A datagram larger than the buffer: -ENOSPC, the dump drained. */
	dg_init(&d1);
	dg_simple(&d1, 1, 0, 1313);
	dg_done(&d1, 1, 0);
	dg_init(&d2);
	dg_done(&d2, 2, 0);
	bufs[0].data = big;
	bufs[0].len = sizeof(big);
	bufs[0].err = 0;
	bufs[1] = cbuf(&d1);
	bufs[2] = cbuf(&d2);
	nlio_init_canned(&io, &c);
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL),
			 -ENOSPC);
	assert_int_equal(v.len, 0);
	assert_int_equal(c.next, 2);
	/* The next dump works. */
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL), 0);
	assert_int_equal(c.next, 3);

	/* Overrun reported by the transport. */
	bufs[0] = cerr(ENOBUFS);
	c.nbufs = 1;
	c.next = 0;
	assert_int_equal(diag_dump(&io, AF_INET, IPPROTO_TCP, &v, NULL),
			 -ENOBUFS);
	sockvec_release(&v);
}

/* ---- a scripted kernel: requests captured, answers per (family, proto) --- */

struct fake_answer {
	int family;
	uint8_t proto;
	int err;            /* NLMSG_ERROR with this, or 0 */
	unsigned nsocks;    /* sockets in the reply when err == 0 */
};

struct fake {
	const struct fake_answer *ans;
	size_t nans;
	struct {
		uint32_t w[64];
		size_t len;
	} req[16];
	size_t nreq;
	int pending;
	uint16_t next_port;
};

static ssize_t fake_send(void *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx;

	assert_true(f->nreq < 16);
	assert_true(len <= sizeof(f->req[0].w));
	memcpy(f->req[f->nreq].w, buf, len);
	f->req[f->nreq].len = len;
	f->nreq++;
	f->pending = 1;
	return (ssize_t)len;
}

static ssize_t fake_recv(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;
	const struct nlmsghdr *q;
	const struct inet_diag_req_v2 *r;
	const struct fake_answer *a = NULL;
	struct dg d;
	size_t i;

	if (!f->pending)
		return 0;
	f->pending = 0;
	q = (const struct nlmsghdr *)f->req[f->nreq - 1].w;
	r = mnl_nlmsg_get_payload(q);
	for (i = 0; i < f->nans; i++)
		if (f->ans[i].family == r->sdiag_family &&
		    f->ans[i].proto == r->sdiag_protocol)
			a = &f->ans[i];
	dg_init(&d);
	if (a && a->err) {
		dg_error(&d, q->nlmsg_seq, a->err);
	} else {
		for (i = 0; a && i < a->nsocks; i++) {
			const struct spec s = {
				.family = r->sdiag_family,
				.state = SOCK_ESTABLISHED,
				.sport = f->next_port++, .dport = 1,
				.v6only = r->sdiag_family == AF_INET6 ? 0 : -1,
			};
			dg_sock(&d, q->nlmsg_seq, 0, &s);
		}
		dg_done(&d, q->nlmsg_seq, 0);
	}
	assert_true(d.len <= len);
	memcpy(buf, d.w, d.len);
	return (ssize_t)d.len;
}

static const struct nlio_ops fake_ops = {
	.send = fake_send,
	.recv = fake_recv,
	.close = NULL,
};

static void fake_init(struct nlio *io, struct fake *f,
		      const struct fake_answer *ans, size_t nans)
{
	memset(f, 0, sizeof(*f));
	f->ans = ans;
	f->nans = nans;
	f->next_port = 20000;
	io->ops = &fake_ops;
	io->ctx = f;
	io->portid = 4242;
	io->seq = 77;
}

static void test_request_bytes(void **state)
{
	static const struct fake_answer ans[] = {
		{ AF_INET, IPPROTO_TCP, 0, 2 },
		{ AF_INET6, IPPROTO_TCP, 0, 1 },
		{ AF_INET, IPPROTO_UDP, 0, 1 },
		{ AF_INET6, IPPROTO_UDP, 0, 0 },
	};
	struct fake f;
	struct nlio io;
	struct sockvec v;
	unsigned seen = 0;
	size_t i;

	(void)state;
	sockvec_init(&v);
	fake_init(&io, &f, ans, 4);
	assert_int_equal(diag_dump_all(&io, &v, NULL), 0);
	assert_int_equal(f.nreq, 4);
	assert_int_equal(v.len, 4);
	for (i = 0; i < f.nreq; i++) {
		const struct nlmsghdr *q =
			(const struct nlmsghdr *)f.req[i].w;
		const struct inet_diag_req_v2 *r;
		size_t k;

		assert_int_equal(f.req[i].len,
				 NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)));
		assert_int_equal(q->nlmsg_len, f.req[i].len);
		assert_int_equal(q->nlmsg_type, SOCK_DIAG_BY_FAMILY);
		assert_int_equal(q->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
		assert_int_equal(q->nlmsg_seq, 77 + i);
		assert_int_equal(q->nlmsg_pid, 4242);
		r = mnl_nlmsg_get_payload(q);
		assert_int_equal(r->idiag_ext, 0);
		assert_int_equal(r->idiag_states, 0xffff);
		assert_true(r->idiag_states & SOCK_TCPF_BOUND_INACTIVE);
		assert_true(r->idiag_states & (1u << SOCK_CLOSE));
		for (k = 0; k < 4; k++)
			if (r->sdiag_family == ans[k].family &&
			    r->sdiag_protocol == ans[k].proto)
				seen |= 1u << k;
	}
	assert_int_equal(seen, 0xf);
	assert_int_equal(io.seq, 81);
	sockvec_release(&v);
}

static void test_dump_all_absent(void **state)
{
	static const struct fake_answer no_v6_no_udp[] = {
		{ AF_INET, IPPROTO_TCP, 0, 3 },
		{ AF_INET6, IPPROTO_TCP, -EAFNOSUPPORT, 0 },
		{ AF_INET, IPPROTO_UDP, -ENOENT, 0 },
		{ AF_INET6, IPPROTO_UDP, -EINVAL, 0 },
	};
	static const struct fake_answer no_tcp[] = {
		{ AF_INET, IPPROTO_TCP, -ENOENT, 0 },
	};
	static const struct fake_answer udp_eperm[] = {
		{ AF_INET, IPPROTO_TCP, 0, 1 },
		{ AF_INET, IPPROTO_UDP, -EPERM, 0 },
	};
	struct fake f;
	struct nlio io;
	struct sockvec v;
	size_t i;

	(void)state;
	sockvec_init(&v);
	fake_init(&io, &f, no_v6_no_udp, 4);
	assert_int_equal(diag_dump_all(&io, &v, NULL), 0);
	assert_int_equal(v.len, 3);
	for (i = 0; i < v.len; i++) {
		assert_int_equal(v.v[i].family, AF_INET);
		assert_int_equal(v.v[i].proto, IPPROTO_TCP);
	}

	fake_init(&io, &f, no_tcp, 1);
	assert_int_equal(diag_dump_all(&io, &v, NULL), -ENOENT);
	assert_int_equal(v.len, 0);

	fake_init(&io, &f, udp_eperm, 2);
	assert_int_equal(diag_dump_all(&io, &v, NULL), -EPERM);
	assert_int_equal(v.len, 0);
	sockvec_release(&v);
}

static void test_strerror(void **state)
{
	char want[128];

	(void)state;
	assert_string_equal(diag_strerror(-EPERM),
			    "permission denied opening the netlink socket");
	assert_string_equal(diag_strerror(-EACCES), diag_strerror(-EPERM));
	snprintf(want, sizeof(want),
		 "socket table kept changing during the dump (retried %d times)",
		 DIAG_MAX_RETRIES);
	assert_string_equal(diag_strerror(-EAGAIN), want);
	assert_string_equal(diag_strerror(-ENOENT),
			    "sock_diag not available in this kernel "
			    "(module inet_diag / tcp_diag?)");
	assert_non_null(strstr(diag_strerror(-ENOSPC), "buffer"));
	assert_non_null(strstr(diag_strerror(-ENOBUFS), "overrun"));
	assert_non_null(strstr(diag_strerror(-EPROTO), "sock_diag"));
	assert_string_equal(diag_strerror(-EIO), strerror(EIO));
	assert_string_equal(diag_strerror(EPERM), diag_strerror(-EPERM));
}

/* ---- live: a real sock_diag socket, no privilege needed ------------------- */

static int kernel_at_least(unsigned maj, unsigned min)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return 0;
	return a > maj || (a == maj && b >= min);
}

static int bound_socket(int type, uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	assert_true(*port != 0);
	return fd;
}

static uint32_t fd_inode(int fd)
{
	struct stat sb;

	assert_int_equal(fstat(fd, &sb), 0);
	return (uint32_t)sb.st_ino;
}

static void assert_loopback_rec(const struct sock_rec *r, int fd,
				unsigned want_state)
{
	assert_non_null(r);
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->state, want_state);
	assert_addr(r->saddr, AF_INET, "127.0.0.1");
	assert_int_equal(r->inode, fd_inode(fd));
	assert_int_equal(r->uid, getuid());
}

static void test_live_dump(void **state)
{
	struct nlio io;
	struct sockvec v;
	struct diag_stats st = { 0 };
	uint16_t lport, bport, uport;
	int lfd, bfd, ufd, err;

	(void)state;
	lfd = bound_socket(SOCK_STREAM, &lport);
	assert_int_equal(listen(lfd, 4), 0);
	bfd = bound_socket(SOCK_STREAM, &bport);
	ufd = bound_socket(SOCK_DGRAM, &uport);

	sockvec_init(&v);
	memset(&io, 0, sizeof(io));
	err = nlio_open_sock_diag(&io, 0);
	if (err < 0)
		fail_msg("nlio_open_sock_diag: %s", diag_strerror(err));
	err = diag_dump_all(&io, &v, &st);
	if (err < 0)
		fail_msg("diag_dump_all: %s", diag_strerror(err));
	assert_true(st.sockets >= 2);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(v.len, st.sockets);

	assert_loopback_rec(find_port(&v, IPPROTO_TCP, lport), lfd,
			    SOCK_LISTEN);
	assert_loopback_rec(find_port(&v, IPPROTO_UDP, uport), ufd,
			    SOCK_CLOSE);
	if (kernel_at_least(6, 8))
		assert_loopback_rec(find_port(&v, IPPROTO_TCP, bport), bfd,
				    SOCK_BOUND);

	nlio_close(&io);
	sockvec_release(&v);
	close(lfd);
	close(bfd);
	close(ufd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_established_fields),
		cmocka_unit_test(test_cookie_none),
		cmocka_unit_test(test_ipv6_v6only),
		cmocka_unit_test(test_ipv4_mapped),
		cmocka_unit_test(test_tcp_close_is_bound),
		cmocka_unit_test(test_udp_states_kept),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_bad_state_family),
		cmocka_unit_test(test_parse_datagram_done),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_short_payload),
		cmocka_unit_test(test_bad_attribute),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_dump_intr),
		cmocka_unit_test(test_dump_intr_drains),
		cmocka_unit_test(test_dump_all_retry_once),
		cmocka_unit_test(test_dump_all_always_intr),
		cmocka_unit_test(test_other_seq_ignored),
		cmocka_unit_test(test_recv_eintr_retried),
		cmocka_unit_test(test_transport_ends_early),
		cmocka_unit_test(test_recv_errors),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_dump_all_absent),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_live_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
