"""Self-checks of the bundled reference gateway (contracts/gateway): model, app, faults, server.

The model is called directly; the app is reached over a real loopback socket (GatewayServer),
since starlette.testclient needs httpx2, which this project does not install.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests

from contracts import editions, rules
from contracts.gateway import FAULTS, ApiError, Gateway, GatewayServer, UnknownFault
from contracts.gateway.faults import lookup

MISSING = editions.base().answer(rules.MISSING_CREDENTIAL)  # as the base edition says: the default gateway's

TOKEN = "test-token-for-the-reference-gateway"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACCESS = {"credentialAccessList": [{"name": "MyAPI", "type": "API_PROXY"}]}


def delete_path(project: str, username: str) -> str:
    return f"/apiops/projects/{quote(project, safe='')}/credentials/{quote(username, safe='')}/"


class Http:
    """requests against a running GatewayServer: ``http.delete(path, headers=...)``; no redirects followed."""

    def __init__(self, server: GatewayServer) -> None:
        self.server = server
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.server.url + path
        return self.session.request(method, url, **{"allow_redirects": False, "timeout": 10, **kwargs})

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def serve(faults: Sequence[str] = ()) -> GatewayServer:
    return GatewayServer(token=TOKEN, faults=faults).start()


@pytest.fixture(scope="module")
def server() -> Iterator[GatewayServer]:
    with serve() as running:
        yield running


@pytest.fixture
def gateway(server: GatewayServer) -> Gateway:
    server.gateway.reset()
    return server.gateway


@pytest.fixture
def http(server: GatewayServer, gateway: Gateway) -> Http:
    return Http(server)


# -- the model ----------------------------------------------------------------------------------------
def test_delete_removes_the_credential_and_its_grants_and_undeploys_everywhere(gateway: Gateway) -> None:
    granted = gateway.granted_access("MyProject", "api-user")["resultList"]
    assert granted == [{"name": "MyAPI", "type": "API_PROXY"}]
    body = gateway.delete_credential("MyProject", "api-user")
    undeployed = [{"environmentName": name, "success": True, "message": "Undeployed successfully"}
                  for name in ("production", "staging", "test")]
    assert body == {"success": True, "deploymentResult": {
        "success": True, "message": "Undeployment completed successfully", "environmentResults": undeployed}}
    assert gateway.usernames("MyProject") == ["admin-user"]
    assert "api-user" not in gateway.grants
    gateway.add_credential("MyProject", "api-user")
    assert gateway.granted_access("MyProject", "api-user")["resultList"] == []  # no inherited grant


def test_missing_credential_unknown_project_and_project_scoping(gateway: Gateway) -> None:
    with pytest.raises(ApiError) as missing:
        gateway.delete_credential("MyProject", "nobody")
    assert (missing.value.status, missing.value.body(editions.base())) == (
        MISSING.status, {"error": MISSING.code, "error_description": "Credential (username: nobody) was not found!"})
    with pytest.raises(ApiError) as unknown:
        gateway.delete_credential("myproject", "api-user")  # case-sensitive project name
    assert (unknown.value.status, unknown.value.error) == (404, "not_found")
    with pytest.raises(ApiError) as scoped:
        gateway.delete_credential("MyProject", "other-user")  # exists, in OtherProject
    assert scoped.value.status == MISSING.status
    assert gateway.usernames("OtherProject") == ["other-user"]


def test_a_project_without_environments_undeploys_nowhere(gateway: Gateway) -> None:
    gateway.add_credential("EmptyProject", "a")
    assert gateway.delete_credential("EmptyProject", "a")["deploymentResult"]["environmentResults"] == []


def test_create_checks_fields_and_usernames_are_unique_across_projects(gateway: Gateway) -> None:
    body = {"username": "new-user", "password": "p", "fullName": "N", "email": "n@example.com"}
    created = gateway.create_credential("OtherProject", body)
    assert [r["environmentName"] for r in created["deploymentResult"]["environmentResults"]] == ["production"]
    with pytest.raises(ApiError, match="There is already a credential has this name!"):
        gateway.create_credential("MyProject", body)
    with pytest.raises(ApiError, match="Credential password can not be empty!"):
        gateway.create_credential("MyProject", {**body, "username": "x", "password": ""})
    with pytest.raises(ApiError, match="Request body must be a JSON object!"):
        gateway.create_credential("MyProject", ["not", "an", "object"])


def test_grant_and_revoke(gateway: Gateway) -> None:
    assert gateway.grant_access("MyProject", "admin-user", ACCESS)["success"] is True
    with pytest.raises(ApiError, match=r"Credential \(username:admin-user\) has already access to API Proxy"):
        gateway.grant_access("MyProject", "admin-user", ACCESS)
    with pytest.raises(ApiError, match=r"API Proxy \(name:OtherAPI\) is not found"):
        gateway.grant_access("MyProject", "admin-user", {"credentialAccessList": [{"name": "OtherAPI",
                                                                                    "type": "API_PROXY"}]})
    revoked = gateway.revoke_access("MyProject", "admin-user", ACCESS)
    assert revoked["deploymentResult"]["message"] == "Undeployment completed successfully"
    with pytest.raises(ApiError):
        gateway.revoke_access("MyProject", "admin-user", ACCESS)  # no longer granted


def test_reset_restores_the_seed(gateway: Gateway) -> None:
    gateway.delete_credential("MyProject", "api-user")
    gateway.reset()
    assert gateway.usernames("MyProject") == ["api-user", "admin-user"]


REFUSED = [None, f"Basic {TOKEN}", "Bearer ", "Bearer wrong", f"Bearer {TOKEN} ", TOKEN, f"Bearer{TOKEN}"]


@pytest.mark.parametrize("authorization", REFUSED)
def test_only_bearer_and_the_token_authenticate(gateway: Gateway, authorization: str | None) -> None:
    with pytest.raises(ApiError) as refused:
        gateway.authenticate(authorization)
    assert refused.value.body(editions.base()) == {"error": "unauthorized_client", "error_description": "Invalid token"}


def test_the_bearer_scheme_is_case_insensitive(gateway: Gateway) -> None:
    gateway.authenticate("bearer " + TOKEN)
    gateway.authenticate("BEARER " + TOKEN)


# -- the app -----------------------------------------------------------------------------------------
def test_delete_over_http(http: Http, gateway: Gateway) -> None:
    response = http.delete(delete_path("MyProject", "api-user"), headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"  # overview.md, Response Headers
    assert response.json()["deploymentResult"]["success"] is True
    again = http.delete(delete_path("MyProject", "api-user"), headers=AUTH)
    assert (again.status_code, again.json()["error"]) == (MISSING.status, MISSING.code)


def test_the_token_is_checked_before_the_project_and_the_credential(http: Http) -> None:
    for path in (delete_path("NoSuchProject", "x"), delete_path("MyProject", "nobody")):
        response = http.delete(path, headers={"Authorization": "Bearer wrong"})
        assert (response.status_code, response.json()["error"]) == (401, "unauthorized_client")


@pytest.fixture(scope="module")
def plain() -> Iterator[Http]:
    """The gateway without the Spring stack in front (``--no-stack``): its own answers, in the edition's envelope."""
    with GatewayServer(token=TOKEN, stack=False) as running:
        yield Http(running)


