#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "array.h"
#include "import.h"
#include "sanitize.h"

#define IMPORT_MAX_TOKENS 8
#define LOOPBACK_IFINDEX 1u

struct tok {
	const char *p;
	size_t n;
};

struct importer {
	struct import_opts opts;
	enum import_format fmt;
	struct import_stats st;

	char line[IMPORT_LINE_MAX + 1];
	size_t len;
	int overlong;             /* the current line passed IMPORT_LINE_MAX */

	struct sockvec socks;
	uint32_t *owner;          /* per socket */
	size_t owner_cap;
	struct sample_proc *procs;
	size_t nprocs, procs_cap;
	uint32_t *ptab;           /* pid hash: index into procs + 1 */
	size_t ptab_cap;
};

/* ---- small parsers --------------------------------------------------- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split into at most max tokens; *rest points after the last one taken. */
static size_t tokenize(const char *s, size_t len, struct tok *t, size_t max,
		       const char **rest, size_t *restlen)
{
	size_t i = 0, n = 0;

	while (n < max) {
		size_t start;

		while (i < len && is_blank(s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !is_blank(s[i]))
			i++;
		t[n].p = s + start;
		t[n].n = i - start;
		n++;
	}
	while (i < len && is_blank(s[i]))
		i++;
	*rest = s + i;
	*restlen = len - i;
	return n;
}

static int tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->n == n && memcmp(t->p, word, n) == 0;
}

