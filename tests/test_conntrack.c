#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "model.h"
#include "nlio.h"
#include "out_json.h"
#include "out_openmetrics.h"
#include "out_text.h"
#include "sampler.h"
#include "strbuf.h"

/* ---- /proc/net/stat/nf_conntrack ------------------------------------------ */

/* The header of Linux 5.15 and later (6.18 prints the same). */
#define HDR_NEW "entries  clashres found new invalid ignore delete chainlength " \
	"insert insert_failed drop early_drop icmp_error  expect_new " \
	"expect_create expect_delete search_restart\n"

static int stat_parse(const char *text, struct ct_stats *st)
{
	return ct_parse_stat(text, strlen(text), st);
}

static void test_stat_two_cpus(void **state)
{
	const char *text = HDR_NEW
		"0000002a  00000002 0000000a 00000000 00000001 00000000 00000000 "
		"00000000 00000000 00000003 00000005 00000000 00000000  00000000 "
		"00000000 00000000 0000000f\n"
		"0000002a  00000001 000000F0 00000000 00000000 00000000 00000000 "
		"00000007 00000009 0000000c 0000000b 00000001 00000002  00000000 "
		"00000000 00000000 00000001\n";
	struct ct_stats st;

	(void)state;
	assert_int_equal(stat_parse(text, &st), 0);
	assert_int_equal(st.cpus, 2);
	assert_int_equal(st.entries, 42);
	assert_int_equal(st.v[CT_S_FOUND], 0x0a + 0xf0);
	assert_int_equal(st.v[CT_S_INVALID], 1);
	assert_int_equal(st.v[CT_S_INSERT], 9);
	assert_int_equal(st.v[CT_S_INSERT_FAILED], 3 + 12);
	assert_int_equal(st.v[CT_S_DROP], 5 + 11);
	assert_int_equal(st.v[CT_S_EARLY_DROP], 1);
	assert_int_equal(st.v[CT_S_ICMP_ERROR], 2);
	assert_int_equal(st.v[CT_S_CLASH_RESOLVE], 3);
	assert_int_equal(st.v[CT_S_SEARCH_RESTART], 16);
	assert_int_equal(st.v[CT_S_CHAIN_TOOLONG], 7);
	assert_int_equal(st.known, (1u << CT_S_MAX) - 1);
	assert_string_equal(ct_stat_name(CT_S_INSERT_FAILED), "insert_failed");
	assert_string_equal(ct_stat_name(CT_S_CLASH_RESOLVE), "clash_resolve");
	assert_string_equal(ct_stat_name(CT_S_MAX), "unknown");
}

/* An older kernel: other columns, no clashres; four CPUs, no final
 * newline. */
static void test_stat_old_kernel(void **state)
{
	const char *text =
		"entries  searched found new invalid ignore delete delete_list "
		"insert insert_failed drop early_drop icmp_error  expect_new "
		"expect_create expect_delete search_restart\n"
		"00000010  00000000 00000001 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000001 00000000 00000000 00000000  00000000 "
		"00000000 00000000 00000000\n"
		"00000010  ffffffff 00000001 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000001 00000000 00000000 00000000  00000000 "
		"00000000 00000000 00000000\n"
		"00000010  00000000 00000001 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000001 00000002 00000000 00000000  00000000 "
		"00000000 00000000 00000000\n"
		"00000010  00000000 00000001 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000001 00000002 00000000 00000000  00000000 "
		"00000000 00000000 00000000";
	struct ct_stats st;

	(void)state;
	assert_int_equal(stat_parse(text, &st), 0);
	assert_int_equal(st.cpus, 4);
	assert_int_equal(st.entries, 16);
	assert_int_equal(st.v[CT_S_FOUND], 4);
	assert_int_equal(st.v[CT_S_INSERT_FAILED], 4);
	assert_int_equal(st.v[CT_S_DROP], 4);
	/* no such columns in this kernel */
	assert_false(st.known & (1u << CT_S_CLASH_RESOLVE));
	assert_false(st.known & (1u << CT_S_CHAIN_TOOLONG));
	assert_true(st.known & (1u << CT_S_INSERT_FAILED));
	assert_int_equal(st.v[CT_S_CLASH_RESOLVE], 0);
}

/* Sums saturate instead of wrapping. */
static void test_stat_saturates(void **state)
{
	const char *text = "drop\nffffffffffffffff\n0000000000000002\n";
	struct ct_stats st;

	(void)state;
	assert_int_equal(stat_parse(text, &st), 0);
	assert_true(st.v[CT_S_DROP] == UINT64_MAX);
	assert_int_equal(st.cpus, 2);
}

static void test_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"",                                    /* nothing */
		"entries drop\n",                      /* no CPU line */
		"entries searched\n00000001 00000002\n", /* no known column */
		"entries drop\n00000001\n",            /* a column short */
		"entries drop\n00000001 00000002 3\n", /* a column too many */
		"entries drop\n00000001 0000000g\n",   /* not hex */
		"entries drop\n00000001 -0000001\n",   /* a sign */
		"entries drop\n00000001 00000000000000001\n", /* 17 digits */
		"entries drop\n00000001 00000002\n00000001\n", /* short line */
		"entries drop",                        /* header only, no \n */
	};
	struct ct_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0xa5, sizeof(st));
		assert_int_equal(stat_parse(bad[i], &st), -EINVAL);
		assert_int_equal(st.cpus, 0);
		assert_int_equal(st.known, 0);
		assert_int_equal(st.v[CT_S_DROP], 0);
	}
	assert_int_equal(ct_parse_stat(NULL, 0, &st), -EINVAL);
}

