#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"

/* Largest errno accepted from an NLMSG_ERROR (the kernel's MAX_ERRNO). */
#define DIAG_MAX_ERRNO 4095

#define DIAG_STR_(x) #x
#define DIAG_STR(x) DIAG_STR_(x)

/* ---- one message --------------------------------------------------------- */

struct diag_attrs {
	int v6only;     /* INET_DIAG_SKV6ONLY value, -1 if absent */
	uint64_t cgroup_id; /* INET_DIAG_CGROUP_ID value, 0 if absent */
};

/*
 * The attributes of one message, from payload up to end. This runs for
 * every socket, so it is a plain loop rather than libmnl's callback walk
 * (a fifth of a whole sample), with libmnl's rules: every attribute needs
 * a whole header and a length that fits what is left (else the message is
 * malformed, as are bytes left over that cannot hold one); the last one
 * may lack its alignment padding; a known attribute must have exactly its
 * type's size (mnl_attr_validate). Returns 0 or -EINVAL.
 */
static int diag_parse_attrs(const char *p, const char *end,
			    struct diag_attrs *a)
{
	while (p < end) {
		size_t left = (size_t)(end - p), step;
		struct nlattr h;
		uint16_t type;

		if (left < sizeof(h))
			return -EINVAL;
		memcpy(&h, p, sizeof(h));
		if (h.nla_len < sizeof(h) || h.nla_len > left)
			return -EINVAL;
		type = h.nla_type & NLA_TYPE_MASK;
		if (type == INET_DIAG_SKV6ONLY) {
			if (h.nla_len != MNL_ATTR_HDRLEN + sizeof(uint8_t))
				return -EINVAL;
			a->v6only = (uint8_t)p[MNL_ATTR_HDRLEN];
		} else if (type == INET_DIAG_CGROUP_ID) {
			/* The kernel sends the cgroup id of every full
			 * socket unasked (inet_diag_msg_attrs_fill,
			 * CONFIG_SOCK_CGROUP_DATA). */
			if (h.nla_len != MNL_ATTR_HDRLEN + sizeof(uint64_t))
				return -EINVAL;
			memcpy(&a->cgroup_id, p + MNL_ATTR_HDRLEN,
			       sizeof(uint64_t));
		}
		/* Other attributes (SHUTDOWN, MARK, SOCKOPT...) are not used. */
		step = MNL_ALIGN(h.nla_len);
		if (step >= left)
			break;
		p += step;
	}
	return 0;
}

