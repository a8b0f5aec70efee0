#!/bin/sh
# porttop and NAT across network namespaces.
#
# Three namespaces made with `ip netns add`, joined by veth pairs:
#
#   client 10.77.1.2 --- 10.77.1.1 router 10.77.2.1 --- server 10.77.2.2
#                                                              10.77.2.3
#
# The router forwards and masquerades TCP toward the server to a tiny
# port range (nftables: masquerade to :50000-50003). The client holds 4
# connections to 10.77.2.2:80 and 1 to 10.77.2.3:80 (tests/nathelper).
# Then:
#  - porttop -N ROUTER --nat-range=50000-50003 counts the SNAT ports:
#    10.77.2.2:80 has all 4 in use (available 0), 10.77.2.3:80 has 3 left;
#  - the client's next connection to 10.77.2.2:80 times out (the kernel
#    drops the SYN: no NAT port is free), and porttop's conntrack counters
#    insert_failed and drop rise over that interval; 10.77.2.3:80 still
#    connects;
#  - without CAP_NET_ADMIN porttop says so and shows the fill counters;
#  - porttop -N CLIENT (by name and by the client's pid) and --all-netns
#    find the client's namespace and its sockets, and the namespace the
#    test runs in does not count them;
#  - the terminal UI with --all-netns lists the router's namespace; Enter
#    switches into it and the NAT view (5) shows 10.77.2.2:80 used up;
#  - a namespace that cannot be entered or does not exist gets a clear
#    one-line reason and exit status 3.
#
# Needs root, ip, ss, nft (Debian package nftables), jq, setpriv and tmux;
# PORTTOP, NATHELPER and TESTLIB set. Traffic stays between the test's namespaces.

. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool ip
require_tool ss
require_tool nft
require_tool jq
require_tool setpriv
require_tool tmux
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${NATHELPER:-}" ] || fail "NATHELPER is not an executable: '${NATHELPER:-}'"
tmpdir_new

# Names unique to this run: namespaces under /run/netns, interfaces (at
# most 15 bytes) created here and moved away.
id=$$
C=porttop-nat-$id-client
R=porttop-nat-$id-router
S=porttop-nat-$id-server
made=
at_exit 'for p in $helper_pids; do kill "$p" 2>/dev/null; done
	for p in $helper_pids; do wait "$p" 2>/dev/null; done
	for n in $made; do ip netns del "$n" 2>/dev/null; done'
helper_pids=

FAIL_HOOK='for f in "$tmpdir"/*.json "$tmpdir"/*.err "$tmpdir"/*.txt; do
	[ -s "$f" ] && { echo "--- $f"; head -c 6000 "$f"; echo; }
done
ip netns exec "$R" nft list ruleset 2>&1 | head -20
ip netns exec "$R" cat /proc/net/stat/nf_conntrack 2>&1'

for n in "$C" "$R" "$S"; do
	ip netns add "$n" || fail "ip netns add $n"
	made="$made $n"
	ip -n "$n" link set lo up || fail "lo up in $n"
done
ip link add "pn${id}a" type veth peer name "pn${id}b" || fail "veth client-router"
ip link set "pn${id}a" netns "$C" && ip link set "pn${id}b" netns "$R" ||
	fail "moving the client-router veth"
ip link add "pn${id}c" type veth peer name "pn${id}d" || fail "veth router-server"
ip link set "pn${id}c" netns "$R" && ip link set "pn${id}d" netns "$S" ||
	fail "moving the router-server veth"
ip -n "$C" addr add 10.77.1.2/24 dev "pn${id}a" &&
ip -n "$C" link set "pn${id}a" up &&
ip -n "$C" route add default via 10.77.1.1 &&
ip -n "$R" addr add 10.77.1.1/24 dev "pn${id}b" &&
ip -n "$R" link set "pn${id}b" up &&
ip -n "$R" addr add 10.77.2.1/24 dev "pn${id}c" &&
ip -n "$R" link set "pn${id}c" up &&
ip -n "$S" addr add 10.77.2.2/24 dev "pn${id}d" &&
ip -n "$S" addr add 10.77.2.3/24 dev "pn${id}d" &&
ip -n "$S" link set "pn${id}d" up &&
ip -n "$S" route add default via 10.77.2.1 || fail "addresses and routes"
ip netns exec "$R" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' ||
	fail "cannot enable forwarding in the router"
ip netns exec "$R" nft -f - <<EOF || fail "nft: cannot add the masquerade rule"
table ip porttop_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "pn${id}c" ip protocol tcp masquerade to :50000-50003
	}
}
EOF
echo "ok topology: client, router (masquerade to :50000-50003), server"