/* The parser never reads past len: the same text cut anywhere. */
static void test_stat_cut_anywhere(void **state)
{
	const char *text = HDR_NEW
		"0000002a  00000002 0000000a 00000000 00000001 00000000 00000000 "
		"00000000 00000000 00000003 00000005 00000000 00000000  00000000 "
		"00000000 00000000 0000000f\n";
	size_t len = strlen(text), cut;
	/* the last number starts after the last blank */
	size_t last = (size_t)(strrchr(text, ' ') - text) + 1;

	(void)state;
	for (cut = 0; cut < len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		struct ct_stats st;
		int rc;

		assert_non_null(copy);
		memcpy(copy, text, cut);
		rc = ct_parse_stat(copy, cut, &st);
		/* a cut inside the last number leaves a shorter number
		 * (still a whole line); any other cut loses a column */
		if (cut > last) {
			assert_int_equal(rc, 0);
			assert_int_equal(st.v[CT_S_DROP], 5);
		} else {
			assert_int_equal(rc, -EINVAL);
		}
		free(copy);
	}
}

static void test_read_proc_fixture(void **state)
{
	struct ct_sample s;

	(void)state;
	ct_sample_init(&s);
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s), 0);
	assert_int_equal(s.have, CT_HAVE_FILL | CT_HAVE_STATS);
	assert_int_equal(s.count, 1234);
	assert_int_equal(s.max, 1536);
	assert_int_equal(s.stats.cpus, 2);
	assert_int_equal(s.stats.v[CT_S_INSERT_FAILED], 7);
	assert_int_equal(s.stats.v[CT_S_DROP], 11);
	assert_int_equal(s.stats.v[CT_S_FOUND], 250);
	assert_int_equal(s.stats.v[CT_S_CLASH_RESOLVE], 3);
	assert_int_equal(s.stats.entries, 1234);

	/* conntrack not loaded: nothing, and the count's error */
	assert_int_equal(ct_read_proc(TESTDATA "/proc-basic", &s), -ENOENT);
	assert_int_equal(s.have, 0);
	assert_int_equal(s.count, -1);
	assert_int_equal(s.max, -1);

	/* garbage: no fill at all */
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack-bad", &s),
			 -EINVAL);
	assert_int_equal(s.have, 0);
	ct_sample_release(&s);
}

/* ---- ctnetlink messages ------------------------------------------------- */

struct dg {
	uint32_t w[4096];
	size_t len;
};

struct ctspec {
	uint8_t family;
	uint8_t proto;
	const char *osrc, *odst;
	uint16_t osport, odport;
	const char *rsrc, *rdst;
	uint16_t rsport, rdport;
	uint32_t status;
	int tcp_state;            /* -1: no protoinfo */
	int zone;                 /* -1: none */
};

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		      uint8_t proto, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *pr;
	uint8_t a[16];

	if (family == AF_INET) {
		assert_int_equal(inet_pton(AF_INET, src, a), 1);
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, a);
		assert_int_equal(inet_pton(AF_INET, dst, a), 1);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, a);
	} else {
		assert_int_equal(inet_pton(AF_INET6, src, a), 1);
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, a);
		assert_int_equal(inet_pton(AF_INET6, dst, a), 1);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, a);
	}
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, t);
}

static struct nlmsghdr *dg_header(struct dg *d, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh;

	assert_true(d->len + 1024 <= sizeof(d->w));
	nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static void dg_close(struct dg *d, const struct nlmsghdr *nlh)
{
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* A conntrack message, left open (not yet in d->len). */
static struct nlmsghdr *dg_ct_open(struct dg *d, uint32_t seq,
				   const struct ctspec *c)
{
	struct nlmsghdr *nlh = dg_header(d, (NFNL_SUBSYS_CTNETLINK << 8) |
					 IPCTNL_MSG_CT_NEW, seq);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nfg->nfgen_family = c->family;
	nfg->version = NFNETLINK_V0;
	put_tuple(nlh, CTA_TUPLE_ORIG, c->family, c->proto, c->osrc, c->odst,
		  c->osport, c->odport);
	put_tuple(nlh, CTA_TUPLE_REPLY, c->family, c->proto, c->rsrc, c->rdst,
		  c->rsport, c->rdport);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(c->status));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(119));
	if (c->zone >= 0)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons((uint16_t)c->zone));
	if (c->tcp_state >= 0) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);

		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
				(uint8_t)c->tcp_state);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	return nlh;
}

static void dg_ct(struct dg *d, uint32_t seq, const struct ctspec *c)
{
	dg_close(d, dg_ct_open(d, seq, c));
}

static void dg_done(struct dg *d, uint32_t seq)
{
	struct nlmsghdr *nlh = dg_header(d, NLMSG_DONE, seq);
	int32_t zero = 0;

	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero,
	       sizeof(zero));
	dg_close(d, nlh);
}

static void dg_error(struct dg *d, uint32_t seq, int err)
{
	struct nlmsghdr *nlh = dg_header(d, NLMSG_ERROR, seq);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	dg_close(d, nlh);
}

/* A client 10.0.1.2:40000 masqueraded as 192.168.5.1:port toward
 * 10.9.0.1:80: the reply comes from the server to the NAT address. */
