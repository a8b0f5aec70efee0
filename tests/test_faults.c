#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "clock.h"
#include "diag.h"
#include "events.h"
#include "fuzz_chunks.h"
#include "model.h"
#include "options.h"
#include "out_json.h"
#include "procs.h"
#include "record.h"
#include "sampler.h"
#include "source.h"
#include "strbuf.h"

/*
 * Faults under the whole pipeline (sampler, model, batch output), injected
 * through seams: the netlink transport is played from a script of
 * datagrams and errors (tests/fuzz/fuzz_chunks.h: every datagram answers
 * the request just sent), the /proc walk runs on a private tree whose
 * openat()/readlinkat() calls can be made to fail (the linker's --wrap,
 * see Makefile.am), and recordings are damaged on disk.
 *
 * What every test shows: porttop keeps running, what it shows is a whole
 * sample or nothing (never a partial dump presented as complete), and the
 * condition reaches the user (an error line, a snapshot warning, a JSON
 * field).
 */

/* ---- the /proc seam ------------------------------------------------------ */

/*
 * openat() and readlinkat() of the code under test go through these
 * (-Wl,--wrap). A call whose path is fail_name (and, when fail_dirname is
 * set, made relative to a directory of that name) fails with fail_errno.
 */
static char fail_name[64];
static char fail_dirname[64];
static int fail_errno;
static char fail_link[64];
static int fail_link_errno;

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
ssize_t __real_readlinkat(int dirfd, const char *path, char *buf, size_t len);
ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len);

/* The name of the directory dirfd is open on ("" when unknown). */
static void dir_name_of(int dirfd, char *buf, size_t len)
{
	char proc[64], target[512];
	ssize_t n;
	const char *slash;

	buf[0] = '\0';
	if (dirfd < 0)
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	n = __real_readlinkat(AT_FDCWD, proc, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : target);
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (fail_errno && strcmp(path, fail_name) == 0) {
		char dir[512];

		dir_name_of(dirfd, dir, sizeof(dir));
		if (!fail_dirname[0] || strcmp(dir, fail_dirname) == 0) {
			errno = fail_errno;
			return -1;
		}
	}
	return __real_openat(dirfd, path, flags, mode);
}

ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	if (fail_link_errno && strcmp(path, fail_link) == 0) {
		errno = fail_link_errno;
		return -1;
	}
	return __real_readlinkat(dirfd, path, buf, len);
}

static void seam_reset(void)
{
	fail_name[0] = fail_dirname[0] = fail_link[0] = '\0';
	fail_errno = fail_link_errno = 0;
}

/* ---- scripted netlink replies ------------------------------------------- */

/* A datagram under construction (u32 words: nlmsghdr alignment). */
struct dg {
	uint32_t w[8192];
	size_t len;
};

/* A socket of the script: 10.0.0.1:sport -> 10.0.0.2:443, ESTABLISHED. */
static void dg_sock(struct dg *d, uint16_t sport, uint32_t inode, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct inet_diag_msg *m;

	assert_true(d->len + 256 <= sizeof(d->w));
	nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = AF_INET;
	m->idiag_state = SOCK_ESTABLISHED;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(443);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", m->id.idiag_src), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", m->id.idiag_dst), 1);
	m->id.idiag_cookie[0] = sport;
	m->id.idiag_cookie[1] = 0;
	m->idiag_inode = inode;
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void dg_done(struct dg *d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* A script: chunks (fuzz_chunks.h) appended in the order recv() sees them. */
struct script {
	uint8_t buf[1 << 20];
	size_t len;
};

static void sc_dg(struct script *sc, const struct dg *d)
{
	assert_true(sc->len + 3 + d->len <= sizeof(sc->buf));
	sc->len = fuzz_chunk_put(sc->buf, sc->len,
				 FUZZ_CHUNK_DATA | FUZZ_CHUNK_RESEQ, d->w,
				 (uint16_t)d->len);
}

static void sc_err(struct script *sc, uint8_t kind)
{
	sc->len = fuzz_chunk_put(sc->buf, sc->len, kind, NULL, 0);
}

/* A whole dump of n sockets (ports base..base+n-1, inodes 1000+port) in
 * one datagram. */
static void sc_dump(struct script *sc, unsigned base, unsigned n)
{
	struct dg d;
	unsigned i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < n; i++)
		dg_sock(&d, (uint16_t)(base + i), 1000 + base + i, 0);
	dg_done(&d);
	sc_dg(sc, &d);
}

