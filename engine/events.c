#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "events.h"
#include "sock.h"

#define EV_MAP_BYTES (65536 / 8)

/* Receive buffer: u32 for the alignment of the headers read from it. */
struct ev_rxbuf {
	uint32_t w[NLIO_BUF_SIZE / sizeof(uint32_t)];
};

struct events {
	struct nlio io;
	struct ev_counts cur;        /* the interval being counted */
	uint32_t *htab;              /* index into cur.v + 1, 0 = empty */
	size_t hcap;                 /* power of two */
	int have_skip;
	uint8_t skip[EV_MAP_BYTES];
	struct ev_rxbuf rx;
};

/* ---- counts ----------------------------------------------------------- */

void ev_counts_init(struct ev_counts *c)
{
	memset(c, 0, sizeof(*c));
}

void ev_counts_release(struct ev_counts *c)
{
	if (!c)
		return;
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void ev_counts_clear(struct ev_counts *c)
{
	c->len = 0;
	c->events = 0;
	c->counted = 0;
	c->malformed = 0;
	c->flags = 0;
}

static int ev_key_eq(const struct ev_key *a, const struct ev_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->dport == b->dport &&
	       memcmp(a->saddr, b->saddr, 16) == 0 &&
	       memcmp(a->daddr, b->daddr, 16) == 0;
}

int ev_counts_add(struct ev_counts *c, const struct ev_key *k, uint32_t closes)
{
	if (c->len + 1 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct ev_count *v;

		if (ncap > (size_t)-1 / sizeof(*v))
			return -ENOMEM;
		v = realloc(c->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = ncap;
	}
	c->v[c->len].key = *k;
	c->v[c->len].closes = closes;
	c->len++;
	c->counted += closes;
	return 0;
}

uint32_t ev_counts_find(const struct ev_counts *c, const struct ev_key *k)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; c && i < c->len; i++)
		if (ev_key_eq(&c->v[i].key, k))
			sum += c->v[i].closes;
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* FNV-1a over the fields (not the struct: no padding bytes hashed). */
static uint32_t ev_key_hash(const struct ev_key *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ k->saddr[i]) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ k->daddr[i]) * 16777619u;
	h = (h ^ (k->dport & 0xff)) * 16777619u;
	h = (h ^ (k->dport >> 8)) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	h = (h ^ k->proto) * 16777619u;
	return h ^ (h >> 15);
}

static void ev_rehash(struct events *ev)
{
	size_t mask = ev->hcap - 1, i;

	memset(ev->htab, 0, ev->hcap * sizeof(*ev->htab));
	for (i = 0; i < ev->cur.len; i++) {
		size_t j = ev_key_hash(&ev->cur.v[i].key) & mask;

		while (ev->htab[j])
			j = (j + 1) & mask;
		ev->htab[j] = (uint32_t)(i + 1);
	}
}

/* Room for one more key: 0, or -ENOMEM / -ENOSPC (at EVENTS_MAX_KEYS). */
static int ev_reserve(struct events *ev)
{
	struct ev_counts *c = &ev->cur;

	if (c->len >= EVENTS_MAX_KEYS)
		return -ENOSPC;
	if (c->len + 1 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct ev_count *v = realloc(c->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = ncap;
	}
	/* Keep the table at most half full. */
	if ((c->len + 1) * 2 > ev->hcap) {
		size_t ncap = ev->hcap ? ev->hcap * 2 : 256;
		uint32_t *t = realloc(ev->htab, ncap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		ev->htab = t;
		ev->hcap = ncap;
		ev_rehash(ev);
	}
	return 0;
}

static void ev_count_key(struct events *ev, const struct ev_key *k)
{
	uint32_t h = ev_key_hash(k);
	struct ev_count *c;
	size_t mask, j;

	if (ev->hcap > 0) {
		mask = ev->hcap - 1;
		for (j = h & mask; ev->htab[j]; j = (j + 1) & mask) {
			c = &ev->cur.v[ev->htab[j] - 1];
			if (ev_key_eq(&c->key, k)) {
				if (c->closes < UINT32_MAX)
					c->closes++;
				ev->cur.counted++;
				return;
			}
		}
	}
	/* A new destination (ev_reserve() may rehash: probe again). */
	if (ev_reserve(ev) != 0) {
		ev->cur.flags |= EV_TRUNCATED;
		return;
	}
	mask = ev->hcap - 1;
	for (j = h & mask; ev->htab[j]; j = (j + 1) & mask)
		;
	c = &ev->cur.v[ev->cur.len++];
	c->key = *k;
	c->closes = 1;
	ev->htab[j] = (uint32_t)ev->cur.len;
	ev->cur.counted++;
}

/* ---- parsing ------------------------------------------------------------ */

struct ev_proto_attr {
	int proto;   /* INET_DIAG_PROTOCOL, -1 if absent or invalid */
};

static int ev_attr_cb(const struct nlattr *attr, void *data)
{
	struct ev_proto_attr *a = data;

	if (mnl_attr_get_type(attr) == INET_DIAG_PROTOCOL) {
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0) {
			a->proto = -1;
			return MNL_CB_ERROR;
		}
		a->proto = mnl_attr_get_u8(attr);
	}
	return MNL_CB_OK;
}

/*
 * The protocol of a destroy event. diag_parse_msg() has checked that the
 * attributes tile the message exactly, so walking them is safe.
 */
static int ev_msg_proto(const struct nlmsghdr *nlh)
{
	struct ev_proto_attr a = { -1 };
	const char *payload, *end;

	payload = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct inet_diag_msg));
	end = (const char *)nlh + nlh->nlmsg_len;
	if (payload >= end)
		return -1;
	if (mnl_attr_parse_payload(payload, (size_t)(end - payload),
				   ev_attr_cb, &a) < 0)
		return -1;
	return a.proto;
}

