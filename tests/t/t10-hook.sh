#!/bin/bash
# The pre-receive hook with real pushes into a real bare repository.
. "$(dirname "$0")/lib.sh"

new_server srv
cd srv.work
printf 'def main():\n    print("hello")\n' > app.py
git add app.py && git commit -qm clean
push_expect 0 "a clean push is accepted" origin HEAD:main
lacks "and nothing is said about it" "$OUT" "pysec:"

printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > bad.py
git add bad.py && git commit -qm bad
push_expect 1 "a push adding shell=True is rejected" origin HEAD:main
contains "the finding reaches the client as a remote: line" "$OUT" "remote: pysec: error: bad.py:2: B602 [high/high]"
contains "it names the commit" "$OUT" "(commit $(git rev-parse --short=10 HEAD))"
contains "with a summary" "$OUT" "push rejected: 1 finding"
contains "git says the hook declined" "$OUT" "pre-receive hook declined"
test "$(git -C ../srv.git rev-parse main)" != "$(git rev-parse HEAD)" && ok "the ref did not move" || fail "the ref did not move"

git reset -q --hard HEAD~1
printf 'assert ok\n' > low.py
git add low.py && git commit -qm low
push_expect 0 "a low-severity finding is a warning, not a rejection" origin HEAD:main
contains "the warning is shown" "$OUT" "pysec: warning: low.py:1: B101"

GL_PROTOCOL=ssh push_expect 0 "under GitLab" origin HEAD:main
printf 'eval(x)\n' > e.py && git add e.py && git commit -qm eval
GL_PROTOCOL=web push_expect 1 "GitLab lines carry GL-HOOK-ERR:" origin HEAD:main
contains "GL-HOOK-ERR prefix" "$OUT" "remote: GL-HOOK-ERR: pysec: error: e.py:1: B307"
git reset -q --hard HEAD~1

# force push: judged against where the new history leaves the old one
git checkout -q -b topic
printf 'x = 1\n' > t.py && git add t.py && git commit -qm t1
push_expect 0 "a new branch" origin topic
git reset -q --hard HEAD~1
printf 'exec(code)\n' > t.py && git add t.py && git commit -qm t2
push_expect 1 "a force push that adds exec is rejected" -f origin topic
contains "exec is reported" "$OUT" "t.py:1: B102"
lacks "code of main's history is not blamed on it" "$OUT" "low.py"
git reset -q --hard HEAD~1
printf 'y = 2\n' > t.py && git add t.py && git commit -qm t3
push_expect 0 "a clean force push" -f origin topic

# deleting a ref, and a ref to a commit that is already there
push_expect 0 "deleting a branch" origin :topic
git checkout -q main
push_expect 0 "a new ref to an existing commit" origin HEAD:refs/heads/copy

# tags
git tag light
push_expect 0 "a lightweight tag" origin light
git tag -a -m "annotated" annotated
push_expect 0 "an annotated tag" origin annotated
git checkout -q -b tagged
printf 'eval(q)\n' > tag.py && git add tag.py && git commit -qm tagcommit
git tag -a -m "bad" badtag
push_expect 1 "an annotated tag is peeled to its commit" origin badtag
contains "the commit's finding" "$OUT" "tag.py:1: B307"
blob=$(printf 'just a blob\n' | git hash-object -w --stdin)
git tag blobtag "$blob"
push_expect 0 "a tag on a blob is skipped" origin blobtag
contains "with a note" "$OUT" "points at a blob, not a commit"
git checkout -q main

# merges: what the merge brings in is new to main
git checkout -q -b side
printf 'import os\nos.system(cmd)\n' > side.py && git add side.py && git commit -qm side
git checkout -q main
printf 'z = 3\n' > m.py && git add m.py && git commit -qm mainline
git merge -q --no-edit side
push_expect 1 "a merge that brings in os.system is rejected" origin main
contains "the merged line" "$OUT" "side.py:2: B605"
contains "named with the side commit that added it, not the merge" "$OUT" "(commit $(git rev-parse --short=10 side))"
git reset -q --hard HEAD~1
git branch -D -q side

