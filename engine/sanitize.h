#ifndef PORTTOP_SANITIZE_H
#define PORTTOP_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * sanitize: the one gate every string from the system (process names,
 * command lines, file contents) passes before it reaches a terminal or a
 * text report.
 *
 * sanitize_text() copies at most srclen bytes of src (which need not be
 * NUL-terminated and may be anything) into dst, of size dstlen > 0:
 *  - valid, printable UTF-8 is kept;
 *  - C0 controls (including newline, tab, ESC), DEL and C1 controls
 *    (U+0080..U+009F) become '?';
 *  - bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
 *    and other invisible format characters that reorder text become '?';
 *  - every byte of invalid UTF-8 (overlong, surrogate, > U+10FFFF,
 *    truncated) becomes '?';
 *  - the result is cut on a character boundary to fit and always
 *    NUL-terminated.
 * Returns the length of dst. A NUL in src ends the copy.
 */
size_t sanitize_text(char *dst, size_t dstlen, const char *src, size_t srclen);

/* sanitize_text() with 7-bit output: every non-ASCII character is '?'. */
size_t sanitize_ascii(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * Decode one UTF-8 character from s (n > 0 bytes available). Returns the
 * number of bytes it spans and sets *cp, or returns 1 with *cp = -1 for a
 * byte that does not start a valid character: a stray continuation byte,
 * an overlong form, a surrogate, a value above U+10FFFF, or a sequence cut
 * short (by the end of the input or by any non-continuation byte, NUL
 * included, so a NUL is never swallowed into a character).
 */
size_t sanitize_utf8_decode(const unsigned char *s, size_t n, int32_t *cp);

#endif