static int diag_is_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static int diag_is_zero(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

/*
 * IPv4-mapped addresses: an AF_INET6 socket talking IPv4 is hashed and gets
 * its ports from the IPv4 tables, so it becomes an IPv4 record. When one
 * side is mapped and the other is the unspecified address (a dual-stack
 * socket bound to :: whose peer is ::ffff:a.b.c.d, seen while it connects,
 * or a socket bound to a mapped address with no peer), the unspecified side
 * becomes 0.0.0.0: the traffic can only be IPv4. A mapped address paired
 * with a real IPv6 address cannot happen in a kernel message; such a record
 * is left as IPv6, untouched, so the socket is still counted and no IPv4
 * address is invented.
 */
static uint8_t diag_normalise(uint8_t *saddr, uint8_t *daddr)
{
	int sm = diag_is_mapped(saddr), dm = diag_is_mapped(daddr);

	if (!sm && !dm)
		return AF_INET6;
	if ((!sm && !diag_is_zero(saddr)) || (!dm && !diag_is_zero(daddr)))
		return AF_INET6;
	sock_addr_normalise(AF_INET6, saddr);
	sock_addr_normalise(AF_INET6, daddr);
	return AF_INET;
}

/* diag_parse_msg() for replies of message type `type` (that of the
 * request: SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK, see diag_dump_set). */
static int diag_parse_typed(const struct nlmsghdr *nlh, uint16_t type,
			    uint8_t proto, struct sock_rec *out)
{
	const struct inet_diag_msg *m;
	struct diag_attrs attrs = { .v6only = -1, .cgroup_id = 0 };
	const char *payload, *end;
	uint32_t lo, hi;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*m) ||
	    nlh->nlmsg_type != type)
		return -EINVAL;
	/* mnl_nlmsg_get_payload{,_offset}() by hand: they are calls into
	 * libmnl, and this runs for every socket */
	m = (const struct inet_diag_msg *)((const char *)nlh +
					   MNL_NLMSG_HDRLEN);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	/* Only the kernel's own states: anything else would index past the
	 * model's per-state tables (and 13 is porttop's SOCK_BOUND). */
	if (m->idiag_state < SOCK_ESTABLISHED ||
	    m->idiag_state > SOCK_NEW_SYN_RECV)
		return -EINVAL;

	/* Attributes follow the aligned header, up to nlmsg_len exactly (not
	 * its aligned value: the bytes past it are not ours to read). */
	payload = (const char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*m));
	end = (const char *)nlh + nlh->nlmsg_len;
	if (payload < end && diag_parse_attrs(payload, end, &attrs) < 0)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	if (m->idiag_family == AF_INET) {
		memcpy(out->saddr, m->id.idiag_src, 4);
		memcpy(out->daddr, m->id.idiag_dst, 4);
		out->family = AF_INET;
	} else {
		memcpy(out->saddr, m->id.idiag_src, 16);
		memcpy(out->daddr, m->id.idiag_dst, 16);
		if (attrs.v6only > 0)
			out->flags |= SOCK_F_V6ONLY;
		out->family = diag_normalise(out->saddr, out->daddr);
	}
	out->sport = ntohs(m->id.idiag_sport);
	out->dport = ntohs(m->id.idiag_dport);
	out->ifindex = m->id.idiag_if;
	lo = m->id.idiag_cookie[0];
	hi = m->id.idiag_cookie[1];
	if (lo == INET_DIAG_NOCOOKIE && hi == INET_DIAG_NOCOOKIE)
		out->cookie = 0;
	else
		out->cookie = (uint64_t)hi << 32 | lo;
	out->cgroup_id = attrs.cgroup_id;
	out->uid = m->idiag_uid;
	out->inode = m->idiag_inode;
	out->expires_ms = m->idiag_expires;
	out->timer = m->idiag_timer;
	out->proto = proto;
	out->state = m->idiag_state;
	/* A TCP socket in CLOSE is only dumped from the bind table (bound,
	 * neither listening nor connected: TCPF_BOUND_INACTIVE). UDP keeps
	 * CLOSE (unconnected) and ESTABLISHED (connected). */
	if (proto == IPPROTO_TCP && out->state == SOCK_CLOSE)
		out->state = SOCK_BOUND;
	return 0;
}

int diag_parse_msg(const struct nlmsghdr *nlh, uint8_t proto,
		   struct sock_rec *out)
{
	return diag_parse_typed(nlh, SOCK_DIAG_BY_FAMILY, proto, out);
}

/* ---- one datagram ------------------------------------------------------- */

static int diag_parse_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EPROTO;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -DIAG_MAX_ERRNO)
		return -EPROTO;
	return e->error; /* 0 is an acknowledgement: the dump goes on */
}

/*
 * NLMSG_DONE carries the dump's final status when the kernel has one (an
 * int, 0 or a negative errno): a dump that ended in error is incomplete.
 */
static int diag_parse_done(const struct nlmsghdr *nlh)
{
	int err;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(err))
		return DIAG_PARSE_DONE;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0 && err >= -DIAG_MAX_ERRNO)
		return err;
	return DIAG_PARSE_DONE;
}

/*
 * The walk shared by diag_parse() and the drain after an aborted dump.
 * out == NULL drains: no record is made, nothing is counted, and
 * NLM_F_DUMP_INTR no longer matters: only the end of the dump is sought.
 */
static int diag_walk(const void *buf, size_t len, uint32_t seq,
		     uint16_t type, uint8_t proto, struct sockvec *out,
		     struct diag_stats *st)
{
	const char *p = buf;
	size_t left = len;
	int err;

	while (left > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > left) {
			/* Truncated: the rest of the datagram can't be
			 * framed, so stop here. */
			if (out)
				st->malformed++;
			break;
		}
		step = MNL_ALIGN(nlh->nlmsg_len);
		p += step < left ? step : left;
		left -= step < left ? step : left;

