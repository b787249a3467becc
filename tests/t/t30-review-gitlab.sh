#!/bin/bash
# `git pysec review` against a stand-in GitLab (tests/forge/server.py): inline
# comments on added lines, a summary for the rest, no duplicates on reruns,
# resolved threads for fixed findings, a commit status, and the network's
# failures: 429, 5xx, refused lines, a server that stays down, TLS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"

TOKEN="glpat-Secr3t-$$-do-not-print"
OTHER="glpat-other-$$"
start_forge gl
forge_ctl "{\"token\": \"$TOKEN\", \"users\": {\"$OTHER\": {\"id\": 7, \"login\": \"someone\"}}}"

# a rule with a one-click fix whose line holds a run of four backticks
mkdir -p "$TMP/rules"
cat > "$TMP/rules/X901.rule" <<'EOF'
rule X901
name        yaml_load_fix
title       yaml.load with the default loader
severity    medium
confidence  high
cwe         20
message     yaml.load builds arbitrary Python objects from the document.
why         A document can name any Python class, and yaml.load builds it.
fix         Use yaml.safe_load().
example     yaml.load(stream)
match call yaml.load
  suggest "yaml\.load\(" "yaml.safe_load("
EOF

review_repo c.py $'import yaml\ncfg = yaml.load(text)  # see ````x```` docs\n'
git config pysec.rulesDir "$TMP/rules"
# the target branch moves on: start_sha is its tip, base_sha still the merge base
git checkout -q main
printf 'print(1)\n' > later.py && commit_all . later
START=$(git rev-parse HEAD)
git checkout -q topic

MRS='{}'
# set_mr IID BASE START HEAD [DIFF_REFS]: what the stand-in knows of merge request IID
set_mr() {
	MRS=$(printf '%s' "$MRS" | jq -c --arg i "$1" --arg b "$2" --arg s "$3" --arg h "$4" \
		--argjson d "${5:-true}" '.[$i] = {base: $b, start: $s, head: $h, diff_refs: $d}')
	forge_ctl "$(jq -cn --argjson m "$MRS" --arg repo "$TMP/work" \
		'{gitlab: {projects: {"7": {path: "group/proj", repo: $repo, mrs: $m}}}}')"
}
set_mr 3 "$BASE" "$START" "$HEAD1"

# GitLab CI's variables; the token from the environment
export GITLAB_CI=true CI_API_V4_URL="$FORGE_URL/api/v4" CI_PROJECT_ID=7 CI_MERGE_REQUEST_IID=3 \
	CI_JOB_URL="https://ci.example/jobs/1" PYSEC_TOKEN="$TOKEN"

# someone else began a thread that carries a finding's marker
fp_b=$(git pysec scan --format json main...topic | jq -r '.findings[] | select(.path == "b.py") | .fingerprint')
forge_as "$OTHER" POST /api/v4/projects/7/merge_requests/3/discussions \
	"$(jq -cn --arg fp "$fp_b" '{body: ("<!-- pysec:fp=" + $fp + " -->\nI say os.system is fine here")}')"
forge_clear

# on a terminal a review shows how far its scan is, as scan does (t17); not with --quiet, nor in a pipe
script -qec "PYSEC_PROGRESS_DELAY=0 git pysec review --dry-run > /dev/null" /dev/null > "$TMP/tty" 2>&1
contains "a review on a terminal: its scan's progress line" "$(cat "$TMP/tty")" "pysec: scanning: "
contains "and its closing line, with files, bytes and seconds" "$(cat "$TMP/tty")" "pysec: scanned 3 files, "
script -qec "PYSEC_PROGRESS_DELAY=0 git pysec review --dry-run --quiet > /dev/null" /dev/null > "$TMP/tty" 2>&1
lacks "--quiet: no progress line" "$(cat "$TMP/tty")" "pysec: scan"
PYSEC_PROGRESS_DELAY=0 git pysec review --dry-run > /dev/null 2> "$TMP/pipe"
lacks "in a pipe: no progress line" "$(cat "$TMP/pipe")" "pysec: scan"
forge_clear