nsid() {
	ip netns exec "$1" readlink /proc/self/ns/net
}
client_id=$(nsid "$C")
router_id=$(nsid "$R")
own_id=$(readlink /proc/self/ns/net)

# ---- the server and the client's connections ----
ip netns exec "$S" "$NATHELPER" serve --ready "$tmpdir/server.ready" 80 \
	< /dev/null 2> "$tmpdir/server.err" &
helper_pids="$helper_pids $!"
wait_for test -e "$tmpdir/server.ready"
ip netns exec "$C" "$NATHELPER" hold --ready "$tmpdir/client.txt" \
	10.77.2.2:80*4 10.77.2.3:80*1 < /dev/null 2> "$tmpdir/client.err" &
client_pid=$!
helper_pids="$helper_pids $client_pid"
WAIT_FOR_TIMEOUT=20 wait_for test -e "$tmpdir/client.txt"
assert_eq "client connections" 5 "$(wc -l < "$tmpdir/client.txt" | tr -d ' ')"
kill -0 "$client_pid" 2>/dev/null || fail "the client helper exited: $(cat "$tmpdir/client.err")"
echo "ok client holds 4 connections to 10.77.2.2:80 and 1 to 10.77.2.3:80"

# q FILE FILTER: one compact value from a porttop JSON line.
q() {
	_f=$1
	shift
	jq -c "$@" "$_f" || fail "jq $* on $_f failed"
}

# ---- the router: SNAT ports per destination ----
snap=$tmpdir/router.json
"$PORTTOP" -N "$R" --nat-range=50000-50003 -b -o json -n 1 > "$snap" \
	2> "$tmpdir/router.err" || fail "porttop -N $R exited with status $?"
assert_eq "router snapshot netns" "\"$router_id\"" "$(q "$snap" .netns)"
assert_eq "conntrack in use" true "$(q "$snap" .conntrack.in_use)"
assert_eq "conntrack dump" '"ok"' "$(q "$snap" .conntrack.dump)"
assert_eq "nat range" '{"low":50000,"high":50003,"size":4,"configured":true}' \
	"$(q "$snap" .conntrack.nat_range)"
assert_eq "conntrack entries dumped" 5 "$(q "$snap" .conntrack.entries)"
kernel_count=$(ip netns exec "$R" cat /proc/sys/net/netfilter/nf_conntrack_count)
assert_eq "conntrack count (the kernel's)" "$kernel_count" "$(q "$snap" .conntrack.count)"
assert_eq "NAT destinations" 2 "$(q "$snap" '.nat_destinations | length')"
nd() {   # nd DADDR FIELD
	q "$snap" --arg d "$1" ".nat_destinations[] | select(.daddr == \$d) | .$2"
}
assert_eq "10.77.2.2:80 proto" '"tcp"' "$(nd 10.77.2.2 proto)"
assert_eq "10.77.2.2:80 dport" 80 "$(nd 10.77.2.2 dport)"
assert_eq "10.77.2.2:80 NAT address" '"10.77.2.1"' "$(nd 10.77.2.2 nat_addr)"
assert_eq "10.77.2.2:80 in_use" 4 "$(nd 10.77.2.2 in_use)"
assert_eq "10.77.2.2:80 established" 4 "$(nd 10.77.2.2 established)"
assert_eq "10.77.2.2:80 available" 0 "$(nd 10.77.2.2 available)"
assert_eq "10.77.2.2:80 headroom" 0 "$(nd 10.77.2.2 headroom_pct)"
assert_eq "10.77.2.3:80 in_use" 1 "$(nd 10.77.2.3 in_use)"
assert_eq "10.77.2.3:80 available" 3 "$(nd 10.77.2.3 available)"
assert_eq "most at risk first" '"10.77.2.2"' "$(q "$snap" '.nat_destinations[0].daddr')"
q "$snap" -e '.warnings | any(test("SNAT ports used up toward tcp 10.77.2.2:80 via 10.77.2.1 \\(4 of 4\\)"))' \
	> /dev/null || fail "no warning about the used-up SNAT ports"
# The server sees the translated sources: 4 distinct ports of the range.
ports=$(ip netns exec "$S" ss -tnH state established '( sport = :80 )' |
	awk '$3 == "10.77.2.2:80" && $4 ~ /^10\.77\.2\.1:5000[0-3]$/ { print $4 }' |
	sort -u | wc -l | tr -d ' ')
assert_eq "translated sources the server sees from 10.77.2.1:50000-50003" 4 "$ports"
echo "ok router: 10.77.2.2:80 available 0 of 4, 10.77.2.3:80 available 3"