		if (nlh->nlmsg_seq != seq)
			continue;
		if (out && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
			return -EAGAIN;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			err = diag_parse_error(nlh);
			if (err == -EPROTO && out)
				st->malformed++;
			if (err < 0)
				return err;
			continue;
		case NLMSG_DONE:
			return diag_parse_done(nlh);
		default:
			break;
		}
		if (!out)
			continue;
		st->messages++;
		/* parsed in place: no copy per socket */
		if (out->len == out->cap && sockvec_reserve(out, 1) < 0)
			return -ENOMEM;
		if (diag_parse_typed(nlh, type, proto, &out->v[out->len]) < 0) {
			st->malformed++;
			continue;
		}
		out->len++;
		st->sockets++;
	}
	return DIAG_PARSE_MORE;
}

int diag_parse(const void *buf, size_t len, uint32_t seq, uint8_t proto,
	       struct sockvec *out, struct diag_stats *st)
{
	struct diag_stats dummy;

	if (!st) {
		memset(&dummy, 0, sizeof(dummy));
		st = &dummy;
	}
	return diag_walk(buf, len, seq, SOCK_DIAG_BY_FAMILY, proto, out, st);
}

/* ---- dumps ---------------------------------------------------------------- */

/* Receive buffer: u32 for the alignment of the headers read from it. */
struct diag_rxbuf {
	uint32_t w[NLIO_BUF_SIZE / sizeof(uint32_t)];
};

static ssize_t diag_recv(struct nlio *io, struct diag_rxbuf *rx)
{
	ssize_t n;

	do
		n = io->ops->recv(io->ctx, rx->w, sizeof(rx->w));
	while (n == -EINTR);
	if (n > (ssize_t)sizeof(rx->w))
		return -EPROTO; /* a transport that ignores the size given */
	return n;
}

/*
 * After giving up on a dump while the kernel is still producing it, read
 * it to its end: a netlink socket runs one dump at a time, and the next
 * request would otherwise fail with EBUSY. `n` bytes of the current
 * datagram are still in rx. Stops at the end of the dump or when the
 * transport fails or ends.
 */
static void diag_drain(struct nlio *io, struct diag_rxbuf *rx, ssize_t n,
		       uint32_t seq)
{
	for (;;) {
		if (n > 0 && diag_walk(rx->w, (size_t)n, seq, 0, 0, NULL, NULL)
		    != DIAG_PARSE_MORE)
			return;
		n = diag_recv(io, rx);
		if (n <= 0)
			return;
	}
}

/* The request of a dump: SOCK_DIAG_BY_FAMILY for one family and
 * protocol, or (type TCPDIAG_GETSOCK) every TCP socket of every family. */
/*
 * A dump's filter: the states asked for, and sock_diag bytecode
 * (INET_DIAG_REQ_BYTECODE) the kernel runs on every socket, or none.
 */
struct diag_filter {
	uint32_t states;
	const void *bc;
	size_t bc_len;
};

static const struct diag_filter diag_all = { 0xffff, NULL, 0 };

#define DIAG_BC_MAX 64

static int diag_request(struct nlio *io, uint16_t type, int family,
			uint8_t proto, uint32_t seq,
			const struct diag_filter *flt)
{
	union {
		struct nlmsghdr h;
		/* room for either request (the older one is the larger)
		 * and a short bytecode attribute */
		char b[MNL_ALIGN(MNL_NLMSG_HDRLEN +
				 MNL_ALIGN(sizeof(struct inet_diag_req_v2) >
					   sizeof(struct inet_diag_req) ?
					   sizeof(struct inet_diag_req_v2) :
					   sizeof(struct inet_diag_req))) +
		       MNL_ATTR_HDRLEN + DIAG_BC_MAX];
	} req;
	struct nlmsghdr *nlh;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = io->portid;
	/* No extensions: keeps messages small. Every state, bit 13
	 * (TCPF_BOUND_INACTIVE, Linux 6.8+) included: older kernels ignore
	 * the bit. */
	if (type == TCPDIAG_GETSOCK) {
		struct inet_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->idiag_family = AF_UNSPEC;  /* the kernel ignores it */
		r->idiag_ext = 0;
		r->idiag_states = flt->states;
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	} else {
		struct inet_diag_req_v2 *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = (uint8_t)family;
		r->sdiag_protocol = proto;
		r->idiag_ext = 0;
		r->idiag_states = flt->states;
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
	if (flt->bc_len) {
		if (flt->bc_len > DIAG_BC_MAX)
			return -EINVAL;
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, flt->bc_len, flt->bc);
	}

	n = io->ops->send(io->ctx, nlh, nlh->nlmsg_len);
	if (n < 0)
		return (int)n;
	if ((size_t)n != nlh->nlmsg_len)
		return -EPROTO;
	return 0;
}

