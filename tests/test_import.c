#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "import.h"
#include "model.h"
#include "sampler.h"

/*
 * Imports of captures. The Linux fixtures under tests/data/import/ were
 * taken from real ss and netstat runs of tests/porthelper's population
 * (tests/data/import/population.json, range 40000-40199):
 *   listeners 127.0.0.1:5001, 127.0.0.1:5002, 127.0.0.2:5001, [::1]:5003
 *   and 127.0.0.1:40100 (in the range); a bound-only socket on
 *   127.0.0.1:40101 (which ss 6.1 and netstat cannot show);
 *   ESTABLISHED clients 30, 20, 10 and 15 toward those four, each with
 *   its server end; TIME_WAIT 25 toward 127.0.0.1:5001 and 12 toward
 *   [::1]:5003; UDP: 4 bound to 127.0.0.1, 2 connected to 127.0.0.1:5353.
 * The Windows fixture is written by hand from netstat -ano's documented
 * format; its population is listed in test_windows.
 */

#define POP_EST_CLIENTS (30 + 20 + 10 + 15)
#define POP_TW (25 + 12)
#define POP_LISTEN 5
#define POP_UDP (4 + 2)
#define POP_RANGE_LOW 40000
#define POP_RANGE_HIGH 40199

struct expect_dest {
	int family;
	const char *daddr;
	unsigned dport;
	unsigned in_use;      /* ESTABLISHED + TIME_WAIT clients */
};

static const struct expect_dest pop_dests[] = {
	{ AF_INET, "127.0.0.1", 5001, 30 + 25 },
	{ AF_INET, "127.0.0.1", 5002, 20 },
	{ AF_INET, "127.0.0.2", 5001, 10 },
	{ AF_INET6, "::1", 5003, 15 + 12 },
};

static int import_file(const char *name, const struct import_opts *o,
		       struct sample *s, struct import_stats *st)
{
	char path[512];
	int fd, e;

	snprintf(path, sizeof(path), "%s/import/%s", TESTDATA, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	e = import_read_fd(fd, o, s, st);
	close(fd);
	return e;
}

static const struct snap_dest *find_dest(const struct snapshot *snap, int family,
					 const char *daddr, unsigned dport)
{
	uint8_t a[16] = { 0 };
	size_t i;

	assert_int_equal(inet_pton(family, daddr, a), 1);
	for (i = 0; i < snap->ndests; i++) {
		const struct snap_dest *d = &snap->dests[i];

		if (d->family == family && d->dport == dport &&
		    memcmp(d->daddr, a, family == AF_INET ? 4 : 16) == 0)
			return d;
	}
	return NULL;
}

static void check_population(const char *name, enum import_format want,
			     int with_udp, int with_owners, uint64_t header_lines)
{
	struct import_opts o = { IMPORT_AUTO, 1, POP_RANGE_LOW, POP_RANGE_HIGH, 1e9 };
	struct import_stats st;
	const struct snapshot *snap;
	struct model *m;
	struct sample s;
	size_t i, tw_owned = 0;

	sample_init(&s);
	assert_int_equal(import_file(name, &o, &s, &st), 0);
	assert_int_equal(st.format, want);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.ignored, header_lines);
	assert_int_equal(st.has_owners, with_owners);
	assert_int_equal(st.sockets,
			 2 * POP_EST_CLIENTS + POP_TW + POP_LISTEN +
			 (with_udp ? POP_UDP : 0));
	/* what the capture lacks stays unknown */
	assert_int_equal(s.sys.known, SYSCTL_K_RANGE);
	assert_true(s.time == 1e9);
	if (with_owners) {
		/* one process held everything; TIME_WAIT has no owner */
		assert_int_equal(s.nprocs, 1);
		assert_string_equal(s.procs[0].comm, "porthelper");
		assert_true(s.procs[0].pid > 0);
		assert_int_equal(s.procs[0].uid, UINT32_MAX);
		assert_int_equal(s.nowner, s.socks.len);
		for (i = 0; i < s.socks.len; i++) {
			if (s.socks.v[i].state == SOCK_TIME_WAIT)
				assert_int_equal(s.owner[i], SAMPLE_NO_OWNER);
			else
				assert_int_equal(s.owner[i], 0);
			tw_owned += s.owner[i] != SAMPLE_NO_OWNER;
		}
		assert_int_equal(tw_owned, s.socks.len - POP_TW);
	} else {
		assert_int_equal(s.nowner, 0);
		assert_int_equal(s.nprocs, 0);
	}

