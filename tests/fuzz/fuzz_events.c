#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "events.h"
#include "fuzz.h"
#include "fuzz_chunks.h"

/*
 * sock_diag destroy events, as events_drain() reads them from the event
 * socket. Input: a chunk list (fuzz_chunks.h); byte 0 bit 0 sets a skip
 * map (every even port skipped) first.
 * Checks: counts add up (closes == counted <= events), keys are well
 * formed and bounded, and an overrun (ENOBUFS) is always flagged: lost
 * events are never silently undercounted.
 */

static uint8_t skip_even[65536 / 8];

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct fuzz_chunks c;
	struct ev_counts out;
	struct events *ev = NULL;
	struct nlio io;
	uint64_t sum = 0;
	size_t i;
	int r;

	if (size < 1)
		return 0;
	if (!skip_even[0])
		memset(skip_even, 0x55, sizeof(skip_even));
	fuzz_chunks_init(&io, &c, data + 1, size - 1);
	FUZZ_CHECK(events_new(&ev, &io) == 0);
	if (data[0] & 1)
		events_set_skip(ev, skip_even);
	do
		r = events_drain(ev);
	while (r > 0);
	FUZZ_CHECK(r <= 0);
	ev_counts_init(&out);
	events_take(ev, &out);
	for (i = 0; i < out.len; i++) {
		const struct ev_key *k = &out.v[i].key;

		FUZZ_CHECK(k->family == AF_INET || k->family == AF_INET6);
		FUZZ_CHECK(k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP);
		sum += out.v[i].closes;
	}
	FUZZ_CHECK(out.len <= EVENTS_MAX_KEYS);
	FUZZ_CHECK(sum == out.counted);
	FUZZ_CHECK(out.counted <= out.events);
	if (c.delivered[FUZZ_CHUNK_ENOBUFS])
		FUZZ_CHECK(out.flags & EV_OVERRUN);
	if (c.delivered[FUZZ_CHUNK_ENOSPC])
		FUZZ_CHECK(out.flags & EV_TRUNCATED);
	/* a second interval starts empty */
	events_take(ev, &out);
	FUZZ_CHECK(out.len == 0 && out.events == 0 && out.flags == 0);
	ev_counts_release(&out);
	events_free(ev);
	return 0;
}

FUZZ_TARGET(events)
