#!/bin/sh
# porttop's security promises (docs/security.md), checked, in a private
# network namespace with a known population (tests/porthelper hold):
#
#   no programs     the binary imports none of exec*, system, popen,
#                   posix_spawn*, fork, vfork; under strace a run (live
#                   with -w, replay, import) makes no execve but its own
#                   and no fork or clone;
#   no writes       every open() that can write or create (batch: live
#                   -w, replay, import) names the -w file only; -w opens
#                   with O_NOFOLLOW; every open of a run carries O_CLOEXEC;
#                   no rename, unlink, mkdir, link, symlink, chmod,
#                   truncate; --textfile=FILE opens for writing only its
#                   own temporary files beside FILE (O_EXCL) and renames
#                   each onto FILE, nothing else;
#   -w refuses      a symlink (even to a file it could write), a hard-linked
#                   file, a FIFO, a directory, a file that is not a
#                   recording: exit 3, a reason on stderr, the target
#                   byte for byte unchanged;
#   capabilities    a copy with the documented file capabilities
#                   (setcap cap_sys_ptrace,cap_dac_read_search,cap_net_admin+ep)
#                   run as nobody attributes the sockets of root's
#                   processes and dumps the conntrack table; the same
#                   binary without them runs too, degrades with the
#                   warnings that name the missing capability.
#
# Needs root, unshare, ip, jq, strace, setcap (libcap2-bin), setpriv, nft
# and nm; PORTTOP, PORTHELPER and TESTLIB set.

# shellcheck source=/dev/null disable=SC2154
. "${TESTLIB:?TESTLIB must name tests/lib.sh}"

# libbpf (1.1) reads the kernel's BTF with a plain fopen() while porttop
# loads its BPF program, once at start-up, and closes it at once; porttop
# runs no program, so that descriptor cannot leak into one. Every other
# open must carry O_CLOEXEC.
no_libbpf_btf() {
	grep -v -E 'openat\(AT_FDCWD, "/sys/kernel/btf/vmlinux", O_RDONLY\) = [0-9]+$'
}

netns_enter "$0" "$@"

require_tool jq
require_tool strace
require_tool setcap
require_tool setpriv
require_tool nft
require_tool nm
[ -x "${PORTTOP:-}" ] || fail "PORTTOP is not an executable: '${PORTTOP:-}'"
[ -x "${PORTHELPER:-}" ] || fail "PORTHELPER is not an executable: '${PORTHELPER:-}'"
tmpdir_new
chmod 755 "$tmpdir"

netns_sysctl net.ipv4.ip_local_port_range "40000 40199"
netns_sysctl net.core.somaxconn 4096
netns_sysctl net.ipv4.tcp_max_tw_buckets 4096
# conntrack in use in this namespace: the table has entries to dump
nft -f - <<'EOF' || fail "cannot load an nft table (conntrack)"
table inet porttop_test {
	chain out { type filter hook output priority 0; ct state new counter; }
}
EOF

"$PORTHELPER" hold --ready "$tmpdir/ready.json" --timeout 300 < /dev/null \
	> "$tmpdir/helper.log" 2>&1 &
helper=$!
at_exit "kill $helper 2>/dev/null; wait $helper 2>/dev/null"
wait_for -t 20 test -s "$tmpdir/ready.json"

# ---- no programs ----------------------------------------------------------
group_begin
bad=$(nm -D --undefined-only "$PORTTOP" | awk '{ print $NF }' | sed 's/@.*//' |
	grep -E '^(exec[lv]p?e?|execvpe|fexecve|system|popen|posix_spawnp?|fork|vfork|clone3?|_Fork)$' |
	tr '\n' ' ')
check_eq "symbols that run programs, imported by porttop" "" "$bad"

# trace ARGS...: porttop under strace -f into $tmpdir/trace.N
trace_n=0
trace() {
	trace_n=$((trace_n + 1))
	strace -f -qq -o "$tmpdir/trace.$trace_n" \
		-e trace=execve,execveat,fork,vfork,clone,clone3,open,openat,openat2,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,link,linkat,symlink,symlinkat,chmod,fchmodat,truncate \
		"$PORTTOP" "$@" > "$tmpdir/trace.$trace_n.out" 2> "$tmpdir/trace.$trace_n.err"
}

