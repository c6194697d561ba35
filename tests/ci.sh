#!/usr/bin/env bash
# CI gating: --fail-on, --new, --baseline, the triage file (export --labels,
# scan --triage, label --file), the stable signature ID across builds,
# SARIF (checked by the reference validator), JUnit (xmllint and a real
# consumer), export --kcsan-filter, CSV, the JSON schema docs/json.md
# documents, and contrib/ci.sh.
#
# The validators come from the npm registry (.ci/install-deps puts them in
# $KT_NPM_DIR, default /var/cache/kcsan-triage-npm).  Without Node they are
# skipped, unless CI is set: then their absence fails.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh ci
SRC=$PWD
KLOG=$SHARED/kernel/console-4.log
NPM=${KT_NPM_DIR:-/var/cache/kcsan-triage-npm}
MULTITOOL=$NPM/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
JUNIT2JSON=$NPM/node_modules/.bin/junit2json

skip=0
skipped() {
	if [ -n "${CI:-}" ]; then
		bad "$* (CI is set: run .ci/install-deps)"
	else
		skip=$((skip + 1))
		echo "skip: $*"
	fi
}
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}
expect_rc() {
	if [ "$rc" = "$1" ]; then ok; else bad "$2: exit $rc, expected $1; stderr: $(head -c 300 "$TMP/err")"; fi
}
expect_out() {
	if grep -Eq -- "$1" "$TMP/out"; then ok; else bad "$2: stdout lacks /$1/"; fi
}
expect_err() {
	if grep -Eq -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks /$1/ (stderr: $(head -c 300 "$TMP/err"))"; fi
}
expect_eq() {
	if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi
}
jq_py() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"
}

LOG=fixtures/virtio-blk-console.log    # device-origin, real-race, unknown-origin
KUNIT=fixtures/kunit-kcsan-test.log

echo "== --fail-on: the effective verdict; bad lists are usage errors"
for bad_list in '' 'real-race,' ',real-race' 'real-race,,unknown-origin' 'bogus' 'real-race,bogus'; do
	run "$BIN" scan --no-db --fail-on "$bad_list" "$LOG"
	expect_rc 2 "--fail-on '$bad_list'"
	expect_err "--fail-on takes" "--fail-on '$bad_list' says what it takes"
done
run "$BIN" scan --no-db --fail-on real-race "$LOG"
expect_rc 1 "--fail-on real-race: a real race"
run "$BIN" scan --no-db --fail-on device-origin,unknown-origin "$LOG"
expect_rc 1 "--fail-on device-origin,unknown-origin"
run "$BIN" scan --no-db --fail-on none "$LOG"
expect_rc 0 "--fail-on none"
DB=$TMP/eff.db
run "$BIN" --db "$DB" scan --fail-on none "$LOG"
run "$BIN" --db "$DB" list --format json --verdict real-race
rr=$(jq_py '" ".join(str(r["id"]) for r in d["reports"])')
run "$BIN" --db "$DB" list --format json --verdict device-origin
dev=$(jq_py '" ".join(str(r["id"]) for r in d["reports"])')
run "$BIN" --db "$DB" label --as device-origin --note "checked" $rr
run "$BIN" --db "$DB" scan --fail-on real-race "$LOG"
expect_rc 0 "a real race labelled device-origin does not fail --fail-on real-race"
run "$BIN" --db "$DB" label --as real-race $dev
run "$BIN" --db "$DB" scan --fail-on real-race "$LOG"
expect_rc 1 "a device-origin report labelled real-race fails --fail-on real-race"
run "$BIN" --db "$DB" scan --fail-on device-origin "$LOG"
expect_rc 1 "a real race labelled device-origin fails --fail-on device-origin"

