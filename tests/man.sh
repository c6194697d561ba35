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

# a section of the page: section TITLE (.SH) or subsection NAME (.SS, under COMMANDS)
section() {
	awk -v t="$1" '$0 == t { on = 1; next } on && /^[A-Z]/ { exit } on' <<<"$text"
}
subsection() {
	awk -v n="   $1" '$0 == n { on = 1; next } on && (/^   [a-z]/ || /^[A-Z]/) { exit } on' <<<"$text"
}
# has TEXT OPTION: TEXT names OPTION (not as part of a longer name)
has() { grep -Eq -- "(^|[^a-z-])$2([^a-z-]|\$)" <<<"$1"; }

echo "== man: every global option is documented (from --list-opts)"
globals=$("$BIN" --list-opts | cut -d' ' -f1)
[ -n "$globals" ] || bad "--list-opts prints nothing"
gsec=$(section "GLOBAL OPTIONS")
for opt in $globals; do
	has "$gsec" "$opt" || bad "global option $opt is not under GLOBAL OPTIONS"
done
for short in $("$BIN" --help | grep -Eo -- '^ +-[a-zA-Z],' | tr -d ' ,'); do
	has "$gsec" "$short" || bad "short option $short is not under GLOBAL OPTIONS"
done

echo "== man: every command, and every option of its table, is documented (from --list-cmds, --list-opts)"
cmds=$("$BIN" --list-cmds)
[ "$(wc -w <<<"$cmds")" -ge 5 ] || bad "--list-cmds prints too few commands: $cmds"
[ "$cmds" = "$("$BIN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}')" ] ||
	bad "--list-cmds and --help list different commands"
synopsis=$(section SYNOPSIS)
checked=0
for c in $cmds; do
	sec=$(subsection "$c")
	[ -n "$sec" ] || { bad "command '$c' has no subsection under COMMANDS"; continue; }
	subs=$("$BIN" --list-cmds "$c")
	paths=$c
	if [ -n "$subs" ]; then
		paths=
		for s in $subs; do
			grep -Eq "^ +$s( |\$)" <<<"$sec" || bad "subcommand '$c $s' is not described"
			paths="$paths $c:$s"
		done
	fi
	for path in $paths; do
		words=${path/:/ }
		grep -Eq "kcsan-triage +${words// / +}( |\$)" <<<"$synopsis" || bad "'$words' is not in the SYNOPSIS"
		opts=$("$BIN" --list-opts $words | cut -d' ' -f1)
		[ "$(sort <<<"$opts" | uniq -d)" = "" ] || bad "'$words' has an option twice: $(sort <<<"$opts" | uniq -d)"
		for opt in $opts; do
			checked=$((checked + 1))
			grep -qx -- "$opt" <<<"$globals" && continue   # documented once, above
			has "$sec" "$opt" || bad "option $opt of '$words' is not in its section of the man page"
		done
		# help CMD lists exactly the table's options, each with a meaning
		hopts=$("$BIN" help $words | sed -En 's/^    (-[a-zA-Z], )?(--[a-z][a-z-]*).*/\2/p')
		[ "$(sort <<<"$hopts")" = "$(sort <<<"$opts")" ] ||
			bad "'help $words' and --list-opts disagree: $(diff <(sort <<<"$hopts") <(sort <<<"$opts") | grep '^[<>]' | tr '\n' ' ')"
		nohelp=$("$BIN" help $words | awk '
			want && !/^                          [^ ]/ { print prev } { want = 0 }
			/^    -/ && !/^    -[^ ]*( [^ ]+)?  +[^ ]/ { want = 1; prev = $0 }
			END { if (want) print prev }')
		[ -z "$nohelp" ] || bad "'help $words' has options without a meaning: $nohelp"
		"$BIN" $words --help | cmp -s - <("$BIN" help $words) || bad "'$words --help' differs from 'help $words'"
	done
done
[ $checked -ge 30 ] || bad "only $checked options checked"

echo "== man: the completion script is under FILES"
has "$(section FILES)" "PREFIX/share/bash-completion/completions/kcsan-triage" ||
	bad "FILES does not name the completion script"

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
