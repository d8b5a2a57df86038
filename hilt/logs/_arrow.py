"""Flat rows as Apache Arrow record batches: the one path behind ``export --to parquet`` and ``sql``.

Needs ``pyarrow`` (the ``hilt[analytics]`` extra); :func:`require` names the extra when it is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any

from ._calls import event_time

__all__ = ["ANALYTICS_EXTRA", "arrow_schema", "record_batches", "require", "to_batch"]

ANALYTICS_EXTRA = "hilt[analytics]"

_INTEGERS = {"status_code", "tokens_in", "tokens_out", "tokens_total", "tokens_cached", "tokens_reasoning"}
_FLOATS = {"cost_usd", "latency_ms", "ttft_ms", "relevance_score"}


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or raise an ``ImportError`` that says which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{purpose} needs the optional package {module!r}: pip install '{ANALYTICS_EXTRA}'") from exc


def arrow_schema(columns: Sequence[str]) -> Any:
    """The Arrow schema of flat rows: UTC timestamps, 64-bit integer counts, float costs and times, text."""
    pa = require("pyarrow", "this command")

    def type_of(name: str) -> Any:
        if name == "timestamp":
            return pa.timestamp("us", tz="UTC")
        if name in _INTEGERS:
            return pa.int64()
        if name in _FLOATS:
            return pa.float64()
        return pa.string()

    return pa.schema([(name, type_of(name)) for name in columns])


def _column(pa: Any, values: list[Any], kind: Any) -> Any:
    if pa.types.is_timestamp(kind):
        text = pa.array([v if isinstance(v, str) else None for v in values], pa.string())
        try:
            return text.cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array([event_time({"timestamp": v}) for v in values], kind)
    try:
        return pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([_coerce(v, kind, pa) for v in values], kind)


def _coerce(value: Any, kind: Any, pa: Any) -> Any:
    """A value of the wrong type in a hand-edited log: text for text columns, else a number or None."""
    if pa.types.is_string(kind):
        return None if value is None else str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if pa.types.is_integer(kind):
        return int(number) if number.is_integer() and abs(number) < 2**63 else None
    return number


def record_batches(rows: Iterable[Sequence[Any]], columns: Sequence[str], batch_size: int = 16_384) -> Iterator[Any]:
    """Yield ``pyarrow.RecordBatch`` objects of at most ``batch_size`` rows, in the :func:`arrow_schema` types."""
    pa = require("pyarrow", "this command")
    schema = arrow_schema(columns)
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            yield to_batch(pa, schema, batch)
            batch = []
    if batch:
        yield to_batch(pa, schema, batch)


def to_batch(pa: Any, schema: Any, rows: list[Sequence[Any]]) -> Any:
    """One Arrow ``RecordBatch`` of ``rows`` (tuples in ``schema``'s column order); ``pa`` is the imported ``pyarrow``."""
    by_column = list(zip(*rows))
    arrays = [_column(pa, list(values), field.type) for values, field in zip(by_column, schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
