#include "config.h"

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
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "out_json.h"
#include "record.h"
#include "sampler.h"
#include "source.h"

/*
 * The recording format: samples written and read back equal, field by
 * field and through the model as JSON; torn tails and flipped bytes are
 * found, reported with their offset and never read as data; the writer's
 * file rules (0600, no symlinks, no clobbering, a torn tail trimmed).
 */

#define NSAMPLES 24

/* A small deterministic generator. */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/porttop-test-record.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void sock_fill(struct sock_rec *r, uint32_t id)
{
	memset(r, 0, sizeof(*r));
	r->proto = id % 11 == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	if (id % 5 == 0) {
		r->family = AF_INET6;
		r->saddr[15] = 1;
		r->daddr[15] = (uint8_t)(1 + id % 3);
		r->daddr[0] = 0x20;
	} else {
		r->family = AF_INET;
		r->saddr[0] = 10;
		r->saddr[3] = 1;
		r->daddr[0] = 10;
		r->daddr[3] = (uint8_t)(2 + id % 4);
	}
	r->sport = (uint16_t)(40000 + id % 3000);
	r->dport = (uint16_t)(id % 7 == 0 ? 80 : 443);
	r->cookie = 0x100000 + (uint64_t)id * 3;
	r->state = id % 3 == 0 ? SOCK_TIME_WAIT : id % 17 == 0 ? SOCK_LISTEN :
		   id % 19 == 0 ? SOCK_BOUND : SOCK_ESTABLISHED;
	if (r->proto == IPPROTO_UDP)
		r->state = SOCK_CLOSE;
	if (r->state == SOCK_TIME_WAIT) {
		r->timer = 3;
		r->expires_ms = 60000 - id % 50000;
	} else {
		r->uid = 1000 + id % 3;
		r->inode = 50000 + id * 2;
		r->cgroup_id = 7 + id % 2;
		if (id % 13 == 0) {
			r->timer = 1;
			r->expires_ms = 200 + id % 100;
		}
	}
	if (id % 23 == 0)
		r->ifindex = 1;
	if (id % 29 == 0 && r->family == AF_INET6)
		r->flags = SOCK_F_V6ONLY;
}

/*
 * Sample k of an evolving population: sockets come and go, timers count
 * down with jitter, owners and processes change now and then.
 */
static void make_sample(struct sample *s, unsigned k, unsigned base)
{
	uint32_t first = base + k * 7, n = 120 + (k % 5) * 9, i;
	double t = 1763800000.25 + k * 0.5;

	sockvec_clear(&s->socks);
	for (i = 0; i < n; i++) {
		struct sock_rec r;

		sock_fill(&r, first + i);
		/* bind states: every value, one that changes over a socket's
		 * life (k >= 12), none at all every fourth sample */
		if (r.proto == IPPROTO_TCP && k % 4 != 3) {
			r.bind = (uint8_t)((first + i) % 3);
			if (k >= 12 && (first + i) % 4 == 0)
				r.bind = SOCK_BIND_OWNED;
		}
		/* countdown since the socket appeared, plus jitter */
		if (r.expires_ms > 0) {
			uint32_t age = k * 500 + rnd() % 5;

			r.expires_ms = r.expires_ms > age ? r.expires_ms - age : 0;
		}
		assert_int_equal(sockvec_push(&s->socks, &r), 0);
	}
	/* a few swaps: the dump order is not stable */
	if (k % 4 == 1 && n > 10) {
		struct sock_rec tmp = s->socks.v[3];

		s->socks.v[3] = s->socks.v[9];
		s->socks.v[9] = tmp;
	}
	s->bind_src = k % 4 == 3 ? SOCK_BSRC_NONE :
		      k % 4 == 1 ? SOCK_BSRC_AUTOBOUND : SOCK_BSRC_BPF;
	snprintf(s->bind_why, sizeof(s->bind_why), "%s",
		 k % 4 == 1 ? "BPF reader not loaded: needs CAP_BPF" : "");
	s->time = t;
	s->mono = 5000.0 + k * 0.5 + (rnd() % 1000) / 1e6;
	snprintf(s->netns, sizeof(s->netns), "net:[4026531840]");
	sysctl_defaults(&s->sys);
	s->sys.port_low = 40000;
	s->sys.port_high = 42999 + (k > 20 ? 1 : 0);
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS;
	s->sys.tcp_tw_reuse = (int)(k % 3);
	s->sys.reserved[40010 >> 3] |= (uint8_t)(1u << (40010 & 7));
	for (i = 40100; i < 40120; i++)
		s->sys.reserved[i >> 3] |= (uint8_t)(1u << (i & 7));
	s->sys.reserved[65535 >> 3] |= 0x80;
	s->stats.messages = n;
	s->stats.sockets = n;
	s->stats.malformed = k % 7 == 3;
	s->events = k == 0 ? SAMPLE_EV_NONE : SAMPLE_EV_EXACT;
	s->events_since = s->mono - 0.5;
	ev_counts_clear(&s->closes);
	s->closes.events = 3 + k;
	s->closes.counted = 2 + k;
	if (k > 0) {
		struct ev_count *e;

		if (s->closes.cap < 2) {
			s->closes.v = realloc(s->closes.v, 2 * sizeof(*s->closes.v));
			assert_non_null(s->closes.v);
			s->closes.cap = 2;
		}
		e = &s->closes.v[0];
		memset(e, 0, sizeof(*e));
		e->key.family = AF_INET;
		e->key.proto = IPPROTO_TCP;
		e->key.saddr[0] = 10;
		e->key.daddr[0] = 10;
		e->key.dport = 443;
		e->closes = 2 + k;
		e = &s->closes.v[1];
		memset(e, 0, sizeof(*e));
		e->key.family = AF_INET6;
		e->key.proto = IPPROTO_TCP;
		e->key.daddr[15] = 2;
		e->key.dport = 80;
		e->closes = 1;
		s->closes.len = 2;
	}
	s->net.active_opens = 1000 + k * 5;
	s->net.tw_recycled = k;
	s->net.known = NETSTAT_K_ACTIVE_OPENS | NETSTAT_K_TW_RECYCLED;

	/* processes: three, the third changes its command line at k = 10 */
	s->nprocs = 0;
	s->procs = realloc(s->procs, 4 * sizeof(*s->procs));
	assert_non_null(s->procs);
	s->procs_cap = 4;
	for (i = 0; i < 3; i++) {
		struct sample_proc *p = &s->procs[i];

		memset(p, 0, sizeof(*p));
		p->pid = (int32_t)(100 + i);
		p->uid = 1000 + i;
		p->start_time = 777 + i;
		snprintf(p->comm, sizeof(p->comm), "proc%u", i);
		snprintf(p->user, sizeof(p->user), "user%u", i);
		snprintf(p->cmdline, sizeof(p->cmdline), "/bin/proc%u --k=%u", i,
			 i == 2 && k >= 10 ? 10 : 0);
		snprintf(p->cgroup, sizeof(p->cgroup), "/system.slice/p%u.service", i);
		snprintf(p->unit, sizeof(p->unit), "unit:p%u.service", i);
	}
	s->nprocs = k % 6 == 5 ? 2 : 3;   /* one goes away now and then */
	s->procs_denied = k % 2;
	s->owner = realloc(s->owner, (n + 1) * sizeof(*s->owner));
	assert_non_null(s->owner);
	s->owner_cap = n + 1;
	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &s->socks.v[i];

		s->owner[i] = r->inode ? (uint32_t)((r->inode / 2) % s->nprocs) :
			      SAMPLE_NO_OWNER;
	}
	s->nowner = k == 4 ? 0 : n;  /* a sample without ownership */
	s->nnotes = 0;
	if (k == 2)
		sample_note(s, "a note with \"quotes\" and é");

	/* conntrack: fill, stats, one NAT destination from k = 3 on */
	ct_sample_clear(&s->ct);
	s->ct.have = CT_HAVE_FILL | CT_HAVE_STATS | (k >= 3 ? CT_HAVE_DUMP : 0);
	s->ct.count = 100 + k;
	s->ct.max = 262144;
	s->ct.stats.v[CT_S_INSERT_FAILED] = k / 4;
	s->ct.stats.v[CT_S_DROP] = k / 5;
	s->ct.stats.cpus = 2;
	s->ct.stats.known = 0x3ff;
	s->ct.dump_err = k >= 3 ? 0 : -EPERM;
	s->ct.nnat = 0;
	if (k >= 3) {
		struct ct_nat_dest *d;

		if (s->ct.nat_cap < 1) {
			s->ct.nat = realloc(s->ct.nat, sizeof(*s->ct.nat));
			assert_non_null(s->ct.nat);
			s->ct.nat_cap = 1;
		}
		d = &s->ct.nat[0];
		memset(d, 0, sizeof(*d));
		d->family = AF_INET;
		d->proto = IPPROTO_TCP;
		d->nat_addr[0] = 192;
		d->daddr[0] = 8;
		d->dport = 443;
		d->entries = d->in_use = 50 + k;
		d->available = 64512 - d->in_use;
		d->headroom_pct = 100.0 * d->available / 64512.0;
		s->ct.nnat = 1;
	}
}

