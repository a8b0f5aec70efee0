#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include "conntrack.h"
#include "model.h"
#include "sampler.h"

/* ---- /proc/net/stat/nf_conntrack ---------------------------------------- */

static const char *const ct_col_names[CT_S_MAX] = {
	[CT_S_FOUND] = "found",
	[CT_S_INVALID] = "invalid",
	[CT_S_INSERT] = "insert",
	[CT_S_INSERT_FAILED] = "insert_failed",
	[CT_S_DROP] = "drop",
	[CT_S_EARLY_DROP] = "early_drop",
	[CT_S_ICMP_ERROR] = "icmp_error",
	[CT_S_CLASH_RESOLVE] = "clash_resolve",
	[CT_S_SEARCH_RESTART] = "search_restart",
	[CT_S_CHAIN_TOOLONG] = "chaintoolong",
};

const char *ct_stat_name(unsigned col)
{
	return col < CT_S_MAX ? ct_col_names[col] : "unknown";
}

/* The header's name for a column, where it differs from ours. */
static int ct_col_of(const char *tok, size_t n)
{
	static const struct {
		const char *name;
		int col;
	} alias[] = {
		{ "clashres", CT_S_CLASH_RESOLVE },
		{ "chainlength", CT_S_CHAIN_TOOLONG },
	};
	unsigned i;

	for (i = 0; i < CT_S_MAX; i++)
		if (strlen(ct_col_names[i]) == n &&
		    memcmp(ct_col_names[i], tok, n) == 0)
			return (int)i;
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strlen(alias[i].name) == n &&
		    memcmp(alias[i].name, tok, n) == 0)
			return alias[i].col;
	return -1;
}

/* Column kinds beyond enum ct_stat_col. */
#define CT_COL_SKIP (-1)
#define CT_COL_ENTRIES (-2)
/* More columns than any kernel prints (17 in 6.x). */
#define CT_MAX_COLS 64

static int ct_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint64_t ct_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int ct_parse_stat(const char *text, size_t len, struct ct_stats *out)
{
	int cols[CT_MAX_COLS];
	size_t ncols = 0, i = 0;
	int known_any = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	/* The header: names separated by blanks, up to the newline. */
	while (i < len && text[i] != '\n') {
		size_t start;
		int c;

		if (text[i] == ' ' || text[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' &&
		       text[i] != '\n')
			i++;
		if (ncols == CT_MAX_COLS)
			goto bad;
		if (i - start == 7 && memcmp(text + start, "entries", 7) == 0) {
			c = CT_COL_ENTRIES;
		} else {
			c = ct_col_of(text + start, i - start);
			if (c >= 0) {
				known_any = 1;
				out->known |= 1u << c;
			} else {
				c = CT_COL_SKIP;
			}
		}
		cols[ncols++] = c;
	}
	if (!known_any || i >= len)
		goto bad;
	i++;
	/* One line per CPU: exactly ncols hex numbers. */
	while (i < len) {
		size_t col = 0;

		if (text[i] == '\n') {   /* tolerate blank lines */
			i++;
			continue;
		}
		while (i < len && text[i] != '\n') {
			uint64_t v = 0;
			unsigned digits = 0;

			if (text[i] == ' ' || text[i] == '\t') {
				i++;
				continue;
			}
			while (i < len && ct_hexval(text[i]) >= 0) {
				if (++digits > 16)
					goto bad;
				v = v << 4 | (uint64_t)ct_hexval(text[i]);
				i++;
			}
			if (digits == 0 || col >= ncols ||
			    (i < len && text[i] != ' ' && text[i] != '\t' &&
			     text[i] != '\n'))
				goto bad;
			if (cols[col] >= 0)
				out->v[cols[col]] = ct_sat_add(out->v[cols[col]], v);
			else if (cols[col] == CT_COL_ENTRIES && v > out->entries)
				out->entries = v;   /* the same on every line */
			col++;
		}
		if (col != ncols)
			goto bad;
		out->cpus++;
		i++;
	}
	if (out->cpus == 0)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

/* ---- reading the files ---------------------------------------------------- */

/* Read at most max bytes of a file into a new buffer; -EFBIG past max. */
static int ct_slurp(const char *path, size_t max, char **out, size_t *outlen)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || len == cap) {
			char *nb;

			if (buf)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* A decimal number file ("262144\n"). */
static int ct_read_u64(const char *procroot, const char *name, int64_t *out)
{
	char path[4096], *buf = NULL;
	size_t len, i = 0;
	uint64_t v = 0;
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/sys/net/netfilter/%s",
			     procroot, name) >= sizeof(path))
		return -ENAMETOOLONG;
	err = ct_slurp(path, 64, &buf, &len);
	if (err)
		return err;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (v > (uint64_t)(INT64_MAX - 9) / 10) {
			err = -EINVAL;
			break;
		}
		v = v * 10 + (uint64_t)(buf[i] - '0');
		i++;
	}
	if (!err && (i == 0 || (i < len && !(buf[i] == '\n' && i + 1 == len))))
		err = -EINVAL;
	free(buf);
	if (!err)
		*out = (int64_t)v;
	return err;
}

