#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "model.h"
#include "out_json.h"
#include "out_text.h"
#include "sanitize.h"
#include "strbuf.h"

/* ---- a strict little JSON validator (RFC 8259) ------------------------- */

struct jv {
	const unsigned char *p, *end;
	int depth;
};

static int jv_value(struct jv *v);

static void jv_ws(struct jv *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' ||
				 *v->p == '\n' || *v->p == '\r'))
		v->p++;
}

static int jv_lit(struct jv *v, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0)
		return 0;
	v->p += n;
	return 1;
}

static int jv_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* One valid UTF-8 character of 2..4 bytes (no overlong, no surrogate). */
static int jv_utf8(struct jv *v)
{
	const unsigned char *s = v->p;
	size_t avail = (size_t)(v->end - s), len, i;
	uint32_t c = s[0], min;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	v->p += len;
	return 1;
}

static int jv_string(struct jv *v)
{
	if (v->p >= v->end || *v->p != '"')
		return 0;
	v->p++;
	while (v->p < v->end) {
		unsigned char c = *v->p;

		if (c == '"') {
			v->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			v->p++;
			if (v->p >= v->end)
				return 0;
			c = *v->p++;
			if (c == 'u') {
				int i;

				for (i = 0; i < 4; i++)
					if (v->p >= v->end || !jv_hex(*v->p++))
						return 0;
			} else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
				return 0;
			}
		} else if (c >= 0x80) {
			if (!jv_utf8(v))
				return 0;
		} else {
			v->p++;
		}
	}
	return 0;
}

static int jv_digits(struct jv *v)
{
	const unsigned char *start = v->p;

	while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
		v->p++;
	return v->p > start;
}

static int jv_number(struct jv *v)
{
	if (v->p < v->end && *v->p == '-')
		v->p++;
	if (v->p < v->end && *v->p == '0')
		v->p++;
	else if (!(v->p < v->end && *v->p >= '1' && *v->p <= '9' && jv_digits(v)))
		return 0;
	if (v->p < v->end && *v->p == '.') {
		v->p++;
		if (!jv_digits(v))
			return 0;
	}
	if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
		v->p++;
		if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
			v->p++;
		if (!jv_digits(v))
			return 0;
	}
	return 1;
}

static int jv_array(struct jv *v)
{
	v->p++;
	jv_ws(v);
	if (v->p < v->end && *v->p == ']') {
		v->p++;
		return 1;
	}
	for (;;) {
		if (!jv_value(v))
			return 0;
		jv_ws(v);
		if (v->p >= v->end)
			return 0;
		if (*v->p == ']') {
			v->p++;
			return 1;
		}
		if (*v->p++ != ',')
			return 0;
	}
}

static int jv_object(struct jv *v)
{
	v->p++;
	jv_ws(v);
	if (v->p < v->end && *v->p == '}') {
		v->p++;
		return 1;
	}
	for (;;) {
		jv_ws(v);
		if (!jv_string(v))
			return 0;
		jv_ws(v);
		if (v->p >= v->end || *v->p++ != ':')
			return 0;
		if (!jv_value(v))
			return 0;
		jv_ws(v);
		if (v->p >= v->end)
			return 0;
		if (*v->p == '}') {
			v->p++;
			return 1;
		}
		if (*v->p++ != ',')
			return 0;
	}
}

static int jv_value(struct jv *v)
{
	int ok;

	jv_ws(v);
	if (v->p >= v->end || ++v->depth > 64)
		return 0;
	switch (*v->p) {
	case '{': ok = jv_object(v); break;
	case '[': ok = jv_array(v); break;
	case '"': ok = jv_string(v); break;
	case 't': ok = jv_lit(v, "true"); break;
	case 'f': ok = jv_lit(v, "false"); break;
	case 'n': ok = jv_lit(v, "null"); break;
	default: ok = jv_number(v); break;
	}
	v->depth--;
	return ok;
}

/* 1 if s[0..len) is exactly one JSON value, blanks around allowed. */
static int json_valid(const char *s, size_t len)
{
	struct jv v = { (const unsigned char *)s, (const unsigned char *)s + len, 0 };

	if (!jv_value(&v))
		return 0;
	jv_ws(&v);
	return v.p == v.end;
}

#define JV(lit) json_valid(lit, sizeof(lit) - 1)

static void test_validator_itself(void **state)
{
	(void)state;
	assert_true(JV("{\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\"]}"));
	assert_true(JV("{}"));
	assert_false(JV("{\"a\": nan}"));
	assert_false(JV("{\"a\": 01}"));
	assert_false(JV("{\"a\": 1.}"));
	assert_false(JV("{\"a\": \"x\ny\"}"));
	assert_false(JV("{\"a\": \"\\x\"}"));
	assert_false(JV("{\"a\": \"\xff\"}"));
	assert_false(JV("{\"a\": 1,}"));
	assert_false(JV("{\"a\": 1} {}"));
	assert_false(JV("[1, 2"));
}

/* ---- helpers ------------------------------------------------------------- */

/* Valid UTF-8 with no C0, DEL or C1 control, except '\n' when allow_nl. */
static int clean_text(const char *s, size_t len, int allow_nl)
{
	struct jv v = { (const unsigned char *)s, (const unsigned char *)s + len, 0 };

	while (v.p < v.end) {
		unsigned char c = *v.p;

		if (c == '\n' && allow_nl) {
			v.p++;
		} else if (c < 0x20 || c == 0x7f) {
			return 0;
		} else if (c < 0x80) {
			v.p++;
		} else {
			/* C1 controls encoded in UTF-8: U+0080..U+009F */
			if (c == 0xc2 && v.p + 1 < v.end && v.p[1] < 0xa0)
				return 0;
			if (!jv_utf8(&v))
				return 0;
		}
	}
	return 1;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void set_addr(int family, const char *text, uint8_t *out)
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family, text, out), 1);
}

