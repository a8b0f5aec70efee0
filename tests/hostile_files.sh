#!/bin/sh
# Hostile files, descriptors and inputs (docs/security.md), with real files
# and processes; no network namespace needed:
#
#   closed 0-2      with stdout or stderr closed, nothing porttop opens
#                   takes their place: a recording made so replays without
#                   damage (the report or a warning would land in it);
#   resync bound    a recording with a record marker every 12 bytes and
#                   plausible lengths (quadratic to resync before) is read
#                   and refused by -w within a generous time, damage
#                   reported;
#   -r FIFO         refused at once (no blocking open), exit 3;
#   -w damage       a flipped bit in the last whole record is kept (only a
#                   torn tail is trimmed) and reported;
#   -w owner        a file owned by another user is refused, unchanged; an
#                   own file is made 0600;
#   -w lock         a second writer on a locked file is refused, exit 3;
#   import caps     --import /dev/zero ends (refused past IMPORT_MAX_BYTES);
#   fail closed     --check on garbage, random or binary input, or a
#                   capture without --range, is UNKNOWN (exit 3); a UTF-16
#                   capture is named as such; under `ulimit -n 6` a live
#                   --check is UNKNOWN and EMFILE is named;
#   -N escapes     a namespace name with ESC is echoed sanitised (no ESC
#                   byte on stderr or stdout);
#   key damage     a recording whose only key record has a flipped bit says
#                   where and why, not only "no readable sample";
#   disk full      -w onto a full file system: every failed append on
#                   stderr, exit 3 at the end; once space is back the next
#                   sample is recorded again;
#   batch schedule  stopped (SIGSTOP) for 3.5 s, -b -d 1 resumes with one
#                   late sample, then one a second: no burst of the missed
#                   ones (consecutive sample times >= 1 s apart);
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

# ---- resync work bound ----------------------------------------------------
group_begin
cp "$TESTDATA/demo.ptr" "$tmpdir/crafted.ptr"
# one unit: marker, length 786432 (a multiple of 12, so it ends on another
# marker), a wrong checksum; doubled 17 times: 1.5 MiB
printf '\360PTS\000\000\014\000\001\002\003\004' > "$tmpdir/unit"
i=0
while [ "$i" -lt 17 ]; do
	cat "$tmpdir/unit" "$tmpdir/unit" > "$tmpdir/unit2"
	mv "$tmpdir/unit2" "$tmpdir/unit"
	i=$((i + 1))
done
cat "$tmpdir/unit" >> "$tmpdir/crafted.ptr"
timeout 60 "$PORTTOP" -r "$tmpdir/crafted.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err4"
check_eq "crafted resync: -r exit (124: timed out)" 0 "$?"
grep -q "damaged at offset" "$tmpdir/err4" || check_eq "crafted resync: damage reported" yes no
timeout 60 "$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/crafted.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err5"
rc=$?
[ "$rc" -ne 124 ] || check_eq "crafted resync: -w finishes" yes "timed out"
group_end "resync work bound"

# ---- -r on a FIFO ------------------------------------------------------------
group_begin
mkfifo "$tmpdir/fifo"
timeout 20 "$PORTTOP" -r "$tmpdir/fifo" -b -n 1 >/dev/null 2>"$tmpdir/err6"
check_eq "-r FIFO: exit" 3 "$?"
grep -q "not a regular file" "$tmpdir/err6" || check_eq "-r FIFO: reason" "not a regular file" "$(cat "$tmpdir/err6")"
group_end "-r FIFO refused"

# ---- -w keeps damage that is not a torn tail ------------------------------------
group_begin
cp "$TESTDATA/demo.ptr" "$tmpdir/flip.ptr"
sz=$(stat -c %s "$tmpdir/flip.ptr")
last=$(tail -c 1 "$tmpdir/flip.ptr" | od -An -tu1 | tr -d ' ')
if [ "$last" = 255 ]; then printf '\000'; else printf '\377'; fi |
	dd of="$tmpdir/flip.ptr" bs=1 seek=$((sz - 1)) conv=notrunc 2>/dev/null
cp "$tmpdir/flip.ptr" "$tmpdir/flip.orig"
"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/flip.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err7"
check_eq "-w flipped bit: exit" 0 "$?"
cmp -s -n "$sz" "$tmpdir/flip.ptr" "$tmpdir/flip.orig" ||
	check_eq "-w flipped bit: the damaged record is kept" kept trimmed
grep -q "damaged at offset" "$tmpdir/err7" || check_eq "-w flipped bit: reported" yes no
group_end "-w keeps damaged records"

