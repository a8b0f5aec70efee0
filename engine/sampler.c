#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "array.h"
#include "bpfport.h"
#include "sampler.h"
#include "netns.h"     /* nat */
/* >>> procs */
#include <stdio.h>

#include "cgroup.h"
#include "procs.h"
#include "sanitize.h"
/* <<< procs */

/* >>> procs: attribution state (sampler_enable_attribution) */
struct sampler_owner_key {
	uint64_t a, b;            /* procs_info address, or uid and cgroup id */
	uint32_t kind;            /* 0 empty, 1 process, 2 uid-only */
	uint32_t idx;             /* index into sample.procs */
};

struct sampler_attr {
	struct procs *procs;
	struct cgroup_cache *cg;
	const struct procs_info **owners;
	size_t owners_cap;
	struct sampler_owner_key *tab;
	size_t tab_cap, tab_used;
};

static void sampler_attr_free(struct sampler_attr *at);
/* <<< procs */

struct sampler {
	char *procroot;
	struct clock clock;
	struct nlio io;
	struct events *events;    /* destroy events, or NULL */
	double events_since;      /* monotonic start of the current count */
	int events_broken;        /* a drain failed since the last take */
	struct sampler_attr *attr; /* procs: NULL while attribution is off */
	struct sampler_feed feed;  /* record: next != NULL: not the kernel */
	struct sampler_tap tap;    /* record: the recorder, or sample NULL */
	struct netns *ns;          /* nat: the namespace sampled, or NULL */
	struct conntrack *ct;      /* nat: the ctnetlink socket, or NULL */
	struct bpfport *bp;        /* the bind-bucket reader, or NULL */
	struct bpfport_vec recs;   /* its records, reused across samples */
	char bind_why[120];        /* why there is no reader, or "" */
	/* Without the reader: the cookies of explicitly bound sockets, from
	 * the filtered dump of every SAMPLER_USERBOUND_EVERY-th sample
	 * (ub_age samples ago; ub_ok once one dump succeeded). */
	uint64_t *ub_cookies;
	size_t ub_n;
	unsigned ub_age;
	int ub_ok;
};

/* The filtered dump walks the kernel's tables once more: explicit-port
 * binds are long-lived (proxies' source ports), so it is refreshed every
 * 10th sample; a socket bound since is of unknown state until then (its
 * figures are a range, never wrong). Counted in samples, not seconds, so
 * the average cost is the same at every -d. */
#define SAMPLER_USERBOUND_EVERY 10u

void sample_init(struct sample *s)
{
	memset(s, 0, sizeof(*s));
	sysctl_defaults(&s->sys);
	sockvec_init(&s->socks);
	strcpy(s->netns, "unknown");
	ct_sample_init(&s->ct);   /* nat */
}

void sample_release(struct sample *s)
{
	if (!s)
		return;
	sockvec_release(&s->socks);
	ev_counts_release(&s->closes);
	free(s->procs);           /* procs */
	free(s->owner);
	s->procs = NULL;
	s->owner = NULL;
	s->nprocs = s->procs_cap = s->nowner = s->owner_cap = 0;
	ct_sample_release(&s->ct);   /* nat */
}

int sampler_new(struct sampler **out, const char *procroot,
		const struct clock *clock, struct nlio *io)
{
	struct sampler *sp = calloc(1, sizeof(*sp));

	*out = NULL;
	if (sp)
		sp->procroot = strdup(procroot);
	if (!sp || !sp->procroot) {
		free(sp);
		nlio_close(io);
		return -ENOMEM;
	}
	sp->clock = *clock;
	sp->io = *io;
	io->ops = NULL;
	bpfport_vec_init(&sp->recs);
	snprintf(sp->bind_why, sizeof(sp->bind_why), "%s",
		 "the exact figure needs the BPF port-state reader");
	*out = sp;
	return 0;
}

int sampler_enable_bpf(struct sampler *sp)
{
	int err;

	if (sp->bp)
		return 0;
	err = bpfport_open(&sp->bp);
	if (err) {
		snprintf(sp->bind_why, sizeof(sp->bind_why), "%s",
			 bpfport_strerror(err));
		return err;
	}
	sp->bind_why[0] = '\0';
	return 0;
}

