#!/usr/bin/env bash
# The store at scale (numbers to read against the targets, never pass/fail):
# archives of mutated real reports (bench/mkarchive.py: 10 reports a file,
# ~80% distinct signatures), for each size:
#   ingest into a fresh store (default text output; the fastest of 3 runs,
#   1 at 1m: KT_BENCH_INGEST_ROUNDS), a rescan that adds nothing (the fastest
#   of 3), the store's size against the raw report text, the WAL's peak,
#   list --limit 50, show ID, stats, and a full list against the same query
#   in the sqlite3 shell (time and peak RSS); then every size side by side.
#   Rates are given per wall second and per CPU second (user + system): on a
#   shared machine the second is the one to compare.
#
#   bench/store.sh [SIZE...]     SIZE: 10k, 100k, 1m (default: 10k 100k;
#                                or $KT_BENCH_STORE)
# The archives are kept in $KT_BENCH_CACHE (/var/tmp/kcsan-bench), the
# stores in $KT_BENCH_WORK (a new directory under /var/tmp, removed after;
# a store is kept there with KT_BENCH_KEEP=1).
set -eu
cd "$(dirname "$0")/.."
BIN=${KT_BENCH_BIN:-$PWD/kcsan-triage}
CACHE=${KT_BENCH_CACHE:-/var/tmp/kcsan-bench}
SHARED=${SHARED:-../shared}
mkdir -p "$CACHE"
if [ -n "${KT_BENCH_WORK:-}" ]; then
	WORK=$KT_BENCH_WORK
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d /var/tmp/kt-bench-store.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi
sizes=${*:-${KT_BENCH_STORE:-10k 100k}}
export KCSAN_TRIAGE_BUSY_TIMEOUT=60000

# timed CMD...: wall seconds, CPU seconds and peak RSS (KiB) of one run, in $wall $cpu $rss
timed() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || true
	t1=$(date +%s%N)
	read -r wall u s rss <"$WORK/time"
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
# best N CMD...: the fastest of N runs (a shared machine's noise is only ever added): its
# wall and CPU seconds and peak RSS in $wall $cpu $rss (CMD may be a function that calls timed)
best() {
	local n=$1 b_wall= b_cpu= b_rss=
	shift
	for _ in $(seq "$n"); do
		"$@"
		if [ -z "$b_wall" ] || awk -v a="$wall" -v b="$b_wall" 'BEGIN { exit !(a < b) }'; then
			b_wall=$wall b_cpu=$cpu b_rss=$rss
		fi
	done
	wall=$b_wall cpu=$b_cpu rss=$b_rss
}
best3() { best 3 timed "$@"; }
# ingest_once: a scan of $ARCH into a fresh $DB, its WAL's size sampled into $WORK/wal as it goes
ingest_once() {
	local sampler
	rm -f "$DB" "$DB-wal" "$DB-shm"
	( while :; do stat -c %s "$DB-wal" 2>/dev/null || true; sleep 0.05; done ) >>"$WORK/wal" &
	sampler=$!
	timed "$BIN" --db "$DB" scan --fail-on none "$ARCH"
	kill $sampler; wait $sampler 2>/dev/null || true
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }'; }
ms() { awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }'; }