void ct_sample_init(struct ct_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->count = -1;
	s->max = -1;
	s->nat_low = CT_NAT_LOW_DEFAULT;
	s->nat_high = CT_NAT_HIGH_DEFAULT;
}

void ct_sample_release(struct ct_sample *s)
{
	if (!s)
		return;
	free(s->nat);
	ct_sample_init(s);
}

void ct_sample_clear(struct ct_sample *s)
{
	struct ct_nat_dest *nat = s->nat;
	size_t cap = s->nat_cap;
	unsigned lo = s->nat_low, hi = s->nat_high;
	int given = s->nat_range_given;

	ct_sample_init(s);
	s->nat = nat;
	s->nat_cap = cap;
	s->nat_low = lo;
	s->nat_high = hi;
	s->nat_range_given = given;
}

int ct_read_proc(const char *procroot, struct ct_sample *s)
{
	char path[4096], *buf = NULL;
	size_t len;
	int err;

	ct_sample_clear(s);
	err = ct_read_u64(procroot, "nf_conntrack_count", &s->count);
	if (err) {
		s->count = -1;
		return err;
	}
	s->have |= CT_HAVE_FILL;
	if (ct_read_u64(procroot, "nf_conntrack_max", &s->max))
		s->max = -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/net/stat/nf_conntrack",
			     procroot) < sizeof(path) &&
	    ct_slurp(path, CT_STAT_MAX, &buf, &len) == 0) {
		if (ct_parse_stat(buf, len, &s->stats) == 0)
			s->have |= CT_HAVE_STATS;
		free(buf);
	}
	return 0;
}

/* ---- ctnetlink messages ---------------------------------------------------- */

/*
 * Walk the attributes in [p, p + len): calls fn for each, stops with
 * -EINVAL at the first one whose header or length does not fit (a
 * trailing pad shorter than an attribute header is accepted).
 */
typedef int (*ct_attr_fn)(const struct nlattr *a, void *arg);

static int ct_attr_walk(const void *p, size_t len, ct_attr_fn fn, void *arg)
{
	const char *c = p;

	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)c;
		size_t step;
		int err;

		if (!mnl_attr_ok(a, (int)(len > INT32_MAX ? INT32_MAX : len)))
			return -EINVAL;
		err = fn(a, arg);
		if (err)
			return err;
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			return 0;
		c += step;
		len -= step;
	}
	return 0;   /* at most a pad shorter than an attribute header */
}

static int ct_walk_nested(const struct nlattr *a, ct_attr_fn fn, void *arg)
{
	return ct_attr_walk(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
			    fn, arg);
}

/* What a tuple's walk found. */
struct ct_tuple_parse {
	struct ct_tuple *t;
	uint8_t family;            /* from the address attributes */
	unsigned seen;             /* bits: 1 src, 2 dst, 4 proto num */
};

