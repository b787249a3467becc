#!/bin/bash
# Paths in the policy are .gitignore patterns, matched by libgit2 from the
# top of the repository (of a --full scan: from where it runs); scan --full
# leaves out what git ignores; rules can be switched off for some paths.
. "$(dirname "$0")/lib.sh"

new_repo repo
cd repo
mkdir -p tests src/tests src/app venv/lib docs
printf 'assert ok\nimport pickle\n' > tests/test_a.py
cp tests/test_a.py src/tests/test_b.py
cp tests/test_a.py src/app/main.py
cp tests/test_a.py src/app/main_test.py
cp tests/test_a.py venv/lib/site.py
cp tests/test_a.py app.gen.py
git add -A && git commit -qm code
printf 'venv/\n*.gen.py\n' > .gitignore
git config pysec.failOn low	# the low findings (assert, import pickle) count

# paths lists the paths with findings, one a line, sorted
paths() { printf '%s' "$OUT" | jq -r '[.findings[].path] | unique | .[]' | tr '\n' ' '; }
rules_of() { printf '%s' "$OUT" | jq -r --arg p "$1" '[.findings[] | select(.path == $p) | .rule] | join(" ")'; }

expect_exit 1 "without an exclude every file counts" git pysec scan HEAD --format json
check "all six committed files" test "$(paths)" = "app.gen.py src/app/main.py src/app/main_test.py src/tests/test_b.py tests/test_a.py venv/lib/site.py "
expect_exit 1 "exclude = tests" git -c pysec.exclude=tests pysec scan HEAD --format json
check "leaves out every directory named tests" test "$(paths)" = "app.gen.py src/app/main.py src/app/main_test.py venv/lib/site.py "
expect_exit 1 "exclude = tests/" git -c pysec.exclude=tests/ pysec scan HEAD --format json
check "the same" test "$(paths)" = "app.gen.py src/app/main.py src/app/main_test.py venv/lib/site.py "
expect_exit 1 "exclude = /tests/" git -c pysec.exclude=/tests/ pysec scan HEAD --format json
check "only the top one" test "$(paths)" = "app.gen.py src/app/main.py src/app/main_test.py src/tests/test_b.py venv/lib/site.py "
expect_exit 1 "exclude = src/** with !src/app/main.py" git -c pysec.exclude='src/**' -c pysec.exclude='!src/app/main.py' pysec scan HEAD --format json
check "a negation brings one back, as in .gitignore" test "$(paths)" = "app.gen.py src/app/main.py tests/test_a.py venv/lib/site.py "

expect_exit 1 "scan --full ./tests with exclude = tests" git -c pysec.exclude=tests pysec scan --full --format json ./tests ./src
check "still leaves tests out, wherever the scan starts" test "$(paths)" = "src/app/main.py src/app/main_test.py "

# --full honours what git ignores
expect_exit 1 "scan --full in a repository" git pysec scan --full --format json
lacks "leaves out what .gitignore ignores (venv/)" "$(paths)" "venv/"
lacks "and *.gen.py" "$(paths)" "app.gen.py"
contains "and scans the rest" "$(paths)" "src/app/main.py"
expect_exit 1 "scan --full --no-ignore" git pysec scan --full --no-ignore --format json
contains "walks venv/ too" "$(paths)" "venv/lib/site.py"
contains "and *.gen.py" "$(paths)" "app.gen.py"
expect_exit 1 "a file named is scanned whatever" git pysec scan --full --format json app.gen.py
contains "even when git ignores it" "$(paths)" "app.gen.py"
expect_exit 2 "--no-ignore goes with --full only" git pysec scan --no-ignore

# rules switched off for some paths
printf '[pysec "path:tests/"]\n\tdisable = B101\n[pysec "path:*_test.py"]\n\tdisable = B101, B403\n' > .pysec
expect_exit 1 "[pysec \"path:tests/\"] disable = B101" git pysec scan HEAD --format json
check "assert is fine under tests/" test "$(rules_of tests/test_a.py)" = "B403"
check "under any tests/" test "$(rules_of src/tests/test_b.py)" = "B403"
check "a *_test.py has neither" test "$(rules_of src/app/main_test.py)" = ""
check "elsewhere both count" test "$(rules_of src/app/main.py)" = "B101 B403"
printf '[pysec "path:tests/"]\n\tdisable = B1O1\n' > .pysec
expect_exit 2 "a rule id no rule has, in a path section" git pysec scan HEAD
contains "is an error naming it" "$ERR" ".pysec:2: 'B1O1' in 'pysec.path:tests/.disable' is not a rule; did you mean 'B101'?"
printf '[pysec "path:tests/"]\n\tdisabel = B101\n' > .pysec
expect_exit 2 "a key a path section does not take" git pysec scan HEAD
contains "is an error naming it" "$ERR" "unknown key 'pysec.path:tests/.disabel' (set to 'B101')"
rm .pysec
cd ..

# in the hook, pushed content cannot exclude a path or switch a rule off for one
new_server srv
cd srv.work
printf 'x = 1\n' > a.py && git add a.py && git commit -qm a && git push -q origin HEAD:main 2> /dev/null
git -C ../srv.git config pysec.allowInTreeConfig true
mkdir tests
printf 'eval(x)\n' > tests/t.py
printf '[pysec]\n\texclude = tests\n[pysec "path:tests/"]\n\tdisable = B307\n' > .pysec
git add -A && git commit -qm "try to hide it"
push_expect 1 "a pushed .pysec cannot exclude a path or switch a rule off for one" origin HEAD:main
contains "eval still blocks" "$OUT" "tests/t.py:1: B307"
contains "what it tried is named" "$OUT" "'pysec.exclude' ignored"