rec=$tmpdir/rec.ptr
trace -b -n 3 -d 0.1 -o json -w "$rec" || fail "porttop -w under strace: $(cat "$tmpdir/trace.1.err")"
[ -s "$rec" ] || fail "porttop -w wrote nothing"
check_eq "live -w: JSON lines" 3 "$(wc -l < "$tmpdir/trace.1.out")"
trace -b -n 3 -o json -r "$rec" || fail "porttop -r under strace: $(cat "$tmpdir/trace.2.err")"
ss -tanH > "$tmpdir/capture.txt"
trace -b -o json --import="$tmpdir/capture.txt" --range=40000-40199 ||
	fail "porttop --import under strace: $(cat "$tmpdir/trace.3.err")"

for t in 1 2 3; do
	f=$tmpdir/trace.$t
	check_eq "trace $t: execve calls (porttop's own only)" 1 "$(grep -c 'execve(' "$f")"
	check_eq "trace $t: fork/clone calls" 0 "$(grep -c -E '(fork|clone3?)\(' "$f")"
	check_eq "trace $t: rename/unlink/mkdir/link/chmod/truncate calls" 0 \
		"$(grep -c -E '(rename|renameat2?|unlink|unlinkat|mkdir|mkdirat|link|linkat|symlink|symlinkat|chmod|fchmodat|truncate)\(' "$f")"
	# opens that may write or create, other than the recording
	writes=$(grep -E 'open(at2?)?\(|creat\(' "$f" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(' |
		grep -v -F "\"$rec\"" | head -n 3)
	check_eq "trace $t: opens for writing other than -w" "" "$writes"
	# every successful open is close-on-exec
	nocloexec=$(grep -E 'open(at2?)?\(' "$f" | grep -v ' = -1 ' | grep -v O_CLOEXEC |
		no_libbpf_btf | head -n 3)
	check_eq "trace $t: opens without O_CLOEXEC" "" "$nocloexec"
done
check_eq "live -w: the recording is opened O_NOFOLLOW" 1 \
	"$(grep -F "\"$rec\"" "$tmpdir/trace.1" | grep -E 'O_WRONLY|O_RDWR' | grep -c O_NOFOLLOW)"
group_end "porttop runs no program and writes only the file named by -w"

# ---- --textfile writes FILE by rename, and nothing else -------------------------
group_begin
mkdir "$tmpdir/tf"
tf=$tmpdir/tf/p.prom
trace --textfile="$tf" -n 3 -d 0.1 || fail "porttop --textfile under strace: $(cat "$tmpdir/trace.$trace_n.err")"
f=$tmpdir/trace.$trace_n
check_eq "--textfile: the file" yes "$([ -s "$tf" ] && echo yes || echo no)"
check_eq "--textfile: execve calls (porttop's own only)" 1 "$(grep -c 'execve(' "$f")"
check_eq "--textfile: fork/clone calls" 0 "$(grep -c -E '(fork|clone3?)\(' "$f")"
# writes: only temporary files beside FILE, created exclusively
writes=$(grep -E 'open(at2?)?\(|creat\(' "$f" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(' |
	grep -v -E "\"$tmpdir/tf/\\.p\\.prom\\.[A-Za-z0-9]{6}\", O_RDWR\\|O_CREAT\\|O_EXCL\\|O_CLOEXEC" | head -n 3)
check_eq "--textfile: opens for writing other than its temporary files" "" "$writes"
check_eq "--textfile: renames, each a temporary file onto FILE" 3 \
	"$(grep -E '^[0-9]+ +rename(at2?)?\(' "$f" | grep -c -E "\"$tmpdir/tf/\\.p\\.prom\\.[A-Za-z0-9]{6}\", .*\"$tf\"\\) = 0")"
check_eq "--textfile: other renames, unlinks, mkdirs, links, chmods, truncates" 0 \
	"$(grep -E '(rename|renameat2?|unlink|unlinkat|mkdir|mkdirat|link|linkat|symlink|symlinkat|chmod|fchmodat|truncate)\(' "$f" |
		grep -c -v -E "\"$tmpdir/tf/\\.p\\.prom\\.[A-Za-z0-9]{6}\", .*\"$tf\"\\) = 0")"