def test_a_method_the_path_does_not_have_is_405_with_allow(http: Http, plain: Http) -> None:
    for served in (http, plain):
        response = served.get(delete_path("MyProject", "api-user"), headers=AUTH)
        assert response.status_code == 405
        assert response.headers["allow"] == "DELETE, PATCH"  # PATCH: Change Password (change-credential-password.md)
        access = served.post(delete_path("MyProject", "api-user") + "access/", headers=AUTH)
        assert access.headers["allow"] == "DELETE, GET, PUT"
    assert plain.get(delete_path("MyProject", "api-user"), headers=AUTH).json()["error"] == "method_not_allowed"
    spring = http.get(delete_path("MyProject", "api-user"), headers=AUTH).json()  # Spring Boot's error body
    assert (spring["status"], spring["error"]) == (405, "Method Not Allowed")


def test_unknown_paths_are_json_404_and_a_missing_slash_redirects(http: Http, plain: Http) -> None:
    unknown = plain.get("/apiops/nothing/here/", headers=AUTH)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    spring = http.get("/apiops/nothing/here/", headers=AUTH)
    assert (spring.status_code, spring.json()["path"]) == (404, "/apiops/nothing/here/")
    redirected = http.delete("/apiops/projects/MyProject/credentials/a%2Bb?x=1", headers=AUTH)
    assert redirected.status_code == 308
    assert redirected.headers["location"] == "/apiops/projects/MyProject/credentials/a%2Bb/?x=1"


@pytest.mark.parametrize("username", ["user@example.com", "a+b", "100%", "why?", "hash#tag", "a&b=c", "x:y;z",
                                      "ünïcødé", "a/b", "%40", "a b"])
