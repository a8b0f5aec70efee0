#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "view.h"

/*
 * The header: where we are (host, netns), the rules (range, reserved,
 * sysctls), the totals, the worst destination and the sampling. Built
 * from segments so that it fits 80 columns and degrades when narrower.
 */

struct line {
	struct frame *f;
	int x, y, end;
	int gap;            /* blanks between segments (2, or 1 when tight) */
	int start;
};

/* Append a label/value segment if it fits entirely; returns 1 if drawn. */
static int seg(struct line *l, const char *label, const char *value, uint16_t vstyle)
{
	int gap = l->gap ? l->gap : 2;
	int need = (l->x > l->start ? gap : 0) + frame_text_width(l->f, label) +
		   (label[0] && value[0] ? 1 : 0) + frame_text_width(l->f, value);

	if (l->x + need > l->end)
		return 0;
	if (l->x > l->start)
		l->x += gap;
	l->x += frame_text(l->f, l->x, l->y, l->end - l->x, ST_LABEL, label);
	if (label[0] && value[0])
		l->x++;
	l->x += frame_text(l->f, l->x, l->y, l->end - l->x, vstyle, value);
	return 1;
}

int header_lines(const struct uistate *st, int h)
{
	int extra = (st->error[0] || (st->snap && (st->snap->nwarnings ||
						    !st->snap->exact))) ? 1 : 0;

	if (h >= 20)
		return 4 + extra;
	if (h >= 16)
		return 4;
	if (h >= 8)
		return 1;
	return 0;
}

static void fmt_delay(double d, char *buf, size_t len)
{
	snprintf(buf, len, "%gs", d);
}

static void line1(struct uistate *st, struct frame *f, struct rect r)
{
	struct line l = { f, r.x, r.y, r.x + r.w, 2, r.x };
	char right[80], ns[48], nsv[128], d[16], tbuf[16];
	const struct snapshot *s = st->snap;
	int rw;

	fmt_delay(st->delay, d, sizeof(d));
	if (st->paused) {
		snprintf(right, sizeof(right), "PAUSED");
	} else {
		tbuf[0] = '\0';
		if (s && s->time > 0) {
			time_t t = (time_t)s->time;
			struct tm tm;

			if (localtime_r(&t, &tm))
				strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
		}
		snprintf(right, sizeof(right), "every %s (%.0fms) %s", d, st->sample_ms, tbuf);
	}
	rw = frame_text_width(f, right);
	if (rw < r.w / 2) {
		frame_text(f, r.x + r.w - rw, r.y, rw, st->paused ? ST_PAUSED : ST_VALUE, right);
		l.end = r.x + r.w - rw - 1;
	}
	seg(&l, "porttop", "", ST_VALUE);
	seg(&l, "host", st->host[0] ? st->host : "?", ST_VALUE);
	if (s) {
		view_clean(st, ns, sizeof(ns), s->netns, sizeof(s->netns));
		/* nat: another namespace than porttop's own is named */
		if (st->netns_label[0])
			snprintf(nsv, sizeof(nsv), "%s %s", st->netns_label, ns);
		else
			snprintf(nsv, sizeof(nsv), "%s", ns);
		if (!seg(&l, "netns", nsv, st->netns_label[0] ? ST_WARN : ST_VALUE))
			seg(&l, "netns", st->netns_label[0] ? st->netns_label : ns,
			    st->netns_label[0] ? ST_WARN : ST_VALUE);
	}
	if (s && s->npid_filter) {
		char pids[64];
		size_t i, pos = 0;

		pids[0] = '\0';
		for (i = 0; i < s->npid_filter && i < MODEL_MAX_PIDS && pos < sizeof(pids); i++)
			pos += (size_t)snprintf(pids + pos, sizeof(pids) - pos, "%s%d",
						i ? "," : "", s->pid_filter[i]);
		seg(&l, "pids", pids, ST_WARN);
	}
}

static void header_sysctl(char *buf, size_t len, unsigned known, int value)
{
	if (known)
		snprintf(buf, len, "%d", value);
	else
		snprintf(buf, len, "?");
}

