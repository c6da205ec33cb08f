"""Run the generated workflow's steps on this machine: plan -> build -> sdist -> publish.

The test reads ``.github/workflows/release.yml`` as GitHub would and executes it with a small
stand-in for the runner: jobs in ``needs`` order, each in a clean checkout of the tag; ``run:``
steps through ``bash -c`` with the step's ``env:`` evaluated (``matrix``, ``needs.*.outputs``,
``steps.*.outputs``, ``secrets``); ``$GITHUB_OUTPUT`` parsed into job outputs; the job ``if:``
honoured; ``actions/upload-artifact`` / ``download-artifact`` emulated with a folder. The matrix
is the configured platforms, which here is this machine's own platform only (native builder: no
containers here). Two pypiservers stand in for TestPyPI and PyPI. This proves the YAML calls
commands that exist, with arguments they accept, in an order that works, and that the routed token
is the only one a publish sees.
"""

from __future__ import annotations

import fnmatch
import glob
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.core.platforms import host_platform
from hatch_manta_release.github.workflow import write_workflow
from tests.support.projects import git, hatch_env, make_project

yaml = pytest.importorskip("ruamel.yaml")
indexes = pytest.importorskip("tests.support.indexes")

COMMANDS = ("plan", "build", "check", "publish")


def _missing_commands() -> list[str]:
    import click

    from hatch_manta_release.cli.app import cli

    ctx = click.Context(cli)
    missing = []
    for name in COMMANDS:
        try:
            if cli.get_command(ctx, name) is None:
                missing.append(name)
        except ImportError:
            missing.append(name)
    return missing


class Runner:
    """Just enough of a GitHub Actions runner for the generated workflow."""

    def __init__(self, repo: Path, ref: str, env: dict[str, str], secrets: dict[str, str], work: Path,
                 event: str = "push") -> None:
        self.repo, self.ref, self.env, self.secrets, self.event = repo, ref, env, secrets, event
        self.work = work
        self.artifacts = work / "artifacts"
        self.checkout = work / "checkout"
        self.outputs: dict[str, dict[str, str]] = {}
        self.log: list[tuple[str, str, subprocess.CompletedProcess[str]]] = []
        self.step_env: dict[str, dict[str, str]] = {}  # the evaluated `env:` of each run step
        self.results: dict[str, str] = {}

    # -- expressions ----------------------------------------------------------------------------

    def evaluate(self, expression: str, context: dict[str, Any]) -> Any:
        """Evaluate a GitHub expression of the kinds the workflow uses (==, &&, ||, !, parentheses)."""
        names = {}

        def name(match: re.Match[str]) -> str:
            path = match.group(0)
            if path in ("true", "false", "null"):
                return {"true": "True", "false": "False", "null": "None"}[path]
            key = f"_v{len(names)}"
            value: Any = context
            for part in path.split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            names[key] = value
            return key

        python = re.sub(r"'(?:[^']|'')*'", lambda m: f"_s{m.start()}", expression)
        strings = {f"_s{m.start()}": m.group(0)[1:-1].replace("''", "'")
                   for m in re.finditer(r"'(?:[^']|'')*'", expression)}
        python = re.sub(r"(?<![\w.])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*", lambda m: m.group(0)
                        if m.group(0).startswith("_s") else name(m), python)
        python = python.replace("&&", " and ").replace("||", " or ").replace("!=", " != ")
        python = re.sub(r"!(?!=)", " not ", python)
        return eval(python, {"__builtins__": {}}, {**names, **strings})

    def substitute(self, text: str, context: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            value = self.evaluate(match.group(1).strip(), context)
            return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)

        return re.sub(r"\$\{\{(.*?)\}\}", one, text)

    # -- jobs -----------------------------------------------------------------------------------

    def fresh_checkout(self) -> None:
        """What actions/checkout does: a clean tree at the ref, with every tag (fetch-depth: 0)."""
        if not self.checkout.exists():
            git(self.work, "clone", "-q", str(self.repo), str(self.checkout))
        git(self.checkout, "checkout", "-q", "--force", self.ref)
        git(self.checkout, "clean", "-q", "-ffdx")

    def run_job(self, job_id: str, job: dict[str, Any], matrix: dict[str, str] | None = None) -> None:
        context: dict[str, Any] = {
            "matrix": matrix or {},
            "needs": {n: {"outputs": self.outputs.get(n, {}), "result": self.results.get(n)}
                      for n in _needs(job)},
            "secrets": self.secrets,
            "github": {"ref": f"refs/tags/{self.ref}", "event_name": self.event},
            "steps": {},
        }
        if "if" in job and not self.evaluate(job["if"], context):
            self.results[job_id] = "skipped"
            return
        self.fresh_checkout()
        for step in job["steps"]:
            uses = step.get("uses", "")
            with_ = {k: self.substitute(_text(v), context) for k, v in (step.get("with") or {}).items()}
            if uses.startswith("actions/checkout@"):
                assert with_["fetch-depth"] == "0" and with_["persist-credentials"] == "false"
            elif uses.startswith("actions/setup-python@"):
                pass  # this machine's Python runs hatch
            elif uses.startswith("actions/upload-artifact@"):
                files = sorted(glob.glob(str(self.checkout / with_["path"])))
                assert files or with_.get("if-no-files-found") != "error", f"{job_id}: nothing matches {with_['path']}"
                target = self.artifacts / with_["name"]
                assert not target.exists(), f"artifact {with_['name']} uploaded twice"
                target.mkdir(parents=True)
                for f in files:
                    shutil.copy2(f, target)
            elif uses.startswith("actions/download-artifact@"):
                dest = self.checkout / with_["path"]
                dest.mkdir(parents=True, exist_ok=True)
                names = [with_["name"]] if "name" in with_ else [
                    p.name for p in sorted(self.artifacts.iterdir()) if fnmatch.fnmatch(p.name, with_["pattern"])
                ]
                assert names, f"{job_id}: no artifact matches {with_}"
                for artifact in names:
                    assert with_.get("merge-multiple") == "true" or "name" in with_
                    for f in (self.artifacts / artifact).iterdir():
                        shutil.copy2(f, dest)
            elif "run" in step:
                self.run_step(job_id, step, context)
            else:
                raise AssertionError(f"unexpected step {step}")
        self.outputs[job_id] = {k: self.substitute(v, context) for k, v in (job.get("outputs") or {}).items()}
        self.results[job_id] = "success"

    def run_step(self, job_id: str, step: dict[str, Any], context: dict[str, Any]) -> None:
        script = step["run"]
        assert "${{" not in script
        if script.startswith("python -m pip install"):
            assert "hatch==" in script
            return  # hatch is installed here already (and the registry is not ours to use)
        output = self.work / f"output-{job_id}-{step.get('id', len(self.log))}"
        output.write_text("")
        env = dict(self.env, GITHUB_OUTPUT=str(output))
        step_env = {k: self.substitute(_text(v), context) for k, v in (step.get("env") or {}).items()}
        self.step_env[script] = step_env
        env.update(step_env)
        result = subprocess.run(["bash", "-c", script], cwd=self.checkout, env=env, capture_output=True,
                                text=True, timeout=600, check=False)
        self.log.append((job_id, script, result))
        assert result.returncode == 0, (
            f"{job_id}: `{script}` failed ({result.returncode})\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": _parse_github_output(output.read_text())}