/* diag_dump() with the request of message type `type` (diag_request). */
static int diag_dump_typed(struct nlio *io, uint16_t type, int family,
			   uint8_t proto, const struct diag_filter *flt,
			   struct sockvec *out, struct diag_stats *st)
{
	struct diag_rxbuf *rx;
	struct diag_stats dummy;
	size_t len0 = out->len;
	uint32_t seq;
	ssize_t n;
	int err;

	if (!io || !io->ops)
		return -EBADF;
	if (!st) {
		memset(&dummy, 0, sizeof(dummy));
		st = &dummy;
	}
	rx = malloc(sizeof(*rx));
	if (!rx)
		return -ENOMEM;

	seq = io->seq++;
	err = diag_request(io, type, family, proto, seq, flt);
	while (err == 0) {
		n = diag_recv(io, rx);
		if (n < 0) {
			err = (int)n;
			/* A datagram too large for the buffer is lost but
			 * the dump goes on behind it. */
			if (err == -ENOSPC)
				diag_drain(io, rx, 0, seq);
			break;
		}
		if (n == 0) {
			err = -EPROTO;
			break;
		}
		err = diag_walk(rx->w, (size_t)n, seq, type, proto, out, st);
		if (err == DIAG_PARSE_DONE) {
			err = 0;
			break;
		}
		if (err == -EAGAIN || err == -ENOMEM)
			diag_drain(io, rx, n, seq);
	}
	free(rx);
	/* Never leave part of a dump behind (the contract requires it for
	 * -EAGAIN; other errors are handled the same way). */
	if (err < 0)
		out->len = len0;
	return err;
}

int diag_dump(struct nlio *io, int family, uint8_t proto,
	      struct sockvec *out, struct diag_stats *st)
{
	return diag_dump_typed(io, SOCK_DIAG_BY_FAMILY, family, proto,
			       &diag_all, out, st);
}

/*
 * An error that means "this (family, protocol) does not exist here" rather
 * than "the sample failed".
 */
static int diag_absent(int family, uint8_t proto, int err)
{
	/* A kernel without IPv6. */
	if (family == AF_INET6 &&
	    (err == -EINVAL || err == -EAFNOSUPPORT || err == -ENOENT))
		return 1;
	/* udp_diag not loaded/built: the sample then has no UDP sockets, so
	 * the model does not see UDP's port use. Better than no sample. */
	if (proto == IPPROTO_UDP && err == -ENOENT)
		return 1;
	return 0;
}