/* The three other dumps of a sample (TCP6, UDP4, UDP6), empty. */
static void sc_rest(struct script *sc)
{
	sc_dump(sc, 0, 0);
	sc_dump(sc, 0, 0);
	sc_dump(sc, 0, 0);
}

/* One good sample of n TCP4 sockets. */
static void sc_sample(struct script *sc, unsigned base, unsigned n)
{
	sc_dump(sc, base, n);
	sc_rest(sc);
}

/* A TCP4 dump whose second datagram carries NLM_F_DUMP_INTR: the socket
 * table changed while the kernel walked it. */
static void sc_intr_dump(struct script *sc, unsigned base)
{
	struct dg d;
	unsigned i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < 5; i++)
		dg_sock(&d, (uint16_t)(base + i), 0, 0);
	sc_dg(sc, &d);
	memset(&d, 0, sizeof(d));
	dg_sock(&d, (uint16_t)(base + 5), 0, NLM_F_DUMP_INTR);
	for (i = 6; i < 10; i++)
		dg_sock(&d, (uint16_t)(base + i), 0, 0);
	dg_done(&d);
	sc_dg(sc, &d);
}

/* ---- fixtures -------------------------------------------------------------- */

struct fx {
	struct script sc;
	struct fuzz_chunks chunks;
	struct sampler *sp;
	struct model *m;
	struct sample s;
	double now;
	char tmp[256];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	sample_init(&fx->s);
	assert_int_equal(model_new(&fx->m), 0);
	fx->now = 1000.0;
	seam_reset();
	*state = fx;
	return 0;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)) != NULL) {
			char p[1024];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			if (unlink(p) != 0)
				rm_tree(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	seam_reset();
	sampler_free(fx->sp);
	model_free(fx->m);
	sample_release(&fx->s);
	if (fx->tmp[0])
		rm_tree(fx->tmp);
	free(fx);
	return 0;
}

/* A sampler over the script (sysctls from the basic fixture tree). */
static void start(struct fx *fx)
{
	struct clock clk;
	struct nlio io;

	clock_init_manual(&clk, &fx->now);
	fuzz_chunks_init(&io, &fx->chunks, fx->sc.buf, fx->sc.len);
	assert_int_equal(sampler_new(&fx->sp, TESTDATA "/proc-basic", &clk, &io), 0);
}

/* Take a sample; on success feed the model. */
static int take(struct fx *fx)
{
	int e;

	fx->now += 1.0;
	e = sampler_take(fx->sp, &fx->s);
	if (e == 0)
		assert_int_equal(model_update(fx->m, &fx->s), 0);
	return e;
}

static int has_warning(const struct snapshot *snap, const char *needle)
{
	size_t i;

	for (i = 0; i < snap->nwarnings; i++)
		if (strstr(snap->warnings[i], needle))
			return 1;
	return 0;
}

static void json_of(const struct snapshot *snap, struct strbuf *sb)
{
	strbuf_reset(sb);
	assert_int_equal(out_json_snapshot(sb, snap), 0);
}

/* ---- sock_diag dumps -------------------------------------------------------- */

/* NLM_F_DUMP_INTR in the middle of a dump: the half-read dump is thrown
 * away and the dump restarted; the sample holds the second, whole dump
 * only (10 sockets, not 5 + 10). */
static void test_dump_intr_mid_dump(void **state)
{
	struct fx *fx = *state;

	sc_intr_dump(&fx->sc, 40000);
	sc_sample(&fx->sc, 40100, 10);
	start(fx);
	assert_int_equal(take(fx), 0);
	assert_int_equal(fx->s.stats.retries, 1);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 10);
	assert_int_equal(model_snapshot(fx->m)->nsocks, 10);
	assert_int_equal(model_snapshot(fx->m)->socks[0].sport / 100, 401);
}