def _text(value: Any) -> str:
    """A YAML value as the runner passes it to an action input or an env var."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _parse_github_output(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, marker = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == marker:
                    break
                body.append(inner)
            values[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def _job_order(jobs: dict[str, Any]) -> list[str]:
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [j for j in jobs if j not in order and all(n in order for n in _needs(jobs[j]))]
        assert ready, f"a `needs:` cycle or a job that does not exist: {jobs.keys()}"
        order.extend(ready)
    return order


@pytest.mark.slow
def test_generated_workflow_runs_end_to_end(tmp_path: Path) -> None:
    missing = _missing_commands()
    if missing:
        pytest.skip(f"manta-release commands not available yet: {', '.join(missing)}")
    host = host_platform()
    if host is None or not shutil.which("cc") or not shutil.which("bash"):
        pytest.skip("needs a known host platform, bash and a C compiler")

    test_index = indexes.start_index(tmp_path, "testpypi")
    prod_index = indexes.start_index(tmp_path, "pypi")
    try:
        py = f"{sys.version_info.major}.{sys.version_info.minor}"
        manta = f"""
            platforms = ["{host.name}"]
            python = "=={py}.*"
            builder = "native"
            test-command = "python -c 'import sample_ext; assert sample_ext.add(2, 3) == 5'"
        """
        extra = (indexes.repository_toml("testpypi", test_index, "TEST_PYPI_API_TOKEN")
                 + "\n" + indexes.repository_toml("pypi", prod_index, "PYPI_API_TOKEN"))
        project = make_project(tmp_path / "sample-ext", name="sample-ext", compiled=True, manta=manta,
                               extra_pyproject=extra)
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace(
            'name = "sample-ext"', 'name = "sample-ext"\nreadme = "README.md"'))  # twine check --strict wants one
        write_workflow(project)
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", "release workflow")
        git(project, "tag", "v1.0.0-beta.1")

        workflow = yaml.YAML(typ="safe", pure=True).load(
            (project / ".github" / "workflows" / "release.yml").read_text())
        env = hatch_env(tmp_path / "hatch")
        env.pop("TEST_PYPI_API_TOKEN", None)
        env.pop("PYPI_API_TOKEN", None)
        secrets = {"TEST_PYPI_API_TOKEN": test_index.password, "PYPI_API_TOKEN": prod_index.password}
        runner = Runner(project, "v1.0.0-beta.1", env, secrets, tmp_path / "runner")
        runner.work.mkdir()

        jobs = workflow["jobs"]
        order = _job_order(jobs)
        assert order == ["plan", "build", "sdist", "publish", "github-release"]
        for job_id in order:
            job = jobs[job_id]
            include = (job.get("strategy") or {}).get("matrix", {}).get("include")
            if include:
                assert [m["platform"] for m in include] == [host.name]
                for entry in include:
                    runner.run_job(job_id, job, entry)
            else:
                runner.run_job(job_id, job)

        plan = runner.outputs["plan"]
        assert (plan["version"], plan["channel"], plan["publish"]) == ("1.0.0b1", "prerelease", "true")
        assert (plan["repository"], plan["environment"]) == ("testpypi", "testpypi")
        assert plan["github-release"] == "false"  # when = "final": no GitHub Release for a pre-release
        assert runner.results == {"plan": "success", "build": "success", "sdist": "success", "publish": "success",
                                  "github-release": "skipped"}
        ran = [script for _, script, _ in runner.log]
        assert ran == [
            "hatch run release:plan --github-output",
            'hatch run release:build --platform "$PLATFORM" --no-sdist',
            "hatch run release:build --sdist-only",
            "hatch run release:check",
            "hatch run release:publish",
        ]

        # Only the routed repository's token reaches the publish step; no other step sees a secret.
        assert runner.step_env["hatch run release:publish"] == {
            "TEST_PYPI_API_TOKEN": test_index.password, "PYPI_API_TOKEN": ""}
        assert runner.step_env['hatch run release:build --platform "$PLATFORM" --no-sdist'] == {"PLATFORM": host.name}
        for script, step_env in runner.step_env.items():
            if script != "hatch run release:publish":
                assert not set(step_env.values()) & set(secrets.values()), script

        published = sorted(test_index.files())
        assert any(f.endswith(".tar.gz") and "1.0.0b1" in f for f in published), published
        assert any(f.endswith(".whl") and "1.0.0b1" in f for f in published), published
        assert prod_index.files() == []  # a pre-release never reaches production
        for _, _, result in runner.log:
            indexes_text = result.stdout + result.stderr
            assert test_index.password not in indexes_text and prod_index.password not in indexes_text

        # The release installs from the test index, and works.
        target = tmp_path / "installed"
        test_index.install("sample-ext==1.0.0b1", target)
        check = subprocess.run([sys.executable, "-c", "import sample_ext; print(sample_ext.add(20, 22))"],
                               env={"PYTHONPATH": str(target)}, capture_output=True, text=True, check=False)
        assert check.stdout.strip() == "42", check.stderr

        # Re-running the whole publish job is safe (files already there are skipped).
        runner.results.pop("publish")
        runner.run_job("publish", jobs["publish"])
        assert sorted(test_index.files()) == published

        # A manual run on a later, untagged commit builds but never publishes.
        (project / "later.txt").write_text("later\n")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", "later")
        later = Runner(project, "main", env, secrets, tmp_path / "runner-later")
        later.work.mkdir()
        later.run_job("plan", jobs["plan"])
        assert later.outputs["plan"]["publish"] == "false"
        assert ".dev1+g" in later.outputs["plan"]["version"]
        later.run_job("publish", jobs["publish"])
        assert later.results["publish"] == "skipped"

        # CI: a pull request on the release tag's commit plans, builds and tests everything, and
        # publishes nothing even though the plan calls the commit a release (issue 13).
        pr = Runner(project, "v1.0.0-beta.1", env, {}, tmp_path / "runner-pr", event="pull_request")
        pr.work.mkdir()
        for job_id in order:
            include = (jobs[job_id].get("strategy") or {}).get("matrix", {}).get("include") or [None]
            for entry in include:
                pr.run_job(job_id, jobs[job_id], entry)
        assert pr.outputs["plan"]["publish"] == "true"
        assert pr.results == {"plan": "success", "build": "success", "sdist": "success", "publish": "skipped",
                              "github-release": "skipped"}
        assert sorted(test_index.files()) == published and prod_index.files() == []

        # The doctor through hatch, on the runner's checkout: the workflow is the one in the repo.
        doctor = subprocess.run(["hatch", "run", "release:doctor", "--offline"], cwd=runner.checkout,
                                env=dict(env, TEST_PYPI_API_TOKEN=test_index.password), capture_output=True,
                                text=True, timeout=300, check=False)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "ok   workflow" in doctor.stdout and "ok   trigger" in doctor.stdout
    finally:
        test_index.stop()
        prod_index.stop()
