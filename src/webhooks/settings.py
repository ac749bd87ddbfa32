"""Configuration from the environment (or a .env file), as the contract names it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import (
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from agent.hours import BusinessHours, QuietHours, parse_delays, parse_holidays

# An empty value means unset, except for these, which are on by default: empty turns them off.
EMPTY_MEANS_OFF = ("follow_up_after", "quiet_hours")
# Text settings checked by parsing them at load time (their properties parse them again).
PARSED: dict[str, Callable[[str], object]] = {
    "follow_up_after": parse_delays,
    "quiet_hours": QuietHours.parse,
    "business_hours": BusinessHours.parse,
    "business_holidays": parse_holidays,
}


class SettingsError(ValueError):
    """A setting in the environment or .env has a value the service can't use."""


class Settings(BaseSettings):
    """The service's configuration: the environment, then .env (field names upper-cased)."""

    # An empty value means unset, so `.env.example` copied as is is a valid configuration.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    redis_url: str | None = None
    # REDIS_URL names one node of a Redis Cluster: the client finds the others, routes by slot.
    redis_cluster: bool = False
    var_dir: Path = Path("var")
    # Port of the embedded server (REDIS_URL unset); a busy port makes it pick a free one.
    embedded_redis_port: int = 6390

    agent_brain: Literal["llm", "rules", "auto"] = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 20.0
    # Which drafted replies the llm brain's model rewords: none, the proposal's, or every one.
    llm_rephrase: Literal["off", "proposal", "all"] = "proposal"
    # The insurer's own tariff and product facts (JSON, the packaged files' format); unset: the
    # packaged ones.
    tariff_file: Path | None = None
    product_facts_file: Path | None = None

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

    # Evolution API: WhatsApp numbers linked by QR code (the apikey goes only to this server).
    evolution_api_url: str | None = None
    evolution_api_key: SecretStr | None = None
    evolution_instance: str | None = None
    evolution_webhook_token: SecretStr | None = None

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
    # Leads routed: the Chatwoot team and/or agent (ids) each kind of handover is assigned to
    # (webhooks/crm/routing.py); unset: Chatwoot's own assignment rules.
    chatwoot_team_lead: PositiveInt | None = None
    chatwoot_assignee_lead: PositiveInt | None = None
    chatwoot_team_human: PositiveInt | None = None
    chatwoot_assignee_human: PositiveInt | None = None
    chatwoot_team_ineligible: PositiveInt | None = None
    chatwoot_assignee_ineligible: PositiveInt | None = None

    # The typing pause: messages of one phone this close together are one turn (0: off), never
    # delayed more than DEBOUNCE_MAX_SECONDS after the first of them.
    debounce_seconds: float = Field(default=2.0, ge=0, le=60)
    debounce_max_seconds: float = Field(default=8.0, ge=0, le=300)

    # Reminders to a customer who stopped answering, this long after their last message
    # (units s, m, h); empty: none. Nothing proactive in QUIET_HOURS of the customer's local
    # time (empty: no quiet hours). Advisors' BUSINESS_HOURS ("mon-fri 09:00-19:00 Europe/Madrid")
    # and BUSINESS_HOLIDAYS (2026-12-08, or 12-25 for every year); unset: always working.
    follow_up_after: str = "2h,22h"
    quiet_hours: str = "21:00-09:00"
    business_hours: str | None = None
    business_holidays: str = ""

    # Voice notes: transcribed by an OpenAI-compatible /audio/transcriptions when a model is set.
    transcription_model: str | None = None
    transcription_base_url: str | None = None
    transcription_api_key: SecretStr | None = None
    # Larger audio is not transcribed (~16 minutes of a WhatsApp voice note); OpenAI takes 25 MB.
    transcription_max_bytes: int = Field(default=2_000_000, gt=0, le=25 * 1024 * 1024)
    transcription_timeout_seconds: float = Field(default=30.0, gt=0)

    # The SQL archive (the sales record): any SQLAlchemy URL (a plain postgresql:// one gets the
    # psycopg driver); unset: a SQLite file under VAR_DIR.
    database_url: str | None = None
    # What an erasure keeps, as archive tables (comma-separated; empty: nothing), and for how
    # many years after each record was made.
    legal_hold: str = "consents,leads"
    retention_years: int = Field(default=6, ge=0)
    # Conversations that never became leads leave the archive this long after their last
    # message (0: kept for ever).
    unconverted_retention_days: int = Field(default=365, ge=0)

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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    worker_threads: int = 4
    # A notification a worker took and did not finish for this long is given to another worker.
    claim_idle_seconds: float = 30

    @field_validator("redis_cluster")
    @classmethod
    def _cluster_named(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("redis_url"):
            raise ValueError("needs REDIS_URL, one node of the cluster (the embedded Redis is one)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(*PARSED)
    @classmethod
    def _parses(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            PARSED[str(info.field_name)](value)  # a ValueError says what is wrong
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, and after each of env and .env its EMPTY_MEANS_OFF values."""
        dotenv = cast(DotEnvSettingsSource, dotenv_settings)
        env_empty = EnvSettingsSource(settings_cls, env_ignore_empty=False)
        dotenv_empty = DotEnvSettingsSource(
            settings_cls,
            env_file=dotenv.env_file,
            env_file_encoding=dotenv.env_file_encoding,
            env_ignore_empty=False,
        )
        return (
            init_settings,
            env_settings,
            _EmptyMeansOff(settings_cls, env_empty),
            dotenv_settings,
            _EmptyMeansOff(settings_cls, dotenv_empty),
            file_secret_settings,
        )

    @property
    def follow_up_delays(self) -> tuple[timedelta, ...]:
        """FOLLOW_UP_AFTER's delays, shortest first (none: follow-ups are off)."""
        return parse_delays(self.follow_up_after)

    @property
    def quiet(self) -> QuietHours:
        """QUIET_HOURS, in the customer's local time."""
        return QuietHours.parse(self.quiet_hours)

    @property
    def advisor_hours(self) -> BusinessHours | None:
        """BUSINESS_HOURS with BUSINESS_HOLIDAYS, or None: advisors always work."""
        if self.business_hours is None:
            return None
        return BusinessHours.parse(self.business_hours, self.business_holidays)

    @property
    def brain(self) -> Literal["llm", "rules"]:
        """The brain in use: AGENT_BRAIN, where auto means llm when an OpenAI key is set."""
        if self.agent_brain == "auto":
            return "llm" if self.openai_api_key else "rules"
        return self.agent_brain

    @property
    def legal_hold_tables(self) -> tuple[str, ...]:
        """LEGAL_HOLD as a tuple of archive table names."""
        return tuple(dict.fromkeys(t.strip() for t in self.legal_hold.split(",") if t.strip()))

    @property
    def ttl_seconds(self) -> int:
        """How long a quiet conversation is kept (CONVERSATION_TTL_DAYS), in seconds."""
        return self.conversation_ttl_days * 86400

    @property
    def whatsapp_phone_number_ids(self) -> tuple[str, ...]:
        """Our Meta numbers: WHATSAPP_PHONE_NUMBER_ID may list several, comma-separated."""
        raw = self.whatsapp_phone_number_id or ""
        return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


class _EmptyMeansOff(PydanticBaseSettingsSource):
    """The EMPTY_MEANS_OFF variables a source (env or .env) sets to '' - that is, off."""

    def __init__(self, settings_cls: type[BaseSettings], source: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self._source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads the source's variables itself."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """{field: ''} for each EMPTY_MEANS_OFF variable the source sets empty."""
        found = self._source.env_vars
        return {name: "" for name in EMPTY_MEANS_OFF if found.get(name) == ""}


def load_settings(**overrides) -> Settings:
    """Settings from the environment and .env; a bad value is a SettingsError naming it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]).upper() if error["loc"] else "?"
        field = Settings.model_fields.get(name.lower())
        secret = field is not None and "SecretStr" in str(field.annotation)
        shown = "" if secret else f" (got {error['input']!r})"
        problems.append(f"{name}: {error['msg']}{shown}")
    empty = "empty means unset"
    if any(str(e["loc"][0]) in EMPTY_MEANS_OFF for e in exc.errors() if e["loc"]):
        empty += "; an empty FOLLOW_UP_AFTER or QUIET_HOURS turns it off"
    return "; ".join(problems) + f" - fix it in .env or the environment ({empty})"
