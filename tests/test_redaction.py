"""The one redaction point, on every form a secret takes on the wire."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hatch_manta_release.core import redaction
from hatch_manta_release.core.redaction import child_env, redact, register_secret

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLTEyMzQ+NTY3OC9hYmNkZWYxMjM0NTY3ODkwAAIqWzMsImZvbyJdAAAGIA"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    redaction.forget_all()
    yield
    redaction.forget_all()


def every_form(secret: str, user: str = "__token__") -> list[str]:
    pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return [secret, pair, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)]


def assert_clean(text: str, secret: str) -> None:
    squashed = "".join(text.split())
    for form in every_form(secret):
        assert form not in text and form not in squashed, form


def test_every_form_is_masked() -> None:
    register_secret(TOKEN)
    pair = base64.b64encode(f"__token__:{TOKEN}".encode()).decode()
    page = (
        f"<pre>Authorization: Basic {pair[:40]}\n{pair[40:]}</pre> token={urllib.parse.quote(TOKEN, safe='')}"
        f" plus={urllib.parse.quote_plus(TOKEN)} raw={TOKEN}"
    )
    out = redact(page)
    assert_clean(out, TOKEN)
    assert out.count("***") >= 4


def test_token_with_a_newline_is_masked_line_by_line() -> None:
    secret = "pypi-firstpart1234\nsecondpart5678"
    register_secret(secret)
    assert "firstpart" not in redact("x pypi-firstpart1234 y") and "secondpart" not in redact("secondpart5678")


def test_url_userinfo_is_removed() -> None:
    assert redact("https://user:s3cret@example.org/simple/") == "https://***@example.org/simple/"
    assert redact("see https://tok3n@host/x and http://h/y") == "see https://***@host/x and http://h/y"


def test_non_latin1_token_does_not_crash() -> None:
    register_secret("pypi-ünïcödé-token-value")
    assert "ünïcödé" not in redact("echo pypi-ünïcödé-token-value")


def test_child_env_drops_secret_variables_by_name_and_value() -> None:
    register_secret(TOKEN, variable="PYPI_API_TOKEN")
    env = child_env({"PYPI_API_TOKEN": TOKEN, "COPY": f"x{TOKEN}", "PATH": "/bin",
                     "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "abc"})
    assert env == {"PATH": "/bin"}


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=8, max_size=60).filter(lambda s: s.strip() == s and "\n" not in s),
       before=st.text(max_size=30), after=st.text(max_size=30))
def test_property_no_form_survives(secret: str, before: str, after: str) -> None:
    redaction.forget_all()
    register_secret(secret)
    for form in every_form(secret):
        assert form not in redact(before + form + after)


def test_cli_output_passes_the_redaction_point(capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever a command prints (rich, click, print) goes through the wrapped streams."""
    import sys

    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.redaction import install_stream_redaction

    register_secret(TOKEN)
    install_stream_redaction()
    pair = base64.b64encode(f"__token__:{TOKEN}".encode()).decode()
    Output().display_error(f"index said: Basic {pair}", f"token {TOKEN}")
    print(f"plain {urllib.parse.quote(TOKEN, safe='')}")
    sys.stdout.flush()
    captured = capsys.readouterr()
    assert_clean(captured.out + captured.err, TOKEN)
    assert "***" in captured.err and "***" in captured.out


def test_step_summary_is_redacted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hatch_manta_release.github.actions import append_to

    register_secret(TOKEN)
    summary = tmp_path / "summary.md"
    append_to(summary, f"| failed | {TOKEN} |\n", "GITHUB_STEP_SUMMARY")
    assert_clean(summary.read_text(), TOKEN)