/* Copy line number `n` (0-based) of s into buf; 0 if there is none. */
static int get_line(const char *s, size_t n, char *buf, size_t len)
{
	const char *e;

	while (n-- > 0) {
		s = strchr(s, '\n');
		if (!s)
			return 0;
		s++;
	}
	if (!*s)
		return 0;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	if ((size_t)(e - s) >= len)
		return 0;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return 1;
}

#define FIX_DESTS 30

struct fixture {
	struct snapshot snap;
	struct snap_dest dests[FIX_DESTS];
	struct snap_pool pools[2];
	struct snap_proc procs[1];
};

static const char hostile_comm[] = "evil\x1b[31m\nname";

static void fix_dest(struct snap_dest *d, int family, const char *saddr,
		     const char *daddr, uint16_t dport, uint32_t available)
{
	memset(d, 0, sizeof(*d));
	d->family = (uint8_t)family;
	d->proto = IPPROTO_TCP;
	set_addr(family, saddr, d->saddr);
	set_addr(family, daddr, d->daddr);
	d->dport = dport;
	d->available = available;
	d->available_min = available;   /* exact unless a test says not */
	d->exact = 1;
	d->headroom_pct = 100.0 * available / 28232;
	d->eta_s = SNAP_NO_ETA;
}

/*
 * The reference snapshot: two destinations (IPv4 then IPv6, most at risk
 * first), two pools, one process with a hostile name, one warning and
 * tcp_fin_timeout unknown.
 */
static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct snapshot *s;
	unsigned i;

	assert_non_null(f);
	s = &f->snap;
	s->time = 1763800000.25;
	snprintf(s->netns, sizeof(s->netns), "net:[4026531840]");
	s->sys.port_low = 32768;
	s->sys.port_high = 60999;
	s->sys.tcp_tw_reuse = 2;
	s->sys.tcp_timestamps = 1;
	s->sys.tcp_fin_timeout = 60;
	s->sys.tcp_max_tw_buckets = 262144;
	s->sys.tcp_tw_reuse_delay_ms = 1000;
	s->sys.known = SYSCTL_K_RANGE | SYSCTL_K_RESERVED | SYSCTL_K_TW_REUSE |
		       SYSCTL_K_TIMESTAMPS | SYSCTL_K_MAX_TW |
		       SYSCTL_K_TW_REUSE_DELAY;
	s->range_low = 32768;
	s->range_high = 60999;
	s->reserved = 0;
	s->usable = 28232;
	/* a distinct count per state, to tell them apart in the output */
	for (i = 0; i < sock_state_order_len; i++) {
		s->tcp_states[sock_state_order[i]] = sock_state_order[i] * 100 + 7;
		s->tcp_sockets += sock_state_order[i] * 100 + 7;
	}
	s->udp_sockets = 4;
	s->udp_ports_in_range = 2;
	s->ports_in_use = 1234;
	s->owned_ports = 3;
	s->available_new_destination = 28229;
	s->available_new_destination_min = 28229;
	s->bind_src = SOCK_BSRC_BPF;
	s->exact = 1;

	fix_dest(&f->dests[0], AF_INET, "10.0.0.1", "10.0.0.2", 443, 120);
	f->dests[0].states[SOCK_ESTABLISHED] = 600;
	f->dests[0].states[SOCK_TIME_WAIT] = 610;
	f->dests[0].states[SOCK_SYN_SENT] = 3;
	f->dests[0].states[SOCK_FIN_WAIT2] = 4;
	f->dests[0].sockets = 1217;
	f->dests[0].in_use = 1217;
	f->dests[0].reusable = 5;
	f->dests[0].close_rate = 10.25;
	f->dests[0].eta_s = 90.0;
	f->dests[0].close_rate_last = 12.5;
	f->dests[0].tw_rate = 9.75;
	f->dests[0].new_rate = 11.0;
	f->dests[0].closes = 25;

	fix_dest(&f->dests[1], AF_INET6, "2001:db8::1", "2001:db8::2", 8443,
		 28000);
	f->dests[1].states[SOCK_ESTABLISHED] = 7;
	f->dests[1].states[SOCK_TIME_WAIT] = 8;
	f->dests[1].sockets = 15;
	f->dests[1].in_use = 15;
	f->dests[1].headroom_pct = (double)NAN;   /* must come out as null */
	s->dests = f->dests;
	s->ndests = 2;

	f->pools[0].family = AF_INET;
	f->pools[0].proto = IPPROTO_TCP;
	set_addr(AF_INET, "10.0.0.1", f->pools[0].saddr);
	f->pools[0].in_use = 11;
	f->pools[0].available = 28221;
	f->pools[1].family = AF_INET6;
	f->pools[1].proto = IPPROTO_UDP;
	set_addr(AF_INET6, "::", f->pools[1].saddr);
	f->pools[1].in_use = 2;
	f->pools[1].available = 28230;
	s->pools = f->pools;
	s->npools = 2;

	f->procs[0].pid = 4242;
	f->procs[0].uid = 1000;
	memcpy(f->procs[0].comm, hostile_comm, sizeof(hostile_comm));
	f->procs[0].sockets = 1215;
	f->procs[0].time_wait = 600;
	f->procs[0].destinations = 2;
	f->procs[0].closing = 3;
	snprintf(f->procs[0].user, sizeof(f->procs[0].user), "alice");
	snprintf(f->procs[0].cmdline, sizeof(f->procs[0].cmdline),
		 "evil --run \"x\"");
	snprintf(f->procs[0].unit, sizeof(f->procs[0].unit), "unit:evil.service");
	snprintf(f->procs[0].cgroup, sizeof(f->procs[0].cgroup),
		 "/system.slice/evil.service");
	s->procs = f->procs;
	s->nprocs = 1;
	s->unattributed_time_wait = 18;

	snprintf(s->warnings[0], SNAP_WARNING_LEN,
		 "TIME_WAIT \"buckets\" near tcp_max_tw_buckets\\");
	s->nwarnings = 1;
	return f;
}

