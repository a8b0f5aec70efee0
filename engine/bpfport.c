#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <unistd.h>
#endif

#include "bpfport.h"
#include "radix.h"

/* The wire layout is shared with the BPF program (engine/bpf/portstate.bpf.c). */
_Static_assert(sizeof(struct bpfport_wire) == BPFPORT_WIRE_SIZE,
	       "struct bpfport_wire is 16 bytes");
_Static_assert(offsetof(struct bpfport_wire, sport) == 8, "wire layout");
_Static_assert(offsetof(struct bpfport_wire, version) == 15, "wire layout");

void bpfport_vec_init(struct bpfport_vec *bv)
{
	memset(bv, 0, sizeof(*bv));
}

void bpfport_vec_release(struct bpfport_vec *bv)
{
	if (!bv)
		return;
	free(bv->v);
	memset(bv, 0, sizeof(*bv));
}

static int vec_reserve(struct bpfport_vec *bv, size_t n)
{
	struct bpfport_rec *p;
	size_t cap;

	if (n <= bv->cap - bv->len)
		return 0;
	if (n > SIZE_MAX / sizeof(*p) - bv->len)
		return -ENOMEM;
	cap = bv->cap ? bv->cap : 256;
	while (cap - bv->len < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*p))
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(bv->v, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	bv->v = p;
	bv->cap = cap;
	return 0;
}

/* The bucket's judgement: see enum sock_bind in sock.h. */
static uint8_t wire_bind(const struct bpfport_wire *w)
{
	if (!w->has_tb)
		return SOCK_BIND_UNKNOWN;
	if (w->fastreuse >= 0 || w->fastreuseport >= 0)
		return SOCK_BIND_OWNED;
	return SOCK_BIND_AUTO;
}

static int wire_valid(const struct bpfport_wire *w)
{
	if (w->version != BPFPORT_WIRE_VERSION)
		return 0;
	if (w->family != AF_INET && w->family != AF_INET6)
		return 0;
	if (w->state < SOCK_ESTABLISHED || w->state > SOCK_BOUND)
		return 0;
	if (w->has_tb > 1)
		return 0;
	return 1;
}

int bpfport_parse(const void *buf, size_t len, struct bpfport_vec *out,
		  struct bpfport_stats *st)
{
	const unsigned char *p = buf;
	size_t n = len / BPFPORT_WIRE_SIZE, i;
	int err;

	if (len % BPFPORT_WIRE_SIZE)
		st->malformed++;
	if (n == 0)
		return 0;
	err = vec_reserve(out, n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct bpfport_wire w;
		struct bpfport_rec *r;

		/* buf need not be aligned */
		memcpy(&w, p + i * BPFPORT_WIRE_SIZE, sizeof(w));
		if (!wire_valid(&w)) {
			st->malformed++;
			continue;
		}
		r = &out->v[out->len++];
		r->cookie = w.cookie;
		r->sport = w.sport;
		r->state = w.state;
		r->family = w.family;
		r->bind = wire_bind(&w);
		st->records++;
	}
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct bpfport_rec *x = a, *y = b;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return 0;
}

/*
 * Sort by cookie: a radix sort of the cookies (they come from one
 * counter, so most of their bytes agree and cost no pass) and a gather
 * into a new array; qsort() in place when the scratch cannot be had.
 */
static void recs_sort(struct bpfport_vec *recs)
{
	size_t n = recs->len, i;
	struct bpfport_rec *sorted;
	uint64_t *keys;
	uint32_t *vals;

	if (n < 2)
		return;
	if (n > UINT32_MAX || n > SIZE_MAX / 24)
		goto fallback;
	keys = malloc(n * 24);
	sorted = malloc(n * sizeof(*sorted));
	if (!keys || !sorted) {
		free(keys);
		free(sorted);
		goto fallback;
	}
	vals = (uint32_t *)(keys + 2 * n);
	for (i = 0; i < n; i++) {
		keys[i] = recs->v[i].cookie;
		vals[i] = (uint32_t)i;
	}
	radix_sort(keys, keys + n, vals, vals + n, n);
	for (i = 0; i < n; i++)
		sorted[i] = recs->v[vals[i]];
	free(keys);
	free(recs->v);
	recs->v = sorted;
	recs->cap = n;
	return;
fallback:
	qsort(recs->v, n, sizeof(recs->v[0]), rec_cmp);
}