echo "== --new: only what the store did not hold before this scan fails"
DB=$TMP/new.db
run "$BIN" --db "$DB" scan --new --fail-on real-race "$KLOG"
expect_rc 1 "--new on a fresh store: every report is new"
run "$BIN" --db "$DB" scan --fail-on real-race "$KLOG"
expect_rc 1 "a rescan without --new still fails on the known real race (the man page says so)"
run "$BIN" --db "$DB" scan --new --fail-on real-race "$KLOG"
expect_rc 0 "--new: a rescan reports 0 new and passes"
expect_out "^--new: 0 of 3 distinct reports new; 0 fail the job" "--new says what it counted"
run "$BIN" --db "$DB" scan --new --fail-on real-race --format json "$KLOG"
expect_eq "$(jq_py '(d["summary"]["new_signatures"], d["summary"]["failing"], d["summary"]["distinct"])')" \
	"(0, 0, 3)" "--new in the JSON summary"
run "$BIN" --db "$DB" scan --new --fail-on any "$KLOG" "$KUNIT"
expect_rc 1 "--new: a new log's reports fail"
expect_out "^#[0-9]+ [0-9]+x [a-z-]+ \[new [0-9a-f]{16}, fails the job\]" "--new marks the new reports, with their IDs"
expect_out "^#[0-9]+ [0-9]+x [a-z-]+ \[known [0-9a-f]{16}\]" "--new marks the known reports"
run "$BIN" --db "$DB" scan --new --fail-on any "$KLOG" "$KUNIT"
expect_rc 0 "--new: once stored, the same reports are known"
run "$BIN" scan --no-db --new --fail-on real-race "$KLOG"
expect_rc 1 "--new --no-db without a baseline: every report is new"
expect_err "every report is new" "--new --no-db warns"

echo "== --baseline FILE|DB"
DB=$TMP/base.db
run "$BIN" --db "$DB" scan --fail-on none "$KLOG"
run "$BIN" scan --no-db --new --baseline "$DB" --fail-on any "$KLOG"
expect_rc 0 "--baseline DB: everything known"
run "$BIN" --db "$TMP/fresh.db" scan --new --baseline "$DB" --fail-on any "$KLOG" "$KUNIT"
expect_rc 1 "--baseline DB: the KUnit log's reports are new"
run "$BIN" --db "$TMP/fresh2.db" scan --new --baseline "$DB" --fail-on any "$KLOG"
expect_rc 0 "--baseline DB with a fresh store of its own: the baseline decides"
run "$BIN" --db "$DB" export --labels --all
cp "$TMP/out" "$TMP/baseline.triage"
run "$BIN" scan --no-db --new --baseline "$TMP/baseline.triage" --fail-on any "$KLOG"
expect_rc 0 "--baseline triage file (export --labels --all): everything known"
head -n 4 "$TMP/baseline.triage" >"$TMP/partial.triage"
run "$BIN" scan --no-db --new --baseline "$TMP/partial.triage" --fail-on any "$KLOG"
expect_rc 1 "--baseline triage file without some reports: those fail"
: >"$TMP/empty.triage"
run "$BIN" scan --no-db --new --baseline "$TMP/empty.triage" --fail-on real-race "$KLOG"
expect_rc 1 "--baseline of an empty file: every report is new"
run "$BIN" scan --no-db --new --baseline "$TMP/nonexistent" "$KLOG"
expect_rc 2 "--baseline: a missing file is a usage error"

echo "== the triage file: export --labels, scan --triage, label --file"
DB=$TMP/tri.db
run "$BIN" --db "$DB" scan --fail-on none "$KLOG" "$KUNIT"
run "$BIN" --db "$DB" list --format json
ids=$(jq_py '" ".join(str(r["id"]) for r in d["reports"] if r["verdict"] == "real-race" and "test_kernel" in r["title"])')
run "$BIN" --db "$DB" label --as device-origin --note "KUnit: races on purpose" $ids
run "$BIN" --db "$DB" export --labels
expect_rc 0 "export --labels"
cp "$TMP/out" "$TMP/kcsan.triage"
expect_eq "$(head -n 1 "$TMP/kcsan.triage")" "# kcsan-triage triage file 1" "the triage file's header"
expect_eq "$(grep -c '^[0-9a-f]\{16\} device-origin KUnit: races on purpose$' "$TMP/kcsan.triage")" \
	"$(wc -w <<<"$ids")" "one line per label: ID VERDICT NOTE"
