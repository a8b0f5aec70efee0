#!/bin/sh
# Recording, replay, import and OpenMetrics with real sockets, in a
# private network namespace:
#
#   round trip  tests/porthelper holds a known population; porttop samples
#               it N times with -w; `porttop -b -r FILE -o json` prints
#               exactly the live JSON, sample by sample;
#   file rules  the recording is mode 0600; -w refuses a symlink and a
#               file that is not a recording, and leaves them alone;
#   torn tail   the file cut at every offset of its last record replays
#               every other sample, reports the damage at the record's
#               offset and exits 0; cut before any whole record, it exits
#               3 ("nothing readable");
#   bit flips   a byte flipped in a copy, at positions all over the file:
#               never a crash, exit 0 unless nothing is readable, and the
#               samples before the damaged record print as they did live;
#   metrics     -o prometheus passes the Prometheus client library's
#               parser and the lint rules of tests/metrics_check.py, and
#               its values are those of the JSON of the same sample;
#               -o openmetrics passes the library's OpenMetrics parser
#               (ends with # EOF, counters named without _total);
#   import      `ss -tanpH` of the population through --import - gives the
#               live counts (less the bound-only socket ss cannot show);
#   demo        `porttop --demo` replays the bundled recording to the
#               exhaustion it shows.
#
# Needs root, unshare, ip, ss, jq and python3 with prometheus_client
# (Debian package python3-prometheus-client); PORTTOP, PORTHELPER,
# TESTDATA, TESTLIB and SRCDIR set.

. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool jq
require_tool ss
require_metrics_check
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new

RANGE_LOW=40000
RANGE_HIGH=40199
N=6
netns_sysctl net.ipv4.ip_local_port_range "$RANGE_LOW $RANGE_HIGH"
netns_sysctl net.ipv4.ip_local_reserved_ports 40050-40059
netns_sysctl net.core.somaxconn 4096

rec=$tmpdir/rec.ptr
FAIL_HOOK='for f in live.json replay.json err om.txt; do
	[ -s "$tmpdir/$f" ] && { echo "--- $f"; head -c 4000 "$tmpdir/$f"; echo; }
done'

# ---- round trip ---------------------------------------------------------
"$PORTHELPER" hold --ready "$tmpdir/ready.json" --timeout 120 < /dev/null &
helper=$!
at_exit "kill $helper 2>/dev/null; wait $helper 2>/dev/null"
wait_for test -s "$tmpdir/ready.json"

"$PORTTOP" -b -o json -n "$N" -d 0.3 -w "$rec" > "$tmpdir/live.json" 2> "$tmpdir/err" ||
	fail "porttop -w exited with $?"
ss -tanpH > "$tmpdir/ss.txt" || fail "ss failed"
assert_eq "live samples" "$N" "$(wc -l < "$tmpdir/live.json" | tr -d ' ')"
"$PORTTOP" -b -o json -r "$rec" > "$tmpdir/replay.json" 2> "$tmpdir/err" ||
	fail "porttop -r exited with $?"
cmp -s "$tmpdir/live.json" "$tmpdir/replay.json" ||
	fail "the replay's JSON differs from the live run's"
[ ! -s "$tmpdir/err" ] || fail "an intact recording reported: $(cat "$tmpdir/err")"
# the population is in it, with its owners
est=$(jq -s '.[0].tcp.states.ESTABLISHED' "$tmpdir/replay.json")
[ "$est" -ge 150 ] || fail "the replay lost sockets: ESTABLISHED $est"
procs=$(jq -s '.[0].processes | length' "$tmpdir/replay.json")
[ "$procs" -ge 1 ] || fail "the replay lost the owners of the sockets"
size=$(wc -c < "$rec" | tr -d ' ')
socks=$(jq -s '[.[] | .tcp.sockets + .udp.sockets] | add' "$tmpdir/live.json")
echo "ok round trip: $N samples equal; $size bytes for $socks socket-samples" \
	"($(awk -v a="$size" -v b="$socks" 'BEGIN { printf "%.2f", a / b }') bytes/socket/sample)"
# -n stops early; the sample count of a text report matches too
assert_eq "replay -n 2" 2 "$("$PORTTOP" -b -o json -r "$rec" -n 2 | wc -l | tr -d ' ')"