nocloexec=$(grep -E 'open(at2?)?\(' "$f" | grep -v ' = -1 ' | grep -v O_CLOEXEC |
	no_libbpf_btf | head -n 3)
check_eq "--textfile: opens without O_CLOEXEC" "" "$nocloexec"
group_end "--textfile writes only FILE, by renaming its own temporary file"

# ---- -w refuses what it must not write -------------------------------------------
group_begin
printf 'precious\n' > "$tmpdir/target"
sum0=$(cksum < "$tmpdir/target")
# refused NAME PATH: porttop -w PATH fails (exit 3) with a reason, quickly
refused() {
	_rc=0
	timeout 10 "$PORTTOP" -b -n 1 -o json -w "$2" > /dev/null 2> "$tmpdir/refused.err" || _rc=$?
	check_eq "-w onto $1: exit status" 3 "$_rc"
	[ -s "$tmpdir/refused.err" ] || check_eq "-w onto $1: a reason on stderr" yes no
	check_eq "-w onto $1: target unchanged" "$sum0" "$(cksum < "$tmpdir/target")"
}
ln -s "$tmpdir/target" "$tmpdir/link"
refused "a symlink" "$tmpdir/link"
ln "$tmpdir/target" "$tmpdir/hard"
refused "a hard link" "$tmpdir/hard"
rm -f "$tmpdir/hard"
refused "a file that is not a recording" "$tmpdir/target"
mkfifo "$tmpdir/fifo"
refused "a FIFO" "$tmpdir/fifo"
mkdir "$tmpdir/dir"
refused "a directory" "$tmpdir/dir"
group_end "-w refuses symlinks, hard links, FIFOs, directories and foreign files"

# ---- capabilities -------------------------------------------------------------
group_begin
cp "$PORTTOP" "$tmpdir/porttop-caps"
cp "$PORTTOP" "$tmpdir/porttop-plain"
chmod 755 "$tmpdir/porttop-caps" "$tmpdir/porttop-plain"
setcap cap_sys_ptrace,cap_dac_read_search,cap_net_admin+ep "$tmpdir/porttop-caps" ||
	fail "setcap failed"
# as nobody, no supplementary groups, no inherited capabilities
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}
as_nobody "$tmpdir/porttop-caps" -b -n 1 -o json > "$tmpdir/caps.json" 2> "$tmpdir/caps.err" ||
	fail "porttop with file capabilities, as nobody: $(cat "$tmpdir/caps.err")"
as_nobody "$tmpdir/porttop-plain" -b -n 1 -o json > "$tmpdir/plain.json" 2> "$tmpdir/plain.err" ||
	fail "porttop without capabilities, as nobody: $(cat "$tmpdir/plain.err")"
comm=$(jq -r --argjson p "$helper" '.processes[] | select(.pid == $p) | .comm' "$tmpdir/caps.json")
check_eq "caps: root's porthelper attributed, by name" porthelper "$comm"
check_eq "caps: conntrack dumped" null "$(jq -r '.conntrack.dump_error' "$tmpdir/caps.json")"
check_eq "caps: no capability warning" 0 \
	"$(jq '[.warnings[] | select(test("CAP_"))] | length' "$tmpdir/caps.json")"
check_eq "plain: porthelper not attributed" "" \
	"$(jq -r --argjson p "$helper" '.processes[] | select(.pid == $p) | .comm' "$tmpdir/plain.json")"
check_eq "plain: warning names CAP_SYS_PTRACE" 1 \
	"$(jq '[.warnings[] | select(test("CAP_SYS_PTRACE"))] | length' "$tmpdir/plain.json")"
jq -r '.conntrack.dump_error // ""' "$tmpdir/plain.json" | grep -q CAP_NET_ADMIN ||
	check_eq "plain: conntrack says it needs CAP_NET_ADMIN" yes no
# the same sockets either way
check_eq "caps and plain: TCP sockets" "$(jq .tcp.sockets "$tmpdir/caps.json")" \
	"$(jq .tcp.sockets "$tmpdir/plain.json")"
group_end "documented file capabilities give full function without root"

checks_done
echo "ok security promises"
