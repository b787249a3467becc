#!/bin/bash
# git pysec install: every layout, the execute bit, other people's hooks.
. "$(dirname "$0")/lib.sh"

git init -q --bare plain.git
expect_exit 0 "a plain bare repository" git pysec install plain.git
test -x plain.git/hooks/pre-receive && ok "hooks/pre-receive is executable" || fail "hooks/pre-receive is executable"
expect_exit 0 "installing twice is harmless" git pysec install plain.git

git init -q --bare gitea.git
expect_exit 0 "Gitea layout" git pysec install --gitea gitea.git
test -x gitea.git/hooks/pre-receive.d/pysec && ok "hooks/pre-receive.d/pysec" || fail "hooks/pre-receive.d/pysec"
git init -q --bare gitlab.git
expect_exit 0 "GitLab layout" git pysec install --gitlab gitlab.git
test -x gitlab.git/custom_hooks/pre-receive.d/pysec && ok "custom_hooks/pre-receive.d/pysec" || fail "custom_hooks/pre-receive.d/pysec"
expect_exit 0 "a global hooks directory" git pysec install --global hooksdir
test -x hooksdir/pre-receive.d/pysec && ok "hooksdir/pre-receive.d/pysec" || fail "hooksdir/pre-receive.d/pysec"

git init -q --bare other.git
printf '#!/bin/sh\necho theirs\n' > other.git/hooks/pre-receive
expect_exit 3 "another hook is not overwritten" git pysec install other.git
contains "and it says so" "$ERR" "exists and is not pysec's"
contains "theirs is intact" "$(cat other.git/hooks/pre-receive)" "echo theirs"
expect_exit 0 "--force replaces it" git pysec install --force other.git
contains "saying so" "$ERR" "replacing the existing"

# a hook without its execute bit is skipped by git: the push goes through
chmod -x plain.git/hooks/pre-receive
git clone -q plain.git w 2>/dev/null
(cd w && printf 'eval(x)\n' > a.py && git add a.py && git commit -qm a && git push -q origin HEAD:main 2>/dev/null)
test "$(git -C plain.git rev-parse -q --verify main)" != "" && ok "git accepts the push when the bit is missing (why install checks it)" || fail "git skipped the hook"
expect_exit 0 "install restores the bit" git pysec install plain.git
test -x plain.git/hooks/pre-receive && ok "executable again" || fail "executable again"

# a repository path with ':' in it (libgit2 does not unquote such alternates)
new_server "odd:name"
cd "odd:name.work"
printf 'exec(c)\n' > c.py && git add c.py && git commit -qm c
push_expect 1 "a repository whose path holds ':' still sees the pushed objects" origin HEAD:main
contains "and rejects" "$OUT" "c.py:1: B102"
