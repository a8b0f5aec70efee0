#!/bin/sh
# The headline number against the kernel: a destination's `available`
# must be the number of further connect() calls toward it that succeed
# before EADDRNOTAVAIL, and ephemeral.available_new_destination what a
# destination with no socket yet gets.
#
# Each probe builds one world of sockets in a fresh private network
# namespace (tests/probehelper), runs porttop on it twice while it
# stands (`-b -o json -n 1` with the BPF reader, skipped unless
# PORTTOP_BPF=1; then with --no-bpf), then measures the truth once:
# non-blocking connect() calls toward each measured destination that
# succeed before EADDRNOTAVAIL (closed with SO_LINGER 0), toward a
# listener that never had a client (the new-destination figure), and
# bind(ADDR:0) / UDP connect() calls for the pools. A measure changes the
# world (with tcp_tw_reuse it takes TIME_WAIT entries over), hence one
# namespace per probe.
#
# The truth is checked first: the helper's sockets against `ss -tan`, the
# connect() counts against the kernel's rules applied to what the helper
# built (its model_min..model_max), and the TIME_WAIT entries taken over
# (TcpExt TWRecycled) against the reusable ones.
#
# Then porttop, for every measured destination (rows matched on the
# kernel endpoint: ::ffff:127.0.0.1 is 127.0.0.1):
#   with BPF    bind_source "bpf", exact everywhere, available_min =
#               available = the connects that succeeded, reusable = the
#               entries taken over; the same for the new-destination pair;
#   --no-bpf    bind_source "autobound", available_min <= truth <=
#               available, equality where exact is true; exact false
#               where the world has bind(addr, 0) + connect() sockets, the
#               one thing sock_diag cannot see; exact true where the only
#               sockets of unknown bind state are the destination's own
#               (no reusable TIME_WAIT): explicit-port binds of live
#               sockets are known from sock_diag;
#   both        reusable <= available, available_min <= available and
#               exact = (available_min == available) on every row, the
#               top-level exact = every destination and the
#               new-destination figure exact, a reason when
#               it is false; pools[] = the bind() / UDP connect() counts.
# A range of an odd number of ports may give one connect() more than
# porttop promises (each scan skips one end of the range, at random):
# there the truth may exceed available by 1.
#
# Probes: plain bind0 noport explicit explicitlive owned reuse0 reuse1
# reuse2 nots reusebind0 ipv6 mapped udp odd (see the case below for each
# world).
# Prints "ok ..." / "not ok ..." per destination and probe, then a table
# of every probe's figures.
#
# Usage: sh netns_headroom.sh [PROBE]   (no argument: all of them)
# Needs root, unshare, ip, ss and jq; PORTTOP, PROBEHELPER and TESTLIB
# set. HEADROOM_PORTTOP, when set, is run instead of PORTTOP (a wrapper
# gets porttop's arguments; make check sets PORTTOP itself).
# HEADROOM_TRUTH_ONLY=1 checks and prints the truth side alone, without
# running porttop.

# jq filters and awk programs use $ inside single quotes on purpose
# shellcheck disable=SC2016
# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

PROBES="plain bind0 noport explicit explicitlive owned reuse0 reuse1 reuse2 nots reusebind0 ipv6 mapped udp odd"

if [ $# -eq 0 ]; then
	netns_require
	tmpdir_new
	HEADROOM_ROWS=$tmpdir/rows
	export HEADROOM_ROWS
	: > "$HEADROOM_ROWS"
	failed=
	for p in $PROBES; do
		sh "$0" "$p"
		rc=$?
		[ "$rc" -ne 77 ] || exit 77
		[ "$rc" -eq 0 ] || failed="$failed $p"
	done
	echo "# probe        destination              truth  bpf    no-bpf min~est  exact(bpf/no-bpf)"
	while IFS='	' read -r p d t b n e; do
		printf '# %-12s %-24s %-6s %-6s %-15s %s\n' "$p" "$d" "$t" "$b" "$n" "$e"
	done < "$HEADROOM_ROWS"
	[ -z "$failed" ] || fail "probes that failed:$failed"
	echo "ok all probes: $PROBES"
	exit 0
fi

probe=$1
case " $PROBES " in
*" $probe "*) ;;
*) fail "unknown probe '$probe' (one of: $PROBES)" ;;
esac

