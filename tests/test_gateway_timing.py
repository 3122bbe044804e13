"""The reference gateway as slow as a remote one: latency, deployment time, request accounting.

``GatewayServer(latency_ms=..., deploy_ms=...)`` (contracts/gateway/timing.py). Times are
measured on the client with ``time.monotonic`` around one request; a lower bound is exact (the
gateway sleeps at least that long), an upper bound gets ``SLACK`` for loopback, the client and a
busy 2-core machine (the project's tests run with ``-n 2``).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contracts.gateway import GatewayServer
from contracts.gateway.__main__ import main as gateway_main
from contracts.gateway.timing import DEPLOYING_OPERATIONS
from tests import forked
from tests.test_gateway_model import ACCESS, AUTH, MISSING, TOKEN, Http, delete_path

SLACK = 0.25  # seconds an answer may take beyond what the gateway waits on purpose
LATENCY = 0.1
DEPLOY = 0.3
CREDENTIALS = "/apiops/projects/MyProject/credentials/"
WRONG_TOKEN = {"Authorization": "Bearer wrong"}


def new_credential(username: str) -> dict[str, str]:
    return {"username": username, "password": "Secret-1!", "fullName": "Timing Test", "email": "t@example.com"}


def access_path(username: str) -> str:
    return delete_path("MyProject", username) + "access/"


@pytest.fixture
def serve() -> Iterator[Callable[..., GatewayServer]]:
    """Start reference gateways with the given timing; stop them when the test ends."""
    started: list[GatewayServer] = []

    def start(latency_ms: float = 0, deploy_ms: float = 0) -> GatewayServer:
        server = GatewayServer(token=TOKEN, latency_ms=latency_ms, deploy_ms=deploy_ms).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_latency_is_added_to_every_answer_whatever_it_is(serve: Callable[..., GatewayServer]) -> None:
    http = Http(serve(latency_ms=LATENCY * 1000))
    answers = [  # one of each kind of answer, from each step of app.py's dispatch
        (200, lambda: http.get(CREDENTIALS, headers=AUTH)),
        (404, lambda: http.get("/apiops/nothing/here/", headers=AUTH)),  # routing
        (405, lambda: http.post(delete_path("MyProject", "api-user"), headers=AUTH)),
        (308, lambda: http.get(CREDENTIALS.rstrip("/"), headers=AUTH)),  # trailing slash
        (401, lambda: http.get(CREDENTIALS, headers=WRONG_TOKEN)),  # authentication
        (MISSING.status, lambda: http.delete(delete_path("MyProject", "nobody"), headers=AUTH)),  # the model
    ]
    for status, call in answers:
        response, took = timed(call)
        assert response.status_code == status
        assert LATENCY <= took < LATENCY + SLACK, f"{status} took {took:.3f} s"


def test_deployment_time_is_added_to_successful_deploying_operations_only(
    serve: Callable[..., GatewayServer],
) -> None:
    http = Http(serve(deploy_ms=DEPLOY * 1000))
    deploying = {  # each succeeds
        "createCredential": lambda: http.post(CREDENTIALS, json=new_credential("timing-user"), headers=AUTH),
        "grantAccess": lambda: http.put(access_path("admin-user"), json=ACCESS, headers=AUTH),
        "revokeAccess": lambda: http.delete(access_path("admin-user"), json=ACCESS, headers=AUTH),
        "deleteCredential": lambda: http.delete(delete_path("MyProject", "timing-user"), headers=AUTH),
    }
    assert set(deploying) == DEPLOYING_OPERATIONS
    for name, call in deploying.items():
        response, took = timed(call)
        assert response.status_code == 200 and "deploymentResult" in response.json(), name
        assert DEPLOY <= took < DEPLOY + SLACK, f"{name} took {took:.3f} s"
    # A real gateway fails before it deploys: a failed create, delete, grant or revoke costs nothing,
    # and neither does any operation that deploys nothing.
    free = {
        "createCredential 400 (username taken)":
            lambda: http.post(CREDENTIALS, json=new_credential("admin-user"), headers=AUTH),
        f"deleteCredential {MISSING.status} (no such credential)":
            lambda: http.delete(delete_path("MyProject", "nobody"), headers=AUTH),
        "deleteCredential 404 (no such project)": lambda: http.delete(delete_path("NoSuchProject", "x"),
                                                                       headers=AUTH),
        "deleteCredential 401": lambda: http.delete(delete_path("MyProject", "admin-user"), headers=WRONG_TOKEN),
        f"grantAccess {MISSING.status} (no such credential)":
            lambda: http.put(access_path("nobody"), json=ACCESS, headers=AUTH),
        "revokeAccess 400 (not granted)": lambda: http.delete(access_path("admin-user"), json=ACCESS, headers=AUTH),
        "deleteCredential 308 (no slash)":
            lambda: http.delete(delete_path("MyProject", "admin-user").rstrip("/"), headers=AUTH),
        "listCredentials 200": lambda: http.get(CREDENTIALS, headers=AUTH),
        "getGrantedAccessList 200": lambda: http.get(access_path("admin-user"), headers=AUTH),
        "getEnvironmentsByProject 200": lambda: http.get("/apiops/environments/MyProject/", headers=AUTH),
        "listProjects 200": lambda: http.get("/apiops/projects/", headers=AUTH),
    }
    for name, call in free.items():
        response, took = timed(call)
        assert response.status_code == int(name.split(" (")[0].split()[-1]), name
        assert took < DEPLOY, f"{name} took {took:.3f} s: it deployed nothing"
    assert http.server.gateway.usernames("MyProject") == ["api-user", "admin-user"]  # nothing half-done


def test_concurrent_requests_wait_at_the_same_time(serve: Callable[..., GatewayServer]) -> None:
    """A real gateway serves requests concurrently: 4 creates at once take about one, not four."""
    server = serve(latency_ms=50, deploy_ms=DEPLOY * 1000)
    one = DEPLOY + 0.05

    def create(index: int) -> tuple[int, float]:
        with requests.Session() as session:  # one connection each, as separate clients would have
            response, took = timed(lambda: session.post(server.url + CREDENTIALS, headers=AUTH, timeout=10,
                                                        json=new_credential(f"concurrent-{index}")))
        return response.status_code, took

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(create, range(4)))
    wall = time.monotonic() - started
    assert all(status == 200 and took >= one for status, took in results), results
    assert wall < 2 * one, f"4 concurrent creates took {wall:.3f} s; one alone takes {one:.3f} s"
    assert server.stats()["deploying_by_operation"] == {"createCredential": 4}


def test_stats_count_every_request_by_operation_and_the_deploy_costing_ones(
    serve: Callable[..., GatewayServer],
) -> None:
    server = serve()  # 0 and 0: counted all the same, so a fast run still says what it would cost
    http = Http(server)
    http.get(CREDENTIALS, headers=AUTH)
    http.get(CREDENTIALS.rstrip("/"), headers=AUTH)  # 308: routed to listCredentials, then redirected
    http.post(CREDENTIALS, json=new_credential("counted"), headers=AUTH)
    http.post(CREDENTIALS, json=new_credential("counted"), headers=AUTH)  # 400: taken
    http.put(access_path("counted"), json=ACCESS, headers=AUTH)
    http.delete(access_path("counted"), json=ACCESS, headers=AUTH)
    http.delete(access_path("counted"), json=ACCESS, headers=AUTH)  # 400: no longer granted
    http.delete(delete_path("MyProject", "counted"), headers=AUTH)
    http.delete(delete_path("MyProject", "counted"), headers=AUTH)  # 400: gone
    http.delete(delete_path("MyProject", "admin-user"), headers=WRONG_TOKEN)  # 401
    http.get("/apiops/environments/MyProject", headers=AUTH)
    http.get("/apiops/nothing/here/", headers=AUTH)  # 404
    http.post("/apiops/projects/", headers=AUTH)  # 405
    stats = server.stats()
    assert stats == {
        "latency_ms": 0, "deploy_ms": 0, "requests": 13,
        "by_operation": {"(method not allowed)": 1, "(no route)": 1, "createCredential": 2, "deleteCredential": 3,
                         "getEnvironmentsByProject": 1, "grantAccess": 1, "listCredentials": 2, "revokeAccess": 2},
        "deploying": 4,
        "deploying_by_operation": {"createCredential": 1, "deleteCredential": 1, "grantAccess": 1,
                                   "revokeAccess": 1},
    }
    stats["by_operation"]["listCredentials"] = 99  # a snapshot: changing it changes nothing
    server.gateway.reset()  # the model's state, not the server's counts
    assert server.stats()["by_operation"]["listCredentials"] == 2
    server.reset_stats()
    assert server.stats() == {"latency_ms": 0, "deploy_ms": 0, "requests": 0, "by_operation": {}, "deploying": 0,
                              "deploying_by_operation": {}}


def test_a_fault_that_rewrites_a_successful_delete_has_still_deployed() -> None:
    """The decision is the model's answer, before the faults' response hook: success-without-content undeployed too."""
    with GatewayServer(token=TOKEN, faults=["success-without-content"], deploy_ms=DEPLOY * 1000) as server:
        response, took = timed(lambda: Http(server).delete(delete_path("MyProject", "api-user"), headers=AUTH))
        assert response.status_code == 204
        assert took >= DEPLOY
        assert server.stats()["deploying"] == 1


def test_negative_times_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        GatewayServer(token=TOKEN, latency_ms=-1)
    assert gateway_main(["--port", "0", "--deploy-ms", "-5"]) == 2  # before anything is bound


def test_the_command_line_waits_and_prints_its_counts_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "contracts.gateway", "--port", "0", "--token", TOKEN, "--latency-ms",
               str(LATENCY * 1000), "--deploy-ms", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               preexec_fn=forked.default_signals)
    try:
        assert process.stdout is not None
        banner: list[str] = []
        while not banner or banner[-1] != "Ctrl-C stops it.":
            line = process.stdout.readline()
            assert line, f"the gateway exited while starting: {banner}"
            banner.append(line.rstrip("\n"))
        assert "  timing:      +100 ms per answer, +0 ms per successful create, delete, grant or revoke" in banner
        url = banner[0].rpartition(" on ")[2]
        # The socket listens before the banner is printed, so this connects even if uvicorn is not serving yet.
        response, took = timed(lambda: requests.get(url + CREDENTIALS, headers=AUTH, timeout=10))
        assert response.status_code == 200 and took >= LATENCY
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert out.splitlines()[-1] == "1 requests (listCredentials 1); 0 deploy-costing (none)"
