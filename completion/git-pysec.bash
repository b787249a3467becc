# bash completion for `git pysec` and `git-pysec`.
#
# git's completion calls _git_pysec for `git pysec`, loading this file by
# its name (git-pysec) from bash-completion's directories; the helpers it
# uses (__gitcomp, __git_find_on_cmdline, __git_complete_revlist) are git's.

__git_pysec_commands="scan rules explain config pre-receive install review serve version help"
__git_pysec_formats="text json sarif gitlab-codequality gitlab-sast junit rdjson github"

_git_pysec ()
{
	local subcommand
	subcommand="$(__git_find_on_cmdline "$__git_pysec_commands")"
	if [ -z "$subcommand" ]; then
		__gitcomp "$__git_pysec_commands --version"
		return
	fi

	case "$prev" in
	--format)
		if [ "$subcommand" = scan ]; then
			__gitcomp "$__git_pysec_formats"
		else
			__gitcomp "text json"
		fi
		return ;;
	--output)
		# FORMAT: first, then a file name
		case "$cur" in
		*:*) compopt -o filenames 2> /dev/null
		     COMPREPLY=($(compgen -f -P "${cur%%:*}:" -- "${cur#*:}")) ;;
		*) __gitcomp "$__git_pysec_formats" "" "$cur" ":" ;;
		esac
		return ;;
	--fail-on|--min-confidence)
		__gitcomp "low medium high"; return ;;
	--color)
		__gitcomp "auto always never"; return ;;
	--forge)
		__gitcomp "gitlab gitea github"; return ;;
	--config|--bandit-config|--baseline|--write-baseline|--token-file|--ca-bundle|--queue-db|--port-file|--socket)
		compopt -o filenames 2> /dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--pre-push)
		__gitcomp_nl "$(__git_remotes)"; return ;;
	--jobs|--url|--project|--mr|--pr|--max-comments|--status-name|--target-url|--listen)
		return ;;
	esac

	case "$subcommand,$cur" in
	scan,-*)
		__gitcomp "--staged --cached --full --no-ignore --pre-push --format --output --quiet --show-suppressed
			--fail-on --min-confidence --config --bandit-config --baseline --write-baseline --color --jobs" ;;
	scan,*)
		if [ -n "$(__git_find_on_cmdline "--full")" ]; then
			compopt -o filenames 2> /dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		else
			__git_complete_revlist
		fi ;;
	rules,*)
		__gitcomp "--format" ;;
	config,-*)
		__gitcomp "--all --config --bandit-config" ;;
	explain,-*)
		;;
	explain,*)
		__gitcomp "$(git pysec rules 2> /dev/null | awk 'NR > 1 { print $1 }')" ;;
	install,-*)
		__gitcomp "--force --gitea --gitlab --global --pre-commit --pre-push" ;;
	install,*)
		compopt -o dirnames 2> /dev/null
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	review,-*)
		__gitcomp "--forge --url --project --mr --pr --token-file --ca-bundle --max-comments
			--fail-on --min-confidence --status-name --target-url --config --dry-run --verbose --quiet" ;;
	serve,-*)
		__gitcomp "--config --socket --listen --queue-db --port-file --check" ;;
	pre-receive,-*)
		__gitcomp "--no-daemon" ;;
	esac
}

# `git-pysec` typed as a command of its own: git's completion wraps the function.
if ! declare -F __git_complete > /dev/null 2>&1 && declare -F __load_completion > /dev/null 2>&1; then
	__load_completion git
fi
if declare -F __git_complete > /dev/null 2>&1; then
	__git_complete git-pysec _git_pysec
fi