static void assert_sock_equal(const struct sock_rec *a, const struct sock_rec *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	assert_int_equal(a->family, b->family);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->timer, b->timer);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_memory_equal(a->saddr, b->saddr, n);
	assert_memory_equal(a->daddr, b->daddr, n);
	assert_int_equal(a->cookie, b->cookie);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->inode, b->inode);
	assert_int_equal(a->cgroup_id, b->cgroup_id);
	assert_int_equal(a->ifindex, b->ifindex);
	assert_int_equal(a->expires_ms, b->expires_ms);
	assert_int_equal(a->bind, b->bind);
}

static void assert_sample_equal(const struct sample *a, const struct sample *b)
{
	size_t i;

	assert_true(a->time == b->time);
	assert_true(a->mono == b->mono);
	assert_int_equal(a->bind_src, b->bind_src);
	assert_string_equal(a->bind_why, b->bind_why);
	assert_string_equal(a->netns, b->netns);
	assert_int_equal(a->sys.port_low, b->sys.port_low);
	assert_int_equal(a->sys.port_high, b->sys.port_high);
	assert_memory_equal(a->sys.reserved, b->sys.reserved, sizeof(a->sys.reserved));
	assert_int_equal(a->sys.tcp_tw_reuse, b->sys.tcp_tw_reuse);
	assert_int_equal(a->sys.tcp_timestamps, b->sys.tcp_timestamps);
	assert_int_equal(a->sys.tcp_fin_timeout, b->sys.tcp_fin_timeout);
	assert_int_equal(a->sys.tcp_max_tw_buckets, b->sys.tcp_max_tw_buckets);
	assert_int_equal(a->sys.tcp_tw_reuse_delay_ms, b->sys.tcp_tw_reuse_delay_ms);
	assert_int_equal(a->sys.known, b->sys.known);
	assert_int_equal(a->stats.messages, b->stats.messages);
	assert_int_equal(a->stats.malformed, b->stats.malformed);
	assert_int_equal(a->events, b->events);
	assert_true(a->events_since == b->events_since);
	assert_int_equal(a->closes.len, b->closes.len);
	assert_int_equal(a->closes.events, b->closes.events);
	assert_int_equal(a->closes.counted, b->closes.counted);
	for (i = 0; i < a->closes.len; i++) {
		assert_int_equal(a->closes.v[i].closes, b->closes.v[i].closes);
		assert_int_equal(a->closes.v[i].key.dport, b->closes.v[i].key.dport);
		assert_memory_equal(a->closes.v[i].key.daddr, b->closes.v[i].key.daddr, 16);
	}
	assert_int_equal(a->net.active_opens, b->net.active_opens);
	assert_int_equal(a->net.tw_recycled, b->net.tw_recycled);
	assert_int_equal(a->net.known, b->net.known);
	assert_int_equal(a->socks.len, b->socks.len);
	for (i = 0; i < a->socks.len; i++)
		assert_sock_equal(&a->socks.v[i], &b->socks.v[i]);
	assert_int_equal(a->nprocs, b->nprocs);
	assert_int_equal(a->procs_denied, b->procs_denied);
	for (i = 0; i < a->nprocs; i++) {
		assert_int_equal(a->procs[i].pid, b->procs[i].pid);
		assert_int_equal(a->procs[i].uid, b->procs[i].uid);
		assert_int_equal(a->procs[i].start_time, b->procs[i].start_time);
		assert_string_equal(a->procs[i].comm, b->procs[i].comm);
		assert_string_equal(a->procs[i].user, b->procs[i].user);
		assert_string_equal(a->procs[i].cmdline, b->procs[i].cmdline);
		assert_string_equal(a->procs[i].cgroup, b->procs[i].cgroup);
		assert_string_equal(a->procs[i].unit, b->procs[i].unit);
	}
	assert_int_equal(a->nowner, b->nowner);
	for (i = 0; i < a->nowner; i++)
		assert_int_equal(a->owner[i], b->owner[i]);
	assert_int_equal(a->nnotes, b->nnotes);
	for (i = 0; i < a->nnotes; i++)
		assert_string_equal(a->notes[i], b->notes[i]);
	assert_int_equal(a->ct.have, b->ct.have);
	assert_int_equal(a->ct.count, b->ct.count);
	assert_int_equal(a->ct.max, b->ct.max);
	assert_memory_equal(a->ct.stats.v, b->ct.stats.v, sizeof(a->ct.stats.v));
	assert_int_equal(a->ct.stats.known, b->ct.stats.known);
	assert_int_equal(a->ct.dump_err, b->ct.dump_err);
	assert_int_equal(a->ct.nat_low, b->ct.nat_low);
	assert_int_equal(a->ct.nnat, b->ct.nnat);
	for (i = 0; i < a->ct.nnat; i++) {
		assert_int_equal(a->ct.nat[i].in_use, b->ct.nat[i].in_use);
		assert_int_equal(a->ct.nat[i].available, b->ct.nat[i].available);
		assert_true(a->ct.nat[i].headroom_pct == b->ct.nat[i].headroom_pct);
		assert_memory_equal(a->ct.nat[i].nat_addr, b->ct.nat[i].nat_addr, 4);
	}
}

