#!/bin/sh
# porttop's model against the kernel, in private network namespaces.
#
# tests/porthelper builds a known population (listeners, owned ports,
# ESTABLISHED and client-side TIME_WAIT connections toward four
# destinations, UDP sockets) in a small port range, runs
# `porttop -b -o json -n 1` and `ss`, then measures the truth by
# exhaustion: how many further connect() calls toward each destination
# succeed, how many bind(ADDR:0) calls succeed for each pool address (TCP
# and UDP), and how many UDP connect() calls still get a port. porttop's
# numbers must equal the helper's counts, ss's, and what the kernel
# actually allowed: every destination and every pool porttop reports.
# Mismatches print "not ok ..." lines; the scenario fails at its end.
#
# Each scenario runs in its own namespace (TIME_WAIT entries outlive the
# helper by 60 s):
#   base          tcp_tw_reuse=0: nothing is reusable; available = connects
#   reuse1        tcp_tw_reuse=1, timestamps, entries older than the delay:
#                 every TIME_WAIT entry is reusable, and available counts
#                 them: connects = available, reusable = TIME_WAIT entries
#   reuse2        tcp_tw_reuse=2 (loopback only): the same, all is loopback
#   nots          tcp_tw_reuse=1, tcp_timestamps=0: no reuse
#   young         tcp_tw_reuse=1, tcp_tw_reuse_delay 10 s: entries too young
#
# Usage: sh netns_population.sh [SCENARIO]   (no argument: all of them)
# Needs root, unshare, ip, ss and jq; PORTTOP, PORTHELPER and TESTLIB set.

# jq filters and awk programs use $ inside single quotes on purpose
# shellcheck disable=SC2016
# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

SCENARIOS="base reuse1 reuse2 nots young"

if [ $# -eq 0 ]; then
	netns_require
	failed=
	for s in $SCENARIOS; do
		sh "$0" "$s"
		rc=$?
		[ "$rc" -ne 77 ] || exit 77
		[ "$rc" -eq 0 ] || failed="$failed $s"
	done
	[ -z "$failed" ] || fail "scenarios that failed:$failed"
	echo "ok all scenarios: $SCENARIOS"
	exit 0
fi

scenario=$1
case " $SCENARIOS " in
*" $scenario "*) ;;
*) fail "unknown scenario '$scenario' (one of: $SCENARIOS)" ;;
esac

netns_enter "$0" "$@"

require_tool jq
require_tool ss
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new

# The range: 200 ports, an even count, so the kernel's scan uses them all;
# 10 reserved leave 190 usable.
RANGE_LOW=40000
RANGE_HIGH=40199
RESERVED_LIST=40050-40059
EXPECT_RESERVED=10
EXPECT_USABLE=190

tw_reuse=0 timestamps=1 tw_age=0 reuse_delay='' expect_reuse=0
case $scenario in
base) ;;
reuse1) tw_reuse=1 tw_age=1500 expect_reuse=1 ;;
reuse2) tw_reuse=2 tw_age=1500 expect_reuse=1 ;;
nots) tw_reuse=1 timestamps=0 tw_age=1500 ;;
young)
	[ -e /proc/sys/net/ipv4/tcp_tw_reuse_delay ] || {
		echo "ok $scenario: not run, this kernel has no tcp_tw_reuse_delay"
		exit 0
	}
	tw_reuse=1 tw_age=1500 reuse_delay=10000 ;;
esac

netns_sysctl net.ipv4.ip_local_port_range "$RANGE_LOW $RANGE_HIGH"
netns_sysctl net.ipv4.ip_local_reserved_ports "$RESERVED_LIST"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_tw_reuse "$tw_reuse"
netns_sysctl net.ipv4.tcp_timestamps "$timestamps"
[ -z "$reuse_delay" ] || netns_sysctl net.ipv4.tcp_tw_reuse_delay "$reuse_delay"
echo "== scenario $scenario: tcp_tw_reuse=$tw_reuse tcp_timestamps=$timestamps" \
	"tw_age>=${tw_age}ms${reuse_delay:+ tcp_tw_reuse_delay=$reuse_delay}"

truth=$tmpdir/truth.json
snap=$tmpdir/porttop.json
# on failure: what porttop said and what the helper measured (set
# PORTTOP_KEEP_TMP=1 to keep ss's output too)
# shellcheck disable=SC2034
FAIL_HOOK='for f in porttop.err porttop.json truth.json; do
	[ -s "$tmpdir/$f" ] && { echo "--- $f"; head -c 20000 "$tmpdir/$f"; echo; }
