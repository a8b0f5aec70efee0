# Shared shell helpers for porttop's namespace and terminal tests.
# POSIX sh (tests run as `sh script`). Source it: . "$TESTLIB"
#
# Exit codes follow automake: 0 pass, 77 skip, anything else fail.
# A missing prerequisite (root, unshare, a tool) skips, unless
# PORTTOP_REQUIRE_NETNS=1 (CI sets it), in which case it fails.
#
#   netns_enter "$0" "$@"    re-run the calling script in a new private
#                            network namespace (unshare -n), once; returns
#                            inside it with lo up
#   netns_require            skip (or fail) unless netns_enter can work
#   netns_sysctl NAME VALUE  write a per-netns sysctl through /proc/sys and
#                            check it reads back
#   require_tool NAME        skip (or fail) when NAME is not installed
#   require_metrics_check    skip (or fail) unless python3 with
#                            prometheus_client can run
#                            tests/metrics_check.py; sets $METRICS_CHECK
#                            (a command: $METRICS_CHECK prometheus FILE)
#   tmpdir_new               make $tmpdir, removed at exit (kept when
#                            PORTTOP_KEEP_TMP=1)
#   at_exit 'CMD'            run CMD at exit, before $tmpdir goes
#   fail MSG                 print "FAIL: MSG" and exit 1 (runs $FAIL_HOOK
#                            first, if set)
#   assert_eq WHAT EXPECTED ACTUAL   fail unless equal
#   check_eq WHAT EXPECTED ACTUAL    print "not ok" unless equal and go on;
#                            checks_done then fails if any check did not hold
#   group_begin; ...; group_end MSG   print "ok MSG", or "not ok MSG" when a
#                            check_eq in between did not hold
#   skip_or_fail REASON      a prerequisite is missing: skip, or fail
#                            under PORTTOP_REQUIRE_NETNS=1
#   wait_for [-t SECS] CMD...  run CMD every 0.1 s until it succeeds; fail
#                            after SECS whole seconds (default
#                            $WAIT_FOR_TIMEOUT or 10)

# skip_or_fail REASON: a prerequisite is missing.
skip_or_fail() {
	if [ "${PORTTOP_REQUIRE_NETNS:-0}" = 1 ]; then
		echo "FAIL: $* (PORTTOP_REQUIRE_NETNS=1: this test must run, not skip)" >&2
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

fail() {
	if [ -n "${FAIL_HOOK:-}" ]; then
		_hook=$FAIL_HOOK
		FAIL_HOOK=
		eval "$_hook" >&2 || :
	fi
	echo "FAIL: $*" >&2
	exit 1
}

assert_eq() {
	[ "$#" -eq 3 ] || fail "assert_eq needs WHAT EXPECTED ACTUAL, got $# arguments"
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

_lib_failed=0
check_eq() {
	[ "$#" -eq 3 ] || fail "check_eq needs WHAT EXPECTED ACTUAL, got $# arguments"
	[ "$2" = "$3" ] && return 0
	echo "not ok $1: expected '$2', got '$3'" >&2
	_lib_failed=$((_lib_failed + 1))
	return 1
}

group_begin() {
	_lib_group_failed=$_lib_failed
}

group_end() {
	if [ "$_lib_failed" -eq "${_lib_group_failed:-0}" ]; then
		echo "ok $*"
	else
		echo "not ok $*"
	fi
}

checks_done() {
	[ "$_lib_failed" -eq 0 ] || fail "$_lib_failed check(s) did not hold (see 'not ok' above)"
}

require_tool() {
	command -v "$1" >/dev/null 2>&1 || skip_or_fail "$1 is not installed"
}

require_metrics_check() {
	[ -d "${SRCDIR:-}" ] || fail "SRCDIR is not a directory: '${SRCDIR:-}'"
	# python3, or Debian's own when python3 is some other installation
	for _py in ${PYTHON:-} python3 /usr/bin/python3; do
		if "$_py" -c 'import prometheus_client.parser' 2>/dev/null; then
			METRICS_CHECK="$_py $SRCDIR/tests/metrics_check.py"
			return 0
		fi
	done
	skip_or_fail "python3 with prometheus_client (Debian package python3-prometheus-client) is not installed"
}

wait_for() {
	_secs=${WAIT_FOR_TIMEOUT:-10}
	if [ "${1:-}" = -t ]; then
		_secs=$2
		shift 2
	fi
	# polls every 0.1 s
	_tries=$((_secs * 10))
	while ! "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || fail "timed out after ${_secs}s waiting for: $*"
		sleep 0.1
	done
}

_lib_exit_cmds=
at_exit() {
	_lib_exit_cmds="$_lib_exit_cmds
$1"
}

_lib_cleanup() {
	_rc=$?
	trap - EXIT
	eval "$_lib_exit_cmds" || :
	if [ -n "${tmpdir:-}" ] && [ -d "$tmpdir" ]; then
		if [ "${PORTTOP_KEEP_TMP:-0}" = 1 ]; then
			echo "kept $tmpdir" >&2
		else
			rm -rf "$tmpdir"
		fi
	fi
	exit "$_rc"
}
trap _lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tmpdir_new() {
	tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/porttop-test.XXXXXX") ||
		fail "cannot create a temporary directory"
}

_lib_netns_id() {
	readlink /proc/self/ns/net 2>/dev/null
}

# netns_enter re-executes the script as `exec unshare -n -- sh SCRIPT`: the
# same process, so the same $$. The markers hold that pid and the namespace
# it started from; a script is inside only when both fit, so a marker that
# leaked into some other process's environment cannot make it write sysctls
# of a namespace it shares with the host.
_lib_in_netns=0
netns_enter() {
	_script=$1
	shift
	_here=$(_lib_netns_id) || skip_or_fail "cannot read /proc/self/ns/net"
	if [ "${PORTTOP_NETNS_PID:-}" = "$$" ]; then
		# re-executed by the branch below
		[ "${PORTTOP_NETNS_FROM:-}" != "$_here" ] ||
			fail "unshare -n left the script in the namespace it started in"
		_lib_in_netns=1
		ip link set lo up || fail "cannot bring up lo in the private network namespace"
		return 0
	fi
	netns_require
	PORTTOP_NETNS_FROM=$_here
	PORTTOP_NETNS_PID=$$
	export PORTTOP_NETNS_FROM PORTTOP_NETNS_PID
	trap - EXIT
	exec unshare -n -- sh "$_script" "$@"
}

netns_require() {
	require_tool unshare
	require_tool ip
	[ "$(id -u)" = 0 ] ||
		skip_or_fail "needs root to make a private network namespace (unshare -n); uid is $(id -u)"
	_err=$(unshare -n true 2>&1) ||
		skip_or_fail "unshare -n does not work here: $_err"
}

netns_sysctl() {
	[ "$_lib_in_netns" = 1 ] ||
		fail "netns_sysctl $1: refusing, not inside a private network namespace (call netns_enter first)"
	_path=/proc/sys/$(printf '%s' "$1" | tr . /)
	[ -e "$_path" ] || fail "sysctl $1 does not exist ($_path)"
	printf '%s\n' "$2" > "$_path" || fail "cannot write $2 to $_path"
	# the kernel prints ranges with a tab: compare with blanks squeezed
	_got=$(tr -s ' \t' '  ' < "$_path")
	_want=$(printf '%s' "$2" | tr -s ' \t' '  ')
	assert_eq "sysctl $1" "$_want" "$_got"
}