def test_encoded_usernames_are_decoded_exactly_once(http: Http, gateway: Gateway, username: str) -> None:
    gateway.add_credential("MyProject", username)
    decoy = username.replace("%40", "@")  # "%2540" must not reach "@"
    if decoy != username:
        gateway.add_credential("MyProject", decoy)
    response = http.delete(delete_path("MyProject", username), headers=AUTH)
    assert response.status_code == 200, response.text
    assert username not in gateway.usernames("MyProject")
    assert decoy == username or decoy in gateway.usernames("MyProject")


def test_a_literal_plus_in_the_path_stays_a_plus(http: Http, gateway: Gateway) -> None:
    gateway.add_credential("MyProject", "a+b")
    gateway.add_credential("MyProject", "a b")
    assert http.delete("/apiops/projects/MyProject/credentials/a+b/", headers=AUTH).status_code == 200
    assert "a b" in gateway.usernames("MyProject")


def test_usernames_are_case_sensitive_on_the_wire(http: Http, gateway: Gateway) -> None:
    response = http.delete(delete_path("MyProject", "API-USER"), headers=AUTH)
    assert response.status_code == MISSING.status
    assert "api-user" in gateway.usernames("MyProject")


def test_other_endpoints_over_http(http: Http) -> None:
    assert http.get("/apiops/projects/", headers=AUTH).json()["resultCount"] == 3
    assert http.get("/apiops/environments/MyProject", headers=AUTH).json()["resultCount"] == 3
    assert http.get("/apiops/environments/Nope/", headers=AUTH).status_code == 400
    assert http.post("/apiops/projects/MyProject/credentials/", data=b"{", headers=AUTH).status_code == 400
    granted = http.put(delete_path("MyProject", "admin-user") + "access/", json=ACCESS, headers=AUTH)
    assert granted.status_code == 200
    listed_access = http.get(delete_path("MyProject", "admin-user") + "access/", headers=AUTH).json()
    assert listed_access["resultList"] == [{"name": "MyAPI", "type": "API_PROXY"}]
    listed = http.get("/apiops/projects/MyProject/credentials/", headers=AUTH).json()["resultList"]
    assert all(item["password"] is None for item in listed)


UNUSUAL = ("ü-user", "at@example.com", "100%", "a+b")
LONG = "neighbour-" + "x" * 40  # a long username, and its neighbours (exactly-the-named-credential)
NEIGHBOURS = (LONG + "-one", LONG + "-two", LONG + "-one-extended", LONG[:-1], LONG + "-ONE")


# -- faults ----------------------------------------------------------------------------------------------
BODY_BUDGET = 1.0  # seconds; a body still arriving after it is what a client observes of a late or dripping answer


def body_within(response: requests.Response, budget: float) -> bytes | str:
    """The whole body, or, when it is not all there after ``budget`` seconds, that fact: the rest is not awaited (a
    body that drips one byte every half second would keep the probe half a minute, a late one 1.2 s per answer)."""
    deadline, chunks = time.monotonic() + budget, []
    try:
        for chunk in response.iter_content(chunk_size=None):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                break
        else:
            return b"".join(chunks)
    except requests.ConnectionError:  # the read timed out: nothing came for ``budget`` seconds
        pass
    response.close()
    return f"not all there after {budget} s"