/*
 * Bind states of the sample's sockets: the kernel's buckets through the
 * BPF reader when it works, else the explicit-port binds sock_diag can
 * tell (INET_DIAG_BC_AUTO), else nothing. The dump came first, so every
 * cookie it shows exists when the iterator reads it again.
 */
static void sampler_bind_states(struct sampler *sp, struct sample *s)
{
	struct bpfport_stats bst;
	int err;

	memset(&bst, 0, sizeof(bst));
	s->bind_why[0] = '\0';
	if (sp->bp) {
		err = bpfport_read(sp->bp, &sp->recs, &bst);
		if (err == 0 && bpfport_join(&sp->recs, &s->socks, &bst) == 0) {
			s->bind_src = SOCK_BSRC_BPF;
			return;
		}
		snprintf(s->bind_why, sizeof(s->bind_why),
			 "the BPF port-state read failed: %s",
			 bpfport_strerror(err ? err : -ENOMEM));
	} else {
		snprintf(s->bind_why, sizeof(s->bind_why), "%s", sp->bind_why);
	}
	/* The kernel's bytecode filter needs the kernel: a canned transport
	 * (tests) answers the dumps it was given and nothing more. */
	if (nlio_fd(&sp->io) < 0)
		return;
	if (!sp->ub_ok || ++sp->ub_age >= SAMPLER_USERBOUND_EVERY) {
		uint64_t *c;
		size_t n;

		err = diag_dump_userbound(&sp->io, &c, &n, &s->stats);
		if (err == 0) {
			free(sp->ub_cookies);
			sp->ub_cookies = c;
			sp->ub_n = n;
			sp->ub_ok = 1;
			sp->ub_age = 0;
		}
	}
	if (!sp->ub_ok)
		return;   /* bind_src stays NONE */
	diag_mark_owned(&s->socks, sp->ub_cookies, sp->ub_n);
	s->bind_src = SOCK_BSRC_AUTOBOUND;
}

void sampler_free(struct sampler *sp)
{
	if (!sp)
		return;
	nlio_close(&sp->io);
	events_free(sp->events);
	sampler_attr_free(sp->attr);   /* procs */
	conntrack_free(sp->ct);        /* nat */
	netns_free(sp->ns);
	bpfport_free(sp->bp);
	bpfport_vec_release(&sp->recs);
	free(sp->ub_cookies);
	free(sp->procroot);
	free(sp);
}

/* ---- destroy events and counters (rates) ------------------------------ */

void sampler_set_events(struct sampler *sp, struct events *ev)
{
	events_free(sp->events);
	sp->events = ev;
	sp->events_since = clock_monotonic(&sp->clock);
}

int sampler_event_fd(const struct sampler *sp)
{
	return sp && sp->events ? events_fd(sp->events) : -1;
}

int sampler_drain_events(struct sampler *sp)
{
	int n;

	if (!sp || !sp->events)
		return 0;
	n = events_drain(sp->events);
	if (n < 0)
		sp->events_broken = 1;   /* the interval's counts are not whole */
	return n;
}

/*
 * Closes on ports outside the range, or on a listening port (accepted
 * children: server-side sockets), are not destinations of the model.
 */
static void sampler_events_skip(struct sampler *sp, const struct sample *s)
{
	uint8_t skip[65536 / 8];
	unsigned p;
	size_t i;

	memset(skip, 0, sizeof(skip));
	for (p = 0; p < 65536; p++)
		if (p < s->sys.port_low || p > s->sys.port_high)
			skip[p >> 3] |= (uint8_t)(1u << (p & 7));
	for (i = 0; i < s->socks.len; i++) {
		const struct sock_rec *r = &s->socks.v[i];

		if (r->proto == IPPROTO_TCP && r->state == SOCK_LISTEN)
			skip[r->sport >> 3] |= (uint8_t)(1u << (r->sport & 7));
	}
	events_set_skip(sp->events, skip);
}

