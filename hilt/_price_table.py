"""A compact, read-only copy of one provider's prices from ``genai-prices``.

``genai-prices`` builds its whole data set (every provider, model, match rule and price, about 24,000
objects the garbage collector tracks) when it is imported. HILT needs one provider's table, so the
background loader copies it here into nested tuples of strings and floats (which the collector stops
tracking) and, when HILT was the one that imported ``genai-prices``, lets the library go again.

The lookup follows ``genai-prices``: the model name is lower-cased and the first model whose match rule
accepts it wins; a compact dated name (``gpt-5.2-20251211``) is retried in the dashed form. Prices that
change on a date are resolved when the table is loaded; volume tiers are kept ("cliff" pricing: crossing
a tier's start, in total input tokens, applies that tier's rate to all tokens). The parity test
(``tests/test_pricing.py``) checks every model of the table against ``genai-prices`` itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["LibraryTable", "PriceTable", "Rates", "cache_path", "load_price_table", "rate_at", "read_cached_price_table", "save_price_table"]

# USD per million tokens: a number, or (base, ((start, rate), ...)) when the rate depends on volume.
Rate = float | tuple[float, tuple[tuple[int, float], ...]] | None
Rates = tuple[Rate, Rate, Rate, Rate]  # input, output, cache read, cache write
_PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
_COMPACT_DATE = re.compile(r"(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")


def rate_at(rate: Rate, input_tokens: int) -> float | None:
    """The rate that applies to a call with ``input_tokens`` input tokens."""
    if rate is None or type(rate) is float:
        return rate  # type: ignore[return-value]
    base, tiers = rate  # type: ignore[misc]
    for start, tier_rate in reversed(tiers):
        if input_tokens > start:
            return tier_rate
    return base


def _matches(rule: tuple[Any, ...], name: str) -> bool:
    kind, value = rule
    if kind == "equals":
        return name == value
    if kind == "starts_with":
        return name.startswith(value)
    if kind == "ends_with":
        return name.endswith(value)
    if kind == "contains":
        return value in name
    if kind == "regex":
        return value.search(name) is not None
    if kind == "or":
        return any(_matches(part, name) for part in value)
    return all(_matches(part, name) for part in value)  # "and"


def _dashed_date(name: str) -> str:
    def replace(match: re.Match[str]) -> str:
        year, month, day = (int(match.group(index)) for index in range(2, 5))
        try:
            date(year, month, day)
        except ValueError:
            return match.group(0)
        return f"{match.group(1)}{year:04d}-{month:02d}-{day:02d}"

    return _COMPACT_DATE.sub(replace, name)


class PriceTable:
    """Ordered ``(match rule, rates)`` rows of one provider; :meth:`find` gives the rates of a model name."""

    __slots__ = ("rows",)

    def __init__(self, rows: tuple[tuple[tuple[Any, ...], Rates | None], ...]) -> None:
        self.rows = rows

    def find(self, model: str) -> Rates | None:
        """The rates of ``model``, or ``None`` when no row matches (or the match has no token price)."""
        name = model.lower()
        for candidate in (name, _dashed_date(name)):
            for rule, rates in self.rows:
                if _matches(rule, candidate):
                    return rates
            if candidate == _dashed_date(name):
                break
        return None


def _rule(clause: Any) -> tuple[Any, ...]:
    for kind in ("equals", "starts_with", "ends_with", "contains"):
        if hasattr(clause, kind):
            return (kind, getattr(clause, kind).lower())
    if hasattr(clause, "regex"):
        return ("regex", re.compile(clause.regex))
    if hasattr(clause, "or_"):
        return ("or", tuple(_rule(part) for part in clause.or_))
    if hasattr(clause, "and_"):
        return ("and", tuple(_rule(part) for part in clause.and_))
    raise ValueError(f"unknown genai-prices match rule {type(clause).__name__}")


def _rate(value: Any) -> Rate:
    if value is None:
        return None
    tiers = getattr(value, "tiers", None)
    if tiers is not None:
        return (float(value.base), tuple((int(tier.start), float(tier.price)) for tier in tiers))
    return float(value)


def _rates(model: Any, now: datetime) -> Rates | None:
    price = model.get_prices(now)
    rates = tuple(_rate(getattr(price, key, None)) for key in _PRICE_KEYS)
    return None if rates[0] is None else rates  # type: ignore[return-value]


class LibraryTable:
    """Rates looked up through ``genai_prices.calc_price`` itself, for a genai-prices release whose data
    layout :func:`load_price_table` does not know (the library then stays loaded)."""

    __slots__ = ("_library", "_provider")

    def __init__(self, library: Any, provider_id: str) -> None:
        self._library, self._provider = library, provider_id

    def find(self, model: str) -> Rates | None:
        library = self._library
        try:
            found = library.calc_price(library.Usage(input_tokens=0, output_tokens=0), model, provider_id=self._provider)
        except LookupError:
            return None
        rates = tuple(_rate(getattr(found.model_price, key, None)) for key in _PRICE_KEYS)
        return None if rates[0] is None else rates  # type: ignore[return-value]


def load_price_table(provider_id: str = "openai") -> PriceTable | LibraryTable:
    """Import ``genai-prices``, copy ``provider_id``'s table, and let the library go if HILT imported it."""
    imported_here = "genai_prices" not in sys.modules
    import genai_prices

    try:
        from genai_prices import data_snapshot

        snapshot = data_snapshot.get_snapshot()
        provider = snapshot.find_provider(None, provider_id, None)
        now = datetime.now(timezone.utc)
        table = PriceTable(tuple((_rule(model.match), _rates(model, now)) for model in provider.models))
    except Exception:  # another genai-prices layout: ask the library for each model instead
        return LibraryTable(genai_prices, provider_id)
    del snapshot, provider
    if imported_here:  # nobody else holds it: drop the cached data set and the modules
        getattr(getattr(data_snapshot, "_bundled_snapshot", None), "cache_clear", lambda: None)()
        names = [name for name in list(sys.modules) if name == "genai_prices" or name.startswith("genai_prices.")]  # a copy: imports run meanwhile
        overloads = getattr(sys.modules.get("typing"), "_overload_registry", {})  # @overload keeps functions alive
        for name in names:
            sys.modules.pop(name, None)
            overloads.pop(name, None)
    return table


