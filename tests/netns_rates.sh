#!/bin/sh
# Close rates, the forecast and --check against a known churn, in private
# network namespaces.
#
# tests/churn_rate opens and closes connections to one destination
# (127.0.0.1:5001, outside the range) at a known rate, the client closing
# first, so every client port goes to TIME_WAIT for 60 s. The range is
# 5000 ports and tcp_tw_reuse is 0, so nothing is reused: at R = 200/s the
# destination needs R x 60 s = 12000 ports for good, more than it has, and
# runs out U / R = 25 s after the churn starts (no entry expires before:
# 25 s < 60 s). Scenarios, each in its own namespace:
#   rate     R = 200/s for 12 s; porttop samples every 0.5 s for 76 s.
#            close_rate within 5% of R, counted from destroy events
#            (every connection lives a few microseconds: sampling alone
#            sees none of them alive); eta_s within 10% of U / R minus
#            the time since the churn started; after the churn stops, eta
#            becomes null and, 60 s after they were made, the TIME_WAIT
#            entries drain (and not before).
#   overrun  bursts of 400 closes with a tiny event receive buffer
#            (PORTTOP_EVENTS_RCVBUF=1): porttop reports the lost events
#            and estimated rates, and its close counts still add up to
#            what the helper did; the same bursts with the default buffer
#            lose nothing.
#   check    --check / --check-eta exit codes 0, 1, 2 (and 2 for a usage
#            error) against a slow churn.
#
# Usage: sh netns_rates.sh [SCENARIO]   (no argument: all of them)
# Needs root, unshare, ip, jq and ss; PORTTOP, CHURN_RATE and TESTLIB set.

# jq filters use $ inside single quotes on purpose
# shellcheck disable=SC2016
# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

SCENARIOS="rate overrun check"

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
[ -x "${CHURN_RATE:-}" ] || fail "CHURN_RATE is not an executable: '${CHURN_RATE:-}'"
tmpdir_new

RANGE_LOW=40000
RANGE_HIGH=44999
USABLE=5000
PORT=5001

netns_sysctl net.ipv4.ip_local_port_range "$RANGE_LOW $RANGE_HIGH"
netns_sysctl net.ipv4.tcp_tw_reuse 0
netns_sysctl net.core.somaxconn 4096
# bursts of connects must not overflow the SYN queue (the kernel then
# resets some, and those never reach TIME_WAIT)
netns_sysctl net.ipv4.tcp_max_syn_backlog 4096

out=$tmpdir/porttop.jsonl
# on failure: what porttop said and what the helper did
# shellcheck disable=SC2034
FAIL_HOOK='for f in porttop.err report.json samples.tsv porttop.jsonl check.out; do
	[ -s "$tmpdir/$f" ] && { echo "--- $f"; tail -c 6000 "$tmpdir/$f"; echo; }
done'

pids=
at_exit 'for p in $pids; do kill "$p" 2>/dev/null; done'

