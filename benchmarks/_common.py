"""Measurement helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any


def interleaved(a: Callable[[], Any], b: Callable[[], Any], calls: int, warmup: int = 30) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, run alternately."""
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
