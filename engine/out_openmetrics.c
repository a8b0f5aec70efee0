#include "config.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "netns.h"     /* nat */
#include "out_openmetrics.h"
#include "sanitize.h"

/*
 * Numbers are printed under the C locale (porttop never sets
 * LC_NUMERIC). Gauges only, except the two run counters (_total).
 */

void out_openmetrics_label(struct strbuf *sb, const char *s)
{
	char clean[256];
	const char *p;

	/* system strings pass the one sanitiser; then escape for the format */
	sanitize_text(clean, sizeof(clean), s, strlen(s));
	strbuf_addch(sb, '"');
	for (p = clean; *p; p++) {
		if (*p == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*p == '"')
			strbuf_addstr(sb, "\\\"");
		else if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

static void om_family(struct strbuf *sb, const char *name, const char *type,
		      const char *help)
{
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void om_value(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_addstr(sb, "NaN");
	else if (isinf(v))
		strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		strbuf_addf(sb, "%.0f", v);
	else if (fabs(v) >= 1e6)
		strbuf_addf(sb, "%.3f", v);      /* times: keep the milliseconds */
	else
		strbuf_addf(sb, "%.9g", v);
}

/* One gauge family with a single unlabelled sample. */
static void om_gauge(struct strbuf *sb, const char *name, const char *help,
		     double v)
{
	om_family(sb, name, "gauge", help);
	strbuf_addstr(sb, name);
	strbuf_addch(sb, ' ');
	om_value(sb, v);
	strbuf_addch(sb, '\n');
}

static const char *om_proto(unsigned proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "unknown";
}

static void om_dest_labels(struct strbuf *sb, const struct snap_dest *d)
{
	char a[64];

	strbuf_addstr(sb, "{proto=");
	out_openmetrics_label(sb, om_proto(d->proto));
	strbuf_addstr(sb, ",saddr=");
	out_openmetrics_label(sb, sock_addr_format(d->family, d->saddr, a, sizeof(a)));
	strbuf_addstr(sb, ",daddr=");
	out_openmetrics_label(sb, sock_addr_format(d->family, d->daddr, a, sizeof(a)));
	strbuf_addf(sb, ",dport=\"%u\"}", (unsigned)d->dport);
}

static double om_eta(const struct snap_dest *d)
{
	/* no forecast: the destination does not run out at this rate */
	return d->eta_s >= 0 ? d->eta_s : (double)INFINITY;
}

enum dest_metric {
	DM_IN_USE,
	DM_AVAILABLE,
	DM_REUSABLE,
	DM_AVAILABLE_MIN,
	DM_EXACT,
	DM_HEADROOM,
	DM_CLOSE_RATE,
	DM_ETA,
	DM_COUNT
};

static const struct {
	const char *name;
	const char *help;
} dest_metrics[DM_COUNT] = {
	{ "porttop_destination_ports_in_use",
	  "Distinct local ports in the range used toward the destination, any state." },
	{ "porttop_destination_ports_available",
	  "Further connect() calls toward the destination that succeed, TIME_WAIT reuse included (exact when porttop_destination_exact is 1, else the estimate)." },
	{ "porttop_destination_ports_reusable",
	  "Part of the available ports: TIME_WAIT entries toward the destination connect() may reuse now." },
	{ "porttop_destination_ports_available_min",
	  "Sure lower bound of the available ports: every socket whose port ownership is unknown counted as bind()-owned." },
	{ "porttop_destination_exact",
	  "1 when the available ports toward the destination are exact (equal to the lower bound), 0 when an estimate." },
	{ "porttop_destination_headroom_ratio",
	  "Available ports toward the destination over usable ports (0 to 1)." },
	{ "porttop_destination_close_rate",
	  "Connections toward the destination closed per second (smoothed)." },
	{ "porttop_destination_eta_seconds",
	  "Seconds until no port is left toward the destination at the current rate; +Inf when it never runs out." },
};

static double dest_value(const struct snap_dest *d, enum dest_metric m)
{
	switch (m) {
	case DM_IN_USE: return d->in_use;
	case DM_AVAILABLE: return d->available;
	case DM_REUSABLE: return d->reusable;
	case DM_AVAILABLE_MIN: return d->available_min;
	case DM_EXACT: return d->exact ? 1 : 0;
	case DM_HEADROOM: return d->headroom_pct / 100.0;
	case DM_CLOSE_RATE: return d->close_rate;
	default: return om_eta(d);
	}
}

static void om_dests(struct strbuf *sb, const struct snapshot *snap, size_t top)
{
	size_t n = snap->dests ? snap->ndests : 0, shown = n < top ? n : top, i;
	int m;

	om_gauge(sb, "porttop_destinations",
		 "Destinations (proto, local address, remote address, remote port) with sockets in the range.",
		 (double)n);
	for (m = 0; m < DM_COUNT; m++) {
		if (shown == 0)
			break;
		om_family(sb, dest_metrics[m].name, "gauge", dest_metrics[m].help);
		for (i = 0; i < shown; i++) {
			strbuf_addstr(sb, dest_metrics[m].name);
			om_dest_labels(sb, &snap->dests[i]);
			strbuf_addch(sb, ' ');
			om_value(sb, dest_value(&snap->dests[i], (enum dest_metric)m));
			strbuf_addch(sb, '\n');
		}
	}

	/* the rest, summed up: the label set stays bounded */
	{
		double in_use = 0, rate = 0, min_avail = INFINITY,
		       min_head = INFINITY, min_eta = INFINITY;

		for (i = shown; i < n; i++) {
			const struct snap_dest *d = &snap->dests[i];

			in_use += d->in_use;
			rate += d->close_rate;
			if (d->available < min_avail)
				min_avail = d->available;
			if (d->headroom_pct / 100.0 < min_head)
				min_head = d->headroom_pct / 100.0;
			if (om_eta(d) < min_eta)
				min_eta = om_eta(d);
		}
		om_gauge(sb, "porttop_other_destinations",
			 "Destinations past the top N, summed up in porttop_other_destinations_*.",
			 (double)(n - shown));
		om_gauge(sb, "porttop_other_destinations_ports_in_use",
			 "Sum of the ports in use toward the destinations past the top N.",
			 in_use);
		om_gauge(sb, "porttop_other_destinations_close_rate",
			 "Sum of the close rates (per second) of the destinations past the top N.",
			 rate);
		if (n > shown) {
			om_gauge(sb, "porttop_other_destinations_min_ports_available",
				 "Fewest ports available toward any destination past the top N.",
				 min_avail);
			om_gauge(sb, "porttop_other_destinations_min_headroom_ratio",
				 "Lowest headroom of the destinations past the top N.",
				 min_head);
			om_gauge(sb, "porttop_other_destinations_min_eta_seconds",
				 "Shortest forecast of the destinations past the top N; +Inf when none runs out.",
				 min_eta);
		}
	}
}

static void om_pools(struct strbuf *sb, const struct snapshot *snap)
{
	size_t n = snap->pools ? snap->npools : 0, i;
	int pass;

	if (n == 0)
		return;
	for (pass = 0; pass < 2; pass++) {
		const char *name = pass ? "porttop_pool_ports_available"
					: "porttop_pool_ports_in_use";

		om_family(sb, name, "gauge", pass ?
			  "Ports bind(saddr, 0) (TCP) or a new UDP socket on saddr can still get." :
			  "Ports in the range held by sockets of the protocol on an overlapping local address.");
		for (i = 0; i < n; i++) {
			const struct snap_pool *p = &snap->pools[i];
			char a[64];

			strbuf_addstr(sb, name);
			strbuf_addstr(sb, "{proto=");
			out_openmetrics_label(sb, om_proto(p->proto));
			strbuf_addstr(sb, ",saddr=");
			out_openmetrics_label(sb, sock_addr_format(p->family, p->saddr,
								   a, sizeof(a)));
			strbuf_addf(sb, "} %lu\n", (unsigned long)(pass ? p->available
								       : p->in_use));
		}
	}
}

static void om_sysctls(struct strbuf *sb, const struct sysctl_vals *sys)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "tcp_tw_reuse", SYSCTL_K_TW_REUSE },
		{ "tcp_timestamps", SYSCTL_K_TIMESTAMPS },
		{ "tcp_fin_timeout", SYSCTL_K_FIN_TIMEOUT },
		{ "tcp_max_tw_buckets", SYSCTL_K_MAX_TW },
		{ "tcp_tw_reuse_delay_ms", SYSCTL_K_TW_REUSE_DELAY },
	};
	const int vals[] = {
		sys->tcp_tw_reuse, sys->tcp_timestamps, sys->tcp_fin_timeout,
		sys->tcp_max_tw_buckets, sys->tcp_tw_reuse_delay_ms,
	};
	size_t i;

	if (!(sys->known & (SYSCTL_K_TW_REUSE | SYSCTL_K_TIMESTAMPS |
			    SYSCTL_K_FIN_TIMEOUT | SYSCTL_K_MAX_TW |
			    SYSCTL_K_TW_REUSE_DELAY)))
		return;     /* none known (an import): no series at all */
	om_family(sb, "porttop_sysctl", "gauge",
		  "Kernel settings that decide port allocation; absent when unknown.");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sys->known & names[i].bit)
			strbuf_addf(sb, "porttop_sysctl{name=\"%s\"} %d\n",
				    names[i].name, vals[i]);
}