# ---- -w ownership and mode -----------------------------------------------------
group_begin
: > "$tmpdir/own.ptr"
chmod 644 "$tmpdir/own.ptr"
"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/own.ptr" -b -n 1 >/dev/null 2>&1
check_eq "-w own file: exit" 0 "$?"
check_eq "-w own file: mode" 600 "$(stat -c %a "$tmpdir/own.ptr")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	: > "$tmpdir/theirs.ptr"
	chown nobody "$tmpdir/theirs.ptr"
	chmod 644 "$tmpdir/theirs.ptr"
	"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/theirs.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err8"
	check_eq "-w another user's file: exit" 3 "$?"
	check_eq "-w another user's file: size" 0 "$(stat -c %s "$tmpdir/theirs.ptr")"
	check_eq "-w another user's file: mode" 644 "$(stat -c %a "$tmpdir/theirs.ptr")"
	grep -q "owned by uid" "$tmpdir/err8" || check_eq "-w another user's file: reason" "owned by uid" "$(cat "$tmpdir/err8")"
else
	echo "# not root: another user's file not checked"
fi
group_end "-w ownership and mode"

# ---- -w: one writer at a time ----------------------------------------------------
group_begin
if command -v flock >/dev/null 2>&1; then
	"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/lock.ptr" -b -n 1 >/dev/null 2>&1
	sz=$(stat -c %s "$tmpdir/lock.ptr")
	flock -x "$tmpdir/lock.ptr" "$PORTTOP" --import "$tmpdir/cap" \
		-w "$tmpdir/lock.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err9"
	check_eq "-w locked file: exit" 3 "$?"
	check_eq "-w locked file: size" "$sz" "$(stat -c %s "$tmpdir/lock.ptr")"
	grep -q "another porttop is writing" "$tmpdir/err9" ||
		check_eq "-w locked file: reason" "another porttop" "$(cat "$tmpdir/err9")"
else
	echo "# flock(1) missing: the lock is not checked"
fi
group_end "-w one writer"

# ---- import caps -------------------------------------------------------------
group_begin
timeout 120 "$PORTTOP" --import /dev/zero -b -n 1 >/dev/null 2>"$tmpdir/err10"
check_eq "--import /dev/zero: exit (124: timed out)" 3 "$?"
grep -q "larger than porttop reads" "$tmpdir/err10" ||
	check_eq "--import /dev/zero: reason" "larger than porttop reads" "$(cat "$tmpdir/err10")"
group_end "import caps"

# ---- fail closed ----------------------------------------------------------------
group_begin
printf 'garbage\n\n' > "$tmpdir/garbage"
head -c 4096 "$PORTTOP" > "$tmpdir/binary"
printf '\211\001\377\022\n\003\004 x\n' > "$tmpdir/random"
printf 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\n' > "$tmpdir/empty"
for f in garbage binary random; do
	"$PORTTOP" --import "$tmpdir/$f" --check=80,90 >"$tmpdir/out11" 2>&1
	check_eq "--check on $f: exit" 3 "$?"
	grep -q "PORTTOP OK" "$tmpdir/out11" && check_eq "--check on $f: status" UNKNOWN OK
done
"$PORTTOP" --import "$tmpdir/empty" --check=80,90 >"$tmpdir/out12" 2>&1
check_eq "--check on a capture without --range: exit" 3 "$?"
"$PORTTOP" --import "$tmpdir/empty" --range=40000-40999 --check=80,90 >"$tmpdir/out13" 2>&1
check_eq "--check on an empty capture with --range: exit" 0 "$?"
printf '\377\376 \000 \000T\000C\000P\000\r\000\n\000' > "$tmpdir/utf16"
"$PORTTOP" --import "$tmpdir/utf16" -b -n 1 >/dev/null 2>"$tmpdir/err14"
check_eq "--import UTF-16: exit" 3 "$?"
grep -q "UTF-16" "$tmpdir/err14" || check_eq "--import UTF-16: reason" UTF-16 "$(cat "$tmpdir/err14")"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	(ulimit -n 6; exec unshare -n "$PORTTOP" --check=80,90) >"$tmpdir/out15" 2>&1
	check_eq "ulimit -n 6 --check: exit" 3 "$?"
	(ulimit -n 7; exec unshare -n "$PORTTOP" -b -n 1) >"$tmpdir/out16" 2>&1
	grep -q "EMFILE" "$tmpdir/out16" || check_eq "ulimit -n 7: EMFILE named" EMFILE "$(grep warning "$tmpdir/out16")"
else
	echo "# not root: the descriptor limit is not checked"
fi
group_end "fail closed"