# --- the first review ----------------------------------------------------------
review_expect 1 "first review: blocking findings exit 1"
forge_log
jq_is "it asks who the token is (GET /api/v4/user) before listing" \
	'[.[] | .path | select(. == "/api/v4/user" or endswith("/discussions"))][0]' "/api/v4/user"
jq_is "every request authenticated with PRIVATE-TOKEN" '[.[] | select(.auth != "ok")] | length' 0
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
jq_is "the SHAs come from the merge request's diff_refs" \
	'[.[] | select(.method == "GET" and (.path | test("merge_requests/3$")))] | length' 1
jq_is "existing discussions are listed first" \
	'[.[] | select(.method != "GET" or (.path | endswith("/discussions")))][0].method' GET
jq_is "four inline comments and a summary, each answered 201" \
	'[.[] | select(.method == "POST" and (.path | endswith("/discussions"))) | .status] | map(select(. == 201)) | length' 5
jq_is "inline only on added lines, b.py's too (someone else's marker is not pysec's)" \
	'[.[] | select(.method == "POST" and .body.position) | "\(.body.position.new_path):\(.body.position.new_line)"] | sort | join(" ")' \
	"a.py:4 b.py:2 c.py:2 c.py:2"
jq_is "positions carry the merge request's three SHAs" \
	"[.[] | select(.body.position) | .body.position | [.base_sha, .start_sha, .head_sha] == [\"$BASE\", \"$START\", \"$HEAD1\"]] | all" true
jq_is "sent as the documented form fields" \
	'[.[] | select(.method == "POST") | .content_type] | unique | join(",")' "application/x-www-form-urlencoded"
jq_is "the commit status: failed, on the head, linked to the job" \
	"[.[] | select(.path | endswith(\"/statuses/$HEAD1\")) | .body | \"\\(.state) \\(.name) \\(.target_url)\"] | join(\",\")" \
	"failed pysec https://ci.example/jobs/1"
contains "the findings are printed" "$RUN_OUT" "b.py:2:1: B605"
contains "each post is reported" "$RUN_OUT" "posted c.py:2 X901"
contains "with a total" "$RUN_OUT" "5 findings (5 blocking): 4 posted, 0 already there, 1 in the summary, 0 closed"

forge_state
body() { printf '%s' "$OUT" | jq -r --arg k "$1" --arg s "$2" '.discussions[$k][].notes[0].body | select(contains($s))'; }
b=$(body 7/3 "pysec B307")
fp=$(git pysec scan --format json main...topic | jq -r '.findings[] | select(.rule == "B307") | .fingerprint')
contains "a comment starts with the finding's fingerprint" "${b%%$'\n'*}" "<!-- pysec:fp=$fp -->"
contains "then rule id and title" "$b" "**pysec B307: eval**"
contains "severity and confidence" "$b" "Severity **medium**, confidence **high**, CWE-78 (blocks the merge)"
contains "why it matters" "$b" "**Why it matters:** eval runs any expression"
contains "how to fix" "$b" "**How to fix:** Use ast.literal\\_eval"
lacks "no suggestion where the rule has none" "$b" "suggestion"
b=$(body 7/3 "pysec X901")
fence='`````'
contains "a suggestion block, its fence longer than the code's run of backticks" "$b" \
	"${fence}suggestion"$'\n'"cfg = yaml.safe_load(text)  # see \`\`\`\`x\`\`\`\` docs"$'\n'"${fence}"
b=$(body 7/3 "not shown inline")
contains "the finding outside the hunk is in the summary" "$b" '| `a.py` | 2 | B602 subprocess call with shell=True | high (blocking) |'
contains "which says why" "$b" "1 is on lines this change does not add"
contains "the summary has its marker" "${b%%$'\n'*}" "<!-- pysec:summary="
jq_is "the summary is a discussion without a position" \
	'[.discussions["7/3"][].notes[0] | select(.body | contains("not shown inline")) | .type] | join(",")' DiscussionNote