/*
 * Read what the kernel queued, right before the dump: a sample's closes
 * are then those made before its dump began, whose sockets (TIME_WAIT,
 * FIN_WAIT2) the dump shows, and a loss seen here concerns closes whose
 * TIME_WAIT entries this sample sees. Events that come during the dump
 * stay queued for the next sample. Bounded against a flood.
 */
static void sampler_events_before_dump(struct sampler *sp)
{
	int i;

	if (!sp->events)
		return;
	for (i = 0; i < 64; i++) {
		int n = events_drain(sp->events);

		if (n < 0)
			sp->events_broken = 1;
		if (n < EVENTS_DRAIN_MAX)
			break;
	}
}

/*
 * Move the closes counted since the last good sample into s. After a
 * failed dump the events stay with the sampler, so the next good sample
 * covers the whole interval since the previous good one.
 */
static void sampler_take_events(struct sampler *sp, struct sample *s,
				int dump_err)
{
	ev_counts_clear(&s->closes);
	s->events = SAMPLE_EV_NONE;
	s->events_since = s->mono;
	if (sp->events && !dump_err) {
		events_take(sp->events, &s->closes);
		s->events = sp->events_broken ||
			    (s->closes.flags & (EV_OVERRUN | EV_TRUNCATED)) ?
			    SAMPLE_EV_LOST : SAMPLE_EV_EXACT;
		sp->events_broken = 0;
		s->events_since = sp->events_since;
		sp->events_since = s->mono;
		sampler_events_skip(sp, s);
	}
	netstat_read(sp->procroot, &s->net);
}

/* ---- procs: process attribution ---------------------------------------- */

static void sampler_attr_free(struct sampler_attr *at)
{
	if (!at)
		return;
	procs_free(at->procs);
	cgroup_cache_free(at->cg);
	free(at->owners);
	free(at->tab);
	free(at);
}

int sampler_enable_attribution(struct sampler *sp, const char *procroot)
{
	struct sampler_attr *at = calloc(1, sizeof(*at));
	char mount[CGROUP_PATH_MAX];
	int err;

	if (!at)
		return -ENOMEM;
	err = procs_new(&at->procs, procroot);
	if (!err)
		err = cgroup_cache_new(&at->cg,
				       cgroup_find_mount(procroot, mount,
							 sizeof(mount)) == 0 ?
				       mount : NULL);
	if (err) {
		sampler_attr_free(at);
		return err;
	}
	sampler_attr_free(sp->attr);
	sp->attr = at;
	return 0;
}

/* The kernel states the uid (and cgroup) of full sockets only: not of
 * TIME_WAIT entries (timer 3 also marks a FIN_WAIT2 one) nor of request
 * sockets. */
static int sampler_has_uid(const struct sock_rec *r)
{
	return r->state != SOCK_TIME_WAIT && r->state != SOCK_NEW_SYN_RECV &&
	       r->timer != 3;
}

static size_t sampler_key_hash(const struct sampler_owner_key *k)
{
	uint64_t x = k->a * 0x9e3779b97f4a7c15ULL ^ k->b ^ k->kind;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (size_t)x;
}

static int sampler_tab_rehash(struct sampler_attr *at, size_t cap)
{
	struct sampler_owner_key *old = at->tab, *nt = calloc(cap, sizeof(*nt));
	size_t i, oldcap = at->tab_cap;

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < oldcap; i++) {
		size_t h;

		if (!old[i].kind)
			continue;
		for (h = sampler_key_hash(&old[i]) & (cap - 1); nt[h].kind;
		     h = (h + 1) & (cap - 1))
			;
		nt[h] = old[i];
	}
	free(old);
	at->tab = nt;
	at->tab_cap = cap;
	return 0;
}

