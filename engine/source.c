#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "source.h"

/* ---- replay ------------------------------------------------------------- */

struct replay {
	struct rec_reader *rd;
	size_t pos;
};

static int replay_next(void *ctx, struct sample *s)
{
	struct replay *rp = ctx;
	int e;

	if (rp->pos >= rec_reader_count(rp->rd))
		return -ENODATA;
	e = rec_reader_read(rp->rd, rp->pos, s);
	if (e == 0)
		rp->pos++;
	return e;
}

int replay_open(struct replay **out, const char *path, struct strbuf *err)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int e;

	*out = NULL;
	if (!rp)
		return -ENOMEM;
	e = rec_reader_open(&rp->rd, path, err);
	if (e == 0 && rec_reader_count(rp->rd) == 0) {
		size_t i, n = rec_reader_ndamage(rp->rd);

		strbuf_addstr(err, rec_strerror(-ENODATA));
		/* where and why: a flipped bit in a key record must not read
		 * as an empty file */
		for (i = 0; i < n && i < 4; i++) {
			const struct rec_damage *d = rec_reader_damage(rp->rd, i);

			strbuf_addf(err, "%s damaged at offset %llu (%llu bytes): %s",
				    i ? ";" : ":", (unsigned long long)d->offset,
				    (unsigned long long)d->length, d->reason);
		}
		if (rec_reader_damage_total(rp->rd) > i)
			strbuf_addf(err, "; %zu more damaged regions",
				    rec_reader_damage_total(rp->rd) - i);
		e = -ENODATA;
	}
	if (e) {
		replay_free(rp);
		return e;
	}
	*out = rp;
	return 0;
}

void replay_free(struct replay *rp)
{
	if (!rp)
		return;
	rec_reader_free(rp->rd);
	free(rp);
}

struct rec_reader *replay_reader(const struct replay *rp)
{
	return rp->rd;
}

void replay_feed(struct replay *rp, struct sampler_feed *feed)
{
	feed->next = replay_next;
	feed->ctx = rp;
}

size_t replay_count(const struct replay *rp)
{
	return rec_reader_count(rp->rd);
}

size_t replay_pos(const struct replay *rp)
{
	return rp->pos;
}

int replay_seek(struct replay *rp, size_t index)
{
	if (index > rec_reader_count(rp->rd))
		return -ERANGE;
	rp->pos = index;
	return 0;
}

double replay_time(const struct replay *rp, size_t index)
{
	return rec_reader_time(rp->rd, index);
}

