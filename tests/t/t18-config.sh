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
# a pushed .pysec may not read the server's files: include is not followed
printf '[pysec]\n\tserverOnly = hunter2-server-secret\n' > "$TMP/server.conf"
printf '[pysec]\n\tfailOn = low\n[include]\n\tpath = %s\n' "$TMP/server.conf" > .pysec
git add .pysec && git commit -qm include
push_expect 1 "a pushed .pysec with [include] is a policy error" origin HEAD:main
contains "saying include is not followed" "$OUT" "include and includeIf are not followed in a committed file"
lacks "nothing of the included file reaches the pusher" "$OUT" "hunter2"
printf '[pysec]\n\tfailOn = low\n  [ IncludeIf "gitdir:/"]\n\tpath = %s\n' "$TMP/server.conf" > .pysec
git add .pysec && git commit -qm includeif
push_expect 1 "nor [includeIf], in any case and spacing" origin HEAD:main
lacks "nothing of it reaches the pusher" "$OUT" "hunter2"
printf '[pysec]\n\tfailOn = low\n' > .pysec
git add .pysec && git commit -qm low2
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
cd ..

# every key and value is known: a mistake is an error naming where it is, never a silent no-op
cd repo
printf '[pysec]\n\tfailOn = high\n\n\tfialOn = low\n' > .pysec
expect_exit 2 "an unknown key is an error" git pysec scan HEAD
contains "naming the file, the line, the value and the key meant" "$ERR" \
	".pysec:4: unknown key 'pysec.fialon' (set to 'low'); did you mean 'pysec.failOn'?"
printf '[pysec]\n\tnosec = maybe\n' > .pysec
expect_exit 2 "a boolean that is none is an error" git pysec scan HEAD
contains "naming it" "$ERR" ".pysec:2: bad value 'maybe' for 'pysec.nosec' (true or false)"
printf '[pysec]\n\tdisable = B1O1\n' > .pysec
expect_exit 2 "a rule id that no rule has is an error" git pysec scan HEAD
contains "with the id meant" "$ERR" ".pysec:2: 'B1O1' in 'pysec.disable' is not a rule; did you mean 'B101'?"
printf '[pysec "shell-injection"]\n\tsubproces = x\n' > .pysec
expect_exit 2 "a rule option that no rule declares is an error" git pysec scan HEAD
contains "with the option meant" "$ERR" \
	".pysec:2: unknown key 'pysec.shell-injection.subproces' (set to 'x'); did you mean 'pysec.shell-injection.subprocess'?"
rm .pysec
git config pysec.failOn severe
expect_exit 2 "a level that is none is an error" git pysec scan HEAD
contains "naming the repository's config file, the line and the value" "$ERR" \
	".git/config:$(grep -n severe .git/config | cut -d: -f1): bad value 'severe' for 'pysec.failOn' (low, medium or high)"
git config --unset pysec.failOn
expect_exit 2 "so is a mistake in git -c" git -c pysec.minConfidance=high pysec scan HEAD
contains "named as git -c" "$ERR" "git -c: unknown key 'pysec.minConfidance' (set to 'high'); did you mean 'pysec.minConfidence'?"
expect_exit 2 "and in the environment" env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=pysec.onError GIT_CONFIG_VALUE_0=never git pysec scan HEAD
contains "named by its variable" "$ERR" "GIT_CONFIG_KEY_0: bad value 'never' for 'pysec.onError' (reject or accept)"
cd ..

# in the hook, a mistake in the policy is a failure under pysec.onError, in one line
cd srv.work
printf 'y = 2\n' > y.py && git add y.py && git commit -qm y
git -C ../srv.git config pysec.disbale B605
push_expect 1 "a mistake in the server's policy rejects (fail closed)" origin HEAD:main
contains "in one line naming it" "$OUT" \
	"pysec: error: policy: $(cd ../srv.git && pwd)/config:"
contains "and the key meant" "$OUT" "unknown key 'pysec.disbale' (set to 'B605'); did you mean 'pysec.disable'?; push rejected (pysec.onError = reject)"
git -C ../srv.git config pysec.onError accept
push_expect 0 "with pysec.onError = accept it lets the push in, with a warning" origin HEAD:main
contains "naming the mistake" "$OUT" "pysec: warning: policy:"
git -C ../srv.git config --unset pysec.onError
git -C ../srv.git config --unset pysec.disbale
git -C ../srv.git config pysec.allowInTreeConfig true
printf '[pysec]\n\tfailOn = low\n\tnosek = false\n' > .pysec
printf 'z = 3\n' > z.py && git add .pysec z.py && git commit -qm typo
push_expect 1 "a mistake in a pushed .pysec is a failure too" origin HEAD:main
contains "named as the pushed file" "$OUT" ".pysec (pushed):3: unknown key 'pysec.nosek' (set to 'false'); did you mean 'pysec.nosec'?"
git -C ../srv.git config --unset pysec.allowInTreeConfig
cd ..

# git pysec config: the policy, each value with where it was set
cd repo
git config pysec.disable B101
git config pysec.failOn medium
printf '[pysec]\n\tfailOn = high\n[pysec "shell-injection"]\n\tsubprocess = myproject.run\n' > .pysec
expect_exit 0 "git pysec config prints the policy" git -c pysec.minConfidence=high pysec config
lacks "a value replaced later is left out" "$OUT" "pysec.failOn=medium"
contains "the repository's config, with its file and line" "$OUT" \
	"$(printf '%s/.git/config:%s\tpysec.disable=B101' "$PWD" "$(grep -n B101 .git/config | cut -d: -f1)")"
contains ".pysec, with its line" "$OUT" "$(printf '%s/.pysec:2\tpysec.failOn=high' "$PWD")"
contains "a rule's option" "$OUT" "$(printf '%s/.pysec:4\tpysec.shell-injection.subprocess=myproject.run' "$PWD")"
contains "git -c" "$OUT" "$(printf 'git -c\tpysec.minConfidence=high')"
expect_exit 0 "--all shows what later values replace too" git pysec config --all
contains "defaults named as such, in the order read" "$OUT" \
	"$(printf 'default\tpysec.failOn=medium\ndefault\tpysec.minConfidence=medium\n%s/.git/config' "$PWD")"
expect_exit 2 "it checks the policy as a scan does" git -c pysec.enable=B6O2 pysec config
contains "naming the mistake" "$ERR" "git -c: 'B6O2' in 'pysec.enable' is not a rule; did you mean 'B602'?"
rm .pysec
git config --unset pysec.disable
git config --unset pysec.failOn
