#!/usr/bin/env bash
# The store at scale (numbers to read against the targets, never pass/fail):
# archives of mutated real reports (bench/mkarchive.py: 10 reports a file,
# ~80% distinct signatures), for each size:
#   ingest into a fresh store (default text output), a rescan that adds
#   nothing, the store's size against the raw report text, the WAL's peak,
#   list --limit 50, show ID, stats, and a full list against the same query
#   in the sqlite3 shell (time and peak RSS).
#
#   bench/store.sh [SIZE...]     SIZE: 10k, 100k, 1m (default: 10k 100k;
#                                or $KT_BENCH_STORE)
set -eu
cd "$(dirname "$0")/.."
BIN=${KT_BENCH_BIN:-$PWD/kcsan-triage}
CACHE=${KT_BENCH_CACHE:-/var/tmp/kcsan-bench}
SHARED=${SHARED:-../shared}
mkdir -p "$CACHE"
sizes=${*:-${KT_BENCH_STORE:-10k 100k}}
export KCSAN_TRIAGE_BUSY_TIMEOUT=60000

# timed CMD...: wall seconds, CPU seconds and peak RSS (KiB) of one run, in $wall $cpu $rss
timed() {
	/usr/bin/time -f '%e %U %S %M' -o "$CACHE/time" "$@" >"$CACHE/out" 2>"$CACHE/err" || true
	read -r wall u s rss <"$CACHE/time"
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }'; }
ms() { awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }'; }

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
	DB=$CACHE/store-$size.db
	rm -f "$DB" "$DB-wal" "$DB-shm"
	echo "== $size: $reports reports in $files files, $((raw / 1048576)) MiB of report text"

	# ingest, the WAL sampled as it goes
	( while :; do stat -c %s "$DB-wal" 2>/dev/null || true; sleep 0.05; done ) >"$CACHE/wal" &
	sampler=$!
	timed "$BIN" --db "$DB" scan --fail-on none "$ARCH"
	kill $sampler; wait $sampler 2>/dev/null || true
	peak=$(sort -n "$CACHE/wal" | tail -n 1)
	echo "ingest:   ${wall} s wall, ${cpu} s CPU: $(rate "$reports" "$wall") reports/s ($(rate "$reports" "$cpu")/s of CPU; target 20000)"
	grep -E "^store " "$CACHE/out" || tail -n 3 "$CACHE/err"
	echo "peak WAL: $(((${peak:-0}) / 1048576)) MiB (target 64)"
	timed "$BIN" --db "$DB" scan --fail-on none "$ARCH"
	echo "rescan:   ${wall} s wall, ${cpu} s CPU: $(rate "$reports" "$wall") reports/s ($(rate "$reports" "$cpu")/s of CPU; target 100000)"
	db_bytes=$(stat -c %s "$DB")
	awk -v d="$db_bytes" -v r="$raw" 'BEGIN { printf "store:    %d MiB, %.2fx the report text (target 1.5)\n", d / 1048576, d / r }'

	timed "$BIN" --db "$DB" list --limit 50
	echo "list --limit 50: $(ms "$wall") ms (target 50)"
	id=$(sed -n 's/^ *\([0-9][0-9]*\) .*/\1/p' "$CACHE/out" | sed -n 25p)
	timed "$BIN" --db "$DB" show "${id:-1}"
	echo "show ${id:-1}:    $(ms "$wall") ms (target 50)"
	timed "$BIN" --db "$DB" stats
	echo "stats:    $(ms "$wall") ms (target 1000)"
	timed "$BIN" --db "$DB" list
	echo "list:     ${wall} s, peak RSS $((rss / 1024)) MiB, $(wc -l <"$CACHE/out") lines"
	if command -v sqlite3 >/dev/null; then
		timed sqlite3 "$DB" "SELECT id, COALESCE(label, verdict), count, display_title FROM signature ORDER BY id"
		echo "sqlite3:  ${wall} s, peak RSS $((rss / 1024)) MiB (the same rows in the sqlite3 shell)"
	fi
done