static struct ctspec nat4(uint16_t csport, uint16_t natport, const char *dst)
{
	struct ctspec c = {
		.family = AF_INET, .proto = IPPROTO_TCP,
		.osrc = "10.0.1.2", .odst = dst, .osport = csport, .odport = 80,
		.rsrc = dst, .rdst = "192.168.5.1", .rsport = 80,
		.rdport = natport,
		.status = CT_STATUS_SRC_NAT | 0x8 /* IPS_CONFIRMED */,
		.tcp_state = CT_TCP_ESTABLISHED, .zone = -1,
	};

	return c;
}

static void parse_one(const struct ctspec *c, struct ct_entry *e, int want)
{
	struct dg d = { .len = 0 };

	dg_ct(&d, 1, c);
	assert_int_equal(ct_parse_msg((const struct nlmsghdr *)d.w, e), want);
}

static void test_msg_nat_ipv4(void **state)
{
	struct ctspec c = nat4(40000, 50001, "10.9.0.1");
	struct ct_entry e;
	uint8_t want[16] = { 0 };

	(void)state;
	c.zone = 7;
	parse_one(&c, &e, 0);
	assert_int_equal(e.family, AF_INET);
	assert_int_equal(e.orig.proto, IPPROTO_TCP);
	assert_int_equal(e.reply.proto, IPPROTO_TCP);
	assert_int_equal(e.orig.sport, 40000);
	assert_int_equal(e.orig.dport, 80);
	assert_int_equal(e.reply.sport, 80);
	assert_int_equal(e.reply.dport, 50001);
	assert_int_equal(e.tcp_state, CT_TCP_ESTABLISHED);
	assert_int_equal(e.zone, 7);
	assert_true(e.status & CT_STATUS_SRC_NAT);
	inet_pton(AF_INET, "192.168.5.1", want);
	assert_memory_equal(e.reply.dst, want, 16);
	memset(want, 0, sizeof(want));
	inet_pton(AF_INET, "10.0.1.2", want);
	assert_memory_equal(e.orig.src, want, 16);
}

static void test_msg_plain_and_ipv6(void **state)
{
	const struct ctspec plain = {
		.family = AF_INET, .proto = IPPROTO_TCP,
		.osrc = "10.0.0.1", .odst = "10.0.0.2", .osport = 33000,
		.odport = 22, .rsrc = "10.0.0.2", .rdst = "10.0.0.1",
		.rsport = 22, .rdport = 33000, .status = 0x8,
		.tcp_state = CT_TCP_TIME_WAIT, .zone = -1,
	};
	const struct ctspec v6 = {
		.family = AF_INET6, .proto = IPPROTO_UDP,
		.osrc = "fd00::2", .odst = "2001:db8::53", .osport = 5353,
		.odport = 53, .rsrc = "2001:db8::53", .rdst = "fd00::1",
		.rsport = 53, .rdport = 61000, .status = CT_STATUS_SRC_NAT,
		.tcp_state = -1, .zone = -1,
	};
	struct ct_entry e;
	uint8_t want[16];

	(void)state;
	parse_one(&plain, &e, 0);
	assert_false(e.status & CT_STATUS_SRC_NAT);
	assert_int_equal(e.tcp_state, CT_TCP_TIME_WAIT);
	assert_int_equal(e.zone, 0);

	parse_one(&v6, &e, 0);
	assert_int_equal(e.family, AF_INET6);
	assert_int_equal(e.orig.proto, IPPROTO_UDP);
	assert_int_equal(e.tcp_state, CT_TCP_NONE);
	assert_int_equal(e.reply.dport, 61000);
	inet_pton(AF_INET6, "fd00::1", want);
	assert_memory_equal(e.reply.dst, want, 16);
	inet_pton(AF_INET6, "2001:db8::53", want);
	assert_memory_equal(e.reply.src, want, 16);
}

/* TCP without protoinfo: state unknown, not NONE. */
static void test_msg_tcp_no_protoinfo(void **state)
{
	struct ctspec c = nat4(40000, 50001, "10.9.0.1");
	struct ct_entry e;

	(void)state;
	c.tcp_state = -1;
	parse_one(&c, &e, 0);
	assert_int_equal(e.tcp_state, CT_TCP_UNKNOWN);
}

