# tests/lib.sh - what the shell suites share, sourced after their cd to the top:
#   . tests/lib.sh NAME
# BIN, SHARED, a fixed locale, time zone and epoch, no store from the
# environment; TMP (kt-NAME.*, removed at the end unless KEEP is set); the
# counters with ok and bad, and the checks every suite uses.
BIN=$PWD/kcsan-triage
SHARED=${SHARED:-../shared}
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1763712000   # 2025-11-21T08:00:00Z
unset KCSAN_TRIAGE_DB
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-$1.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_eq() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi; }
same() {   # same FILE1 FILE2 WHAT
	if cmp -s "$1" "$2"; then ok; else bad "$3 differ:"; diff "$1" "$2" | head -10; fi
}
sql() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], isolation_level=None).execute(sys.argv[2]).fetchall())' "$1" "$2"; }