/* ---- JSON strings -------------------------------------------------------- */

static void check_json_string(const char *in, size_t len, const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	out_json_string(&sb, in, len);
	assert_int_equal(strbuf_error(&sb), 0);
	assert_string_equal(sb.buf, want);
	assert_true(json_valid(sb.buf, sb.len));
	strbuf_release(&sb);
}

#define CHECK_JSTR(lit, want) check_json_string(lit, sizeof(lit) - 1, want)

static void test_json_string_escapes(void **state)
{
	(void)state;
	CHECK_JSTR("plain", "\"plain\"");
	CHECK_JSTR("", "\"\"");
	CHECK_JSTR("say \"hi\"", "\"say \\\"hi\\\"\"");
	CHECK_JSTR("a\\b", "\"a\\\\b\"");
	CHECK_JSTR("l1\nl2\r\t", "\"l1\\nl2\\r\\t\"");
	CHECK_JSTR("\x1b[31m", "\"\\u001b[31m\"");
	CHECK_JSTR("\x01\x1f", "\"\\u0001\\u001f\"");
	CHECK_JSTR("del\x7f", "\"del\\u007f\"");
	CHECK_JSTR("nul\0x", "\"nul\\u0000x\"");
	/* valid multi-byte characters are kept as they are */
	CHECK_JSTR("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		   "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* C1 controls are valid UTF-8 but kept off the line as escapes */
	CHECK_JSTR("\xc2\x9b" "1m", "\"\\u009b1m\"");
	/* invalid UTF-8: every bad byte becomes U+FFFD */
	CHECK_JSTR("a\xff" "b", "\"a\\ufffdb\"");
	CHECK_JSTR("\xc0\xaf", "\"\\ufffd\\ufffd\"");             /* overlong */
	CHECK_JSTR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");   /* surrogate */
	CHECK_JSTR("\xf4\x90\x80\x80",
		   "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");             /* > U+10FFFF */
	CHECK_JSTR("x\xe2\x82", "\"x\\ufffd\\ufffd\"");             /* cut short */
	CHECK_JSTR("\x80", "\"\\ufffd\"");                        /* stray */
}

/* Every single byte, and pairs of bytes, give a valid JSON string. */
static void test_json_string_all_bytes(void **state)
{
	struct strbuf sb;
	unsigned a, b;

	(void)state;
	strbuf_init(&sb);
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b += 5) {
			char in[3] = { (char)a, (char)b, 'z' };

			strbuf_reset(&sb);
			out_json_string(&sb, in, sizeof(in));
			assert_int_equal(strbuf_error(&sb), 0);
			assert_true(json_valid(sb.buf, sb.len));
			assert_true(clean_text(sb.buf, sb.len, 0));
		}
	}
	strbuf_release(&sb);
}

/* ---- JSON snapshot ------------------------------------------------------- */

static char *json_of(const struct snapshot *snap)
{
	struct strbuf sb;
	char *out;

	strbuf_init(&sb);
	assert_int_equal(out_json_snapshot(&sb, snap), 0);
	assert_true(sb.len > 0);
	out = strdup(sb.buf);
	assert_non_null(out);
	strbuf_release(&sb);
	return out;
}

/* One line: valid JSON object, exactly one '\n', at the end. */
static void check_json_line(const char *js)
{
	size_t len = strlen(js);

	assert_true(len >= 3);
	assert_int_equal(js[0], '{');
	assert_int_equal(js[len - 1], '\n');
	assert_int_equal(count_char(js, '\n'), 1);
	assert_true(json_valid(js, len - 1));
	assert_true(clean_text(js, len - 1, 0));
	assert_null(strstr(js, "nan"));
	assert_null(strstr(js, "inf"));
}

