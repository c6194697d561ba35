#!/usr/bin/env bash
# bench/sym.sh - how fast the symbolizer is, against llvm-symbolizer and
# addr2line, on Debian's 6.1 vmlinux with full DWARF.  Numbers, never
# pass/fail; medians of three runs.
#
#   bench/sym.sh              (after "make"; called by bench/run.sh)
#
#   BENCH_CACHE=DIR   where the vmlinux and the frames are kept
#                     (default /var/tmp/kcsan-bench, outside the tree)
#   VMLINUX=PATH      use this vmlinux instead of Debian's
#   N=20000           distinct random frames with inline chains
#   DROP_CACHES=1     also time one report with the page cache dropped (root)
#
# The vmlinux comes from linux-image-<abi>-amd64-dbg (the one
# linux-image-amd64-dbg depends on): "apt-get download", and only
# usr/lib/debug/boot/vmlinux-* is kept.
set -u
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-/var/tmp/kcsan-bench}
N=${N:-20000}
RUNS=3
BIN=$PWD/kcsan-triage

say() { printf '%s\n' "$*"; }
skip() { say "== sym bench: skipped ($*)"; exit 0; }

[ -x "$BIN" ] || skip "build first: make"
mkdir -p "$CACHE" || skip "cannot create $CACHE"

# ---------------------------------------------------------------------------
# the vmlinux

if [ -z "${VMLINUX:-}" ]; then
	VMLINUX=$(ls "$CACHE"/vmlinux-*-amd64 2>/dev/null | sort -V | tail -1)
