#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netstat.h"

/* One line of the text: [p, end), without its newline. */
struct ns_line {
	const char *p;
	const char *end;
};

/* The line starting at *pos (< len), advancing *pos past its newline. */
static struct ns_line ns_next_line(const char *text, size_t len, size_t *pos)
{
	struct ns_line l;
	const char *nl;

	l.p = text + *pos;
	nl = memchr(l.p, '\n', len - *pos);
	l.end = nl ? nl : text + len;
	*pos = (size_t)(l.end - text) + (nl ? 1 : 0);
	return l;
}

/* If the line is "sect:" followed by a blank or its end, where the
 * tokens start; else NULL. */
static const char *ns_section_body(struct ns_line l, const char *sect)
{
	size_t n = strlen(sect);

	if ((size_t)(l.end - l.p) < n + 1 || memcmp(l.p, sect, n) != 0 ||
	    l.p[n] != ':')
		return NULL;
	return l.p + n + 1;
}

static int ns_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next blank-separated token in [*p, end): sets *tok and *toklen, moves
 * *p past it. 0 when there is none left. */
static int ns_token(const char **p, const char *end, const char **tok,
		    size_t *toklen)
{
	const char *q = *p;

	while (q < end && ns_blank(*q))
		q++;
	if (q >= end)
		return 0;
	*tok = q;
	while (q < end && !ns_blank(*q))
		q++;
	*toklen = (size_t)(q - *tok);
	*p = q;
	return 1;
}

/* An unsigned decimal that fits in 64 bits, the whole token. */
static int ns_parse_u64(const char *tok, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		uint64_t d;

		if (tok[i] < '0' || tok[i] > '9')
			return -EINVAL;
		d = (uint64_t)(tok[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int netstat_parse(const char *text, size_t len, const char *sect,
		  const char *const names[], uint64_t vals[], size_t n,
		  unsigned *found)
{
	size_t pos = 0, i;
	int count = 0;

	*found = 0;
	if (!text || !sect || n > sizeof(*found) * 8)
		return 0;
	while (pos < len) {
		struct ns_line head = ns_next_line(text, len, &pos), val;
		const char *hp, *vp;
		const char *htok, *vtok;
		size_t hlen, vlen;

		hp = ns_section_body(head, sect);
		if (!hp)
			continue;
		/* The value line follows its header directly. */
		if (pos >= len)
			break;
		val = ns_next_line(text, len, &pos);
		vp = ns_section_body(val, sect);
		if (!vp)
			break;
		while (ns_token(&hp, head.end, &htok, &hlen)) {
			uint64_t v;
			int have = ns_token(&vp, val.end, &vtok, &vlen);

			if (!have)
				break;
			for (i = 0; i < n; i++) {
				if (strlen(names[i]) != hlen ||
				    memcmp(names[i], htok, hlen) != 0 ||
				    (*found & (1u << i)))
					continue;
				if (ns_parse_u64(vtok, vlen, &v) == 0) {
					vals[i] = v;
					*found |= 1u << i;
					count++;
				}
			}
		}
		break;   /* the first pair of the section wins */
	}
	return count;
}

/* Read at most NETSTAT_FILE_MAX bytes of path into a fresh buffer. */
static int ns_read_file(const char *path, char **out, size_t *len)
{
	char *buf;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(NETSTAT_FILE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < NETSTAT_FILE_MAX) {
		ssize_t n = read(fd, buf + got, NETSTAT_FILE_MAX - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

static int ns_read_section(const char *procroot, const char *file,
			   const char *sect, const char *const names[],
			   uint64_t vals[], size_t n, unsigned *found)
{
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	int err;

	*found = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/net/%s", procroot, file) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	err = ns_read_file(path, &text, &len);
	if (err)
		return err;
	netstat_parse(text, len, sect, names, vals, n, found);
	free(text);
	return 0;
}

int netstat_read(const char *procroot, struct netstat_vals *v)
{
	static const char *const tcp_names[] = { "ActiveOpens" };
	static const char *const ext_names[] = {
		"TWRecycled", "TCPTimeWaitOverflow",
	};
	uint64_t tcp[1] = { 0 }, ext[2] = { 0, 0 };
	unsigned found;
	int err1, err2;

	memset(v, 0, sizeof(*v));
	if (!procroot)
		return -EINVAL;
	err1 = ns_read_section(procroot, "snmp", "Tcp", tcp_names, tcp, 1,
			       &found);
	if (found & 1) {
		v->active_opens = tcp[0];
		v->known |= NETSTAT_K_ACTIVE_OPENS;
	}
	err2 = ns_read_section(procroot, "netstat", "TcpExt", ext_names, ext, 2,
			       &found);
	if (found & 1) {
		v->tw_recycled = ext[0];
		v->known |= NETSTAT_K_TW_RECYCLED;
	}
	if (found & 2) {
		v->tw_overflow = ext[1];
		v->known |= NETSTAT_K_TW_OVERFLOW;
	}
	if (v->known)
		return 0;
	if (err1)
		return err1;
	return err2 ? err2 : -ENOENT;
}
