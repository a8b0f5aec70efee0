#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

struct sampler {
	char *procroot;
	struct clock clock;
	struct nlio io;
};

void sample_init(struct sample *s)
{
	memset(s, 0, sizeof(*s));
	sysctl_defaults(&s->sys);
	sockvec_init(&s->socks);
	strcpy(s->netns, "unknown");
}

void sample_release(struct sample *s)
{
	if (!s)
		return;
	sockvec_release(&s->socks);
}

int sampler_new(struct sampler **out, const char *procroot,
		const struct clock *clock, struct nlio *io)
{
	struct sampler *sp = calloc(1, sizeof(*sp));

	*out = NULL;
	if (sp)
		sp->procroot = strdup(procroot);
	if (!sp || !sp->procroot) {
		free(sp);
		nlio_close(io);
		return -ENOMEM;
	}
	sp->clock = *clock;
	sp->io = *io;
	io->ops = NULL;
	*out = sp;
	return 0;
}

void sampler_free(struct sampler *sp)
{
	if (!sp)
		return;
	nlio_close(&sp->io);
	free(sp->procroot);
	free(sp);
}

int sampler_take(struct sampler *sp, struct sample *s)
{
	int err;

	memset(&s->stats, 0, sizeof(s->stats));
	/* sysctls first: a range change between reading and dumping is then
	 * seen by the next sample, never half-applied to this one. */
	sysctl_read(sp->procroot, &s->sys);
	sysctl_read_netns(sp->procroot, s->netns, sizeof(s->netns));
	err = diag_dump_all(&sp->io, &s->socks, &s->stats);
	s->time = clock_wall(&sp->clock);
	s->mono = clock_monotonic(&sp->clock);
	return err;
}
