"""Credentials for schemathesis runs against a demo-mode Threadline (`cargo xtask fuzz`).

Visitor routes (`/api/visitor/...`) get a fresh visitor's token, every other route a demo
agent's session; each kind is fetched once and again after a 401 (a session a generated call
ended). The server's address comes from THREADLINE_BASE.
"""

import json
import os
import urllib.request

import schemathesis

BASE = os.environ["THREADLINE_BASE"]


def _post(path, body):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _kind(case, context):
    return "visitor" if case.operation.path.startswith("/api/visitor/") else "agent"


@schemathesis.auth(cache_by_key=_kind)
class ThreadlineAuth:
    def get(self, case, context):
        if _kind(case, context) == "visitor":
            session = _post("/api/visitor/session", {"name": "Schema Visitor"})
            return session["visitor_token"]
        login = _post("/api/auth/login", {"login": "ben", "password": "ben-pass-1"})
        return login["token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
