#!/bin/sh
# Soak: porttop sampling every 0.2 s for SOAK_SECONDS (default 600) while
# tests/churn_rate opens and closes 2,000 connections per second across 50
# destinations (127.0.0.1:6000..6049, 40/s each, every client port going
# to TIME_WAIT: about 120,000 entries in steady state) and the churning
# processes come and go (each destination's churn_rate, with its listener
# child, is replaced by a new process every SOAK_WAVE seconds, default 30).
# Run by `make soak` (not by make check), as root, in a private network
# namespace.
#
# Every 10 s it samples porttop's RSS (VmRSS) and open descriptors
# (/proc/PID/fd). It fails when:
#   - RSS grows after the warm-up (the first SOAK_WARMUP seconds, default
#     90: TIME_WAIT fills up for 60 s) by more than SOAK_RSS_SLACK_KB
#     (default 4096) or 10 % of the RSS at the end of the warm-up,
#     whichever is larger;
#   - the number of open descriptors at rest (the fewest of five looks
#     50 ms apart: a sample holds a /proc file open for a moment) after
#     the warm-up ever exceeds the most seen during it;
#   - porttop writes anything to stderr, exits non-zero, prints a line
#     that is not a whole JSON snapshot, or prints fewer than half the
#     samples asked for;
#   - a churn process reports errors.
# It prints the readings and a summary (samples, connections, the RSS
# bound and what was measured).
#
# Needs root, unshare, ip, jq; PORTTOP, CHURN_RATE and TESTLIB set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool jq
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${CHURN_RATE:-}" ] || fail "CHURN_RATE is not an executable: '${CHURN_RATE:-}'"
tmpdir_new

secs=${SOAK_SECONDS:-600}
wave=${SOAK_WAVE:-30}
warmup=${SOAK_WARMUP:-90}
slack=${SOAK_RSS_SLACK_KB:-4096}
dests=50
per_dest=40
[ "$warmup" -lt "$secs" ] || warmup=$((secs / 2))

netns_sysctl net.ipv4.ip_local_port_range "10000 60999"
netns_sysctl net.ipv4.tcp_max_tw_buckets 262144
netns_sysctl net.core.somaxconn 4096
# the listeners' backlogs and the loopback queues must keep up
netns_sysctl net.ipv4.tcp_max_syn_backlog 4096
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || :

stop_at=$(($(date +%s) + secs))

# One loop per destination: a new churn_rate process every $wave seconds
# until the end (processes come and go).
churn_loop() {
	_port=$1
	_n=0
	while [ "$(date +%s)" -lt "$stop_at" ]; do
		_left=$((stop_at - $(date +%s)))
		[ "$_left" -ge 1 ] || break
		[ "$_left" -le "$wave" ] || _left=$wave
		_n=$((_n + 1))
		"$CHURN_RATE" --port "$_port" --rate "$per_dest" --duration "$_left" \
			--report "$tmpdir/churn.$_port.$_n.json" \
			> /dev/null 2>> "$tmpdir/churn.$_port.err" ||
			echo "$_port $_n" >> "$tmpdir/churn.failed"
	done
}

loops=
p=6000
while [ "$p" -lt $((6000 + dests)) ]; do
	churn_loop "$p" &
	loops="$loops $!"
	p=$((p + 1))
done
# on an early exit: stop the loops (a churn_rate running then ends by
# itself within SOAK_WAVE seconds)
# shellcheck disable=SC2016
at_exit 'kill $loops 2>/dev/null || :'

# porttop: JSON every 0.2 s; keep the line count and the last line only
iterations=$((secs * 5))
(
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$0"; exec "$@"' "$tmpdir/porttop.pid" \
		"$PORTTOP" -b -d 0.2 -n "$iterations" -o json 2> "$tmpdir/porttop.err"
	echo "$?" > "$tmpdir/porttop.exit"
) | awk -v dir="$tmpdir" '
	{ n++; last = $0 }
	!/^\{.*\}$/ { bad++ }
	END {
		print n + 0 > (dir "/lines")
		print bad + 0 > (dir "/badlines")
		print last > (dir "/last.json")
	}' &
reader=$!
wait_for -t 10 test -s "$tmpdir/porttop.pid"
pt=$(cat "$tmpdir/porttop.pid")
at_exit "kill $pt 2>/dev/null || :"

