"""The jobs of the generated workflow, one function each.

A job is a plain mapping (rendered by :mod:`hatch_manta_release.github.yamlio`). Every job gets
the same :class:`Context` (the config, the resolved pins), so adding a job (a GitHub Release,
attestations) is one more function and one more entry in :data:`JOBS`.

The workflow runs for releases (a pushed release tag, ``workflow_dispatch``) and as CI (pull
requests, pushes to the configured branches). Every run plans, builds and tests the sdist and the
wheels; only the publish job differs: it never runs for a pull request, and otherwise only when the
plan says this commit is a release (a clean commit on a release tag). CI runs therefore hold no
secret and enter no environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from hatch_manta_release.core.config import Config, Repository
from hatch_manta_release.core.defaults import DIST_NAME
from hatch_manta_release.core.workflow_settings import CACHE_BY_DEFAULT, WorkflowSettings
from hatch_manta_release.github.pins import Pin, PinSet
from hatch_manta_release.github.yamlio import Commented, Flow

SDIST_ARTIFACT = "sdist"
PURE_WHEEL_ARTIFACT = "wheels-any"
PLAN_OUTPUTS = (
    "version",
    "tag",
    "channel",
    "publish",
    "repository",
    "environment",
    "environment-url",
    "pure-python",
    "platforms",
    "github-release",
    "reuse",
    "reuse-base",
)
REUSED_WHEEL_ARTIFACT = "wheels-reused"
# Nothing publishes on a pull request, whatever the plan says; elsewhere the plan decides.
PUBLISH_IF = "github.event_name != 'pull_request' && needs.plan.outputs.publish == 'true'"
GITHUB_RELEASE_IF = f"{PUBLISH_IF} && needs.plan.outputs.github-release == 'true'"
# With reuse, either the build matrix or the reuse job is skipped; GitHub then skips every job that
# needs it (directly or not) unless its `if` has a status function. `!cancelled()` keeps a cancelled
# run cancelling, and the results say what must have succeeded.
WHEELS_BUILT = "(needs.build.result == 'success' || needs.reuse.result == 'success')"


@dataclass(frozen=True)
class Context:
    """What every job function reads."""

    config: Config
    pure_python: bool
    pins: PinSet

    @property
    def settings(self) -> WorkflowSettings:
        return self.config.workflow

    @property
    def run(self) -> str:
        """The prefix of every command step: ``hatch run release:``."""
        return f"hatch run {self.config.env_name}:"

    @property
    def dist(self) -> str:
        return self.config.dist_dir.rstrip("/") or "."

    def uses(self, name: str) -> Commented | str:
        """The ``uses:`` value of one of the workflow's own actions, with its release comment."""
        return written(self.pins.action(name))


def written(pin: Pin) -> Commented | str:
    return Commented(pin.uses, pin.comment) if pin.comment else pin.uses


# ----------------------------------------------------------------------------- shared steps


def install_step(ctx: Context) -> dict[str, Any]:
    """hatch installs the plugins of ``[tool.hatch.env] requires`` from the index. This project
    releases itself with the plugin of the commit being released (it cannot come from an index
    before its first release): installing the checkout beside hatch satisfies that requirement, and
    the collector then gives the release env the same checkout (by its PEP 610 URL)."""
    hatch = ctx.settings.hatch_requirement
    if canonicalize_name(ctx.config.project_name) == DIST_NAME:
        return {"name": "Install hatch and this checkout's plugin", "run": f'python -m pip install "{hatch}" .'}
    return {"name": "Install hatch", "run": f'python -m pip install "{hatch}"'}


def setup_steps(ctx: Context, *, toolchains: bool = False) -> list[dict[str, Any]]:
    """Check out (full history: the version comes from the tag), Python for hatch, hatch itself;
    with ``toolchains``, the configured extra setup steps before hatch (the build jobs)."""
    steps: list[dict[str, Any]] = [
        {
            "name": "Check out with full history and tags (the version comes from the tag)",
            "uses": ctx.uses("checkout"),
            "with": {"fetch-depth": 0, "persist-credentials": False},
        },
        {
            "name": "Set up Python",
            "uses": ctx.uses("setup-python"),
            "with": {"python-version": ctx.settings.runner_python},
        },
    ]
    if toolchains:
        steps.extend(extra_steps(ctx))
    steps.append(install_step(ctx))
    return steps


def extra_steps(ctx: Context) -> list[dict[str, Any]]:
    """``[workflow] setup-steps``: the file's own pin of the same action wins over the config's."""
    steps = []
    for extra in ctx.settings.setup_steps:
        pin = ctx.pins.pin(Pin(extra.action, extra.sha, extra.version))
        step: dict[str, Any] = {"name": extra.name or f"Set up {extra.action}", "uses": written(pin)}
        inputs: dict[str, Any] = dict(extra.with_)
        if extra.action in CACHE_BY_DEFAULT:  # no cache in a release workflow (zizmor: cache-poisoning)
            inputs.setdefault(CACHE_BY_DEFAULT[extra.action], False)
        if inputs:
            step["with"] = inputs
        steps.append(step)
    return steps


