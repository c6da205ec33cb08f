"""The one output object of the CLI, in the manner of hatch's ``Terminal``.

Results go to stdout, progress and messages to stderr (so ``--json`` output stays clean);
``error:``/``warning:``/``hint:`` prefixes, their colours and the GitHub annotation that mirrors a
warning are written here only. Logic modules return data; commands hand it to this object.
Markup from user data (file names, index messages) is escaped here, not by callers.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.markup import escape

from hatch_manta_release.github import actions

if TYPE_CHECKING:
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.findings import Finding

_no_color = bool(os.environ.get("NO_COLOR"))
console = Console(highlight=False, no_color=_no_color, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, no_color=_no_color, soft_wrap=True)

LEVEL_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "", "ok": "green", "skip": "dim"}


def one_line(text: str) -> str:
    """A message that is one line by design, its control characters escaped: a file name or an index
    message holding ``\\n::error::…`` cannot start a line the runner would read as a workflow command."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def no_commands(text: str) -> str:
    """Text of several lines (a diff, a result) where no line can pass for a workflow command."""
    if "::" not in text:
        return text
    return "\n".join("\\" + line if line.lstrip().startswith("::") else line for line in text.split("\n"))


class Output:
    """What a command prints, and where."""

    def __init__(self, out: Console | None = None, err: Console | None = None, *, verbose: bool = False) -> None:
        self.out = out or console
        self.err = err or err_console
        self.verbose = verbose

    # results (stdout)
    def display(self, text: str) -> None:
        """A result line, printed as it is (no markup)."""
        self.out.print(no_commands(text), markup=False, highlight=False, emoji=False)

    def display_markup(self, renderable: Any) -> None:
        """A rich renderable (a table) or markup the caller built with :func:`escape`."""
        self.out.print(renderable)

    # messages (stderr)
    def display_info(self, text: str) -> None:
        self.err.print(escape(no_commands(text)), highlight=False)

    def display_success(self, text: str) -> None:
        self.err.print(f"[green]✓[/] {escape(one_line(text))}", highlight=False)

    def display_note(self, text: str) -> None:
        self.err.print(f"[yellow]note:[/] {escape(one_line(text))}", highlight=False)

    def display_warning(self, text: str, hint: str | None = None, *, title: str | None = None) -> None:
        """A warning; on GitHub Actions also an annotation on the run's page."""
        self.err.print(f"[{LEVEL_STYLES['warning']}]warning:[/] {escape(one_line(text))}", highlight=False)
        if hint:
            self.display_hint(hint)
        actions.annotate("warning", text + (f" ({hint})" if hint else ""), title=title)

    def display_error(self, text: str, hint: str | None = None) -> None:
        self.err.print(f"[{LEVEL_STYLES['error']}]error:[/] {escape(one_line(text))}", highlight=False)
        if hint:
            self.display_hint(hint)

    def display_hint(self, hint: str) -> None:
        self.err.print(f"[yellow]hint:[/] {escape(one_line(hint))}", highlight=False)

    def display_finding(self, finding: Finding) -> None:
        """A check's finding, prefixed by its level and the file (or check) it is about."""
        where = f"{finding.subject}: " if finding.subject else ""
        if finding.level == "error":
            self.display_error(where + finding.message, finding.hint)
        elif finding.level == "warning":
            self.err.print(
                f"[{LEVEL_STYLES['warning']}]warning:[/] {escape(one_line(where + finding.message))}", highlight=False
            )
            if finding.hint:
                self.display_hint(finding.hint)
        else:
            self.display_info(where + finding.message)

    def abort(self, error: MantaError) -> NoReturn:
        """A user error: one line of cause, one of fix, the error's exit code, no traceback."""
        self.display_error(error.message, error.hint)
        sys.exit(error.exit_code)
