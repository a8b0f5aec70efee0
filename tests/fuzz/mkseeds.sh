#!/bin/sh
# Regenerate the fuzz seed corpora (tests/fuzz/corpus/TARGET/) from real
# data: what the kernel sends for a known population in a private network
# namespace (tests/porthelper), real /proc files, the import fixtures of
# tests/data, and a few hand-written hostile inputs. Run as root from a
# configured build tree:
#
#   sh SRCDIR/tests/fuzz/mkseeds.sh
#
# Needs unshare, ip, nft (for conntrack entries), a C compiler, libmnl.
# Seeds are kept small: the fuzzers grow their own corpus from them.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fz=$srcdir/tests/fuzz
build=$PWD
[ -f "$build/config.h" ] || { echo "run from a configured build tree" >&2; exit 2; }
[ -x "$build/tests/porthelper" ] || make tests/porthelper >/dev/null
corpus=$fz/corpus

if [ "${MKSEEDS_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root (unshare -n)" >&2; exit 2; }
	${CC:-cc} -std=gnu11 -O1 -I"$build" -I"$srcdir/engine" -I"$fz" \
		"$fz/capture.c" "$fz/fuzz_chunks.c" -lmnl -o "$build/fuzz-capture"
	MKSEEDS_INNER=1 exec unshare -n -- sh "$0" "$@"
fi

ip link set lo up
printf '40000 40199\n' >/proc/sys/net/ipv4/ip_local_port_range
for t in diag events ctnetlink ctstat sysctl procs netstat sanitize import record model ui; do
	mkdir -p "$corpus/$t"
done

# conntrack: track this namespace's own connections
nft -f - <<'NFT' || echo "mkseeds: nft failed: no ctnetlink seeds with entries" >&2
table ip fz {
	chain out { type filter hook output priority 0; ct state new counter; }
}
table ip6 fz {
	chain out { type filter hook output priority 0; ct state new counter; }
}
NFT

tmp=$(mktemp -d)
trap 'kill "$hp" 2>/dev/null || :; rm -rf "$tmp"' EXIT
"$build/tests/porthelper" hold --ready "$tmp/ready" --timeout 120 </dev/null &
hp=$!
i=0
while [ ! -f "$tmp/ready" ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "porthelper did not get ready" >&2; exit 1; }
	sleep 0.1
done

"$build/fuzz-capture" diag "$corpus/diag"
"$build/fuzz-capture" events "$corpus/events"
"$build/fuzz-capture" ct "$corpus/ctnetlink"

# /proc files of a real process (the helper), parse and tree modes
p=/proc/$hp
{ printf '\000'; cat "$p/stat"; } >"$corpus/procs/stat"
{ printf '\000'; cat "$p/status"; } >"$corpus/procs/status"
{ printf '\000'; cat "$p/cgroup"; } >"$corpus/procs/cgroup"
printf '\0000::/system.slice/docker-0123456789abcdef0123456789abcdef.scope\n' >"$corpus/procs/cgroup-docker"
printf '\0000::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_7980_1a2b_3c4d5e6f7a8b.slice/cri-containerd-89abcdef0123.scope\n' >"$corpus/procs/cgroup-pod"
printf '\00012:name=systemd:/user.slice/user-0.slice/session-1.scope\n0::/\n' >"$corpus/procs/cgroup-v1"
printf '\0004242 (a) b) c\033[2J) S 1 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 1 1\n' >"$corpus/procs/stat-hostile"
# tree mode: u16 length (LE) + bytes, for stat, status, cmdline, cgroup,
# the fd link
field() {
	n=$(wc -c <"$1")
	printf "\\$(printf %03o $((n % 256)))\\$(printf %03o $((n / 256)))"
	cat "$1"
}
printf 'socket:[4242]' >"$tmp/link"
head -c 4000 "$p/status" >"$tmp/status"
printf 'porttop-\033]0;pwned\007\n\342\200\256evil\000--flag\000\377\376\000' >"$tmp/cmdline-hostile"
head -c 4000 "$p/cmdline" >"$tmp/cmdline"
{ printf '\001'; field "$p/stat"; field "$tmp/status"; field "$tmp/cmdline"; field "$p/cgroup"; field "$tmp/link"; } >"$corpus/procs/tree"
{ printf '\001'; field "$p/stat"; field "$tmp/status"; field "$tmp/cmdline-hostile"; field "$p/cgroup"; field "$tmp/link"; } >"$corpus/procs/tree-hostile"

# mountinfo (mode 2): the real one, and escaped mount points
{ printf '\002'; cat /proc/self/mountinfo; } >"$corpus/procs/mountinfo"
{ printf '\002'; printf '36 25 0:30 / /sys/fs/cgroup\\040with\\011tab rw,nosuid - cgroup2 cgroup2 rw\n37 25 0:31 / /x\\134y rw - cgroup2 c rw\n'; } >"$corpus/procs/mountinfo-escaped"

