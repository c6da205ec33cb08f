"""Real git repositories and sample projects in temporary folders.

The sample projects use this checkout's plugin: ``python -m hatchling`` runs in the test's own
interpreter (where hatch-manta-release is installed from this checkout), and hatch is pointed at
data and cache folders inside the test's temp folder so nothing leaks between tests or into the
user's hatch setup.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

PURE_PYPROJECT = """\
[build-system]
requires = ["hatchling", "hatch-manta-release"]
build-backend = "hatchling.build"

[project]
name = "{name}"
dynamic = ["version"]
requires-python = ">=3.9"

[tool.hatch.version]
source = "manta-release"

[tool.hatch.env]
requires = ["hatch-manta-release"]

[tool.hatch.env.collectors.manta-release]

[tool.manta-release]
{manta}
"""

# A project with a compiled part: a hatch build hook compiles a tiny C shared library with the
# system compiler; the package loads it through ctypes (like the reference system's Go library).
COMPILED_HOOK = '''\
import subprocess
import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        src = Path(self.root, "native", "adder.c")
        out = Path(self.root, "{module}", "libadder.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(out), str(src)], check=True)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].append("/{module}/libadder.so")
'''

COMPILED_INIT = '''\
import ctypes
from pathlib import Path

_lib = ctypes.CDLL(str(Path(__file__).with_name("libadder.so")))
_lib.add.argtypes = (ctypes.c_int, ctypes.c_int)
_lib.add.restype = ctypes.c_int


def add(a: int, b: int) -> int:
    return _lib.add(a, b)
'''

ADDER_C = "int add(int a, int b) { return a + b; }\n"


def run(cmd: list[str], cwd: Path | str, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"command failed ({result.returncode}): {cmd}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def git(repo: Path, *args: str, check: bool = True) -> str:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid",
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
    )
    return run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
                *args], cwd=repo, env=env, check=check).stdout.strip()


def first_commit(repo: Path, tag: str | None = None) -> None:
    """``git init`` in ``repo``, everything in it committed as "initial", tagged ``tag`` if given."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    if tag:
        git(repo, "tag", tag)


def commit(repo: Path, message: str = "change", filename: str = "CHANGES.txt") -> str:
    path = repo / filename
    with path.open("a", encoding="utf-8") as f:
        f.write(message + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "--short=7", "HEAD")


def make_project(path: Path, name: str = "sample", *, manta: str = "", compiled: bool = False,
                 extra_pyproject: str = "", tag: str | None = None, git_init: bool = True) -> Path:
    """Write a sample project (pure Python, or with a compiled C part) and commit it."""
    module = name.replace("-", "_")
    path.mkdir(parents=True, exist_ok=True)
    (path / module).mkdir(exist_ok=True)
    pyproject = PURE_PYPROJECT.format(name=name, manta=textwrap.dedent(manta).strip())
    if compiled:
        pyproject += "\n[tool.hatch.build.targets.wheel.hooks.custom]\n"
        (path / "hatch_build.py").write_text(COMPILED_HOOK.format(module=module))
        (path / "native").mkdir(exist_ok=True)
        (path / "native" / "adder.c").write_text(ADDER_C)
        (path / module / "__init__.py").write_text(COMPILED_INIT)
        (path / ".gitignore").write_text("*.so\ndist/\n")
    else:
        (path / module / "__init__.py").write_text('def hello() -> str:\n    return "hello"\n')
        (path / ".gitignore").write_text("dist/\n")
    if extra_pyproject:
        pyproject += "\n" + textwrap.dedent(extra_pyproject)
    (path / "pyproject.toml").write_text(pyproject)
    (path / "README.md").write_text(f"# {name}\n")
    if git_init:
        first_commit(path, tag=tag)
    return path


def hatch_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a real `hatch` run isolated in ``tmp`` (its own data and cache folders)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "hatch-config.toml").touch()  # hatch refuses a HATCH_CONFIG that does not exist
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("HATCH_", "MANTA_RELEASE_", "PIP_REQUIRE", "VIRTUAL_ENV", "GITHUB_")):
            env.pop(key)
    env.update(
        HATCH_DATA_DIR=str(tmp / "hatch-data"),
        HATCH_CACHE_DIR=str(tmp / "hatch-cache"),
        HATCH_CONFIG=str(tmp / "hatch-config.toml"),
        NO_COLOR="1",
        TERM="dumb",
        COLUMNS="200",
    )
    # hatch refuses to start when HATCH_CONFIG names a file that does not exist.
    tmp.mkdir(parents=True, exist_ok=True)
    if not (tmp / "hatch-config.toml").exists():
        (tmp / "hatch-config.toml").touch()
    # The hatch executable next to this interpreter, with this checkout installed beside it.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if extra:
        env.update(extra)
    return env


def hatchling_version(project: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "hatchling", "version"], cwd=project, env=env, check=False)


