#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nlio.h"

/* ---- real NETLINK_SOCK_DIAG socket ------------------------------------- */

static ssize_t mnl_send(void *ctx, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(ctx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t mnl_recv(void *ctx, void *buf, size_t len)
{
	ssize_t n = mnl_socket_recvfrom(ctx, buf, len);

	/* libmnl reports a datagram larger than buf as ENOSPC (MSG_TRUNC). */
	return n < 0 ? -errno : n;
}

static void mnl_close(void *ctx)
{
	mnl_socket_close(ctx);
}

static const struct nlio_ops mnl_ops = {
	.send = mnl_send,
	.recv = mnl_recv,
	.close = mnl_close,
};

int nlio_open_sock_diag(struct nlio *io, unsigned groups)
{
	struct mnl_socket *nl;
	int err;

	nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	io->ops = &mnl_ops;
	io->ctx = nl;
	io->portid = mnl_socket_get_portid(nl);
	io->seq = 1;
	return 0;
}

int nlio_fd(const struct nlio *io)
{
	if (io->ops != &mnl_ops)
		return -1;
	return mnl_socket_get_fd(io->ctx);
}

/* ---- canned transport -------------------------------------------------- */

static ssize_t canned_send(void *ctx, const void *buf, size_t len)
{
	struct nlio_canned *c = ctx;
	const struct nlmsghdr *nlh = buf;

	c->sends++;
	if (len >= sizeof(*nlh))
		c->last_seq = nlh->nlmsg_seq;
	return (ssize_t)len;
}

static ssize_t canned_recv(void *ctx, void *buf, size_t len)
{
	struct nlio_canned *c = ctx;
	const struct nlio_canned_buf *b;

	if (c->next >= c->nbufs)
		return 0;
	b = &c->bufs[c->next++];
	if (b->err)
		return -b->err;
	if (b->len > len)
		return -ENOSPC;
	memcpy(buf, b->data, b->len);
	return (ssize_t)b->len;
}

static const struct nlio_ops canned_ops = {
	.send = canned_send,
	.recv = canned_recv,
	.close = NULL,
};

void nlio_init_canned(struct nlio *io, struct nlio_canned *c)
{
	io->ops = &canned_ops;
	io->ctx = c;
	io->portid = 0;
	io->seq = 1;
}

void nlio_close(struct nlio *io)
{
	if (!io || !io->ops)
		return;
	if (io->ops->close)
		io->ops->close(io->ctx);
	io->ops = NULL;
	io->ctx = NULL;
}