/* >>> nat: conntrack fill, counters, NAT headroom (engine/conntrack.h) */
static void om_nat_labels(struct strbuf *sb, const struct ct_nat_dest *d)
{
	char a[64];

	strbuf_addstr(sb, "{proto=");
	out_openmetrics_label(sb, om_proto(d->proto));
	strbuf_addstr(sb, ",nat_addr=");
	out_openmetrics_label(sb, sock_addr_format(d->family, d->nat_addr, a,
						   sizeof(a)));
	strbuf_addstr(sb, ",daddr=");
	out_openmetrics_label(sb, sock_addr_format(d->family, d->daddr, a,
						   sizeof(a)));
	strbuf_addf(sb, ",dport=\"%u\"}", (unsigned)d->dport);
}

enum nat_metric { NM_IN_USE, NM_AVAILABLE, NM_HEADROOM, NM_TIME_WAIT, NM_COUNT };

static const struct {
	const char *name;
	const char *help;
} nat_metrics[NM_COUNT] = {
	{ "porttop_nat_destination_ports_in_use",
	  "Distinct SNAT ports of the NAT range held toward the destination (conntrack)." },
	{ "porttop_nat_destination_ports_available",
	  "SNAT ports of the NAT range still free toward the destination; at 0 new connections are dropped." },
	{ "porttop_nat_destination_headroom_ratio",
	  "Available SNAT ports toward the destination over the NAT range (0 to 1)." },
	{ "porttop_nat_destination_time_wait",
	  "Conntrack TIME_WAIT entries (120 s) holding SNAT ports toward the destination." },
};