# --- a rerun with no change posts nothing -------------------------------------------
forge_clear
review_expect 1 "a rerun with no change"
forge_log
jq_is "posts no comment, resolves nothing" \
	'[.[] | select(.method != "GET" and (.path | contains("/statuses/") | not))] | length' 0
jq_is "only restates the status" '[.[] | select(.method == "POST") | .body.state] | join(",")' failed
contains "and says what is there" "$RUN_OUT" "0 posted, 4 already there, 1 in the summary, 0 closed"

# pagination: two a page, and without x-next-page (Link only)
forge_ctl '{"page_size": 2, "omit_next_page_header": true}'
forge_clear
review_expect 1 "a rerun reading the discussions two a page"
forge_log
jq_is "follows the pages (via Link)" \
	'[.[] | select(.method == "GET" and (.path | endswith("/discussions"))) | .query.page] | join(",")' "1,2,3"
jq_is "and still posts nothing" '[.[] | select(.method == "POST" and (.path | endswith("/discussions")))] | length' 0
forge_ctl '{"page_size": 1}'
forge_clear
review_expect 1 "one a page, with x-next-page"
forge_ctl '{"page_size": null, "omit_next_page_header": false}'
forge_log
jq_is "follows x-next-page through six pages (the other user's thread is one)" \
	'[.[] | select(.method == "GET" and (.path | endswith("/discussions")))] | length' 6

# --- dry run ----------------------------------------------------------------------------
printf 'import pickle\npickle.loads(blob)\n' > d.py
commit_all . pickle
HEAD2=$(git rev-parse HEAD)
set_mr 3 "$BASE" "$START" "$HEAD2"
forge_clear
review_expect 1 "--dry-run" --dry-run
contains "prints what it would post" "$RUN_OUT" "would post d.py:2 B301: POST $FORGE_URL/api/v4/projects/7/merge_requests/3/discussions"
contains "with the comment" "$RUN_OUT" "    **pysec B301:"
contains "and the status" "$RUN_OUT" "would post the commit status (failed: 6 findings"
contains "and says nothing was sent" "$RUN_OUT" "(dry run: nothing was sent)"
forge_log
jq_is "a dry run only reads" '[.[] | select(.method != "GET")] | length' 0
review_expect 1 "then the real run posts the new findings only"
contains "the two new ones" "$RUN_OUT" "2 posted, 4 already there"

# --- a fix: the fixed findings' threads are resolved -------------------------------------
printf 'import subprocess\nsubprocess.call(\n    cmd, shell=True)\n' > a.py
git rm -q d.py
commit_all . "fix eval, drop pickle"
HEAD3=$(git rev-parse HEAD)
set_mr 3 "$BASE" "$START" "$HEAD3"
forge_clear
review_expect 1 "a rerun after a fix"
forge_log
jq_is "three threads resolved (eval, the pickle import and call)" \
	'[.[] | select(.method == "PUT") | "\(.query.resolved) \(.status)"] | join(",")' "true 200,true 200,true 200"
jq_is "nothing posted" '[.[] | select(.method == "POST" and (.path | endswith("/discussions")))] | length' 0
forge_state
jq_is "the eval thread is resolved, the os.system one is not" \
	'[.discussions["7/3"][].notes[0] | select(.body | test("pysec (B307|B605)")) | "\(.body | capture("pysec (?<r>B[0-9]+)").r)=\(.resolved)"] | sort | join(",")' \
	"B307=true,B605=false"
contains "resolutions are reported" "$RUN_OUT" "3 closed"

printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
git rm -q b.py
printf 'import yaml\ncfg = yaml.safe_load(text)\n' > c.py
commit_all . "fix everything"
HEAD4=$(git rev-parse HEAD)
set_mr 3 "$BASE" "$START" "$HEAD4"
forge_clear
review_expect 0 "once everything is fixed the review exits 0"
forge_log
jq_is "the remaining threads and the summary are resolved" '[.[] | select(.method == "PUT")] | length' 4
jq_is "the status is success" "[.[] | select(.path | endswith(\"/statuses/$HEAD4\")) | .body.state] | join(\",\")" success
forge_state
jq_is "no unresolved pysec thread is left" \
	'[.discussions["7/3"][].notes[0] | select(.author.username == "pysec-bot" and (.resolved | not))] | length' 0
jq_is "the other user's thread is left as it was" \
	'[.discussions["7/3"][].notes[0] | select(.author.username == "someone") | .resolved] | join(",")' false

# --- the cap, a line GitLab refuses, a hostile file name ----------------------------------
git checkout -q -b capped main
printf 'import os\neval(a)\nexec(b)\nos.system(c)\nos.popen(d)\n' > e.py
printf 'eval(z)\n' > 'we|ird`@all.py'
commit_all . capped
HEAD5=$(git rev-parse HEAD)
set_mr 4 "$START" "$START" "$HEAD5"
forge_ctl '{"reject_lines": {"e.py": [4]}}'
forge_clear
review_expect 1 "more findings than the cap" --mr 4 --max-comments 2
forge_log
jq_is "two inline attempts: the high-severity findings first" \
	'[.[] | select(.method == "POST" and .body.position) | "\(.body.position.new_line) \(.status)"] | sort | join(",")' "4 400,5 201"
contains "the refused line is reported" "$RUN_OUT" "moved e.py:4 B605 to the summary"
forge_state
b=$(body 7/4 "not shown inline")
contains "the rest is in the summary" "$b" "4 findings not shown inline"
contains "with the reasons" "$b" "3 are past the limit of 2 inline comments; 1 was refused by the forge for its line"
contains "the refused one is in the table" "$b" '| `e.py` | 4 | B605'
contains "a hostile name stays inside its code span" "$b" '| ``we\|ird`@all.py`` | 1 | B307 eval |'
contains "the summary remembers what the forge refused" "${b%%$'\n'*}" "unplaced="
forge_clear
review_expect 1 "a rerun of the capped request" --mr 4 --max-comments 2
forge_log
jq_is "posts nothing: no retry of the refused line, no new slot taken" \
	'[.[] | select(.method != "GET" and (.path | contains("/statuses/") | not))] | length' 0
forge_ctl '{"reject_lines": {}}'

# --- 429 with Retry-After, 409 and 502 on the status ----------------------------------------
git checkout -q -b limited main
printf 'eval(q)\n' > g.py
commit_all . limited
HEAD6=$(git rev-parse HEAD)
set_mr 5 "$START" "$START" "$HEAD6"
forge_ctl '{"faults": [
  {"method": "POST", "path": "/discussions$", "status": 429, "times": 1, "body": "Retry later", "headers": {"Retry-After": "1"}},
  {"method": "POST", "path": "/statuses/", "status": 409, "times": 1, "body": {"message": "Cannot transition status"}},
  {"method": "POST", "path": "/statuses/", "status": 502, "times": 1, "body": "Bad Gateway"}]}'
forge_clear
review_expect 1 "a 429, then success" --mr 5
forge_log
jq_is "the comment was sent twice: 429, then 201" \
	'[.[] | select(.method == "POST" and (.path | endswith("/discussions"))) | .status] | join(",")' "429,201"
jq_is "after the Retry-After second" \
	'[.[] | select(.method == "POST" and (.path | endswith("/discussions"))) | .t] | (.[1] - .[0]) >= 0.95' true
jq_is "the status: 409 and 502 retried, then 201" \
	'[.[] | select(.path | contains("/statuses/")) | .status] | join(",")' "409,502,201"