# The text report says the same.
"$PORTTOP" -N "$R" --nat-range=50000-50003 -b -n 1 > "$tmpdir/router.txt" ||
	fail "porttop -N $R (text) failed"
grep -Eq '^tcp +10\.77\.2\.1 +10\.77\.2\.2:80 +0 +4 +0 +4 +0 +0\.0%$' "$tmpdir/router.txt" ||
	fail "the text report lacks the used-up NAT destination"

# And the OpenMetrics exposition.
"$PORTTOP" -N "$R" --nat-range=50000-50003 -b -o openmetrics -n 1 \
	> "$tmpdir/router.om.txt" || fail "porttop -N $R -o openmetrics failed"
for line in \
	'porttop_nat_destination_ports_available{proto="tcp",nat_addr="10.77.2.1",daddr="10.77.2.2",dport="80"} 0' \
	'porttop_nat_destination_ports_in_use{proto="tcp",nat_addr="10.77.2.1",daddr="10.77.2.2",dport="80"} 4' \
	'porttop_nat_destination_ports_available{proto="tcp",nat_addr="10.77.2.1",daddr="10.77.2.3",dport="80"} 3' \
	'porttop_nat_range_ports 4' \
	"porttop_conntrack_entries $(q "$snap" .conntrack.count)"; do
	grep -qxF "$line" "$tmpdir/router.om.txt" || fail "openmetrics lacks: $line"
done

# ---- the next connection times out; the drop counters rise ----
before_if=$(q "$snap" .conntrack.stats.insert_failed)
before_drop=$(q "$snap" .conntrack.stats.drop)
rise=$tmpdir/rise.json
"$PORTTOP" -N "$R" --nat-range=50000-50003 -b -o json -n 2 -d 4 > "$rise" \
	2> "$tmpdir/rise.err" &
porttop_pid=$!
wait_for test -s "$rise"
outcome=$(ip netns exec "$C" "$NATHELPER" try --timeout-ms 2500 10.77.2.2:80)
assert_eq "the client's 5th connection to 10.77.2.2:80" timeout "$outcome"
wait "$porttop_pid" || fail "porttop (two samples) exited with status $?"
assert_eq "samples" 2 "$(wc -l < "$rise" | tr -d ' ')"
first_if=$(sed -n 1p "$rise" | jq .conntrack.stats.insert_failed)
second_if=$(sed -n 2p "$rise" | jq .conntrack.stats.insert_failed)
first_drop=$(sed -n 1p "$rise" | jq .conntrack.stats.drop)
second_drop=$(sed -n 2p "$rise" | jq .conntrack.stats.drop)
[ "$second_if" -gt "$first_if" ] ||
	fail "insert_failed did not rise: $first_if -> $second_if"
[ "$second_drop" -gt "$first_drop" ] ||
	fail "drop did not rise: $first_drop -> $second_drop"
[ "$first_if" -ge "$before_if" ] && [ "$first_drop" -ge "$before_drop" ] ||
	fail "counters went back: $before_if/$before_drop -> $first_if/$first_drop"
rate_if=$(sed -n 2p "$rise" | jq '.conntrack.rates.insert_failed > 0')
rate_drop=$(sed -n 2p "$rise" | jq '.conntrack.rates.drop > 0')
assert_eq "insert_failed rate > 0" true "$rate_if"
assert_eq "drop rate > 0" true "$rate_drop"
sed -n 2p "$rise" | jq -e '.warnings | any(test("conntrack dropped packets"))' \
	> /dev/null || fail "no warning about dropped packets"
echo "ok the 5th connection timed out: insert_failed $first_if -> $second_if," \
	"drop $first_drop -> $second_drop over the interval"

# ---- without CAP_NET_ADMIN: a clear warning, the fill counters only ----
ip netns exec "$R" setpriv --bounding-set -net_admin "$PORTTOP" -b -o json -n 1 \
	> "$tmpdir/noadmin.json" 2> "$tmpdir/noadmin.err" ||
	fail "porttop without CAP_NET_ADMIN exited with status $?"
assert_eq "dump without CAP_NET_ADMIN" '"denied"' "$(q "$tmpdir/noadmin.json" .conntrack.dump)"
assert_eq "no NAT destinations without CAP_NET_ADMIN" 0 \
	"$(q "$tmpdir/noadmin.json" '.nat_destinations | length')"
[ "$(q "$tmpdir/noadmin.json" .conntrack.count)" -ge 5 ] ||
	fail "the fill counter is missing without CAP_NET_ADMIN"
