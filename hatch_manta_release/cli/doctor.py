"""``manta-release doctor``: check config, git, tokens, workflow and index; say what to fix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


@click.command("doctor")
@click.option("--offline", is_flag=True, help="Skip the network checks (index look-up, remote tag).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds per network check.")
@click.pass_context
def command(ctx: click.Context, offline: bool, as_json: bool, timeout: float) -> None:
    """Check the release setup; exit non-zero when anything fails.

    Token values are never shown: only whether each variable is set and shaped like a token.
    """
    from rich.markup import escape

    from hatch_manta_release.adopt.doctor import failed, run_doctor, to_json
    from hatch_manta_release.cli.output import console

    findings = run_doctor(Path(ctx.obj["root"]), offline=offline, timeout=timeout)
    if as_json:
        click.echo(to_json(findings))
    else:
        width = max(len(f.check) for f in findings)
        for f in findings:
            style = STYLES[f.status]
            console.print(f"[{style}]{f.status:<4}[/] {escape(f.check):<{width}}  {escape(f.summary)}")
            pad = " " * (width + 7)
            if f.status != "ok" and f.cause:
                console.print(f"{pad}cause: {escape(f.cause)}")
            if f.fix and f.status in ("warn", "fail"):
                console.print(f"{pad}fix:   {escape(f.fix)}")
        counts = {s: sum(1 for f in findings if f.status == s) for s in STYLES}
        console.print(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    if failed(findings):
        sys.exit(1)