static void line2(struct uistate *st, struct frame *f, struct rect r)
{
	struct line l = { f, r.x, r.y, r.x + r.w, 2, r.x };
	const struct snapshot *s = st->snap;
	char v[6][32];
	static const char *const label[6] = {
		"range", "reserved", "usable", "tw_reuse", "timestamps", "max_tw",
	};
	int i, total = 0;

	unsigned known = s->sys.known;

	/* What a capture or an unreadable /proc did not say is shown as
	 * unknown ("?"), never as the kernel's default. */
	snprintf(v[0], sizeof(v[0]), "%u-%u%s", s->range_low, s->range_high,
		 known & SYSCTL_K_RANGE ? "" : "?");
	if (known & SYSCTL_K_RESERVED)
		snprintf(v[1], sizeof(v[1]), "%u", (unsigned)s->reserved);
	else
		snprintf(v[1], sizeof(v[1]), "?");
	snprintf(v[2], sizeof(v[2]), "%u", (unsigned)s->usable);
	header_sysctl(v[3], sizeof(v[3]), known & SYSCTL_K_TW_REUSE,
		      s->sys.tcp_tw_reuse);
	header_sysctl(v[4], sizeof(v[4]), known & SYSCTL_K_TIMESTAMPS,
		      s->sys.tcp_timestamps);
	header_sysctl(v[5], sizeof(v[5]), known & SYSCTL_K_MAX_TW,
		      s->sys.tcp_max_tw_buckets);
	for (i = 0; i < 6; i++)
		total += (int)strlen(label[i]) + 1 + (int)strlen(v[i]) + 2;
	/* Tighten the spacing rather than lose a value. */
	if (total - 2 > r.w)
		l.gap = 1;
	for (i = 0; i < 6; i++)
		seg(&l, label[i], v[i], i == 4 && (known & SYSCTL_K_TIMESTAMPS) &&
		    !s->sys.tcp_timestamps ? ST_WARN : ST_VALUE);
}

/* >>> nat: conntrack, when it is in use: the fill, the drops per second
 * (NAT ports or the table running out), the NAT destination most at risk */
static void header_conntrack(struct line *l, const struct snapshot *s)
{
	const struct ct_snap *c = &s->ct;
	char v[48];

	if (!c->in_use)
		return;
	if (c->max > 0)
		snprintf(v, sizeof(v), "%lld/%lld", (long long)c->count,
			 (long long)c->max);
	else
		snprintf(v, sizeof(v), "%lld", (long long)c->count);
	seg(l, "conntrack", v, c->fill_pct >= CT_FILL_WARN_PCT ? ST_CRIT : ST_VALUE);
	if (c->have_rates && (c->delta[CT_S_DROP] || c->delta[CT_S_INSERT_FAILED])) {
		snprintf(v, sizeof(v), "%.1f/s", c->delta[CT_S_DROP] >
			 c->delta[CT_S_INSERT_FAILED] ? c->rate[CT_S_DROP] :
			 c->rate[CT_S_INSERT_FAILED]);
		seg(l, "ct drops", v, ST_CRIT);
	}
	if (c->nat && c->nnat) {
		snprintf(v, sizeof(v), "%u/%u", (unsigned)c->nat[0].available,
			 (unsigned)c->nat_size);
		seg(l, "NAT", v, headroom_style(c->nat[0].headroom_pct));
	}
}
/* <<< nat */