/* A table that keeps changing: after DIAG_MAX_RETRIES restarts the sample
 * fails and holds nothing; the model keeps the last whole snapshot; the
 * next sample works again. */
static void test_dump_intr_persistent(void **state)
{
	struct fx *fx = *state;
	const struct snapshot *snap;
	int i;

	sc_sample(&fx->sc, 40000, 7);
	for (i = 0; i <= DIAG_MAX_RETRIES; i++)
		sc_intr_dump(&fx->sc, 40100);
	sc_sample(&fx->sc, 40200, 12);
	start(fx);
	assert_int_equal(take(fx), 0);
	snap = model_snapshot(fx->m);
	assert_int_equal(snap->tcp_sockets, 7);

	assert_int_equal(take(fx), -EAGAIN);
	assert_int_equal(fx->s.socks.len, 0);
	assert_int_equal(fx->s.stats.retries, DIAG_MAX_RETRIES);
	/* what the user sees is still the last whole sample */
	assert_ptr_equal(model_snapshot(fx->m), snap);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 7);
	assert_non_null(strstr(diag_strerror(-EAGAIN), "kept changing"));

	assert_int_equal(take(fx), 0);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 12);
}

/* EINTR between datagrams is retried: the sample is whole. */
static void test_eintr(void **state)
{
	struct fx *fx = *state;
	struct dg d;
	unsigned i;

	sc_err(&fx->sc, FUZZ_CHUNK_EINTR);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 4; i++)
		dg_sock(&d, (uint16_t)(40000 + i), 0, 0);
	sc_dg(&fx->sc, &d);
	sc_err(&fx->sc, FUZZ_CHUNK_EINTR);
	sc_err(&fx->sc, FUZZ_CHUNK_EINTR);
	memset(&d, 0, sizeof(d));
	for (i = 4; i < 9; i++)
		dg_sock(&d, (uint16_t)(40000 + i), 0, 0);
	dg_done(&d);
	sc_dg(&fx->sc, &d);
	sc_err(&fx->sc, FUZZ_CHUNK_EINTR);
	sc_rest(&fx->sc);
	start(fx);
	assert_int_equal(take(fx), 0);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 9);
	assert_int_equal(fx->s.stats.malformed, 0);
}

/* ENOBUFS on the dump socket (the kernel dropped part of the dump): the
 * sample fails whole, with a reason; the next one works. */
static void test_enobufs_dump(void **state)
{
	struct fx *fx = *state;
	struct dg d;

	memset(&d, 0, sizeof(d));
	dg_sock(&d, 40000, 0, 0);
	dg_sock(&d, 40001, 0, 0);
	sc_dg(&fx->sc, &d);
	sc_err(&fx->sc, FUZZ_CHUNK_ENOBUFS);
	sc_sample(&fx->sc, 40100, 3);
	start(fx);
	assert_int_equal(take(fx), -ENOBUFS);
	assert_int_equal(fx->s.socks.len, 0);
	assert_null(model_snapshot(fx->m));
	assert_non_null(strstr(diag_strerror(-ENOBUFS), "overrun"));
	assert_int_equal(take(fx), 0);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 3);
}

/* A datagram larger than the buffer (ENOSPC): the rest of that dump is
 * drained and the sample fails; the socket is usable again after it. */
static void test_enospc_dump(void **state)
{
	struct fx *fx = *state;
	struct dg d;

	sc_err(&fx->sc, FUZZ_CHUNK_ENOSPC);
	memset(&d, 0, sizeof(d));
	dg_sock(&d, 40005, 0, 0);
	dg_done(&d);
	sc_dg(&fx->sc, &d);          /* the rest of the dump, drained */
	sc_sample(&fx->sc, 40100, 4);
	start(fx);
	assert_int_equal(take(fx), -ENOSPC);
	assert_int_equal(fx->s.socks.len, 0);
	assert_int_equal(take(fx), 0);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 4);
}

/* A short datagram (cut inside a message) followed by the end of the
 * dump: the whole messages are kept, the cut one is counted, and the
 * snapshot says so (a warning, in JSON too). */
