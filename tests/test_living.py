"""A staging that lives, in units: reads that settle, others' changes, names compared as a folding Manager would."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import requests

from contracts.http.errors import UnsafeRequest
from contracts.http.guard import Guard
from contracts.living import Others, Settler
from contracts.naming import Namespace, folded


def answers(*values: set[str]) -> tuple[list[int], Callable[[], requests.Response]]:
    """A read that answers ``values`` in turn (the last one for ever), and the count of reads made."""
    reads = [0]
    cycle = itertools.chain(values, itertools.repeat(values[-1]))

    def read() -> requests.Response:
        reads[0] += 1
        response = requests.Response()
        response._content = repr(next(cycle)).encode()
        return response

    return reads, read


def value(response: requests.Response) -> set[str]:
    return set(eval(response.text))  # noqa: S307 - the test's own repr of a set


def test_a_claim_is_read_again_until_it_holds_and_the_wait_is_the_managers_finding() -> None:
    reads, read = answers(set(), set(), {"a"})
    settler = Settler(window=5)
    assert settler.settle(read, value, lambda names: "a" in names, "a credential listed") == {"a"}
    assert reads[0] == 3
    assert 0.2 < settler.lag.waited["a credential listed"] < 1.0  # paused 0.1 s, then 0.2 s
    line = settler.lag.line(5)
    assert line is not None and "the longest waits: a credential listed 0." in line and "--settle 5 s" in line


def test_a_claim_that_holds_at_once_is_read_once_and_shows_no_lag() -> None:
    reads, read = answers({"a"})
    settler = Settler(window=5)
    assert settler.settle(read, value, lambda names: "a" in names, "a credential listed") == {"a"}
    assert reads[0] == 1 and settler.lag.line(5) is None


def test_a_claim_that_never_holds_is_given_up_when_the_window_passes() -> None:
    reads, read = answers(set())
    assert Settler(window=0.5).settle(read, value, lambda names: "a" in names, "a credential listed") == set()
    assert reads[0] == 3  # at 0, 0.1 and 0.3 s: the next pause (0.4 s) would end past the window


def test_a_window_of_0_reads_once() -> None:
    reads, read = answers(set(), {"a"})
    assert Settler(window=0).settle(read, value, lambda names: "a" in names, "a credential listed") == set()
    assert reads[0] == 1


def test_a_replay_reads_again_as_often_as_the_recorded_run_did_whatever_the_clock_says() -> None:
    reads, read = answers(set(), set(), set())
    recorded = iter([True, False])  # the recording read twice, then went on to something else
    settler = Settler(window=0, again=lambda _response: next(recorded))
    assert settler.settle(read, value, lambda names: "a" in names, "a credential listed") == set()
    assert reads[0] == 2 and settler.lag.line(0) is None


def test_others_changes_are_those_between_two_reads_outside_the_runs_names() -> None:
    namespace = Namespace("run123")
    others = Others()
    assert others.saw("P", ["team-x-1", "apiops-ct-run123-a"], namespace.of_the_run) == set()  # a first read
    assert others.saw("P", ["team-x-2", "apiops-ct-run123-b"], namespace.of_the_run) == {"team-x-1", "team-x-2"}
    assert others.saw("P", ["team-x-2"], namespace.of_the_run) == set()  # the run's own come and go unseen
    assert others.changed == {("P", "team-x-1"), ("P", "team-x-2")}


@pytest.mark.parametrize(("one", "other"), [("Alice", "alice"), ("Straße", "STRASSE"), ("ﬁle", "FILE"),
                                            ("Ａpiops", "apiops")])
def test_names_are_folded_as_a_case_insensitive_unicode_normalising_manager_compares_them(one: str, other: str) -> None:
    assert folded(one) == folded(other)


def test_others_case_variants_of_the_runs_names_are_never_generated_nor_sent_a_change() -> None:
    namespace = Namespace("run123")
    strangers = namespace.avoid(["APIOPS-CT-RUN123-CRED-1", "Apiops-Ct-Run123-Cred-3x", "apiops-ct-run123-cred-9",
                                 "team-x-1", "apiops-ct-other-cred-1"])
    assert strangers == ["APIOPS-CT-RUN123-CRED-1", "Apiops-Ct-Run123-Cred-3x"]  # the run's own and others' apart
    assert [namespace.name() for _ in range(3)] == ["apiops-ct-run123-cred-2", "apiops-ct-run123-cred-4",
                                                    "apiops-ct-run123-cred-5"]  # 1 and 3 (a prefix of 3x) passed over
    guard = Guard("/apiops", namespace, {"P"})
    with pytest.raises(UnsafeRequest, match="would take it for another's"):
        guard.check("DELETE", "http://gw/apiops/projects/P/credentials/apiops-ct-run123-cred-1/")
    guard.check("DELETE", "http://gw/apiops/projects/P/credentials/apiops-ct-run123-cred-2/")
    guard.check("GET", "http://gw/apiops/projects/P/credentials/apiops-ct-run123-cred-1/")  # reading reaches nothing
    assert namespace.scoped("test").avoided is namespace.avoided  # every test's names keep clear of them


def test_a_case_variant_of_a_project_is_compared_folded_so_a_project_named_strasse_can_be_probed() -> None:
    guard = Guard("/apiops", Namespace("run123"), {"Straße"})
    guard.check("DELETE", "http://gw/apiops/projects/sTRASSE/credentials/apiops-ct-run123-cred-1/")
    with pytest.raises(UnsafeRequest, match="not a project of this run"):
        guard.check("DELETE", "http://gw/apiops/projects/Strasse2/credentials/apiops-ct-run123-cred-1/")
