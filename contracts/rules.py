"""The rulebook: every rule of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``, once.

Each :class:`Rule` says what the endpoint promises (``statement``), how sure we are (``kind``: a
page says it, our ``reading`` where pages are silent or disagree, or an HTTP ``convention`` no page
promises) and, where it has one, the name of the answer it expects (``answer``). What each edition
of the docs (contracts/editions/) answers, and where its pages say it, is the edition's: a rule's
:meth:`Rule.sources` are every edition's page for it, and ``edition.answer(rule)`` is its expected
answer there. The behaviour is the same in every edition. A rule also says whether it is a
``security`` rule (it fails the run whatever ``--fail-on`` says) and, where the judge holds each
answer to it, reaches that check (:attr:`Rule.check`, registered for it in contracts/answer_checks.py).

Everything else reads this module and the editions: the scenarios declare the rules they verify
(``@pytest.mark.rule(...)``), the judge checks every answer against them, the reference
gateway answers with their expected answers and its faults say which rule each breaks, and the
conformance report, the living docs, the contract documents' DELETE responses and the README's
tables are generated from them. To follow a docs change of one answer, change it in its edition's
file, then regenerate (``python -m contracts.pages``) and re-record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from contracts import answer_checks, editions
from contracts.editions import (
    ALREADY_EXISTS,
    METHOD_NOT_ALLOWED,
    MISSING_CREDENTIAL,
    MISSING_PERMISSION,
    NO_TOKEN,
    REFUSED_TOKEN,
    SERVER_ERROR,
    SUCCESS,
    UNKNOWN_PROJECT,
    UNKNOWN_PROJECT_ENVIRONMENTS,
    Answer,
    Source,
    anchor,
)

if TYPE_CHECKING:
    from contracts.editions import Edition

# The answer names are the editions' (every edition answers each); the rules and their readers name them from here.
__all__ = ["ALREADY_EXISTS", "METHOD_NOT_ALLOWED", "MISSING_CREDENTIAL", "MISSING_PERMISSION", "NO_TOKEN",
           "REFUSED_TOKEN", "SERVER_ERROR", "SUCCESS", "UNKNOWN_PROJECT", "UNKNOWN_PROJECT_ENVIRONMENTS", "Answer",
           "Source", "anchor"]

Kind = Literal["documented", "reading", "convention"]
KINDS: tuple[Kind, ...] = ("documented", "reading", "convention")
RFC_9110 = "https://www.rfc-editor.org/rfc/rfc9110"


@dataclass(frozen=True)
class Rule:
    id: str  # stable; states the rule, never a status code
    statement: str
    kind: Kind
    answer: str | None = None  # the name of its expected answer in every edition (contracts/editions/)
    why: str = ""  # the reasoning behind a reading or a convention
    source: Source | None = None  # where no edition's pages are the source (an RFC, the suite's own policy)
    # A security rule fails the run whatever --fail-on says, and --deviations-update never waives it: a leaked
    # token is never only a warning.
    security: bool = False
    every_answer: bool = False  # judged on every answer of the DELETE, whatever the test (the living docs say so)

    @property
    def check(self) -> answer_checks.Check | None:
        """Its per-answer check (contracts/answer_checks.py): the judge hands it every answer of the credential path."""
        return answer_checks.CHECKS.get(self.id)

    def sources(self) -> list[tuple[Edition, Source]]:
        """Where each edition's pages say it (or the one source of a rule no page states)."""
        found = [(edition, edition.source(self.id)) for edition in editions.all_editions()]
        listed = [(edition, source) for edition, source in found if source is not None]
        if listed or self.source is None:
            return listed
        return [(edition, self.source) for edition in editions.all_editions()]

    def source_in(self, edition: Edition) -> Source | None:
        return edition.source(self.id) or self.source

    def url(self, edition: Edition | None = None) -> str | None:
        source = self.source_in(edition or editions.newest())
        return source.url if source else None

    def headline(self, edition: Edition | None = None) -> str:
        """How a failure begins: the id, the statement and where it is written (in ``edition``'s pages)."""
        source = self.source_in(edition or editions.newest())
        where = (source.url or f"{source.page}: {source.section}") if source else "the rulebook"
        return f"[{self.id}] {self.statement} ({where})"


# -- the rules ----------------------------------------------------------------------------------------
DELETED = Rule(
    "an-existing-credential-is-deleted",
    "Deleting an existing credential succeeds, and the answer carries a `deploymentResult`.",
    "documented", SUCCESS)
PERMANENT = Rule(
    "deletion-is-permanent",
    "A deleted credential is gone: no longer listed, and deleting it again, or changing its password (PATCH, the "
    "path's other method), answers as for a credential that does not exist.",
    "documented", MISSING_CREDENTIAL)
UNDEPLOYED = Rule(
    "it-is-undeployed-from-every-environment",
    "The answer reports the credential's undeployment from every environment of the project, at least once "
    "each (once per pod where the edition reports pods), all successful and none of another project.",
    "documented")
GRANTS_REVOKED = Rule(
    "its-access-grants-go-with-it",
    "Every access grant of the credential is removed with it: a credential created again under the same "
    "username starts with none.",
    "documented")
MUST_EXIST = Rule(
    "the-credential-must-exist",
    "Deleting a credential that does not exist fails, naming the username.",
    "documented", MISSING_CREDENTIAL)
