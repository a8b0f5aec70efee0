#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"
#include "out_json.h"
#include "out_openmetrics.h"
#include "sampler.h"

/*
 * -o openmetrics: every family announced by # HELP and # TYPE before its
 * samples, the label set bounded by --top, the values those of the JSON
 * snapshot of the same sample. (promtool itself runs in
 * tests/netns_record.sh on real samples.)
 */

#define NDEST 15

static void push(struct sample *s, unsigned dest, unsigned port, unsigned state)
{
	struct sock_rec r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = IPPROTO_TCP;
	r.saddr[0] = 10;
	r.saddr[3] = 1;
	r.daddr[0] = 10;
	r.daddr[2] = 1;
	r.daddr[3] = (uint8_t)dest;
	r.sport = (uint16_t)port;
	r.dport = 443;
	r.state = (uint8_t)state;
	r.cookie = port;
	if (state == SOCK_TIME_WAIT)
		r.expires_ms = 30000;
	assert_int_equal(sockvec_push(&s->socks, &r), 0);
}

/* Destination d gets (d + 1) * 3 sockets, a third of them TIME_WAIT. */
static void make_sample(struct sample *s, int known_sysctls)
{
	unsigned d, i, port = 40000;

	sockvec_clear(&s->socks);
	for (d = 0; d < NDEST; d++)
		for (i = 0; i < (d + 1) * 3; i++)
			push(s, d + 1, port++, i % 3 == 0 ? SOCK_TIME_WAIT : SOCK_ESTABLISHED);
	sysctl_defaults(&s->sys);
	s->sys.port_low = 40000;
	s->sys.port_high = 40999;
	s->sys.known = known_sysctls ? SYSCTL_K_RANGE | SYSCTL_K_RESERVED |
		       SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS : 0;
	s->time = 1763800000.25;
	s->mono = 100.0;
	snprintf(s->netns, sizeof(s->netns), "net:[4026531840]");
}

/* The value of the sample line that starts with `series ` (name and
 * labels), or NAN when there is none; *count gets how many lines start
 * with `prefix`. */
static double metric(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			if (strncmp(p + n + 1, "+Inf", 4) == 0)
				return INFINITY;
			return strtod(p + n + 1, NULL);
		}
		p += n;
	}
	return NAN;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	while (*p) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* Every sample line's family was announced with HELP and TYPE before it,
 * once, and no family is announced twice. */
static void check_structure(const char *text)
{
	const char *p = text;
	char fams[128][96];
	size_t nf = 0, i;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len;
		char name[96];

		assert_non_null(nl);
		len = (size_t)(nl - p);
		if (strncmp(p, "# HELP ", 7) == 0) {
			size_t k = strcspn(p + 7, " ");

			assert_true(k < sizeof(name));
			memcpy(name, p + 7, k);
			name[k] = '\0';
			for (i = 0; i < nf; i++)
				assert_string_not_equal(fams[i], name);
			assert_true(nf < 128);
			snprintf(fams[nf++], sizeof(fams[0]), "%s", name);
			/* TYPE follows at once */
			assert_int_equal(strncmp(nl + 1, "# TYPE ", 7), 0);
			assert_int_equal(strncmp(nl + 8, name, strlen(name)), 0);
		} else if (strncmp(p, "# TYPE ", 7) == 0) {
			const char *t = p + 7 + strcspn(p + 7, " ") + 1;

			assert_true(strncmp(t, "gauge\n", 6) == 0 ||
				    strncmp(t, "counter\n", 8) == 0);
			if (strncmp(t, "counter", 7) == 0)
				assert_non_null(strstr(p, "_total counter"));
		} else {
			size_t k = strcspn(p, "{ ");
			int found = 0;

			assert_true(k > 0 && k < sizeof(name) && k < len);
			memcpy(name, p, k);
			name[k] = '\0';
			assert_int_equal(strncmp(name, "porttop_", 8), 0);
			for (i = 0; i < nf; i++)
				if (strcmp(fams[i], name) == 0)
					found = 1;
			assert_true(found);
		}
		p = nl + 1;
	}
}

/* The n-th destination's numbers as the JSON says them. */
static void json_dest(const char *json, size_t n, unsigned long *in_use,
		      unsigned long *avail, double *pct)
{
	const char *p = strstr(json, "\"destinations\": [");
	size_t i;

	assert_non_null(p);
	for (i = 0; i <= n; i++) {
		p = strstr(p + 1, "{\"proto\": ");
		assert_non_null(p);
	}
	*in_use = strtoul(strstr(p, "\"in_use\": ") + 10, NULL, 10);
	*avail = strtoul(strstr(p, "\"available\": ") + 13, NULL, 10);
	*pct = strtod(strstr(p, "\"headroom_pct\": ") + 16, NULL);
}

