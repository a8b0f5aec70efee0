#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include "model.h"
/* STUB: replaced by the model implementation. */
int model_new(struct model **out) { *out = NULL; return -ENOSYS; }
void model_free(struct model *m) { (void)m; }
int model_update(struct model *m, struct sample *s) { (void)m; (void)s; return -ENOSYS; }
const struct snapshot *model_snapshot(const struct model *m) { (void)m; return NULL; }
void snapshot_warn(struct snapshot *snap, const char *fmt, ...) { (void)snap; (void)fmt; }
