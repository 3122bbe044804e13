"""On a shared gateway, a hostile one included, the suite deletes only what it created, reports every
credential it leaves, and the token shows up nowhere, in any encoding (docs/safety.md,
docs/secrets.md)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests

from contracts.gateway.faults import FAULTS
from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX
from tests import forked
from tests.conftest import ROOT, TOKEN, RunSuite, live

SUITE = "contracts/scenarios"
Everyone = dict[str, list[str]]
# A token a hostile echo is hard to scrub: JSON- and URL-special characters, spaces, and 300 characters
# (pytest's saferepr elides the middle of long values; an exact-string scrub then misses both ends).
NASTY = ('eyJhbGciOiJIUzI1NiJ9.' + "eyJzdWIiOiJjb250cmFjdC1zdWl0ZSJ9" * 6 + '/+=" \\ x'
         + "Qk9PVFNUUkFQVE9LRU4" * 7)[:300]


def credentials_of_every_project(url: str, token: str = TOKEN) -> Everyone:
    headers = {"Authorization": f"Bearer {token}"}
    projects = requests.get(f"{url}/apiops/projects/", headers=headers, timeout=10).json()["resultList"]
    return {
        project["name"]: sorted(
            item["username"]
            for item in requests.get(f"{url}/apiops/projects/{project['name']}/credentials/", headers=headers,
                                     timeout=10).json()["resultList"]
        )
        for project in projects
    }


def environment(token: str = TOKEN, **extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_"))} | \
        {"APIOPS_TOKEN": token, **extra}


def test_a_live_run_leaves_every_existing_credential_intact_and_nothing_of_its_own(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    url = gateway_factory()
    before = credentials_of_every_project(url)
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-2000:]
    assert credentials_of_every_project(url) == before


def test_a_failing_live_run_still_cleans_up_after_itself(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    # Deleting works on this gateway, but every success scenario fails on its undeployment result.
    url = gateway_factory("incomplete-undeployment")
    before = credentials_of_every_project(url)
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-2000:]
    assert credentials_of_every_project(url) == before


REDIRECTS = [name for name in FAULTS if name.startswith("redirect-")]


@pytest.mark.parametrize("fault", REDIRECTS)
def test_a_redirected_delete_is_never_followed_and_the_credential_it_points_at_survives(
    fault: str, run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    """The redirect points at api-user, a credential the run did not create: scenarios and property
    tests alike must fail, naming the status and the Location, and api-user must survive."""
    url = gateway_factory(fault)
    run = run_suite("contracts/scenarios", "contracts/properties", *live(url, "--api-proxy", "MyAPI"),
                    "--hypothesis-profile", "ci", env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-2000:]
    status = fault.split("-")[1]
    assert f"answered {status} redirecting to" in run.output and "/credentials/api-user/" in run.output
    assert "api-user" in credentials_of_every_project(url)["MyProject"]
    # This gateway deletes, then answers the redirect: its list holds none of the run's credentials, so the
    # summary names none (leftovers are counted from the gateway's list, not from the register).
    assert "credentials left behind" not in run.output


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_live_run_deletes_what_it_created(how: signal.Signals) -> None:
    with slow_listing() as server:
        before = credentials_of_every_project(server.url)
        process = start_suite(server.url)
        wait_until_it_created_something(server)
        process.send_signal(how)
        output, _ = process.communicate(timeout=120)
        assert process.returncode != 0, output[-2000:]  # it was interrupted, not finished
        assert credentials_of_every_project(server.url) == before, output[-2000:]


def test_a_credential_whose_create_was_interrupted_before_its_answer_arrived_is_deleted_too() -> None:
    """The gateway made the credential, the run stopped waiting for the answer: the run's name, so the
    clean-up deletes it (registered before its create was sent)."""
    with GatewayServer(token=TOKEN) as server:
        model = server.gateway
        create_now = model.create_credential

        def answer_late(*args: Any, **kwargs: Any) -> Any:
            made = create_now(*args, **kwargs)
            time.sleep(2)  # made, not yet answered: the moment to stop the run
            return made

        model.create_credential = answer_late  # type: ignore[method-assign]
        before = credentials_of_every_project(server.url)
        process = start_suite(server.url)
        wait_until_it_created_something(server)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
        assert process.returncode != 0, output[-2000:]
        assert credentials_of_every_project(server.url) == before, output[-2000:]


def test_a_killed_runs_leftovers_are_named_by_the_next_run_and_removed_by_the_cleanup_command(
    run_suite: RunSuite,
) -> None:
    """SIGKILL leaves no chance to clean up: the next live run lists what is left, read-only, and
    python -m contracts.cleanup removes exactly that run's credentials."""
    with slow_listing() as server:
        before = credentials_of_every_project(server.url)
        # This scenario lists the credential it created (a second, here) before it deletes it.
        process = start_suite(server.url, "-k", "gone_from_the_credential_list", run_id="killedrun1")
        wait_until_it_created_something(server)
        process.kill()
        process.communicate(timeout=60)
        left = [name for name in server.gateway.usernames("MyProject") if name.startswith(PREFIX)]
        assert left, "the killed run left nothing behind: the test proves nothing"

        del server.gateway.list_credentials  # quick again: the instance's slow one gone, the class's back
        run = run_suite(SUITE, *live(server.url), "-k", "does_not_exist", env={"APIOPS_TOKEN": TOKEN})
        assert f"left in MyProject by an earlier run: run killedrun1: {len(left)} credential" in run.output, \
            run.output[-2000:]
        assert "python -m contracts.cleanup --run-id killedrun1 --yes" in run.output
        assert sorted(server.gateway.usernames("MyProject")) == sorted(before["MyProject"] + left)  # read-only

        command = [sys.executable, "-m", "contracts.cleanup", "--run-id", "killedrun1", "--base-url", server.url,
                   "--project", "MyProject"]
        dry = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0 and all(name in dry.stdout for name in left) and "dry run" in dry.stdout
        assert sorted(server.gateway.usernames("MyProject")) == sorted(before["MyProject"] + left)
        refused = subprocess.run([*command, "--yes", "--concurrency", "0"], cwd=ROOT, env=environment(),
                                 capture_output=True, text=True, timeout=60)
        assert (refused.returncode, refused.stderr.strip().count("\n")) == (4, 0), refused.stderr
        assert "--concurrency" in refused.stderr and "Traceback" not in refused.stderr
        assert sorted(server.gateway.usernames("MyProject")) == sorted(before["MyProject"] + left)
        done = subprocess.run([*command, "--yes"], cwd=ROOT, env=environment(), capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert credentials_of_every_project(server.url) == before
        assert TOKEN not in dry.stdout + dry.stderr + done.stdout + done.stderr


def cleanup_command(url: str, run_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contracts.cleanup", "--run-id", run_id, "--base-url", url,
                           "--project", "MyProject", *extra], cwd=ROOT, env=environment(), capture_output=True,
                          text=True, timeout=60)


