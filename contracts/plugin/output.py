"""Every byte the process prints, redacted once, at the outputs: whatever pytest's options are and however the run
ends (a cancel under ``--full-trace``, a crash in a plugin, an exception that escapes pytest).

The test reports are scrubbed where they are made (:mod:`~contracts.plugin.outcomes`); what pytest prints besides
them (the interrupt's traceback with each frame's arguments, an INTERNALERROR, the warnings) never passes there. So
``sys.stdout`` and ``sys.stderr`` are wrapped in a :class:`RedactedStream` at configure, before pytest's terminal
reporter takes ``sys.stdout`` as its writer's file: the reporter, ``print`` under ``-s``, Python's own last
traceback and pytest's INTERNALERROR all write through it. Log records are redacted as they are made (message,
traceback, stack), before any handler formats them: pytest's captured logs, live logs, report sections and
``--log-file`` alike.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, TextIO

from contracts import redaction

# A line that never ends (progress dots, a huge repr) is redacted in pieces past this length; the piece already out
# stays in view this long, so that a token cut across two pieces is still found whole.
LONG_LINE = 64 * 1024
KEPT = 16 * 1024


class RedactedStream:
    """A text stream that writes to ``stream`` only what :func:`redaction.redact` leaves, a line at a time.

    pytest's terminal writer writes one line in several calls (a frame's arguments, markup): a line is redacted once
    it is whole. ``flush`` sends on what there is of the line; what the line then goes on with is redacted with the
    part already out, so that a token cut by the flush is masked from the cut on.
    """

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream
        self._line = ""  # the line being written, as written here
        self._out = 0  # how much of it already went on (a flush before its end)
        self._lock = threading.RLock()

    def write(self, text: str) -> int:
        with self._lock:
            self._line += text
            end = self._line.rfind("\n") + 1
            if end:
                self._send(self._line[:end], self._out)
                self._line, self._out = self._line[end:], 0
            elif len(self._line) - self._out > LONG_LINE:
                self._send_what_there_is()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with self._lock:
            self._send_what_there_is()
        self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, ...: the stream's own
        return getattr(self.wrapped, name)

    def _send_what_there_is(self) -> None:
        if len(self._line) > self._out:
            self._send(self._line, self._out)
            self._out = len(self._line)
        if self._out > LONG_LINE:
            cut = self._out - KEPT
            self._line, self._out = self._line[cut:], self._out - cut

    def _send(self, text: str, start: int) -> None:
        """``text[start:]``, each token in it masked, one that began before ``start`` (already out) included."""
        pieces, last = [], start
        for begin, end in redaction.find(text):
            if end > last:
                pieces += [text[last:max(begin, last)], redaction.MASK]
                last = end
        pieces.append(text[last:])
        cleaned = "".join(pieces)
        try:
            self.wrapped.write(cleaned)
        except UnicodeEncodeError:  # as pytest's terminal writer does, for a stream that cannot encode it
            encoding = getattr(self.wrapped, "encoding", None) or "ascii"
            self.wrapped.write(cleaned.encode(encoding, "backslashreplace").decode(encoding))


def redact_everything_printed() -> None:
    """``sys.stdout``, ``sys.stderr`` and every log record redacted from now on (once: a nested run keeps them)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactedStream):
            setattr(sys, name, RedactedStream(stream))
    redact_log_records()


def flush_what_is_printed() -> None:
    """What a line left unfinished, sent on: the process may end without another flush (a fork's ``os._exit``)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RedactedStream):
            stream.flush()


def redact_log_records() -> None:
    """Every log record scrubbed as it is made, before any handler (pytest's or a library's) formats it: the message,
    and the traceback and stack a handler would format later, past the message's redaction."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_apiops", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken log call is not ours to fix here
            return record
        cleaned = redaction.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a Formatter uses exc_text as it is, once set
            record.exc_text = redaction.redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redaction.redact(record.stack_info)
        return record

    make._apiops = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
