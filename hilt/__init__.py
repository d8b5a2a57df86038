"""HILT: zero-code observability for applications that call LLMs through the ``openai`` SDK.

    from hilt import instrument
    instrument(backend="local", filepath="logs/app.jsonl")

Every ``client.chat.completions.create`` call (sync, async, streaming) is then logged as a ``prompt``
event before the request and a ``completion`` (or ``system`` error) event after it.

Names are imported on first use, so that the agent's start-up path (``import hilt.instrumentation``)
does not pay for pydantic and the reader.
"""

from __future__ import annotations

from ._version import __version__

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: the agent imports ``hilt`` at start-up, typing costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from ._context import conversation, suppress
    from .events import Actor, Content, Event, Metrics
    from .exceptions import ConfigError, HILTError, LogReadError, WriterError
    from .instrumentation import instrument, is_instrumented, uninstrument
    from .session import Session

__all__ = [
    "Actor",
    "ConfigError",
    "Content",
    "Event",
    "HILTError",
    "LogReadError",
    "Metrics",
    "Session",
    "WriterError",
    "__version__",
    "conversation",
    "instrument",
    "is_instrumented",
    "suppress",
    "uninstrument",
]

_LAZY = {
    "conversation": "._context",
    "suppress": "._context",
    "Actor": ".events",
    "Content": ".events",
    "Event": ".events",
    "Metrics": ".events",
    "ConfigError": ".exceptions",
    "HILTError": ".exceptions",
    "LogReadError": ".exceptions",
    "WriterError": ".exceptions",
    "instrument": ".instrumentation",
    "is_instrumented": ".instrumentation",
    "uninstrument": ".instrumentation",
    "Session": ".session",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hilt' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