/* Write NSAMPLES samples to path; keep copies in out[]. */
static void write_samples(const char *path, struct sample *out, unsigned n,
			  unsigned base)
{
	struct rec_writer *w;
	struct strbuf err;
	struct sample s;
	unsigned k;

	strbuf_init(&err);
	sample_init(&s);
	rng_state = 42 + base;
	assert_int_equal(rec_writer_open(&w, path, "test-host", &err), 0);
	for (k = 0; k < n; k++) {
		make_sample(&s, k, base);
		assert_int_equal(rec_writer_append(w, &s), 0);
		sample_init(&out[k]);
		assert_int_equal(rec_sample_copy(&out[k], &s), 0);
	}
	assert_int_equal(rec_writer_records(w), n);
	/* deltas, not only keys */
	assert_true(rec_writer_keys(w) >= 1);
	assert_true(rec_writer_keys(w) < n);
	rec_writer_close(w);
	sample_release(&s);
	strbuf_release(&err);
}

static void release_samples(struct sample *v, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++)
		sample_release(&v[k]);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void test_crc32(void **state)
{
	(void)state;
	/* the check value of CRC-32/ISO-HDLC */
	assert_int_equal(rec_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(rec_crc32(rec_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(rec_crc32(0, "", 0), 0);
}

static void test_roundtrip(void **state)
{
	struct sample orig[NSAMPLES], got;
	struct rec_reader *r;
	struct strbuf err;
	char path[128];
	unsigned k;

	(void)state;
	path_in_tmp(path, sizeof(path), "rt.ptr");
	write_samples(path, orig, NSAMPLES, 0);
	strbuf_init(&err);
	sample_init(&got);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	assert_int_equal(rec_reader_count(r), NSAMPLES);
	assert_int_equal(rec_reader_ndamage(r), 0);
	assert_string_equal(rec_reader_header(r)->host, "test-host");
	assert_int_equal(rec_reader_header(r)->range_low, 40000);
	assert_int_equal(rec_reader_header(r)->version, REC_VERSION);
	/* in order */
	for (k = 0; k < NSAMPLES; k++) {
		assert_int_equal(rec_reader_read(r, k, &got), 0);
		assert_sample_equal(&orig[k], &got);
		assert_true(rec_reader_time(r, k) == orig[k].time);
	}
	/* backwards and jumping */
	for (k = NSAMPLES; k-- > 0;) {
		unsigned j = (k * 7) % NSAMPLES;

		assert_int_equal(rec_reader_read(r, k, &got), 0);
		assert_sample_equal(&orig[k], &got);
		assert_int_equal(rec_reader_read(r, j, &got), 0);
		assert_sample_equal(&orig[j], &got);
	}
	assert_int_equal(rec_reader_read(r, NSAMPLES, &got), -ERANGE);
	rec_reader_free(r);
	sample_release(&got);
	release_samples(orig, NSAMPLES);
	strbuf_release(&err);
}

static void json_of(struct model *m, struct sample *s, struct strbuf *sb)
{
	assert_int_equal(model_update(m, s), 0);
	assert_int_equal(out_json_snapshot(sb, model_snapshot(m)), 0);
}

/* The model sees the same thing: equal JSON, sample by sample. */
static void test_model_json_equal(void **state)
{
	struct sample orig[NSAMPLES], got;
	struct model *m1, *m2;
	struct rec_reader *r;
	struct strbuf err, a, b;
	char path[128];
	unsigned k;

	(void)state;
	path_in_tmp(path, sizeof(path), "json.ptr");
	write_samples(path, orig, NSAMPLES, 1000);
	strbuf_init(&err);
	strbuf_init(&a);
	strbuf_init(&b);
	sample_init(&got);
	assert_int_equal(model_new(&m1), 0);
	assert_int_equal(model_new(&m2), 0);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	for (k = 0; k < NSAMPLES; k++) {
		strbuf_reset(&a);
		strbuf_reset(&b);
		assert_int_equal(rec_reader_read(r, k, &got), 0);
		json_of(m1, &orig[k], &a);
		json_of(m2, &got, &b);
		assert_string_equal(a.buf, b.buf);
	}
	/* the rates moved: the comparison covered them */
	assert_non_null(strstr(a.buf, "\"source\": \"events\""));
	rec_reader_free(r);
	model_free(m1);
	model_free(m2);
	sample_release(&got);
	release_samples(orig, NSAMPLES);
	strbuf_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
}

/* Offsets of every record: what the reader indexed, plus the end. */
static size_t record_offsets(const uint8_t *buf, size_t len, uint64_t *off,
			     size_t max)
{
	struct rec_reader *r;
	struct strbuf err;
	size_t n, i;

	strbuf_init(&err);
	assert_int_equal(rec_reader_open_mem(&r, buf, len, &err), 0);
	n = rec_reader_count(r);
	assert_true(n < max);
	for (i = 0; i < n; i++)
		off[i] = rec_reader_offset(r, i);
	off[n] = len;
	rec_reader_free(r);
	strbuf_release(&err);
	return n;
}

/* Truncated at every offset of the last record: every other sample reads,
 * the damage is reported at the last record's offset. */
static void test_torn_tail(void **state)
{
	struct sample orig[NSAMPLES], got;
	uint64_t off[NSAMPLES + 2];
	struct strbuf err;
	char path[128];
	uint8_t *buf;
	size_t len, n, cut, k;

	(void)state;
	path_in_tmp(path, sizeof(path), "torn.ptr");
	write_samples(path, orig, NSAMPLES, 2000);
	buf = slurp(path, &len);
	n = record_offsets(buf, len, off, NSAMPLES + 2);
	assert_int_equal(n, NSAMPLES);
	strbuf_init(&err);
	sample_init(&got);
	for (cut = off[n - 1]; cut < len; cut++) {
		struct rec_reader *r;
		const struct rec_damage *d;

		assert_int_equal(rec_reader_open_mem(&r, buf, cut, &err), 0);
		assert_int_equal(rec_reader_count(r), n - 1);
		if (cut == off[n - 1]) {
			/* cut on a record boundary: nothing is damaged */
			assert_int_equal(rec_reader_ndamage(r), 0);
		} else {
			assert_int_equal(rec_reader_ndamage(r), 1);
			d = rec_reader_damage(r, 0);
			assert_int_equal(d->offset, off[n - 1]);
			assert_int_equal(d->length, cut - off[n - 1]);
			assert_non_null(strstr(d->reason, "cut short"));
		}
		assert_int_equal(rec_reader_read(r, n - 2, &got), 0);
		assert_sample_equal(&orig[n - 2], &got);
		rec_reader_free(r);
	}
	/* cut inside the header or before any record: nothing readable */
	for (cut = 0; cut <= off[0]; cut++) {
		struct rec_reader *r = NULL;
		int e;

		strbuf_reset(&err);
		e = rec_reader_open_mem(&r, buf, cut, &err);
		if (cut < off[0]) {
			assert_int_equal(e, -EBADMSG);
			assert_null(r);
		} else {
			assert_int_equal(e, 0);
			assert_int_equal(rec_reader_count(r), 0);
			rec_reader_free(r);
		}
	}
	/* every cut of every record: never more samples than whole records */
	for (k = 1; k < n; k++) {
		struct rec_reader *r;

		assert_int_equal(rec_reader_open_mem(&r, buf, off[k] - 1, &err), 0);
		assert_int_equal(rec_reader_count(r), k - 1);
		assert_int_equal(rec_reader_ndamage(r), 1);
		assert_int_equal(rec_reader_damage(r, 0)->offset, off[k - 1]);
		rec_reader_free(r);
	}
	free(buf);
	sample_release(&got);
	release_samples(orig, NSAMPLES);
	strbuf_release(&err);
}

/*
 * One byte flipped anywhere: the reader never fails on a record, never
 * returns a sample that differs from what was written, and reports a
 * damaged region that covers the flipped byte.
 */
static void test_bit_flips(void **state)
{
	enum { N = 8 };
	struct sample orig[N], got;
	uint64_t off[N + 2];
	struct strbuf err;
	char path[128];
	uint8_t *buf;
	size_t len, n, pos;

	(void)state;
	path_in_tmp(path, sizeof(path), "flip.ptr");
	write_samples(path, orig, N, 3000);
	buf = slurp(path, &len);
	n = record_offsets(buf, len, off, N + 2);
	assert_int_equal(n, N);
	strbuf_init(&err);
	sample_init(&got);
	for (pos = 0; pos < len; pos++) {
		static const uint8_t masks[] = { 0x01, 0x80, 0xff };
		size_t mi;

		for (mi = 0; mi < sizeof(masks); mi++) {
			struct rec_reader *r = NULL;
			size_t i, covered = 0;
			int e;

			buf[pos] ^= masks[mi];
			strbuf_reset(&err);
			e = rec_reader_open_mem(&r, buf, len, &err);
			buf[pos] ^= masks[mi];
			if (pos < off[0]) {
				/* the header: checked by its CRC */
				assert_true(e == -EBADMSG || e == -EPROTONOSUPPORT);
				continue;
			}
			assert_int_equal(e, 0);
			assert_true(rec_reader_count(r) < n);
			for (i = 0; i < rec_reader_ndamage(r); i++) {
				const struct rec_damage *d = rec_reader_damage(r, i);

				if (d->offset <= pos && pos < d->offset + d->length)
					covered = 1;
			}
			assert_true(covered);
			/* what reads is what was written */
			for (i = 0; i < rec_reader_count(r); i++) {
				size_t k;

				assert_int_equal(rec_reader_read(r, i, &got), 0);
				for (k = 0; k < n; k++)
					if (orig[k].time == got.time)
						break;
				assert_true(k < n);
				assert_true(off[k] == rec_reader_offset(r, i));
				assert_sample_equal(&orig[k], &got);
			}
			/* records before the damaged one all read */
			for (i = 0; i < n && off[i + 1] <= pos; i++)
				assert_true(rec_reader_count(r) > i);
			rec_reader_free(r);
		}
	}
	free(buf);
	sample_release(&got);
	release_samples(orig, N);
	strbuf_release(&err);
}

/* Garbage and junk between records: resynchronised on the next record. */
static void test_garbage_inside(void **state)
{
	enum { N = 6 };
	struct sample orig[N];
	uint64_t off[N + 2];
	struct rec_reader *r;
	struct strbuf err;
	char path[128];
	uint8_t *buf, *bad;
	size_t len, n, k;

	(void)state;
	path_in_tmp(path, sizeof(path), "garbage.ptr");
	write_samples(path, orig, N, 4000);
	buf = slurp(path, &len);
	n = record_offsets(buf, len, off, N + 2);
	/* 100 bytes of junk (with a false marker) inserted before record 3 */
	bad = malloc(len + 100);
	assert_non_null(bad);
	memcpy(bad, buf, off[3]);
	for (k = 0; k < 100; k++)
		bad[off[3] + k] = (uint8_t)rnd();
	memcpy(bad + off[3] + 10, "\xf0PTS\x05\x00\x00\x00", 8);
	memcpy(bad + off[3] + 100, buf + off[3], len - off[3]);
	strbuf_init(&err);
	assert_int_equal(rec_reader_open_mem(&r, bad, len + 100, &err), 0);
	assert_int_equal(rec_reader_count(r), n);
	assert_int_equal(rec_reader_ndamage(r), 1);
	assert_int_equal(rec_reader_damage(r, 0)->offset, off[3]);
	assert_int_equal(rec_reader_damage(r, 0)->length, 100);
	rec_reader_free(r);
	/* not a recording at all */
	assert_int_equal(rec_reader_open_mem(&r, "hello, world\n", 13, &err), -EBADMSG);
	free(bad);
	free(buf);
	release_samples(orig, N);
	strbuf_release(&err);
}

static void test_writer_rules(void **state)
{
	struct rec_writer *w = NULL;
	struct strbuf err;
	char path[128], lnk[128], other[128], hard[128];
	struct sample s;
	struct stat st;
	mode_t old = umask(022);
	int fd;

	(void)state;
	strbuf_init(&err);
	sample_init(&s);
	make_sample(&s, 0, 0);
	path_in_tmp(path, sizeof(path), "rules.ptr");
	assert_int_equal(rec_writer_open(&w, path, "h", &err), 0);
	assert_int_equal(rec_writer_append(w, &s), 0);
	rec_writer_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a symlink is not followed, wherever it points */
	path_in_tmp(lnk, sizeof(lnk), "link.ptr");
	assert_int_equal(symlink(path, lnk), 0);
	strbuf_reset(&err);
	assert_int_equal(rec_writer_open(&w, lnk, "h", &err), -ELOOP);
	assert_null(w);
	assert_non_null(strstr(err.buf, "symbolic link"));

	/* not a regular file */
	strbuf_reset(&err);
	assert_int_equal(rec_writer_open(&w, tmpdir, "h", &err) < 0, 1);
	assert_null(w);

	/* a file with another link */
	path_in_tmp(hard, sizeof(hard), "hard.ptr");
	assert_int_equal(link(path, hard), 0);
	strbuf_reset(&err);
	assert_int_equal(rec_writer_open(&w, path, "h", &err), -EINVAL);
	unlink(hard);

	/* any other file is left alone */
	path_in_tmp(other, sizeof(other), "notes.txt");
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "my notes, not a recording\n", 26), 26);
	close(fd);
	strbuf_reset(&err);
	assert_int_equal(rec_writer_open(&w, other, "h", &err), -EBADMSG);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_size, 26);
	assert_int_equal(st.st_mode & 0777, 0644);
	umask(old);
	sample_release(&s);
	strbuf_release(&err);
}

