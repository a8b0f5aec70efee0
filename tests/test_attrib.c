#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
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

#include "attrib.h"
#include "events.h"
#include "model.h"
#include "out_json.h"
#include "out_text.h"

/*
 * The owners' history (engine/attrib.c): cookie and 4-tuple joins, aging,
 * the memory bound; then the model's use of it: TIME_WAIT attributed from
 * earlier samples, uid-only owners, the -p filter.
 */

static struct sock_rec tcp(unsigned sport, unsigned dport, unsigned state,
			   uint64_t cookie)
{
	struct sock_rec r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.0.0.1", r.saddr);
	inet_pton(AF_INET, "10.0.0.2", r.daddr);
	r.sport = (uint16_t)sport;
	r.dport = (uint16_t)dport;
	r.state = (uint8_t)state;
	r.cookie = cookie;
	if (state == SOCK_TIME_WAIT) {
		r.timer = 3;
		r.expires_ms = 59000;
	} else {
		r.inode = 100000u + sport;
		r.uid = 1000;
	}
	return r;
}

static struct sample_proc proc(int pid, uint64_t start, const char *comm)
{
	struct sample_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.uid = 1000;
	p.start_time = start;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	snprintf(p.cmdline, sizeof(p.cmdline), "%s --serve", comm);
	snprintf(p.user, sizeof(p.user), "alice");
	return p;
}

static uint32_t owner_of(struct attrib *a, const struct sample_proc *p)
{
	uint32_t id;

	assert_int_equal(attrib_owner_id(a, p, &id), 0);
	assert_int_not_equal(id, ATTRIB_NONE);
	return id;
}

/* ---- the history ------------------------------------------------------------- */

static void test_cookie_join(void **state)
{
	struct sample_proc pa = proc(10, 500, "a"), pb = proc(20, 600, "b");
	struct sock_rec live = tcp(40000, 443, SOCK_ESTABLISHED, 77);
	struct sock_rec other = tcp(40001, 443, SOCK_ESTABLISHED, 78);
	struct sock_rec tw;
	struct attrib *a;
	uint32_t ida, idb;

	(void)state;
	assert_int_equal(attrib_new(&a, 0), 0);
	attrib_begin(a, 1.0);
	ida = owner_of(a, &pa);
	idb = owner_of(a, &pb);
	assert_int_not_equal(ida, idb);
	assert_int_equal(attrib_note(a, &live, ida), 0);
	assert_int_equal(attrib_note(a, &other, idb), 0);

	attrib_begin(a, 2.0);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 77);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	tw = tcp(40001, 443, SOCK_FIN_WAIT2, 78);
	tw.inode = 0;
	assert_int_equal(attrib_lookup(a, &tw), idb);
	/* the cookie decides, whatever the 4-tuple says */
	tw = tcp(40001, 443, SOCK_TIME_WAIT, 77);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	/* a cookie never seen alive: no owner, even on a known 4-tuple */
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 99);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	/* UDP has no TIME_WAIT: never looked up */
	tw = tcp(40000, 443, SOCK_ESTABLISHED, 77);
	tw.proto = IPPROTO_UDP;
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	assert_non_null(attrib_owner(a, ida));
	assert_string_equal(attrib_owner(a, ida)->comm, "a");
	attrib_free(a);
}

