"""The commands page, generated from the CLI's own click help and the collector's script table."""

from __future__ import annotations

import click

from hatch_manta_release.cli.app import cli
from hatch_manta_release.cli.commands import COMMANDS
from hatch_manta_release.core import defaults

WIDTH = 100  # fixed, so the page does not depend on the terminal of whoever builds it


def help_text(name: str | None = None) -> str:
    """``manta-release [name] --help`` as click prints it."""
    top = click.Context(cli, info_name="manta-release", terminal_width=WIDTH, max_content_width=WIDTH,
                        **cli.context_settings)
    if name is None:
        return cli.get_help(top)
    command = cli.get_command(top, name)
    assert command is not None, name
    sub = click.Context(command, info_name=name, parent=top, terminal_width=WIDTH, max_content_width=WIDTH)
    return command.get_help(sub)


def scripts() -> dict[str, str]:
    """The scripts the collector gives the release environment (``hatch run release:<name>``)."""
    from hatch_manta_release.plugin.collector import release_scripts

    return release_scripts()


def render() -> str:
    env = defaults.ENV_NAME
    lines = [
        f"| `hatch run {env}:…` | runs | what it does |",
        "|---|---|---|",
    ]
    lines += [f"| [`{env}:{name}`](#{name}) | `{script}` | {COMMANDS[name]} |" for name, script in scripts().items()]
    lines += ["", "## `manta-release` { #manta-release }", "", "```text", help_text().rstrip(), "```", ""]
    for name in COMMANDS:
        lines += [
            f"## `{name}`" + " { #" + name + " }",
            "",
            f"`hatch run {env}:{name} [OPTIONS]` = `manta-release {name} [OPTIONS]`. {COMMANDS[name]}",
            "",
            "```text",
            help_text(name).rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)
