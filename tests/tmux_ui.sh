#!/bin/sh
# porttop's terminal UI, end to end, under tmux in a private network
# namespace with a known population (tests/porthelper hold).
#
# porttop runs in an 80x24 pane. The test reads the screen with
# capture-pane and drives it with send-keys: the header shows the
# namespace's sysctls, the destinations view the helper's TIME_WAIT and
# ESTABLISHED counts; it switches views, sorts, filters, searches, drills
# into a destination and back, opens the help, pauses, resizes the pane
# (down to 10x3), and quits with q: porttop exits 0 and leaves the terminal
# as it found it (stty settings, the normal screen). Then: -n N ends it
# after N samples; SIGTERM, SIGHUP and SIGINT end it cleanly too; a pane
# that disappears does not leave it spinning; an idle porttop uses no CPU
# between samples; an unknown TERM, TERM=dumb and a non-terminal give a
# clear error; --ascii draws 7-bit text and --no-color (and NO_COLOR) no
# colours.
#
# Needs root, unshare, ip, tmux and jq; PORTTOP, PORTHELPER and TESTLIB set.

. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool tmux
require_tool jq
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new

netns_sysctl net.ipv4.ip_local_port_range "40000 40199"
netns_sysctl net.ipv4.ip_local_reserved_ports "40050-40059"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_tw_reuse 0
netns_sysctl net.ipv4.tcp_max_tw_buckets 4096

# ---- the population ---------------------------------------------------
truth=$tmpdir/ready.json
"$PORTHELPER" hold --ready "$truth" --timeout 300 < /dev/null > "$tmpdir/helper.log" 2>&1 &
helper=$!
at_exit "kill $helper 2>/dev/null; wait $helper 2>/dev/null"
wait_for -t 20 test -s "$truth"
kill -0 "$helper" 2>/dev/null || fail "porthelper hold exited: $(cat "$tmpdir/helper.log")"

# ---- tmux, on a private server ------------------------------------------
unset TMUX
sock=porttop-test-$$
T() {
	tmux -L "$sock" -f /dev/null "$@"
}
at_exit 'T kill-server 2>/dev/null'

# A UTF-8 locale when there is one: the glyphs are then exercised too.
utf8_locale=$(locale -a 2>/dev/null | grep -i -E '^c\.utf-?8$' | head -n 1)

# run.sh NAME ARG...: porttop in the pane; then its status and the tty state.
cat > "$tmpdir/run.sh" <<'EOF'
name=$1
shift
stty -g > "$DIR/$name.stty0"
# shellcheck disable=SC2016
sh -c 'echo $$ > "$0"; exec "$@"' "$DIR/$name.pid" "$PORTTOP" "$@" 2> "$DIR/$name.err"
echo "EXIT=$?" > "$DIR/$name.exit.tmp"
stty -g > "$DIR/$name.stty1"
mv "$DIR/$name.exit.tmp" "$DIR/$name.exit"
echo "porttop-test: $name done"
exec sleep 300
EOF

# start NAME [ENV=VALUE...] -- ARG...: a new 80x24 session running porttop
start() {
	_name=$1
	shift
	_env=
	while [ "$1" != -- ]; do
		_env="$_env $1"
		shift
	done
	shift
	T new-session -d -s "$_name" -x 80 -y 24 \
		"env DIR='$tmpdir' PORTTOP='$PORTTOP' ${utf8_locale:+LC_ALL=$utf8_locale} $_env sh '$tmpdir/run.sh' $_name $*" ||
		fail "tmux new-session failed"
	wait_for test -s "$tmpdir/$_name.pid"
}

