#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "frame.h"
#include "keys.h"
#include "model.h"
#include "netns.h"
#include "sampler.h"
#include "uistate.h"
#include "view.h"

/*
 * The NAT and namespaces views against frames.
 *
 * The snapshot comes from the model, fed a sample whose conntrack part is
 * read from the fixture tests/data/proc-conntrack (1234 of 1536 entries,
 * insert_failed 7, drop 11) plus NAT destinations counted against
 * 50000-50003:
 *   tcp via 192.168.5.1 -> 10.9.0.1:80   4 ESTABLISHED: available 0
 *   tcp via 192.168.5.1 -> 10.9.0.2:80   1 TIME_WAIT:   available 3
 * The namespaces are made by hand, as netns_survey() leaves them.
 */

struct fixture {
	struct model *m;
	struct sample s;
	struct netns_list l;          /* points into ns */
	struct netns_info ns[4];
	struct uistate st;
	struct frame f;
};

/* An IPv4 NAT'ed entry: client 10.0.1.2:cport, NAT port natport. */
static void nat_entry(struct ct_nat_acc *a, const char *dst, uint16_t cport,
		      uint16_t natport, uint8_t state)
{
	struct ct_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.tcp_state = state;
	e.status = CT_STATUS_SRC_NAT;
	e.orig.proto = e.reply.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, "10.0.1.2", e.orig.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, e.orig.dst), 1);
	e.orig.sport = cport;
	e.orig.dport = 80;
	memcpy(e.reply.src, e.orig.dst, 16);
	assert_int_equal(inet_pton(AF_INET, "192.168.5.1", e.reply.dst), 1);
	e.reply.sport = 80;
	e.reply.dport = natport;
	assert_int_equal(ct_nat_acc_add(a, &e), 0);
}

static void snapshot_with_nat(struct fixture *fx, int denied)
{
	struct ct_nat_acc *a;
	unsigned p;

	fx->s.mono += 1.0;
	assert_int_equal(ct_read_proc(TESTDATA "/proc-conntrack", &fx->s.ct), 0);
	if (denied) {
		fx->s.ct.dump_err = -EPERM;
	} else {
		assert_int_equal(ct_nat_acc_new(&a, 50000, 50003), 0);
		for (p = 0; p < 4; p++)
			nat_entry(a, "10.9.0.1", (uint16_t)(40000 + p),
				  (uint16_t)(50000 + p), CT_TCP_ESTABLISHED);
		nat_entry(a, "10.9.0.2", 41000, 50001, CT_TCP_TIME_WAIT);
		assert_int_equal(ct_nat_acc_finish(a, &fx->s.ct), 0);
		ct_nat_acc_free(a);
		fx->s.ct.have |= CT_HAVE_DUMP;
		fx->s.ct.nat_range_given = 1;
	}
	snprintf(fx->s.netns, sizeof(fx->s.netns), "net:[4026531840]");
	assert_int_equal(model_update(fx->m, &fx->s), 0);
	uistate_set_snapshot(&fx->st, model_snapshot(fx->m));
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(model_new(&fx->m), 0);
	sample_init(&fx->s);
	fx->s.time = 1763800000.0;
	netns_list_init(&fx->l);
	assert_int_equal(uistate_init(&fx->st, 1.0, 0), 0);
	snprintf(fx->st.host, sizeof(fx->st.host), "testhost");
	frame_init(&fx->f, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	uistate_release(&fx->st);
	frame_release(&fx->f);
	sample_release(&fx->s);
	model_free(fx->m);
	free(fx);
	return 0;
}

static void render(struct fixture *fx, int w, int h)
{
	int x, y;

	assert_int_equal(frame_resize(&fx->f, w, h), 0);
	screen_render(&fx->st, &fx->f);
	for (y = 0; y < fx->f.h; y++)
		for (x = 0; x < fx->f.w; x++) {
			const struct frame_cell *c = frame_cell_at(&fx->f, x, y);

			assert_non_null(c);
			assert_true(c->ch == FRAME_CONT || (c->ch >= 0x20 && c->ch < 0x7f));
		}
	if (getenv("VIEWS_DUMP")) {
		char buf[4096];

		for (y = 0; y < h; y++) {
			frame_row_text(&fx->f, y, buf, sizeof(buf));
			printf("|%s|\n", buf);
		}
	}
}

static const char *row(const struct frame *f, int y)
{
	static char buf[4096];

	frame_row_text(f, y, buf, sizeof(buf));
	return buf;
}

static int find_row(const struct frame *f, const char *needle)
{
	int y;

	for (y = 0; y < f->h; y++)
		if (strstr(row(f, y), needle))
			return y;
	return -1;
}

static int has(const struct frame *f, const char *needle)
{
	if (find_row(f, needle) >= 0)
		return 1;
	print_message("not on screen: '%s'\n", needle);
	return 0;
}

static void keys(struct fixture *fx, const char *s)
{
	for (; *s; s++)
		uistate_key(&fx->st, *s == '\n' ? UK_ENTER : (unsigned char)*s);
}

/* Words of a row, split on blanks, into w[]; returns how many. */
static int words(const char *r, char w[][64], int max)
{
	int n = 0;

	while (*r && n < max) {
		size_t k = 0;

		while (*r == ' ')
			r++;
		if (!*r)
			break;
		while (*r && *r != ' ' && k < 63)
			w[n][k++] = *r++;
		w[n][k] = '\0';
		while (*r && *r != ' ')
			r++;
		n++;
	}
	return n;
}

static void test_nat_view(void **state)
{
	struct fixture *fx = *state;
	char w[16][64];
	int y, n;

	snapshot_with_nat(fx, 0);
	keys(fx, "5");
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NAT);
	render(fx, 100, 30);
	assert_true(has(&fx->f, " 5 NAT "));
	assert_true(has(&fx->f, "conntrack 1234/1536 (80.3%)  insert_failed 7  "
			"drop 11  NAT range 50000-50003"));
	assert_true(has(&fx->f, "NAT ADDRESS"));
	/* the used-up destination first: tcp, NAT address, destination,
	 * TW 0, EST 4, OTH 0, USED 4, AVAIL 0 */
	y = find_row(&fx->f, "10.9.0.1:80");
	assert_true(y > 0);
	n = words(row(&fx->f, y), w, 16);
	assert_true(n >= 8);
	assert_string_equal(w[0], "tcp");
	assert_string_equal(w[1], "192.168.5.1");
	assert_string_equal(w[2], "10.9.0.1:80");
	assert_string_equal(w[3], "0");
	assert_string_equal(w[4], "4");
	assert_string_equal(w[5], "0");
	assert_string_equal(w[6], "4");
	assert_string_equal(w[7], "0");
	assert_true(find_row(&fx->f, "10.9.0.2:80") > y);
	n = words(row(&fx->f, find_row(&fx->f, "10.9.0.2:80")), w, 16);
	assert_string_equal(w[3], "1");   /* conntrack TIME_WAIT */
	assert_string_equal(w[7], "3");
	/* the header: the fill (80%: critical), the NAT headroom */
	assert_true(has(&fx->f, "conntrack 1234/1536"));
	assert_true(has(&fx->f, "NAT 0/4"));

	/* Tab visits NAT when conntrack is in use */
	keys(fx, "4");
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NAT);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_DESTS);
	uistate_key(&fx->st, UK_BTAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NAT);
	/* the filter works on NAT rows */
	keys(fx, "\\10.9.0.2\n");
	render(fx, 100, 30);
	assert_true(find_row(&fx->f, "10.9.0.2:80") > 0);
	assert_int_equal(find_row(&fx->f, "10.9.0.1:80"), -1);
	/* 80 columns still show the key columns */
	keys(fx, "\\");
	uistate_key(&fx->st, UK_CTRL('u'));
	uistate_key(&fx->st, UK_ENTER);
	render(fx, 80, 24);
	y = find_row(&fx->f, "10.9.0.1:80");
	assert_true(y > 0);
	assert_non_null(strstr(row(&fx->f, y), "192.168.5.1"));
}

