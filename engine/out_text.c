#include "config.h"
#include <errno.h>
#include "out_text.h"
/* STUB: replaced by the text implementation. */
int out_text_snapshot(struct strbuf *sb, const struct snapshot *snap) { (void)sb; (void)snap; return -ENOSYS; }