	assert_int_equal(model_new(&m), 0);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->range_low, POP_RANGE_LOW);
	assert_int_equal(snap->range_high, POP_RANGE_HIGH);
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 2 * POP_EST_CLIENTS);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], POP_TW);
	assert_int_equal(snap->tcp_states[SOCK_LISTEN], POP_LISTEN);
	assert_int_equal(snap->tcp_states[SOCK_BOUND], 0);
	assert_int_equal(snap->udp_sockets, with_udp ? POP_UDP : 0);
	/* the listener on 40100; the bound-only 40101 is not in a capture */
	assert_int_equal(snap->owned_ports, 1);
	assert_int_equal(snap->ndests, 4);
	for (i = 0; i < 4; i++) {
		const struct expect_dest *x = &pop_dests[i];
		const struct snap_dest *d = find_dest(snap, x->family, x->daddr, x->dport);

		assert_non_null(d);
		assert_int_equal(d->in_use, x->in_use);
		/* unknown reserved ports count as none: 200 usable */
		assert_int_equal(d->available, 200 - 1 - x->in_use);
		/* tcp_tw_reuse unknown: nothing is claimed reusable */
		assert_int_equal(d->reusable, 0);
	}
	/* the notes say what is missing */
	assert_true(s.nnotes >= 1);
	model_free(m);
	sample_release(&s);
}

static void test_ss(void **state)
{
	(void)state;
	check_population("ss-tanH.txt", IMPORT_SS, 0, 0, 0);
	check_population("ss-tan.txt", IMPORT_SS, 0, 0, 1);
	check_population("ss-tanpH.txt", IMPORT_SS, 0, 1, 0);
	check_population("ss-tuanpH.txt", IMPORT_SS, 1, 1, 0);
}

static void test_netstat(void **state)
{
	(void)state;
	check_population("netstat-tan.txt", IMPORT_NETSTAT, 0, 0, 2);
	check_population("netstat-tanp.txt", IMPORT_NETSTAT, 0, 1, 2);
	check_population("netstat-tuanp.txt", IMPORT_NETSTAT, 1, 1, 2);
}

/*
 * windows-netstat-ano.txt: LISTENING on 0.0.0.0:135 (pid 1012),
 * 0.0.0.0:445 (4), 10.0.0.5:139 (4), 0.0.0.0:49664 (788), [::]:135,
 * [::]:49664; toward 10.0.0.9:443 from 10.0.0.5: 12 ESTABLISHED (4242),
 * 20 TIME_WAIT (pid 0), 1 CLOSE_WAIT, 1 FIN_WAIT_2; 3 ESTABLISHED toward
 * 10.0.0.10:1433 (5151); 1 SYN_SENT toward 10.0.0.11:80; a loopback pair
 * 127.0.0.1:50400 <-> 50401; a link-local connection with a zone id; a
 * TIME_WAIT on [::1]; UDP: 5 sockets.
 */
