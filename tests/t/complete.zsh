# complete.zsh DIR LINE...: for each LINE, the words zsh's completion system
# (compinit, with DIR first in fpath) offers at its end, one "LINE: word"
# line each.  Completion only runs inside the line editor, so the lines are
# typed, with a TAB, into an interactive zsh in a pseudo-terminal (zpty);
# compadd is wrapped there to print what each call adds.
zmodload zsh/zpty || exit 1
dir=$1; shift
zpty -b comp zsh -f -i || exit 1
setup=(
	"PROMPT='' RPROMPT='' PS2=''"
	"unsetopt auto_list list_ambiguous auto_menu menu_complete beep"
	"fpath=(${(q)dir} \$fpath); autoload -Uz compinit && compinit -u -D"
	'compadd() {
		local -a added
		if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
		builtin compadd -O added "$@"
		print -rl -- "" ${(@)added/#/MATCH:} >&2
		builtin compadd "$@"
	}'
	'print -r SETUP-DONE'
)
for l in $setup; do zpty -w comp "$l"; done
deadline=$(( SECONDS + 60 ))
zpty -r -m comp out '*SETUP-DONE*' || { print -u2 "complete.zsh: the shell did not start"; exit 1; }
for line in "$@"; do
	zpty -w -n comp "$line"$'\t'
	zpty -w -n comp $'\C-u'
	zpty -w comp "print -r DONE-$#line"
	got=""
	while (( SECONDS < deadline )); do
		zpty -r -t comp chunk || { sleep 0.05; continue; }
		got+=$chunk
		[[ $got == *"DONE-$#line"$'\r'* || $got == *"DONE-$#line"$'\n'* ]] && break
	done
	[[ -n $DEBUG ]] && print -r -- "RAW:${(q)got}" >&2
	for w in ${(f)got}; do
		w=${w%$'\r'}
		[[ $w == MATCH:* ]] && print -r -- "$line: ${w#MATCH:}"
	done
done
zpty -d comp
