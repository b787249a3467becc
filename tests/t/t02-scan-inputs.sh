#!/bin/bash
# Each input of `git pysec scan`: working tree, index, A...B, renames, and
# the files a scan must leave alone (and say so).
. "$(dirname "$0")/lib.sh"

new_repo r
cd r
printf 'import os\n' > base.py
git add base.py && git commit -qm base

# working tree: modified tracked file and a new untracked one
printf 'os.system(cmd)\n' >> base.py
mkdir -p pkg && printf 'exec(code)\n' > pkg/new.py
expect_exit 1 "uncommitted changes are scanned" git pysec scan --format json
jq_is "tracked edit and untracked file" '[.findings[] | "\(.path):\(.rule)"] | sort | join(",")' "base.py:B605,pkg/new.py:B102"

# index only
git add base.py
expect_exit 1 "--staged sees the index" git pysec scan --staged --format json
jq_is "only what is staged" '[.findings[] | "\(.path):\(.rule)"] | join(",")' "base.py:B605"
git commit -qm "system" && rm -rf pkg

# A...B: what a merge request shows, against the merge base
git checkout -q -b feature
printf 'eval(a)\n' > feature.py && git add feature.py && git commit -qm feature
git checkout -q main
printf 'exec(b)\n' > mainline.py && git add mainline.py && git commit -qm "main moves on"
expect_exit 1 "A...B scans against the merge base" git pysec scan main...feature --format json
jq_is "only the branch's own change" '[.findings[] | "\(.path):\(.rule)"] | join(",")' "feature.py:B307"
expect_exit 1 "A..B diffs the two tips" git pysec scan main..feature --format json
jq_is "A..B does not see main's own file as added" '[.findings[].path] | unique | join(",")' "feature.py"

# a rename is not a wall of new lines
git checkout -q feature
git mv feature.py moved.py && git commit -qm rename
expect_exit 0 "a pure rename adds nothing" git pysec scan HEAD --format json

# files a scan leaves alone, with a note
ln -s /etc/passwd evil.py
printf 'eval(x)\0\1\2' > blob.py
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 12\n' 0 > model.py
printf '#!/usr/bin/env python3\nexec(y)\n' > tool
printf 'exec(z)\n' > notes.txt
git add -A && git commit -qm odd
expect_exit 1 "odd files do not stop the scan" git pysec scan HEAD --format json
jq_is "a shebang script without extension is Python" '[.findings[] | "\(.path):\(.rule)"] | join(",")' "tool:B102"
jq_is "the symlink is skipped, never followed" '[.notes[] | select(.path == "evil.py") | .kind] | join(",")' "skipped"
jq_is "the binary .py is skipped" '[.notes[] | select(.path == "blob.py") | .kind] | join(",")' "skipped"
jq_is "the LFS pointer is skipped" '[.notes[] | select(.path == "model.py") | .message] | join(",")' "Git LFS pointer, its content is not in the repository yet"

# a syntax error: what was recovered is still scanned, and the error is named
printf 'def broken(:\n    pass\neval(q)\n' > broken.py
git add broken.py && git commit -qm broken
expect_exit 1 "a file that does not parse is still scanned" git pysec scan HEAD --format json
jq_is "its finding" '[.findings[].rule] | join(",")' "B307"
jq_is "and an error entry" '[.errors[].path] | join(",")' "broken.py"

# exit codes for things that are not findings
expect_exit 3 "an unknown revision is a failed scan" git pysec scan no-such-rev
contains "it says which revision" "$ERR" "no-such-rev"
expect_exit 2 "a bad flag is a usage error" git pysec scan --format xml
expect_exit 2 "a bad threshold is a usage error" git pysec scan --fail-on extreme
printf '[pysec\n' > bad.conf
expect_exit 2 "a broken config file is a usage error" git pysec scan --config bad.conf HEAD
contains "it names the file" "$ERR" "bad.conf"
cd "$TMP"
expect_exit 3 "outside a repository, a diff scan fails clearly" git pysec scan
contains "it says why" "$ERR" "not in a git repository"
mkdir plain && printf 'eval(x)\n' > plain/a.py
expect_exit 1 "--full works outside a repository" git pysec scan --full plain

# every input fuzzing ever crashed on (fuzz/seeds): a verdict, never a crash
seeds=$(cd "$(dirname "$0")/../../fuzz/seeds/scan" && pwd)
for f in "$seeds"/*; do
	git pysec scan --full "$f" > /dev/null 2>&1
	rc=$?
	if [ "$rc" -le 1 ]; then ok "fuzz seed $(basename "$f")"; else fail "fuzz seed $(basename "$f")" "exit $rc"; fi
done

# every configuration file the config fuzz target keeps (fuzz/seeds/config), as a scan's --config
# and as the daemon's settings: an answer (0 to 3), never a crash
seeds=$(cd "$(dirname "$0")/../../fuzz/seeds/config" && pwd)
cd "$TMP/plain" || exit 1
for f in "$seeds"/*; do
	git pysec scan --full --config "$f" . > /dev/null 2>&1
	rc=$?
	if [ "$rc" -le 3 ]; then ok "config seed $(basename "$f"): scan exits $rc"; else fail "config seed $(basename "$f"): scan" "exit $rc"; fi
	git pysec serve --check --config "$f" > /dev/null 2>&1
	rc=$?
	if [ "$rc" -le 3 ]; then ok "config seed $(basename "$f"): serve --check exits $rc"; else fail "config seed $(basename "$f"): serve --check" "exit $rc"; fi
done