echo "# t_s rss_kb fds_at_rest fds_max"
: > "$tmpdir/readings"
t0=$(date +%s)
while kill -0 "$pt" 2>/dev/null; do
	t=$(($(date +%s) - t0))
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pt/status" 2>/dev/null)
	[ -n "$rss" ] || break
	# descriptors at rest: the fewest of 5 looks 50 ms apart (a sample
	# holds a /proc file or two open for a moment), and the most
	fds=
	fdmax=0
	k=0
	while [ "$k" -lt 5 ]; do
		n=$(ls "/proc/$pt/fd" 2>/dev/null | wc -l)
		{ [ -z "$fds" ] || [ "$n" -lt "$fds" ]; } && fds=$n
		[ "$n" -gt "$fdmax" ] && fdmax=$n
		sleep 0.05
		k=$((k + 1))
	done
	echo "$t $rss $fds $fdmax" | tee -a "$tmpdir/readings"
	i=0
	while [ "$i" -lt 100 ] && kill -0 "$pt" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
done
wait "$reader"
elapsed=$(($(date +%s) - t0))
wait

# ---- verdict ------------------------------------------------------------
group_begin
check_eq "porttop exit status" 0 "$(cat "$tmpdir/porttop.exit" 2>/dev/null)"
check_eq "porttop stderr" "" "$(head -c 2000 "$tmpdir/porttop.err")"
lines=$(cat "$tmpdir/lines")
check_eq "lines that are not a JSON object" 0 "$(cat "$tmpdir/badlines")"
jq -e . "$tmpdir/last.json" > /dev/null || check_eq "the last line parses" yes no
[ "$lines" -ge $((iterations / 2)) ] ||
	check_eq "samples printed (at least half of $iterations)" yes "$lines"

base=$(awk -v w="$warmup" '$1 >= w { print $2; exit }' "$tmpdir/readings")
[ -n "$base" ] || base=$(tail -n 1 "$tmpdir/readings" | awk '{ print $2 }')
peak=$(awk -v w="$warmup" '$1 >= w && $2 > m { m = $2 } END { print m + 0 }' "$tmpdir/readings")
first=$(head -n 1 "$tmpdir/readings" | awk '{ print $2 }')
maxall=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$tmpdir/readings")
bound=$((base / 10))
[ "$bound" -ge "$slack" ] || bound=$slack
grow=$((peak - base))
[ "$grow" -le "$bound" ] ||
	check_eq "RSS growth after the warm-up (${grow} kB, bound ${bound} kB)" ok grow
fds=$(awk '{ print $3 }' "$tmpdir/readings" | sort -u | tr '\n' ' ')
fdmax=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$tmpdir/readings")
# a leak grows: no reading after the warm-up may exceed the most seen
# at rest during it (which covers the descriptors opened on the way: the
# event socket, the cgroup walk, a new process's directory)
fdwarm=$(awk -v w="$warmup" '$1 < w && $3 > m { m = $3 } END { print m + 0 }' "$tmpdir/readings")
fdafter=$(awk -v w="$warmup" '$1 >= w && $3 > m { m = $3 } END { print m + 0 }' "$tmpdir/readings")
[ "$fdafter" -le "$fdwarm" ] ||
	check_eq "open descriptors at rest after the warm-up (at most $fdwarm)" "$fdwarm" "$fdafter"

conns=$(cat "$tmpdir"/churn.*.json 2>/dev/null | jq -s 'map(.connections) | add // 0')
errs=$(cat "$tmpdir"/churn.*.json 2>/dev/null | jq -s 'map(.errors) | add // 0')
procs=$(ls "$tmpdir"/churn.*.json 2>/dev/null | wc -l)
check_eq "churn errors" 0 "$errs"
[ -f "$tmpdir/churn.failed" ] &&
	check_eq "churn processes that failed" "" "$(head -n 5 "$tmpdir/churn.failed")"
tw=$(jq .tcp.states.TIME_WAIT "$tmpdir/last.json")
group_end "soak"

echo "soak: ${elapsed} s, porttop every 0.2 s: $lines samples ($(awk -v l="$lines" -v e="$elapsed" 'BEGIN { printf "%.2f", l / (e ? e : 1) }')/s)"
echo "soak: churn: $conns connections ($(awk -v c="$conns" -v e="$elapsed" 'BEGIN { printf "%.0f", c / (e ? e : 1) }')/s) to $dests destinations by $procs processes; TIME_WAIT at the end: $tw"
echo "soak: RSS kB: first $first, after the ${warmup} s warm-up $base, peak after it $peak (growth $grow, bound $bound), peak overall $maxall"
echo "soak: open descriptors at rest: $fds(during the warm-up at most $fdwarm, after it at most $fdafter; most seen at any time: $fdmax)"
checks_done
echo "ok soak"
