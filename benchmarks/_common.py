"""Measurement helpers shared by the benchmarks: interleaved timing, distribution summaries, per-item cost."""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any


def interleaved(*sides: Callable[[], Any], calls: int, warmup: int = 30) -> list[list[float]]:
    """Seconds per call of each side, the sides run in turn (A, B, C, A, B, C, ...) so that drift on the
    machine hits them alike; the order within a round rotates, so no side always runs right after another."""
    for _ in range(warmup):
        for side in sides:
            side()
    times: list[list[float]] = [[] for _ in sides]
    clock = time.perf_counter
    count = len(sides)
    for round_ in range(calls):
        for offset in range(count):
            index = (round_ + offset) % count
            start = clock()
            sides[index]()
            times[index].append(clock() - start)
    return times


def with_client_layer(side: Callable[[], Any], hilt_layer: bool) -> Callable[[], Any]:
    """``side`` run with HILT's layer on ``SyncAPIClient.request`` (``hilt_layer``) or with the SDK's own function.

    The ``off`` side calls the SDK's original method directly, but that still ends in ``client.request``,
    which HILT also wraps (``hilt/instrumentation/_lowlevel.py``) and would record. Both sides write the
    class attribute twice, so the swap costs them alike.
    """
    from openai._base_client import SyncAPIClient

    current = SyncAPIClient.__dict__["request"]
    chosen = current if hilt_layer else getattr(current, "__wrapped__", current)

    def run() -> Any:
        SyncAPIClient.request = chosen
        try:
            return side()
        finally:
            SyncAPIClient.request = current

    return run


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary_us(values: Sequence[float]) -> dict[str, float]:
    """Median, mean, p90 and p99 of ``values`` (seconds), in µs."""
    return {
        "median": round(statistics.median(values) * 1e6, 1),
        "mean": round(statistics.fmean(values) * 1e6, 1),
        "p90": round(percentile(values, 0.90) * 1e6, 1),
        "p99": round(percentile(values, 0.99) * 1e6, 1),
    }


def compare(off: Sequence[float], on: Sequence[float], floor: Sequence[float] | None = None) -> dict[str, Any]:
    """The figures the benchmarks print for one call: both distributions, the overheads, the floor's."""
    result: dict[str, Any] = {"off": summary_us(off), "on": summary_us(on)}
    result["overhead_median_us"] = round(result["on"]["median"] - result["off"]["median"], 1)
    result["overhead_mean_us"] = round(result["on"]["mean"] - result["off"]["mean"], 1)
    result["overhead_pct"] = round(result["overhead_median_us"] / result["off"]["median"] * 100, 2)
    if floor is not None:
        result["floor"] = summary_us(floor)
        result["floor_overhead_median_us"] = round(result["floor"]["median"] - result["off"]["median"], 1)
    return result


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
