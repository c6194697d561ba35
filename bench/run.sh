#!/usr/bin/env bash
# Benchmarks (numbers to read, never pass/fail):
#   scan: a 1 GiB log of ordinary console noise with a few reports --
#         wall time of `scan --no-db` against `grep -c 'BUG: KCSAN'`, and peak RSS;
#   store: the same scan into a fresh database;
#   many: ~100k reports ($SHARED/kernel/console-1.log 200 times over), with their
#         text summary: as they are (19 distinct), and each a distinct one;
#   sym:  bench/sym.sh, when present (symbolization against a distribution vmlinux);
#   store at scale: bench/store.sh ($KT_BENCH_STORE sizes: 10k 100k unless told; 1m too).
# KT_BENCH_PARTS picks some of them: any of "first scan sym store jobs" (all unless told).
set -eu
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
CACHE=${KT_BENCH_CACHE:-/var/tmp/kcsan-bench}
SIZE_MB=${KT_BENCH_SIZE_MB:-1024}
mkdir -p "$CACHE"
PARTS=" ${KT_BENCH_PARTS:-first scan sym store jobs} "
part() { case $PARTS in *" $1 "*) return 0 ;; esac; return 1; }
LOG=$CACHE/noise-${SIZE_MB}M.log
if [ ! -f "$LOG" ]; then
	echo "making $LOG ($SIZE_MB MiB) ..."
	python3 bench/mklog.py "$LOG" "$SIZE_MB"
fi
reports=$(grep -c 'BUG: KCSAN' "$LOG")
# (these two reads also warm the page cache: the tools below read from memory)
echo "log: $LOG, $(du -m "$LOG" | cut -f1) MiB, $(wc -l <"$LOG") lines, $reports reports"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() {   # wall CMD...: its wall seconds, median of 3; the median peak RSS (KiB) goes to $CACHE/rss
	for i in 1 2 3; do
		# not /dev/null: grep stops at the first match when its output is discarded
		/usr/bin/time -f '%e %M' -o "$CACHE/time" "$@" >"$CACHE/out" 2>&1 || true
		tail -n 1 "$CACHE/time"
	done >"$CACHE/runs"
	cut -d' ' -f2 "$CACHE/runs" | median >"$CACHE/rss"
	cut -d' ' -f1 "$CACHE/runs" | median
}

if part first; then
g=$(wall grep -c 'BUG: KCSAN' "$LOG")
s=$(wall "$BIN" scan --no-db "$LOG")
m=$(cat "$CACHE/rss")
echo "grep -c 'BUG: KCSAN':       ${g} s"
echo "kcsan-triage scan --no-db:  ${s} s  (peak RSS $((m / 1024)) MiB)"
awk -v g="$g" -v s="$s" 'BEGIN { printf "speed: scan runs at %.2f of grep'"'"'s speed (target: at least 0.5)\n", g / s }'

d=$(wall sh -c "rm -f '$CACHE/bench.db'*; '$BIN' --db '$CACHE/bench.db' scan --fail-on none '$LOG'")
echo "kcsan-triage scan (store):  ${d} s"
t=$(wall "$BIN" scan --no-db --text "$LOG")
echo "kcsan-triage scan --text:   ${t} s  (every line through the parser, as for mail)"

K1=${SHARED:-../shared}/kernel/console-1.log
if [ -f "$K1" ]; then
	echo
	for kind in same distinct; do
		MANY=$CACHE/console1-x200-$kind.log
		[ -f "$MANY" ] || python3 bench/mklog.py --repeat "$MANY" "$K1" 200 $([ $kind = distinct ] && echo --distinct)
		n=$(wall "$BIN" scan --no-db "$MANY")
		echo "kcsan-triage scan, $(head -n 1 "$CACHE/out" | sed 's/ in 1 file.*//'): ${n} s (peak RSS $(($(cat "$CACHE/rss") / 1024)) MiB)"
	done
fi
fi