static void test_nat_view_empty(void **state)
{
	struct fixture *fx = *state;

	/* no conntrack: NAT has no tab and Tab skips it */
	assert_int_equal(model_update(fx->m, &fx->s), 0);
	uistate_set_snapshot(&fx->st, model_snapshot(fx->m));
	render(fx, 100, 30);
	assert_int_equal(find_row(&fx->f, " 5 NAT "), -1);
	assert_int_equal(find_row(&fx->f, "conntrack"), -1);
	keys(fx, "4");
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_DESTS);
	keys(fx, "5");
	render(fx, 100, 30);
	assert_true(has(&fx->f, " 5 NAT "));
	assert_true(has(&fx->f, "Conntrack is not loaded"));

	/* loaded, no CAP_NET_ADMIN: said in the view, the fill still shown */
	snapshot_with_nat(fx, 1);
	render(fx, 100, 30);
	assert_true(has(&fx->f, "NAT ports not counted: needs CAP_NET_ADMIN"));
	assert_true(has(&fx->f, "conntrack 1234/1536"));
}

/* Three namespaces, as netns_discover() and netns_survey() leave them:
 * ours sampled, a container not enterable, a pod with a destination
 * nearly used up and its NAT ports used up. */
static struct netns_info *ns_add(struct fixture *fx, uint64_t inode, int pid,
				 uint32_t nprocs, const char *comm)
{
	struct netns_info *in = &fx->ns[fx->l.len++];

	memset(in, 0, sizeof(*in));
	in->inode = inode;
	snprintf(in->id, sizeof(in->id), "net:[%llu]", (unsigned long long)inode);
	in->pids[0] = pid;
	in->npids = 1;
	in->nprocs = nprocs;
	snprintf(in->comm, sizeof(in->comm), "%s", comm);
	in->ct_count = in->ct_max = -1;
	return in;
}

