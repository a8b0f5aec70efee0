#!/bin/sh
# Faults porttop meets on a real system, end to end (the unit-level ones,
# through seams, are in tests/test_faults.c):
#
#   a namespace that disappears
#                 porttop -N PID samples the namespace of a process that
#                 then exits, with its sockets: porttop keeps the
#                 namespace (its descriptor holds it), goes on sampling it
#                 (the same netns id on every line, the sockets gone) and
#                 exits 0; -N naming a process that is already gone fails
#                 at once with exit 3 and a reason;
#   a recording that stops growing
#                 porttop -r on a file another porttop is still writing
#                 (-w) replays the whole samples that are there and exits 0;
#   a recording cut short
#                 a recording whose writer was killed mid-record (a torn
#                 tail): -r replays every whole sample, reports the
#                 damage on stderr with its offset, exits 0; porttop -w on
#                 the same file trims the torn tail and appends, after
#                 which -r finds every sample and no damage;
#   an output that closes
#                 porttop -b -o json | head -n 1: porttop ends (no
#                 endless loop on EPIPE) within a second.
#
# Needs root, unshare, ip and jq; PORTTOP, PORTHELPER and TESTLIB set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool jq
require_tool unshare
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new

netns_sysctl net.ipv4.ip_local_port_range "40000 40199"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_max_tw_buckets 4096

# ---- a namespace that disappears ---------------------------------------------
group_begin
# a process alone in a namespace of its own, holding the helper's population
cat > "$tmpdir/inner.sh" <<'EOF'
ip link set lo up || exit 1
echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range || exit 1
echo 4096 > /proc/sys/net/core/somaxconn
echo $$ > "$DIR/inner.pid"
exec "$PORTHELPER" hold --ready "$DIR/inner.json" --timeout 120 < /dev/null
EOF
DIR=$tmpdir PORTHELPER=$PORTHELPER unshare -n sh "$tmpdir/inner.sh" \
	> "$tmpdir/inner.log" 2>&1 &
inner=$!
at_exit "kill $inner 2>/dev/null; wait $inner 2>/dev/null"
wait_for -t 20 test -s "$tmpdir/inner.json"
ipid=$(cat "$tmpdir/inner.pid")
"$PORTTOP" -b -N "$ipid" -n 8 -d 0.3 -o json > "$tmpdir/ns.json" 2> "$tmpdir/ns.err" &
pt=$!
wait_for -t 10 test -s "$tmpdir/ns.json"
kill "$inner"
wait "$inner" 2>/dev/null
rc=0
wait "$pt" || rc=$?
check_eq "namespace gone: porttop exit status" 0 "$rc"
check_eq "namespace gone: samples printed" 8 "$(wc -l < "$tmpdir/ns.json")"
check_eq "namespace gone: one netns id throughout" 1 \
	"$(jq -r .netns "$tmpdir/ns.json" | sort -u | wc -l)"
first=$(head -n 1 "$tmpdir/ns.json" | jq .tcp.states.ESTABLISHED)
last=$(tail -n 1 "$tmpdir/ns.json" | jq .tcp.states.ESTABLISHED)
[ "$first" -gt 0 ] || check_eq "namespace gone: ESTABLISHED seen before" ">0" "$first"
check_eq "namespace gone: ESTABLISHED after its process went" 0 "$last"
# every line is a whole sample: the states add up to the socket count
bad=$(jq -c 'select(([.tcp.states[]] | add) != .tcp.sockets)' "$tmpdir/ns.json" | wc -l)
check_eq "namespace gone: samples whose states do not add up" 0 "$bad"
# a process already gone: exit 3, a reason
rc=0
"$PORTTOP" -b -N "$ipid" -n 1 > /dev/null 2> "$tmpdir/gone.err" || rc=$?
check_eq "-N of a process already gone: exit status" 3 "$rc"
[ -s "$tmpdir/gone.err" ] || check_eq "-N of a process already gone: a reason" yes no
group_end "a sampled namespace that disappears: porttop goes on, consistent"

