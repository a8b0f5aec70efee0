#!/bin/sh
# Process attribution against the kernel, in private network namespaces.
#
# Two tests/churn clients open connections to a churn server (N and M of
# them), porttop samples while they are alive, then both close them
# client-first: N + M client-side TIME_WAIT entries, which the kernel
# keeps without an owner. porttop must give each TIME_WAIT entry to the
# process that held its socket, by pid and command, even after that
# process exited, without mixing the two.
#
# Scenarios (each in its own namespace):
#   root      porttop as root: per-process attribution; a second porttop
#             with -p restricted to one client counts only its sockets,
#             TIME_WAIT included
#   nobody    porttop as an unprivileged user (setpriv, uid 65534) while
#             the clients run as root: their sockets and TIME_WAIT entries
#             are attributed to uid 0 only, and porttop says that process
#             names need root or CAP_SYS_PTRACE
#
# Usage: sh netns_attrib.sh [SCENARIO]   (no argument: all of them)
# Needs root, unshare, ip, jq (and setpriv for "nobody"); PORTTOP,
# PORTHELPER (tests/churn is found next to it) and TESTLIB set.

# jq filters use $ inside single quotes on purpose
# shellcheck disable=SC2016
# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

SCENARIOS="root nobody"

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
[ "$scenario" != nobody ] || require_tool setpriv
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
CHURN=$(dirname "${PORTHELPER:?PORTHELPER must be set}")/churn
[ -x "$CHURN" ] || fail "tests/churn is not built: '$CHURN'"

tmpdir_new
chmod 755 "$tmpdir" || fail "chmod $tmpdir"
# Every close must leave its TIME_WAIT: with the default tcp_tw_reuse=2 a
# slow run lets later connects (loopback) take over entries older than 1 s.
netns_sysctl net.ipv4.tcp_tw_reuse 0
N=25
M=7
PORT=5001

