"""What `serve` prints once it listens: where, the webhook URLs to paste, what is configured.

Only whether a secret is set is ever shown, never its value; numbers are masked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from integrations.messaging.phones import mask_phone
from webhooks.settings import Settings

CHAT_PHONE, SIMULATE_PHONE = "+34600000000", "+34600000002"


def local_origin(settings: Settings) -> str:
    """The URL this machine reaches the web app at (a wildcard bind is reached on loopback)."""
    host = settings.webhook_host
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.webhook_port}"


def _set(value: object) -> str:
    return "set" if value else "NOT SET"


def _redis(settings: Settings, redis_url: str | None, embedded: bool) -> str:
    parts = urlsplit(redis_url or "")
    where = f"{parts.hostname}:{parts.port or 6379}{parts.path or ''}"  # never the password
    if embedded:
        return f"embedded, {where} (EMBEDDED_REDIS_PORT), data in {settings.var_dir}/"
    return f"external, {where} (REDIS_URL)"


def _brain(settings: Settings) -> str:
    if settings.brain == "rules":
        why = "AGENT_BRAIN=rules" if settings.agent_brain == "rules" else "no OPENAI_API_KEY"
        return f"rules (offline; {why})"
    where = urlsplit(settings.openai_base_url).netloc if settings.openai_base_url else "OpenAI"
    return f"llm {settings.llm_model} at {where}"


def _meta(settings: Settings) -> str:
    sender = settings.whatsapp_token and settings.whatsapp_phone_number_ids
    return (
        ("sends replies" if sender else "no sender (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID)")
        + f"; app secret {_set(settings.whatsapp_app_secret)}"
        + f", verify token {_set(settings.whatsapp_verify_token)}"
    )


def _twilio(settings: Settings) -> str:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return "not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)"
    numbers = [
        f"{channel} from {mask_phone(number)}"
        for channel, number in (
            ("SMS", settings.twilio_sms_number),
            ("WhatsApp", settings.twilio_whatsapp_number),
        )
        if number
    ]
    return "account set; " + (", ".join(numbers) or "no sender number (TWILIO_SMS_NUMBER, …)")


def _chatwoot(settings: Settings) -> str:
    needed = {
        "CHATWOOT_BASE_URL": settings.chatwoot_base_url,
        "CHATWOOT_ACCOUNT_ID": settings.chatwoot_account_id,
        "CHATWOOT_USER_TOKEN": settings.chatwoot_user_token,
        "CHATWOOT_INBOX_ID": settings.chatwoot_inbox_id,
    }
    missing = [name for name, value in needed.items() if value in (None, "")]
    if missing:
        return "off" if len(missing) == len(needed) else f"off (missing {', '.join(missing)})"
    host = urlsplit(settings.chatwoot_base_url or "").netloc  # set: checked above
    return f"mirror on ({host}); webhook secret {_set(settings.chatwoot_webhook_secret)}"


def _evolution(settings: Settings) -> str:
    if not (settings.evolution_api_url and settings.evolution_instance):
        return "not configured (EVOLUTION_API_URL, EVOLUTION_INSTANCE)"
    # Evolution API's licence asks that administrators be told it is in use.
    return (
        f"instance {settings.evolution_instance} through Evolution API (evolution-api.com); "
        f"webhook JWT key {_set(settings.evolution_webhook_token)}"
    )


def webhook_urls(settings: Settings) -> list[tuple[str, str, str]]:
    """(provider, URL, where it goes) of each webhook, on PUBLIC_BASE_URL (else this machine)."""
    origin = (settings.public_base_url or local_origin(settings)).rstrip("/")
    return [
        ("Meta WhatsApp", f"{origin}/webhook/whatsapp", "verify token: WHATSAPP_VERIFY_TOKEN"),
        ("Twilio inbound", f"{origin}/webhook/twilio", "A message comes in, POST"),
        ("Twilio status", f"{origin}/webhook/twilio/status", ""),
        ("Chatwoot", f"{origin}/webhook/chatwoot", ""),
        ("Evolution", f"{origin}/webhook/evolution", "webhook JWT: EVOLUTION_WEBHOOK_TOKEN"),
    ]


def banner(
    settings: Settings, *, redis_url: str | None, embedded: bool, prog: str = "./run"
) -> str:
    """What `serve` prints at start: where it listens, the URLs to paste, what is configured."""
    local = local_origin(settings)
    public = settings.public_base_url
    lines = [
        f"iAgente Vida is listening on {local}  (health: {local}/webhook/status)",
        "",
        "Webhook URLs to paste:"
        if public
        else "Webhook URLs (PUBLIC_BASE_URL is not set: these are local; providers need your "
        "public https origin there):",
        *(
            f"  {name:18} {url}" + (f"  ({note})" if note else "")
            for name, url, note in webhook_urls(settings)
        ),
        "",
        "Configured:",
        f"  brain     {_brain(settings)}",
        f"  redis     {_redis(settings, redis_url, embedded)}",
        f"  meta      {_meta(settings)}",
        f"  twilio    {_twilio(settings)}",
        f"  chatwoot  {_chatwoot(settings)}",
        f"  evolution {_evolution(settings)}",
        f"  admin     ADMIN_TOKEN {_set(settings.admin_token)}"
        + ("" if settings.admin_token else " (admin endpoints answer 403)"),
        f"  console   {local}/console/ (sign in with ADMIN_TOKEN)"
        if settings.admin_token
        else "  console   off (set ADMIN_TOKEN)",
    ]
    if settings.allow_unsigned_webhooks:
        lines.append("  WARNING   ALLOW_UNSIGNED_WEBHOOKS is on: signatures are not checked")
    lines += [
        "",
        "Talk to it:",
        f"  {prog} chat --phone {CHAT_PHONE}",
        "      in this terminal, through the same graph and Redis (no webhook)",
        f'  {prog} simulate --phone {SIMULATE_PHONE} "Hola"',
        "      a message signed as Meta signs it, posted here; shows the reply",
    ]
    return "\n".join(lines)