static void test_tuple_join(void **state)
{
	struct sample_proc pa = proc(10, 500, "a");
	struct sock_rec live = tcp(40000, 443, SOCK_ESTABLISHED, 0);
	struct sock_rec live2 = tcp(40002, 443, SOCK_ESTABLISHED, 5);
	struct sock_rec tw;
	struct attrib *a;
	uint32_t ida;

	(void)state;
	assert_int_equal(attrib_new(&a, 0), 0);
	attrib_begin(a, 1.0);
	ida = owner_of(a, &pa);
	/* a socket seen without a cookie is joined by its 4-tuple */
	assert_int_equal(attrib_note(a, &live, ida), 0);
	assert_int_equal(attrib_note(a, &live2, ida), 0);
	attrib_begin(a, 2.0);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 31);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	/* ...and learns the cookie of its TIME_WAIT */
	tw = tcp(40099, 443, SOCK_TIME_WAIT, 31);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	/* a record without a cookie joins a remembered socket by 4-tuple */
	tw = tcp(40002, 443, SOCK_TIME_WAIT, 0);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	/* different port, address or family: no join */
	tw = tcp(40003, 443, SOCK_TIME_WAIT, 0);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	tw = tcp(40002, 444, SOCK_TIME_WAIT, 0);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	tw = tcp(40002, 443, SOCK_TIME_WAIT, 0);
	tw.daddr[3] = 9;
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	tw = tcp(40002, 443, SOCK_TIME_WAIT, 0);
	tw.family = AF_INET6;
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	attrib_free(a);
}

/* Two different cookies are two different sockets: no 4-tuple join, and a
 * newer socket on a 4-tuple takes it over. */
static void test_no_guess(void **state)
{
	struct sample_proc pa = proc(10, 500, "a"), pb = proc(20, 600, "b");
	struct sock_rec s1 = tcp(40000, 443, SOCK_ESTABLISHED, 7);
	struct sock_rec s2 = tcp(40000, 443, SOCK_ESTABLISHED, 8);
	struct sock_rec tw;
	struct attrib *a;
	uint32_t ida, idb;

	(void)state;
	assert_int_equal(attrib_new(&a, 0), 0);
	attrib_begin(a, 1.0);
	ida = owner_of(a, &pa);
	assert_int_equal(attrib_note(a, &s1, ida), 0);
	attrib_begin(a, 2.0);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 70);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	/* the 4-tuple reused by another process's socket */
	idb = owner_of(a, &pb);
	assert_int_equal(attrib_note(a, &s2, idb), 0);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 0);
	assert_int_equal(attrib_lookup(a, &tw), idb);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 7);
	assert_int_equal(attrib_lookup(a, &tw), ida);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 8);
	assert_int_equal(attrib_lookup(a, &tw), idb);
	/* a socket handed to another process: the latest owner wins */
	assert_int_equal(attrib_note(a, &s1, idb), 0);
	tw = tcp(40000, 443, SOCK_TIME_WAIT, 7);
	assert_int_equal(attrib_lookup(a, &tw), idb);
	attrib_free(a);
}

static void test_owner_identity(void **state)
{
	struct sample_proc p1 = proc(10, 500, "a"), p2 = proc(10, 900, "b");
	struct sample_proc u1, u2, u3;
	struct sock_rec s = tcp(40000, 443, SOCK_ESTABLISHED, 1);
	struct attrib *a;
	uint32_t i1, i2, iu1, iu2, iu3;

	(void)state;
	memset(&u1, 0, sizeof(u1));
	u1.uid = 1000;
	u1.cgroup_id = 5;
	u2 = u1;
	u3 = u1;
	u3.cgroup_id = 6;
	assert_int_equal(attrib_new(&a, 0), 0);
	attrib_begin(a, 1.0);
	i1 = owner_of(a, &p1);
	i2 = owner_of(a, &p2);
	assert_int_not_equal(i1, i2);            /* a reused pid is another owner */
	assert_int_equal(owner_of(a, &p1), i1);
	iu1 = owner_of(a, &u1);
	iu2 = owner_of(a, &u2);
	iu3 = owner_of(a, &u3);
	assert_int_equal(iu1, iu2);
	assert_int_not_equal(iu1, iu3);
	assert_int_not_equal(iu1, i1);
	assert_true(attrib_owner_current(a, i1));
	assert_true(attrib_owner_slots(a) > i2);
	/* the description follows the latest sample */
	snprintf(p1.comm, sizeof(p1.comm), "renamed");
	assert_int_equal(owner_of(a, &p1), i1);
	assert_string_equal(attrib_owner(a, i1)->comm, "renamed");

	assert_int_equal(attrib_note(a, &s, i1), 0);
	attrib_begin(a, 2.0);
	/* p1 has a socket remembered; the others nothing: released */
	assert_non_null(attrib_owner(a, i1));
	assert_false(attrib_owner_current(a, i1));
	assert_null(attrib_owner(a, i2));
	assert_null(attrib_owner(a, iu1));
	assert_null(attrib_owner(a, ATTRIB_NONE));
	attrib_free(a);
}

