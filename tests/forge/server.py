#!/usr/bin/env python3
"""A stand-in for GitLab (REST v4), Gitea (API v1) and GitHub (REST, as GitHub
Enterprise Server serves it under /api/v3), for the review tests.

It implements the endpoints pysec uses with the real servers' status codes,
bodies and rules, written from their documentation and (Gitea) source, and
keeps to them where pysec depends on them:

- Each token is a user (CONFIG["token"] is pysec's bot, CONFIG["users"]
  more), and everything posted carries its author, so a test can plant a
  comment with pysec's marker written by somebody else.  GET /user (GitLab:
  /api/v4/user) says who a token is; a GitHub Actions token ("integration")
  gets 403 "Resource not accessible by integration" there.
- Gitea (routers/api/v1/repo/issue_comment.go, deleteIssueComment): DELETE
  /issues/comments/{id} of a review's code comment answers 204 and deletes
  nothing; PATCH edits it; DELETE /pulls/{n}/reviews/{id} (the reviewer or
  an admin) deletes a review with all its code comments, replies included
  (models/issues/review.go, DeleteReview); dismissals are for repository
  admins only ("Must be repo admin", pull_review.go dismissReview).
- A reviewer's REQUEST_CHANGES (Gitea) / CHANGES_REQUESTED (GitHub) stays
  in force until that reviewer approves or rejects again, or it is dismissed
  or deleted; a later COMMENT changes nothing (review.go: official only moves
  on approve/reject).  /_state shows who blocks each pull request.
  Nobody may approve or reject their own pull request (422).
- GitHub refuses a whole review (422) when one comment is not on a line of
  the diff; every request needs a User-Agent (403 without); lists page with
  Link; every answer has x-ratelimit-* headers, and when the primary limit
  is spent (CONFIG["github_remaining"]) requests get 403 with
  x-ratelimit-remaining 0 until x-ratelimit-reset.  Secondary limits (403
  or 429 with retry-after) come from injected faults.

Standard library only.

    python3 server.py [--tls-cert CERT --tls-key KEY]

prints "port N" once it listens on 127.0.0.1 (an ephemeral port).  Control,
without auth:

    POST /_control  JSON merged into the configuration (see CONFIG below)
    GET  /_log      the requests so far, a JSON list
    POST /_log/clear
    GET  /_state    discussions, reviews, comments, statuses, and who blocks
    POST /_seed/gitea_reply  {key: "owner/repo/5", review, token, body}: a reply
                    in a review's thread, as Gitea's web UI adds it (its API
                    has no reply endpoint)
    GET  /_held     {name: requests held now}, for the holds in CONFIG
    POST /_release  {"name": N}: the requests held under N go on
    GET  /_settled  {"pending": connections not yet accepted, "open": connections
                    being served, this one included}: once a client is gone
                    (killed), pending false and open 1 say that everything it
                    sent has been read and done

Each log entry: method, path, query, auth ("ok", "missing", "bad"), user,
body (parsed: JSON, or form fields nested as GitLab reads them), status,
fault (true when injected), problems (what a real forge would refuse or
what breaks its contract: a token in the URL, old_line on an added line,
a pending Gitea review, an inline comment outside the diff, ...).
"""
import argparse
import hashlib
import json
import os
import re
import select
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
    # pysec's bot: its token
    "token": "",
    # more users, by token: {id, login, admin (may dismiss on Gitea), integration
    # (a GitHub Actions token: no /user)}
    "users": {},
    # the bot's own user, when a test wants it to be someone else (a GitHub Actions token)
    "bot": None,
    # GitLab: projects by id, each with its path, the repository the diffs
    # are computed from, and merge requests by iid: {base, start, head,
    # diff_refs (false: only versions have them)}
    "gitlab": {"projects": {}},
    # Gitea: repositories by "owner/repo", each with the repository and its
    # pulls by index: {base, head, merge_base, own (the bot opened it),
    # no_base_sha (answer without base.sha, as a pull request whose base
    # branch is gone does)}
    "gitea": {"repos": {}},
    # GitHub: repositories by "owner/repo": {repo, pulls: {number: {base, head, own}}}
    "github": {"repos": {}},
    # GitHub's primary rate limit: requests left in the current window (None:
    # plenty), and the seconds until it ends (then the whole 5000 again)
    "github_remaining": None,
    "github_window": 2,
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
    # path (regex), times (-1: always), pids (only the requests of these
    # processes; needs peer_pids)}
    "holds": [],
    # log the process id of each request's client ("pid"), read from /proc:
    # several daemons on one machine told apart
    "peer_pids": False,
}
HELD = {}       # name -> requests waiting now
OPEN = [0]      # connections accepted and not yet closed (under OPEN_LOCK)
OPEN_LOCK = threading.Lock()
RELEASE = {}    # name -> the Event they wait on
STATE = {"discussions": {}, "reviews": {}, "review_comments": {}, "statuses": [], "next_id": 100,
         "gh_reviews": {}, "gh_comments": {}, "gh_reset_at": 0, "gh_left": None}
