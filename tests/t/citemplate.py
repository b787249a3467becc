#!/usr/bin/env python3
"""citemplate.py: what a CI template (examples/ci/*.yml) runs and publishes.

  citemplate.py script TEMPLATE      the shell commands of its pysec job or step
  citemplate.py artifacts TEMPLATE   the files it publishes, one a line, "KIND PATH"
  citemplate.py in-readme TEMPLATE README
                                     exit 0 when README.md shows TEMPLATE whole
"""
import sys

import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def gitlab_job(doc):
    return doc.get("pysec") if isinstance(doc, dict) and "stages" not in doc and "jobs" not in doc else None


def actions_steps(doc):
    return doc["jobs"]["pysec"]["steps"]


def script(path):
    doc = load(path)
    job = gitlab_job(doc)
    if job:
        return "\n".join(job["script"])
    return next(s["run"] for s in actions_steps(doc) if s.get("name") == "pysec")


def artifacts(path):
    doc = load(path)
    job = gitlab_job(doc)
    out = []
    if job:
        for kind, p in job["artifacts"]["reports"].items():
            out.append("%s %s" % (kind, p))
        return out
    for step in actions_steps(doc):
        uses = step.get("uses", "")
        if uses.startswith("github/codeql-action/upload-sarif"):
            out.append("sarif %s" % step["with"]["sarif_file"])
        elif uses.startswith("actions/upload-artifact"):
            for p in step["with"]["path"].split():
                out.append("artifact %s" % p)
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "script":
        print(script(argv[2]))
    elif len(argv) == 3 and argv[1] == "artifacts":
        print("\n".join(artifacts(argv[2])))
    elif len(argv) == 4 and argv[1] == "in-readme":
        with open(argv[2], encoding="utf-8") as f, open(argv[3], encoding="utf-8") as r:
            return 0 if f.read() in r.read() else 1
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