cap() {
	T capture-pane -p -t "$cur" 2>/dev/null
}
has() {
	cap | grep -F -q -- "$1"
}
lacks() {
	! has "$1"
}
# see TEXT: wait until the screen shows TEXT
see() {
	wait_for -t 10 has "$1"
}
gone() {
	wait_for -t 10 lacks "$1"
}
keys() {
	T send-keys -t "$cur" "$@"
}
# type TEXT: send TEXT as literal characters
type_() {
	T send-keys -t "$cur" -l "$1"
}
has_re() {
	cap | grep -E -q -- "$1"
}
rows_are() {
	[ "$(table AVAIL | grep -c .)" = "$1" ]
}
first_remote() {
	table AVAIL | awk 'NR == 1 { print $2 }'
}
first_remote_is_not() {
	[ "$(first_remote)" != "$1" ]
}
last_line_has() {
	cap | sed -n "${1}p" | grep -F -q -- "$2"
}
# table: the rows under the table's title line (the one with TITLE); an
# inexact AVAIL ("≥68 ~98", ">=68 ~98" with --ascii) reads as its estimate,
# one field like an exact one
table() {
	cap | awk -v t="$1" 'found && /F1Help/ { exit } found { print } index($0, t) { found = 1 }' |
		sed -E 's/(≥|>=)[0-9]+[kM]? ~([0-9]+[kM]?)/\2/g'
}
# dest_field DEST COLUMN: the value in COLUMN (1-based among LOCAL REMOTE TW
# EST OTH USED AVAIL) of the destinations row whose REMOTE is DEST
dest_field() {
	table AVAIL | awk -v d="$1" -v c="$2" '$2 == d { print $c; exit }'
}
exited() {
	test -s "$tmpdir/$cur.exit"
}
FAIL_HOOK='echo "--- screen ($cur):"; cap; for f in "$tmpdir"/*.err; do [ -s "$f" ] && { echo "--- $f"; cat "$f"; }; done'

netns=$(readlink /proc/self/ns/net)

# ======== 1. the main session: views and keys at 80x24 ========
cur=main
start main -- -d 0.5
see "F10Quit"
see "1 Destinations"

# ---- header: host, netns, range, sysctls, totals, worst ----
see "range 40000-40199"
see "reserved 10"
see "usable 190"
see "tw_reuse 0"
see "timestamps 1"
see "max_tw 4096"
see "netns $netns"
see "host $(uname -n | cut -c 1-10)"
tw_total=$(jq '[.destinations[].time_wait] | add' "$truth")
est_total=$(jq '[.destinations[].established] | add' "$truth")
[ "$tw_total" -gt 0 ] || fail "the helper made no TIME_WAIT entries"
# the helper's own clients and their server ends are all ESTABLISHED
see "TW $tw_total "
see "EST $((est_total * 2)) "
see "owned $(jq '.owned | length' "$truth")"
see "every 0.5s"
echo "ok header: range, reserved, usable, sysctls, netns, TW=$tw_total EST=$((est_total * 2))"

# ---- destinations: one row each, the helper's counts ----
ndest=$(jq '.destinations | length' "$truth")
assert_eq "destination rows" "$ndest" "$(table AVAIL | grep -c .)"
jq -r '.destinations[] | [.daddr, .dport, .time_wait, .established, .in_use] | @tsv' "$truth" |
while IFS='	' read -r daddr dport tw est use; do
	case $daddr in
	*:*) remote="[$daddr]:$dport" ;;
	*) remote="$daddr:$dport" ;;
	esac
	assert_eq "$remote TW" "$tw" "$(dest_field "$remote" 3)"
	assert_eq "$remote EST" "$est" "$(dest_field "$remote" 4)"
	assert_eq "$remote USED" "$use" "$(dest_field "$remote" 6)"
	owned=$(jq '.owned | length' "$truth")
	assert_eq "$remote AVAIL" "$((190 - owned - use))" "$(dest_field "$remote" 7)"
done || exit 1
# most at risk first
avails=$(table AVAIL | awk 'NF { print $7 }' | tr '\n' ' ')
assert_eq "rows by available ascending" "$(echo $avails | tr ' ' '\n' | sort -n | tr '\n' ' ')" "$avails"
echo "ok destinations: $ndest rows with the helper's TIME_WAIT, ESTABLISHED, in-use counts"

# ---- sort: < moves to USED, I inverts ----
type_ '<'
wait_for -t 5 has_re 'USED(v|▼)'
first=$(first_remote)
top_use=$(jq -r '.destinations | max_by(.in_use) | if (.daddr | test(":")) then "[\(.daddr)]:\(.dport)" else "\(.daddr):\(.dport)" end' "$truth")
assert_eq "first row sorted by USED descending" "$top_use" "$first"
type_ I
wait_for -t 5 has_re 'USED(\^|▲)'
wait_for -t 5 first_remote_is_not "$first"
echo "ok sort: < (USED, descending), I (inverted)"
type_ '>'
wait_for -t 5 has_re 'AVAIL(\^|▲)'

# ---- filter by port, then clear ----
type_ '\5002'
keys Enter
see "filter: 5002"
wait_for -t 5 rows_are 1
table AVAIL | grep -q '127\.0\.0\.1:5002' || fail "the filtered row is not 127.0.0.1:5002"
keys Escape
gone "filter: 5002"
wait_for -t 5 rows_are "$ndest"
printf '%s\n' 'ok filter: \5002 keeps one row, Esc clears it'