static void test_short_datagram(void **state)
{
	struct fx *fx = *state;
	struct strbuf sb;
	struct dg d;
	unsigned i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < 3; i++)
		dg_sock(&d, (uint16_t)(40000 + i), 0, 0);
	d.len -= 20;   /* the third message loses its tail */
	sc_dg(&fx->sc, &d);
	memset(&d, 0, sizeof(d));
	dg_done(&d);
	sc_dg(&fx->sc, &d);
	sc_rest(&fx->sc);
	start(fx);
	assert_int_equal(take(fx), 0);
	assert_int_equal(fx->s.stats.malformed, 1);
	assert_int_equal(model_snapshot(fx->m)->tcp_sockets, 2);
	assert_true(has_warning(model_snapshot(fx->m), "malformed"));
	strbuf_init(&sb);
	json_of(model_snapshot(fx->m), &sb);
	assert_non_null(strstr(sb.buf, "skipped 1 malformed sock_diag messages"));
	strbuf_release(&sb);
}

/* The transport ends before NLMSG_DONE (a dump cut short): the sample
 * fails as "ended early", never a partial one. */
static void test_dump_ends_early(void **state)
{
	struct fx *fx = *state;
	struct dg d;
	unsigned i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < 6; i++)
		dg_sock(&d, (uint16_t)(40000 + i), 0, 0);
	sc_dg(&fx->sc, &d);
	sc_err(&fx->sc, FUZZ_CHUNK_END);
	start(fx);
	assert_int_equal(take(fx), -EPROTO);
	assert_int_equal(fx->s.socks.len, 0);
	assert_null(model_snapshot(fx->m));
	assert_non_null(strstr(diag_strerror(-EPROTO), "ended early"));
}

/* Batch mode through all of it: samples 1 and 3 print, sample 2 (a table
 * that never settles) is reported on stderr and skipped; porttop goes on
 * and exits 0. */
static void test_batch_skips_failed_sample(void **state)
{
	struct fx *fx = *state;
	char arg0[] = "porttop";
	char *argv[] = { arg0, NULL };
	struct options opts;
	struct strbuf err;
	char *outbuf = NULL, *diagbuf = NULL;
	size_t outlen = 0, diaglen = 0;
	FILE *out, *diag;
	char *nl;
	int i;

	sc_sample(&fx->sc, 40000, 7);
	for (i = 0; i <= DIAG_MAX_RETRIES; i++)
		sc_intr_dump(&fx->sc, 40100);
	sc_sample(&fx->sc, 40200, 12);
	start(fx);
	strbuf_init(&err);
	assert_true(options_parse(1, argv, &opts, &err) >= 0);
	opts.batch = 1;
	opts.format = OUT_JSON;
	opts.iterations = 3;
	opts.delay = 0.001;
	out = open_memstream(&outbuf, &outlen);
	diag = open_memstream(&diagbuf, &diaglen);
	assert_non_null(out);
	assert_non_null(diag);
	assert_int_equal(batch_run(&opts, fx->sp, fx->m, out, diag, &err), 0);
	fclose(out);
	fclose(diag);
	/* two whole JSON lines: 7 sockets, then 12 */
	nl = strchr(outbuf, '\n');
	assert_non_null(nl);
	assert_non_null(strstr(outbuf, "\"sockets\": 7"));
	assert_non_null(strstr(nl + 1, "\"sockets\": 12"));
	assert_non_null(strchr(nl + 1, '\n'));
	assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
	assert_non_null(strstr(diagbuf, "sample 2 skipped: socket table kept changing"));
	free(outbuf);
	free(diagbuf);
	strbuf_release(&err);
}

/* ---- destroy events -------------------------------------------------------- */

/* A destroy event: 10.0.0.1:sport -> 10.0.0.2:443 closed (TCP). */
static void dg_event(struct dg *d, uint16_t sport)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header((char *)d->w + d->len);
	struct inet_diag_msg *m;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = AF_INET;
	m->idiag_state = SOCK_FIN_WAIT1;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(443);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", m->id.idiag_src), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", m->id.idiag_dst), 1);
	mnl_attr_put_u8(nlh, INET_DIAG_PROTOCOL, IPPROTO_TCP);
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* ENOBUFS on the event socket: the interval is flagged as lost, the rates
 * fall back to estimates, and the snapshot, the JSON and the warnings say
 * so; the closes that did arrive are still counted. */