netns_enter "$0" "$@"

require_tool jq
require_tool ss
truth_only=${HEADROOM_TRUTH_ONLY:-0}
PORTTOP=${HEADROOM_PORTTOP:-${PORTTOP:-}}
export PORTTOP
[ "$truth_only" = 1 ] || [ -x "$PORTTOP" ] ||
	fail "PORTTOP is not an executable: '$PORTTOP'"
[ -x "${PROBEHELPER:-}" ] || fail "PROBEHELPER is not an executable: '${PROBEHELPER:-}'"
tmpdir_new

variants=
if [ "$truth_only" != 1 ]; then
	[ "${PORTTOP_BPF:-0}" = 1 ] && [ "$(id -u)" = 0 ] && variants=bpf
	variants="$variants nobpf"
fi

# ---- the worlds ----
# D1, D2: destinations with clients; NEW: a listener that never has one,
# measured first (the new-destination figure); LO6: the same over IPv6.
D1=127.0.0.1:5001 D2=127.0.0.1:5002 NEW=127.0.0.1:5009
LO6=::1:5003 NEW6=::1:5004
RANGE="40000 40199"
reserved=
tw_reuse=0 timestamps=1 tw_age=0
# slack: how far the truth may exceed what porttop promises (odd range)
slack=0
# inexact: --no-bpf must say exact=false (bind(addr, 0) + connect())
inexact=0
# v6only: IPv6 sockets bound to ::1 (see the pools below)
v6only=0
# exact_nobpf: destinations --no-bpf must know exactly
exact_nobpf=
listeners="listen:$D1 listen:$D2 listen:$NEW"
dests="$D1 $D2"
news=$NEW
world=
case $probe in
plain)
	# ESTABLISHED and TIME_WAIT toward D1, some toward D2
	world="conn:connect:30:20:$D1 conn:connect:10:5:$D2" ;;
bind0)
	# 30 sockets bind(127.0.0.1, 0) + connect() toward D2, 10 of them in
	# TIME_WAIT: their ports are owned, D1 and NEW lose them too
	world="conn:connect:20:10:$D1 conn:bind0:20:10:$D2"
	inexact=1 ;;
noport)
	# IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect(), as without
	# bind(): D1 and NEW lose nothing
	world="conn:connect:20:10:$D1 conn:noport:20:10:$D2" ;;
explicit)
	# bind() to explicit ports of the range, then connect(): owned, alive
	# (sock_diag tells them apart) and in TIME_WAIT (only BPF does)
	world="conn:connect:20:10:$D1 conn:explicit:10:5:$D2 conn:connect:10:0:$D2" ;;
explicitlive)
	# the same, alive only: without BPF too, D1 loses exactly the explicit
	# ports (its own sockets are in use toward it whatever their bind)
	world="conn:connect:20:10:$D1 conn:explicit:10:0:$D2"
	dests=$D1 exact_nobpf=$D1 ;;
owned)
	# listeners and bound-only sockets in the range, either family;
	# reserved ports
	reserved=40050-40059
	listeners="$listeners listen:127.0.0.1:40100 listen:::1:40103"
	world="bound:127.0.0.1:40101 bound:0.0.0.0:40102
		conn:connect:20:10:$D1 conn:connect:5:0:$D2" ;;
reuse0 | reuse1 | reuse2 | nots)
	# TIME_WAIT older than tcp_tw_reuse_delay (1 s): taken over by
	# connect() with tcp_tw_reuse 1, or 2 (loopback), and timestamps
	tw_reuse=${probe#reuse} tw_age=1500
	[ "$probe" != nots ] || tw_reuse=1 timestamps=0
	world="conn:connect:20:40:$D1 conn:connect:10:10:$D2" ;;
reusebind0)
	# plain TIME_WAIT is taken over, bind(addr, 0) TIME_WAIT never is
	# (its port is owned)
	tw_reuse=1 tw_age=1500 inexact=1
	world="conn:connect:20:30:$D1 conn:bind0:0:10:$D1 conn:connect:10:0:$D2" ;;
