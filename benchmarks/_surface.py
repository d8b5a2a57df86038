"""Overhead of HILT on the Responses API and embeddings (used by ``benchmarks/overhead.py``).

Same method as the chat measurement: A = the SDK's original method (the function HILT wrapped, called
directly), B = the instrumented call, alternated, medians compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _common import observer_overhead_us  # benchmarks/_common.py

from hilt.instrumentation import current

EMBED_INPUT = ["The sea is wide.", "The sea is deep."]


def _original(endpoint: str) -> Any:
    state = current()
    assert state is not None and state.patcher is not None
    patch = next(p for p in state.patcher.applied.values() if p.target.endpoint == endpoint and not p.target.is_async)
    return patch.wrapper.__wrapped__


def _figures(prefix: str, a: float, b: float) -> dict[str, float]:
    return {
        f"{prefix}_call_us": round(a * 1e6, 1),
        f"{prefix}_overhead_us": round((b - a) * 1e6, 1),
        f"{prefix}_overhead_pct": round((b - a) / a * 100, 2),
    }


def measure_surface(
    client: Any, calls: int, chunks: int, reply_header: dict[str, str], interleaved: Callable[..., tuple[float, float]]
) -> dict[str, Any]:
    """Non-streaming overhead of ``responses.create`` and ``embeddings.create``, and per-chunk overhead of
    a streamed ``responses.create`` (``chunks`` text deltas plus the fixed lifecycle events)."""
    responses, embeddings = client.responses, client.embeddings
    create_response, create_embedding = _original("responses.create"), _original("embeddings.create")
    ask = {"model": "gpt-4o-mini", "input": "Tell me something about the sea.", "instructions": "Be brief."}

    def plain_stream() -> None:
        for _ in create_response(responses, **ask, stream=True, extra_headers=reply_header):
            pass

    def instrumented_stream() -> None:
        for _ in responses.create(**ask, stream=True, extra_headers=reply_header):
            pass

    results: dict[str, Any] = {}
    a, b = interleaved(lambda: create_response(responses, **ask), lambda: responses.create(**ask), calls)
    results.update(_figures("responses", a, b))
    a, b = interleaved(
        lambda: create_embedding(embeddings, model="text-embedding-3-small", input=EMBED_INPUT),
        lambda: embeddings.create(model="text-embedding-3-small", input=EMBED_INPUT),
        calls,
    )
    results.update(_figures("embeddings", a, b))
    a, b = interleaved(plain_stream, instrumented_stream, max(calls // 4, 100))
    events = chunks + 8  # created, in_progress, item added, part added, text done, part done, item done, completed
    results["responses_stream_events"] = events
    results["responses_overhead_per_event_us"] = round((b - a) / events * 1e6, 3)
    return results


def responses_event_overhead(events: int = 1000, rounds: int = 20) -> dict[str, float]:
    """HILT's own cost per Responses stream event (text deltas), without network or SDK parsing."""
    from openai.types.responses import ResponseTextDeltaEvent

    from hilt.providers.openai._responses import ResponsesStreamAccumulator

    built = [
        ResponseTextDeltaEvent.model_validate(
            {"type": "response.output_text.delta", "item_id": "msg_bench", "output_index": 0, "content_index": 0,
             "delta": " wave", "logprobs": [], "sequence_number": i}
        )
        for i in range(events)
    ]  # fmt: skip

    return {"overhead_per_event_us": observer_overhead_us(built, "responses.create", ResponsesStreamAccumulator, rounds)}