static void test_events_overrun(void **state)
{
	struct fx *fx = *state;
	static struct script ev_sc;
	struct fuzz_chunks ev_chunks;
	struct events *ev = NULL;
	const struct snapshot *snap;
	struct strbuf sb;
	struct nlio io;
	struct dg d;

	sc_sample(&fx->sc, 40000, 3);
	sc_sample(&fx->sc, 40000, 3);
	start(fx);

	memset(&ev_sc, 0, sizeof(ev_sc));
	/* the first sample finds nothing queued */
	ev_sc.len = fuzz_chunk_put(ev_sc.buf, ev_sc.len, FUZZ_CHUNK_EAGAIN, NULL, 0);
	memset(&d, 0, sizeof(d));
	dg_event(&d, 40010);
	dg_event(&d, 40011);
	ev_sc.len = fuzz_chunk_put(ev_sc.buf, ev_sc.len, FUZZ_CHUNK_DATA, d.w,
				   (uint16_t)d.len);
	ev_sc.len = fuzz_chunk_put(ev_sc.buf, ev_sc.len, FUZZ_CHUNK_ENOBUFS, NULL, 0);
	ev_sc.len = fuzz_chunk_put(ev_sc.buf, ev_sc.len, FUZZ_CHUNK_EAGAIN, NULL, 0);
	fuzz_chunks_init(&io, &ev_chunks, ev_sc.buf, ev_sc.len);
	assert_int_equal(events_new(&ev, &io), 0);
	sampler_set_events(fx->sp, ev);

	assert_int_equal(take(fx), 0);
	assert_int_equal(fx->s.events, SAMPLE_EV_EXACT);
	/* between samples the event loop drains the socket */
	assert_int_equal(sampler_drain_events(fx->sp), 2);
	assert_int_equal(take(fx), 0);
	assert_int_equal(fx->s.events, SAMPLE_EV_LOST);
	assert_int_equal(fx->s.closes.counted, 2);
	assert_true(fx->s.closes.flags & EV_OVERRUN);
	snap = model_snapshot(fx->m);
	assert_int_equal(snap->events_lost, 1);
	assert_int_equal(snap->rates_source, SNAP_RATES_ESTIMATED);
	assert_true(has_warning(snap, "destroy events lost"));
	strbuf_init(&sb);
	json_of(snap, &sb);
	assert_non_null(strstr(sb.buf, "\"events_lost\": true"));
	strbuf_release(&sb);
}

/* ---- the /proc walk ------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* <root>/PID with stat, status, cmdline, cgroup and fd/N -> socket:[INODE]. */
static void make_proc(const char root[256], int pid, const char *comm,
		      const uint32_t *inodes, size_t n)
{
	char dir[300], p[512], text[512];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/%d", root, pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(text, sizeof(text), "%d (%s) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 "
		 "20 0 1 0 %d 1000 100\n", pid, comm, 5000 + pid);
	write_file(dir, "stat", text);
	write_file(dir, "status", "Name:\tx\nUid:\t0\t0\t0\t0\n");
	snprintf(text, sizeof(text), "%s%c--serve%c", comm, 0, 0);
	snprintf(p, sizeof(p), "%s/cmdline", dir);
	{
		FILE *f = fopen(p, "w");

		assert_non_null(f);
		fwrite(text, 1, strlen(comm) + 9, f);
		fclose(f);
	}
	write_file(dir, "cgroup", "0::/system.slice/x.service\n");
	snprintf(p, sizeof(p), "%s/fd", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	for (i = 0; i < n; i++) {
		char link[64];

		snprintf(link, sizeof(link), "socket:[%u]", inodes[i]);
		snprintf(p, sizeof(p), "%s/fd/%zu", dir, i + 3);
		assert_int_equal(symlink(link, p), 0);
	}
}