ipv6)
	# ::1 destinations; bind(::1, 0) sockets own their port for IPv4
	# destinations too (one bind bucket per port)
	listeners="$listeners listen:$LO6 listen:$NEW6"
	world="conn:connect:20:10:$LO6 conn:bind0:5:5:$LO6 conn:connect:20:0:$D1"
	dests="$LO6 $D1" news="$NEW $NEW6" inexact=1 v6only=10 ;;
mapped)
	# AF_INET6 sockets toward ::ffff:127.0.0.1: the same kernel
	# destination as 127.0.0.1 (measured both ways)
	world="conn:connect:20:10:$D1 conn:connect:15:5:::ffff:$D1 conn:connect:5:0:$D2"
	dests="::ffff:$D1 $D1 $D2" ;;
udp)
	# UDP sockets own their port for every destination: the pools
	world="udpsock:127.0.0.1:6 udpsock:0.0.0.0:4 udpconn:127.0.0.1:5353:3
		conn:connect:20:5:$D1"
	dests=$D1 ;;
odd)
	# 199 ports: each scan covers 198 of them
	RANGE="40000 40198" slack=1
	world="conn:connect:20:10:$D1 conn:connect:10:0:$D2" ;;
esac

netns_sysctl net.ipv4.ip_local_port_range "$RANGE"
[ -z "$reserved" ] || netns_sysctl net.ipv4.ip_local_reserved_ports "$reserved"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_tw_reuse "$tw_reuse"
netns_sysctl net.ipv4.tcp_timestamps "$timestamps"
echo "== probe $probe: range $RANGE${reserved:+ reserved $reserved} tcp_tw_reuse=$tw_reuse" \
	"tcp_timestamps=$timestamps tw_age>=${tw_age}ms"

# measures: the pools first (bind() takes no TIME_WAIT over), then NEW,
# then the destinations
measures="tcpbind:127.0.0.1 tcpbind:0.0.0.0 udpbind:127.0.0.1 udpbind:0.0.0.0"
[ "$probe" != ipv6 ] || measures="$measures tcpbind:::1 tcpbind:::"
[ "$probe" != udp ] || measures="$measures udpconnect:127.0.0.1:5353"
for d in $news $dests; do
	measures="$measures connect:$d"
done

truth=$tmpdir/truth.json
# shellcheck disable=SC2034
FAIL_HOOK='for f in bpf.err nobpf.err truth.json; do
	[ -s "$tmpdir/$f" ] && { echo "--- $f"; head -c 4000 "$tmpdir/$f"; echo; }
done'

# While the world stands: porttop as each variant, then ss.
# shellcheck disable=SC2086
"$PROBEHELPER" run --report "$truth" --tw-age "$tw_age" $listeners $world $measures -- \
	sh -c 'dir=$1; shift
	for v in "$@"; do
		case $v in bpf) set -- ;; nobpf) set -- --no-bpf ;; esac
		"$PORTTOP" "$@" -b -o json -n 1 > "$dir/$v.json" 2> "$dir/$v.err" || {
			echo "porttop ($v) exited with status $?: $(head -c 300 "$dir/$v.err")" >&2
			exit 1; }
	done
	ss -tanH > "$dir/ss-tcp.txt"' sh "$tmpdir" $variants ||
	fail "probehelper run failed (see above)"

# ---- the truth: the helper's world against ss, connects against the kernel's rules ----
ss_table() {
	awk '{
		l = $4; r = $5
		i = match(l, /:[^:]*$/); la = substr(l, 1, i - 1); lp = substr(l, i + 1)
		i = match(r, /:[^:]*$/); ra = substr(r, 1, i - 1); rp = substr(r, i + 1)
		gsub(/^\[|\]$/, "", la); gsub(/^\[|\]$/, "", ra)
		print $1 "\t" la "\t" lp "\t" ra "\t" rp
	}' "$1"
}
ss_table "$tmpdir/ss-tcp.txt" > "$tmpdir/tcp.tsv"
# shellcheck disable=SC2086
set -- $RANGE
RANGE_LOW=$1 RANGE_HIGH=$2