static int ct_ip_cb(const struct nlattr *a, void *arg)
{
	struct ct_tuple_parse *tp = arg;
	uint16_t len = mnl_attr_get_payload_len(a);
	const void *pl = mnl_attr_get_payload(a);

	switch (mnl_attr_get_type(a)) {
	case CTA_IP_V4_SRC:
	case CTA_IP_V4_DST:
		if (len != 4 || (tp->family && tp->family != AF_INET))
			return -EINVAL;
		tp->family = AF_INET;
		if (mnl_attr_get_type(a) == CTA_IP_V4_SRC) {
			memcpy(tp->t->src, pl, 4);
			tp->seen |= 1;
		} else {
			memcpy(tp->t->dst, pl, 4);
			tp->seen |= 2;
		}
		break;
	case CTA_IP_V6_SRC:
	case CTA_IP_V6_DST:
		if (len != 16 || (tp->family && tp->family != AF_INET6))
			return -EINVAL;
		tp->family = AF_INET6;
		if (mnl_attr_get_type(a) == CTA_IP_V6_SRC) {
			memcpy(tp->t->src, pl, 16);
			tp->seen |= 1;
		} else {
			memcpy(tp->t->dst, pl, 16);
			tp->seen |= 2;
		}
		break;
	default:
		break;
	}
	return 0;
}

static uint16_t ct_get_be16(const struct nlattr *a)
{
	const uint8_t *b = mnl_attr_get_payload(a);

	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t ct_get_be32(const struct nlattr *a)
{
	const uint8_t *b = mnl_attr_get_payload(a);

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static int ct_proto_cb(const struct nlattr *a, void *arg)
{
	struct ct_tuple_parse *tp = arg;
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case CTA_PROTO_NUM:
		if (len != 1)
			return -EINVAL;
		tp->t->proto = mnl_attr_get_u8(a);
		tp->seen |= 4;
		break;
	case CTA_PROTO_SRC_PORT:
		if (len != 2)
			return -EINVAL;
		tp->t->sport = ct_get_be16(a);
		break;
	case CTA_PROTO_DST_PORT:
		if (len != 2)
			return -EINVAL;
		tp->t->dport = ct_get_be16(a);
		break;
	default:
		break;
	}
	return 0;
}

static int ct_tuple_cb(const struct nlattr *a, void *arg)
{
	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_IP:
		return ct_walk_nested(a, ct_ip_cb, arg);
	case CTA_TUPLE_PROTO:
		return ct_walk_nested(a, ct_proto_cb, arg);
	default:
		return 0;
	}
}

static int ct_parse_tuple(const struct nlattr *a, struct ct_tuple *t,
			  uint8_t *family)
{
	struct ct_tuple_parse tp = { .t = t };

	memset(t, 0, sizeof(*t));
	if (ct_walk_nested(a, ct_tuple_cb, &tp) ||
	    (tp.seen & 7) != 7)
		return -EINVAL;
	*family = tp.family;
	return 0;
}

static int ct_tcpinfo_cb(const struct nlattr *a, void *arg)
{
	struct ct_entry *e = arg;

	if (mnl_attr_get_type(a) == CTA_PROTOINFO_TCP_STATE) {
		if (mnl_attr_get_payload_len(a) != 1)
			return -EINVAL;
		e->tcp_state = mnl_attr_get_u8(a);
	}
	return 0;
}

static int ct_protoinfo_cb(const struct nlattr *a, void *arg)
{
	if (mnl_attr_get_type(a) == CTA_PROTOINFO_TCP)
		return ct_walk_nested(a, ct_tcpinfo_cb, arg);
	return 0;
}

/* What the top-level walk found. */
struct ct_msg_parse {
	struct ct_entry *e;
	uint8_t fam_orig, fam_reply;
	unsigned seen;             /* 1 orig, 2 reply */
};

static int ct_msg_cb(const struct nlattr *a, void *arg)
{
	struct ct_msg_parse *mp = arg;
	struct ct_entry *e = mp->e;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_ORIG:
		if (mp->seen & 1)
			return -EINVAL;
		mp->seen |= 1;
		return ct_parse_tuple(a, &e->orig, &mp->fam_orig);
	case CTA_TUPLE_REPLY:
		if (mp->seen & 2)
			return -EINVAL;
		mp->seen |= 2;
		return ct_parse_tuple(a, &e->reply, &mp->fam_reply);
	case CTA_STATUS:
		if (mnl_attr_get_payload_len(a) != 4)
			return -EINVAL;
		e->status = ct_get_be32(a);
		return 0;
	case CTA_ZONE:
		if (mnl_attr_get_payload_len(a) != 2)
			return -EINVAL;
		e->zone = ct_get_be16(a);
		return 0;
	case CTA_PROTOINFO:
		return ct_walk_nested(a, ct_protoinfo_cb, e);
	default:
		return 0;
	}
}

