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

#include "keys.h"
#include "sanitize.h"
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

int ui_run(const struct options *opts, struct sampler *sp, struct model *m,
	   struct strbuf *err)
{
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
		if (!st.paused && now_mono() >= last + st.delay) {
			last = now_mono();
			rc = take(sp, m, &sample, &ms);
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
	return rc < 0 ? rc : 0;
}