static void test_windows(void **state)
{
	struct import_opts o = { IMPORT_AUTO, 0, 0, 0, 1e9 };
	struct import_stats st;
	const struct snapshot *snap;
	const struct snap_dest *d;
	struct model *m;
	struct sample s;

	(void)state;
	sample_init(&s);
	assert_int_equal(import_file("windows-netstat-ano.txt", &o, &s, &st), 0);
	assert_int_equal(st.format, IMPORT_WINDOWS);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.ignored, 4);   /* two blank lines, two headers */
	assert_int_equal(st.sockets, 6 + 12 + 20 + 1 + 1 + 3 + 1 + 2 + 1 + 1 + 5);
	assert_int_equal(st.has_owners, 1);
	/* distinct pids but 0: 1012 4 788 4242 5151 6060 7070 8080 2424 3030 */
	assert_int_equal(s.nprocs, 10);
	/* Windows' documented default dynamic range, not "known" */
	assert_int_equal(s.sys.port_low, IMPORT_WINDOWS_LOW);
	assert_int_equal(s.sys.port_high, IMPORT_WINDOWS_HIGH);
	assert_int_equal(s.sys.known, 0);
	assert_int_equal(model_new(&m), 0);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->usable, 65535 - 49152 + 1);
	assert_int_equal(snap->tcp_states[SOCK_LISTEN], 6);
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 12 + 3 + 2 + 1);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 21);
	assert_int_equal(snap->tcp_states[SOCK_SYN_SENT], 1);
	assert_int_equal(snap->tcp_states[SOCK_CLOSE_WAIT], 1);
	assert_int_equal(snap->tcp_states[SOCK_FIN_WAIT2], 1);
	assert_int_equal(snap->udp_sockets, 5);
	assert_int_equal(snap->owned_ports, 1);   /* 49664, on both families */
	d = find_dest(snap, AF_INET, "10.0.0.9", 443);
	assert_non_null(d);
	assert_int_equal(d->in_use, 12 + 20 + 1 + 1);
	assert_int_equal(d->available, 16384 - 1 - 34);
	d = find_dest(snap, AF_INET6, "fe80::9", 8080);
	assert_non_null(d);
	assert_int_equal(d->in_use, 1);
	/* a warning tells the Windows rules apart */
	assert_true(s.nnotes >= 2);
	assert_non_null(strstr(s.notes[1], "Windows"));
	model_free(m);

	/* --range overrides the default */
	o.have_range = 1;
	o.range_low = 50000;
	o.range_high = 50099;
	assert_int_equal(import_file("windows-netstat-ano.txt", &o, &s, &st), 0);
	assert_int_equal(s.sys.port_low, 50000);
	assert_int_equal(s.sys.port_high, 50099);
	assert_int_equal(s.sys.known, SYSCTL_K_RANGE);
	sample_release(&s);
}

static int import_text(const char *text, const struct import_opts *o,
		       struct sample *s, struct import_stats *st)
{
	struct importer *im;
	int e;

	assert_int_equal(import_new(&im, o), 0);
	assert_int_equal(import_feed(im, text, strlen(text)), 0);
	e = import_finish(im, s, st);
	import_free(im);
	return e;
}

