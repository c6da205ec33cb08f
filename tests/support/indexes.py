"""Real package indexes for tests and benchmarks: ``pypiserver`` processes on loopback ports.

``start_index(tmp_path, "testpypi")`` starts a pypiserver on a free 127.0.0.1 port with upload
authentication (an htpasswd file written with passlib; user ``__token__`` and a random
PyPI-looking token as the password, like a real API token) and returns a :class:`LocalIndex`:

    index.url         http://127.0.0.1:PORT/
    index.upload_url  where twine uploads (pypiserver takes uploads at its root)
    index.simple_url  http://127.0.0.1:PORT/simple/  (for pip --index-url)
    index.username / index.password   ("__token__", "pypi-…")
    index.stop() / index.start()      stop, then restart on the same port and package folder
    index.kill()                       SIGKILL, as a crash mid-upload
    index.files()                      file names the index holds
    index.install(req, target)         pip install --isolated --index-url <simple> into a folder

Every token issued here is recorded in :data:`ISSUED_TOKENS` so a test can prove no output ever
contains one. pypiserver answers a duplicate upload with 400, a bad password with 403, and serves
HTML simple pages whose links carry ``#sha256=`` (no PEP 691 JSON).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ISSUED_TOKENS: list[str] = []

# pypiserver's own app (its routes, auth and storage), served by a threaded stdlib WSGI server
# with a deep listen queue: pypiserver's default wsgiref server handles one request at a time with
# a backlog of 5, so concurrent clients stall on SYN retries; real indexes serve uploads in parallel.
_THREADED_LAUNCHER = """
import socketserver, sys
from wsgiref.simple_server import WSGIServer, make_server
import pypiserver
from pypiserver.__main__ import WsgiHandler
from pypiserver.config import Config
config = Config.from_args(sys.argv[1:])
app = pypiserver.setup_routes_from_config(pypiserver.app_from_config(config), config)
class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
make_server(config.host, config.port, app, server_class=Server, handler_class=WsgiHandler).serve_forever()
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_token() -> str:
    """A random token shaped like a PyPI API token (``pypi-`` + base64url), never a real one."""
    token = "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(48)
    ISSUED_TOKENS.append(token)
    return token


