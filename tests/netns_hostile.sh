#!/bin/sh
# Hostile process names, in a private network namespace.
#
# tests/hostile_name renames itself (prctl PR_SET_NAME) to a comm holding
# an OSC title sequence, BEL, a newline, a right-to-left override, C1 and
# invalid UTF-8, re-executes itself with a ~4 KiB command line full of
# escape sequences, CR/LF, bidi overrides and isolates, C1 controls and
# invalid UTF-8, and holds two sockets. Then, for every way porttop shows
# processes:
#   porttop -b -o json   valid JSON, one object per line, no raw control
#                        byte, valid UTF-8; the process row is there (by
#                        pid, with its two sockets) and its comm and
#                        cmdline, decoded, hold no control, bidi or
#                        invalid character and are bounded (63 and 255
#                        bytes);
#   porttop -b (text)    no control byte but newlines, valid UTF-8, no
#                        bidi character, every line bounded;
#   --all-netns          the namespace list (JSON and text), which names
#                        a process per namespace: inert and bounded too;
#   the UI under tmux    the processes view and the sockets view: the
#                        captured screen holds no control byte and no bidi
#                        character; the raw bytes porttop wrote to the
#                        terminal (tmux pipe-pane) never hold the name's
#                        own sequences (its OSC title, clear screen, RTL
#                        override, invalid bytes); the pane title is not
#                        changed; porttop exits 0 and the tty is restored.
#
# Needs root, unshare, ip, tmux, jq and iconv; PORTTOP, HOSTILE_NAME and
# TESTLIB set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

require_tool tmux
require_tool jq
require_tool iconv
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${HOSTILE_NAME:-}" ] || fail "HOSTILE_NAME is not an executable: '${HOSTILE_NAME:-}'"
tmpdir_new

netns_sysctl net.ipv4.ip_local_port_range "40000 40199"

"$HOSTILE_NAME" --ready "$tmpdir/pid" --port 5099 --timeout 300 \
	< /dev/null > "$tmpdir/hostile.log" 2>&1 &
child=$!
at_exit "kill $child 2>/dev/null; wait $child 2>/dev/null"
wait_for -t 10 test -s "$tmpdir/pid"
pid=$(cat "$tmpdir/pid")
assert_eq "hostile_name pid" "$child" "$pid"
# the attack is in place: the kernel shows the raw bytes
LC_ALL=C grep -q "$(printf '\033')" "/proc/$pid/cmdline" ||
	fail "the child's command line holds no ESC"
[ "$(wc -c < "/proc/$pid/cmdline")" -gt 4096 ] ||
	fail "the child's command line is not over 4 KiB"
LC_ALL=C grep -q "$(printf '\033')" "/proc/$pid/comm" ||
	fail "the child's comm holds no ESC"

