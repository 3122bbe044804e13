"""The infrastructure's answers: what a proxy or load balancer in front of the Manager says, not the Manager.

Such an answer is not judged by the Manager's rules; one that says the Manager cannot be reached stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from contracts.http.errors import GatewayMisbehaved, shown
from contracts.http.ratelimit import rate_limited

# What a proxy in front of the Manager owns: a gateway error (the Manager behind it is down or unreachable),
# a rate limit not waited out, and the methods a proxy answers itself.
DOWN_STATUSES = frozenset({502, 503, 504})
PROXY_METHODS = frozenset({"TRACE", "CONNECT"})
PROXY_SERVERS = ("nginx", "apache", "envoy", "haproxy", "awselb", "cloudflare", "traefik", "squid", "varnish")


@dataclass(frozen=True)
class Infrastructure:
    """An answer that is visibly the infrastructure's, not the Management API's: why, and whether the run can go on."""

    cause: str  # one line, the same for every answer of the same cause (one verdict per cause)
    example: str  # METHOD URL answered STATUS …, the first one seen
    stops: bool  # the Manager is not reachable through it: the run cannot go on


def infrastructure(response: requests.Response) -> Infrastructure | None:
    """Why this answer is the infrastructure's (a proxy in front of the Manager), or None: then it is the Manager's,
    and judged as such. An HTML page alone is not enough (a Manager's servlet container answers with one too)."""
    status, method = response.status_code, str(response.request.method).upper()
    server = response.headers.get("Server", "")
    html = "html" in response.headers.get("Content-Type", "").lower() or response.text.lstrip().startswith("<")
    proxy = next((name for name in PROXY_SERVERS if name in server.lower()), None)
    by = f"the proxy in front of the Manager ({server})" if proxy else "the infrastructure in front of the Manager"
    page = " with an HTML page" if html else ""
    example = f"{method} {shown(str(response.url))} answered {status}{page}"
    if status == 503 and rate_limited(response):
        return Infrastructure(f"{by} kept answering 503 with Retry-After (the Manager busy) beyond what the run may "
                              "wait (the request's --request-timeout, the run's waiting budget)", example, stops=True)
    if status in DOWN_STATUSES:
        return Infrastructure(f"{by} answered {status}{page}: the Manager behind it is down or unreachable",
                              example, stops=True)
    if status == 429:
        return Infrastructure(f"{by} kept answering 429 (rate limited) beyond the run's waiting budget "
                              "(set --rate-limit below its limit)", example, stops=True)
    if method in PROXY_METHODS and status in (405, 501) and (html or proxy or "Allow" not in response.headers):
        return Infrastructure(f"{by} answers {method} itself ({status}{page}, no Allow): the Manager never sees it",
                              example, stops=False)
    if proxy and html and status >= 400:
        return Infrastructure(f"{by} answered {status}{page} itself", example, stops=False)
    return None


class ManagerDown(GatewayMisbehaved):
    """The infrastructure in front of the Manager says the Manager cannot be reached: the run cannot go on."""


class InfrastructureWatch:
    """The judge's place among the session's observers: an answer visibly the infrastructure's is not the Manager's,
    so no rule of the Manager judges it; ``seen`` keeps one example per cause. One that says the Manager cannot be
    reached is :class:`ManagerDown`, raised when ``went_down(why)`` says so (the run's one verdict)."""

    judges = True  # the judge's own redirect handling stays the judge's (see ContractSession.send)

    def __init__(self, judge: Callable[[requests.Response], None], seen: dict[str, str],
                 went_down: Callable[[str], bool]) -> None:
        self.judge, self.seen, self.went_down = judge, seen, went_down

    def __call__(self, response: requests.Response) -> None:
        found = infrastructure(response)
        if found is None:
            self.judge(response)
            return
        self.seen.setdefault(found.cause, found.example)
        if found.stops and self.went_down(f"{found.cause} ({found.example})"):
            raise ManagerDown(f"{found.example}: {found.cause}", str(response.request.method), str(response.url))

