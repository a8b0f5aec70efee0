/*
 * capture: records what the kernel really sends, as seed inputs for the
 * fuzz targets (tests/fuzz/corpus/). Run once, as root, in a private
 * network namespace holding a known population (tests/fuzz/mkseeds.sh
 * does all of it); not part of the build.
 *
 *   capture diag DIR     sock_diag dumps of TCP/UDP, IPv4/IPv6:
 *                        DIR/diag-*: single datagrams (fuzz_diag parse
 *                        mode) and whole dumps as chunk lists (dump mode),
 *                        clean and with faults (EINTR, NLM_F_DUMP_INTR,
 *                        ENOBUFS, a datagram cut short)
 *   capture events DIR   destroy events of connections this program
 *                        opens and closes: DIR/events-*
 *   capture ct DIR       a ctnetlink dump of the conntrack table:
 *                        DIR/ctnetlink-*
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_chunks.h"

#define MAXDG 64

struct dg {
	uint8_t *buf;
	size_t len;
};

static struct dg dgs[MAXDG];
static size_t ndgs;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void save(const char *dir, const char *name, const void *a, size_t alen,
		 const void *b, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		die(path);
	if ((alen && fwrite(a, 1, alen, f) != alen) ||
	    (blen && fwrite(b, 1, blen, f) != blen))
		die(path);
	fclose(f);
}

/* Receive datagrams until NLMSG_DONE or an error message, keeping them. */
static void recv_dump(struct mnl_socket *nl)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const void *)buf;
		int end = 0;
		size_t left;

		if (n < 0)
			die("recv");
		if (ndgs == MAXDG) {
			fprintf(stderr, "too many datagrams\n");
			exit(1);
		}
		dgs[ndgs].buf = malloc((size_t)n);
		memcpy(dgs[ndgs].buf, buf, (size_t)n);
		dgs[ndgs++].len = (size_t)n;
		left = (size_t)n;
		for (; mnl_nlmsg_ok(nlh, (int)left); nlh = mnl_nlmsg_next(nlh, (int *)&left))
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				end = 1;
		if (end)
			return;
	}
}

/* The dumps of all four families/protocols as one chunk list. */
static size_t chunk_all(uint8_t *out, size_t from, int fault)
{
	size_t len = 0, i;

	for (i = from; i < ndgs; i++) {
		uint8_t copy[65536];
		size_t n = dgs[i].len;

		memcpy(copy, dgs[i].buf, n);
		if (fault == 1 && i == from)
			len = fuzz_chunk_put(out, len, FUZZ_CHUNK_EINTR, NULL, 0);
		if (fault == 2 && i == from && n >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr h;

			memcpy(&h, copy, sizeof(h));
			h.nlmsg_flags |= NLM_F_DUMP_INTR;
			memcpy(copy, &h, sizeof(h));
		}
		if (fault == 3 && i == from + 1)
			len = fuzz_chunk_put(out, len, FUZZ_CHUNK_ENOBUFS, NULL, 0);
		if (fault == 4 && i == from && n > 40)
			n = n / 2 + 3;   /* cut inside a message */
		len = fuzz_chunk_put(out, len, FUZZ_CHUNK_DATA | FUZZ_CHUNK_RESEQ,
				     copy, (uint16_t)(n > 65535 ? 65535 : n));
	}
	return len;
}

static void cmd_diag(const char *dir)
{
	static const struct { int family; uint8_t proto; } set[] = {
		{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
	};
	static uint8_t chunks[1 << 20];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	size_t i, first[4], len;
	char name[64];
	int fault;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("sock_diag");
	for (i = 0; i < 4; i++) {
		char req[256];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
		struct inet_diag_req_v2 *r;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = (uint32_t)(i + 1);
		r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = (uint8_t)set[i].family;
		r->sdiag_protocol = set[i].proto;
		r->idiag_states = 0xffff;
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			die("send");
		first[i] = ndgs;
		recv_dump(nl);
	}
	/* parse mode: byte 0 even, bit 1 for UDP */
	for (i = 0; i < ndgs; i++) {
		uint8_t mode = i >= first[2] ? 2 : 0;

		snprintf(name, sizeof(name), "diag-dgram-%02zu", i);
		save(dir, name, &mode, 1, dgs[i].buf, dgs[i].len);
	}
	/* dump mode */
	for (fault = 0; fault <= 4; fault++) {
		static const char *const names[] = {
			"clean", "eintr", "dump-intr", "enobufs", "cut",
		};
		uint8_t mode = 1;

		len = chunk_all(chunks, 0, fault);
		snprintf(name, sizeof(name), "diag-dump-%s", names[fault]);
		save(dir, name, &mode, 1, chunks, len);
	}
	mnl_socket_close(nl);
}

static int listen_on(int family, const char *addr, struct sockaddr_storage *ss,
		     socklen_t *sl, int type)
{
	int fd = socket(family, type, 0), one = 1;

	if (fd < 0)
		die("socket");
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
		*sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		*sl = sizeof(*in6);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, *sl) < 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)ss, sl) < 0)
		die("getsockname");
	return fd;
}

