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
	/* OWNED before AUTO before UNKNOWN: the first of a run is the best */
	return (int)y->bind - (int)x->bind;
}

/* Index of the first record with that cookie, or len if none. */
static size_t rec_find(const struct bpfport_rec *v, size_t len, uint64_t cookie)
{
	size_t lo = 0, hi = len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < len && v[lo].cookie == cookie ? lo : len;
}

int bpfport_join(struct bpfport_vec *recs, struct sockvec *socks,
		 struct bpfport_stats *st)
{
	size_t i;

	if (recs->len > 1)
		qsort(recs->v, recs->len, sizeof(recs->v[0]), rec_cmp);
	for (i = 0; i < socks->len; i++) {
		struct sock_rec *s = &socks->v[i];
		size_t k;

		if (s->proto != IPPROTO_TCP)
			continue;
		/* the port of a listener, of a bound socket and of a request
		 * socket (its listener's) is bind()-owned by definition; bound
		 * sockets are not in the iterator's tables at all */
		if (s->state == SOCK_LISTEN || s->state == SOCK_BOUND ||
		    s->state == SOCK_NEW_SYN_RECV) {
			s->bind = SOCK_BIND_OWNED;
			st->joined++;
			continue;
		}
		k = s->cookie ? rec_find(recs->v, recs->len, s->cookie)
			      : recs->len;
		if (k == recs->len) {
			st->missing++;
			continue;
		}
		s->bind = recs->v[k].bind;
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
	bp->obj = bpf_object__open_mem(bpfport_obj, bpfport_obj_len, NULL);
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