static void test_json_snapshot_full(void **state)
{
	struct fixture *f = fixture_new();
	const char *d0, *d1;
	char *js;

	(void)state;
	js = json_of(&f->snap);
	check_json_line(js);

	assert_non_null(strstr(js, "{\"time\": 1763800000.25, \"netns\": \"net:[4026531840]\", "));
	assert_non_null(strstr(js, "\"range\": {\"low\": 32768, \"high\": 60999, "
				  "\"reserved\": 0, \"usable\": 28232}"));
	/* known sysctls as numbers, the unknown one as null */
	assert_non_null(strstr(js, "\"sysctl\": {\"tcp_tw_reuse\": 2, \"tcp_timestamps\": 1, "
				  "\"tcp_fin_timeout\": null, \"tcp_max_tw_buckets\": 262144, "
				  "\"tcp_tw_reuse_delay_ms\": 1000}"));
	assert_non_null(strstr(js, "\"udp\": {\"sockets\": 4, \"ports_in_range\": 2}"));
	assert_non_null(strstr(js, "\"ephemeral\": {\"ports_in_use\": 1234, \"owned_ports\": 3, "
				  "\"available_new_destination\": 28229, "
				  "\"available_new_destination_min\": 28229}, "
				  "\"exact\": true, \"bind_source\": \"bpf\", "
				  "\"inexact_reason\": null, "));

	/* destinations in the snapshot's order */
	d0 = strstr(js, "{\"proto\": \"tcp\", \"saddr\": \"10.0.0.1\", \"daddr\": \"10.0.0.2\", \"dport\": 443, ");
	d1 = strstr(js, "{\"proto\": \"tcp\", \"saddr\": \"2001:db8::1\", \"daddr\": \"2001:db8::2\", \"dport\": 8443, ");
	assert_non_null(d0);
	assert_non_null(d1);
	assert_true(d0 < d1);
	assert_true(strstr(js, "\"destinations\": [") < d0);
	assert_non_null(strstr(d0, "\"in_use\": 1217, \"reusable\": 5, \"available\": 120, "
				  "\"available_min\": 120, \"exact\": true, "
				  "\"headroom_pct\": 0.4, \"close_rate\": 10.250, \"eta_s\": 90.0, "
				  "\"close_rate_last\": 12.500, \"time_wait_rate\": 9.750, "
				  "\"new_rate\": 11.000, \"closes\": 25}"));
	/* NaN headroom is null; SNAP_NO_ETA is null */
	assert_non_null(strstr(d1, "\"available\": 28000, \"available_min\": 28000, "
				  "\"exact\": true, \"headroom_pct\": null, "
				  "\"close_rate\": 0.000, \"eta_s\": null, "
				  "\"close_rate_last\": 0.000, \"time_wait_rate\": 0.000, "
				  "\"new_rate\": 0.000, \"closes\": 0}"));
	assert_non_null(strstr(d0, "\"states\": {\"ESTABLISHED\": 600, \"SYN_SENT\": 3, "
				  "\"SYN_RECV\": 0, \"FIN_WAIT1\": 0, \"FIN_WAIT2\": 4, "
				  "\"TIME_WAIT\": 610, \"CLOSE\": 0, \"CLOSE_WAIT\": 0, "
				  "\"LAST_ACK\": 0, \"LISTEN\": 0, \"CLOSING\": 0, \"BOUND\": 0}"));

	assert_non_null(strstr(js, "\"pools\": [{\"proto\": \"tcp\", \"saddr\": \"10.0.0.1\", "
				  "\"in_use\": 11, \"available\": 28221}, "
				  "{\"proto\": \"udp\", \"saddr\": \"::\", "
				  "\"in_use\": 2, \"available\": 28230}]"));
	/* the hostile name is escaped, not passed through */
	assert_non_null(strstr(js, "\"processes\": [{\"pid\": 4242, \"uid\": 1000, "
				  "\"user\": \"alice\", "
				  "\"comm\": \"evil\\u001b[31m\\nname\", "
				  "\"cmdline\": \"evil --run \\\"x\\\"\", "
				  "\"unit\": \"unit:evil.service\", "
				  "\"cgroup\": \"/system.slice/evil.service\", "
				  "\"sockets\": 1215, \"time_wait\": 600, \"closing\": 3, "
				  "\"destinations\": 2}], "
				  "\"unattributed_sockets\": 0, \"pid_filter\": [], "));
	assert_null(strchr(js, '\x1b'));
	assert_non_null(strstr(js, "\"unattributed_time_wait\": 18, \"warnings\": "
				  "[\"TIME_WAIT \\\"buckets\\\" near tcp_max_tw_buckets\\\\\"]}\n"));
	free(js);
	free(f);
}

/* tcp.states: the 12 names of the contract, in order, with their counts. */
static void test_json_states_order(void **state)
{
	static const char *const names[] = {
		"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN",
		"CLOSING", "BOUND",
	};
	struct fixture *f = fixture_new();
	const char *p, *end;
	char *js;
	unsigned i;

	(void)state;
	assert_int_equal(sock_state_order_len, 12);
	js = json_of(&f->snap);
	p = strstr(js, "\"tcp\": {\"states\": {");
	assert_non_null(p);
	p += strlen("\"tcp\": {\"states\": {");
	end = strchr(p, '}');
	assert_non_null(end);
	for (i = 0; i < 12; i++) {
		char want[64];
		size_t n;

		assert_string_equal(sock_state_name(sock_state_order[i]), names[i]);
		n = (size_t)snprintf(want, sizeof(want), "%s\"%s\": %u",
				     i ? ", " : "", names[i],
				     sock_state_order[i] * 100 + 7);
		assert_true(p + n <= end);
		assert_memory_equal(p, want, n);
		p += n;
	}
	assert_ptr_equal(p, end);
	assert_non_null(strstr(end, "}, \"sockets\": "));
	free(js);
	free(f);
}

static void test_json_nonfinite_and_empty(void **state)
{
	struct fixture *f = fixture_new();
	char *js;

	(void)state;
	f->snap.time = (double)NAN;
	f->dests[0].close_rate = (double)INFINITY;
	f->dests[0].headroom_pct = -(double)INFINITY;
	f->dests[0].eta_s = -5.0;          /* any negative: no forecast */
	f->dests[1].eta_s = (double)NAN;
	f->snap.sys.known = 0;
	js = json_of(&f->snap);
	check_json_line(js);
	assert_non_null(strstr(js, "{\"time\": null, "));
	assert_non_null(strstr(js, "\"headroom_pct\": null, \"close_rate\": null, \"eta_s\": null, "));
	assert_non_null(strstr(js, "\"sysctl\": {\"tcp_tw_reuse\": null, \"tcp_timestamps\": null, "
				  "\"tcp_fin_timeout\": null, \"tcp_max_tw_buckets\": null, "
				  "\"tcp_tw_reuse_delay_ms\": null}"));
	free(js);

	/* nothing at all: empty arrays, still one valid line */
	f->snap.dests = NULL;
	f->snap.ndests = 0;
	f->snap.pools = NULL;
	f->snap.npools = 0;
	f->snap.procs = NULL;
	f->snap.nprocs = 0;
	f->snap.nwarnings = 0;
	memset(f->snap.netns, 'n', sizeof(f->snap.netns));  /* no NUL */
	js = json_of(&f->snap);
	check_json_line(js);
	assert_non_null(strstr(js, "\"destinations\": [], \"pools\": [], \"processes\": [], "
				  "\"unattributed_sockets\": 0, \"pid_filter\": [], "
				  "\"unattributed_time_wait\": 18, \"warnings\": []}\n"));
	/* the netns is bounded by its array */
	assert_non_null(strstr(js, "\"netns\": \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\", "));
	free(js);
	free(f);
}

/* ---- text report --------------------------------------------------------- */

static char *text_of(const struct snapshot *snap)
{
	struct strbuf sb;
	char *out;

	strbuf_init(&sb);
	assert_int_equal(out_text_snapshot(&sb, snap), 0);
	out = strdup(sb.buf);
	assert_non_null(out);
	strbuf_release(&sb);
	return out;
}

