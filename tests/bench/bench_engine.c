#include "config.h"

/*
 * bench_engine: porttop's steady state at 1 Hz without the waiting: one
 * process takes samples and updates the model over and over, exactly as
 * porttop does (a real sock_diag socket, /proc, the destroy-event socket
 * when the kernel has one), and times each step.
 *
 *   bench_engine [-n SAMPLES] [-a] [-c COLD] [-j] [-l LABEL]
 *
 * Without -a: one warm-up sample, then SAMPLES timed ones; result lines
 * "LABEL" (sample + model update), "LABEL: sample", "LABEL: model".
 * -a: with process attribution (sampler_enable_attribution, as porttop
 * always does): first COLD times a fresh sampler and model whose first
 * sample is timed ("LABEL cold": nothing about the processes is known
 * yet), then SAMPLES timed samples on the last of them ("LABEL warm").
 * -B: with the BPF port-state reader (sampler_enable_bpf), as porttop
 * does with the privileges for it; without -B every sample marks the
 * explicit-port binds by one more filtered dump (diag_mark_userbound),
 * as porttop does without them.
 * -j: also format every snapshot as porttop -b -o json does ("LABEL:
 * JSON"). Peak RSS is this process's VmHWM at the end.
 *
 * Next to every timed sample it also times the floor (bench_dump.h) on a
 * socket of its own ("LABEL: floor"; before the sample or after it, in
 * turn), and the ratio of each sample to its floor ("LABEL: x floor",
 * whose time fields are these ratios): the noise of a shared machine then
 * touches both sides of a ratio alike.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_dump.h"
#include "bench_util.h"
#include "bpfport.h"
#include "clock.h"
#include "diag.h"
#include "events.h"
#include "model.h"
#include "nlio.h"
#include "out_json.h"
#include "sampler.h"
#include "strbuf.h"

struct be_ctx {
	struct sampler *sp;
	struct model *m;
	struct sample s;
};

static int be_open(struct be_ctx *c, int attrib, int bpf)
{
	struct clock clk;
	struct events *ev;
	struct nlio io;
	int err;

	memset(c, 0, sizeof(*c));
	sample_init(&c->s);
	err = nlio_open_sock_diag(&io, 0);
	if (err) {
		fprintf(stderr, "bench_engine: sock_diag: %s\n",
			diag_strerror(err));
		return err;
	}
	clock_init_system(&clk);
	err = sampler_new(&c->sp, "/proc", &clk, &io);
	if (!err)
		err = model_new(&c->m);
	if (!err && attrib)
		err = sampler_enable_attribution(c->sp, "/proc");
	if (!err && bpf && (err = sampler_enable_bpf(c->sp)) != 0) {
		fprintf(stderr, "bench_engine: -B: %s\n", bpfport_strerror(err));
		return err;
	}
	if (err) {
		fprintf(stderr, "bench_engine: setup: %s\n", strerror(-err));
		return err;
	}
	if (events_open(&ev, 0) == 0)
		sampler_set_events(c->sp, ev);
	return 0;
}

static void be_close(struct be_ctx *c)
{
	model_free(c->m);
	sampler_free(c->sp);
	sample_release(&c->s);
}

/* One sample and update; the times of both parts in *ts, *tm. */
static int be_step(struct be_ctx *c, double *ts, double *tm)
{
	double t0 = bench_now_ms(), t1;
	int err = sampler_take(c->sp, &c->s);

	t1 = bench_now_ms();
	if (err) {
		fprintf(stderr, "bench_engine: sample: %s\n", diag_strerror(err));
		return err;
	}
	err = model_update(c->m, &c->s);
	*ts = t1 - t0;
	*tm = bench_now_ms() - t1;
	if (err)
		fprintf(stderr, "bench_engine: model_update: %s\n",
			strerror(-err));
	return err;
}

/* One floor dump, timed: ms, or -1. */
static double be_floor_once(struct bench_dump *bd)
{
	double t0 = bench_now_ms();

	if (bench_dump_all(bd) < 0) {
		perror("bench_engine: floor dump");
		return -1;
	}
	return bench_now_ms() - t0;
}

static long be_socks(const struct be_ctx *c)
{
	const struct snapshot *snap = model_snapshot(c->m);

	return snap ? (long)snap->nsocks : -1;
}

