#!/usr/bin/env bash
# The bash completion (completion/kcsan-triage.bash): it completes the
# commands, subcommands, options and option values that the program's
# own lists (--list-cmds, --list-opts) name.  Runs the completion function
# with COMP_WORDS and COMP_CWORD set, as bash would; no terminal needed.
set -u
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
fail=0
pass=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() {   # check WHAT GOT WANT
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else bad "$1: got '$(tr '\n' ' ' <<<"$2")', expected '$(tr '\n' ' ' <<<"$3")'"; fi
}

# shellcheck source=../completion/kcsan-triage.bash
. completion/kcsan-triage.bash
complete -p kcsan-triage 2>/dev/null | grep -q _kcsan_triage || bad "the script registers no completion for kcsan-triage"

# complete WORD...: the candidates for the last word, sorted, one a line
complete_words() {
	COMP_WORDS=("$BIN" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_kcsan_triage
	[ ${#COMPREPLY[@]} = 0 ] || printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}
names() { cut -d' ' -f1 | LC_ALL=C sort; }

echo "== completion: commands"
cmds=$("$BIN" --list-cmds | LC_ALL=C sort)
[ -n "$cmds" ] || bad "--list-cmds prints nothing"
check "the commands" "$(complete_words "")" "$cmds"
check "a command's start" "$(complete_words sc)" "scan"
check "after a global option's value" "$(complete_words --db x.db s)" "$(grep '^s' <<<"$cmds")"
check "after a global flag" "$(complete_words --quiet li)" "list"
check "help COMMAND" "$(complete_words help "")" "$cmds"
check "help rules SUBCOMMAND" "$(complete_words help rules "")" "$("$BIN" --list-cmds rules | LC_ALL=C sort)"
check "the global options" "$(complete_words --)" "$("$BIN" --list-opts | names)"

echo "== completion: every option of every command's table"
for c in $cmds; do
	subs=$("$BIN" --list-cmds "$c")
	if [ -n "$subs" ]; then
		check "the subcommands of $c" "$(complete_words "$c" "")" "$(LC_ALL=C sort <<<"$subs")"
		for s in $subs; do
			check "the options of $c $s" "$(complete_words "$c" "$s" --)" "$("$BIN" --list-opts "$c" "$s" | names)"
		done
	else
		check "the options of $c" "$(complete_words "$c" --)" "$("$BIN" --list-opts "$c" | names)"
	fi
done
check "an option's start" "$(complete_words scan --vm)" "--vmlinux"
check "after an option with its value" "$(complete_words scan --format json --no-d)" "--no-db"
check "after a subcommand's option" "$(complete_words rules check --format json --vm)" "--vmlinux"

echo "== completion: option values"
check "the choices of --format" "$(complete_words scan --format "")" "$(printf 'json\njunit\nsarif\ntext')"
check "a choice's start" "$(complete_words list --format j)" "json"
check "--format=, as bash splits it" "$(complete_words scan --format = "")" "$(printf 'json\njunit\nsarif\ntext')"
check "--format=j, as bash splits it" "$(complete_words scan --format = ju)" "junit"
check "--format=j in one word" "$(complete_words scan --format=js)" "--format=json"
check "the choices of --verdict" "$(complete_words list --verdict "")" \
	"$("$BIN" --list-opts list | sed -n 's/^--verdict //p' | tr '|' '\n' | LC_ALL=C sort)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt-compl.XXXXXX")
mkdir -p "$tmp/srcdir"
: >"$tmp/srcfile"
check "--src takes a directory" "$(complete_words scan --src "$tmp/src")" "$tmp/srcdir"
check "--vmlinux takes a file" "$(complete_words scan --vmlinux "$tmp/src")" "$(printf '%s\n' "$tmp/srcdir" "$tmp/srcfile")"
check "--db takes a file, before the command" "$(complete_words --db "$tmp/srcf")" "$tmp/srcfile"
check "a log to scan" "$(complete_words scan --no-db "$tmp/srcf")" "$tmp/srcfile"
check "--limit N: nothing to offer" "$(complete_words list --limit "")" ""
rm -rf "$tmp"

echo "completion: $pass passed, $fail failed"
[ $fail = 0 ]
