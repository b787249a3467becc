#!/usr/bin/env python3
"""Send GitLab merge request and Gitea and GitHub pull request webhook
deliveries, as the forges do, to the pysec daemon (the daemon tests' forge
side; standard library).

One delivery:

    webhook.py URL gitlab|gitea|github --project P --number N --head SHA [--action A]
               [--secret S | --bad-secret | --no-secret] [--key K] [--event E]
               [--pad BYTES] [--hub-only] [--signature TEXT]

prints "STATUS BODY".  GitLab: X-Gitlab-Token, Idempotency-Key (--key);
Gitea: X-Gitea-Signature (hex HMAC-SHA256 of the raw body) and, as Gitea
also sends it (services/webhook/deliver.go), X-Hub-Signature-256
("sha256=" and the same hex), X-Gitea-Delivery; --hub-only leaves out
X-Gitea-Signature.  GitHub: X-GitHub-Event, X-GitHub-Delivery (--key),
X-Hub-Signature-256 ("sha256=<hex HMAC-SHA256>",
https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries).
--signature TEXT sends TEXT as the signature header as it is.

Many:

    webhook.py --batch URL < deliveries.jsonl

each line {"forge", "project", "number", "head", "action", "secret", "key"};
prints "INDEX STATUS DAEMON" per delivery once it got an answer.  URL may be
several, comma-separated: delivery I goes to daemon I modulo their count (a
load balancer's round robin), and to the next after a failure.  Like a
forge, it sends a delivery again after a connection failure or a 5xx (a
daemon killed and restarted, its queue away) until it gets an answer, for
at most --give-up seconds.
--progress FILE: the count of answered deliveries is written there.
--pause-at N --resume FILE: once N deliveries are answered, start no more
until FILE exists (what is in flight finishes), so that a test acts at a
known point.  A second --pause-at waits for FILE.2, a third for FILE.3.
--threads N: deliveries in flight at once.
"""
import argparse
import hashlib
import hmac
import http.client
import os
import json
import sys
import threading
import time
import urllib.parse


def payload(forge, project, number, head, action, pad=0, oldrev=True):
    if forge == "gitlab":
        attrs = {"iid": number, "action": action, "source_branch": "topic", "target_branch": "main",
                 "last_commit": {"id": head}}
        if action == "update" and oldrev:
            attrs["oldrev"] = "0" * 40
        body = {"object_kind": "merge_request", "event_type": "merge_request",
                "project": {"id": 7, "path_with_namespace": project, "git_http_url": "http://x/%s.git" % project},
                "object_attributes": attrs}
    else:
        owner, name = project.split("/", 1)
        body = {"action": action, "number": number,
                "pull_request": {"number": number, "head": {"sha": head, "ref": "topic"},
                                 "base": {"ref": "main"}},
                "repository": {"full_name": project, "name": name, "owner": {"login": owner}}}
        if forge == "gitea":
            body["pull_request"]["merge_base"] = "0" * 40
        else:
            body["sender"] = {"login": "someone", "id": 7}
    if pad:
        body["padding"] = "x" * pad
    return json.dumps(body).encode()


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(forge, body, secret, key, event, mode, hub_only=False, signature=None):
    h = {"Content-Type": "application/json"}
    wrong = secret + "-wrong"
    if forge == "gitlab":
        h["X-Gitlab-Event"] = event or "Merge Request Hook"
        if key:
            h["Idempotency-Key"] = key
        if mode == "good":
            h["X-Gitlab-Token"] = secret
        elif mode == "bad":
            h["X-Gitlab-Token"] = secret + "-wrong"
    elif forge == "gitea":
        h["X-Gitea-Event"] = event or "pull_request"
        h["X-Gitea-Event-Type"] = "pull_request"
        if key:
            h["X-Gitea-Delivery"] = key
        if mode in ("good", "bad"):
            mac = sign(secret if mode == "good" else wrong, body)
            if not hub_only:
                h["X-Gitea-Signature"] = mac
            h["X-Hub-Signature-256"] = "sha256=" + mac
    else:
        h["X-GitHub-Event"] = event or "pull_request"
        h["X-GitHub-Hook-ID"] = "1"
        if key:
            h["X-GitHub-Delivery"] = key
        if mode in ("good", "bad"):
            h["X-Hub-Signature-256"] = "sha256=" + sign(secret if mode == "good" else wrong, body)
    if signature is not None:
        h["X-Gitea-Signature" if forge == "gitea" and not hub_only else "X-Hub-Signature-256"] = signature
    return h


