#!/bin/bash
# A project's Bandit configuration (issue 13): Bandit's documented samples
# (tests/bandit/), read from .bandit and from --bandit-config, change pysec's
# scan as they change Debian's bandit run on the same code; pysec's own
# settings win over them; in the hook a pushed one only makes the policy
# stricter.
. "$(dirname "$0")/lib.sh"
SAMPLES="$(cd "$(dirname "$0")/../bandit" && pwd)"

# FILE:LINE:ID of each finding, sorted: Bandit's, and pysec's with every finding shown
bandit_finds() {
	bandit -q "$@" -f json 2> /dev/null | jq -r '[.results[] | "\(.filename):\(.line_number):\(.test_id)"] | sort | join(",")'
}
pysec_finds() {
	git pysec scan --full --fail-on low --min-confidence low --format json "$@" 2> "$TMP/pysec.err" |
		jq -r '[.findings[] | "\(.path):\(.line):\(.rule)"] | sort | join(",")'
}
same_as_bandit() {
	local d=$1 b p
	shift
	b=$(bandit_finds "$@" -r app tests)
	p=$(pysec_finds "${PYSEC_ARGS[@]}" app tests)
	if [ -n "$b" ] && [ "$b" = "$p" ]; then ok "$d"; else fail "$d" "bandit: $b" "pysec:  $p" "$(cat "$TMP/pysec.err")"; fi
}

new_repo p
cd p
mkdir app tests
cp "$SAMPLES/app.py" app/a.py
cp "$SAMPLES/app.py" tests/test_a.py
commit_all . "code each sample's test ids find"

PYSEC_ARGS=()
same_as_bandit "with no configuration, pysec finds what bandit finds"
b=$(bandit_finds -r app tests)
contains "bandit finds B101, B201, B301, B601 and B602 in both directories" "$b" \
	"app/a.py:12:B201,app/a.py:13:B101,app/a.py:14:B301,app/a.py:16:B601"
contains "tests/ too" "$b" "tests/test_a.py:8:B602"

# .bandit: Bandit reads it from the targets (or --ini); pysec from the top of the work tree
cp "$SAMPLES/doc.bandit" .bandit
same_as_bandit "the documented .bandit: exclude, tests and skips change pysec's scan as bandit's" --ini .bandit
b=$(bandit_finds --ini .bandit -r app tests)
check "which is B201 and B301 in app/ only" test "$b" = "app/a.py:12:B201,app/a.py:14:B301"
expect_exit 0 "git pysec config shows where each value came from" git pysec config
contains ".bandit's skips, line 5" "$OUT" "$TMP/p/.bandit:5	pysec.disable=B101, B601"
contains ".bandit's tests, line 4" "$OUT" "$TMP/p/.bandit:4	pysec.only=B201, B301"
contains ".bandit's exclude, line 3" "$OUT" "$TMP/p/.bandit:3	pysec.exclude=tests, path/to/file"
expect_exit 1 "a diff scan reads it too" git pysec scan HEAD --format json
jq_is "only B201 in app/ fails (B301 is medium, B201 high)" '[.findings[] | "\(.path):\(.rule)"] | join(",")' \
	"app/a.py:B201,app/a.py:B301"

# pysec's own settings win, key by key, and a note says so
printf '[pysec]\n\tdisable = B201\n' > .pysec
expect_exit 1 "a .pysec's pysec.disable replaces .bandit's skips" git pysec scan --full --fail-on low --min-confidence low --format json app tests
jq_is "B301 only: B201 disabled by .pysec, tests still from .bandit" '[.findings[] | "\(.path):\(.rule)"] | join(",")' "app/a.py:B301"
contains "the note names both places" "$ERR" "$TMP/p/.bandit:5: Bandit's 'skips' not used: pysec.disable is set in $TMP/p/.pysec:2"
printf '[pysec]\n\tbanditConfig = false\n' > .pysec
PYSEC_ARGS=()
b=$(pysec_finds app tests)
check "pysec.banditConfig = false: .bandit is not read" test "$b" = "$(bandit_finds -r app tests)"
rm .pysec

# a mistake in it is an error that names the file and line; an unknown key a note
printf '[bandit]\nskips = B101\nskpis = B602\nverbose = true\n' > .bandit
expect_exit 1 "unknown keys do not stop the scan" git pysec scan --full app
contains "an unknown key is a note with its line and a suggestion" "$ERR" \
	"$TMP/p/.bandit:3: unknown Bandit setting 'skpis' ignored; did you mean 'skips'?"
contains "one of Bandit's that pysec has no use for says why" "$ERR" \
	"$TMP/p/.bandit:4: Bandit's 'verbose' ignored: an output option of Bandit's"
printf '[bandit]\nskips = B1O1\n' > .bandit
expect_exit 2 "a test id no rule has is an error" git pysec scan --full app
contains "naming the .bandit line" "$ERR" "$TMP/p/.bandit:2: 'B1O1' in 'pysec.disable' is not a rule; did you mean 'B101'?"
printf '[bandit\nskips = B101\n' > .bandit
expect_exit 2 "a .bandit that is not INI is an error" git pysec scan --full app
contains "naming its line" "$ERR" "$TMP/p/.bandit:1: not INI: expected [section] or key = value"
rm .bandit