static void test_values_match_json(void **state)
{
	struct om_run run = { "replay", 7, 1, 5 };
	const struct snapshot *snap;
	struct strbuf om, js;
	struct model *m;
	struct sample s;
	uint64_t rest_in_use = 0;
	size_t i;

	(void)state;
	sample_init(&s);
	strbuf_init(&om);
	strbuf_init(&js);
	make_sample(&s, 1);
	assert_int_equal(model_new(&m), 0);
	assert_int_equal(model_update(m, &s), 0);
	snap = model_snapshot(m);
	assert_int_equal(snap->ndests, NDEST);
	assert_int_equal(out_openmetrics_snapshot(&om, snap, &run), 0);
	assert_int_equal(out_json_snapshot(&js, snap), 0);
	check_structure(om.buf);

	/* bounded: run.top destinations, the rest summed up */
	assert_int_equal(count_lines(om.buf, "porttop_destination_ports_available{"), 5);
	assert_int_equal(count_lines(om.buf, "porttop_destination_eta_seconds{"), 5);
	assert_true(metric(om.buf, "porttop_destinations") == NDEST);
	assert_true(metric(om.buf, "porttop_other_destinations") == NDEST - 5);
	for (i = 0; i < NDEST; i++) {
		char series[256], addr[64];
		unsigned long in_use, avail;
		double pct;

		json_dest(js.buf, i, &in_use, &avail, &pct);
		if (i >= 5) {
			rest_in_use += in_use;
			continue;
		}
		sock_addr_format(AF_INET, snap->dests[i].daddr, addr, sizeof(addr));
		snprintf(series, sizeof(series),
			 "porttop_destination_ports_available{proto=\"tcp\","
			 "saddr=\"10.0.0.1\",daddr=\"%s\",dport=\"443\"}", addr);
		assert_true(metric(om.buf, series) == (double)avail);
		snprintf(series, sizeof(series),
			 "porttop_destination_ports_in_use{proto=\"tcp\","
			 "saddr=\"10.0.0.1\",daddr=\"%s\",dport=\"443\"}", addr);
		assert_true(metric(om.buf, series) == (double)in_use);
		snprintf(series, sizeof(series),
			 "porttop_destination_headroom_ratio{proto=\"tcp\","
			 "saddr=\"10.0.0.1\",daddr=\"%s\",dport=\"443\"}", addr);
		/* the JSON rounds to 0.1 % */
		assert_true(fabs(metric(om.buf, series) * 100.0 - pct) <= 0.05 + 1e-9);
		/* no rates on a first sample: no forecast, +Inf */
		snprintf(series, sizeof(series),
			 "porttop_destination_eta_seconds{proto=\"tcp\","
			 "saddr=\"10.0.0.1\",daddr=\"%s\",dport=\"443\"}", addr);
		assert_true(isinf(metric(om.buf, series)));
	}
	assert_true(metric(om.buf, "porttop_other_destinations_ports_in_use") ==
		    (double)rest_in_use);
	assert_true(metric(om.buf, "porttop_other_destinations_min_ports_available") ==
		    (double)snap->dests[5].available);
	/* totals */
	assert_true(metric(om.buf, "porttop_tcp_sockets{state=\"TIME_WAIT\"}") ==
		    (double)snap->tcp_states[SOCK_TIME_WAIT]);
	assert_true(metric(om.buf, "porttop_tcp_sockets{state=\"ESTABLISHED\"}") ==
		    (double)snap->tcp_states[SOCK_ESTABLISHED]);
	assert_true(metric(om.buf, "porttop_port_range_usable_ports") == snap->usable);
	assert_true(metric(om.buf, "porttop_pool_ports_available{proto=\"tcp\",saddr=\"0.0.0.0\"}") ==
		    (double)snap->pools[0].available);
	assert_true(metric(om.buf, "porttop_sysctl{name=\"tcp_tw_reuse\"}") == 2);
	assert_true(isnan(metric(om.buf, "porttop_sysctl{name=\"tcp_fin_timeout\"}")));
	assert_true(metric(om.buf, "porttop_samples_total") == 7);
	assert_true(metric(om.buf, "porttop_sample_errors_total") == 1);
	assert_non_null(strstr(om.buf, "source=\"replay\""));
	/* the sample's time keeps its milliseconds */
	assert_non_null(strstr(om.buf, "porttop_sample_time_seconds 1763800000.250\n"));

	/* a larger top lists every destination and no minimum of none */
	strbuf_reset(&om);
	run.top = 100;
	assert_int_equal(out_openmetrics_snapshot(&om, snap, &run), 0);
	check_structure(om.buf);
	assert_int_equal(count_lines(om.buf, "porttop_destination_ports_available{"), NDEST);
	assert_true(metric(om.buf, "porttop_other_destinations") == 0);
	assert_int_equal(count_lines(om.buf, "porttop_other_destinations_min_"), 0);
	assert_int_equal(out_openmetrics_snapshot(NULL, snap, &run), -EINVAL);
	assert_int_equal(out_openmetrics_snapshot(&om, NULL, &run), -EINVAL);
	model_free(m);
	sample_release(&s);
	strbuf_release(&om);
	strbuf_release(&js);
}

