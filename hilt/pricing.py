"""USD cost of a call, from the `genai-prices` data, with user overrides.

Lookups go by the response model (``gpt-4o-mini-2024-07-18``) and fall back to the request model.
Cached input tokens are priced at the cached rate; reasoning tokens are output tokens. An unknown model
gives ``None`` and the status ``"unknown_model"``, never a guessed price.

``genai-prices`` takes 0.1–0.5 s to import, so :func:`hilt.instrument` starts loading it in a background
thread and no call ever waits for it: until it is loaded a call's cost is ``None`` with the status
``"prices_loading"`` (``"prices_unavailable"`` if the load failed); :func:`wait_for_prices` waits for it.
Only the OpenAI table is kept, as tuples (:mod:`hilt._price_table`), so the price data adds about a
thousand objects to the garbage collector's work instead of about 24,000. Each model's rates are resolved
once and cached, after which a price costs about a microsecond.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._forksafe import after_fork_in_child
from ._price_table import LibraryTable, PriceTable, Rates, load_price_table, rate_at, read_cached_price_table, save_price_table
from ._safety import logger, report

__all__ = ["ModelRates", "PriceBook", "Priced", "wait_for_prices"]

@dataclass(frozen=True)
class ModelRates:
    """USD per million tokens. ``cached_input`` defaults to ``input`` when a model has no cache discount."""

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None

    @classmethod
    def from_mapping(cls, model: str, value: Mapping[str, Any]) -> ModelRates:
        """Build rates from ``{"input": 0.15, "output": 0.6, "cached_input": 0.075}`` (per million tokens)."""
        expected = (
            f"prices[{model!r}]: expected a table with 'input' and 'output' (and optionally 'cached_input', "
            "'cache_write'), in USD per million tokens"
        )
        if not isinstance(value, Mapping):
            raise ValueError(f"{expected}; got {value!r}")
        unknown = set(value) - {"input", "output", "cached_input", "cache_write"}
        if unknown or "input" not in value or "output" not in value:
            raise ValueError(f"{expected}; got keys {sorted(map(str, value))}")
        rates: dict[str, float] = {}
        for key, rate in value.items():
            try:
                number = float(rate)
            except (TypeError, ValueError):
                number = float("nan")
            if isinstance(rate, bool) or not number >= 0 or number == float("inf"):
                raise ValueError(f"{expected}; {key!r} must be a number >= 0, got {rate!r}")
            rates[key] = number
        return cls(**rates)

    def cost(self, tokens: Mapping[str, int]) -> float:
        """USD for ``tokens`` (``prompt`` includes ``cached`` and ``cache_write``; ``completion`` includes reasoning)."""
        prompt = tokens.get("prompt", 0)
        cached = min(tokens.get("cached", 0), prompt)
        cache_write = min(tokens.get("cache_write", 0), prompt - cached)
        plain = prompt - cached - cache_write
        cached_rate = self.cached_input if self.cached_input is not None else self.input
        write_rate = self.cache_write if self.cache_write is not None else self.input
        total = plain * self.input + cached * cached_rate + cache_write * write_rate
        total += tokens.get("completion", 0) * self.output
        return round(total / 1_000_000, 12)


class _TableRates:
    """Rates from the price table (:mod:`hilt._price_table`); a rate may depend on the input volume."""

    __slots__ = ("rates", "_flat")

    def __init__(self, rates: Rates) -> None:
        self.rates = rates
        tiered = any(type(rate) is tuple for rate in rates)
        self._flat = None if tiered else self._at(0)  # the common case: one ModelRates, built once

    def _at(self, prompt: int) -> ModelRates:
        input_rate, output_rate, cached_rate, write_rate = (rate_at(rate, prompt) for rate in self.rates)
        return ModelRates(input_rate or 0.0, output_rate or 0.0, cached_rate, write_rate)

    def cost(self, tokens: Mapping[str, int]) -> float:
        rates = self._flat or self._at(tokens.get("prompt", 0))
        return rates.cost(tokens)


class Priced(NamedTuple):
    """The outcome of a price lookup: ``cost_usd`` is ``None`` unless ``status`` is ``"ok"``."""

    cost_usd: float | None
    status: str
    model: str | None = None


class _Library:
    """The price table, loaded once in a background thread; never waited for by a call.

    ``load`` is what runs in that thread (tests inject a slow or failing one). ``status`` is
    ``"prices_loading"`` until the load ends, then ``"ok"`` or ``"prices_unavailable"``.
    """

    def __init__(self, load: Callable[[], Any] | None = None) -> None:
        self._load_table = load or load_price_table
        self._ready = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self.table: PriceTable | LibraryTable | None = None

    def start(self) -> None:
        """Read the cached table copy, else start the background load (once); returns at once."""
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
            if self._load_table is load_price_table:
                self.table = read_cached_price_table()
                if self.table is not None:
                    self._ready.set()
                    return
            _import_shared_dependencies()
            threading.Thread(target=self._load, name="hilt-prices", daemon=True).start()

    def _load(self) -> None:
        try:
            self.table = self._load_table()
        except Exception as exc:  # a missing or broken price library costs prices, nothing else
            report("prices-import", "HILT could not load genai-prices (%s: %s); costs will be null", type(exc).__name__, exc)
        finally:
            self._ready.set()
        if isinstance(self.table, PriceTable) and self._load_table is load_price_table:
            try:
                save_price_table(self.table)
            except OSError as exc:  # a read-only home folder is fine: the next process loads genai-prices again
                logger.debug("HILT could not save the price table copy (%s: %s)", type(exc).__name__, exc)

    @property
    def status(self) -> str:
        if not self._ready.is_set():
            return "prices_loading"
        return "ok" if self.table is not None else "prices_unavailable"

    def get(self) -> PriceTable | LibraryTable | None:
        """The price table if it is loaded, else ``None`` (starting the load if needed); never blocks."""
        if not self._started:
            self.start()
        return self.table

    def wait(self, timeout: float | None) -> bool:
        """Block until the load has ended (for tests and benchmarks); True if it did within ``timeout``."""
        self.start()
        return self._ready.wait(timeout)

    def after_fork_in_child(self) -> None:
        """A fork during the load leaves the child without the loading thread: start over there."""
        if not self._ready.is_set():
            self._ready = threading.Event()
            self._lock = threading.Lock()
            self._started = False


def _import_shared_dependencies() -> None:
    """Import, in the caller's thread, the modules genai-prices shares with the application.

    A module being imported in one thread sits half-initialised in ``sys.modules``, and some SDK
    versions read ``sys.modules`` directly (openai 2.x checks for ``httpx2`` that way). Importing these
    before the background thread starts means the application never sees them half-done.
    """
    for name in ("httpx2", "httpx", "pydantic"):
        try:
            importlib.import_module(name)
        except Exception:
            pass


_library = _Library()
after_fork_in_child(lambda: _library.after_fork_in_child())


def wait_for_prices(timeout: float | None = 30.0) -> bool:
    """Load the price data now and wait for it (at most ``timeout`` seconds); True once it is loaded.

    Calls never wait for the price data: until it is loaded their cost is ``null`` with the cost status
    ``prices_loading``. A program that wants a cost from its very first call can call this first.
    """
    return _library.wait(timeout) and _library.table is not None


class PriceBook:
    """Prices calls. ``overrides`` maps a model name to :class:`ModelRates` (or a mapping of them)."""

    def __init__(self, overrides: Mapping[str, ModelRates | Mapping[str, Any]] | None = None) -> None:
        self._overrides = {
            name: rates if isinstance(rates, ModelRates) else ModelRates.from_mapping(name, rates)
            for name, rates in (overrides or {}).items()
        }
        self._cache: dict[tuple[str, str], ModelRates | _TableRates | None] = {}
        # (candidate models, provider) -> (model, rates): the answer for a pair of names seen before
        self._resolved: dict[tuple[tuple[str | None, ...], str], tuple[str, ModelRates | _TableRates]] = {}

    def warm_up(self) -> None:
        """Start loading the price data in the background (cheap after the first call)."""
        _library.start()

    def price(
        self,
        models: tuple[str | None, ...],
        tokens: Mapping[str, int],
        provider: str = "openai",
    ) -> Priced:
        """Price ``tokens`` (``prompt``, ``completion``, ``cached``, ``cache_write``) for the first known model."""
        if "prompt" not in tokens and "completion" not in tokens:
            return Priced(None, "no_usage")
        resolved = self._resolved.get((models, provider))
        if resolved is not None:
            return Priced(resolved[1].cost(tokens), "ok", resolved[0])
        found = self._resolve(models, provider)
        if found is None:
            status = _library.status
            return Priced(None, "unknown_model" if status == "ok" else status)
        if len(self._resolved) >= 4096:
            self._resolved.clear()
        rates = found[1]
        if type(rates) is _TableRates and rates._flat is not None:  # the usual case: one cost() call per price()
            found = (found[0], rates._flat)
        self._resolved[(models, provider)] = found
        return Priced(found[1].cost(tokens), "ok", found[0])

    def _resolve(
        self, models: tuple[str | None, ...], provider: str
    ) -> tuple[str, ModelRates | _TableRates] | None:
        candidates = [model for model in models if model]
        # A user override wins over the price data for any of the names, so an override keyed by the
        # requested alias ("gpt-4o-mini") applies when the response names a dated snapshot.
        for model in candidates:
            override = self._overrides.get(model)
            if override is not None:
                return model, override
        for model in candidates:
            rates = self._rates(model, provider)
            if rates is not None:
                return model, rates
        return None

    def _rates(self, model: str, provider: str) -> ModelRates | _TableRates | None:
        override = self._overrides.get(model)
        if override is not None:
            return override
        key = (provider, model)
        try:
            return self._cache[key]
        except KeyError:
            pass
        table = _library.get()
        if table is None:  # price data not loaded (yet): don't remember the model as unknown
            return None
        found = table.find(model) if provider == "openai" else None
        rates = _TableRates(found) if found is not None else None
        self._cache[key] = rates
        return rates
