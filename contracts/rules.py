"""The rulebook: every rule of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``, once.

Each :class:`Rule` says what the endpoint promises (``statement``), where that comes from
(``source``: the docs page, its section and public address), how sure we are (``kind``: a page says
it, our ``reading`` where pages are silent or disagree, or an HTTP ``convention`` no page promises)
and, where it has one, the answer it expects (:class:`Answer`: status, ``error`` code, message).

Everything else reads this module: the scenarios declare the rules they verify
(``@pytest.mark.rule(...)``), the judge checks every DELETE answer against them, the reference
gateway answers with their expected answers and its faults say which rule each breaks, and the
conformance report, the living docs, openapi.yaml's DELETE responses and the README's tables are
generated from them. To follow a docs change of one answer, change its :class:`Answer` below,
then regenerate (``python -m contracts.docs``) and re-record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["documented", "reading", "convention"]
KINDS: tuple[Kind, ...] = ("documented", "reading", "convention")

SITE = "https://apinizer.github.io/management-api-docs"
PAGES = {  # the public address of each docs page the rules cite
    "delete-credential.md": f"{SITE}/02-api-reference/07-credentials/crud/delete-credential/",
    "create-credential.md": f"{SITE}/02-api-reference/07-credentials/crud/create-credential/",
    "list-credentials.md": f"{SITE}/02-api-reference/07-credentials/crud/list-credentials/",
    "get-granted-access-list.md": f"{SITE}/02-api-reference/07-credentials/access/get-granted-access-list/",
    "get-environments-by-project.md": f"{SITE}/02-api-reference/03-environments/get-environments-by-project/",
    "list-projects.md": f"{SITE}/02-api-reference/02-projects/list-projects/",
    "list-api-proxies.md": f"{SITE}/02-api-reference/04-api-proxies/crud/list-api-proxies/",
    "list-api-proxy-groups.md": f"{SITE}/02-api-reference/09-api-proxy-groups/crud/list-api-proxy-groups/",
    "authentication.md": f"{SITE}/01-getting-started/authentication/",
    "base-url.md": f"{SITE}/01-getting-started/base-url/",
    "error-handling.md": f"{SITE}/01-getting-started/error-handling/",
    "openapi-spec.md": f"{SITE}/03-appendix/openapi-spec/",
    "RFC 9110": "https://www.rfc-editor.org/rfc/rfc9110",
}


def anchor(heading: str) -> str:
    """The id GitHub Pages (kramdown) gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")


@dataclass(frozen=True)
class Source:
    page: str  # a key of PAGES, or "contract suite" for the suite's own policy
    section: str  # the heading (or bold note) the rule comes from
    fragment: str | None = None  # the URL fragment, when not the heading's own anchor

    @property
    def url(self) -> str | None:
        base = PAGES.get(self.page)
        if base is None:
            return None
        return f"{base}#{self.fragment if self.fragment is not None else anchor(self.section)}"

    def cite(self) -> str:
        return f"{self.page}, {self.section}"


@dataclass(frozen=True)
class Answer:
    """An expected answer: its status, its ``error`` code, and the message the page shows.

    ``message`` is the page's wording with ``{projectName}``/``{username}`` where it names them;
    the reference gateway answers with it, and a gateway is held to naming what it names (the
    wording may differ: messages are for people).
    """

    status: int
    error: str | None = None
    message: str | None = None

    def names(self) -> list[str]:
        """The path parameters the message names."""
        return re.findall(r"\{(\w+)\}", self.message or "")

    def text(self, **names: str) -> str:
        message = self.message or ""
        for name, value in names.items():
            message = message.replace("{" + name + "}", value)
        return message

    def describe(self) -> str:
        parts = [str(self.status)] + ([f"`{self.error}`"] if self.error else [])
        return " ".join(parts) + (f' "{self.message}"' if self.message else "")


@dataclass(frozen=True)
class Rule:
    id: str  # stable; states the rule, never a status code
    statement: str
    source: Source
    kind: Kind
    answer: Answer | None = None
    why: str = ""  # the reasoning behind a reading or a convention
    tags: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str | None:
        return self.source.url

    def headline(self) -> str:
        """How a failure begins: the id, the statement and where it is written."""
        where = self.url or f"{self.source.page}: {self.source.section}"
        return f"[{self.id}] {self.statement} ({where})"