expect_eq "$(grep '^[0-9a-f]' "$TMP/kcsan.triage" | LC_ALL=C sort -c && echo sorted)" sorted "sorted by ID"
run "$BIN" --db "$DB" export --labels
expect_eq "$(cmp -s "$TMP/out" "$TMP/kcsan.triage" && echo same)" same "export --labels is reproducible"
run "$BIN" --db "$TMP/ci.db" scan --fail-on real-race "$KLOG" "$KUNIT"
expect_rc 1 "a fresh CI store fails on the KUnit test's races"
run "$BIN" --db "$TMP/ci2.db" scan --triage "$TMP/kcsan.triage" --fail-on real-race "$KLOG" "$KUNIT"
expect_rc 1 "scan --triage: the console log's real race is still a real race"
run "$BIN" --db "$TMP/ci3.db" scan --triage "$TMP/kcsan.triage" --fail-on real-race "$KUNIT"
expect_rc 0 "scan --triage: a fresh store knows what people decided"
run "$BIN" --db "$TMP/ci3.db" list --format json
expect_eq "$(jq_py 'sorted(set((r["verdict"], r["label"]["verdict"] if r["label"] else None) for r in d["reports"] if r["tool_verdict"] == "real-race"))')" \
	"[('device-origin', 'device-origin')]" "scan --triage stores the labels"
run "$BIN" scan --no-db --triage "$TMP/kcsan.triage" --fail-on real-race "$KUNIT"
expect_rc 0 "scan --no-db --triage applies the labels too"
run "$BIN" scan --no-db --triage "$TMP/kcsan.triage" --fail-on real-race --format json "$KUNIT"
expect_eq "$(jq_py 'sorted(set(r["label"]["note"] for r in d["reports"] if r["label"]))')" \
	"['KUnit: races on purpose']" "scan --triage: the JSON carries the label"
run "$BIN" --db "$TMP/ci4.db" scan --fail-on none "$KUNIT"
run "$BIN" --db "$TMP/ci4.db" label --file "$TMP/kcsan.triage"
expect_rc 0 "label --file"
expect_out "labels?, [0-9]+ of them for reports in the store, [1-9][0-9]* changed" "label --file says what it did"
run "$BIN" --db "$TMP/ci4.db" scan --fail-on real-race "$KUNIT"
expect_rc 0 "after label --file the labelled races pass"
run "$BIN" --db "$TMP/ci4.db" list --format csv
cp "$TMP/out" "$TMP/ci4.csv"
run "$BIN" --db "$TMP/ci4.db" export --labels
expect_eq "$(python3 -c '
import csv, sys
have = {r["signature"] for r in csv.DictReader(open(sys.argv[1], newline=""))}
tri = [l for l in open(sys.argv[2]) if l[:1] not in "#\n"]
got = [l for l in open(sys.argv[3]) if l[:1] not in "#\n"]
print(got == [l for l in tri if l.split()[0] in have] and len(got) > 0)
' "$TMP/ci4.csv" "$TMP/kcsan.triage" "$TMP/out")" True \
	"label --file, then export --labels: the file's labels of the reports the store has"