/* The bind state of the records with that cookie (OWNED over AUTO over
 * UNKNOWN when there are several), or -1 if none. */
static int rec_find(const struct bpfport_rec *v, size_t len, uint64_t cookie)
{
	size_t lo = 0, hi = len;
	int best = -1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < len && v[lo].cookie == cookie; lo++)
		if ((int)v[lo].bind > best)
			best = v[lo].bind;
	return best;
}

/* Sockets whose port is bind()-owned by their state alone: listeners,
 * bound sockets (not in the iterator's tables at all) and request sockets
 * (their listener's port). */
static int state_owned(uint8_t state)
{
	return state == SOCK_LISTEN || state == SOCK_BOUND ||
	       state == SOCK_NEW_SYN_RECV;
}

/* The sockets the join looks up: TCP, not owned by state. */
static int needs_lookup(const struct sock_rec *s)
{
	return s->proto == IPPROTO_TCP && !state_owned(s->state);
}

/*
 * The lookups as a merge: the cookies of the sockets radix-sorted, then
 * one pass over both sorted lists (a binary search per socket costs ten
 * times more at 100,000 sockets: every probe a mispredicted branch and a
 * cache miss). Returns 0, or -ENOMEM when the scratch cannot be had.
 */
static int join_merge(const struct bpfport_vec *recs, struct sockvec *socks,
		      size_t n, struct bpfport_stats *st)
{
	uint64_t *keys;
	uint32_t *vals;
	size_t i, k = 0, j = 0;

	if (n > UINT32_MAX || socks->len > UINT32_MAX || n > SIZE_MAX / 24)
		return -ENOMEM;
	keys = malloc(n * 24);
	if (!keys)
		return -ENOMEM;
	vals = (uint32_t *)(keys + 2 * n);
	for (i = 0; i < socks->len; i++)
		if (needs_lookup(&socks->v[i])) {
			keys[k] = socks->v[i].cookie;
			vals[k++] = (uint32_t)i;
		}
	radix_sort(keys, keys + n, vals, vals + n, n);
	for (i = 0; i < n; i++) {
		struct sock_rec *s = &socks->v[vals[i]];
		size_t r;
		int best = -1;

		while (j < recs->len && recs->v[j].cookie < keys[i])
			j++;
		/* j stays at the run's start: a cookie twice in the dump
		 * finds its records again */
		for (r = j; r < recs->len && recs->v[r].cookie == keys[i]; r++)
			if ((int)recs->v[r].bind > best)
				best = recs->v[r].bind;
		if (best < 0 || keys[i] == 0) {
			st->missing++;
			continue;
		}
		s->bind = (uint8_t)best;
		st->joined++;
	}
	free(keys);
	return 0;
}

int bpfport_join(struct bpfport_vec *recs, struct sockvec *socks,
		 struct bpfport_stats *st)
{
	size_t i, n = 0;

	recs_sort(recs);
	for (i = 0; i < socks->len; i++) {
		struct sock_rec *s = &socks->v[i];

		if (s->proto != IPPROTO_TCP)
			continue;
		if (state_owned(s->state)) {
			s->bind = SOCK_BIND_OWNED;
			st->joined++;
		} else {
			n++;
		}
	}
	if (n == 0 || join_merge(recs, socks, n, st) == 0)
		return 0;
	/* no memory for the merge: a binary search per socket */
	for (i = 0; i < socks->len; i++) {
		struct sock_rec *s = &socks->v[i];
		int b;

		if (!needs_lookup(s))
			continue;
		b = s->cookie ? rec_find(recs->v, recs->len, s->cookie) : -1;
		if (b < 0) {
			st->missing++;
			continue;
		}
		s->bind = (uint8_t)b;
		st->joined++;
	}
	return 0;
}

const char *bpfport_strerror(int err)
{
	switch (err) {
	case 0:
		return "exact port state available";
	case -ENOSYS:
		return "porttop was built without BPF: rebuild with libbpf-dev "
		       "and clang (configure --enable-bpf) for exact figures";
	case -EPERM:
	case -EACCES:
		return "the exact port state needs root (or CAP_BPF and "
		       "CAP_PERFMON): run porttop as root for exact figures";
	case -ENOENT:
		return "the kernel has no BTF (/sys/kernel/btf/vmlinux) or no "
		       "TCP socket iterator (Linux 5.9+): exact figures "
		       "unavailable";
	case -ENOMEM:
		return "out of memory reading the exact port state";
	case -E2BIG:
		return "the exact port state was too large to read";
	default:
		return "the exact port state could not be read: the BPF "
		       "iterator failed";
	}
}

