"""Measurement helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any


def interleaved(a: Callable[[], Any], b: Callable[[], Any], calls: int, warmup: int = 30) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, run alternately."""
    a, b = with_client_layer(a, False), with_client_layer(b, True)
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    clock = time.perf_counter
    for _ in range(calls):
        start = clock()
        a()
        middle = clock()
        b()
        end = clock()
        times_a.append(middle - start)
        times_b.append(end - middle)
    return statistics.median(times_a), statistics.median(times_b)


def with_client_layer(side: Callable[[], Any], hilt_layer: bool) -> Callable[[], Any]:
    """``side`` run with HILT's layer on ``SyncAPIClient.request`` (B) or with the SDK's own function (A).

    A calls the SDK's original method directly, but that still ends in ``client.request``, which HILT
    also wraps (see ``hilt/instrumentation/_lowlevel.py``) and would record. Both sides write the class
    attribute twice, so the swap costs them alike.
    """
    from openai._base_client import SyncAPIClient

    current = SyncAPIClient.__dict__["request"]
    original = getattr(current, "__wrapped__", current)
    chosen = current if hilt_layer else original

    def run() -> Any:
        SyncAPIClient.request = chosen
        try:
            return side()
        finally:
            SyncAPIClient.request = current

    return run


def observer_overhead_us(built: Sequence[Any], endpoint: str, new_accumulator: Callable[[], Any], rounds: int = 20) -> float:
    """HILT's own cost per stream item, in µs: iterate pre-built SDK chunks or events plainly and through
    HILT's stream observer (best of 5 repeats of ``rounds`` streams), without network or SDK parsing."""
    from hilt._record import CallRecord
    from hilt.instrumentation._streams import StreamObserver, _observed_sync

    def plain() -> None:
        for _ in iter(built):
            pass

    def observed() -> None:
        record = CallRecord(endpoint=endpoint, provider="openai", started_ns=0)
        observer = StreamObserver(record, new_accumulator(), lambda record, accumulator: None)
        for _ in _observed_sync(iter(built), observer):
            pass

    plain_s = min(timeit.repeat(plain, number=rounds, repeat=5)) / rounds / len(built)
    observed_s = min(timeit.repeat(observed, number=rounds, repeat=5)) / rounds / len(built)
    return round((observed_s - plain_s) * 1e6, 3)
