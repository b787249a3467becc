#!/usr/bin/env python3
"""A stand-in for GitLab (REST v4) and Gitea (API v1), for the review tests.

It implements the endpoints that shared/FORGES.md describes with their real
status codes and bodies (201 vs 200, the 400 line_code error, pagination
headers, 401/404 bodies), keeps its state in memory, checks each request's
auth header and body shape, and records every request.  Standard library
only.

    python3 server.py [--tls-cert CERT --tls-key KEY]

prints "port N" once it listens on 127.0.0.1 (an ephemeral port).  Control,
without auth:

    POST /_control  JSON merged into the configuration (see CONFIG below)
    GET  /_log      the requests so far, a JSON list
    POST /_log/clear
    GET  /_state    discussions, reviews, comments and statuses
    GET  /_held     {name: requests held now}, for the holds in CONFIG
    POST /_release  {"name": N}: the requests held under N go on

Each log entry: method, path, query, auth ("ok", "missing", "bad"), body
(parsed: JSON, or form fields nested as GitLab reads them), status,
fault (true when injected), problems (what a real forge would refuse or
what breaks its contract: a token in the URL, old_line on an added line,
a pending Gitea review, an inline comment outside the diff, ...).
"""
import argparse
import hashlib
import json
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
CONFIG = {
    "token": "",
    # GitLab: projects by id, each with its path, the repository the diffs
    # are computed from, and merge requests by iid: {base, start, head,
    # diff_refs (false: only versions have them)}
    "gitlab": {"projects": {}},
    # Gitea: repositories by "owner/repo", each with the repository and its
    # pulls by index: {base, head, merge_base, own (REQUEST_CHANGES is a 422)}
    "gitea": {"repos": {}},
    # answer lists in pages of at most this many items (as a server with a
    # lower maximum would)
    "page_size": None,
    # GitLab: leave out x-next-page (gitlab.com sometimes does): Link only
    "omit_next_page_header": False,
    # GitLab: further lines to refuse with the 400 line_code error, by path
    "reject_lines": {},
    # injected failures, tried in order: {method, path (regex on the path),
    # status, body, headers, times (-1: always), skip (let this many pass)};
    # or {method, path, delay (seconds), times}: answer normally, but late
    "faults": [],
    # put the token received in error bodies (a careless proxy does)
    "echo_token": False,
    # requests to hold until the test releases them (POST /_release), so that
    # a test orders events by what it sees, never by time: {name, method,
    # path (regex), times (-1: always)}
    "holds": [],
}
HELD = {}       # name -> requests waiting now
RELEASE = {}    # name -> the Event they wait on
STATE = {"discussions": {}, "reviews": {}, "review_comments": {}, "statuses": [], "next_id": 100}
BOT = {"id": 42, "username": "pysec-bot", "login": "pysec-bot"}


def next_id():
    STATE["next_id"] += 1
    return STATE["next_id"]


def added_lines(repo, base, head):
    """{path: set(lines)} that diff(base, head) adds, as the forge's diff view shows them."""
    out = subprocess.run(["git", "-C", repo, "-c", "core.quotePath=false", "diff", "--no-color", "-U0", "-M",
                          base, head], capture_output=True, text=True, errors="replace").stdout
    lines, path = {}, None
    for l in out.splitlines():
        if l.startswith("+++ "):
            path = l[6:] if l.startswith("+++ b/") else None
            if path is not None:
                lines.setdefault(path, set())
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", l)
        if m and path is not None:
            start, count = int(m.group(1)), int(m.group(2) or "1")
            lines[path].update(range(start, start + count))
    return lines