/* Malformed lines are counted, with the first one's number; never fatal. */
static void test_malformed(void **state)
{
	struct import_opts o = { IMPORT_AUTO, 0, 0, 0, 1e9 };
	struct import_stats st;
	struct sample s;
	char *big, *text;
	size_t n;

	(void)state;
	sample_init(&s);
	big = malloc(3 * IMPORT_LINE_MAX);
	assert_non_null(big);
	memset(big, 'A', 3 * IMPORT_LINE_MAX - 1);
	big[3 * IMPORT_LINE_MAX - 1] = '\0';
	n = strlen(big) + 4096;
	text = malloc(n);
	assert_non_null(text);
	snprintf(text, n,
		 "ESTAB 0 0 10.0.0.1:40000 10.0.0.2:443\n"          /* 1 ok */
		 "ESTAB 0 0 10.0.0.1:70000 10.0.0.2:443\n"          /* 2 port */
		 "garbage\n"                                         /* 3 */
		 "%s\n"                                              /* 4 long */
		 "TIME-WAIT 0 0 10.0.0.1:40001 10.0.0.2:443\n"      /* 5 ok */
		 "ESTAB 0 0 10.0.0.1:40002\n"                       /* 6 short */
		 "ESTAB x 0 10.0.0.1:40003 10.0.0.2:443\n"          /* 7 queue */
		 "ESTAB 0 0 10.0.0.1.5:40004 10.0.0.2:443\n"        /* 8 addr */
		 "ESTAB 0 0 [::1:40005 [::1]:443\n"                 /* 9 bracket */
		 "\n"                                                /* 10 blank */
		 "LISTEN 0 128 [::ffff:127.0.0.1]:40006 *:*\n"      /* 11 ok */
		 "ESTAB 0 0 10.0.0.1:40007 10.0.0.2:443 extra\n"    /* 12 ok */
		 "ESTAB 0 0 10.0.0.1:40008 10.0.0.2:443",           /* 13 ok, no \n */
		 big);
	assert_int_equal(import_text(text, &o, &s, &st), 0);
	assert_int_equal(st.format, IMPORT_SS);
	assert_int_equal(st.lines, 13);
	assert_int_equal(st.sockets, 5);
	assert_int_equal(st.ignored, 1);
	assert_int_equal(st.malformed, 7);
	assert_int_equal(st.first_malformed, 2);
	assert_int_equal(s.socks.len, 5);
	/* IPv4-mapped is stored as IPv4, like the kernel hashes it */
	assert_int_equal(s.socks.v[2].family, AF_INET);
	assert_int_equal(s.socks.v[2].state, SOCK_LISTEN);
	assert_int_equal(s.socks.v[2].saddr[0], 127);
	assert_non_null(strstr(s.notes[1], "7 malformed"));
	assert_non_null(strstr(s.notes[1], "line 2"));

	/* nothing usable at all */
	assert_int_equal(import_text("", &o, &s, &st), -ENODATA);
	assert_int_equal(import_text("hello\nworld\n", &o, &s, &st), -ENODATA);
	assert_int_equal(st.malformed, 2);
	/* NUL bytes and binary junk */
	{
		static const char junk[] = "ESTAB 0 0 1.2.3.4:1\0 5.6.7.8:2\n\xff\xfe\n";
		struct importer *im;

		assert_int_equal(import_new(&im, &o), 0);
		assert_int_equal(import_feed(im, junk, sizeof(junk) - 1), 0);
		assert_int_equal(import_finish(im, &s, &st), -ENODATA);
		assert_int_equal(st.malformed, 2);
		import_free(im);
	}
	/* a forced format does not guess */
	o.format = IMPORT_WINDOWS;
	assert_int_equal(import_text("ESTAB 0 0 10.0.0.1:40000 10.0.0.2:443\n",
				     &o, &s, &st), -ENODATA);
	free(text);
	free(big);
	sample_release(&s);
}

/* Fail closed: blank lines do not make garbage a capture; a header alone
 * (a host without sockets) is one; UTF-16 is named, not counted. */
static void test_fail_closed(void **state)
{
	static const char u16[] = "\xff\xfe\x45\x00\x53\x00\x54\x00\n\x00";
	struct import_opts o = { IMPORT_AUTO, 0, 0, 0, 1e9 };
	struct import_stats st;
	struct importer *im;
	struct sample s;

	(void)state;
	sample_init(&s);
	assert_int_equal(import_text("garbage\n\n", &o, &s, &st), -ENODATA);
	assert_int_equal(import_text("\n\ngarbage\n\n\n", &o, &s, &st), -ENODATA);
	assert_int_equal(import_text("State Recv-Q Send-Q Local Address:Port "
				     "Peer Address:Port Process\n", &o, &s, &st), 0);
	assert_int_equal(st.sockets, 0);
	assert_int_equal(import_new(&im, &o), 0);
	assert_int_equal(import_feed(im, u16, sizeof(u16) - 1), -EILSEQ);
	assert_int_equal(import_finish(im, &s, &st), -EILSEQ);
	import_free(im);
	sample_release(&s);
}

/* Fed in pieces of any size, a capture gives the same sample. */
static void test_split_feed(void **state)
{
	struct import_opts o = { IMPORT_AUTO, 1, POP_RANGE_LOW, POP_RANGE_HIGH, 1e9 };
	struct import_stats st1, st2;
	struct sample a, b;
	char path[512];
	char buf[65536];
	ssize_t n;
	size_t i, step;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/import/ss-tuanpH.txt", TESTDATA);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	sample_init(&a);
	sample_init(&b);
	assert_int_equal(import_text("", &o, &a, &st1), -ENODATA);
	{
		struct importer *im;

		assert_int_equal(import_new(&im, &o), 0);
		assert_int_equal(import_feed(im, buf, (size_t)n), 0);
		assert_int_equal(import_finish(im, &a, &st1), 0);
		import_free(im);
	}
	for (step = 1; step < 200; step += 37) {
		struct importer *im;

		assert_int_equal(import_new(&im, &o), 0);
		for (i = 0; i < (size_t)n; i += step)
			assert_int_equal(import_feed(im, buf + i,
						     (size_t)n - i < step ? (size_t)n - i : step), 0);
		assert_int_equal(import_finish(im, &b, &st2), 0);
		import_free(im);
		assert_int_equal(st1.sockets, st2.sockets);
		assert_int_equal(st1.lines, st2.lines);
		assert_int_equal(a.socks.len, b.socks.len);
		for (i = 0; i < a.socks.len; i++) {
			assert_int_equal(a.socks.v[i].sport, b.socks.v[i].sport);
			assert_int_equal(a.socks.v[i].state, b.socks.v[i].state);
			assert_memory_equal(a.socks.v[i].daddr, b.socks.v[i].daddr, 16);
		}
	}
	sample_release(&a);
	sample_release(&b);
}

