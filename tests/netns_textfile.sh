#!/bin/sh
# The exporter (`porttop --textfile=FILE -d SECS`) with real churn, in a
# private network namespace:
#
#   atomic      for 10 s tests/churn_rate opens and closes R connections a
#               second toward one destination while porttop replaces FILE
#               every 0.2 s and a reader loops on it as fast as it can:
#               every read is complete (porttop's first family first, its
#               last one last) and passes the Prometheus client library's
#               parser and the lint rules (tests/metrics_check.py); the
#               reader saw many samples, and each time the file changed
#               the descriptor it held on the previous one still read
#               the previous bytes (a rename, never a rewrite in place);
#   warm        the close rate porttop exports is that of the churn (the
#               client's own count over its own time), not 0, and the eta
#               is finite: what an alert on them needs;
#   file rules  mode 0644 under umask 077; no temporary file is left
#               after SIGTERM; a symlink named as FILE is refused and its
#               target left alone;
#   full disk   on a tiny tmpfs (a private mount namespace) filled after
#               the first write, porttop says on stderr that it cannot
#               write, keeps running and keeps the last whole sample in
#               FILE; room made again, it writes newer samples;
#   dashboard   docs/porttop-dashboard.json is valid JSON whose queries
#               name only metrics in that file.
#
# Needs root, unshare, ip and python3 with prometheus_client (Debian
# package python3-prometheus-client); PORTTOP, CHURN_RATE, TESTLIB and
# SRCDIR set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

netns_enter "$0" "$@"

