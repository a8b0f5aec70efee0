#!/bin/sh
# Build porttop's fuzz targets with clang (libFuzzer + ASan + UBSan) and
# run each one over its seed corpus (tests/fuzz/corpus/TARGET) and the
# inputs that once crashed it (tests/fuzz/regress/TARGET). Independent of
# the configured compiler. Two modes:
#
#   FUZZ_RUNS=N    deterministic (CI, gating): every committed input once,
#                  then a pass of exactly N runs from FUZZ_SEED; the same
#                  sources give the same inputs, so a failure reproduces
#   FUZZ_SECONDS   (FUZZ_RUNS unset) FUZZ_SECONDS of random fuzzing per
#                  target, its corpus kept in FUZZ_OUT (make fuzz-long)
#
#   sh tests/fuzz/run.sh [--build-only] [TARGET...]     (from a build tree)
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60) without FUZZ_RUNS
#   FUZZ_RUNS      runs of the fixed-seed pass (deterministic mode)
#   FUZZ_SEED      its seed (default 1)
#   FUZZ_CC        the compiler (default clang; needs libclang-rt-dev)
#   FUZZ_OUT       where objects, binaries, the growing corpus, logs and
#                  crashes go (default ./fuzz-out)
#   FUZZ_CONFIG    directory holding config.h (default .: a configured
#                  build tree)
#   FUZZ_NICE      prefix for the fuzzer runs (e.g. "nice -n 10")
#   LIBMNL_CFLAGS, LIBMNL_LIBS   as configure found them (default: pkg-config)
#
# Prints one line per target: executions, coverage (libFuzzer's cov: edges
# and ft: features), corpus size, and the result. A target that crashes,
# leaks, times out or breaks an invariant fails the run; its input is in
# FUZZ_OUT/crashes/: keep it as tests/fuzz/regress/TARGET/NAME (the replay
# test, tests/test_fuzz_corpus, then runs it in every make check).
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fz=$srcdir/tests/fuzz
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
seed=${FUZZ_SEED:-1}
cc=${FUZZ_CC:-clang}
out=${FUZZ_OUT:-$PWD/fuzz-out}
config=${FUZZ_CONFIG:-$PWD}
nice=${FUZZ_NICE:-}
build_only=0

ALL_TARGETS="diag events ctnetlink ctstat sysctl procs netstat sanitize import record model ui"

if [ "${1:-}" = --build-only ]; then
	build_only=1
	shift
fi
targets=${*:-$ALL_TARGETS}

die() {
	echo "fuzz: $*" >&2
	exit 2
}

command -v "$cc" >/dev/null 2>&1 ||
	die "$cc not found: install clang and libclang-rt-14-dev (Debian)"
[ -f "$config/config.h" ] ||
	die "no config.h in $config: run from a configured build tree or set FUZZ_CONFIG"
mnl_cflags=${LIBMNL_CFLAGS-$(pkg-config --cflags libmnl 2>/dev/null || :)}
mnl_libs=${LIBMNL_LIBS-$(pkg-config --libs libmnl 2>/dev/null || echo -lmnl)}
# a build with the BPF reader: its generated object source and libbpf
bpf_srcs=${FUZZ_BPF_SRCS-}
bpf_libs=${FUZZ_BPF_LIBS-}

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer $san -I$config -I$srcdir/engine -I$srcdir/tui -I$fz $mnl_cflags"

mkdir -p "$out/obj" "$out/bin" "$out/logs" "$out/crashes" "$out/corpus"

# The engine, the UI logic (not main() nor the files that use curses) and the
# shared fuzz helpers, instrumented for coverage, as one archive: a target
# links only what it uses.
lib=$out/obj/libfuzzporttop.a
objs=
# shellcheck disable=SC2086
for src in "$srcdir"/engine/*.c "$srcdir"/tui/*.c "$fz/fuzz_util.c" "$fz/fuzz_chunks.c" $bpf_srcs; do
	base=$(basename "$src" .c)
	# not main(), nor the curses adapter (no terminal here)
	[ "$base" = main ] && continue
	grep -q '^#include <n\{0,1\}curses' "$src" && continue
	dir=$(basename "$(dirname "$src")")
	obj=$out/obj/$dir-$base.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$config/config.h" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		$cc $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj" ||
			die "cannot compile $src"
	fi
	objs="$objs $obj"
done
rm -f "$lib"
# shellcheck disable=SC2086
ar rcs "$lib" $objs

for t in $targets; do
	[ -f "$fz/fuzz_$t.c" ] || die "unknown target $t (targets: $ALL_TARGETS)"
	bin=$out/bin/fuzz_$t
	if [ ! -f "$bin" ] || [ "$fz/fuzz_$t.c" -nt "$bin" ] || [ "$lib" -nt "$bin" ]; then
		# shellcheck disable=SC2086
		$cc $cflags -fsanitize=fuzzer "$fz/fuzz_$t.c" "$lib" $mnl_libs $bpf_libs -lm \
			-o "$bin" || die "cannot build fuzz_$t"
	fi
done
[ "$build_only" = 1 ] && exit 0

failed=
printf '%-10s %10s %8s %8s %8s  %s\n' TARGET EXECS COV FT CORPUS RESULT
for t in $targets; do
	log=$out/logs/$t.log
	work=$out/corpus/$t
	if [ -n "$runs" ]; then
		# a fresh, empty corpus to write to: nothing of an earlier run
		# changes what this one does
		rm -rf "$work"
	fi
	mkdir -p "$work"
	set -- "$work"
	[ -d "$fz/corpus/$t" ] && set -- "$@" "$fz/corpus/$t"
	[ -d "$fz/regress/$t" ] && set -- "$@" "$fz/regress/$t"
	rc=0
	common="-timeout=10 -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1"
	if [ -n "$runs" ]; then
		# every committed input once (-runs=0: load, run, stop), then
		# the fixed-seed pass of exactly $runs inputs
		# shellcheck disable=SC2086
		$nice "$out/bin/fuzz_$t" -runs=0 $common \
			-artifact_prefix="$out/crashes/$t-" "$@" >"$log" 2>&1 || rc=$?
		rm -rf "$work"
		mkdir -p "$work"
		if [ "$rc" = 0 ]; then
			# shellcheck disable=SC2086
			$nice "$out/bin/fuzz_$t" -seed="$seed" -runs="$runs" $common \
				-artifact_prefix="$out/crashes/$t-" "$@" >>"$log" 2>&1 || rc=$?
		fi
	else
		# shellcheck disable=SC2086
		$nice "$out/bin/fuzz_$t" -max_total_time="$seconds" $common \
			-artifact_prefix="$out/crashes/$t-" "$@" >"$log" 2>&1 || rc=$?
	fi
	# "#123 DONE cov: 456 ft: 789 corp: 12/3456b ..." (the last report)
	line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(printf '%s\n' "$line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(printf '%s\n' "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$line" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	done_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$done_execs" ] && execs=$done_execs
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc, see $log)"
		failed="$failed $t"
	fi
	printf '%-10s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$result"
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	ls -l "$out/crashes" >&2 || :
	for t in $failed; do
		echo "--- $t" >&2
		grep -E 'ERROR|SUMMARY|invariant|runtime error|==[0-9]+==' "$out/logs/$t.log" | head -n 20 >&2 || :
	done
	exit 1
fi
