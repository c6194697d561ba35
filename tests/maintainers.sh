#!/usr/bin/env bash
# Who to mail: `kcsan-triage maintainers` against the kernel's own
# scripts/get_maintainer.pl --no-git --no-rolestats -f FILE, run for real:
#   - on the fixture tree fixtures/maintainers (every pattern kind);
#   - on Debian's linux-source-6.1 tree, for the guilty file of every report
#     in ../shared/kernel/console-*.log (symbolized with the kernel's
#     vmlinux and modules) and in ../shared/corpus/cases/*.txt.
# The script orders equally specific entries by Perl's hash order, which
# changes from run to run: it runs with PERL_HASH_SEED=0, and when its
# answer differs, with seeds 1..15; an answer equal to one of those is
# counted as equal (a tie), and said so.  Under CI=true a missing tarball
# or perl fails the test instead of skipping it.
set -u
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
BIN=$PWD/kcsan-triage
TARBALL=${TARBALL:-/usr/src/linux-source-6.1.tar.xz}
. tests/unpack-kernel.sh
SRC=$CACHE/linux-source-6.1
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

missing() {   # what is missing: a failure under CI, else a skip
	if [ "${CI:-}" = true ]; then
		bad "$1 (CI=true: the test must run)"
	else
		echo "== maintainers: skipped the comparison with get_maintainer.pl ($1)"
	fi
	echo "maintainers: $fail failed"
	exit $((fail > 0))
}

command -v perl >/dev/null || missing "no perl"
[ -f "$TARBALL" ] || missing "no $TARBALL: apt-get install linux-source-6.1"

# the whole tree, once (the script looks at its directories, .mailmap and files)
kernel_tree "$TARBALL" || missing "cannot unpack $TARBALL"

# compare TREE FILE: 0 equal (as the script prints with seed 0), 2 equal to another seed, 1 different
compare() {
	local tree=$1 file=$2 ours theirs seed
	ours=$("$BIN" maintainers --src "$tree" "$file" 2>&1)
	for seed in $(seq 0 15); do
		theirs=$(cd "$tree" && PERL_HASH_SEED=$seed perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$file" 2>&1)
		if [ "$ours" = "$theirs" ]; then
			[ "$seed" = 0 ] && return 0
			ties="$ties $file"
			return 2
		fi
		[ "$seed" = 0 ] && first=$theirs
	done
	echo "FAIL: $file: kcsan-triage maintainers and get_maintainer.pl differ:"
	diff <(echo "$first") <(echo "$ours") | sed 's/^/    /'
	return 1
}

# compare_all TREE FILE...: counts
compare_all() {
	local tree=$1 f rc
	shift
	n=0 eq=0 ties=
	for f in "$@"; do
		n=$((n + 1))
		compare "$tree" "$f"
		rc=$?
		[ $rc = 1 ] && fail=$((fail + 1)) || eq=$((eq + 1))
	done
}

echo "== maintainers: the fixture tree against get_maintainer.pl"
fx=$(mktemp -d "${TMPDIR:-/tmp}/kt-maint.XXXXXX")
cp -r fixtures/maintainers/. "$fx"
# what the script needs to take a directory for a kernel tree
touch "$fx/COPYING" "$fx/CREDITS" "$fx/Kbuild" "$fx/Makefile" "$fx/README"
mkdir -p "$fx/Documentation" "$fx/arch" "$fx/fs" "$fx/init" "$fx/ipc" "$fx/kernel" "$fx/lib" "$fx/scripts"
cp "$SRC/scripts/get_maintainer.pl" "$fx/scripts/"
files=$(cd "$fx" && find drivers net include -type f | sort)
compare_all "$fx" $files
echo "fixture: $eq of $n files equal"
rm -rf "$fx"

echo "== maintainers: the guilty files of the kernel logs and the corpus, on $SRC"
K=$SHARED/kernel
guilty=
if [ -d "$K" ]; then
	kernel_cache "$K" || fail=$((fail + 1))
	guilty=$("$BIN" maintainers --guilty --vmlinux "$CACHE/vmlinux" --modules "$CACHE/modules" "$K"/console-*.log) ||
		bad "maintainers --guilty fails on the kernel logs"
	nk=$(grep -vc '^-' <<<"$guilty")
	echo "kernel logs: $(wc -l <<<"$guilty") reports, $nk with a guilty file"
	grep -q "^fs/inode.c	.*atime_needs_update / touch_atime" <<<"$guilty" ||
		bad "the atime_needs_update / touch_atime race is not fs/inode.c's"
fi
if [ -d "$SHARED/corpus/cases" ]; then
	cg=$("$BIN" maintainers --guilty "$SHARED"/corpus/cases/*.txt) || bad "maintainers --guilty fails on the corpus"
	echo "corpus: $(wc -l <<<"$cg") reports, $(grep -vc '^-' <<<"$cg") with a guilty file"
	guilty=$(printf '%s\n%s\n' "$guilty" "$cg")
fi
files=$(cut -f1 <<<"$guilty" | grep -v '^-$' | grep . | sort -u)
present= absent=
for f in $files; do
	if [ -f "$SRC/$f" ]; then present="$present $f"; else absent="$absent $f"; fi
done
[ -z "$absent" ] || echo "not in the 6.1 tree (the script refuses them):$absent"
compare_all "$SRC" $present
[ -z "$ties" ] || echo "equal to the script with another hash seed (equally specific entries):$ties"
echo "guilty files: $eq of $n equal to get_maintainer.pl"
[ "$n" -ge 10 ] || bad "only $n guilty files compared"

echo "== maintainers: the real MAINTAINERS is parsed fast"
t0=$(date +%s%N)
"$BIN" maintainers --src "$SRC" fs/inode.c >/dev/null || bad "maintainers fails on fs/inode.c"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "one file routed, MAINTAINERS parsed, in $ms ms"

echo "maintainers: $fail failed"
[ $fail = 0 ]