# ---- file rules -------------------------------------------------------------
assert_eq "recording mode" 600 "$(stat -c %a "$rec")"
ln -s "$tmpdir/target" "$tmpdir/link.ptr"
"$PORTTOP" -b -n 1 -w "$tmpdir/link.ptr" > /dev/null 2> "$tmpdir/err" &&
	fail "-w followed a symlink"
[ ! -e "$tmpdir/target" ] || fail "-w created the symlink's target"
grep -q "symbolic link" "$tmpdir/err" || fail "no reason given: $(cat "$tmpdir/err")"
printf 'my notes\n' > "$tmpdir/notes.txt"
"$PORTTOP" -b -n 1 -w "$tmpdir/notes.txt" > /dev/null 2> "$tmpdir/err" &&
	fail "-w appended to a file that is not a recording"
assert_eq "notes left alone" "my notes" "$(cat "$tmpdir/notes.txt")"
echo "ok file rules: 0600, no symlink, no clobbering"

# ---- torn tail --------------------------------------------------------------
# u32le FILE OFFSET: the little-endian 32-bit number at OFFSET
u32le() {
	od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '
}
# record_offsets FILE: where each record starts (docs/record-format.md:
# a 16-byte fixed header, its fields, a CRC; then sync, length, CRC and
# payload per record)
record_offsets() {
	_off=$((16 + $(u32le "$1" 12) + 4))
	_size=$(wc -c < "$1" | tr -d ' ')
	while [ "$_off" -lt "$_size" ]; do
		echo "$_off"
		_off=$((_off + 12 + $(u32le "$1" $((_off + 4)))))
	done
}
offsets=$(record_offsets "$rec")
assert_eq "records in the file" "$N" "$(echo "$offsets" | wc -l | tr -d ' ')"
last=$(echo "$offsets" | tail -n 1)
first=$(echo "$offsets" | head -n 1)
second=$(echo "$offsets" | sed -n 2p)
[ -n "$last" ] && [ "$last" -gt 0 ] || fail "cannot find the last record"
head -n $((N - 1)) "$tmpdir/live.json" > "$tmpdir/expect.json"
cut=$last
cuts=0
while [ "$cut" -lt "$size" ]; do
	head -c "$cut" "$rec" > "$tmpdir/cut.ptr"
	"$PORTTOP" -b -o json -r "$tmpdir/cut.ptr" > "$tmpdir/out.json" 2> "$tmpdir/err" ||
		fail "cut at $cut: exit $?: $(cat "$tmpdir/err")"
	cmp -s "$tmpdir/out.json" "$tmpdir/expect.json" ||
		fail "cut at $cut: the intact samples did not replay as they were"
	if [ "$cut" -gt "$last" ]; then
		grep -q "damaged at offset $last " "$tmpdir/err" ||
			fail "cut at $cut: damage not reported at offset $last: $(cat "$tmpdir/err")"
	fi
	cut=$((cut + 1))
	cuts=$((cuts + 1))
done
# nothing readable: exit 3 with a reason
for cut in 0 5 $((first - 1)) $first $((first + 20)); do
	head -c "$cut" "$rec" > "$tmpdir/cut.ptr"
	"$PORTTOP" -b -o json -r "$tmpdir/cut.ptr" > /dev/null 2> "$tmpdir/err"
	rc=$?
	assert_eq "exit status, cut at $cut (nothing readable)" 3 "$rc"
	[ -s "$tmpdir/err" ] || fail "cut at $cut: no reason on stderr"
done
echo "ok torn tail: $cuts cuts of the last record (offset $last of $size)"

# ---- kill -9 while recording ----------------------------------------------------
# Each run is killed at a random moment, often in the middle of a write;
# the next run trims a torn tail before it appends. At the end at most
# the last record can be cut short, and everything before it reads.
kills=0
"$PORTTOP" -b -o json -n 2 -d 0.05 -w "$tmpdir/kill.ptr" > /dev/null ||
	fail "porttop -w exited with $?"
while [ "$kills" -lt 6 ]; do
	"$PORTTOP" -b -o json -d 0.05 -w "$tmpdir/kill.ptr" > /dev/null 2>&1 &
	pid=$!
	sleep "$(( kills % 2 + 1 )).$(( (kills * 37) % 10 ))"
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
	kills=$((kills + 1))