# complete lines only: porttop may be writing the next one (the file
# exists from the start: a background job's redirection is not at once)
lines() {
	wc -l < "$1"
}
: > "$tmpdir/all.json"
: > "$tmpdir/b.json"
last_line() {
	_n=$(lines "$1")
	[ "$_n" -gt 0 ] || return 1
	sed -n "${_n}p" "$1"
}
# jq -e FILTER on the last complete line of FILE
last_is() {
	_l=$(last_line "$1") || return 1
	printf '%s\n' "$_l" | jq -e "$2" >/dev/null 2>&1
}
# wait until FILE has at least K more complete lines than now
more_lines() {
	_want=$(( $(lines "$1") + $2 ))
	wait_for -t 20 sh -c "[ \$(wc -l < '$1') -ge $_want ]"
}
show_tail() {
	for _f in "$tmpdir"/*.json; do
		[ -f "$_f" ] || continue
		echo "--- last line of $_f:"
		last_line "$_f" | jq -c '{tcp: .tcp.states, processes, unattributed_time_wait, warnings}' 2>/dev/null
	done
}
FAIL_HOOK=show_tail

"$CHURN" serve --port "$PORT" --ready "$tmpdir/srv.ready" &
srv=$!
at_exit "kill $srv 2>/dev/null"
wait_for test -s "$tmpdir/srv.ready"

"$CHURN" client --port "$PORT" -n "$N" --ready "$tmpdir/a.ready" \
	--go "$tmpdir/go" --done "$tmpdir/a.done" &
a_job=$!
"$CHURN" client --port "$PORT" -n "$M" --ready "$tmpdir/b.ready" \
	--go "$tmpdir/go" --done "$tmpdir/b.done" --linger 120 &
b_job=$!
at_exit "kill $a_job $b_job 2>/dev/null"
wait_for test -s "$tmpdir/a.ready"
wait_for test -s "$tmpdir/b.ready"
apid=$(cat "$tmpdir/a.ready")
bpid=$(cat "$tmpdir/b.ready")
[ "$apid" != "$bpid" ] || fail "the two clients have one pid"
# the clients' cgroup v2 path, as /proc shows it (empty without cgroup v2)
acg=$(sed -n 's/^0:://p' "/proc/$apid/cgroup")
cg2=0
grep -q ' - cgroup2 ' /proc/self/mountinfo && [ -n "$acg" ] && cg2=1

if [ "$scenario" = root ]; then
	"$PORTTOP" -b -o json -d 0.2 > "$tmpdir/all.json" 2> "$tmpdir/all.err" &
	pt=$!
	"$PORTTOP" -b -o json -d 0.2 -p "$bpid" > "$tmpdir/b.json" 2> "$tmpdir/b.err" &
	ptb=$!
	at_exit "kill $pt $ptb 2>/dev/null"
	# porttop must see the connections alive before they close
	wait_for -t 20 last_is "$tmpdir/all.json" \
		"[.processes[] | select(.pid == $apid and .sockets == $N)] | length == 1"
	wait_for -t 20 last_is "$tmpdir/all.json" \
		"[.processes[] | select(.pid == $bpid and .sockets == $M)] | length == 1"
	wait_for -t 20 last_is "$tmpdir/b.json" ".tcp.sockets == $M"
	more_lines "$tmpdir/all.json" 2
else
	cp "$PORTTOP" "$tmpdir/porttop" && chmod 755 "$tmpdir/porttop" ||
		fail "cannot copy porttop where uid 65534 can run it"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$tmpdir/porttop" -b -o json -d 0.2 > "$tmpdir/all.json" 2> "$tmpdir/all.err" &
	pt=$!
	at_exit "kill $pt 2>/dev/null"
	# clients (N + M), the server's ends (N + M) and its listener: all
	# of uid 0, none readable
	wait_for -t 20 last_is "$tmpdir/all.json" \
		"[.processes[] | select(.pid == null and .uid == 0 and .sockets >= 2 * ($N + $M) + 1)] | length == 1"
	more_lines "$tmpdir/all.json" 2
fi

# close client-first; client A exits at once, B stays
touch "$tmpdir/go"
wait_for -t 20 test -s "$tmpdir/a.done"
wait_for -t 20 test -s "$tmpdir/b.done"
assert_eq "client A closed" "$N" "$(cat "$tmpdir/a.done")"
assert_eq "client B closed" "$M" "$(cat "$tmpdir/b.done")"
wait "$a_job" || fail "client A failed"
wait_for -t 20 last_is "$tmpdir/all.json" ".tcp.states.TIME_WAIT == $N + $M"
more_lines "$tmpdir/all.json" 2
kill -0 "$pt" 2>/dev/null || fail "porttop exited early: $(cat "$tmpdir/all.err")"

line=$(last_line "$tmpdir/all.json") || fail "no output"
q() {
	printf '%s\n' "$line" | jq -c "$1"
}

group_begin
check_eq "TIME_WAIT in the namespace" "$((N + M))" "$(q '.tcp.states.TIME_WAIT')"
check_eq "unattributed TIME_WAIT" 0 "$(q '.unattributed_time_wait')"
if [ "$scenario" = root ]; then
	check_eq "A: TIME_WAIT attributed" "$N" "$(q ".processes[] | select(.pid == $apid) | .time_wait")"
	check_eq "A: live sockets" 0 "$(q ".processes[] | select(.pid == $apid) | .sockets")"
	check_eq "A: destinations" 1 "$(q ".processes[] | select(.pid == $apid) | .destinations")"
	check_eq "A: comm" '"churn"' "$(q ".processes[] | select(.pid == $apid) | .comm")"
	check_eq "A: command" true "$(q ".processes[] | select(.pid == $apid) | .cmdline | contains(\"churn client --port $PORT -n $N \")")"
	check_eq "A: user" '"root"' "$(q ".processes[] | select(.pid == $apid) | .user")"
	[ "$cg2" = 0 ] ||
		check_eq "A: cgroup" "\"$acg\"" "$(q ".processes[] | select(.pid == $apid) | .cgroup")"
	check_eq "B: TIME_WAIT attributed" "$M" "$(q ".processes[] | select(.pid == $bpid) | .time_wait")"
	check_eq "B: command" true "$(q ".processes[] | select(.pid == $bpid) | .cmdline | contains(\"-n $M \")")"
	check_eq "no uid-only row" 0 "$(q '[.processes[] | select(.pid == null)] | length')"
	check_eq "no warning" 0 "$(q '[.warnings[] | select(test("CAP_SYS_PTRACE"))] | length')"
	group_end "root: $N + $M TIME_WAIT entries attributed to their processes"

	group_begin
	bline=$(last_line "$tmpdir/b.json") || fail "no -p output"
	qb() {
		printf '%s\n' "$bline" | jq -c "$1"
	}
	check_eq "-p: pid_filter" "[$bpid]" "$(qb '.pid_filter')"
	check_eq "-p: TCP sockets" "$M" "$(qb '.tcp.sockets')"
	check_eq "-p: TIME_WAIT" "$M" "$(qb '.tcp.states.TIME_WAIT')"
	check_eq "-p: processes" "[$bpid]" "$(qb '[.processes[].pid]')"
	check_eq "-p: destination in use" "$M" "$(qb '[.destinations[].in_use] | add')"
	group_end "root: -p $bpid counts only that process's sockets"
else
	check_eq "uid 0 row: TIME_WAIT" "$((N + M))" "$(q '.processes[] | select(.pid == null and .uid == 0) | .time_wait')"
	check_eq "uid 0 row: user" '"root"' "$(q '.processes[] | select(.pid == null and .uid == 0) | .user')"
	# the kernel's cgroup id of the sockets, mapped through the cgroup2 tree
	[ "$cg2" = 0 ] ||
		check_eq "uid 0 row: cgroup" "\"$acg\"" "$(q '.processes[] | select(.pid == null and .uid == 0) | .cgroup')"
	check_eq "no process row" 0 "$(q '[.processes[] | select(.pid != null)] | length')"
	check_eq "the warning" 1 "$(q '[.warnings[] | select(test("process names need root or CAP_SYS_PTRACE"))] | length')"
	group_end "nobody: TIME_WAIT attributed to uid 0 only, with the warning"
fi
checks_done
