#include "config.h"

#include <errno.h>
#include <string.h>

#include "expfmt.h"

/* Length of the line at p (up to end), without its newline. */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

/* "# TYPE NAME counter" with NAME ending in _total: NAME's length less
 * the suffix, else 0. */
static size_t counter_stem(const char *l, size_t n)
{
	static const char pre[] = "# TYPE ", post[] = "_total counter";
	size_t lp = sizeof(pre) - 1, ls = sizeof(post) - 1;

	if (n <= lp + ls || memcmp(l, pre, lp) != 0 ||
	    memcmp(l + n - ls, post, ls) != 0)
		return 0;
	return n - lp - ls;
}

/* The # HELP line for the family stem (stem_len bytes at stem, 0: keep
 * the name), its text with " escaped. */
static void help_line(struct strbuf *dst, const char *l, size_t n,
		      const char *stem, size_t stem_len)
{
	static const char pre[] = "# HELP ";
	size_t lp = sizeof(pre) - 1;
	const char *name = l + lp, *sp, *end = l + n;
	size_t i;

	sp = memchr(name, ' ', (size_t)(end - name));
	if (!sp)
		sp = end;
	strbuf_add(dst, pre, lp);
	if (stem_len)
		strbuf_add(dst, stem, stem_len);
	else
		strbuf_add(dst, name, (size_t)(sp - name));
	for (i = (size_t)(sp - l); i < n; i++) {
		if (l[i] == '"')
			strbuf_addstr(dst, "\\\"");
		else
			strbuf_addch(dst, l[i]);
	}
	strbuf_addch(dst, '\n');
}

int expfmt_openmetrics(struct strbuf *dst, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (!dst || !text)
		return -EINVAL;
	while (p < end) {
		size_t n = line_len(p, end), n2 = 0, stem = 0;
		const char *next = p + n + (p + n < end);

		if (n > 7 && memcmp(p, "# HELP ", 7) == 0) {
			if (next < end) {
				n2 = line_len(next, end);
				stem = counter_stem(next, n2);
			}
			/* the TYPE line must be this family's */
			if (stem && (n < 7 + stem + 6 ||
				     memcmp(p + 7, next + 7, stem + 6) != 0 ||
				     (n > 7 + stem + 6 && p[7 + stem + 6] != ' ')))
				stem = 0;
			help_line(dst, p, n, next + 7, stem);
			if (stem) {
				strbuf_add(dst, next, 7 + stem);
				strbuf_addstr(dst, " counter\n");
				next += n2 + (next + n2 < end);
			}
		} else if (n == 5 && memcmp(p, "# EOF", 5) == 0) {
			;   /* only the one at the end */
		} else {
			strbuf_add(dst, p, n);
			strbuf_addch(dst, '\n');
		}
		p = next;
	}
	strbuf_addstr(dst, "# EOF\n");
	return strbuf_error(dst) ? -ENOMEM : 0;
}
