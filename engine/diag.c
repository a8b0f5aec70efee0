#include "config.h"
#include <errno.h>
#include "diag.h"
/* STUB: replaced by the diag implementation. */
int diag_parse_msg(const struct nlmsghdr *nlh, uint8_t proto, struct sock_rec *out) { (void)nlh; (void)proto; (void)out; return -ENOSYS; }
int diag_parse(const void *buf, size_t len, uint32_t seq, uint8_t proto, struct sockvec *out, struct diag_stats *st) { (void)buf; (void)len; (void)seq; (void)proto; (void)out; (void)st; return -ENOSYS; }
int diag_dump(struct nlio *io, int family, uint8_t proto, struct sockvec *out, struct diag_stats *st) { (void)io; (void)family; (void)proto; (void)out; (void)st; return -ENOSYS; }
int diag_dump_all(struct nlio *io, struct sockvec *out, struct diag_stats *st) { (void)io; (void)out; (void)st; return -ENOSYS; }
const char *diag_strerror(int err) { (void)err; return "not implemented"; }
