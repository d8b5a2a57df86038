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
    """The writers a configuration asks for, one backend after the other (``settings.backend``).

    ``local`` is the JSONL file; ``sheets`` adds its journal and the Sheets writer (the journal is
    not opened twice when it is also the ``local`` file); ``otlp`` imports OpenTelemetry only here.
    """
    writers: list[Writer] = []
    for backend in settings.backend:
        if backend == "sheets":
            from .sheets import build_sheets_writers

            writers.extend(build_sheets_writers(settings))
        elif backend == "otlp":
            writers.append(_otlp_writer(settings))
        else:
            writers.append(_local_writer(settings))
    return _without_duplicate_files(writers)


def _local_writer(settings: Settings) -> JsonlWriter:
    return JsonlWriter(
        settings.log_path,
        rotate=settings.rotate,
        compress=settings.compress,
        retention_days=settings.retention_days,
        integrity=settings.integrity,
    )


def _otlp_writer(settings: Settings) -> Writer:
    try:
        from .otlp import OtlpWriter
    except ImportError as exc:
        from ..exceptions import ConfigError

        source = settings.sources.get("backend", "default")
        raise ConfigError(source, "backend", f"the otlp extra for the otlp backend: pip install 'hilt[otlp]' ({exc})") from None
    return OtlpWriter(settings)


def _without_duplicate_files(writers: list[Writer]) -> list[Writer]:
    """Keep one JSONL writer per file (``local`` and the Sheets journal may name the same one)."""
    seen: set[Any] = set()
    kept: list[Writer] = []
    for writer in writers:
        if isinstance(writer, JsonlWriter):
            key = writer.path.expanduser().resolve()
            if key in seen:
                continue
            seen.add(key)
        kept.append(writer)
    return kept