int main(int argc, char **argv)
{
	const char *label = NULL;
	long n = 20, cold = 5, i;
	int attrib = 0, json = 0, bpf = 0, opt;
	double *tot, *smp, *mdl, *js, *cms, *fl, *ratio;
	struct bench_dump *bd = bench_dump_new(0);
	char name[200];
	struct strbuf sb;
	struct be_ctx c;
	long socks;

	while ((opt = getopt(argc, argv, "n:ac:jl:B")) != -1) {
		switch (opt) {
		case 'n':
			n = bench_num("bench_engine", "-n", optarg);
			break;
		case 'a':
			attrib = 1;
			break;
		case 'c':
			cold = bench_num("bench_engine", "-c", optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'B':
			bpf = 1;
			break;
		case 'l':
			label = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!label)
		label = attrib ? "engine+attribution" : "engine";
	tot = calloc((size_t)(n + cold), sizeof(double));
	smp = calloc((size_t)(n + cold), sizeof(double));
	mdl = calloc((size_t)(n + cold), sizeof(double));
	js = calloc((size_t)n, sizeof(double));
	cms = calloc((size_t)cold, sizeof(double));
	fl = calloc((size_t)(n + cold), sizeof(double));
	ratio = calloc((size_t)n, sizeof(double));
	if (!tot || !smp || !mdl || !js || !cms || !fl || !ratio)
		return 1;
	if (!bd) {
		perror("bench_engine: netlink");
		return 1;
	}
	strbuf_init(&sb);

	if (attrib) {
		/* cold: a new sampler and model each time */
		for (i = 0; i < cold; i++) {
			if (i > 0)
				be_close(&c);
			if (be_open(&c, 1, bpf))
				return 1;
			fl[i] = be_floor_once(bd);
			if (fl[i] < 0 || be_step(&c, &smp[i], &mdl[i]))
				return 1;
			cms[i] = smp[i] + mdl[i];
		}
		snprintf(name, sizeof(name), "%s cold", label);
		bench_result(name, cms, (size_t)cold, NULL, be_socks(&c),
			     bench_self_hwm_kib());
		snprintf(name, sizeof(name), "%s cold: floor", label);
		bench_result(name, fl, (size_t)cold, NULL, be_socks(&c), -1);
	} else {
		double a, b;

		if (be_open(&c, 0, bpf) || be_step(&c, &a, &b))   /* warm-up */
			return 1;
	}
	for (i = 0; i < n; i++) {
		/* alternate which goes first: neither gets the other's
		 * warm caches every time */
		if (i % 2 == 0 && (fl[i] = be_floor_once(bd)) < 0)
			return 1;
		if (be_step(&c, &smp[i], &mdl[i]))
			return 1;
		if (i % 2 == 1 && (fl[i] = be_floor_once(bd)) < 0)
			return 1;
		tot[i] = smp[i] + mdl[i];
		ratio[i] = fl[i] > 0 ? tot[i] / fl[i] : 0.0;
		if (json) {
			double t0 = bench_now_ms();

			strbuf_reset(&sb);
			out_json_snapshot(&sb, model_snapshot(c.m));
			js[i] = bench_now_ms() - t0;
		}
	}
	socks = be_socks(&c);
	snprintf(name, sizeof(name), "%s%s", label, attrib ? " warm" : "");
	bench_result(name, tot, (size_t)n, NULL, socks, bench_self_hwm_kib());
	snprintf(name, sizeof(name), "%s%s: sample", label, attrib ? " warm" : "");
	bench_result(name, smp, (size_t)n, NULL, socks, -1);
	snprintf(name, sizeof(name), "%s%s: model", label, attrib ? " warm" : "");
	bench_result(name, mdl, (size_t)n, NULL, socks, -1);
	snprintf(name, sizeof(name), "%s%s: floor", label, attrib ? " warm" : "");
	bench_result(name, fl, (size_t)n, NULL, socks, -1);
	/* the ratios of each sample to its neighbouring floor: the "ms"
	 * fields of this line are ratios */
	snprintf(name, sizeof(name), "%s%s: x floor", label, attrib ? " warm" : "");
	bench_result(name, ratio, (size_t)n, NULL, socks, -1);
	if (json) {
		snprintf(name, sizeof(name), "%s: JSON", label);
		bench_result(name, js, (size_t)n, NULL, socks, -1);
	}
	be_close(&c);
	bench_dump_free(bd);
	strbuf_release(&sb);
	free(tot);
	free(smp);
	free(mdl);
	free(js);
	free(cms);
	free(fl);
	free(ratio);
	return 0;
}