/* Appending: a second run adds to the file; a torn tail is trimmed first. */
static void test_append(void **state)
{
	struct sample a[4], b[3], got;
	uint64_t off[10];
	struct rec_reader *r;
	struct rec_writer *w;
	struct strbuf err;
	char path[128];
	uint8_t *buf;
	size_t len, n, k;

	(void)state;
	path_in_tmp(path, sizeof(path), "append.ptr");
	write_samples(path, a, 4, 5000);
	buf = slurp(path, &len);
	n = record_offsets(buf, len, off, 10);
	free(buf);
	/* a crash in the middle of the last record */
	assert_int_equal(truncate(path, (off_t)(off[n - 1] + 7)), 0);
	strbuf_init(&err);
	sample_init(&got);
	assert_int_equal(rec_writer_open(&w, path, "other", &err), 0);
	rng_state = 99;
	for (k = 0; k < 3; k++) {
		sample_init(&b[k]);
		make_sample(&b[k], k + 10, 5000);
		assert_int_equal(rec_writer_append(w, &b[k]), 0);
	}
	rec_writer_close(w);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	assert_int_equal(rec_reader_ndamage(r), 0);
	assert_int_equal(rec_reader_count(r), 3 + 3);
	/* the first run's host stays in the header */
	assert_string_equal(rec_reader_header(r)->host, "test-host");
	for (k = 0; k < 3; k++) {
		assert_int_equal(rec_reader_read(r, k, &got), 0);
		assert_sample_equal(&a[k], &got);
		assert_int_equal(rec_reader_read(r, 3 + k, &got), 0);
		assert_sample_equal(&b[k], &got);
	}
	rec_reader_free(r);
	release_samples(a, 4);
	release_samples(b, 3);
	sample_release(&got);
	strbuf_release(&err);
}