static void test_aging(void **state)
{
	struct sample_proc pa = proc(10, 500, "a");
	struct sock_rec s = tcp(40000, 443, SOCK_ESTABLISHED, 1);
	struct sock_rec tw = tcp(40000, 443, SOCK_TIME_WAIT, 1);
	struct attrib_stats st;
	struct attrib *a;
	uint32_t id;

	(void)state;
	assert_int_equal(attrib_new(&a, 0), 0);
	attrib_begin(a, 0.0);
	id = owner_of(a, &pa);
	assert_int_equal(attrib_note(a, &s, id), 0);
	/* missed by a sample or two within the age: kept */
	attrib_begin(a, 1.0);
	attrib_begin(a, 2.0);
	attrib_begin(a, 3.0);
	attrib_begin(a, ATTRIB_MAX_AGE_S);
	attrib_get_stats(a, &st);
	assert_int_equal(st.entries, 1);
	/* seen as TIME_WAIT: refreshed */
	assert_int_equal(attrib_lookup(a, &tw), id);
	attrib_begin(a, ATTRIB_MAX_AGE_S + 5.0);
	attrib_begin(a, ATTRIB_MAX_AGE_S + 6.0);
	attrib_begin(a, ATTRIB_MAX_AGE_S + 7.0);
	assert_int_equal(attrib_lookup(a, &tw), id);
	/* gone for longer than the age and than the samples' grace */
	attrib_begin(a, 100.0);
	attrib_begin(a, 101.0);
	attrib_begin(a, 102.0);
	attrib_get_stats(a, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.aged, 1);
	assert_int_equal(st.owners, 0);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);

	/* sparse samples (-d 3600): a missed sample is still forgiven */
	attrib_begin(a, 1000.0);
	id = owner_of(a, &pa);
	assert_int_equal(attrib_note(a, &s, id), 0);
	attrib_begin(a, 4600.0);
	attrib_begin(a, 8200.0);
	assert_int_equal(attrib_lookup(a, &tw), id);
	attrib_begin(a, 11800.0);
	attrib_begin(a, 15400.0);
	attrib_begin(a, 19000.0);
	assert_int_equal(attrib_lookup(a, &tw), ATTRIB_NONE);
	attrib_free(a);
}

static void test_bounded(void **state)
{
	const size_t budget = 256 * 1024;
	struct sample_proc pa = proc(10, 500, "a");
	struct attrib_stats st;
	struct attrib *a;
	uint32_t id, tick;
	unsigned i, per = 1000;

	(void)state;
	assert_int_equal(attrib_new(&a, 1024), -ENOMEM);   /* useless budget */
	assert_int_equal(attrib_new(&a, budget), 0);
	/* 20 samples of 1000 new sockets each, none ever seen again but
	 * within the age: the budget, not the age, must bound it */
	for (tick = 0; tick < 20; tick++) {
		attrib_begin(a, 0.1 * tick);
		id = owner_of(a, &pa);
		for (i = 0; i < per; i++) {
			struct sock_rec s = tcp(1024 + (tick * per + i) % 60000,
						443 + tick, SOCK_ESTABLISHED,
						1 + tick * per + i);

			assert_true(attrib_note(a, &s, id) >= 0);
		}
		attrib_get_stats(a, &st);
		assert_true(st.bytes <= budget);
	}
	attrib_get_stats(a, &st);
	assert_true(st.evicted > 0);
	assert_true(st.entries < 20 * per);
	assert_true(st.entries >= per);
	/* the latest sockets are kept, the oldest are gone */
	{
		struct sock_rec last = tcp(0, 0, SOCK_TIME_WAIT, 19 * per + per);
		struct sock_rec first = tcp(0, 0, SOCK_TIME_WAIT, 1);

		assert_int_equal(attrib_lookup(a, &last), id);
		assert_int_equal(attrib_lookup(a, &first), ATTRIB_NONE);
	}
	/* one sample larger than the whole budget: the excess is refused,
	 * never guessed later */
	attrib_begin(a, 100.0);
	id = owner_of(a, &pa);
	for (i = 0; i < 20000; i++) {
		struct sock_rec s = tcp(1024 + i % 60000, 9 + i / 60000,
					SOCK_ESTABLISHED, 1000000 + i);

		assert_true(attrib_note(a, &s, id) >= 0);
	}
	attrib_get_stats(a, &st);
	assert_true(st.refused > 0);
	assert_true(st.bytes <= budget);
	{
		struct sock_rec r = tcp(0, 0, SOCK_TIME_WAIT, 1000000 + 19999);

		assert_int_equal(attrib_lookup(a, &r), ATTRIB_NONE);
		r.cookie = 1000000;
		assert_int_equal(attrib_lookup(a, &r), id);
	}
	attrib_free(a);
}

