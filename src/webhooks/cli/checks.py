"""`iagente check`: try each configured outside service and say plainly which work."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests

from webhooks.settings import Settings

TIMEOUT = 10


def _redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "embedded server (started on demand under ./var)"
    redis.Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT).ping()
    return "PING ok"


def _model(settings: Settings) -> str:
    if settings.brain != "llm":
        return "rules brain (offline), no model needed"
    from webhooks.services import build_chat_model

    build_chat_model(settings).invoke("Responde solo: ok")  # a real round trip is the check
    return f"{settings.llm_model} answered"


def _meta(settings: Settings) -> str | None:
    if not (settings.whatsapp_token and settings.whatsapp_phone_number_ids):
        return None
    shown = []
    for number in settings.whatsapp_phone_number_ids:
        r = requests.get(
            f"{settings.whatsapp_api_url}/{number}",
            headers={"Authorization": f"Bearer {settings.whatsapp_token.get_secret_value()}"},
            timeout=TIMEOUT,
        )
        r.raise_for_status()
        shown.append(str(r.json().get("display_phone_number", "?")))
    return f"phone number {', '.join(shown)}"


def _twilio(settings: Settings) -> str | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    sid = settings.twilio_account_sid
    r = requests.get(
        f"{settings.twilio_api_url}/2010-04-01/Accounts/{sid}.json",
        auth=(sid, settings.twilio_auth_token.get_secret_value()),
        timeout=TIMEOUT,
    )
    r.raise_for_status()
    return f"account {r.json().get('status', '?')}"


def _chatwoot(settings: Settings) -> str | None:
    if not (settings.chatwoot_base_url and settings.chatwoot_user_token):
        return None
    r = requests.get(
        f"{settings.chatwoot_base_url.rstrip('/')}/api/v1/accounts/{settings.chatwoot_account_id}"
        f"/inboxes/{settings.chatwoot_inbox_id}",
        headers={"api_access_token": settings.chatwoot_user_token.get_secret_value()},
        timeout=TIMEOUT,
    )
    r.raise_for_status()
    return f"inbox {r.json().get('name', '?')}"


def _evolution(settings: Settings) -> str | None:
    from integrations.messaging.evolution import EvolutionSender
    from webhooks.turns.channels import Channels

    sender = Channels.from_settings(settings).sender_for("evolution", "whatsapp")
    if not isinstance(sender, EvolutionSender):
        return None
    state = sender.connection_state()
    if state != "open":
        raise RuntimeError(f"number not linked (state {state}): run `iagente whatsapp-web link`")
    # Evolution API's licence asks that administrators be told it is in use.
    return f"instance {sender.instance} linked (state open) · uses Evolution API"


def _voice(settings: Settings) -> str | None:
    from integrations.transcription import Transcriber

    transcriber = Transcriber.from_settings(settings)
    if transcriber is None:
        return None
    transcriber.probe()  # a real upload: URL, key and model all checked
    return f"{settings.transcription_model} transcribes voice notes"


def _archive(settings: Settings) -> str:
    from integrations.archive import database
    from webhooks.services import build_archive_store

    store = build_archive_store(settings)
    try:
        store.ping()
        current, newest = database.revision(store.engine), database.head()
    finally:
        store.engine.dispose()
    where = store.engine.url.render_as_string(hide_password=True)
    if current == newest:
        return f"{where}, schema up to date"
    return f"{where}, schema at {current}: the worker (or `iagente db upgrade`) migrates it"


CHECKS: dict[str, Callable[[Settings], str | None]] = {
    "redis": _redis,
    "archive": _archive,
    "model": _model,
    "meta": _meta,
    "twilio": _twilio,
    "chatwoot": _chatwoot,
    "evolution": _evolution,
    "voice": _voice,
}


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result: `ok` is None when the service is not configured."""

    name: str
    ok: bool | None
    detail: str


def outcomes(settings: Settings) -> list[CheckOutcome]:
    """Try every check (the CLI prints them, the console shows them)."""
    found = []
    for name, check in CHECKS.items():
        try:
            outcome = check(settings)
        except Exception as exc:  # report every failure the same plain way
            found.append(CheckOutcome(name, False, f"{type(exc).__name__}: {str(exc)[:160]}"))
            continue
        found.append(CheckOutcome(name, None if outcome is None else True, outcome or ""))
    return found


def run_checks(settings: Settings) -> int:
    """Try every check and print one line each; the exit code is 1 when any failed."""
    found = outcomes(settings)
    for o in found:
        mark = {True: "✓", False: "✗", None: "·"}[o.ok]
        print(f"{mark} {o.name:9} {o.detail or 'not configured'}")
    return 1 if any(o.ok is False for o in found) else 0


if __name__ == "__main__":
    sys.exit(run_checks(Settings()))
