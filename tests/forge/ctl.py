#!/usr/bin/env python3
"""Talk to server.py's control endpoints (the tests' curl, in the standard library).

    ctl.py URL [JSON] [--cacert FILE]

GETs URL, or POSTs JSON to it, and prints the answer; exits 1 on an error.
"""
import ssl
import sys
import urllib.request

args = sys.argv[1:]
ctx = None
if "--cacert" in args:
    i = args.index("--cacert")
    ctx = ssl.create_default_context(cafile=args[i + 1])
    del args[i:i + 2]
url, data = args[0], (args[1].encode() if len(args) > 1 else None)
req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                             headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        sys.stdout.write(r.read().decode())
except OSError as e:
    sys.stderr.write("ctl.py: %s: %s\n" % (url, e))
    sys.exit(1)