/* Build a message, then break it with `how`. */
static void test_msg_malformed(void **state)
{
	struct ctspec c = nat4(40000, 50001, "10.9.0.1");
	struct ct_entry e;
	struct dg d;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *a;
	int how;

	(void)state;
	for (how = 0; how < 8; how++) {
		memset(&d, 0, sizeof(d));
		if (how == 0) {
			/* only an original tuple */
			nlh = dg_header(&d, (NFNL_SUBSYS_CTNETLINK << 8) |
					IPCTNL_MSG_CT_NEW, 1);
			nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = AF_INET;
			put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, IPPROTO_TCP,
				  "1.2.3.4", "5.6.7.8", 1, 2);
		} else if (how == 1) {
			/* an IPv4 address of 3 bytes */
			nlh = dg_header(&d, (NFNL_SUBSYS_CTNETLINK << 8) |
					IPCTNL_MSG_CT_NEW, 1);
			nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = AF_INET;
			a = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
			{
				struct nlattr *ip = mnl_attr_nest_start(
					nlh, CTA_TUPLE_IP);

				mnl_attr_put(nlh, CTA_IP_V4_SRC, 3, "abc");
				mnl_attr_nest_end(nlh, ip);
			}
			mnl_attr_nest_end(nlh, a);
			put_tuple(nlh, CTA_TUPLE_REPLY, AF_INET, IPPROTO_TCP,
				  "1.2.3.4", "5.6.7.8", 1, 2);
		} else if (how == 2) {
			/* the message's family is not the tuples' */
			nlh = dg_ct_open(&d, 1, &c);
			nfg = mnl_nlmsg_get_payload(nlh);
			nfg->nfgen_family = AF_INET6;
		} else if (how == 3) {
			/* an attribute longer than the message */
			nlh = dg_ct_open(&d, 1, &c);
			a = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN +
					      MNL_ALIGN(sizeof(*nfg)));
			a->nla_len = (uint16_t)(nlh->nlmsg_len + 8);
		} else if (how == 4) {
			/* shorter than its nfgenmsg */
			nlh = dg_ct_open(&d, 1, &c);
			nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
		} else if (how == 5) {
			/* a status of 2 bytes */
			nlh = dg_header(&d, (NFNL_SUBSYS_CTNETLINK << 8) |
					IPCTNL_MSG_CT_NEW, 1);
			nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = AF_INET;
			put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, IPPROTO_TCP,
				  "1.2.3.4", "5.6.7.8", 1, 2);
			put_tuple(nlh, CTA_TUPLE_REPLY, AF_INET, IPPROTO_TCP,
				  "5.6.7.8", "1.2.3.4", 2, 1);
			mnl_attr_put_u16(nlh, CTA_STATUS, 1);
		} else if (how == 6) {
			/* two original tuples */
			nlh = dg_ct_open(&d, 1, &c);
			put_tuple(nlh, CTA_TUPLE_ORIG, AF_INET, IPPROTO_TCP,
				  "1.2.3.4", "5.6.7.8", 1, 2);
		} else {
			/* a tuple with IPv4 and IPv6 addresses */
			uint8_t z[16] = { 0 };

			nlh = dg_header(&d, (NFNL_SUBSYS_CTNETLINK << 8) |
					IPCTNL_MSG_CT_NEW, 1);
			nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = AF_INET;
			a = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
			{
				struct nlattr *ip = mnl_attr_nest_start(
					nlh, CTA_TUPLE_IP);

				mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, z);
				mnl_attr_put(nlh, CTA_IP_V6_DST, 16, z);
				mnl_attr_nest_end(nlh, ip);
			}
			mnl_attr_nest_end(nlh, a);
			put_tuple(nlh, CTA_TUPLE_REPLY, AF_INET, IPPROTO_TCP,
				  "5.6.7.8", "1.2.3.4", 2, 1);
		}
		assert_int_equal(ct_parse_msg(nlh, &e), -EINVAL);
	}
}

/* Every prefix of a valid message, framed as a message of that length,
 * is either complete or refused: never read past. */
static void test_msg_truncated_everywhere(void **state)
{
	struct ctspec c = nat4(40000, 50001, "10.9.0.1");
	struct dg d = { .len = 0 };
	struct nlmsghdr *nlh;
	uint32_t full, len, ok = 0, refused = 0;

	(void)state;
	nlh = dg_ct_open(&d, 1, &c);
	full = nlh->nlmsg_len;
	for (len = MNL_NLMSG_HDRLEN; len < full; len++) {
		/* a copy of exactly len bytes, so ASan sees any overread */
		struct nlmsghdr *cp = malloc(len);
		struct ct_entry e;
		int rc;

		assert_non_null(cp);
		memcpy(cp, nlh, len);
		cp->nlmsg_len = len;
		rc = ct_parse_msg(cp, &e);
		/* the tuples come first: every cut before the end of the
		 * reply tuple loses one */
		if (rc == 0) {
			assert_int_equal(e.reply.dport, 50001);
			ok++;
		} else {
			assert_int_equal(rc, -EINVAL);
			refused++;
		}
		free(cp);
	}
	/* cuts after the reply tuple keep a whole entry */
	assert_true(ok > 0);
	assert_true(refused > ok);
}

/* ---- NAT destinations ------------------------------------------------------ */

static void add(struct ct_nat_acc *a, const struct ctspec *c)
{
	struct ct_entry e;

	parse_one(c, &e, 0);
	assert_int_equal(ct_nat_acc_add(a, &e), 0);
}