def seed_a_run(server: GatewayServer, run_id: str, count: int) -> list[str]:
    made = [f"{PREFIX}{run_id}-left-{n}" for n in range(count)]
    for name in made:
        server.gateway.add_credential("MyProject", name)
    return made


def test_the_cleanup_command_fails_naming_every_credential_the_gateway_still_lists_after_a_delete_answered_200(
) -> None:
    """delete-not-done answers 200 and deletes nothing: each deletion is checked against the gateway's list."""
    with GatewayServer(token=TOKEN, faults=["delete-not-done"]) as server:
        made = seed_a_run(server, "notdone1", 5)
        done = cleanup_command(server.url, "notdone1", "--yes")
        listed = [name for name in server.gateway.usernames("MyProject") if name.startswith(PREFIX)]
    assert sorted(listed) == sorted(made), "the gateway deleted something: the test proves nothing"
    assert done.returncode == 1, done.stdout + done.stderr
    left = [line for line in done.stdout.splitlines() if line.strip().startswith("left:")]
    assert sorted(line.split("MyProject/")[1].split(":")[0] for line in left) == sorted(listed), done.stdout
    assert "still lists" in done.stdout and "deleted 5 of 5" not in done.stdout, done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_the_cleanup_command_exits_0_only_when_the_gateway_lists_none_of_the_runs_credentials_afterwards(
) -> None:
    with GatewayServer(token=TOKEN) as server:
        seed_a_run(server, "notdone1", 5)
        others = [name for name in server.gateway.usernames("MyProject") if not name.startswith(PREFIX)]
        done = cleanup_command(server.url, "notdone1", "--yes")
        after = server.gateway.usernames("MyProject")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deleted 5 of 5" in done.stdout and "left:" not in done.stdout, done.stdout
    assert sorted(after) == sorted(others)


