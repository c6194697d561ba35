#!/usr/bin/env bash
# scan --jobs N: the output, every warning and the store are those of
# --jobs 1, over the fixture logs, the kernel's logs (with its vmlinux and
# without a module's .ko: the warnings said once) and a generated
# many-file archive; a file that fails in the middle; the range of N;
# signals and SIGKILL while workers run.
#
#   tests/jobs.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh jobs

# What a store shows, every way: list, stats, the labels, every occurrence row.
store_view() {   # store_view DB OUT
	{
		"$BIN" --db "$1" list --format json
		"$BIN" --db "$1" stats --format json
		"$BIN" --db "$1" export --labels --all
		python3 - "$1" <<'EOF'
import hashlib, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for t in ("signature", "occurrence"):
    for row in c.execute("select * from %s order by rowid" % t):
        print(t, hashlib.sha1(repr(row).encode()).hexdigest())
EOF
	} >"$2" 2>&1
}

# scan_as J NAME ARGS...: in $TMP/NAME-J (the store's name the same in every
# directory): out, err, rc, and the store's view
scan_as() {
	local j=$1 name=$2 d
	shift 2
	d=$TMP/$name-$j
	mkdir -p "$d"
	(cd "$d" && "$BIN" --db s.db scan --jobs "$j" "$@" >out 2>err; echo $? >rc)
	if [ -n "${VIEW:-}" ] && [ -f "$d/s.db" ]; then store_view "$d/s.db" "$d/view"; fi
}