# ---- recordings ------------------------------------------------------------
"$PORTHELPER" hold --ready "$tmpdir/ready.json" --timeout 300 < /dev/null \
	> "$tmpdir/helper.log" 2>&1 &
helper=$!
at_exit "kill $helper 2>/dev/null; wait $helper 2>/dev/null"
wait_for -t 20 test -s "$tmpdir/ready.json"

group_begin
rec=$tmpdir/growing.ptr
"$PORTTOP" -b -n 40 -d 0.1 -o json -w "$rec" > /dev/null 2> "$tmpdir/writer.err" &
writer=$!
wait_for -t 10 test -s "$rec"
sleep 0.5
rc=0
"$PORTTOP" -b -r "$rec" -o json > "$tmpdir/growing.json" 2> "$tmpdir/growing.err" || rc=$?
check_eq "replay of a growing file: exit status" 0 "$rc"
n=$(wc -l < "$tmpdir/growing.json")
if [ "$n" -lt 1 ] || [ "$n" -gt 40 ]; then
	check_eq "replay of a growing file: samples (1..40)" yes "$n"
fi
jq -e . "$tmpdir/growing.json" > /dev/null ||
	check_eq "replay of a growing file: whole JSON lines" yes no
wait "$writer" || fail "the writer failed: $(cat "$tmpdir/writer.err")"
group_end "replay of a recording that is still growing"

group_begin
rec=$tmpdir/torn.ptr
"$PORTTOP" -b -n 3 -d 0.1 -o json -w "$rec" > /dev/null 2> "$tmpdir/w3.err" ||
	fail "porttop -w: $(cat "$tmpdir/w3.err")"
size3=$(wc -c < "$rec")
"$PORTTOP" -b -n 1 -o json -w "$rec" > /dev/null 2> "$tmpdir/w4.err" ||
	fail "porttop -w (append): $(cat "$tmpdir/w4.err")"
size4=$(wc -c < "$rec")
# kill -9 mid-write, as it looks on disk: half of the 4th record
cut=$((size3 + (size4 - size3) / 2))
head -c "$cut" "$rec" > "$rec.tmp" && mv "$rec.tmp" "$rec"
rc=0
"$PORTTOP" -b -r "$rec" -o json > "$tmpdir/torn.json" 2> "$tmpdir/torn.err" || rc=$?
check_eq "torn tail: exit status" 0 "$rc"
check_eq "torn tail: whole samples replayed" 3 "$(wc -l < "$tmpdir/torn.json")"
grep -q "$size3" "$tmpdir/torn.err" ||
	check_eq "torn tail: the damage and its offset ($size3) on stderr" yes "$(cat "$tmpdir/torn.err")"
# a later writer trims the torn record and appends
"$PORTTOP" -b -n 1 -o json -w "$rec" > /dev/null 2> "$tmpdir/w5.err" ||
	fail "porttop -w after a torn tail: $(cat "$tmpdir/w5.err")"
"$PORTTOP" -b -r "$rec" -o json > "$tmpdir/trimmed.json" 2> "$tmpdir/trimmed.err" ||
	fail "porttop -r after the trim: $(cat "$tmpdir/trimmed.err")"
check_eq "after the trim: samples" 4 "$(wc -l < "$tmpdir/trimmed.json")"
check_eq "after the trim: damage reported" "" "$(cat "$tmpdir/trimmed.err")"
group_end "a recording cut short: whole samples replayed, damage reported, trimmed by the next writer"

# ---- an output that closes ---------------------------------------------------
group_begin
start=$(date +%s)
"$PORTTOP" -b -d 0.1 -o json 2> "$tmpdir/pipe.err" | head -n 1 > "$tmpdir/pipe.json"
end=$(date +%s)
check_eq "closed output: one line read" 1 "$(wc -l < "$tmpdir/pipe.json")"
[ $((end - start)) -le 3 ] ||
	check_eq "closed output: porttop ended within 3 s" yes "$((end - start)) s"
group_end "an output that closes ends porttop"

checks_done
echo "ok faults"
