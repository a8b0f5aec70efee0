#!/bin/sh
# valgrind memcheck over the unit tests and porttop's batch modes: no
# invalid read or write, no use of uninitialised memory, no leak
# "definitely lost". Run by `make check-valgrind` (a separate CI step):
#
#   sh tests/valgrind.sh PORTTOP UNIT_TEST...
#
# Each program's valgrind log goes to NAME.valgrind.log next to it; the
# logs of the programs that fail are printed. A program that fails only
# because valgrind does not know a system call it makes (valgrind says
# "unhandled syscall"; 3.19 lacks openat2) and passes without valgrind is
# reported as skipped. TESTDATA must be set (the unit tests read their
# fixtures from it).
set -u

[ $# -ge 1 ] || { echo "usage: valgrind.sh PORTTOP UNIT_TEST..." >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 ||
	{ echo "valgrind.sh: valgrind is not installed (Debian: valgrind)" >&2; exit 1; }
porttop=$1
shift

# libbpf's bpf() attributes: see the file
supp=$(dirname "$0")/valgrind.supp

vg() {
	_log=$1
	shift
	valgrind -q --suppressions="$supp" --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --track-origins=yes --log-file="$_log" "$@"
}

failed=
skipped=
run() {
	_name=$1
	_log=$2
	shift 2
	_rc=0
	vg "$_log" "$@" > "$_log.out" 2>&1 || _rc=$?
	_sys=$(sed -n 's/.*WARNING: unhandled [a-z0-9-]* syscall: \([0-9]*\).*/\1/p' "$_log" | sort -u | tr '\n' ' ' | sed 's/ $//')
	if [ "$_rc" = 0 ]; then
		echo "ok   $_name"
	elif [ -n "$_sys" ] && "$@" > /dev/null 2>&1; then
		# valgrind returned ENOSYS for a system call it does not know
		# (valgrind 3.19 and openat2, 437): the program took its
		# fallback and a test of the real path failed. Passes natively.
		echo "skip $_name (this valgrind cannot run system call $_sys; passes without valgrind)"
		skipped="$skipped $_name"
	else
		echo "FAIL $_name (exit $_rc)"
		failed="$failed $_name"
		sed -n '1,60p' "$_log"
		[ "$_rc" = 99 ] || tail -n 20 "$_log.out"
	fi
}

for t in "$@"; do
	run "$t" "$t.valgrind.log" "./$t"
done

# batch: live (text and JSON), a recording and its replay, an import
tmp=$(mktemp -d "${TMPDIR:-/tmp}/porttop-vg.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
run "porttop -b -n 2 -o json" "porttop-json.valgrind.log" \
	"$porttop" -b -n 2 -d 0.2 -o json
run "porttop -b -n 2 (text) -w" "porttop-text.valgrind.log" \
	"$porttop" -b -n 2 -d 0.2 -w "$tmp/rec.ptr"
run "porttop -b -r (replay)" "porttop-replay.valgrind.log" \
	"$porttop" -b -o json -r "$tmp/rec.ptr"
if [ -f "$TESTDATA/import/ss-tanpH.txt" ]; then
	run "porttop -b --import" "porttop-import.valgrind.log" \
		"$porttop" -b -o json --import="$TESTDATA/import/ss-tanpH.txt"
fi

if [ -n "$failed" ]; then
	echo "valgrind: failed:$failed" >&2
	exit 1
fi
echo "valgrind: all clean${skipped:+ (skipped:$skipped)}"