done'

# The command runs while the population stands; the helper measures after.
"$PORTHELPER" run --report "$truth" --tw-age "$tw_age" -- sh -c '
	"$PORTTOP" -b -o json -n 1 > "$1/porttop.json" 2> "$1/porttop.err" || {
		echo "porttop exited with status $?" >&2; exit 1; }
	ss -tanH > "$1/ss-tcp.txt" && ss -uanH > "$1/ss-udp.txt"' sh "$tmpdir" ||
	fail "porthelper run failed (see above)"

# ---- the snapshot is one valid JSON object with every documented key ----
assert_eq "porttop output lines" 1 "$(wc -l < "$snap" | tr -d ' ')"
jq -e 'type == "object"' "$snap" > /dev/null || fail "porttop's output is not a JSON object"
missing=$(jq -r '["time", "netns", "range", "sysctl", "tcp", "udp", "ephemeral",
	"destinations", "pools", "processes", "unattributed_time_wait", "warnings"]
	- keys | join(" ")' "$snap")
assert_eq "missing top-level keys" "" "$missing"
echo "ok json: one object, all top-level keys"

# Every value compared below, read with one jq call per file: P_* from the
# snapshot, T_* from the helper's report; lists as tab-separated files.
eval "$(jq -r '@sh "P_low=\(.range.low) P_high=\(.range.high)
	P_reserved=\(.range.reserved) P_usable=\(.range.usable)
	P_tw_reuse=\(.sysctl.tcp_tw_reuse) P_timestamps=\(.sysctl.tcp_timestamps)
	P_owned=\(.ephemeral.owned_ports) P_ports_in_use=\(.ephemeral.ports_in_use)
	P_est=\(.tcp.states.ESTABLISHED) P_tw=\(.tcp.states.TIME_WAIT)
	P_listen=\(.tcp.states.LISTEN) P_bound=\(.tcp.states.BOUND)
	P_udp_sockets=\(.udp.sockets) P_udp_ports=\(.udp.ports_in_range)
	P_ndest=\(.destinations | length)
	P_sorted=\([.destinations[].available] | . == sort)
	P_avails=\([.destinations[].available] | map(tostring) | join(","))"' "$snap")" ||
	fail "cannot read the snapshot's values"
eval "$(jq -r '@sh "T_owned=\(.owned | length)
	T_bound_n=\([.owned[] | select(.state == "BOUND")] | length)
	T_bound_ports=\([.owned[] | select(.state == "BOUND") | .port] | map(tostring) | join(" "))
	T_bound_lo_ports=\([.owned[] | select(.state == "BOUND" and .addr == "127.0.0.1") | .port]
		| map(tostring) | join(" "))
	T_udp_n=\(.udp.bound + .udp.connected) T_udp_ports=\(.udp.ports_in_range)
	T_udp_connect_ok=\(.udp.connect_ok) T_ndest=\(.destinations | length)"' "$truth")" ||
	fail "cannot read the helper's values"
jq -r '.destinations[] | select(.proto == "tcp") | [.saddr, .daddr, .dport,
	.states.ESTABLISHED, .states.TIME_WAIT, .in_use, .available, .reusable] | @tsv' \
	"$snap" > "$tmpdir/p-dests.tsv" || fail "cannot read porttop's destinations"
jq -r '.pools[] | [.proto, .saddr, .available] | @tsv' "$snap" > "$tmpdir/p-pools.tsv" ||
	fail "cannot read porttop's pools"
jq -r '.destinations[] | [.saddr, .daddr, .dport, .established, .time_wait, .in_use,
	.connects_ok] | @tsv' "$truth" > "$tmpdir/t-dests.tsv" ||
	fail "cannot read the helper's destinations"
jq -r '.pools[] | [.proto, .saddr, .bind_ok] | @tsv' "$truth" > "$tmpdir/t-pools.tsv" ||
	fail "cannot read the helper's pools"

# lookup FILE N KEY...: the rows of a tab-separated FILE whose first N
# fields are KEY..., without those fields, one per line
lookup() {
	_f=$1 _n=$2
	shift 2
	awk -F '\t' -v n="$_n" -v key="$*" '{
		k = $1; for (i = 2; i <= n; i++) k = k " " $i
		if (k != key) next
		out = ""; for (i = n + 1; i <= NF; i++) out = out (i > n + 1 ? " " : "") $i
		print out }' "$_f"
}

