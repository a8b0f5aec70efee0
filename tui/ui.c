#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "keys.h"
#include "netns.h"     /* nat */
#include "sanitize.h"
#include "source.h"    /* record */
#include "terminal.h"
#include "ui.h"
#include "uistate.h"
#include "view.h"

/*
 * The event loop: poll() on the terminal and on a self-pipe written by the
 * signal handlers, with a timeout to the next sample. Nothing runs between
 * samples unless a key or a signal arrives.
 */

/* Written by signal handlers only: the one place that needs globals. */
static int ui_sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t ui_sig_quit;
static volatile sig_atomic_t ui_sig_winch;

static const int ui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
#define UI_NSIG (sizeof(ui_signals) / sizeof(ui_signals[0]))

static void ui_on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGWINCH)
		ui_sig_winch = 1;
	else
		ui_sig_quit = sig;
	if (ui_sig_pipe[1] >= 0)
		(void)!write(ui_sig_pipe[1], "", 1);
	errno = saved;
}

static int signals_install(struct sigaction *old)
{
	struct sigaction sa;
	size_t i;

	if (pipe(ui_sig_pipe) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		fcntl(ui_sig_pipe[i], F_SETFL, fcntl(ui_sig_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(ui_sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	ui_sig_quit = 0;
	ui_sig_winch = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ui_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < UI_NSIG; i++)
		sigaction(ui_signals[i], &sa, &old[i]);
	return 0;
}

static void signals_restore(const struct sigaction *old)
{
	size_t i;

	for (i = 0; i < UI_NSIG; i++)
		sigaction(ui_signals[i], &old[i], NULL);
	for (i = 0; i < 2; i++) {
		if (ui_sig_pipe[i] >= 0)
			close(ui_sig_pipe[i]);
		ui_sig_pipe[i] = -1;
	}
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int user_lookup(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res || !res->pw_name)
		return -1;
	snprintf(buf, len, "%s", res->pw_name);
	return 0;
}

/* Take one sample and feed it to the model; 0 or a negative errno. */
static int take(struct sampler *sp, struct model *m, struct sample *s, double *ms)
{
	double t0 = now_mono();
	int rc = sampler_take(sp, s);

	if (rc == 0)
		rc = model_update(m, s);
	*ms = (now_mono() - t0) * 1000.0;
	return rc;
}

static int utf8_locale(void)
{
	const char *cs;

	/* LC_CTYPE only: number formatting elsewhere relies on the C locale. */
	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* >>> nat: the namespaces view, and switching into another namespace */
struct ui_nat {
	struct sampler *home_sp;      /* the caller's: never freed here */
	struct model *home_m;
	uint64_t home_inode;          /* the namespace they sample */
	struct sampler *own_sp;       /* another namespace, or NULL */
	struct model *own_m;
	int live;                     /* the caller samples the kernel */
	struct netns_list list;
	int listed;
	double listed_at;             /* monotonic time of the last listing */
};

static uint64_t ui_nat_inode(const struct snapshot *s)
{
	unsigned long long v;

	return s && sscanf(s->netns, "net:[%llu]", &v) == 1 ? v : 0;
}

/* List and sample every namespace while the namespaces view is shown,
 * at most every max(interval, 2 s): each costs a socket dump. */
static void ui_nat_refresh(struct ui_nat *nat, struct uistate *st,
			   const struct options *opts)
{
	double now = now_mono(), every = st->delay > 2.0 ? st->delay : 2.0;
	struct clock clk;

	if (st->stack[0].view != VIEW_NETNS ||
	    (nat->listed && (st->paused || now < nat->listed_at + every)))
		return;
	nat->listed = 1;
	nat->listed_at = now;
	/* a recording or an import: no namespaces to list */
	if (nat->live) {
		clock_init_system(&clk);
		if (netns_discover(&nat->list, "/proc", NETNS_RUNDIR) != 0 ||
		    netns_survey(&nat->list, "/proc", NETNS_RUNDIR, &clk,
				 opts->nat_low, opts->nat_high) != 0)
			nat->list.len = 0;
	}
	st->netns = &nat->list;
	uistate_set_snapshot(st, st->snap);
}

/*
 * Enter asked for namespace `inode`: sample it with a sampler and a model
 * of its own (never mixed with another's); back to the caller's when it is
 * theirs. *sp and *m become the pair to sample with. On failure the reason
 * is shown and nothing changes.
 */
static void ui_nat_switch(struct ui_nat *nat, struct uistate *st,
			  const struct options *opts, uint64_t inode,
			  struct sampler **sp, struct model **m,
			  struct sample *sample, double *ms)
{
	const struct netns_sampler_cfg cfg = {
		.procroot = "/proc", .events = 1, .attribution = 1,
		.bpf = !opts->no_bpf, .conntrack = 1, .nat_low = opts->nat_low,
		.nat_high = opts->nat_high, .nat_given = opts->have_nat_range,
	};
	const struct netns_info *in = netns_list_find(&nat->list, inode);
	struct sampler *nsp = NULL;
	struct model *nm = NULL;
	struct netns *ns = NULL;
	struct clock clk;
	char label[NETNS_LABEL_MAX];
	int e;

	if (!in) {
		snprintf(st->msg, sizeof(st->msg), "that namespace is gone");
		return;
	}
	if (in->name[0])
		snprintf(label, sizeof(label), "%s", in->name);
	else if (in->npids)
		snprintf(label, sizeof(label), "pid %d", in->pids[0]);
	else
		snprintf(label, sizeof(label), "%s", in->id);
	if (inode == nat->home_inode) {
		nsp = nat->home_sp;
		nm = nat->home_m;
		e = take(nsp, nm, sample, ms);
	} else {
		clock_init_system(&clk);
		e = netns_open_info(&ns, "/proc", NETNS_RUNDIR, in);
		if (e == 0)
			e = netns_sampler_open(&nsp, ns, &clk, &cfg);
		if (e == 0)
			e = model_new(&nm);
		if (e == 0)
			e = model_set_pid_filter(nm, opts->pids, opts->npids);
		if (e == 0)
			e = take(nsp, nm, sample, ms);
	}
	if (e) {
		snprintf(st->error, sizeof(st->error),
			 "cannot enter network namespace %s: %s", label,
			 netns_strerror(e));
		if (nsp != nat->home_sp) {
			sampler_free(nsp);
			model_free(nm);
		}
		return;
	}
	/* the previous namespace's pair goes, unless it is the caller's */
	sampler_free(nat->own_sp);
	model_free(nat->own_m);
	nat->own_sp = nsp == nat->home_sp ? NULL : nsp;
	nat->own_m = nsp == nat->home_sp ? NULL : nm;
	*sp = nsp;
	*m = nm;
	st->error[0] = '\0';
	st->sample_ms = *ms;
	if (inode == nat->home_inode)
		st->netns_label[0] = '\0';
	else
		view_clean(st, st->netns_label, sizeof(st->netns_label), label,
			   strlen(label));
	uistate_set_snapshot(st, model_snapshot(nm));
	uistate_switch_top(st, VIEW_DESTS);
}
/* <<< nat */

/* >>> record: replay keys t/T/b and the REPLAY label (engine/source.h) */
struct ui_replay {
	struct replay *rp;            /* NULL: not a replay */
	struct model *own_m;          /* made for a jump back, or NULL */
	int editing;                  /* b: a time is being typed */
	char buf[24];
};

/* The header names the replay and the sample's time where the namespace
 * label goes (in the warning colour). */
static void ui_replay_label(struct ui_replay *r, struct uistate *st)
{
	char label[64];

	if (!r->rp)
		return;
	replay_label(r->rp, label, sizeof(label));
	snprintf(st->netns_label, sizeof(st->netns_label), "%s", label);
}

/* Show sample index, with the rates of the live run: a jump back replays
 * from the start into a new model (engine/source.h, replay_goto()). */
static void ui_replay_goto(struct ui_replay *r, struct uistate *st,
			   const struct options *opts, struct sampler *sp,
			   struct model **m, struct sample *s, size_t index)
{
	size_t was = replay_pos(r->rp);
	int e = replay_goto(r->rp, sp, *m, s, index);

	if (e == -ESPIPE) {
		struct model *nm = NULL;

		e = model_new(&nm);
		if (e == 0)
			e = model_set_pid_filter(nm, opts->pids, opts->npids);
		if (e == 0)
			e = replay_seek(r->rp, 0);
		if (e == 0)
			e = replay_goto(r->rp, sp, nm, s, index);
		if (e == 0) {
			model_free(r->own_m);   /* never the caller's */
			r->own_m = nm;
			*m = nm;
		} else {
			model_free(nm);
			replay_seek(r->rp, was);  /* *m saw the samples before it */
		}
	}
	if (e) {
		snprintf(st->error, sizeof(st->error), "replay: %s", strerror(-e));
	} else {
		st->error[0] = '\0';
		uistate_set_snapshot(st, model_snapshot(*m));
	}
	ui_replay_label(r, st);
}

/* Keys of a replay; 1 when the key was one. */
static int ui_replay_key(struct ui_replay *r, struct uistate *st,
			 const struct options *opts, struct sampler *sp,
			 struct model **m, struct sample *s, int key)
{
	size_t pos, n, len;
	double t;

	if (!r->rp || st->edit != EDIT_NONE)
		return 0;
	st->msg[0] = '\0';
	if (r->editing) {
		len = strlen(r->buf);
		if (key == UK_ENTER) {
			r->editing = 0;
			if (replay_parse_time(r->rp, r->buf, &t) < 0) {
				snprintf(st->msg, sizeof(st->msg),
					 "not a time: give HH:MM:SS or seconds from the start");
			} else {
				st->paused = 1;
				ui_replay_goto(r, st, opts, sp, m, s,
					       replay_find_time(r->rp, t));
			}
		} else if (key == UK_ESC) {
			r->editing = 0;
		} else if (key == UK_BACKSPACE) {
			if (len)
				r->buf[len - 1] = '\0';
		} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(r->buf)) {
			r->buf[len] = (char)key;
			r->buf[len + 1] = '\0';
		}
		return 1;
	}
	pos = replay_pos(r->rp);
	n = replay_count(r->rp);
	switch (key) {
	case 't':
		st->paused = 1;
		if (pos < n)
			ui_replay_goto(r, st, opts, sp, m, s, pos);
		else
			snprintf(st->msg, sizeof(st->msg), "last sample of the recording");
		return 1;
	case 'T':
		st->paused = 1;
		if (pos >= 2)
			ui_replay_goto(r, st, opts, sp, m, s, pos - 2);
		else
			snprintf(st->msg, sizeof(st->msg), "first sample of the recording");
		return 1;
	case 'b':
		r->editing = 1;
		r->buf[0] = '\0';
		return 1;
	default:
		return 0;
	}
}
/* <<< record */

int ui_run(const struct options *opts, struct sampler *sp, struct model *m,
	   struct strbuf *err)
{
	struct ui_replay rep;   /* record */
	struct ui_nat nat;   /* nat */
	struct sigaction old[UI_NSIG];
	struct sample sample;
	struct uistate st;
	struct frame frame;
	struct term *term = NULL;
	const char *nc;
	double ms = 0, last, timeout_s;
	unsigned long samples = 0;
	int rc, utf8, want_color, full = 0;
	char host[256];

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		strbuf_addstr(err, "the interactive UI needs a terminal (use -b for batch output)");
		return -ENOTTY;
	}
	utf8 = utf8_locale() && !opts->ascii;
	nc = getenv("NO_COLOR");
	want_color = !opts->no_color && !(nc && *nc);

	/* The first sample before the screen is taken over: errors stay readable. */
	sample_init(&sample);
	rc = take(sp, m, &sample, &ms);
	if (rc < 0) {
		strbuf_addf(err, "cannot sample: %s", strerror(-rc));
		sample_release(&sample);
		return rc;
	}
	samples = 1;
	last = now_mono();

	rc = uistate_init(&st, opts->delay, utf8);
	if (rc < 0) {
		strbuf_addstr(err, "out of memory");
		sample_release(&sample);
		return rc;
	}
	st.user_lookup = user_lookup;
	st.sample_ms = ms;
	st.samples = samples;
	if (gethostname(host, sizeof(host)) == 0) {
		/* At most 24 bytes: the header must keep room for the rest. */
		host[sizeof(host) - 1] = '\0';
		if (utf8)
			sanitize_text(st.host, 25, host, strlen(host));
		else
			sanitize_ascii(st.host, 25, host, strlen(host));
	}
	uistate_set_snapshot(&st, model_snapshot(m));
	frame_init(&frame, utf8);
	/* nat: sp and m are the pair sampled; the caller's stay theirs */
	memset(&nat, 0, sizeof(nat));
	netns_list_init(&nat.list);
	nat.home_sp = sp;
	nat.home_m = m;
	nat.home_inode = ui_nat_inode(model_snapshot(m));
	nat.live = sampler_feed_ctx(sp) == NULL;
	/* record: main() feeds a replay's sampler from the replay itself */
	memset(&rep, 0, sizeof(rep));
	rep.rp = opts->replay || opts->demo ? sampler_feed_ctx(sp) : NULL;
	ui_replay_label(&rep, &st);
	if (!nat.live) {
		/* the host recorded, not this one; none for an import */
		const char *h = rep.rp ?
			rec_reader_header(replay_reader(rep.rp))->host : "";

		if (utf8)
			sanitize_text(st.host, 25, h, strlen(h));
		else
			sanitize_ascii(st.host, 25, h, strlen(h));
	}
	if (opts->all_netns) {
		st.netns_in_cycle = 1;
		uistate_switch_top(&st, VIEW_NETNS);
	}

	/* Our handlers go in first so that curses does not install its own
	 * (its SIGINT/SIGTERM handlers exit the process). */
	rc = signals_install(old);
	if (rc < 0) {
		strbuf_addf(err, "cannot set up signals: %s", strerror(-rc));
		goto out_state;
	}
	rc = term_open(&term, want_color, err);
	if (rc < 0)
		goto out_signals;
	st.color = term_has_color(term);

	for (;;) {
		struct pollfd pfd[3];
		int w, h, key, evfd = sampler_event_fd(sp);
		char drain[64];

		ui_nat_refresh(&nat, &st, opts);   /* nat */
		if (rep.editing)   /* record: the prompt of b */
			snprintf(st.msg, sizeof(st.msg),
				 "jump to (HH:MM:SS or seconds from the start): %s_",
				 rep.buf);
		term_size(term, &w, &h);
		if (frame.w != w || frame.h != h || frame.utf8 != utf8) {
			frame.utf8 = utf8;
			if (frame_resize(&frame, w, h) < 0) {
				strbuf_addstr(err, "out of memory");
				rc = -ENOMEM;
				break;
			}
		}
		screen_render(&st, &frame);
		term_present(term, &frame, full || st.want_redraw);
		full = 0;
		st.want_redraw = 0;
		if (st.quit || ui_sig_quit)
			break;
		if (opts->iterations > 0 && samples >= (unsigned long)opts->iterations)
			break;

		timeout_s = st.paused ? -1 : last + st.delay - now_mono();
		pfd[0].fd = term_fd(term);
		pfd[0].events = POLLIN;
		pfd[1].fd = ui_sig_pipe[0];
		pfd[1].events = POLLIN;
		/* Destroy events: drained as they come, counted at the next sample. */
		pfd[2].fd = evfd;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (timeout_s < 0 && !st.paused)
			timeout_s = 0;
		rc = poll(pfd, evfd >= 0 ? 3 : 2,
			  st.paused ? -1 : (int)ceil(timeout_s * 1000.0));
		if (rc < 0 && errno != EINTR) {
			strbuf_addf(err, "poll: %s", strerror(errno));
			rc = -errno;
			break;
		}
		rc = 0;
		if (pfd[1].revents & POLLIN)
			while (read(ui_sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		if (ui_sig_quit)
			break;
		if (evfd >= 0 && (pfd[2].revents & POLLIN))
			sampler_drain_events(sp);
		if (ui_sig_winch) {
			ui_sig_winch = 0;
			term_resize(term);
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;       /* the terminal is gone */
		if (pfd[0].revents & POLLIN) {
			while ((key = term_key(term)) >= 0) {
				int was_paused = st.paused;

				if (ui_replay_key(&rep, &st, opts, sp, &m, &sample, key))
					continue;   /* record */
				uistate_key(&st, key);
				if (st.quit)
					break;
				/* Resuming samples at once. */
				if (was_paused && !st.paused)
					last = now_mono() - st.delay;
			}
			if (st.want_redraw)
				full = 1;
		}
		if (st.quit)
			break;
		if (st.netns_switch) {   /* nat: Enter in the namespaces view */
			uint64_t inode = st.netns_switch;

			st.netns_switch = 0;
			ui_nat_switch(&nat, &st, opts, inode, &sp, &m, &sample, &ms);
			last = now_mono();
			continue;
		}
		if (!st.paused && now_mono() >= last + st.delay) {
			last = now_mono();
			rc = take(sp, m, &sample, &ms);
			if (rc == -ENODATA && !nat.live) {
				/* record: the end of a recording or capture */
				st.paused = 1;
				snprintf(st.msg, sizeof(st.msg), "end of the %s",
					 rep.rp ? "recording (T: back, b: jump)" :
					 "capture");
				rc = 0;
				continue;
			}
			ui_replay_label(&rep, &st);   /* record */
			if (rc < 0) {
				snprintf(st.error, sizeof(st.error), "sample failed: %s",
					 strerror(-rc));
			} else {
				st.error[0] = '\0';
				st.sample_ms = ms;
				uistate_set_snapshot(&st, model_snapshot(m));
			}
			samples++;
			st.samples = samples;
			rc = 0;
		}
	}
	term_close(term);
out_signals:
	signals_restore(old);
out_state:
	frame_release(&frame);
	uistate_release(&st);
	sample_release(&sample);
	sampler_free(nat.own_sp);   /* nat */
	model_free(nat.own_m);
	model_free(rep.own_m);   /* record */
	netns_list_release(&nat.list);
	return rc < 0 ? rc : 0;
}