int ct_parse_msg(const struct nlmsghdr *nlh, struct ct_entry *out)
{
	const size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
	const struct nfgenmsg *nfg;
	struct ct_msg_parse mp = { .e = out };

	memset(out, 0, sizeof(*out));
	out->tcp_state = CT_TCP_UNKNOWN;
	if (nlh->nlmsg_len < hdr)
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (ct_attr_walk((const char *)nlh + hdr, nlh->nlmsg_len - hdr,
			 ct_msg_cb, &mp))
		return -EINVAL;
	/* Both tuples, of one family, which is the message's own. */
	if (mp.seen != 3 || mp.fam_orig != mp.fam_reply ||
	    (mp.fam_orig != AF_INET && mp.fam_orig != AF_INET6) ||
	    nfg->nfgen_family != mp.fam_orig ||
	    out->orig.proto != out->reply.proto)
		return -EINVAL;
	out->family = mp.fam_orig;
	if (out->orig.proto != IPPROTO_TCP)
		out->tcp_state = CT_TCP_NONE;
	return 0;
}

/* ---- NAT destinations -------------------------------------------------------- */

/* One entry, keyed by its reply tuple: 40 bytes, so a table of a million
 * entries costs 40 MB at most, and only while a dump is counted. */
struct ct_rec {
	uint8_t nat[16];           /* reply destination: the NAT address */
	uint8_t dst[16];           /* reply source: the destination */
	uint16_t dport;            /* reply source port */
	uint16_t port;             /* reply destination port: the NAT port */
	uint8_t family;
	uint8_t proto;
	uint8_t state;             /* enum ct_tcp_state */
	uint8_t snat;              /* IPS_SRC_NAT */
};

struct ct_nat_acc {
	unsigned low, high;
	struct ct_rec *v;
	size_t len, cap;
	int truncated;
};

int ct_nat_acc_new(struct ct_nat_acc **out, unsigned nat_low,
		   unsigned nat_high)
{
	struct ct_nat_acc *a;

	*out = NULL;
	if (nat_low < 1 || nat_low > nat_high || nat_high > 65535)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->low = nat_low;
	a->high = nat_high;
	*out = a;
	return 0;
}

void ct_nat_acc_free(struct ct_nat_acc *a)
{
	if (!a)
		return;
	free(a->v);
	free(a);
}

void ct_nat_acc_reset(struct ct_nat_acc *a)
{
	a->len = 0;
	a->truncated = 0;
}

