"""HILT: zero-code observability for applications that call LLMs through the ``openai`` SDK.

    from hilt import instrument
    instrument(backend="local", filepath="logs/app.jsonl")

Every ``client.chat.completions.create`` call (sync, async, streaming) is then logged as a ``prompt``
event before the request and a ``completion`` (or ``system`` error) event after it.
"""

from __future__ import annotations

from ._context import conversation
from ._version import __version__
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
    "uninstrument",
]