# --- a server too slow to answer: the timeout ends the wait, and the request is retried ----------
# (the forge holds the first request until the review is over: no answer can beat the timeout)
git config pysec.review.timeout 1
forge_hold slow GET 'merge_requests/5$'
forge_clear
review_expect 1 "a request that times out is retried" --mr 5
forge_release slow
forge_log
jq_is "the merge request was asked for twice" '[.[] | select(.path | endswith("merge_requests/5"))] | length' 2
git config pysec.review.timeout 5

# --- answers that are not what they should be -------------------------------------------------
forge_ctl '{"faults": [{"method": "GET", "path": "/discussions$", "status": 200, "times": 1, "body": "<html>sign in</html>"}]}'
review_expect 3 "an answer that is not JSON: exit 3" --mr 5
contains "says so" "$RUN_ERR" "/discussions?per_page=100&page=1: the answer is not JSON"
forge_ctl '{"faults": [{"method": "GET", "path": "merge_requests/5$", "status": 302, "times": 1,
  "body": "", "headers": {"Location": "https://elsewhere.example/api/v4/projects/7/merge_requests/5"}}]}'
forge_clear
review_expect 3 "a redirect is not followed (it would carry the token): exit 3" --mr 5
contains "says so" "$RUN_ERR" "HTTP 302: redirects are not followed"
forge_log
jq_is "nothing else was asked" '[.[] | .status] | join(",")' 302

# --- a server that keeps failing -------------------------------------------------------------
forge_ctl '{"faults": [{"method": "GET", "path": ".", "status": 500}]}'
forge_clear
review_expect 3 "a server that answers 500 to everything: exit 3" --mr 5
contains "a clear error with the attempts" "$RUN_ERR" "git pysec: review: GET $FORGE_URL/api/v4/projects/7/merge_requests/5: HTTP 500: 500 Internal Server Error (after 3 attempts)"
forge_log
jq_is "three attempts, and nothing posted" '[.[] | .method] | join(",")' "GET,GET,GET"

git checkout -q -b flaky main
printf 'eval(a1)\nexec(a2)\nexec(a3)\n' > h.py
commit_all . flaky
HEAD7=$(git rev-parse HEAD)
set_mr 6 "$START" "$START" "$HEAD7"
git config pysec.review.maxInFlight 1
forge_ctl '{"faults": [{"method": "POST", "path": "/discussions$", "status": 500, "skip": 1}]}'
forge_clear
review_expect 3 "comments failing half way: exit 3" --mr 6
contains "what was posted is reported" "$RUN_OUT" "posted h.py:1 B307"
contains "what failed, and why" "$RUN_OUT" "FAILED h.py:2 B102: POST $FORGE_URL/api/v4/projects/7/merge_requests/6/discussions: HTTP 500"
contains "what was not sent" "$RUN_OUT" "NOT SENT h.py:3 B102: the forge had failed before"
contains "the status is still set" "$RUN_OUT" "set the commit status (failed: 3 findings"
contains "one line sums it up" "$RUN_ERR" "git pysec: review: 1 write failed and 1 was not sent; first: POST"
forge_ctl '{"faults": []}'
forge_clear
review_expect 1 "once the forge recovers, a rerun" --mr 6
forge_log
jq_is "posts the two that are missing, no duplicate" \
	'[.[] | select(.method == "POST" and .body.position) | .body.position.new_line] | sort | join(",")' "2,3"
git config --unset pysec.review.maxInFlight

review_expect 3 "a forge that is not there: exit 3" --url http://127.0.0.1:1 --mr 6
contains "says it could not connect" "$RUN_ERR" "127.0.0.1:1"

