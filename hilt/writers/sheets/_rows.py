"""Turn HILT events into Google Sheets rows: the column set, its validation, and the cell rules.

Cells are sent with ``valueInputOption=RAW``: strings stay text (a prompt ``=HYPERLINK(...)`` is never a
formula), numbers stay JSON numbers, timestamps stay the event's ISO 8601 string with its time zone.
A cell longer than the Sheets limit (50,000 characters, counted as Google counts them: UTF-16 code units, so
an emoji is two) is cut and ends with :data:`TRUNCATION_MARKER`. A row Google still rejects is replaced by a
:func:`placeholder_row`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...exceptions import ConfigError

__all__ = [
    "ALL_COLUMNS",
    "CELL_LIMIT",
    "DEFAULT_COLUMNS",
    "OPTIONAL_COLUMNS",
    "TRUNCATION_MARKER",
    "column_letter",
    "event_to_row",
    "fallback_worksheet_title",
    "placeholder_row",
    "resolve_columns",
    "utf16_length",
]

CELL_LIMIT = 50_000
"""Most UTF-16 code units in one cell (Google's limit)."""
TRUNCATION_MARKER = "…[truncated by HILT]"
PLACEHOLDER_KEEPS = ("event_id", "timestamp")
"""The cells a placeholder row keeps from the row it replaces."""

Cell = Any


def _get(event: Mapping[str, Any], *path: str) -> Any:
    value: Any = event
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _session(event: Mapping[str, Any]) -> Cell:
    session_id = event.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        return None
    if session_id.startswith("conv_"):
        # Current ids are time-ordered (conv_ + 32 hex): their random tail tells conversations apart.
        return "Conv." + (session_id[-8:] if len(session_id) == 37 else session_id[5:13])
    return session_id[:12]


def _speaker(event: Mapping[str, Any]) -> Cell:
    actor = event.get("actor")
    if not isinstance(actor, Mapping):
        return None
    return f"{actor.get('type', '')}: {actor.get('id', '')}"


def _latency(event: Mapping[str, Any]) -> Cell:
    value = _get(event, "metrics", "latency_ms")
    return value if value is not None else _get(event, "extensions", "latency_ms")


def _relevance(event: Mapping[str, Any]) -> Cell:
    value = _get(event, "extensions", "relevance_score")
    return value if value is not None else _get(event, "extensions", "score")


def _path(*path: str) -> Callable[[Mapping[str, Any]], Cell]:
    return lambda event: _get(event, *path)


_EXTRACTORS: dict[str, Callable[[Mapping[str, Any]], Cell]] = {
    # The 15 columns of the HILT Sheets view, in their historical order.
    "timestamp": _path("timestamp"),
    "conversation_id": _path("session_id"),
    "event_id": _path("event_id"),
    "reply_to": _path("extensions", "reply_to"),
    "status_code": _path("extensions", "status_code"),
    "session": _session,
    "speaker": _speaker,
    "action": _path("action"),
    "message": _path("content", "text"),
    "tokens_in": _path("metrics", "tokens", "prompt"),
    "tokens_out": _path("metrics", "tokens", "completion"),
    "cost_usd": _path("metrics", "cost_usd"),
    "latency_ms": _latency,
    "model": _path("extensions", "model"),
    "relevance_score": _relevance,
    # What HILT records on top of the reference view.
    "tokens_total": _path("metrics", "tokens", "total"),
    "tokens_cached": _path("metrics", "tokens", "cached"),
    "ttft_ms": _path("metrics", "ttft_ms"),
    "error_type": _path("extensions", "error_type"),
    "user": _path("extensions", "user"),
    # Written when chosen in ``columns``, or by default when the matching setting is on (see _settings).
    "metadata": _path("extensions", "metadata"),
    "sample_rate": _path("extensions", "sample_rate"),
}

OPTIONAL_COLUMNS = ("metadata", "sample_rate")
"""Columns outside the default set: compliance metadata (a JSON object) and the sampling rate."""
ALL_COLUMNS: tuple[str, ...] = tuple(name for name in _EXTRACTORS if name not in OPTIONAL_COLUMNS)
"""Every column HILT writes by default, in the default order."""

DEFAULT_COLUMNS = ALL_COLUMNS


def resolve_columns(columns: Iterable[str] | None, source: str = "instrument()") -> tuple[str, ...]:
    """The configured columns, validated; ``None`` means all of :data:`ALL_COLUMNS`.

    Raises:
        ConfigError: an unknown or repeated name (the message lists the valid ones), or an empty list.
    """
    if columns is None:
        return DEFAULT_COLUMNS
    chosen = tuple(columns)
    valid = ", ".join(_EXTRACTORS)
    unknown = [name for name in chosen if name not in _EXTRACTORS]
    if unknown:
        raise ConfigError(source, "columns", f"names among: {valid}", unknown[0] if len(unknown) == 1 else unknown)
    if not chosen:
        raise ConfigError(source, "columns", f"at least one of: {valid}", list(chosen))
    if len(set(chosen)) != len(chosen):
        raise ConfigError(source, "columns", "each column at most once", list(chosen))
    return chosen


def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if len(value) > CELL_LIMIT // 2 and utf16_length(value) > CELL_LIMIT:
        value = _cut_utf16(value, CELL_LIMIT - utf16_length(TRUNCATION_MARKER)) + TRUNCATION_MARKER
    return value


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Google's cell limit counts): 2 for a character beyond U+FFFF."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut_utf16(text: str, units: int) -> str:
    """The longest prefix of ``text`` that is at most ``units`` UTF-16 code units, never half a surrogate pair."""
    data = text.encode("utf-16-le", "surrogatepass")[: 2 * units]
    if data and 0xD8 <= data[-1] <= 0xDB:  # a high surrogate whose partner was cut off
        data = data[:-2]
    return data.decode("utf-16-le", "surrogatepass")


def placeholder_row(row: list[Cell], columns: Iterable[str], reason: str) -> list[Cell]:
    """A row that stands for ``row`` after Google rejected it: the ``event_id`` and ``timestamp`` cells, and why.

    The explanation goes in the ``message`` column, else in the first column that is not kept.
    """
    columns = tuple(columns)
    note = f"[HILT: Google Sheets rejected this row ({reason}); the full event is in the local journal]"
    out: list[Cell] = [row[i] if name in PLACEHOLDER_KEEPS and i < len(row) else "" for i, name in enumerate(columns)]
    spare = [i for i, name in enumerate(columns) if name not in PLACEHOLDER_KEEPS]
    if spare:
        out[columns.index("message") if "message" in columns else spare[0]] = _cell(note)
    return out


def event_to_row(event: Mapping[str, Any], columns: Iterable[str] = DEFAULT_COLUMNS) -> list[Cell]:
    """One sheet row for ``event``: a cell per column, ``""`` for what the event lacks."""
    return [_cell(_EXTRACTORS[name](event)) for name in columns]


def column_letter(index: int) -> str:
    """``1`` → ``A``, ``27`` → ``AA``."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def fallback_worksheet_title(base: str, columns: Iterable[str]) -> str:
    """The worksheet HILT appends to when ``base`` has a header other than ``columns``.

    ``"<base> [col1,col2,...]"`` when that fits the 100-character title limit, else
    ``"<base> [<n> columns <8-hex digest>]"``. The same column set always maps to the same title.
    """
    columns = tuple(columns)
    joined = ",".join(columns)
    title = f"{base} [{joined}]"
    if len(title) <= 100:
        return title
    digest = hashlib.sha1(joined.encode()).hexdigest()[:8]
    return f"{base[:60]} [{len(columns)} columns {digest}]"