static void test_nat_counting(void **state)
{
	struct ct_nat_acc *a;
	struct ct_sample s;
	struct ctspec c;
	uint8_t want[16] = { 0 };
	unsigned p;

	(void)state;
	assert_int_equal(ct_nat_acc_new(&a, 0, 10), -EINVAL);
	assert_int_equal(ct_nat_acc_new(&a, 10, 9), -EINVAL);
	assert_int_equal(ct_nat_acc_new(&a, 50000, 50003), 0);
	ct_sample_init(&s);

	/* A: every NAT port of the range, one of them twice (two zones),
	 * one entry in TIME_WAIT, and one port outside the range */
	for (p = 50000; p <= 50003; p++) {
		c = nat4((uint16_t)(40000 + p - 50000), (uint16_t)p,
			 "10.9.0.1");
		if (p == 50002)
			c.tcp_state = CT_TCP_TIME_WAIT;
		add(a, &c);
	}
	c = nat4(41000, 50001, "10.9.0.1");
	c.zone = 3;
	add(a, &c);
	c = nat4(42000, 1000, "10.9.0.1");
	add(a, &c);
	/* B: two NAT'ed, and the router's own un-NAT'ed connection from the
	 * NAT address, which holds a tuple in the same space */
	add(a, (c = nat4(40000, 50000, "10.9.0.2"), &c));
	add(a, (c = nat4(40001, 50003, "10.9.0.2"), &c));
	c = nat4(50002, 50002, "10.9.0.2");
	c.osrc = "192.168.5.1";
	c.status = 0x8;
	add(a, &c);
	/* C: not NAT'ed at all: not a NAT destination */
	c = nat4(50001, 50001, "10.9.0.3");
	c.osrc = "192.168.5.1";
	c.status = 0x8;
	add(a, &c);
	/* ICMP is not counted */
	c = nat4(0, 0, "10.9.0.1");
	c.proto = IPPROTO_ICMP;
	c.tcp_state = -1;
	{
		struct ct_entry e;

		parse_one(&c, &e, 0);
		assert_int_equal(ct_nat_acc_add(a, &e), 0);
	}

	assert_int_equal(ct_nat_acc_finish(a, &s), 0);
	assert_int_equal(s.nat_low, 50000);
	assert_int_equal(s.nat_high, 50003);
	assert_int_equal(s.nnat, 2);
	/* sorted: A (0 available) first */
	inet_pton(AF_INET, "10.9.0.1", want);
	assert_memory_equal(s.nat[0].daddr, want, 16);
	assert_int_equal(s.nat[0].dport, 80);
	assert_int_equal(s.nat[0].proto, IPPROTO_TCP);
	assert_int_equal(s.nat[0].family, AF_INET);
	assert_int_equal(s.nat[0].entries, 6);
	assert_int_equal(s.nat[0].nat_entries, 6);
	assert_int_equal(s.nat[0].in_use, 4);
	assert_int_equal(s.nat[0].available, 0);
	assert_true(s.nat[0].headroom_pct == 0.0);
	assert_int_equal(s.nat[0].time_wait, 1);
	assert_int_equal(s.nat[0].established, 5);
	assert_int_equal(s.nat[0].other, 0);
	memset(want, 0, sizeof(want));
	inet_pton(AF_INET, "192.168.5.1", want);
	assert_memory_equal(s.nat[0].nat_addr, want, 16);

	memset(want, 0, sizeof(want));
	inet_pton(AF_INET, "10.9.0.2", want);
	assert_memory_equal(s.nat[1].daddr, want, 16);
	assert_int_equal(s.nat[1].entries, 3);
	assert_int_equal(s.nat[1].nat_entries, 2);
	assert_int_equal(s.nat[1].in_use, 3);
	assert_int_equal(s.nat[1].available, 1);
	assert_true(fabs(s.nat[1].headroom_pct - 25.0) < 1e-9);

	/* a reset forgets everything */
	ct_nat_acc_reset(a);
	assert_int_equal(ct_nat_acc_finish(a, &s), 0);
	assert_int_equal(s.nnat, 0);
	ct_sample_release(&s);
	ct_nat_acc_free(a);
	ct_nat_acc_free(NULL);
}

/* The default range, and UDP next to TCP toward the same address. */
static void test_nat_default_range_udp(void **state)
{
	struct ct_nat_acc *a;
	struct ct_sample s;
	struct ctspec c;

	(void)state;
	assert_int_equal(ct_nat_acc_new(&a, CT_NAT_LOW_DEFAULT,
					CT_NAT_HIGH_DEFAULT), 0);
	ct_sample_init(&s);
	c = nat4(40000, 40000, "10.9.0.1");
	add(a, &c);
	c.proto = IPPROTO_UDP;
	c.tcp_state = -1;
	add(a, &c);
	assert_int_equal(ct_nat_acc_finish(a, &s), 0);
	assert_int_equal(s.nnat, 2);
	assert_int_equal(s.nat[0].in_use, 1);
	assert_int_equal(s.nat[0].available, 64511);
	assert_int_equal(s.nat[1].available, 64511);
	assert_int_not_equal(s.nat[0].proto, s.nat[1].proto);
	assert_int_equal(s.nat[0].proto == IPPROTO_UDP ? s.nat[0].other :
			 s.nat[1].other, 1);
	ct_sample_release(&s);
	ct_nat_acc_free(a);
}

/* ---- a dump through a canned transport ---------------------------------- */

