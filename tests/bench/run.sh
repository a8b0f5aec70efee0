#!/bin/sh
# make bench: porttop's cost at hundreds of thousands of sockets, against
# the performance budget of the design (docs/performance.md).
#
# Two populations, each in its own private network namespace:
#   tw     120,000 TCP sockets: 60,000 ESTABLISHED (both ends of 30,000
#          loopback connections toward 4 destinations, held by 4
#          processes) and 60,000 client-side TIME_WAIT entries toward the
#          same destinations, kept at that count for the whole run
#          (tests/bench/bench_load.c);
#   procs  1,000 processes holding 100,000 sockets (the attribution worst
#          case); and an imported capture of 300,000 owned sockets
#          (attribution past its memory budget).
# In each, in the same run, it measures:
#   the floor: the bare sock_diag dumps one sample makes (bench_floor);
#   the exact port state: the BPF iterator read and its join to a dump,
#     next to the floor (bench_bpf; not measured without BPF);
#   porttop's engine in one process, sample after sample (bench_engine):
#     sample + model update, without and with process attribution (cold:
#     a new process cache; warm: the steady state);
#   the porttop binary: `porttop -b -o json -n 1` (output discarded);
#   ss -tan, ss -tanp, netstat -tan on the same sockets;
#   the time to build one UI frame per view (bench_frame) at 1,000 and
#   120,000 sockets;
#   porttop at 1 Hz for 10 s: in batch mode, and its terminal UI under
#   tmux; CPU share from its rusage.
# Times are medians over several runs (CLOCK_MONOTONIC inside the
# programs), peak RSS from rusage or VmHWM; the engine's ratios to the
# floor are medians of per-sample ratios to a floor dump taken next to
# each sample. It prints one table with the ratios to the floor and the
# budget lines, and writes the report to $BENCH_DOC when set.
#
# Environment: PORTTOP, BENCH_BIN (directory of the built bench programs),
# TESTLIB (tests/lib.sh); optional: BENCH_DOC (report to write),
# BENCH_RUNS (runs per measure, default 7), BENCH_EST / BENCH_TW (socket
# counts of tw, default 60000 each), BENCH_PROCS / BENCH_PROC_SOCKS
# (default 1000 x 100), BENCH_CC (the compiler line, for the report),
# BENCH_1HZ=0 (skip the two 10 s runs at 1 Hz).
# Needs root, unshare, ip, ss; netstat (net-tools) and tmux are optional.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

RUNS=${BENCH_RUNS:-7}
EST=${BENCH_EST:-60000}
TW=${BENCH_TW:-60000}
NPROCS=${BENCH_PROCS:-1000}
PSOCKS=${BENCH_PROC_SOCKS:-100}
B=${BENCH_BIN:?BENCH_BIN must name the directory of the bench programs}
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
for p in bench_load bench_floor bench_run bench_engine bench_frame bench_bpf; do
	[ -x "$B/$p" ] || fail "$B/$p is not built (make bench builds it)"
done

# ---- one population, inside its own namespace -----------------------------

# result LINES...: keep RESULT lines (tagged with the scenario), show them
result() {
	sed -n "s/^RESULT\t/$scenario\t/p" | tee -a "$BENCH_OUT/results.tsv" |
		awk -F '\t' '{ u = $2 ~ /x floor$/ ? "x " : "ms"
			printf "  %-44s %9.2f %s  (%s sockets)\n", $2, $3, u, $7 }'
}

population_up() {
	ready=$BENCH_OUT/ready-$scenario
	"$B/bench_load" "$@" --ready "$ready" --timeout 600 &
	loadpid=$!
	at_exit "kill $loadpid 2>/dev/null; wait $loadpid 2>/dev/null"
	wait_for -t 120 test -s "$ready"
	kill -0 "$loadpid" 2>/dev/null || fail "bench_load exited early"
	ss -tanH | awk '{ n[$1]++ } END { for (s in n) printf "  %s %d\n", s, n[s] }' |
		sort
}

# quiet SECS: wait until no TIME_WAIT replacement is due for SECS seconds
quiet() {
	"$B/bench_load" wait-quiet --ready "$ready" --secs "$1" ||
		fail "the load never left a quiet window of $1 s"
}

