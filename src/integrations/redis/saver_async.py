"""The checkpointer's async methods: the sync ones, run in a worker thread (asyncio.to_thread).

The service is sync (Flask and worker threads): one client and one code path are simpler than
two, and LangGraph's async callers still get methods that do not block their event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def in_thread(
    method: Callable[Concatenate[Any, P], R],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """The async twin of a sync method: the same call, by name, in a worker thread.

    By name, so a subclass's override of the sync method is the one that runs.
    """
    name = method.__name__

    async def in_thread(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, await asyncio.to_thread(getattr(self, name), *args, **kwargs))

    in_thread.__name__ = f"a{name}"
    in_thread.__doc__ = f"`{name}` in a worker thread."
    return in_thread


def each_in_thread(
    method: Callable[Concatenate[Any, P], Iterator[T]],
) -> Callable[Concatenate[Any, P], AsyncIterator[T]]:
    """The async twin of a sync generator method: each item fetched in a worker thread."""
    name = method.__name__

    async def each_in_thread(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[T]:
        found = getattr(self, name)(*args, **kwargs)
        while (item := await asyncio.to_thread(next, found, None)) is not None:
            yield item

    each_in_thread.__name__ = f"a{name}"
    each_in_thread.__doc__ = f"`{name}` in a worker thread, one item at a time."
    return each_in_thread