/* Fill the description of a new owner of the sample. */
static void sampler_describe(struct sampler_attr *at, struct sample_proc *p,
			     const struct procs_info *in,
			     const struct sock_rec *r)
{
	memset(p, 0, sizeof(*p));
	if (in) {
		p->pid = in->pid;
		p->uid = in->uid;
		p->start_time = in->start_time;
		snprintf(p->comm, sizeof(p->comm), "%s", in->comm);
		snprintf(p->cmdline, sizeof(p->cmdline), "%s", in->cmdline);
		snprintf(p->cgroup, sizeof(p->cgroup), "%s", in->cgroup);
		snprintf(p->unit, sizeof(p->unit), "%s", in->unit);
	} else {
		const char *path = cgroup_cache_path(at->cg, r->cgroup_id);

		p->uid = r->uid;
		p->cgroup_id = r->cgroup_id;
		if (path) {
			sanitize_text(p->cgroup, sizeof(p->cgroup), path,
				      strlen(path));
			cgroup_label(path, p->unit, sizeof(p->unit));
		}
	}
	procs_user_name(at->procs, p->uid, p->user, sizeof(p->user));
}

/* Index of the sample's owner for key k, added if new; -ENOMEM. */
static long sampler_owner_index(struct sampler_attr *at, struct sample *s,
				const struct sampler_owner_key *k,
				const struct procs_info *in,
				const struct sock_rec *r)
{
	size_t h, mask;

	if ((at->tab_used + 1) * 2 > at->tab_cap &&
	    sampler_tab_rehash(at, at->tab_cap ? at->tab_cap * 2 : 256))
		return -ENOMEM;
	mask = at->tab_cap - 1;
	for (h = sampler_key_hash(k) & mask; at->tab[h].kind;
	     h = (h + 1) & mask) {
		const struct sampler_owner_key *e = &at->tab[h];

		if (e->kind == k->kind && e->a == k->a && e->b == k->b)
			return e->idx;
	}
	if (array_grow(&s->procs, &s->procs_cap, s->nprocs + 1,
			 sizeof(*s->procs)))
		return -ENOMEM;
	sampler_describe(at, &s->procs[s->nprocs], in, r);
	at->tab[h] = *k;
	at->tab[h].idx = (uint32_t)s->nprocs;
	at->tab_used++;
	return (long)s->nprocs++;
}

/*
 * Set s->owner[i] for every socket: the process holding it, else (for
 * full sockets) a uid-only owner keyed by the socket's uid and cgroup.
 * On failure the sample carries no ownership at all.
 */
static int sampler_attribute(struct sampler_attr *at, struct sample *s)
{
	struct procs_stats st;
	size_t n = s->socks.len, i;
	int err;

	if (array_grow(&at->owners, &at->owners_cap, n + 1,
			 sizeof(*at->owners)) ||
	    array_grow(&s->owner, &s->owner_cap, n + 1, sizeof(*s->owner)))
		return -ENOMEM;
	err = procs_refresh(at->procs, s->socks.v, n, at->owners);
	if (err)
		return err;
	if (at->tab_cap)
		memset(at->tab, 0, at->tab_cap * sizeof(*at->tab));
	at->tab_used = 0;
	for (i = 0; i < n; i++) {
		const struct sock_rec *r = &s->socks.v[i];
		const struct procs_info *in = at->owners[i];
		struct sampler_owner_key k;
		long idx;

		s->owner[i] = SAMPLE_NO_OWNER;
		if (in) {
			k.kind = 1;
			k.a = (uint64_t)(uintptr_t)in;
			k.b = 0;
		} else if (sampler_has_uid(r)) {
			k.kind = 2;
			k.a = r->uid;
			k.b = r->cgroup_id;
		} else {
			continue;
		}
		idx = sampler_owner_index(at, s, &k, in, r);
		if (idx < 0) {
			s->nprocs = 0;
			return (int)idx;
		}
		s->owner[i] = (uint32_t)idx;
	}
	s->nowner = n;
	procs_get_stats(at->procs, &st);
	s->procs_denied = st.denied;
	if (st.nofile)
		sample_note(s, "out of file descriptors (EMFILE): %u processes "
			    "not read, their sockets shown by user only",
			    (unsigned)st.nofile);
	return 0;
}