static int pl(enum import_format *f, const char *line, struct import_line *l)
{
	return import_parse_line(f, line, strlen(line), l);
}

/* Single lines of each format, the odd corners included. */
static void test_lines(void **state)
{
	struct import_line l;
	enum import_format f;

	(void)state;
	/* ss: a device-bound socket, a wildcard, the Netid column */
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f, "UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:*", &l), 1);
	assert_int_equal(f, IMPORT_SS);
	assert_int_equal(l.rec.ifindex, 1);
	assert_int_equal(l.rec.sport, 53);
	assert_int_equal(l.rec.state, SOCK_BOUND);
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f, "udp UNCONN 0 0 *:5353 *:*", &l), 1);
	assert_int_equal(l.rec.proto, IPPROTO_UDP);
	assert_int_equal(l.rec.family, AF_INET6);
	assert_int_equal(l.rec.state, SOCK_CLOSE);
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f,
		"tcp ESTAB 0 0 [fe80::1]%eth0:40000 [fe80::2]:22 "
		"users:((\"a \\\"b\",pid=42,fd=3),(\"x\",pid=43,fd=4))", &l), 1);
	assert_int_equal(l.pid, 42);
	assert_string_equal(l.comm, "a \\\"b");
	assert_int_equal(l.rec.dport, 22);
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f, "u_str ESTAB 0 0 * 123 * 456", &l),
			 IMPORT_LINE_IGNORED);
	/* net-tools: unbracketed IPv6, a program name with a blank */
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f,
		"tcp6       0      0 :::22                   :::*                    LISTEN      1/sshd: /usr/sbin", &l), 1);
	assert_int_equal(f, IMPORT_NETSTAT);
	assert_int_equal(l.rec.family, AF_INET6);
	assert_int_equal(l.rec.sport, 22);
	assert_int_equal(l.pid, 1);
	assert_string_equal(l.comm, "sshd: /usr/sbin");
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f,
		"udp        0      0 0.0.0.0:68              0.0.0.0:*                           -", &l), 1);
	assert_int_equal(l.pid, 0);
	assert_int_equal(l.rec.state, SOCK_CLOSE);
	/* Windows: a zone id inside the brackets */
	f = IMPORT_AUTO;
	assert_int_equal(pl(&f,
		"  TCP    [fe80::1%12]:49670  [fe80::2%12]:443  ESTABLISHED  77", &l), 1);
	assert_int_equal(f, IMPORT_WINDOWS);
	assert_int_equal(l.rec.sport, 49670);
	assert_int_equal(l.pid, 77);
	f = IMPORT_WINDOWS;
	assert_int_equal(pl(&f, "  TCP  1.2.3.4:1  5.6.7.8:2  NOPE  1", &l),
			 -EINVAL);
	/* names of formats */
	assert_int_equal(import_format_parse("windows", &f), 0);
	assert_int_equal(f, IMPORT_WINDOWS);
	assert_int_equal(import_format_parse("ss", &f), 0);
	assert_int_equal(f, IMPORT_SS);
	assert_int_equal(import_format_parse("xml", &f), -EINVAL);
	assert_string_equal(import_format_name(IMPORT_NETSTAT), "netstat");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ss),
		cmocka_unit_test(test_netstat),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_split_feed),
		cmocka_unit_test(test_fail_closed),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
