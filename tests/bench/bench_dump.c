#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench_dump.h"

#define BENCH_DUMP_BUF 32768

struct bench_dump {
	struct mnl_socket *nl;
	uint32_t seq;
	int per_family;
	union {                   /* aligned for the headers read from it */
		struct nlmsghdr h;
		char b[BENCH_DUMP_BUF];
	} rx;
};

struct bench_dump *bench_dump_new(int per_family)
{
	struct bench_dump *bd = calloc(1, sizeof(*bd));

	if (!bd)
		return NULL;
	bd->per_family = per_family;
	bd->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!bd->nl || mnl_socket_bind(bd->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		bench_dump_free(bd);
		errno = e;
		return NULL;
	}
	bd->seq = 1;
	return bd;
}

void bench_dump_free(struct bench_dump *bd)
{
	if (!bd)
		return;
	if (bd->nl)
		mnl_socket_close(bd->nl);
	free(bd);
}

/* One dump (type TCPDIAG_GETSOCK: all TCP): the sockets counted, -1 on
 * a transport error, -2 when the kernel answered with an error (no such
 * family or protocol). */
static long bench_dump_one(struct bench_dump *bd, uint16_t type, int family,
			   uint8_t proto)
{
	union {                   /* room for either request */
		struct nlmsghdr h;
		char b[MNL_ALIGN(MNL_NLMSG_HDRLEN +
				 MNL_ALIGN(sizeof(struct inet_diag_req) +
					   sizeof(struct inet_diag_req_v2)))];
	} req;
	struct nlmsghdr *nlh;
	uint32_t portid = mnl_socket_get_portid(bd->nl), seq = bd->seq++;
	long count = 0;

	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (type == TCPDIAG_GETSOCK) {
		struct inet_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->idiag_family = AF_UNSPEC;
		r->idiag_states = 0xffff;
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	} else {
		struct inet_diag_req_v2 *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = (uint8_t)family;
		r->sdiag_protocol = proto;
		r->idiag_states = 0xffff;
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
	if (mnl_socket_sendto(bd->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(bd->nl, bd->rx.b,
						sizeof(bd->rx.b));
		const struct nlmsghdr *m = &bd->rx.h;
		int len;

		if (n <= 0)
			return -1;
		len = (int)n;
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return count;
			if (m->nlmsg_type == NLMSG_ERROR)
				return -2;
			count++;
		}
	}
}

long bench_dump_all(struct bench_dump *bd)
{
	static const struct {
		int family;
		uint8_t proto;
	} set[] = {
		{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
	};
	long total = 0;
	size_t i = 0;

	if (!bd->per_family) {
		total = bench_dump_one(bd, TCPDIAG_GETSOCK, AF_UNSPEC,
				       IPPROTO_TCP);
		if (total < 0)
			return -1;
		i = 2;   /* set[0] and set[1] are done */
	}
	for (; i < sizeof(set) / sizeof(set[0]); i++) {
		long n = bench_dump_one(bd, SOCK_DIAG_BY_FAMILY, set[i].family,
					set[i].proto);

		if (n == -1)
			return -1;
		if (n > 0)
			total += n;
	}
	return total;
}