def send(url, forge, body, hdrs, timeout=10):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("POST", "%s/webhook/%s" % (u.path.rstrip("/"), forge), body=body, headers=hdrs)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def batch(url, threads, give_up, progress, pace, pause_at=None, resume=None):
    items = [json.loads(l) for l in sys.stdin if l.strip()]
    urls = url.split(",")
    pauses = [(n, resume if k == 0 else "%s.%d" % (resume, k + 1)) for k, n in enumerate(pause_at or [])]
    lock = threading.Lock()
    state = {"next": 0, "answered": 0}
    out = []

    def work():
        while True:
            while any(state["answered"] >= n and not os.path.exists(f) for n, f in pauses):
                time.sleep(0.02)
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= len(items):
                return
            d = items[i]
            body = payload(d["forge"], d["project"], d["number"], d["head"], d["action"])
            hdrs = headers(d["forge"], body, d["secret"], d.get("key"), None, "good")
            end = time.time() + give_up
            status = "gave-up"
            k = i
            while time.time() < end:
                try:
                    status, _ = send(urls[k % len(urls)], d["forge"], body, hdrs, timeout=5)
                    if status >= 500:
                        k += 1
                        time.sleep(0.05)
                        continue
                    break
                except OSError:
                    k += 1
                    time.sleep(0.05)  # the daemon is down: a forge retries later
            with lock:
                out.append("%d %s %d" % (i, status, k % len(urls) + 1))
                state["answered"] += 1
                if progress:
                    with open(progress + ".tmp", "w") as f:
                        f.write("%d\n" % state["answered"])
                    os.replace(progress + ".tmp", progress)
            if pace:
                time.sleep(pace)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("\n".join(sorted(out, key=lambda s: int(s.split()[0]))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", action="store_true")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--give-up", type=float, default=30)
    ap.add_argument("--progress")
    ap.add_argument("--pause-at", type=int, action="append")
    ap.add_argument("--resume")
    ap.add_argument("url")
    ap.add_argument("forge", nargs="?")
    ap.add_argument("--project")
    ap.add_argument("--number", type=int)
    ap.add_argument("--head", default="0" * 40)
    ap.add_argument("--action", default=None)
    ap.add_argument("--secret", default="")
    ap.add_argument("--bad-secret", action="store_true")
    ap.add_argument("--no-secret", action="store_true")
    ap.add_argument("--key")
    ap.add_argument("--event")
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--no-oldrev", action="store_true")
    ap.add_argument("--pace", type=float, default=0, help="batch: seconds between one thread's deliveries")
    ap.add_argument("--sign-other-body", action="store_true")
    ap.add_argument("--hub-only", action="store_true", help="gitea: X-Hub-Signature-256 alone")
    ap.add_argument("--signature", help="this text as the signature header")
    a = ap.parse_args()
    if a.batch:
        return batch(a.url, a.threads, a.give_up, a.progress, a.pace, a.pause_at, a.resume)
    action = a.action or ("open" if a.forge == "gitlab" else "opened")
    body = payload(a.forge, a.project, a.number, a.head, action, a.pad, not a.no_oldrev)
    mode = "bad" if a.bad_secret else "none" if a.no_secret else "good"
    signed = payload(a.forge, a.project, a.number + 1, a.head, action) if a.sign_other_body else body
    hdrs = headers(a.forge, signed, a.secret, a.key, a.event, mode, a.hub_only, a.signature)
    try:
        status, text = send(a.url, a.forge, body, hdrs)
    except OSError as e:
        print("000 %s" % e)
        return 1
    print("%d %s" % (status, text.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