static int tok_uint(const struct tok *t, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (t->n == 0 || t->n > 20)
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		unsigned d;

		if (t->p[i] < '0' || t->p[i] > '9')
			return -EINVAL;
		d = (unsigned)(t->p[i] - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int tok_is_num(const struct tok *t)
{
	unsigned long v;

	return tok_uint(t, (unsigned long)-1, &v) == 0;
}

struct state_name {
	const char *name;
	uint8_t tcp;              /* enum sock_state for TCP */
};

/* ss's names (iproute2 misc/ss.c sstate_name). */
static const struct state_name ss_states[] = {
	{ "ESTAB", SOCK_ESTABLISHED }, { "SYN-SENT", SOCK_SYN_SENT },
	{ "SYN-RECV", SOCK_SYN_RECV }, { "FIN-WAIT-1", SOCK_FIN_WAIT1 },
	{ "FIN-WAIT-2", SOCK_FIN_WAIT2 }, { "TIME-WAIT", SOCK_TIME_WAIT },
	{ "UNCONN", SOCK_BOUND }, { "CLOSE-WAIT", SOCK_CLOSE_WAIT },
	{ "LAST-ACK", SOCK_LAST_ACK }, { "LISTEN", SOCK_LISTEN },
	{ "CLOSING", SOCK_CLOSING }, { "NEW-SYN-RECV", SOCK_SYN_RECV },
	{ "BOUND-INACTIVE", SOCK_BOUND },
};

/* net-tools netstat's names (tcp_state[] in netstat.c). */
static const struct state_name netstat_states[] = {
	{ "ESTABLISHED", SOCK_ESTABLISHED }, { "SYN_SENT", SOCK_SYN_SENT },
	{ "SYN_RECV", SOCK_SYN_RECV }, { "FIN_WAIT1", SOCK_FIN_WAIT1 },
	{ "FIN_WAIT2", SOCK_FIN_WAIT2 }, { "TIME_WAIT", SOCK_TIME_WAIT },
	{ "CLOSE", SOCK_BOUND }, { "CLOSE_WAIT", SOCK_CLOSE_WAIT },
	{ "LAST_ACK", SOCK_LAST_ACK }, { "LISTEN", SOCK_LISTEN },
	{ "CLOSING", SOCK_CLOSING },
};

/* Windows netstat's names (MIB_TCP_STATE). */
static const struct state_name windows_states[] = {
	{ "CLOSED", SOCK_CLOSE }, { "LISTENING", SOCK_LISTEN },
	{ "SYN_SENT", SOCK_SYN_SENT }, { "SYN_RECEIVED", SOCK_SYN_RECV },
	{ "ESTABLISHED", SOCK_ESTABLISHED }, { "FIN_WAIT_1", SOCK_FIN_WAIT1 },
	{ "FIN_WAIT_2", SOCK_FIN_WAIT2 }, { "CLOSE_WAIT", SOCK_CLOSE_WAIT },
	{ "CLOSING", SOCK_CLOSING }, { "LAST_ACK", SOCK_LAST_ACK },
	{ "TIME_WAIT", SOCK_TIME_WAIT }, { "DELETE_TCB", SOCK_CLOSE },
	{ "BOUND", SOCK_BOUND },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int find_state(const struct state_name *tab, size_t n,
		      const struct tok *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tok_is(t, tab[i].name))
			return tab[i].tcp;
	return -1;
}

/*
 * An address and port as the tools print them: "1.2.3.4:80",
 * "[::1]:80", "[fe80::1%12]:80" (Windows), "127.0.0.53%lo:53" and
 * "[fe80::1]%eth0:123" (ss), "::1:80" (net-tools: the last colon
 * separates the port), "*" as the address (any) and "*" as the port (0).
 * *family is 0 for a bare "*" address (any, family unknown).
 */
static int parse_endpoint(const struct tok *t, int *family, uint8_t *addr,
			  uint16_t *port, uint32_t *ifindex)
{
	char a[64], ifname[32];
	const char *p = t->p, *end = t->p + t->n, *colon = NULL, *q;
	size_t alen, ilen = 0;
	unsigned long v;
	struct tok pt;

	memset(addr, 0, 16);
	*ifindex = 0;
	ifname[0] = '\0';
	if (t->n == 0 || t->n > 100)
		return -EINVAL;
	for (q = end; q > p; q--)
		if (q[-1] == ':') {
			colon = q - 1;
			break;
		}
	if (!colon)
		return -EINVAL;
	pt.p = colon + 1;
	pt.n = (size_t)(end - pt.p);
	if (tok_is(&pt, "*"))
		*port = 0;
	else if (tok_uint(&pt, 65535, &v) == 0)
		*port = (uint16_t)v;
	else
		return -EINVAL;

	/* the address part [p, colon) */
	if (p < colon && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(colon - p));

		if (!rb)
			return -EINVAL;
		if (rb + 1 < colon) {        /* ss: "]%iface" */
			if (rb[1] != '%')
				return -EINVAL;
			ilen = (size_t)(colon - (rb + 2));
			if (ilen >= sizeof(ifname))
				return -EINVAL;
			memcpy(ifname, rb + 2, ilen);
			ifname[ilen] = '\0';
		}
		p++;
		alen = (size_t)(rb - p);
	} else {
		alen = (size_t)(colon - p);
	}
	if (alen == 0 || alen >= sizeof(a))
		return -EINVAL;
	memcpy(a, p, alen);
	a[alen] = '\0';
	/* a zone or device: "%12", "%lo" */
	{
		char *pct = strchr(a, '%');

		if (pct) {
			size_t n = strlen(pct + 1);

			if (n == 0 || n >= sizeof(ifname) || ilen)
				return -EINVAL;
			memcpy(ifname, pct + 1, n + 1);
			*pct = '\0';
		}
	}
	if (strcmp(ifname, "lo") == 0)
		*ifindex = LOOPBACK_IFINDEX;
	if (strcmp(a, "*") == 0) {
		*family = 0;
		return 0;
	}
	if (strchr(a, ':')) {
		if (inet_pton(AF_INET6, a, addr) != 1)
			return -EINVAL;
		*family = sock_addr_normalise(AF_INET6, addr);
		return 0;
	}
	if (inet_pton(AF_INET, a, addr) != 1)
		return -EINVAL;
	*family = AF_INET;
	return 0;
}

/* Local and peer endpoints into rec; a "*" side takes the other's family. */
static int parse_endpoints(const struct tok *l, const struct tok *r,
			   struct sock_rec *rec)
{
	int lf, rf;
	uint32_t lif, rif;

	if (parse_endpoint(l, &lf, rec->saddr, &rec->sport, &lif) < 0 ||
	    parse_endpoint(r, &rf, rec->daddr, &rec->dport, &rif) < 0)
		return -EINVAL;
	if (lf == 0)
		lf = rf ? rf : AF_INET6;
	if (rf == 0)
		rf = lf;
	if (lf != rf) {
		/* only a wildcard peer may differ: "[::]:*" beside an
		 * IPv4-mapped local address */
		if (!sock_addr_is_any(rf, rec->daddr))
			return -EINVAL;
		memset(rec->daddr, 0, 16);
	}
	rec->family = (uint8_t)lf;
	rec->ifindex = lif;
	return 0;
}

/* "users:((\"comm\",pid=123,fd=4),...)": the first process. */
static void parse_ss_users(const char *s, size_t len, struct import_line *out)
{
	static const char key[] = "users:((\"";
	const char *p, *end = s + len, *c, *q;
	unsigned long pid = 0;

	p = len >= sizeof(key) - 1 ? memmem(s, len, key, sizeof(key) - 1) : NULL;
	if (!p)
		return;
	c = p + sizeof(key) - 1;
	q = memmem(c, (size_t)(end - c), "\",pid=", 6);
	if (!q)
		return;
	p = q + 6;
	while (p < end && *p >= '0' && *p <= '9' && pid <= 0x7fffffff) {
		pid = pid * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (pid == 0 || pid > 0x7fffffff)
		return;
	out->pid = (int32_t)pid;
	sanitize_text(out->comm, sizeof(out->comm), c, (size_t)(q - c));
}

/* net-tools: "123/comm" (the comm may hold blanks) or "-". */
static void parse_netstat_owner(const char *s, size_t len,
				struct import_line *out)
{
	const char *slash = memchr(s, '/', len);
	unsigned long pid;
	struct tok t;

	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (!slash)
		return;
	t.p = s;
	t.n = (size_t)(slash - s);
	if (tok_uint(&t, 0x7fffffff, &pid) < 0 || pid == 0)
		return;
	out->pid = (int32_t)pid;
	sanitize_text(out->comm, sizeof(out->comm), slash + 1,
		      (size_t)(s + len - (slash + 1)));
}

static int proto_of(const struct tok *t, int *v6)
{
	*v6 = 0;
	if (tok_is(t, "tcp") || tok_is(t, "TCP"))
		return IPPROTO_TCP;
	if (tok_is(t, "udp") || tok_is(t, "UDP"))
		return IPPROTO_UDP;
	if (tok_is(t, "tcp6")) {
		*v6 = 1;
		return IPPROTO_TCP;
	}
	if (tok_is(t, "udp6")) {
		*v6 = 1;
		return IPPROTO_UDP;
	}
	return -1;
}

/* A UDP socket's state: connected or not. */
static uint8_t udp_state(int tcp_state)
{
	return tcp_state == SOCK_ESTABLISHED ? SOCK_ESTABLISHED : SOCK_CLOSE;
}

/* ---- the three formats ---------------------------------------------- */

static int parse_ss(const char *line, size_t len, struct import_line *out)
{
	struct tok t[IMPORT_MAX_TOKENS];
	const char *rest;
	size_t restlen, n, i = 0;
	int proto = IPPROTO_TCP, st;

	n = tokenize(line, len, t, 6, &rest, &restlen);
	if (n == 0)
		return IMPORT_LINE_IGNORED;
	if (tok_is(&t[0], "State") || tok_is(&t[0], "Netid"))
		return IMPORT_LINE_IGNORED;
	if (find_state(ss_states, NELEM(ss_states), &t[0]) < 0) {
		/* Netid first */
		if (n < 2 || find_state(ss_states, NELEM(ss_states), &t[1]) < 0)
			return -EINVAL;
		if (tok_is(&t[0], "tcp"))
			proto = IPPROTO_TCP;
		else if (tok_is(&t[0], "udp"))
			proto = IPPROTO_UDP;
		else    /* another protocol of ss -a (raw, u_str, ...) */
			return t[0].n <= 8 ? IMPORT_LINE_IGNORED : -EINVAL;
		i = 1;
	} else {
		/* no Netid column: re-split so the process column is rest */
		n = tokenize(line, len, t, 5, &rest, &restlen);
	}
	if (i == 1 && n == 6) {
		/* fine: Netid State Recv-Q Send-Q Local Peer */
	} else if (i == 0 && n == 5) {
		/* fine: State Recv-Q Send-Q Local Peer */
	} else {
		return -EINVAL;
	}
	st = find_state(ss_states, NELEM(ss_states), &t[i]);
	if (!tok_is_num(&t[i + 1]) || !tok_is_num(&t[i + 2]))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (parse_endpoints(&t[i + 3], &t[i + 4], &out->rec) < 0)
		return -EINVAL;
	out->rec.proto = (uint8_t)proto;
	out->rec.state = proto == IPPROTO_UDP ? udp_state(st) : (uint8_t)st;
	if (restlen)
		parse_ss_users(rest, restlen, out);
	return 1;
}

static int parse_netstat(const char *line, size_t len, struct import_line *out)
{
	struct tok t[IMPORT_MAX_TOKENS];
	const char *rest;
	size_t restlen, n;
	int proto, st = -1, v6;

	n = tokenize(line, len, t, 5, &rest, &restlen);
	if (n == 0)
		return IMPORT_LINE_IGNORED;
	if (tok_is(&t[0], "Active") || tok_is(&t[0], "Proto") ||
	    tok_is(&t[0], "unix") || tok_is(&t[0], "raw") ||
	    tok_is(&t[0], "raw6") || tok_is(&t[0], "udpl") ||
	    tok_is(&t[0], "udpl6"))
		return IMPORT_LINE_IGNORED;
	proto = proto_of(&t[0], &v6);
	if (proto < 0 || t[0].p[0] == 'T' || t[0].p[0] == 'U' || n < 5 ||
	    !tok_is_num(&t[1]) || !tok_is_num(&t[2]))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (parse_endpoints(&t[3], &t[4], &out->rec) < 0)
		return -EINVAL;
	/* the state (none for an unconnected UDP socket), then PID/Program */
	if (restlen) {
		struct tok s;
		const char *r2;
		size_t r2len;

		if (tokenize(rest, restlen, &s, 1, &r2, &r2len) == 1 &&
		    (st = find_state(netstat_states, NELEM(netstat_states), &s)) >= 0) {
			rest = r2;
			restlen = r2len;
		}
	}
	if (proto == IPPROTO_TCP && st < 0)
		return -EINVAL;
	out->rec.proto = (uint8_t)proto;
	out->rec.state = proto == IPPROTO_UDP ? udp_state(st) : (uint8_t)st;
	if (restlen)
		parse_netstat_owner(rest, restlen, out);
	return 1;
}

static int parse_windows(const char *line, size_t len, struct import_line *out)
{
	struct tok t[IMPORT_MAX_TOKENS];
	const char *rest;
	size_t restlen, n, i;
	int proto, st = -1, v6;
	unsigned long pid = 0;

	n = tokenize(line, len, t, 6, &rest, &restlen);
	if (n == 0)
		return IMPORT_LINE_IGNORED;
	if (tok_is(&t[0], "Active") || tok_is(&t[0], "Proto"))
		return IMPORT_LINE_IGNORED;
	if (restlen || n < 3)
		return -EINVAL;
	proto = proto_of(&t[0], &v6);
	if (proto < 0 || (t[0].p[0] != 'T' && t[0].p[0] != 'U'))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (parse_endpoints(&t[1], &t[2], &out->rec) < 0)
		return -EINVAL;
	i = 3;
	if (i < n && !tok_is_num(&t[i])) {
		st = find_state(windows_states, NELEM(windows_states), &t[i]);
		if (st < 0)
			return -EINVAL;
		i++;
	}
	if (i < n) {
		if (tok_uint(&t[i], 0x7fffffff, &pid) < 0)
			return -EINVAL;
		i++;
	}
	if (i != n || (proto == IPPROTO_TCP && st < 0))
		return -EINVAL;
	out->rec.proto = (uint8_t)proto;
	out->rec.state = proto == IPPROTO_UDP ? udp_state(st) : (uint8_t)st;
	/* PID 0 is the idle process: Windows shows it for TIME_WAIT */
	out->pid = (int32_t)pid;
	return 1;
}

static int parse_as(enum import_format f, const char *line, size_t len,
		    struct import_line *out)
{
	switch (f) {
	case IMPORT_SS: return parse_ss(line, len, out);
	case IMPORT_NETSTAT: return parse_netstat(line, len, out);
	case IMPORT_WINDOWS: return parse_windows(line, len, out);
	default: return -EINVAL;
	}
}

int import_parse_line(enum import_format *fmt, const char *line, size_t len,
		      struct import_line *out)
{
	static const enum import_format order[] = {
		IMPORT_WINDOWS, IMPORT_NETSTAT, IMPORT_SS,
	};
	size_t i;
	int ignored = 0;

	if (memchr(line, '\0', len))
		return -EINVAL;
	if (*fmt != IMPORT_AUTO)
		return parse_as(*fmt, line, len, out);
	for (i = 0; i < NELEM(order); i++) {
		int r = parse_as(order[i], line, len, out);

		if (r == 1) {
			*fmt = order[i];
			return 1;
		}
		if (r == IMPORT_LINE_IGNORED)
			ignored = 1;
	}
	return ignored ? IMPORT_LINE_IGNORED : -EINVAL;
}

int import_format_parse(const char *name, enum import_format *out)
{
	if (strcmp(name, "auto") == 0)
		*out = IMPORT_AUTO;
	else if (strcmp(name, "ss") == 0)
		*out = IMPORT_SS;
	else if (strcmp(name, "netstat") == 0)
		*out = IMPORT_NETSTAT;
	else if (strcmp(name, "windows") == 0)
		*out = IMPORT_WINDOWS;
	else
		return -EINVAL;
	return 0;
}

const char *import_format_name(enum import_format f)
{
	switch (f) {
	case IMPORT_SS: return "ss";
	case IMPORT_NETSTAT: return "netstat";
	case IMPORT_WINDOWS: return "windows";
	default: return "auto";
	}
}

/* ---- the importer ----------------------------------------------------- */

int import_new(struct importer **out, const struct import_opts *opts)
{
	struct importer *im = calloc(1, sizeof(*im));

	*out = NULL;
	if (!im)
		return -ENOMEM;
	im->opts = *opts;
	im->fmt = opts->format;
	sockvec_init(&im->socks);
	*out = im;
	return 0;
}

void import_free(struct importer *im)
{
	if (!im)
		return;
	sockvec_release(&im->socks);
	free(im->owner);
	free(im->procs);
	free(im->ptab);
	free(im);
}

static size_t pid_hash(int32_t pid, size_t cap)
{
	uint32_t x = (uint32_t)pid * 2654435761u;

	return (size_t)(x ^ (x >> 16)) & (cap - 1);
}

static int import_rehash(struct importer *im, size_t cap)
{
	uint32_t *t = calloc(cap, sizeof(*t));
	size_t i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < im->nprocs; i++) {
		size_t h = pid_hash(im->procs[i].pid, cap);

		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(im->ptab);
	im->ptab = t;
	im->ptab_cap = cap;
	return 0;
}

/* Index of the owner with this pid, added if new; -ENOMEM. */
static long import_owner(struct importer *im, const struct import_line *l)
{
	struct sample_proc *p;
	size_t h;

	if ((im->nprocs + 1) * 2 > im->ptab_cap &&
	    import_rehash(im, im->ptab_cap ? im->ptab_cap * 2 : 64) < 0)
		return -ENOMEM;
	for (h = pid_hash(l->pid, im->ptab_cap); im->ptab[h];
	     h = (h + 1) & (im->ptab_cap - 1))
		if (im->procs[im->ptab[h] - 1].pid == l->pid)
			return (long)im->ptab[h] - 1;
	if (array_grow(&im->procs, &im->procs_cap, im->nprocs + 1,
			sizeof(*im->procs)) < 0)
		return -ENOMEM;
	p = &im->procs[im->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = l->pid;
	p->uid = UINT32_MAX;      /* not in the capture */
	memcpy(p->comm, l->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	im->ptab[h] = (uint32_t)im->nprocs + 1;
	return (long)im->nprocs++;
}

static void import_malformed(struct importer *im)
{
	im->st.malformed++;
	if (!im->st.first_malformed)
		im->st.first_malformed = im->st.lines;
}

static int import_line_done(struct importer *im)
{
	struct import_line l;
	size_t len = im->len;
	long owner = -1;
	int r;

	im->st.lines++;
	im->len = 0;
	if (im->overlong) {
		im->overlong = 0;
		import_malformed(im);
		return 0;
	}
	while (len > 0 && is_blank(im->line[len - 1]))
		len--;
	r = import_parse_line(&im->fmt, im->line, len, &l);
	if (r < 0) {
		import_malformed(im);
		return 0;
	}
	if (r == IMPORT_LINE_IGNORED) {
		im->st.ignored++;
		return 0;
	}
	if (im->socks.len >= IMPORT_MAX_SOCKETS) {
		im->st.dropped++;
		return 0;
	}
	if (l.pid > 0) {
		owner = import_owner(im, &l);
		if (owner < 0)
			return -ENOMEM;
		im->st.has_owners = 1;
	}
	if (array_grow(&im->owner, &im->owner_cap, im->socks.len + 1,
			sizeof(*im->owner)) < 0 ||
	    sockvec_push(&im->socks, &l.rec) < 0)
		return -ENOMEM;
	im->owner[im->socks.len - 1] = owner < 0 ? SAMPLE_NO_OWNER
						 : (uint32_t)owner;
	return 0;
}

int import_feed(struct importer *im, const void *buf, size_t len)
{
	const char *p = buf, *end = p + len;

	/* PowerShell's redirect writes UTF-16LE with a BOM: say so rather
	 * than count every line malformed */
	if (im->st.bytes == 0 && len >= 2 &&
	    ((p[0] == '\xff' && p[1] == '\xfe') ||
	     (p[0] == '\xfe' && p[1] == '\xff') ||
	     (p[0] != 0 && p[1] == 0)))
		im->st.utf16 = 1;
	im->st.bytes += len;
	if (im->st.utf16)
		return -EILSEQ;
	if (im->st.bytes > IMPORT_MAX_BYTES ||
	    im->st.lines > IMPORT_MAX_LINES)
		return -EFBIG;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (!im->overlong) {
			if (im->len + n > IMPORT_LINE_MAX) {
				im->overlong = 1;
			} else {
				memcpy(im->line + im->len, p, n);
				im->len += n;
			}
		}
		p += n;
		if (nl) {
			int e = import_line_done(im);

			if (e < 0)
				return e;
			p++;
		}
	}
	return 0;
}

int import_finish(struct importer *im, struct sample *s, struct import_stats *st)
{
	struct sockvec tmp;
	int e;

	if (im->st.utf16)
		return -EILSEQ;
	if (im->len || im->overlong) {
		e = import_line_done(im);
		if (e < 0)
			return e;
	}
	im->st.format = im->fmt;
	im->st.sockets = im->socks.len;
	*st = im->st;

	/* the sample: sockets, owners, what is known */
	tmp = s->socks;
	s->socks = im->socks;
	im->socks = tmp;
	sockvec_clear(&im->socks);
	free(s->owner);
	free(s->procs);
	s->owner = im->owner;
	s->owner_cap = im->owner_cap;
	s->nowner = im->st.has_owners ? s->socks.len : 0;
	s->procs = im->procs;
	s->procs_cap = im->procs_cap;
	s->nprocs = im->nprocs;
	s->procs_denied = 0;
	im->owner = NULL;
	im->owner_cap = 0;
	im->procs = NULL;
	im->procs_cap = im->nprocs = 0;

	sysctl_defaults(&s->sys);
	s->sys.known = 0;
	/* unknown: nothing is counted as reusable rather than guessing */
	s->sys.tcp_tw_reuse = 0;
	if (im->opts.have_range) {
		s->sys.port_low = im->opts.range_low;
		s->sys.port_high = im->opts.range_high;
		s->sys.known |= SYSCTL_K_RANGE;
	} else if (im->fmt == IMPORT_WINDOWS) {
		s->sys.port_low = IMPORT_WINDOWS_LOW;
		s->sys.port_high = IMPORT_WINDOWS_HIGH;
	}
	memset(&s->stats, 0, sizeof(s->stats));
	s->stats.sockets = s->socks.len;
	snprintf(s->netns, sizeof(s->netns), "unknown");
	s->time = im->opts.time;
	s->mono = im->opts.time;
	s->events = SAMPLE_EV_NONE;
	s->events_since = s->mono;
	ev_counts_clear(&s->closes);
	memset(&s->net, 0, sizeof(s->net));
	s->nnotes = 0;

	sample_note(s, "imported %s output: %llu sockets from %llu lines; "
		    "sysctls, reserved ports, timers and %s are not in it",
		    import_format_name(im->fmt),
		    (unsigned long long)st->sockets,
		    (unsigned long long)st->lines,
		    st->has_owners ? "users" : "processes");
	if (st->malformed)
		sample_note(s, "skipped %llu malformed lines (the first is line %llu)",
			    (unsigned long long)st->malformed,
			    (unsigned long long)st->first_malformed);
	if (st->dropped)
		sample_note(s, "dropped %llu sockets past %u",
			    (unsigned long long)st->dropped, IMPORT_MAX_SOCKETS);
	if (im->fmt == IMPORT_WINDOWS)
		sample_note(s, "Windows capture: Linux's per-destination rules "
			    "applied; Windows shares one pool per local address "
			    "unless apps opt in to port sharing: read the pools");
	else if (!im->opts.have_range)
		sample_note(s, "the capture has no port range: give "
			    "--range=LOW-HIGH");
	/* nothing parsed and something did not: not a capture at all */
	if (!st->sockets && (st->malformed || !st->ignored))
		return -ENODATA;
	return 0;
}

int import_read_fd(int fd, const struct import_opts *opts, struct sample *s,
		   struct import_stats *st)
{
	struct importer *im;
	char buf[65536];
	int e;

	e = import_new(&im, opts);
	if (e < 0)
		return e;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			break;
		}
		if (n == 0) {
			e = import_finish(im, s, st);
			break;
		}
		e = import_feed(im, buf, (size_t)n);
		if (e < 0) {
			*st = im->st;
			break;
		}
	}
	import_free(im);
	return e;
}
