#!/usr/bin/env bash
# The real KCSAN kernel's console logs (../shared/kernel): every report found,
# with the numbers its README gives, and nothing else.
set -u
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
K=$SHARED/kernel
if [ ! -d "$K" ]; then
	echo "== kernel reports: skipped ($K not present)"
	exit 0
fi
echo "== kernel reports: $K/console-*.log"
fail=0
# log reports unknown-origin
while read -r log total unknown; do
	out=$(./kcsan-triage scan --no-db --format json "$K/$log") || [ $? = 1 ] || { echo "FAIL: $log: scan failed"; fail=1; continue; }
	got=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
r = d["reports"]
bad = [x for x in r if x["kernel"] != "6.1.192" or x["truncated"] or not x["title"]]
print(len(r), sum(x["unknown_origin"] for x in r), len(bad))' <<<"$out")
	if [ "$got" != "$total $unknown 0" ]; then
		echo "FAIL: $log: reports, unknown-origin, odd ones: $got (expected $total $unknown 0)"
		fail=1
	fi
done <<'TABLE'
console-0.log 99 99
console-1.log 502 444
console-3.log 3 2
console-4.log 4 2
TABLE
[ $fail = 0 ] && echo "kernel reports: all 608 found"
python3 tests/kernel_verdicts.py ./kcsan-triage "$K"/console-*.log || fail=1
exit $fail