# ---- batch schedule after a stall ------------------------------------------
group_begin
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	unshare -n "$PORTTOP" -b -d 1 -n 5 >"$tmpdir/out17" 2>/dev/null &
	pt=$!
	wait_for -t 20 grep -q "^porttop - " "$tmpdir/out17"
	kill -STOP "$pt"
	sleep 3.5
	kill -CONT "$pt"
	wait "$pt"
	check_eq "batch after a stall: exit" 0 "$?"
	# the sample times (hh:mm:ss) as seconds; each at least 1 s after the last
	sed -n 's/^porttop - [0-9-]* \([0-9:]*\).*/\1/p' "$tmpdir/out17" |
		awk -F: '{ t = $1 * 3600 + $2 * 60 + $3; if (NR > 1 && t - p < 1 && t - p > -80000) bad++; p = t }
			 END { print NR, bad + 0 }' > "$tmpdir/gaps"
	check_eq "batch after a stall: samples, samples < 1 s apart" "5 0" "$(cat "$tmpdir/gaps")"
else
	echo "# not root: the batch schedule is not checked"
fi
group_end "batch schedule"

# ---- -N with an escape in its name ---------------------------------------------
group_begin
esc=$(printf '\033')
"$PORTTOP" -N "x${esc}[31my" -b -n 1 >"$tmpdir/out18" 2>&1
check_eq "-N escape: exit" 3 "$?"
check_eq "-N escape: ESC bytes in the output" 0 "$(grep -c "$esc" "$tmpdir/out18")"
"$PORTTOP" -N "x${esc}[31my" --check=80,90 >"$tmpdir/out19" 2>&1
check_eq "-N escape --check: ESC bytes in the output" 0 "$(grep -c "$esc" "$tmpdir/out19")"
group_end "-N escapes sanitised"

# ---- disk full: visible, and recovered from ------------------------------------
group_begin
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	cat > "$tmpdir/full.sh" <<'SH'
set -u
mount -t tmpfs -o size=64k tmpfs "$1" || exit 9
head -c 65536 /dev/zero > "$1/filler" 2>/dev/null
"$PORTTOP" -b -d 0.3 -n 12 -w "$1/r.ptr" >/dev/null 2>"$2" &
pt=$!
sleep 1.5
rm -f "$1/filler"
wait "$pt"
echo "rc=$?"
grep -c "cannot append to the recording" "$2"
grep -c "samples could not be recorded" "$2"
"$PORTTOP" -r "$1/r.ptr" -b -n 100 2>/dev/null | grep -c "^porttop - "
SH
	mkdir -p "$tmpdir/mnt"
	PORTTOP=$PORTTOP unshare -m -n sh "$tmpdir/full.sh" "$tmpdir/mnt" "$tmpdir/full.err" > "$tmpdir/full.out" 2>&1
	{ read -r rc; read -r nfail; read -r nsum; read -r nrec; } < "$tmpdir/full.out"
	check_eq "disk full: exit" rc=3 "$rc"
	[ "${nfail:-0}" -ge 1 ] || check_eq "disk full: failures on stderr" ">= 1" "${nfail:-0}"
	check_eq "disk full: the summary" 1 "${nsum:-0}"
	[ "${nrec:-0}" -ge 1 ] && [ "$((nrec + nfail))" -eq 12 ] ||
		check_eq "disk full: recorded + failed" "12 (>= 1 recorded)" "${nrec:-0} + ${nfail:-0}"
else
	echo "# not root: disk full is not checked"
fi
group_end "disk full"

# ---- a damaged key record ------------------------------------------------------
group_begin
"$PORTTOP" --import "$tmpdir/cap" -w "$tmpdir/key.ptr" -b -n 1 >/dev/null 2>&1
sz=$(stat -c %s "$tmpdir/key.ptr")
b=$(tail -c 5 "$tmpdir/key.ptr" | head -c 1 | od -An -tu1 | tr -d ' ')
if [ "$b" = 255 ]; then printf '\000'; else printf '\377'; fi |
	dd of="$tmpdir/key.ptr" bs=1 seek=$((sz - 5)) conv=notrunc 2>/dev/null
"$PORTTOP" -r "$tmpdir/key.ptr" -b -n 1 >/dev/null 2>"$tmpdir/err20"
check_eq "damaged key record: exit" 3 "$?"
grep -q "damaged at offset [0-9]* .*checksum mismatch" "$tmpdir/err20" ||
	check_eq "damaged key record: offset and reason" "damaged at offset" "$(cat "$tmpdir/err20")"
group_end "damaged key record reported"

checks_done