/* A sample larger than the budget, nothing evictable: each refusal must
 * cost O(1), not a pass over the whole history (quadratic before). */
static void test_refusal_constant(void **state)
{
	struct sample_proc pa = proc(10, 500, "a");
	struct attrib_stats st;
	struct attrib *a;
	uint32_t id;
	unsigned i, n = 50000;

	(void)state;
	assert_int_equal(attrib_new(&a, 256 * 1024), 0);
	attrib_begin(a, 1.0);
	id = owner_of(a, &pa);
	for (i = 0; i < n; i++) {
		struct sock_rec s = tcp(1024 + i % 60000, 9 + i / 60000,
					SOCK_ESTABLISHED, 1 + i);

		assert_true(attrib_note(a, &s, id) >= 0);
	}
	attrib_get_stats(a, &st);
	assert_true(st.refused > n / 2);
	assert_int_equal(st.refused_now, st.refused);
	assert_true(st.evict_scans <= 2);
	/* the next sample may evict again: the old sockets are evictable */
	attrib_begin(a, 2.0);
	attrib_get_stats(a, &st);
	assert_int_equal(st.refused_now, 0);
	id = owner_of(a, &pa);
	{
		struct sock_rec s = tcp(2000, 80, SOCK_ESTABLISHED, 9000000);

		assert_int_equal(attrib_note(a, &s, id), 0);
	}
	attrib_get_stats(a, &st);
	assert_true(st.evicted > 0);
	assert_true(st.evict_scans <= 3);
	attrib_free(a);
}

/* Against a plain list: insertions, refreshes and aging in any order keep
 * the indexes right (deletions from open-addressing tables). */