int ct_nat_acc_add(struct ct_nat_acc *a, const struct ct_entry *e)
{
	struct ct_rec *r;

	if (e->orig.proto != IPPROTO_TCP && e->orig.proto != IPPROTO_UDP)
		return 0;
	if (a->len >= CT_MAX_ENTRIES) {
		a->truncated = 1;
		return -E2BIG;
	}
	if (a->len == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 1024;
		struct ct_rec *nv;

		if (nc > CT_MAX_ENTRIES)
			nc = CT_MAX_ENTRIES;
		nv = realloc(a->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->cap = nc;
	}
	r = &a->v[a->len++];
	memcpy(r->nat, e->reply.dst, 16);
	memcpy(r->dst, e->reply.src, 16);
	r->dport = e->reply.sport;
	r->port = e->reply.dport;
	r->family = e->family;
	r->proto = e->orig.proto;
	r->state = e->tcp_state;
	r->snat = (e->status & CT_STATUS_SRC_NAT) != 0;
	return 0;
}

/* Order of the group key, then the NAT port. */
static int ct_rec_cmp_key(const struct ct_rec *a, const struct ct_rec *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	c = memcmp(a->nat, b->nat, 16);
	if (c)
		return c;
	c = memcmp(a->dst, b->dst, 16);
	if (c)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	return 0;
}

static int ct_rec_cmp(const void *pa, const void *pb)
{
	const struct ct_rec *a = pa, *b = pb;
	int c = ct_rec_cmp_key(a, b);

	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

/* Most at risk first; then by size, then by key for a stable order. */
static int ct_dest_cmp(const void *pa, const void *pb)
{
	const struct ct_nat_dest *a = pa, *b = pb;
	int c;

	if (a->available != b->available)
		return a->available < b->available ? -1 : 1;
	if (a->entries != b->entries)
		return a->entries > b->entries ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	c = memcmp(a->nat_addr, b->nat_addr, 16);
	if (c)
		return c;
	c = memcmp(a->daddr, b->daddr, 16);
	if (c)
		return c;
	return (a->dport > b->dport) - (a->dport < b->dport);
}

int ct_nat_acc_finish(struct ct_nat_acc *a, struct ct_sample *s)
{
	uint32_t size = a->high - a->low + 1;
	size_t i = 0, n = 0;

	s->nnat = 0;
	s->nat_low = a->low;
	s->nat_high = a->high;
	if (a->truncated)
		s->flags |= CT_TRUNCATED;
	if (a->len)
		qsort(a->v, a->len, sizeof(*a->v), ct_rec_cmp);
	while (i < a->len) {
		const struct ct_rec *g = &a->v[i];
		struct ct_nat_dest d;
		size_t j;
		int last = -1;

		memset(&d, 0, sizeof(d));
		for (j = i; j < a->len && ct_rec_cmp_key(g, &a->v[j]) == 0; j++) {
			const struct ct_rec *r = &a->v[j];

			d.entries++;
			d.nat_entries += r->snat;
			if (r->proto == IPPROTO_TCP &&
			    r->state == CT_TCP_ESTABLISHED)
				d.established++;
			else if (r->proto == IPPROTO_TCP &&
				 r->state == CT_TCP_TIME_WAIT)
				d.time_wait++;
			else
				d.other++;
			/* sorted by port: count each port once */
			if (r->port >= a->low && r->port <= a->high &&
			    (int)r->port != last)
				d.in_use++;
			last = r->port;
		}
		i = j;
		if (!d.nat_entries)
			continue;     /* nobody is NAT'ed toward it */
		if (n >= CT_MAX_NAT_DESTS) {
			s->flags |= CT_TRUNCATED;
			break;
		}
		if (n == s->nat_cap) {
			size_t nc = s->nat_cap ? s->nat_cap * 2 : 16;
			struct ct_nat_dest *nv = realloc(s->nat, nc * sizeof(*nv));

			if (!nv) {
				s->nnat = 0;
				return -ENOMEM;
			}
			s->nat = nv;
			s->nat_cap = nc;
		}
		memcpy(d.nat_addr, g->nat, 16);
		memcpy(d.daddr, g->dst, 16);
		d.dport = g->dport;
		d.family = g->family;
		d.proto = g->proto;
		d.available = d.in_use < size ? size - d.in_use : 0;
		d.headroom_pct = 100.0 * d.available / size;
		s->nat[n++] = d;
	}
	if (n)
		qsort(s->nat, n, sizeof(*s->nat), ct_dest_cmp);
	s->nnat = n;
	return 0;
}

/* ---- dumps ---------------------------------------------------------------------- */

static int ct_parse_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EPROTO;
	e = mnl_nlmsg_get_payload(nlh);
	/* error 0 is an ack; a positive value is not the kernel's */
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	return e->error;
}

static int ct_parse_done(const struct nlmsghdr *nlh)
{
	int32_t st;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(st))
		return CT_PARSE_DONE;
	memcpy(&st, mnl_nlmsg_get_payload(nlh), sizeof(st));
	return st < 0 && st >= -4095 ? st : CT_PARSE_DONE;
}

