#ifndef PORTTOP_RATES_H
#define PORTTOP_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "model.h"
#include "sampler.h"

/*
 * rates: close and connect rates per destination, and the forecast of
 * when a destination runs out of ports (design.md "Rates", "Forecast").
 *
 * Per destination and interval (between two samples):
 *   tw_new   sockets this host closed first (TIME_WAIT, or FIN_WAIT2 on
 *            the way there) that are new: not in the previous sample (by
 *            socket cookie, which an entry keeps from dump to dump); a
 *            TIME_WAIT entry without a cookie is new when younger than
 *            the interval (from idiag_expires: age = 60 s - time left);
 *   closes   every close counted once: each new entry when the dump
 *            shows it, plus the destroy events (engine/events.h) beyond
 *            those that pay off earlier entries (events lag: see
 *            rates_closes() in rates.c), i.e. connections whose peer
 *            closed first. Exact over time, also for connections that
 *            opened and closed between two samples. When events are
 *            unavailable or were lost (overrun), tw_new alone
 *            ("estimated": it misses connections whose peer closed
 *            first and entries already reused);
 *   opened   live (non-TIME_WAIT) sockets now - live before + closes.
 * Each becomes a per-second rate for the last interval and an
 * exponentially weighted moving average with time constant tau
 * (RATES_TAU_S): irregular intervals weigh in by their length, and a
 * destination not seen for a while decays by the time it was gone.
 *
 * The forecast treats ports as held by: live sockets (assumed steady:
 * as many open as close), existing TIME_WAIT entries until their timer
 * expires, and new entries arriving at the port-holding close rate
 * (closes that leave TIME_WAIT on this host: min(close rate, TIME_WAIT
 * rate)) and held 60 s each. Where connect() may reuse TIME_WAIT
 * (tcp_tw_reuse applies to the destination), entries hold their port
 * only for tcp_tw_reuse_delay.
 */

/* EWMA time constant, seconds. */
#define RATES_TAU_S 10.0
/* The kernel's TIME_WAIT length (TCP_TIMEWAIT_LEN), ms. */
#define RATES_TIMEWAIT_MS 60000u
/* Per-destination state is dropped after this long without closes. */
#define RATES_FORGET_S (6 * RATES_TAU_S)

/*
 * One EWMA step: the average `prev` after an interval of dt seconds
 * (> 0) whose rate was `value`, with time constant tau (> 0):
 * prev + (1 - exp(-dt / tau)) * (value - prev).
 */
double rates_ewma(double prev, double value, double dt, double tau);

/*
 * The forecast, a pure function. Seconds until `available` (ports free
 * now) reaches 0 when new holders arrive at `rate` per second, each
 * holding its port hold_s seconds, while the n existing holders free
 * theirs after left_ms[i] milliseconds (sorted ascending).
 * Returns 0 when available <= 0 (exhausted now), SNAP_NO_ETA when it
 * never reaches 0 (rate <= 0, or the steady state fits: rate x hold_s
 * plus what is held for good stays below what is free for good), else
 * the time in seconds. While a burst of existing entries is still
 * draining, the result can be finite even though the steady state fits:
 * the ports run out before the burst has drained.
 */
double rates_forecast_eta(double available, double rate, double hold_s,
			  const uint32_t *left_ms, size_t n);

struct rates;

/* tau: EWMA time constant in seconds (> 0). Returns 0 or -ENOMEM/-EINVAL. */
int rates_new(struct rates **out, double tau);
void rates_free(struct rates *r);

/*
 * Fill the rate fields of a freshly built snapshot (its dests, sockets
 * and sock_dest links final) from sample s (its close counts, netstat
 * counters and times; s->socks may already be empty): per destination
 * close_rate, close_rate_last, tw_rate, new_rate, closes and eta_s; for
 * the snapshot the rates_* fields, the counter deltas and a warning when
 * rates are estimated. The first sample only records a baseline (no
 * rates: SNAP_RATES_NONE). A sample whose monotonic time does not move
 * forward restarts the baseline. Returns 0, or -ENOMEM (the snapshot
 * then carries no rates and a warning; the state is reset).
 */
int rates_apply(struct rates *r, struct snapshot *snap, const struct sample *s);

#endif