def upload_step(ctx: Context, name: str, artifact: str, pattern: str) -> dict[str, Any]:
    return {
        "name": name,
        "uses": ctx.uses("upload-artifact"),
        "with": {"name": artifact, "path": f"{ctx.dist}/{pattern}", "if-no-files-found": "error"},
    }


# ----------------------------------------------------------------------------- the jobs


def plan_job(ctx: Context) -> dict[str, Any]:
    """The one release decision; later jobs read its outputs."""
    return {
        "name": "Plan the release",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 15,
        "outputs": {key: f"${{{{ steps.plan.outputs.{key} }}}}" for key in PLAN_OUTPUTS},
        "steps": [
            *setup_steps(ctx),
            {
                "name": "Plan the release (version, channel, repository, environment)",
                "id": "plan",
                "run": f"{ctx.run}plan --github-output",
            },
        ],
    }


def build_job(ctx: Context) -> dict[str, Any]:
    """The wheels: one pure-Python wheel on Ubuntu, or a matrix of platforms."""
    return pure_build_job(ctx) if ctx.pure_python else platform_build_job(ctx)


def pure_build_job(ctx: Context) -> dict[str, Any]:
    return {
        "name": "Build and test the wheel",
        "needs": "plan",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 60,
        "steps": [
            *setup_steps(ctx, toolchains=True),
            {"name": "Build and test the wheel", "run": f"{ctx.run}build --no-sdist",
             **({"env": token_for_reuse()} if ctx.config.reuse else {})},
            upload_step(ctx, "Upload the wheel", PURE_WHEEL_ARTIFACT, "*.whl"),
        ],
    }


def platform_build_job(ctx: Context) -> dict[str, Any]:
    """One job per platform; with ``reuse = true`` skipped when the plan re-versions the base wheels."""
    settings = ctx.settings
    include = [{"platform": p.name, "runner": settings.runner(p.name, p.runner)} for p in ctx.config.platforms]
    return {
        "name": "Build and test wheels (${{ matrix.platform }})",
        "needs": "plan",
        **({"if": "needs.plan.outputs.reuse != 'true'"} if reuses(ctx) else {}),
        "strategy": {"fail-fast": False, "matrix": {"include": include}},
        "runs-on": "${{ matrix.runner }}",
        "timeout-minutes": 120,
        "steps": [
            *setup_steps(ctx, toolchains=True),
            {
                "name": "Build and test wheels",
                "run": f'{ctx.run}build --platform "$PLATFORM" --no-sdist',
                "env": {"PLATFORM": "${{ matrix.platform }}"},
            },
            upload_step(ctx, "Upload the wheels", "wheels-${{ matrix.platform }}", "*.whl"),
        ],
    }


def reuses(ctx: Context) -> bool:
    """The build matrix can be skipped: ``reuse = true`` for platform wheels (a pure-Python project's one
    build job re-versions or builds by itself: ``build`` decides)."""
    return ctx.config.reuse and not ctx.pure_python


def token_for_reuse() -> dict[str, str]:
    """``build`` reads the base release's wheels from its GitHub Release with the job's own token."""
    return {"GITHUB_TOKEN": "${{ github.token }}"}


def reuse_job(ctx: Context) -> dict[str, Any] | None:
    """``reuse = true``, platform wheels: when the plan says reuse, one job re-versions every platform's
    base wheels (from the base tag's GitHub Release or the index) and tests those this runner installs.
    Should reuse fail here after all, ``build`` builds this runner's wheels and ``check`` then refuses
    the incomplete set before anything is published."""
    if not reuses(ctx):
        return None
    return {
        "name": "Re-version the base release's wheels (${{ needs.plan.outputs.reuse-base }})",
        "needs": "plan",
        "if": "needs.plan.outputs.reuse == 'true'",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
        "steps": [
            *setup_steps(ctx),
            {"name": "Re-version and test the wheels", "run": f"{ctx.run}build --no-sdist", "env": token_for_reuse()},
            upload_step(ctx, "Upload the wheels", REUSED_WHEEL_ARTIFACT, "*.whl"),
        ],
    }


def sdist_job(ctx: Context) -> dict[str, Any] | None:
    """None with ``sdist = false``: the project ships wheels only (no job would build anything)."""
    if not ctx.config.sdist:
        return None
    return {
        "name": "Build the sdist",
        "needs": "plan",
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
        "steps": [
            *setup_steps(ctx),
            {"name": "Build the sdist", "run": f"{ctx.run}build --sdist-only"},
            upload_step(ctx, "Upload the sdist", SDIST_ARTIFACT, "*.tar.gz"),
        ],
    }


def routed_repositories(config: Config) -> list[Repository]:
    """The repositories the workflow can publish to (the routes' targets), pre-release route first."""
    names = dict.fromkeys([config.routes.prerelease, config.routes.final])
    return [config.repository(name) for name in names]