static void test_parse_datagram(void **state)
{
	struct ct_nat_acc *a;
	struct ct_sample s;
	struct dg d = { .len = 0 };
	struct ctspec c;
	uint64_t entries = 0, malformed = 0;
	struct nlmsghdr *bad;

	(void)state;
	assert_int_equal(ct_nat_acc_new(&a, 50000, 50003), 0);
	ct_sample_init(&s);
	dg_ct(&d, 5, (c = nat4(1, 50000, "10.9.0.1"), &c));
	dg_ct(&d, 9, (c = nat4(2, 50001, "10.9.0.1"), &c));  /* other seq */
	bad = dg_ct_open(&d, 5, (c = nat4(3, 50002, "10.9.0.1"), &c));
	((struct nfgenmsg *)mnl_nlmsg_get_payload(bad))->nfgen_family = 99;
	dg_close(&d, bad);
	dg_ct(&d, 5, (c = nat4(4, 50003, "10.9.0.1"), &c));
	assert_int_equal(ct_parse(d.w, d.len, 5, a, &entries, &malformed),
			 CT_PARSE_MORE);
	assert_int_equal(entries, 2);
	assert_int_equal(malformed, 1);
	d.len = 0;
	dg_done(&d, 5);
	assert_int_equal(ct_parse(d.w, d.len, 5, a, &entries, &malformed),
			 CT_PARSE_DONE);
	assert_int_equal(ct_nat_acc_finish(a, &s), 0);
	assert_int_equal(s.nnat, 1);
	assert_int_equal(s.nat[0].in_use, 2);

	/* a datagram cut inside a header */
	d.len = 0;
	dg_ct(&d, 5, (c = nat4(1, 50000, "10.9.0.1"), &c));
	malformed = 0;
	assert_int_equal(ct_parse(d.w, d.len - 3, 5, a, NULL, &malformed),
			 CT_PARSE_MORE);
	assert_int_equal(malformed, 1);

	/* errors */
	d.len = 0;
	dg_error(&d, 5, -EPERM);
	assert_int_equal(ct_parse(d.w, d.len, 5, a, NULL, NULL), -EPERM);
	d.len = 0;
	dg_error(&d, 5, 0);      /* an ack is not an error */
	assert_int_equal(ct_parse(d.w, d.len, 5, a, NULL, NULL),
			 CT_PARSE_MORE);
	assert_int_equal(ct_parse(d.w, d.len, 5, NULL, NULL, NULL), -EINVAL);
	ct_sample_release(&s);
	ct_nat_acc_free(a);
}

static void test_dump_canned(void **state)
{
	static struct dg d1, d2;
	struct nlio_canned_buf bufs[2];
	struct nlio_canned canned = { .bufs = bufs, .nbufs = 2 };
	struct conntrack *ct;
	struct ct_sample s;
	struct ctspec c;
	struct nlio io;
	unsigned p;

	(void)state;
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	/* the sampler's first request has seq 1 */
	for (p = 50000; p <= 50003; p++)
		dg_ct(&d1, 1, (c = nat4((uint16_t)p, (uint16_t)p, "10.9.0.1"),
			       &c));
	dg_ct(&d2, 1, (c = nat4(7, 50003, "10.9.0.2"), &c));
	dg_done(&d2, 1);
	bufs[0] = (struct nlio_canned_buf){ d1.w, d1.len, 0 };
	bufs[1] = (struct nlio_canned_buf){ d2.w, d2.len, 0 };
	nlio_init_canned(&io, &canned);
	assert_int_equal(conntrack_new(&ct, &io, 50000, 50003, 1), 0);
	ct_sample_init(&s);
	assert_int_equal(conntrack_dump(ct, &s), 0);
	assert_int_equal(canned.sends, 1);
	assert_int_equal(canned.last_seq, 1);
	assert_true(s.have & CT_HAVE_DUMP);
	assert_int_equal(s.dump_err, 0);
	assert_int_equal(s.entries, 5);
	assert_int_equal(s.nat_range_given, 1);
	assert_int_equal(s.nnat, 2);
	assert_int_equal(s.nat[0].available, 0);
	assert_int_equal(s.nat[1].available, 3);

	/* the transport ends before NLMSG_DONE */
	canned.next = 1;
	bufs[1] = (struct nlio_canned_buf){ d1.w, d1.len, 0 };
	assert_int_equal(conntrack_dump(ct, &s), -EPROTO);
	assert_false(s.have & CT_HAVE_DUMP);
	assert_int_equal(s.nnat, 0);
	assert_int_equal(s.dump_err, -EPROTO);
	conntrack_free(ct);
	ct_sample_release(&s);
}

/* Without CAP_NET_ADMIN: one refusal, then no more requests. */
static void test_dump_denied(void **state)
{
	static struct dg d;
	struct nlio_canned_buf buf;
	struct nlio_canned canned = { .bufs = &buf, .nbufs = 1 };
	struct conntrack *ct;
	struct ct_sample s;
	struct nlio io;

	(void)state;
	memset(&d, 0, sizeof(d));
	dg_error(&d, 1, -EPERM);
	buf = (struct nlio_canned_buf){ d.w, d.len, 0 };
	nlio_init_canned(&io, &canned);
	assert_int_equal(conntrack_new(&ct, &io, 1024, 65535, 0), 0);
	ct_sample_init(&s);
	assert_int_equal(conntrack_dump(ct, &s), -EPERM);
	assert_int_equal(s.dump_err, -EPERM);
	assert_int_equal(conntrack_dump(ct, &s), -EPERM);
	assert_int_equal(canned.sends, 1);
	assert_string_equal(ct_strerror(-EPERM),
			    "no CAP_NET_ADMIN: only the fill counters are shown");
	conntrack_free(ct);
	conntrack_free(NULL);
	assert_int_equal(conntrack_dump(NULL, &s), -EBADF);
	ct_sample_release(&s);
}

/* ---- the model: rates and warnings --------------------------------------- */

static int has_warning(const struct snapshot *snap, const char *part)
{
	size_t i;

	for (i = 0; i < snap->nwarnings; i++)
		if (strstr(snap->warnings[i], part))
			return 1;
	return 0;
}