# -- the expected answers ---------------------------------------------------------------------------
SUCCESS = Answer(200)
MISSING_CREDENTIAL = Answer(400, "bad_request", "Credential (username: {username}) was not found!")
UNKNOWN_PROJECT = Answer(404, "not_found",
                         "Project({projectName}) was not found or user does not have privilege to access it!")
UNAUTHORIZED = Answer(401, "unauthorized_client", "Invalid token")
METHOD_NOT_ALLOWED = Answer(405)

_DELETE = "delete-credential.md"
_NOTES = "Notes and Warnings"

# -- the rules ----------------------------------------------------------------------------------------
DELETED = Rule(
    "an-existing-credential-is-deleted",
    "Deleting an existing credential answers 200 with `success: true` and a `deploymentResult`.",
    Source(_DELETE, "Success Response (200 OK)"), "documented", SUCCESS)
PERMANENT = Rule(
    "deletion-is-permanent",
    "A deleted credential is gone: no longer listed, and deleting it again answers as for a credential that "
    "does not exist.",
    Source(_DELETE, f"{_NOTES}: Permanent Deletion", anchor(_NOTES)), "documented", MISSING_CREDENTIAL)
UNDEPLOYED = Rule(
    "it-is-undeployed-from-every-environment",
    "The answer reports the credential's undeployment from every environment of the project, each once and "
    "successfully.",
    Source(_DELETE, f"{_NOTES}: Automatic Undeployment", anchor(_NOTES)), "documented")
GRANTS_REVOKED = Rule(
    "its-access-grants-go-with-it",
    "Every access grant of the credential is removed with it: a credential created again under the same "
    "username starts with none.",
    Source(_DELETE, f"{_NOTES}: Access Revocation", anchor(_NOTES)), "documented")
MUST_EXIST = Rule(
    "the-credential-must-exist",
    "Deleting a credential that does not exist fails, naming the username.",
    Source(_DELETE, "Error Response (400 Bad Request)"), "documented", MISSING_CREDENTIAL)
PROJECT_MUST_EXIST = Rule(
    "the-project-must-exist",
    "Deleting in a project that does not exist (or that the token cannot see) fails, naming the project.",
    Source(_DELETE, "Error Response (404 Not Found)"), "documented", UNKNOWN_PROJECT)
TOKEN_REQUIRED = Rule(
    "a-valid-token-is-required",
    "A delete without a valid `Bearer` token (missing, wrong, empty or under another scheme) is refused and "
    "deletes nothing.",
    Source("authentication.md", "Using the Token"), "documented", UNAUTHORIZED)
EXACTLY_ONE = Rule(
    "exactly-the-named-credential-is-deleted",
    "A delete removes the one credential its username names, and no other: not one whose username extends, "
    "contains, prefixes or case-varies it, or equals it once URL-decoded.",
    Source(_DELETE, "Overview"), "documented")
USERNAME_CASE = Rule(
    "usernames-are-case-sensitive",
    "A username that differs only in case names no credential.",
    Source("base-url.md", "Path Parameter Rules"), "documented", MISSING_CREDENTIAL)
PROJECT_CASE = Rule(
    "project-names-are-case-sensitive",
    "A project name that differs only in case names no project.",
    Source("base-url.md", "Path Parameter Rules"), "documented", UNKNOWN_PROJECT)
ENCODED = Rule(
    "special-characters-are-percent-encoded",
    "A username with special characters, percent-encoded as one path segment, is created, listed and deleted "
    "as itself.",
    Source("base-url.md", "URL Encoding"), "documented", SUCCESS)
ERROR_FORMAT = Rule(
    "errors-follow-the-error-format",
    "Every error answer is JSON `{error, error_description}`, both strings, with an `error` code listed for "
    "its status.",
    Source("error-handling.md", "Error Response Format"), "documented")
DOCUMENTED = Rule(
    "every-answer-is-documented",
    "Every answer has a status the page documents, is `application/json` and has the documented body: never a "
    "redirect, a server error or an undocumented shape.",
    Source(_DELETE, "Response"), "documented")