static double nat_value(const struct ct_nat_dest *d, enum nat_metric m)
{
	switch (m) {
	case NM_IN_USE: return d->in_use;
	case NM_AVAILABLE: return d->available;
	case NM_HEADROOM: return d->headroom_pct / 100.0;
	default: return d->time_wait;
	}
}

static void om_conntrack(struct strbuf *sb, const struct snapshot *snap,
			 size_t top)
{
	const struct ct_snap *c = &snap->ct;
	size_t n = c->nat ? c->nnat : 0, shown = n < top ? n : top, i;
	double min_avail = INFINITY;
	unsigned k;
	int m;

	if (!(c->have & CT_HAVE_FILL))
		return;     /* conntrack not loaded: no series */
	om_gauge(sb, "porttop_conntrack_entries",
		 "Entries in the conntrack table of the namespace (nf_conntrack_count).",
		 (double)c->count);
	if (c->max > 0)
		om_gauge(sb, "porttop_conntrack_max_entries",
			 "Size of the conntrack table (nf_conntrack_max).",
			 (double)c->max);
	if (c->have & CT_HAVE_STATS) {
		om_family(sb, "porttop_conntrack_events_total", "counter",
			  "Conntrack counters of /proc/net/stat/nf_conntrack, summed over CPUs; insert_failed and drop grow when NAT ports or the table run out.");
		for (k = 0; k < CT_S_MAX; k++)
			if (c->stats.known & (1u << k))
				strbuf_addf(sb, "porttop_conntrack_events_total"
					    "{counter=\"%s\"} %llu\n",
					    ct_stat_name(k),
					    (unsigned long long)c->stats.v[k]);
	}
	om_gauge(sb, "porttop_nat_ports_counted",
		 "1 when the conntrack table was dumped and SNAT ports counted; 0 without CAP_NET_ADMIN or on an error.",
		 (c->have & CT_HAVE_DUMP) ? 1 : 0);
	if (!(c->have & CT_HAVE_DUMP))
		return;
	om_gauge(sb, "porttop_nat_range_ports",
		 "Size of the SNAT port range counted against (--nat-range, default 1024-65535).",
		 c->nat_size);
	om_gauge(sb, "porttop_nat_destinations",
		 "NAT destinations (proto, NAT address, destination address and port).",
		 (double)n);
	for (m = 0; m < NM_COUNT && shown > 0; m++) {
		om_family(sb, nat_metrics[m].name, "gauge", nat_metrics[m].help);
		for (i = 0; i < shown; i++) {
			strbuf_addstr(sb, nat_metrics[m].name);
			om_nat_labels(sb, &c->nat[i]);
			strbuf_addch(sb, ' ');
			om_value(sb, nat_value(&c->nat[i], (enum nat_metric)m));
			strbuf_addch(sb, '\n');
		}
	}
	for (i = shown; i < n; i++)
		if (c->nat[i].available < min_avail)
			min_avail = c->nat[i].available;
	om_gauge(sb, "porttop_other_nat_destinations",
		 "NAT destinations past the top N.", (double)(n - shown));
	if (n > shown)
		om_gauge(sb, "porttop_other_nat_destinations_min_ports_available",
			 "Fewest SNAT ports available toward any NAT destination past the top N.",
			 min_avail);
}
/* <<< nat */

