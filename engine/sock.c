#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sock.h"

const unsigned sock_state_order[] = {
	SOCK_ESTABLISHED, SOCK_SYN_SENT, SOCK_SYN_RECV, SOCK_FIN_WAIT1,
	SOCK_FIN_WAIT2, SOCK_TIME_WAIT, SOCK_CLOSE, SOCK_CLOSE_WAIT,
	SOCK_LAST_ACK, SOCK_LISTEN, SOCK_CLOSING, SOCK_BOUND,
};
const unsigned sock_state_order_len =
	sizeof(sock_state_order) / sizeof(sock_state_order[0]);

const char *sock_bind_src_name(int src)
{
	switch (src) {
	case SOCK_BSRC_BPF: return "bpf";
	case SOCK_BSRC_AUTOBOUND: return "autobound";
	default: return "none";
	}
}

const char *sock_state_name(unsigned state)
{
	switch (state) {
	case SOCK_ESTABLISHED: return "ESTABLISHED";
	case SOCK_SYN_SENT: return "SYN_SENT";
	case SOCK_SYN_RECV: return "SYN_RECV";
	case SOCK_NEW_SYN_RECV: return "SYN_RECV";
	case SOCK_FIN_WAIT1: return "FIN_WAIT1";
	case SOCK_FIN_WAIT2: return "FIN_WAIT2";
	case SOCK_TIME_WAIT: return "TIME_WAIT";
	case SOCK_CLOSE: return "CLOSE";
	case SOCK_CLOSE_WAIT: return "CLOSE_WAIT";
	case SOCK_LAST_ACK: return "LAST_ACK";
	case SOCK_LISTEN: return "LISTEN";
	case SOCK_CLOSING: return "CLOSING";
	case SOCK_BOUND: return "BOUND";
	default: return "UNKNOWN";
	}
}

int sock_state_slot(unsigned state)
{
	unsigned i;

	if (state == SOCK_NEW_SYN_RECV)
		state = SOCK_SYN_RECV;
	for (i = 0; i < sock_state_order_len; i++)
		if (sock_state_order[i] == state)
			return (int)i;
	return -1;
}

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int sock_addr_is_any(int family, const uint8_t *addr)
{
	static const uint8_t zero[16];

	return memcmp(addr, zero, family == AF_INET ? 4 : 16) == 0;
}

int sock_addr_is_loopback(int family, const uint8_t *addr)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (family == AF_INET)
		return addr[0] == 127;
	if (memcmp(addr, v4mapped_prefix, 12) == 0)
		return addr[12] == 127;
	return memcmp(addr, v6_loopback, 16) == 0;
}

int sock_addr_cmp(int family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == AF_INET ? 4 : 16);
}

int sock_addr_normalise(int family, uint8_t *addr)
{
	if (family != AF_INET6 || memcmp(addr, v4mapped_prefix, 12) != 0)
		return family;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
	return AF_INET;
}

char *sock_addr_format(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, buf,
		       (socklen_t)len)) {
		if (len)
			buf[0] = '\0';
	}
	return buf;
}

void sockvec_init(struct sockvec *sv)
{
	sv->v = NULL;
	sv->len = 0;
	sv->cap = 0;
}

void sockvec_release(struct sockvec *sv)
{
	if (!sv)
		return;
	free(sv->v);
	sockvec_init(sv);
}

void sockvec_clear(struct sockvec *sv)
{
	sv->len = 0;
}

int sockvec_reserve(struct sockvec *sv, size_t n)
{
	size_t cap;
	struct sock_rec *p;

	if (n <= sv->cap - sv->len)
		return 0;
	if (n > ((size_t)-1 / sizeof(*p)) / 2 - sv->len)
		return -ENOMEM;
	cap = sv->cap ? sv->cap : 256;
	while (cap < sv->len + n)
		cap *= 2;
	p = realloc(sv->v, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	sv->v = p;
	sv->cap = cap;
	return 0;
}

int sockvec_push(struct sockvec *sv, const struct sock_rec *rec)
{
	if (sv->len == sv->cap && sockvec_reserve(sv, 1) != 0)
		return -ENOMEM;
	sv->v[sv->len++] = *rec;
	return 0;
}