static void test_against_reference(void **state)
{
	enum { N = 3000 };
	struct ref {
		uint64_t cookie;
		unsigned sport;
		uint32_t tick;     /* last noted */
		int pid;
	} *ref = calloc(N, sizeof(*ref));
	struct sample_proc p[3] = { proc(1, 1, "x"), proc(2, 2, "y"),
				    proc(3, 3, "z") };
	struct attrib *a;
	uint32_t tick, ids[3];
	unsigned seed = 12345, i;

	(void)state;
	assert_non_null(ref);
	assert_int_equal(attrib_new(&a, 0), 0);
	for (tick = 1; tick <= 40; tick++) {
		/* samples 100 s apart: only the sample grace keeps entries */
		attrib_begin(a, 100.0 * tick);
		for (i = 0; i < 3; i++)
			ids[i] = owner_of(a, &p[i]);
		for (i = 0; i < N; i++) {
			struct sock_rec s;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 != 0)
				continue;
			if (!ref[i].tick || tick - ref[i].tick > ATTRIB_KEEP_SAMPLES) {
				/* a new socket in this slot */
				ref[i].cookie = (i % 5 == 0) ? 0 :
						(uint64_t)tick << 32 | i;
				ref[i].sport = 1024 + i;
				ref[i].pid = 1 + (int)((seed >> 8) % 3);
			}
			ref[i].tick = tick;
			s = tcp(ref[i].sport, 443, SOCK_ESTABLISHED, ref[i].cookie);
			assert_int_equal(attrib_note(a, &s, ids[ref[i].pid - 1]), 0);
		}
		for (i = 0; i < N; i++) {
			struct sock_rec s = tcp(ref[i].sport, 443, SOCK_TIME_WAIT,
						ref[i].cookie);
			uint32_t got;

			if (!ref[i].tick)
				continue;
			got = attrib_lookup(a, &s);
			if (tick - ref[i].tick <= ATTRIB_KEEP_SAMPLES) {
				assert_int_not_equal(got, ATTRIB_NONE);
				assert_int_equal(attrib_owner(a, got)->pid,
						 ref[i].pid);
				ref[i].tick = tick;   /* the lookup refreshed it */
			} else {
				assert_int_equal(got, ATTRIB_NONE);
			}
		}
	}
	attrib_free(a);
	free(ref);
}

/* ---- the model ----------------------------------------------------------------- */

struct msample {
	struct sample s;
};

static void ms_init(struct msample *m, double t)
{
	sample_init(&m->s);
	m->s.time = 1763800000.0 + t;
	m->s.mono = t;
	m->s.sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED;
}

/* Add a socket owned by procs[owner] (or SAMPLE_NO_OWNER). */
static void ms_add(struct msample *m, const struct sock_rec *r, uint32_t owner)
{
	struct sample *s = &m->s;

	assert_int_equal(sockvec_push(&s->socks, r), 0);
	s->owner = realloc(s->owner, s->socks.len * sizeof(*s->owner));
	assert_non_null(s->owner);
	s->owner[s->socks.len - 1] = owner;
	s->nowner = s->socks.len;
	s->owner_cap = s->socks.len;
}

static uint32_t ms_proc(struct msample *m, const struct sample_proc *p)
{
	struct sample *s = &m->s;

	s->procs = realloc(s->procs, (s->nprocs + 1) * sizeof(*s->procs));
	assert_non_null(s->procs);
	s->procs[s->nprocs] = *p;
	s->procs_cap = s->nprocs + 1;
	return (uint32_t)s->nprocs++;
}

/* The row of pid (or, for pid 0, of uid); the test fails without one. */
static const struct snap_proc *row_of(const struct snapshot *snap, int pid,
				      uint32_t uid)
{
	static const struct snap_proc none;
	size_t i;

	for (i = 0; i < snap->nprocs; i++)
		if (snap->procs[i].pid == pid && (pid || snap->procs[i].uid == uid))
			return &snap->procs[i];
	fail_msg("no row for pid %d uid %u", pid, (unsigned)uid);
	return &none;
}

/* Every socket's row link agrees with the row counts. */
static void check_links(const struct snapshot *snap)
{
	uint32_t *count = calloc(snap->nprocs + 1, sizeof(uint32_t));
	size_t i, unattributed = 0;

	assert_non_null(count);
	for (i = 0; i < snap->nsocks; i++) {
		if (snap->sock_proc[i] == SNAP_NO_PROC) {
			unattributed++;
			continue;
		}
		assert_true(snap->sock_proc[i] < snap->nprocs);
		count[snap->sock_proc[i]]++;
	}
	for (i = 0; i < snap->nprocs; i++) {
		const struct snap_proc *p = &snap->procs[i];

		assert_int_equal(count[i], p->sockets + p->time_wait + p->closing);
		if (i > 0)
			assert_true(snap->procs[i - 1].sockets +
				    snap->procs[i - 1].time_wait +
				    snap->procs[i - 1].closing >=
				    p->sockets + p->time_wait + p->closing);
	}
	assert_int_equal(unattributed, snap->unattributed_sockets);
	free(count);
}