@dataclass
class LocalIndex:
    """One pypiserver process serving ``packages`` on ``127.0.0.1:port``."""

    name: str
    root: Path  # this index's folder: packages/, htpasswd, server.log
    port: int
    username: str
    password: str = field(repr=False)  # never shown, even in a failing test's report
    threaded: bool = True  # False: pypiserver's own single-threaded wsgiref server
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def htpasswd(self) -> Path:
        return self.root / "htpasswd"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def upload_url(self) -> str:
        return self.url

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def write_htpasswd(self) -> None:
        import warnings

        with warnings.catch_warnings():  # passlib imports the deprecated crypt module
            warnings.simplefilter("ignore", DeprecationWarning)
            from passlib.apache import HtpasswdFile

        ht = HtpasswdFile(str(self.htpasswd), new=True)
        ht.set_password(self.username, self.password)
        ht.save()

    def start(self, timeout: float = 20.0) -> LocalIndex:
        """Start (or restart) the server on the same port and package folder; wait until it answers."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> LocalIndex:
        """Start the process without waiting for it (several indexes start in parallel, then wait)."""
        if self.running:
            return self
        self.packages.mkdir(parents=True, exist_ok=True)
        if not self.htpasswd.exists():
            self.write_htpasswd()
        args = [
            "run",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--authenticate", "update", "--passwords", str(self.htpasswd),
            "--disable-fallback", "--hash-algo", "sha256", "--backend", "simple-dir",
            "--server", "wsgiref",
            str(self.packages),
        ]  # fmt: skip
        if self.threaded:
            cmd = [sys.executable, "-c", _THREADED_LAUNCHER, *args]
        else:
            cmd = [sys.executable, "-m", "pypiserver", *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "PIP_"))}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        return self

    def wait_ready(self, timeout: float = 20.0) -> LocalIndex:
        """Wait until the launched server answers ``/health``."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"pypiserver {self.name} exited ({code}):\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"pypiserver {self.name} did not answer on port {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash in the middle of an upload."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None

    def files(self) -> list[str]:
        if not self.packages.is_dir():
            return []
        return sorted(p.name for p in self.packages.iterdir() if p.is_file())

    def sha256(self, filename: str) -> str:
        return hashlib.sha256((self.packages / filename).read_bytes()).hexdigest()

    def install(self, requirement: str, target: Path, *, extra_index: LocalIndex | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``pip install --isolated --index-url <this simple index>`` into ``target`` (no deps)."""
        cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--no-deps", "--no-cache-dir",
               "--disable-pip-version-check", "--index-url", self.simple_url, "--target", str(target)]
        if extra_index is not None:
            cmd += ["--extra-index-url", extra_index.simple_url]
        cmd.append(requirement)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)

    def __enter__(self) -> LocalIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_index(tmp_path: Path, name: str, *, username: str = "__token__", password: str | None = None,
                port: int | None = None, threaded: bool = True) -> LocalIndex:
    """Start a pypiserver for ``name`` in ``tmp_path/name`` with upload auth; stop it with ``.stop()``."""
    return start_indexes(tmp_path, name, username=username, password=password, port=port, threaded=threaded)[0]


def start_indexes(tmp_path: Path, *names: str, username: str = "__token__", password: str | None = None,
                  port: int | None = None, threaded: bool = True) -> list[LocalIndex]:
    """:func:`start_index` for each of ``names``, the servers starting in parallel (each takes ~0.3 s)."""
    indexes = []
    for name in names:
        root = Path(tmp_path) / f"index-{name}"
        root.mkdir(parents=True, exist_ok=True)
        indexes.append(LocalIndex(
            name=name,
            root=root,
            port=port or free_port(),
            username=username,
            password=password if password is not None else new_token(),
            threaded=threaded,
        ))
    for index in indexes:
        index.launch()
    for index in indexes:
        try:
            index.wait_ready()
        except RuntimeError:
            # A port taken between choosing it and binding it: one more try on another.
            if port is not None:
                raise
            index.port = free_port()
            index.start()
    return indexes


def repository_toml(name: str, index: LocalIndex, token_env: str, **extra: object) -> str:
    """A ``[tool.manta-release.repositories.<name>]`` table pointing at ``index``."""
    lines = [
        f"[tool.manta-release.repositories.{name}]",
        f'upload-url = "{index.upload_url}"',
        f'index-url = "{index.simple_url}"',
        f'token-env = "{token_env}"',
    ]
    for key, value in extra.items():
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, str):
            rendered = f'"{value}"'
        else:
            rendered = str(value)
        lines.append(f"{key.replace('_', '-')} = {rendered}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- synthetic dists


def write_wheel(dist: Path, name: str, version: str, tag: str = "py3-none-any", *, payload: bytes = b"",
                size: int = 0) -> Path:
    """Write a small valid wheel (METADATA, WHEEL, RECORD) for ``name==version`` with wheel ``tag``.

    ``payload`` makes the content (and so its sha256) differ between two wheels of the same name;
    ``size`` pads the wheel with incompressible bytes, for upload benchmarks.
    """
    dist.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_").replace(".", "_").lower()
    module = norm
    dist_info = f"{norm}-{version}.dist-info"
    files: dict[str, bytes] = {
        f"{module}/__init__.py": b'def hello():\n    return "hello"\n' + payload,
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test package\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: {'true' if tag.endswith('any') else 'false'}\n"
            + "".join(f"Tag: {py}-{abi}-{plat}\n" for py, abi, plat in _expand(tag))
        ).encode(),
    }
    if size:
        files[f"{module}/blob.bin"] = os.urandom(size)
    record = io.StringIO()
    for path, data in files.items():
        digest = hashlib.sha256(data).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.write(f"{path},sha256={b64},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    files[f"{dist_info}/RECORD"] = record.getvalue().encode()
    path = dist / f"{norm}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _expand(tag: str) -> list[tuple[str, str, str]]:
    py, abi, plat = tag.split("-")
    return [(p, a, pl) for p in py.split(".") for a in abi.split(".") for pl in plat.split(".")]


def write_sdist(dist: Path, name: str, version: str, *, payload: bytes = b"") -> Path:
    """Write a minimal sdist (PKG-INFO and pyproject.toml) for ``name==version``."""
    import tarfile

    dist.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_").replace(".", "_").lower()
    base = f"{norm}-{version}"
    path = dist / f"{base}.tar.gz"
    members = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{base}/pyproject.toml": b'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        + payload,
    }
    with tarfile.open(path, "w:gz") as tf:
        for arcname, data in members.items():
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = 1577836800
            tf.addfile(info, io.BytesIO(data))
    return path


@contextlib.contextmanager
def running(index: LocalIndex):  # type: ignore[no-untyped-def]
    """``with running(index):`` stop the index on the way out, whatever happened."""
    try:
        yield index
    finally:
        index.stop()