q "$tmpdir/noadmin.json" -e '.warnings | any(test("no CAP_NET_ADMIN"))' > /dev/null ||
	fail "no warning about CAP_NET_ADMIN"
echo "ok without CAP_NET_ADMIN: dump denied, count $(q "$tmpdir/noadmin.json" .conntrack.count), warned"

# ---- the client's namespace, by name and by pid ----
for spec in "$C" "$client_pid"; do
	f=$tmpdir/client-$spec.json
	"$PORTTOP" -N "$spec" -b -o json -n 1 > "$f" 2> "$tmpdir/client-$spec.err" ||
		fail "porttop -N $spec exited with status $?"
	assert_eq "-N $spec netns" "\"$client_id\"" "$(q "$f" .netns)"
	assert_eq "-N $spec ESTABLISHED" 5 "$(q "$f" .tcp.states.ESTABLISHED)"
	dest() {   # dest DADDR FIELD
		q "$f" --arg d "$1" ".destinations[] | select(.daddr == \$d and .dport == 80) | .$2"
	}
	assert_eq "-N $spec toward 10.77.2.2:80 in_use" 4 "$(dest 10.77.2.2 in_use)"
	assert_eq "-N $spec toward 10.77.2.3:80 in_use" 1 "$(dest 10.77.2.3 in_use)"
	assert_eq "-N $spec local address" '"10.77.1.2"' "$(dest 10.77.2.2 saddr)"
done
# the helper's own record of its local ports
assert_eq "client's distinct local ports toward 10.77.2.2" 4 \
	"$(awk '$1 == "10.77.2.2" { print $3 }' "$tmpdir/client.txt" | sort -u | wc -l | tr -d ' ')"
echo "ok -N $C and -N $client_pid: 5 connections, in_use 4 and 1"

# ---- every namespace ----
all=$tmpdir/all.json
"$PORTTOP" --all-netns --nat-range=50000-50003 -b -o json -n 1 > "$all" \
	2> "$tmpdir/all.err" ||
	fail "porttop --all-netns exited with status $?"
ns() {   # ns ID FILTER
	q "$all" --arg id "$1" ".namespaces[] | select(.netns == \$id) | $2"
}
assert_eq "client namespace listed once" 1 \
	"$(q "$all" --arg id "$client_id" '[.namespaces[] | select(.netns == $id)] | length')"
assert_eq "client namespace name" "\"$C\"" "$(ns "$client_id" .name)"
assert_eq "client namespace holds the client" true \
	"$(ns "$client_id" "any(.pids[]; . == $client_pid)")"
assert_eq "client namespace sockets" 5 "$(ns "$client_id" .tcp_sockets)"
assert_eq "client namespace worst" '{"daddr":"10.77.2.2","dport":80,"in_use":4}' \
	"$(ns "$client_id" '.worst | {daddr, dport, in_use}')"
assert_eq "client namespace error" null "$(ns "$client_id" .error)"
assert_eq "router namespace name" "\"$R\"" "$(ns "$router_id" .name)"
assert_eq "router namespace processes" 0 "$(ns "$router_id" .processes)"
[ "$(ns "$router_id" .conntrack.count)" -ge 5 ] ||
	fail "the router's conntrack fill is missing from --all-netns"
assert_eq "router namespace NAT worst" \
	'{"daddr":"10.77.2.2","dport":80,"in_use":4,"available":0}' \
	"$(ns "$router_id" '.nat_worst | {daddr, dport, in_use, available}')"
assert_eq "client namespace NAT worst" null "$(ns "$client_id" .nat_worst)"
assert_eq "own namespace is current" true "$(ns "$own_id" .current)"
assert_eq "own namespace sockets" 0 "$(ns "$own_id" .tcp_sockets)"
"$PORTTOP" --all-netns -b -n 1 > "$tmpdir/all.txt" || fail "porttop --all-netns (text) failed"
"$PORTTOP" --all-netns --nat-range=50000-50003 -b -o openmetrics -n 1 \
	> "$tmpdir/all.om.txt" || fail "porttop --all-netns -o openmetrics failed"
for line in \
	"porttop_netns_nat_worst_ports_available{netns=\"$router_id\"} 0" \
	"porttop_netns_tcp_sockets{netns=\"$client_id\"} 5" \
	"porttop_netns_sampled{netns=\"$client_id\"} 1"; do
	grep -qxF "$line" "$tmpdir/all.om.txt" || fail "--all-netns openmetrics lacks: $line"
done
grep -q "^net:\[[0-9]*\] *$C " "$tmpdir/all.txt" ||
	fail "the text list lacks the client namespace"