/* Common checks: clean bytes, ends with a blank line, header <= 80. */
static void check_text(const char *txt)
{
	size_t len = strlen(txt), i;
	char line[512];

	assert_true(clean_text(txt, len, 1));
	assert_true(len >= 2);
	assert_string_equal(txt + len - 2, "\n\n");
	assert_null(strstr(txt, "\n\n\n"));
	for (i = 0; get_line(txt, i, line, sizeof(line)) && line[0]; i++)
		assert_in_range(strlen(line), 1, 80);
	assert_in_range(i, 5, 20);
}

/* Line index of the first line starting with prefix, or -1. */
static long line_starting(const char *txt, const char *prefix)
{
	char line[512];
	size_t i;

	for (i = 0; get_line(txt, i, line, sizeof(line)); i++)
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			return (long)i;
	return -1;
}

static void test_text_full(void **state)
{
	struct fixture *f = fixture_new();
	char line[512], tbuf[64], want[128];
	struct tm tm;
	time_t t;
	long hdr, r0, r1;
	char *txt;

	(void)state;
	txt = text_of(&f->snap);
	check_text(txt);

	t = (time_t)f->snap.time;
	assert_non_null(localtime_r(&t, &tm));
	assert_true(strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm) > 0);
	snprintf(want, sizeof(want), "porttop - %s  netns net:[4026531840]", tbuf);
	assert_true(get_line(txt, 0, line, sizeof(line)));
	assert_string_equal(line, want);
	assert_true(get_line(txt, 1, line, sizeof(line)));
	assert_string_equal(line, "Range 32768-60999 (28232 ports, 0 reserved, 28232 usable)"
				  "  owned 3  in use 1234");
	assert_true(get_line(txt, 2, line, sizeof(line)));
	assert_string_equal(line, "sysctl tw_reuse=2 timestamps=1 fin_timeout=unknown"
				  " max_tw_buckets=262144");
	snprintf(want, sizeof(want), "\nTCP %u sockets: ESTAB 107  SYN_SENT 207  ",
		 (unsigned)f->snap.tcp_sockets);
	assert_non_null(strstr(txt, want));
	assert_non_null(strstr(txt, "UDP 4 sockets (2 ports in range)\n"));
	assert_non_null(strstr(txt, "\nWorst: tcp 10.0.0.1 -> 10.0.0.2:443  available 120 of 28232"
				    " (0.4% headroom)\nNew destination: 28229 available\n"
				    "Forecast: tcp 10.0.0.1 -> 10.0.0.2:443"
				    " exhausted in 90 s\n"));
	assert_null(strstr(txt, "Inexact"));

	/* the table: header, then the rows in the snapshot's order */
	hdr = line_starting(txt, "PROTO ");
	r0 = line_starting(txt, "tcp   10.0.0.1 ");
	r1 = line_starting(txt, "tcp   2001:db8::1 ");
	assert_true(hdr > 0);
	assert_int_equal(r0, hdr + 1);
	assert_int_equal(r1, hdr + 2);
	assert_true(get_line(txt, (size_t)hdr, line, sizeof(line)));
	/* LOCAL is 11 wide, REMOTE 18: as wide as their longest cell; one
	 * blank between numbers; no rates yet: RATE is "-" */
	assert_string_equal(line, "PROTO " "LOCAL      " " " "REMOTE            "
				  "  TW ESTAB OTHER IN_USE AVAIL HEADROOM RATE ETA");
	assert_true(get_line(txt, (size_t)r0, line, sizeof(line)));
	assert_string_equal(line, "tcp   " "10.0.0.1   " " " "10.0.0.2:443      "
				  " 610   600     7   1217   120     0.4%    - 90s");
	assert_true(get_line(txt, (size_t)r1, line, sizeof(line)));
	assert_string_equal(line, "tcp   " "2001:db8::1" " " "[2001:db8::2]:8443"
				  "   8     7     0     15 28000        -    -   -");

	/* pools, processes (name sanitised), warning */
	assert_non_null(strstr(txt, "\nPOOLS " "LOCAL   " "  IN_USE  AVAIL\n"
				    "tcp   " "10.0.0.1" "      11  28221\n"
				    "udp   " "::      " "       2  28230\n"));
	assert_non_null(strstr(txt, "\nPROCESSES USER   SOCKETS  TIME_WAIT  DESTS COMMAND\n"
				    "     4242 alice     1215        600      2 "
				    "evil --run \"x\" [unit:evil.service]\n"
				    "unattributed TIME_WAIT 18\n"));
	assert_non_null(strstr(txt, "\n\nwarning: TIME_WAIT \"buckets\" near "
				    "tcp_max_tw_buckets\\\n\n"));
	assert_null(strstr(txt, "more destinations"));
	free(txt);
	free(f);
}

/* An inexact destination: the sure figure and the estimate. */
static void fixture_inexact(struct fixture *f)
{
	f->dests[0].available = 98;
	f->dests[0].available_min = 68;
	f->dests[0].exact = 0;
	f->snap.available_new_destination = 28229;
	f->snap.available_new_destination_min = 28199;
	f->snap.bind_src = SOCK_BSRC_AUTOBOUND;
	f->snap.bind_unknown = 30;
	f->snap.exact = 0;
	snprintf(f->snap.inexact_why, sizeof(f->snap.inexact_why),
		 "30 sockets of unknown port ownership: run as root with BPF for exact figures");
}