/* acc == NULL drains: only the end of the dump is sought. */
static int ct_walk(const void *buf, size_t len, uint32_t seq,
		   struct ct_nat_acc *acc, uint64_t *entries,
		   uint64_t *malformed)
{
	const char *p = buf;
	size_t left = len;
	struct ct_entry e;
	int err;

	while (left > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > left) {
			if (acc && malformed)
				(*malformed)++;
			break;
		}
		step = MNL_ALIGN(nlh->nlmsg_len);
		p += step < left ? step : left;
		left -= step < left ? step : left;
		if (nlh->nlmsg_seq != seq)
			continue;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			err = ct_parse_error(nlh);
			if (err < 0)
				return err;
			continue;
		case NLMSG_DONE:
			return ct_parse_done(nlh);
		default:
			break;
		}
		if (!acc)
			continue;
		if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) |
					IPCTNL_MSG_CT_NEW) ||
		    ct_parse_msg(nlh, &e) < 0) {
			if (malformed)
				(*malformed)++;
			continue;
		}
		if (entries)
			(*entries)++;
		err = ct_nat_acc_add(acc, &e);
		if (err == -ENOMEM)
			return err;
	}
	return CT_PARSE_MORE;
}

int ct_parse(const void *buf, size_t len, uint32_t seq, struct ct_nat_acc *acc,
	     uint64_t *entries, uint64_t *malformed)
{
	if (!acc)
		return -EINVAL;
	return ct_walk(buf, len, seq, acc, entries, malformed);
}

struct conntrack {
	struct nlio io;
	struct ct_nat_acc *acc;
	int nat_given;
	int denied;                /* -EPERM seen: do not ask again */
	uint32_t w[NLIO_BUF_SIZE / sizeof(uint32_t)];   /* receive buffer */
};

/* The real socket: like nlio's, for NETLINK_NETFILTER. */
static ssize_t ct_mnl_send(void *ctx, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(ctx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t ct_mnl_recv(void *ctx, void *buf, size_t len)
{
	ssize_t n = mnl_socket_recvfrom(ctx, buf, len);

	return n < 0 ? -errno : n;
}

static void ct_mnl_close(void *ctx)
{
	mnl_socket_close(ctx);
}

static const struct nlio_ops ct_mnl_ops = {
	.send = ct_mnl_send,
	.recv = ct_mnl_recv,
	.close = ct_mnl_close,
};

int conntrack_new(struct conntrack **out, struct nlio *io, unsigned nat_low,
		  unsigned nat_high, int nat_given)
{
	struct conntrack *ct = calloc(1, sizeof(*ct));
	int err;

	*out = NULL;
	if (!ct) {
		nlio_close(io);
		return -ENOMEM;
	}
	err = ct_nat_acc_new(&ct->acc, nat_low, nat_high);
	if (err) {
		free(ct);
		nlio_close(io);
		return err;
	}
	ct->io = *io;
	io->ops = NULL;
	ct->nat_given = nat_given;
	*out = ct;
	return 0;
}

int conntrack_open(struct conntrack **out, unsigned nat_low,
		   unsigned nat_high, int nat_given)
{
	struct mnl_socket *nl;
	struct nlio io;
	int err;

	*out = NULL;
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	io.ops = &ct_mnl_ops;
	io.ctx = nl;
	io.portid = mnl_socket_get_portid(nl);
	io.seq = 1;
	return conntrack_new(out, &io, nat_low, nat_high, nat_given);
}

void conntrack_free(struct conntrack *ct)
{
	if (!ct)
		return;
	nlio_close(&ct->io);
	ct_nat_acc_free(ct->acc);
	free(ct);
}

static int ct_request(struct conntrack *ct, uint32_t seq)
{
	union {
		struct nlmsghdr h;
		char b[MNL_ALIGN(MNL_NLMSG_HDRLEN +
				 MNL_ALIGN(sizeof(struct nfgenmsg)))];
	} req;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.b);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = ct->io.portid;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;   /* every family */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	n = ct->io.ops->send(ct->io.ctx, nlh, nlh->nlmsg_len);
	if (n < 0)
		return (int)n;
	return (size_t)n == nlh->nlmsg_len ? 0 : -EPROTO;
}

static ssize_t ct_recv(struct conntrack *ct)
{
	ssize_t n;

	do
		n = ct->io.ops->recv(ct->io.ctx, ct->w, sizeof(ct->w));
	while (n == -EINTR);
	if (n > (ssize_t)sizeof(ct->w))
		return -EPROTO;
	return n;
}

/* Read an abandoned dump to its end (one dump per socket at a time). */
static void ct_drain(struct conntrack *ct, ssize_t n, uint32_t seq)
{
	int rounds;

	/* bounded: a transport that never ends cannot hold us forever */
	for (rounds = 0; rounds < 1 << 20; rounds++) {
		if (n > 0 && ct_walk(ct->w, (size_t)n, seq, NULL, NULL, NULL)
		    != CT_PARSE_MORE)
			return;
		n = ct_recv(ct);
		if (n <= 0)
			return;
	}
}

int conntrack_dump(struct conntrack *ct, struct ct_sample *s)
{
	uint32_t seq;
	ssize_t n;
	int err;

	s->have &= ~(unsigned)CT_HAVE_DUMP;
	s->nnat = 0;
	s->entries = 0;
	s->malformed = 0;
	s->nat_range_given = ct ? ct->nat_given : 0;
	if (!ct || !ct->io.ops) {
		s->dump_err = -EBADF;
		return -EBADF;
	}
	if (ct->denied) {
		s->dump_err = -EPERM;
		return -EPERM;
	}
	ct_nat_acc_reset(ct->acc);
	s->nat_low = ct->acc->low;
	s->nat_high = ct->acc->high;
	seq = ct->io.seq++;
	err = ct_request(ct, seq);
	while (err == 0) {
		n = ct_recv(ct);
		if (n < 0) {
			err = (int)n;
			if (err == -ENOSPC)
				ct_drain(ct, 0, seq);
			break;
		}
		if (n == 0) {
			err = -EPROTO;
			break;
		}
		err = ct_walk(ct->w, (size_t)n, seq, ct->acc, &s->entries,
			      &s->malformed);
		if (err == CT_PARSE_DONE) {
			err = 0;
			break;
		}
		if (err == -ENOMEM)
			ct_drain(ct, n, seq);
	}
	if (err == 0)
		err = ct_nat_acc_finish(ct->acc, s);
	if (err) {
		if (err == -EPERM)
			ct->denied = 1;
		s->dump_err = err;
		s->nnat = 0;
		return err;
	}
	s->dump_err = 0;
	s->have |= CT_HAVE_DUMP;
	return 0;
}

const char *ct_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
		return "no CAP_NET_ADMIN: only the fill counters are shown";
	case EPROTONOSUPPORT:
		return "no nfnetlink in this kernel";
	case EOPNOTSUPP:
	case ENOENT:
		return "ctnetlink not available (module nf_conntrack_netlink?)";
	case EPROTO:
		return "ctnetlink reply ended early or was malformed";
	case ENOSPC:
		return "a ctnetlink message was larger than the receive buffer";
	case EBADF:
		return "no ctnetlink socket";
	default:
		return strerror(err);
	}
}