table=$WORK/table
printf '%-28s' "size" >"$table.head"
for size in $sizes; do
	case $size in
	10k) n=10000 ;; 100k) n=100000 ;; 1m) n=1000000 ;; *) echo "size: 10k, 100k or 1m" >&2; exit 2 ;;
	esac
	ARCH=$CACHE/arch-$size
	if [ ! -f "$ARCH.info" ]; then
		echo "making $ARCH ($n reports) ..."
		python3 bench/mkarchive.py --shared "$SHARED" --out "$ARCH" --reports $n >"$ARCH.info"
	fi
	read -r _ reports _ files _ raw <"$ARCH.info"
	DB=$WORK/store-$size.db
	echo "== $size: $reports reports in $files files, $((raw / 1048576)) MiB of report text"

	# the archive read once first: a page cache reclaimed since would time the disk
	find "$ARCH" -type f -exec cat {} + >/dev/null
	# ingest into a fresh store, the fastest of $KT_BENCH_INGEST_ROUNDS (default 3, 1 at 1m), the
	# WAL sampled as it goes (its peak over all rounds); the reports the scan found (a cut one counts too)
	rounds=${KT_BENCH_INGEST_ROUNDS:-$([ "$size" = 1m ] && echo 1 || echo 3)}
	: >"$WORK/wal"
	best "$rounds" ingest_once
	found=$(sed -n '1s/^\([0-9]*\) KCSAN report.*/\1/p' "$WORK/out")
	found=${found:-$reports}
	peak=$(sort -n "$WORK/wal" | tail -n 1)
	in_wall=$(rate "$found" "$wall") in_cpu=$(rate "$found" "$cpu")
	echo "ingest:   ${wall} s wall, ${cpu} s CPU, peak RSS $((rss / 1024)) MiB: $in_wall reports/s ($in_cpu/s of CPU; target 20000)"
	grep -E "^store " "$WORK/out" || tail -n 3 "$WORK/err"
	peak_mib=$(((${peak:-0}) / 1048576))
	echo "peak WAL: $peak_mib MiB (target 64)"
	best3 "$BIN" --db "$DB" scan --fail-on none "$ARCH"
	re_wall=$(rate "$found" "$wall") re_cpu=$(rate "$found" "$cpu")
	echo "rescan:   ${wall} s wall, ${cpu} s CPU: $re_wall reports/s ($re_cpu/s of CPU; target 100000)"
	grep -E "^store " "$WORK/out" || tail -n 3 "$WORK/err"
	db_bytes=$(stat -c %s "$DB")
	ratio=$(awk -v d="$db_bytes" -v r="$raw" 'BEGIN { printf "%.2f", d / r }')
	echo "store:    $((db_bytes / 1048576)) MiB, ${ratio}x the report text (target 1.5)"

	best3 "$BIN" --db "$DB" list --limit 50
	list50=$(ms "$wall")
	echo "list --limit 50: $list50 ms (target 50)"
	id=$(sed -n 's/^ *\([0-9][0-9]*\) .*/\1/p' "$WORK/out" | sed -n 25p)
	best3 "$BIN" --db "$DB" show "${id:-1}"
	show=$(ms "$wall")
	echo "show ${id:-1}:    $show ms (target 50)"
	best3 "$BIN" --db "$DB" stats
	stats=$(ms "$wall")
	echo "stats:    $stats ms (target 1000)"
	timed "$BIN" --db "$DB" list
	list_s=$wall list_rss=$((rss / 1024))
	echo "list:     ${wall} s, peak RSS $list_rss MiB, $(wc -l <"$WORK/out") lines"
	sq_s=- sq_rss=-
	if command -v sqlite3 >/dev/null; then
		# the columns list reads, in its order
		timed sqlite3 "$DB" "SELECT * FROM signature ORDER BY id"
		sq_s=$wall sq_rss=$((rss / 1024))
		echo "sqlite3:  ${wall} s, peak RSS $sq_rss MiB (the same rows in the sqlite3 shell)"
	fi
	[ -n "${KT_BENCH_KEEP:-}" ] || rm -f "$DB" "$DB-wal" "$DB-shm"

	printf '%14s' "$size" >>"$table.head"
	{
		echo "reports found|$found"
		echo "ingest reports/s (wall)|$in_wall"
		echo "ingest reports/s (CPU)|$in_cpu"
		echo "rescan reports/s (wall)|$re_wall"
		echo "rescan reports/s (CPU)|$re_cpu"
		echo "db size / raw text|${ratio}x"
		echo "peak WAL (MiB)|$peak_mib"
		echo "list --limit 50 (ms)|$list50"
		echo "show ID (ms)|$show"
		echo "stats (ms)|$stats"
		echo "full list (s)|$list_s"
		echo "sqlite3 shell, same rows (s)|$sq_s"
		echo "full list peak RSS (MiB)|$list_rss"
		echo "sqlite3 shell peak RSS (MiB)|$sq_rss"
	} >"$table.$size"
done

echo
echo "== the store at scale (targets: ingest >= 20000/s and no slower at 1m than at 10k;"
echo "   rescan >= 100000/s; size <= 1.5x; WAL <= 64 MiB; list 50 and show < 50 ms; stats < 1000 ms;"
echo "   full list flat in memory and no slower than the sqlite3 shell)"
cat "$table.head"
echo
for i in $(seq 1 14); do
	first=1
	for size in $sizes; do
		line=$(sed -n "${i}p" "$table.$size")
		[ $first = 1 ] && printf '%-28s' "${line%%|*}"
		printf '%14s' "${line#*|}"
		first=0
	done
	echo
done