SCOPED = Rule(
    "a-credential-is-reached-only-through-its-project",
    "A credential of another project is not found through this one, and stays.",
    Source("list-credentials.md", f"{_NOTES}: Project Scope", anchor(_NOTES)), "reading", MISSING_CREDENTIAL,
    why="The delete page does not say; list-credentials.md scopes a regular project's credentials to it, so a "
        "credential of another project is one that does not exist here.")
TOKEN_FIRST = Rule(
    "the-token-is-checked-first",
    "The token is checked before the project and the credential: a bad token answers 401 whatever the path "
    "names.",
    Source("authentication.md", "Overview"), "reading", UNAUTHORIZED,
    why="The pages do not state the order; authentication.md requires the token on every endpoint, so "
        "nothing about a project or credential is answered before it is checked.")
TOKEN_NEVER_ECHOED = Rule(
    "no-answer-carries-the-token",
    "No answer carries the presented token, in its body or any header, in any encoding.",
    Source("authentication.md", "Token Security"), "reading",
    why="The page treats the token as a secret to be kept out of logs and code; an answer echoing it would put "
        "it into every log and report that keeps answers.")
MALFORMED_REJECTED = Rule(
    "malformed-names-are-rejected",
    "A request whose project name or username breaks the path rules (empty, spaces, `/`) is refused with a 4xx, "
    "never accepted or answered with a server error.",
    Source("base-url.md", "Path Parameter Rules"), "reading",
    why="base-url.md forbids spaces in names; openapi.yaml's pattern adds `/` (an encoded slash cannot be routed "
        "reliably as one segment).")
METHODS = Rule(
    "undeclared-methods-are-not-allowed",
    "A method the credential path does not declare answers 405 Method Not Allowed with an `Allow` header "
    "listing the declared ones.",
    Source("RFC 9110", "15.5.6. 405 Method Not Allowed", "section-15.5.6"), "convention", METHOD_NOT_ALLOWED,
    why="No page says what other methods answer; HTTP says 405 with Allow.")
TIMELY = Rule(
    "answers-within-the-time-budget",
    "Every answer arrives whole within the suite's response-time budget (--max-response-time).",
    Source("contract suite", "--max-response-time"), "convention",
    why="No page promises a response time; a delete that undeploys synchronously can be slow, and a team sets "
        "the budget its clients can live with.")

RULES: dict[str, Rule] = {rule.id: rule for rule in (
    DELETED, PERMANENT, UNDEPLOYED, GRANTS_REVOKED, MUST_EXIST, PROJECT_MUST_EXIST, TOKEN_REQUIRED, EXACTLY_ONE,
    USERNAME_CASE, PROJECT_CASE, ENCODED, ERROR_FORMAT, DOCUMENTED, SCOPED, TOKEN_FIRST, TOKEN_NEVER_ECHOED,
    MALFORMED_REJECTED, METHODS, TIMELY,
)}

# Checked on every answer of the DELETE, whatever the test (the judge, contracts/judge.py).
EVERY_ANSWER: tuple[Rule, ...] = (DOCUMENTED, ERROR_FORMAT, TOKEN_NEVER_ECHOED, TIMELY)

# The rule each schemathesis check (built-in, schemathesis.toml) verifies.
CHECKS: dict[str, Rule] = {
    "not_a_server_error": DOCUMENTED,
    "status_code_conformance": DOCUMENTED,
    "content_type_conformance": DOCUMENTED,
    "response_schema_conformance": DOCUMENTED,
    "response_headers_conformance": DOCUMENTED,
    "positive_data_acceptance": DOCUMENTED,
    "missing_required_header": TOKEN_REQUIRED,
    "negative_data_rejection": MALFORMED_REJECTED,
    "unsupported_method": METHODS,
    "allow_header_conformance": METHODS,
    "max_response_time": TIMELY,
}


class UnknownRule(KeyError):
    pass


def get(rule_id: str) -> Rule:
    try:
        return RULES[rule_id]
    except KeyError:
        raise UnknownRule(rule_id) from None


def by_status(status: int) -> list[Rule]:
    """The rules whose expected answer has this status, in rulebook order."""
    return [rule for rule in RULES.values() if rule.answer is not None and rule.answer.status == status]
