# bash completion for kcsan-triage(1).
#
# The commands and options come from the program itself (its option
# tables): "kcsan-triage --list-cmds [COMMAND]" prints the commands, or a
# command's subcommands, one a line; "kcsan-triage --list-opts [COMMAND
# [SUBCOMMAND]]" prints its options, one a line, each as "--name" or
# "--name ARG", ARG a placeholder (PATH, FILE, DIR, N, ...) or the choices
# (text|json).

# _kcsan_triage_arg OPTIONS NAME: the ARG of option NAME in OPTIONS; fails for a flag or an unknown option
_kcsan_triage_arg()
{
	local line
	while IFS= read -r line; do
		if [[ $line == "$2 "* ]]; then
			printf '%s\n' "${line#* }"
			return 0
		fi
	done <<<"$1"
	return 1
}

_kcsan_triage()
{
	local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local cmd= sub= subs= opts arg w i

	opts=$("$prog" --list-opts 2>/dev/null)
	# the command and its subcommand so far, past the options and their values
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			[[ $w == *=* ]] && continue
			if _kcsan_triage_arg "$opts" "$w" >/dev/null; then
				# its value: "--db PATH", or "--db = PATH" where bash splits at "="
				[[ ${COMP_WORDS[i + 1]:-} == = ]] && ((i++))
				((i++))
			fi
			continue
		fi
		[[ $w == = ]] && continue
		if [[ -z $cmd ]]; then
			cmd=$w
			subs=$("$prog" --list-cmds "$cmd" 2>/dev/null)
			[[ -z $subs ]] && opts=$("$prog" --list-opts "$cmd" 2>/dev/null)
		elif [[ -z $sub && ( -n $subs || $cmd == help ) ]]; then
			# "rules check", or the command that "help" is asked about
			sub=$w
			[[ -n $subs ]] && opts=$("$prog" --list-opts "$cmd" "$sub" 2>/dev/null)
		fi
	done

	# the value of an option: "--format <TAB>", "--format=<TAB>"
	w=${COMP_WORDS[COMP_CWORD - 1]:-}
	if [[ $cur == = ]]; then
		w=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $w == = ]]; then
		w=${COMP_WORDS[COMP_CWORD - 2]:-}
	fi
	if [[ $w == -* ]] && arg=$(_kcsan_triage_arg "$opts" "$w"); then
		case $arg in
		*'|'*) mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur") ;;
		DIR) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		PATH | FILE) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		*) COMPREPLY=() ;;
		esac
		return 0
	fi

	if [[ $cur == --*=* ]] && arg=$(_kcsan_triage_arg "$opts" "${cur%%=*}") && [[ $arg == *'|'* ]]; then
		# "--format=j" in one word (COMP_WORDBREAKS without "=")
		mapfile -t COMPREPLY < <(compgen -P "${cur%%=*}=" -W "${arg//|/ }" -- "${cur#*=}")
	elif [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(cut -d' ' -f1 <<<"$opts")" -- "$cur")
	elif [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-cmds 2>/dev/null)" -- "$cur")
	elif [[ -n $subs && -z $sub ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
	elif [[ $cmd == help ]]; then
		# help COMMAND [SUBCOMMAND]
		if [[ -z $sub ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-cmds 2>/dev/null)" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-cmds "$sub" 2>/dev/null)" -- "$cur")
		fi
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
	return 0
}

complete -F _kcsan_triage kcsan-triage
