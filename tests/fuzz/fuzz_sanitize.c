#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "out_json.h"
#include "sanitize.h"
#include "strbuf.h"

/*
 * The one gate for strings from the system (sanitize_text/_ascii) and the
 * JSON string escaper. Input: byte 0 picks the output size, the rest is
 * the string.
 *
 * Checks: the output is NUL-terminated within its size, inert
 * (fuzz_text_inert), 7-bit for sanitize_ascii; the escaper's output has
 * no byte below 0x20, is valid UTF-8, and decodes back to the input with
 * each invalid byte replaced by U+FFFD.
 */

static size_t put_utf8(uint8_t *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (uint8_t)(0xe0 | c >> 12);
		out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | c >> 18);
	out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one JSON string literal s[0..len) (quotes included) into out
 * (UTF-8). Returns the decoded length, or (size_t)-1 when invalid. */
static size_t json_decode(const char *s, size_t len, uint8_t *out)
{
	size_t i = 1, o = 0;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return (size_t)-1;
	while (i < len - 1) {
		unsigned char c = (unsigned char)s[i];
		uint32_t u = 0;
		int k;

		if (c == '"' || c < 0x20)
			return (size_t)-1;
		if (c != '\\') {
			out[o++] = c;
			i++;
			continue;
		}
		if (i + 1 >= len - 1)
			return (size_t)-1;
		switch (s[i + 1]) {
		case '"': out[o++] = '"'; i += 2; continue;
		case '\\': out[o++] = '\\'; i += 2; continue;
		case '/': out[o++] = '/'; i += 2; continue;
		case 'n': out[o++] = '\n'; i += 2; continue;
		case 't': out[o++] = '\t'; i += 2; continue;
		case 'r': out[o++] = '\r'; i += 2; continue;
		case 'b': out[o++] = '\b'; i += 2; continue;
		case 'f': out[o++] = '\f'; i += 2; continue;
		case 'u': break;
		default: return (size_t)-1;
		}
		if (i + 6 > len - 1)
			return (size_t)-1;
		for (k = 0; k < 4; k++) {
			int h = hexval(s[i + 2 + k]);

			if (h < 0)
				return (size_t)-1;
			u = u << 4 | (uint32_t)h;
		}
		/* the escaper never needs surrogate pairs: it escapes only
		 * characters below U+10000 */
		if (u >= 0xd800 && u <= 0xdfff)
			return (size_t)-1;
		o += put_utf8(out + o, u);
		i += 6;
	}
	return o;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	char out[512];
	size_t dstlen, n, i, e, want_len;
	const char *s;
	struct strbuf sb;
	uint8_t *want, *got;

	if (size < 1)
		return 0;
	dstlen = 1 + data[0] % sizeof(out);
	s = (const char *)data + 1;
	size--;

	memset(out, 'X', sizeof(out));
	n = sanitize_text(out, dstlen, s, size);
	FUZZ_CHECK(n < dstlen && out[n] == '\0' && strlen(out) == n);
	FUZZ_CHECK(fuzz_text_inert(out, n, 0));
	if (dstlen < sizeof(out))
		FUZZ_CHECK(out[dstlen] == 'X');   /* nothing written past dst */

	n = sanitize_ascii(out, dstlen, s, size);
	FUZZ_CHECK(n < dstlen && out[n] == '\0' && strlen(out) == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f);

	/* JSON: escaped, valid, and decodes back to the input */
	strbuf_init(&sb);
	out_json_string(&sb, s, size);
	FUZZ_CHECK(strbuf_error(&sb) == 0);
	/* valid UTF-8 with no raw control character (C0, DEL, C1) nor
	 * line separator: one JSON object stays on one line */
	for (i = 0; i < sb.len; ) {
		int32_t c;

		e = sanitize_utf8_decode((const unsigned char *)sb.buf + i,
					 sb.len - i, &c);
		FUZZ_CHECK(c >= 0x20 && !(c >= 0x7f && c <= 0x9f) &&
			   c != 0x2028 && c != 0x2029);
		i += e;
	}
	want = malloc(size * 3 + 1);
	got = malloc(sb.len + 1);
	FUZZ_CHECK(want && got);
	want_len = 0;
	for (i = 0; i < size; ) {
		int32_t c;

		e = sanitize_utf8_decode((const unsigned char *)s + i, size - i, &c);
		want_len += put_utf8(want + want_len, c < 0 ? 0xfffd : (uint32_t)c);
		i += e;
	}
	n = json_decode(sb.buf, sb.len, got);
	FUZZ_CHECK(n != (size_t)-1);
	FUZZ_CHECK(n == want_len && memcmp(got, want, n) == 0);
	free(want);
	free(got);
	strbuf_release(&sb);
	return 0;
}

FUZZ_TARGET(sanitize)