static int tap_count(void *ctx, struct sample *s)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

/* The replay source through a sampler: every sample, then -ENODATA;
 * seeking and finding times. */
static void test_replay_source(void **state)
{
	struct sample orig[NSAMPLES], got;
	struct sampler_feed feed;
	struct sampler_tap tap;
	struct sampler *sp;
	struct replay *rp;
	struct strbuf err;
	char path[128];
	double t;
	int taps = 0;
	unsigned k;

	(void)state;
	path_in_tmp(path, sizeof(path), "replay.ptr");
	write_samples(path, orig, NSAMPLES, 6000);
	strbuf_init(&err);
	sample_init(&got);
	assert_int_equal(replay_open(&rp, path, &err), 0);
	replay_feed(rp, &feed);
	assert_int_equal(sampler_new_feed(&sp, &feed), 0);
	assert_ptr_equal(sampler_feed_ctx(sp), rp);
	tap.sample = tap_count;
	tap.ctx = &taps;
	sampler_set_tap(sp, &tap);
	for (k = 0; k < NSAMPLES; k++) {
		assert_int_equal(sampler_take(sp, &got), 0);
		assert_sample_equal(&orig[k], &got);
	}
	assert_int_equal(sampler_take(sp, &got), -ENODATA);
	assert_int_equal(taps, NSAMPLES);
	assert_int_equal(replay_seek(rp, 5), 0);
	assert_int_equal(sampler_take(sp, &got), 0);
	assert_sample_equal(&orig[5], &got);
	assert_int_equal(replay_seek(rp, NSAMPLES + 1), -ERANGE);
	/* times: samples are 0.5 s apart */
	assert_int_equal(replay_find_time(rp, orig[7].time), 7);
	assert_int_equal(replay_find_time(rp, orig[7].time + 0.2), 7);
	assert_int_equal(replay_find_time(rp, orig[0].time - 100), 0);
	assert_int_equal(replay_find_time(rp, orig[NSAMPLES - 1].time + 100), NSAMPLES - 1);
	assert_int_equal(replay_parse_time(rp, "+3", &t), 0);
	assert_true(t == orig[0].time + 3);
	assert_int_equal(replay_find_time(rp, t), 6);
	assert_int_equal(replay_parse_time(rp, "2.5", &t), 0);
	assert_int_equal(replay_find_time(rp, t), 5);
	assert_int_equal(replay_parse_time(rp, "x", &t), -EINVAL);
	assert_int_equal(replay_parse_time(rp, "25:00:00", &t), -EINVAL);
	assert_int_equal(replay_parse_time(rp, "12:00:00", &t), 0);
	/* jumps: the model shows what a straight run showed, rates too */
	{
		struct model *mj, *ms;
		struct strbuf a, b;
		char label[64];
		static const size_t jumps[] = { 9, 9, 3, 4, 20, 0, 12, 11, NSAMPLES - 1 };
		size_t j;
		int e;

		strbuf_init(&a);
		strbuf_init(&b);
		assert_int_equal(model_new(&mj), 0);
		/* a fresh model has seen nothing: start from the beginning */
		assert_int_equal(replay_seek(rp, 0), 0);
		for (j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++) {
			size_t i;

			e = replay_goto(rp, sp, mj, &got, jumps[j]);
			if (jumps[j] + 1 < replay_pos(rp)) {
				/* back: a fresh model from the start */
				assert_int_equal(e, -ESPIPE);
				model_free(mj);
				assert_int_equal(model_new(&mj), 0);
				assert_int_equal(replay_seek(rp, 0), 0);
				e = replay_goto(rp, sp, mj, &got, jumps[j]);
			}
			assert_int_equal(e, 0);
			assert_int_equal(replay_pos(rp), jumps[j] + 1);
			assert_true(got.time == orig[jumps[j]].time);
			/* the reference: a fresh model fed 0..jump */
			assert_int_equal(model_new(&ms), 0);
			for (i = 0; i <= jumps[j]; i++) {
				struct sample c;

				sample_init(&c);
				assert_int_equal(rec_sample_copy(&c, &orig[i]), 0);
				assert_int_equal(model_update(ms, &c), 0);
				sample_release(&c);
			}
			strbuf_reset(&a);
			strbuf_reset(&b);
			assert_int_equal(out_json_snapshot(&a, model_snapshot(mj)), 0);
			assert_int_equal(out_json_snapshot(&b, model_snapshot(ms)), 0);
			assert_string_equal(a.buf, b.buf);
			model_free(ms);
			replay_label(rp, label, sizeof(label));
			snprintf(path, sizeof(path), " %zu/%d", jumps[j] + 1, NSAMPLES);
			assert_non_null(strstr(label, path));
			assert_int_equal(strncmp(label, "REPLAY ", 7), 0);
		}
		assert_int_equal(replay_goto(rp, sp, mj, &got, NSAMPLES), -ERANGE);
		model_free(mj);
		strbuf_release(&a);
		strbuf_release(&b);
	}
	sampler_free(sp);
	replay_free(rp);
	/* an empty file is not a recording; a header alone has no sample */
	{
		char empty[128];
		int fd;

		path_in_tmp(empty, sizeof(empty), "empty.ptr");
		fd = open(empty, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		close(fd);
		strbuf_reset(&err);
		assert_int_equal(replay_open(&rp, empty, &err), -EBADMSG);
	}
	sample_release(&got);
	release_samples(orig, NSAMPLES);
	strbuf_release(&err);
}

/* Size: how small a delta is for an unchanged population. */
static void test_size(void **state)
{
	struct rec_writer *w;
	struct strbuf err;
	struct sample s;
	char path[128];
	uint64_t key, total;
	unsigned k, i;

	(void)state;
	path_in_tmp(path, sizeof(path), "size.ptr");
	strbuf_init(&err);
	sample_init(&s);
	rng_state = 7;
	make_sample(&s, 0, 0);
	assert_int_equal(rec_writer_open(&w, path, "h", &err), 0);
	assert_int_equal(rec_writer_append(w, &s), 0);
	key = rec_writer_bytes(w);
	for (k = 1; k <= 50; k++) {
		s.mono += 1.0;
		s.time += 1.0;
		/* timers run down by the interval, give or take when in the
		 * dump they were read; an expired one stays at 0 */
		for (i = 0; i < s.socks.len; i++) {
			uint32_t *e = &s.socks.v[i].expires_ms;

			*e = *e > 1000 + k % 3 ? *e - (1000 + k % 3) : 0;
		}
		assert_int_equal(rec_writer_append(w, &s), 0);
	}
	total = rec_writer_bytes(w) - key;
	print_message("keys %llu; key %llu bytes for %zu sockets; then %.2f bytes/socket/sample\n",
		      (unsigned long long)rec_writer_keys(w),
		      (unsigned long long)key, s.socks.len,
		      (double)total / 50.0 / (double)s.socks.len);
	/* under 1.5 bytes per socket per sample once the population stands
	 * (key records every few hundred samples included) */
	assert_true(total < (uint64_t)s.socks.len * 50 * 3 / 2);
	rec_writer_close(w);
	sample_release(&s);
	strbuf_release(&err);
}

/* ---- bind states (sock_rec.bind, sample.bind_src) ---------------------- */

/* Three TCP sockets toward one destination and a UDP one. */
static void bind_sample(struct sample *s, double t, int src, const char *why,
			const uint8_t *binds)
{
	uint32_t i;

	sockvec_clear(&s->socks);
	for (i = 0; i < 4; i++) {
		struct sock_rec r;

		sock_fill(&r, 1 + i);   /* 1..4: TCP, IPv4, ESTABLISHED */
		if (i == 3) {
			r.proto = IPPROTO_UDP;
			r.state = SOCK_CLOSE;
		} else {
			r.bind = binds[i];
		}
		assert_int_equal(sockvec_push(&s->socks, &r), 0);
	}
	s->time = t;
	s->mono = t - 1763800000.0;
	sysctl_defaults(&s->sys);
	s->bind_src = src;
	snprintf(s->bind_why, sizeof(s->bind_why), "%s", why);
}

/* Write the samples, read them back, compare. */
static void bind_roundtrip(const char *name, struct sample *v, unsigned n)
{
	struct rec_writer *w;
	struct rec_reader *r;
	struct strbuf err;
	struct sample got;
	char path[128];
	unsigned k;

	path_in_tmp(path, sizeof(path), name);
	strbuf_init(&err);
	sample_init(&got);
	assert_int_equal(rec_writer_open(&w, path, "h", &err), 0);
	for (k = 0; k < n; k++)
		assert_int_equal(rec_writer_append(w, &v[k]), 0);
	assert_true(rec_writer_keys(w) < n);  /* deltas too */
	rec_writer_close(w);
	assert_int_equal(rec_reader_open(&r, path, &err), 0);
	assert_int_equal(rec_reader_count(r), n);
	assert_int_equal(rec_reader_ndamage(r), 0);
	for (k = 0; k < n; k++) {
		size_t i;

		assert_int_equal(rec_reader_read(r, k, &got), 0);
		assert_int_equal(got.bind_src, v[k].bind_src);
		assert_string_equal(got.bind_why, v[k].bind_why);
		assert_int_equal(got.socks.len, v[k].socks.len);
		for (i = 0; i < got.socks.len; i++)
			assert_int_equal(got.socks.v[i].bind, v[k].socks.v[i].bind);
	}
	rec_reader_free(r);
	sample_release(&got);
	strbuf_release(&err);
}

/*
 * Every bind value and source, and changes of bind alone between samples
 * of otherwise equal sockets: a delta must not copy the base's bind.
 */
static void test_bind_roundtrip(void **state)
{
	static const uint8_t binds[][3] = {
		{ SOCK_BIND_AUTO, SOCK_BIND_AUTO, SOCK_BIND_AUTO },
		{ SOCK_BIND_AUTO, SOCK_BIND_OWNED, SOCK_BIND_AUTO },
		{ SOCK_BIND_UNKNOWN, SOCK_BIND_OWNED, SOCK_BIND_UNKNOWN },
		{ SOCK_BIND_UNKNOWN, SOCK_BIND_UNKNOWN, SOCK_BIND_UNKNOWN },
		{ SOCK_BIND_OWNED, SOCK_BIND_AUTO, SOCK_BIND_UNKNOWN },
		{ SOCK_BIND_OWNED, SOCK_BIND_AUTO, SOCK_BIND_UNKNOWN },
	};
	static const int srcs[] = {
		SOCK_BSRC_BPF, SOCK_BSRC_BPF, SOCK_BSRC_AUTOBOUND,
		SOCK_BSRC_NONE, SOCK_BSRC_BPF, SOCK_BSRC_AUTOBOUND,
	};
	static const char *whys[] = {
		"", "", "BPF reader not loaded: needs CAP_BPF", "", "",
		"BPF program rejected",
	};
	struct sample v[6];
	unsigned k;

	(void)state;
	for (k = 0; k < 6; k++) {
		sample_init(&v[k]);
		bind_sample(&v[k], 1763800000.0 + k, srcs[k], whys[k], binds[k]);
	}
	bind_roundtrip("bind.ptr", v, 6);
	/* the same backwards: every transition the other way round */
	for (k = 0; k < 6; k++)
		bind_sample(&v[k], 1763800000.0 + k, srcs[5 - k], whys[5 - k],
			    binds[5 - k]);
	bind_roundtrip("bind-rev.ptr", v, 6);
	release_samples(v, 6);
}

/* A recording made before bind states existed: no bind information. */
static void test_bind_old_recording(void **state)
{
	struct rec_reader *r;
	struct strbuf err;
	struct sample got;
	size_t k, i, tcp = 0;

	(void)state;
	strbuf_init(&err);
	sample_init(&got);
	/* what the reader must not keep from a previous sample */
	got.bind_src = SOCK_BSRC_BPF;
	snprintf(got.bind_why, sizeof(got.bind_why), "stale");
	assert_int_equal(rec_reader_open(&r, TESTDATA "/demo.ptr", &err), 0);
	assert_true(rec_reader_count(r) > 10);
	assert_int_equal(rec_reader_ndamage(r), 0);
	for (k = 0; k < rec_reader_count(r); k++) {
		assert_int_equal(rec_reader_read(r, k, &got), 0);
		assert_int_equal(got.bind_src, SOCK_BSRC_NONE);
		assert_string_equal(got.bind_why, "");
		for (i = 0; i < got.socks.len; i++) {
			assert_int_equal(got.socks.v[i].bind, SOCK_BIND_UNKNOWN);
			tcp += got.socks.v[i].proto == IPPROTO_TCP;
		}
	}
	assert_true(tcp > 0);
	rec_reader_free(r);
	sample_release(&got);
	strbuf_release(&err);
}

static size_t varint_len(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 10; i++)
		if (!(p[i] & 0x80))
			return i + 1;
	return 0;
}