static void churn(int family, const char *addr, int n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int l = listen_on(family, addr, &ss, &sl, SOCK_STREAM), i;

	for (i = 0; i < n; i++) {
		int c = socket(family, SOCK_STREAM, 0), a;

		if (c < 0 || connect(c, (struct sockaddr *)&ss, sl) < 0)
			die("connect");
		a = accept(l, NULL, NULL);
		if (a < 0)
			die("accept");
		close(c);      /* the client closes first: TIME_WAIT */
		close(a);
	}
	close(l);
	/* UDP sockets come and go too */
	for (i = 0; i < 2; i++) {
		int u = listen_on(family, addr, &ss, &sl, SOCK_DGRAM);

		close(u);
	}
}

static void cmd_events(const char *dir)
{
	static uint8_t chunks[1 << 20];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	uint8_t buf[65536], mode;
	size_t len = 0;

	if (!nl || mnl_socket_bind(nl, 0xf, MNL_SOCKET_AUTOPID) < 0)
		die("sock_diag events");
	churn(AF_INET, "127.0.0.1", 6);
	churn(AF_INET6, "::1", 3);
	usleep(200000);
	for (;;) {
		struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 300) <= 0)
			break;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n <= 0)
			break;
		len = fuzz_chunk_put(chunks, len, FUZZ_CHUNK_DATA, buf, (uint16_t)n);
		if (len > sizeof(chunks) - 70000)
			break;
	}
	mode = 0;
	save(dir, "events-clean", &mode, 1, chunks, len);
	mode = 1;   /* with the skip map */
	save(dir, "events-skip", &mode, 1, chunks, len);
	/* an overrun, and a datagram too large */
	len = fuzz_chunk_put(chunks, len, FUZZ_CHUNK_ENOBUFS, NULL, 0);
	len = fuzz_chunk_put(chunks, len, FUZZ_CHUNK_ENOSPC, NULL, 0);
	mode = 0;
	save(dir, "events-overrun", &mode, 1, chunks, len);
	mnl_socket_close(nl);
}

static void cmd_ct(const char *dir)
{
	static uint8_t chunks[1 << 20];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char req[256], name[64];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nf;
	uint8_t mode[2] = { 0, 0 };
	size_t i, len = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("nfnetlink");
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	nf = mnl_nlmsg_put_extra_header(nlh, sizeof(*nf));
	nf->nfgen_family = AF_UNSPEC;
	nf->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("send");
	recv_dump(nl);
	for (i = 0; i < ndgs; i++) {
		snprintf(name, sizeof(name), "ctnetlink-dgram-%02zu", i);
		mode[1] = (uint8_t)i;   /* a different NAT range each */
		save(dir, name, mode, 2, dgs[i].buf, dgs[i].len);
		len = fuzz_chunk_put(chunks, len, FUZZ_CHUNK_DATA | FUZZ_CHUNK_RESEQ,
				     dgs[i].buf, (uint16_t)dgs[i].len);
	}
	mode[0] = 1;
	mode[1] = 0;
	save(dir, "ctnetlink-dump", mode, 2, chunks, len);
	mnl_socket_close(nl);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: capture diag|events|ct DIR\n");
		return 2;
	}
	if (strcmp(argv[1], "diag") == 0)
		cmd_diag(argv[2]);
	else if (strcmp(argv[1], "events") == 0)
		cmd_events(argv[2]);
	else if (strcmp(argv[1], "ct") == 0)
		cmd_ct(argv[2]);
	else
		return 2;
	return 0;
}
