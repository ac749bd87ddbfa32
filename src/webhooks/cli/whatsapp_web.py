"""`iagente whatsapp-web link`: link a WhatsApp number by QR code through Evolution API.

Creates the Evolution instance (or finds it), points its webhook at us with our JWT key, and
shows each QR code Evolution gives in the terminal and as a PNG file until the phone is linked.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import segno

from integrations.messaging.base import SendError
from integrations.messaging.evolution import EvolutionSender, webhook_config
from webhooks.settings import Settings
from webhooks.turns.channels import Channels

# Evolution API's licence asks that administrators be told it is in use.
NOTICE = (
    "This service uses Evolution API (https://evolution-api.com, Apache-2.0 with additional "
    "conditions) to reach WhatsApp numbers linked by QR code."
)
NEEDED = (
    "evolution_api_url",
    "evolution_api_key",
    "evolution_instance",
    "evolution_webhook_token",
    "public_base_url",
)


def link(
    settings: Settings,
    *,
    out: TextIO | None = None,
    png: Path | None = None,
    wait_seconds: float = 300.0,
    poll_seconds: float = 3.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Link the instance's number; 0 once linked, 1 on a refusal or time out, 2 when unset."""
    out = out or sys.stdout
    missing = [name.upper() for name in NEEDED if not getattr(settings, name)]
    if missing:
        print(f"Set {', '.join(missing)} first (in .env or the environment).", file=out)
        return 2
    sender = Channels.from_settings(settings).sender_for("evolution", "whatsapp")
    if not isinstance(sender, EvolutionSender):  # configured: checked above
        return 2
    png = png or settings.var_dir / "whatsapp-qr.png"
    token = settings.evolution_webhook_token
    url = f"{(settings.public_base_url or '').rstrip('/')}/webhook/evolution"
    webhook = webhook_config(url, token.get_secret_value() if token else "")
    print(NOTICE, file=out)
    try:
        answer = _instance(sender, webhook, out)
        shown = None
        deadline = time.monotonic() + wait_seconds
        while True:
            if _state(answer) == "open":
                print(f"WhatsApp linked: instance {sender.instance} is open.", file=out)
                return 0
            code = _qr(answer)
            if code and code != shown:
                _show(code, png, out)
                shown = code
            if time.monotonic() >= deadline:
                print("Not linked in time; run the command again for a new code.", file=out)
                return 1
            sleep(poll_seconds)
            answer = sender.connect()
    except SendError as exc:
        print(f"Evolution API refused: {exc}", file=out)
        return 1


def _instance(sender: EvolutionSender, webhook: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Create the instance with its webhook, or set the webhook of the existing one."""
    try:
        state = sender.connection_state()
    except SendError as exc:
        if exc.status != 404:
            raise
        print(f"Creating instance {sender.instance}…", file=out)
        created = sender.create_instance(webhook)
        print(f"Webhook set to {webhook['url']}.", file=out)
        return dict(created.get("qrcode") or {}) or sender.connect()
    sender.set_webhook(webhook)
    print(f"Instance {sender.instance} found ({state}); webhook set to {webhook['url']}.", file=out)
    if state == "open":
        return {"instance": {"state": "open"}}
    return sender.connect()


def _state(answer: dict[str, Any]) -> str | None:
    instance = answer.get("instance")
    return instance.get("state") if isinstance(instance, dict) else None


def _qr(answer: dict[str, Any]) -> str | None:
    code = answer.get("code")
    return code if isinstance(code, str) and code else None


def _show(code: str, png: Path, out: TextIO) -> None:
    """The QR code in the terminal, and as a PNG file for a terminal that can't show it."""
    qr = segno.make(code, error="l")
    print("\nScan with WhatsApp → Linked devices → Link a device:\n", file=out)
    qr.terminal(out=out, compact=True)
    png.parent.mkdir(parents=True, exist_ok=True)
    qr.save(str(png), scale=8, border=4)
    print(f"\n(also saved as {png}; a new code comes every 45 seconds or so)", file=out)
