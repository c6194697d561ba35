#!/usr/bin/env bash
# The man page: lint it, check that it documents every command, option and
# exit status the program has, and run its EXAMPLES.
set -u
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
MAN=man/kcsan-triage.1
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

echo "== man: groff -man -ww -z"
lint=$(groff -man -ww -z "$MAN" 2>&1)
[ -z "$lint" ] || { echo "$lint"; bad "groff warnings"; }

# the page as plain text, hyphens as in the program's output
text=$(groff -man -Tutf8 -P-c -P-b -P-u "$MAN" 2>/dev/null | sed 's/‐/-/g; s/−/-/g')

echo "== man: every command and option of --help is documented"
cmds=$("$BIN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}')
for c in $cmds; do
	grep -q "^ *$c" <<<"$text" || bad "command '$c' is not in the man page"
	for opt in $("$BIN" help "$c" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" <<<"$text" || bad "option $opt of '$c' is not in the man page"
	done
done
for opt in $("$BIN" --help | sed -n '/^global options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$opt" <<<"$text" || bad "global option $opt is not in the man page"
done

echo "== man: every exit status is documented"
sec=$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$text")
"$BIN" --help | sed -n '/^exit status:/,$p' | awk 'NF>1 && $1 ~ /^[0-9]+$/ {print $1}' | while read -r code; do
	grep -Eq "^ +$code( |\$)" <<<"$sec" || { echo "FAIL: exit status $code is not in the man page"; exit 1; }
done || fail=$((fail + 1))

echo "== man: the EXAMPLES run"
# a working directory with what the examples name: a vmlinux (the real
# KCSAN kernel when the tests have it, else a small ELF built from the
# fixtures), its modules, a source tree, a console log, an oops
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt-man.XXXXXX")
work=$tmp/work
mkdir -p "$work/lib/modules" "$work/linux"
ln -s "$PWD/fixtures" "$work/fixtures"
cp fixtures/virtio-rng-console.log "$work/console.log"
sed -n '/BUG: KCSAN/,/====/p' fixtures/virtio-rng-console.log >"$work/oops.txt"
if [ -s build/kernel-cache/vmlinux ]; then
	ln -s "$PWD/build/kernel-cache/vmlinux" "$work/vmlinux"
else
	gcc -g -O2 -fno-pie -no-pie -o "$work/vmlinux" fixtures/elf/a.c fixtures/elf/b.c || bad "cannot build a vmlinux"
	# an oops of this vmlinux: main+0x1, its size the distance to the next symbol (as kallsyms prints)
	m=$(nm -n "$work/vmlinux" | awk '$3 == "main" { print $1; exit }')
	nx=$(nm -n "$work/vmlinux" | awk -v m="$m" 'f && $2 ~ /[tTwW]/ && $1 != m { print $1; exit } $3 == "main" { f = 1 }')
	printf ' main+0x1/0x%x\n' $((0x$nx - 0x$m)) >"$work/oops.txt"
fi
export KCSAN_TRIAGE_DB=$tmp/examples.db
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	cmd=${cmd//kcsan-triage/\"$BIN\"}
	out=$(cd "$work" && bash -c "dmesg() { cat fixtures/virtio-blk-console.log; }; $cmd" 2>&1)
	rc=$?
	# 1 means "reports need attention": the examples are about such logs
	if [ $rc -gt 1 ]; then
		bad "example '$cmd' exits $rc: $out"
	fi
done < <(sed -n '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/p' "$MAN" | sed -n '/^\.EX/,/^\.EE/p' | grep '^\$ ' |
	 sed 's/^\$ //; s/\\-/-/g')
[ $n -ge 5 ] || bad "only $n examples found"
rm -rf "$tmp"

echo "man: $fail failed"
[ $fail = 0 ]
