"""A loopback stand-in for the GitHub REST endpoints that ``github-release`` uses.

GitHub cannot be reached from here, so this server plays it, in memory, with the behaviours the
release depends on (as GitHub documents them):

- ``GET  /repos/{repo}/releases/tags/{tag}``  published releases only (a draft answers 404);
- ``GET  /repos/{repo}/releases``             every release, drafts included, newest first, paginated;
- ``POST /repos/{repo}/releases``             422 when the tag is not on the repository or already released;
- ``PATCH /repos/{repo}/releases/{id}``       publish (``draft: false``), ``make_latest``;
- ``GET  /repos/{repo}/releases/{id}/assets`` with each asset's ``digest`` (``sha256:…``) and ``state``;
- ``POST /uploads/repos/{repo}/releases/{id}/assets?name=…``  (the ``upload_url`` template), 422 on a name
  already used, and on a published *immutable* release;
- ``DELETE /repos/{repo}/releases/assets/{id}``;
- ``GET /repos/{repo}/releases/assets/{id}`` with ``Accept: application/octet-stream``: a 302 to a
  storage URL that refuses an ``Authorization`` header (as GitHub's signed storage URLs do).

Faults a test switches on: a wrong token (401), a read-only token (403 "Resource not accessible by
integration"), an exhausted rate limit (403 with ``x-ratelimit-remaining: 0`` and a reset time), a
connection dropped during the N-th upload, and an upload left in state ``open``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.loopback import Request, serve, shut, url_of, write_answer

Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data).encode()


@dataclass
class GitHubStandIn:
    repository: str
    token: str
    tags: set[str] = field(default_factory=set)  # the tags "pushed" to GitHub
    immutable: bool = True
    read_only: bool = False
    rate_limited_until: int | None = None  # epoch seconds
    echo_auth: bool = False  # a broken proxy: a 502 whose message repeats the request's Authorization header
    drop_upload: int | None = None  # break the connection during this upload (1-based count)
    leave_open_upload: int | None = None  # this upload stays in state "open" and the connection breaks
    releases: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[int, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    uploads: int = 0
    _next_id: int = 100
    _headers: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": self.repository, "GITHUB_TOKEN": self.token}

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def release(self, tag: str) -> dict[str, Any] | None:
        return next((r for r in self.releases if r["tag_name"] == tag), None)

    def add_release(self, tag: str, *, draft: bool, assets: dict[str, bytes] | None = None,
                    state: str = "uploaded") -> dict[str, Any]:
        """A release made before the test (by an earlier run or by hand)."""
        release = self._new_release({"tag_name": tag, "name": tag, "draft": draft, "body": ""})
        for name, data in (assets or {}).items():
            self._store_asset(release, name, data, state)
        return release

    # ------------------------------------------------------------------ serving

    def start(self) -> GitHubStandIn:
        lock = threading.Lock()

        def respond(h: BaseHTTPRequestHandler, request: Request) -> None:
            method, path, headers, body = request
            with lock:
                self.requests.append((method, path))
                answer = self.answer(method, path, headers, body)
            if answer is None:
                h.connection.close()
                return
            write_answer(h, *answer)

        self.server = serve(respond, ("GET", "POST", "PATCH", "DELETE"))
        return self

    def stop(self) -> None:
        shut(self.server)
        self.server = None

    # ------------------------------------------------------------------ the API

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer | None:
        if (m := re.fullmatch(r"/storage/(\d+)", raw_path)) and method == "GET":  # the signed storage URL
            if "Authorization" in headers:
                return _json(400, {"message": "the storage host takes no Authorization header"})
            data = self.blobs.get(int(m[1]))
            return (200, {"Content-Type": "application/octet-stream"}, data) if data is not None else None
        if headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        if self.echo_auth:
            return _json(502, {"message": f"bad gateway for {headers.get('Authorization')}"})
        if self.rate_limited_until is not None:
            return _json(403, {"message": "API rate limit exceeded for installation ID 1."},
                         {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(self.rate_limited_until)})
        parts = urllib.parse.urlsplit(raw_path)
        path, query = parts.path, urllib.parse.parse_qs(parts.query)
        prefix = f"/repos/{self.repository}"
        upload_prefix = f"/uploads/repos/{self.repository}"
        if not (path.startswith(prefix + "/") or path.startswith(upload_prefix + "/")):
            return _json(404, {"message": "Not Found"})
        if self.read_only and method != "GET":
            return _json(403, {"message": "Resource not accessible by integration"})
        self._headers = headers
        if path.startswith(upload_prefix):
            return self._upload(path.removeprefix(upload_prefix), query, body)
        return self._route(method, path.removeprefix(prefix), query, body)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Answer | None:
        if method == "GET" and (m := re.fullmatch(r"/releases/tags/(.+)", path)):
            release = self.release(urllib.parse.unquote(m[1]))
            if release is None or release["draft"]:
                return _json(404, {"message": "Not Found"})
            return _json(200, self._view(release))
        if path == "/releases" and method == "GET":
            page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
            ordered = list(reversed(self.releases))[(page - 1) * per_page: page * per_page]
            return _json(200, [self._view(r) for r in ordered])
        if path == "/releases" and method == "POST":
            return self._create(json.loads(body))
        if (m := re.fullmatch(r"/releases/(\d+)", path)) and method == "PATCH":
            return self._update(int(m[1]), json.loads(body))
        if (m := re.fullmatch(r"/releases/(\d+)/assets", path)) and method == "GET":
            release = self._by_id(int(m[1]))
            return _json(200, release["assets"]) if release else _json(404, {"message": "Not Found"})
        if (m := re.fullmatch(r"/releases/assets/(\d+)", path)) and method == "DELETE":
            return self._delete(int(m[1]))
        if (m := re.fullmatch(r"/releases/assets/(\d+)", path)) and method == "GET":
            if self._headers.get("Accept") == "application/octet-stream":
                return 302, {"Location": f"{self.url}/storage/{m[1]}"}, b""
            asset = next((a for r in self.releases for a in r["assets"] if a["id"] == int(m[1])), None)
            return _json(200, asset) if asset else _json(404, {"message": "Not Found"})
        return _json(404, {"message": "Not Found"})

    def _new_release(self, data: dict[str, Any]) -> dict[str, Any]:
        rid = self.new_id()
        release = {
            "id": rid,
            "tag_name": data["tag_name"],
            "name": data.get("name") or data["tag_name"],
            "body": data.get("body") or "",
            "draft": bool(data.get("draft")),
            "prerelease": bool(data.get("prerelease")),
            "immutable": False,
            "latest": False,
            "html_url": f"https://github.com/{self.repository}/releases/tag/{data['tag_name']}",
            "upload_url": f"{self.url}/uploads/repos/{self.repository}/releases/{rid}/assets{{?name,label}}",
            "assets": [],
        }
        if data.get("generate_release_notes"):
            release["body"] = f"## What's Changed (generated for {data['tag_name']})"
        self.releases.append(release)
        return release

    def _view(self, release: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in release.items() if k != "latest"}

    def _by_id(self, rid: int) -> dict[str, Any] | None:
        return next((r for r in self.releases if r["id"] == rid), None)

    def _create(self, data: dict[str, Any]) -> Answer:
        tag = data.get("tag_name")
        if tag not in self.tags:
            return _json(422, {"message": "Validation Failed", "errors": [
                {"resource": "Release", "code": "invalid", "field": "tag_name"}]})
        existing = self.release(tag)
        if existing is not None and not existing["draft"]:
            return _json(422, {"message": "Validation Failed", "errors": [
                {"resource": "Release", "code": "already_exists", "field": "tag_name"}]})
        return _json(201, self._view(self._new_release(data)))

    def _update(self, rid: int, data: dict[str, Any]) -> Answer:
        release = self._by_id(rid)
        if release is None:
            return _json(404, {"message": "Not Found"})
        if "draft" in data:
            release["draft"] = bool(data["draft"])
            if not release["draft"]:
                release["immutable"] = self.immutable
        if data.get("make_latest") == "true":
            for other in self.releases:
                other["latest"] = False
            release["latest"] = True
        for key in ("name", "body", "prerelease"):
            if key in data:
                release[key] = data[key]
        return _json(200, self._view(release))

    def _store_asset(self, release: dict[str, Any], name: str, data: bytes, state: str) -> dict[str, Any]:
        aid = self.new_id()
        asset = {
            "id": aid,
            "name": name,
            "label": "",
            "state": state,
            "size": len(data),
            "digest": f"sha256:{hashlib.sha256(data).hexdigest()}" if state == "uploaded" else None,
            "content_type": "application/octet-stream",
            "browser_download_url": f"https://github.com/{self.repository}/releases/download/{release['tag_name']}/{name}",
            "url": f"{self.url}/repos/{self.repository}/releases/assets/{aid}",
        }
        release["assets"].append(asset)
        self.blobs[aid] = data
        return asset

    def _upload(self, path: str, query: dict[str, list[str]], body: bytes) -> Answer | None:
        m = re.fullmatch(r"/releases/(\d+)/assets", path)
        release = self._by_id(int(m[1])) if m else None
        if release is None:
            return _json(404, {"message": "Not Found"})
        name = query.get("name", [""])[0]
        if release["immutable"]:
            return _json(422, {"message": "Cannot upload assets to an immutable release."})
        if any(a["name"] == name for a in release["assets"]):
            return _json(422, {"message": "Validation Failed", "errors": [
                {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}]})
        self.uploads += 1
        if self.uploads == self.drop_upload:
            return None
        if self.uploads == self.leave_open_upload:
            self._store_asset(release, name, body[: len(body) // 2], "open")
            return None
        return _json(201, self._store_asset(release, name, body, "uploaded"))

    def _delete(self, aid: int) -> Answer:
        for release in self.releases:
            for asset in release["assets"]:
                if asset["id"] == aid:
                    if release["immutable"]:
                        return _json(422, {"message": "Cannot delete assets of an immutable release."})
                    release["assets"].remove(asset)
                    return 204, {}, b""
        return _json(404, {"message": "Not Found"})
