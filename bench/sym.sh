#!/usr/bin/env bash
# bench/sym.sh - how fast the symbolizer is, against llvm-symbolizer and
# addr2line, on Debian's 6.1 vmlinux with full DWARF.  Numbers, never
# pass/fail; medians of three runs.  Before any time is printed, the
# chains are checked to be those of addr2line (and of llvm-symbolizer), up
# to compiler suffixes, aliases and discriminators.
#
#   bench/sym.sh              (after "make"; called by bench/run.sh)
#
#   BENCH_CACHE=DIR   where the vmlinux and the frames are kept
#                     (default /var/tmp/kcsan-bench, outside the tree)
#   VMLINUX=PATH      use this vmlinux instead of Debian's
#   NS="1000 20000 200000"   how many distinct random frames with inline
#                     chains, one run each (N=20000: that one only); the
#                     marginal cost of a frame is taken between the two
#                     largest (200k less 20k, by the frames between)
#   KCSAN_VMLINUX=PATH  the second kernel, for its rows (NS_KCSAN, default
#                     "20000 200000") and its marginal cost (default
#                     build/kernel-cache/vmlinux, the one tests/kernel.sh builds from
#                     ../shared; SYM_KCSAN=0: none)
#   INSNS_REPEAT=0    do not count a repeated frame's instructions (callgrind,
#                     done when valgrind is installed)
#   BASE=DIR          also time DIR/build/bench/sym_bench (another build)
#   SYM_TOLERATE=50   past 20000 frames, lines that may differ from addr2line's
#                     and the run still be timed (they are counted and shown)
#   INSNS=1           also count instructions (valgrind --tool=callgrind)
#   DROP_CACHES=1     also time one report with the page cache dropped (root)
#
# The vmlinux comes from linux-image-<abi>-amd64-dbg (the one
# linux-image-amd64-dbg depends on): "apt-get download", and only
# usr/lib/debug/boot/vmlinux-* is kept.
set -u
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-/var/tmp/kcsan-bench}
NS=${N:-${NS:-1000 20000 200000}}
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
have_time=$([ -x /usr/bin/time ] && echo 1 || echo 0)

# pick N: $FRAMES and $ADDRS hold N distinct random frames with inline chains (cached)
pick() {
	local n=$1 tag id
	id=$(readelf -n "$VMLINUX" 2>/dev/null | sed -n 's/^ *Build ID: *//p' | head -1)
	tag=$(basename "$VMLINUX")
	# a kernel named plainly "vmlinux" (the tests' one) is told apart by its build ID
	[ "$tag" = vmlinux ] && [ -n "$id" ] && tag=$tag-$(echo "$id" | cut -c1-8)
	tag=$tag-$n
	FRAMES=$CACHE/$tag.frames
	ADDRS=$CACHE/$tag.addrs
	# made from this kernel already: by its build ID (a kernel rebuilt the same has a new
	# mtime, as the tests' is), else by the times
	if [ -s "$FRAMES" ] && [ -s "$ADDRS" ]; then
		if [ -s "$CACHE/$tag.buildid" ]; then
			[ -n "$id" ] && [ "$(cat "$CACHE/$tag.buildid")" = "$id" ] && return 0
		elif [ ! "$VMLINUX" -nt "$FRAMES" ]; then
			return 0
		fi
	fi
	say "== sym bench: picking $n random frames with inline chains from $(basename "$VMLINUX")"
	# functions (ELF size > 1) whose name and kallsyms size pick one symbol;
	# offsets inside the function; 5 candidates per frame wanted
	nm -n -S --defined-only "$VMLINUX" | awk -v n=$((n * 5)) '
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
	"$DRV" --vmlinux "$VMLINUX" --select "$n" --min-levels 2 --addrs "$ADDRS" <"$CACHE/$tag.cand" >"$FRAMES" 2>/dev/null
	rm -f "$CACHE/$tag.cand"
	[ -n "$id" ] && echo "$id" >"$CACHE/$tag.buildid"
	[ -s "$FRAMES" ]
}

# measure NAME CMD...: stdin from $IN; sets $wall (s) and $rss (MB): medians of RUNS
measure() {
	local name=$1 i t0 t1 err
	shift
	err=$TMP/err.$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)
	: >"$TMP/walls"
	: >"$TMP/rsses"
	for i in $(seq $RUNS); do
		t0=$(date +%s.%N)
		if [ "$have_time" = 1 ]; then
			/usr/bin/time -f %M -o "$TMP/rss" "$@" <"$IN" >/dev/null 2>"$err"
		else
			"$@" <"$IN" >/dev/null 2>"$err"
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

# insns CMD...: instructions of one run (callgrind), stdin from $IN; sets $ir
insns() {
	ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" <"$IN" 2>&1 >/dev/null |
		sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
}


# The names of a function at one address (nm): every alias to the first, so
# that "crc32_le_base" (the ELF symbol) and "crc32_le" (DWARF's) are one.
aliases() {
	nm --defined-only "$VMLINUX" 2>/dev/null | awk '$2 ~ /^[tTwW]$/ { n[$3]++; a[$3] = $1; if (!($1 in first)) first[$1] = $3 }
	END { for (k in n) if (n[k] == 1 && first[a[k]] != k) print k, first[a[k]] }' >"$TMP/aliases"
}

