#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "fuzz.h"
#include "fuzz_chunks.h"
#include "sock.h"

/*
 * sock_diag replies. Byte 0 picks the mode:
 *   even: the rest is one datagram for diag_parse() (the sequence number
 *         of its first message is the one answered; bit 1: UDP);
 *   odd:  the rest is a chunk list (fuzz_chunks.h) played to
 *         diag_dump_all(), as a socket would deliver it.
 * Checks: every record has a known family and state and a protocol of the
 * dump; a failed dump leaves no record (never a partial dump presented as
 * complete); the result is one the contract names.
 */

static void check_records(const struct sockvec *sv)
{
	size_t i;

	for (i = 0; i < sv->len; i++) {
		const struct sock_rec *r = &sv->v[i];

		FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6);
		FUZZ_CHECK(r->state >= SOCK_ESTABLISHED && r->state < SOCK_STATE_MAX);
		FUZZ_CHECK(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
		if (r->family == AF_INET) {
			static const uint8_t zero[12];

			FUZZ_CHECK(memcmp(r->saddr + 4, zero, 12) == 0);
			FUZZ_CHECK(memcmp(r->daddr + 4, zero, 12) == 0);
		}
	}
}

static void fuzz_parse(const uint8_t *data, size_t size, uint8_t proto)
{
	/* u32 words: the alignment a receive buffer has */
	static uint32_t buf[NLIO_BUF_SIZE / 4];
	struct diag_stats st;
	struct sockvec sv;
	struct nlmsghdr h;
	uint32_t seq = 0;
	int r;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	if (size >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		seq = h.nlmsg_seq;
	}
	memset(&st, 0, sizeof(st));
	sockvec_init(&sv);
	r = diag_parse(buf, size, seq, proto, &sv, &st);
	FUZZ_CHECK(r == DIAG_PARSE_MORE || r == DIAG_PARSE_DONE || r < 0);
	FUZZ_CHECK(st.sockets == sv.len);
	check_records(&sv);
	sockvec_release(&sv);
}

static void fuzz_dump(const uint8_t *data, size_t size)
{
	struct fuzz_chunks c;
	struct diag_stats st;
	struct sockvec sv;
	struct nlio io;
	int r;

	fuzz_chunks_init(&io, &c, data, size);
	memset(&st, 0, sizeof(st));
	sockvec_init(&sv);
	r = diag_dump_all(&io, &sv, &st);
	FUZZ_CHECK(r <= 0);
	if (r < 0)
		FUZZ_CHECK(sv.len == 0);
	FUZZ_CHECK(st.retries <= DIAG_MAX_RETRIES);
	FUZZ_CHECK(diag_strerror(r) != NULL);
	check_records(&sv);
	sockvec_release(&sv);
	nlio_close(&io);
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_dump(data + 1, size - 1);
	else
		fuzz_parse(data + 1, size - 1,
			   data[0] & 2 ? IPPROTO_UDP : IPPROTO_TCP);
	return 0;
}

FUZZ_TARGET(diag)