run_tw() {
	netns_sysctl net.ipv4.ip_local_port_range "1024 65535"
	# TIME_WAIT on loopback: no reuse, or connect() would recycle it
	netns_sysctl net.ipv4.tcp_tw_reuse 0
	netns_sysctl net.core.somaxconn 65535
	[ "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" -gt "$((TW + 2000))" ] ||
		netns_sysctl net.ipv4.tcp_max_tw_buckets "$((TW * 2))"
	echo "== tw: $EST ESTABLISHED + $TW TIME_WAIT toward 4 destinations"
	population_up tw --est "$EST" --tw "$TW"
	pre="'$B/bench_load' wait-quiet --ready '$ready' --secs"

	quiet 8
	"$B/bench_floor" -n $((RUNS * 2 + 1)) -l "floor" | result
	"$B/bench_floor" -f -n $((RUNS * 2 + 1)) -l "floor per family" | result
	quiet 10
	"$B/bench_engine" -n 21 -j -l "engine" | result
	quiet 8
	"$B/bench_bpf" -n 15 -l "bpf" | result
	if [ "${PORTTOP_BPF:-0}" = 1 ]; then
		quiet 8
		"$B/bench_engine" -B -n 21 -l "engine with BPF" | result
	fi
	quiet 20
	"$B/bench_engine" -a -c 5 -n 21 -l "engine+attribution" | result
	"$B/bench_run" -n "$RUNS" -p "$pre 3" -l "porttop -b -o json -n 1" -- \
		"$PORTTOP" -b -o json -n 1 | result
	"$B/bench_run" -n "$RUNS" -p "$pre 3" -l "ss -tan" -- ss -tan | result
	"$B/bench_run" -n 3 -w 0 -t 10 -p "$pre 12" -l "ss -tanp" -- ss -tanp |
		result
	if command -v netstat > /dev/null 2>&1; then
		"$B/bench_run" -n "$RUNS" -p "$pre 3" -l "netstat -tan" -- \
			netstat -tan | result
	else
		echo "  netstat not installed (net-tools): not measured"
	fi
	quiet 20
	"$B/bench_frame" -n 9 | result
	if [ "${BENCH_1HZ:-1}" = 0 ]; then
		:
	else
	"$B/bench_run" -n 1 -w 0 -p "$pre 14" -l "porttop -b 1 Hz x 10" -- \
		"$PORTTOP" -b -o json -d 1 -n 11 | result
	fi
	if [ "${BENCH_1HZ:-1}" = 0 ]; then
		echo "  BENCH_1HZ=0: porttop at 1 Hz not measured"
	elif command -v tmux > /dev/null 2>&1; then
		quiet 16
		sock=porttop-bench-$$
		rm -f "$BENCH_OUT/ui.res"
		TERM=xterm-256color tmux -L "$sock" -f /dev/null new-session -d \
			-x 160 -y 50 "'$B/bench_run' -k -n 1 -w 0 -o '$BENCH_OUT/ui.res' \
			-l 'porttop UI 1 Hz x 10' -- '$PORTTOP' -n 11" ||
			fail "cannot start tmux"
		at_exit "tmux -L '$sock' kill-server 2>/dev/null"
		wait_for -t 40 test -s "$BENCH_OUT/ui.res"
		result < "$BENCH_OUT/ui.res"
		tmux -L "$sock" kill-server 2>/dev/null || :
	else
		echo "  tmux not installed: the UI at 1 Hz is not measured"
	fi
	# the count the measures saw must still be the population's
	"$B/bench_floor" -n 1 -l "floor (end)" | result
}

run_procs() {
	netns_sysctl net.ipv4.ip_local_port_range "1024 65535"
	netns_sysctl net.core.somaxconn 65535
	echo "== procs: $NPROCS processes x $PSOCKS sockets"
	population_up procs --procs "$NPROCS" --socks "$PSOCKS"
	"$B/bench_floor" -n $((RUNS * 2 + 1)) -l "floor" | result
	"$B/bench_engine" -a -c 3 -n 11 -l "engine+attribution" | result
	# a cold start reads all 1,000 processes: 5 runs
	"$B/bench_run" -n 5 -w 0 -l "porttop -b -o json -n 1" -- \
		"$PORTTOP" -b -o json -n 1 | result
	"$B/bench_run" -n 5 -w 0 -l "ss -tan" -- ss -tan | result
	# ss -p looks every socket up among every process's files: about a
	# minute per run here, so one run, stopped at 15 s
	"$B/bench_run" -n 1 -w 0 -t 15 -l "ss -tanp" -- ss -tanp | result
	# attribution past its budget: 300,000 owned sockets in one capture
	# (quadratic once, 45 s; a refusal is O(1) now)
	awk 'BEGIN { for (i = 0; i < 300000; i++)
		printf "ESTAB 0 0 10.%d.%d.1:%d 192.0.2.%d:443 users:((\"app\",pid=%d,fd=%d))\n",
			i / 65536, (i / 256) % 256, 1024 + i % 60000, 1 + int(i / 60000),
			1000 + i % 50, 3 + i % 1000 }' > "$BENCH_OUT/owned300k.ss"
	"$B/bench_run" -n 3 -w 0 -t 60 -l "porttop --import 300k owned sockets" -- \
		"$PORTTOP" --import "$BENCH_OUT/owned300k.ss" -b -o json -n 1 | result
}