/* ---- the model's side ------------------------------------------------------------ */

void ct_model_release(struct ct_model *cm)
{
	if (!cm)
		return;
	free(cm->nat);
	memset(cm, 0, sizeof(*cm));
}

static void ct_addr_text(const struct ct_nat_dest *d, const uint8_t *a,
			 char *buf, size_t len)
{
	sock_addr_format(d->family, a, buf, len);
}

static const char *ct_proto_name(unsigned proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void ct_warn(struct snapshot *snap, const struct ct_snap *c)
{
	uint64_t lost;
	size_t i, used_up = 0;

	if (c->in_use && c->max > 0 && isfinite(c->fill_pct) &&
	    c->fill_pct >= CT_FILL_WARN_PCT)
		snapshot_warn(snap, "conntrack table %.0f%% full (%lld of "
			      "%lld): new connections are dropped when it "
			      "fills", c->fill_pct, (long long)c->count,
			      (long long)c->max);
	lost = c->delta[CT_S_DROP] > c->delta[CT_S_INSERT_FAILED] ?
	       c->delta[CT_S_DROP] : c->delta[CT_S_INSERT_FAILED];
	if (c->have_rates && lost)
		snapshot_warn(snap, "conntrack dropped packets in the last "
			      "%.1f s (insert_failed +%llu, drop +%llu, "
			      "early_drop +%llu): clients see timeouts",
			      c->interval_s,
			      (unsigned long long)c->delta[CT_S_INSERT_FAILED],
			      (unsigned long long)c->delta[CT_S_DROP],
			      (unsigned long long)c->delta[CT_S_EARLY_DROP]);
	for (i = 0; i < c->nnat; i++)
		if (c->nat[i].available == 0)
			used_up++;
	if (used_up) {
		const struct ct_nat_dest *d = &c->nat[0];
		char nat[64], dst[64];

		ct_addr_text(d, d->nat_addr, nat, sizeof(nat));
		ct_addr_text(d, d->daddr, dst, sizeof(dst));
		snapshot_warn(snap, "SNAT ports used up toward %s %s%s%s:%u "
			      "via %s (%u of %u)%s: new connections to it are "
			      "dropped", ct_proto_name(d->proto),
			      d->family == AF_INET6 ? "[" : "", dst,
			      d->family == AF_INET6 ? "]" : "", d->dport, nat,
			      d->in_use, c->nat_size,
			      used_up > 1 ? " and more" : "");
	}
	if (c->in_use && c->dump_err == -EPERM)
		snapshot_warn(snap, "conntrack: %s", ct_strerror(c->dump_err));
	else if (c->in_use && c->dump_err && c->dump_err != -EBADF)
		snapshot_warn(snap, "conntrack dump failed: %s",
			      ct_strerror(c->dump_err));
	if (c->flags & CT_TRUNCATED)
		snapshot_warn(snap, "conntrack table too large: some NAT "
			      "entries were not counted");
}

int ct_model_update(struct ct_model *cm, struct snapshot *snap,
		    const struct sample *s)
{
	const struct ct_sample *in = &s->ct;
	struct ct_snap *c = &snap->ct;
	unsigned i;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->have = in->have;
	c->count = in->count;
	c->max = in->max;
	c->fill_pct = in->count >= 0 && in->max > 0 ?
		      100.0 * (double)in->count / (double)in->max : (double)NAN;
	c->stats = in->stats;
	for (i = 0; i < CT_S_MAX; i++)
		c->rate[i] = (double)NAN;
	c->in_use = (in->have & CT_HAVE_FILL) &&
		    (in->count > 0 || in->stats.v[CT_S_INSERT] > 0 ||
		     in->stats.v[CT_S_FOUND] > 0 ||
		     in->stats.v[CT_S_INSERT_FAILED] > 0 ||
		     in->stats.v[CT_S_DROP] > 0 || in->nnat > 0);
	c->dump_err = in->dump_err;
	c->nat_low = in->nat_low;
	c->nat_high = in->nat_high;
	c->nat_size = in->nat_high >= in->nat_low ?
		      in->nat_high - in->nat_low + 1 : 0;
	c->nat_range_given = in->nat_range_given;
	c->entries = in->entries;
	c->flags = in->flags;

	if ((in->have & CT_HAVE_STATS) && cm->have_prev &&
	    s->mono > cm->prev_mono) {
		c->have_rates = 1;
		c->interval_s = s->mono - cm->prev_mono;
		for (i = 0; i < CT_S_MAX; i++) {
			if (!(in->stats.known & cm->prev.known & (1u << i)))
				continue;
			/* a counter that went back was reset: unknown */
			if (in->stats.v[i] < cm->prev.v[i])
				continue;
			c->delta[i] = in->stats.v[i] - cm->prev.v[i];
			c->rate[i] = (double)c->delta[i] / c->interval_s;
		}
	}
	if (in->have & CT_HAVE_STATS) {
		cm->prev = in->stats;
		cm->prev_mono = s->mono;
		cm->have_prev = 1;
	} else {
		cm->have_prev = 0;
	}

	if (in->nnat) {
		if (in->nnat > cm->nat_cap) {
			struct ct_nat_dest *nv = realloc(cm->nat,
							 in->nnat * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				snapshot_warn(snap, "out of memory: NAT "
					      "destinations not shown");
			} else {
				cm->nat = nv;
				cm->nat_cap = in->nnat;
			}
		}
		if (!err) {
			memcpy(cm->nat, in->nat, in->nnat * sizeof(*cm->nat));
			c->nat = cm->nat;
			c->nnat = in->nnat;
		}
	}
	ct_warn(snap, c);
	return err;
}