# ---- search and drill into 127.0.0.1:5001, then back ----
type_ /127.0.0.1:5001
keys Enter
see "F10Quit"
keys Enter
see "Destinations > tcp 127.0.0.1 -> 127.0.0.1:5001"
tw5001=$(jq '.destinations[] | select(.daddr == "127.0.0.1" and .dport == 5001) | .time_wait' "$truth")
est5001=$(jq '.destinations[] | select(.daddr == "127.0.0.1" and .dport == 5001) | .established' "$truth")
# tcp_tw_reuse is 0 here: nothing is reusable
see "TIME_WAIT $tw5001 (0 reusable)  ESTABLISHED $est5001"
wait_for -t 5 has_re "Owners: .*; $tw5001 TIME_WAIT (of no known process|\\(owned by no process\\))"
table REMOTE | grep -q 'TIME_WAIT *127\.0\.0\.1:400[0-9][0-9] *127\.0\.0\.1:5001' ||
	fail "the drill-down does not list the TIME_WAIT sockets"
# its heatmap, from here
type_ m
see "127.0.0.1:5001 > Map"
see "port/cell"
keys Escape
gone " > Map"
keys BSpace
see "1 Destinations"
gone "Destinations >"
echo "ok drill-down: Enter shows the sockets of 127.0.0.1:5001 (TW=$tw5001 EST=$est5001), Esc/Backspace go back"

# ---- the other views ----
keys 2
see "All destinations:"
see "40000 "
see "TIME_WAIT"
keys d
see "available"
keys D
see "All destinations:"
keys 3
wait_for -t 5 has_re 'No process information|COMMAND'
if has COMMAND; then
	see porthelper
fi
keys 4
see "STATE"
see "127.0.0.1:5001"
keys Tab
see "HEADROOM"
keys Tab
see "All destinations:"
keys BTab
see "HEADROOM"
echo "ok views: heatmap (all, one destination), processes, sockets, Tab"

# ---- help, pause, interval ----
keys F1
see "KEYS"
see "Destinations > Help"
keys Escape
gone "KEYS"
type_ '?'
see "KEYS"
type_ h
gone "KEYS"
keys Space
see PAUSED
keys Space
gone PAUSED
type_ +
see "every 1s"
type_ -
see "every 0.5s"
keys C-l
see "F10Quit"
echo "ok help (F1, ?, h, Esc), pause (Space), interval (+ -), Ctrl-L"

# ---- resize: bigger, tiny, back ----
T resize-window -t main -x 120 -y 40
wait_for -t 10 last_line_has 40 F10Quit
T resize-window -t main -x 10 -y 3
see "too small"
T resize-window -t main -x 30 -y 8
gone "too small"
see "AVAIL"
T resize-window -t main -x 80 -y 24
see "HEADROOM"
wait_for -t 10 last_line_has 24 F10Quit
kill -0 "$(cat "$tmpdir/main.pid")" || fail "porttop died while resizing"
echo "ok resize: 120x40, 10x3 (a notice), 30x8 (a narrow table), 80x24"

# ---- quit ----
keys q
wait_for -t 5 exited
assert_eq "porttop's exit status after q" "EXIT=0" "$(cat "$tmpdir/main.exit")"
assert_eq "terminal settings after q" "$(cat "$tmpdir/main.stty0")" "$(cat "$tmpdir/main.stty1")"
see "porttop-test: main done"
lacks "F10Quit" || fail "porttop's screen is still shown after q"
[ ! -s "$tmpdir/main.err" ] || fail "porttop wrote to stderr: $(cat "$tmpdir/main.err")"
echo "ok quit: q, exit 0, terminal restored"

# ---- -n: a number of samples, then a clean exit ----
cur=iter
start iter -- -d 0.2 -n 3
wait_for -t 10 exited
assert_eq "exit status after -n 3" "EXIT=0" "$(cat "$tmpdir/iter.exit")"
assert_eq "terminal settings after -n 3" "$(cat "$tmpdir/iter.stty0")" "$(cat "$tmpdir/iter.stty1")"
T kill-session -t iter
echo "ok -n 3: exit 0 after three samples"