/* Unknown sysctls (an import) give no series, not invented ones. */
static void test_unknown_sysctls(void **state)
{
	struct om_run run = { "import", 1, 0, OUT_OM_TOP_DEFAULT };
	struct strbuf om;
	struct model *m;
	struct sample s;

	(void)state;
	sample_init(&s);
	strbuf_init(&om);
	make_sample(&s, 0);
	assert_int_equal(model_new(&m), 0);
	assert_int_equal(model_update(m, &s), 0);
	assert_int_equal(out_openmetrics_snapshot(&om, model_snapshot(m), &run), 0);
	check_structure(om.buf);
	assert_null(strstr(om.buf, "porttop_sysctl"));
	assert_true(metric(om.buf, "porttop_warnings") >= 1);
	model_free(m);
	sample_release(&s);
	strbuf_release(&om);
}

/* A synthetic snapshot: one inexact destination, one exact. */
static void test_exactness(void **state)
{
	struct om_run run = { "live", 1, 0, OUT_OM_TOP_DEFAULT };
	struct snap_dest d[2];
	struct snapshot snap;
	struct strbuf om;
	unsigned i;

	(void)state;
	memset(&snap, 0, sizeof(snap));
	memset(d, 0, sizeof(d));
	for (i = 0; i < 2; i++) {
		d[i].family = AF_INET;
		d[i].proto = IPPROTO_TCP;
		d[i].saddr[0] = 10;
		d[i].saddr[3] = 1;
		d[i].daddr[0] = 10;
		d[i].daddr[3] = (uint8_t)(2 + i);
		d[i].dport = 443;
		d[i].eta_s = SNAP_NO_ETA;
	}
	d[0].available = 98;
	d[0].available_min = 68;
	d[0].reusable = 7;
	d[0].exact = 0;
	d[1].available = 400;
	d[1].available_min = 400;
	d[1].exact = 1;
	snap.dests = d;
	snap.ndests = 2;
	snap.usable = 500;
	snap.available_new_destination = 480;
	snap.available_new_destination_min = 450;
	snap.bind_src = SOCK_BSRC_AUTOBOUND;
	snap.bind_unknown = 30;
	snap.exact = 0;
	snprintf(snap.netns, sizeof(snap.netns), "net:[1]");
	strbuf_init(&om);
	assert_int_equal(out_openmetrics_snapshot(&om, &snap, &run), 0);
	check_structure(om.buf);
	assert_true(metric(om.buf, "porttop_destination_ports_available{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"443\"}") == 98);
	assert_true(metric(om.buf, "porttop_destination_ports_available_min{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"443\"}") == 68);
	assert_true(metric(om.buf, "porttop_destination_ports_reusable{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"443\"}") == 7);
	assert_true(metric(om.buf, "porttop_destination_exact{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"443\"}") == 0);
	assert_true(metric(om.buf, "porttop_destination_ports_available_min{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.3\",dport=\"443\"}") == 400);
	assert_true(metric(om.buf, "porttop_destination_exact{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.3\",dport=\"443\"}") == 1);
	assert_non_null(strstr(om.buf, "# HELP porttop_destination_ports_available_min "));
	assert_non_null(strstr(om.buf, "# TYPE porttop_destination_exact gauge\n"));
	assert_true(metric(om.buf, "porttop_new_destination_ports_available") == 480);
	assert_true(metric(om.buf, "porttop_new_destination_ports_available_min") == 450);
	assert_true(metric(om.buf, "porttop_bind_source_info{source=\"autobound\"}") == 1);
	assert_int_equal(count_lines(om.buf, "porttop_bind_source_info{"), 1);
	assert_true(metric(om.buf, "porttop_bind_unknown_sockets") == 30);
	assert_true(metric(om.buf, "porttop_exact") == 0);

	strbuf_reset(&om);
	d[0].available_min = 98;
	d[0].exact = 1;
	snap.exact = 1;
	snap.bind_src = SOCK_BSRC_BPF;
	snap.bind_unknown = 0;
	assert_int_equal(out_openmetrics_snapshot(&om, &snap, &run), 0);
	check_structure(om.buf);
	assert_true(metric(om.buf, "porttop_destination_exact{proto=\"tcp\","
			   "saddr=\"10.0.0.1\",daddr=\"10.0.0.2\",dport=\"443\"}") == 1);
	assert_true(metric(om.buf, "porttop_bind_source_info{source=\"bpf\"}") == 1);
	assert_true(metric(om.buf, "porttop_exact") == 1);
	strbuf_release(&om);
}

static void test_label_escaping(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	out_openmetrics_label(&sb, "a\"b\\c");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\"");
	strbuf_reset(&sb);
	/* control characters never reach the exposition */
	out_openmetrics_label(&sb, "x\ny\x1b");
	assert_string_equal(sb.buf, "\"x?y?\"");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_match_json),
		cmocka_unit_test(test_unknown_sysctls),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_exactness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
