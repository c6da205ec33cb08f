"""``publish``: the plan's artifacts to the plan's repository, safe to re-run.

1. The plan routes: a pre-release to the test repository, a final release to production
   (``--repository`` overrides, and says so); an untagged or dirty build never publishes.
2. ``dist/`` is read and checked against the plan (every platform present, every file of this
   version) unless ``--allow-missing`` / ``--no-check``.
3. The credential: ``token-env`` or Trusted Publishing (:mod:`.credentials`).
4. One simple-API query says what the index already has. Identical files are skipped; a different
   file under a published name stops everything on a production repository (nothing is uploaded),
   and is a loud warning on one with ``skip-existing = true``.
5. Wheels are uploaded first (in parallel, ``--jobs``), the sdist last and only when every wheel
   landed; transient failures are retried with backoff. A failure stops new uploads, and the summary
   says which files landed and which did not: a re-run finishes the release.
6. The summary (files, sizes, sha256, what happened to each), the install command, and on GitHub
   Actions the same summary in ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from rich.console import Console
from rich.markup import escape

from hatch_manta_release.core.config import Config, Repository
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.plan import Plan, make_plan
from hatch_manta_release.core.project import load_project
from hatch_manta_release.publish.failures import Context, Failure, from_exception, from_response
from hatch_manta_release.publish.index import IndexFile, IndexReadError, existing_files
from hatch_manta_release.publish.upload import Credentials, Uploaders, upload_file

if TYPE_CHECKING:
    from hatch_manta_release.dist.artifacts import Artifact


class PublishError(MantaError):
    """Publishing stopped; the summary above says what landed.

    Fix: fix what the message names (the token, a file that differs from the index's copy, an
    unreachable index) and run ``publish`` again: files already on the index are skipped, so a
    re-run finishes the release.
    """


@dataclass(frozen=True)
class PublishOptions:
    repository: str | None = None
    dry_run: bool = False
    allow_missing: bool = False
    no_check: bool = False
    jobs: int | None = None  # None: default_jobs(upload URL)
    retries: int = 3
    retry_delay: float = 1.0
    timeout: float = 300.0
    verbose: bool = False


# statuses: uploaded | skipped | conflict | failed | not-attempted | would-upload
@dataclass
class FileOutcome:
    file: Artifact
    status: str
    note: str = ""
    failure: Failure | None = None
    attempts: int = 0
    maybe_landed: bool = False  # the answer was lost and the index could not be asked afterwards


@dataclass
class PublishReport:
    plan: Plan
    repository: Repository
    outcomes: list[FileOutcome] = field(default_factory=list)
    dry_run: bool = False
    install_command: str = ""
    seconds: float = 0.0
    stopped: bool = False  # refused before uploading (a conflict on production)
    blockers: list[str] = field(default_factory=list)  # dry run: what would stop a real publish

    @property
    def ok(self) -> bool:
        return not self.stopped and all(
            o.status in ("uploaded", "skipped", "conflict", "would-upload") for o in self.outcomes
        )

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


# ----------------------------------------------------------------------------- the command


def publish(
    root: str | Path,
    options: PublishOptions,
    *,
    environ: Mapping[str, str] | None = None,
    out: Console | None = None,
    err: Console | None = None,
) -> PublishReport:
    from hatch_manta_release.cli.output import console, err_console

    started = time.monotonic()
    env = os.environ if environ is None else environ
    out = out or console
    err = err or err_console
    root = Path(root)

    def info(message: str) -> None:
        err.print(escape(message), highlight=False)

    def warn(message: str) -> None:
        err.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False)
        if env.get("GITHUB_ACTIONS") == "true":
            # A warning annotation shows on the run's page, not only in the log.
            print(f"::warning title=manta-release publish::{message}", flush=True)

    blockers: list[str] = []

    def block(error: MantaError) -> None:
        """Stop - or, in a dry run, report what would stop a real publish and go on."""
        if not options.dry_run:
            raise error
        blockers.append(error.message)
        warn(f"a real publish would stop here: {error.message}" + (f" ({error.hint})" if error.hint else ""))

    project = load_project(root)
    config = project.config
    plan = make_plan(project, repository=options.repository)
    repo = plan.repository
    routed = plan.routed_repository
    if options.repository and options.repository != routed:
        warn(f"publishing to {repo.name} because of --repository (the route for a {plan.channel} release is {routed})")
    if not plan.publish:
        block(
            PublishError(
                f"{plan.project} {plan.version} is not published: {plan.reason}",
                "publish runs on a clean checkout of a release tag (git tag v1.2.3 && git push origin v1.2.3); "
                "`manta-release plan` shows the decision",
            )
        )
    info(
        f"{'dry run: ' if options.dry_run else ''}publishing {plan.project} {plan.version} ({plan.channel}, "
        f"tag {plan.tag or 'none'}) to {repo.name} ({repo.upload_url})"
    )

    dist_dir = root / plan.dist_dir
    project_name = canonicalize_name(plan.project)
    from hatch_manta_release.dist.artifacts import read_dist

    artifacts: list[Artifact] = []
    dist_read = False
    try:
        artifacts = read_dist(dist_dir)  # read and hashed once
        dist_read = True
    except MantaError as e:
        block(e)
    if not options.no_check and artifacts:
        try:
            _check(plan, artifacts, options, warn)
        except MantaError as e:
            block(e)
    all_files = [a for a in artifacts if not a.invalid and canonicalize_name(a.project) == project_name]
    files = [f for f in all_files if f.version == plan.version]
    if not files and dist_read:
        block(
            PublishError(
                f"no file of {plan.project} {plan.version} in {dist_dir}",
                "build first: `hatch run release:build` (or download the build artifacts into dist/)",
            )
        )
    wheels = sorted((f for f in files if f.kind == "wheel"), key=lambda f: f.filename)
    sdists = [f for f in files if f.kind == "sdist"]
    ordered = wheels + sdists

    # Credentials (in a dry run a missing credential is reported, not fatal).
    from hatch_manta_release.publish.credentials import resolve_credentials

    credentials: Credentials | None = None
    try:
        credentials = resolve_credentials(repo, plan.project, plan.version, env, warn=warn, info=info)
    except MantaError as e:
        block(e)
    ctx = Context(
        repo,
        plan.project,
        plan.version,
        credentials.source if credentials else f"${repo.token_env}",
        trusted_publishing=bool(credentials and credentials.trusted_publishing),
    )
    auth = (credentials.username, credentials.password) if credentials else None

    # What the index already holds.
    existing: dict[str, IndexFile] = {}
    try:
        existing = _query_index(repo, plan.project, auth, ctx, options)
    except MantaError as e:
        block(e)

    report = PublishReport(plan, repo, dry_run=options.dry_run)
    report.install_command = install_command(plan, config, repo)
    to_upload: list[Artifact] = []
    conflicts: list[FileOutcome] = []
    for f in ordered:
        on_index = existing.get(f.filename)
        if on_index is None:
            to_upload.append(f)
            report.outcomes.append(FileOutcome(f, "would-upload" if options.dry_run else "not-attempted"))
        elif on_index.sha256 is None:
            report.outcomes.append(FileOutcome(f, "skipped", f"already on {repo.name} (the index shows no hash)"))
            warn(f"{f.filename} is already on {repo.name}, which publishes no sha256 for it: assumed identical")
        elif on_index.sha256 == f.sha256:
            report.outcomes.append(FileOutcome(f, "skipped", f"identical file already on {repo.name}"))
        else:
            outcome = FileOutcome(
                f,
                "conflict",
                f"{repo.name} has different content under this name (sha256 {on_index.sha256[:16]}…)",
            )
            report.outcomes.append(outcome)
            conflicts.append(outcome)

    if conflicts:
        names = ", ".join(o.file.filename for o in conflicts)
        fix = (
            f"never rebuild a published version: tag and release {_next(plan.version)}; "
            "or, if dist/ holds stale builds, rebuild exactly the published commit"
        )
        if not repo.skip_existing and options.dry_run:
            block(PublishError(f"{repo.name} already has {names} with different content", fix))
        elif not repo.skip_existing:
            for o in report.outcomes:
                if o.status in ("not-attempted", "would-upload"):
                    o.status, o.note = "not-attempted", "stopped: a published file differs"
            report.stopped = True
            _print_summary(report, out, options.verbose)
            _step_summary(report, env)
            raise PublishError(
                f"{repo.name} already has {names} with different content: nothing was uploaded",
                fix,
            )
        err.rule(style="bold red")
        warn(
            f"{repo.name} already has {names} with DIFFERENT content: skipped (skip-existing = true for "
            f"{repo.name}); the index keeps its version, not this build's. {fix}"
        )
        err.rule(style="bold red")

    if options.dry_run or not to_upload:
        if not to_upload and not options.dry_run:
            info(f"every file is already on {repo.name}: nothing to upload")
        report.seconds = time.monotonic() - started
        report.blockers = blockers
        _print_summary(report, out, options.verbose)
        _step_summary(report, env)
        return report

    try:
        import twine.repository  # noqa: F401 - uploads every file; fail here, not in every thread
    except ImportError:
        raise PublishError(
            "twine is not installed: it uploads the files",
            "install hatch-manta-release[release] (the release environment of `hatch run release:publish` has it)",
        ) from None
    by_name = {o.file.filename: o for o in report.outcomes}

    def confirm(filename: str) -> str | None:
        found = existing_files(repo.index_url, plan.project, auth=auth, timeout=30).get(filename)
        return found.sha256 if found else None

    uploaders = Uploaders(credentials)  # one twine Repository (requests session) per thread, closed below
    stop = threading.Event()
    lock = threading.Lock()
    done = [0]
    total = len(to_upload)

    def one(f: Artifact) -> None:
        outcome = by_name[f.filename]
        if stop.is_set():
            outcome.note = "not attempted: an earlier upload failed"
            return
        result = upload_file(
            f.path,
            f.sha256,
            repo.upload_url,
            credentials,
            ctx,
            retries=options.retries,
            retry_delay=options.retry_delay,
            timeout=options.timeout,
            confirm=confirm,
            uploaders=uploaders,
        )
        outcome.attempts = result.attempts
        with lock:
            done[0] += 1
            n = done[0]
        if result.ok:
            outcome.status, outcome.note = "uploaded", result.note
            info(f"[{n}/{total}] uploaded {f.filename}" + (f" ({result.note})" if result.note else ""))
        else:
            outcome.status, outcome.failure = "failed", result.failure
            outcome.maybe_landed = result.maybe_landed
            stop.set()
            cause = result.failure.cause if result.failure else "failed"
            cause = cause.removeprefix(f"{f.filename}: ")
            info(f"[{n}/{total}] FAILED {f.filename}: {cause}")

    upload_wheels = [f for f in to_upload if f.kind == "wheel"]
    upload_sdists = [f for f in to_upload if f.kind != "wheel"]
    jobs = max(1, min(options.jobs or default_jobs(repo.upload_url), len(upload_wheels) or 1))
    try:
        if upload_wheels:
            if jobs == 1:
                for f in upload_wheels:
                    one(f)
            else:
                # The first file alone: on a new project or release it creates them (parallel first uploads
                # could race to), and a bad token or URL fails once, not once per thread.
                one(upload_wheels[0])
                with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="upload") as pool:
                    list(pool.map(one, upload_wheels[1:]))
        for f in upload_sdists:  # the sdist last, and only when every wheel landed
            if stop.is_set():
                by_name[f.filename].note = "not attempted: the sdist goes last, after every wheel"
                continue
            one(f)
    finally:
        uploaders.close()

    failed = [o for o in report.outcomes if o.status == "failed"]
    if failed:
        _recheck_landed(report, repo, plan.project, auth)
    report.seconds = time.monotonic() - started
    _print_summary(report, out, options.verbose)
    _step_summary(report, env)
    failed = [o for o in report.outcomes if o.status == "failed"]
    if failed or any(o.status == "not-attempted" for o in report.outcomes):
        first = next((o.failure for o in failed if o.failure), None)
        landed = [o.file.filename for o in report.outcomes if o.status in ("uploaded", "skipped")]
        unknown = [o.file.filename for o in report.outcomes if o.status == "failed" and o.maybe_landed]
        missing = [
            o.file.filename
            for o in report.outcomes
            if o.status == "not-attempted" or (o.status == "failed" and not o.maybe_landed)
        ]
        message = (first.cause if first else "publishing stopped") + (
            f" - {len(landed)} of {len(report.outcomes)} files are on {repo.name}"
            + (f" ({', '.join(landed)})" if landed else "")
            + (f"; maybe landed (answer lost, index unreachable): {', '.join(unknown)}" if unknown else "")
            + (f"; not there: {', '.join(missing)}" if missing else "")
        )
        hint = (first.fix if first else "re-run publish") + (
            "" if first and "re-run" in first.fix else "; then re-run publish: files already there are skipped"
        )
        if options.verbose and first and first.detail:
            err.print(f"index said: {escape(first.detail)}", highlight=False)
        raise PublishError(message, hint)
    return report


def default_jobs(upload_url: str) -> int:
    """Parallel uploads: 4 to a remote index (uploads wait on the network); on a loopback index, which
    parses uploads on this machine's own CPUs, about half as many as there are CPUs (measured: 2 is fastest on 2
    cores against pypiserver, 4 is slower than 1)."""
    import urllib.parse

    host = (urllib.parse.urlsplit(upload_url).hostname or "").lower()
    if host in ("localhost", "::1") or host.startswith("127."):
        return max(1, min(4, (os.cpu_count() or 2) // 2 + 1))
    return 4


def _check(plan: Plan, artifacts: Sequence[Artifact], options: PublishOptions, warn: Callable[[str], None]) -> None:
    """``check`` without its slow metadata pass: names, versions, wheel tags the index refuses, completeness.

    (``twine check --strict`` belongs to ``manta-release check`` in the build job; here twine reads
    each uploaded file's metadata anyway, and a re-run with nothing to upload stays one query.)
    """
    from hatch_manta_release.dist.artifacts import check_dist

    report = check_dist(plan, artifacts, allow_missing=options.allow_missing, metadata=False)
    for finding in report.warnings:
        warn((f"{finding.filename}: " if finding.filename else "") + finding.message)
    if not report.ok:
        try:
            report.raise_for_errors()
        except MantaError as e:
            raise PublishError(
                e.message,
                (e.hint + "; " if e.hint else "")
                + "publish what there is with --allow-missing (missing platforms) or --no-check (no checks)",
            ) from None


def _query_index(
    repo: Repository, project: str, auth: tuple[str, str] | None, ctx: Context, options: PublishOptions
) -> dict[str, IndexFile]:
    try:
        return existing_files(repo.index_url, project, auth=auth, timeout=min(options.timeout, 60))
    except IndexReadError as e:
        cause = f"{e.response.status} {e.response.reason}"
        # The reader's own advice where it has one (a redirect to another host, credentials withheld),
        # else the translation of the status.
        fix = e.hint or from_response(e.response, ctx, f"the simple index page of {project}").fix
        raise PublishError(
            f"cannot read what {repo.name} holds ({repo.index_url}): {cause}",
            f"check index-url of [tool.manta-release.repositories.{repo.name}] - publish reads it to skip files "
            f"already there; {fix}",
        ) from None
    except (OSError, ValueError) as e:
        failure = from_exception(e, ctx, repo.index_url) if isinstance(e, OSError) else None
        raise PublishError(
            f"cannot read what {repo.name} holds ({repo.index_url}): "
            + (failure.cause if failure else f"not a simple index page ({e})"),
            failure.fix if failure else f"check index-url of [tool.manta-release.repositories.{repo.name}]",
        ) from None


def _recheck_landed(report: PublishReport, repo: Repository, project: str, auth: tuple[str, str] | None) -> None:
    """After a failure, ask the index once what really landed (an answer lost on the way may hide a success)."""
    try:
        existing = existing_files(repo.index_url, project, auth=auth, timeout=10)
    except (OSError, ValueError, IndexReadError):
        return
    for o in report.outcomes:
        if o.status == "failed":
            found = existing.get(o.file.filename)
            if found is not None and found.sha256 == o.file.sha256:
                o.status, o.note = "uploaded", "landed, though its answer was lost"
            else:
                o.maybe_landed = False


def _next(version: str) -> str:
    from hatch_manta_release.publish.failures import next_versions

    return next_versions(version)


def install_command(plan: Plan, config: Config, repo: Repository) -> str:
    requirement = f"{plan.project}=={plan.version}"
    production = config.route("final")
    if repo.name == production.name:
        if repo.index_url.rstrip("/") == "https://pypi.org/simple":
            return f"pip install {requirement}"
        return f"pip install --index-url {repo.index_url} {requirement}"
    return f"pip install --index-url {repo.index_url} --extra-index-url {production.index_url} {requirement}"


# ----------------------------------------------------------------------------- summaries


_LABELS = {
    "uploaded": "uploaded",
    "skipped": "skipped",
    "conflict": "CONFLICT",
    "failed": "FAILED",
    "not-attempted": "not sent",
    "would-upload": "would upload",
}


def _size(n: int) -> str:
    from hatch_manta_release.dist.artifacts import human_size

    return human_size(n)


def _print_summary(report: PublishReport, out: Console, verbose: bool) -> None:
    plan, repo = report.plan, report.repository
    verb = "dry run: would publish" if report.dry_run else "published" if report.ok else "publishing stopped:"
    out.print(
        f"{verb} {escape(plan.project)} {plan.version} to {repo.name} ({escape(repo.upload_url)})", highlight=False
    )
    width = max((len(o.file.filename) for o in report.outcomes), default=10)
    for o in report.outcomes:
        line = (
            f"  {_LABELS.get(o.status, o.status):<12} {o.file.filename:<{width}}  {_size(o.file.size):>9}  "
            f"sha256:{o.file.sha256}"
        )
        if o.note:
            line += f"  ({o.note})"
        elif o.maybe_landed:
            line += "  (may have landed: the answer was lost and the index could not be asked)"
        out.print(escape(line), highlight=False)
        if o.failure is not None:
            out.print(escape(f"      {o.failure.cause}"), highlight=False)
            if verbose and o.failure.detail:
                out.print(escape(f"      index said: {o.failure.detail}"), highlight=False)
    counts = ", ".join(f"{report.count(s)} {_LABELS[s]}" for s in _LABELS if report.count(s)) or "no files"
    out.print(f"{counts} in {report.seconds:.1f}s", highlight=False)
    if report.blockers:
        out.print(
            escape(f"a real publish would stop: {len(report.blockers)} problem(s): " + "; ".join(report.blockers)),
            highlight=False,
        )
        return
    if report.ok:
        out.print(f"install: {escape(report.install_command)}", highlight=False)
        page = repo.project_page(plan.project, plan.version)
        if page:
            out.print(f"page:    {page}", highlight=False)


def step_summary_markdown(report: PublishReport) -> str:
    plan, repo = report.plan, report.repository
    title = "Dry run" if report.dry_run else "Published" if report.ok else "Publishing stopped"
    lines = [
        f"### {title}: {plan.project} {plan.version} → {repo.name}",
        "",
        "| file | size | sha256 | result |",
        "|---|---:|---|---|",
    ]
    for o in report.outcomes:
        result = _LABELS.get(o.status, o.status) + (f" ({o.note})" if o.note else "")
        if o.failure is not None:
            result += f": {o.failure.cause}"
        lines.append(f"| `{o.file.filename}` | {_size(o.file.size)} | `{o.file.sha256}` | {result} |")
    lines.append("")
    if report.blockers:
        lines += ["A real publish would stop:", ""] + [f"- {b}" for b in report.blockers] + [""]
    elif report.ok:
        lines += ["Install:", "", "```", report.install_command, "```", ""]
    return "\n".join(lines) + "\n"


def _step_summary(report: PublishReport, environ: Mapping[str, str]) -> None:
    path = environ.get("GITHUB_STEP_SUMMARY")
    if environ.get("GITHUB_ACTIONS") != "true" or not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as f:
            f.write(step_summary_markdown(report))
    except OSError:
        pass
