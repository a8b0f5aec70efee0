#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "fuzz.h"
#include "fuzz_chunks.h"

/*
 * ctnetlink (conntrack table dumps). Byte 0 picks the mode:
 *   even: the rest is one datagram for ct_parse() into an aggregator
 *         (the sequence number of its first message is the one answered),
 *         then ct_nat_acc_finish();
 *   odd:  the rest is a chunk list (fuzz_chunks.h) played to
 *         conntrack_dump() through conntrack_new().
 * Byte 1 picks a NAT range. Checks: NAT destinations are sorted by
 * available, in_use + available == the range size, counts are bounded by
 * the entries, and a failed dump says so (no CT_HAVE_DUMP, dump_err set).
 */

static void check_nat(const struct ct_sample *s, unsigned low, unsigned high)
{
	uint32_t size = high - low + 1;
	size_t i;

	FUZZ_CHECK(s->nnat <= CT_MAX_NAT_DESTS);
	for (i = 0; i < s->nnat; i++) {
		const struct ct_nat_dest *d = &s->nat[i];

		FUZZ_CHECK(d->in_use <= size);
		FUZZ_CHECK(d->in_use + d->available == size);
		FUZZ_CHECK(d->nat_entries <= d->entries);
		FUZZ_CHECK(d->in_use <= d->entries);
		FUZZ_CHECK(d->family == AF_INET || d->family == AF_INET6);
		FUZZ_CHECK(d->proto == IPPROTO_TCP || d->proto == IPPROTO_UDP);
		FUZZ_CHECK(d->headroom_pct >= 0.0 && d->headroom_pct <= 100.0);
		if (i > 0)
			FUZZ_CHECK(s->nat[i - 1].available <= d->available);
	}
}

static void fuzz_parse(const uint8_t *data, size_t size, unsigned low,
		       unsigned high)
{
	static uint32_t buf[NLIO_BUF_SIZE / 4];
	struct ct_nat_acc *acc = NULL;
	struct ct_sample s;
	struct nlmsghdr h;
	uint64_t entries = 0, malformed = 0;
	uint32_t seq = 0;
	int r;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	if (size >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		seq = h.nlmsg_seq;
	}
	FUZZ_CHECK(ct_nat_acc_new(&acc, low, high) == 0);
	r = ct_parse(buf, size, seq, acc, &entries, &malformed);
	FUZZ_CHECK(r == CT_PARSE_MORE || r == CT_PARSE_DONE || r < 0);
	ct_sample_init(&s);
	FUZZ_CHECK(ct_nat_acc_finish(acc, &s) == 0);
	check_nat(&s, low, high);
	ct_sample_release(&s);
	ct_nat_acc_free(acc);
}

static void fuzz_dump(const uint8_t *data, size_t size, unsigned low,
		      unsigned high)
{
	struct conntrack *ct = NULL;
	struct fuzz_chunks c;
	struct ct_sample s;
	struct nlio io;
	int r;

	fuzz_chunks_init(&io, &c, data, size);
	FUZZ_CHECK(conntrack_new(&ct, &io, low, high, 1) == 0);
	ct_sample_init(&s);
	r = conntrack_dump(ct, &s);
	FUZZ_CHECK(r <= 0);
	if (r < 0) {
		FUZZ_CHECK(!(s.have & CT_HAVE_DUMP));
		FUZZ_CHECK(s.dump_err == r);
		FUZZ_CHECK(ct_strerror(r) != NULL);
	} else {
		FUZZ_CHECK(s.have & CT_HAVE_DUMP);
		check_nat(&s, s.nat_low, s.nat_high);
	}
	ct_sample_release(&s);
	conntrack_free(ct);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static const unsigned ranges[4][2] = {
		{ CT_NAT_LOW_DEFAULT, CT_NAT_HIGH_DEFAULT },
		{ 40000, 40009 }, { 1, 65535 }, { 5000, 5000 },
	};
	unsigned low, high;

	if (size < 2)
		return 0;
	low = ranges[data[1] & 3][0];
	high = ranges[data[1] & 3][1];
	if (data[0] & 1)
		fuzz_dump(data + 2, size - 2, low, high);
	else
		fuzz_parse(data + 2, size - 2, low, high);
	return 0;
}

FUZZ_TARGET(ctnetlink)