static void test_model_rates_warnings(void **state)
{
	struct model *m;
	struct sample s;
	const struct snapshot *snap;
	struct ct_nat_acc *a;
	struct ctspec c;
	unsigned p;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	sample_init(&s);
	s.mono = 100.0;
	s.time = 1000.0;
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s.ct), 0);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_non_null(snap);
	assert_true(snap->ct.in_use);
	assert_int_equal(snap->ct.count, 1234);
	assert_true(fabs(snap->ct.fill_pct - 100.0 * 1234 / 1536) < 1e-9);
	assert_false(snap->ct.have_rates);
	assert_true(isnan(snap->ct.rate[CT_S_DROP]));
	/* 80.3% full */
	assert_true(has_warning(snap, "conntrack table 80% full"));
	assert_false(has_warning(snap, "conntrack dropped packets"));

	/* two seconds later: 4 more insert_failed, 6 more drops, and a NAT
	 * destination used up */
	s.mono = 102.0;
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s.ct), 0);
	s.ct.stats.v[CT_S_INSERT_FAILED] += 4;
	s.ct.stats.v[CT_S_DROP] += 6;
	s.ct.count = 100;
	assert_int_equal(ct_nat_acc_new(&a, 50000, 50003), 0);
	for (p = 50000; p <= 50003; p++)
		add(a, (c = nat4((uint16_t)p, (uint16_t)p, "10.9.0.1"), &c));
	assert_int_equal(ct_nat_acc_finish(a, &s.ct), 0);
	s.ct.have |= CT_HAVE_DUMP;
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_true(snap->ct.have_rates);
	assert_true(fabs(snap->ct.interval_s - 2.0) < 1e-9);
	assert_int_equal(snap->ct.delta[CT_S_INSERT_FAILED], 4);
	assert_int_equal(snap->ct.delta[CT_S_DROP], 6);
	assert_true(fabs(snap->ct.rate[CT_S_DROP] - 3.0) < 1e-9);
	assert_true(fabs(snap->ct.rate[CT_S_INSERT_FAILED] - 2.0) < 1e-9);
	assert_int_equal(snap->ct.delta[CT_S_FOUND], 0);
	assert_true(snap->ct.rate[CT_S_FOUND] == 0.0);
	assert_int_equal(snap->ct.nnat, 1);
	assert_int_equal(snap->ct.nat_size, 4);
	assert_int_equal(snap->ct.nat[0].available, 0);
	assert_false(has_warning(snap, "full"));
	assert_true(has_warning(snap, "insert_failed +4, drop +6"));
	assert_true(has_warning(snap, "SNAT ports used up toward tcp "
				"10.9.0.1:80 via 192.168.5.1 (4 of 4)"));
	/* the snapshot owns a copy: the sample may go */
	ct_sample_release(&s.ct);
	assert_int_equal(snap->ct.nat[0].in_use, 4);

	/* a counter that went back: no rate for it */
	s.mono = 103.0;
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s.ct), 0);
	s.ct.dump_err = -EPERM;
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_true(isnan(snap->ct.rate[CT_S_DROP]));
	assert_true(has_warning(snap, "conntrack: no CAP_NET_ADMIN"));
	assert_int_equal(snap->ct.nnat, 0);

	ct_nat_acc_free(a);
	sample_release(&s);
	model_free(m);
}

/* No conntrack: nothing in use, no warning. */
static void test_model_no_conntrack(void **state)
{
	struct model *m;
	struct sample s;
	const struct snapshot *snap;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	sample_init(&s);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_false(snap->ct.in_use);
	assert_int_equal(snap->ct.have, 0);
	assert_int_equal(snap->ct.count, -1);
	assert_true(isnan(snap->ct.fill_pct));
	assert_false(has_warning(snap, "conntrack"));
	sample_release(&s);
	model_free(m);
}

/* ---- outputs: JSON, text, OpenMetrics ----------------------------------- */

static int out_has(const struct strbuf *sb, const char *part)
{
	if (strstr(sb->buf, part))
		return 1;
	print_message("missing: %s\nin: %s\n", part, sb->buf);
	return 0;
}

