#include "config.h"

#include <time.h>

#include "clock.h"

static double timespec_seconds(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double system_wall(void *ctx)
{
	(void)ctx;
	return timespec_seconds(CLOCK_REALTIME);
}

static double system_monotonic(void *ctx)
{
	(void)ctx;
	return timespec_seconds(CLOCK_MONOTONIC);
}

static double manual_now(void *ctx)
{
	return *(const double *)ctx;
}

void clock_init_system(struct clock *c)
{
	c->wall = system_wall;
	c->monotonic = system_monotonic;
	c->ctx = NULL;
}

void clock_init_manual(struct clock *c, double *now)
{
	c->wall = manual_now;
	c->monotonic = manual_now;
	c->ctx = now;
}
