#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "model.h"
#include "out_json.h"
#include "out_openmetrics.h"
#include "out_text.h"
#include "sanitize.h"
#include "sockindex.h"
#include "sock.h"
#include "strbuf.h"

int fuzz_text_inert(const char *s, size_t len, int allow_newline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		int32_t c;
		size_t n = sanitize_utf8_decode(p + i, len - i, &c);

		if (c < 0)
			return 0;
		if (c == '\n' && allow_newline) {
			i += n;
			continue;
		}
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return 0;
		if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			return 0;
		i += n;
	}
	return 1;
}

int fuzz_bounded(const char *buf, size_t size)
{
	return memchr(buf, '\0', size) != NULL;
}

/* ---- the model and its outputs ----------------------------------------- */

/* A group index (dest_first/dest_socks, proc_first/proc_socks): every
 * socket of group g listed under g, in sock_order's order. */
static void check_groups(const struct snapshot *snap, const uint32_t *first,
			 const uint32_t *members, const uint32_t *group, size_t ngroups,
			 const uint32_t *rank)
{
	size_t g, k, total = 0;

	for (k = 0; k < snap->nsocks; k++)
		total += group[k] < ngroups;
	FUZZ_CHECK(first[0] == 0 && first[ngroups] == total);
	for (g = 0; g < ngroups; g++) {
		FUZZ_CHECK(first[g] <= first[g + 1]);
		for (k = first[g]; k < first[g + 1]; k++) {
			FUZZ_CHECK(members[k] < snap->nsocks && group[members[k]] == g);
			if (k > first[g])
				FUZZ_CHECK(rank[members[k - 1]] < rank[members[k]]);
		}
	}
}

/* The views' indexes (engine/sockindex.h) against their definitions. */
static void check_index(const struct snapshot *snap)
{
	uint32_t *rank;
	size_t k;
	unsigned p;

	FUZZ_CHECK(snap->sock_order && snap->port_class);
	rank = malloc((snap->nsocks + 1) * sizeof(*rank));
	if (!rank)
		return;
	memset(rank, 0xff, (snap->nsocks + 1) * sizeof(*rank));
	for (k = 0; k < snap->nsocks; k++) {
		uint32_t i = snap->sock_order[k];

		FUZZ_CHECK(i < snap->nsocks && rank[i] == UINT32_MAX);
		rank[i] = (uint32_t)k;
		if (k > 0) {
			uint32_t h = snap->sock_order[k - 1];
			int c = sockindex_cmp_local(&snap->socks[h], &snap->socks[i]);

			FUZZ_CHECK(c < 0 || (c == 0 && h < i));
		}
	}
	check_groups(snap, snap->dest_first, snap->dest_socks, snap->sock_dest,
		     snap->ndests, rank);
	if (snap->nprocs)
		check_groups(snap, snap->proc_first, snap->proc_socks, snap->sock_proc,
			     snap->nprocs, rank);
	for (p = 0; p < 65536; p++) {
		uint8_t c = !snap_bit(snap->usable_map, p) ? SNAP_PORT_RESERVED :
			    snap_bit(snap->owned_map, p) ? SNAP_PORT_OWNED : SNAP_PORT_FREE;

		FUZZ_CHECK(snap->port_class[p] >= c && snap->port_class[p] < SNAP_PORT_CLASSES);
	}
	for (k = 0; k < snap->nsocks; k++)
		FUZZ_CHECK(snap->port_class[snap->socks[k].sport] >=
			   snap_sock_port_class(&snap->socks[k]));
	free(rank);
}