int out_openmetrics_snapshot(struct strbuf *sb, const struct snapshot *snap,
			     const struct om_run *run)
{
	unsigned i;

	if (!sb || !snap || !run)
		return -EINVAL;

	om_family(sb, "porttop_info", "gauge",
		  "Always 1: the porttop version, network namespace and sample source.");
	strbuf_addstr(sb, "porttop_info{version=");
	out_openmetrics_label(sb, PACKAGE_VERSION);
	strbuf_addstr(sb, ",netns=");
	out_openmetrics_label(sb, snap->netns);
	strbuf_addstr(sb, ",source=");
	out_openmetrics_label(sb, run->source ? run->source : "live");
	strbuf_addstr(sb, "} 1\n");

	om_gauge(sb, "porttop_sample_time_seconds",
		 "Wall-clock time of the sample, seconds since the epoch.", snap->time);
	om_gauge(sb, "porttop_port_range_low", "ip_local_port_range: lowest port.",
		 snap->range_low);
	om_gauge(sb, "porttop_port_range_high", "ip_local_port_range: highest port.",
		 snap->range_high);
	om_gauge(sb, "porttop_port_range_reserved_ports",
		 "Ports of the range in ip_local_reserved_ports.", snap->reserved);
	om_gauge(sb, "porttop_port_range_usable_ports",
		 "Ports automatic selection can hand out.", snap->usable);
	om_sysctls(sb, &snap->sys);

	om_family(sb, "porttop_tcp_sockets", "gauge", "TCP sockets by state.");
	for (i = 0; i < sock_state_order_len; i++) {
		unsigned st = sock_state_order[i];

		strbuf_addf(sb, "porttop_tcp_sockets{state=\"%s\"} %lu\n",
			    sock_state_name(st),
			    (unsigned long)(st < SOCK_STATE_MAX ? snap->tcp_states[st] : 0));
	}
	om_gauge(sb, "porttop_udp_sockets", "UDP sockets.", snap->udp_sockets);
	om_gauge(sb, "porttop_udp_ports_in_range",
		 "Distinct UDP local ports in the range.", snap->udp_ports_in_range);
	om_gauge(sb, "porttop_ephemeral_ports_in_use",
		 "Distinct TCP local ports in the range.", snap->ports_in_use);
	om_gauge(sb, "porttop_owned_ports",
		 "Usable ports held by listening or bound TCP sockets: lost to every destination.",
		 snap->owned_ports);
	om_gauge(sb, "porttop_new_destination_ports_available",
		 "Ports connect() toward a destination with no socket yet can take (estimate; exact when porttop_exact is 1).",
		 snap->available_new_destination);
	om_gauge(sb, "porttop_new_destination_ports_available_min",
		 "Sure lower bound of porttop_new_destination_ports_available.",
		 snap->available_new_destination_min);
	om_family(sb, "porttop_bind_source_info", "gauge",
		  "Always 1: where the port ownership (bind()-owned or not) of sockets comes from: bpf, autobound or none.");
	strbuf_addstr(sb, "porttop_bind_source_info{source=");
	out_openmetrics_label(sb, sock_bind_src_name(snap->bind_src));
	strbuf_addstr(sb, "} 1\n");
	om_gauge(sb, "porttop_bind_unknown_sockets",
		 "TCP sockets in the range whose port ownership is unknown.",
		 snap->bind_unknown);
	om_gauge(sb, "porttop_exact",
		 "1 when the available ports of every destination are exact, 0 when some are estimates (see porttop -b for why).",
		 snap->exact ? 1 : 0);
	om_gauge(sb, "porttop_unattributed_time_wait",
		 "TIME_WAIT entries no process could be named for.",
		 snap->unattributed_time_wait);

	om_dests(sb, snap, run->top);
	om_pools(sb, snap);
	om_conntrack(sb, snap, run->top);   /* nat */

	om_gauge(sb, "porttop_rates_estimated",
		 "1 when close rates rest on TIME_WAIT estimates, not on destroy events.",
		 snap->rates_estimated ? 1 : 0);
	om_gauge(sb, "porttop_warnings",
		 "Warnings of the sample (see porttop -b for their text).",
		 (double)snap->nwarnings);
	om_family(sb, "porttop_samples_total", "counter",
		  "Samples this porttop run took.");
	strbuf_addf(sb, "porttop_samples_total %llu\n",
		    (unsigned long long)run->samples);
	om_family(sb, "porttop_sample_errors_total", "counter",
		  "Samples of this run that failed (sockets could not be dumped).");
	strbuf_addf(sb, "porttop_sample_errors_total %llu\n",
		    (unsigned long long)run->sample_errors);
	return strbuf_error(sb);
}