def token_env(config: Config) -> dict[str, str]:
    """``TOKEN_VAR: ${{ <routed here> && secrets.TOKEN_VAR || '' }}`` for each token variable.

    Only the token of the repository the plan routed to is non-empty, so a pre-release run never
    holds the production token.
    """
    by_var: dict[str, list[str]] = {}
    for repo in routed_repositories(config):
        if repo.token_env and repo.trusted_publishing is not True:
            by_var.setdefault(repo.token_env, []).append(repo.name)
    env = {}
    for var, repos in by_var.items():
        cond = " || ".join(f"needs.plan.outputs.repository == '{name}'" for name in repos)
        if len(repos) > 1:
            cond = f"({cond})"
        env[var] = f"${{{{ {cond} && secrets.{var} || '' }}}}"
    return env


def download_steps(ctx: Context) -> list[dict[str, Any]]:
    """Every build job's wheels (``wheels-*``) and the sdist into the dist folder."""
    steps: list[dict[str, Any]] = [{
        "name": "Download the wheels",
        "uses": ctx.uses("download-artifact"),
        "with": {"pattern": "wheels-*", "path": ctx.dist, "merge-multiple": True},
    }]
    if ctx.config.sdist:
        steps.append({
            "name": "Download the sdist",
            "uses": ctx.uses("download-artifact"),
            "with": {"name": SDIST_ARTIFACT, "path": ctx.dist},
        })
    return steps


def publish_needs(ctx: Context) -> tuple[tuple[str, ...], str]:
    """The publish job's ``needs`` and ``if``: with reuse, the wheels come from the build matrix or the
    reuse job, whichever ran, and the results are checked explicitly."""
    needs = ("plan", "build", *(("reuse",) if reuses(ctx) else ()), *(("sdist",) if ctx.config.sdist else ()))
    if not reuses(ctx):
        return needs, PUBLISH_IF
    checks = ["needs.plan.result == 'success'", WHEELS_BUILT]
    if ctx.config.sdist:
        checks.append("needs.sdist.result == 'success'")
    return needs, f"!cancelled() && {' && '.join(checks)} && {PUBLISH_IF}"


def publish_job(ctx: Context) -> dict[str, Any]:
    """Check the artifacts against the plan and upload them, in the routed repository's environment."""
    repos = routed_repositories(ctx.config)
    needs, condition = publish_needs(ctx)
    job: dict[str, Any] = {
        "name": "Publish to ${{ needs.plan.outputs.repository }}",
        "needs": Flow(needs),
        "if": condition,
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
    }
    if any(r.environment for r in repos):
        environment = {"name": "${{ needs.plan.outputs.environment }}"}
        if any(r.project_page(ctx.config.project_name or "x") for r in repos):
            environment["url"] = "${{ needs.plan.outputs.environment-url }}"
        job["environment"] = environment
    permissions: dict[str, Any] = {"contents": Commented("read", "check out the repository")}
    if any(r.trusted_publishing in (True, "auto") for r in repos):
        permissions["id-token"] = Commented("write", "Trusted Publishing: mint an OIDC token for the index")
    job["permissions"] = permissions
    publish: dict[str, Any] = {"name": "Publish", "run": f"{ctx.run}publish"}
    if env := token_env(ctx.config):
        publish["env"] = env
    job["steps"] = [
        *setup_steps(ctx),
        *download_steps(ctx),
        {"name": "Check the artifacts against the plan", "run": f"{ctx.run}check"},
        publish,
    ]
    return job


def github_release_job(ctx: Context) -> dict[str, Any] | None:
    """The GitHub Release of the tag with the published files attached, after publish succeeded; the only
    job that may write to the repository (``contents: write``). None with ``when = "never"``."""
    settings = ctx.config.github_release
    if settings.when == "never":
        return None
    condition = GITHUB_RELEASE_IF
    if reuses(ctx):  # publish ran after a skipped job: its success must be checked by name
        condition = f"!cancelled() && needs.publish.result == 'success' && {GITHUB_RELEASE_IF}"
    permissions: dict[str, Any] = {"contents": Commented("write", "create the release and upload its assets")}
    steps = [*setup_steps(ctx), *download_steps(ctx)]
    if settings.provenance:
        permissions["id-token"] = Commented("write", "sign the provenance attestations (Sigstore)")
        permissions["attestations"] = Commented("write", "store the attestations in the repository")
        steps.append({
            "name": "Attest the build provenance of the assets",
            "uses": ctx.uses("attest-build-provenance"),
            "with": {"subject-path": f"{ctx.dist}/*"},
        })
    steps.append({
        "name": "Create or finish the GitHub Release",
        "run": f"{ctx.run}github-release",
        "env": {"GITHUB_TOKEN": "${{ github.token }}"},
    })
    return {
        "name": "GitHub Release ${{ needs.plan.outputs.tag }}",
        "needs": Flow(("plan", "publish")),
        "if": condition,
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 30,
        "permissions": permissions,
        "steps": steps,
    }


# The jobs in order: (id, builder). A new job is one function and one line here; a builder returns
# None when the configuration has no such job.
JOBS: tuple[tuple[str, Callable[[Context], dict[str, Any] | None]], ...] = (
    ("plan", plan_job),
    ("build", build_job),
    ("reuse", reuse_job),
    ("sdist", sdist_job),
    ("publish", publish_job),
    ("github-release", github_release_job),
)
