"""``python -m contracts.gateway``: run the reference gateway until Ctrl-C.

    python -m contracts.gateway --port 8080 [--host 127.0.0.1] [--token T] [--fault NAME ...]
        [--latency-ms N] [--deploy-ms N] [--no-stack] [--firewall] [--writer] [--create-lag S] [--restart-after N] ...
    python -m contracts.gateway --list-faults

The token is ``--token``, else ``APIOPS_TOKEN``, else a fresh random one, which is then printed
(the only way to learn it). A token that was given is never printed.

``--latency-ms`` and ``--deploy-ms`` make it as slow as a remote gateway that deploys what it is
given (contracts/gateway/timing.py). The flags of a living Manager (``--writer``, ``--create-lag``,
``--restart-after``, ``--login-after`` ...: contracts/gateway/conditions.py, all off by default) make it a
shared staging Manager that moves while a run goes on. On Ctrl-C it prints one line: the requests its Manager
answered (not those its front door answered: a login page, a 503), by operation, and the deploy-costing ones.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
from collections.abc import Sequence

from uvicorn.config import LOGGING_CONFIG

from contracts import editions
from contracts.gateway import conditions as living
from contracts.gateway import faults as fault_registry
from contracts.gateway.conditions import Conditions
from contracts.gateway.model import Gateway
from contracts.gateway.server import GatewayServer
from contracts.gateway.timing import Timing, summary


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    about = "The bundled reference gateway of the Apinizer Management API contract suite."
    parser = argparse.ArgumentParser(prog="python -m contracts.gateway", description=about)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    parser.add_argument("--token", help="Bearer token to accept (default: APIOPS_TOKEN, else random)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="deviate from the contract in this named way (repeatable; see --list-faults)")
    parser.add_argument("--list-faults", action="store_true", help="list the faults and what each breaks")
    parser.add_argument("--edition", choices=editions.ids(), default=editions.base().id,
                        help="the edition of the docs whose wire format it answers in (contracts/editions; "
                             f"default {editions.base().id})")
    parser.add_argument("--no-permission", action="store_true",
                        help="the token's user lacks the permission to manage and deploy credentials")
    parser.add_argument("--no-stack", action="store_true",
                        help="answer TRACE, OPTIONS and unmapped methods and paths itself, not as the Spring and "
                             "Tomcat stack under a real Manager does (contracts/stack.yaml)")
    parser.add_argument("--firewall", action="store_true",
                        help="refuse the paths Spring Security's StrictHttpFirewall refuses (;, %%25, %%2F, \\ ...), "
                             "as a real Manager's stack does by default")
    parser.add_argument("--latency-ms", type=float, default=0.0, metavar="N",
                        help="milliseconds added to every answer, as of a remote gateway (default 0)")
    parser.add_argument("--deploy-ms", type=float, default=0.0, metavar="N",
                        help="milliseconds added to every successful create, delete, grant and revoke "
                             "(a deployment to the project's environments; default 0)")
    living.add_arguments(parser)
    return parser.parse_args(argv)


def banner(gateway: Gateway, url: str, token_source: str | None, faults: Sequence[str],
           timing: Timing | None = None, conditions: Conditions | None = None) -> str:
    lines = [f"Apinizer reference gateway on {url}", f"  Manager URL: {url}", f"  API base:    {url}/apiops/"]
    if token_source is None:
        lines.append(f"  token:       {gateway.token}")
    else:
        lines.append(f"  token:       (from {token_source})")
    lines.append(f"  edition:     {gateway.edition}")
    if faults:
        lines.append(f"  faults:      {', '.join(faults)}")
    if timing is not None and (timing.latency_ms or timing.deploy_ms):
        lines.append(f"  timing:      +{timing.latency_ms:g} ms per answer, "
                     f"+{timing.deploy_ms:g} ms per successful create, delete, grant or revoke")
    for line in (conditions or living.QUIET).lines():
        lines.append(f"  lives:       {line}")
    lines.append("  projects:")
    for project in gateway.projects.values():
        environments = ", ".join(e.name for e in project.environments) or "(none)"
        lines.append(f"    {project.name}: environments {environments}")
        lines.append(f"      api proxies {', '.join(sorted(project.api_proxies)) or '(none)'}; "
                     f"groups {', '.join(sorted(project.api_proxy_groups)) or '(none)'}")
        for username in gateway.usernames(project.name):
            granted = ", ".join(f"{a.name} ({a.type})" for a in gateway.grants.get(username, []))
            lines.append(f"      credential {username}" + (f", granted {granted}" if granted else ""))
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.list_faults:
        print("\n".join(fault_registry.fault_lines()))
        return 0
    if args.token:
        token, source = args.token, "--token"
    elif os.environ.get("APIOPS_TOKEN"):
        token, source = os.environ["APIOPS_TOKEN"], "APIOPS_TOKEN"
    else:
        token, source = secrets.token_urlsafe(24), None
    try:
        conditions = living.from_arguments(args)
        gateway = Gateway(token, edition=editions.get(args.edition), permitted=not args.no_permission,
                          conditions=conditions)
        # uvicorn's own logging (startup line, access log): this is a server a person is watching.
        server = GatewayServer(gateway=gateway, faults=args.fault, host=args.host, port=args.port,
                               latency_ms=args.latency_ms, deploy_ms=args.deploy_ms, stack=not args.no_stack,
                               firewall=args.firewall, log_config=LOGGING_CONFIG, log_level="info", access_log=True)
    except (ValueError, fault_registry.UnknownFault) as exc:  # before anything is bound, but for the socket's own
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    server.start()
    print(banner(gateway, server.url, source, args.fault, server.timing, conditions), flush=True)
    try:
        threading.Event().wait()  # the server, its writer and its restarts are threads; this one waits for Ctrl-C
    except KeyboardInterrupt:
        return 130  # the conventional status of SIGINT, without a traceback
    finally:
        server.stop()
        print(summary(server.stats()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
