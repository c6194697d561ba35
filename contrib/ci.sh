#!/bin/sh
# contrib/ci.sh - gate a CI job on the KCSAN reports in kernel logs.
#
#   contrib/ci.sh LOG|DIR...            triage; fail on new reports FAIL_ON selects
#   contrib/ci.sh --update LOG|DIR...   also rewrite the triage file (on the main branch)
#
# The triage file (kcsan.triage, kept in git) holds what people decided,
# keyed by signature ID, and every report the main branch already knew: a
# job fails only on reports that are neither, so it can go green.  Writes
# into $OUT: kcsan.txt (the summary), kcsan.sarif (code scanning), kcsan.xml
# (JUnit: GitLab, Jenkins).
#
# Environment: KCSAN_TRIAGE (the program; default kcsan-triage), TRIAGE_FILE
# (default kcsan.triage), FAIL_ON (default real-race), OUT (default
# kcsan-results).
#
# Exit status: 0 nothing new to fail on, 1 new reports that need attention,
# 2 and above the program's errors (see kcsan-triage(1), EXIT STATUS).
set -u
KT=${KCSAN_TRIAGE:-kcsan-triage}
TRIAGE=${TRIAGE_FILE:-kcsan.triage}
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

# the labels people recorded, and what the main branch knew, count as known
triage() {
	if [ -f "$TRIAGE" ]; then
		"$KT" "$@" --triage "$TRIAGE"
	else
		"$KT" "$@"
	fi
}
gate() {
	if [ -f "$TRIAGE" ]; then
		triage scan --no-db --new --fail-on "$FAIL_ON" "$@"
	else
		# no triage file yet: every report is new
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
	triage --quiet --db "$db" scan --fail-on none "$@" >/dev/null || exit $?
	"$KT" --db "$db" export --labels --all >"$TRIAGE.new" || exit $?
	mv "$TRIAGE.new" "$TRIAGE" || exit 2
	echo "$TRIAGE: $(grep -c '^[0-9a-f]' "$TRIAGE") reports known"
fi
exit $rc