static void test_json_inexact(void **state)
{
	struct fixture *f = fixture_new();
	const char *d0, *d1;
	char *js;

	(void)state;
	fixture_inexact(f);
	js = json_of(&f->snap);
	check_json_line(js);
	assert_non_null(strstr(js, "\"ephemeral\": {\"ports_in_use\": 1234, \"owned_ports\": 3, "
				  "\"available_new_destination\": 28229, "
				  "\"available_new_destination_min\": 28199}, "
				  "\"exact\": false, \"bind_source\": \"autobound\", "
				  "\"inexact_reason\": \"30 sockets of unknown port ownership: "
				  "run as root with BPF for exact figures\", "));
	d0 = strstr(js, "\"dport\": 443, ");
	d1 = strstr(js, "\"dport\": 8443, ");
	assert_non_null(d0);
	assert_non_null(d1);
	assert_non_null(strstr(d0, "\"reusable\": 5, \"available\": 98, \"available_min\": 68, "
				  "\"exact\": false, \"headroom_pct\""));
	/* the other destination stays exact */
	assert_non_null(strstr(d1, "\"available\": 28000, \"available_min\": 28000, "
				  "\"exact\": true, "));
	free(js);
	/* no source */
	f->snap.bind_src = SOCK_BSRC_NONE;
	js = json_of(&f->snap);
	assert_non_null(strstr(js, "\"exact\": false, \"bind_source\": \"none\", "));
	free(js);
	free(f);
}

static void test_text_inexact(void **state)
{
	struct fixture *f = fixture_new();
	char line[512];
	long r0;
	char *txt;

	(void)state;
	fixture_inexact(f);
	txt = text_of(&f->snap);
	check_text(txt);
	/* ASCII in batch output: no UTF-8 "≥" */
	assert_null(strstr(txt, "\xe2\x89\xa5"));
	assert_non_null(strstr(txt, "\nWorst: tcp 10.0.0.1 -> 10.0.0.2:443  available >=68 ~98 of 28232"
				    " (0.4% headroom)\nNew destination: >=28199 ~28229 available\n"
				    "Inexact (>=sure ~estimate): 30 sockets of unknown port "
				    "ownership: run as root\n  with BPF for exact figures\n"));
	r0 = line_starting(txt, "tcp   10.0.0.1 ");
	assert_true(r0 > 0);
	assert_true(get_line(txt, (size_t)r0, line, sizeof(line)));
	assert_string_equal(line, "tcp   " "10.0.0.1   " " " "10.0.0.2:443      "
				  " 610   600     7   1217 >=68 ~98     0.4%    - 90s");
	/* the exact destination keeps its plain figure */
	r0 = line_starting(txt, "tcp   2001:db8::1 ");
	assert_true(get_line(txt, (size_t)r0, line, sizeof(line)));
	assert_non_null(strstr(line, "     15    28000 "));
	free(txt);

	/* a long reason wraps within 80 columns, words whole */
	snprintf(f->snap.inexact_why, sizeof(f->snap.inexact_why),
		 "3000 TCP sockets of unknown port ownership (sock_diag cannot "
		 "tell bind(addr, 0) from connect()): run porttop as root with "
		 "BPF for exact figures");
	txt = text_of(&f->snap);
	check_text(txt);
	assert_non_null(strstr(txt, "\nInexact (>=sure ~estimate): 3000 TCP sockets of "
				    "unknown port ownership\n  (sock_diag cannot tell "
				    "bind(addr, 0) from connect()): run porttop as root "
				    "with\n  BPF for exact figures\n"));
	free(txt);
	/* with no reason given, still a reason */
	f->snap.inexact_why[0] = '\0';
	txt = text_of(&f->snap);
	assert_non_null(strstr(txt, "\nInexact (>=sure ~estimate): the port ownership "
				    "of some sockets is unknown\n"));
	free(txt);
	free(f);
}

/* Only non-zero states are listed, but ESTABLISHED and TIME_WAIT always. */
static void test_text_states(void **state)
{
	struct fixture *f = fixture_new();
	char *txt;

	(void)state;
	memset(f->snap.tcp_states, 0, sizeof(f->snap.tcp_states));
	f->snap.tcp_states[SOCK_SYN_SENT] = 5;
	f->snap.tcp_sockets = 5;
	f->snap.dests = NULL;
	f->snap.ndests = 0;
	txt = text_of(&f->snap);
	check_text(txt);
	assert_non_null(strstr(txt, "\nTCP 5 sockets: ESTAB 0  SYN_SENT 5  TIME_WAIT 0\n"
				    "  UDP 4 sockets (2 ports in range)\n"));
	assert_null(strstr(txt, "LISTEN"));
	assert_null(strstr(txt, "FIN_WAIT"));
	assert_non_null(strstr(txt, "\nWorst: none (no destinations)\n"));
	assert_non_null(strstr(txt, "\nNo destinations.\n"));
	free(txt);
	free(f);
}

/* More destinations than the table shows: the rest in one line. */
static void test_text_more(void **state)
{
	struct fixture *f = fixture_new();
	char addr[32], prefix[64], *txt;
	long hdr, more;
	unsigned i;

	(void)state;
	for (i = 0; i < 25; i++) {
		snprintf(addr, sizeof(addr), "10.1.0.%u", i + 1);
		fix_dest(&f->dests[i], AF_INET, "10.0.0.1", addr, 80, 100 + i);
	}
	f->snap.ndests = 25;
	txt = text_of(&f->snap);
	check_text(txt);
	hdr = line_starting(txt, "PROTO ");
	assert_true(hdr > 0);
	for (i = 0; i < OUT_TEXT_MAX_DESTS; i++) {
		snprintf(prefix, sizeof(prefix), "tcp   10.0.0.1 10.1.0.%u:80 ", i + 1);
		assert_int_equal(line_starting(txt, prefix), hdr + 1 + (long)i);
	}
	snprintf(prefix, sizeof(prefix), "tcp   10.0.0.1 10.1.0.%u:80 ",
		 OUT_TEXT_MAX_DESTS + 1);
	assert_int_equal(line_starting(txt, prefix), -1);
	more = line_starting(txt, "... and 5 more destinations");
	assert_int_equal(more, hdr + 1 + OUT_TEXT_MAX_DESTS);
	free(txt);

	/* exactly OUT_TEXT_MAX_DESTS: no summary line */
	f->snap.ndests = OUT_TEXT_MAX_DESTS;
	txt = text_of(&f->snap);
	assert_null(strstr(txt, "more destinations"));
	free(txt);
	free(f);
}