static uint64_t varint_at(const uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
	return v;
}

/*
 * The file with the BIND section of its last record (the first after the
 * header when there is one, else the one starting at `last`) replaced by
 * body (or dropped, body NULL), framed and checksummed again. *out_len:
 * the new file's length.
 */
static uint8_t *bind_rebuild_at(const uint8_t *f, size_t flen, size_t last,
				const uint8_t *body, size_t blen, size_t *out_len)
{
	size_t hlen = last ? last : 16 + (size_t)(f[12] | f[13] << 8 | f[14] << 16 |
						  (uint32_t)f[15] << 24) + 4;
	const uint8_t *pay = f + hlen + REC_RECORD_HEAD;
	size_t plen = flen - hlen - REC_RECORD_HEAD, off, vl, sec = 0, seclen = 0;
	uint8_t *o;
	size_t n = 0, i;
	uint32_t crc;

	assert_memory_equal(f + hlen, "\xf0PTS", 4);
	/* kind, seq, run, then sections */
	vl = varint_len(pay + 1, plen - 1);
	assert_true(vl > 0);
	off = 1 + vl + 8;
	while (off < plen) {
		size_t l = varint_len(pay + off + 1, plen - off - 1);
		uint64_t slen = varint_at(pay + off + 1, l);

		assert_true(l > 0 && off + 1 + l + slen <= plen);
		if (pay[off] == 0x0d) {
			sec = off;
			seclen = 1 + l + (size_t)slen;
		}
		off += 1 + l + (size_t)slen;
	}
	assert_int_equal(off, plen);
	assert_true(seclen > 0);                 /* the section was written */
	o = malloc(flen + blen + 16);
	assert_non_null(o);
	memcpy(o, f, hlen + REC_RECORD_HEAD);
	n = hlen + REC_RECORD_HEAD;
	memcpy(o + n, pay, sec);
	n += sec;
	if (body) {
		o[n++] = 0x0d;
		assert_true(blen < 128);
		o[n++] = (uint8_t)blen;
		memcpy(o + n, body, blen);
		n += blen;
	}
	memcpy(o + n, pay + sec + seclen, plen - sec - seclen);
	n += plen - sec - seclen;
	plen = n - hlen - REC_RECORD_HEAD;
	for (i = 0; i < 4; i++)
		o[hlen + 4 + i] = (uint8_t)(plen >> (8 * i));
	crc = rec_crc32(0, o + hlen + 4, 4);
	crc = rec_crc32(crc, o + hlen + REC_RECORD_HEAD, plen);
	for (i = 0; i < 4; i++)
		o[hlen + 8 + i] = (uint8_t)(crc >> (8 * i));
	*out_len = n;
	return o;
}

