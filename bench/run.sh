#!/usr/bin/env bash
# Benchmarks (numbers to read, never pass/fail):
#   scan: a 1 GiB log of ordinary console noise with a few reports --
#         wall time of `scan --no-db` against `grep -c 'BUG: KCSAN'`, and peak RSS;
#   store: the same scan into a fresh database;
#   many: ~100k reports ($SHARED/kernel/console-1.log 200 times over), with their
#         text summary: as they are (19 distinct), and each a distinct one;
#   sym:  bench/sym.sh, when present (symbolization against a distribution vmlinux);
#   store at scale: bench/store.sh ($KT_BENCH_STORE sizes: 10k 100k unless told; 1m too).
set -eu
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
CACHE=${KT_BENCH_CACHE:-/var/tmp/kcsan-bench}
SIZE_MB=${KT_BENCH_SIZE_MB:-1024}
mkdir -p "$CACHE"
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

if [ -x bench/sym.sh ]; then
	echo
	bench/sym.sh
fi

echo
SHARED=${SHARED:-../shared} bench/store.sh
