#ifndef PORTTOP_CLOCK_H
#define PORTTOP_CLOCK_H

/*
 * clock: where time comes from. The engine never calls time functions
 * directly; it asks a clock, so tests can drive time by hand.
 *
 * Both readings are seconds as doubles:
 *   wall()      seconds since the Unix epoch (what snapshots carry);
 *   monotonic() seconds on a clock that never jumps (for rates).
 */
struct clock {
	double (*wall)(void *ctx);
	double (*monotonic)(void *ctx);
	void *ctx;
};

/* The system clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Never fails. */
void clock_init_system(struct clock *c);

/*
 * A manual clock for tests: both readings return *now. The caller owns
 * `now` and must keep it alive as long as the clock is used.
 */
void clock_init_manual(struct clock *c, double *now);

static inline double clock_wall(const struct clock *c) { return c->wall(c->ctx); }
static inline double clock_monotonic(const struct clock *c) { return c->monotonic(c->ctx); }

#endif