# The destination of the churn in porttop's JSON, per sample, as TSV:
# time source events_lost rates_estimated close_rate close_rate_last
# closes eta_s(or -1) available TIME_WAIT ESTABLISHED. A sample without
# it (no socket toward it any more) has zeros.
samples() {
	jq -r --argjson port "$PORT" '
		. as $s |
		($s.destinations | map(select(.daddr == "127.0.0.1" and
			.dport == $port)) | .[0] //
		 {close_rate: 0, close_rate_last: 0, closes: 0, eta_s: null,
		  available: $s.range.usable,
		  states: {TIME_WAIT: 0, ESTABLISHED: 0}}) as $d |
		[$s.time, $s.rates.source, $s.rates.events_lost,
		 $s.rates_estimated, $d.close_rate, $d.close_rate_last,
		 $d.closes, ($d.eta_s // -1), $d.available,
		 $d.states.TIME_WAIT, $d.states.ESTABLISHED] | @tsv' "$1"
}

# called through wait_for
# shellcheck disable=SC2317
lines_at_least() {
	[ "$(wc -l < "$1")" -ge "$2" ]
}

report_field() {
	jq -r ".$1" "$tmpdir/report.json"
}

case $scenario in
rate)
	R=200
	DURATION=12
	"$CHURN_RATE" --port "$PORT" --rate "$R" --duration "$DURATION" \
		--ready "$tmpdir/ready.json" --report "$tmpdir/report.json" &
	churn=$!
	pids="$pids $churn"
	wait_for test -s "$tmpdir/ready.json"
	# a full interval of churn before the first sample
	sleep 1.5
	# 76 s: past the 60 s TIME_WAIT of the last entries (made at 12 s)
	"$PORTTOP" -b -o json -d 0.5 -n 150 > "$out" 2> "$tmpdir/porttop.err" &
	pt=$!
	pids="$pids $pt"
	wait "$churn" || fail "churn_rate failed (see above)"
	wait "$pt" || fail "porttop exited with status $?"

	start=$(jq -r .start "$tmpdir/ready.json")
	end=$(report_field end)
	conns=$(report_field connections)
	[ "$(report_field errors)" = 0 ] || fail "the churn had connect() errors"
	samples "$out" > "$tmpdir/samples.tsv"
	[ -s "$tmpdir/samples.tsv" ] || fail "porttop printed no sample"
	echo "churn: $conns connections, $(report_field rate)/s, longest" \
		"$(report_field max_life_us) us"

	awk -v R="$R" -v U="$USABLE" -v start="$start" -v end="$end" \
	    -v achieved="$(report_field rate)" -v life="$(report_field max_life_us)" \
	    -v conns="$conns" '
	function bad(msg) { print "not ok " msg; nbad++ }
	function abs(x) { return x < 0 ? -x : x }
	BEGIN { FS = "\t"; prev_t = -1 }
	{
		t = $1; src = $2; lost = $3; est = $4; rate = $5; last = $6
		closes = $7; eta = $8; avail = $9; tw = $10; est_n = $11
		n++
		if (lost != "false") bad("events lost at " t)
		if (src == "none") { prev_t = t; next }
		if (src != "events") bad("rates from " src " at " t ", not events")
		if (est != "false") bad("rates marked estimated at " t)
		if (est_n > maxest) maxest = est_n
		if (tw > maxtw) maxtw = tw
		# intervals wholly inside the churn
		if (prev_t >= start && t <= end - 0.05) {
			inside++
			if (abs(rate - R) > 0.05 * R)
				bad(sprintf("close_rate %.2f at %.2f: not within 5%% of %d", rate, t, R))
			sumc += closes; span += t - prev_t
			# nothing expires before the end: U / R - elapsed
			want = U / R - (t - start)
			if (eta < 0)
				bad(sprintf("eta_s null at %.2f, expected %.1f", t, want))
			else if (abs(eta - want) > 0.10 * want)
				bad(sprintf("eta_s %.2f at %.2f: not within 10%% of %.2f", eta, t, want))
			else if (abs(eta - want) > maxerr)
				maxerr = abs(eta - want)
			if (abs(rate - R) > maxrerr) maxrerr = abs(rate - R)
			lastrate = rate; lasteta = eta; lastwant = want
		}
		# after the churn: eta goes away within 20 s and stays away
		if (t > end + 20 && eta >= 0)
			bad(sprintf("eta_s %.1f at %.1f s after the churn stopped", eta, t - end))
		if (t > end + 1) {
			if (tw > prevtw && prevtw >= 0 && seen_after)
				bad(sprintf("TIME_WAIT grew from %d to %d at %.2f with no churn", prevtw, tw, t))
			seen_after = 1
			# every entry is younger than 60 s until start + 60
			if (t < start + 59.5 && tw < 0.99 * conns)
				bad(sprintf("TIME_WAIT %d at %.1f s: drained before 60 s", tw, t - start))
		}
		prevtw = tw
		lastt = t; lasttw = tw
		prev_t = t
	}
	END {
		if (inside < 10) bad("only " inside " samples inside the churn")
		if (abs(achieved - R) > 0.01 * R) bad("the helper did " achieved "/s, not " R)
		if (life >= 500000) bad("a connection lived " life " us, not less than one interval")
		# connections shorter than one sample: counted, though never seen
		if (maxest > 5) bad("up to " maxest " ESTABLISHED seen: the connections were not short")
		if (abs(sumc - R * span) > 0.02 * R * span)
			bad(sprintf("%d closes counted over %.2f s, expected %.0f", sumc, span, R * span))
		if (maxtw < 0.99 * conns) bad("at most " maxtw " TIME_WAIT of " conns)
		if (lastt < start + 73) bad(sprintf("last sample at %.1f s: too early", lastt - start))
		else if (lasttw > 0.01 * maxtw)
			bad(sprintf("TIME_WAIT %d of %d left %.1f s after the start", lasttw, maxtw, lastt - start))
		printf "close_rate %.2f/s for R = %d/s (max error %.2f%%); eta_s %.2f for %.2f computed (max error %.2f s); %d closes counted in %.2f s (R x span %.0f); max ESTABLISHED %d; TIME_WAIT %d -> %d\n", lastrate, R, 100 * maxrerr / R, lasteta, lastwant, maxerr, sumc, span, R * span, maxest, maxtw, lasttw
		exit nbad ? 1 : 0
	}' "$tmpdir/samples.tsv" || fail "rate scenario: see 'not ok' lines"
	echo "ok rate"
	;;

