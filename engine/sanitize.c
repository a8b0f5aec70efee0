#include "config.h"
#include "sanitize.h"
/* STUB: replaced by the sanitize implementation. */
size_t sanitize_text(char *dst, size_t dstlen, const char *src, size_t srclen) { (void)src; (void)srclen; if (dstlen) dst[0] = 0; return 0; }
size_t sanitize_ascii(char *dst, size_t dstlen, const char *src, size_t srclen) { (void)src; (void)srclen; if (dstlen) dst[0] = 0; return 0; }