# each finding of a push of several commits names the commit that added its
# line, whichever file it is in (one walk of the commits for all of them)
printf 'eval(a1)\n' > at1.py && printf 'eval(b1)\n' > at2.py && git add at1.py at2.py && git commit -qm at-1
first=$(git rev-parse --short=10 HEAD)
printf 'eval(a2)\n' >> at1.py && git add at1.py && git commit -qm at-2
second=$(git rev-parse --short=10 HEAD)
printf 'x = 1\n' >> at1.py && printf 'y = 2\n' >> at2.py && git add at1.py at2.py && git commit -qm at-3
push_expect 1 "a push of three commits" origin main
contains "a line of the first commit" "$OUT" "at1.py:1: B307"
contains "is named with the first commit" "$(printf '%s\n' "$OUT" | grep 'at1.py:1: B307')" "(commit $first)"
contains "a line of the second, with the second" "$(printf '%s\n' "$OUT" | grep 'at1.py:2: B307')" "(commit $second)"
contains "another file's line, with the first" "$(printf '%s\n' "$OUT" | grep 'at2.py:1: B307')" "(commit $first)"
git reset -q --hard HEAD~3

# a line a branch's file has twice, merged: the branch's commit added it,
# though the merge's diff against main adds that text twice (once for each
# of its two parents, as it was counted)
git checkout -q -b twice
printf 'eval(t)\neval(t)\n' > twice.py && git add twice.py && git commit -qm twice
branch_commit=$(git rev-parse --short=10 HEAD)
git checkout -q main
printf 'm\n' > moves.txt && git add moves.txt && git commit -qm "main moves"
git merge -q --no-ff --no-edit twice
push_expect 1 "a merge brings a file with a line in it twice" origin main
n=$(printf '%s\n' "$OUT" | grep -c "twice.py:[12]: B307 .*(commit $branch_commit)")
test "$n" -eq 2 && ok "both are named with the branch's commit, not the merge" || fail "named with the branch's commit" "$OUT"
# the same when the merge is not new (another ref has it): the walk diffs it
git -C ../srv.git config pysec.disable B307
push_expect 0 "the merge on a branch of its own, eval allowed" origin HEAD:refs/heads/merged
git -C ../srv.git config --unset pysec.disable
push_expect 1 "then main moves to it" origin main
n=$(printf '%s\n' "$OUT" | grep -c "twice.py:[12]: B307 .*(commit $branch_commit)")
test "$n" -eq 2 && ok "still named with the branch's commit" || fail "named with the branch's commit" "$OUT"
git push -q origin :refs/heads/merged
git reset -q --hard HEAD~2
git branch -D -q twice

# policy from the server only
git -C ../srv.git config pysec.disable B605
printf 'import os\nos.system(cmd)\n' > s2.py && git add s2.py && git commit -qm s2
push_expect 0 "the repository's config disables a rule" origin main
git -C ../srv.git config --unset pysec.disable
printf '[pysec]\n\tdisable = B307\n\tfailOn = high\n' > .pysec
printf 'eval(w)\n' > w.py && git add .pysec w.py && git commit -qm "try to switch it off"
push_expect 1 "an in-tree .pysec cannot switch a rule off" origin main
contains "eval still blocks" "$OUT" "w.py:1: B307"
git -C ../srv.git config pysec.allowInTreeConfig true
push_expect 1 "even when in-tree config is allowed, it may only tighten" origin main
contains "what it tried is named and ignored" "$OUT" "pysec.disable' ignored"
git -C ../srv.git config --unset pysec.allowInTreeConfig
git reset -q --hard HEAD~1

