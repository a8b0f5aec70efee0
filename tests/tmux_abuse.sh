#!/bin/sh
# Terminal abuse, under tmux in a private network namespace with a known
# population (tests/porthelper hold), porttop sampling every 0.1 s:
#   resize storm   200 resizes in a row (80x24 down to 10x3, up to
#                  250x70, odd sizes), keys mixed in; porttop is still
#                  alive, redraws a whole frame at the final size, and
#                  quits with q: exit 0, tty restored (stty -g before and
#                  after), the shell prompt works again;
#   10x3           a 10x3 pane from the start, every view key, help, a
#                  filter prompt; quits cleanly;
#   keys during    keys sent in bursts while samples are being taken
#   sampling       (sorts, views, filter text, drill-downs, pause): no
#                  crash, the screen keeps updating, q quits, tty restored;
#   SIGHUP         the tmux session is killed under porttop (its
#                  terminal goes away: SIGHUP, then EIO on the tty):
#                  porttop exits promptly, leaves no process behind and
#                  does not spin;
#   lost client    the only client of a session is killed (detached
#                  session: porttop keeps running and quits on q later).
#
# Needs root, unshare, ip and tmux; PORTTOP, PORTHELPER and TESTLIB set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool tmux
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new

netns_sysctl net.ipv4.ip_local_port_range "40000 40199"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_max_tw_buckets 4096

"$PORTHELPER" hold --ready "$tmpdir/ready.json" --timeout 300 < /dev/null \
	> "$tmpdir/helper.log" 2>&1 &
helper=$!
at_exit "kill $helper 2>/dev/null; wait $helper 2>/dev/null"
wait_for -t 20 test -s "$tmpdir/ready.json"

unset TMUX
sock=porttop-abuse-$$
T() {
	tmux -L "$sock" -f /dev/null "$@"
}
at_exit 'T kill-server 2>/dev/null'
utf8_locale=$(locale -a 2>/dev/null | grep -i -E '^c\.utf-?8$' | head -n 1)

# run.sh NAME ARG...: porttop in the pane, then its status, the tty state
# and a prompt check (the shell reads a line from the terminal again).
cat > "$tmpdir/run.sh" <<'EOF'
name=$1
shift
stty -g > "$DIR/$name.stty0"
# shellcheck disable=SC2016
sh -c 'echo $$ > "$0"; exec "$@"' "$DIR/$name.pid" "$PORTTOP" "$@" 2> "$DIR/$name.err"
echo "EXIT=$?" > "$DIR/$name.exit.tmp"
stty -g > "$DIR/$name.stty1"
mv "$DIR/$name.exit.tmp" "$DIR/$name.exit"
printf 'PROMPT> '
read -r line
echo "$line" > "$DIR/$name.line"
exec sleep 300
EOF

# start NAME WxH ARG...
start() {
	_name=$1
	_w=${2%x*}
	_h=${2#*x}
	shift 2
	T new-session -d -s "$_name" -x "$_w" -y "$_h" \
		"env DIR='$tmpdir' PORTTOP='$PORTTOP' ${utf8_locale:+LC_ALL=$utf8_locale} sh '$tmpdir/run.sh' $_name $*" ||
		fail "cannot start a tmux session"
	wait_for -t 10 test -s "$tmpdir/$_name.pid"
}

alive() {
	kill -0 "$(cat "$tmpdir/$1.pid")" 2>/dev/null
}

screen() {
	T capture-pane -p -t "$1"
}

screen_has() {
	screen "$1" 2>/dev/null | grep -q "$2"
}

# quit NAME: q, exit 0, tty restored, the prompt reads a line
quit_clean() {
	T send-keys -t "$1" q
	wait_for -t 10 test -f "$tmpdir/$1.exit"
	check_eq "$1: exit status" "EXIT=0" "$(cat "$tmpdir/$1.exit")"
	check_eq "$1: tty restored (stty -g)" "$(cat "$tmpdir/$1.stty0")" "$(cat "$tmpdir/$1.stty1")"
	wait_for -t 5 screen_has "$1" 'PROMPT>'
	T send-keys -t "$1" "typed back" Enter
	wait_for -t 5 test -s "$tmpdir/$1.line"
	check_eq "$1: the shell reads the terminal again" "typed back" "$(cat "$tmpdir/$1.line")"
	check_eq "$1: stderr" "" "$(cat "$tmpdir/$1.err")"
}

# ---- resize storm ----------------------------------------------------------
group_begin
start storm 80x24 -d 0.1
wait_for -t 10 screen_has storm 'range '
j=0
while [ "$j" -lt 20 ]; do
	for size in 10x3 250x70 11x4 80x24 33x7 200x50 12x3 120x40 79x23 81x25; do
		T resize-window -t storm -x "${size%x*}" -y "${size#*x}" 2>/dev/null
	done
	case $j in
	3) T send-keys -t storm 2 ;;
	7) T send-keys -t storm Tab ;;
	11) T send-keys -t storm 3 ;;
	15) T send-keys -t storm 1 ;;
	esac
	j=$((j + 1))