/* >>> nat: --all-netns */
enum ns_metric {
	NSM_PROCESSES, NSM_SAMPLED, NSM_TCP, NSM_UDP, NSM_TIME_WAIT,
	NSM_WORST_AVAIL, NSM_WORST_HEADROOM, NSM_CT_ENTRIES, NSM_NAT_AVAIL,
	NSM_COUNT
};

static const struct {
	const char *name;
	const char *help;
} ns_metrics[NSM_COUNT] = {
	{ "porttop_netns_processes", "Processes in the network namespace." },
	{ "porttop_netns_sampled",
	  "1 when porttop could enter and sample the namespace, 0 when not (no privilege, gone)." },
	{ "porttop_netns_tcp_sockets", "TCP sockets of the namespace." },
	{ "porttop_netns_udp_sockets", "UDP sockets of the namespace." },
	{ "porttop_netns_time_wait", "TCP TIME_WAIT entries of the namespace." },
	{ "porttop_netns_worst_ports_available",
	  "Further connect() calls sure to succeed toward the namespace's destination most at risk." },
	{ "porttop_netns_worst_headroom_ratio",
	  "Headroom of the namespace's destination most at risk (0 to 1)." },
	{ "porttop_netns_conntrack_entries",
	  "Entries in the namespace's conntrack table." },
	{ "porttop_netns_nat_worst_ports_available",
	  "SNAT ports still free toward the namespace's NAT destination most at risk." },
};