static void make_tree(struct fx *fx)
{
	static const uint32_t a[] = { 41000, 41001 }, b[] = { 41002 }, c[] = { 41003 };
	const char *t = getenv("TMPDIR");

	snprintf(fx->tmp, sizeof(fx->tmp), "%s/porttop-faults.XXXXXX",
		 t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(fx->tmp));
	make_proc(fx->tmp, 100, "alive", a, 2);
	make_proc(fx->tmp, 200, "vanishing", b, 1);
	make_proc(fx->tmp, 300, "private", c, 1);
}

static void socks_for_tree(struct sock_rec *r)
{
	unsigned i;

	memset(r, 0, 4 * sizeof(*r));
	for (i = 0; i < 4; i++) {
		r[i].family = AF_INET;
		r[i].proto = IPPROTO_TCP;
		r[i].state = SOCK_ESTABLISHED;
		r[i].sport = (uint16_t)(40000 + i);
		r[i].inode = 41000 + i;
	}
}

/*
 * During the walk pid 200 vanishes (its directory is gone: ENOENT), pid
 * 300's open files cannot be read (EACCES), and pid 100 closes fd 4
 * between the listing and the readlink (ENOENT). The refresh still works:
 * what could be read is attributed, the rest is unknown, never guessed,
 * and the denied process is counted.
 */
static void test_proc_walk_faults(void **state)
{
	struct fx *fx = *state;
	const struct procs_info *owners[4];
	struct procs_stats st;
	struct procs *pc = NULL;
	struct sock_rec r[4];

	make_tree(fx);
	socks_for_tree(r);
	snprintf(fail_name, sizeof(fail_name), "200");
	fail_errno = ENOENT;
	snprintf(fail_link, sizeof(fail_link), "4");
	fail_link_errno = ENOENT;
	assert_int_equal(procs_new(&pc, fx->tmp), 0);
	assert_int_equal(procs_refresh(pc, r, 4, owners), 0);
	assert_non_null(owners[0]);
	assert_int_equal(owners[0]->pid, 100);
	assert_string_equal(owners[0]->comm, "alive");
	assert_string_equal(owners[0]->cmdline, "alive --serve");
	assert_null(owners[1]);       /* fd 4 closed meanwhile */
	assert_null(owners[2]);       /* its process vanished */
	assert_non_null(owners[3]);   /* 300 is readable so far */

	/* now 300 turns private and 200 is still gone */
	seam_reset();
	snprintf(fail_name, sizeof(fail_name), "fd");
	snprintf(fail_dirname, sizeof(fail_dirname), "300");
	fail_errno = EACCES;
	procs_free(pc);
	pc = NULL;
	assert_int_equal(procs_new(&pc, fx->tmp), 0);
	assert_int_equal(procs_refresh(pc, r, 4, owners), 0);
	procs_get_stats(pc, &st);
	assert_int_equal(owners[0]->pid, 100);
	assert_int_equal(owners[1]->pid, 100);
	assert_int_equal(owners[2]->pid, 200);
	assert_null(owners[3]);
	assert_int_equal(st.denied, 1);
	assert_int_equal(st.procs, 3);
	procs_free(pc);
}

/* The same through the sampler and the model: the snapshot attributes
 * what it can and tells the user why the rest is not. */
static void test_proc_walk_faults_visible(void **state)
{
	struct fx *fx = *state;
	const struct snapshot *snap;
	struct dg d;
	unsigned i;

	make_tree(fx);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 4; i++)
		dg_sock(&d, (uint16_t)(40000 + i), 41000 + i, 0);
	dg_done(&d);
	sc_dg(&fx->sc, &d);
	sc_rest(&fx->sc);
	start(fx);
	assert_int_equal(sampler_enable_attribution(fx->sp, fx->tmp), 0);
	snprintf(fail_name, sizeof(fail_name), "fd");
	snprintf(fail_dirname, sizeof(fail_dirname), "300");
	fail_errno = EACCES;
	assert_int_equal(take(fx), 0);
	assert_true(fx->s.procs_denied >= 1);
	snap = model_snapshot(fx->m);
	assert_int_equal(snap->tcp_sockets, 4);
	assert_true(has_warning(snap, "CAP_SYS_PTRACE"));
	/* 100 holds two, 200 one; 300's socket is known by its uid only
	 * (a pid 0 row), never given to another process */
	assert_int_equal(snap->nprocs, 3);
	for (i = 0; i < snap->nprocs; i++) {
		const struct snap_proc *p = &snap->procs[i];

		if (p->pid == 100)
			assert_int_equal(p->sockets, 2);
		else if (p->pid == 200)
			assert_int_equal(p->sockets, 1);
		else if (p->pid == 0)
			assert_int_equal(p->sockets, 1);
		else
			fail_msg("unexpected process %d", p->pid);
	}
}

