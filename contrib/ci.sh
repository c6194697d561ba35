#!/bin/sh
# contrib/ci.sh - gate a CI job on the KCSAN reports in kernel logs.
#
#   contrib/ci.sh LOG|DIR...            triage; fail on new reports FAIL_ON selects
#   contrib/ci.sh --update LOG|DIR...   also rewrite the baseline (on the main branch)
#
# Two files say what is known, so that a job fails only on the reports it
# introduced and can go green:
#   $TRIAGE_FILE (kcsan.triage, kept in git): what people decided, by
#       signature ID (kcsan-triage export --labels > kcsan.triage);
#   $BASELINE (kcsan-baseline.triage, cached between jobs): every report the
#       main branch's logs hold, written by --update.
# Writes into $OUT: kcsan.txt (the summary), kcsan.sarif (code scanning),
# kcsan.xml (JUnit: GitLab, Jenkins).
#
# Environment: KCSAN_TRIAGE (the program; default kcsan-triage), TRIAGE_FILE,
# BASELINE, FAIL_ON (default real-race), OUT (default kcsan-results).
#
# Exit status: 0 nothing new to fail on, 1 new reports that need attention,
# 2 and above the program's errors (see kcsan-triage(1), EXIT STATUS).
set -u
KT=${KCSAN_TRIAGE:-kcsan-triage}
TRIAGE=${TRIAGE_FILE:-kcsan.triage}
BASELINE=${BASELINE:-kcsan-baseline.triage}
FAIL_ON=${FAIL_ON:-real-race}
OUT=${OUT:-kcsan-results}
update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
if [ $# -eq 0 ]; then
	echo "usage: $0 [--update] LOG|DIR..." >&2
	exit 2
fi
mkdir -p "$OUT" || exit 2

# kt ARGS...: the program, with the triage file's labels when there is one
kt() {
	if [ -f "$TRIAGE" ]; then
		"$KT" "$@" --triage "$TRIAGE"
	else
		"$KT" "$@"
	fi
}
# gate ARGS...: scan without a store; what the files list is known
gate() {
	if [ -f "$BASELINE" ]; then
		kt scan --no-db --new --baseline "$BASELINE" --fail-on "$FAIL_ON" "$@"
	elif [ -f "$TRIAGE" ]; then
		kt scan --no-db --new --fail-on "$FAIL_ON" "$@"
	else
		# nothing known yet: every report is new
		"$KT" scan --no-db --fail-on "$FAIL_ON" "$@"
	fi
}

gate --format sarif "$@" >"$OUT/kcsan.sarif"
rc=$?
[ $rc -le 1 ] || exit $rc
gate --format junit "$@" >"$OUT/kcsan.xml"
rc=$?
[ $rc -le 1 ] || exit $rc
gate "$@" >"$OUT/kcsan.txt"
rc=$?
cat "$OUT/kcsan.txt"

if [ $update = 1 ]; then
	# every report the logs hold, with the labels: the next jobs' baseline
	db="$OUT/kcsan-triage.db"
	rm -f "$db"
	kt --quiet --db "$db" scan --fail-on none "$@" >/dev/null || exit $?
	"$KT" --db "$db" export --labels --all >"$BASELINE.new" || exit $?
	mv "$BASELINE.new" "$BASELINE" || exit 2
	echo "$BASELINE: $(grep -c '^[0-9a-f]' "$BASELINE") reports known"
fi
exit $rc