# A copy of the table in the user's cache folder lets the next processes skip genai-prices altogether:
# reading it takes about a millisecond, so no background import competes with the application's first
# calls for the GIL. It is keyed by HILT's version and the installed genai-prices data file, and is
# re-read from genai-prices once a day (prices that change on a date are resolved when it is written).
# Each virtualenv (each genai-prices install) has its own copy: with one shared file, two environments
# used in turn would each find the other's copy and load genai-prices again every time.
_CACHE_MAX_AGE_S = 24 * 3600


def cache_path(provider_id: str = "openai", key: str | None = None) -> Path:
    """Where the table copy for the installed genai-prices lives: ``$XDG_CACHE_HOME/hilt`` (``~/.cache/hilt``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    source = key if key is not None else _source_key() or ""
    folder = source.rsplit("; ", 2)[0].partition("; ")[2]  # the data file's path: one copy per install, kept across upgrades
    install = hashlib.blake2b(folder.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    return Path(base) / "hilt" / f"prices-{provider_id}-{install}.json"


def _source_key() -> str | None:
    """Identifies the installed genai-prices data (without importing it), or None when it is not installed."""
    import importlib.util

    from ._version import __version__

    spec = importlib.util.find_spec("genai_prices")
    if spec is None or not spec.origin:
        return None
    data = Path(spec.origin).with_name("data.py")
    stat = data.stat()
    return f"hilt {__version__}; {data}; {stat.st_size}; {stat.st_mtime_ns}"


def _rule_to_json(rule: tuple[Any, ...]) -> list[Any]:
    kind, value = rule
    if kind in ("or", "and"):
        return [kind, [_rule_to_json(part) for part in value]]
    return [kind, value.pattern if kind == "regex" else value]


def _rule_from_json(value: Any) -> tuple[Any, ...]:
    kind, argument = value
    if kind in ("or", "and"):
        return (kind, tuple(_rule_from_json(part) for part in argument))
    if kind not in ("equals", "starts_with", "ends_with", "contains", "regex") or not isinstance(argument, str):
        raise ValueError(f"bad match rule {value!r}")
    return (kind, re.compile(argument) if kind == "regex" else argument)


def _rate_from_json(value: Any) -> Rate:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    base, tiers = value
    return (float(base), tuple((int(start), float(rate)) for start, rate in tiers))


def save_price_table(table: PriceTable, provider_id: str = "openai") -> None:
    """Write the table copy (0600, atomically); raises ``OSError`` when the folder is not writable."""
    key = _source_key()
    if key is None:
        return
    rows = [[_rule_to_json(rule), None if rates is None else list(rates)] for rule, rates in table.rows]
    from .writers._log_files import replace_private_file

    data = json.dumps({"key": key, "saved_at": time.time(), "rows": rows}).encode("utf-8")
    replace_private_file(cache_path(provider_id, key), data)


def read_cached_price_table(provider_id: str = "openai") -> PriceTable | None:
    """The table copy if it is there, current and well-formed; ``None`` otherwise (never raises)."""
    try:
        key = _source_key()
        path = cache_path(provider_id, key)
        if key is None or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key or not 0 <= time.time() - float(data["saved_at"]) < _CACHE_MAX_AGE_S:
            return None
        rows = []
        for rule, rates in data["rows"]:
            parsed = None if rates is None else tuple(_rate_from_json(rate) for rate in rates)
            if parsed is not None and len(parsed) != 4:
                raise ValueError("bad rates")
            rows.append((_rule_from_json(rule), parsed))
        return PriceTable(tuple(rows))
    except Exception:  # a stale, foreign or damaged copy: load from genai-prices instead
        return None