jq -r '.destinations[] | [.saddr, .daddr, .dport, .established, .time_wait, .in_use] | @tsv' \
	"$truth" > "$tmpdir/t-dests.tsv" || fail "cannot read the helper's destinations"
group_begin
while IFS='	' read -r saddr daddr dport h_est h_tw h_use; do
	# shellcheck disable=SC2046
	set -- $(awk -F '\t' -v s="$saddr" -v d="$daddr" -v p="$dport" \
		-v lo="$RANGE_LOW" -v hi="$RANGE_HIGH" '
		$2 == s && $4 == d && $5 == p && $3 >= lo && $3 <= hi {
			n[$1]++; if (!($3 in u)) { u[$3] = 1; k++ } }
		END { print n["ESTAB"] + 0, n["TIME-WAIT"] + 0, k + 0 }' "$tmpdir/tcp.tsv")
	check_eq "$probe $daddr:$dport ESTABLISHED (helper vs ss)" "$h_est" "$1"
	check_eq "$probe $daddr:$dport TIME_WAIT (helper vs ss)" "$h_tw" "$2"
	check_eq "$probe $daddr:$dport distinct local ports (helper vs ss)" "$h_use" "$3"
done < "$tmpdir/t-dests.tsv"
group_end "$probe truth: the helper's sockets are what ss shows ($(wc -l < "$tmpdir/t-dests.tsv" | tr -d ' ') destinations)"

jq -r '.measures[] | select(.kind == "connect") |
	[.target, .ok, .model_min, .model_max, .reusable_model, .recycled] | @tsv' \
	"$truth" > "$tmpdir/t-connects.tsv" || fail "cannot read the helper's measures"
group_begin
while IFS='	' read -r target ok mmin mmax rmodel recycled; do
	check_eq "$probe connect:$target within the kernel's rules [$mmin, $mmax]" yes \
		"$([ "$ok" -ge "$mmin" ] && [ "$ok" -le "$mmax" ] && echo yes || echo "no: $ok")"
	check_eq "$probe connect:$target TIME_WAIT entries taken over (TWRecycled)" \
		"$rmodel" "$recycled"
done < "$tmpdir/t-connects.tsv"
group_end "$probe truth: connects $(awk -F '\t' '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2 }' \
	"$tmpdir/t-connects.tsv") within the kernel's rules"

# truth NAME: the connects toward NAME (an EP of the measures)
truth_of() {
	awk -F '\t' -v t="$1" '$1 == t { print $2 }' "$tmpdir/t-connects.tsv"
}
recycled_of() {
	awk -F '\t' -v t="$1" '$1 == t { print $6 }' "$tmpdir/t-connects.tsv"
}
case $probe in
mapped)
	group_begin
	check_eq "connects toward ::ffff:$D1 = toward $D1 (one kernel destination)" \
		"$(truth_of "$D1")" "$(truth_of "::ffff:$D1")"
	group_end "$probe truth: ::ffff:$D1 and $D1 get the same connects" ;;
ipv6)
	group_begin
	check_eq "connects toward $NEW6 = toward $NEW (one bind bucket per port)" \
		"$(truth_of "$NEW")" "$(truth_of "$NEW6")"
	group_end "$probe truth: new destinations get the same over IPv4 and IPv6" ;;
esac

# row DEST TRUTH BPF NOBPF EXACT: a line of the final table, and of this
# probe's summary
summary=
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$probe" "$1" "$2" "$3" "$4" "$5" >> "${HEADROOM_ROWS:-/dev/null}"
	summary="$summary${summary:+; }$1 truth=$2 bpf=$3 no-bpf=$4 exact=$5"
}
# the probe's line: "ok" or "not ok" with its figures (_lib_failed is
# tests/lib.sh's count of checks that did not hold)
probe_done() {
	if [ "$_lib_failed" -eq 0 ]; then
		echo "ok probe $probe$1: $summary"
	else
		echo "not ok probe $probe$1: $summary"
	fi
	checks_done
}

if [ "$truth_only" = 1 ]; then
	for d in $news $dests; do
		row "$d" "$(truth_of "$d")" - - -
	done
	probe_done " (truth only)"
	exit 0