# canon FILE: addr2line -a -f -i, llvm-symbolizer --output-style=GNU -a and
# sym_bench's output in one form: an address line, then function and
# file:line per level; compiler suffixes (.isra.0, .cold), discriminators,
# doubled slashes and aliases dropped
canon() {
	awk -v aliases="$TMP/aliases" '
		BEGIN { while ((getline l < aliases) > 0) { split(l, f, " "); al[f[1]] = f[2] } }
		NF >= 3 && $3 ~ /^0x[0-9a-f]+$/ { a = $3; sub(/^0x0*/, "0x", a); print a; next }
		/^0x[0-9a-f]+$/ { a = $1; sub(/^0x0*/, "0x", a); print a; next }
		/^$/ { next }
		/:[0-9?]+( \(discriminator [0-9]+\))?$/ { sub(/ \(discriminator [0-9]+\)$/, ""); gsub(/\/\/+/, "/"); print; next }
		{ fn = $0; while (sub(/\.(isra|constprop|part|cold|llvm)(\.[0-9]+)?$/, "", fn)) {}
		  if (fn in al) fn = al[fn]; print fn }' "$1"
}

# check: our chains equal addr2line's on $FRAMES, but where llvm-symbolizer
# (a second opinion) agrees with ours and not with addr2line (its known
# DWARF 5 "file 1" error, tests/kernel.sh); false if not
check() {
	local a2lerr
	"$DRV" --vmlinux "$VMLINUX" --batch 256 <"$FRAMES" >"$TMP/ours" 2>/dev/null
	canon "$TMP/ours" >"$TMP/ours.c"
	addr2line -a -f -i -e "$VMLINUX" <"$ADDRS" >"$TMP/a2l"
	canon "$TMP/a2l" >"$TMP/a2l.c"
	: >"$TMP/llvm.c"
	if [ -n "$LLVM" ]; then
		llvm-symbolizer --inlining --output-style=GNU -a --obj="$VMLINUX" <"$ADDRS" >"$TMP/llvm" 2>/dev/null
		canon "$TMP/llvm" >"$TMP/llvm.c"
	fi
	# per line: equal to both, to addr2line only, to llvm-symbolizer only (addr2line wrong), or to none
	if [ "$(wc -l <"$TMP/ours.c")" != "$(wc -l <"$TMP/a2l.c")" ]; then
		say "  outputs DIFFER from addr2line's in length; no times"
		return 1
	fi
	paste -d '\t' "$TMP/ours.c" "$TMP/a2l.c" | awk -F'\t' -v llvm="$TMP/llvm.c" '
		{ l = ""; if ((getline l < llvm) <= 0) l = "" }
		$1 == $2 { if (l != "" && l != $1) nl++; next }
		l == $1 { a2l++; next }
		{ bad++; if (!first) first = NR ": " $1 " / addr2line " $2 }
		END { printf "%d %d %d %s\n", bad, a2l, nl, first }' >"$TMP/cmp"
	read -r bad a2lerr nllvm first <"$TMP/cmp"
	if [ "$bad" != 0 ]; then
		# past 20000 frames a few known differences (the same lines before the symbolizer's
		# caches) are said and the run is timed all the same; up to 20000 they must be equal
		if [ "$(wc -l <"$FRAMES")" -le 20000 ] || [ "$bad" -gt "${SYM_TOLERATE:-50}" ]; then
			say "  outputs DIFFER: $bad lines (first, line $first); no times"
			return 1
		fi
		say "  outputs differ from addr2line's in $bad lines (first, line $first); timed all the same"
	fi
	[ "$bad" = 0 ] && say "  outputs equal to addr2line's: $(grep -c '^0x' "$TMP/ours.c") frames, $(($(wc -l <"$TMP/ours.c") / 2)) levels;" \
		"$a2lerr lines where addr2line errs and llvm-symbolizer agrees with the tool${LLVM:+;" \
		"llvm-symbolizer differs from both in $nllvm}"
	return 0
}

LLVM=$(command -v llvm-symbolizer || true)
BASE_DRV=${BASE:+$BASE/build/bench/sym_bench}
[ -n "$LLVM" ] || say "  llvm-symbolizer: not installed (apt-get install llvm)"

