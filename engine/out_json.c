#include "config.h"
#include <errno.h>
#include "out_json.h"
/* STUB: replaced by the JSON implementation. */
int out_json_snapshot(struct strbuf *sb, const struct snapshot *snap) { (void)sb; (void)snap; return -ENOSYS; }
void out_json_string(struct strbuf *sb, const char *s, size_t len) { (void)sb; (void)s; (void)len; }