case ${1:-} in
tw | procs)
	scenario=$1
	[ -d "${BENCH_OUT:-}" ] || fail "BENCH_OUT must name the results directory"
	netns_enter "$0" "$@"
	"run_$scenario"
	exit 0
	;;
'') ;;
*) fail "unknown scenario '$1' (tw, procs, or none for both)" ;;
esac

# ---- both, then the table ---------------------------------------------------

netns_require
# a directory of its own: nothing else cleans it up under our feet
tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/porttop-bench.XXXXXX") ||
	fail "cannot create a temporary directory"
BENCH_OUT=$tmpdir
export BENCH_OUT
start=$(date +%s)
sh "$0" tw || fail "the tw scenario failed"
sh "$0" procs || fail "the procs scenario failed"
elapsed=$(($(date +%s) - start))

# The machine, as the report states it.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
ssver=$(ss -V 2>/dev/null | head -n 1)
nsver=$(netstat -V 2>/dev/null | head -n 1)
machine="$(nproc) x $cpu, $mem, Linux $(uname -r)"
compiler=${BENCH_CC:-unknown}

# table.awk: the results (scenario, label, median, min, max, runs, sockets,
# rss KiB, cpu ms) into the table and the budget lines (markdown)
cat > "$tmpdir/table.awk" <<'AWK'
BEGIN { FS = "\t" }
{
	lab = $2
	st = 0
	if (match(lab, / \(stopped after [0-9]+ s\)$/)) {
		st = 1
		lab = substr(lab, 1, RSTART - 1)
	}
	k = $1 "|" lab
	med[k] = $3; socks[k] = $7; rss[k] = $8; cpu[k] = $9; runs[k] = $6
	stopped[k] = st
	order[++n] = k
}
function mib(v) { return v == "-" || v == "" ? "" : sprintf("%.1f", v / 1024) }
# row KEY NAME [BASE]: the ratio is to BASE (default: the scenario's
# floor), or the median of the paired ratios KEY": x floor" when measured
function row(k, name, base,    r, s, m) {
	if (!(k in med)) return
	split(k, p, "|")
	if (base == "") base = p[1] "|floor"
	r = ""
	if ((k ": x floor") in med)
		r = sprintf("%.2f", med[k ": x floor"])
	else if ((base in med) && med[base] > 0)
		r = sprintf("%.2f", med[k] / med[base])
	s = socks[k]
	if (s < 0 && ((p[1] "|floor") in socks)) s = socks[p[1] "|floor"]
	m = sprintf("%s%.1f", stopped[k] ? "> " : "", med[k])
	if (stopped[k]) r = "> " r
	printf "| %-44s | %7s | %9s | %7s | %7s |\n", name, s, m, r, mib(rss[k])
}
# fpair KIND VIEW: sets fa, fb to the medians of "KIND VIEW @ N sockets"
# at the smaller and the larger N (the subset comes first)
function fpair(kind, view,    i, p) {
	fa = ""; fb = ""
	for (i = 1; i <= n; i++) {
		split(order[i], p, "|")
		if (p[2] ~ ("^" kind " " view " @ ")) {
			if (fa == "") fa = med[order[i]]; else fb = med[order[i]]
		}
	}
	return fa != "" && fb != ""
}
# a frame is independent of the socket count when the larger is within
# 1.5x + 0.5 ms of the smaller
function frow(view,    a, b, c, d, r1, r2) {
	if (!fpair("frame", view)) return
	a = fa; b = fb
	c = ""; d = ""
	if (fpair("redraw", view)) { c = fa; d = fb }
	r1 = (a > 0) ? b / a : 0
	r2 = (c > 0) ? d / c : 0
	if (c == "")
		printf "| %-12s | %8.3f | %8.3f | %7.1f | - | - | - |\n", view, a, b, r1
	else
		printf "| %-12s | %8.3f | %8.3f | %7.1f | %8.3f | %8.3f | %7.1f |\n", view, a, b, r1, c, d, r2
	if (b > 1.5 * a + 0.5) { frame_bad = frame_bad " " view }
	if (d != "" && d > 1.5 * c + 0.5) { redraw_bad = redraw_bad " " view }
	if (r1 > worst_fr) { worst_fr = r1; worst_view = view }
	if (r2 > worst_rr) { worst_rr = r2; worst_rview = view }
	if (b > worst_fms) worst_fms = b
	if (d > worst_rms) worst_rms = d
}
function verdict(ok) { return ok ? "met" : "**not met**" }
END {
	big = socks["tw|floor"]
	print "| measure | sockets | median ms | x floor | peak RSS MiB |"
	print "| --- | ---: | ---: | ---: | ---: |"
	printf "| **%s ESTABLISHED + %s TIME_WAIT, 4 destinations, 4 processes** | | | | |\n", est, tw
	row("tw|floor", "sock_diag dumps alone (the floor)")
	row("tw|floor per family", "  the same, TCP dumped once per family")
	e = "tw|engine: floor"
	row(e, "  the floor, between the engine's samples")
	row("tw|engine", "porttop engine: sample + model update", e)
	row("tw|engine: sample", "  of which the sample", e)
	row("tw|engine: model", "  of which the model update", e)
	row("tw|engine: JSON", "  JSON output of the snapshot", e)
	e = "tw|bpf: floor"
	row("tw|bpf: read+join", "exact port state: BPF iterator + join", e)
	row("tw|bpf: read", "  of which the iterator read", e)
	row("tw|bpf: join", "  of which the join by cookie", e)
	e = "tw|engine+attribution warm: floor"
	row("tw|engine+attribution warm", "engine with attribution, warm", e)
	row("tw|engine+attribution warm: sample", "  of which the sample + attribution", e)
	row("tw|engine+attribution warm: model", "  of which the model update", e)
	row("tw|engine+attribution cold", "engine with attribution, cold",
	    "tw|engine+attribution cold: floor")
	row("tw|porttop -b -o json -n 1", "porttop -b -o json -n 1 (whole process)")
	row("tw|ss -tan", "ss -tan")
	row("tw|ss -tanp", "ss -tanp")
	row("tw|netstat -tan", "netstat -tan")
	printf "| **%s processes holding %s sockets each** | | | | |\n", nprocs, psocks
	row("procs|floor", "sock_diag dumps alone (the floor)")
	e = "procs|engine+attribution warm: floor"
	row("procs|engine+attribution warm", "engine with attribution, warm", e)
	row("procs|engine+attribution warm: sample", "  of which the sample + attribution", e)
	row("procs|engine+attribution warm: model", "  of which the model update", e)
	row("procs|engine+attribution cold", "engine with attribution, cold",
	    "procs|engine+attribution cold: floor")
	row("procs|porttop -b -o json -n 1", "porttop -b -o json -n 1 (whole process)")
	row("procs|ss -tan", "ss -tan")
	row("procs|ss -tanp", "ss -tanp")
	print ""
	print "One UI frame (160x50, screen_render into the in-memory frame), median ms: after a new snapshot (every refresh), and drawn again on the same snapshot (a key press):"
	print ""
	print "| view | new snapshot, small | all sockets | ratio | redraw, small | all sockets | ratio |"
	print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	frow("destinations"); frow("heatmap"); frow("processes"); frow("sockets")
	print ""
	# 1 Hz: CPU over the 10 intervals, less the start (one -n 1 run)
	k1 = "tw|porttop -b -o json -n 1"; kb = "tw|porttop -b 1 Hz x 10"; ku = "tw|porttop UI 1 Hz x 10"
	if (kb in med) {
		cb = 100 * cpu[kb] / med[kb]
		sb = 100 * (cpu[kb] - cpu[k1]) / (med[kb] - med[k1])
		printf "porttop -b -o json -d 1 -n 11 at %s sockets: %.1f%% of one core over its whole run, %.1f%% in the steady state (less one -n 1 run); peak RSS %s MiB.\n", big, cb, sb, mib(rss[kb])
	}
	if (ku in med) {
		cu = 100 * cpu[ku] / med[ku]
		su = 100 * (cpu[ku] - cpu[k1]) / (med[ku] - med[k1])
		printf "porttop UI (160x50, tmux) -n 11 at %s sockets: %.1f%% of one core over its whole run, %.1f%% in the steady state; peak RSS %s MiB.\n", big, cu, su, mib(rss[ku])
	}
	print ""
	print "| budget | limit | measured | |"
	print "| --- | ---: | ---: | --- |"
	k = "tw|engine: x floor"
	if (k in med)
		printf "| one sample + model update / floor | 1.30 | %.2f | %s |\n", med[k], verdict(med[k] <= 1.3)
	k = "tw|engine with BPF: x floor"
	if (k in med)
		printf "| one sample + model update with the BPF port-state reader / floor | 1.50 | %.2f | %s |\n", med[k], verdict(med[k] <= 1.5)
	k = "tw|engine+attribution warm: x floor"
	if (k in med)
		printf "| warm attribution / floor | 1.50 | %.2f | %s |\n", med[k], verdict(med[k] <= 1.5)
	k = "procs|engine+attribution warm: x floor"
	if (k in med)
		printf "| warm attribution / floor, %s processes | 1.50 | %.2f | %s |\n", nprocs, med[k], verdict(med[k] <= 1.5)
	if (worst_view != "")
		printf "| frame after a new snapshot, all sockets vs ~1,000 (worst: %s, %.1f ms) | 1.5x + 0.5 ms | %.1fx | %s |\n", worst_view, worst_fms, worst_fr, verdict(frame_bad == "")
	if (worst_rview != "")
		printf "| frame redrawn, all sockets vs ~1,000 (worst: %s, %.1f ms) | 1.5x + 0.5 ms | %.1fx | %s |\n", worst_rview, worst_rms, worst_rr, verdict(redraw_bad == "")
	m = 0
	for (k in rss) if (k ~ /^tw\|porttop/ && rss[k] != "-" && rss[k] + 0 > m) m = rss[k] + 0
	if (m > 0)
		printf "| porttop peak RSS at %s sockets | 48 MiB | %.1f MiB | %s |\n", big, m / 1024, verdict(m < 48 * 1024)
	if (ku in med)
		printf "| 1 Hz refresh at %s sockets (UI, steady state) | 12%% | %.1f%% | %s |\n", big, su, verdict(su < 12)
	else if (kb in med)
		printf "| 1 Hz refresh at %s sockets (batch, steady state) | 12%% | %.1f%% | %s |\n", big, sb, verdict(sb < 12)
}
AWK
awk -v est="$EST" -v tw="$TW" -v nprocs="$NPROCS" -v psocks="$PSOCKS" \
	-f "$tmpdir/table.awk" "$tmpdir/results.tsv" > "$tmpdir/table.md" ||
	fail "cannot build the table"