static void fill_namespaces(struct fixture *fx)
{
	struct netns_info *in;

	fx->l.v = fx->ns;
	fx->l.cap = sizeof(fx->ns) / sizeof(fx->ns[0]);
	in = ns_add(fx, 4026531840ULL, 1, 2, "systemd");
	in->current = 1;
	in->surveyed = 1;
	in->range_low = 32768;
	in->range_high = 60999;
	in->usable = 28232;
	in->tcp_sockets = 7;
	in->ct_count = 1234;
	in->ct_max = 1536;
	in = ns_add(fx, 4026532300ULL, 100, 2, "nginx");
	snprintf(in->hostname, sizeof(in->hostname), "web-1");
	in->err = -EPERM;
	in = ns_add(fx, 4026532400ULL, 200, 1, "pause");
	snprintf(in->unit, sizeof(in->unit),
		 "pod:1234abcd-5678-90ab-cdef-1234567890ab");
	in->surveyed = 1;
	in->tcp_sockets = 12;
	in->time_wait = 5;
	in->have_worst = 1;
	in->worst.family = AF_INET;
	in->worst.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.1.0.5", in->worst.saddr);
	inet_pton(AF_INET, "10.96.0.10", in->worst.daddr);
	in->worst.dport = 53;
	in->worst.in_use = 90;
	in->worst.available = 10;
	in->worst.headroom_pct = 10.0;
	in->have_nat_worst = 1;
	in->nat_size = 4;
	in->nat_worst.family = AF_INET;
	in->nat_worst.available = 0;
	fx->st.netns = &fx->l;
	uistate_set_snapshot(&fx->st, fx->st.snap);
}

static void test_netns_view(void **state)
{
	struct fixture *fx = *state;
	char w[16][64];
	int y, n;

	snapshot_with_nat(fx, 0);
	keys(fx, "6");
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NETNS);
	render(fx, 120, 30);
	assert_true(has(&fx->f, "(listing the network namespaces)"));
	fill_namespaces(fx);
	render(fx, 160, 30);
	assert_true(has(&fx->f, " 6 Namespaces "));
	assert_true(has(&fx->f, "WORST DESTINATION"));
	/* most at risk first: the pod (10 available), then ours, then the
	 * one that could not be sampled */
	y = find_row(&fx->f, "net:[4026532400]");
	assert_true(y > 0);
	n = words(row(&fx->f, y), w, 16);
	assert_true(n >= 9);
	assert_string_equal(w[1], "pod:1234abcd-5678-90ab-cdef-1234567890ab");
	assert_string_equal(w[2], "200");
	assert_string_equal(w[4], "12");          /* sockets */
	assert_string_equal(w[5], "5");           /* TIME_WAIT */
	assert_string_equal(w[6], "tcp");
	assert_string_equal(w[7], "10.96.0.10:53");
	assert_string_equal(w[8], "10");          /* available */
	assert_non_null(strstr(row(&fx->f, y), "0/4"));   /* NAT */
	/* ours is marked as the one shown, with its conntrack fill */
	y = find_row(&fx->f, "*net:[4026531840]");
	assert_true(y > find_row(&fx->f, "net:[4026532400]"));
	assert_non_null(strstr(row(&fx->f, y), "systemd"));
	assert_non_null(strstr(row(&fx->f, y), "1234/1536"));
	y = find_row(&fx->f, "net:[4026532300]");
	assert_true(y > find_row(&fx->f, "*net:[4026531840]"));
	assert_non_null(strstr(row(&fx->f, y), "web-1"));
	assert_non_null(strstr(row(&fx->f, y), "(needs CAP_SYS_ADMIN)"));

	/* Enter on the pod asks ui.c to switch; on ours it does not */
	assert_true(fx->st.netns_switch == 0);
	uistate_key(&fx->st, UK_HOME);
	keys(fx, "\n");
	assert_true(fx->st.netns_switch == 4026532400ULL);
	fx->st.netns_switch = 0;
	keys(fx, "/systemd\n\n");
	assert_true(fx->st.netns_switch == 0);
	assert_non_null(strstr(fx->st.msg, "already showing"));

	/* with --all-netns it is in the Tab cycle */
	keys(fx, "4");
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NAT);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_DESTS);
	fx->st.netns_in_cycle = 1;
	keys(fx, "4");
	uistate_key(&fx->st, UK_TAB);
	uistate_key(&fx->st, UK_TAB);
	assert_int_equal(uistate_level(&fx->st)->view, VIEW_NETNS);

	/* the header names a namespace switched to */
	snprintf(fx->st.netns_label, sizeof(fx->st.netns_label), "router");
	render(fx, 120, 30);
	assert_true(has(&fx->f, "netns router net:[4026531840]"));
	/* narrow terminals keep working */
	render(fx, 40, 12);
	render(fx, 80, 24);
	assert_true(has(&fx->f, "Namespaces"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nat_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_view_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_view, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