fi

# ---- porttop ----
# is_int X...: all integers
is_int() {
	for _x; do
		case $_x in '' | *[!0-9]*) return 1 ;; esac
	done
}
# plus A B: A + B, or A when it is not a number (a check then fails)
plus() {
	if is_int "$1" "$2"; then echo "$(($1 + $2))"; else echo "$1"; fi
}
# within WHAT LOW X HIGH: check LOW <= X <= HIGH
within() {
	if is_int "$2" "$3" "$4" && [ "$2" -le "$3" ] && [ "$3" -le "$4" ]; then
		return 0
	fi
	check_eq "$1: $2 <= $3 <= $4" yes no
}

# The snapshot's rows toward EP (kernel endpoint: IPv4 and its v4-mapped
# form are one), one per line: available available_min exact reusable
rows_of() {
	jq -r --arg ep "$2" '
		def norm: sub("^::ffff:(?<a>[0-9.]+)$"; "\(.a)");
		($ep | capture("^(?<a>.*):(?<p>[0-9]+)$")) as $t
		| .destinations[]
		| select((.proto // "tcp") == "tcp" and (.daddr | norm) == ($t.a | norm)
			and .dport == ($t.p | tonumber))
		| [.available, .available_min, .exact, .reusable] | map(tostring) | join(" ")' "$1"
}

for v in $variants; do
	snap=$tmpdir/$v.json
	jq -e 'type == "object"' "$snap" > /dev/null 2>&1 || fail "porttop ($v): output is not a JSON object"
	eval "$(jq -r '@sh "P_exact=\(.exact) P_src=\(.bind_source) P_why=\(.inexact_reason)
		P_new=\(.ephemeral.available_new_destination)
		P_newmin=\(.ephemeral.available_new_destination_min)
		P_allexact=\(([.destinations[].exact] | all) and
			.ephemeral.available_new_destination_min == .ephemeral.available_new_destination)
		P_bad=\([.destinations[] | select((.reusable <= .available
			and .available_min <= .available
			and .exact == (.available_min == .available)) | not)
			| "\(.daddr):\(.dport)"] | join(" "))"' "$snap")" ||
		fail "porttop ($v): cannot read the snapshot"

	group_begin
	if [ "$v" = bpf ]; then
		check_eq "$v bind_source" bpf "$P_src"
		check_eq "$v exact" true "$P_exact"
	else
		check_eq "$v bind_source" autobound "$P_src"
		[ "$inexact" = 0 ] || check_eq "$v exact (bind(addr, 0) + connect() sockets)" \
			false "$P_exact"
	fi
	check_eq "$v exact = every destination and the new-destination figure exact" "$P_allexact" "$P_exact"
	[ "$P_exact" != false ] || check_eq "$v inexact_reason given" yes "$([ -n "$P_why" ] &&
		[ "$P_why" != null ] && echo yes || echo no)"
	check_eq "$v rows with reusable > available, available_min > available or a wrong exact" \
		"" "$P_bad"
	[ "$P_exact" = false ] || P_why=
	group_end "$probe $v: bind_source=$P_src exact=$P_exact${P_why:+ ($P_why)}"

	# the new-destination figure
	for d in $news; do
		t=$(truth_of "$d")
		group_begin
		if [ "$v" = bpf ]; then
			within "$v new destination $d available_new_destination" \
				"$P_new" "$t" "$(plus "$P_new" "$slack")"
			check_eq "$v new destination: available_new_destination_min" "$P_new" "$P_newmin"
		else
			# (equal when the two are: no separate exact flag here)
			within "$v new destination $d" "$P_newmin" "$t" "$(plus "$P_new" "$slack")"
		fi
		group_end "$probe $v new destination $d: porttop $P_newmin~$P_new truth $t"
		echo "$d	$t	$P_newmin $P_new $([ "$P_newmin" = "$P_new" ] && echo true ||
			echo false)" >> "$tmpdir/$v.rows"
	done

	for d in $dests; do
		t=$(truth_of "$d")
		rows=$(rows_of "$snap" "$d")
		group_begin
		if check_eq "$v porttop has a destination row for $d" yes "${rows:+yes}"; then
			printf '%s\n' "$rows" > "$tmpdir/rows.txt"
			while read -r avail amin exact reuse; do
				if [ "$v" = bpf ]; then
					check_eq "$v $d exact" true "$exact"
					within "$v $d available" "$avail" "$t" "$(plus "$avail" "$slack")"
					check_eq "$v $d available_min" "$avail" "$amin"
					check_eq "$v $d reusable = TIME_WAIT entries taken over" \
						"$(recycled_of "$d")" "$reuse"
				else
					within "$v $d available_min <= truth <= available" \
						"$amin" "$t" "$(plus "$avail" "$slack")"
					case " $exact_nobpf " in
					*" $d "*) check_eq "$v $d exact (no unknown socket of another destination)" \
						true "$exact" ;;
					esac
					[ "$exact" != true ] || within "$v $d exact" \
						"$avail" "$t" "$(plus "$avail" "$slack")"
				fi
			done < "$tmpdir/rows.txt"
			# shellcheck disable=SC2086
			set -- $rows
			group_end "$probe $v $d: porttop min=$2 available=$1 exact=$3 reusable=$4 truth=$t"
			echo "$d	$t	$2 $1 $3" >> "$tmpdir/$v.rows"
		else
			group_end "$probe $v $d: no row, truth=$t"
			echo "$d	$t	- - -" >> "$tmpdir/$v.rows"
		fi
	done

	# pools: bind(ADDR:0) and UDP connect() counts (a UDP connect()
	# autobinds before it picks a source address: the wildcard's pool)
	jq -r '.measures[] | select(.kind != "connect") | [.kind, .target, .ok] | @tsv' \
		"$truth" > "$tmpdir/t-pools.tsv" || fail "cannot read the helper's pool measures"
	while IFS='	' read -r kind target ok; do
		proto=tcp saddr=$target
		[ "$kind" = tcpbind ] || proto=udp
		[ "$kind" != udpconnect ] || saddr=0.0.0.0
		p=$(jq -r --arg p "$proto" --arg s "$saddr" '[.pools[] | select(.proto == $p
			and .saddr == $s) | .available] | .[0] // empty' "$snap")
		# the wildcard pools are always listed, the others when seen
		[ -n "$p" ] || [ "$saddr" = 0.0.0.0 ] || continue
		group_begin
		if check_eq "$v pools lists $proto $saddr" yes "${p:+yes}"; then
			if [ "$proto $saddr" = "tcp 0.0.0.0" ] && [ "$v6only" -gt 0 ]; then
				# docs/model.md, known limits: IPv6 sockets that
				# bound ::1 are IPV6_V6ONLY, which TIME_WAIT
				# entries do not show: porttop may count them
				# against the IPv4 wildcard (under, never over)
				within "$v pool $proto $saddr: $kind:$target calls - $v6only <= available <= calls" \
					"$((ok - v6only))" "$p" "$ok"
			else
				within "$v pool $proto $saddr available = $kind:$target calls" \
					"$p" "$ok" "$(plus "$p" "$slack")"
			fi
		fi
		group_end "$probe $v pool $proto $saddr: porttop ${p:-none}, $kind:$target $ok"
	done < "$tmpdir/t-pools.tsv"
done

# the table rows: truth, bpf available, no-bpf min~estimate, exact
# (bpf/no-bpf); "-" where not run
for d in $news $dests; do
	b=- n=- eb=- en=-
	if [ -s "$tmpdir/bpf.rows" ]; then
		# shellcheck disable=SC2046
		set -- $(awk -F '\t' -v d="$d" '$1 == d { print $3 }' "$tmpdir/bpf.rows")
		b=${2:--} eb=${3:--}
	fi
	if [ -s "$tmpdir/nobpf.rows" ]; then
		# shellcheck disable=SC2046
		set -- $(awk -F '\t' -v d="$d" '$1 == d { print $3 }' "$tmpdir/nobpf.rows")
		n="${1:--}~${2:--}" en=${3:--}
	fi
	row "$d" "$(truth_of "$d")" "$b" "$n" "$eb/$en"
done

probe_done ""
