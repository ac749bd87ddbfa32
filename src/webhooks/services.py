"""The composition root: the service's long-lived collaborators, built once from the settings.

`build_services` is the only place that makes them (the Redis client, the compiled graph, the
senders, the Chatwoot side...). The web app keeps the result in `app.extensions` (`init_app`),
the worker threads share it (`run_workers(services)`), every CLI command builds it once, and
tests build it with their own settings, brain or Redis client.

Starting the embedded redis-server is not done here: that is the launcher's job (the CLI,
`run_webhook.py`), which sets REDIS_URL before the services are built.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import redis
from flask import Flask, current_app

from agent.brains.base import Brain
from agent.brains.rules import RulesBrain
from agent.context import AgentContext
from agent.facts import ProductFacts, default_facts
from agent.graph import build_graph
from agent.quote import QuoteEngine
from agent.state import STAGES
from integrations.archive.database import database_url, make_engine
from integrations.archive.erasure import RetentionPolicy
from integrations.archive.models import EVENTS
from integrations.archive.store import ArchiveStore
from integrations.chatwoot import ChatwootClient
from integrations.redis.conversations import ConversationStore
from integrations.redis.delivery_log import DeliveryLog
from integrations.redis.evolution import EvolutionBook
from integrations.redis.health import HealthBook
from integrations.redis.links import ChatwootLinks
from integrations.redis.outbox import Outbox
from integrations.redis.stats import StatsStore
from integrations.redis.timers import FollowUpTimers
from integrations.transcription import Transcriber
from webhooks import metrics
from webhooks.crm.handover import ChatwootSide, Handover
from webhooks.crm.mirror import ChatwootMirror
from webhooks.crm.routing import LeadRouting
from webhooks.inbound.debounce import Debounce
from webhooks.inbound.queue import MessageQueue
from webhooks.records.archive import Archive
from webhooks.records.drainer import ArchiveDrainer
from webhooks.settings import Settings, SettingsError
from webhooks.turns.advisors import AdvisorHours
from webhooks.turns.channels import Channels
from webhooks.turns.checkpoints import TurnSaver
from webhooks.turns.conversations import ConversationService
from webhooks.turns.followups import FollowUps
from webhooks.turns.voice import VoiceNotes

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

EXTENSION = "iagente"


@dataclass(frozen=True)
class Services:
    """Everything the web app, the worker, the CLI and the tests share in one process.

    settings       the configuration all of it was built from
    redis          the process's Redis client (one connection pool)
    conversations  the conversation service: the only way to the graph and its checkpoints
    queue          the inbound queue: webhooks accept into it, workers take from it
    channels       the configured senders, by provider and channel
    health         the latest outcome of each outside service (GET /webhook/status)
    deliveries     the latest webhook deliveries (GET /webhook/logs)
    chatwoot       the Chatwoot mirror and handover, or None when Chatwoot is not configured
    evolution      Evolution customers' WhatsApp addresses and the linked number's state
    voice          voice notes transcribed, or None when TRANSCRIPTION_MODEL is not set
    archive        the SQL archive (the sales record): store, outbox, drainer, retention policy
    followups      reminders to silent customers (FOLLOW_UP_AFTER; off when it names none)
    advisors       the advisors' BUSINESS_HOURS, or None when they are not set
    started        time.monotonic() when they were built: the service's uptime
    """

    settings: Settings
    redis: redis.Redis
    conversations: ConversationService
    queue: MessageQueue
    channels: Channels
    health: HealthBook
    deliveries: DeliveryLog
    chatwoot: ChatwootSide | None = None
    evolution: EvolutionBook | None = None
    voice: VoiceNotes | None = None
    archive: Archive | None = None
    followups: FollowUps | None = None
    advisors: AdvisorHours | None = None
    started: float = field(default_factory=time.monotonic)

    def init_app(self, app: Flask) -> None:
        """Make these the services of `app` (read them back with `services_of`)."""
        app.extensions[EXTENSION] = self


def services_of(app: Flask | None = None) -> Services:
    """The services of `app`, or of the app handling the current request."""
    return (app or current_app).extensions[EXTENSION]


def build_services(
    settings: Settings,
    *,
    redis_client: redis.Redis | None = None,
    brain: Brain | None = None,
    channels: Channels | None = None,
) -> Services:
    """Every collaborator of the service, made from `settings`.

    The arguments replace a part: a test's Redis client, a fake brain, senders built elsewhere.
    """
    client = redis_client or connect_redis(settings)
    conversations = build_conversations(settings, client, brain or build_brain(settings))
    evolution = EvolutionBook(client, ttl_seconds=settings.ttl_seconds)
    channels = channels or Channels.from_settings(settings, evolution)
    health = HealthBook(client)
    queue = MessageQueue(client, debounce=Debounce.from_settings(settings, client))
    chatwoot = _chatwoot(settings, client, conversations, channels, health)
    return Services(
        settings=settings,
        redis=client,
        conversations=conversations,
        queue=queue,
        channels=channels,
        health=health,
        deliveries=DeliveryLog(client),
        chatwoot=chatwoot,
        archive=build_archive(settings, client, health),
        evolution=evolution,
        voice=_voice(settings, channels),
        followups=build_followups(settings, client, conversations, channels, queue, chatwoot),
        advisors=AdvisorHours(hours) if (hours := settings.advisor_hours) else None,
    )


def build_archive(settings: Settings, client: redis.Redis, health: HealthBook) -> Archive:
    """The SQL archive on DATABASE_URL (a SQLite file under VAR_DIR when unset).

    Nothing connects here: the drainer migrates the schema when it starts, and waits while the
    database is away; turns only ever write to its outbox in Redis.
    """
    store, policy = build_archive_store(settings), retention_policy(settings)
    outbox = Outbox(client, name="archive")  # no expiry: the sales record is never dropped
    drainer = ArchiveDrainer(store, outbox, policy, client, health=health)
    return Archive(store=store, outbox=outbox, drainer=drainer, policy=policy)


def build_archive_store(settings: Settings) -> ArchiveStore:
    """The archive's tables on DATABASE_URL (`iagente db` uses them without Redis)."""
    return ArchiveStore(make_engine(database_url(settings.database_url, settings.var_dir)))