#ifdef HAVE_BPF

/* The compiled BPF object, embedded at build time (engine/bpfport_obj.c,
 * generated from engine/bpf/portstate.bpf.c). */
extern const unsigned char bpfport_obj[];
extern const size_t bpfport_obj_len;

struct bpfport {
	struct bpf_object *obj;
	struct bpf_link *link;
	unsigned char *buf;       /* read() buffer */
};

/* libbpf would print to stderr, under the curses screen */
static int print_nothing(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* libbpf's errors are negative errnos (or errno with a NULL pointer);
 * fold them into the few the header promises. */
static int map_err(int err)
{
	if (err > 0)
		err = -err;
	switch (err) {
	case 0:
		return -EINVAL;
	case -EPERM:
	case -EACCES:
		return -EPERM;
	case -ENOENT:
	case -ESRCH:       /* no BTF type for the iterator / a field */
	case -ENOTSUP:
	case -EINVAL:      /* an attach type the kernel does not know */
		return -ENOENT;
	default:
		return err;
	}
}

int bpfport_open(struct bpfport **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .object_name = "porttop_portstate");
	struct bpfport *bp;
	struct bpf_program *prog;
	int err;

	*out = NULL;
	/* a process-wide setting of libbpf, not a porttop global: every
	 * later libbpf call of the process stays silent too */
	libbpf_set_print(print_nothing);
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return errno == EACCES ? -EPERM : -ENOENT;
	bp = calloc(1, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	bp->buf = malloc(BPFPORT_READ_CHUNK);
	if (!bp->buf) {
		err = -ENOMEM;
		goto fail;
	}
	bp->obj = bpf_object__open_mem(bpfport_obj, bpfport_obj_len, &opts);
	if (!bp->obj) {
		err = errno ? -errno : -EINVAL;
		goto fail;
	}
	err = bpf_object__load(bp->obj);
	if (err) {
		err = map_err(err);
		goto fail;
	}
	prog = bpf_object__find_program_by_name(bp->obj, "porttop_portstate");
	if (!prog) {
		err = -ENOENT;
		goto fail;
	}
	bp->link = bpf_program__attach_iter(prog, NULL);
	if (!bp->link) {
		err = map_err(errno);
		goto fail;
	}
	*out = bp;
	return 0;
fail:
	bpfport_free(bp);
	return err;
}

void bpfport_free(struct bpfport *bp)
{
	if (!bp)
		return;
	bpf_link__destroy(bp->link);
	bpf_object__close(bp->obj);
	free(bp->buf);
	free(bp);
}

int bpfport_read(struct bpfport *bp, struct bpfport_vec *out,
		 struct bpfport_stats *st)
{
	size_t have = 0, total = 0;   /* have: bytes of a partial record */
	unsigned reads = 0;
	int fd, err = 0;

	out->len = 0;
	/* the kernel takes the namespace of the calling thread here */
	fd = bpf_iter_create(bpf_link__fd(bp->link));
	if (fd < 0)
		return map_err(errno);
	for (;;) {
		ssize_t n = read(fd, bp->buf + have, BPFPORT_READ_CHUNK - have);
		size_t whole;

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (++reads > BPFPORT_READ_MAX_CALLS) {
					err = -E2BIG;
					break;
				}
				continue;
			}
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > BPFPORT_READ_MAX_BYTES ||
		    ++reads > BPFPORT_READ_MAX_CALLS) {
			err = -E2BIG;
			break;
		}
		have += (size_t)n;
		whole = have - have % BPFPORT_WIRE_SIZE;
		err = bpfport_parse(bp->buf, whole, out, st);
		if (err)
			break;
		/* keep a record torn across two reads for the next one */
		memmove(bp->buf, bp->buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	if (!err && have)
		err = bpfport_parse(bp->buf, have, out, st);
	if (err)
		out->len = 0;
	return err;
}

#else /* !HAVE_BPF */

int bpfport_open(struct bpfport **out)
{
	*out = NULL;
	return -ENOSYS;
}

void bpfport_free(struct bpfport *bp)
{
	(void)bp;
}

int bpfport_read(struct bpfport *bp, struct bpfport_vec *out,
		 struct bpfport_stats *st)
{
	(void)bp;
	(void)st;
	out->len = 0;
	return -ENOSYS;
}

#endif