size_t replay_find_time(const struct replay *rp, double t)
{
	size_t lo = 0, hi = rec_reader_count(rp->rd);

	/* times are in recording order; a clock step backwards only makes
	 * the search land near the step */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (rec_reader_time(rp->rd, mid) <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int replay_parse_time(const struct replay *rp, const char *text, double *t)
{
	double t0 = replay_time(rp, 0);
	unsigned h = 0, m = 0, s = 0;
	char *end, extra;
	double v;

	while (*text == ' ')
		text++;
	if (strchr(text, ':')) {
		struct tm tm;
		time_t base = (time_t)floor(t0);
		int n = sscanf(text, "%u:%u:%u%c", &h, &m, &s, &extra);

		if ((n != 2 && n != 3) || h > 23 || m > 59 || s > 60)
			return -EINVAL;
		if (!localtime_r(&base, &tm))
			return -EINVAL;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)m;
		tm.tm_sec = (int)s;
		tm.tm_isdst = -1;
		base = mktime(&tm);
		if (base == (time_t)-1)
			return -EINVAL;
		/* a recording past midnight: a time before the start is the
		 * next day's */
		*t = (double)base;
		if (*t + 1 < t0)
			*t += 86400;
		return 0;
	}
	if (*text == '+')
		text++;
	v = strtod(text, &end);
	if (end == text || *end || !isfinite(v) || v < 0)
		return -EINVAL;
	*t = t0 + v;
	return 0;
}

int replay_goto(struct replay *rp, struct sampler *sp, struct model *m,
		struct sample *s, size_t index)
{
	size_t n = rec_reader_count(rp->rd);
	int e;

	if (index >= n)
		return -ERANGE;
	if (index + 1 < rp->pos)
		return -ESPIPE;    /* back: a fresh model, from the start */
	if (index + 1 == rp->pos)
		return rec_reader_read(rp->rd, index, s);
	while (rp->pos <= index) {
		e = sampler_take(sp, s);
		if (e == 0)
			e = model_update(m, s);
		if (e)
			return e;
	}
	return 0;
}

char *replay_label(const struct replay *rp, char *buf, size_t len)
{
	size_t n = rec_reader_count(rp->rd), i = rp->pos ? rp->pos - 1 : 0;
	double t = rec_reader_time(rp->rd, i);
	char tb[16] = "";
	time_t tt;
	struct tm tm;

	if (isfinite(t)) {
		tt = (time_t)floor(t);
		if (localtime_r(&tt, &tm))
			strftime(tb, sizeof(tb), "%H:%M:%S", &tm);
	}
	snprintf(buf, len, "REPLAY %s %zu/%zu", tb, i + 1, n);
	return buf;
}

/* ---- import ------------------------------------------------------------- */

struct import_src {
	struct sample s;
	int given;
};

static int import_next(void *ctx, struct sample *s)
{
	struct import_src *is = ctx;

	if (is->given)
		return -ENODATA;
	is->given = 1;
	return rec_sample_copy(s, &is->s);
}

int import_src_open(struct import_src **out, const char *path,
		    const struct import_opts *opts, struct import_stats *st,
		    struct strbuf *err)
{
	struct import_opts o = *opts;
	struct import_src *is;
	struct stat sb;
	int fd, e;

	*out = NULL;
	memset(st, 0, sizeof(*st));
	is = calloc(1, sizeof(*is));
	if (!is)
		return -ENOMEM;
	sample_init(&is->s);
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			e = -errno;
			strbuf_addf(err, "%s", strerror(-e));
			import_src_free(is);
			return e;
		}
	}
	/* a file: when it was written is when the capture was taken */
	if (fd != STDIN_FILENO && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		o.time = (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9;
	e = import_read_fd(fd, &o, &is->s, st);
	if (fd != STDIN_FILENO)
		close(fd);
	if (e == -ENODATA)
		strbuf_addf(err, "no line of the capture could be read as ss, "
			    "netstat or Windows netstat output (%llu lines, "
			    "%llu malformed)", (unsigned long long)st->lines,
			    (unsigned long long)st->malformed);
	else if (e == -EILSEQ)
		strbuf_addstr(err, "UTF-16 text (PowerShell's > writes it): "
			      "convert it to UTF-8 first, e.g. netstat -ano | "
			      "Out-File -Encoding ascii FILE");
	else if (e == -EFBIG)
		strbuf_addf(err, "larger than porttop reads (%llu MiB or %u "
			    "lines): refusing it", (unsigned long long)
			    (IMPORT_MAX_BYTES >> 20), IMPORT_MAX_LINES);
	else if (e)
		strbuf_addf(err, "%s", strerror(-e));
	if (e) {
		import_src_free(is);
		return e;
	}
	*out = is;
	return 0;
}

void import_src_free(struct import_src *is)
{
	if (!is)
		return;
	sample_release(&is->s);
	free(is);
}

void import_src_feed(struct import_src *is, struct sampler_feed *feed)
{
	feed->next = import_next;
	feed->ctx = is;
}

/* ---- the demo ----------------------------------------------------------- */

#ifndef PORTTOP_PKGDATADIR
#define PORTTOP_PKGDATADIR "/usr/local/share/porttop"
#endif

int source_demo_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/demo.ptr", PORTTOP_PKGDATADIR);
	if (access(buf, R_OK) == 0)
		return 0;
#ifdef PORTTOP_SRCDATADIR
	{
		char alt[4096];

		/* uninstalled: the copy in the source tree */
		snprintf(alt, sizeof(alt), "%s/demo.ptr", PORTTOP_SRCDATADIR);
		if (access(alt, R_OK) == 0) {
			snprintf(buf, len, "%s", alt);
			return 0;
		}
	}
#endif
	return -ENOENT;
}
