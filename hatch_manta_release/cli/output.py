"""Rich consoles, as hatch uses them: results on stdout, progress and messages on stderr.

Markup from user data (file names, index messages) is escaped by callers with ``rich.markup.escape``.
"""

from __future__ import annotations

import os

from rich.console import Console

_no_color = bool(os.environ.get("NO_COLOR"))
console = Console(highlight=False, no_color=_no_color, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, no_color=_no_color, soft_wrap=True)


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"