static void line3(struct uistate *st, struct frame *f, struct rect r)
{
	static const struct { unsigned state; const char *name; } shown[] = {
		{ SOCK_ESTABLISHED, "EST" }, { SOCK_TIME_WAIT, "TW" },
		{ SOCK_SYN_SENT, "SYN_SENT" }, { SOCK_SYN_RECV, "SYN_RECV" },
		{ SOCK_FIN_WAIT1, "FIN_W1" }, { SOCK_FIN_WAIT2, "FIN_W2" },
		{ SOCK_CLOSE_WAIT, "CLOSE_W" }, { SOCK_LAST_ACK, "LAST_ACK" },
		{ SOCK_CLOSING, "CLOSING" }, { SOCK_CLOSE, "CLOSE" },
		{ SOCK_LISTEN, "LISTEN" }, { SOCK_BOUND, "BOUND" },
	};
	struct line l = { f, r.x, r.y, r.x + r.w, 2, r.x };
	const struct snapshot *s = st->snap;
	char v[64], nd[40];
	size_t i;
	int keep;

	/* what connect() toward a destination with no socket yet gets */
	fmt_avail(st, s->available_new_destination_min,
		  s->available_new_destination,
		  s->available_new_destination_min >= s->available_new_destination,
		  nd, sizeof(nd));
	/* room the segments after the rare states take */
	snprintf(v, sizeof(v), "  UDP %u  owned %u  in use %u  new dest ",
		 (unsigned)s->udp_sockets, (unsigned)s->owned_ports,
		 (unsigned)s->ports_in_use);
	keep = frame_text_width(f, v) + frame_text_width(f, nd);
	snprintf(v, sizeof(v), "%u", (unsigned)s->tcp_sockets);
	seg(&l, "TCP", v, ST_VALUE);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		uint32_t n = s->tcp_states[shown[i].state];

		if (shown[i].state == SOCK_SYN_RECV)
			n += s->tcp_states[SOCK_NEW_SYN_RECV];
		if (n == 0 && i >= 2)
			continue;
		snprintf(v, sizeof(v), "%u", (unsigned)n);
		/* Keep room for UDP, owned and the new destination: they
		 * matter more than rare states. */
		if (i >= 2 && l.x + 2 + (int)strlen(shown[i].name) + 1 +
		    (int)strlen(v) + keep > l.end)
			continue;
		seg(&l, shown[i].name, v, ST_VALUE);
	}
	snprintf(v, sizeof(v), "%u", (unsigned)s->udp_sockets);
	seg(&l, "UDP", v, ST_VALUE);
	snprintf(v, sizeof(v), "%u", (unsigned)s->owned_ports);
	seg(&l, "owned", v, ST_VALUE);
	snprintf(v, sizeof(v), "%u", (unsigned)s->ports_in_use);
	seg(&l, "in use", v, ST_VALUE);
	seg(&l, "new dest", nd, ST_VALUE);
	header_conntrack(&l, s);   /* nat */
}

static void line4(struct uistate *st, struct frame *f, struct rect r)
{
	const struct snapshot *s = st->snap;
	const struct snap_dest *d;
	struct dest_key k;
	char dk[128], v[96], eta[16], av[40];
	int x;

	if (s->ndests == 0) {
		frame_text(f, r.x, r.y, r.w, ST_LABEL, "worst");
		frame_text(f, r.x + 6, r.y, r.w - 6, ST_VALUE, "no destination in the range");
		return;
	}
	d = &s->dests[0];
	dest_key_of(d, &k);
	fmt_dest(&k, dk, sizeof(dk));
	fmt_eta(d->eta_s, eta, sizeof(eta));
	fmt_avail(st, d->available_min, d->available, d->exact, av, sizeof(av));
	snprintf(v, sizeof(v), "%s available (%.1f%%)%s%s", av, d->headroom_pct, d->eta_s >= 0 ? ", full in " : "", d->eta_s >= 0 ? eta : "");
	x = r.x + frame_text(f, r.x, r.y, r.w, ST_LABEL, "worst ");
	/* The numbers first, then as much of the destination as fits. */
	{
		int vw = frame_text_width(f, v);
		int room = r.x + r.w - x - vw - 2;

		if (room >= 12) {
			int dw = frame_text_width(f, dk);

			if (dw > room)
				dw = room;
			frame_text_box(f, x, r.y, dw, ST_VALUE, dk, AL_LEFT, CUT_LEFT);
			x += dw + 2;
		}
		frame_text(f, x, r.y, r.x + r.w - x, headroom_style(d->headroom_pct), v);
	}
}

