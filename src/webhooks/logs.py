"""Logging for every process: JSON lines in production, key=value lines on a terminal, redacted.

The code logs through the standard library (`logging.getLogger(__name__)`, %-style messages);
structlog only formats. A handled event is one line whose fields go in `extra=`, and
`bound(...)` adds fields (request id, turn id) to every line logged inside it on this thread.

Whatever a record carries, the final text goes through `redact`: bearer and basic credentials,
`sk-…` keys, the configured secret values and anything shaped like a phone number are masked,
so an exception message from requests, urllib3 or the OpenAI client can't leak them. Message
text is another matter: no filter can recognise it, so the code logs it only at DEBUG.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import random
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO, cast

import structlog
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from integrations.messaging.phones import redact_phones

_CREDENTIALS = [
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+"), r"\1 [REDACTED]"),
    # base64 credentials, not the word that follows "basic" in a sentence
    (re.compile(r"(?i)\b(basic)\s+(?=[A-Za-z]*[0-9+/])[A-Za-z0-9+/]{8,}=*"), r"\1 [REDACTED]"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-[REDACTED]"),
]
# What each of those patterns and a phone number need at the least. Most lines have neither, and
# one search for these costs a sixth of running the full patterns over every line (45 µs a line).
_MAYBE_CREDENTIAL = re.compile(r"(?i)bearer|basic|sk-")
_MAYBE_PHONE = re.compile(r"\d{9}")  # redact_phones wants 9 to 15 digits in a row
# The same two questions for ASCII text, without a regular expression: every digit becomes "0",
# then nine zeros in a row are looked for (bytes.translate and `in` run in C).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINE_DIGITS = b"0" * 9
_secrets: tuple[str, ...] = ()  # longest first; replaced whole, never mutated (threads read it)
_MIN_SECRET = 6  # shorter "secrets" would mask ordinary words and protect nothing


def redact(text: str) -> str:
    """`text` with registered secrets, credentials and phone numbers masked."""
    for secret in _secrets:
        text = text.replace(secret, "[REDACTED]")
    credential, phone = _may_hold(text)
    if credential:
        for pattern, replacement in _CREDENTIALS:
            text = pattern.sub(replacement, text)
    return redact_phones(text) if phone else text


def _may_hold(text: str) -> tuple[bool, bool]:
    r"""Whether `text` may hold a credential, and whether it may hold a phone number.

    The two searches scan a line character by character in Python's regular expression engine:
    20 µs for a 250-character webhook line, against 1 µs for the same answers found with str and
    bytes methods. Those are exact for ASCII text only: the patterns follow Unicode's rules (`\d`
    takes any script's digits, IGNORECASE takes "ſ" for "s"), so other text takes the searches.
    """
    if text.isascii():
        lowered = text.lower()
        credential = "bearer" in lowered or "basic" in lowered or "sk-" in lowered
        return credential, _NINE_DIGITS in text.encode().translate(_DIGITS_TO_ZERO)
    return bool(_MAYBE_CREDENTIAL.search(text)), bool(_MAYBE_PHONE.search(text))


def protect(values: Iterable[str | SecretStr | None]) -> None:
    """Mask these values wherever they would appear in a log line, as written or JSON-escaped."""
    global _secrets
    known = set(_secrets)
    for value in values:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value and len(value) >= _MIN_SECRET:
            known.update((value, json.dumps(value)[1:-1]))
    _secrets = tuple(sorted(known, key=len, reverse=True))


def secrets_of(settings: BaseSettings) -> list[SecretStr]:
    """Every secret field of a Settings object."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [value for value in values if isinstance(value, SecretStr)]


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, with everything it writes passed through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line, secrets and phone numbers masked."""
        if record.exc_info or record.stack_info or "_logger" in record.__dict__:
            return redact(super().format(record))
        return redact(self._render_plain(record))

    def _render_plain(self, record: logging.LogRecord) -> str:
        """What `ProcessorFormatter.format` writes for a standard-library record without a trace.

        The same processors on the same event dict, without its copy of the record (which it
        makes because it empties `args` and the trace fields, and this does neither): a
        second LogRecord and a second `Formatter.format` per line, a fifth of a webhook's line.
        """
        method = record.levelname.lower()
        event: Any = {"event": record.getMessage(), "_record": record, "_from_structlog": False}
        for processor in [*(self.foreign_pre_chain or ()), *self.processors]:
            event = processor(self.logger, method, event)
        return cast(str, event)


def formatter(*, json_lines: bool, colors: bool = False) -> RedactingFormatter:
    """JSON objects (timestamp, level, logger, event, fields) or readable key=value lines."""
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_lines
        else structlog.dev.ConsoleRenderer(
            colors=colors,
            # A rich traceback would print local variables: phones, texts, keys.
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    tail = [structlog.processors.format_exc_info] if json_lines else []
    return RedactingFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            renderer,
        ],
    )


def handler(stream: TextIO | None = None, *, json_lines: bool | None = None) -> logging.Handler:
    """A stream handler with the project's formatter: JSON unless `stream` is a terminal."""
    stream = stream or sys.stderr
    terminal = hasattr(stream, "isatty") and stream.isatty()
    out = logging.StreamHandler(stream)
    out.setFormatter(
        formatter(json_lines=not terminal if json_lines is None else json_lines, colors=terminal)
    )
    return out


def _structlog_to_stdlib() -> None:
    """Send structlog's own loggers through the standard library's handlers.

    Libraries that log with structlog themselves (stamina's retries) then go through the same
    handlers as everything else, instead of structlog's default printer on stdout.
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(level: str | int = "INFO", *, secrets: Iterable = ()) -> None:
    """Install the handler on the root logger, unless something configured logging already.

    Gunicorn's logconfig_dict, a host application or pytest may have; `secrets` are
    registered either way.
    """
    protect(secrets)
    if not structlog.is_configured():
        _structlog_to_stdlib()
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(handler())
    root.setLevel(level.upper() if isinstance(level, str) else level)


def new_id() -> str:
    """A fresh id for a request or a turn, short enough to read in a log line."""
    # 64 random bits, like uuid4().hex[:16], without its getrandom() system call (which also
    # lets go of the GIL once per webhook): 2.5 -> 0.4 µs. An id to find log lines by, not a
    # secret; `random` reseeds itself in each forked gunicorn worker.
    return f"{random.getrandbits(64):016x}"


def bind(**fields) -> Mapping[str, contextvars.Token]:
    """Add `fields` to every line logged on this thread, until `reset` with what this returns."""
    return structlog.contextvars.bind_contextvars(**fields)


def reset(tokens: Mapping[str, contextvars.Token]) -> None:
    """Undo a `bind`, with the tokens it returned."""
    structlog.contextvars.reset_contextvars(**tokens)


@contextlib.contextmanager
def bound(**fields) -> Iterator[None]:
    """Add `fields` to every line logged on this thread inside the block."""
    with structlog.contextvars.bound_contextvars(**fields):
        yield


@contextlib.contextmanager
def turn_context() -> Iterator[str]:
    """The current turn's id: the one already bound, or a new one bound for the block."""
    current = structlog.contextvars.get_contextvars().get("turn_id")
    if current:
        yield current
        return
    turn_id = new_id()
    with bound(turn_id=turn_id):
        yield turn_id