static void test_model_time_wait(void **state)
{
	struct sample_proc pa = proc(10, 500, "client"), pb = proc(20, 600, "other");
	const struct snapshot *snap;
	const struct snap_proc *ra, *rb;
	struct msample m1, m2;
	struct sock_rec r;
	struct model *m;
	uint32_t a, b;
	unsigned i;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	ms_init(&m1, 10.0);
	a = ms_proc(&m1, &pa);
	b = ms_proc(&m1, &pb);
	for (i = 0; i < 5; i++) {
		r = tcp(40000 + i, 443, SOCK_ESTABLISHED, 100 + i);
		ms_add(&m1, &r, a);
	}
	for (i = 0; i < 3; i++) {
		r = tcp(41000 + i, 443, SOCK_ESTABLISHED, 200 + i);
		ms_add(&m1, &r, b);
	}
	r = tcp(8080, 0, SOCK_LISTEN, 300);
	memset(r.daddr, 0, sizeof(r.daddr));
	ms_add(&m1, &r, b);
	assert_int_equal(model_update(m, &m1.s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->attribution, 1);
	assert_int_equal(snap->nprocs, 2);
	ra = row_of(snap, 10, 0);
	rb = row_of(snap, 20, 0);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->sockets, 5);
	assert_int_equal(ra->time_wait, 0);
	assert_int_equal(ra->destinations, 1);
	assert_string_equal(ra->comm, "client");
	assert_string_equal(ra->cmdline, "client --serve");
	assert_int_equal(rb->sockets, 4);
	assert_int_equal(snap->unattributed_time_wait, 0);
	assert_ptr_equal(&snap->procs[0], ra);   /* most sockets first */
	check_links(snap);
	sample_release(&m1.s);

	/* the client closed everything and exited: its TIME_WAIT entries are
	 * still its own; one of the other's too; one never seen alive is not
	 * anybody's; an orphaned FIN_WAIT2 counts as closing */
	ms_init(&m2, 11.0);
	b = ms_proc(&m2, &pb);
	for (i = 0; i < 5; i++) {
		r = tcp(40000 + i, 443, SOCK_TIME_WAIT, 100 + i);
		ms_add(&m2, &r, SAMPLE_NO_OWNER);
	}
	r = tcp(41000, 443, SOCK_TIME_WAIT, 200);
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	r = tcp(41001, 443, SOCK_FIN_WAIT2, 201);
	r.inode = 0;
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	r = tcp(41002, 443, SOCK_ESTABLISHED, 202);
	ms_add(&m2, &r, b);
	r = tcp(42000, 443, SOCK_TIME_WAIT, 999);
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	assert_int_equal(model_update(m, &m2.s), 0);
	snap = model_snapshot(m);
	ra = row_of(snap, 10, 0);
	rb = row_of(snap, 20, 0);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->sockets, 0);
	assert_int_equal(ra->time_wait, 5);
	assert_int_equal(ra->destinations, 1);
	assert_string_equal(ra->comm, "client");
	assert_int_equal(rb->sockets, 1);
	assert_int_equal(rb->time_wait, 1);
	assert_int_equal(rb->closing, 1);
	assert_int_equal(snap->unattributed_time_wait, 1);
	assert_int_equal(snap->unattributed_sockets, 1);
	check_links(snap);
	sample_release(&m2.s);

	/* a sample without owners (attribution off or failed): the history
	 * still names the TIME_WAIT entries it knows */
	ms_init(&m2, 12.0);
	r = tcp(40000, 443, SOCK_TIME_WAIT, 100);
	assert_int_equal(sockvec_push(&m2.s.socks, &r), 0);
	r = tcp(42000, 443, SOCK_TIME_WAIT, 999);
	assert_int_equal(sockvec_push(&m2.s.socks, &r), 0);
	assert_int_equal(model_update(m, &m2.s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->attribution, 0);
	assert_int_equal(snap->nprocs, 1);
	assert_int_equal(snap->procs[0].pid, 10);
	assert_int_equal(snap->procs[0].time_wait, 1);
	assert_int_equal(snap->unattributed_time_wait, 1);
	check_links(snap);
	sample_release(&m2.s);
	model_free(m);
}

