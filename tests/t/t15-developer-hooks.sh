#!/bin/bash
# A developer's own clone: `git pysec install --pre-commit` and `--pre-push`
# with real commits and pushes, and the pre-commit framework's manifest
# (.pre-commit-hooks.yaml) through Debian's `pre-commit try-repo`.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

bad='import subprocess
subprocess.call(cmd, shell=True)'

git init -q --bare srv.git
git clone -q srv.git dev 2> /dev/null
cd dev
git commit -q --allow-empty -m init && git push -q origin HEAD:main 2> /dev/null

# --- pre-commit ------------------------------------------------------------
expect_exit 0 "install --pre-commit in the current clone" git pysec install --pre-commit
contains "into .git/hooks" "$OUT" "installed $PWD/.git/hooks/pre-commit"
check "the hook is executable" test -x .git/hooks/pre-commit

printf '%s\n' "$bad" > jobs.py
git add jobs.py
expect_exit 1 "a commit that stages shell=True is refused" git commit -m jobs
contains "naming the finding (git sends the hook's output to stderr)" "$ERR" "jobs.py:2:1: B602"
check "and nothing was committed" test "$(git rev-list --count HEAD)" = 1
git reset -q

printf 'x = 1\n' > clean.py
git add clean.py
expect_exit 0 "a clean commit goes through" git commit -qm clean

# `git commit -a` and `git commit <path>` give the hook a temporary index (GIT_INDEX_FILE)
printf 'y = 2\n' > clean.py
printf '%s\n' "$bad" > later.py
git add later.py && git commit -q --no-verify -m "later, clean for now" && git rm -q --cached later.py 2> /dev/null
git reset -q --hard
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' >> clean.py
expect_exit 1 "commit -a: the change only in the working tree is judged" git commit -am all
contains "found in the temporary index" "$ERR" "clean.py:3:1: B602"
expect_exit 1 "commit <path>: the partial commit's index is judged" git commit -m only clean.py
contains "found there too" "$ERR" "clean.py:3:1: B602"
git checkout -q clean.py

# never over another hook, unless told
git reset -q --hard HEAD~1
printf '#!/bin/sh\necho mine\n' > .git/hooks/pre-commit
expect_exit 3 "a foreign pre-commit hook is not replaced" git pysec install --pre-commit
contains "saying so" "$ERR" "exists and is not pysec's"
check "it is left as it was" grep -q mine .git/hooks/pre-commit
expect_exit 0 "--force replaces it" git pysec install --pre-commit --force
contains "saying so" "$ERR" "replacing the existing"
expect_exit 0 "installing again over pysec's own hook needs no --force" git pysec install --pre-commit

# core.hooksPath (relative: to the top of the working tree), and a clone named on the command line
cd ..
git -C dev config core.hooksPath .githooks
expect_exit 0 "install --pre-commit <clone> honours core.hooksPath" git pysec install --pre-commit dev
check "the hook is where git looks" test -x dev/.githooks/pre-commit
expect_exit 2 "a directory that is no repository is refused" git pysec install --pre-commit "$TMP/nowhere"
git -C dev config --unset core.hooksPath
cd dev

# --- pre-push --------------------------------------------------------------
expect_exit 0 "install --pre-push" git pysec install --pre-push
git checkout -q -b topic
printf '%s\n' "$bad" > net.py
git add net.py && git commit -q --no-verify -m "net"
printf 'z = 3\n' > other.py
git add other.py && git commit -q --no-verify -m "other"
bad_commit=$(git rev-parse HEAD~1)
push_expect 1 "a push that sends shell=True is refused" origin topic
contains "naming the finding and its commit" "$OUT" "net.py:2:1: B602"
contains "with the commit" "$OUT" "(commit ${bad_commit:0:12})"
check "the remote has no topic" test -z "$(git -C ../srv.git for-each-ref refs/heads/topic)"

# what the remote already has is not judged again
git push -q --no-verify origin topic 2> /dev/null
printf 'w = 4\n' > more.py
git add more.py && git commit -q --no-verify -m more
push_expect 0 "a clean commit on top of what the remote has goes through" origin topic
lacks "the old finding is not reported again" "$OUT" "B602"

# a secret in a commit that a later commit removes is still sent
printf 'AWS_KEY = "AKIAIOSFODNN7EXAMPLQ"\n' > keys.py
git add keys.py && git commit -q --no-verify -m key
git rm -q keys.py && git commit -q --no-verify -m "remove key"
push_expect 1 "a secret in the history of the push is refused" origin topic
contains "with the secret rule" "$OUT" "PS20"
git reset -q --hard HEAD~2
push_expect 0 "deleting a remote branch sends nothing to scan" origin :topic
expect_exit 2 "pre-push input that is not git's is refused" sh -c 'echo "garbage" | git pysec scan --pre-push origin'
contains "naming the line" "$ERR" "pre-push input line 1 is not"

# --- the pre-commit framework ------------------------------------------------
if command -v pre-commit > /dev/null 2>&1; then
	cd "$TMP"
	# try-repo takes the manifest from a repository's committed tree: a copy
	# of this source tree's top-level file, so uncommitted work here counts
	check "the manifest is at the top of the source tree" test -f "$SRC/.pre-commit-hooks.yaml"
	git init -q hooks && cp "$SRC/.pre-commit-hooks.yaml" hooks/ && commit_all hooks manifest > /dev/null
	new_repo fw && cd fw
	printf '%s\n' "$bad" > app.py
	printf 'x = 1\n' > ok.py
	git add app.py ok.py
	expect_exit 1 "pre-commit try-repo finds a staged shell=True" pre-commit try-repo ../hooks pysec
	contains "through the pysec hook" "$OUT" "app.py:2:1: B602"
	expect_exit 1 "file names pre-commit passes do not narrow it (pass_filenames: false)" \
		pre-commit try-repo ../hooks pysec --files ok.py
	contains "the staged lines are judged" "$OUT" "app.py:2:1: B602"
	git commit -q --no-verify -m app
	printf 'y = 2\n' >> ok.py
	git add ok.py
	expect_exit 0 "a clean commit passes" pre-commit try-repo ../hooks pysec
	contains "reported as passed" "$OUT" "Passed"
	expect_exit 1 "pysec-full scans the files pre-commit names" pre-commit try-repo ../hooks pysec-full --all-files
	contains "whole files" "$OUT" "app.py:2:1: B602"
	expect_exit 0 "and only those (pass_filenames)" pre-commit try-repo ../hooks pysec-full --files ok.py
else
	fail "pre-commit is not installed (install.sh --deps-only installs it)"
fi