done
"$PORTTOP" -b -o json -r "$tmpdir/kill.ptr" > "$tmpdir/out.json" 2> "$tmpdir/err" ||
	fail "replay after kill -9: exit $?: $(cat "$tmpdir/err")"
damaged=$(grep -c "damaged at offset" "$tmpdir/err")
[ "$damaged" -le 1 ] || fail "after $kills kills: $damaged damaged regions: $(cat "$tmpdir/err")"
if [ "$damaged" = 1 ]; then
	grep -q "cut short" "$tmpdir/err" ||
		fail "the damage after kill -9 is not a torn tail: $(cat "$tmpdir/err")"
fi
got=$(wc -l < "$tmpdir/out.json" | tr -d ' ')
# the two samples of the first run at least; a slow start (sanitizers)
# may be killed before its first sample
[ "$got" -ge 2 ] || fail "after $kills kills only $got samples read"
[ "$got" -gt 2 ] || fail "the killed runs recorded nothing: the test tested nothing"
echo "ok kill -9: $kills runs killed, $got samples read, $damaged torn tail"

# ---- bit flips --------------------------------------------------------------
flips=0
pos=0
step=$((size / 150 + 1))
while [ "$pos" -lt "$size" ]; do
	cp "$rec" "$tmpdir/flip.ptr"
	byte=$(od -An -tu1 -j "$pos" -N1 "$rec" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (byte ^ 0x5a) & 255 )))" |
		dd of="$tmpdir/flip.ptr" bs=1 seek="$pos" conv=notrunc 2> /dev/null
	"$PORTTOP" -b -o json -r "$tmpdir/flip.ptr" > "$tmpdir/out.json" 2> "$tmpdir/err"
	rc=$?
	[ "$rc" -lt 128 ] || fail "flip at $pos: porttop crashed (status $rc)"
	grep -q "runtime error\|AddressSanitizer" "$tmpdir/err" &&
		fail "flip at $pos: sanitizer report: $(cat "$tmpdir/err")"
	if [ "$pos" -lt "$first" ]; then
		assert_eq "flip at $pos (header): exit status" 3 "$rc"
	elif [ "$rc" = 3 ]; then
		# only when nothing is readable: the first key record was hit
		# and every later record is a delta that needs it
		[ "$pos" -lt "$second" ] ||
			fail "flip at $pos: exit 3 although the first record is intact"
		grep -q "no readable sample" "$tmpdir/err" ||
			fail "flip at $pos: exit 3 without saying why: $(cat "$tmpdir/err")"
		[ ! -s "$tmpdir/out.json" ] || fail "flip at $pos: exit 3 after output"
	else
		assert_eq "flip at $pos: exit status" 0 "$rc"
		grep -q "damaged at offset" "$tmpdir/err" ||
			fail "flip at $pos: no damage reported"
		# the samples before the damaged record print as they did live
		before=$(echo "$offsets" | awk -v p="$pos" '$1 <= p { n++ } END { print n - 1 }')
		if [ "$before" -gt 0 ]; then
			head -n "$before" "$tmpdir/out.json" > "$tmpdir/a.json"
			head -n "$before" "$tmpdir/live.json" > "$tmpdir/b.json"
			cmp -s "$tmpdir/a.json" "$tmpdir/b.json" ||
				fail "flip at $pos: samples before the damage changed"
		fi
	fi
	flips=$((flips + 1))
	pos=$((pos + step))
done
echo "ok bit flips: $flips copies, each flipped at one byte, none crashed"