# ---- scanning against grep: log mode, memory, mail and text mode --------------------------
# Every row runs the tool (and $KT_BENCH_BASE, another build, when set) and
# `grep -c 'BUG: KCSAN'` on the same warm file, interleaved: median wall and
# CPU (user+sys) seconds of 3, and the ratios of wall and of CPU times (a
# large log is read on two threads, so its wall time is under its CPU time;
# on a shared machine the wall time also waits for the CPU).  KT_BENCH_INSN=1 adds instruction counts
# (callgrind) per 128 MiB.
scan_rows() {
	local T BASE=${KT_BENCH_BASE:-} MANY=$CACHE/noise-${SIZE_MB}M-every2000.log
	local MAIL=$CACHE/mail-${SIZE_MB}M.mbox QP=$CACHE/mail-qp-${SIZE_MB}M.mbox SMALL=$CACHE/noise-128M.log
	local K=(${SHARED:-../shared}/kernel/console-*.log)
	T=$(mktemp -d)
	[ -f "$MANY" ] || { echo "making $MANY ..."; python3 bench/mklog.py "$MANY" "$SIZE_MB" 2000; }
	[ -f "$SMALL" ] || python3 bench/mklog.py "$SMALL" 128
	[ -f "$MAIL" ] || { echo "making $MAIL ..."; python3 bench/mkmail.py "$MAIL" "$SIZE_MB" "${K[@]}"; }
	[ -f "$QP" ] || { echo "making $QP ..."; python3 bench/mkmail.py "$QP" "$SIZE_MB" --qp "${K[@]}"; }
	# one run: "wall cpu rss"
	run1() { /usr/bin/time -f '%e %U %S %M' -o "$T/t" "$@" >"$T/out" 2>/dev/null || true
		tail -n 1 "$T/t" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }'; }
	# med COLUMN FILE: the median of the 3 runs
	med() { sort -n -k"$1" "$T/$2" | awk -v k="$1" 'NR == 2 { print $k }'; }
	row() {   # row LABEL TARGET FILE [ARGS]: the tool, the base, grep, 3 rounds
		local label=$1 target=$2 file=$3; shift 3
		: >"$T/tool"; : >"$T/base"; : >"$T/grep"
		for i in 1 2 3; do
			run1 "$BIN" scan --no-db "$@" "$file" >>"$T/tool"
			[ -n "$BASE" ] && run1 "$BASE" scan --no-db "$@" "$file" >>"$T/base"
			run1 grep -c 'BUG: KCSAN' "$file" >>"$T/grep"
		done
		local tw tc tm gw gc
		tw=$(med 1 tool); tc=$(med 2 tool); tm=$(med 3 tool); gw=$(med 1 grep); gc=$(med 2 grep)
		printf '%-34s tool %5.2f s wall %5.2f s cpu %4d MiB | grep %5.2f s wall %5.2f s cpu | ratio: wall %5.2f, cpu %5.2f (target <= %s)' \
			"$label" "$tw" "$tc" $((tm / 1024)) "$gw" "$gc" "$(awk -v a="$tw" -v b="$gw" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
			"$(awk -v a="$tc" -v b="$gc" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$target"
		[ -n "$BASE" ] && printf ' | base %5.2f s cpu' "$(med 2 base)"
		echo
	}
	echo
	echo "scanning, tool against grep -c 'BUG: KCSAN' ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
	cat "$LOG" "$MANY" "$MAIL" "$QP" >/dev/null
	row "log, $reports reports" 0.7 "$LOG"
	row "log, $(grep -c 'BUG: KCSAN' "$MANY") reports" 1.0 "$MANY"
	row "mail quoted with '> '" 3 "$MAIL"
	row "mail, quoted-printable" 3 "$QP"
	row "the log forced with --text" - "$LOG" --text
	# memory: peak RSS from 128 MiB to 4 GiB (the log four times through a pipe)
	local r128 r4g
	r128=$(run1 "$BIN" scan --no-db "$SMALL" | cut -d' ' -f3)
	r4g=$(run1 "$BIN" scan --no-db <(cat "$LOG" "$LOG" "$LOG" "$LOG") | cut -d' ' -f3)
	echo "peak RSS: 128 MiB log $((r128 / 1024)) MiB, 4 GiB log $((r4g / 1024)) MiB (target: flat, <= 8 MiB)"
	if [ "${KT_BENCH_INSN:-}" = 1 ] && command -v valgrind >/dev/null; then
		# (not /dev/null: grep stops at the first match when its output is discarded)
		insn() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >"$T/out" |
			 awk '/refs:/ { gsub(",", "", $NF); printf "%.0f M", $NF / 1e6 }'; }
		head -c $((128 << 20)) "$MAIL" >"$T/mail"; head -c $((128 << 20)) "$QP" >"$T/qp"
		for f in "$SMALL" "$T/mail" "$T/qp"; do
			printf 'instructions per 128 MiB, %s: tool %s' "$(basename "$f")" "$(insn "$BIN" scan --no-db "$f")"
			[ -n "$BASE" ] && printf ', base %s' "$(insn "$BASE" scan --no-db "$f")"
			echo ", grep $(insn grep -c 'BUG: KCSAN' "$f")"
		done
	fi
	rm -rf "$T"
}
SUMMARY=$(mktemp -d)
part scan && scan_rows | tee "$SUMMARY/scan"

if part sym && [ -x bench/sym.sh ]; then
	echo
	bench/sym.sh | tee "$SUMMARY/sym"
fi

# the numbers against their targets, side by side, once more at the end
echo
echo "== side by side ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)): tool against grep (cpu), llvm-symbolizer and addr2line (wall)"
[ ! -f "$SUMMARY/scan" ] || grep -E 'target <=|peak RSS|instructions per' "$SUMMARY/scan" || true
sed -n '/^== sym bench, side by side/,$p' "$SUMMARY/sym" 2>/dev/null | tail -n +2
rm -rf "$SUMMARY"

echo
part store && SHARED=${SHARED:-../shared} bench/store.sh

# scan --jobs: N threads, the writer's among them (the archives of bench/store.sh)
jobs_rows() {
	local cache=${KT_BENCH_CACHE:-/var/tmp/kcsan-bench} size arch db j
	echo
	echo "scan --jobs, a fresh store each ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
	for size in ${KT_BENCH_STORE:-10k 100k}; do
		arch=$cache/arch-$size
		[ -f "$arch.info" ] || continue
		for j in 1 2; do
			db=$(mktemp -u "${TMPDIR:-/tmp}/kt-jobs-bench.XXXXXX.db")
			/usr/bin/time -f '%e %U %S' -o "$db.time" "$BIN" --db "$db" scan --jobs $j --fail-on none "$arch" \
				>"$db.out" 2>/dev/null || true
			read -r w u s <"$db.time"
			printf '%-5s --jobs %d: %6.2f s wall, %6.2f s CPU (%s)\n' "$size" $j "$w" \
				"$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')" "$(head -n 1 "$db.out" | cut -d' ' -f1-4)"
			rm -f "$db" "$db-wal" "$db-shm" "$db.time" "$db.out"
		done
	done
}
part jobs && jobs_rows
