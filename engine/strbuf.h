#ifndef PORTTOP_STRBUF_H
#define PORTTOP_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * strbuf: a growable, always NUL-terminated byte buffer.
 *
 * Ownership: the strbuf owns `buf`. strbuf_release() frees it and leaves
 * an empty, reusable strbuf. After an allocation failure the strbuf keeps
 * what it had and sets `failed`; later appends are ignored, so callers may
 * append freely and check `failed` (or strbuf_error()) once at the end.
 */
struct strbuf {
	char *buf;     /* never NULL after strbuf_init(): "" when empty */
	size_t len;    /* bytes used, not counting the NUL */
	size_t alloc;  /* bytes allocated, 0 while buf points at a static "" */
	int failed;    /* set on allocation failure */
};

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Empty the buffer, keeping its allocation. */
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* 0, or -ENOMEM if any append failed since init/reset. */
int strbuf_error(const struct strbuf *sb);

#endif