# --- a renamed file: its old name in old_path; names with a newline or U+202E ---------------------
git checkout -q -b moved main
seq 1 30 | sed 's/^/x_& = &/' > r_old.py
commit_all . "a file to move"
MBASE=$(git rev-parse HEAD)
git mv r_old.py r_new.py
printf 'eval(moved)\n' >> r_new.py
printf 'eval(n)\n' > "$(printf 'new\nline.py')"
printf 'eval(b)\n' > "$(printf 'x\342\200\256y.py')"
printf 'eval(c)\n' > "$(printf 'bad\377.py')"
commit_all . "move, and odd names"
set_mr 11 "$MBASE" "$MBASE" "$(git rev-parse HEAD)"
forge_clear
review_expect 1 "a renamed file and odd file names" --mr 11
forge_log
jq_is "the renamed file's comment carries its old name in old_path, and is placed" \
	'[.[] | select(.body.position.new_path == "r_new.py") | "\(.body.position.old_path) \(.status)"] | join(",")' "r_old.py 201"
jq_is "the names with a newline and a U+202E are commented inline, by their real names" \
	'[.[] | select(.method == "POST" and .body.position and (.body.position.new_path | test("\n|\u202e"))) | .status] | join(",")' "201,201"
forge_state
b=$(body 7/11 "not shown inline")
contains "only the name that is not UTF-8 (no API carries it) went to the summary, saying why" "$b" \
	"1 finding not shown inline**"$'\n\n'"1 is in a file whose name is not UTF-8, which the forge's API cannot carry."
contains "named there as git shows it" "$b" '| `"bad\377.py"` | 1 | B307 eval |'
forge_log
jq_is "and no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
contains "the log shows the newline escaped, as git does" "$RUN_OUT" 'posted "new\nline.py":1 B307'
contains "and the U+202E" "$RUN_OUT" 'posted "x\342\200\256y.py":1 B307'
contains "so does the scan's report" "$RUN_OUT" '"new\nline.py":1:1: B307'
lacks "the U+202E itself is printed nowhere" "$RUN_OUT$RUN_ERR" "$(printf '\342\200\256')"
git checkout -q topic

# --- JSON bodies, versions when diff_refs is missing ---------------------------------------------
git config pysec.review.gitlabEncoding json
set_mr 8 "$START" "$START" "$HEAD6" false
forge_clear
review_expect 1 "JSON bodies, and the SHAs from the versions" --mr 8
forge_log
jq_is "versions are read when diff_refs is null" '[.[] | select(.path | endswith("/versions"))] | length' 1
jq_is "bodies are JSON with a nested position" \
	'[.[] | select(.method == "POST" and (.path | endswith("/discussions"))) | "\(.content_type) \(.body.position.new_line | type)"] | join(",")' \
	"application/json number"
jq_is "and keep to the contract" '[.[].problems[]] | join("; ")' ""
git config --unset pysec.review.gitlabEncoding

# --- the commits must be local; bad usage ----------------------------------------------------------
set_mr 9 "$START" "$START" 0123456789abcdef0123456789abcdef01234567
review_expect 3 "a head that is not in the repository: exit 3" --mr 9
contains "says to fetch it" "$RUN_ERR" "is not in this repository; fetch it first"
review_expect 3 "an unknown merge request: exit 3" --mr 99
contains "says which" "$RUN_ERR" "merge request !99 of project '7' not found"
unset CI_PROJECT_ID
review_expect 2 "no project: usage error"
contains "names what is missing" "$RUN_ERR" "the project is missing"
export CI_PROJECT_ID=7
review_expect 2 "a bad cap" --max-comments many
review_expect 2 "merge request 0: usage error" --mr 0
contains "with a message" "$RUN_ERR" "the request number is 1 or more, not 0"
forge_clear
review_expect 2 "a merge request ' -1': usage error" --mr " -1"
contains "with a message" "$RUN_ERR" "the request number must be a whole number"
forge_log
jq_is "and no request at all (never merge_requests/18446744073709551615)" 'length' 0
review_expect 2 "--token VALUE: no such option" --token "$TOKEN"
contains "says where a token goes" "$RUN_ERR" "unknown option '--token'; a token is never given on the command line"
review_expect 2 "--token=VALUE likewise" "--token=$TOKEN"
review_expect 2 "an abbreviation is no option (getopt_long took --tok for --token-file)" --tok "$TOKEN"
contains "says so" "$RUN_ERR" "unknown option '--tok'"
review_expect 2 "nor is --token-f" --token-f "$TOKEN"
review_expect 2 "--token-file with a token in place of the file" --token-file "$TOKEN"
contains "says it cannot read the file" "$RUN_ERR" "cannot read the token file"
lacks "the value of no token flag is printed" "$(cat "$TMP/all-output")" "$TOKEN"
review_expect 2 "an abbreviated --dry (--dry-run) is refused too" --dry
review_expect 2 "an unreadable CA bundle" --ca-bundle "$TMP/nope.pem"
contains "names it" "$RUN_ERR" "cannot read CA bundle"

