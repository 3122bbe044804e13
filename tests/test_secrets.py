"""The token stays secret: masked in reprs, scrubbed from text and log records, never pickled."""

from __future__ import annotations

import logging
import pickle

import pytest

from contracts.secrets import MASK, Secret, contains_secret, redact, register

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