static void check_snapshot(const struct snapshot *snap)
{
	size_t i;

	FUZZ_CHECK(snap->usable <= 65536);
	FUZZ_CHECK(snap->ports_in_use <= 65536 && snap->owned_ports <= 65536);
	FUZZ_CHECK(fuzz_bounded(snap->netns, sizeof(snap->netns)));
	FUZZ_CHECK(fuzz_text_inert(snap->netns, strlen(snap->netns), 0));
	FUZZ_CHECK(snap->nwarnings <= SNAP_MAX_WARNINGS);
	for (i = 0; i < snap->nwarnings; i++) {
		FUZZ_CHECK(fuzz_bounded(snap->warnings[i], SNAP_WARNING_LEN));
		FUZZ_CHECK(fuzz_text_inert(snap->warnings[i],
					   strlen(snap->warnings[i]), 0));
	}
	for (i = 0; i < snap->ndests; i++) {
		const struct snap_dest *d = &snap->dests[i];

		FUZZ_CHECK(d->available <= snap->usable);
		FUZZ_CHECK(d->in_use <= 65536);
		FUZZ_CHECK(d->reusable <= d->in_use);
		FUZZ_CHECK(!isnan(d->headroom_pct) && d->headroom_pct >= 0.0 &&
			   d->headroom_pct <= 100.0);
		if (i > 0)
			FUZZ_CHECK(snap->dests[i - 1].available <= d->available);
	}
	/* UDP scans the whole range: its pools may count the port that an
	 * odd-sized range costs TCP (model.h) */
	for (i = 0; i < snap->npools; i++)
		FUZZ_CHECK(snap->pools[i].available <= snap->usable +
			   (snap->pools[i].proto == IPPROTO_UDP));
	for (i = 0; i < snap->nprocs; i++) {
		const struct snap_proc *p = &snap->procs[i];

		FUZZ_CHECK(fuzz_bounded(p->comm, sizeof(p->comm)));
		FUZZ_CHECK(fuzz_text_inert(p->comm, strlen(p->comm), 0));
		FUZZ_CHECK(fuzz_bounded(p->cmdline, sizeof(p->cmdline)));
		FUZZ_CHECK(fuzz_text_inert(p->cmdline, strlen(p->cmdline), 0));
		FUZZ_CHECK(fuzz_bounded(p->user, sizeof(p->user)));
		FUZZ_CHECK(fuzz_text_inert(p->user, strlen(p->user), 0));
		FUZZ_CHECK(fuzz_bounded(p->unit, sizeof(p->unit)));
		FUZZ_CHECK(fuzz_text_inert(p->unit, strlen(p->unit), 0));
		FUZZ_CHECK(fuzz_bounded(p->cgroup, sizeof(p->cgroup)));
		FUZZ_CHECK(fuzz_text_inert(p->cgroup, strlen(p->cgroup), 0));
	}
	for (i = 0; i < snap->nsocks; i++) {
		FUZZ_CHECK(snap->sock_dest[i] == SNAP_NO_DEST ||
			   snap->sock_dest[i] < snap->ndests);
		if (snap->sock_proc)
			FUZZ_CHECK(snap->sock_proc[i] == SNAP_NO_PROC ||
				   snap->sock_proc[i] < snap->nprocs);
	}
	check_index(snap);
}

int fuzz_check_outputs(struct model *m, struct sample *s)
{
	const struct snapshot *snap;
	struct om_run run = { .source = "replay", .samples = 1,
			      .sample_errors = 0, .top = 5 };
	struct strbuf sb;
	int r;

	r = model_update(m, s);
	if (r != 0)
		return r;
	snap = model_snapshot(m);
	FUZZ_CHECK(snap != NULL);
	check_snapshot(snap);

	strbuf_init(&sb);
	FUZZ_CHECK(out_json_snapshot(&sb, snap) == 0);
	FUZZ_CHECK(sb.len > 0 && sb.buf[sb.len - 1] == '\n');
	FUZZ_CHECK(memchr(sb.buf, '\n', sb.len) == sb.buf + sb.len - 1);
	FUZZ_CHECK(fuzz_text_inert(sb.buf, sb.len - 1, 0));

	strbuf_reset(&sb);
	FUZZ_CHECK(out_text_snapshot(&sb, snap) == 0);
	FUZZ_CHECK(fuzz_text_inert(sb.buf, sb.len, 1));

	strbuf_reset(&sb);
	FUZZ_CHECK(out_openmetrics_snapshot(&sb, snap, &run) == 0);
	FUZZ_CHECK(fuzz_text_inert(sb.buf, sb.len, 1));
	strbuf_release(&sb);
	return 0;
}

/* ---- socket records ------------------------------------------------------ */

static const uint8_t fuzz_addrs[8][4] = {
	{ 127, 0, 0, 1 }, { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 0, 0, 0, 0 },
	{ 192, 168, 1, 1 }, { 127, 0, 0, 2 }, { 255, 255, 255, 255 },
	{ 10, 0, 0, 3 },
};

void fuzz_make_rec(const uint8_t *b, struct sock_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->family = b[0] & 1 ? AF_INET6 : AF_INET;
	r->proto = b[0] & 2 ? IPPROTO_UDP : IPPROTO_TCP;
	r->state = (uint8_t)(1 + b[1] % (SOCK_STATE_MAX - 1));
	if (r->family == AF_INET) {
		memcpy(r->saddr, fuzz_addrs[b[2] & 7], 4);
		memcpy(r->daddr, fuzz_addrs[(b[2] >> 3) & 7], 4);
	} else {
		/* ::, ::1 or 2001:db8::N */
		if (b[2] & 1) {
			r->saddr[0] = 0x20;
			r->saddr[1] = 0x01;
			r->saddr[15] = b[2] >> 4;
		} else {
			r->saddr[15] = b[2] >> 1 & 1;
		}
		r->daddr[0] = 0x20;
		r->daddr[1] = 0x01;
		r->daddr[15] = b[3];
	}
	r->sport = (uint16_t)(b[4] | b[5] << 8);
	r->dport = (uint16_t)(b[6] | b[7] << 8);
	r->expires_ms = (uint32_t)b[8] * 500u;
	r->timer = b[9] & 7;
	r->inode = b[10] ? (uint32_t)(b[10] | b[11] << 8) : 0;
	r->cookie = (uint64_t)(b[12] | b[13] << 8);
	r->uid = b[14];
	r->flags = b[15] & SOCK_F_V6ONLY;
}