# ======== 2. signals, a vanished terminal, idle CPU ========
for sig in TERM HUP INT; do
	cur=sig$sig
	start "$cur" -- -d 0.5
	see "F10Quit"
	kill -s "$sig" "$(cat "$tmpdir/$cur.pid")"
	wait_for -t 5 exited
	assert_eq "exit status after SIG$sig" "EXIT=0" "$(cat "$tmpdir/$cur.exit")"
	assert_eq "terminal settings after SIG$sig" "$(cat "$tmpdir/$cur.stty0")" "$(cat "$tmpdir/$cur.stty1")"
	see "porttop-test: $cur done"
	lacks "F10Quit" || fail "porttop's screen is still shown after SIG$sig"
	T kill-session -t "$cur"
done
echo "ok signals: SIGTERM, SIGHUP, SIGINT end porttop with status 0 and restore the terminal"

cur=idle
start idle -- -d 5
see "F10Quit"
pid=$(cat "$tmpdir/idle.pid")
sleep 1
# utime + stime, fields 14 and 15 (after the command name in parentheses)
ticks() {
	sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'
}
t0=$(ticks)
sleep 2
t1=$(ticks)
[ $((t1 - t0)) -le 2 ] || fail "idle porttop used $((t1 - t0)) clock ticks in 2 s"
echo "ok idle: $((t1 - t0)) clock ticks in 2 s between samples"
# The pane goes away (like a dropped SSH link): porttop must end.
T kill-session -t idle
wait_for -t 5 sh -c "! kill -0 $pid 2>/dev/null"
echo "ok vanished terminal: porttop ended"

# ======== 3. errors, ASCII, monochrome ========
cur=badterm
start badterm TERM=xterm-foo -- -d 0.5
wait_for -t 5 exited
grep -q "unknown terminal type 'xterm-foo'" "$tmpdir/badterm.err" ||
	fail "no clear error for an unknown TERM: $(cat "$tmpdir/badterm.err")"
[ "$(cat "$tmpdir/badterm.exit")" != "EXIT=0" ] || fail "an unknown TERM exited 0"
assert_eq "terminal settings after a bad TERM" "$(cat "$tmpdir/badterm.stty0")" "$(cat "$tmpdir/badterm.stty1")"
T kill-session -t badterm
cur=dumbterm
start dumbterm TERM=dumb -- -d 0.5
wait_for -t 5 exited
grep -q "terminal type 'dumb' cannot move the cursor" "$tmpdir/dumbterm.err" ||
	fail "no clear error for TERM=dumb: $(cat "$tmpdir/dumbterm.err")"
[ "$(cat "$tmpdir/dumbterm.exit")" != "EXIT=0" ] || fail "TERM=dumb exited 0"
T kill-session -t dumbterm
"$PORTTOP" -d 0.5 < /dev/null > "$tmpdir/notty.out" 2> "$tmpdir/notty.err" && fail "porttop without a terminal exited 0"
grep -q "terminal" "$tmpdir/notty.err" || fail "no clear error without a terminal: $(cat "$tmpdir/notty.err")"
echo "ok errors: unknown TERM, TERM=dumb, not a terminal"

esc=$(printf '\033')
cur=ascii
start ascii -- -d 0.5 --ascii
see "F10Quit"
keys 2
see "All destinations:"
cap | LC_ALL=C grep -q '[^ -~]' && fail "--ascii drew a character outside 7-bit ASCII"
keys q
wait_for -t 5 exited
T kill-session -t ascii
echo "ok --ascii: 7-bit screen"

for how in opt env; do
	cur=mono$how
	if [ $how = opt ]; then
		start "$cur" -- -d 0.5 --no-color
	else
		start "$cur" NO_COLOR=1 -- -d 0.5
	fi
	see "F10Quit"
	keys 2
	see "All destinations:"
	T capture-pane -e -p -t "$cur" | grep -q -E "$esc\\[([0-9]+;)*(3[0-7]|4[0-7]|38|48|9[0-7])(;|m)" &&
		fail "monochrome ($how) drew colours"
	keys q
	wait_for -t 5 exited
	T kill-session -t "$cur"
done
# and colours by default, where the terminal has them
cur=color
start color -- -d 0.5
see "F10Quit"
T capture-pane -e -p -t color | grep -q -E "$esc\\[([0-9]+;)*(3[0-7]|4[0-7])(;|m)" ||
	fail "no colours by default"
keys q
wait_for -t 5 exited
echo "ok colours: by default; none with --no-color or NO_COLOR"

echo "ok tmux_ui"