static void ev_parse_msg(struct events *ev, const struct nlmsghdr *nlh)
{
	struct sock_rec rec;
	struct ev_key k;
	int proto;

	ev->cur.events++;
	if (diag_parse_msg(nlh, IPPROTO_TCP, &rec) < 0) {
		ev->cur.malformed++;
		return;
	}
	proto = ev_msg_proto(nlh);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		ev->cur.malformed++;
		return;
	}
	/* Never connected (no peer) or never bound: no destination. */
	if (rec.sport == 0 || rec.dport == 0)
		return;
	if (ev->have_skip && (ev->skip[rec.sport >> 3] >> (rec.sport & 7)) & 1)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, rec.saddr, rec.family == AF_INET ? 4 : 16);
	memcpy(k.daddr, rec.daddr, rec.family == AF_INET ? 4 : 16);
	k.dport = rec.dport;
	k.family = rec.family;
	k.proto = (uint8_t)proto;
	ev_count_key(ev, &k);
}

/* Walk an aligned datagram. */
static void ev_walk(struct events *ev, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > left) {
			/* Cannot frame the rest of the datagram. */
			ev->cur.malformed++;
			return;
		}
		step = MNL_ALIGN(nlh->nlmsg_len);
		if (step > left)
			step = left;
		p += step;
		left -= step;
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			ev_parse_msg(ev, nlh);
		/* NOOP, ERROR, DONE and anything else: not an event. */
	}
}

void events_parse(struct events *ev, const void *buf, size_t len)
{
	if (!ev || !buf)
		return;
	if (((uintptr_t)buf & (sizeof(uint32_t) - 1)) == 0) {
		ev_walk(ev, buf, len);
		return;
	}
	/* Headers are read in place: give them their alignment. */
	if (len > sizeof(ev->rx.w)) {
		len = sizeof(ev->rx.w);
		ev->cur.flags |= EV_TRUNCATED;
	}
	if ((const void *)ev->rx.w != buf)
		memmove(ev->rx.w, buf, len);
	ev_walk(ev, ev->rx.w, len);
}

/* ---- the socket --------------------------------------------------------- */

int events_new(struct events **out, struct nlio *io)
{
	struct events *ev = calloc(1, sizeof(*ev));

	*out = NULL;
	if (!ev) {
		nlio_close(io);
		return -ENOMEM;
	}
	ev->io = *io;
	io->ops = NULL;
	ev_counts_init(&ev->cur);
	*out = ev;
	return 0;
}

/* Ask for rcvbuf bytes: SO_RCVBUFFORCE passes net.core.rmem_max (it needs
 * CAP_NET_ADMIN); SO_RCVBUF is capped by it. Failure is not fatal: the
 * default buffer still works, it just overruns sooner. */
static void events_set_rcvbuf(int fd, int rcvbuf)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) == 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

int events_open(struct events **out, int rcvbuf)
{
	struct nlio io;
	int fd, fl, err;

	*out = NULL;
	if (rcvbuf < 0)
		return -EINVAL;
	err = nlio_open_sock_diag(&io, EVENTS_GROUPS);
	if (err)
		return err;
	fd = nlio_fd(&io);
	fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err = fd >= 0 ? -errno : -EBADF;
		nlio_close(&io);
		return err;
	}
	events_set_rcvbuf(fd, rcvbuf ? rcvbuf : EVENTS_RCVBUF_DEFAULT);
	return events_new(out, &io);
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	nlio_close(&ev->io);
	ev_counts_release(&ev->cur);
	free(ev->htab);
	free(ev);
}

int events_fd(const struct events *ev)
{
	return ev ? nlio_fd(&ev->io) : -1;
}

void events_set_skip(struct events *ev, const uint8_t *skip)
{
	if (!ev)
		return;
	ev->have_skip = skip != NULL;
	if (skip)
		memcpy(ev->skip, skip, sizeof(ev->skip));
}

int events_drain(struct events *ev)
{
	int reads = 0;

	if (!ev || !ev->io.ops)
		return -EBADF;
	while (reads < EVENTS_DRAIN_MAX) {
		ssize_t n = ev->io.ops->recv(ev->io.ctx, ev->rx.w,
					     sizeof(ev->rx.w));

		if (n == -EINTR)
			continue;
		if (n == -ENOBUFS) {
			/* The kernel dropped events; the socket goes on. */
			ev->cur.flags |= EV_OVERRUN;
				reads++;
			continue;
		}
		if (n == -ENOSPC) {
			/* A datagram larger than the buffer (MSG_TRUNC). */
			ev->cur.flags |= EV_TRUNCATED;
				reads++;
			continue;
		}
		if (n == -EAGAIN || n == -EWOULDBLOCK || n == 0)
			break;
		if (n < 0)
			return (int)n;
		if ((size_t)n > sizeof(ev->rx.w))
			return -EPROTO;   /* a transport ignoring the size */
		ev_walk(ev, ev->rx.w, (size_t)n);
		reads++;
	}
	return reads;
}

void events_take(struct events *ev, struct ev_counts *out)
{
	struct ev_counts tmp;

	if (!ev || !out)
		return;
	tmp = *out;
	*out = ev->cur;
	ev->cur = tmp;
	ev_counts_clear(&ev->cur);
	if (ev->htab)
		memset(ev->htab, 0, ev->hcap * sizeof(*ev->htab));
}
