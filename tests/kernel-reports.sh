#!/usr/bin/env bash
# The real KCSAN kernel's console logs (../shared/kernel): every report found,
# with the numbers its README gives, and nothing else.
set -u
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
K=$SHARED/kernel
# skip WHY: a missing part is skipped, except under CI (CI=true), where every suite must run
skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: kernel reports: $1 (CI=true: every suite must run)"
		return 1
	fi
	echo "== kernel reports: skipped ($1)"
}
if [ ! -d "$K" ]; then
	skip "$K not present"
	exit
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

# the same with the vmlinux (decompressed once into the cache kernel.sh shares)
. tests/unpack-kernel.sh
kernel_cache "$K" || fail=1
SYM="--vmlinux $CACHE/vmlinux --modules $K/modules"
python3 tests/kernel_verdicts.py ./kcsan-triage "$K"/console-*.log -- $SYM || fail=1

# and with the source tree the kernel was built from (Debian's linux-source-6.1)
SRC=$CACHE/linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
if [ ! -d "$SRC/drivers/virtio" ] && [ -f "$TARBALL" ]; then
	echo "== kernel: unpacking the parts of $TARBALL the tests read"
	tar -xJf "$TARBALL" -C "$CACHE" linux-source-6.1/drivers/virtio linux-source-6.1/drivers/block \
		linux-source-6.1/drivers/char linux-source-6.1/lib linux-source-6.1/include \
		linux-source-6.1/kernel linux-source-6.1/fs linux-source-6.1/arch/x86/entry || fail=1
fi
if [ -d "$SRC/drivers/virtio" ]; then
	python3 tests/kernel_verdicts.py ./kcsan-triage "$K"/console-*.log -- $SYM --src "$SRC" || fail=1
else
	skip "kernel verdicts with --src: no $TARBALL: apt-get install linux-source-6.1" || fail=1
fi

echo "== modules compressed with zstd (Fedora, Arch) give the same answers as .ko.xz"
if command -v zstd >/dev/null; then
	mkdir -p "$CACHE/zst"
	for m in "$K"/modules/*.ko.xz; do
		z="$CACHE/zst/$(basename "$m" .xz).zst"
		[ -s "$z" ] || zstd -q "$CACHE/modules/$(basename "$m" .xz)" -o "$z"
	done
	for b in libdw addr2line; do
		./kcsan-triage scan --no-db --format json --symbolizer $b $SYM "$K"/console-1.log >"$CACHE/xz.json"
		./kcsan-triage scan --no-db --format json --symbolizer $b --vmlinux "$CACHE/vmlinux" \
			--modules "$CACHE/zst" "$K"/console-1.log >"$CACHE/zst.json"
		if cmp -s "$CACHE/xz.json" "$CACHE/zst.json"; then
			echo "zstd modules ($b): the same"
		else
			echo "FAIL: .ko.zst modules give other answers than .ko.xz ($b)"; fail=1
		fi
	done
else
	skip "zstd modules: no zstd command" || fail=1
fi

echo "== symbolize reads the log's kernel release past the taint flags"
# fixtures/kunit-kcsan-test.log: "Tainted: G                 N 6.1.192 #1", this kernel's release
./kcsan-triage symbolize $SYM fixtures/kunit-kcsan-test.log >/dev/null 2>"$CACHE/sym.err"
if grep -q "the log is from kernel" "$CACHE/sym.err"; then
	echo "FAIL: symbolize misreads the release of a tainted kernel: $(grep -m1 'the log is from' "$CACHE/sym.err")"; fail=1
else
	echo "symbolize: the release of a tainted kernel is read right"
fi

echo "== rules check against the kernel's DWARF"
if ./kcsan-triage rules check $SYM >"$CACHE/check.out" 2>&1; then
	grep -q "struct vring_used (.*): ok" "$CACHE/check.out" || { echo "FAIL: rules check did not check struct vring_used"; fail=1; }
	tail -n 1 "$CACHE/check.out"
else
	echo "FAIL: rules check finds problems with the shipped rules:"; cat "$CACHE/check.out"; fail=1
fi
# a rule with a wrong offset is caught, and named
cat >"$CACHE/wrong.rules" <<'RULES'
struct vring_used
    writer     device
    align      4
    reference  a deliberately wrong copy, for the test
    function   ^more_used_split$
    function   ^virtqueue_get_buf_ctx_split$
    member idx
        offset 4
        size   2
RULES
if ./kcsan-triage rules check $SYM --rules "$CACHE/wrong.rules" >"$CACHE/check.out" 2>&1; then
	echo "FAIL: rules check accepts a wrong offset"; fail=1
elif ! grep -q "member idx: the rule says offset 4 size 2, the DWARF of vmlinux says offset 2 size 2" "$CACHE/check.out"; then
	echo "FAIL: rules check does not say what is wrong:"; cat "$CACHE/check.out"; fail=1
else
	echo "rules check: a wrong offset is caught"
fi
exit $fail
