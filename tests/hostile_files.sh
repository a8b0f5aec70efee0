#!/bin/sh
# Hostile files, descriptors and inputs (docs/security.md), with real files
# and processes; no network namespace needed:
#
#   closed 0-2      with stdout or stderr closed, nothing porttop opens
#                   takes their place: a recording made so replays without
#                   damage (the report or a warning would land in it);
#
# Needs PORTTOP, TESTLIB and TESTDATA set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
tmpdir_new

# A capture of 100 sockets and one malformed line (so a warning is printed).
i=0
while [ "$i" -lt 100 ]; do
	echo "ESTAB 0 0 10.0.0.1:$((40000 + i)) 192.0.2.1:443 users:((\"app\",pid=$((1000 + i % 7)),fd=$((3 + i))))"
	i=$((i + 1))
done > "$tmpdir/cap"
echo "garbage line" >> "$tmpdir/cap"

# ---- closed standard descriptors -----------------------------------------
group_begin
"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/rec1" -b -n 1 >/dev/null 2>&-
check_eq "stderr closed: exit" 0 "$?"
"$PORTTOP" -r "$tmpdir/rec1" -b -n 1 >/dev/null 2>"$tmpdir/err1"
check_eq "stderr closed: the recording replays" 0 "$?"
grep -q damaged "$tmpdir/err1" && check_eq "stderr closed: damage" none "$(cat "$tmpdir/err1")"
"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/rec2" -b -n 1 >&- 2>/dev/null
check_eq "stdout closed: exit" 0 "$?"
"$PORTTOP" -r "$tmpdir/rec2" -b -n 1 >/dev/null 2>"$tmpdir/err2"
check_eq "stdout closed: the recording replays" 0 "$?"
grep -q damaged "$tmpdir/err2" && check_eq "stdout closed: damage" none "$(cat "$tmpdir/err2")"
"$PORTTOP" -r "$tmpdir/rec2" -b -n 1 <&- >"$tmpdir/out3" 2>&1
check_eq "stdin closed: replay exit" 0 "$?"
grep -q "TCP 100 sockets" "$tmpdir/out3" || check_eq "stdin closed: the report" found missing
group_end "closed standard descriptors"

checks_done