# ---- openmetrics --------------------------------------------------------------
i=1
while [ "$i" -le "$N" ]; do
	"$PORTTOP" -b -r "$rec" -o prometheus -n "$i" --top 3 > "$tmpdir/all.txt" ||
		fail "porttop -o prometheus exited with $?"
	# the last exposition printed is sample i
	awk '/^# HELP porttop_info /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' \
		"$tmpdir/all.txt" > "$tmpdir/om.txt"
	$METRICS_CHECK prometheus "$tmpdir/om.txt" > "$tmpdir/err" 2>&1 ||
		fail "sample $i: -o prometheus: $(cat "$tmpdir/err")"
	"$PORTTOP" -b -r "$rec" -o openmetrics -n "$i" --top 3 > "$tmpdir/all.txt" ||
		fail "porttop -o openmetrics exited with $?"
	awk '/^# HELP porttop_info /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' \
		"$tmpdir/all.txt" > "$tmpdir/real-om.txt"
	$METRICS_CHECK openmetrics "$tmpdir/real-om.txt" > "$tmpdir/err" 2>&1 ||
		fail "sample $i: -o openmetrics: $(cat "$tmpdir/err")"
	js=$(sed -n "${i}p" "$tmpdir/live.json")
	om() {
		awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$tmpdir/om.txt"
	}
	for st in ESTABLISHED TIME_WAIT LISTEN BOUND; do
		assert_eq "sample $i tcp $st" "$(echo "$js" | jq ".tcp.states.$st")" \
			"$(om "porttop_tcp_sockets{state=\"$st\"}")"
	done
	assert_eq "sample $i usable" "$(echo "$js" | jq .range.usable)" \
		"$(om porttop_port_range_usable_ports)"
	assert_eq "sample $i destinations" "$(echo "$js" | jq '.destinations | length')" \
		"$(om porttop_destinations)"
	assert_eq "sample $i top 3" 3 \
		"$(grep -c '^porttop_destination_ports_available{' "$tmpdir/om.txt")"
	echo "$js" | jq -r '.destinations[:3][] | [.proto, .saddr, .daddr, .dport,
		.in_use, .available, .headroom_pct, .close_rate] | @tsv' |
	while IFS='	' read -r proto saddr daddr dport in_use avail pct rate; do
		l="{proto=\"$proto\",saddr=\"$saddr\",daddr=\"$daddr\",dport=\"$dport\"}"
		assert_eq "sample $i $daddr:$dport in_use" "$in_use" \
			"$(om "porttop_destination_ports_in_use$l")"
		assert_eq "sample $i $daddr:$dport available" "$avail" \
			"$(om "porttop_destination_ports_available$l")"
		ratio=$(om "porttop_destination_headroom_ratio$l")
		awk -v r="$ratio" -v p="$pct" 'BEGIN { d = r * 100 - p; exit !(d < 0.051 && d > -0.051) }' ||
			fail "sample $i $daddr:$dport headroom: ratio $ratio vs $pct%"
		got=$(om "porttop_destination_close_rate$l")
		awk -v a="$got" -v b="$rate" 'BEGIN { d = a - b; exit !(d < 0.0006 && d > -0.0006) }' ||
			fail "sample $i $daddr:$dport close rate: $got vs $rate"
	done || exit 1
	rest=$(echo "$js" | jq '[.destinations[3:][].in_use] | add // 0')
	assert_eq "sample $i other destinations in use" "$rest" \
		"$(om porttop_other_destinations_ports_in_use)"
	i=$((i + 1))
done
echo "ok metrics: $N samples pass the Prometheus and OpenMetrics parsers and match the JSON"
"$PORTTOP" -b -n 1 -o prometheus > "$tmpdir/om.txt" ||
	fail "live -o prometheus exited with $?"
$METRICS_CHECK prometheus "$tmpdir/om.txt" > "$tmpdir/err" 2>&1 ||
	fail "live -o prometheus: $(cat "$tmpdir/err")"
"$PORTTOP" -b -n 1 -o openmetrics > "$tmpdir/om.txt" ||
	fail "live -o openmetrics exited with $?"
$METRICS_CHECK openmetrics "$tmpdir/om.txt" > "$tmpdir/err" 2>&1 ||
	fail "live -o openmetrics: $(cat "$tmpdir/err")"
# the two differ as OpenMetrics says, and only so
"$PORTTOP" -b -r "$rec" -n 1 -o prometheus > "$tmpdir/p1.txt"
"$PORTTOP" -b -r "$rec" -n 1 -o openmetrics > "$tmpdir/o1.txt"
assert_eq "OpenMetrics: last line" "# EOF" "$(tail -n 1 "$tmpdir/o1.txt")"
grep -q '^# TYPE porttop_samples counter$' "$tmpdir/o1.txt" ||
	fail "OpenMetrics: the counter family is not named porttop_samples"
