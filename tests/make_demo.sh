#!/bin/sh
# Make porttop's bundled demo recording (tests/data/demo.ptr, replayed by
# `porttop --demo`): a real exhaustion, recorded by porttop itself.
#
# In a private network namespace (and UTS namespace, so the recording's
# host is "porttop-demo"), with ip_local_port_range 40000-40499 and
# tcp_tw_reuse 0, tests/exhaust holds 40 connections to 127.0.0.1:8080
# and 20 to 127.0.0.1:9090, then opens and closes 25 connections a second
# to 127.0.0.1:8080, the client closing first. Each closed connection
# keeps its port in TIME_WAIT for 60 s, so after about 18 s connect()
# toward 8080 fails with EADDRNOTAVAIL, while 9090 still has room: the
# limit is per destination. porttop -w records a sample every 0.5 s
# from before the churn starts until a few seconds after the failures.
#
# Usage (root): sh make_demo.sh OUTPUT   (run by `make demo-recording`)
# PORTTOP, EXHAUST and TESTLIB name the programs and tests/lib.sh.
set -e
out=${1:?usage: make_demo.sh OUTPUT}
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

if [ "${PORTTOP_DEMO_NS:-}" != inside ]; then
	[ "$(id -u)" = 0 ] || fail "make demo-recording needs root (unshare -n -u)"
	require_tool unshare
	PORTTOP_DEMO_NS=inside
	export PORTTOP_DEMO_NS
	trap - EXIT
	exec unshare -n -u -- sh "$0" "$@"
fi
ip link set lo up
hostname porttop-demo
echo "40000 40499" > /proc/sys/net/ipv4/ip_local_port_range
echo "" > /proc/sys/net/ipv4/ip_local_reserved_ports
echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse
echo 4096 > /proc/sys/net/core/somaxconn

tmpdir_new
# relative names: the recording holds the programs' command lines
cp "${PORTTOP:?}" "$tmpdir/porttop"
cp "${EXHAUST:?}" "$tmpdir/exhaust"
cd "$tmpdir"
./porttop -b -o json -d 0.5 -n 80 -w demo.ptr > live.json 2> porttop.err &
pt=$!
sleep 2
./exhaust --port 8080 --port2 9090 --hold 40 --hold2 20 --rate 25 --after 12 \
	> exhaust.json || fail "exhaust: the range did not run out: $(cat exhaust.json)"
wait "$pt" || fail "porttop failed: $(cat porttop.err)"
echo "exhaust: $(cat exhaust.json)"
# the recording replays to what was shown live
./porttop -b -o json -r demo.ptr > replay.json
cmp -s live.json replay.json || fail "the replay differs from the live run"
min=$(jq -s '[.[].destinations[] | select(.dport == 8080) | .available] | min' live.json)
[ "$min" = 0 ] || fail "the recording never shows the exhaustion (min available $min)"
cp demo.ptr "$out.tmp"
chmod 0644 "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out: $(wc -c < "$out") bytes, $(wc -l < live.json) samples"
