#!/usr/bin/env python3
"""formats.py: the checks of the format tests that need more than jq.

  formats.py schema SCHEMA FILE...   validate each JSON FILE against SCHEMA (JSON Schema draft 7,
                                     Debian's python3-jsonschema); print every error
  formats.py github COMMANDS JSON    read GitHub workflow commands as GitHub documents them
                                     (::cmd key=value,...::message, with %25 %0D %0A, and in
                                     values %3A %2C) and compare each finding's with the same
                                     finding in pysec's JSON report: path, lines, rule, message
"""
import json
import re
import sys


def schema(schema_path, files):
    import jsonschema
    with open(schema_path, encoding="utf-8") as f:
        validator = jsonschema.Draft7Validator(json.load(f))
    bad = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for err in validator.iter_errors(doc):
            bad += 1
            print("%s: %s: %s" % (path, "/".join(str(p) for p in err.absolute_path), err.message))
    return 1 if bad else 0


CODES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def unescape(s, prop):
    allowed = CODES if prop else {k: v for k, v in CODES.items() if k not in ("%3A", "%2C")}
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: allowed.get(m.group(0), m.group(0)), s)


def parse_command(line):
    m = re.match(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$", line)
    if not m:
        raise ValueError("not a workflow command: %r" % line)
    props = {}
    for part in (m.group(2) or "").split(","):
        if part:
            key, _, value = part.partition("=")
            props[key] = unescape(value, True)
    return m.group(1), props, unescape(m.group(3), False)


def github(commands_path, json_path):
    with open(commands_path, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l]
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    cmds = [parse_command(l) for l in lines]
    found = [c for c in cmds if "line" in c[1] and "col" in c[1]]
    problems = []
    if len(found) != len(report["findings"]):
        problems.append("%d finding commands for %d findings" % (len(found), len(report["findings"])))
    for (cmd, props, msg), f in zip(found, report["findings"]):
        want = "%s [%s/%s] %s" % (f["rule"], f["severity"], f["confidence"], f["message"])
        if f.get("fix"):
            want += "\nfix: " + f["fix"]
        checks = [("file", props.get("file"), f["path"]), ("line", props.get("line"), str(f["line"])),
                  ("endLine", props.get("endLine"), str(f["end_line"])), ("message", msg, want)]
        for name, got, wanted in checks:
            if got != wanted:
                problems.append("%s: got %r, wanted %r" % (name, got, wanted))
        if cmd not in ("error", "warning"):
            problems.append("command %r" % cmd)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "schema":
        sys.exit(schema(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) == 4 and sys.argv[1] == "github":
        sys.exit(github(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