# inert FILE WHAT [ALLOW_NEWLINE]: no control byte (C0 but newline when
# allowed, DEL), valid UTF-8, no C1 (U+0080..U+009F) nor bidi control
# (U+202A..U+202E, U+2066..U+2069) encoded in it.
inert() {
	if [ "${3:-0}" = 1 ]; then
		_bad=$(LC_ALL=C tr -d '\n' < "$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)
	else
		_bad=$(LC_ALL=C tr -d '\040-\176\200-\377' < "$1" | wc -c)
	fi
	check_eq "$2: raw control bytes" 0 "$_bad"
	iconv -f UTF-8 -t UTF-8 < "$1" > /dev/null 2>&1
	check_eq "$2: valid UTF-8" 0 "$?"
	# C1 controls: \xc2\x80..\xc2\x9f; bidi: \xe2\x80\xaa..\xae,
	# \xe2\x81\xa6..\xa9
	_c1=$(LC_ALL=C grep -c "$(printf '\302')[$(printf '\200-\237')]" "$1")
	check_eq "$2: C1 controls" 0 "$_c1"
	_bidi=$(LC_ALL=C grep -c -e "$(printf '\342\200')[$(printf '\252-\256')]" \
		-e "$(printf '\342\201')[$(printf '\246-\251')]" "$1")
	check_eq "$2: bidi controls" 0 "$_bidi"
}

# longest LINE of FILE must be at most MAX bytes
bounded() {
	_max=$(LC_ALL=C awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$2")
	[ "$_max" -le "$3" ] ||
		check_eq "$1: longest line ($_max bytes) at most $3" yes no
}

# ---- JSON ---------------------------------------------------------------
group_begin
"$PORTTOP" -b -n 1 -o json > "$tmpdir/out.json" 2> "$tmpdir/json.err" ||
	fail "porttop -b -o json failed: $(cat "$tmpdir/json.err")"
check_eq "JSON lines" 1 "$(wc -l < "$tmpdir/out.json")"
jq -e . "$tmpdir/out.json" > /dev/null || fail "porttop's JSON does not parse"
inert "$tmpdir/out.json" "JSON" 1   # one object per line
row=$(jq -c --argjson pid "$pid" '[.processes[] | select(.pid == $pid)]' "$tmpdir/out.json")
check_eq "JSON: rows of the hostile pid" 1 "$(printf '%s' "$row" | jq length)"
check_eq "JSON: its sockets (a listener and both ends of a connection)" 3 \
	"$(printf '%s' "$row" | jq '.[0].sockets')"
for field in comm cmdline; do
	printf '%s' "$row" | jq -j ".[0].$field // \"\"" > "$tmpdir/$field"
	inert "$tmpdir/$field" "JSON $field, decoded"
	n=$(wc -c < "$tmpdir/$field")
	lim=63
	[ "$field" = cmdline ] && lim=255
	[ "$n" -le "$lim" ] || check_eq "JSON $field: $n bytes at most $lim" yes no
	[ "$n" -gt 0 ] || check_eq "JSON $field: shown" yes no
done
# the readable part of the name is kept, the rest is marked
grep -q 'porttop-victim' "$tmpdir/cmdline" ||
	check_eq "JSON cmdline keeps the printable text" yes no
group_end "JSON: hostile names are escaped, sanitised and bounded"

# ---- text ---------------------------------------------------------------
group_begin
"$PORTTOP" -b -n 1 > "$tmpdir/out.txt" 2> "$tmpdir/txt.err" ||
	fail "porttop -b failed: $(cat "$tmpdir/txt.err")"
inert "$tmpdir/out.txt" "text" 1
bounded "text" "$tmpdir/out.txt" 1024
grep -q "^ *$pid " "$tmpdir/out.txt" || check_eq "text: the hostile process row" yes no
group_end "text: hostile names are inert and bounded"

# ---- --all-netns (processes named per namespace) ----------------------------
group_begin
"$PORTTOP" --all-netns -b -n 1 -o json > "$tmpdir/all.json" 2> "$tmpdir/all.err" ||
	fail "porttop --all-netns -o json failed: $(cat "$tmpdir/all.err")"
jq -e . "$tmpdir/all.json" > /dev/null || fail "--all-netns JSON does not parse"
inert "$tmpdir/all.json" "--all-netns JSON" 1
"$PORTTOP" --all-netns -b -n 1 > "$tmpdir/all.txt" 2> "$tmpdir/all.err" ||
	fail "porttop --all-netns failed: $(cat "$tmpdir/all.err")"
inert "$tmpdir/all.txt" "--all-netns text" 1
bounded "--all-netns text" "$tmpdir/all.txt" 1024
group_end "--all-netns: hostile names are inert"

# ---- the UI under tmux -----------------------------------------------------
unset TMUX
sock=porttop-hostile-$$
T() {
	tmux -L "$sock" -f /dev/null "$@"
}
at_exit 'T kill-server 2>/dev/null'
utf8_locale=$(locale -a 2>/dev/null | grep -i -E '^c\.utf-?8$' | head -n 1)

cat > "$tmpdir/run.sh" <<'EOF'
stty -g > "$DIR/stty0"
"$PORTTOP" -d 0.5 2> "$DIR/ui.err"
echo "EXIT=$?" > "$DIR/exit.tmp"
stty -g > "$DIR/stty1"
mv "$DIR/exit.tmp" "$DIR/exit"
exec sleep 300
EOF

group_begin
T new-session -d -s ui -x 160 -y 40 \
	"env DIR='$tmpdir' PORTTOP='$PORTTOP' ${utf8_locale:+LC_ALL=$utf8_locale} sh '$tmpdir/run.sh'" ||
	fail "cannot start tmux"
T pipe-pane -t ui -o "cat >> '$tmpdir/raw'"
title0=$(T display-message -p -t ui '#{pane_title}')
screen_has() {
	T capture-pane -p -t ui > "$tmpdir/screen" 2>/dev/null &&
		grep -q "$1" "$tmpdir/screen"
}
wait_for -t 15 screen_has 'Destinations\|DESTINATIONS\|PROTO'
# the processes view, then the sockets view
T send-keys -t ui 3
wait_for -t 10 screen_has "$pid"
T capture-pane -p -t ui > "$tmpdir/screen-procs"
inert "$tmpdir/screen-procs" "UI processes view" 1
grep -q 'porttop-victim\|pwn' "$tmpdir/screen-procs" ||
	check_eq "UI processes view shows the process" yes no
T send-keys -t ui 4
sleep 1
T capture-pane -p -t ui > "$tmpdir/screen-socks"
inert "$tmpdir/screen-socks" "UI sockets view" 1
# search and filter for the name: the prompt echoes typed text safely
T send-keys -t ui 3 / victim Enter
sleep 1
T capture-pane -p -t ui > "$tmpdir/screen-search"
inert "$tmpdir/screen-search" "UI after a search" 1
T send-keys -t ui q
wait_for -t 10 test -f "$tmpdir/exit"
check_eq "UI exit status" "EXIT=0" "$(cat "$tmpdir/exit")"
check_eq "tty restored (stty -g before and after)" "$(cat "$tmpdir/stty0")" "$(cat "$tmpdir/stty1")"
check_eq "pane title unchanged" "$title0" "$(T display-message -p -t ui '#{pane_title}')"
# porttop's own escape sequences are in the raw stream; the name's are not
for seq in "$(printf '\033]0;pwn')" "$(printf '\033]2;owned')" \
	"$(printf '\033[2J\033[31mX')" "$(printf '\342\200\256')" \
	"$(printf '\342\201\246')" "$(printf '\377')" "$(printf '\302\233')"; do
	n=$(LC_ALL=C grep -c -F "$seq" "$tmpdir/raw")
	check_eq "raw terminal output: the name's sequence $(printf '%s' "$seq" | od -An -c | tr -s ' ' | head -c 40)" 0 "$n"
done
[ -s "$tmpdir/raw" ] || check_eq "raw terminal output captured" yes no
group_end "UI: hostile names reach the terminal inert"

checks_done
echo "ok hostile names"