# compare NAME ARGS...: --jobs 1 against 2 and 4, in the text, JSON, SARIF and JUnit documents
compare() {
	local name=$1 j fmt
	shift
	for fmt in text json sarif junit; do
		jobs="1 2"
		[ $fmt = text ] && jobs="1 2 4"
		for j in $jobs; do
			rm -rf "$TMP/$name-$fmt-$j"
			VIEW=$([ $fmt = text ] && echo 1) scan_as "$j" "$name-$fmt" --format "$fmt" "$@"
		done
		for j in ${jobs#1 }; do
			for f in out err rc view; do
				[ -f "$TMP/$name-$fmt-1/$f" ] || continue
				same "$TMP/$name-$fmt-1/$f" "$TMP/$name-$fmt-$j/$f" "$name, --format $fmt, --jobs 1 and $j: $f"
			done
		done
	done
	# a rescan into the same store (everything known) too
	for j in 1 2; do
		(cd "$TMP/$name-text-$j" && "$BIN" --db s.db scan --jobs "$j" "$@" >out2 2>err2; echo $? >rc2)
	done
	same "$TMP/$name-text-1/out2" "$TMP/$name-text-2/out2" "$name, a rescan, --jobs 1 and 2: stdout"
	same "$TMP/$name-text-1/err2" "$TMP/$name-text-2/err2" "$name, a rescan, --jobs 1 and 2: stderr"
	same "$TMP/$name-text-1/rc2" "$TMP/$name-text-2/rc2" "$name, a rescan, --jobs 1 and 2: exit status"
}

FIX=()
for f in fixtures/*.log fixtures/formats/*; do FIX+=("$PWD/$f"); done
echo "== jobs: the fixture logs (${#FIX[@]} files)"
compare fixtures "${FIX[@]}"

KLOGS=()
for f in "$SHARED"/kernel/console-*.log; do [ -f "$f" ] && KLOGS+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
if [ ${#KLOGS[@]} -gt 0 ]; then
	echo "== jobs: the kernel's logs (${#KLOGS[@]} files), then with its vmlinux but no modules"
	compare kernel "${KLOGS[@]}"
	. tests/unpack-kernel.sh
	if kernel_cache "$SHARED/kernel" >/dev/null 2>&1 && [ -s "$CACHE/vmlinux" ]; then
		VM=$PWD/$CACHE/vmlinux
		mkdir -p "$TMP/nomods"
		for j in 1 2 4; do
			VIEW=1 scan_as "$j" vmlinux --vmlinux "$VM" --modules "$TMP/nomods" "${KLOGS[@]}" "${FIX[@]}"
		done
		for j in 2 4; do
			for f in out err rc view; do
				same "$TMP/vmlinux-1/$f" "$TMP/vmlinux-$j/$f" "--vmlinux, --jobs 1 and $j: $f"
			done
		done
		if grep -q "its frames are not symbolized" "$TMP/vmlinux-1/err"; then ok
		else bad "--vmlinux without modules: no warning about a module (the test would not see it)"; fi
	elif [ "${CI:-}" = true ]; then
		bad "cannot decompress $SHARED/kernel/vmlinux.xz"
	fi
elif [ "${CI:-}" = true ]; then
	bad "no $SHARED/kernel/console-*.log (CI=true: every suite must run)"
fi

echo "== jobs: a generated archive of many files"
python3 bench/mkarchive.py --out "$TMP/arch" --reports 3000 --files 300 --seed 5 >/dev/null
compare arch "$TMP/arch"
# the default for many files is the CPUs: the same again
mkdir -p "$TMP/arch-default-"
(cd "$TMP/arch-default-" && "$BIN" --db s.db scan "$TMP/arch" >out 2>err; echo $? >rc)
for f in out err rc; do
	same "$TMP/arch-text-1/$f" "$TMP/arch-default-/$f" "the default --jobs and --jobs 1: $f"
done
if grep -q $'\r\|scan: ' "$TMP/arch-text-2/err"; then bad "a progress line on a stderr that is no terminal"; else ok; fi

echo "== jobs: files that fail in the middle"
M=$TMP/mixed
mkdir -p "$M"
cp fixtures/virtio-blk-console.log "$M/a.log"
head -c 20000 /dev/urandom >"$M/b.bin"
gzip -c fixtures/kunit-kcsan-test.log | head -c 3000 >"$M/c.log.gz"
ln -s "$M/nowhere" "$M/d.log"
mkfifo "$M/e.fifo"
cp fixtures/virtio-rng-console.log "$M/f.log"
cp fixtures/formats/truncated.log "$M/g.log"
for j in 1 2 4; do
	VIEW=1 scan_as "$j" mixed "$M" "$TMP/no-such-file" fixtures/formats/syzbot-email.txt
done
for j in 2 4; do
	for f in out err rc view; do
		same "$TMP/mixed-1/$f" "$TMP/mixed-$j/$f" "failing files, --jobs 1 and $j: $f"
	done
done
expect_eq "$(cat "$TMP/mixed-1/rc")" 3 "failing files: exit 3 (some input unreadable)"
for w in "b.bin" "c.log.gz" "d.log" "e.fifo" "no-such-file"; do
	if grep -q "$w" "$TMP/mixed-1/err"; then ok; else bad "failing files: nothing said about $w"; fi
done

echo "== jobs: N from 1 to 256"
for n in 0 257 -1 x 2x ""; do
	"$BIN" scan --no-db --jobs "$n" fixtures/virtio-blk-console.log >/dev/null 2>"$TMP/err"
	expect_eq "$?" 2 "--jobs '$n': a usage error"
	if grep -q "from 1 to 256" "$TMP/err"; then ok; else bad "--jobs '$n': says the range: $(cat "$TMP/err")"; fi
done
"$BIN" scan --no-db --jobs 256 "${FIX[@]}" >"$TMP/out256" 2>"$TMP/err256"
"$BIN" scan --no-db --jobs 1 "${FIX[@]}" >"$TMP/out1" 2>"$TMP/err1"
same "$TMP/out1" "$TMP/out256" "--jobs 256 and 1: stdout"
same "$TMP/err1" "$TMP/err256" "--jobs 256 and 1: stderr"
cat fixtures/virtio-blk-console.log | "$BIN" scan --no-db --jobs 4 >"$TMP/out" 2>"$TMP/err"
if grep -q "KCSAN report" "$TMP/out"; then ok; else bad "--jobs 4 on standard input: $(head -3 "$TMP/out")"; fi

echo "== jobs: SIGINT and SIGTERM with workers running end the file's transaction"
python3 bench/mkarchive.py --out "$TMP/crash" --reports 4000 --files 200 --seed 11 >/dev/null
# large enough to be still going when the signal comes (4000 reports took under 0.3 s), signalled once
# the store is being written
python3 bench/mkarchive.py --out "$TMP/sigarch" --reports 20000 --files 400 --seed 11 >/dev/null
for sig in INT TERM; do
	DB=$TMP/sig-$sig.db
	"$BIN" --db "$DB" scan --jobs 4 --format json --fail-on none "$TMP/sigarch" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 100); do [ -e "$DB-wal" ] && break; sleep 0.02; done
	sleep 0.05
	kill -$sig $pid
	wait $pid
	expect_eq "$?" $((128 + $(kill -l $sig))) "SIG$sig: the exit status"
	if grep -q interrupted "$TMP/err"; then ok; else bad "SIG$sig: not said: $(head -c 300 "$TMP/err")"; fi
	said=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["stored_new"])' "$TMP/out" 2>/dev/null || echo "no JSON")
	expect_eq "$said" "$(sql "$DB" "select count(*) from occurrence" | tr -dc 0-9)" "SIG$sig: the summary is what was stored"
	expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "SIG$sig: integrity"
done

echo "== jobs: SIGKILL with workers running; a rescan ends exact"
"$BIN" --db "$TMP/kref.db" scan --jobs 1 --fail-on none "$TMP/crash" >/dev/null 2>&1
"$BIN" --db "$TMP/kref.db" list --format json | python3 -c 'import json,sys; print(sorted((r["signature"], r["count"]) for r in json.load(sys.stdin)["reports"]))' >"$TMP/kref.txt"
for delay in 0.1 0.4; do
	DB=$TMP/kill-$delay.db
	"$BIN" --db "$DB" scan --jobs 4 --fail-on none "$TMP/crash" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	"$BIN" --db "$DB" scan --jobs 2 --fail-on none "$TMP/crash" >/dev/null 2>&1
	expect_eq "$?" 0 "killed after ${delay}s: the rescan"
	expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "killed after ${delay}s: integrity"
	"$BIN" --db "$DB" list --format json | python3 -c 'import json,sys; print(sorted((r["signature"], r["count"]) for r in json.load(sys.stdin)["reports"]))' >"$TMP/kill.txt"
	same "$TMP/kref.txt" "$TMP/kill.txt" "killed after ${delay}s, rescanned: the counts"
done

echo "jobs: $pass passed, $fail failed"
[ "$fail" = 0 ]