[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${CHURN_RATE:-}" ] || fail "CHURN_RATE is not an executable: '${CHURN_RATE:-}'"
require_tool jq
require_metrics_check
tmpdir_new

RANGE_LOW=40000
RANGE_HIGH=40999
PORT=5001
R=30
SECS=10

netns_sysctl net.ipv4.ip_local_port_range "$RANGE_LOW $RANGE_HIGH"
netns_sysctl net.ipv4.tcp_tw_reuse 0
netns_sysctl net.core.somaxconn 4096

mkdir "$tmpdir/tf" || fail "mkdir"
tf=$tmpdir/tf/porttop.prom
FAIL_HOOK='for f in porttop.err churn.json watch.json; do
	[ -s "$tmpdir/$f" ] && { echo "--- $f"; head -c 3000 "$tmpdir/$f"; echo; }
done; ls -la "$tmpdir/tf"'

# ---- atomic, warm ----------------------------------------------------------
"$CHURN_RATE" --port "$PORT" --rate "$R" --duration $((SECS + 2)) \
	--ready "$tmpdir/ready.json" --report "$tmpdir/churn.json" \
	> /dev/null 2> "$tmpdir/churn.err" &
churn=$!
at_exit "kill $churn 2>/dev/null; wait $churn 2>/dev/null"
wait_for test -s "$tmpdir/ready.json"

(umask 077 && exec "$PORTTOP" --textfile="$tf" -d 0.2 --top=5) \
	> "$tmpdir/porttop.out" 2> "$tmpdir/porttop.err" &
pt=$!
at_exit "kill $pt 2>/dev/null; wait $pt 2>/dev/null"
wait_for test -e "$tf"
$METRICS_CHECK watch "$tf" "$SECS" > "$tmpdir/watch.json" ||
	fail "the reader failed"
kill -TERM "$pt"
wait "$pt"
rc=$?
# killed by the signal it was sent, not dead of something else before
[ "$rc" -eq 143 ] || fail "porttop --textfile exited with $rc before SIGTERM: $(cat "$tmpdir/porttop.err")"
wait "$churn" || fail "churn_rate failed: $(cat "$tmpdir/churn.err")"

w() { jq -r "$1" "$tmpdir/watch.json"; }
reads=$(w .reads)
nbad=$(w .nbad)
samples=$(w .samples)
kept=$(w .kept)
rewritten=$(w .rewritten)
[ "$nbad" -eq 0 ] || fail "$nbad of $reads reads were not a whole, valid exposition: $(w '.bad | join("; ")')"
# 10 s at 0.2 s: about 50 samples; a reader far faster than that
[ "$samples" -ge 25 ] || fail "the reader saw $samples samples in ${SECS}s (-d 0.2)"
[ "$reads" -ge $((samples * 5)) ] || fail "only $reads reads for $samples samples: the reader did not race the writer"
[ "$rewritten" -eq 0 ] || fail "$rewritten times the file was changed under an open descriptor: not replaced by rename"
[ "$kept" -ge 20 ] || fail "only $kept changes seen from an open descriptor for $samples samples"
echo "ok atomic: $reads reads of $samples samples, every one whole and valid; $kept replacements, none in place"
[ -s "$tmpdir/porttop.out" ] && fail "--textfile printed on stdout: $(head -c 200 "$tmpdir/porttop.out")"

# the churn's own rate: connections over its own time
truth=$(jq '.rate' "$tmpdir/churn.json")
max_rate=$(w .max_close_rate)
min_eta=$(w .min_eta)
awk -v g="$max_rate" -v t="$truth" 'BEGIN { exit !(g > 0.5 * t && g < 1.5 * t) }' ||
	fail "close rate: exported at most $max_rate/s, the churn made $truth/s"
[ "$min_eta" != null ] || fail "eta: never finite under $truth closes/s"
awk -v e="$min_eta" 'BEGIN { exit !(e > 0 && e < 1000 / 10) }' ||
	fail "eta: $min_eta s, not a forecast of a 1000-port range at ${R}/s"
echo "ok warm: close rate up to $max_rate/s (churn $truth/s), eta down to ${min_eta}s"

# ---- file rules --------------------------------------------------------------
mode=$(stat -c %a "$tf")
assert_eq "mode of the textfile under umask 077" 644 "$mode"
left=$(find "$tmpdir/tf" -mindepth 1 ! -name porttop.prom | wc -l)
assert_eq "files left beside the textfile after SIGTERM" 0 "$left"
echo secret > "$tmpdir/target"
ln -s "$tmpdir/target" "$tmpdir/tf/link.prom"
"$PORTTOP" --textfile="$tmpdir/tf/link.prom" -n 1 2> "$tmpdir/err" &&
	fail "--textfile wrote through a symlink"
grep -q "symbolic link" "$tmpdir/err" || fail "symlink refused without saying why: $(cat "$tmpdir/err")"
assert_eq "symlink target" secret "$(cat "$tmpdir/target")"
[ -L "$tmpdir/tf/link.prom" ] || fail "the symlink was replaced"
"$PORTTOP" --textfile="$tmpdir/none/x.prom" -n 1 2> "$tmpdir/err" &&
	fail "--textfile in a missing directory succeeded"
echo "ok file rules: mode 0644, nothing left after SIGTERM, a symlink refused"

# ---- full disk ----------------------------------------------------------------
if unshare -m true 2>/dev/null; then
	mkdir "$tmpdir/small"
	cat > "$tmpdir/full.sh" <<'EOS'
set -u
small=$1
mount -t tmpfs -o size=64k tmpfs "$small" || exit 77
"$PORTTOP" --textfile="$small/p.prom" -d 0.2 -n 40 2> "$small.err" &
pt=$!
while [ ! -s "$small/p.prom" ]; do sleep 0.05; done
# fill what is left: the next temporary file cannot be written
dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null
sleep 1.5
cp "$small/p.prom" "$small.during"
kill -0 "$pt" || exit 3
rm -f "$small/filler"
wait "$pt"
echo "rc=$?" > "$small.rc"
cp "$small/p.prom" "$small.after"
ls -a "$small" > "$small.ls"
umount "$small"
EOS
	PORTTOP=$PORTTOP unshare -m sh "$tmpdir/full.sh" "$tmpdir/small"
	rc=$?
	[ "$rc" -ne 77 ] || fail "cannot mount a tmpfs in a private mount namespace"
	[ "$rc" -eq 0 ] || fail "full disk: porttop did not keep running (status $rc): $(cat "$tmpdir/small.err")"
	assert_eq "full disk: exit status" rc=0 "$(cat "$tmpdir/small.rc")"
	grep -q "cannot write $tmpdir/small/p.prom: No space left on device" "$tmpdir/small.err" ||
		fail "full disk: not reported: $(head -c 300 "$tmpdir/small.err")"
	$METRICS_CHECK prometheus "$tmpdir/small.during" > "$tmpdir/err" 2>&1 ||
		fail "full disk: FILE is not a whole exposition meanwhile: $(cat "$tmpdir/err")"
	n_during=$(awk '/^porttop_samples_total/ { print $2 }' "$tmpdir/small.during")
	n_after=$(awk '/^porttop_samples_total/ { print $2 }' "$tmpdir/small.after")
	assert_eq "full disk: the last sample written once room was made" 40 "$n_after"
	[ "$n_during" -lt 40 ] || fail "full disk: sample $n_during written while the disk was full"
	assert_eq "full disk: files left" ". .. p.prom" "$(tr '\n' ' ' < "$tmpdir/small.ls" | sed 's/ $//')"
	echo "ok full disk: reported, FILE kept sample $n_during whole, sample 40 written after"
else
	skip_or_fail "unshare -m does not work here"
fi

# ---- dashboard -----------------------------------------------------------
jq -j .last "$tmpdir/watch.json" > "$tmpdir/last.prom"
$METRICS_CHECK dashboard "$SRCDIR/docs/porttop-dashboard.json" "$tmpdir/last.prom" \
	> "$tmpdir/dash.out" 2>&1 || fail "dashboard: $(cat "$tmpdir/dash.out")"
echo "ok dashboard: $(cat "$tmpdir/dash.out")"
