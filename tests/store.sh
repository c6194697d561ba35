#!/usr/bin/env bash
# The store under stress: concurrent writers and creators, crashes and
# signals, completed reports keeping their labels, read-only stores with a
# write-ahead log, a bounded WAL, failed commits, scan order, damaged
# headers.  Every count is compared with a single writer's store.
#
#   tests/store.sh [ROUNDS]     (ROUNDS of the 16-writer test; 3 unless told)
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh store
ROUNDS=${1:-3}

run() { "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
expect_rc() { if [ "$rc" = "$1" ]; then ok; else bad "$2: exit $rc, expected $1; stderr: $(head -c 400 "$TMP/err")"; fi; }
expect_err() { if grep -Eq -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks /$1/ (stderr: $(head -c 300 "$TMP/err"))"; fi; }
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"; }
# signal_ends SIG PID MESSAGE: signal the scan; it ends within two seconds (rc: its exit status), or
# is killed and the check fails with MESSAGE
signal_ends() {
	kill -"$1" "$2"
	for _ in $(seq 40); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$2" 2>/dev/null; then
		bad "$3"
		kill -9 "$2"
	else
		ok
	fi
	wait "$2"
	rc=$?
}

# What a store holds, independent of row ids and times: every signature with
# its count, subsystem and label, and the number of occurrences.
summary() {
	python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = sorted(c.execute("select key, count, subsystem, label from signature").fetchall(), key=repr)
occ = c.execute("select count(*), count(distinct key) from occurrence").fetchone()
print(occ, sum(r[1] for r in rows), len(rows))
for r in rows:
    print(r)
EOF
}

INPUTS=(fixtures/*.log fixtures/formats/*)
for f in "$SHARED"/kernel/console-*.log; do [ -f "$f" ] && INPUTS+=("$f"); done
N=${#INPUTS[@]}

echo "== store: one writer's store, the reference"
REF=$TMP/ref.db
run "$BIN" --db "$REF" scan "${INPUTS[@]}"
[ "$rc" -le 1 ] && ok || bad "single writer: exit $rc: $(head -c 300 "$TMP/err")"
summary "$REF" >"$TMP/ref.txt"

echo "== store: 16 writers creating one store over overlapping inputs, $ROUNDS rounds"
export KCSAN_TRIAGE_BUSY_TIMEOUT=60000
for round in $(seq 1 "$ROUNDS"); do
	DB=$TMP/conc$round.db
	pids=()
	for w in $(seq 0 15); do
		# writer w: every input, starting at a different one, some twice
		args=()
		for i in $(seq 0 $((N - 1))); do args+=("${INPUTS[$(((i + w) % N))]}"); done
		args+=("${INPUTS[$((w % N))]}")
		"$BIN" --db "$DB" scan --format json "${args[@]}" >"$TMP/w$w.out" 2>"$TMP/w$w.err" &
		pids+=($!)
	done
	failed=0
	for w in $(seq 0 15); do
		wait "${pids[$w]}"
		r=$?
		if [ "$r" -gt 1 ]; then
			failed=$((failed + 1))
			[ $failed = 1 ] && echo "   writer $w: exit $r: $(head -c 300 "$TMP/w$w.err")"
		fi
	done
	expect_eq "$failed" 0 "round $round: writers that failed"
	summary "$DB" >"$TMP/conc.txt"
	if diff "$TMP/ref.txt" "$TMP/conc.txt" >"$TMP/diff"; then ok; else bad "round $round: the store differs from one writer's:"; head -20 "$TMP/diff"; fi
done
unset KCSAN_TRIAGE_BUSY_TIMEOUT

echo "== store: a scan holds no read transaction between files (a writer waits, never fails)"
DB=$TMP/hold.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
# a second process writes while the first is between its files
python3 - "$DB" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
for i in range(40):
    c.execute("BEGIN IMMEDIATE"); time.sleep(0.01); c.execute("COMMIT"); time.sleep(0.005)
EOF
holder=$!
KCSAN_TRIAGE_BUSY_TIMEOUT=30000 run "$BIN" --db "$DB" scan "${INPUTS[@]}" "${INPUTS[@]}"
wait $holder
[ "$rc" -le 1 ] && ok || bad "a scan beside another writer: exit $rc: $(head -c 300 "$TMP/err")"

echo "== store: a label follows its report when a truncated copy is completed"
DB=$TMP/grow.db
head -n 310 fixtures/virtio-blk-console.log >"$TMP/grow.log"    # cut before the second access
run "$BIN" --db "$DB" scan --format json "$TMP/grow.log"
expect_eq "$(jq_py '[r["truncated"] for r in d["reports"]]')" "[False, True]" "the cut report is marked truncated"
cut_id=$(sql "$DB" "select signature_id from occurrence where truncated" | tr -dc 0-9)
run "$BIN" --db "$DB" label --as device-origin --note "by hand" "$cut_id"
expect_rc 0 "label the cut report"
cp fixtures/virtio-blk-console.log "$TMP/grow.log"
run "$BIN" --db "$DB" scan --format json --fail-on device-origin,real-race "$TMP/grow.log"
expect_eq "$(sql "$DB" "select count(*) from signature where label is not null and count > 0")" "[(1,)]" \
	"the completed report carries the label"
expect_eq "$(sql "$DB" "select count(*) from signature where count <= 0")" "[(0,)]" "no report is left with count 0"
expect_eq "$(sql "$DB" "select label_note from signature where label is not null")" "[('by hand',)]" "the note too"
expect_eq "$(jq_py 'd["reports"][1]["verdict"]')" device-origin "the scan says the label's verdict"

echo "== store: a read-only store with a committed WAL and no -shm"
DB=$TMP/ro/ro.db
mkdir -p "$TMP/ro"
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
# a committed transaction left in the WAL (the writer is gone, no -shm)
python3 - "$DB" <<'EOF'
import os, shutil, sqlite3, sys
p = sys.argv[1]
c = sqlite3.connect(p, isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("UPDATE signature SET count = count + 1000")
shutil.copy(p, p + ".snap"); shutil.copy(p + "-wal", p + ".snapwal")
c.close()
os.replace(p + ".snap", p); os.replace(p + ".snapwal", p + "-wal")
if os.path.exists(p + "-shm"): os.remove(p + "-shm")
EOF
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	unshare -m sh -c "mount --bind -o ro '$TMP/ro' '$TMP/ro' && '$BIN' --db '$DB' list --format json" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 0 ]; then
		expect_eq "$(jq_py 'sum(r["count"] for r in d["reports"])' 2>/dev/null)" 3004 "read-only: the WAL's data is read"
	else
		expect_rc 4 "read-only with an unreadable WAL: refused"
		expect_err "write-ahead log" "says why"
	fi
else
	echo "   skipped (no unshare -m)"
fi

echo "== store: the WAL stays bounded during a large scan"
DB=$TMP/wal.db
python3 bench/mkarchive.py --out "$TMP/arch" --reports 3000 --files 60 --seed 7 >/dev/null
# the WAL's size, sampled while the scan runs
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
read -r peak size wrc < <(python3 - "$DB" "$BIN" "$TMP/arch" <<'EOF'
import os, subprocess, sys
db, bin, arch = sys.argv[1:]
peak = 0
p = subprocess.Popen([bin, "--db", db, "scan", "--format", "json", "--fail-on", "none", arch], stdout=subprocess.DEVNULL)
while p.poll() is None:
    try: peak = max(peak, os.path.getsize(db + "-wal"))
    except OSError: pass
print(peak, os.path.getsize(db), p.returncode)
EOF
)
expect_eq "$wrc" 0 "the large scan"
if [ "$peak" -le "$size" ]; then ok; else bad "the WAL grew to $peak bytes for a $size-byte store"; fi
if [ ! -s "$DB-wal" ]; then ok; else bad "the WAL is left at $(stat -c %s "$DB-wal") bytes after the scan"; fi

echo "== store: failed commits are not counted"
DB=$TMP/full.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
# writes beyond 2 MiB fail (EFBIG), as on a full disk
(trap '' XFSZ; ulimit -f 2000; exec "$BIN" --db "$DB" scan --format json --fail-on none "$TMP/arch") 2>"$TMP/err" | cat >"$TMP/out"
rc=${PIPESTATUS[0]}
expect_rc 4 "a scan whose writes fail"
said=$(jq_py 'd["summary"]["stored_new"]' 2>/dev/null || echo "no JSON")
stored=$(sql "$DB" "select count(*) - 4 from occurrence" | tr -dc 0-9)
expect_eq "$said" "$stored" "stored_new is what was stored"

echo "== store: a report's subsystem does not depend on scan order"
A=$TMP/order-a.db B=$TMP/order-b.db
run "$BIN" --db "$A" scan "${INPUTS[@]}"
rev=()
for ((i = N - 1; i >= 0; i--)); do rev+=("${INPUTS[$i]}"); done
run "$BIN" --db "$B" scan "${rev[@]}"
expect_eq "$(sql "$A" "select key, subsystem from signature order by key")" \
	"$(sql "$B" "select key, subsystem from signature order by key")" "the same subsystems either way"

echo "== store: a populated store with user_version 0 or negative is not 'empty'"
for v in 0 -1; do
	DB=$TMP/uv$v.db
	run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
	sql "$DB" "pragma user_version = $v" >/dev/null
	sum_before=$(cksum <"$DB")
	run "$BIN" --db "$DB" list
	expect_rc 4 "list, user_version $v"
	if grep -q "empty" "$TMP/err"; then bad "user_version $v: called empty"; else ok; fi
	expect_err "damaged|schema $v" "user_version $v: says what is wrong"
	run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
	expect_rc 4 "scan, user_version $v"
	if grep -q "already exists" "$TMP/err"; then bad "user_version $v: tried to create the tables again"; else ok; fi
	expect_eq "$(cksum <"$DB")" "$sum_before" "user_version $v: the store is untouched"
done

echo "== store: a scan killed at any point leaves a whole store; a rescan ends exact"
python3 bench/mkarchive.py --out "$TMP/crash" --reports 4000 --files 200 --seed 11 >/dev/null
CREF=$TMP/crash-ref.db
run "$BIN" --db "$CREF" scan --fail-on none "$TMP/crash"
summary "$CREF" >"$TMP/crash-ref.txt"
for delay in 0.05 0.2 0.5 0.9; do
	DB=$TMP/crash-$delay.db
	"$BIN" --db "$DB" scan --fail-on none "$TMP/crash" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ -f "$DB" ] || continue
	expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "killed after ${delay}s: integrity"
	if [ "$(sql "$DB" "select count(*) from sqlite_master")" = "[(0,)]" ]; then
		ok   # killed before the store was made: an empty file
	else
	expect_eq "$(sql "$DB" "select count(*) from signature s where count != (select count(*) from occurrence o where o.signature_id = s.id)")" \
		"[(0,)]" "killed after ${delay}s: every count matches its occurrences"
	expect_eq "$(sql "$DB" "select count(*) from occurrence where raw is null or length(raw) = 0 or detail is null")" \
		"[(0,)]" "killed after ${delay}s: no occurrence without its text and accesses"
	fi
	run "$BIN" --db "$DB" scan --fail-on none "$TMP/crash"
	expect_rc 0 "killed after ${delay}s: the rescan"
	summary "$DB" >"$TMP/crash.txt"
	if diff "$TMP/crash-ref.txt" "$TMP/crash.txt" >"$TMP/diff"; then ok; else bad "killed after ${delay}s: the rescan differs:"; head -10 "$TMP/diff"; fi
done

echo "== store: SIGINT and SIGTERM end the file's transaction and say what was stored"
# large enough to be still going when the signal comes (the 4000 reports above take about 0.3 s),
# signalled once the store is being written
python3 bench/mkarchive.py --out "$TMP/sigarch" --reports 20000 --files 400 --seed 11 >/dev/null
for sig in INT TERM; do
	DB=$TMP/sig-$sig.db
	"$BIN" --db "$DB" scan --format json --fail-on none "$TMP/sigarch" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 100); do [ -e "$DB-wal" ] && break; sleep 0.02; done
	sleep 0.05
	kill -$sig $pid
	wait $pid
	rc=$?
	expect_rc $((128 + $(kill -l $sig))) "SIG$sig: the exit status"
	expect_err "interrupted" "SIG$sig: says so"
	said=$(jq_py 'd["summary"]["stored_new"]' 2>/dev/null || echo "no JSON")
	expect_eq "$said" "$(sql "$DB" "select count(*) from occurrence" | tr -dc 0-9)" "SIG$sig: the summary is what was stored"
	expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "SIG$sig: integrity"
done

echo "== store: a SIGBUS (a read of the mapped store failing) ends the scan in one line; what was committed is whole"
DB=$TMP/sig-BUS.db
# the archive stored, then a pipe that stays silent: the scan is sure to be running
mkfifo "$TMP/bus.fifo"
"$BIN" --db "$DB" scan --fail-on none "$TMP/crash" - <"$TMP/bus.fifo" >"$TMP/out" 2>"$TMP/err" &
pid=$!
exec 9>"$TMP/bus.fifo"
want=$(sql "$CREF" "select count(*) from occurrence")
for _ in $(seq 200); do
	[ -s "$DB" ] && [ "$(sql "$DB" "select count(*) from occurrence" 2>/dev/null)" = "$want" ] && break
	sleep 0.05
done
kill -BUS $pid
wait $pid
rc=$?
exec 9>&-
expect_eq "$(sql "$DB" "select count(*) from occurrence")" "$want" "SIGBUS: the archive was stored before it"
expect_rc 6 "SIGBUS: the exit status"
expect_err "^kcsan-triage: error: a file read through a mapping failed \(SIGBUS" "SIGBUS: says so"
expect_eq "$(wc -l <"$TMP/err")" 1 "SIGBUS: in one line"
expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "SIGBUS: integrity"
expect_eq "$(sql "$DB" "select count(*) from signature s where count != (select count(*) from occurrence o where o.signature_id = s.id)")" \
	"[(0,)]" "SIGBUS: every count matches its occurrences"

echo "== store: SIGINT and SIGTERM end a scan waiting on a pipe whose writer is silent"
for sig in INT TERM; do
	DB=$TMP/fifo-$sig.db
	rm -f "$TMP/fifo"
	mkfifo "$TMP/fifo"
	# the writer gives one log and then holds the pipe open, saying nothing
	rm -f "$TMP/fifo-written"
	{ cat fixtures/virtio-blk-console.log; : >"$TMP/fifo-written"; sleep 30; } >"$TMP/fifo" &
	writer=$!
	"$BIN" --db "$DB" scan --format json --fail-on none "$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# the log written into the pipe, then read and parsed
	for _ in $(seq 200); do
		[ -e "$TMP/fifo-written" ] && break
		sleep 0.05
	done
	sleep 0.3
	signal_ends $sig $pid "SIG$sig: the scan still waits on the pipe"
	kill $writer 2>/dev/null
	wait $writer 2>/dev/null
	expect_rc $((128 + $(kill -l $sig))) "SIG$sig on a pipe: the exit status"
	expect_err "interrupted" "SIG$sig on a pipe: says so"
	said=$(jq_py 'd["summary"]["stored_new"]' 2>/dev/null || echo "no JSON")
	expect_eq "$said" "$(sql "$DB" "select count(*) from occurrence" | tr -dc 0-9)" "SIG$sig on a pipe: the summary is what was stored"
	expect_eq "$(jq_py 'd["summary"]["stored_new"] > 0')" "True" "SIG$sig on a pipe: what was read before it is stored"
done

echo "== store: SIGINT ends a scan of a FIFO that no writer has opened yet"
for jobs in 1 2; do
	DB=$TMP/fifo-none-$jobs.db
	rm -f "$TMP/fifo"
	mkfifo "$TMP/fifo"
	# the log file before it is stored whole; the FIFO's wait ends on the signal
	"$BIN" --db "$DB" scan --jobs $jobs --format json --fail-on none fixtures/virtio-blk-console.log "$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# the batch before it is committed before the FIFO is waited for (another writer is not held up by the wait)
	committed=0
	for _ in $(seq 100); do
		[ -e "$DB" ] && [ "$(sql "$DB" "select count(*) from scanned_file" 2>/dev/null | tr -dc 0-9)" = 1 ] && { committed=1; break; }
		sleep 0.05
	done
	expect_eq "$committed" 1 "--jobs $jobs, a FIFO with no writer: the file before it is committed while the FIFO is waited for"
	sleep 0.2
	signal_ends INT $pid "--jobs $jobs, a FIFO with no writer: the scan still waits in open(2) after SIGINT"
	expect_rc 130 "--jobs $jobs, a FIFO with no writer, SIGINT: the exit status"
	expect_err "interrupted" "--jobs $jobs, a FIFO with no writer, SIGINT: says so"
	said=$(jq_py 'd["summary"]["stored_new"]' 2>/dev/null || echo "no JSON")
	expect_eq "$said" "$(sql "$DB" "select count(*) from occurrence" | tr -dc 0-9)" "--jobs $jobs, a FIFO with no writer: the summary is what was stored"
	expect_eq "$(jq_py 'd["summary"]["stored_new"] > 0')" "True" "--jobs $jobs, a FIFO with no writer: the file before it is stored"
done
# a writer that comes later is read as before: open(2) waited for it, so does the scan
DB=$TMP/fifo-late.db
"$BIN" --db "$DB" scan --format json --fail-on none "$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
pid=$!
sleep 0.3
cat fixtures/virtio-blk-console.log >"$TMP/fifo"
wait $pid
rc=$?
expect_rc 0 "a FIFO whose writer comes late: the exit status"
"$BIN" --db "$TMP/fifo-ref.db" scan --fail-on none fixtures/virtio-blk-console.log >/dev/null 2>&1
expect_eq "$(sql "$DB" "select count(*) from occurrence")" "$(sql "$TMP/fifo-ref.db" "select count(*) from occurrence")" \
	"a FIFO whose writer comes late: every report of its log is stored"

echo "== store: a stream's reports are committed as they are read, and it holds no other writer up"
for jobs in 1 2; do
	DB=$TMP/stream-$jobs.db
	rm -f "$TMP/stream-in.log"
	# more than the first look at a stream takes (64 KiB), then a silent writer
	for _ in 1 2 3 4; do cat fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log >>"$TMP/stream-in.log"; done
	# (with --jobs 2 a file before it: the workers read the stream, the writer stores it)
	before=; [ $jobs = 2 ] && before=fixtures/virtio-rng-console.log
	"$BIN" --db "$TMP/stream-ref.db" scan --fail-on none $before "$TMP/stream-in.log" >/dev/null 2>&1
	want=$(sql "$TMP/stream-ref.db" "select count(*) from occurrence where source like '%stream-in.log'" | tr -dc 0-9)
	{ cat "$TMP/stream-in.log"; sleep 30; } | "$BIN" --db "$DB" scan --jobs $jobs --format json --fail-on none $before - >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	got=
	for _ in $(seq 100); do
		got=$(sql "$DB" "select count(*) from occurrence where source = '<stdin>'" 2>/dev/null | tr -dc 0-9)
		[ "$got" = "$want" ] && break
		sleep 0.05
	done
	# (the last of them too: committed when the stream went quiet, not when more came)
	expect_eq "$got" "$want" "--jobs $jobs: every report the stream gave is in the store while it waits"
	KCSAN_TRIAGE_BUSY_TIMEOUT=1000 "$BIN" --db "$DB" scan --fail-on none fixtures/kunit-kcsan-test.log >/dev/null 2>"$TMP/err2"
	rc2=$?
	[ "$rc2" = 0 ] && ok || bad "--jobs $jobs: another writer while a stream waits: exit $rc2 ($(head -c 300 "$TMP/err2"))"
	signal_ends INT $pid "--jobs $jobs: the stream's scan does not end on SIGINT"
	expect_rc 130 "--jobs $jobs, a stream and SIGINT: the exit status"
	expect_eq "$(jq_py 'd["summary"]["stored_new"]')" "$(sql "$TMP/stream-ref.db" "select count(*) from occurrence" | tr -dc 0-9)" \
		"--jobs $jobs: the stream's summary is what it stored"
	rm -f "$TMP/stream-ref.db"*
done

echo "== store: a schema-2 store (made by the released binary) is upgraded: it shows what it showed"
DB=$TMP/v2.db
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
	"$DB" tests/fixtures-store/v2.sql
labels=$(sql "$DB" "select id, label, label_note, label_time, count from signature order by id")
run "$BIN" --db "$DB" list --format json
expect_rc 0 "list of a schema-2 store"
if diff -u tests/golden/store-v2/list.json "$TMP/out" >"$TMP/diff"; then ok; else bad "list after the upgrade:"; head -20 "$TMP/diff"; fi
expect_eq "$(sql "$DB" "pragma user_version")" "[(7,)]" "the store is upgraded"
expect_eq "$(sql "$DB" "select name from sqlite_master where type = 'table' order by name")" \
	"[('dictionary',), ('occurrence',), ('occurrence_meta',), ('signature',)]" "schema 2's tables are gone"
expect_eq "$(sql "$DB" "select id, label, label_note, label_time, count from signature order by id")" "$labels" \
	"labels and counts are kept"
for g in tests/golden/store-v2/show-*.json; do
	id=${g##*/show-}
	id=${id%.json}
	run "$BIN" --db "$DB" show --all --format json "$id"
	if diff -u "$g" "$TMP/out" >"$TMP/diff"; then ok; else bad "show $id after the upgrade:"; head -20 "$TMP/diff"; fi
done
run "$BIN" --db "$DB" stats --format json
if diff -u tests/golden/store-v2/stats.json "$TMP/out" >"$TMP/diff"; then ok; else bad "stats after the upgrade:"; head -20 "$TMP/diff"; fi
# what the released binary printed (golden): list streamed, stats counted in one pass
golden() {
	if diff -u "tests/golden/store-v2/$1" "$TMP/out" >"$TMP/diff"; then ok; else bad "$2:"; head -20 "$TMP/diff"; fi
}
run "$BIN" --db "$DB" list
golden list.txt "list, streamed: the rows the released binary listed, in its order, aligned alike"
run "$BIN" --db "$DB" list --format csv
golden list.csv "list --format csv, streamed"
run "$BIN" --db "$DB" list --sort count --verdict unknown-origin
golden list-count.txt "list --sort count --verdict unknown-origin"
# a text list keeps its measured rows in a temporary file: with none to be made ($TMPDIR
# missing) they are kept in memory, the same text; a spool that cannot be written (a file
# size limit, as a full disk) is an error, not a list cut short in silence
TMPDIR=$TMP/none run "$BIN" --db "$DB" list
golden list.txt "list with no temporary file to be made: the same rows"
(ulimit -f 2; trap '' XFSZ; "$BIN" --db "$DB" list | cat >"$TMP/out"; exit "${PIPESTATUS[0]}") 2>"$TMP/err"; rc=$?
expect_rc 6 "list with a spool that cannot be written"
expect_eq "$(grep -c . "$TMP/out")" 1 "list with a spool that cannot be written: the header only"
expect_err "error: the list's rows could not be kept in a temporary file: File too large" \
	"list with a spool that cannot be written says so"
run "$BIN" --db "$DB" stats
sed -i 1d "$TMP/out"
golden stats.txt "stats (text) counts what the released binary counted"
run "$BIN" --db "$DB" stats --format csv --top 1
golden stats-top1.csv "stats --format csv --top 1"
# the index stats reads is made by a writer; a read-only open of a store without it gives the same
sql "$DB" "drop index if exists signature_stats" >/dev/null
chmod a-w "$DB"
run "$BIN" --db "$DB" stats --format csv --top 1
golden stats-top1.csv "stats of a store without its index, read-only"
chmod u+w "$DB"
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log fixtures/kunit-kcsan-test.log fixtures/formats/truncated.log
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "a rescan of the upgraded store adds nothing"
expect_eq "$(sql "$DB" "select count(*) from sqlite_master where name = 'signature_stats'")" "[(1,)]" \
	"a writer adds the index stats reads"

echo "== store: a rescan that adds nothing writes nothing"
# PRAGMA data_version changes for a connection when another one has committed a change
python3 - "$BIN" "$REF" "${INPUTS[@]}" >"$TMP/out" 2>"$TMP/err" <<'EOF'
import sqlite3, subprocess, sys
c = sqlite3.connect(sys.argv[2], isolation_level=None)
before = c.execute("pragma data_version").fetchone()[0]
p = subprocess.run([sys.argv[1], "--db", sys.argv[2], "scan", "--format", "json", "--fail-on", "none"] + sys.argv[3:],
                   stdout=subprocess.PIPE)
print(p.returncode, c.execute("pragma data_version").fetchone()[0] - before)
EOF
expect_eq "$(cat "$TMP/out")" "0 0" "a rescan of every input: exit 0, nothing committed"

echo "== store: merge folds stores made apart into one with exact counts, labels kept"
counts() { sql "$1" "select key, count, subsystem from signature order by key"; }
A=$TMP/merge-a.db B=$TMP/merge-b.db
head -n 310 fixtures/virtio-blk-console.log >"$TMP/cut.log"
half=$((N / 2))
run "$BIN" --db "$A" scan "$TMP/cut.log" "${INPUTS[@]:0:$((half + 1))}"
run "$BIN" --db "$B" scan "${INPUTS[@]:$half}"
cut_sig=$(sql "$A" "select signature_id from occurrence where truncated order by id limit 1" | tr -dc 0-9)
run "$BIN" --db "$A" label --as device-origin --note "cut, by hand" "$cut_sig"
run "$BIN" --db "$A" label --as real-race --note older 1
one_key=$(sql "$A" "select key from signature where id = 1" | tr -dc 0-9-)
b_id=$(sql "$B" "select id from signature where key = $one_key" | tr -dc 0-9)
if [ -n "$b_id" ]; then
	SOURCE_DATE_EPOCH=1763712100 run "$BIN" --db "$B" label --as device-origin --note newer "$b_id"
fi
sum_b=$(cksum <"$B")
run "$BIN" --db "$A" merge "$B"
expect_rc 0 "merge"
expect_eq "$(counts "$A")" "$(counts "$REF")" "the merged store counts what one writer's does"
expect_eq "$(sql "$A" "select count(*) from occurrence")" "$(sql "$REF" "select count(*) from occurrence")" "unique occurrences"
expect_eq "$(sql "$A" "select count(*) from signature where label_note = 'cut, by hand' and count > 0")" "[(1,)]" \
	"the truncated report's label follows its complete copy"
if [ -n "$b_id" ]; then
	expect_eq "$(sql "$A" "select label, label_note from signature where key = $one_key")" "[('device-origin', 'newer')]" \
		"of two labels the newer is kept"
	expect_err "labelled real-race here and device-origin there" "the conflict is said"
fi
expect_eq "$(cksum <"$B")" "$sum_b" "the other store is left as it was"
run "$BIN" --db "$A" merge "$B"
expect_eq "$(counts "$A")" "$(counts "$REF")" "merging twice adds nothing"
cp "$B" "$TMP/newer.db"
sql "$TMP/newer.db" "pragma user_version = 9" >/dev/null
run "$BIN" --db "$A" merge "$TMP/newer.db"
expect_rc 4 "a newer store is not merged"

echo "== store: a schema-3 store (made by an earlier version) is upgraded to 6, labels and counts intact"
DB=$TMP/v3.db
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
	"$DB" tests/fixtures-store/v3.sql
expect_eq "$(sql "$DB" "pragma user_version")" "[(3,)]" "the fixture is schema 3"
before=$(sql "$DB" "select id, key, count, label, label_note, label_time, first_seen, last_seen, facts from signature order by id")
occs=$(sql "$DB" "select id, signature_id, key, stored_at, log_time, facts from occurrence order by id")
run "$BIN" --db "$DB" list --format json
expect_rc 0 "list of a schema-3 store"
expect_eq "$(sql "$DB" "pragma user_version")" "[(7,)]" "the store is upgraded"
expect_eq "$(sql "$DB" "select id, key, count, label, label_note, label_time, first_seen, last_seen, facts from signature order by id")" \
	"$before" "every signature's label, count and times are kept"
expect_eq "$(sql "$DB" "select id, signature_id, key, stored_at, log_time, facts from occurrence order by id")" "$occs" \
	"every occurrence is kept"
expect_eq "$(sql "$DB" "select count(*) from occurrence_meta")" "[(0,)]" "no metadata is made up for old occurrences"
expect_eq "$(jq_py '[(r["id"], r["count"], r["verdict"], r["label"] and r["label"]["note"]) for r in d["reports"]][:3]')" \
	"[(1, 2, 'device-origin', None), (2, 2, 'device-origin', \"checked by hand: the device's ring\"), (3, 1, 'real-race', None)]" \
	"list of the upgraded store: the labels are the verdicts"
run "$BIN" --db "$DB" show --format json 6
expect_eq "$(jq_py '[(o["report"][0]["time"], o["report"][0]["metadata"]) for o in d["occurrences"]]')" "[(None, None)]" \
	"an old occurrence has no time or metadata"
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log fixtures/formats/syzbot-email.txt fixtures/formats/truncated.log
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "a rescan of the upgraded store adds nothing"
expect_eq "$(sql "$DB" "select id, key, count, label, label_note, label_time, first_seen, last_seen, facts from signature order by id")" \
	"$before" "labels and counts survive the rescan"
run "$BIN" --db "$DB" scan --format json fixtures/formats/syzbot-two.mbox
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 2 "the upgraded store takes new occurrences"
expect_eq "$(sql "$DB" "select extid, time from occurrence_meta order by occurrence_id")" \
	"[('c0ffee0123456789abcd', '2026-11-25T10:20:30Z'), ('b0a7d1e2f3a4b5c6d7e8', '2026-11-20T23:59:59Z')]" \
	"with their extids and times"
expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "integrity"
expect_eq "$(sql "$DB" "pragma foreign_key_check")" "[]" "every metadata row has its occurrence"

# the inputs both old fixtures were made from, and a store made now from them, labelled alike
OLD_IN=(fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log fixtures/formats/syzbot-email.txt
	fixtures/formats/truncated.log fixtures/formats/syzbot-mail.eml)
NEW=$TMP/old-new.db
run "$BIN" --db "$NEW" scan --fail-on none "${OLD_IN[@]}"
run "$BIN" --db "$NEW" label --as device-origin --note "checked by hand: the device's ring" 2
run "$BIN" --db "$NEW" label --as real-race 3
sigs_q="select id, key, count, label, label_note, label_time, first_seen, last_seen, first_kernel, last_kernel, verdict, facts from signature order by id"
occs_q="select id, signature_id, key, head, stored_at, log_time, truncated, facts, evidence_level, raw, detail from occurrence order by id"
meta_q="select * from occurrence_meta order by occurrence_id"
for v in 4 5; do
	echo "== store: a schema-$v store (made by an earlier version) is upgraded to 6, labels, counts and times intact"
	DB=$TMP/v$v.db
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
		"$DB" tests/fixtures-store/v$v.sql
	expect_eq "$(sql "$DB" "pragma user_version")" "[($v,)]" "the fixture is schema $v"
	before=$(sql "$DB" "$sigs_q") occs=$(sql "$DB" "$occs_q") meta=$(sql "$DB" "$meta_q")
	run "$BIN" --db "$DB" list --format json
	expect_rc 0 "list of a schema-$v store"
	expect_eq "$(sql "$DB" "pragma user_version")" "[(7,)]" "the store is upgraded"
	expect_eq "$(sql "$DB" "$sigs_q")" "$before" "every signature's label, count and times are kept"
	expect_eq "$(sql "$DB" "$occs_q")" "$occs" "every occurrence is kept, its texts as they were compressed"
	expect_eq "$(sql "$DB" "$meta_q")" "$meta" "every occurrence's time and mail metadata are kept"
	expect_eq "$(sql "$DB" "select count(*) from dictionary")" "[(0,)]" "no dictionary yet"
	expect_eq "$(sql "$DB" "select sql from sqlite_master where name = 'occurrence_head'")" \
		"[('CREATE UNIQUE INDEX occurrence_head ON occurrence(head, key)',)]" "occurrences are indexed by head and key"
	expect_eq "$(jq_py '[(r["id"], r["count"], r["label"] and (r["label"]["verdict"], r["label"]["note"])) for r in d["reports"]][:3]')" \
		"[(1, 2, None), (2, 2, ('device-origin', \"checked by hand: the device's ring\")), (3, 1, ('real-race', None))]" \
		"list of the upgraded store: its labels"
	for cmd in "list --format json" "stats --format json" "export --labels --format json" "show --all --format json 2" \
		"show --all --format json 8" "show --all 1"; do
		# shellcheck disable=SC2086
		run "$BIN" --db "$NEW" $cmd
		cp "$TMP/out" "$TMP/want"
		# shellcheck disable=SC2086
		run "$BIN" --db "$DB" $cmd
		if cmp -s "$TMP/want" "$TMP/out"; then ok; else bad "$cmd of the upgraded store differs:"; diff "$TMP/want" "$TMP/out" | head -10; fi
	done
	run "$BIN" --db "$DB" scan --format json "${OLD_IN[@]}"
	expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "a rescan of the upgraded store adds nothing"
	# the same texts under other names: parsed again, every report found stored by its head and key
	rm -rf "$TMP/old-copy"
	mkdir "$TMP/old-copy"
	for f in "${OLD_IN[@]}"; do cp "$f" "$TMP/old-copy/copy-$(basename "$f")"; done
	run "$BIN" --db "$DB" scan --format json "$TMP"/old-copy/*
	expect_eq "$(jq_py '(d["summary"]["stored_new"], d["summary"]["already_known"] > 0)')" "(0, True)" \
		"copies of the inputs: every report is known"
	expect_eq "$(sql "$DB" "$sigs_q")" "$before" "labels, counts and times survive the rescans"
	expect_eq "$(sql "$DB" "pragma integrity_check")" "[('ok',)]" "integrity"
done
sed 's/^PRAGMA user_version = 4;/PRAGMA user_version = 8;/' tests/fixtures-store/v4.sql >"$TMP/v4-newer.sql"
DB=$TMP/v8.db
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
	"$DB" "$TMP/v4-newer.sql"
sum_before=$(cksum <"$DB")
run "$BIN" --db "$DB" scan fixtures/formats/syzbot-two.mbox
expect_rc 4 "a store of schema 8 is refused"
expect_err "schema 8 is newer" "says why"
expect_eq "$(cksum <"$DB")" "$sum_before" "and left untouched"

echo "== store: texts compressed with a dictionary trained on a store's first reports"
ARCH=$TMP/arch
python3 bench/mkarchive.py --shared "$SHARED" --out "$ARCH" --reports 1500 --files 15 >/dev/null
# zip_dicts DB: how many stored texts were compressed without a dictionary, and with one
zip_dicts() {
	python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
n = [0, 0]
for raw, detail in c.execute("select raw, detail from occurrence"):
    for b in (raw, detail):
        if b:   # (detail is empty from schema 7: the accesses are in raw)
            n[(b[4] & 3) != 0] += 1   # the frame header's dictionary-id field
print(n[0], n[1])
EOF
}
A=$TMP/dict-a.db C=$TMP/dict-c.db D=$TMP/dict-d.db
run "$BIN" --db "$A" scan --fail-on none "$ARCH"
expect_rc 0 "a scan of 1500 reports"
expect_eq "$(sql "$A" "select count(*) from dictionary")" "[(1,)]" "a dictionary is trained and kept"
read -r plain zipped <<<"$(zip_dicts "$A")"
# (its samples are the first 500 and the rest of their file of 100; the others use it)
if [ "$plain" -ge 500 ] && [ "$plain" -le 600 ] && [ "$zipped" -ge 900 ]; then ok; else bad "texts without and with the dictionary: $plain, $zipped"; fi
run "$BIN" --db "$A" scan --format json --fail-on none "$ARCH"
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "a rescan adds nothing"
# the same reports stored in two scans (the first too few to train on): another dictionary, the same reports
run "$BIN" --db "$C" scan --fail-on none "$ARCH"/000/console-00000[0-3].log
expect_eq "$(sql "$C" "select count(*) from dictionary")" "[(0,)]" "too few reports for a dictionary"
run "$BIN" --db "$C" scan --fail-on none "$ARCH"
expect_eq "$(sql "$C" "select count(*) from dictionary")" "[(1,)]" "then one"
last=$(sql "$A" "select max(id) from signature" | tr -dc 0-9)
for cmd in "list --format json" "stats --format json" "show --all --format json 1" "show --all --format json 700" \
	"show --all --format json $last" "show --all $((last - 1))"; do
	# shellcheck disable=SC2086
	run "$BIN" --db "$A" $cmd
	cp "$TMP/out" "$TMP/want"
	# shellcheck disable=SC2086
	run "$BIN" --db "$C" $cmd
	if [ "$rc" = 0 ] && cmp -s "$TMP/want" "$TMP/out"; then ok; else bad "$cmd: the stores differ"; diff "$TMP/want" "$TMP/out" | head -10; fi
done
# merge: the other store's texts come with its dictionary
run "$BIN" --db "$D" merge "$A"
expect_rc 0 "merge into a new store"
expect_eq "$(sql "$D" "select id, dict from dictionary")" "$(sql "$A" "select id, dict from dictionary")" "the dictionary comes along"
run "$BIN" --db "$A" show --all --format json "$last"
cp "$TMP/out" "$TMP/want"
run "$BIN" --db "$D" show --all --format json "$last"
if cmp -s "$TMP/want" "$TMP/out"; then ok; else bad "show of a merged report differs"; fi
run "$BIN" --db "$A" merge "$C"
expect_rc 0 "merge of a store with another dictionary"
expect_eq "$(sql "$A" "select count(*) from dictionary")" "[(2,)]" "both dictionaries are kept"
run "$BIN" --db "$A" show --all --format json "$last"
if cmp -s "$TMP/want" "$TMP/out"; then ok; else bad "show after merging differs"; fi
cp "$C" "$TMP/clash.db"
sql "$TMP/clash.db" "update dictionary set dict = dict || x'00'" >/dev/null
sum_a=$(sql "$A" "select count(*), sum(count) from signature")
run "$BIN" --db "$A" merge "$TMP/clash.db"
expect_rc 4 "two dictionaries under one id: not merged"
expect_err "different compression dictionaries" "says why"
expect_eq "$(sql "$A" "select count(*), sum(count) from signature")" "$sum_a" "nothing changed"
cp "$D" "$TMP/nodict.db"
sql "$TMP/nodict.db" "delete from dictionary" >/dev/null
run "$BIN" --db "$TMP/nodict.db" show --all "$last"
expect_rc 4 "a text whose dictionary is missing"
expect_err "cannot be decompressed" "says so"
# writers creating one store at once: one trains, the others take its dictionary (or train while none is stored)
E=$TMP/dict-e.db
pids=()
for w in 1 2 3 4; do
	"$BIN" --db "$E" scan --fail-on none "$ARCH" >/dev/null 2>"$TMP/err-$w" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || bad "a concurrent writer failed"; done
expect_eq "$(summary "$E")" "$(summary "$D")" "four writers store what one does"
expect_eq "$(sql "$E" "select count(*) from dictionary")" "[(1,)]" "one dictionary"
expect_eq "$(sql "$E" "pragma integrity_check")" "[('ok',)]" "integrity"

echo "== store: merge keeps each occurrence's time and mail metadata"
A=$TMP/meta-a.db
B=$TMP/meta-b.db
rm -f "$A" "$B"
run "$BIN" --db "$A" scan --fail-on none fixtures/formats/syzbot-mail.eml
run "$BIN" --db "$B" scan --fail-on none fixtures/formats/syzbot-two.mbox fixtures/formats/syzbot-mail.eml
run "$BIN" --db "$A" merge "$B"
expect_rc 0 "merge"
expect_eq "$(sql "$A" "select o.key = (select key from occurrence where id = m.occurrence_id), m.extid, m.time from occurrence_meta m join occurrence o on o.id = m.occurrence_id order by m.time")" \
	"[(1, 'b0a7d1e2f3a4b5c6d7e8', '2026-11-20T23:59:59Z'), (1, 'c0ffee0123456789abcd', '2026-11-25T10:20:30Z'), (1, '5d1a2bcf80e4e9b1c7a3', '2026-12-01T14:03:07Z')]" \
	"every occurrence with its own metadata, once"
run "$BIN" --db "$A" list --extid c0ffee0123456789abcd --format json
expect_eq "$(jq_py '[(r["count"], r["first_seen"], r["last_seen"]) for r in d["reports"]]')" \
	"[(2, '2026-11-20T23:59:59Z', '2026-11-25T10:20:30Z')]" "list --extid and the times after the merge"

echo "store: $pass passed, $fail failed"
[ "$fail" = 0 ]