static int diag_dump_set(struct nlio *io, struct sockvec *out,
			 struct diag_stats *st)
{
	static const struct {
		int family;
		uint8_t proto;
	} set[] = {
		{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
	};
	size_t i = 0;
	int err;

	/*
	 * TCP first in one dump for both families: a SOCK_DIAG_BY_FAMILY
	 * dump walks the kernel's whole established and bind tables for
	 * either family, so the IPv6 one costs about as much as the IPv4 one
	 * even with no IPv6 socket at all. The older TCPDIAG_GETSOCK request
	 * is answered with one walk for every family
	 * (inet_diag_dump_compat). A kernel that refuses it gets the two
	 * dumps. Only on a real socket (nlio_fd): canned and test transports
	 * answer the per-family requests.
	 */
	if (nlio_fd(io) >= 0) {
		err = diag_dump_typed(io, TCPDIAG_GETSOCK, AF_UNSPEC,
				      IPPROTO_TCP, &diag_all, out, st);
		if (err == 0)
			i = 2;   /* set[0] and set[1] are done */
		else if (err != -EINVAL && err != -ENOENT &&
			 err != -EOPNOTSUPP)
			return err;
	}
	for (; i < sizeof(set) / sizeof(set[0]); i++) {
		err = diag_dump(io, set[i].family, set[i].proto, out, st);
		if (err < 0 && !diag_absent(set[i].family, set[i].proto, err))
			return err;
	}
	return 0;
}

int diag_dump_all(struct nlio *io, struct sockvec *out, struct diag_stats *st)
{
	struct diag_stats dummy;
	unsigned attempt;
	int err;

	if (!st) {
		memset(&dummy, 0, sizeof(dummy));
		st = &dummy;
	}
	for (attempt = 0;; attempt++) {
		sockvec_clear(out);
		err = diag_dump_set(io, out, st);
		if (err != -EAGAIN || attempt == DIAG_MAX_RETRIES)
			break;
		st->retries++;
	}
	if (err < 0)
		sockvec_clear(out);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Bytecode that keeps the sockets INET_DIAG_BC_AUTO rejects, those whose
 * port is locked by bind() (SOCK_BINDPORT_LOCK). The kernel's audit
 * (inet_diag_bc_audit) wants every "no" jump to land on the "yes" chain
 * or one op past the end (reject):
 *   0: AUTO  yes -> 1, no -> 2     autobound: go to the reject
 *   1: JMP   no -> past the end    reject
 *   2: NOP   yes -> the end        accept
 */
static const struct inet_diag_bc_op diag_bc_userbound[3] = {
	{ INET_DIAG_BC_AUTO, 4, 8 },
	{ INET_DIAG_BC_JMP, 4, 12 },
	{ INET_DIAG_BC_NOP, 4, 0 },
};

int diag_dump_userbound(struct nlio *io, uint64_t **cookies, size_t *n,
			struct diag_stats *st)
{
	/* Connected-type states only: listeners and bound-only sockets own
	 * their port anyway, TIME_WAIT entries carry no userlocks (they all
	 * look autobound), request sockets sit on a listener's port. */
	const struct diag_filter flt = {
		0xffff & ~(1u << SOCK_TIME_WAIT | 1u << SOCK_LISTEN |
			   1u << SOCK_NEW_SYN_RECV),
		diag_bc_userbound, sizeof(diag_bc_userbound),
	};
	static const int families[] = { AF_INET, AF_INET6 };
	struct diag_stats lst;
	struct sockvec locked;
	uint64_t *c = NULL;
	size_t i, k = 0;
	int err;

	*cookies = NULL;
	*n = 0;
	/* the sample's stats count its own dump; only damage adds up */
	memset(&lst, 0, sizeof(lst));
	sockvec_init(&locked);
	/* One walk of the tables for both families, as diag_dump_set() does;
	 * per family where the older request is refused. */
	err = diag_dump_typed(io, TCPDIAG_GETSOCK, AF_UNSPEC, IPPROTO_TCP,
			      &flt, &locked, &lst);
	if (err == -EINVAL || err == -ENOENT || err == -EOPNOTSUPP) {
		err = 0;
		for (i = 0; i < 2 && err == 0; i++) {
			err = diag_dump_typed(io, SOCK_DIAG_BY_FAMILY,
					      families[i], IPPROTO_TCP, &flt,
					      &locked, &lst);
			if (err < 0 && diag_absent(families[i], IPPROTO_TCP, err))
				err = 0;
		}
	}
	if (err == 0 && locked.len) {
		c = malloc(locked.len * sizeof(*c));
		if (!c)
			err = -ENOMEM;
	}
	if (err == 0) {
		for (i = 0; i < locked.len; i++)
			if (locked.v[i].cookie)
				c[k++] = locked.v[i].cookie;
		if (k)
			qsort(c, k, sizeof(*c), cmp_u64);
		*cookies = c;
		*n = k;
	}
	sockvec_release(&locked);
	if (st)
		st->malformed += lst.malformed;
	return err;
}

void diag_mark_owned(struct sockvec *socks, const uint64_t *cookies, size_t n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < socks->len; i++) {
		struct sock_rec *r = &socks->v[i];

		if (r->proto == IPPROTO_TCP && r->cookie &&
		    bsearch(&r->cookie, cookies, n, sizeof(*cookies), cmp_u64))
			r->bind = SOCK_BIND_OWNED;
	}
}

const char *diag_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
		return "permission denied opening the netlink socket";
	case EPROTO:
		return "sock_diag reply ended early or was malformed";
	case EAGAIN:
		return "socket table kept changing during the dump (retried "
			DIAG_STR(DIAG_MAX_RETRIES) " times)";
	case ENOENT:
		return "sock_diag not available in this kernel "
			"(module inet_diag / tcp_diag?)";
	case ENOSPC:
		return "a sock_diag message was larger than the receive buffer";
	case ENOBUFS:
		return "netlink receive buffer overrun: the kernel dropped "
			"messages";
	case EBUSY:
		return "another dump was still running on the netlink socket";
	default:
		return strerror(err);
	}
}
