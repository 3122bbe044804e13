"""A real headless browser (Debian's ``chromium-headless-shell``, or ``chromium``) that opens a page and says what
rendered: the text a reader sees (``innerText``, which leaves out what CSS hides), the script errors and console
errors (a Content-Security-Policy refusal is one), and every request the page tried to make.

It is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: file descriptors 3 and 4, messages
ended by NUL), so nothing listens on a port. A self-test that needs a browser and cannot find one fails: ``.ci/run``
installs it, as it does nginx.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BROWSER_HINT = ("no headless Chromium is installed: .ci/run installs it "
                "(apt-get install -y chromium-headless-shell, or chromium)")
NAMES = ("chromium-headless-shell", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")
TIMEOUT = 60.0


def chromium() -> str:
    found = next((path for path in map(shutil.which, NAMES) if path), None)
    if found is None:
        pytest.fail(BROWSER_HINT, pytrace=False)
    return found


@dataclass
class Rendered:
    text: str  # document.body.innerText: what a reader sees
    script_marker: str | None  # document.body.dataset.script, which the page's own script sets
    errors: list[str] = field(default_factory=list)  # uncaught exceptions, console and log errors
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, itself included
    screenshot: bytes = b""  # PNG


def open_page(path: Path, *, width: int = 1280, height: int = 1600) -> Rendered:
    """Open ``path`` (file://) in a fresh headless browser, wait for its load event, and read what rendered."""
    with tempfile.TemporaryDirectory(prefix="apiops-browser-") as profile:
        return _Session(profile).render(path.resolve().as_uri(), width, height)


class _Session:
    def __init__(self, profile: str) -> None:
        ours_in, theirs_in = os.pipe()  # the browser reads commands on its fd 3
        theirs_out, ours_out = os.pipe()  # and writes answers and events on its fd 4

        def onto_3_and_4() -> None:  # in the child: dup2 to 3 and 4 (inheritable), whatever numbers the pipes got
            read, write = os.dup(ours_in), os.dup(ours_out)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=onto_3_and_4, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(ours_in)
        os.close(ours_out)
        self.commands = os.fdopen(theirs_in, "wb", buffering=0)
        self.answers = os.fdopen(theirs_out, "rb", buffering=0)
        self.buffer = b""
        self.last_id = 0
        self.events: list[dict[str, Any]] = []
        self.deadline = time.monotonic() + TIMEOUT

    def render(self, url: str, width: int, height: int) -> Rendered:
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable", session=session)
            self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                             "deviceScaleFactor": 1, "mobile": False}, session)
            self.call("Page.navigate", {"url": url}, session)
            self.wait_for("Page.loadEventFired")
            found = self.call("Runtime.evaluate", {"expression": "[document.body.innerText, "
                                                                 "document.body.dataset.script || null]",
                                                   "returnByValue": True}, session)["result"]["value"]
            shot = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
            return Rendered(found[0], found[1], self.errors(), self.requests(), base64.b64decode(shot))
        finally:
            self.close()

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.commands.write(json.dumps(message).encode("utf-8") + b"\0")
        while True:
            answer = self.next()
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, event: str) -> None:
        while not any(seen.get("method") == event for seen in self.events):
            self.events.append(self.next())

    def next(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            if not select.select([self.answers], [], [], max(0.0, self.deadline - time.monotonic()))[0]:
                raise TimeoutError(f"the browser did not answer within {TIMEOUT:.0f} s")
            chunk = self.answers.read(1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed its pipe")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return dict(json.loads(raw))

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"Uncaught: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(f"console: {params.get('args')}")
        return found

    def requests(self) -> list[str]:
        return [str(event["params"]["request"]["url"]) for event in self.events
                if event.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # it may have gone already
            self.commands.write(json.dumps({"id": self.last_id + 1, "method": "Browser.close"}).encode() + b"\0")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.commands.close()
        self.answers.close()
