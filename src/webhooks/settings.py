"""Configuration from the environment (or a .env file), as the contract names it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    redis_url: str | None = None
    var_dir: Path = Path("var")

    agent_brain: Literal["llm", "rules", "auto"] = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 20.0

    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_number: str | None = None
    twilio_sms_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"

    public_base_url: str | None = None
    max_body_bytes: int = 1024 * 1024

    # Outside the 24-hour window only approved templates go out (Meta: name and language of the
    # template; Twilio: the Content SID of the approved WhatsApp template).
    whatsapp_template_name: str | None = None
    whatsapp_template_language: str = "es"
    twilio_template_sid: str | None = None

    chatwoot_base_url: str | None = None
    chatwoot_account_id: int | None = None
    chatwoot_user_token: SecretStr | None = None
    chatwoot_inbox_id: int | None = None
    chatwoot_webhook_secret: SecretStr | None = None

    admin_token: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 5000
    allow_unsigned_webhooks: bool = False

    # Conversations idle this long are forgotten (checkpoints, transcript); refreshed on activity.
    conversation_ttl_days: int = 90
    transcript_max_messages: int = 200
    checkpoints_kept: int = 4
    # Lease of the per-phone turn lock, renewed while the turn runs: a killed worker frees the
    # phone after at most this long.
    turn_lock_seconds: float = 15
    log_level: str = "INFO"
    worker_threads: int = 4
    # A notification a worker took and did not finish for this long is given to another worker.
    claim_idle_seconds: float = 30

    @property
    def brain(self) -> Literal["llm", "rules"]:
        if self.agent_brain == "auto":
            return "llm" if self.openai_api_key else "rules"
        return self.agent_brain

    @property
    def ttl_seconds(self) -> int:
        return self.conversation_ttl_days * 86400

    @property
    def whatsapp_phone_number_ids(self) -> tuple[str, ...]:
        """Our Meta numbers: WHATSAPP_PHONE_NUMBER_ID may list several, comma-separated."""
        raw = self.whatsapp_phone_number_id or ""
        return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