def retention_policy(settings: Settings) -> RetentionPolicy:
    """LEGAL_HOLD, RETENTION_YEARS and UNCONVERTED_RETENTION_DAYS, checked."""
    tables = {model.__tablename__ for model in EVENTS}
    if unknown := set(settings.legal_hold_tables) - tables:
        raise SettingsError(
            f"LEGAL_HOLD: unknown archive tables {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(tables))})"
        )
    return RetentionPolicy(
        hold=settings.legal_hold_tables,
        years=settings.retention_years,
        unconverted_days=settings.unconverted_retention_days,
    )


def _voice(settings: Settings, channels: Channels) -> VoiceNotes | None:
    """Voice notes heard, or None: whether transcription is on is decided here only."""
    transcriber = Transcriber.from_settings(settings)
    return VoiceNotes(channels, transcriber) if transcriber else None


def connect_redis(settings: Settings) -> redis.Redis:
    """A client of REDIS_URL, or of its Redis Cluster when REDIS_CLUSTER is on."""
    if not settings.redis_url:
        raise SettingsError(
            "REDIS_URL is not set: start the service with `iagente` (or ./run, or "
            "run_webhook.py), which starts the embedded Redis, or set REDIS_URL"
        )
    if settings.redis_cluster:
        # Every store issues the same commands to either client: a conversation's keys share
        # one hash slot (integrations/redis/keys.py), so its transactions and scripts route to
        # one node. Typed as redis.Redis, the interface the stores are written against.
        cluster = redis.RedisCluster.from_url(settings.redis_url, health_check_interval=30)
        return cast(redis.Redis, cluster)
    return redis.Redis.from_url(settings.redis_url, health_check_interval=30)


def build_brain(settings: Settings) -> Brain:
    """The brain AGENT_BRAIN asks for: the offline rules, or the configured chat model."""
    if settings.brain == "rules":
        return RulesBrain()
    from agent.brains.llm import LLMBrain

    return LLMBrain(
        build_chat_model(settings),
        on_call=metrics.llm_call,
        on_read=metrics.llm_read,
        rephrase=settings.llm_rephrase,
    )


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model of the llm brain: LLM_MODEL on the OpenAI-compatible API configured."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=1,
        temperature=0.2,
    )


def build_context(settings: Settings, brain: Brain) -> AgentContext:
    """What the graph is given: the brain, and the insurer's tariff and product facts.

    The tariff and facts come from TARIFF_FILE and PRODUCT_FACTS_FILE, else the packaged ones.
    """
    quotes = QuoteEngine.from_file(settings.tariff_file) if settings.tariff_file else QuoteEngine()
    facts = (
        ProductFacts.from_file(settings.product_facts_file)
        if settings.product_facts_file
        else default_facts()
    )
    return AgentContext(brain=brain, quotes=quotes, facts=facts)


def build_conversations(
    settings: Settings, client: redis.Redis, brain: Brain
) -> ConversationService:
    """The conversation service: the graph compiled on the Redis checkpointer."""
    saver = TurnSaver(client, ttl_seconds=settings.ttl_seconds, keep_last=settings.checkpoints_kept)
    store = ConversationStore(
        client, max_messages=settings.transcript_max_messages, ttl_seconds=settings.ttl_seconds
    )
    return ConversationService(
        build_graph().compile(checkpointer=saver),
        build_context(settings, brain),
        store,
        lock_seconds=settings.turn_lock_seconds,
        stats=StatsStore(client, STAGES),
    )


def _chatwoot(
    settings: Settings,
    client: redis.Redis,
    conversations: ConversationService,
    channels: Channels,
    health: HealthBook,
) -> ChatwootSide | None:
    """The Chatwoot side, or None: whether Chatwoot is configured is decided here only."""
    api = ChatwootClient.from_settings(settings)
    if api is None:
        return None
    links = ChatwootLinks(client, ttl_seconds=settings.ttl_seconds)
    outbox = Outbox(client, ttl_seconds=settings.ttl_seconds)
    handover = Handover(
        conversations,
        links,
        outbox,
        channels,
        client=api,
        # Without a webhook secret anyone could post an "agent message": ask Chatwoot first.
        confirm_messages=settings.chatwoot_webhook_secret is None,
    )
    mirror = ChatwootMirror(
        api, outbox, links, channels, health=health, routing=LeadRouting.from_settings(settings)
    )
    return ChatwootSide(api, links, outbox, mirror, handover)


def build_followups(
    settings: Settings,
    client: redis.Redis,
    conversations: ConversationService,
    channels: Channels,
    queue: MessageQueue,
    chatwoot: ChatwootSide | None,
) -> FollowUps:
    """Reminders to silent customers: FOLLOW_UP_AFTER's delays, never in QUIET_HOURS."""
    hours = settings.advisor_hours
    return FollowUps(
        conversations,
        FollowUpTimers(client, ttl_seconds=settings.ttl_seconds),
        channels,
        queue,
        delays=settings.follow_up_delays,
        quiet=settings.quiet,
        zone=hours.zone if hours else None,
        chatwoot=chatwoot,
    )