BOT = {"id": 42, "login": "pysec-bot"}
GH_DOCS = "https://docs.github.com/rest"


def peer_pid(port, server_port):
    """The process on this machine that holds the client end of a connection to the
    stand-in, from the client's port: /proc/net/tcp names the socket's inode, and
    /proc/PID/fd who holds it.  None when it cannot be told (another namespace,
    a process gone)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            # a connection of earlier on the same ports may linger (TIME_WAIT: no inode)
            if (int(f[1].rsplit(":", 1)[1], 16) == port and int(f[2].rsplit(":", 1)[1], 16) == server_port and
                    f[9] != "0"):
                inode = f[9]
                break
        if inode:
            break
    if not inode:
        return None
    want = "socket:[%s]" % inode
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if not open("/proc/%s/comm" % pid).read().startswith(("pysec", "git-pysec")):
                continue
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == want:
                    return int(pid)
        except OSError:
            continue
    return None


def next_id():
    STATE["next_id"] += 1
    return STATE["next_id"]


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), capture_output=True).stdout


DIFFS = {}  # (repo, base, head) -> diff_files' answer, for commits named by their ids (they never change)


def diff_files(repo, base, head):
    """{path: (set(lines added), old path)} of diff(base, head), as the forge's diff view shows it.

    A forge computes a merge request's diff once, not per comment: between
    two commit ids it is kept (3 git processes a comment made the stand-in,
    not pysec, the pace of the webhook benchmark's reviews)."""
    key = (repo, base, head)
    if key not in DIFFS:
        files = compute_diff_files(repo, base, head)
        if all(re.fullmatch(r"[0-9a-f]{40}", c or "") for c in (base, head)):
            DIFFS[key] = files
        return files
    return DIFFS[key]


def compute_diff_files(repo, base, head):
    """Names are read NUL-separated and each file's hunks asked for apart, so a
    name with a newline, a quote or non-UTF-8 bytes is taken as it is."""
    raw = git(repo, "diff", "--no-color", "-z", "-M", "--name-status", base, head).split(b"\0")
    out, i = {}, 0
    while i < len(raw) - 1:
        status = raw[i].decode()
        if status[:1] in ("R", "C"):
            old, new, i = raw[i + 1], raw[i + 2], i + 3
        else:
            old = new = raw[i + 1]
            i += 2
        if status[:1] == "D":
            continue
        path = new.decode("utf-8", "surrogateescape")
        lines = set()
        out[path] = (lines, old.decode("utf-8", "surrogateescape"))
        patch = git(repo, "diff", "--no-color", "-U0", "-M", base, head, "--",
                    b":(literal)" + old, b":(literal)" + new)
        for l in patch.split(b"\n"):
            m = re.match(rb"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", l)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or b"1")
                lines.update(range(start, start + count))
    return out


def added_lines(repo, base, head):
    """{path: set(lines)} that diff(base, head) adds."""
    return {p: v[0] for p, v in diff_files(repo, base, head).items()}


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


def marker(body):
    return (body or "").startswith("<!-- pysec:")