static void test_model_uid_only(void **state)
{
	struct sample_proc u;
	const struct snapshot *snap;
	const struct snap_proc *ru;
	struct msample m1;
	struct sock_rec r;
	struct model *m;
	struct strbuf sb;
	uint32_t o;
	size_t i;
	int found = 0;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.uid = 1000;
	u.cgroup_id = 77;
	snprintf(u.user, sizeof(u.user), "alice");
	snprintf(u.unit, sizeof(u.unit), "unit:app.service");
	assert_int_equal(model_new(&m), 0);
	ms_init(&m1, 1.0);
	o = ms_proc(&m1, &u);
	r = tcp(40000, 443, SOCK_ESTABLISHED, 1);
	ms_add(&m1, &r, o);
	r = tcp(40001, 443, SOCK_ESTABLISHED, 2);
	ms_add(&m1, &r, o);
	m1.s.procs_denied = 4;
	assert_int_equal(model_update(m, &m1.s), 0);
	snap = model_snapshot(m);
	ru = row_of(snap, 0, 1000);
	assert_non_null(ru);
	assert_int_equal(ru->sockets, 2);
	assert_string_equal(ru->unit, "unit:app.service");
	assert_int_equal(ru->cgroup_id, 77);
	for (i = 0; i < snap->nwarnings; i++)
		if (strstr(snap->warnings[i], "process names need root or "
					      "CAP_SYS_PTRACE"))
			found = 1;
	assert_true(found);
	/* JSON: no pid, the user and unit */
	strbuf_init(&sb);
	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_non_null(strstr(sb.buf, "\"processes\": [{\"pid\": null, \"uid\": 1000, "
				       "\"user\": \"alice\", \"comm\": \"\", "
				       "\"cmdline\": \"\", \"unit\": \"unit:app.service\""));
	strbuf_reset(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	assert_non_null(strstr(sb.buf, "\n        - alice        2          0      1 "
				       "(process not readable) [unit:app.service]\n"));
	strbuf_release(&sb);
	sample_release(&m1.s);

	/* its TIME_WAIT later goes to the same uid-only row */
	ms_init(&m1, 2.0);
	r = tcp(40000, 443, SOCK_TIME_WAIT, 1);
	ms_add(&m1, &r, SAMPLE_NO_OWNER);
	assert_int_equal(model_update(m, &m1.s), 0);
	snap = model_snapshot(m);
	ru = row_of(snap, 0, 1000);
	assert_non_null(ru);
	assert_int_equal(ru->time_wait, 1);
	assert_int_equal(snap->unattributed_time_wait, 0);
	/* no live socket of an unknown process left: no such warning */
	for (i = 0; i < snap->nwarnings; i++)
		assert_null(strstr(snap->warnings[i], "user only"));
	sample_release(&m1.s);
	model_free(m);
}

static void test_model_pid_filter(void **state)
{
	struct sample_proc pa = proc(10, 500, "a"), pb = proc(20, 600, "b");
	const int want[] = { 20 };
	const int bad[] = { 0 };
	const struct snapshot *snap;
	struct msample m1, m2;
	struct sock_rec r;
	struct model *m;
	uint32_t a, b;
	unsigned i;

	(void)state;
	assert_int_equal(model_new(&m), 0);
	assert_int_equal(model_set_pid_filter(m, bad, 1), -EINVAL);
	assert_int_equal(model_set_pid_filter(m, want, MODEL_MAX_PIDS + 1),
			 -EINVAL);
	assert_int_equal(model_set_pid_filter(m, want, 1), 0);
	ms_init(&m1, 1.0);
	a = ms_proc(&m1, &pa);
	b = ms_proc(&m1, &pb);
	for (i = 0; i < 6; i++) {
		r = tcp(40000 + i, 443, SOCK_ESTABLISHED, 100 + i);
		ms_add(&m1, &r, a);
	}
	for (i = 0; i < 2; i++) {
		r = tcp(41000 + i, 80, SOCK_ESTABLISHED, 200 + i);
		ms_add(&m1, &r, b);
	}
	r = tcp(42000, 80, SOCK_TIME_WAIT, 999);   /* nobody's */
	ms_add(&m1, &r, SAMPLE_NO_OWNER);
	assert_int_equal(model_update(m, &m1.s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->npid_filter, 1);
	assert_int_equal(snap->pid_filter[0], 20);
	assert_int_equal(snap->tcp_sockets, 2);
	assert_int_equal(snap->tcp_states[SOCK_ESTABLISHED], 2);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 0);
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(snap->dests[0].dport, 80);
	assert_int_equal(snap->dests[0].in_use, 2);
	assert_int_equal(snap->nprocs, 1);
	assert_int_equal(snap->procs[0].pid, 20);
	assert_int_equal(snap->nsocks, 2);
	assert_int_equal(snap->unattributed_time_wait, 0);
	check_links(snap);
	sample_release(&m1.s);

	/* b's TIME_WAIT is b's: kept by the filter through attribution.
	 * The interval's destroy events (exact, but without owners) say 40
	 * closes toward 10.0.0.2:80, mostly other processes': with -p the
	 * close count comes from b's own new TIME_WAIT entry instead. */
	ms_init(&m2, 2.0);
	b = ms_proc(&m2, &pb);
	r = tcp(41000, 80, SOCK_TIME_WAIT, 200);
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	r = tcp(41001, 80, SOCK_ESTABLISHED, 201);
	ms_add(&m2, &r, b);
	r = tcp(40000, 443, SOCK_TIME_WAIT, 100);   /* a's */
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	{
		struct ev_key k;

		memset(&k, 0, sizeof(k));
		k.family = AF_INET;
		k.proto = IPPROTO_TCP;
		memcpy(k.saddr, r.saddr, 4);
		memcpy(k.daddr, r.daddr, 4);
		k.dport = 80;
		assert_int_equal(ev_counts_add(&m2.s.closes, &k, 40), 0);
		m2.s.events = SAMPLE_EV_EXACT;
		m2.s.events_since = 1.0;
	}
	assert_int_equal(model_update(m, &m2.s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->tcp_sockets, 2);
	assert_int_equal(snap->tcp_states[SOCK_TIME_WAIT], 1);
	assert_int_equal(snap->procs[0].time_wait, 1);
	assert_int_equal(snap->procs[0].sockets, 1);
	assert_int_equal(snap->ndests, 1);
	assert_int_equal(snap->dests[0].in_use, 2);
	assert_int_equal(snap->rates_source, SNAP_RATES_ESTIMATED);
	assert_int_equal(snap->dests[0].closes, 1);
	{
		int warned = 0;

		for (i = 0; i < snap->nwarnings; i++)
			warned |= strstr(snap->warnings[i], "with -p") != NULL;
		assert_true(warned);
	}
	check_links(snap);
	sample_release(&m2.s);

	/* the filter removed: everything again */
	assert_int_equal(model_set_pid_filter(m, NULL, 0), 0);
	ms_init(&m2, 3.0);
	r = tcp(41000, 80, SOCK_TIME_WAIT, 200);
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	r = tcp(40000, 443, SOCK_TIME_WAIT, 100);
	ms_add(&m2, &r, SAMPLE_NO_OWNER);
	assert_int_equal(model_update(m, &m2.s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->npid_filter, 0);
	assert_int_equal(snap->tcp_sockets, 2);
	assert_int_equal(snap->nprocs, 2);
	check_links(snap);
	sample_release(&m2.s);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_join),
		cmocka_unit_test(test_tuple_join),
		cmocka_unit_test(test_no_guess),
		cmocka_unit_test(test_owner_identity),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_refusal_constant),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_model_time_wait),
		cmocka_unit_test(test_model_uid_only),
		cmocka_unit_test(test_model_pid_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