PROJECT_MUST_EXIST = Rule(
    "the-project-must-exist",
    "Deleting in a project that does not exist (or that the token cannot see) fails, naming the project.",
    "documented", UNKNOWN_PROJECT)
TOKEN_REQUIRED = Rule(
    "a-valid-token-is-required",
    "A delete without a valid `Bearer` token (missing, wrong, empty or under another scheme) is refused and "
    "deletes nothing.",
    "documented", REFUSED_TOKEN)
EXACTLY_ONE = Rule(
    "exactly-the-named-credential-is-deleted",
    "A delete removes the one credential its username names, and no other: not one whose username extends, "
    "contains, prefixes or case-varies it, or equals it once URL-decoded.",
    "documented")
USERNAME_CASE = Rule(
    "usernames-are-case-sensitive",
    "A username that differs only in case names no credential.",
    "documented", MISSING_CREDENTIAL)
PROJECT_CASE = Rule(
    "project-names-are-case-sensitive",
    "A project name that differs only in case names no project.",
    "documented", UNKNOWN_PROJECT)
ENCODED = Rule(
    "special-characters-are-percent-encoded",
    "A username with special characters, percent-encoded as one path segment, is created, listed and deleted "
    "as itself.",
    "documented", SUCCESS)
ERROR_FORMAT = Rule(
    "errors-follow-the-error-format",
    "Every error answer is JSON in the edition's error envelope (its failure fields and message, both strings, "
    "and a code listed for its status where the edition has codes), never another edition's.",
    "documented", every_answer=True)
DOCUMENTED = Rule(
    "every-answer-is-documented",
    "Every answer has a status the page documents, is `application/json` and has the documented body: never a "
    "redirect, a server error or an undocumented shape.",
    "documented", every_answer=True)
ONE_OF_TWO = Rule(
    "of-two-simultaneous-deletes-exactly-one-succeeds",
    "Two deletes of one credential sent at the same moment: exactly one succeeds and undeploys it; the other "
    "answers as for a credential that does not exist, and the credential is gone.",
    "reading", MISSING_CREDENTIAL,
    why="The pages do not speak of concurrency; delete-credential.md says deleting a credential that does not exist "
        "fails, so two deletes cannot both find it: one of them comes second. A Manager that looks the credential up "
        "and removes it with no lock between the two steps answers both as successes.")
SCOPED = Rule(
    "a-credential-is-reached-only-through-its-project",
    "A credential of another project is not found through this one, and stays (usernames are unique across "
    "all projects, so the name is taken, but not here).",
    "reading", MISSING_CREDENTIAL,
    why="The delete page does not say; list-credentials.md scopes a regular project's credentials to it, so a "
        "credential of another project is one that does not exist here.")
TOKEN_FIRST = Rule(
    "the-token-is-checked-first",
    "The token is checked before the project and the credential: a bad token is refused whatever the path "
    "names.",
    "reading", REFUSED_TOKEN,
    why="The pages do not state the order; authentication.md requires the token on every endpoint, so "
        "nothing about a project or credential is answered before it is checked.")
TOKEN_NEVER_ECHOED = Rule(
    "no-answer-carries-the-token",
    "No answer carries the presented token, in its body, any header or its status line's reason phrase, in any "
    "encoding.",
    "reading",
    why="The page treats the token as a secret to be kept out of logs and code; an answer echoing it would put "
        "it into every log and report that keeps answers.",
    security=True, every_answer=True)
MALFORMED_REJECTED = Rule(
    "malformed-names-are-rejected",
    "A request whose project name or username breaks the path rules (empty, spaces, `/`) is refused with a 4xx, "
    "never accepted or answered with a server error.",
    "reading",
    why="base-url.md forbids spaces in names; the contract's pattern adds `/` (an encoded slash cannot be routed "
        "reliably as one segment).")
METHODS = Rule(
    "undeclared-methods-are-not-allowed",
    "A method the credential path does not declare answers 405 Method Not Allowed with an `Allow` header "
    "listing the declared ones (DELETE, and PATCH: Change Password).",
    "convention", METHOD_NOT_ALLOWED,
    why="No page says what other methods answer; HTTP says 405 with Allow.",
    source=Source("RFC 9110", "15.5.6. 405 Method Not Allowed", "section-15.5.6", RFC_9110))
TIMELY = Rule(
    "answers-within-the-time-budget",
    "Every answer arrives whole within the suite's response-time budget (--max-response-time).",
    "convention",
    why="No page promises a response time; a delete that undeploys synchronously can be slow, and a team sets "
        "the budget its clients can live with.",
    source=Source("contract suite", "--max-response-time"), every_answer=True)

RULES: dict[str, Rule] = {rule.id: rule for rule in (
    DELETED, PERMANENT, UNDEPLOYED, GRANTS_REVOKED, MUST_EXIST, PROJECT_MUST_EXIST, TOKEN_REQUIRED, EXACTLY_ONE,
    USERNAME_CASE, PROJECT_CASE, ENCODED, ERROR_FORMAT, DOCUMENTED, ONE_OF_TWO, SCOPED, TOKEN_FIRST, TOKEN_NEVER_ECHOED,
    MALFORMED_REJECTED, METHODS, TIMELY,
)}

# The ids of the security rules (see Rule.security).
SECURITY: frozenset[str] = frozenset(rule.id for rule in RULES.values() if rule.security)

# The rule each schemathesis check (built-in, schemathesis.toml) verifies.
SCHEMATHESIS_CHECKS: dict[str, Rule] = {
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
