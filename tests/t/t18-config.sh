#!/bin/bash
# The policy, as every command loads it (one loader): its sources in order,
# git's -c and GIT_CONFIG_COUNT as git passes them on, values read as git
# reads them.
. "$(dirname "$0")/lib.sh"

new_repo repo
cd repo
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\nassert ok\n' > app.py
git add app.py && git commit -qm app

expect_exit 1 "without settings the high finding fails" git pysec scan HEAD
# git -c reaches `git pysec` through GIT_CONFIG_PARAMETERS, which libgit2 does not read
expect_exit 0 "git -c pysec.failOn=high is honoured ..." git -c pysec.disable=B602 -c pysec.failOn=high pysec scan HEAD
contains "... and says so" "$OUT" "severity high"
expect_exit 0 "git -c pysec.disable takes each value" git -c pysec.disable=B602 -c pysec.disable=B404,B101 pysec scan HEAD --format json
jq_is "no finding is left" '.findings | length' 0
expect_exit 0 "the old quoting ('key=value' in one word) too" \
	env GIT_CONFIG_PARAMETERS="'pysec.disable=B602 B404 B101'" git pysec scan HEAD
expect_exit 0 "GIT_CONFIG_COUNT's pairs are read" env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=pysec.disable \
	GIT_CONFIG_VALUE_0="B602 B404 B101" git pysec scan HEAD
expect_exit 2 "a malformed GIT_CONFIG_PARAMETERS is an error" env GIT_CONFIG_PARAMETERS="'pysec.failOn'=high" git-pysec scan HEAD
contains "with git's words" "$ERR" "bogus format in GIT_CONFIG_PARAMETERS"
expect_exit 2 "a missing GIT_CONFIG_VALUE_<n> is an error" env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=pysec.failOn git-pysec scan HEAD
contains "naming it" "$ERR" "missing config value GIT_CONFIG_VALUE_0"

# precedence: repository < .pysec < --config < git -c < flags
git config pysec.failOn low
printf '[pysec]\n\tfailOn = medium\n' > .pysec
printf '[pysec]\n\tfailOn = low\n' > ../extra.conf
expect_exit 1 "--config is over .pysec" git pysec scan HEAD --config ../extra.conf --format json
expect_exit 0 "git -c is over .pysec and --config" git -c pysec.failOn=high -c pysec.disable=B602 pysec scan HEAD --config ../extra.conf
expect_exit 1 "a flag is over git -c" git -c pysec.failOn=high -c pysec.disable=B602 pysec scan HEAD --fail-on low
rm .pysec
git config --unset pysec.failOn

# values as git reads them (libgit2's parsers)
git config pysec.nosec off
printf 'eval(x)  # nosec\n' > n.py && git add n.py && git commit -qm nosec
expect_exit 1 "pysec.nosec = off ignores # nosec" git pysec scan HEAD
git config pysec.nosec 0
expect_exit 1 "so does 0" git pysec scan HEAD
git config pysec.nosec yes
expect_exit 0 "and yes honours it" git pysec scan HEAD
git config --unset pysec.nosec
cd ..

# the hook: the server's environment is the server's policy; a pusher's -c never reaches it
new_server srv
cd srv.work
printf 'x = 1\n' > a.py && git add a.py && git commit -qm a && git push -q origin HEAD:main 2> /dev/null
printf 'import os\nos.system(cmd)\n' > s.py && git add s.py && git commit -qm s
push_expect 1 "os.system is rejected" origin HEAD:main
git -c pysec.disable=B605 push origin HEAD:main > "$TMP/out" 2>&1 && fail "a pusher's git -c does not reach the hook" ||
	ok "a pusher's git -c does not reach the hook (git does not pass it on)"
push_expect 0 "the environment the server runs receive-pack in is its policy" \
	--receive-pack="env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=pysec.disable GIT_CONFIG_VALUE_0=B605 git-receive-pack" \
	origin HEAD:main

# pushed content: .pysec only where allowInTreeConfig (as git reads a boolean), and only stricter
git -C ../srv.git config pysec.allowInTreeConfig yes
printf '[pysec]\n\tfailOn = low\n' > .pysec
printf 'assert x\n' > low.py && git add .pysec low.py && git commit -qm low
push_expect 1 "allowInTreeConfig = yes lets a pushed .pysec lower the threshold" origin HEAD:main
contains "to the low finding" "$OUT" "low.py:1: B101"
git -C ../srv.git config pysec.allowInTreeConfig off
push_expect 0 "allowInTreeConfig = off does not" origin HEAD:main
cd ..

# the hook's numbers: git's units
new_server big
cd big.work
for i in $(seq 1 3); do printf 'x = %d\n' "$i" > f$i.py; git add f$i.py; git commit -qm "c$i"; done
git -C ../big.git config pysec.maxCommits 2
push_expect 1 "more commits than pysec.maxCommits fail closed" origin HEAD:main
git -C ../big.git config pysec.maxCommits 1k
push_expect 0 "pysec.maxCommits = 1k is 1024" origin HEAD:main
