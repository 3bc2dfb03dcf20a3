# bash completion for vmtrail-record, vmtrail-replay, vmtrail-analyze and
# xensim.  Installed once per program name in
# share/bash-completion/completions/, where bash-completion finds it when
# the program is first completed; `source` it to use it directly.
# tests/cli/cli.sh checks that every option of every --help is completed.

# The long options are read from the program's own --help (so a new option
# is completed without a change here); these are the options that take a
# separate argument.
_vmt_record_args='--xen-libdir|--max-stall|--tap-buffer|--domain|--output|--cr|--msr|--mem-access|--duration|--max-events|--max-size|--level|--label|--phase-names|--control|-d|-o|-l'
_vmt_replay_args='--output|--process-idle|--clickhouse|--format|--from|--to|--reason|--vcpu|-o|-f'
_vmt_analyze_args='--run|--clickhouse|--baseline|--candidate|--db|--alpha|--min-change|--per|--ignore-label|--html'
_vmt_xensim_args='--socket|--domain|--vcpus|--abi|--workload|--seed|--rate|--events|--stats|--fault|--query|-s|-d|-c|-a|-w|-S|-r|-n|-o|-f|-q'

# _vmt_help_opts PROGRAM [SUBCOMMAND]: the long options its --help prints.
_vmt_help_opts() {
	"$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u
}

# _vmt_value PROG PREV CUR: fill COMPREPLY with values for option PREV.
_vmt_value() {
	local words=
	case "$1:$2" in
	vmtrail-replay:--format | vmtrail-replay:-f) words='sqlite jsonl csv chrome perfetto' ;;
	vmtrail-record:--cr) words='cr0 cr3 cr4 xcr0' ;;
	vmtrail-analyze:--per) words='work second' ;;
	xensim:--abi | xensim:-a) words='1 2 3 4 5 6 7' ;;
	xensim:--query | xensim:-q) words='stats shutdown' ;;
	xensim:--fault | xensim:-f)
		words='ring-jump unknown-reason bad-version domain-die slow-evtchn' ;;
	*:--xen-libdir) COMPREPLY=($(compgen -d -- "$3")); return ;;
	*) COMPREPLY=($(compgen -f -- "$3")); return ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$3"))
}

_vmt_complete() {
	local cmd=${COMP_WORDS[0]} prog=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD-1]} sub=${COMP_WORDS[1]} opts args words=
	case $prog in
	vmtrail-record)
		args=$_vmt_record_args
		case $sub in
		mark | stats) opts=$(_vmt_help_opts "$cmd" "$sub") ;;
		*) opts=$(_vmt_help_opts "$cmd") ;;
		esac
		[ "$COMP_CWORD" = 1 ] && words='mark stats' ;;
	vmtrail-replay) opts=$(_vmt_help_opts "$cmd") args=$_vmt_replay_args ;;
	vmtrail-analyze)
		args=$_vmt_analyze_args
		case $sub in
		summary | diff) opts=$(_vmt_help_opts "$cmd" "$sub") ;;
		*) COMPREPLY=($(compgen -W 'summary diff --help --version' -- "$cur"))
			return ;;
		esac ;;
	xensim) opts=$(_vmt_help_opts "$cmd") args=$_vmt_xensim_args ;;
	*) return ;;
	esac
	# After --, the rest is COMMAND (vmtrail-record --tap).
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[ "${COMP_WORDS[i]}" = -- ] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
	done
	if [[ $prev == -* ]] && [[ "|$args|" == *"|$prev|"* ]]; then
		_vmt_value "$prog" "$prev" "$cur"
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$words" -- "$cur") $(compgen -f -- "$cur"))
	fi
}
complete -F _vmt_complete -o filenames vmtrail-record vmtrail-replay vmtrail-analyze xensim