# --- a .pysec in the request can neither redirect the token nor weaken the policy -------------------
git checkout -q -b sneaky main
printf '[pysec "review"]\n\turl = http://127.0.0.1:1\n[pysec]\n\tdisable = B307\n' > .pysec
printf 'eval(s)\n' > s.py
commit_all . sneaky
set_mr 10 "$START" "$START" "$(git rev-parse HEAD)"
forge_clear
review_expect 1 "an in-tree .pysec on the request" --mr 10
contains "its rule switch is ignored" "$RUN_OUT" "s.py:1:1: B307"
contains "and said so" "$RUN_ERR" "'pysec.disable' ignored"
forge_log
jq_is "the review still went to the configured forge" '[.[] | select(.method == "POST")] | length' 2

# --- TLS: verified always; --ca-bundle names the CA ---------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2> /dev/null
PLAIN_URL=$FORGE_URL
start_forge tls --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
TLS_URL="https://127.0.0.1:$tls_PORT"
python3 "$FORGE_DIR/ctl.py" --cacert "$TMP/cert.pem" "$TLS_URL/_control" "$(jq -cn --arg t "$TOKEN" --argjson m "$MRS" \
	--arg repo "$TMP/work" '{token: $t, gitlab: {projects: {"7": {path: "group/proj", repo: $repo, mrs: $m}}}}')" > /dev/null
review_expect 3 "https with a CA the system does not trust: refused" --url "$TLS_URL" --mr 5
contains "a certificate error" "$RUN_ERR" "certificate"
review_expect 1 "with --ca-bundle naming that CA it works" --url "$TLS_URL" --mr 5 --ca-bundle "$TMP/cert.pem" -v
contains "the trace shows the bundle in use" "$RUN_ERR" "CA bundle $TMP/cert.pem"
contains "and the comment went over TLS" "$RUN_OUT" "posted g.py:1 B307"
FORGE_URL=$PLAIN_URL

# --- the token never shows ----------------------------------------------------------------------------
printf '%s\n' "$TOKEN" > "$TMP/token"
forge_ctl '{"echo_token": true, "faults": [{"method": "POST", "path": "/statuses/", "status": 500}]}'
review_expect 3 "a server that echoes the token in its errors" --mr 5 -v --token-file "$TMP/token"
contains "the echo is redacted" "$RUN_OUT$RUN_ERR" "[token]"
PYSEC_TOKEN="x$TOKEN" review_expect 3 "a wrong token: 401, exit 3" --mr 5 -v
contains "the 401 is reported" "$RUN_ERR" "HTTP 401"
forge_ctl '{"echo_token": false, "faults": []}'
review_expect 1 "a dry run with the trace on" --mr 5 -v --dry-run
lacks "the token appears in no output of any run above" "$(cat "$TMP/all-output")" "$TOKEN"
forge_log
jq_is "and never in a URL" '[.[].problems[] | select(. == "token in the URL")] | length' 0