def form_nested(fields):
    """position[new_line]=3 -> {"position": {"new_line": "3"}}, as Rails reads form fields."""
    out = {}
    for key, values in fields.items():
        value = values[-1]
        m = re.match(r"^([^\[]+)\[([^\]]+)\]$", key)
        if m:
            out.setdefault(m.group(1), {})[m.group(2)] = value
        else:
            out[key] = value
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "forge-standin/1"

    def log_message(self, fmt, *args):
        pass

    # --- plumbing -------------------------------------------------------------

    def reply(self, status, body=None, headers=None, text=None):
        if text is not None:
            data = text.encode()
            ctype = "text/plain"
        elif body is None:
            data = b""
            ctype = None
        else:
            data = json.dumps(body).encode()
            ctype = "application/json"
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)
        self.entry["status"] = status

    def problem(self, text):
        self.entry["problems"].append(text)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        self.entry["content_type"] = ctype
        if not raw:
            return {}
        if ctype == "application/json" or self.raw_path.startswith("/_"):
            try:
                return json.loads(raw)
            except ValueError:
                self.problem("body is not JSON")
                return {}
        if ctype == "application/x-www-form-urlencoded":
            return form_nested(urllib.parse.parse_qs(raw.decode(), keep_blank_values=True))
        self.problem("unexpected content type %r" % ctype)
        return {}

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        self.raw_path = url.path
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        self.entry = {"t": time.time(), "method": self.command, "path": url.path, "query": self.query,
                      "problems": [], "fault": False, "user_agent": self.headers.get("User-Agent")}
        with LOCK:
            self.body = self.read_body() if self.command in ("POST", "PUT") else {}
            self.entry["body"] = self.body
            if url.path.startswith("/_"):
                self.control()
                return
            LOG.append(self.entry)
            delay = self.take_delay()
            hold = self.take_hold()
        if delay:
            time.sleep(delay)  # a slow server: the client's timeout should end the wait
        if hold:
            RELEASE[hold].wait()
            with LOCK:
                HELD[hold] -= 1
        with LOCK:
            try:
                if "token" in self.query or "private_token" in self.query or "access_token" in self.query:
                    self.problem("token in the URL")
                if not self.check_auth():
                    return
                if self.fault():
                    return
                self.route()
            except (BrokenPipeError, ConnectionResetError):
                self.entry["status"] = "client gone"
            except Exception as e:  # a bug here must show, not hang the client
                self.problem("server error: %r" % e)
                self.reply(500, {"message": "500 Internal Server Error"})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def check_auth(self):
        token = CONFIG["token"]
        gitlab = self.raw_path.startswith("/api/v4/")
        got = None
        if gitlab:
            got = self.headers.get("PRIVATE-TOKEN")
            auth = self.headers.get("Authorization") or ""
            if got is None and auth.startswith("Bearer "):
                got = auth[7:]
        else:
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("token "):
                got = auth[6:]
        self.entry["auth"] = "missing" if got is None else "ok" if got == token else "bad"
        if self.entry["auth"] == "ok":
            return True
        msg = "401 Unauthorized" if gitlab else "token is required"
        if CONFIG["echo_token"] and got:
            msg += " (got %s)" % got
        self.reply(401, {"message": msg} if gitlab else {"message": msg, "url": "http://gitea.local/api/swagger"})
        return False

    def take_delay(self):
        """Seconds to stall this request: faults with "delay" (and times, as the others)."""
        for f in CONFIG["faults"]:
            if "delay" not in f or f.get("method", "*") not in ("*", self.command):
                continue
            if not re.search(f.get("path", ""), self.raw_path) or f.get("times", -1) == 0:
                continue
            if f.get("times", -1) > 0:
                f["times"] -= 1
            self.entry["delayed"] = True
            return f["delay"]
        return 0

    def take_hold(self):
        """The name of a hold this request is to wait under (counted as held), or None.  Under LOCK."""
        for h in CONFIG["holds"]:
            if h.get("method", "*") not in ("*", self.command) or not re.search(h.get("path", ""), self.raw_path):
                continue
            if h.get("times", -1) == 0:
                continue
            if h.get("times", -1) > 0:
                h["times"] -= 1
            name = h["name"]
            if name not in RELEASE or RELEASE[name].is_set():
                RELEASE[name] = threading.Event()
            HELD[name] = HELD.get(name, 0) + 1
            self.entry["held"] = name
            return name
        return None

    def fault(self):
        if self.entry.get("delayed"):
            return False  # it woke up late: the faults set by now are for later requests
        for f in CONFIG["faults"]:
            if "delay" in f:
                continue
            if f.get("method", "*") not in ("*", self.command):
                continue
            if not re.search(f.get("path", ""), self.raw_path):
                continue
            if f.get("skip", 0) > 0:
                f["skip"] -= 1
                continue
            if f.get("times", -1) == 0:
                continue
            if f.get("times", -1) > 0:
                f["times"] -= 1
            self.entry["fault"] = True
            body = f.get("body", {"message": "500 Internal Server Error"})
            if CONFIG["echo_token"]:
                tok = self.headers.get("PRIVATE-TOKEN") or self.headers.get("Authorization")
                body = {"message": "upstream said no to %s" % tok}
            if isinstance(body, str):
                self.reply(f.get("status", 500), headers=f.get("headers"), text=body)
            else:
                self.reply(f.get("status", 500), body, headers=f.get("headers"))
            return True
        return False

    def control(self):
        if self.command == "POST" and self.raw_path == "/_control":
            for k, v in self.body.items():
                CONFIG[k] = v
            self.reply(200, {"ok": True})
        elif self.command == "GET" and self.raw_path == "/_log":
            self.reply(200, LOG)
        elif self.command == "POST" and self.raw_path == "/_log/clear":
            LOG.clear()
            self.reply(200, {"ok": True})
        elif self.command == "GET" and self.raw_path == "/_state":
            self.reply(200, STATE)
        elif self.command == "GET" and self.raw_path == "/_held":
            self.reply(200, HELD)
        elif self.command == "POST" and self.raw_path == "/_release":
            name = self.body.get("name")
            if name in RELEASE:
                RELEASE[name].set()
            self.reply(200, {"ok": True, "released": HELD.get(name, 0)})
        elif self.command == "POST" and self.raw_path == "/_seed/gitlab":
            # a discussion someone else wrote: {key: "7/3", body, resolved}
            key = self.body["key"]
            note = {"id": next_id(), "type": "DiscussionNote", "body": self.body["body"],
                    "author": {"id": 7, "username": "someone"}, "resolvable": True,
                    "resolved": self.body.get("resolved", False), "system": False}
            STATE["discussions"].setdefault(key, []).append(
                {"id": hashlib.sha1(str(note["id"]).encode()).hexdigest(), "individual_note": False,
                 "notes": [note]})
            self.reply(201, {"ok": True})
        else:
            self.reply(404, {"message": "no such control"})

    # --- pagination -------------------------------------------------------------

    def paginate(self, items, per_page_param, default, maximum, gitlab):
        try:
            page = max(1, int(self.query.get("page", "1")))
            per = int(self.query.get(per_page_param, str(default)))
        except ValueError:
            page, per = 1, default
        per = max(1, min(per, maximum))
        if CONFIG["page_size"]:
            per = min(per, CONFIG["page_size"])
        total = len(items)
        pages = max(1, (total + per - 1) // per)
        chunk = items[(page - 1) * per: page * per]
        host = "%s:%d" % self.server.server_address[:2]
        scheme = "https" if self.server.tls else "http"

        def link(p):
            q = dict(self.query)
            q["page"] = str(p)
            q[per_page_param] = str(per)
            return "<%s://%s%s?%s>" % (scheme, host, self.raw_path, urllib.parse.urlencode(q))
        links = []
        if page < pages:
            links.append('%s; rel="next"' % link(page + 1))
        if page > 1:
            links.append('%s; rel="prev"' % link(page - 1))
        links.append('%s; rel="first"' % link(1))
        links.append('%s; rel="last"' % link(pages))
        headers = {"Link": ", ".join(links)}
        if gitlab:
            headers.update({"x-page": page, "x-per-page": per, "x-total": total, "x-total-pages": pages,
                            "x-prev-page": page - 1 if page > 1 else ""})
            if not CONFIG["omit_next_page_header"]:
                headers["x-next-page"] = page + 1 if page < pages else ""
        else:
            headers["x-total-count"] = total
        return chunk, headers

    # --- routes -------------------------------------------------------------------

    def route(self):
        p = self.raw_path
        m = re.match(r"^/api/v4/projects/([^/]+)/(.*)$", p)
        if m:
            return self.gitlab(urllib.parse.unquote(m.group(1)), m.group(1), m.group(2))
        m = re.match(r"^/api/v1/repos/([^/]+)/([^/]+)/(.*)$", p)
        if m:
            return self.gitea("%s/%s" % (urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2))),
                              m.group(3))
        self.reply(404, {"message": "404 Not Found"})

    # GitLab ---------------------------------------------------------------------------

    def gitlab(self, pid, raw_pid, rest):
        projects = CONFIG["gitlab"]["projects"]
        proj_id = pid if pid in projects else next((k for k, v in projects.items() if v.get("path") == pid), None)
        if proj_id is None:
            return self.reply(404, {"message": "404 Project Not Found"})
        if "/" in pid and "%2F" not in raw_pid.upper():
            self.problem("project path not URL-encoded")
        proj = projects[proj_id]
        m = re.match(r"^statuses/([0-9a-f]{40})$", rest)
        if m and self.command == "POST":
            return self.gitlab_status(proj_id, proj, m.group(1))
        m = re.match(r"^merge_requests/(\d+)(/.*)?$", rest)
        if not m:
            return self.reply(404, {"message": "404 Not Found"})
        iid, sub = m.group(1), m.group(2) or ""
        mr = proj["mrs"].get(iid)
        if mr is None:
            return self.reply(404, {"message": "404 Merge Request Not Found"})
        key = "%s/%s" % (proj_id, iid)
        if sub == "" and self.command == "GET":
            refs = {"base_sha": mr["base"], "start_sha": mr["start"], "head_sha": mr["head"]}
            return self.reply(200, {"id": 1000 + int(iid), "iid": int(iid), "project_id": int(proj_id),
                                    "state": "opened", "sha": mr["head"], "source_branch": "topic",
                                    "target_branch": "main",
                                    "diff_refs": refs if mr.get("diff_refs", True) else None})
        if sub == "/versions" and self.command == "GET":
            return self.reply(200, [{"id": 1, "head_commit_sha": mr["head"], "base_commit_sha": mr["base"],
                                     "start_commit_sha": mr["start"], "state": "collected",
                                     "merge_request_id": 1000 + int(iid), "real_size": "1"}])
        discussions = STATE["discussions"].setdefault(key, [])
        if sub == "/discussions" and self.command == "GET":
            chunk, headers = self.paginate(discussions, "per_page", 20, 100, True)
            return self.reply(200, chunk, headers)
        if sub == "/discussions" and self.command == "POST":
            return self.gitlab_discuss(proj, mr, discussions)
        m = re.match(r"^/discussions/([0-9a-f]+)$", sub)
        if m and self.command == "PUT":
            d = next((d for d in discussions if d["id"] == m.group(1)), None)
            if d is None:
                return self.reply(404, {"message": "404 Not found"})
            if self.query.get("resolved") not in ("true", "false"):
                self.problem("resolve without resolved=true|false")
                return self.reply(400, {"error": "resolved is missing"})
            for n in d["notes"]:
                if n.get("resolvable"):
                    n["resolved"] = self.query["resolved"] == "true"
            return self.reply(200, d)
        self.reply(404, {"message": "404 Not Found"})

    def gitlab_discuss(self, proj, mr, discussions):
        b = self.body
        if not isinstance(b.get("body"), str) or not b["body"]:
            return self.reply(400, {"error": "body is missing"})
        if not b["body"].startswith("<!-- pysec:"):
            self.problem("body does not start with the pysec marker")
        pos = b.get("position")
        note = {"id": next_id(), "body": b["body"], "author": BOT, "resolvable": True, "resolved": False,
                "system": False, "type": "DiscussionNote"}
        if pos is not None:
            for k in ("base_sha", "start_sha", "head_sha", "new_path", "old_path", "new_line"):
                if k not in pos:
                    self.problem("position without %s" % k)
            if pos.get("position_type") != "text":
                self.problem("position_type is not text")
            if "old_line" in pos:
                self.problem("old_line sent for an added line")
            if (pos.get("base_sha"), pos.get("start_sha"), pos.get("head_sha")) != \
                    (mr["base"], mr["start"], mr["head"]):
                self.problem("position SHAs are not the merge request's diff_refs")
                return self.line_code()
            try:
                line = int(pos.get("new_line"))
            except (TypeError, ValueError):
                return self.line_code()
            path = pos.get("new_path")
            if line not in added_lines(proj["repo"], mr["base"], mr["head"]).get(path, set()) or \
                    line in CONFIG["reject_lines"].get(path, []) or "old_line" in pos:
                return self.line_code()
            note["type"] = "DiffNote"
            note["position"] = dict(pos, new_line=line, old_line=None)
        d = {"id": hashlib.sha1(str(note["id"]).encode()).hexdigest(), "individual_note": False, "notes": [note]}
        discussions.append(d)
        self.reply(201, d)

    def line_code(self):
        self.reply(400, {"message": "400 Bad request - Note {:line_code=>[\"can't be blank\", "
                                    "\"must be a valid line code\"]}"})

    def gitlab_status(self, proj_id, proj, sha):
        b = self.body
        if b.get("state") not in ("pending", "running", "success", "failed", "canceled", "skipped"):
            return self.reply(400, {"error": "state does not have a valid value"})
        if not (b.get("name") or b.get("context")):
            self.problem("status without a name")
        heads = [mr["head"] for mr in proj["mrs"].values()]
        if sha not in heads:
            self.problem("status on a commit that is no merge request's head")
        st = {"id": next_id(), "sha": sha, "status": b["state"], "name": b.get("name") or b.get("context"),
              "description": b.get("description"), "target_url": b.get("target_url"), "forge": "gitlab",
              "project": proj_id}
        STATE["statuses"].append(st)
        self.reply(201, st)

    # Gitea ----------------------------------------------------------------------------

    def gitea(self, full, rest):
        repo = CONFIG["gitea"]["repos"].get(full)
        if repo is None:
            return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})
        m = re.match(r"^statuses/([0-9a-f]{40})$", rest)
        if m and self.command == "POST":
            return self.gitea_status(full, repo, m.group(1))
        m = re.match(r"^issues/comments/(\d+)$", rest)
        if m and self.command == "DELETE":
            cid = int(m.group(1))
            for comments in STATE["review_comments"].values():
                for c in comments:
                    if c["id"] != cid:
                        continue
                    comments.remove(c)
                    for reviews in STATE["reviews"].values():
                        for r in reviews:
                            if r["id"] == c["pull_request_review_id"]:
                                r["comments_count"] -= 1
                    return self.reply(204)
            return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})
        m = re.match(r"^pulls/(\d+)(\.diff)?(/.*)?$", rest)
        if not m:
            return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})
        index, diff, sub = m.group(1), m.group(2), m.group(3) or ""
        pr = repo["pulls"].get(index)
        if pr is None:
            return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})
        key = "%s/%s" % (full, index)
        if diff and self.command == "GET":
            out = subprocess.run(["git", "-C", repo["repo"], "diff", pr["merge_base"], pr["head"]],
                                 capture_output=True, text=True).stdout
            return self.reply(200, text=out)
        if sub == "" and self.command == "GET":
            return self.reply(200, {"id": 2000 + int(index), "number": int(index), "state": "open",
                                    "head": {"sha": pr["head"], "ref": "topic"},
                                    "base": {"sha": pr["base"], "ref": "main"},
                                    "merge_base": pr["merge_base"]})
        reviews = STATE["reviews"].setdefault(key, [])
        if sub == "/reviews" and self.command == "GET":
            chunk, headers = self.paginate(reviews, "limit", 30, 50, False)
            return self.reply(200, chunk, headers)
        if sub == "/reviews" and self.command == "POST":
            return self.gitea_review(repo, pr, key, reviews)
        m = re.match(r"^/reviews/(\d+)/comments$", sub)
        if m and self.command == "GET":
            rid = int(m.group(1))
            if not any(r["id"] == rid for r in reviews):
                return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})
            return self.reply(200, STATE["review_comments"].get("%s#%d" % (key, rid), []))
        self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})

    def gitea_review(self, repo, pr, key, reviews):
        b = self.body
        event = b.get("event") or ""
        if event not in ("COMMENT", "REQUEST_CHANGES", "APPROVED", "PENDING"):
            self.problem("event %r makes a PENDING review nobody sees" % event)
            event = "PENDING"
        if event == "PENDING":
            self.problem("PENDING review")
        if event in ("REQUEST_CHANGES", "APPROVED") and pr.get("own"):
            return self.reply(422, {"errors": None, "message": "reject your own pull is not allowed", "url": ""})
        if event == "REQUEST_CHANGES" and not b.get("body"):
            return self.reply(422, {"errors": None, "message": "review event REQUEST_CHANGES requires a body",
                                    "url": ""})
        if b.get("commit_id") != pr["head"]:
            self.problem("commit_id is not the pull request's head")
        if not (b.get("body") or "").startswith("<!-- pysec:"):
            self.problem("review body does not start with the pysec marker")
        added = added_lines(repo["repo"], pr["merge_base"], pr["head"])
        rid = next_id()
        comments = []
        for c in b.get("comments") or []:
            newp, oldp = int(c.get("new_position") or 0), int(c.get("old_position") or 0)
            if newp and oldp:
                self.problem("both new_position and old_position")
            if not c.get("path") or not c.get("body"):
                self.problem("comment without path or body")
            if newp and newp not in added.get(c.get("path"), set()):
                # Gitea accepts it; it shows up detached from the diff
                self.problem("inline comment outside the diff: %s:%d" % (c.get("path"), newp))
            comments.append({"id": next_id(), "body": c.get("body"), "path": c.get("path"), "position": newp,
                             "original_position": newp, "commit_id": b.get("commit_id"),
                             "pull_request_review_id": rid, "user": BOT})
        review = {"id": rid, "body": b.get("body") or "", "state": event, "commit_id": b.get("commit_id"),
                  "comments_count": len(comments), "user": BOT, "official": False, "stale": False}
        reviews.append(review)
        STATE["review_comments"]["%s#%d" % (key, rid)] = comments
        self.reply(200, review)

    def gitea_status(self, full, repo, sha):
        b = self.body
        if b.get("state") not in ("pending", "success", "error", "failure", "warning"):
            return self.reply(422, {"errors": None, "message": "invalid state", "url": ""})
        if sha not in [p["head"] for p in repo["pulls"].values()]:
            self.problem("status on a commit that is no pull request's head")
        st = {"id": next_id(), "sha": sha, "status": b["state"], "context": b.get("context"),
              "description": b.get("description"), "target_url": b.get("target_url"), "forge": "gitea",
              "repo": full}
        STATE["statuses"].append(st)
        self.reply(201, st)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.tls = bool(args.tls_cert)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("port %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
