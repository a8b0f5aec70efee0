#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "import.h"
#include "model.h"
#include "sampler.h"

/*
 * Captures of other tools (ss, net-tools netstat, Windows netstat -ano).
 * Byte 0: the format (auto, ss, netstat, windows) and whether a range is
 * given; byte 1: the size of the pieces the capture is fed in (lines are
 * split anywhere); the rest is the capture. Each line is also parsed
 * alone with import_parse_line(). The sample is then run through the
 * model and every output (fuzz_check_outputs): a hostile capture must come
 * out inert.
 * Checks: records are well formed; names are bounded and inert; the
 * statistics add up.
 */

static void check_rec(const struct sock_rec *r)
{
	FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6);
	FUZZ_CHECK(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
	FUZZ_CHECK(r->state >= SOCK_ESTABLISHED && r->state < SOCK_STATE_MAX);
}

static void fuzz_lines(enum import_format fmt0, const char *text, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text - pos) : len - pos;
		enum import_format fmt = fmt0;
		struct import_line out;
		int r;

		r = import_parse_line(&fmt, text + pos, n, &out);
		FUZZ_CHECK(r == 1 || r == IMPORT_LINE_IGNORED || r == -EINVAL);
		if (r == 1) {
			FUZZ_CHECK(fmt != IMPORT_AUTO);
			check_rec(&out.rec);
			FUZZ_CHECK(fuzz_bounded(out.comm, sizeof(out.comm)));
			FUZZ_CHECK(fuzz_text_inert(out.comm, strlen(out.comm), 0));
			FUZZ_CHECK(out.pid >= 0);
		}
		pos += n + 1;
	}
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static const enum import_format fmts[4] = {
		IMPORT_AUTO, IMPORT_SS, IMPORT_NETSTAT, IMPORT_WINDOWS,
	};
	struct import_opts opts;
	struct import_stats st;
	struct importer *im = NULL;
	struct model *m = NULL;
	struct sample s;
	size_t piece, pos, i;
	int r;

	if (size < 2)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.format = fmts[data[0] & 3];
	if (data[0] & 4) {
		opts.have_range = 1;
		opts.range_low = 40000;
		opts.range_high = 40199;
	}
	opts.time = 1700000000.0;
	piece = 1 + data[1];
	data += 2;
	size -= 2;

	fuzz_lines(opts.format, (const char *)data, size);

	FUZZ_CHECK(import_new(&im, &opts) == 0);
	r = 0;
	for (pos = 0; pos < size && r == 0; pos += piece)
		r = import_feed(im, data + pos,
				size - pos < piece ? size - pos : piece);
	/* a capture that starts like UTF-16 is refused as such, at once
	 * and again at the end; nothing else refuses input this small */
	FUZZ_CHECK(r == 0 || r == -EILSEQ);
	sample_init(&s);
	memset(&st, 0, sizeof(st));
	if (r == -EILSEQ) {
		FUZZ_CHECK(import_finish(im, &s, &st) == -EILSEQ);
		import_free(im);
		sample_release(&s);
		return 0;
	}
	r = import_finish(im, &s, &st);
	import_free(im);
	FUZZ_CHECK(r == 0 || r == -ENODATA);
	FUZZ_CHECK(st.sockets == s.socks.len);
	FUZZ_CHECK(st.sockets + st.malformed + st.ignored <= st.lines);
	FUZZ_CHECK(st.malformed == 0 || st.first_malformed >= 1);
	FUZZ_CHECK(s.nowner == 0 || s.nowner == s.socks.len);
	for (i = 0; i < s.socks.len; i++)
		check_rec(&s.socks.v[i]);
	for (i = 0; i < s.nowner; i++)
		FUZZ_CHECK(s.owner[i] == SAMPLE_NO_OWNER || s.owner[i] < s.nprocs);
	for (i = 0; i < s.nprocs; i++) {
		FUZZ_CHECK(fuzz_bounded(s.procs[i].comm, sizeof(s.procs[i].comm)));
		FUZZ_CHECK(fuzz_text_inert(s.procs[i].comm,
					   strlen(s.procs[i].comm), 0));
	}
	if (r == 0) {
		FUZZ_CHECK(model_new(&m) == 0);
		FUZZ_CHECK(fuzz_check_outputs(m, &s) == 0);
		model_free(m);
	}
	sample_release(&s);
	return 0;
}

FUZZ_TARGET(import)
