"""A project without a README can be released: twine's "missing description" is a warning here.

``twine check --strict`` fails a file whose metadata has no long description (or no content type),
yet every index accepts such a file; only a description that will not render is refused (PyPI
rejects the upload). So a file whose only complaints are about a *missing* description gets a
warning, and anything else twine says stays an error.
"""

from __future__ import annotations

import re

# twine's own words: "`long_description` missing." and "`long_description_content_type` missing.
# defaulting to text/plain."
_MISSING = re.compile(r"`long_description(_content_type)?` missing\b")


def missing_description(messages: list[str]) -> tuple[str, str] | None:
    """(message, hint) of a warning when every complaint of twine's is a missing description; else None."""
    if not messages or not all(_MISSING.search(m) for m in messages):
        return None
    return (
        "no long description (twine check: " + "; ".join(messages) + "): the project page will show none",
        'add readme = "README.md" to [project] for a project page',
    )