fi
if [ -z "$VMLINUX" ] || [ ! -s "$VMLINUX" ]; then
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || skip "no apt-get to fetch a vmlinux; set VMLINUX"
	pkg=$(apt-cache depends linux-image-amd64-dbg 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-dbg\)$/\1/p' | head -1)
	[ -n "$pkg" ] || skip "no linux-image-amd64-dbg in apt (apt-get update?)"
	say "== sym bench: fetching $pkg (about 850 MB) into $CACHE"
	mkdir -p "$CACHE/deb"
	(cd "$CACHE/deb" && apt-get download "$pkg" >/dev/null 2>&1) || skip "apt-get download $pkg failed"
	(cd "$CACHE/deb" && dpkg-deb --fsys-tarfile ./*.deb | tar -x --wildcards './usr/lib/debug/boot/vmlinux-*') ||
		skip "cannot unpack $pkg"
	mv "$CACHE"/deb/usr/lib/debug/boot/vmlinux-* "$CACHE"/ && rm -rf "$CACHE/deb"
	VMLINUX=$(ls "$CACHE"/vmlinux-*-amd64 2>/dev/null | sort -V | tail -1)
	[ -n "$VMLINUX" ] || skip "no vmlinux in $pkg"
fi

# ---------------------------------------------------------------------------
# the driver, and the frames

DRV=build/bench/sym_bench
# built by the Makefile, with the same libraries as the program
make -s "$DRV" >/dev/null || skip "cannot build $DRV"

tag=$(basename "$VMLINUX")-$N
FRAMES=$CACHE/$tag.frames
ADDRS=$CACHE/$tag.addrs
if [ ! -s "$FRAMES" ] || [ ! -s "$ADDRS" ] || [ "$VMLINUX" -nt "$FRAMES" ]; then
	say "== sym bench: picking $N random frames with inline chains from $(basename "$VMLINUX")"
	# functions (ELF size > 1) whose name and kallsyms size pick one symbol;
	# offsets inside the function; 5 candidates per frame wanted
	nm -n -S --defined-only "$VMLINUX" | awk -v n=$((N * 5)) '
		function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		function diff(a, b) { return (hex(substr(a, 1, 8)) - hex(substr(b, 1, 8))) * 4294967296 + hex(substr(a, 9)) - hex(substr(b, 9)) }
		# kallsyms size: to the next symbol at a higher address
		NF >= 3 && m && !ks[m] && $1 != val[m] { ks[m] = diff($1, val[m]) }
		NF == 4 && ($3 == "t" || $3 == "T") { m++; val[m] = $1; sz[m] = hex($2); nm[m] = $4 }
		END {
			for (i = 1; i <= m; i++) c[nm[i] " " ks[i]]++
			srand(1)
			for (t = 0; t < n * 4 && got < n; t++) {
				i = int(rand() * m) + 1
				lim = sz[i] < ks[i] ? sz[i] : ks[i]
				if (lim < 2 || c[nm[i] " " ks[i]] > 1) continue
				k = sprintf("%s+0x%x/0x%x", nm[i], 1 + int(rand() * (lim - 1)), ks[i])
				if (k in seen) continue
				seen[k] = 1; got++; print k
			}
		}' >"$CACHE/$tag.cand"
	"$DRV" --vmlinux "$VMLINUX" --select "$N" --min-levels 2 --addrs "$ADDRS" <"$CACHE/$tag.cand" >"$FRAMES" 2>/dev/null
	rm -f "$CACHE/$tag.cand"
fi
got=$(wc -l <"$FRAMES")
[ "$got" -gt 0 ] || skip "no frames picked"

# ---------------------------------------------------------------------------
# measuring

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
have_time=$([ -x /usr/bin/time ] && echo 1 || echo 0)

# measure NAME CMD...: stdin from $IN; sets $wall (s) and $rss (MB): medians of RUNS
measure() {
	local name=$1 i t0 t1
	shift
	: >"$TMP/walls"
	: >"$TMP/rsses"
	for i in $(seq $RUNS); do
		t0=$(date +%s.%N)
		if [ "$have_time" = 1 ]; then
			/usr/bin/time -f %M -o "$TMP/rss" "$@" <"$IN" >/dev/null 2>"$TMP/err.$name"
		else
			"$@" <"$IN" >/dev/null 2>"$TMP/err.$name"
			echo 0 >"$TMP/rss"
		fi
		t1=$(date +%s.%N)
		echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }' >>"$TMP/walls"
		tail -1 "$TMP/rss" >>"$TMP/rsses"
	done
	wall=$(sort -n "$TMP/walls" | sed -n "$(((RUNS + 1) / 2))p")
	rss=$(sort -n "$TMP/rsses" | sed -n "$(((RUNS + 1) / 2))p" | awk '{ printf "%.0f", $1 / 1024 }')
	printf '  %-44s %8.3f s %7s MB\n' "$name" "$wall" "$([ "$have_time" = 1 ] && echo "$rss" || echo n/a)"
}

say "== sym bench: $(basename "$VMLINUX") ($(du -m "$VMLINUX" | cut -f1) MB), $got distinct frames with inline chains"
say "   (medians of $RUNS runs; wall time and peak resident memory)"
say ""
say "-- $got frames, one process each"
IN=$FRAMES
measure "kcsan-triage, libdw back end" "$DRV" --vmlinux "$VMLINUX" --quiet --batch 256
ours=$wall ours_rss=$rss
IN=$ADDRS
llvm=""
if command -v llvm-symbolizer >/dev/null; then
	measure "llvm-symbolizer --inlining" llvm-symbolizer --inlining --obj="$VMLINUX"
	llvm=$wall llvm_rss=$rss
else
	say "  llvm-symbolizer: not installed (apt-get install llvm)"
fi
measure "addr2line -f -i" addr2line -f -i -e "$VMLINUX"
a2l=$wall
IN=$FRAMES
measure "kcsan-triage, addr2line back end" "$DRV" --vmlinux "$VMLINUX" --quiet --batch 1024 --symbolizer addr2line
if [ -n "$llvm" ]; then
	awk -v o="$ours" -v l="$llvm" -v om="$ours_rss" -v lm="$llvm_rss" -v a="$a2l" 'BEGIN {
		printf "  time: %.2f of llvm-symbolizer (target <= 0.50), %.2f of addr2line; memory: %.2f of llvm-symbolizer (target < 1)\n",
			o / l, o / a, om / lm }'
fi

# one KCSAN report of about 20 frames, through the command, a new process each time
report() {   # report FIRST COUNT: a KCSAN-shaped report of frames FIRST.. of $FRAMES
	local first=$1 n=$2
	printf '==================================================================\n'
	printf 'BUG: KCSAN: data-race in %s / %s\n\n' "$(sed -n "${first}p" "$FRAMES" | sed 's/+.*//')" \
		"$(sed -n "$((first + n / 2))p" "$FRAMES" | sed 's/+.*//')"
	printf 'read to 0xffff888000b0a282 of 2 bytes by task 25 on cpu 1:\n'
	sed -n "${first},$((first + n / 2 - 1))p" "$FRAMES" | sed 's/^/ /'
	printf '\nwrite to 0xffff888000b0a282 of 2 bytes by task 26 on cpu 0:\n'
	sed -n "$((first + n / 2)),$((first + n - 1))p" "$FRAMES" | sed 's/^/ /'
	printf '\nReported by Kernel Concurrency Sanitizer on:\nCPU: 1 PID: 25 Comm: x Not tainted 6.1.0 #1\n'
	printf '==================================================================\n'
}
say ""
say "-- one report of 20 frames, cold (a new process; the page cache as it is)"
report 101 20 >"$TMP/one.log"
IN=$TMP/one.log
measure "kcsan-triage symbolize (libdw)" "$BIN" --quiet symbolize --vmlinux "$VMLINUX" -
one=$wall
awk -v t="$one" 'BEGIN { printf "  one report: %.3f s (target < 0.1 s)\n", t }'
if [ "${DROP_CACHES:-0}" = 1 ] && [ -w /proc/sys/vm/drop_caches ]; then
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t0=$(date +%s.%N)
	"$BIN" --quiet symbolize --vmlinux "$VMLINUX" - <"$TMP/one.log" >/dev/null
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "  with the page cache dropped too: %.3f s (disk-bound)\n", $2 - $1 }'
fi

# the cache: 300 copies of one report against 10 distinct ones
say ""
say "-- the cache, keyed by (module, symbol, offset)"
for i in $(seq 300); do cat "$TMP/one.log"; done >"$TMP/same.log"
for i in $(seq 0 9); do report $((1001 + i * 20)) 20; done >"$TMP/ten.log"
IN=$TMP/same.log
measure "300 copies of one report" "$BIN" --quiet symbolize --vmlinux "$VMLINUX" -
same=$wall
IN=$TMP/ten.log
measure "10 distinct reports" "$BIN" --quiet symbolize --vmlinux "$VMLINUX" -
ten=$wall
awk -v s="$same" -v t="$ten" 'BEGIN { printf "  300 copies take %.2f of the time of 10 distinct reports (target <= 1)\n", s / t }'
