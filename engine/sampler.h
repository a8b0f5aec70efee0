#ifndef PORTTOP_SAMPLER_H
#define PORTTOP_SAMPLER_H

#include "clock.h"
#include "diag.h"
#include "nlio.h"
#include "sock.h"
#include "sysctl.h"

/*
 * sampler: takes one sample = one dump of every TCP and UDP socket + the
 * sysctls + the time, through the interfaces it is given (an nlio, a proc
 * root, a clock), so tests can run it on canned data.
 */

struct sample {
	double time;              /* wall clock, seconds since the epoch */
	double mono;              /* monotonic seconds */
	char netns[40];           /* "net:[INODE]" or "unknown" */
	struct sysctl_vals sys;
	struct sockvec socks;     /* owned by the sample */
	struct diag_stats stats;  /* of this sample's dump */
};

void sample_init(struct sample *s);
void sample_release(struct sample *s);

struct sampler;

/*
 * Create a sampler. procroot is copied; clock is copied; io is taken over
 * (the sampler closes it, also on failure). Returns 0 or -ENOMEM.
 */
int sampler_new(struct sampler **out, const char *procroot,
		const struct clock *clock, struct nlio *io);
void sampler_free(struct sampler *sp);

/*
 * Take one sample into *s (its previous sockets are discarded, its memory
 * reused). Returns 0, or a negative errno when the sockets could not be
 * dumped (s->socks is then empty); a missing sysctl is not an error
 * (see sysctl_vals.known).
 */
int sampler_take(struct sampler *sp, struct sample *s);

#endif