run "$BIN" --db "$TMP/ci4.db" label --file "$TMP/kcsan.triage" 1
expect_rc 2 "label --file takes no IDs"
printf '# comment\n\n0123456789abcdef real-race  a note  \n0123456789abcdef -\n' >"$TMP/dup.triage"
run "$BIN" scan --no-db --triage "$TMP/dup.triage" "$LOG"
expect_rc 2 "a triage file with an ID twice"
expect_err "listed twice" "the duplicate is named"
printf '0123456789abcdef maybe\n' >"$TMP/bad.triage"
run "$BIN" scan --no-db --triage "$TMP/bad.triage" "$LOG"
expect_rc 2 "a triage file with an unknown verdict"
expect_err "bad.triage:1: expected a verdict" "the line is named"
printf '# x\n12345 real-race\n' >"$TMP/bad2.triage"
run "$BIN" --db "$TMP/ci4.db" label --file "$TMP/bad2.triage"
expect_rc 2 "label --file: a bad ID"
expect_err "bad2.triage:2: expected a report ID" "label --file names the line"
run "$BIN" scan --no-db --triage "$TMP/nonexistent" "$LOG"
expect_rc 2 "scan --triage: a missing file"
run "$BIN" --db "$TMP/ci4.db" export
expect_rc 2 "export needs --labels or --kcsan-filter"

echo "== the signature ID: in every output, stable across builds"
DB=$TMP/sig.db
run "$BIN" --db "$DB" scan --format json "$KLOG"
scan_ids=$(jq_py '" ".join(sorted(set(r["signature"] for r in d["reports"])))')
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py '" ".join(sorted(r["signature"] for r in d["reports"]))')" "$scan_ids" "list JSON has scan's IDs"
run "$BIN" --db "$DB" list
expect_eq "$(awk 'NR > 1 { print $2 }' "$TMP/out" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" "$scan_ids" \
	"list's SIGNATURE column"
run "$BIN" --db "$DB" show 1
one=$(sed -n 's/^  signature: //p' "$TMP/out")
expect_eq "$(grep -c "$one" <<<"$scan_ids")" 1 "show says the signature"
run "$BIN" --db "$DB" show --format json 1
expect_eq "$(jq_py 'd["signature"] == d["occurrences"][0]["report"][0]["signature"]')" True "show JSON: signature"
run "$BIN" scan --no-db --format sarif "$KLOG"
expect_eq "$(jq_py '" ".join(sorted(r["partialFingerprints"]["kcsanSignature/v1"] for r in d["runs"][0]["results"]))')" \
	"$scan_ids" "SARIF partialFingerprints are the IDs"
for log in "$KLOG" "$KUNIT" "$LOG"; do
	name=$(basename "$log")
	changed=$(python3 tests/ci_rebuild.py "$log" "$TMP/rebuilt-$name")
	[ "$changed" -gt 20 ] && ok || bad "$name: the rebuilt log differs in only $changed lines"
	cmp -s "$log" "$TMP/rebuilt-$name" && bad "$name: the rebuilt log is the same" || ok
	run "$BIN" scan --no-db --format json "$log"
	a=$(jq_py '[r["signature"] for r in d["reports"]]')
	run "$BIN" scan --no-db --format json "$TMP/rebuilt-$name"
	b=$(jq_py '[r["signature"] for r in d["reports"]]')
	[ "$a" != "[]" ] && ok || bad "$name: no reports"
	expect_eq "$b" "$a" "$name: another build's log (offsets, sizes, addresses, pids, times, build) has the same IDs"
done

