"""Writers: where events go.

A writer takes events already in their on-disk shape (plain dicts, see :mod:`hilt._format`) and has two
methods the pipeline calls: ``write(event)`` and ``close()``. ``write`` may raise; the pipeline guards
every call so that a failing writer never reaches the application. Events are shared between writers
(and parts of them between events): a writer must treat them as read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .jsonl import JsonlWriter

if TYPE_CHECKING:
    from .._config import Settings

__all__ = ["JsonlWriter", "Writer", "build_writers"]


class Writer(Protocol):
    """What the pipeline needs from a backend."""

    def write(self, event: dict[str, Any]) -> None:
        """Record one event."""

    def close(self) -> None:
        """Flush and release resources (a closed pipeline writes nothing more)."""


def build_writers(settings: Settings) -> list[Writer]:
    """The writers a configuration asks for."""
    if settings.backend == "sheets":
        from .sheets import build_sheets_writers

        return build_sheets_writers(settings)
    return [JsonlWriter(settings.log_path)]
