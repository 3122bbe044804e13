"""What a deletion leaves behind or reports: grants that survive it, a credential only marked deleted, a
password change or a second delete that still succeed, environments it does not undeploy."""

from __future__ import annotations

from typing import Any

from contracts import rules
from contracts.gateway.faults.registry import (
    Family,
    Fault,
    Headers,
    RequestInfo,
    Wire,
    edition_of,
    is_missing_credential,
    replace_step,
    rule_ids,
)
from contracts.gateway.model import ApiError, Gateway
from contracts.gateway.state import Credential, Project

FAMILY = Family()


@FAMILY.patch("grants-survive-delete", [rules.GRANTS_REVOKED],
              "leaves the credential's grants behind, so a new credential of the same username inherits them")
def _grants_survive(gateway: Gateway) -> None:
    def credential_only(credential: Credential) -> None:
        gateway.credentials.pop(credential.username, None)

    replace_step(gateway, "remove_credential", credential_only)


@FAMILY.patch("soft-delete", [rules.PERMANENT, rules.GRANTS_REVOKED, rules.ONE_OF_TWO],
              "only marks the credential deleted, and the lookup still finds marked ones: a second delete succeeds")
def _soft_delete(gateway: Gateway) -> None:
    marked: dict[str, Credential] = {}  # username -> the credential as it was when "deleted"
    remove, find, reset = gateway.remove_credential, gateway.find_credential, gateway.reset

    def mark(credential: Credential) -> None:
        marked[credential.username] = credential
        if gateway.credentials.get(credential.username) is credential:
            remove(credential)

    def find_marked_too(project: Project, username: str) -> Credential:
        try:
            return find(project, username)
        except ApiError:
            credential = marked.get(username)
            if credential is None or credential.project != project.name:
                raise
            return credential

    def reset_marks() -> None:
        marked.clear()
        reset()

    replace_step(gateway, "remove_credential", mark)
    replace_step(gateway, "find_credential", find_marked_too)
    replace_step(gateway, "reset", reset_marks)


@FAMILY.transform("password-change-after-delete", [rules.PERMANENT],
                  "accepts Change Password (PATCH, the credential path's other method) for a credential that does not "
                  "exist, a deleted one included: answers 200 and redeploys nothing",
                  operation="changeCredentialPassword")
def _password_change_after_delete(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if is_missing_credential(info, status, body):
        return 200, headers, edition_of(info).success_body({}, "changeCredentialPassword")
    return status, headers, body


_IN_FLIGHT = "delete-without-lock"


def _delete_without_lock(gateway: Gateway) -> None:
    """Look up, wait (the undeployment), remove, with no lock: a delete that arrives while another of the same
    credential is still undeploying finds it too, and answers as that one will."""
    delete, in_flight = gateway.delete_credential, gateway.fault_state.setdefault(_IN_FLIGHT, {})

    def unlocked(project: str, username: str) -> dict[str, Any]:
        result = delete(project, username)
        in_flight[(project, username)] = result  # until its answer is sent (_answer_in_flight)
        return result

    replace_step(gateway, "delete_credential", unlocked)


def _answer_in_flight(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    in_flight = info.gateway.fault_state.get(_IN_FLIGHT, {})
    key = (info.params["projectName"], info.params["username"])
    if status == 200:  # the first delete's answer, once its undeployment is over: the credential is gone now
        in_flight.pop(key, None)
    elif key in in_flight and is_missing_credential(info, status, body):
        return 200, headers, in_flight[key]  # it looked the credential up before the first removed it
    return status, headers, body


FAMILY.add(Fault(_IN_FLIGHT, "deletes with no lock between looking the credential up and removing it, and takes "
                 "0.4 s to undeploy: of two deletes of one credential at the same moment, both succeed and undeploy",
                 rule_ids(rules.ONE_OF_TWO), patch=_delete_without_lock, transform=_answer_in_flight, delay=0.4))


# -- undeployment --------------------------------------------------------------------------------------
@FAMILY.transform("incomplete-undeployment", [rules.UNDEPLOYED],
                  "leaves the last environment (every entry of it, every pod) out of the deployment result (an "
                  "off-by-one)")
def _incomplete(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    shape, result = edition_of(info).deployment, body["deploymentResult"]
    entries = result[shape.list]
    last = entries[-1][shape.environment] if entries else None
    shorter = [entry for entry in entries if entry[shape.environment] != last]
    return status, headers, {**body, "deploymentResult": {**result, shape.list: shorter}}


@FAMILY.transform("failed-undeployment", [rules.UNDEPLOYED, rules.DELETED],
                  "reports the last environment's undeployment failed (unreachable), still answering 200")
def _failed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    shape = edition_of(info).deployment
    if status != 200 or not isinstance(body, dict) or not body["deploymentResult"][shape.list]:
        return status, headers, body
    result = body["deploymentResult"]
    *ok, last = result[shape.list]
    failed = {**last, shape.success: False}
    overall = {**result, shape.success: False}
    if shape.message:
        failed[shape.message] = "Undeployment failed: environment unreachable"
        overall[shape.message] = "Undeployment completed with errors"
    return status, headers, {**body, "deploymentResult": {**overall, shape.list: [*ok, failed]}}