echo "== SARIF 2.1.0, checked by @microsoft/sarif-multitool"
mkdir -p "$TMP/sarif"
n=0
for f in "$SHARED"/corpus/cases/*.txt "$SHARED"/kernel/console-*.log fixtures/*.log; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$BIN" scan --no-db --fail-on none --format sarif "$f" >"$TMP/sarif/$n.sarif" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] && ok || bad "scan --format sarif $f: exit $rc"
done
[ $n -gt 30 ] && ok || bad "SARIF: only $n inputs"
kc=$SRC/build/kernel-cache
if [ -f "$kc/vmlinux" ]; then
	"$BIN" scan --no-db --fail-on none --vmlinux "$kc/vmlinux" --modules "$kc/modules" --format sarif "$KLOG" \
		>"$TMP/sarif/symbolized.sarif"
	run cat "$TMP/sarif/symbolized.sarif"
	expect_eq "$(jq_py 'sorted(set(l["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"] for l in r["locations"]))')" \
		"['drivers/virtio/virtio_ring.c', 'lib/find_bit.c', 'mm/filemap.c']" "SARIF: the top frame's file as the location"
fi
run "$BIN" scan --no-db --format sarif "$KLOG"
expect_eq "$(jq_py 'sorted((r["ruleId"], r["level"]) for r in d["runs"][0]["results"])')" \
	"[('device-origin', 'note'), ('real-race', 'error'), ('unknown-origin', 'warning')]" "SARIF levels by verdict"
expect_eq "$(jq_py '[x["id"] for x in d["runs"][0]["tool"]["driver"]["rules"]]')" \
	"['real-race', 'unknown-origin', 'device-origin']" "SARIF rules are the verdict kinds"
expect_eq "$(jq_py 'all("BUG: KCSAN" in r["message"]["text"] and "Evidence:" in r["message"]["text"] for r in d["runs"][0]["results"])')" \
	True "SARIF messages carry the report and the evidence"
if [ -x "$MULTITOOL" ]; then
	"$MULTITOOL" validate "$TMP"/sarif/*.sarif >"$TMP/validate" 2>&1
	rc=$?
	[ $rc = 0 ] && ok || bad "sarif-multitool validate: exit $rc: $(tail -5 "$TMP/validate")"
	# the one warning left: no informationUri (the project names no home page)
	if grep -E ': (error|warning) ' "$TMP/validate" | grep -v "warning SARIF2005: .*'informationUri'"; then
		bad "sarif-multitool found problems"
	else
		ok
	fi
	grep -q "Done. $(ls "$TMP"/sarif/*.sarif | wc -l) files scanned" "$TMP/validate" && ok ||
		bad "sarif-multitool did not scan every file: $(tail -3 "$TMP/validate")"
	printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a b"},"region":{"startLine":0}}}]}]}]}\n' >"$TMP/broken.sarif"
	"$MULTITOOL" validate "$TMP/broken.sarif" >"$TMP/validate" 2>&1
	grep -q ': error ' "$TMP/validate" && ok || bad "sarif-multitool passes a broken file: the check checks nothing"
else
	skipped "SARIF validation: no $MULTITOOL"
fi

echo "== JUnit XML, read by xmllint and junit2json"
run "$BIN" --db "$TMP/junit.db" scan --fail-on real-race --format junit "$KLOG" "$KUNIT" "$LOG"
expect_rc 1 "scan --format junit keeps the exit status"
cp "$TMP/out" "$TMP/kcsan.xml"
run "$BIN" --db "$TMP/junit2.db" scan --fail-on real-race --format json "$KLOG" "$KUNIT" "$LOG"
distinct=$(jq_py 'd["summary"]["distinct"]')
failing=$(jq_py 'd["summary"]["failing"]')
if command -v xmllint >/dev/null; then
	xmllint --noout "$TMP/kcsan.xml" 2>"$TMP/err" && ok || bad "xmllint: $(head -3 "$TMP/err")"
	expect_eq "$(xmllint --xpath 'count(//testcase)' "$TMP/kcsan.xml")" "$distinct" "one test case per distinct report"
	expect_eq "$(xmllint --xpath 'count(//testcase/failure)' "$TMP/kcsan.xml")" "$failing" \
		"a failure for each report --fail-on selects"
else
	skipped "xmllint (libxml2-utils) is not installed"
fi
if [ -x "$JUNIT2JSON" ] && command -v node >/dev/null; then
	"$JUNIT2JSON" "$TMP/kcsan.xml" >"$TMP/out" 2>"$TMP/err" && ok || bad "junit2json: $(head -3 "$TMP/err")"
	expect_eq "$(jq_py 'sum(len(s["testcase"]) for s in d["testsuite"])')" "$distinct" "junit2json reads every report"
	expect_eq "$(jq_py 'sum(1 for s in d["testsuite"] for c in s["testcase"] if "failure" in c)')" "$failing" \
		"junit2json: the failures"
	run "$BIN" scan --no-db --fail-on none --format junit "$SHARED"/corpus/cases/*.txt
	"$JUNIT2JSON" "$TMP/out" >/dev/null 2>"$TMP/err" && ok || bad "junit2json on the corpus: $(head -3 "$TMP/err")"
	xmllint --noout "$TMP/out" 2>"$TMP/err" && ok || bad "xmllint on the corpus: $(head -3 "$TMP/err")"
else
	skipped "JUnit consumer: no $JUNIT2JSON"
fi

echo "== export --kcsan-filter"
DB=$TMP/filter.db
run "$BIN" --db "$DB" scan --fail-on none "$KLOG" "$SHARED"/kernel/console-3.log "$KUNIT"
run "$BIN" --db "$DB" export --kcsan-filter
expect_rc 0 "export --kcsan-filter"
expect_out "^!virtqueue_get_buf_ctx_split$" "the device-origin report's top function"
expect_eq "$(grep -cv '^![A-Za-z_][A-Za-z0-9_.]*$' "$TMP/out")" 0 "only !func lines, as debugfs takes them"
expect_eq "$(LC_ALL=C sort -uc "$TMP/out" && echo sorted)" sorted "sorted, each once"
before=$(wc -l <"$TMP/out")
run "$BIN" --db "$DB" list --format json --verdict real-race
one=$(jq_py 'd["reports"][0]["id"]')
run "$BIN" --db "$DB" label --as device-origin --note "not to be reported" "$one"
run "$BIN" --db "$DB" export --kcsan-filter
expect_eq "$(wc -l <"$TMP/out")" $((before + 1)) "a report labelled device-origin joins the filter"

echo "== CSV: list, show, stats, export"
for args in "list" "show 1" "stats" "export --labels --all" "export --kcsan-filter"; do
	run "$BIN" --db "$DB" $args --format csv
	expect_rc 0 "$args --format csv"
	python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) >= 2, "no rows"
assert all(len(r) == len(rows[0]) for r in rows), "ragged rows"
' "$TMP/out" 2>"$TMP/err" && ok || bad "$args --format csv: $(tail -1 "$TMP/err")"
done
run "$BIN" --db "$DB" list --format csv
n_csv=$(($(python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$TMP/out") - 1))
expect_eq "$(head -n 1 "$TMP/out")" "id,signature,verdict,tool_verdict,label,count,first_seen,last_seen,field,title" \
	"list CSV header: the JSON keys"
run "$BIN" --db "$DB" list --format json
expect_eq "$n_csv" "$(jq_py 'len(d["reports"])')" "list CSV: a row per report"
run "$BIN" scan --no-db --format csv "$LOG"
expect_rc 2 "scan takes no CSV"

echo "== JSON: every document as docs/json.md documents it"
DB=$TMP/json.db
V=()
[ -f "$kc/vmlinux" ] && V=(--vmlinux "$kc/vmlinux" --modules "$kc/modules")
"$BIN" --db "$DB" scan "${V[@]}" --format json "$KLOG" "$SHARED"/kernel/console-3.log fixtures/*.log >"$TMP/scan-1.json"
"$BIN" scan --no-db --format json "$SHARED"/corpus/cases/*.txt >"$TMP/scan-2.json"
"$BIN" --db "$DB" label --as device-origin --note "by hand" 2 >/dev/null
"$BIN" --db "$DB" scan --format json "$LOG" >"$TMP/scan-3.json"
"$BIN" --db "$DB" list --format json >"$TMP/list.json"
for i in $(python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(open(sys.argv[1]))["reports"]))' "$TMP/list.json"); do
	"$BIN" --db "$DB" show --format json "$i" >"$TMP/show-$i.json"
done
"$BIN" --db "$DB" stats --format json >"$TMP/stats.json"
"$BIN" --db "$DB" export --labels --all --format json >"$TMP/export_labels.json"
"$BIN" --db "$DB" export --kcsan-filter --format json >"$TMP/export_filter.json"
for doc in scan list show stats export_labels export_filter; do
	python3 tests/json_schema.py docs/json.md "$doc" "$TMP/$doc"*.json >"$TMP/out" 2>&1 && ok ||
		bad "docs/json.md: $(grep -v '^[a-z_]*: [0-9]* keys' "$TMP/out" | head -5)"
done
for f in "$TMP"/*.json; do
	v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["schema_version"])' "$f")
	[ "$v" = 3 ] && ok || bad "$(basename "$f"): schema_version $v"
done

echo "== contrib/ci.sh: the README's shell job"
mkdir -p "$TMP/job"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 1 "ci.sh without a triage file: the KUnit races fail"
for f in kcsan.sarif kcsan.xml kcsan.txt; do
	[ -s "$TMP/job/kcsan-results/$f" ] && ok || bad "ci.sh writes kcsan-results/$f"
done
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN sh "$SRC/contrib/ci.sh" --update "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 1 "ci.sh --update still reports what fails"
expect_out "kcsan-baseline.triage: [0-9]+ reports known" "ci.sh --update writes the baseline"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 0 "ci.sh with the main branch's triage file: nothing new, green"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" "$SRC/$LOG" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 1 "ci.sh: a new real race fails"
expect_out "^--new: [1-9][0-9]* of [0-9]+ distinct reports? new" "ci.sh says what is new"
rm "$TMP/job/kcsan-baseline.triage"
"$BIN" --db "$TMP/tri.db" export --labels >"$TMP/job/kcsan.triage"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN FAIL_ON=any sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 1 "ci.sh with only people's labels: the unlabelled KUnit reports are new"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN FAIL_ON=real-race sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 0 "ci.sh with people's labels: the labelled races pass"
(cd "$TMP/job" && KCSAN_TRIAGE=$BIN FAIL_ON=bogus sh "$SRC/contrib/ci.sh" "$SRC/$KUNIT" >"$TMP/out" 2>"$TMP/err")
rc=$?
expect_rc 2 "ci.sh passes the program's usage errors on"

echo "== the README's CI jobs, as pasted (after their build steps)"
if python3 -c 'import yaml' 2>/dev/null; then
	for ci in github gitlab; do
		python3 tests/readme_ci.py README.md $ci >"$TMP/$ci.sh" 2>"$TMP/err" && ok || bad "README $ci job: $(tail -1 "$TMP/err")"
		w=$TMP/readme-$ci
		mkdir -p "$w"
		ln -s "$SRC/fixtures" "$SRC/contrib" "$BIN" "$w/"
		# the main branch, then a pull request
		(cd "$w" && PATH=$w:$PATH CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main \
			bash -e "$TMP/$ci.sh" >"$TMP/out" 2>"$TMP/err")
		rc=$?
		expect_rc 1 "README $ci job: the fixtures' real races fail the first job"
		[ -s "$w/kcsan-results/kcsan.sarif" ] && [ -s "$w/kcsan-results/kcsan.xml" ] && ok ||
			bad "README $ci job writes the SARIF and JUnit files"
		[ $ci = gitlab ] || "$BIN" --db "$w/b.db" --quiet scan --fail-on none fixtures/*.log
		[ $ci = gitlab ] || "$BIN" --db "$w/b.db" export --labels --all >"$w/kcsan-baseline.triage"
		(cd "$w" && PATH=$w:$PATH CI_COMMIT_BRANCH=topic CI_DEFAULT_BRANCH=main \
			bash -e "$TMP/$ci.sh" >"$TMP/out" 2>"$TMP/err")
		rc=$?
		expect_rc 0 "README $ci job: with the main branch's baseline, nothing new: green"
	done
else
	skipped "the README's CI jobs: no python3-yaml"
fi

echo "$((pass + fail)) checks, $fail failed, $skip skipped"
[ $fail = 0 ]