static void line5(struct uistate *st, struct frame *f, struct rect r)
{
	const struct snapshot *s = st->snap;
	char w[SNAP_WARNING_LEN * 2 + 32], clean[SNAP_WARNING_LEN * 2];

	if (st->error[0]) {
		frame_printf(f, r.x, r.y, r.w, ST_ERROR, "! %s (showing the last good sample)",
			     st->error);
		return;
	}
	if (!s)
		return;
	if (!s->nwarnings) {
		/* inexact figures: why, and how to get exact ones */
		if (!s->exact) {
			view_clean(st, clean, sizeof(clean), s->inexact_why,
				   sizeof(s->inexact_why));
			snprintf(w, sizeof(w), "~ %s", clean[0] ? clean :
				 "estimates: the port ownership of some sockets is unknown");
			frame_text(f, r.x, r.y, r.w, ST_DIM, w);
		}
		return;
	}
	view_clean(st, clean, sizeof(clean), s->warnings[0], sizeof(s->warnings[0]));
	if (s->nwarnings + !s->exact > 1)
		snprintf(w, sizeof(w), "! %s (+%zu more)", clean,
			 s->nwarnings + !s->exact - 1);
	else
		snprintf(w, sizeof(w), "! %s", clean);
	frame_text(f, r.x, r.y, r.w, ST_WARN, w);
}

static void compact(struct uistate *st, struct frame *f, struct rect r)
{
	struct line l = { f, r.x, r.y, r.x + r.w, 2, r.x };
	const struct snapshot *s = st->snap;
	char v[64];

	if (st->paused)
		seg(&l, "", "PAUSED", ST_PAUSED);
	if (st->error[0])
		seg(&l, "", "sample failed", ST_ERROR);
	if (!s) {
		seg(&l, "porttop", "waiting", ST_VALUE);
		return;
	}
	snprintf(v, sizeof(v), "%u", (unsigned)s->tcp_states[SOCK_TIME_WAIT]);
	seg(&l, "TW", v, ST_VALUE);
	snprintf(v, sizeof(v), "%u", (unsigned)s->tcp_states[SOCK_ESTABLISHED]);
	seg(&l, "EST", v, ST_VALUE);
	if (s->ndests) {
		char av[40];

		fmt_avail(st, s->dests[0].available_min, s->dests[0].available,
			  s->dests[0].exact, av, sizeof(av));
		snprintf(v, sizeof(v), "%s (%.1f%%)", av, s->dests[0].headroom_pct);
		seg(&l, "worst", v, headroom_style(s->dests[0].headroom_pct));
	}
	snprintf(v, sizeof(v), "%u/%u", s->range_low, s->range_high);
	seg(&l, "range", v, ST_VALUE);
	/* advice: the forecast, when there is one and room for it */
	if (s->ndests && s->dests[0].eta_s >= 0) {
		fmt_eta(s->dests[0].eta_s, v, sizeof(v));
		seg(&l, "full in", v, s->dests[0].eta_s < 300 ? ST_CRIT : ST_WARN);
	}
}

int header_draw(struct uistate *st, struct frame *f, struct rect r)
{
	if (r.h <= 0)
		return 0;
	if (r.h < 4) {
		compact(st, f, (struct rect){ r.x, r.y, r.w, 1 });
		return 1;
	}
	line1(st, f, (struct rect){ r.x, r.y, r.w, 1 });
	if (!st->snap) {
		frame_text(f, r.x, r.y + 1, r.w, ST_DIM, "waiting for the first sample");
		if (st->error[0])
			frame_text(f, r.x, r.y + 2, r.w, ST_ERROR, st->error);
		return r.h;
	}
	line2(st, f, (struct rect){ r.x, r.y + 1, r.w, 1 });
	line3(st, f, (struct rect){ r.x, r.y + 2, r.w, 1 });
	line4(st, f, (struct rect){ r.x, r.y + 3, r.w, 1 });
	if (r.h > 4)
		line5(st, f, (struct rect){ r.x, r.y + 4, r.w, 1 });
	return r.h;
}
