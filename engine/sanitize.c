#include "config.h"

#include <stdint.h>
#include <string.h>

#include "sanitize.h"

size_t sanitize_utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		/* 0x80..0xc1 (continuation, overlong lead), 0xf5..0xff */
		*cp = -1;
		return 1;
	}
	if (len > n) {
		*cp = -1;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = -1;
		return 1;
	}
	*cp = (int32_t)c;
	return len;
}

/*
 * Characters that must not reach a terminal as they are: controls (C0,
 * DEL, C1) act on the terminal; the bidirectional marks, embeddings,
 * overrides and isolates and the zero-width characters make text look
 * other than it is (a process name that reads "sshd" but is not).
 */
static int sanitize_is_unsafe(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	       c == 0x061c ||                      /* ARABIC LETTER MARK */
	       (c >= 0x200b && c <= 0x200f) ||     /* ZW space/joiners, LRM, RLM */
	       (c >= 0x202a && c <= 0x202e) ||     /* embeddings, overrides */
	       (c >= 0x2066 && c <= 0x2069) ||     /* isolates */
	       c == 0xfeff;                        /* BOM / ZW no-break space */
}

static size_t sanitize_copy(char *dst, size_t dstlen, const char *src,
			    size_t srclen, int ascii)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0;

	if (!dst || dstlen == 0)
		return 0;
	if (!src)
		srclen = 0;
	while (in < srclen && s[in] != '\0') {
		int32_t c;
		size_t n = sanitize_utf8_decode(s + in, srclen - in, &c);
		int keep = c >= 0 && !sanitize_is_unsafe(c) && !(ascii && c >= 0x80);
		size_t need = keep ? n : 1;

		/* Keep room for the NUL; never split a character. */
		if (need > dstlen - 1 - out)
			break;
		if (keep)
			memcpy(dst + out, s + in, n);
		else
			dst[out] = '?';
		out += need;
		in += n;
	}
	dst[out] = '\0';
	return out;
}

size_t sanitize_text(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return sanitize_copy(dst, dstlen, src, srclen, 0);
}

size_t sanitize_ascii(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return sanitize_copy(dst, dstlen, src, srclen, 1);
}