# /proc/net counters
{ printf '\000'; cat /proc/net/netstat; } >"$corpus/netstat/netstat"
{ printf '\001'; cat /proc/net/snmp; } >"$corpus/netstat/snmp"
cp /proc/net/stat/nf_conntrack "$corpus/ctstat/live"
for f in "$srcdir"/tests/data/proc-conntrack*/net/stat/nf_conntrack; do
	cp "$f" "$corpus/ctstat/$(basename "$(dirname "$(dirname "$(dirname "$f")")")")"
done

# sysctl files: byte 0 picks the parser (0 range, 1 reserved, 2 integer)
{ printf '\000'; cat /proc/sys/net/ipv4/ip_local_port_range; } >"$corpus/sysctl/range"
{ printf '\001'; printf '8080,9000-9010,40100\n'; } >"$corpus/sysctl/reserved"
{ printf '\002'; cat /proc/sys/net/ipv4/tcp_fin_timeout; } >"$corpus/sysctl/int"
for d in "$srcdir"/tests/data/proc-*/sys/net/ipv4; do
	n=$(basename "$(dirname "$(dirname "$(dirname "$d")")")")
	[ -f "$d/ip_local_port_range" ] &&
		{ printf '\000'; cat "$d/ip_local_port_range"; } >"$corpus/sysctl/$n-range"
	[ -f "$d/ip_local_reserved_ports" ] &&
		{ printf '\001'; cat "$d/ip_local_reserved_ports"; } >"$corpus/sysctl/$n-reserved"
done

# strings for the gate and the JSON escaper: byte 0 is the output size
printf '\377plain text' >"$corpus/sanitize/plain"
printf '\040\033[31mred\033[0m\n\r\t\177' >"$corpus/sanitize/controls"
printf '\377abc\342\200\256cba \342\201\246x\342\201\251 \302\205\302\233 \357\273\277' >"$corpus/sanitize/bidi-c1"
printf '\377\300\257\355\240\200\364\220\200\200\341\200\377\376 caf\303\251 \344\270\255 \360\237\230\200' >"$corpus/sanitize/invalid-utf8"
printf '\010\344\270\255\344\270\255\344\270\255' >"$corpus/sanitize/cut-wide"

# captures of other tools (the import fixtures), cut small: byte 0 the
# format (0 auto, 1 ss, 2 netstat, 3 windows; bit 2 a range), byte 1 the
# piece size
for f in "$srcdir"/tests/data/import/*.txt; do
	n=$(basename "$f" .txt)
	case $n in
	ss-*) fmt='\001' ;;
	netstat-*) fmt='\002' ;;
	windows-*) fmt='\003' ;;
	*) fmt='\000' ;;
	esac
	{ printf "$fmt\\177"; head -c 2500 "$f"; } >"$corpus/import/$n"
	{ printf '\004\007'; head -c 1500 "$f"; } >"$corpus/import/$n-auto"
done

# the model: range 40000-40199, tw_reuse 1, timestamps; records from the
# live dump would need decoding: a few hand-made ones instead
{
	printf '\100\234\307\234\001\001\012'
	i=0
	while [ $i -lt 24 ]; do
		printf "\\000\\$(printf %03o $((i % 13)))\\010\\000\\$(printf %03o $((64 + i)))\\234\\211\\023\\100\\000\\001\\000\\000\\000\\000\\000"
		i=$((i + 1))
	done
} >"$corpus/model/population"

# the UI: a population, a hostile process, then keys: filter, search,
# drill down, sizes, new samples, help, quit
{
	printf '\106\025\003\010'
	i=0
	while [ $i -lt 8 ]; do
		printf "\\200\\$(printf %03o $((1 + i % 6)))\\010\\000\\$(printf %03o $((64 + i)))\\234\\211\\023\\000\\000\\001\\000\\000\\000\\000\\000"
		i=$((i + 1))
	done
	printf '\017evil\033[2J\342\200\256x\012'
	printf '\040/usr/bin/evil --x\033]0;t\007 \377\376\342\201\246'
	printf '\\tw\210\t3\210/evil\210\211\210\221\240\376\360\012\003\361\310\120\2221\2222\2223\2224?q'
} >"$corpus/ui/session"

# recordings: porttop -w over the population (when -w works)
if "$build/porttop" -b -n 3 -d 0.2 -o json -w "$tmp/rec.ptr" >/dev/null 2>&1 &&
	[ -s "$tmp/rec.ptr" ]; then
	cp "$tmp/rec.ptr" "$corpus/record/live-3"
	head -c $(($(wc -c <"$tmp/rec.ptr") - 7)) "$tmp/rec.ptr" >"$corpus/record/torn"
else
	echo "mkseeds: porttop -w did not work: no record seeds" >&2
fi
ls "$corpus"/* | wc -l
