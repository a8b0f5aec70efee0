#include "config.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sanitize.h"
#include "sock.h"
#include "sockindex.h"
#include "view.h"

const char *view_clean(const struct uistate *st, char *dst, size_t dstlen,
		       const char *raw, size_t rawlen)
{
	if (!dstlen)
		return dst;
	if (!raw) {
		dst[0] = '\0';
		return dst;
	}
	if (st->utf8)
		sanitize_text(dst, dstlen, raw, rawlen);
	else
		sanitize_ascii(dst, dstlen, raw, rawlen);
	return dst;
}

const struct view_ops *view_ops_of(enum view_id id)
{
	switch (id) {
	case VIEW_HEATMAP:
		return &view_heatmap_ops;
	case VIEW_PROCS:
		return &view_procs_ops;
	case VIEW_SOCKS:
		return &view_socks_ops;
	case VIEW_HELP:
		return &view_help_ops;
	case VIEW_NAT:
		return &view_nat_ops;     /* nat */
	case VIEW_NETNS:
		return &view_netns_ops;
	case VIEW_ADVICE:
		return &view_advice_ops;
	case VIEW_DESTS:
	default:
		return &view_dests_ops;
	}
}

uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

void fmt_addr(int family, const uint8_t *addr, char *buf, size_t len)
{
	char tmp[64];

	sock_addr_format(family, addr, tmp, sizeof(tmp));
	snprintf(buf, len, "%s", tmp[0] ? tmp : "?");
}

void fmt_addr_port(int family, const uint8_t *addr, unsigned port, char *buf,
		   size_t len)
{
	char tmp[64];

	fmt_addr(family, addr, tmp, sizeof(tmp));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", tmp, port);
	else
		snprintf(buf, len, "%s:%u", tmp, port);
}

const char *fmt_proto(unsigned proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "?";
	}
}

void fmt_count(uint64_t n, char *buf, size_t len)
{
	if (n < 100000)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else if (n < 10000000)
		snprintf(buf, len, "%lluk", (unsigned long long)(n / 1000));
	else
		snprintf(buf, len, "%lluM", (unsigned long long)(n / 1000000));
}

void fmt_avail(const struct uistate *st, uint64_t min, uint64_t est, int exact,
	       char *buf, size_t len)
{
	char a[16], b[16];

	if (exact || min >= est) {
		fmt_count(est, buf, len);
		return;
	}
	fmt_count(min, a, sizeof(a));
	fmt_count(est, b, sizeof(b));
	snprintf(buf, len, "%s%s ~%s", st && st->utf8 ? "\xe2\x89\xa5" : ">=", a, b);
}

void fmt_eta(double secs, char *buf, size_t len)
{
	if (secs < 0 || !isfinite(secs))
		snprintf(buf, len, "-");
	else if (secs < 100)
		snprintf(buf, len, "%.0fs", secs);
	else if (secs < 6000)
		snprintf(buf, len, "%.0fm", secs / 60);
	else if (secs < 360000)
		snprintf(buf, len, "%.0fh", secs / 3600);
	else
		snprintf(buf, len, "%.0fd", secs / 86400);
}

void fmt_dest(const struct dest_key *k, char *buf, size_t len)
{
	char s[64], d[80];

	fmt_addr(k->family, k->saddr, s, sizeof(s));
	fmt_addr_port(k->family, k->daddr, k->dport, d, sizeof(d));
	snprintf(buf, len, "%s %s -> %s", fmt_proto(k->proto), s, d);
}

uint16_t headroom_style(double pct)
{
	if (pct < 10)
		return ST_CRIT;
	if (pct < 25)
		return ST_WARN;
	return ST_OK;
}

static void fmt_pct(double pct, char *buf, size_t len)
{
	/* Rounded down: never show more headroom than there is. */
	if (pct >= 100)
		snprintf(buf, len, "100%%");
	else
		snprintf(buf, len, "%.1f%%", floor(pct * 10) / 10);
}

