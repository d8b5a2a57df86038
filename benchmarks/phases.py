"""HILT's steps timed inside real chat calls, at turn 1 and at turn N of a conversation resending its history.

The calls go through the SDK's in-memory mock transport (no network). Each step HILT runs per call is
wrapped in a ``perf_counter_ns`` timer (a fraction of a µs each), and its median is printed for the
two turns, next to the same steps around a function that returns a pre-built reply (no SDK: warm
caches). Pricing does the same work at every turn; whatever more it takes at turn N is what the SDK's
longer work for the bigger request (about 15 ms at turn 50, against 0.8 ms at turn 1) costs HILT in
CPU-cache misses, not work that grows with the history.

Usage: ``python -m benchmarks.phases [--turns 50] [--calls 300]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hilt
from benchmarks import _surface
from benchmarks.overhead import mock_client
from hilt.instrumentation import current
from hilt.pricing import wait_for_prices

_times: dict[str, list[int]] = {}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    clock = time.perf_counter_ns

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            _times.setdefault(name, []).append(clock() - start)

    return timed


def _time_the_steps() -> None:
    """Wrap the recorder's two halves, the pipeline's phases and each processor step in timers."""
    state = current()
    assert state is not None and state.recorder is not None
    recorder, pipeline = state.recorder, state.pipeline
    recorder._begin = _timed("request half (whole)", recorder._begin)
    recorder._succeed = _timed("response half (whole)", recorder._succeed)
    pipeline.begin = _timed("pipeline.begin", pipeline.begin)
    pipeline.end = _timed("pipeline.end", pipeline.end)
    pipeline.emit = _timed("emit: orjson + write (per event)", pipeline.emit)
    (context_guard, context), (link_guard, link) = pipeline._request_steps
    pipeline._request_steps = ((context_guard, context), (link_guard, _timed("threading: link", link)))
    (cost_guard, cost), (remember_guard, remember) = pipeline._response_steps
    pipeline._response_steps = ((cost_guard, _timed("pricing", cost)), (remember_guard, _timed("threading: remember", remember)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=50, help="the later turn measured (default 50)")
    parser.add_argument("--calls", type=int, default=300, help="calls measured per turn (default 300)")
    args = parser.parse_args()
    hilt.instrument(backend="local", filepath=str(Path(tempfile.mkdtemp(prefix="hilt-bench-")) / "phases.jsonl"))
    wait_for_prices(60)
    _time_the_steps()
    _, without_sdk = _surface._own_work_pair()  # HILT's wrapper around a function returning a pre-built reply
    columns: dict[str, dict[str, float]] = {}
    with mock_client(reply=_surface.ASSISTANT) as client:  # the answer the history holds: each turn continues
        create = client.chat.completions.create
        for turn in range(1, args.turns + 1):  # a real conversation first: each turn continues the one before
            create(model="gpt-4o-mini", messages=_surface._history(turn))
        for turn in (1, args.turns):
            history = _surface._history(turn)
            sides = {
                f"turn {turn}": lambda: create(model="gpt-4o-mini", messages=history),
                f"turn {turn}, no SDK": lambda: without_sdk(client.chat.completions, model="gpt-4o-mini", messages=history),
            }
            for column, side in sides.items():
                call = _timed("the whole call", side)
                _times.clear()
                for _ in range(args.calls):
                    call()
                columns[column] = {name: statistics.median(values) / 1000 for name, values in _times.items()}
    hilt.uninstrument()
    print(f"HILT's steps inside real chat calls (mock transport) and around a pre-built reply (no SDK: warm caches),")
    print(f"median µs of {args.calls} calls per column")
    print(f"  {'step':36}" + "".join(f"{column:>17}" for column in columns))
    for name in columns["turn 1"]:
        print(f"  {name:36}" + "".join(f"{figures.get(name, float('nan')):17.1f}" for figures in columns.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