/* ---- recordings ---------------------------------------------------------- */

static void record_three(struct fx *fx, const char *path, uint64_t *ends)
{
	struct rec_writer *w = NULL;
	struct strbuf err;
	struct stat st;
	int i;

	strbuf_init(&err);
	assert_int_equal(rec_writer_open(&w, path, "faulthost", &err), 0);
	for (i = 0; i < 3; i++) {
		sc_sample(&fx->sc, (unsigned)(40000 + 100 * i), (unsigned)(5 + i));
	}
	start(fx);
	for (i = 0; i < 3; i++) {
		fx->now += 1.0;
		assert_int_equal(sampler_take(fx->sp, &fx->s), 0);
		assert_int_equal(rec_writer_append(w, &fx->s), 0);
		assert_int_equal(stat(path, &st), 0);
		ends[i] = (uint64_t)st.st_size;
	}
	rec_writer_close(w);
	strbuf_release(&err);
}

/*
 * A writer killed in the middle of a record (the file stops growing with
 * a torn tail): the reader keeps the whole records, reports the torn one
 * with its offset, and the samples read back whole.
 */
static void test_record_torn_tail(void **state)
{
	struct fx *fx = *state;
	struct rec_reader *r = NULL;
	struct sample s;
	struct strbuf err;
	uint64_t ends[3];
	char path[512];
	int fd;

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/torn.ptr", fx->tmp);
	record_three(fx, path, ends);
	/* cut the last record in half */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(ends[1] + (ends[2] - ends[1]) / 2)), 0);
	close(fd);

	strbuf_init(&err);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	assert_int_equal(rec_reader_count(r), 2);
	assert_int_equal(rec_reader_damage_total(r), 1);
	assert_int_equal(rec_reader_damage(r, 0)->offset, ends[1]);
	assert_true(strlen(rec_reader_damage(r, 0)->reason) > 0);
	sample_init(&s);
	assert_int_equal(rec_reader_read(r, 1, &s), 0);
	assert_int_equal(s.socks.len, 6);
	sample_release(&s);
	rec_reader_free(r);
	strbuf_release(&err);
}

/*
 * A recording truncated while it is being replayed (someone rotated it):
 * samples already indexed but now gone fail with an error, never a crash
 * nor a half-decoded sample; the ones still there read back whole.
 */
static void test_record_truncated_under_replay(void **state)
{
	struct fx *fx = *state;
	struct rec_reader *r = NULL;
	struct sample s;
	struct strbuf err;
	uint64_t ends[3];
	char path[512];
	int fd, e;

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/rotated.ptr", fx->tmp);
	record_three(fx, path, ends);
	strbuf_init(&err);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	assert_int_equal(rec_reader_count(r), 3);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)ends[0]), 0);
	close(fd);

	sample_init(&s);
	assert_int_equal(rec_reader_read(r, 0, &s), 0);
	assert_int_equal(s.socks.len, 5);
	e = rec_reader_read(r, 2, &s);
	assert_true(e < 0);
	assert_non_null(rec_strerror(e));
	/* what is still there still reads */
	assert_int_equal(rec_reader_read(r, 0, &s), 0);
	assert_int_equal(s.socks.len, 5);
	sample_release(&s);
	rec_reader_free(r);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dump_intr_mid_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_intr_persistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enobufs_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_datagram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_ends_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_skips_failed_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_walk_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_walk_faults_visible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_truncated_under_replay, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