# ---- range, sysctls, owned ports ----
group_begin
check_eq "range.low" "$RANGE_LOW" "$P_low"
check_eq "range.high" "$RANGE_HIGH" "$P_high"
check_eq "range.reserved" "$EXPECT_RESERVED" "$P_reserved"
check_eq "range.usable" "$EXPECT_USABLE" "$P_usable"
check_eq "sysctl.tcp_tw_reuse" "$tw_reuse" "$P_tw_reuse"
check_eq "sysctl.tcp_timestamps" "$timestamps" "$P_timestamps"
check_eq "ephemeral.owned_ports" "$T_owned" "$P_owned"
group_end "range usable=$P_usable reserved=$P_reserved owned_ports=$P_owned" \
	"(expected $EXPECT_USABLE, $EXPECT_RESERVED, $T_owned)"

# ss lines as: state laddr lport raddr rport (brackets off IPv6 addresses)
ss_table() {
	awk '{
		l = $4; r = $5
		i = match(l, /:[^:]*$/); la = substr(l, 1, i - 1); lp = substr(l, i + 1)
		i = match(r, /:[^:]*$/); ra = substr(r, 1, i - 1); rp = substr(r, i + 1)
		gsub(/^\[|\]$/, "", la); gsub(/^\[|\]$/, "", ra)
		print $1 "\t" la "\t" lp "\t" ra "\t" rp
	}' "$1"
}
ss_table "$tmpdir/ss-tcp.txt" > "$tmpdir/tcp.tsv"
ss_table "$tmpdir/ss-udp.txt" > "$tmpdir/udp.tsv"
[ -s "$tmpdir/tcp.tsv" ] || fail "ss showed no TCP sockets"

# ss_ports AWK-CONDITION [PORT...]: distinct in-range TCP ports of the
# sockets ss shows that match, together with PORT... (the bound-only
# sockets, which ss before 6.8 cannot show)
ss_ports() {
	_cond=$1
	shift
	{ awk -F '\t' -v lo="$RANGE_LOW" -v hi="$RANGE_HIGH" \
		"\$3 >= lo && \$3 <= hi && ($_cond) { print \$3 }" "$tmpdir/tcp.tsv"
	  for _p in "$@"; do echo "$_p"; done; } | sort -u | wc -l | tr -d ' '
}

