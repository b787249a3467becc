#!/bin/bash
# Odd and hostile pushes: each ends in a correct verdict or the failure
# policy with one clear line; never a crash, a hang or a silent accept.
. "$(dirname "$0")/lib.sh"

new_server srv
cd srv.work
git commit -q --allow-empty -m root
push_expect 0 "an empty first push" origin HEAD:main

# file names
mkdir -p 'dir with space'
printf 'exec(a)\n' > 'dir with space/a b.py'
printf 'exec(b)\n' > ./-dash.py
printf 'exec(c)\n' > 'ünïcødé.py'
printf 'exec(d)\n' > "$(printf 'new\nline.py')"
git add -A && git commit -qm names
push_expect 1 "odd file names are scanned" origin HEAD:main
contains "a space" "$OUT" "dir with space/a b.py:1: B102"
contains "a leading dash" "$OUT" "-dash.py:1: B102"
contains "non-ASCII" "$OUT" ".py:1: B102"
n=$(printf '%s\n' "$OUT" | grep -c 'B102')
test "$n" -eq 4 && ok "all four, the newline one too" || fail "all four" "$OUT"
git reset -q --hard HEAD~1

# things that are not Python source
ln -s /etc/passwd evil.py
printf 'exec(x)\0\1' > bin.py
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 9\n' 0 > lfs.py
printf 'x = "\377\376"\nexec(u)\n' > badutf.py
printf 'import os\r\nos.system(cmd)\r\n' > crlf.py
git update-index --add --cacheinfo "160000,$(git rev-parse HEAD),sub"
printf "[submodule \"sub\"]\n\tpath = sub\n\turl = ../other.git\n" > .gitmodules
git add -A && git commit -qm odd
push_expect 1 "odd content: a verdict, not a crash" origin HEAD:main
contains "the symlink is skipped" "$OUT" "evil.py: symbolic link, not followed"
lacks "and never followed" "$OUT" "root:x"
contains "the binary file is skipped" "$OUT" "bin.py: binary content"
contains "the LFS pointer is skipped" "$OUT" "lfs.py: Git LFS pointer"
contains "invalid UTF-8 is scanned" "$OUT" "badutf.py:2: B102"
contains "CRLF is scanned" "$OUT" "crlf.py:2: B605"
lacks "a submodule is not scanned as a file" "$OUT" "sub:"
git reset -q --hard HEAD~1

# giants: a 5 MB line, 100,000 nested brackets
python3 -c "open('big.py','w').write('x = \"' + 'a' * 5000000 + '\"\n')"
python3 -c "open('nest.py','w').write('x = ' + '(' * 100000 + ')' * 100000 + '\n')"
git add -A && git commit -qm giants
push_expect 0 "a 5 MB line and deep nesting end in a verdict" origin HEAD:main
contains "the 5 MB file is skipped with a note" "$OUT" "big.py: larger than"
contains "100,000 nested brackets: one clear line" "$OUT" "nest.py: brackets nested deeper than 1000 levels"
git rm -q big.py nest.py && git commit -qm "giants gone"
push_expect 0 "and are removed again" origin HEAD:main
# 100,000 brackets never closed make libtree-sitter 0.20.7 free memory twice: never handed to it
python3 -c "open('open.py','w').write('x = ' + '[' * 100000 + '\n')"
git add open.py && git commit -qm unclosed
push_expect 0 "unclosed nesting: no crash, a verdict" origin HEAD:main
contains "named as not parsed" "$OUT" "open.py: brackets nested deeper than 1000 levels"
git rm -q open.py && git commit -qm "unclosed gone"
push_expect 0 "and are removed again" origin HEAD:main

# 150 files: more than receive.unpackLimit, so a pack in the quarantine
for i in $(seq 1 150); do printf 'def f%d():\n    return %d\n' "$i" "$i" > "m$i.py"; done
printf 'exec(p)\n' > m150.py
git add -A && git commit -qm many
push_expect 1 "150 files arrive as a pack and are read" origin HEAD:main
contains "the one bad file" "$OUT" "m150.py:1: B102"
printf 'x = 150\n' > m150.py && git commit -qam fixed
push_expect 0 "accepted once fixed" origin HEAD:main

# 2,000 commits in one push
for i in $(seq 1 2000); do printf 'v = %d\n' "$i" > counter.py; git add counter.py; git commit -qm "c$i"; done
printf 'exec(last)\n' > counter.py && git commit -qam last
push_expect 1 "2,000 commits: the last adds exec" origin HEAD:main
contains "it is found" "$OUT" "counter.py:1: B102"
git -C ../srv.git config pysec.maxCommits 100
push_expect 1 "over pysec.maxCommits the failure policy applies" origin HEAD:main
contains "in one line" "$OUT" "more than 100 new commits"
git -C ../srv.git config --unset pysec.maxCommits
git reset -q --hard HEAD~1
push_expect 0 "the clean 2,000 are accepted" origin HEAD:main

# a shallow push: the walk meets a missing parent; that is a boundary, not "nothing new"
cd "$TMP"
git -C srv.git config receive.shallowUpdate true
git clone -q --depth 1 "file://$TMP/srv.git" shallow 2>/dev/null
cd shallow
git checkout -q -b fresh
printf 'exec(s)\n' > sh.py && git add sh.py && git commit -qm shallow
push_expect 1 "a shallow push is scanned" origin fresh
contains "its finding" "$OUT" "sh.py:1: B102"