def probe_exchanges(faults: list[str]) -> tuple[GatewayServer, list[requests.Response]]:
    """A fixed series of requests to a gateway with ``faults`` (seeded with unusual names, neighbours and a grant):
    the server, still running, and its answers, each body read within :data:`BODY_BUDGET`."""
    server = serve(faults)
    gateway, http = server.gateway, Http(server)
    for username in (*UNUSUAL, *NEIGHBOURS):
        gateway.add_credential("MyProject", username)
    gateway.grant_access("MyProject", "admin-user", ACCESS)
    requests_: list[tuple[str, str, dict[str, str]]] = [
        ("GET", "/apiops/projects/MyProject/credentials/", AUTH),
        ("DELETE", delete_path("MyProject", NEIGHBOURS[0]), AUTH),
        ("DELETE", delete_path("MyProject", "api-user"), AUTH),
        ("DELETE", delete_path("MyProject", "api-user"), AUTH),
        ("DELETE", delete_path("MyProject", "never-created"), AUTH),
        ("DELETE", delete_path("NoSuchProject", "x"), AUTH),
        ("DELETE", delete_path("NoSuchProject", "x"), {"Authorization": "Bearer wrong"}),
        ("DELETE", delete_path("MyProject", "admin-user"), {"Authorization": "Bearer wrong"}),
        ("DELETE", delete_path("MyProject", "admin-user"), {}),
        ("DELETE", delete_path("MyProject", "admin-user"), {"Authorization": f"Basic {TOKEN}"}),
        ("DELETE", delete_path("MyProject", "admin-user"), {"Authorization": "Bearer "}),
        ("DELETE", delete_path("MyProject", "other-user"), AUTH),
        ("DELETE", delete_path("MyProject", "ADMIN-USER"), AUTH),
        *[("DELETE", delete_path("MyProject", name), AUTH) for name in UNUSUAL],
        ("DELETE", delete_path("MyProject", "admin-user"), AUTH),
        ("GET", "/apiops/openapi.yaml", AUTH),  # openapi-spec.md: what the gateway says of itself
    ]
    answers = []
    for method, path, headers in requests_:
        started = time.monotonic()
        response = http.request(method, path, headers=headers, stream=True, timeout=(10, BODY_BUDGET))
        body = body_within(response, BODY_BUDGET)
        response._content = body.encode() if isinstance(body, str) else body  # read once, kept for the observers
        response.elapsed = timedelta(seconds=time.monotonic() - started)  # to the last byte read
        answers.append(response)
    return server, answers


def probe(faults: list[str]) -> list[Any]:
    """What a fixed series of requests observes: each response, then the state they leave."""
    server, answers = probe_exchanges(faults)
    gateway = server.gateway
    seen: list[Any] = [(response.request.method, response.request.path_url, response.status_code,
                        {k: v for k, v in response.headers.items() if k.lower() != "date"}, response.content)
                       for response in answers]
    try:
        gateway.add_credential("MyProject", "admin-user")  # re-created: must start without grants
        seen.append(gateway.granted_access("MyProject", "admin-user"))
    except ApiError as exc:
        seen.append(exc.body(editions.base()))
    seen.append({name: gateway.usernames(name) for name in gateway.projects})
    server.stop()
    return seen


@pytest.fixture(scope="module")
def clean_probe() -> list[Any]:
    return probe([])


@pytest.mark.parametrize("name", [name for name in FAULTS if not FAULTS[name].delay])
def test_every_fault_changes_what_a_client_observes(name: str, clean_probe: list[Any]) -> None:
    assert probe([name]) != clean_probe, f"fault {name} changed nothing a client can observe"


def test_the_slow_fault_delays_the_delete() -> None:
    with serve(["slow-delete"]) as server:
        started = time.monotonic()
        assert Http(server).delete(delete_path("MyProject", "api-user"), headers=AUTH).status_code == 200
        assert time.monotonic() - started >= FAULTS["slow-delete"].delay


def test_there_are_at_least_25_faults_and_unknown_names_are_refused() -> None:
    assert len(FAULTS) >= 25
    assert all((fault.breaks or fault.caught_as != "rules") and (fault.patch or fault.transform or fault.delay)
               for fault in FAULTS.values())
    with pytest.raises(UnknownFault, match="no-such-fault"):
        lookup(["success-without-content", "no-such-fault"])


# -- the server ------------------------------------------------------------------------------------------
def test_the_server_stops_and_can_be_used_as_a_context_manager() -> None:
    with GatewayServer(token=TOKEN) as server:
        assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith("/apiops")
        response = requests.delete(server.url + delete_path("MyProject", "api-user"), headers=AUTH, timeout=5)
        assert response.status_code == 200
        assert server.gateway.usernames("MyProject") == ["admin-user"]
        server.gateway.reset()
        assert "api-user" in server.gateway.usernames("MyProject")
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/apiops/projects/", headers=AUTH, timeout=2)


@pytest.mark.parametrize("username", ["a%0Ab", "a%0Db", "a%00b", "%09"])
def test_control_characters_in_a_username_still_get_a_json_answer(username: str) -> None:
    """error-handling.md: every error is JSON, whatever the path holds."""
    import requests

    from contracts.gateway.server import GatewayServer

    with GatewayServer(token="t") as server:
        response = requests.delete(f"{server.url}/apiops/projects/MyProject/credentials/{username}/",
                                   headers={"Authorization": "Bearer t"}, timeout=10)
    assert (response.status_code, response.json()["error"]) == (MISSING.status, MISSING.code)
