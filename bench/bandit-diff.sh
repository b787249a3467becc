#!/usr/bin/env bash
# bandit-diff.sh: pysec's findings against Bandit's, check by check.
#
# usage: bench/bandit-diff.sh [CORPUS_DIR]        default /usr/lib/python3.11
#   BANDIT_JSON  (environment) a file with Bandit's JSON for CORPUS_DIR to
#                reuse instead of running Bandit again (it takes ~20 s);
#                when it names a file that does not exist yet, Bandit's
#                output is written there
#   PYSEC_BIN    (environment) the git-pysec to test; default: build
#                build-rules/git-pysec with `make BUILD=build-rules`
#   SHOW         (environment) at most this many differences listed per
#                check and side, default 40 (0: all)
#   BANDIT       (environment) the bandit command, default `bandit`
#                (Debian's, 1.6.2 on bookworm)
#
# Runs `bandit -r CORPUS -f json` and
# `git pysec scan --full CORPUS --format json`, and for every check id that
# both implement lists the findings, as (file, line, id), that one reports
# and the other does not.  It ends with the share of Bandit's findings that
# pysec reports too, over the checks both implement.  Deliberate differences
# are explained in docs/bandit-differences.md.
#
# Not part of `make check`: it takes about half a minute.
set -euo pipefail
export LC_ALL=C

die() { echo "bandit-diff.sh: $*" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:-/usr/lib/python3.11}
[[ -d $corpus ]] || die "no such directory: $corpus"
corpus=$(cd "$corpus" && pwd -P)
bandit=${BANDIT:-bandit}
command -v "$bandit" >/dev/null || die "$bandit is not installed (apt-get install bandit)"
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z ${PYSEC_BIN:-} ]]; then
	make -C "$root" BUILD=build-rules >&2 || die "build failed"
	PYSEC_BIN=$root/build-rules/git-pysec
fi
cp "$PYSEC_BIN" "$work/git-pysec"

if [[ -n ${BANDIT_JSON:-} && -s $BANDIT_JSON ]]; then
	cp "$BANDIT_JSON" "$work/bandit.json"
else
	echo "running bandit -r $corpus (about 20 s)" >&2
	(cd "$work" && "$bandit" -r "$corpus" -f json -q -o "$work/bandit.json") || [[ -s $work/bandit.json ]] ||
		die "bandit failed"
	[[ -n ${BANDIT_JSON:-} ]] && cp "$work/bandit.json" "$BANDIT_JSON"
fi
bandit_version=$("$bandit" --version 2>/dev/null | head -n 1)

echo "running git pysec scan --full $corpus" >&2
(cd "$work" && PYSEC_CONFIG=/dev/null "$work/git-pysec" scan --full "$corpus" --format json --fail-on low --min-confidence low >"$work/pysec.json") ||
	[[ $? -eq 1 ]] || die "git pysec scan failed"
"$work/git-pysec" rules --format json >"$work/rules.json"

# Bandit's own list of check ids, from its help text
bandit_ids=$("$bandit" -h 2>/dev/null | awk '$1 ~ /^B[0-9][0-9][0-9]$/ { print $1 }' | tr '\n' ' ')

"$py" - "$work/bandit.json" "$work/pysec.json" "$work/rules.json" "${SHOW:-40}" "$bandit_version" "$bandit_ids" <<'PY'
import collections, json, sys

bandit_file, pysec_file, rules_file, show, version, bandit_ids = sys.argv[1:7]
show = int(show)
bandit = json.load(open(bandit_file))
pysec = json.load(open(pysec_file))
pysec_ids = {r["id"] for r in json.load(open(rules_file)) if r.get("enabled", True)}
bandit_ids = set(bandit_ids.split()) or {r["test_id"] for r in bandit["results"]}
both = sorted(pysec_ids & bandit_ids)

p = {(f["path"], f["line"], f["rule"]) for f in pysec["findings"]}
# what each pysec finding spans, to tell a finding Bandit puts on another line of the same call
spans = collections.defaultdict(list)
for f in pysec["findings"]:
    spans[(f["path"], f["rule"])].append((f["line"], f["end_line"]))
b = set()
renamed = []
for r in bandit["results"]:
    x = (r["filename"], r["line_number"], r["test_id"])
    # Bandit before 1.8.0 reports hashlib.md5/sha1 as B303; later ones, and pysec, as B324
    if x[2] == "B303" and (x[0], x[1], "B324") in p:
        renamed.append(x)
        x = (x[0], x[1], "B324")
    b.add(x)

def moved(x):
    return any(l <= x[1] <= e for l, e in spans.get((x[0], x[2]), ()))

def line_of(path, line):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, 1):
                if i == line:
                    return text.strip()
    except OSError:
        pass
    return ""

print(f"# pysec against {version or 'bandit'}")
print()
print(f"Bandit: {len(bandit['results'])} findings; pysec: {len(pysec['findings'])} findings.")
print(f"Checks both implement: {len(both)}.  Only Bandit: {' '.join(sorted(bandit_ids - pysec_ids)) or '-'}."
      f"  Only pysec: {' '.join(sorted(pysec_ids - bandit_ids)) or '-'}.")
if renamed:
    print(f"{len(renamed)} of Bandit's B303 findings (hashlib.md5, hashlib.sha1) are counted as B324,"
          " where Bandit 1.8.0 and later, and pysec, report them.")
print()
print("Columns: findings (file, line, id) of each tool; both: the same in each; other line: Bandit's")
print("finding is on another line of a pysec finding of the same id (a call spread over lines).")
print()
print("| id | bandit | pysec | both | other line | only bandit | only pysec |")
print("|---|---:|---:|---:|---:|---:|---:|")
tb = tp = tboth = tmoved = 0
rows = []
for i in both:
    bi = {x for x in b if x[2] == i}
    pi = {x for x in p if x[2] == i}
    if not bi and not pi:
        continue
    mv = {x for x in bi - pi if moved(x)}
    # a pysec finding that holds one of Bandit's on another line is not "only pysec"
    mvp = {y for y in pi - bi if any(x[0] == y[0] and y[1] <= x[1] for x in mv)}
    tb += len(bi); tp += len(pi); tboth += len(bi & pi); tmoved += len(mv)
    print(f"| {i} | {len(bi)} | {len(pi)} | {len(bi & pi)} | {len(mv)} | {len(bi - pi - mv)} | {len(pi - bi - mvp)} |")
    rows.append((i, bi, pi, mv, mvp))
print(f"| all | {tb} | {tp} | {tboth} | {tmoved} | {tb - tboth - tmoved} | |")
print()
for i, bi, pi, mv, mvp in rows:
    for label, diff in (("only bandit", bi - pi - mv), ("only pysec", pi - bi - mvp), ("other line (Bandit's line)", mv)):
        if not diff:
            continue
        print(f"## {i}, {label}: {len(diff)}")
        print()
        for k, x in enumerate(sorted(diff)):
            if show and k >= show:
                print(f"    ... and {len(diff) - show} more")
                break
            print(f"    {x[0]}:{x[1]}: {line_of(x[0], x[1])[:100]}")
        print()
share = 100.0 * tboth / tb if tb else 100.0
share2 = 100.0 * (tboth + tmoved) / tb if tb else 100.0
print(f"pysec reports {tboth} of Bandit's {tb} findings on the checks both implement at the same"
      f" file, line and id: {share:.1f}%; counting those on another line of the same call: {share2:.1f}%")
PY