def the_bot():
    return CONFIG["bot"] or BOT


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
        for k, v in dict(self.extra_headers, **(headers or {})).items():
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
        self.extra_headers = {}
        self.user = None
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        self.entry = {"t": time.time(), "method": self.command, "path": url.path, "query": self.query,
                      "problems": [], "fault": False, "user_agent": self.headers.get("User-Agent"),
                      "accept": self.headers.get("Accept")}
        if CONFIG["peer_pids"] and not url.path.startswith("/_"):
            # /proc/net/tcp is read in pieces, and may miss a socket while the table changes: asked again
            for _ in range(5):
                if getattr(self, "peer", None) is None:
                    self.peer = peer_pid(self.client_address[1], self.server.server_address[1])
            self.entry["pid"] = self.peer
        with LOCK:
            self.body = self.read_body() if self.command in ("POST", "PUT", "PATCH") else {}
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
                if self.raw_path.startswith("/api/v3/"):
                    self.github_limits()
                if not self.check_auth():
                    return
                if self.raw_path.startswith("/api/v3/") and not self.github_admitted():
                    return
                if self.fault():
                    return
                self.route()
            except (BrokenPipeError, ConnectionResetError):
                self.entry["status"] = "client gone"
            except Exception as e:  # a bug here must show, not hang the client
                self.problem("server error: %r" % e)
                self.reply(500, {"message": "500 Internal Server Error"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def user_of(self, token):
        if token and token == CONFIG["token"]:
            return the_bot()
        return CONFIG["users"].get(token) if token else None

    def touches_foreign(self, author_id, author_login):
        """pysec writes, resolves, edits and deletes only what its own user wrote."""
        if self.user is the_bot() and author_id != self.user["id"]:
            self.problem("%s %s touched what %s wrote" % (self.command, self.raw_path, author_login))

    def check_auth(self):
        p = self.raw_path
        auth = self.headers.get("Authorization") or ""
        got = None
        if p.startswith("/api/v4/"):
            got = self.headers.get("PRIVATE-TOKEN")
            if got is None and auth.startswith("Bearer "):
                got = auth[7:]
        elif p.startswith("/api/v3/"):
            # GitHub takes "Bearer" (documented) and "token"
            for scheme in ("Bearer ", "token "):
                if auth.startswith(scheme):
                    got = auth[len(scheme):]
        elif auth.startswith("token "):
            got = auth[6:]
        self.user = self.user_of(got)
        self.entry["auth"] = "missing" if got is None else "ok" if self.user else "bad"
        self.entry["user"] = self.user["login"] if self.user else None
        if self.user:
            return True
        if p.startswith("/api/v4/"):
            msg = {"message": "401 Unauthorized"}
        elif p.startswith("/api/v3/"):
            msg = {"message": "Requires authentication" if got is None else "Bad credentials",
                   "documentation_url": GH_DOCS, "status": "401"}
        else:
            msg = {"message": "token is required", "url": "http://gitea.local/api/swagger"}
        if CONFIG["echo_token"] and got:
            msg["message"] += " (got %s)" % got
        self.reply(401, msg)
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
            if "pids" in h and self.entry.get("pid") not in h["pids"]:
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
            if "github_remaining" in self.body:
                STATE["gh_left"], STATE["gh_reset_at"] = None, 0
            self.reply(200, {"ok": True})
        elif self.command == "GET" and self.raw_path == "/_log":
            self.reply(200, LOG)
        elif self.command == "POST" and self.raw_path == "/_log/clear":
            LOG.clear()
            self.reply(200, {"ok": True})
        elif self.command == "GET" and self.raw_path == "/_state":
            self.reply(200, dict(STATE, gitea_blocked=self.gitea_blocked(), github_blocked=self.github_blocked()))
        elif self.command == "GET" and self.raw_path == "/_held":
            self.reply(200, HELD)
        elif self.command == "GET" and self.raw_path == "/_settled":
            # the accept queue first: a connection taken from it after this look is already counted open
            pending = bool(select.select([self.server.socket], [], [], 0)[0])
            with OPEN_LOCK:
                n = OPEN[0]
            self.reply(200, {"pending": pending, "open": n})
        elif self.command == "POST" and self.raw_path == "/_release":
            name = self.body.get("name")
            if name in RELEASE:
                RELEASE[name].set()
            self.reply(200, {"ok": True, "released": HELD.get(name, 0)})
        elif self.command == "POST" and self.raw_path == "/_seed/gitea_reply":
            user = self.user_of(self.body["token"])
            comments = STATE["review_comments"]["%s#%d" % (self.body["key"], self.body["review"])]
            first = comments[0]
            comments.append({"id": next_id(), "body": self.body["body"], "path": first["path"],
                             "position": first["position"], "original_position": first["position"],
                             "commit_id": first["commit_id"], "pull_request_review_id": self.body["review"],
                             "user": self.gitea_user(user)})
            self.reply(201, {"ok": True})
        else:
            self.reply(404, {"message": "no such control"})

    # --- pagination -------------------------------------------------------------

    def paginate(self, items, per_page_param, default, maximum, kind):
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
        # GitHub sends first and last only where they differ from this page
        if kind != "github" or page > 1:
            links.append('%s; rel="first"' % link(1))
        if kind != "github" or page < pages:
            links.append('%s; rel="last"' % link(pages))
        headers = {"Link": ", ".join(links)} if links else {}
        if kind == "gitlab":
            headers.update({"x-page": page, "x-per-page": per, "x-total": total, "x-total-pages": pages,
                            "x-prev-page": page - 1 if page > 1 else ""})
            if not CONFIG["omit_next_page_header"]:
                headers["x-next-page"] = page + 1 if page < pages else ""
        elif kind == "gitea":
            headers["x-total-count"] = total
        return chunk, headers

    # --- routes -------------------------------------------------------------------

    def route(self):
        p = self.raw_path
        if p == "/api/v4/user" and self.command == "GET":
            return self.reply(200, {"id": self.user["id"], "username": self.user["login"],
                                    "name": self.user["login"], "bot": self.user is the_bot()})
        if p == "/api/v1/user" and self.command == "GET":
            return self.reply(200, self.gitea_user(self.user))
        if p == "/api/v3/user" and self.command == "GET":
            if self.user.get("integration"):
                return self.reply(403, {"message": "Resource not accessible by integration",
                                        "documentation_url": GH_DOCS + "/users/users#get-the-authenticated-user",
                                        "status": "403"})
            return self.reply(200, self.github_user(self.user))
        m = re.match(r"^/api/v4/projects/([^/]+)/(.*)$", p)
        if m:
            return self.gitlab(urllib.parse.unquote(m.group(1)), m.group(1), m.group(2))
        m = re.match(r"^/api/v1/repos/([^/]+)/([^/]+)/(.*)$", p)
        if m:
            return self.gitea("%s/%s" % (urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2))),
                              m.group(3))
        m = re.match(r"^/api/v3/repos/([^/]+)/([^/]+)/(.*)$", p)
        if m:
            return self.github("%s/%s" % (urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2))),
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
            chunk, headers = self.paginate(discussions, "per_page", 20, 100, "gitlab")
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
            self.touches_foreign(d["notes"][0]["author"]["id"], d["notes"][0]["author"]["username"])
            for n in d["notes"]:
                if n.get("resolvable"):
                    n["resolved"] = self.query["resolved"] == "true"
            return self.reply(200, d)
        self.reply(404, {"message": "404 Not Found"})

    def gitlab_author(self):
        return {"id": self.user["id"], "username": self.user["login"], "name": self.user["login"]}

    def gitlab_discuss(self, proj, mr, discussions):
        b = self.body
        if not isinstance(b.get("body"), str) or not b["body"]:
            return self.reply(400, {"error": "body is missing"})
        if not marker(b["body"]) and self.user is the_bot():
            self.problem("body does not start with the pysec marker")
        pos = b.get("position")
        note = {"id": next_id(), "body": b["body"], "author": self.gitlab_author(), "resolvable": True,
                "resolved": False, "system": False, "type": "DiscussionNote"}
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
            files = diff_files(proj["repo"], mr["base"], mr["head"])
            lines, old = files.get(path, (set(), path))
            if pos.get("old_path") != old:
                # GitLab finds the line by both names: a wrong old_path is no line of its diff
                self.problem("old_path %r for %r, not the name before the change" % (pos.get("old_path"), path))
                return self.line_code()
            if line not in lines or line in CONFIG["reject_lines"].get(path, []) or "old_line" in pos:
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

    def gitea_user(self, user):
        return {"id": user["id"], "login": user["login"], "full_name": "", "is_admin": bool(user.get("admin"))}

    def gitea_404(self):
        return self.reply(404, {"errors": None, "message": "The target couldn't be found.", "url": ""})

    def gitea_author(self, pr):
        return pr.get("author") or (the_bot()["login"] if pr.get("own") else "someone")

    def gitea_blocked(self):
        """{pull: [reviewers whose request for changes is in force]}: official, not dismissed (review.go)."""
        out = {}
        for key, reviews in STATE["reviews"].items():
            out[key] = sorted({r["user"]["login"] for r in reviews
                               if r["state"] == "REQUEST_CHANGES" and r["official"] and not r["dismissed"]})
        return out

    def gitea(self, full, rest):
        repo = CONFIG["gitea"]["repos"].get(full)
        if repo is None:
            return self.gitea_404()
        m = re.match(r"^statuses/([0-9a-f]{40})$", rest)
        if m and self.command == "POST":
            return self.gitea_status(full, repo, m.group(1))
        m = re.match(r"^issues/comments/(\d+)$", rest)
        if m and self.command in ("DELETE", "PATCH"):
            return self.gitea_issue_comment(int(m.group(1)))
        m = re.match(r"^pulls/(\d+)(\.diff)?(/.*)?$", rest)
        if not m:
            return self.gitea_404()
        index, diff, sub = m.group(1), m.group(2), m.group(3) or ""
        pr = repo["pulls"].get(index)
        if pr is None:
            return self.gitea_404()
        key = "%s/%s" % (full, index)
        if diff and self.command == "GET":
            out = subprocess.run(["git", "-C", repo["repo"], "diff", pr["merge_base"], pr["head"]],
                                 capture_output=True, text=True).stdout
            return self.reply(200, text=out)
        if sub == "" and self.command == "GET":
            answer = {"id": 2000 + int(index), "number": int(index), "state": "open",
                      "user": {"login": self.gitea_author(pr)},
                      "head": {"sha": pr["head"], "ref": "topic"},
                      "base": {"sha": pr["base"], "ref": "main"},
                      "merge_base": pr["merge_base"]}
            if pr.get("no_base_sha"):
                del answer["base"]["sha"]
            return self.reply(200, answer)
        reviews = STATE["reviews"].setdefault(key, [])
        if sub == "/reviews" and self.command == "GET":
            for r in reviews:
                r["comments_count"] = len(STATE["review_comments"].get("%s#%d" % (key, r["id"]), []))
            chunk, headers = self.paginate(reviews, "limit", 30, 50, "gitea")
            return self.reply(200, chunk, headers)
        if sub == "/reviews" and self.command == "POST":
            return self.gitea_review(repo, pr, key, reviews)
        m = re.match(r"^/reviews/(\d+)(/comments|/dismissals)?$", sub)
        if m:
            rid = int(m.group(1))
            review = next((r for r in reviews if r["id"] == rid), None)
            if review is None:
                return self.gitea_404()
            if m.group(2) == "/comments" and self.command == "GET":
                return self.reply(200, STATE["review_comments"].get("%s#%d" % (key, rid), []))
            if m.group(2) is None and self.command == "DELETE":
                return self.gitea_delete_review(key, reviews, review)
            if m.group(2) == "/dismissals" and self.command == "POST":
                return self.gitea_dismiss(review)
        self.gitea_404()

    def gitea_issue_comment(self, cid):
        for comments in STATE["review_comments"].values():
            for c in comments:
                if c["id"] != cid:
                    continue
                # deleteIssueComment, editIssueComment: the poster, or anyone who may write (every user here)
                self.touches_foreign(c["user"]["id"], c["user"]["login"])
                if self.command == "DELETE":
                    # deleteIssueComment: a code comment answers 204 and is kept
                    return self.reply(204)
                c["body"] = self.body.get("body", c["body"])
                return self.reply(200, dict(c, html_url="", issue_url=""))
        return self.gitea_404()

    def gitea_delete_review(self, key, reviews, review):
        # DeletePullReview: the reviewer or an admin; DeleteReview takes every code comment of it along
        if review["user"]["id"] != self.user["id"] and not self.user.get("admin"):
            return self.reply(403, {"message": "", "url": ""})
        for c in STATE["review_comments"].get("%s#%d" % (key, review["id"]), []):
            self.touches_foreign(c["user"]["id"], c["user"]["login"])
        reviews.remove(review)
        STATE["review_comments"].pop("%s#%d" % (key, review["id"]), None)
        if review["official"]:
            # restoreLatestOfficialReview: the reviewer's newest approval or rejection is official again
            rest = [r for r in reviews if r["user"]["id"] == review["user"]["id"]
                    and r["state"] in ("APPROVED", "REQUEST_CHANGES")]
            if rest:
                rest[-1]["official"] = True
        return self.reply(204)

    def gitea_dismiss(self, review):
        self.touches_foreign(review["user"]["id"], review["user"]["login"])
        if not self.user.get("admin"):
            return self.reply(403, {"message": "Must be repo admin", "url": ""})
        if review["state"] not in ("APPROVED", "REQUEST_CHANGES"):
            return self.reply(403, {"message": "not need to dismiss this review because it's type is not "
                                               "Approve or change request", "url": ""})
        if not (self.body.get("message") or "").strip():
            self.problem("dismissal without a message")
        review["dismissed"] = True
        return self.reply(200, review)

    def gitea_review(self, repo, pr, key, reviews):
        b = self.body
        event = b.get("event") or ""
        if event not in ("COMMENT", "REQUEST_CHANGES", "APPROVED", "PENDING"):
            self.problem("event %r makes a PENDING review nobody sees" % event)
            event = "PENDING"
        if event == "PENDING":
            self.problem("PENDING review")
        if event in ("REQUEST_CHANGES", "APPROVED") and self.gitea_author(pr) == self.user["login"]:
            verb = "reject" if event == "REQUEST_CHANGES" else "approve"
            return self.reply(422, {"errors": None, "message": "%s your own pull is not allowed" % verb, "url": ""})
        if event == "REQUEST_CHANGES" and not (b.get("body") or "").strip():
            return self.reply(422, {"errors": None, "message": "review event REQUEST_CHANGES requires a body",
                                    "url": ""})
        if b.get("commit_id") != pr["head"]:
            self.problem("commit_id is not the pull request's head")
        if not marker(b.get("body")) and self.user is the_bot():
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
                             "pull_request_review_id": rid, "user": self.gitea_user(self.user)})
        if event in ("APPROVED", "REQUEST_CHANGES"):
            # SubmitReview: only the reviewer's newest approval or rejection is official
            for r in reviews:
                if r["user"]["id"] == self.user["id"]:
                    r["official"] = False
        review = {"id": rid, "body": b.get("body") or "", "state": event, "commit_id": b.get("commit_id"),
                  "comments_count": len(comments), "user": self.gitea_user(self.user),
                  "official": event in ("APPROVED", "REQUEST_CHANGES"), "stale": False, "dismissed": False}
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

    # GitHub ----------------------------------------------------------------------------

    def github_user(self, user):
        return {"login": user["login"], "id": user["id"], "type": "Bot" if "[bot]" in user["login"] else "User"}

    def github_limits(self):
        """x-ratelimit-* on every answer; CONFIG["github_remaining"] requests a window when set."""
        now = int(time.time())
        if CONFIG["github_remaining"] is None:
            left, reset = 4999, now + 3600
        else:
            if STATE["gh_left"] is None:
                STATE["gh_left"] = CONFIG["github_remaining"]
                STATE["gh_reset_at"] = now + CONFIG["github_window"]
            elif now >= STATE["gh_reset_at"]:
                # a new window: the whole limit again
                STATE["gh_left"] = 5000
                STATE["gh_reset_at"] = now + 3600
            left, reset = STATE["gh_left"], STATE["gh_reset_at"]
        self.extra_headers.update({"x-ratelimit-limit": 5000, "x-ratelimit-remaining": left,
                                   "x-ratelimit-used": 5000 - left, "x-ratelimit-reset": reset,
                                   "x-ratelimit-resource": "core", "X-GitHub-Api-Version-Selected": "2022-11-28"})

    def github_admitted(self):
        if not self.headers.get("User-Agent"):
            self.problem("no User-Agent")
            self.reply(403, {"message": "Request forbidden by administrative rules. Please make sure your "
                                        "request has a User-Agent header (" + GH_DOCS + "/overview/resources-in-"
                                        "the-rest-api#user-agent-required)."})
            return False
        if "github" not in (self.headers.get("Accept") or ""):
            self.problem("Accept is not application/vnd.github+json")
        if CONFIG["github_remaining"] is not None:
            if STATE["gh_left"] <= 0:
                self.reply(403, {"message": "API rate limit exceeded for user ID %d." % self.user["id"],
                                 "documentation_url": GH_DOCS + "/using-the-rest-api/rate-limits-for-the-rest-api",
                                 "status": "403"})
                return False
            STATE["gh_left"] -= 1
            self.extra_headers["x-ratelimit-remaining"] = STATE["gh_left"]
        return True

    def github_404(self):
        return self.reply(404, {"message": "Not Found", "documentation_url": GH_DOCS, "status": "404"})

    def github_422(self, errors, message="Unprocessable Entity"):
        return self.reply(422, {"message": message, "errors": errors, "documentation_url": GH_DOCS,
                                "status": "422"})

    def github_blocked(self):
        """{pull: [reviewers]}: each reviewer's newest approval or request for changes decides; DISMISSED ends it."""
        out = {}
        for key, reviews in STATE["gh_reviews"].items():
            last = {}
            for r in reviews:
                if r["state"] in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                    last[r["user"]["login"]] = r["state"]
            out[key] = sorted(u for u, s in last.items() if s == "CHANGES_REQUESTED")
        return out

    def github(self, full, rest):
        repo = CONFIG["github"]["repos"].get(full)
        if repo is None:
            return self.github_404()
        m = re.match(r"^statuses/([0-9a-f]{40})$", rest)
        if m and self.command == "POST":
            return self.github_status(full, repo, m.group(1))
        m = re.match(r"^pulls/comments/(\d+)$", rest)
        if m and self.command in ("DELETE", "PATCH"):
            return self.github_edit_comment(int(m.group(1)))
        m = re.match(r"^pulls/(\d+)(/.*)?$", rest)
        if not m:
            return self.github_404()
        number, sub = m.group(1), m.group(2) or ""
        pr = repo["pulls"].get(number)
        if pr is None:
            return self.github_404()
        key = "%s/%s" % (full, number)
        reviews = STATE["gh_reviews"].setdefault(key, [])
        comments = STATE["gh_comments"].setdefault(key, [])
        if sub == "" and self.command == "GET":
            return self.reply(200, {"number": int(number), "state": "open",
                                    "user": {"login": self.github_author(pr)},
                                    "head": {"sha": pr["head"], "ref": "topic"},
                                    "base": {"sha": pr["base"], "ref": "main"}})
        if sub == "/reviews" and self.command == "GET":
            chunk, headers = self.paginate(reviews, "per_page", 30, 100, "github")
            return self.reply(200, chunk, headers)
        if sub == "/reviews" and self.command == "POST":
            return self.github_review(repo, pr, key, reviews, comments)
        if sub == "/comments" and self.command == "GET":
            chunk, headers = self.paginate(comments, "per_page", 30, 100, "github")
            return self.reply(200, chunk, headers)
        if sub == "/comments" and self.command == "POST":
            return self.github_single(repo, pr, key, reviews, comments)
        m = re.match(r"^/reviews/(\d+)/dismissals$", sub)
        if m and self.command == "PUT":
            review = next((r for r in reviews if r["id"] == int(m.group(1))), None)
            if review is None:
                return self.github_404()
            return self.github_dismiss(pr, review)
        self.github_404()

    def github_author(self, pr):
        return pr.get("author") or (the_bot()["login"] if pr.get("own") else "someone")

    def github_check_line(self, added, c):
        if "position" in c:
            self.problem("comment placed by the deprecated position")
        if c.get("side", "RIGHT") != "RIGHT":
            self.problem("comment on side %r" % c.get("side"))
        try:
            line = int(c.get("line"))
        except (TypeError, ValueError):
            return False
        return line in added.get(c.get("path"), set())

    def github_comment(self, key, rid, c, commit):
        return {"id": next_id(), "pull_request_review_id": rid, "user": self.github_user(self.user),
                "body": c.get("body"), "path": c.get("path"), "line": int(c.get("line") or 0),
                "side": "RIGHT", "commit_id": commit, "in_reply_to_id": c.get("in_reply_to")}

    def github_review(self, repo, pr, key, reviews, comments):
        b = self.body
        event = b.get("event")
        if event not in ("COMMENT", "REQUEST_CHANGES", "APPROVE"):
            # without an event GitHub leaves the review PENDING, seen by nobody
            self.problem("event %r makes a PENDING review" % event)
        if event in ("COMMENT", "REQUEST_CHANGES") and not (b.get("body") or "").strip() and not b.get("comments"):
            return self.github_422(["Review body can't be blank"])
        if event in ("REQUEST_CHANGES", "APPROVE") and self.github_author(pr) == self.user["login"]:
            verb = "request changes on" if event == "REQUEST_CHANGES" else "approve"
            return self.github_422(["Review Can not %s your own pull request" % verb])
        if b.get("commit_id") != pr["head"]:
            self.problem("commit_id is not the pull request's head")
        if not marker(b.get("body")) and self.user is the_bot():
            self.problem("review body does not start with the pysec marker")
        added = added_lines(repo["repo"], pr.get("merge_base") or pr["base"], pr["head"])
        for c in b.get("comments") or []:
            if not self.github_check_line(added, c):
                # one bad line refuses the whole review, and GitHub does not say which
                return self.github_422(["Pull request review thread line must be part of the diff and Pull "
                                        "request review thread diff hunk can't be blank"])
        rid = next_id()
        state = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}.get(
            event, "PENDING")
        review = {"id": rid, "user": self.github_user(self.user), "body": b.get("body") or "", "state": state,
                  "commit_id": b.get("commit_id"), "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
        reviews.append(review)
        for c in b.get("comments") or []:
            comments.append(self.github_comment(key, rid, c, b.get("commit_id")))
        self.reply(200, review)

    def github_single(self, repo, pr, key, reviews, comments):
        b = self.body
        if not (b.get("body") or "").strip():
            return self.github_422([{"resource": "PullRequestReviewComment", "code": "missing_field",
                                     "field": "body"}], "Validation Failed")
        if b.get("in_reply_to"):
            parent = next((c for c in comments if c["id"] == int(b["in_reply_to"])), None)
            if parent is None:
                return self.github_404()
            c = self.github_comment(key, parent["pull_request_review_id"],
                                    {"body": b["body"], "path": parent["path"], "line": parent["line"],
                                     "in_reply_to": parent["id"]}, parent["commit_id"])
            comments.append(c)
            return self.reply(201, c)
        if b.get("commit_id") != pr["head"]:
            self.problem("commit_id is not the pull request's head")
        added = added_lines(repo["repo"], pr.get("merge_base") or pr["base"], pr["head"])
        if not self.github_check_line(added, b):
            return self.github_422([{"resource": "PullRequestReviewComment", "code": "custom",
                                     "field": "pull_request_review_thread.line",
                                     "message": "pull_request_review_thread.line must be part of the diff"}],
                                   "Validation Failed")
        rid = next_id()
        reviews.append({"id": rid, "user": self.github_user(self.user), "body": "", "state": "COMMENTED",
                        "commit_id": b.get("commit_id"), "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")})
        c = self.github_comment(key, rid, b, b.get("commit_id"))
        comments.append(c)
        self.reply(201, c)

    def github_edit_comment(self, cid):
        for comments in STATE["gh_comments"].values():
            for c in comments:
                if c["id"] != cid:
                    continue
                self.touches_foreign(c["user"]["id"], c["user"]["login"])
                if self.command == "DELETE":
                    comments.remove(c)
                    return self.reply(204)
                if not (self.body.get("body") or "").strip():
                    return self.github_422([{"resource": "PullRequestReviewComment", "code": "missing_field",
                                             "field": "body"}], "Validation Failed")
                c["body"] = self.body["body"]
                return self.reply(200, c)
        return self.github_404()

    def github_dismiss(self, pr, review):
        self.touches_foreign(review["user"]["id"], review["user"]["login"])
        if pr.get("protected") and not self.user.get("admin"):
            return self.reply(403, {"message": "You do not have permission to dismiss this review.",
                                    "documentation_url": GH_DOCS, "status": "403"})
        if review["state"] not in ("APPROVED", "CHANGES_REQUESTED"):
            return self.github_422(["Can not dismiss a %s pull request review" % review["state"].lower()])
        if not (self.body.get("message") or "").strip():
            return self.github_422([{"resource": "PullRequestReview", "code": "missing_field",
                                     "field": "message"}], "Validation Failed")
        review["state"] = "DISMISSED"
        self.reply(200, review)

    def github_status(self, full, repo, sha):
        b = self.body
        if b.get("state") not in ("error", "failure", "pending", "success"):
            return self.github_422([{"resource": "Status", "code": "custom", "field": "state",
                                     "message": "state is not included in the list"}], "Validation Failed")
        if sha not in [p["head"] for p in repo["pulls"].values()]:
            self.problem("status on a commit that is no pull request's head")
        if len(b.get("description") or "") > 140:
            self.problem("status description longer than 140 characters")
        st = {"id": next_id(), "sha": sha, "status": b["state"], "context": b.get("context") or "default",
              "description": b.get("description"), "target_url": b.get("target_url"), "forge": "github",
              "repo": full}
        STATE["statuses"].append(st)
        self.reply(201, st)


class Server(ThreadingHTTPServer):
    """Counts the connections it serves, for /_settled."""
    daemon_threads = True

    def process_request(self, request, client_address):
        with OPEN_LOCK:
            OPEN[0] += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        super().shutdown_request(request)
        with OPEN_LOCK:
            OPEN[0] -= 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.tls = bool(args.tls_cert)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("port %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