# bench_kernel NS: the rows for $VMLINUX, and the marginal cost of a frame
# from the second largest number of frames to the largest; one summary line
# per row goes to $TMP/summary
bench_kernel() {
	local ns=$1 n got ours ours_rss base llvm llvm_rss a2l kname
	kname=$(basename "$VMLINUX")
	aliases
	say ""
	say "== sym bench: $kname ($(du -m "$VMLINUX" | cut -f1) MB)"
	say "   (medians of $RUNS runs; wall time and peak resident memory${INSNS:+; instructions by callgrind})"
	: >"$TMP/results"
	for n in $ns; do
		pick "$n" || { say "  no $n frames picked"; continue; }
		got=$(wc -l <"$FRAMES")
		say ""
		say "-- $got distinct frames with inline chains, one process each"
		check || continue
		IN=$FRAMES
		measure "kcsan-triage, libdw back end" "$DRV" --vmlinux "$VMLINUX" --quiet --batch 256
		ours=$wall ours_rss=$rss base=0 llvm=0 llvm_rss=0
		if [ -n "$BASE_DRV" ] && [ -x "$BASE_DRV" ]; then
			measure "the same, $BASE" "$BASE_DRV" --vmlinux "$VMLINUX" --quiet --batch 256
			base=$wall
		fi
		IN=$ADDRS
		if [ -n "$LLVM" ]; then
			measure "llvm-symbolizer --inlining" llvm-symbolizer --inlining --obj="$VMLINUX"
			llvm=$wall llvm_rss=$rss
		fi
		measure "addr2line -f -i" addr2line -f -i -e "$VMLINUX"
		a2l=$wall
		if [ -n "${INSNS:-}" ]; then
			IN=$FRAMES
			insns "$DRV" --vmlinux "$VMLINUX" --quiet --batch 256
			printf '  %-44s %8.0f M instructions\n' "kcsan-triage, libdw back end" "$((ir / 1000000))"
			if [ -n "$BASE_DRV" ] && [ -x "$BASE_DRV" ]; then
				insns "$BASE_DRV" --vmlinux "$VMLINUX" --quiet --batch 256
				printf '  %-44s %8.0f M instructions\n' "the same, $BASE" "$((ir / 1000000))"
			fi
		fi
		[ "$llvm" = 0 ] || awk -v o="$ours" -v l="$llvm" -v om="$ours_rss" -v lm="$llvm_rss" -v a="$a2l" 'BEGIN {
			printf "  time: %.2f of llvm-symbolizer (target <= 0.33), %.2f of addr2line; memory: %.2f of llvm-symbolizer (target <= 0.35)\n",
				o / l, o / a, om / lm }'
		[ "$llvm" = 0 ] || awk -v k="$kname" -v n="$got" -v o="$ours" -v l="$llvm" -v a="$a2l" -v om="$ours_rss" -v lm="$llvm_rss" 'BEGIN {
			printf "  %-24s %7d frames  tool %6.2f s  llvm %6.2f s  addr2line %6.2f s  time %.2f of llvm (<= 0.33)  memory %.2f (<= 0.35)\n",
				k, n, o, l, a, o / l, om / lm }' >>"$TMP/summary"
		echo "$got $ours $llvm $a2l $base" >>"$TMP/results"
	done
	# the marginal cost of a frame: from the second largest run to the largest
	if [ "$(wc -l <"$TMP/results")" -ge 2 ]; then
		say ""
		sort -n "$TMP/results" | tail -2 | awk -v k="$kname" -v sum="$TMP/summary" '
			NR == 1 { n0 = $1; o0 = $2; l0 = $3; a0 = $4; b0 = $5 } { n = $1; o = $2; l = $3; a = $4; b = $5 }
			END { d = (n - n0) / 1e6
			      line = sprintf("marginal cost of a frame (%d to %d frames): kcsan-triage %.1f us, llvm-symbolizer %.1f us, addr2line %.1f us%s (target: below addr2line%s)",
				n0, n, (o - o0) / d, (l - l0) / d, (a - a0) / d, b ? sprintf(", base %.1f us", (b - b0) / d) : "",
				(o - o0) < (a - a0) ? ": met" : ": NOT met")
			      print "-- " line
			      printf "  %-24s %s\n", k, line >>sum }'
	fi
}

: >"$TMP/summary"
DEBIAN=$VMLINUX
bench_kernel "$NS"
# the KCSAN kernel of the tests (build/kernel-cache, from ../shared), for the marginal cost on a second kernel
KCSAN_VMLINUX=${KCSAN_VMLINUX:-build/kernel-cache/vmlinux}
if [ "${SYM_KCSAN:-1}" = 1 ] && [ -s "$KCSAN_VMLINUX" ] && [ "$KCSAN_VMLINUX" != "$DEBIAN" ]; then
	VMLINUX=$KCSAN_VMLINUX
	bench_kernel "${NS_KCSAN:-20000 200000}"
	VMLINUX=$DEBIAN
fi

FRAMES=$CACHE/$(basename "$VMLINUX")-$(echo "$NS" | awk '{ print $NF }').frames
[ -s "$FRAMES" ] || exit 0

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
if [ "${INSNS_REPEAT:-1}" = 1 ] && command -v valgrind >/dev/null; then
	# a frame met again, end to end (read, parse, cache, write): 299 more copies of 20 frames
	IN=$TMP/one.log
	insns "$BIN" --quiet symbolize --vmlinux "$VMLINUX" -
	one_ir=$ir
	IN=$TMP/same.log
	insns "$BIN" --quiet symbolize --vmlinux "$VMLINUX" -
	awk -v a="$one_ir" -v b="$ir" 'BEGIN { printf "  a repeated frame: %.0f instructions end to end (target <= 2000)\n", (b - a) / (299 * 20) }' |
		tee -a "$TMP/summary"
fi

say ""
say "== sym bench, side by side (load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores):"
cat "$TMP/summary"