echo
echo "porttop benchmark ($machine; $elapsed s)"
echo
cat "$tmpdir/table.md"

[ -n "${BENCH_DOC:-}" ] || exit 0
{
	cat <<EOF
# porttop performance

porttop runs on hosts that are already in trouble, so it must cost almost
nothing and stay fast at hundreds of thousands of sockets. This page is
written by \`make bench\` (tests/bench/run.sh); the numbers below are from
its last run.

## Budget

At 120,000 TCP sockets (60k ESTABLISHED, 60k TIME_WAIT, 4 destinations) on
2 cores: one full sample + model update within 1.3x the bare sock_diag dump
of the same sockets; with process attribution warm, within 1.5x; a UI frame
independent of the socket count; peak RSS under 48 MiB; a 1 Hz refresh
under 12% of one core.

## Results

Machine: $machine. Compiler: $compiler. References: ${ssver:-ss}; ${nsver:-netstat not installed}.
Run took $elapsed s.

EOF
	cat "$tmpdir/table.md"
	cat <<'EOF'

## Method

- Each population lives in its own private network namespace (`unshare
  -n`), built by `tests/bench/bench_load`:
  - **TIME_WAIT population**: four processes, one per destination
    (127.0.0.1-4, port 80), each holds both ends of 7,500 loopback
    connections (60,000 ESTABLISHED sockets in all; a process may hold
    only about 20,000 descriptors) and makes 15,000 client-side TIME_WAIT
    entries toward its destination (the client closes first; the server
    reads EOF and closes). The namespace has `ip_local_port_range`
    1024-65535 (64,512 ports per destination, 22,500 used),
    `tcp_tw_reuse` 0 (else connect() on loopback recycles TIME_WAIT
    entries) and `somaxconn` 65535. A TIME_WAIT entry lives 60 s: each
    process replaces every batch of 250 entries as it turns 60 s old, and
    every measure waits for a window in which no replacement is due, so
    the count is constant and nothing else runs while it is measured.
  - **Process population**: each process holds both ends of 50
    connections (100,000 ESTABLISHED sockets for 1,000 processes).
- **Floor** (`bench_floor`): the dumps of one porttop sample with the
  replies counted and nothing else: every TCP socket in one
  `TCPDIAG_GETSOCK` dump (the kernel answers it with one walk of its
  tables for both families), then UDP with `SOCK_DIAG_BY_FAMILY` for IPv4
  and IPv6; every state including bit 13, no extensions, 32 KiB receive
  buffer; the same requests as `engine/diag.c`. "TCP dumped once per
  family" is the same with two `SOCK_DIAG_BY_FAMILY` TCP dumps, what
  porttop falls back to on a kernel that refuses the older request: each
  of them walks the whole established and bind tables, so the IPv6 one
  costs nearly as much as the IPv4 one with no IPv6 socket at all.
- **Exact port state** (`bench_bpf`, builds with BPF only): the BPF
  TCP socket iterator read (`bpfport_read()`: a new iterator instance,
  every record read and parsed) and its join by cookie to porttop's own
  dump (`bpfport_join()`), timed together; the ratio is the median of
  the per-run ratios to a floor dump taken next to each run.
- **Engine** (`bench_engine`): one process doing what porttop does every
  refresh, as fast as it can: `sampler_take()` (sysctls, the dumps and
  their parsing, destroy events, netstat counters, conntrack files, and
  with attribution the process cache) then `model_update()`. Warm: 21
  samples after one warm-up. Cold: a new sampler and model, first sample
  (5 times). Next to every sample the process also times the floor on a
  socket of its own (before the sample or after it, in turn); "x floor"
  of an engine line is the median of these paired ratios, so that the
  noise of a shared machine touches both sides of each ratio alike.
- **porttop**, `ss`, `netstat` (`bench_run`): whole processes, output to
  /dev/null, wall time around fork and wait, CPU and peak RSS from the
  child's rusage. One warm-up run, then the median (5 runs without
  warm-up among the 1,000 processes); `ss -tanp` (which looks every
  socket up among every process's open files) runs 3 times, each
  stopped at 10 s, and once, stopped at 15 s, among the 1,000
  processes; "> N" marks a run that was stopped (its time is a lower
  bound).
- **Frames** (`bench_frame`): `screen_render()` of each top view into a
  160x50 in-memory frame, as each refresh does, after
  `uistate_set_snapshot()` (caches keyed to the snapshot rebuilt), and
  again on the same snapshot (a key press); on all the sockets and on
  every k-th of them (about 1,000, with their owners), median of 9. A
  frame counts as independent of the socket count when the larger time
  is within 1.5x + 0.5 ms of the smaller. What makes it so: no view
  sorts or scans every socket per refresh. `model_update()` builds, once
  per sample, the indexes the views read (engine/sockindex.h): every
  socket by local address and port (a radix sort of 49-bit keys), the
  sockets of each destination and of each process as runs of that
  order, and the class of every port (the heatmap of all destinations).
  The Sockets view shows a run of the index (binary searches for a port
  range, and to find the selected socket again); the heatmap counts
  ports, not sockets. Sorting by another column, or a text filter,
  still filters and sorts every row, once per new snapshot.
- **1 Hz**: `porttop -b -o json -d 1 -n 11` and the terminal UI
  (`porttop -n 11` in a 160x50 tmux) run 10 intervals; CPU share = CPU
  time / wall time over the whole run, and in the steady state the same
  less one `porttop -b -o json -n 1` run (its start and cold sample).
- Peak RSS: VmHWM of the bench process, or ru_maxrss of the command.

Where the floor goes: with every state asked for, the kernel also walks
its bind table for BOUND sockets (state bit 13: bind() without listen()
or connect(), which hold their port for every destination). Every TCP
socket with a local port is in that table, TIME_WAIT entries included:
at 120,000 sockets the walk was about 19 ms of a 70 ms floor (a dump
without bit 13: 51 ms). porttop needs those sockets for `owned`, so the
floor keeps the walk.

Profiles: `perf record -g` on `bench_floor` or `bench_engine`, and
`valgrind --tool=callgrind` (instruction counts, which do not depend on
the noise of the machine) on `bench_engine -n 3` (`-a` for
attribution), run inside such a namespace with `bench_load tw` holding
the population.
EOF
} > "$BENCH_DOC" || fail "cannot write $BENCH_DOC"
echo
echo "wrote $BENCH_DOC"