overrun)
	# Bursts with a tiny and then with the default receive buffer.
	for buf in 1 default; do
		rm -f "$tmpdir/report.json" "$out"
		# until stopped below, whatever the churn takes on a busy host
		if [ "$buf" = 1 ]; then
			PORTTOP_EVENTS_RCVBUF=1 "$PORTTOP" -b -o json -d 0.5 -n 1000 \
				> "$out" 2> "$tmpdir/porttop.err" &
		else
			"$PORTTOP" -b -o json -d 0.5 -n 1000 > "$out" 2> "$tmpdir/porttop.err" &
		fi
		pt=$!
		pids="$pids $pt"
		# TIME_WAIT of the previous round is still there
		tw0=$(ss -tanH state time-wait "( dport = :$PORT )" | wc -l)
		# the first sample is the baseline: start after it
		wait_for test -s "$out"
		"$CHURN_RATE" --port "$PORT" --burst 400 --every 1000 --duration 5 \
			--report "$tmpdir/report.json" || fail "churn_rate failed"
		# The kernel's own count of the TIME_WAIT entries made (none
		# has expired yet): what an estimate can see. A loopback burst
		# now and then ends a connection with a reset instead.
		tw=$(($(ss -tanH state time-wait "( dport = :$PORT )" | wc -l) - tw0))
		# three more samples after the last close, then stop porttop;
		# only the lines complete by then count
		n0=$(wc -l < "$out")
		wait_for -t 30 lines_at_least "$out" $((n0 + 3))
		n=$(wc -l < "$out")
		kill "$pt" 2>/dev/null
		wait "$pt" 2>/dev/null
		head -n "$n" "$out" > "$out.done"
		mv "$out.done" "$out"
		conns=$(report_field connections)
		samples "$out" > "$tmpdir/samples.tsv"
		awk -v conns="$conns" -v tw="$tw" -v buf="$buf" '
		function bad(msg) { print "not ok " buf ": " msg; nbad++ }
		BEGIN { FS = "\t" }
		$2 != "none" { sum += $7 }
		$3 == "true" {
			lost++
			if ($2 != "time_wait") bad("events lost but rates from " $2 " at " $1)
			if ($4 != "true") bad("events lost but rates not marked estimated at " $1)
		}
		$4 == "true" { est++ }
		END {
			if (buf == 1 && lost == 0) bad("no overrun reported")
			if (buf != 1 && (lost > 0 || est > 0)) bad(lost " intervals lost events")
			# exact: every close; estimated: the new TIME_WAIT
			# entries stand in for the lost counts, so the sum lies
			# between the two (less at most a few whose events came
			# after the sample their entry was new in)
			if (buf != 1 && sum != conns)
				bad(sum " closes counted for " conns " connections")
			if (buf == 1 && (sum < tw - 0.02 * conns || sum > conns))
				bad(sum " closes counted for " conns " connections, " tw " TIME_WAIT entries")
			if (tw < 0.9 * conns) bad("only " tw " TIME_WAIT entries for " conns " connections")
			printf "buffer %s: %d intervals with lost events, %d closes counted for %d connections (%d TIME_WAIT)\n", buf, lost, sum, conns, tw
			exit nbad ? 1 : 0
		}' "$tmpdir/samples.tsv" || fail "overrun scenario: see 'not ok' lines"
		if [ "$buf" = 1 ]; then
			jq -e '[.warnings[] | select(test("destroy events lost"))] | length > 0' \
				"$out" | grep -q true || fail "no warning about lost events"
			"$PORTTOP" -b -n 1 > /dev/null || fail "porttop -b failed"
		fi
		# the next round in a fresh range: let the TIME_WAIT of this
		# one not count (its entries stay 60 s)
		netns_sysctl net.ipv4.ip_local_port_range "45000 49999"
	done
	echo "ok overrun"
	;;

