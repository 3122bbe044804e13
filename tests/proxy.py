"""A real nginx (Debian's nginx-light) in front of a gateway, as a staging Manager sits behind one: TLS from
a private CA made by trustme, a ``limit_req`` answering 429, and nginx's default method policy (it answers
``TRACE`` itself, 405 with its own HTML page and no ``Allow``).

A self-test that needs nginx and cannot find it fails: ``.ci/run`` installs it, so a missing nginx is a
broken machine, not a reason to leave the proxy untested.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import forked

NGINX_HINT = "nginx is not installed: .ci/run installs it (apt-get install -y nginx-light)"


@dataclass
class Proxy:
    url: str  # https://127.0.0.1:<port>: the Manager URL, as the suite is given it
    ca_bundle: str  # the private CA, for REQUESTS_CA_BUNDLE
    process: subprocess.Popen[bytes]
    directory: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def nginx() -> str:
    found = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None)
    if found is None:
        pytest.fail(NGINX_HINT, pytrace=False)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(directory: Path, upstream: str, *, rate: str | None = "10r/s", burst: int = 5) -> Proxy:
    """nginx on a free loopback port, TLS with a fresh private CA, proxying to ``upstream`` (http://host:port)."""
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    certificate.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    port = free_port()
    limit_zone = f"limit_req_zone $binary_remote_addr zone=api:1m rate={rate};\n    limit_req_status 429;" \
        if rate else ""
    limit = f"limit_req zone=api burst={burst} nodelay;" if rate else ""  # excess answered 429 at once
    temp = "\n    ".join(f"{kind}_temp_path {directory / kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would run as nobody, who cannot enter pytest's private temporary directory.
    user = "user root;" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    {temp}
    {limit_zone}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {directory / 'server.pem'};
        ssl_certificate_key {directory / 'server.pem'};
        location / {{
            {limit}
            proxy_pass {upstream};
        }}
    }}
}}
""", encoding="utf-8")
    command = [nginx(), "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=forked.default_signals)
    proxy = Proxy(f"https://127.0.0.1:{port}", str(directory / "ca.pem"), process, directory)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited at start: {proxy.log()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proxy
        except OSError:
            time.sleep(0.05)
    proxy.stop()
    raise RuntimeError(f"nginx did not listen within 10 s: {proxy.log()[-2000:]}")


class Switch:
    """A TCP forwarder between nginx and the gateway that can be switched off at an exact moment (``down``): a
    Manager that goes away mid-run, while nginx stays. nginx opens one upstream connection per request, so
    every request after ``down.set()`` finds nothing listening behind the proxy, and nginx answers 502."""

    def __init__(self, upstream_port: int) -> None:
        self.down = threading.Event()
        self._upstream = upstream_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self._upstream), timeout=10)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._server.close()
