#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "model.h"
#include "record.h"
#include "sampler.h"
#include "strbuf.h"

/*
 * The recording reader (-r FILE): the input is the file. Every sample the
 * reader indexes is decoded (forwards, then one jump back) and run
 * through the model and every output (fuzz_check_outputs): a recording
 * is a file anyone could have written.
 * Checks: the header's strings are bounded and inert, damage regions lie
 * inside the file and their reasons are inert, sample times are numbers,
 * decoded samples hold only records the parsers could have produced and
 * owner indices in bounds.
 */

#define MAX_SAMPLES 32

static void check_sample(const struct sample *s)
{
	size_t i;

	FUZZ_CHECK(fuzz_bounded(s->netns, sizeof(s->netns)));
	FUZZ_CHECK(s->nnotes <= SAMPLE_MAX_NOTES);
	for (i = 0; i < s->nnotes; i++) {
		FUZZ_CHECK(fuzz_bounded(s->notes[i], SAMPLE_NOTE_LEN));
		FUZZ_CHECK(fuzz_text_inert(s->notes[i], strlen(s->notes[i]), 0));
	}
	for (i = 0; i < s->socks.len; i++) {
		const struct sock_rec *r = &s->socks.v[i];

		FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6);
		FUZZ_CHECK(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
		FUZZ_CHECK(r->state >= SOCK_ESTABLISHED && r->state < SOCK_STATE_MAX);
		FUZZ_CHECK(r->bind <= SOCK_BIND_OWNED);
	}
	FUZZ_CHECK(s->bind_src >= SOCK_BSRC_NONE && s->bind_src <= SOCK_BSRC_BPF);
	FUZZ_CHECK(fuzz_bounded(s->bind_why, sizeof(s->bind_why)));
	FUZZ_CHECK(fuzz_text_inert(s->bind_why, strlen(s->bind_why), 0));
	FUZZ_CHECK(s->nowner == 0 || s->nowner == s->socks.len);
	for (i = 0; i < s->nowner; i++)
		FUZZ_CHECK(s->owner[i] == SAMPLE_NO_OWNER || s->owner[i] < s->nprocs);
	for (i = 0; i < s->nprocs; i++) {
		const struct sample_proc *p = &s->procs[i];

		FUZZ_CHECK(fuzz_bounded(p->comm, sizeof(p->comm)));
		FUZZ_CHECK(fuzz_text_inert(p->comm, strlen(p->comm), 0));
		FUZZ_CHECK(fuzz_bounded(p->cmdline, sizeof(p->cmdline)));
		FUZZ_CHECK(fuzz_text_inert(p->cmdline, strlen(p->cmdline), 0));
		FUZZ_CHECK(fuzz_bounded(p->user, sizeof(p->user)));
		FUZZ_CHECK(fuzz_bounded(p->unit, sizeof(p->unit)));
		FUZZ_CHECK(fuzz_bounded(p->cgroup, sizeof(p->cgroup)));
	}
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	const struct rec_header *h;
	struct rec_reader *r = NULL;
	struct model *m = NULL;
	struct sample s;
	struct strbuf err;
	size_t i, n;
	int e;

	strbuf_init(&err);
	e = rec_reader_open_mem(&r, data, size, &err);
	if (e < 0) {
		FUZZ_CHECK(r == NULL);
		FUZZ_CHECK(err.len > 0);
		FUZZ_CHECK(rec_strerror(e) != NULL);
		strbuf_release(&err);
		return 0;
	}
	strbuf_release(&err);
	h = rec_reader_header(r);
	FUZZ_CHECK(fuzz_bounded(h->host, sizeof(h->host)));
	FUZZ_CHECK(fuzz_text_inert(h->host, strlen(h->host), 0));
	FUZZ_CHECK(fuzz_bounded(h->porttop_version, sizeof(h->porttop_version)));
	FUZZ_CHECK(fuzz_text_inert(h->porttop_version,
				   strlen(h->porttop_version), 0));
	FUZZ_CHECK(fuzz_bounded(h->netns, sizeof(h->netns)));
	FUZZ_CHECK(fuzz_text_inert(h->netns, strlen(h->netns), 0));
	for (i = 0; i < rec_reader_ndamage(r); i++) {
		const struct rec_damage *d = rec_reader_damage(r, i);

		FUZZ_CHECK(d->offset <= size && d->length <= size - d->offset);
		FUZZ_CHECK(fuzz_bounded(d->reason, sizeof(d->reason)));
		FUZZ_CHECK(fuzz_text_inert(d->reason, strlen(d->reason), 0));
	}
	FUZZ_CHECK(rec_reader_ndamage(r) <= REC_MAX_DAMAGE);
	FUZZ_CHECK(rec_reader_ndamage(r) <= rec_reader_damage_total(r));

	n = rec_reader_count(r);
	FUZZ_CHECK(isnan(rec_reader_time(r, n)));
	FUZZ_CHECK(model_new(&m) == 0);
	sample_init(&s);
	for (i = 0; i < n && i < MAX_SAMPLES; i++) {
		FUZZ_CHECK(!isnan(rec_reader_time(r, i)));
		FUZZ_CHECK(rec_reader_offset(r, i) < size);
		e = rec_reader_read(r, i, &s);
		FUZZ_CHECK(e == 0 || e == -ENOMEM);
		if (e)
			continue;
		check_sample(&s);
		e = fuzz_check_outputs(m, &s);
		FUZZ_CHECK(e == 0);
	}
	/* a jump back decodes from the key record before it */
	if (n > 1) {
		FUZZ_CHECK(rec_reader_read(r, 0, &s) == 0);
		check_sample(&s);
	}
	FUZZ_CHECK(rec_reader_read(r, n, &s) == -ERANGE);
	sample_release(&s);
	model_free(m);
	rec_reader_free(r);
	return 0;
}

FUZZ_TARGET(record)