void draw_bar(struct frame *f, int x, int y, int w, double pct, int selected)
{
	static const uint32_t eighths[8] = {
		' ', 0x258f, 0x258e, 0x258d, 0x258c, 0x258b, 0x258a, 0x2589,
	};
	char txt[16];
	uint16_t st = selected ? ST_CURSOR : headroom_style(pct);
	int bw, i, full, part;
	double cells;

	if (!(pct >= 0))
		pct = 0;
	if (pct > 100)
		pct = 100;
	fmt_pct(pct, txt, sizeof(txt));
	if (w < 8) {
		frame_text_box(f, x, y, w, st, txt, AL_RIGHT, CUT_RIGHT);
		return;
	}
	/* bar, a blank, then the percentage in 5 columns */
	bw = w - 6;
	frame_text_box(f, x + bw, y, 6, selected ? ST_CURSOR : ST_NORMAL, txt,
		       AL_RIGHT, CUT_RIGHT);
	cells = pct / 100.0 * bw;
	full = (int)cells;
	part = (int)((cells - full) * 8);
	/* Show any headroom at all as at least a sliver. */
	if (full == 0 && part == 0 && pct > 0)
		part = 1;
	for (i = 0; i < bw; i++) {
		uint32_t ch;

		if (i < full)
			ch = f->utf8 ? 0x2588 : '#';
		else if (i == full && part)
			ch = f->utf8 ? eighths[part] : (part >= 4 ? '#' : '+');
		else
			ch = f->utf8 ? 0x00b7 : '.';
		frame_put(f, x + i, y, ch, i < full || (i == full && part) ? st :
			  (selected ? ST_CURSOR : ST_DIM));
	}
}

void draw_note(struct frame *f, struct rect r, uint16_t style, const char *text)
{
	int tw, x;

	if (r.w <= 0 || r.h <= 0)
		return;
	tw = frame_text_width(f, text);
	if (tw > r.w)
		tw = r.w;
	x = r.x + (r.w - tw) / 2;
	frame_text_box(f, x, r.y + (r.h - 1) / 2, tw, style, text, AL_LEFT, CUT_RIGHT);
}

uint32_t dest_other(const struct snap_dest *d)
{
	uint32_t n = 0;
	int s;

	for (s = 0; s < SOCK_STATE_MAX; s++)
		if (s != SOCK_ESTABLISHED && s != SOCK_TIME_WAIT)
			n += d->states[s];
	return n;
}

long sock_owner(const struct snapshot *s, size_t i)
{
	uint32_t p;

	if (!s || !s->sock_proc || i >= s->nsocks)
		return -1;
	p = s->sock_proc[i];
	if (p == SNAP_NO_PROC || p >= s->nprocs)
		return -1;
	return (long)p;
}

const char *fmt_owner(const struct uistate *st, const struct snap_proc *p, char *buf,
		      size_t len)
{
	char clean[sizeof(p->comm) * 2];

	if (p->pid == 0) {
		snprintf(buf, len, "uid %u", (unsigned)p->uid);
		return buf;
	}
	view_clean(st, clean, sizeof(clean), p->comm, sizeof(p->comm));
	snprintf(buf, len, "%d %.64s", p->pid, clean);
	return buf;
}

size_t dest_socks_of(const struct snapshot *s, long d, const uint32_t **v)
{
	*v = NULL;
	if (!s || !s->dest_first || d < 0 || (size_t)d >= s->ndests)
		return 0;
	*v = s->dest_socks + s->dest_first[d];
	return s->dest_first[d + 1] - s->dest_first[d];
}

size_t proc_socks_of(const struct snapshot *s, long p, const uint32_t **v)
{
	*v = NULL;
	if (!s || !s->proc_first || p < 0 || (size_t)p >= s->nprocs)
		return 0;
	*v = s->proc_socks + s->proc_first[p];
	return s->proc_first[p + 1] - s->proc_first[p];
}

/* First k in [from, n) whose socket sorts after probe (or equal to it,
 * unless after): v is sorted by sockindex_cmp_local(). */
static size_t first_from(const struct snapshot *s, const uint32_t *v, size_t from,
			 size_t n, const struct sock_rec *probe, int after)
{
	size_t lo = from, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = sockindex_cmp_local(&s->socks[v[mid]], probe);

		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int sock_port_spans(const struct snapshot *s, long dest, unsigned lo, unsigned hi,
		    int (*fn)(const uint32_t *v, size_t n, void *arg), void *arg)
{
	const uint32_t *v;
	size_t n, k = 0;

	if (!s || !s->sock_order)
		return -1;
	if (dest >= 0) {
		n = dest_socks_of(s, dest, &v);
	} else {
		v = s->sock_order;
		n = s->nsocks;
	}
	if (lo > hi || hi > 65535)
		return 0;
	/* One local address at a time: its ports lo..hi are one run. */
	while (k < n) {
		struct sock_rec probe = s->socks[v[k]];
		size_t b, e;

		probe.sport = (uint16_t)lo;
		b = first_from(s, v, k, n, &probe, 0);
		probe.sport = (uint16_t)hi;
		e = first_from(s, v, b, n, &probe, 1);
		if (e > b && fn(v + b, e - b, arg))
			break;
		probe.sport = 65535;
		k = first_from(s, v, e, n, &probe, 1);
	}
	return 0;
}