done
T resize-window -t storm -x 100 -y 30
alive storm || check_eq "storm: porttop alive after 200 resizes" yes no
sleep 1
# a whole frame at the final size: the function bar on the last line
screen storm > "$tmpdir/storm.screen"
check_eq "storm: lines on screen" 30 "$(wc -l < "$tmpdir/storm.screen")"
tail -n 1 "$tmpdir/storm.screen" | grep -q 'Quit\|quit\|q ' ||
	check_eq "storm: function bar redrawn at the bottom" yes no
quit_clean storm
group_end "resize storm: 200 resizes, still drawing, clean exit"

# ---- 10x3 -------------------------------------------------------------------
group_begin
start tiny 10x3 -d 0.1
sleep 0.5
bs=$(printf '\134')   # a backslash: the filter key
for k in 1 2 3 4 Tab h F1 Escape / a b Enter "$bs" x Enter Escape '<' '>' I Space Space + -; do
	T send-keys -t tiny "$k"
done
sleep 0.5
alive tiny || check_eq "tiny: porttop alive at 10x3" yes no
check_eq "tiny: lines on screen" 3 "$(screen tiny | wc -l)"
quit_clean tiny
group_end "10x3: every key, no crash, clean exit"

# ---- keys while sampling ----------------------------------------------------
group_begin
start keys 120x40 -d 0.1
wait_for -t 10 screen_has keys 'range '
n=0
while [ "$n" -lt 30 ]; do
	# a burst: no wait between keys, samples land in between
	T send-keys -t keys 1 j j k '>' I 2 Left Right 3 Enter Escape 4 \
		/ 4 0 Enter "$bs" 1 2 7 Enter Escape End Home PgDn PgUp Space Space
	n=$((n + 1))
done
sleep 0.5
alive keys || check_eq "keys: porttop alive after 900 keys" yes no
screen keys > "$tmpdir/keys.a"
sleep 1.5
screen keys > "$tmpdir/keys.b"
# the header clock moves: samples go on
cmp -s "$tmpdir/keys.a" "$tmpdir/keys.b" &&
	check_eq "keys: the screen still updates" yes no
quit_clean keys
group_end "keys during sampling: no crash, still sampling, clean exit"

# ---- SIGHUP: the terminal goes away -------------------------------------------
group_begin
start hup 80x24 -d 0.1
wait_for -t 10 screen_has hup 'range '
pid=$(cat "$tmpdir/hup.pid")
T kill-session -t hup
# gone within 3 s, not spinning on a dead tty
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	cpu=$(ps -o %cpu= -p "$pid" 2>/dev/null | tr -d ' ')
	kill -9 "$pid" 2>/dev/null
	check_eq "hup: porttop gone after its terminal closed (cpu $cpu%)" yes no
fi
# (the pane's shell dies with it: no exit status to read; the stderr
# file outlives both)
grep -qi 'segmentation\|abort\|sanitizer' "$tmpdir/hup.err" &&
	check_eq "hup: no crash on stderr" "" "$(cat "$tmpdir/hup.err")"
group_end "SIGHUP (session killed): porttop exits promptly, no crash"

# ---- the client goes, the session stays -----------------------------------------
group_begin
start detach 80x24 -d 0.1
wait_for -t 10 screen_has detach 'range '
# attach a client through script(1)-less means: a control-mode client,
# then kill it; the pane's program must not notice
T -C attach-session -t detach < /dev/null > /dev/null 2>&1 &
client=$!
sleep 0.5
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
sleep 0.5
alive detach || check_eq "detach: porttop alive after its client went" yes no
quit_clean detach
group_end "lost client: porttop keeps running, quits cleanly"

checks_done
echo "ok terminal abuse"