# YAML with --bandit-config (Bandit's -c)
PYSEC_ARGS=(--bandit-config "$SAMPLES/doc.yaml")
same_as_bandit "the documented bandit.yaml changes pysec's scan as bandit's -c" -c "$SAMPLES/doc.yaml"
PYSEC_ARGS=(--bandit-config "$SAMPLES/doc-plugins.yaml")
same_as_bandit "the documented bandit.yaml with plugin settings: the same" -c "$SAMPLES/doc-plugins.yaml"
contains "its any_other_function_with_shell_equals_true section is noted: Bandit does not read it either" \
	"$(cat "$TMP/pysec.err")" "doc-plugins.yaml:14: Bandit's 'any_other_function_with_shell_equals_true.no_shell' ignored: Bandit reads these under shell_injection"
# pyproject.toml's [tool.bandit], read from the top (Debian's bandit, 1.6.2,
# reads no TOML: its YAML twin, the same settings, is what it runs with)
cp "$SAMPLES/doc-plugins.pyproject.toml" pyproject.toml
PYSEC_ARGS=()
same_as_bandit "the documented pyproject.toml changes pysec's scan as its YAML twin changes bandit's" \
	-c "$SAMPLES/doc-plugins.yaml"
expect_exit 0 "git pysec config shows pyproject.toml's lines" git pysec config
contains "skips, line 4" "$OUT" "$TMP/p/pyproject.toml:4	pysec.disable=B101, B601"
PYSEC_ARGS=(--bandit-config "$SAMPLES/doc.yaml")
printf '[tool.bandit]\nskips = ["B201"]\n' > pyproject.toml
same_as_bandit "--bandit-config takes the place of pyproject.toml, as bandit's -c" -c "$SAMPLES/doc.yaml"
rm pyproject.toml
# a plugin's options, under the name Bandit's plugins read them by
cat > "$TMP/shell.yaml" <<'YAML'
shell_injection:
  shell: [os.popen]
  subprocess: [subprocess.Popen]
  no_shell: []
YAML
PYSEC_ARGS=(--bandit-config "$TMP/shell.yaml")
same_as_bandit "shell_injection's lists change B602, B605 and B607 as in bandit" -c "$TMP/shell.yaml"
b=$(pysec_finds "${PYSEC_ARGS[@]}" app)
lacks "subprocess.run is no longer a subprocess call, os.system no shell" "$b" "B605"
# options Debian's bandit (1.6.2 on Python 3.11) cannot show: B108 never runs there, assert_used has no skips
mkdir -p lib
printf 'f = open("/scratch/x")\ng = open("/tmp/y")\nassert f\n' > lib/m.py
cp lib/m.py lib/m_test.py
printf 'hardcoded_tmp_directory:\n  tmp_dirs: [/scratch]\nassert_used:\n  skips: ["*_test.py"]\n' > "$TMP/opts.yaml"
b=$(pysec_finds --bandit-config "$TMP/opts.yaml" lib)
check "tmp_dirs replaces the temporary directories B108 knows; assert_used.skips leaves B101 out of *_test.py" \
	test "$b" = "lib/m.py:1:B108,lib/m.py:3:B101,lib/m_test.py:1:B108"
expect_exit 0 "git pysec config --bandit-config shows the YAML's lines" git pysec config --bandit-config "$TMP/opts.yaml"
contains "tmp_dirs, line 2" "$OUT" "$TMP/opts.yaml:2	pysec.hardcoded-tmp-directory.tmp-dirs=/scratch"
contains "assert_used.skips, line 4" "$OUT" "$TMP/opts.yaml:4	pysec.assert-used.skips=*_test.py"
printf 'skips: [B101\n' > "$TMP/bad.yaml"
expect_exit 2 "a broken YAML file is an error" git pysec scan --full --bandit-config "$TMP/bad.yaml" app
contains "naming its line and libyaml's words" "$ERR" "$TMP/bad.yaml:2: not YAML: did not find expected ',' or ']'"
expect_exit 2 "a missing --bandit-config is an error" git pysec scan --full --bandit-config "$TMP/none.yaml" app
contains "naming it" "$ERR" "cannot read '$TMP/none.yaml'"

# --- the hook: a pushed .bandit is in-tree content ------------------------------
cd "$TMP"
new_server s
git -C s.git config pysec.allowInTreeConfig true
cd s.work
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > run.py
printf '[bandit]\nskips = B602\nexclude = run.py\n' > .bandit
commit_all . "a finding, and a .bandit that skips it"
push_expect 1 "a pushed .bandit's skips and exclude do not let a finding through" origin HEAD:main
contains "the finding is reported" "$OUT" "run.py:2"
contains "the skips are ignored with a note" "$OUT" ".bandit (pushed):2: 'pysec.disable' ignored: this file may only make the policy stricter"
contains "the exclude too" "$OUT" ".bandit (pushed):3: 'pysec.exclude' ignored: this file may only make the policy stricter"
printf 'import subprocess\nsubprocess.call(cmd, shell=True)  # nosec\n' > run.py
printf '[bandit]\nignore-nosec = true\n' > .bandit
commit_all . "a nosec, and a .bandit that makes nosec count for nothing"
push_expect 1 "a pushed .bandit's ignore-nosec, which is stricter, is followed" origin HEAD:main
contains "the # nosec line is reported" "$OUT" "run.py:2"
git -C ../s.git config pysec.allowInTreeConfig false
printf '[bandit]\nskips = B602\n' > .bandit
printf 'import subprocess\nsubprocess.call(cmd, shell=False)\n' > run.py
commit_all . "fixed"
push_expect 0 "without pysec.allowInTreeConfig a pushed .bandit is not read at all" origin HEAD:main
lacks "not even for a note" "$OUT" ".bandit"

