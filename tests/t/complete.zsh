# complete.zsh DIR LINE...: for each LINE, the words zsh's completion system
# (compinit, with DIR first in fpath) offers at its end, one "LINE: word"
# line each.  Completion only runs inside the line editor, so the lines are
# typed, with a TAB, into an interactive zsh in a pseudo-terminal (zpty);
# compadd is wrapped there to print what each call adds.  Each line is
# typed only once the prompt shows (zle reads it, the terminal does not echo
# it), and its end is a marker the shell computes, which its echo of the
# typed command cannot contain.
zmodload zsh/zpty || exit 1
dir=$1; shift
zpty -b comp zsh -f -i || exit 1
setup=(
	"PROMPT='READY> ' RPROMPT='' PS2=''"
	"unsetopt auto_list list_ambiguous auto_menu menu_complete beep"
	"fpath=(${(q)dir} \$fpath); autoload -Uz compinit && compinit -u -D"
	'compadd() {
		local -a added
		if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
		builtin compadd -O added "$@"
		print -rl -- "" ${(@)added/#/MATCH:} >&2
		builtin compadd "$@"
	}'
	'print -r SETUP-$(( 40 + 2 ))'
)
for l in $setup; do zpty -w comp "$l"; done
deadline=$(( SECONDS + 60 ))
zpty -r -m comp out '*SETUP-42*READY> ' || { print -u2 "complete.zsh: the shell did not start"; exit 1; }
n=1000
for line in "$@"; do
	(( n++ ))
	zpty -w -n comp "$line"$'\t'
	zpty -w -n comp $'\C-u'
	zpty -w comp "print -r MARK\$(( $n + 1 ))"
	got=""
	while (( SECONDS < deadline )); do
		zpty -r -t comp chunk || { sleep 0.05; continue; }
		got+=$chunk
		# the marker, then the next prompt: the shell waits for a line again
		[[ $got == *"MARK$(( n + 1 ))"*"READY> "* ]] && break
	done
	[[ -n $DEBUG ]] && print -r -- "RAW:${(q)got}" >&2
	for w in ${(f)got}; do
		w=${w%$'\r'}
		[[ $w == MATCH:* ]] && print -r -- "$line: ${w#MATCH:}"
	done
done
zpty -d comp