/*
 * Worst case header: largest numbers, every state non-zero, the longest
 * addresses, a long netns: still no header line over 80 columns, and the
 * table widens as a whole (every table line equally long).
 */
static void test_text_wide(void **state)
{
	struct fixture *f = fixture_new();
	struct snapshot *s = &f->snap;
	char line[512];
	size_t width = 0;
	long hdr, i;
	char *txt;

	(void)state;
	s->time = 4102444800.0;
	memset(s->netns, 'x', sizeof(s->netns) - 1);
	s->netns[5] = '\x1b';
	s->range_low = 1;
	s->range_high = 65535;
	s->reserved = UINT32_MAX;
	s->usable = UINT32_MAX;
	s->owned_ports = UINT32_MAX;
	s->ports_in_use = UINT32_MAX;
	s->tcp_sockets = UINT32_MAX;
	s->udp_sockets = UINT32_MAX;
	s->udp_ports_in_range = UINT32_MAX;
	for (i = 0; i < SOCK_STATE_MAX; i++)
		s->tcp_states[i] = UINT32_MAX;
	s->sys.known = ~0u;
	s->sys.tcp_tw_reuse = INT32_MIN;
	s->sys.tcp_timestamps = INT32_MIN;
	s->sys.tcp_fin_timeout = INT32_MIN;
	s->sys.tcp_max_tw_buckets = INT32_MIN;
	fix_dest(&f->dests[0], AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, UINT32_MAX);
	f->dests[0].headroom_pct = 100.0;
	f->dests[0].eta_s = 1e7;
	txt = text_of(s);
	check_text(txt);
	assert_non_null(strstr(txt, "porttop - "));
	assert_non_null(strstr(txt, "netns xxxxx?xxxx"));
	assert_non_null(strstr(txt, "BOUND 4294967295"));
	assert_non_null(strstr(txt, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
	hdr = line_starting(txt, "PROTO ");
	assert_true(hdr > 0);
	for (i = hdr; i <= hdr + 2; i++) {
		assert_true(get_line(txt, (size_t)i, line, sizeof(line)));
		if (i == hdr)
			width = strlen(line);
		assert_int_equal(strlen(line), width);
	}
	/* wider than the plain IPv4 table: the column grew */
	assert_true(width > 100);
	assert_true(get_line(txt, (size_t)hdr + 3, line, sizeof(line)));
	assert_string_equal(line, "");
	free(txt);
	free(f);
}

/* A hostile process name and warning never put a control byte out. */
static void test_text_hostile(void **state)
{
	static const char comm[] = "a\xe2\x80\xae" "b\xc2\x9b" "c\x7f\r\t\xff";
	struct fixture *f = fixture_new();
	char *txt;

	(void)state;
	memcpy(f->procs[0].comm, comm, sizeof(comm));
	memcpy(f->procs[0].cmdline, comm, sizeof(comm));
	snprintf(f->snap.warnings[0], SNAP_WARNING_LEN, "bad\x1b]0;title\x07\nline");
	memcpy(f->snap.netns, "\x1b[2Jns", 7);
	txt = text_of(&f->snap);
	check_text(txt);
	assert_non_null(strstr(txt, " a?b?c???? [unit:evil.service]\n"));
	free(txt);
	/* no command line: the name instead; a hostile unit is sanitised */
	f->procs[0].cmdline[0] = '\0';
	memcpy(f->procs[0].unit, comm, sizeof(comm));
	txt = text_of(&f->snap);
	check_text(txt);
	assert_non_null(strstr(txt, " a?b?c???? [a?b?c????]\n"));
	assert_non_null(strstr(txt, "\nwarning: bad?]0;title??line\n"));
	assert_non_null(strstr(txt, "netns ?[2Jns\n"));
	free(txt);
	free(f);
}

/* ---- sanitize ------------------------------------------------------------ */

static void check_sanitize(const char *in, size_t len, const char *want, int ascii)
{
	char out[128];
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = ascii ? sanitize_ascii(out, sizeof(out), in, len)
		  : sanitize_text(out, sizeof(out), in, len);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

#define CHECK_SAN(lit, want) check_sanitize(lit, sizeof(lit) - 1, want, 0)
#define CHECK_ASCII(lit, want) check_sanitize(lit, sizeof(lit) - 1, want, 1)

static void test_sanitize_classes(void **state)
{
	(void)state;
	/* kept: ASCII, printable UTF-8 of every length, U+00A0, U+10FFFF */
	CHECK_SAN("nginx: worker", "nginx: worker");
	CHECK_SAN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK_SAN("\xc2\xa0", "\xc2\xa0");
	CHECK_SAN("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	/* neighbours of the replaced ranges are kept */
	CHECK_SAN("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"
		  "\xef\xbb\xbe",
		  "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"
		  "\xef\xbb\xbe");
	/* C0 controls, newline, tab, ESC */
	CHECK_SAN("a\nb\tc\x1b[31m\x01\x1f", "a?b?c?[31m??");
	/* DEL */
	CHECK_SAN("x\x7fy", "x?y");
	/* C1 controls U+0080..U+009F: one '?' per character */
	CHECK_SAN("\xc2\x80\xc2\x85\xc2\x9b\xc2\x9f", "????");
	/* zero-width and direction marks U+200B..U+200F */
	CHECK_SAN("\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f", "?????");
	/* embeddings and overrides U+202A..U+202E */
	CHECK_SAN("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae", "?????");
	/* isolates U+2066..U+2069 */
	CHECK_SAN("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "????");
	/* BOM / zero-width no-break space, Arabic letter mark */
	CHECK_SAN("\xef\xbb\xbfok\xd8\x9c", "?ok?");
	/* invalid UTF-8: every byte becomes '?' */
	CHECK_SAN("\xc0\xaf", "??");                     /* overlong '/' */
	CHECK_SAN("\xe0\x80\xaf", "???");                /* overlong, 3 bytes */
	CHECK_SAN("\xf0\x8f\xbf\xbf", "????");           /* overlong, 4 bytes */
	CHECK_SAN("\xed\xa0\x80\xed\xbf\xbf", "??????");   /* surrogates */
	CHECK_SAN("\xf4\x90\x80\x80", "????");           /* > U+10FFFF */
	CHECK_SAN("\xf8\x88\x80\x80\x80", "?????");       /* 5-byte form */
	CHECK_SAN("\xfe\xff", "??");
	CHECK_SAN("a\x80" "b", "a?b");                   /* stray continuation */
	CHECK_SAN("\xe2\x82" "A", "??A");                /* cut by ASCII */
	CHECK_SAN("ok\xe2\x82", "ok??");                 /* cut by the end */
}

/* The result is cut on a character boundary and always NUL-terminated. */
static void test_sanitize_truncate(void **state)
{
	static const char src[] = "ab\xe2\x82\xac" "c";  /* a b EURO c */
	char out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(sanitize_text(out, 5, src, sizeof(src) - 1), 2);
	assert_string_equal(out, "ab");              /* EURO needs 3 + NUL */
	assert_int_equal(out[3], 'Z');               /* nothing past the NUL */
	assert_int_equal(sanitize_text(out, 4, src, sizeof(src) - 1), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sanitize_text(out, 6, src, sizeof(src) - 1), 5);
	assert_string_equal(out, "ab\xe2\x82\xac");
	assert_int_equal(sanitize_text(out, 7, src, sizeof(src) - 1), 6);
	assert_string_equal(out, src);
	assert_int_equal(sanitize_text(out, 1, src, sizeof(src) - 1), 0);
	assert_string_equal(out, "");
	/* replacements take one byte each */
	assert_int_equal(sanitize_text(out, 4, "\x1b\x1b\x1b\x1b\x1b", 5), 3);
	assert_string_equal(out, "???");
	/* a 4-byte character does not fit in 3 bytes of room */
	assert_int_equal(sanitize_text(out, 4, "\xf0\x9f\x98\x80", 4), 0);
	assert_string_equal(out, "");
}

/* srclen bounds the reading; a NUL in src ends the copy. */
static void test_sanitize_bounds(void **state)
{
	char guard[] = "abcX";
	char out[32];
	char *exact;

	(void)state;
	assert_int_equal(sanitize_text(out, sizeof(out), guard, 3), 3);
	assert_string_equal(out, "abc");
	/* a character cut by srclen is invalid, the guard is not read into it */
	assert_int_equal(sanitize_text(out, sizeof(out), "a\xe2\x82\xac", 3), 3);
	assert_string_equal(out, "a??");
	/* a heap block of exactly srclen bytes: ASan would see an over-read */
	exact = malloc(4);
	assert_non_null(exact);
	memcpy(exact, "x\xe2\x82\xac", 4);
	assert_int_equal(sanitize_text(out, sizeof(out), exact, 4), 4);
	assert_string_equal(out, "x\xe2\x82\xac");
	assert_int_equal(sanitize_ascii(out, sizeof(out), exact, 2), 2);
	assert_string_equal(out, "x?");
	free(exact);
	/* NUL inside src */
	assert_int_equal(sanitize_text(out, sizeof(out), "ab\0cd", 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sanitize_text(out, sizeof(out), "\xe2\x82\0x", 4), 2);
	assert_string_equal(out, "??");
	assert_int_equal(sanitize_text(out, sizeof(out), "abc", 0), 0);
	assert_string_equal(out, "");
}

static void test_sanitize_ascii(void **state)
{
	(void)state;
	CHECK_ASCII("plain ascii 123", "plain ascii 123");
	/* one '?' per character, however many bytes it has */
	CHECK_ASCII("h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80!", "h?llo ?" "?!");
	CHECK_ASCII("\x1b[0m\x7f\xc2\x85", "?[0m??");
	CHECK_ASCII("\xe2\x80\xae\xc0\xaf", "???");
	{
		char out[4];

		assert_int_equal(sanitize_ascii(out, sizeof(out), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8), 3);
		assert_string_equal(out, "???");
	}
}

/* Random bytes: the output is always clean, valid UTF-8, within bounds. */
static void test_sanitize_random(void **state)
{
	uint32_t seed = 12345;
	unsigned round, i;

	(void)state;
	for (round = 0; round < 20000; round++) {
		unsigned char in[24];
		char out[16];
		size_t len = round % sizeof(in), n;

		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)(seed >> 16);
			/* more of the interesting bytes */
			if (in[i] < 0x40 && (seed & 0x100))
				in[i] = (unsigned char)(0x80 | in[i]);
		}
		n = sanitize_text(out, sizeof(out), (const char *)in, len);
		assert_true(n < sizeof(out));
		assert_int_equal(strlen(out), n);
		assert_true(clean_text(out, n, 0));
		n = sanitize_ascii(out, sizeof(out), (const char *)in, len);
		assert_int_equal(strlen(out), n);
		for (i = 0; i < n; i++)
			assert_in_range((unsigned char)out[i], 0x20, 0x7e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_itself),
		cmocka_unit_test(test_json_string_escapes),
		cmocka_unit_test(test_json_string_all_bytes),
		cmocka_unit_test(test_json_snapshot_full),
		cmocka_unit_test(test_json_states_order),
		cmocka_unit_test(test_json_nonfinite_and_empty),
		cmocka_unit_test(test_text_full),
		cmocka_unit_test(test_json_inexact),
		cmocka_unit_test(test_text_inexact),
		cmocka_unit_test(test_text_states),
		cmocka_unit_test(test_text_more),
		cmocka_unit_test(test_text_wide),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_sanitize_classes),
		cmocka_unit_test(test_sanitize_truncate),
		cmocka_unit_test(test_sanitize_bounds),
		cmocka_unit_test(test_sanitize_ascii),
		cmocka_unit_test(test_sanitize_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