static uint8_t *bind_rebuild(const uint8_t *f, size_t flen, const uint8_t *body,
			     size_t blen, size_t *out_len)
{
	return bind_rebuild_at(f, flen, 0, body, blen, out_len);
}

/* Read a one-record file from memory: 0 and the sample, or -1 when the
 * record was refused (and reported as damage). */
static int bind_read(const uint8_t *buf, size_t len, struct sample *got)
{
	struct rec_reader *r;
	struct strbuf err;
	int ret;

	strbuf_init(&err);
	assert_int_equal(rec_reader_open_mem(&r, buf, len, &err), 0);
	if (rec_reader_count(r) == 1) {
		assert_int_equal(rec_reader_ndamage(r), 0);
		assert_int_equal(rec_reader_read(r, 0, got), 0);
		ret = 0;
	} else {
		assert_int_equal(rec_reader_count(r), 0);
		assert_int_equal(rec_reader_ndamage(r), 1);
		ret = -1;
	}
	rec_reader_free(r);
	strbuf_release(&err);
	return ret;
}

/* A damaged BIND section is refused, never read as bind states. */
static void test_bind_corrupt(void **state)
{
	static const uint8_t binds[3] = {
		SOCK_BIND_AUTO, SOCK_BIND_OWNED, SOCK_BIND_UNKNOWN,
	};
	/* what the writer writes: BPF, "ok", run 0, AUTO, run 0, OWNED,
	 * run 0, UNKNOWN, run 1 (the UDP socket as predicted) */
	static const uint8_t good[] = { 2, 2, 'o', 'k', 0, 1, 0, 2, 0, 0, 1 };
	static const struct {
		uint8_t b[12];
		size_t n;
	} bad[] = {
		{ { 0 }, 0 },                                 /* empty */
		{ { 3, 0, 4 }, 3 },                           /* source 3 */
		{ { 2 }, 1 },                                 /* no reason */
		{ { 2, 5, 'a' }, 3 },                         /* reason cut */
		{ { 2, 0, 0, 3, 3 }, 5 },                     /* bind 3 */
		{ { 2, 0, 0, 0xff }, 4 },                     /* bind 255 */
		{ { 2, 0, 5 }, 3 },                           /* run past the end */
		{ { 2, 0, 0, 1, 0 }, 5 },                     /* cut after a pair */
		{ { 2, 0, 0x80 }, 3 },                        /* varint cut */
	};
	struct rec_writer *w;
	struct strbuf err;
	struct sample s, got;
	char path[128];
	uint8_t *f, *o;
	size_t flen, olen, i;

	(void)state;
	path_in_tmp(path, sizeof(path), "bind1.ptr");
	strbuf_init(&err);
	sample_init(&s);
	sample_init(&got);
	bind_sample(&s, 1763800000.0, SOCK_BSRC_BPF, "ok", binds);
	assert_int_equal(rec_writer_open(&w, path, "h", &err), 0);
	assert_int_equal(rec_writer_append(w, &s), 0);
	rec_writer_close(w);
	f = slurp(path, &flen);

	/* the rebuilt good body reads back as written: the rebuild is sound */
	o = bind_rebuild(f, flen, good, sizeof(good), &olen);
	assert_int_equal(olen, flen);
	assert_memory_equal(o, f, flen);
	assert_int_equal(bind_read(o, olen, &got), 0);
	assert_int_equal(got.bind_src, SOCK_BSRC_BPF);
	assert_string_equal(got.bind_why, "ok");
	for (i = 0; i < 3; i++)
		assert_int_equal(got.socks.v[i].bind, binds[i]);
	free(o);
	/* without the section: an old recording, nothing known */
	o = bind_rebuild(f, flen, NULL, 0, &olen);
	assert_int_equal(bind_read(o, olen, &got), 0);
	assert_int_equal(got.bind_src, SOCK_BSRC_NONE);
	assert_string_equal(got.bind_why, "");
	for (i = 0; i < got.socks.len; i++)
		assert_int_equal(got.socks.v[i].bind, SOCK_BIND_UNKNOWN);
	free(o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = bind_rebuild(f, flen, bad[i].b, bad[i].n, &olen);
		if (bind_read(o, olen, &got) != -1)
			fail_msg("damaged BIND section %zu was read", i);
		free(o);
	}
	free(f);
	sample_release(&s);
	sample_release(&got);
	strbuf_release(&err);
}