/* >>> record: feeds, taps and notes */
int sampler_new_feed(struct sampler **out, const struct sampler_feed *feed)
{
	struct sampler *sp = calloc(1, sizeof(*sp));

	*out = NULL;
	if (!sp)
		return -ENOMEM;
	sp->feed = *feed;
	*out = sp;
	return 0;
}

void *sampler_feed_ctx(const struct sampler *sp)
{
	return sp && sp->feed.next ? sp->feed.ctx : NULL;
}

void sampler_set_tap(struct sampler *sp, const struct sampler_tap *tap)
{
	if (tap)
		sp->tap = *tap;
	else
		memset(&sp->tap, 0, sizeof(sp->tap));
}

void sample_note(struct sample *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nnotes >= SAMPLE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(s->notes[s->nnotes], SAMPLE_NOTE_LEN, fmt, ap);
	va_end(ap);
	s->nnotes++;
}

static int sampler_take_kernel(struct sampler *sp, struct sample *s);
static int sampler_take_live(struct sampler *sp, struct sample *s);

int sampler_take(struct sampler *sp, struct sample *s)
{
	int err;

	if (sp->feed.next) {
		err = sp->feed.next(sp->feed.ctx, s);
	} else {
		s->nnotes = 0;
		err = sampler_take_live(sp, s);   /* nat */
	}
	if (err == 0 && sp->tap.sample)
		(void)sp->tap.sample(sp->tap.ctx, s);
	return err;
}
/* <<< record */

static int sampler_take_kernel(struct sampler *sp, struct sample *s)
{
	int err;

	memset(&s->stats, 0, sizeof(s->stats));
	/* sysctls first: a range change between reading and dumping is then
	 * seen by the next sample, never half-applied to this one. */
	sysctl_read(sp->procroot, &s->sys);
	sysctl_read_netns(sp->procroot, s->netns, sizeof(s->netns));
	sampler_events_before_dump(sp);   /* rates */
	err = diag_dump_all(&sp->io, &s->socks, &s->stats);
	s->bind_src = SOCK_BSRC_NONE;
	if (err == 0)
		sampler_bind_states(sp, s);
	s->time = clock_wall(&sp->clock);
	s->mono = clock_monotonic(&sp->clock);
	sampler_take_events(sp, s, err);
	/* procs: ownership, when enabled; without it the sample is still
	 * good (every socket then counts as unattributed). */
	s->nprocs = 0;
	s->nowner = 0;
	s->procs_denied = 0;
	if (err == 0 && sp->attr) {
		int ae = sampler_attribute(sp->attr, s);

		if (ae) {
			s->nprocs = 0;
			s->nowner = 0;
		}
		if (ae == -EMFILE || ae == -ENFILE)
			sample_note(s, "out of file descriptors (EMFILE): no "
				    "process attribution in this sample");
	}
	return err;
}

/* >>> nat: other namespaces, conntrack */
void sampler_set_netns(struct sampler *sp, struct netns *ns)
{
	netns_free(sp->ns);
	sp->ns = ns;
}

void sampler_set_conntrack(struct sampler *sp, struct conntrack *ct)
{
	conntrack_free(sp->ct);
	sp->ct = ct;
}

/*
 * A kernel sample, inside the sampled namespace: /proc/sys/net and
 * /proc/net show the reader's, and sysctl_read() opens its files by path
 * on every call. The sockets were opened inside already.
 */
static int sampler_take_live(struct sampler *sp, struct sample *s)
{
	int err, lerr;

	err = netns_enter(sp->ns);
	if (err) {
		sockvec_clear(&s->socks);
		ct_sample_clear(&s->ct);
		return err;
	}
	err = sampler_take_kernel(sp, s);
	/* conntrack: the files when loaded; the table only then, so that
	 * porttop never loads nf_conntrack through ctnetlink itself */
	if (ct_read_proc(sp->procroot, &s->ct) == 0 && sp->ct)
		(void)conntrack_dump(sp->ct, &s->ct);
	lerr = netns_leave(sp->ns);
	return lerr ? lerr : err;
}
/* <<< nat */