echo "ok --all-netns: $(q "$all" '.namespaces | length') namespaces, the client's with 5 sockets"

# ---- the terminal UI: the namespaces view, Enter, the NAT view ----
unset TMUX
sock=porttop-nat-$id
T() {
	tmux -L "$sock" -f /dev/null "$@"
}
at_exit 'T kill-server 2>/dev/null'
cat > "$tmpdir/ui.sh" <<UI
"$PORTTOP" --all-netns --nat-range=50000-50003 -d 1 2> "$tmpdir/ui.err"
echo "EXIT=\$?" > "$tmpdir/ui.exit"
exec sleep 300
UI
T new-session -d -s ui -x 160 -y 40 "sh '$tmpdir/ui.sh'" || fail "tmux new-session failed"
cap() {
	T capture-pane -p -t ui 2>/dev/null
}
shows() {
	cap | grep -F -q -- "$1"
}
FAIL_HOOK="cap; $FAIL_HOOK"
# every namespace is sampled before the list shows: allow for many
WAIT_FOR_TIMEOUT=60 wait_for shows "$R"
shows "6 Namespaces" || fail "the UI did not open on the namespaces view"
# filter the list down to the router, and switch into it
T send-keys -t ui '\'
T send-keys -t ui -l "$R"
T send-keys -t ui Enter Enter
WAIT_FOR_TIMEOUT=20 wait_for shows "netns $R net:["
T send-keys -t ui 5
wait_for shows "NAT ADDRESS"
wait_for shows "10.77.2.2:80"
row=$(cap | grep -E '^tcp +10\.77\.2\.1 +10\.77\.2\.2:80 ' | head -n 1)
# PROTO NAT-ADDRESS DESTINATION TW EST OTH USED AVAIL
assert_eq "UI NAT row toward 10.77.2.2:80 (used, available)" "4 0" \
	"$(printf '%s\n' "$row" | awk '{ print $7, $8 }')"
shows "NAT range 50000-50003" || fail "the NAT view lacks the range"
T send-keys -t ui q
wait_for test -s "$tmpdir/ui.exit"
assert_eq "UI exit status" "EXIT=0" "$(cat "$tmpdir/ui.exit")"
echo "ok UI: --all-netns lists $R, Enter switches into it, 5 shows 10.77.2.2:80 used 4 available 0"

# ---- the namespace porttop runs in does not count them ----
own=$tmpdir/own.json
"$PORTTOP" -b -o json -n 1 > "$own" || fail "porttop (own namespace) failed"
assert_eq "own netns" "\"$own_id\"" "$(q "$own" .netns)"
assert_eq "own TCP sockets" 0 "$(q "$own" .tcp.sockets)"
assert_eq "own destinations toward the server" 0 \
	"$(q "$own" '[.destinations[] | select(.daddr | startswith("10.77."))] | length')"
assert_eq "own NAT destinations" 0 "$(q "$own" '.nat_destinations | length')"
echo "ok own namespace: no sockets, no NAT destinations"

# ---- namespaces that cannot be entered ----
expect_refusal() {   # expect_refusal WHAT STDERR-LINE CMD...
	_what=$1
	_want=$2
	shift 2
	"$@" > /dev/null 2> "$tmpdir/refusal.err"
	_rc=$?
	assert_eq "$_what: exit status" 3 "$_rc"
	assert_eq "$_what: message" "$_want" "$(cat "$tmpdir/refusal.err")"
}
expect_refusal "no CAP_SYS_ADMIN" \
	"porttop: cannot enter network namespace $C: Operation not permitted (needs root or CAP_SYS_ADMIN)" \
	setpriv --bounding-set -sys_admin "$PORTTOP" -N "$C" -b -n 1
expect_refusal "no such name" \
	"porttop: cannot enter network namespace $C-gone: no such namespace" \
	"$PORTTOP" -N "$C-gone" -b -n 1
# a pid that is gone: a child that has exited and been reaped
sh -c 'exit 0' &
gone=$!
wait "$gone"
expect_refusal "a process that is gone" \
	"porttop: cannot enter network namespace $gone: no such namespace" \
	"$PORTTOP" -N "$gone" -b -n 1
echo "ok refusals: no privilege, no such name, no such process"

# ---- and the other destination is still fine ----
outcome=$(ip netns exec "$C" "$NATHELPER" try --timeout-ms 2500 10.77.2.3:80)
assert_eq "a new connection to 10.77.2.3:80" connected "$outcome"
echo "ok 10.77.2.3:80 still connects"
