#!/bin/bash
# What `make install` puts beside the executables, used as a person would:
# manual pages (`git help pysec`, `git pysec <command> --help`), `-h` on
# every command, and completion for bash (git's completion calls
# _git_pysec) and zsh (zsh's _git calls _git-pysec).
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# the build under test: make passes its variables; by hand, the binary's directory
vars=${PYSEC_MAKE_VARS:-BUILD=$(realpath --relative-to="$SRC" "$(dirname "$(readlink -f "$PYSEC_BIN")")")}
export MANPAGER=cat PAGER=cat MANWIDTH=100
unset MANPATH

# shellcheck disable=SC2086
if make -s -C "$SRC" $vars install PREFIX="$TMP/usr" > "$TMP/install.log" 2>&1; then
	ok "make install PREFIX=DIR"
else
	fail "make install PREFIX=DIR" "$(cat "$TMP/install.log")"
fi
bin=$TMP/usr/bin
check "git-pysec, pysec-net and pysec-hook are installed" test -x "$bin/git-pysec" -a -x "$bin/pysec-net" -a -x "$bin/pysec-hook"
rm "$TMP/bin/git-pysec"	# the installed one is the one on PATH now
export PATH="$bin:$PATH"

commands=$(git pysec help | sed -n 's/^  \([a-z-]*\) .*/\1/p')
contains "git pysec help lists the commands" "$commands" "scan"
for cmd in $commands; do
	expect_exit 0 "git pysec $cmd -h exits 0" git pysec "$cmd" -h
	contains "with its usage on stdout" "$OUT" "usage: git pysec $cmd"
	check "git-pysec-$cmd(1) is installed" test -s "$TMP/usr/share/man/man1/git-pysec-$cmd.1"
	expect_exit 0 "git pysec $cmd --help opens git-pysec-$cmd(1)" git pysec "$cmd" --help
	contains "the page's NAME section" "$OUT" "git-pysec-$cmd - "
done
expect_exit 0 "git help pysec opens git-pysec(1)" git help pysec
contains "its NAME section" "$OUT" "git-pysec - a security gate"
contains "which lists the commands" "$OUT" "git-pysec-scan(1)"
expect_exit 0 "git pysec --help (git turns it into git help pysec)" git pysec --help
contains "opens the same page" "$OUT" "git-pysec - a security gate"
expect_exit 0 "man git-pysec after make install" man git-pysec
check "pysec-net has its page too" test -s "$TMP/usr/share/man/man1/pysec-net.1"
check "pysec-hook has its page too" test -s "$TMP/usr/share/man/man1/pysec-hook.1"
# in a build tree the pages are found next to the executable
expect_exit 0 "--help works from the build tree" "$PYSEC_BIN" scan --help
contains "with the built page" "$OUT" "git-pysec-scan - scan the lines a change adds"

# offers_every_option SHELL COMPLETE: for each command, COMPLETE "git pysec <command> --"
# offers every option that the command's -h names
offers_every_option() {
	local shell=$1 complete=$2 cmd want got missing o
	for cmd in $commands; do
		want=$(git pysec "$cmd" -h | grep -oE -- '--[a-z][a-z-]+' | sort -u)
		[ -n "$want" ] || continue
		got=$("$complete" "git pysec $cmd --")
		missing=""
		for o in $want; do case "$got" in *": $o"*) ;; *) missing="$missing $o" ;; esac; done
		if [ -z "$missing" ]; then ok "$shell offers every option of $cmd -h"; else fail "$shell offers every option of $cmd -h" "missing:$missing"; fi
	done
}

new_repo repo
cd repo

# --- bash ------------------------------------------------------------------
comp_file=$TMP/usr/share/bash-completion/completions/git-pysec
check "bash completion is installed" test -s "$comp_file"
if [ -f /usr/share/bash-completion/bash_completion ] && [ -f /usr/share/bash-completion/completions/git ]; then
	# complete LINE...: what bash offers at the end of each LINE, as "LINE: word"
	bash_complete() {
		XDG_DATA_DIRS="$TMP/usr/share:/usr/share" bash --norc --noprofile -c '
			source /usr/share/bash-completion/bash_completion
			for line in "$@"; do
				read -r -a COMP_WORDS <<< "$line"
				[ "${line: -1}" = " " ] && COMP_WORDS+=("")
				COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )) COMP_LINE=$line COMP_POINT=${#line} COMPREPLY=()
				__load_completion "${COMP_WORDS[0]}"
				fn=$(complete -p "${COMP_WORDS[0]}" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
				"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
				for w in "${COMPREPLY[@]}"; do printf "%s: %s\n" "$line" "${w% }"; done
			done' bash "$@"
	}
	got=$(bash_complete "git pysec sc" "git pysec scan --format " "git pysec explain B60" "git-pysec ex" \
		"git pysec install --pre" "git pysec scan --fail-on " "git pysec scan --output sa" "git pysec scan --format gitlab-s")
	contains "bash: git pysec sc<TAB> is scan" "$got" "git pysec sc: scan"
	contains "bash: --format values" "$got" "git pysec scan --format : json"
	contains "bash: rule ids after explain" "$got" "git pysec explain B60: B602"
	contains "bash: git-pysec as a command of its own" "$got" "git-pysec ex: explain"
	contains "bash: install's hooks" "$got" "git pysec install --pre: --pre-push"
	contains "bash: levels" "$got" "git pysec scan --fail-on : medium"
	contains "bash: --output's formats" "$got" "git pysec scan --output sa: sarif:"
	contains "bash: every format" "$got" "git pysec scan --format gitlab-s: gitlab-sast"
	offers_every_option bash bash_complete
else
	fail "bash-completion and git's completion are not installed (install.sh --deps-only installs them)"
fi

# --- zsh -------------------------------------------------------------------
zcomp=$TMP/usr/share/zsh/site-functions/_git-pysec
check "zsh completion is installed" test -s "$zcomp"
if command -v zsh > /dev/null 2>&1; then
	zsh_complete() { zsh -f "$SRC/tests/t/complete.zsh" "$(dirname "$zcomp")" "$@"; }
	got=$(zsh_complete "git pysec sc" "git pysec scan --format " "git pysec explain B60" "git-pysec ex" \
		"git pysec install --pre" "git pysec review --forge " "git pysec scan --output sa" "git pysec scan --format gitlab-s")
	contains "zsh: git pysec sc<TAB> is scan" "$got" "git pysec sc: scan"
	contains "zsh: --format values" "$got" "git pysec scan --format : json"
	contains "zsh: rule ids after explain" "$got" "git pysec explain B60: B602"
	contains "zsh: git-pysec as a command of its own" "$got" "git-pysec ex: explain"
	contains "zsh: install's hooks" "$got" "git pysec install --pre: --pre-commit"
	contains "zsh: forges" "$got" "git pysec review --forge : gitea"
	contains "zsh: --output's formats" "$got" "git pysec scan --output sa: sarif"
	contains "zsh: every format" "$got" "git pysec scan --format gitlab-s: gitlab-sast"
	offers_every_option zsh zsh_complete
else
	fail "zsh is not installed (install.sh --deps-only installs it)"
fi
