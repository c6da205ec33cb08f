"""``manta-release doctor``: check config, git, tokens, workflow and index; say what to fix.

The checks return :class:`~hatch_manta_release.core.findings.Finding` objects; this module renders
them in doctor's own shape, which ``--json`` keeps as a stable interface: ``check`` (the subject),
``status`` (``ok``, ``info``, ``warn``, ``fail`` or ``skip``), ``summary``, ``cause``, ``fix``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.findings import Finding

STATUS = {"ok": "ok", "info": "info", "warning": "warn", "error": "fail", "skip": "skip"}
STYLES = {"ok": "green", "info": "", "warn": "yellow", "fail": "bold red", "skip": "dim"}


@click.command("doctor")
@click.option("--offline", is_flag=True, help="Skip the network checks (index look-up, remote tag).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds per network check.")
@click.pass_context
def command(ctx: click.Context, offline: bool, as_json: bool, timeout: float) -> None:
    """Check the release setup; exit non-zero when anything fails.

    Token values are never shown: only whether each variable is set and shaped like a token.
    """
    from hatch_manta_release.adopt.doctor import failed, run_doctor
    from hatch_manta_release.cli.output import Output

    findings = run_doctor(Path(ctx.obj["root"]), offline=offline, timeout=timeout)
    if as_json:
        click.echo(to_json(findings))
    else:
        render(Output(), findings)
    if failed(findings):
        sys.exit(1)


def record(finding: Finding) -> dict[str, str | None]:
    """One finding in doctor's shape (the keys and values of ``--json``)."""
    return {
        "check": finding.subject or "",
        "status": STATUS[finding.level],
        "summary": finding.message,
        "cause": finding.detail,
        "fix": finding.hint,
    }


def to_json(findings: Sequence[Finding]) -> str:
    return json.dumps([record(f) for f in findings], indent=2)


def render(out: Output, findings: Sequence[Finding]) -> None:
    """One line per finding (status, check, summary), its cause and fix beneath, then the counts."""
    from rich.markup import escape

    records = [record(f) for f in findings]
    width = max(len(r["check"] or "") for r in records)
    pad = " " * (width + 7)
    for r in records:
        status = r["status"] or ""
        style = STYLES[status]
        mark = f"[{style}]{status:<4}[/]" if style else f"{status:<4}"
        out.display_markup(f"{mark} {escape(r['check'] or ''):<{width}}  {escape(r['summary'] or '')}")
        if status != "ok" and r["cause"]:
            out.display_markup(f"{pad}cause: {escape(r['cause'])}")
        if r["fix"] and status in ("info", "warn", "fail"):
            out.display_markup(f"{pad}fix:   {escape(r['fix'])}")
    counts = {s: sum(1 for r in records if r["status"] == s) for s in STYLES}
    out.display_markup(", ".join(f"{n} {s}" for s, n in counts.items() if n))