static void test_outputs(void **state)
{
	const struct om_run run = { "live", 1, 0, 10 };
	const struct ctspec v6 = {
		.family = AF_INET6, .proto = IPPROTO_UDP,
		.osrc = "fd00::2", .odst = "2001:db8::53", .osport = 5353,
		.odport = 53, .rsrc = "2001:db8::53", .rdst = "fd00::1",
		.rsport = 53, .rdport = 50002, .status = CT_STATUS_SRC_NAT,
		.tcp_state = -1, .zone = -1,
	};
	struct model *m;
	struct sample s;
	const struct snapshot *snap;
	struct ct_nat_acc *a;
	struct strbuf sb;
	struct ctspec c;
	unsigned p;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	sample_init(&s);
	strbuf_init(&sb);
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s.ct), 0);
	assert_int_equal(ct_nat_acc_new(&a, 50000, 50003), 0);
	for (p = 50000; p <= 50003; p++)
		add(a, (c = nat4((uint16_t)p, (uint16_t)p, "10.9.0.1"), &c));
	add(a, &v6);
	assert_int_equal(ct_nat_acc_finish(a, &s.ct), 0);
	s.ct.have |= CT_HAVE_DUMP;
	s.ct.nat_range_given = 1;
	s.ct.entries = 5;
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);

	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_true(out_has(&sb, "\"conntrack\": {\"in_use\": true, "
			    "\"count\": 1234, \"max\": 1536, \"fill_pct\": 80.3, "
			    "\"stats\": {\"cpus\": 2, \"found\": 250, "));
	assert_true(out_has(&sb, "\"insert_failed\": 7, \"drop\": 11, "));
	assert_true(out_has(&sb, "\"rates\": null, \"dump\": \"ok\", "
			    "\"dump_error\": null, \"entries\": 5, "
			    "\"truncated\": false, \"nat_range\": {\"low\": 50000, "
			    "\"high\": 50003, \"size\": 4, \"configured\": true}, "
			    "\"time_wait_s\": 120}"));
	assert_true(out_has(&sb, "\"nat_destinations\": [{\"proto\": \"tcp\", "
			    "\"nat_addr\": \"192.168.5.1\", \"daddr\": \"10.9.0.1\", "
			    "\"dport\": 80, \"entries\": 4, \"nat_entries\": 4, "
			    "\"established\": 4, \"time_wait\": 0, \"other\": 0, "
			    "\"in_use\": 4, \"available\": 0, \"headroom_pct\": 0.0}, "
			    "{\"proto\": \"udp\", \"nat_addr\": \"fd00::1\", "
			    "\"daddr\": \"2001:db8::53\", \"dport\": 53, "));
	assert_true(out_has(&sb, "\"available\": 3, \"headroom_pct\": 75.0}]"));

	strbuf_reset(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	assert_true(out_has(&sb, "Conntrack: 1234 of 1536 entries (80.3%)  "
			    "insert_failed 7  drop 11"));
	assert_true(out_has(&sb, "tcp 192.168.5.1 10.9.0.1:80"));
	assert_true(out_has(&sb, "[2001:db8::53]:53"));
	assert_true(out_has(&sb, "NAT ports counted against 50000-50003 "
			    "(--nat-range); conntrack TIME_WAIT lasts 120 s\n"));

	strbuf_reset(&sb);
	assert_int_equal(out_openmetrics_snapshot(&sb, snap, &run), 0);
	assert_true(out_has(&sb, "\nporttop_conntrack_entries 1234\n"));
	assert_true(out_has(&sb, "\nporttop_conntrack_max_entries 1536\n"));
	assert_true(out_has(&sb, "\nporttop_conntrack_events_total"
			    "{counter=\"insert_failed\"} 7\n"));
	assert_true(out_has(&sb, "\nporttop_nat_ports_counted 1\n"));
	assert_true(out_has(&sb, "\nporttop_nat_range_ports 4\n"));
	assert_true(out_has(&sb, "\nporttop_nat_destination_ports_available"
			    "{proto=\"tcp\",nat_addr=\"192.168.5.1\","
			    "daddr=\"10.9.0.1\",dport=\"80\"} 0\n"));
	assert_true(out_has(&sb, "\nporttop_nat_destination_headroom_ratio"
			    "{proto=\"udp\",nat_addr=\"fd00::1\","
			    "daddr=\"2001:db8::53\",dport=\"53\"} 0.75\n"));

	/* no CAP_NET_ADMIN: said, and only the fill counters */
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &s.ct), 0);
	s.ct.dump_err = -EPERM;
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	strbuf_reset(&sb);
	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_true(out_has(&sb, "\"dump\": \"denied\", \"dump_error\": "
			    "\"no CAP_NET_ADMIN: only the fill counters are "
			    "shown\", \"entries\": null"));
	assert_true(out_has(&sb, "\"nat_destinations\": []"));
	strbuf_reset(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	assert_true(out_has(&sb, "NAT ports not counted: no CAP_NET_ADMIN"));
	strbuf_reset(&sb);
	assert_int_equal(out_openmetrics_snapshot(&sb, snap, &run), 0);
	assert_true(out_has(&sb, "\nporttop_nat_ports_counted 0\n"));
	assert_null(strstr(sb.buf, "porttop_nat_destination_ports"));

	/* no conntrack at all */
	ct_sample_clear(&s.ct);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	strbuf_reset(&sb);
	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_true(out_has(&sb, "\"conntrack\": {\"in_use\": false, "
			    "\"count\": null, \"max\": null, \"fill_pct\": null, "
			    "\"stats\": null, \"rates\": null, \"dump\": \"off\""));
	strbuf_reset(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	assert_null(strstr(sb.buf, "Conntrack"));
	strbuf_reset(&sb);
	assert_int_equal(out_openmetrics_snapshot(&sb, snap, &run), 0);
	assert_null(strstr(sb.buf, "porttop_conntrack"));
	assert_null(strstr(sb.buf, "porttop_nat"));

	ct_nat_acc_free(a);
	strbuf_release(&sb);
	sample_release(&s);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_two_cpus),
		cmocka_unit_test(test_stat_old_kernel),
		cmocka_unit_test(test_stat_saturates),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_stat_cut_anywhere),
		cmocka_unit_test(test_read_proc_fixture),
		cmocka_unit_test(test_msg_nat_ipv4),
		cmocka_unit_test(test_msg_plain_and_ipv6),
		cmocka_unit_test(test_msg_tcp_no_protoinfo),
		cmocka_unit_test(test_msg_malformed),
		cmocka_unit_test(test_msg_truncated_everywhere),
		cmocka_unit_test(test_nat_counting),
		cmocka_unit_test(test_nat_default_range_udp),
		cmocka_unit_test(test_parse_datagram),
		cmocka_unit_test(test_dump_canned),
		cmocka_unit_test(test_dump_denied),
		cmocka_unit_test(test_model_rates_warnings),
		cmocka_unit_test(test_model_no_conntrack),
		cmocka_unit_test(test_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