assert_eq "OpenMetrics: samples as in the Prometheus text" \
	"$(grep -v '^#' "$tmpdir/p1.txt")" "$(grep -v '^#' "$tmpdir/o1.txt")"
echo "ok metrics: a live sample of each format passes its parser"

# ---- import -----------------------------------------------------------------
"$PORTTOP" --import - --range="$RANGE_LOW-$RANGE_HIGH" -b -o json \
	< "$tmpdir/ss.txt" > "$tmpdir/import.json" 2> "$tmpdir/err" ||
	fail "porttop --import - exited with $?: $(cat "$tmpdir/err")"
js=$(sed -n "${N}p" "$tmpdir/live.json")
for st in ESTABLISHED TIME_WAIT LISTEN; do
	assert_eq "import tcp $st" "$(echo "$js" | jq ".tcp.states.$st")" \
		"$(jq ".tcp.states.$st" "$tmpdir/import.json")"
done
assert_eq "import BOUND (ss cannot show them)" 0 "$(jq .tcp.states.BOUND "$tmpdir/import.json")"
assert_eq "import sysctls unknown" null "$(jq .sysctl.tcp_tw_reuse "$tmpdir/import.json")"
for d in 5001 5002 5003; do
	assert_eq "import in_use toward :$d" \
		"$(echo "$js" | jq "[.destinations[] | select(.dport == $d) | .in_use] | add")" \
		"$(jq "[.destinations[] | select(.dport == $d) | .in_use] | add" "$tmpdir/import.json")"
done
pid=$(jq -r '.processes[0].comm' "$tmpdir/import.json")
assert_eq "import owner" porthelper "$pid"
echo "ok import: ss -tanpH | porttop --import - matches the live counts"

# ---- demo -----------------------------------------------------------------------
"$PORTTOP" --demo -b -o json > "$tmpdir/demo.json" 2> "$tmpdir/err" ||
	fail "porttop --demo exited with $?: $(cat "$tmpdir/err")"
min=$(jq -s '[.[].destinations[0].available // empty] | min' "$tmpdir/demo.json")
assert_eq "the demo reaches exhaustion" 0 "$min"
echo "ok demo: $(wc -l < "$tmpdir/demo.json" | tr -d ' ') samples, down to 0 available"

# ---- the UI on a replay: REPLAY, t, T, b --------------------------------------
require_tool tmux
sock=porttop-record-$$
ui() {
	tmux -L "$sock" "$@"
}
screen() {
	ui capture-pane -p -t rec
}
# see TEXT: wait until the screen shows TEXT
see() {
	wait_for -t 10 sh -c "tmux -L '$sock' capture-pane -p -t rec | grep -qF -- \"\$1\"" sh "$1"
}
at_exit "tmux -L $sock kill-server 2>/dev/null"
ui new-session -d -s rec -x 120 -y 30 \
	"TERM=xterm-256color '$PORTTOP' -r '$rec' -d 60; sleep 30"
see "REPLAY "
see " 1/$N"
see "host "
ui send-keys -t rec t
see " 2/$N"
see "PAUSED"
ui send-keys -t rec t
see " 3/$N"
ui send-keys -t rec T
see " 2/$N"
ui send-keys -t rec b
see "jump to"
ui send-keys -t rec "+999" Enter
see " $N/$N"
ui send-keys -t rec b "0" Enter
see " 1/$N"
ui send-keys -t rec T
see "first sample of the recording"
ui send-keys -t rec b "junk" Enter
see "not a time"
ui send-keys -t rec q
echo "ok replay UI: REPLAY label, t, T and b"
# -w with the UI records too
ui new-session -d -s live -x 120 -y 30 \
	"TERM=xterm-256color '$PORTTOP' -w '$tmpdir/ui.ptr' -d 0.2; sleep 30"
wait_for -t 10 sh -c "tmux -L '$sock' capture-pane -p -t live | grep -q Destinations"
sleep 1
ui send-keys -t live q
wait_for -t 10 sh -c "[ -s '$tmpdir/ui.ptr' ] && '$PORTTOP' -b -r '$tmpdir/ui.ptr' -o json | wc -l | grep -qv '^[01]\$'"
echo "ok -w with the UI: $("$PORTTOP" -b -r "$tmpdir/ui.ptr" -o json | wc -l | tr -d ' ') samples recorded"
echo "ok all"
