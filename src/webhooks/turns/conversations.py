"""Runs customer turns: the graph on the Redis saver, one turn at a time per phone."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import redis
from langchain_core.messages import HumanMessage
from langgraph.graph.state import CompiledStateGraph

from agent.brains.base import Brain
from agent.brains.rules import RulesBrain
from agent.context import AgentContext
from agent.graph import build_graph
from agent.quote import QuoteEngine
from agent.state import STAGES
from integrations.messaging.phones import mask_phone
from integrations.redis.conversations import ConversationStore
from integrations.redis.locks import renewed
from integrations.redis.saver import RedisSaver
from integrations.redis.server import ensure_local_redis
from integrations.redis.stats import StatsStore
from webhooks import logs, metrics
from webhooks.inbound.phones import normalise_phone
from webhooks.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnResult:
    phone: str
    reply: str
    stage: str
    buttons: list[dict] = field(default_factory=list)
    handoff: bool = False
    opted_out: bool = False
    replayed: bool = False  # the turn had already run (a retry after a crash): nothing re-ran
    turn: int = 0  # the conversation's turn count after this turn (1: it has just started)
    values: dict = field(default_factory=dict, repr=False, compare=False)  # the whole state

    @classmethod
    def of(cls, phone: str, state: dict, *, replayed: bool = False) -> TurnResult:
        return cls(
            phone=phone,
            reply=state.get("reply", ""),
            stage=state.get("stage", "INICIO"),
            buttons=state.get("buttons") or [],
            handoff=bool(state.get("handoff")),
            opted_out=bool(state.get("opted_out")),
            replayed=replayed,
            turn=state.get("turns", 0),
            values=state,
        )


class ConversationService:
    """The one way into the funnel, shared by the CLI and the worker."""

    def __init__(
        self,
        graph: CompiledStateGraph,
        context: AgentContext,
        store: ConversationStore,
        *,
        lock_seconds: float = 15,
        stats: StatsStore | None = None,
    ) -> None:
        self.graph = graph
        self.context = context
        self.store = store
        self.lock_seconds = lock_seconds
        self.stats = stats

    @staticmethod
    def config(phone: str) -> dict:
        return {"configurable": {"thread_id": phone}}

    def locked(self, phone: str, *, blocking: bool = True):
        """The phone's turn lock, held (and renewed) inside the `with`; None if not blocking
        and someone else holds it."""
        lock = self.store.lock(phone, timeout=self.lock_seconds)
        if not lock.acquire(blocking=blocking):
            return None
        return renewed(lock, self.lock_seconds)

    def run_turn(
        self, phone: str, text: str, *, channel: str = "chat", message_id: str | None = None
    ) -> TurnResult:
        """One graph turn; the caller holds the phone's lock. A `message_id` the conversation
        already answered is not run again: its stored result comes back, marked `replayed`."""
        started = time.perf_counter()
        values = self.graph.get_state(self.config(phone)).values
        if message_id and values.get("last_message_id") == message_id:
            return TurnResult.of(phone, values, replayed=True)
        before = values.get("stage", "INICIO")
        with logs.turn_context() as turn_id:
            state = self.graph.invoke(
                {
                    "messages": [HumanMessage(text)],
                    "last_message_id": message_id,
                    "channel": channel,
                },
                self.config(phone),
                context=self.context,
                durability="exit",  # one checkpoint per turn: the turn is the unit of work
            )
            seconds = time.perf_counter() - started
            brain = self.context.brain.name
            metrics.turn(brain, seconds, before, state["stage"])
            log.info(
                "turn",
                extra={
                    "turn_id": turn_id,
                    "phone": mask_phone(phone),
                    "stage_from": before,
                    "stage_to": state["stage"],
                    "brain": brain,
                    "ms": round(seconds * 1000, 1),
                    "replied": bool(state.get("reply")),
                },
            )
            log.debug("turn text", extra={"text": text, "reply": state.get("reply", "")})
        return TurnResult.of(phone, state)

    def turn(self, phone: str, text: str, *, channel: str = "chat") -> TurnResult:
        """Answer one message right away (the terminal chat): lock, turn, transcript."""
        phone = normalise_phone(phone)
        arrived = time.time()
        with self.locked(phone):
            result = self.run_turn(phone, text, channel=channel)
            self.store.record_exchange(
                phone,
                [{"text": text, "channel": channel}],
                {"text": result.reply, "channel": channel} if result.reply else None,
                summary={
                    "channel": channel,
                    "stage": result.stage,
                    "handoff": result.handoff,
                    "opted_out": result.opted_out,
                },
            )
        if self.stats:
            self.stats.record_turn(
                phone,
                inbound=1,
                outbound=int(bool(result.reply)),
                started=result.turn == 1,
                stage=result.stage,
                arrived=arrived,
            )
        return result

    def state(self, phone: str) -> dict:
        return self.graph.get_state(self.config(normalise_phone(phone))).values


def connect_redis(settings: Settings) -> redis.Redis:
    """The configured Redis, or the embedded one under VAR_DIR when REDIS_URL is unset."""
    url = settings.redis_url or ensure_local_redis(
        settings.var_dir, preferred_port=settings.embedded_redis_port
    )
    return redis.Redis.from_url(url, health_check_interval=30)


def build_brain(settings: Settings) -> Brain:
    if settings.brain == "rules":
        return RulesBrain()
    from langchain_openai import ChatOpenAI

    from agent.brains.llm import LLMBrain

    model = ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=1,
        temperature=0.2,
    )
    return LLMBrain(model, on_call=metrics.llm_call)


def build_service(
    settings: Settings, client: redis.Redis, brain: Brain | None = None
) -> ConversationService:
    saver = RedisSaver(
        client, ttl_seconds=settings.ttl_seconds, keep_last=settings.checkpoints_kept
    )
    store = ConversationStore(
        client, max_messages=settings.transcript_max_messages, ttl_seconds=settings.ttl_seconds
    )
    context = AgentContext(brain=brain or build_brain(settings), quotes=QuoteEngine())
    graph = build_graph().compile(checkpointer=saver)
    return ConversationService(
        graph,
        context,
        store,
        lock_seconds=settings.turn_lock_seconds,
        stats=StatsStore(client, STAGES),
    )
