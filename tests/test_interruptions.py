"""A staging that is interrupted mid-run (issue 28): a Manager busy for a few seconds (503 with Retry-After) is
waited out and the run is green; a Manager that restarts, or a front door that starts answering with a login page,
is the run's one verdict (exit 4), blaming no rule, and its clean-up waits for the Manager to come back, deletes
what the run made and checks it against the gateway's list (tests/interrupting.py). A broken answer (a Content-Encoding
it does not have, a byte order mark before its JSON) is the Manager's, judged under every-answer-is-documented."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.gateway.conditions import Conditions
from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX
from tests.conftest import TOKEN, RunSuite, live
from tests.interrupting import staging

SUITE = "contracts/scenarios"
ORDERED = ("-p", "no:randomly")  # the condition fires at the same create, run after run


@contextlib.contextmanager
def living(conditions: Conditions) -> Iterator[GatewayServer]:
    """The reference gateway with a condition of a staging that lives (contracts/gateway/conditions.py)."""
    with GatewayServer(token=TOKEN, conditions=conditions) as server:
        yield server


def left(server: GatewayServer) -> list[str]:
    """The suite's credentials the gateway's own store still holds, in every project."""
    return sorted(name for project in server.gateway.projects for name in server.gateway.usernames(project)
                  if name.startswith(PREFIX))


MID_RUN = 40  # requests: past the preflight, the routing probes and the first tests (in file order)


@pytest.mark.long
def test_a_manager_busy_for_3_s_with_503_and_retry_after_is_waited_out_and_the_run_is_green(
    run_suite: RunSuite,
) -> None:
    with living(Conditions(busy_after=MID_RUN, busy_for=3.0)) as busy:
        run = run_suite(SUITE, *live(busy.url), *ORDERED, env={"APIOPS_TOKEN": TOKEN})
        assert busy.front.requests > MID_RUN, "never busy: the test proves nothing"
        still = left(busy)
    assert run.returncode == 0, run.output[-3000:]
    assert still == [], still
    assert "503 with Retry-After" in run.output  # the summary's line on rate limits counts them


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["sequential", "two-workers"])
def test_a_manager_that_restarts_mid_run_is_one_verdict_and_its_clean_up_waits_for_it_and_leaves_nothing(
    run_suite: RunSuite, workers: tuple[str, ...]
) -> None:
    # Under xdist a worker may not pytest.exit in a test (its controller crashes, exit 3): the same verdict, exit 4.
    with living(Conditions(restart_after=MID_RUN, restart_for=6.0)) as restarting:
        run = run_suite(SUITE, *live(restarting.url), *ORDERED, *workers, env={"APIOPS_TOKEN": TOKEN})
        assert restarting.restarts.due.is_set(), "never restarted: the test proves nothing"
        still = left(restarting)
    assert run.returncode == 4, run.output[-3000:]
    verdicts = [line for line in run.output.splitlines() if "the run stops here" in line]
    assert len(verdicts) == 1 and "stopped answering" in verdicts[0], run.output[-3000:]
    assert not re.search(r"\b\d+ failed", run.output), run.output[-3000:]
    assert still == [], (still, run.output[-3000:])  # deleted by the run itself: no clean-up command needed
    assert "left behind" not in run.output and "upper bound" not in run.output, run.output[-3000:]
    assert "came back" in run.output, run.output[-3000:]


@pytest.mark.long
@pytest.mark.parametrize("condition", ["login", "login-page"], ids=["302-to-a-login-page", "200-with-a-login-page"])
def test_a_login_page_from_mid_run_on_is_one_verdict_blaming_no_rule_and_the_leftovers_are_said_as_they_are(
    run_suite: RunSuite, condition: str
) -> None:
    # From mid-run on (the gateway's own login page, or a wrapper's 200 with one): the DELETEs after it never reach
    # the gateway, so credentials stay there.
    env = {"APIOPS_TOKEN": TOKEN, "APIOPS_CLEANUP_WAIT": "2"}
    if condition == "login":
        with living(Conditions(login_after=60)) as login:  # a DELETE of a test credential: one stays
            run = run_suite(SUITE, *live(login.url), *ORDERED, env=env)
            still = left(login)
    else:
        with staging(condition, at=4, on="delete") as page:
            run = run_suite(SUITE, *live(page.url), *ORDERED, env=env)
            assert page.living.fired.is_set(), "never a login page: the test proves nothing"
            still = page.left()
    assert still, "nothing left behind: the test proves nothing of the leftovers"
    assert run.returncode == 4, run.output[-3000:]
    lines = run.output.splitlines()
    verdicts = [line for line in lines if "the run stops here" in line]
    assert len(verdicts) == 1, run.output[-3000:]
    assert "stopped accepting the token" in verdicts[0] and "No rule is blamed" in verdicts[0], verdicts[0]
    said = "answered 302 to " if condition == "login" else "answered 200 with an HTML page"
    assert said in verdicts[0] and (condition != "login" or "/login?" in verdicts[0]), verdicts[0]
    assert not re.search(r"\b\d+ failed", run.output) and "no-answer-carries-the-token" not in run.output, \
        run.output[-3000:]
    assert len(lines) <= 60, run.output
    section = run.output.partition("credentials left behind")[2]
    # The front door stays shut: the gateway's list cannot be read, so what may be left is an upper bound, said so;
    # every credential the gateway really holds is among it.
    assert "upper bound" in section, run.output[-3000:]
    assert all(f"MyProject/{name}" in section for name in still), (still, section)


@pytest.mark.parametrize("condition", ["gzip-label", "bom"])
def test_a_broken_answer_is_the_managers_judged_under_every_answer_is_documented_not_an_unreachable_gateway(
    run_suite: RunSuite, condition: str, tmp_path: Path
) -> None:
    """Issue 28: a DELETE labelled gzip that is not was "cannot reach the gateway" / "the Manager stopped
    answering", and a BOM before every answer's JSON stopped the run at preflight ("is --base-url the Manager URL?")."""
    report = tmp_path / "report.json"
    with staging(condition, at=0) as broken:
        run = run_suite(SUITE, *live(broken.url), "--report-json", str(report), env={"APIOPS_TOKEN": TOKEN})
        assert broken.living.answered, "nothing was broken: the test proves nothing"
        left = broken.left()
    assert run.returncode == 1, run.output[-3000:]
    for wrong in ("cannot reach", "stopped answering", "the run stops here", "is --base-url", "infrastructure"):
        assert wrong not in run.output, (wrong, run.output[-3000:])
    failed = {rule["id"] for rule in json.loads(report.read_text(encoding="utf-8"))["rules"]
              if rule["outcome"] == "failed"}
    assert failed == {"every-answer-is-documented"}, (failed, run.output[-3000:])
    said = "does not decode as its Content-Encoding: gzip says" if condition == "gzip-label" else "byte order mark"
    assert said in run.output, run.output[-3000:]
    assert left == [], left


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_a_bad_cleanup_wait_is_one_line_and_exit_4(run_suite: RunSuite, value: str) -> None:
    run = run_suite(SUITE, "--target", "local", "--cleanup-wait", value)
    assert run.returncode == 4, run.output[-2000:]
    assert [line for line in run.output.splitlines() if "--cleanup-wait must be" in line] == \
        [f"apiops: --cleanup-wait must be a finite number of seconds, 0 or more, got {value!r}"], run.output[-2000:]
    assert "Traceback" not in run.output


