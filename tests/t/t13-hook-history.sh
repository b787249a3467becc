#!/bin/bash
# History rules (`match line`, as secrets): every line of every new commit,
# because history keeps what a later commit removes.
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
  unless secret-matches "^tok_0+$"
RULE
new_server srv
git -C srv.git config pysec.rulesDir "$TMP/rules"
cd srv.work
git commit -q --allow-empty -m root
push_expect 0 "a first push" origin HEAD:main

printf 'token: tok_0123456789abcdef0123\n' > settings.yml
git add settings.yml && git commit -qm "add a token"
git rm -q settings.yml && git commit -qm "remove it again"
push_expect 1 "a secret added and removed within the push is still rejected" origin HEAD:main
contains "in any text file, named with the commit that added it" "$OUT" "settings.yml:1: T001 [high/high] A test token is in the push. (commit $(git rev-parse --short=10 HEAD~1))"
lacks "the secret is never shown whole" "$OUT" "tok_0123456789abcdef0123"
# nothing at the tip to scan, the commits still are: within the budget
git -C ../srv.git config pysec.timeBudget 0.000001
git -C ../srv.git config pysec.timeBudgetPerFile 0
push_expect 1 "a budget spent on the commits" origin HEAD:main
contains "rejects, naming where it stopped" "$OUT" "time budget spent before commit"
git -C ../srv.git config --unset pysec.timeBudget
git -C ../srv.git config --unset pysec.timeBudgetPerFile
git reset -q --hard HEAD~2

printf 'token = "tok_00000000000000000000"\n' > placeholder.py
git add placeholder.py && git commit -qm placeholder
push_expect 0 "a placeholder is not a secret" origin HEAD:main

printf 'key = "tok_fedcba9876543210fedc"  # nosec\n' > app.py
git add app.py && git commit -qm nosec
push_expect 1 "# nosec does not hide a secret" origin HEAD:main
contains "found in Python too" "$OUT" "app.py:1: T001"
git reset -q --hard HEAD~1

# a merge: only lines that differ from every parent are the merge's own
git checkout -q -b side
printf 'a: tok_aaaaaaaaaaaaaaaaaaaa\n' > side.yml && git add side.yml && git commit -qm side
git checkout -q main
printf 'x\n' > m.txt && git add m.txt && git commit -qm mainline
git merge -q --no-edit side
push_expect 1 "a merge brings in a branch's secret" origin main
n=$(printf '%s\n' "$OUT" | grep -c 'side.yml:1: T001')
test "$n" -eq 1 && ok "reported once, at the commit that added it, not again at the merge" || fail "reported once" "$OUT"
contains "that commit is the side commit" "$OUT" "(commit $(git rev-parse --short=10 side))"

# main merged into a topic branch, the topic into main: the first merge adds
# nothing of main's, and its history is judged from main's side (what main
# changed since the topic forked, a submodule here, is not read again as the
# merge's, nor noted)
git reset -q --hard HEAD~1
push_expect 0 "main as it was" origin main
git checkout -q -b topic
printf 'topic\n' > topic.txt && git add topic.txt && git commit -qm topic
push_expect 0 "a topic branch" origin topic
git checkout -q main
git update-index --add --cacheinfo "160000,$(git rev-parse HEAD),sub" && git commit -qm "a submodule on main"
printf 'b: tok_bbbbbbbbbbbbbbbbbbbb\n' > main.yml && git add main.yml && git commit -qm "a token on main"
git -C ../srv.git config pysec.disable T001
push_expect 0 "main moves on" origin main
git -C ../srv.git config --unset pysec.disable
git checkout -q topic
git merge -q --no-edit main
printf 'c: tok_cccccccccccccccccccc\n' >> topic.txt && git add topic.txt && git commit -q --amend --no-edit
git checkout -q main
git merge -q --no-ff --no-edit topic
push_expect 1 "the merge's own token is found" origin main
contains "in the merge's own line" "$OUT" "topic.txt:2: T001"
lacks "main's token is not the merge's" "$OUT" "main.yml"
lacks "main's submodule is not noted again" "$OUT" "sub: submodule"

# a push of many commits is shared by the cores (one repository handle
# each): every commit's token is found once, named with its commit
git checkout -q main
git reset -q --hard origin/main
mkdir many
for i in $(seq 1 80); do
	printf 'k: tok_%020x\n' "$i" > "many/$i.yml" && git add "many/$i.yml" && git commit -qm "many $i"
done
push_expect 1 "80 commits, a token each" origin main
n=$(printf '%s\n' "$OUT" | grep -c 'many/[0-9]*\.yml:1: T001')
test "$n" -eq 80 && ok "each token once" || fail "each token once ($n)" "$OUT"
missing=0
for i in $(seq 1 80); do
	c=$(git log -1 --format=%H -- "many/$i.yml" | cut -c1-10)
	printf '%s\n' "$OUT" | grep -q "many/$i\.yml:1: T001 .*(commit $c)" || missing=$((missing + 1))
done
test "$missing" -eq 0 && ok "each named with the commit that added it" || fail "$missing tokens not named with their commit" "$OUT"


# without any history rule (all disabled), a push's commits are not diffed
# one by one: its code findings are still named with the commit that wrote
# the line
git reset -q --hard origin/main
git -C ../srv.git config pysec.disable "T001 PS201 PS202 PS203 PS204 PS205 PS206 PS207 PS208"
printf 'eval(request)\n' > late.py && git add late.py && git commit -qm "eval"
printf 'k: tok_dddddddddddddddddddd\n' > late.yml && git add late.yml && git commit -qm "a token"
push_expect 1 "the code rules still judge the tip" origin main
contains "naming the commit that wrote the line" "$OUT" "late.py:1: B307 [medium/high]"
contains "that commit" "$OUT" "(commit $(git rev-parse --short=10 HEAD~1))"
lacks "the token is not judged" "$OUT" "late.yml"
git -C ../srv.git config --unset pysec.disable
git reset -q --hard origin/main

# a merge onto the ref's old tip reuses the ref's diff, and still adds only
# what differs from every parent: a token the server took on a side branch
# is not the merge's
git checkout -q -b side2
printf 'e: tok_eeeeeeeeeeeeeeeeeeee\n' > side2.yml && git add side2.yml && git commit -qm side2
git -C ../srv.git config pysec.disable T001
push_expect 0 "(the side branch, its token let in)" origin side2
git -C ../srv.git config --unset pysec.disable
git checkout -q main
git merge -q --no-ff --no-edit side2
push_expect 0 "the merge adds no line of its own" origin main
lacks "the side's token is not the merge's" "$OUT" "side2.yml"
git reset -q --hard origin/main

# a push that adds no line is accepted without compiling the rules: a
# broken rules directory rejects the next push that adds one
printf 'one\ntwo\n' > notes.txt && git add notes.txt && git commit -qm notes
push_expect 0 "(notes)" origin main
printf 'rule BROKEN\nmatch nothing-such\n' > "$TMP/rules/broken.rule"
git tag -a -m "a release" v2
push_expect 0 "a tag on a commit the server has" origin v2
lacks "says nothing of the rules" "$OUT" "error"
printf 'one\n' > notes.txt && git commit -qam "a line less"
push_expect 0 "a commit that only deletes a line" origin main
lacks "says nothing of the rules either" "$OUT" "error"
printf 'three\n' >> notes.txt && git commit -qam "a line more"
push_expect 1 "a commit that adds one is judged, and the broken rules reject it" origin main
contains "naming them" "$OUT" "error: rules: $TMP/rules/broken.rule:"
rm "$TMP/rules/broken.rule"
