#include "config.h"

/*
 * bench_frame: the time to build one UI frame (screen_render into an
 * in-memory frame, as ui.c does before it hands the frame to curses) for
 * each top view, on the live sockets of this namespace and on a 1,000
 * socket subset of them (every k-th socket, with its owner), so that the
 * two sizes differ only in the socket count.
 *
 *   bench_frame [-n RUNS] [-W COLS] [-H ROWS] [-k SUBSET]
 *
 * "frame VIEW @ N sockets": every timed frame follows
 * uistate_set_snapshot(), as every refresh does, so caches keyed to the
 * snapshot are rebuilt; "redraw VIEW @ N sockets": the same snapshot
 * drawn again (a key press, a resize).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "clock.h"
#include "diag.h"
#include "frame.h"
#include "model.h"
#include "nlio.h"
#include "sampler.h"
#include "uistate.h"
#include "view.h"

static const struct {
	enum view_id id;
	const char *name;
} bf_views[] = {
	{ VIEW_DESTS, "destinations" },
	{ VIEW_HEATMAP, "heatmap" },
	{ VIEW_PROCS, "processes" },
	{ VIEW_SOCKS, "sockets" },
};

/* Copy every k-th socket of src (and its owner) into dst (initialised). */
static int bf_subset(const struct sample *src, struct sample *dst, size_t k)
{
	size_t i, j = 0, n = (src->socks.len + k - 1) / k;

	dst->time = src->time;
	dst->mono = src->mono;
	memcpy(dst->netns, src->netns, sizeof(dst->netns));
	dst->sys = src->sys;
	if (sockvec_reserve(&dst->socks, n))
		return -ENOMEM;
	if (src->nowner == src->socks.len && src->nprocs) {
		dst->owner = calloc(n + 1, sizeof(*dst->owner));
		dst->procs = calloc(src->nprocs, sizeof(*dst->procs));
		if (!dst->owner || !dst->procs)
			return -ENOMEM;
		memcpy(dst->procs, src->procs, src->nprocs * sizeof(*src->procs));
		dst->nprocs = dst->procs_cap = src->nprocs;
		dst->owner_cap = n + 1;
	}
	for (i = 0; i < src->socks.len; i += k, j++) {
		sockvec_push(&dst->socks, &src->socks.v[i]);
		if (dst->owner)
			dst->owner[j] = src->owner[i];
	}
	if (dst->owner)
		dst->nowner = j;
	return 0;
}

static void bf_render(const struct snapshot *snap, long runs, int w, int h)
{
	struct uistate st;
	struct frame f;
	double *ms = calloc((size_t)runs, sizeof(double));
	char name[128];
	size_t v;
	long r;

	if (!ms || uistate_init(&st, 1.0, 1) != 0) {
		fprintf(stderr, "bench_frame: out of memory\n");
		exit(1);
	}
	snprintf(st.host, sizeof(st.host), "bench");
	frame_init(&f, 1);
	if (frame_resize(&f, w, h) != 0) {
		fprintf(stderr, "bench_frame: out of memory\n");
		exit(1);
	}
	for (v = 0; v < sizeof(bf_views) / sizeof(bf_views[0]); v++) {
		uistate_switch_top(&st, bf_views[v].id);
		uistate_set_snapshot(&st, snap);
		screen_render(&st, &f);   /* warm-up */
		for (r = 0; r < runs; r++) {
			double t0 = bench_now_ms();

			uistate_set_snapshot(&st, snap);
			screen_render(&st, &f);
			ms[r] = bench_now_ms() - t0;
		}
		snprintf(name, sizeof(name), "frame %s @ %zu sockets",
			 bf_views[v].name, snap->nsocks);
		bench_result(name, ms, (size_t)runs, NULL, (long)snap->nsocks, -1);
		/* the same snapshot again: a key press, a resize */
		for (r = 0; r < runs; r++) {
			double t0 = bench_now_ms();

			screen_render(&st, &f);
			ms[r] = bench_now_ms() - t0;
		}
		snprintf(name, sizeof(name), "redraw %s @ %zu sockets",
			 bf_views[v].name, snap->nsocks);
		bench_result(name, ms, (size_t)runs, NULL, (long)snap->nsocks, -1);
	}
	frame_release(&f);
	uistate_release(&st);
	free(ms);
}

int main(int argc, char **argv)
{
	long runs = 9, subset = 1000;
	int w = 160, h = 50, opt, err;
	struct sampler *sp = NULL;
	struct model *big = NULL, *small = NULL;
	struct sample s, sub;
	struct clock clk;
	struct nlio io;
	size_t k;

	while ((opt = getopt(argc, argv, "n:W:H:k:")) != -1) {
		switch (opt) {
		case 'n':
			runs = bench_num("bench_frame", "-n", optarg);
			break;
		case 'W':
			w = (int)bench_num("bench_frame", "-W", optarg);
			break;
		case 'H':
			h = (int)bench_num("bench_frame", "-H", optarg);
			break;
		case 'k':
			subset = bench_num("bench_frame", "-k", optarg);
			break;
		default:
			return 2;
		}
	}
	sample_init(&s);
	sample_init(&sub);
	err = nlio_open_sock_diag(&io, 0);
	if (err) {
		fprintf(stderr, "bench_frame: sock_diag: %s\n", diag_strerror(err));
		return 1;
	}
	clock_init_system(&clk);
	err = sampler_new(&sp, "/proc", &clk, &io);
	if (!err)
		err = sampler_enable_attribution(sp, "/proc");
	if (!err)
		err = model_new(&big);
	if (!err)
		err = model_new(&small);
	if (!err)
		err = sampler_take(sp, &s);
	k = s.socks.len > (size_t)subset ? s.socks.len / (size_t)subset : 1;
	if (!err)
		err = bf_subset(&s, &sub, k);
	if (!err)
		err = model_update(small, &sub);
	if (!err)
		err = model_update(big, &s);
	if (err) {
		fprintf(stderr, "bench_frame: %s\n", strerror(-err));
		return 1;
	}
	bf_render(model_snapshot(small), runs, w, h);
	bf_render(model_snapshot(big), runs, w, h);
	model_free(big);
	model_free(small);
	sampler_free(sp);
	sample_release(&s);
	sample_release(&sub);
	return 0;
}