check)
	netns_sysctl net.ipv4.ip_local_port_range "40000 40999"
	# 20/s x 60 s = 1200 > 1000: runs out, (1000 - 20 t) / 20 s after
	# the start, about 40 s during these checks; 20 s of churn (at most
	# 40% used, eta at least 30 s) outlast them on a slow host too
	"$CHURN_RATE" --port "$PORT" --rate 20 --duration 20 \
		--ready "$tmpdir/ready.json" --report "$tmpdir/report.json" &
	churn=$!
	pids="$pids $churn"
	wait_for test -s "$tmpdir/ready.json"
	sleep 3

	# run_check EXPECTED_STATUS ARGS...: exit code and status line
	run_check() {
		_want=$1
		shift
		"$PORTTOP" "$@" > "$tmpdir/check.out" 2> "$tmpdir/porttop.err"
		_rc=$?
		[ "$_rc" = "$_want" ] ||
			fail "porttop $*: exit $_rc, expected $_want"
		case $_want in
		0) _name=OK ;;
		1) _name=WARNING ;;
		2) _name=CRITICAL ;;
		esac
		head -n 1 "$tmpdir/check.out" | grep -q "^PORTTOP $_name - " ||
			fail "porttop $*: status line is not $_name: $(head -n 1 "$tmpdir/check.out")"
		[ "$(grep -c '^PORTTOP ' "$tmpdir/check.out")" = 1 ] ||
			fail "porttop $*: not exactly one status line"
		echo "ok exit $_rc: $(head -n 1 "$tmpdir/check.out")"
	}
	# about 6-20% used (20 TIME_WAIT per second in 1000 ports)
	run_check 0 --check=50,90 -d 0.5
	grep -q '^rates: over [0-9.]* s, exact' "$tmpdir/check.out" ||
		fail "--check without -n did not take two samples"
	run_check 1 --check=2,50 -d 0.5
	run_check 2 -b --check=1,2 -d 0.5
	# about 40 s left: below 600, above 20
	run_check 1 --check=50,90 --check-eta=600 -d 0.5
	grep -q 'exhausted in' "$tmpdir/check.out" || fail "no forecast in the status line"
	grep -q 'eta_s=[0-9.]*s;600;;0' "$tmpdir/check.out" || fail "no eta_s perfdata"
	run_check 0 --check=50,90 --check-eta=20 -d 0.5 -n 3
	# one sample: no rates, says so
	run_check 0 --check=50,90 -n 1
	grep -q '^rates: none yet' "$tmpdir/check.out" || fail "-n 1: rates not said missing"
	# usage errors are 2 too, with the reason on stderr
	"$PORTTOP" --check=90,50 > /dev/null 2> "$tmpdir/porttop.err"
	rc=$?
	[ "$rc" = 2 ] || fail "--check=90,50: exit $rc, expected 2"
	grep -q 'WARN <= CRIT' "$tmpdir/porttop.err" || fail "--check=90,50: no reason"
	wait "$churn" || fail "churn_rate failed"
	echo "ok check"
	;;
esac
exit 0
