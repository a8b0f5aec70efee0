#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "model.h"
#include "sampler.h"
#include "sock.h"

/*
 * The model and every output over any socket population the parsers can
 * hand it (valid families, protocols and states; any addresses, ports,
 * timers, cookies), with any sysctls, over two samples (rates). Input:
 *   bytes 0-5   range low, high (u16 each, little endian), tw_reuse,
 *               timestamps
 *   byte 6      seconds between the two samples
 *   then        16-byte socket records; the first half of them makes
 *               sample 1, all of them sample 2.
 * Checks: fuzz_check_outputs() on both snapshots.
 */

static void make_sample(struct sample *s, const uint8_t *hdr,
			const uint8_t *recs, size_t n, double t)
{
	size_t i;

	s->sys.port_low = (unsigned)(hdr[0] | hdr[1] << 8);
	s->sys.port_high = (unsigned)(hdr[2] | hdr[3] << 8);
	/* sysctl_parse_range() holds 1 <= low <= high */
	if (s->sys.port_low == 0)
		s->sys.port_low = 1;
	if (s->sys.port_high < s->sys.port_low)
		s->sys.port_high = s->sys.port_low;
	s->sys.tcp_tw_reuse = hdr[4] % 3;
	s->sys.tcp_timestamps = hdr[5] & 1;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS;
	if (hdr[5] & 2)
		s->sys.reserved[((s->sys.port_low + 3) & 0xffff) >> 3] = 0xff;
	s->time = 1700000000.0 + t;
	s->mono = 1000.0 + t;
	sockvec_clear(&s->socks);
	for (i = 0; i < n; i++) {
		struct sock_rec r;

		fuzz_make_rec(recs + i * FUZZ_REC_BYTES, &r);
		FUZZ_CHECK(sockvec_push(&s->socks, &r) == 0);
	}
	s->stats.sockets = n;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	struct model *m = NULL;
	struct sample s;
	size_t n;

	if (size < 7)
		return 0;
	n = (size - 7) / FUZZ_REC_BYTES;
	if (n > 4096)
		n = 4096;
	FUZZ_CHECK(model_new(&m) == 0);
	sample_init(&s);
	make_sample(&s, data, data + 7, n / 2, 0.0);
	FUZZ_CHECK(fuzz_check_outputs(m, &s) == 0);
	make_sample(&s, data, data + 7, n, 0.1 + data[6]);
	FUZZ_CHECK(fuzz_check_outputs(m, &s) == 0);
	sample_release(&s);
	model_free(m);
	return 0;
}

FUZZ_TARGET(model)