# ---- totals by state against ss ----
group_begin
# shellcheck disable=SC2046
set -- $(awk -F '\t' '{ n[$1]++ }
	END { print n["ESTAB"] + 0, n["TIME-WAIT"] + 0, n["LISTEN"] + 0 }' "$tmpdir/tcp.tsv")
# shellcheck disable=SC2086
used=$(ss_ports 1 $T_bound_ports)
check_eq "tcp.states.ESTABLISHED (ss)" "$1" "$P_est"
check_eq "tcp.states.TIME_WAIT (ss)" "$2" "$P_tw"
check_eq "tcp.states.LISTEN (ss)" "$3" "$P_listen"
check_eq "tcp.states.BOUND (helper)" "$T_bound_n" "$P_bound"
check_eq "ephemeral.ports_in_use (distinct TCP ports in the range)" "$used" "$P_ports_in_use"
group_end "tcp states ESTABLISHED=$P_est TIME_WAIT=$P_tw LISTEN=$P_listen BOUND=$P_bound" \
	"ports_in_use=$P_ports_in_use (ss and helper: $1 $2 $3 $T_bound_n $used)"

group_begin
udp_n=$(wc -l < "$tmpdir/udp.tsv" | tr -d ' ')
assert_eq "udp sockets (helper vs ss)" "$T_udp_n" "$udp_n"
check_eq "udp.sockets" "$udp_n" "$P_udp_sockets"
check_eq "udp.ports_in_range" "$T_udp_ports" "$P_udp_ports"
group_end "udp sockets=$P_udp_sockets ports_in_range=$P_udp_ports" \
	"(ss and helper: $udp_n $T_udp_ports)"

# ---- destinations: helper, ss and porttop agree; available = connects ----
check_eq "number of destinations" "$T_ndest" "$P_ndest"
while IFS='	' read -r saddr daddr dport h_est h_tw h_use connects; do
	dest="$saddr->$daddr:$dport"
	# shellcheck disable=SC2046
	set -- $(awk -F '\t' -v s="$saddr" -v d="$daddr" -v p="$dport" \
		-v lo="$RANGE_LOW" -v hi="$RANGE_HIGH" '
		$2 == s && $4 == d && $5 == p && $3 >= lo && $3 <= hi {
			n[$1]++; if (!($3 in u)) { u[$3] = 1; k++ } }
		END { print n["ESTAB"] + 0, n["TIME-WAIT"] + 0, k + 0 }' "$tmpdir/tcp.tsv")
	s_est=$1 s_tw=$2 s_use=$3
	assert_eq "$dest ESTABLISHED (helper vs ss)" "$h_est" "$s_est"
	assert_eq "$dest TIME_WAIT (helper vs ss)" "$h_tw" "$s_tw"
	assert_eq "$dest in_use (helper vs ss)" "$h_use" "$s_use"

	group_begin
	rows=$(lookup "$tmpdir/p-dests.tsv" 3 "$saddr" "$daddr" "$dport")
	if check_eq "porttop destinations matching $dest" 1 "$(echo "$rows" | grep -c .)"; then
		# shellcheck disable=SC2086
		set -- $rows
		p_est=$1 p_tw=$2 p_use=$3 p_avail=$4 p_reuse=$5
		check_eq "$dest ESTABLISHED" "$h_est" "$p_est"
		check_eq "$dest TIME_WAIT" "$h_tw" "$p_tw"
		check_eq "$dest in_use (distinct local ports, ss)" "$s_use" "$p_use"
		if [ "$expect_reuse" = 1 ]; then
			check_eq "$dest reusable (every TIME_WAIT entry)" "$h_tw" "$p_reuse"
		else
			check_eq "$dest reusable (none in this scenario)" 0 "$p_reuse"
		fi
		# the headline: what porttop says is left is what connect() got,
		# the reusable TIME_WAIT entries included
		check_eq "$dest available = connect() calls that succeeded" \
			"$connects" "$p_avail"
		check_eq "$dest reusable <= available" yes \
			"$([ "$p_reuse" -le "$p_avail" ] && echo yes || echo no)"
		group_end "$dest ESTABLISHED=$p_est TIME_WAIT=$p_tw in_use=$p_use" \
			"available=$p_avail reusable=$p_reuse connects_ok=$connects"
	else
		group_end "$dest"
	fi
done < "$tmpdir/t-dests.tsv"

group_begin
check_eq "destinations sorted by available ascending" true "$P_sorted"
group_end "destinations sorted by available: $P_avails"

# ---- global pools: available = bind(saddr:0) calls that succeeded ----
# The helper against ss: bind(127.0.0.1:0) gets every usable port no TCP
# socket on 127.0.0.1 holds; bind(0.0.0.0:0) every port that no TCP socket
# of either family holds (the IPv6 sockets here are connected ones, not
# v6only: those overlap the IPv4 wildcard).
t_bind() {
	lookup "$tmpdir/t-pools.tsv" 2 "$1" "$2"
}
# shellcheck disable=SC2086
assert_eq "tcp bind_ok 127.0.0.1 (helper vs ss: usable - held)" \
	"$((EXPECT_USABLE - $(ss_ports '$2 == "127.0.0.1"' $T_bound_lo_ports)))" \
	"$(t_bind tcp 127.0.0.1)"
# shellcheck disable=SC2086
assert_eq "tcp bind_ok 0.0.0.0 (helper vs ss: usable - held)" \
	"$((EXPECT_USABLE - $(ss_ports 1 $T_bound_ports)))" "$(t_bind tcp 0.0.0.0)"
# A UDP connect() autobinds before it picks a source address: it draws on
# the wildcard's pool.
assert_eq "udp connect_ok = bind_ok 0.0.0.0 (helper)" "$(t_bind udp 0.0.0.0)" "$T_udp_connect_ok"

for need in tcp:127.0.0.1 udp:127.0.0.1; do
	check_eq "porttop pools {${need%%:*} ${need#*:}}" 1 \
		"$(lookup "$tmpdir/p-pools.tsv" 2 "${need%%:*}" "${need#*:}" | grep -c .)"
done
while IFS='	' read -r proto saddr avail; do
	group_begin
	bind_ok=$(t_bind "$proto" "$saddr")
	check_eq "pool {$proto $saddr} measured by the helper" yes "${bind_ok:+yes}"
	check_eq "pool {$proto $saddr} available = bind($saddr:0) calls that succeeded" \
		"$bind_ok" "$avail"
	extra=
	if [ "$proto $saddr" = "udp 127.0.0.1" ]; then
		check_eq "pool {udp 127.0.0.1} available = UDP connect() calls that succeeded" \
			"$T_udp_connect_ok" "$avail"
		extra=" connect_ok=$T_udp_connect_ok"
	fi
	group_end "pool $proto $saddr available=$avail bind_ok=$bind_ok$extra"
done < "$tmpdir/p-pools.tsv"

checks_done
echo "ok scenario $scenario"