# the failure policy
printf 'exec(a)\n' > budget.py && git add budget.py && git commit -qm budget
git -C ../srv.git config pysec.timeBudget 0.000001
git -C ../srv.git config pysec.timeBudgetPerFile 100
push_expect 1 "the budget grows with the files a push brings (pysec.timeBudgetPerFile)" origin main
contains "so the scan finishes" "$OUT" "budget.py:1: B102"
lacks "and the budget is not spent" "$OUT" "time budget"
git -C ../srv.git config pysec.timeBudgetPerFile 0
push_expect 1 "a spent time budget rejects (fail closed)" origin main
contains "in one clear line" "$OUT" "push rejected (pysec.onError = reject)"
git -C ../srv.git config pysec.onError accept
git -C ../srv.git config pysec.disable B102
push_expect 0 "with pysec.onError = accept it lets the push in" origin main
contains "and says so" "$OUT" "accepted without a complete scan"
git -C ../srv.git config --unset pysec.onError
git -C ../srv.git config --unset pysec.disable
git -C ../srv.git config --unset pysec.timeBudget
git -C ../srv.git config --unset pysec.timeBudgetPerFile

# bypass: only for the users the policy names, and logged
git -C ../srv.git config receive.advertisePushOptions true
git -C ../srv.git config pysec.bypassUsers "alice, bob"
printf 'exec(b)\n' > bypass.py && git add bypass.py && git commit -qm bypass
GL_USERNAME=mallory push_expect 1 "-o pysec.skip from someone else is refused" -o pysec.skip origin main
contains "they are told" "$OUT" "pysec.skip is not allowed for mallory"
GL_USERNAME=alice push_expect 1 "a named user without the option is scanned" origin main
contains "and told they may bypass" "$OUT" "you may bypass this check"
GL_USERNAME=alice push_expect 0 "a named user with -o pysec.skip gets through" -o pysec.skip origin main
contains "the bypass is announced" "$OUT" "bypass by alice"
log=$(cat ../srv.git/pysec-bypass.log 2>/dev/null)
contains "and logged with user, refs and findings" "$log" "user=alice"
contains "the log names the finding let through" "$log" "B102:bypass.py:1"

# the bad input a hook can get
expect_exit 1 "garbage on stdin is rejected, not accepted" sh -c 'echo "not a ref line" | GIT_DIR=../srv.git git pysec pre-receive'
contains "with one clear line" "$ERR" "pre-receive input line 1: not an object id; push rejected"

# a few lines of a large file: only the touched statements are parsed
# (diffscan/focus.c), and the names in them still resolve through the
# imports and assignments far above
{
	printf 'from subprocess import call as run_it\nimport os\n\n'
	printf 'def setup():\n    global runner\n    runner = run_it\n\n'
	printf 'class Big:\n'
	for i in $(seq 1 400); do
		printf '    def m%d(self, x):\n        """Method %d.\nclass NotCode:\n"""\n        return [x + %d for _ in range(3)]\n\n' "$i" "$i" "$i"
	done
	printf 'def tail(cmd):\n    return cmd\n'
} > big.py
git add big.py && git commit -qm big
push_expect 0 "a large clean file" origin main
sed -i 's/        return \[x + 250 for _ in range(3)\]/        return run_it(x, shell=True)/' big.py
git commit -qam "one method of the large file"
push_expect 1 "a change deep in a large file is judged through an import at its top" origin main
line=$(grep -n 'run_it(x, shell=True)' big.py | cut -d: -f1)
contains "as subprocess.call, at its line" "$OUT" "big.py:$line: B602 [high/high]"
git reset -q --hard HEAD~1
sed -i 's/    return cmd$/    return runner(cmd, shell=True)/' big.py
git commit -qam "the tail of the large file"
push_expect 1 "an alias assigned inside another function resolves too" origin main
contains "runner is subprocess.call" "$OUT" "big.py:$(grep -n 'runner(cmd' big.py | cut -d: -f1): B602"
git reset -q --hard HEAD~1
sed -i 's/        return \[x + 7 for _ in range(3)\]/        return [x * 7 for _ in range(3)]/' big.py
git commit -qam "a harmless method change"
push_expect 0 "a harmless change to the large file" origin main
