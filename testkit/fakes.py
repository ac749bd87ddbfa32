"""Test doubles for the chat model: langchain_core's fake model, taught to answer tool calls."""

from __future__ import annotations

import itertools

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

_ids = itertools.count()


class FakeToolModel(GenericFakeChatModel):
    """Replays `messages` in order; bind_tools is accepted so with_structured_output works."""

    def bind_tools(self, tools, **kwargs):
        """Accepted and ignored, so that with_structured_output works on this model."""
        return self


def reading_call(**args) -> AIMessage:
    """What an OpenAI-style model answers when it fills the Reading tool."""
    return AIMessage(
        content="", tool_calls=[{"name": "Reading", "args": args, "id": f"call_{next(_ids)}"}]
    )


class ExplodingModel(GenericFakeChatModel):
    """Every call fails, as a provider outage would."""

    def bind_tools(self, tools, **kwargs):
        """Accepted and ignored, so that with_structured_output works on this model."""
        return self

    def _generate(self, *args, **kwargs):
        raise TimeoutError("model timed out")