def test_a_single_redirect_the_read_does_not_reproduce_stays_the_managers_and_the_probe_is_not_recorded(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    """The read that checks for a login page is the suite's own: neither judged nor recorded, so the replay of the
    recording makes the same requests and judges the same (a recorded probe would be an exchange it never makes)."""
    recordings = tmp_path / "recorded"
    with staging("login-once", at=2, on="delete") as once:
        run = run_suite(SUITE, *live(once.url), *ORDERED, "--record", "--recordings", str(recordings),
                        "--report-json", str(tmp_path / "live.json"), env={"APIOPS_TOKEN": TOKEN})
        assert once.living.answered == 1, "no redirect: the test proves nothing"
    assert run.returncode == 1, run.output[-3000:]
    assert "stopped accepting the token" not in run.output and "the run stops here" not in run.output
    assert "answered 302 redirecting to /login" in run.output, run.output[-3000:]
    replay = run_suite(SUITE, "--target", "stub", "--recordings", str(recordings), *ORDERED,
                       "--report-json", str(tmp_path / "replay.json"))
    assert replay.returncode == 1, replay.output[-3000:]

    def failed(report: Path) -> set[str]:
        return {rule["id"] for rule in json.loads(report.read_text(encoding="utf-8"))["rules"]
                if rule["outcome"] == "failed"}

    assert failed(tmp_path / "live.json") == failed(tmp_path / "replay.json") == {"every-answer-is-documented"}
