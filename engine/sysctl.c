#include "config.h"
#include <errno.h>
#include <string.h>
#include "sysctl.h"
/* STUB: replaced by the sysctl implementation. */
void sysctl_defaults(struct sysctl_vals *v) { memset(v, 0, sizeof(*v)); v->port_low = 32768; v->port_high = 60999; }
int sysctl_read(const char *procroot, struct sysctl_vals *v) { (void)procroot; sysctl_defaults(v); return -ENOSYS; }
int sysctl_parse_range(const char *text, unsigned *low, unsigned *high) { (void)text; (void)low; (void)high; return -ENOSYS; }
int sysctl_parse_reserved(const char *text, uint8_t *bitmap) { (void)text; (void)bitmap; return -ENOSYS; }
int sysctl_parse_int(const char *text, int *out) { (void)text; (void)out; return -ENOSYS; }
int sysctl_read_netns(const char *procroot, char *buf, size_t len) { (void)procroot; if (len) buf[0] = 0; return -ENOSYS; }
