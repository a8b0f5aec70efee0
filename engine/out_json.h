#ifndef PORTTOP_OUT_JSON_H
#define PORTTOP_OUT_JSON_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/*
 * out_json: the JSON snapshot contract of design.md, one object per line.
 * Keys are never renamed; new ones may be added.
 */

/*
 * Append the snapshot as one JSON object followed by '\n'.
 * Returns 0, -ENOMEM, or -EINVAL when sb or snap is NULL.
 */
int out_json_snapshot(struct strbuf *sb, const struct snapshot *snap);

/*
 * Append s (len bytes, any content) as a JSON string literal with quotes:
 * ", \ and control characters escaped, invalid UTF-8 replaced by U+FFFD.
 */
void out_json_string(struct strbuf *sb, const char *s, size_t len);

#endif
