"""Runs customer turns: the graph on the Redis saver, one turn at a time per phone.

The conversation service is the only code that touches the graph and its checkpoints: the
worker, the CLI, the admin API and the Chatwoot handover all go through it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, overload

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agent.context import AgentContext
from agent.graph import ENTRY
from integrations.messaging.phones import mask_phone
from integrations.redis.conversations import ConversationStore
from integrations.redis.locks import renewed
from integrations.redis.stats import StatsStore
from webhooks import logs, metrics
from webhooks.inbound.phones import normalise_phone
from webhooks.turns.checkpoints import TurnSaver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnResult:
    """What one turn came to: the reply and its buttons, and where the conversation stands."""

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
        """The result a graph state stands for (its last reply, stage and flags)."""
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
    """The one way into the funnel and its checkpoints, shared by the worker, CLI and admin."""

    def __init__(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        context: AgentContext,
        store: ConversationStore,
        *,
        lock_seconds: float = 15,
        stats: StatsStore | None = None,
    ) -> None:
        """The service on a graph compiled with its checkpointer.

        Args:
            graph: the compiled funnel; its checkpointer holds every conversation's state.
            context: what the graph is given on each turn (brain, tariff, product facts).
            store: transcripts, summaries and the phones' turn locks.
            lock_seconds: how long a turn lock lasts unless renewed.
            stats: where turn statistics are counted, if anywhere.
        """
        if not isinstance(graph.checkpointer, BaseCheckpointSaver):
            raise ValueError("the graph must be compiled with its checkpointer")
        self.graph = graph
        self.saver: BaseCheckpointSaver = graph.checkpointer
        self.context = context
        self.store = store
        self.lock_seconds = lock_seconds
        self.stats = stats
        self._state_keys = list(graph.stream_channels_asis)

    @staticmethod
    def _config(phone: str) -> RunnableConfig:
        return {"configurable": {"thread_id": phone}}

    @overload
    def locked(self, phone: str) -> AbstractContextManager[None]: ...
    @overload
    def locked(self, phone: str, *, blocking: bool) -> AbstractContextManager[None] | None: ...

    def locked(self, phone: str, *, blocking: bool = True) -> AbstractContextManager[None] | None:
        """The phone's turn lock, held (and renewed) inside the `with`.

        None if not `blocking` and someone else holds it. Inside, the conversation's
        checkpoint is read only once.
        """
        lock = self.store.lock(phone, timeout=self.lock_seconds)
        if not lock.acquire(blocking=blocking):
            return None
        return self.held(lock, phone)

    @contextmanager
    def held(self, lock: Any, phone: str) -> Iterator[None]:
        """Inside, `lock` (the phone's turn lock, already acquired) is renewed, then released.

        For a caller that took the lock itself (the worker takes it with the inbox, in one
        script); the conversation's checkpoint is read only once inside.
        """
        with renewed(lock, self.lock_seconds):
            if isinstance(self.saver, TurnSaver):
                with self.saver.holding(phone):
                    yield
            else:
                yield

    def run_turn(
        self,
        phone: str,
        text: str,
        *,
        channel: str = "chat",
        message_id: str | None = None,
        choice: int | None = None,
        before: dict | None = None,
    ) -> TurnResult:
        """One graph turn; the caller holds the phone's lock.

        A `message_id` the conversation already answered is not run again: its stored result
        comes back, marked `replayed`.

        `choice` is an option the customer tapped (the graph takes it without reading `text`);
        `before` is the state the caller already read under the lock, so it is not read again.
        """
        started = time.perf_counter()
        values = self.state(phone) if before is None else before
        if message_id and values.get("last_message_id") == message_id:
            return TurnResult.of(phone, values, replayed=True)
        stage_before = values.get("stage", "INICIO")
        turn_input: dict = {
            "messages": [HumanMessage(text)],
            "last_message_id": message_id,
            "channel": channel,
        }
        if choice:
            turn_input["choice"] = choice
        with logs.turn_context() as turn_id:
            state = self.graph.invoke(
                self._input(phone, turn_input),
                self._config(phone),
                context=self.context,
                durability="exit",  # one checkpoint per turn: the turn is the unit of work
            )
            seconds = time.perf_counter() - started
            brain = self.context.brain.name
            metrics.turn(brain, seconds, stage_before, state["stage"])
            log.info(
                "turn",
                extra={
                    "turn_id": turn_id,
                    "phone": mask_phone(phone),
                    "stage_from": stage_before,
                    "stage_to": state["stage"],
                    "brain": brain,
                    "ms": round(seconds * 1000, 1),
                    "replied": bool(state.get("reply")),
                },
            )
            log.debug("turn text", extra={"text": text, "reply": state.get("reply", "")})
        return TurnResult.of(phone, state)

    def _input(self, phone: str, turn_input: dict) -> dict | Command:
        """What the graph is invoked with: the turn's input, written straight into the state.

        A Command that writes the input and names the first node spares LangGraph the step a
        plain input takes (its `__start__` task copies the input onto the channels): about a
        twentieth of a turn's graph CPU, the same state after it (bench/README.md). Only when
        the checkpoint is at rest: LangGraph takes a Command as carrying on from the checkpoint,
        and after a run that stopped midway the plain input drops that run's unfinished tasks.
        """
        if isinstance(self.saver, TurnSaver) and self.saver.at_rest(phone):
            return Command(update=turn_input, goto=ENTRY)
        return turn_input

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

    # --- what operators and the handover do to a conversation ----------------------------------

    def state(self, phone: str) -> dict:
        """The conversation's graph state ({} when it has none)."""
        config = self._config(normalise_phone(phone))
        found = self.saver.get_tuple(config)
        if found is None:
            return {}
        if found.pending_writes:
            # A run that stopped midway left writes: LangGraph knows how they apply.
            return self.graph.get_state(config).values
        # At rest the state is the checkpoint's channels: no need for `get_state`, which
        # rebuilds the channels and plans the next step (a sixth of a turn's CPU).
        values = found.checkpoint["channel_values"]
        return {key: values[key] for key in self._state_keys if key in values}

    def exists(self, phone: str) -> bool:
        """Anything is kept about `phone`: a transcript summary or a checkpoint."""
        return bool(self.store.summary(phone)) or (
            self.saver.get_tuple(self._config(phone)) is not None
        )

    def reset(self, phone: str) -> None:
        """Forget the conversation: checkpoints and transcript (caller holds the lock)."""
        self.saver.delete_thread(phone)
        self.store.forget(phone)

    def close(self, phone: str, farewell: str) -> None:
        """End the funnel at FINALIZADO, saying `farewell` ("" for nothing).

        The caller holds the phone's lock.
        """
        update: dict = {"stage": "FINALIZADO", "expecting": None, "reply": farewell, "buttons": []}
        if farewell:
            update["messages"] = [AIMessage(farewell)]
        self._write(phone, update, as_node="follow_up")  # the node of FINALIZADO

    def end_handoff(self, phone: str, values: dict) -> dict:
        """The bot may answer again, same stage; the state after (caller holds the lock)."""
        update = {"handoff": False, "handoff_reason": None}
        self._write(phone, update, as_node="resume_bot")  # the node that ends a handoff
        return {**values, **update}

    def _write(self, phone: str, update: dict, *, as_node: str) -> None:
        # As if `as_node` had written it: every node names the next one by Command, so a plain
        # update names none and the graph stays at rest.
        self.graph.update_state(self._config(phone), update, as_node=as_node)
