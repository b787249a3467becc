#!/bin/bash
# Which commits a push brings is `git rev-list <new> --not --all` on the
# server, whatever the shape of the push: the hook names every commit it
# judges new (each adds its own token, a history rule's finding), and the
# names are compared with what git lists (merges here add no line of their
# own, so they are not named).  The hook finds them with a walk
# by date that stops early (diffscan/push.c), first without reading the
# refs' commits when the pushed objects are only in the quarantine: this
# covers both ways, merges from far back, clocks that disagree, tags, and a
# commit the server has but no ref reaches.
. "$(dirname "$0")/lib.sh"

mkdir rules
cat > rules/token.rule <<'RULE'
rule T001
name        test_token
title       a test token
severity    high
confidence  high
cwe         798
message     A test token is in the push.
match line
  when line-matches "\b(tok_[0-9a-f]{20})\b"
RULE
new_server srv
git -C srv.git config pysec.rulesDir "$TMP/rules"
cd srv.work

n=0
# tok_commit [MESSAGE]: a commit that adds a file with a token of its own
tok_commit() {
	n=$((n + 1))
	printf 'token: tok_%020x\n' "$n" > "tok$n.txt"
	git add "tok$n.txt" && git commit -qm "${1:-token $n}"
}
# expect_new DESCRIPTION PUSH-ARGS... -- NEW...: push; the commits the hook
# names must be `git rev-list NEW... --not <the server's refs>`
expect_new() {
	local d=$1 args=() want got
	shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	want=$(git rev-list --no-merges "$@" --not $(git ls-remote ../srv.git | awk '$2 !~ /\^\{\}$/ { print $1 }') |
		cut -c1-10 | sort)
	git push "${args[@]}" > "$TMP/out" 2>&1
	OUT=$(cat "$TMP/out")
	got=$(printf '%s\n' "$OUT" | sed -n 's/.* T001 .*(commit \([0-9a-f]*\)) *$/\1/p' | sort -u)
	if [ "$want" = "$got" ]; then
		ok "$d ($(printf '%s' "$want" | grep -c . ) new commits)"
	else
		fail "$d" "git rev-list: $(echo $want)" "the hook: $(echo $got)" "${OUT:0:2000}"
	fi
}

# a history on the server: main with a side branch, a tag, and a release
# branch; its commits have tokens too, so that an old commit the hook took
# for new would be named
git -C ../srv.git config pysec.disable T001
for i in 1 2 3 4 5 6 7; do tok_commit; done
git tag -a -m old v-old
for i in 1 2 3 4 5 6; do tok_commit; done
fork=$(git rev-parse HEAD~8)
git push -q origin HEAD:main v-old 2> /dev/null
git push -q origin "HEAD~3:refs/heads/release" 2> /dev/null
git -C ../srv.git config --unset pysec.disable
git fetch -q origin

tok_commit && tok_commit && tok_commit
expect_new "a fast-forward of three commits" origin HEAD:main -- HEAD
git reset -q --hard origin/main

expect_new "a new branch at an old commit brings nothing" origin "$fork:refs/heads/old" -- "$fork"

git checkout -q -b topic "$fork"
tok_commit && tok_commit
expect_new "a new branch forked from far back" origin topic:refs/heads/topic -- topic

git checkout -q main
git merge -q --no-ff --no-edit topic 2> /dev/null
expect_new "a merge of a branch forked from far back" origin HEAD:main -- HEAD
git reset -q --hard HEAD~1

git checkout -q -b rewrite origin/release~1
tok_commit
expect_new "a force push onto an older commit" -f origin rewrite:refs/heads/release -- rewrite

git checkout -q main
GIT_COMMITTER_DATE='2001-01-01T00:00:00Z' GIT_AUTHOR_DATE='2001-01-01T00:00:00Z' tok_commit
GIT_COMMITTER_DATE='2001-01-02T00:00:00Z' GIT_AUTHOR_DATE='2001-01-02T00:00:00Z' tok_commit
expect_new "commits dated years before their parents" origin HEAD:main -- HEAD
git reset -q --hard HEAD~2

git checkout -q -b tagged "$fork"
tok_commit
git tag -a -m tagged t-new
expect_new "an annotated tag on a commit only it reaches" origin t-new -- t-new
git tag -d t-new > /dev/null

git checkout -q main
git branch -q merged HEAD~2
expect_new "a branch main already reaches" origin merged:refs/heads/merged -- merged

git checkout -q -b two "$fork"
tok_commit
git checkout -q -b three main
tok_commit
expect_new "two refs in one push" origin two:refs/heads/two three:refs/heads/three -- two three

# a commit the server has, that no ref reaches any more
git checkout -q -b gone main
tok_commit
git -C ../srv.git config pysec.disable T001
git push -q origin gone:refs/heads/gone 2> /dev/null && git push -q origin :refs/heads/gone 2> /dev/null
git -C ../srv.git config --unset pysec.disable
test -n "$(git -C ../srv.git cat-file -t "$(git rev-parse gone)" 2> /dev/null)" &&
	ok "the server keeps the commit of the deleted branch" ||
	fail "the server keeps the commit of the deleted branch"
expect_new "a ref to a commit the server has but no ref reaches" origin gone:refs/heads/back -- gone
