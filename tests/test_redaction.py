"""The token stays secret: masked in reprs, scrubbed from text and log records, never pickled."""

from __future__ import annotations

import logging
import pickle

import pytest

from contracts.redaction import MASK, Secret, contains_secret, redact, register

TOKEN = Secret("secrets-test-token-90f1d2")
register(TOKEN)


def test_a_secret_shows_only_a_mask() -> None:
    assert TOKEN.reveal() not in repr(TOKEN) + str(TOKEN) + f"{TOKEN}" + repr([TOKEN])
    assert MASK in repr(TOKEN)


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(TOKEN)


def test_redact_replaces_every_occurrence_of_a_registered_token() -> None:
    text = f"Bearer {TOKEN.reveal()} and again {TOKEN.reveal()}"
    assert contains_secret(text)
    assert redact(text) == f"Bearer {MASK} and again {MASK}"
    assert not contains_secret(redact(text))


def test_log_records_that_mention_the_token_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """The plugin installs a log-record factory; captured logs and live logging see the scrubbed text."""
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("sending Authorization: Bearer %s", TOKEN.reveal())
    assert TOKEN.reveal() not in caplog.text
    assert MASK in caplog.text


def test_a_failure_report_rebuilt_by_schemathesis_is_scrubbed_after_it(pytester: pytest.Pytester) -> None:
    """schemathesis rebuilds report.longrepr in its own pytest_exception_interact, after makereport: the
    plugin scrubs again once every plugin has built the report."""
    pytester.makepyfile(f'''
        from contracts.redaction import register
        from schemathesis.errors import SchemathesisError

        register("{TOKEN.reveal()}")

        def test_a_failure_that_quotes_the_token() -> None:
            error = SchemathesisError("the gateway answered: invalid token {TOKEN.reveal()}")
            error.add_note("note: {TOKEN.reveal()}")
            raise error
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    assert "1 failed" in output and "the gateway answered" in output
    assert TOKEN.reveal() not in output


def test_showlocals_of_a_failure_inside_the_client_shows_no_part_of_a_long_token(pytester: pytest.Pytester) -> None:
    """-l prints every frame's locals through saferepr, which elides the middle of long values: no frame may
    hold the token (it is put in at send time), and what a frame shows is scrubbed of any piece of it."""
    token = ("eyJhbGciOiJIUzI1NiJ9." + "x/y+z=" * 50)[:300]
    pytester.makepyfile(f'''
        from contracts.client import ApiClient
        from contracts.naming import Namespace
        from contracts.redaction import Secret, register

        TOKEN = "{token}"

        def test_an_unreachable_gateway() -> None:
            register(TOKEN)
            client = ApiClient("http://127.0.0.1:9/apiops", Secret(TOKEN), Namespace("abc123"), timeout=2)
            client.list_projects()
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-l", "--tb=long")
    output = result.stdout.str() + result.stderr.str()
    assert "1 failed" in output and "GatewayUnreachable" in output
    assert all(piece not in output for piece in (token[:12], token[100:112], token[-12:]))