/* The value of metric m for in, or 0 when it has none (not printed). */
static int ns_value(const struct netns_info *in, enum ns_metric m, double *v)
{
	switch (m) {
	case NSM_PROCESSES: *v = in->nprocs; return 1;
	case NSM_SAMPLED: *v = in->surveyed ? 1 : 0; return 1;
	case NSM_TCP: *v = in->tcp_sockets; return in->surveyed;
	case NSM_UDP: *v = in->udp_sockets; return in->surveyed;
	case NSM_TIME_WAIT: *v = in->time_wait; return in->surveyed;
	case NSM_WORST_AVAIL:
		*v = in->worst.available;
		return in->surveyed && in->have_worst;
	case NSM_WORST_HEADROOM:
		*v = in->worst.headroom_pct / 100.0;
		return in->surveyed && in->have_worst;
	case NSM_CT_ENTRIES:
		*v = (double)in->ct_count;
		return in->surveyed && in->ct_count >= 0;
	case NSM_NAT_AVAIL:
		*v = in->nat_worst.available;
		return in->surveyed && in->have_nat_worst;
	default:
		return 0;
	}
}

int out_openmetrics_namespaces(struct strbuf *sb, const struct netns_list *l,
			       double time)
{
	size_t n, i;
	int m;

	if (!sb || !l)
		return -EINVAL;
	n = l->v ? l->len : 0;
	om_gauge(sb, "porttop_sample_time_seconds",
		 "Wall-clock time of the sample, seconds since the epoch.", time);
	om_gauge(sb, "porttop_netns", "Network namespaces listed.", (double)n);
	om_family(sb, "porttop_netns_info", "gauge",
		  "Always 1: who a network namespace belongs to.");
	for (i = 0; i < n; i++) {
		const struct netns_info *in = &l->v[i];

		strbuf_addstr(sb, "porttop_netns_info{netns=");
		out_openmetrics_label(sb, in->id);
		strbuf_addstr(sb, ",name=");
		out_openmetrics_label(sb, in->name);
		strbuf_addstr(sb, ",comm=");
		out_openmetrics_label(sb, in->comm);
		strbuf_addstr(sb, ",unit=");
		out_openmetrics_label(sb, in->unit);
		strbuf_addstr(sb, ",hostname=");
		out_openmetrics_label(sb, in->hostname);
		strbuf_addf(sb, ",current=\"%d\"} 1\n", in->current ? 1 : 0);
	}
	for (m = 0; m < NSM_COUNT; m++) {
		om_family(sb, ns_metrics[m].name, "gauge", ns_metrics[m].help);
		for (i = 0; i < n; i++) {
			double v;

			if (!ns_value(&l->v[i], (enum ns_metric)m, &v))
				continue;
			strbuf_addstr(sb, ns_metrics[m].name);
			strbuf_addstr(sb, "{netns=");
			out_openmetrics_label(sb, l->v[i].id);
			strbuf_addstr(sb, "} ");
			om_value(sb, v);
			strbuf_addch(sb, '\n');
		}
	}
	return strbuf_error(sb);
}
/* <<< nat */