/*
 * A delta whose BIND section is gone (what a writer without bind states
 * would have written) has no bind states, though its sockets are copies
 * of a base that had them.
 */
static void test_bind_delta_without_section(void **state)
{
	static const uint8_t binds[3] = {
		SOCK_BIND_AUTO, SOCK_BIND_OWNED, SOCK_BIND_AUTO,
	};
	struct rec_writer *w;
	struct rec_reader *r;
	struct strbuf err;
	struct sample s, got;
	char path[128];
	uint8_t *f, *o;
	size_t flen, olen, hlen, i;
	uint32_t len1;

	(void)state;
	path_in_tmp(path, sizeof(path), "bind2.ptr");
	strbuf_init(&err);
	sample_init(&s);
	sample_init(&got);
	assert_int_equal(rec_writer_open(&w, path, "h", &err), 0);
	bind_sample(&s, 1763800000.0, SOCK_BSRC_BPF, "", binds);
	assert_int_equal(rec_writer_append(w, &s), 0);
	s.time += 1.0;
	s.mono += 1.0;
	assert_int_equal(rec_writer_append(w, &s), 0);
	assert_int_equal(rec_writer_keys(w), 1);
	rec_writer_close(w);
	f = slurp(path, &flen);
	hlen = 16 + (size_t)(f[12] | f[13] << 8 | f[14] << 16 | (uint32_t)f[15] << 24) + 4;
	len1 = (uint32_t)(f[hlen + 4] | f[hlen + 5] << 8 | f[hlen + 6] << 16 |
			  (uint32_t)f[hlen + 7] << 24);
	o = bind_rebuild_at(f, flen, hlen + REC_RECORD_HEAD + len1, NULL, 0, &olen);
	assert_int_equal(rec_reader_open_mem(&r, o, olen, &err), 0);
	assert_int_equal(rec_reader_count(r), 2);
	assert_int_equal(rec_reader_ndamage(r), 0);
	assert_int_equal(rec_reader_read(r, 0, &got), 0);
	assert_int_equal(got.bind_src, SOCK_BSRC_BPF);
	assert_int_equal(got.socks.v[1].bind, SOCK_BIND_OWNED);
	assert_int_equal(rec_reader_read(r, 1, &got), 0);
	assert_int_equal(got.bind_src, SOCK_BSRC_NONE);
	assert_int_equal(got.socks.len, 4);
	for (i = 0; i < got.socks.len; i++)
		assert_int_equal(got.socks.v[i].bind, SOCK_BIND_UNKNOWN);
	rec_reader_free(r);
	free(o);
	free(f);
	sample_release(&s);
	sample_release(&got);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_model_json_equal),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_garbage_inside),
		cmocka_unit_test(test_writer_rules),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_replay_source),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bind_roundtrip),
		cmocka_unit_test(test_bind_old_recording),
		cmocka_unit_test(test_bind_corrupt),
		cmocka_unit_test(test_bind_delta_without_section),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
