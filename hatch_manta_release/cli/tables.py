"""Tables the commands print: the files of ``dist/`` (``check`` and ``build`` show the same table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from hatch_manta_release.dist.artifacts import Artifact


def artifact_table(
    artifacts: Sequence[Artifact], status: Mapping[str, str] | None = None, title: str | None = None
) -> Table:
    """The artifacts: name, size, sha256 prefix (and a status column, rich markup, when given)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("artifact", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("sha256")
    if status is not None:
        table.add_column("")
    for artifact in artifacts:
        row = [escape(artifact.filename), artifact.size_text, artifact.sha256[:12]]
        if status is not None:
            row.append(status.get(artifact.filename, ""))
        table.add_row(*row)
    return table