def build_plugin_wheel(dest: Path) -> Path:
    """Build a wheel of this checkout (hatch-manta-release itself) into ``dest`` and return it.

    hatch's build environment and ``python -m build`` install the sample's build-system requires
    from an index, where this checkout is not: point them at this wheel with
    :func:`use_plugin_requirement`.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTA_RELEASE_")}
    run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dest)], cwd=REPO_ROOT, env=env)
    wheels = sorted(dest.glob("hatch_manta_release-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def use_plugin_requirement(project: Path, requirement: str, *, collector: bool = True) -> None:
    """Make the sample's ``[build-system] requires`` install the plugin from ``requirement`` (such as
    ``"hatch-manta-release @ file:///…/hatch_manta_release-….whl"``); ``collector=False`` also drops
    the environment collector tables, for runs that only need the version source."""
    path = project / "pyproject.toml"
    text = path.read_text()
    text = text.replace('requires = ["hatchling", "hatch-manta-release"]\nbuild-backend',
                        f'requires = ["hatchling", "{requirement}"]\nbuild-backend', 1)
    if not collector:
        text = text.replace('[tool.hatch.env]\nrequires = ["hatch-manta-release"]\n\n'
                            '[tool.hatch.env.collectors.manta-release]\n', '')
    path.write_text(text)


# ----------------------------------------------------------------------------- compiled, configuration only

# A compiled sample that adopts with configuration alone (issue 14): no build hook of its own. The
# compiled part is made by before-build (as the reference system builds its Go library), git-ignored
# and shipped through hatch's `artifacts`; the plugin's build hook writes the tag `wheel` asks for.
# kind "platform": a C library loaded with ctypes (py3-none-<platform>); "cpython" / "abi3": a C
# extension module (cpXY-cpXY / cpXY-abi3), compiled by native/compile.py for the running Python.

EXTENSION_C = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

static PyObject *add(PyObject *self, PyObject *args) {
    int a, b;
    if (!PyArg_ParseTuple(args, "ii", &a, &b)) return NULL;
    /* a libc call: auditwheel detects the wheel's libc from the extension's links */
    return PyLong_FromLong(a + b + (getenv("SAMPLE_NEVER_SET_ANYWHERE") != NULL));
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_adder", NULL, -1, methods};

PyMODINIT_FUNC PyInit__adder(void) { return PyModule_Create(&module); }
"""

EXTENSION_COMPILE = '''\
"""Compile sample/_adder for the Python running this (before-build runs it; no build hook)."""
import subprocess
import sys
import sysconfig

abi3 = "--abi3" in sys.argv
suffix = ".abi3.so" if abi3 else sysconfig.get_config_var("EXT_SUFFIX")
flags = ["-DPy_LIMITED_API=0x03090000"] if abi3 else []
include = sysconfig.get_paths()["include"]
subprocess.run(["cc", "-shared", "-fPIC", "-O2", *flags, "-I", include, "-o", f"sample/_adder{suffix}",
                "native/_adder.c"], check=True)
'''

# a TOML string: the installed wheel's compiled part works
ADD_TEST_COMMAND = '"python -c \'import sample; assert sample.add(2, 3) == 5, sample.__file__\'"'

CONFIG_ONLY_PYPROJECT = """\
[build-system]
requires = ["hatchling", "{plugin}"]
build-backend = "hatchling.build"

[project]
name = "sample"
dynamic = ["version"]
requires-python = ">=3.9"
readme = "README.md"

[tool.hatch.version]
source = "manta-release"

[tool.hatch.env]
requires = ["hatch-manta-release"]

[tool.hatch.env.collectors.manta-release]

# the plugin's build hook: writes the wheel tag that `wheel` below asks for
[tool.hatch.build.hooks.manta-release]

[tool.hatch.build.targets.wheel]
artifacts = ["sample/*.so"]  # git-ignored build outputs

[tool.manta-release]
wheel = "{kind}"
before-build = {before_build}
test-command = {test_command}
{manta}
"""


def make_config_only_project(path: Path, kind: str, *, manta: str = "", plugin: str = "hatch-manta-release",
                             before_build: bool = True, tag: str | None = "v1.2.0",
                             test_command: str = ADD_TEST_COMMAND) -> Path:
    """A compiled sample with no build hook of its own (see above), committed and tagged."""
    (path / "sample").mkdir(parents=True, exist_ok=True)
    (path / "native").mkdir(exist_ok=True)
    if kind == "platform":
        (path / "native" / "adder.c").write_text(ADDER_C)
        (path / "sample" / "__init__.py").write_text(COMPILED_INIT)
        command = "cc -shared -fPIC -O2 -o sample/libadder.so native/adder.c"
    else:
        (path / "native" / "_adder.c").write_text(EXTENSION_C)
        (path / "native" / "compile.py").write_text(EXTENSION_COMPILE)
        (path / "sample" / "__init__.py").write_text("from sample._adder import add\n\n__all__ = ['add']\n")
        command = "python native/compile.py" + (" --abi3" if kind == "abi3" else "")
    before = f'"{command}"' if before_build else '{ windows = "rem nothing builds the library here" }'
    (path / "pyproject.toml").write_text(CONFIG_ONLY_PYPROJECT.format(
        plugin=plugin, kind=kind, before_build=before, test_command=test_command, manta=textwrap.dedent(manta).strip()))
    (path / "README.md").write_text("# sample\n")
    (path / ".gitignore").write_text("*.so\ndist/\nwheelhouse/\n")
    first_commit(path, tag=tag)
    return path


def installs_and_loads(dist: Path, venv: Path, version: str = "1.2.0") -> str:
    """Install ``sample==version`` from ``dist`` alone (``--isolated --no-index``) into a fresh venv
    and call its compiled part from outside the project; returns where it was imported from."""
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    install = run([str(python), "-m", "pip", "install", "--isolated", "--no-index", "--find-links", str(dist),
                   f"sample=={version}"], cwd=venv, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    probe = run([str(python), "-c", "import sample; print(sample.add(2, 3), sample.__file__)"], cwd=venv)
    five, location = probe.stdout.split()
    assert five == "5" and str(venv) in location, probe.stdout
    return location