def test_the_cleanup_command_whose_list_cannot_be_read_after_the_deletes_names_every_credential_as_an_upper_bound(
) -> None:
    with GatewayServer(token=TOKEN) as server:
        model, reads = server.gateway, []
        list_now = model.list_credentials

        def only_once(project: str) -> dict[str, Any]:
            reads.append(project)
            if len(reads) > 1:
                raise RuntimeError("the list broke")  # the gateway answers 500
            return list_now(project)

        made = seed_a_run(server, "notdone1", 3)
        model.list_credentials = only_once  # type: ignore[method-assign]
        done = cleanup_command(server.url, "notdone1", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert all(f"MyProject/{name}" in done.stdout for name in made), done.stdout
    assert "could not be read" in done.stdout and "upper bound" in done.stdout, done.stdout
    assert len(reads) == 2  # once to find them, once after the deletes: never once per name


def test_a_clean_up_the_gateway_refuses_fails_the_run_listing_every_credential_left(
    run_suite: RunSuite, gateway_factory: Callable[..., str],
) -> None:
    url = gateway_factory("stuck-after-a-refused-delete")
    run = run_suite(SUITE, *live(url), "-k", "without_a_valid_bearer_token", env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-2000:]
    left = [name for name in credentials_of_every_project(url)["MyProject"] if name.startswith(PREFIX)]
    assert len(left) == 4, left  # one per refused-token case
    section = run.output.partition("credentials left behind")[2]
    assert all(f"MyProject/{name}" in section and "answered 500" in section for name in left), section
    assert "python -m contracts.cleanup --run-id" in section
    # Ready to paste: the run's own Manager URL and project, the token left to APIOPS_TOKEN.
    assert f"--base-url {url} --project MyProject --yes" in section and "<" not in section, section
    assert sum(line.startswith("MyProject/") for line in section.splitlines()) == len(left)  # from the list


def test_a_reused_run_id_whose_names_exist_stops_the_run_before_it_touches_them(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    url = gateway_factory()
    taken = f"{PREFIX}reused42-somebody-elses"
    requests.post(f"{url}/apiops/projects/MyProject/credentials/", timeout=10,
                  headers={"Authorization": f"Bearer {TOKEN}"},
                  json={"username": taken, "password": "p", "fullName": "f", "email": "a@b.c"}).raise_for_status()
    before = credentials_of_every_project(url)
    run = run_suite(SUITE, *live(url), env={"APIOPS_TOKEN": TOKEN, "APIOPS_RUN_ID": "reused42"})
    assert run.returncode == 4, run.output[-2000:]
    assert sum("is not this run's alone" in line for line in run.output.splitlines()) == 1, run.output
    assert credentials_of_every_project(url) == before


def test_a_create_answered_already_exists_stops_the_run_and_nothing_of_that_name_is_deleted(
    run_suite: RunSuite,
) -> None:
    """Another run with the same id creates the same name in between: the run must stop, delete nothing of it."""
    with GatewayServer(token=TOKEN) as server:
        model, create, deleted = server.gateway, server.gateway.create_credential, []
        delete = model.delete_credential

        def raced(project: str, body: object) -> dict[str, Any]:
            name = str(body.get("username")) if isinstance(body, dict) else ""
            if "exactly-the-named" in name or "no-neighbour" in name:  # somebody else got there first
                model.add_credential(project, name)
            return create(project, body)

        def watched(project: str, username: str) -> dict[str, Any]:
            deleted.append(username)
            return delete(project, username)

        model.create_credential = raced  # type: ignore[method-assign]
        model.delete_credential = watched  # type: ignore[method-assign]
        run = run_suite(SUITE, *live(server.url), "-k", "exactly_the_named", env={"APIOPS_TOKEN": TOKEN})
        raced_names = [name for name in model.usernames("MyProject") if "no-neighbour" in name]
    assert run.returncode == 4, run.output[-2000:]
    assert sum("already exists" in line for line in run.output.splitlines()) == 1, run.output
    assert "_pytest.outcomes.Exit" not in run.output  # the one line, without pytest's wrapper
    assert raced_names and not set(raced_names) & set(deleted)


# -- the token, in any encoding --------------------------------------------------------------------------------
ECHOES = ["token-echo-body", "token-echo-header", "token-echo-json-escaped", "token-echo-url-encoded",
          "token-echo-base64", "token-echo-at-a-truncation-point", "token-echo-in-a-server-error",
          "body-drips"]  # a failure raised from inside the client: its frames' locals are shown with -l


def encodings(token: str) -> list[str]:
    """The forms a hostile gateway may echo the token in; none may appear in anything the suite writes."""
    forms = [token, json.dumps(token)[1:-1], quote(token, safe=""), quote_plus(token),
             base64.b64encode(token.encode()).decode()[:40], base64.b64encode(f"Bearer {token}".encode()).decode()[:60]]
    forms += [token[:MIN], token[-MIN:]]
    return forms


MIN = 12  # a cut-off piece of the token this long is still the token


@pytest.mark.long
@pytest.mark.parametrize("token", [TOKEN, NASTY], ids=["plain-token", "300-character-token-with-odd-characters"])
def test_the_token_appears_nowhere_even_when_every_echo_fails_tests_verbosely(
    token: str, run_suite: RunSuite, tmp_path: Path
) -> None:
    """Terminal (-v -l -rA, debug logs), JUnit, recordings, drift output and files, the conformance
    reports and the GitHub step summary: no form of the token in any of them."""
    baseline = tmp_path / "baseline"
    assert run_suite(SUITE, "--target", "local", "--record", "--recordings", str(baseline)).returncode == 0
    with GatewayServer(token=token, faults=ECHOES) as server:
        summary, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
        run = run_suite(SUITE, "contracts/properties", *live(server.url, "--api-proxy", "MyAPI"), "-v", "-l", "-rA",
                        "--log-level=DEBUG", f"--junitxml={junit}", "--hypothesis-profile", "ci",
                        "--record", "--recordings", str(tmp_path / "recorded"), "--baseline", str(baseline),
                        "--report", str(tmp_path / "report.md"), "--report-json", str(tmp_path / "report.json"),
                        "--request-timeout", "2", env={"APIOPS_TOKEN": token, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 1 and "no-answer-carries-the-token" in run.output, run.output[-3000:]
    drift = [subprocess.run([sys.executable, "-m", "contracts.drift", str(baseline), str(tmp_path / "recorded"),
                             *extra], cwd=ROOT, capture_output=True, text=True, timeout=60)
             for extra in ([], ["--json"])]
    texts = {"output": run.output, "drift": drift[0].stdout + drift[1].stdout}
    texts |= {str(path): path.read_text(encoding="utf-8") for path in tmp_path.rglob("*") if path.is_file()}
    for where, text in texts.items():
        for form in encodings(token):
            assert form not in text, f"a form of the token ({encodings(token).index(form)}) leaked into {where}"


# -- helpers ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def slow_listing() -> Iterator[GatewayServer]:
    """A reference gateway whose credential list takes a second: a run can be stopped while a credential
    of its own exists and no DELETE is in flight that would remove it anyway."""
    with GatewayServer(token=TOKEN) as server:
        model = server.gateway
        list_now = model.list_credentials

        def list_slowly(project: str) -> dict[str, Any]:
            time.sleep(1)
            return list_now(project)

        model.list_credentials = list_slowly  # type: ignore[method-assign]
        yield server


def start_suite(url: str, *extra: str, run_id: str | None = None) -> subprocess.Popen[str]:
    env = environment(**({"APIOPS_RUN_ID": run_id} if run_id else {}))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", SUITE, *live(url), *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=forked.default_signals)


def wait_until_it_created_something(server: GatewayServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(name.startswith(PREFIX) for name in server.gateway.credentials):
        time.sleep(0.02)
    assert any(name.startswith(PREFIX) for name in server.gateway.credentials), "the run created nothing"
