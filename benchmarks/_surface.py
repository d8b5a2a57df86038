"""What ``python -m benchmarks.overhead`` measures, one function per figure.

Every measurement calls the same SDK method three ways, interleaved: ``off`` = the SDK's original
function (the one HILT wrapped) called directly, ``floor`` = that function behind a pass-through
``wrapt`` wrapper (the least any wrapper-based instrumentation can cost), ``on`` = the instrumented call.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

import wrapt
from benchmarks import _floor
from benchmarks._common import compare, interleaved, observer_overhead_us, with_client_layer

from hilt.instrumentation import current

EMBED_INPUT = ["The sea is wide.", "The sea is deep."]
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Tell me something about the sea."},
]
ASK = {"model": "gpt-4o-mini", "input": "Tell me something about the sea.", "instructions": "Be brief."}


def original(endpoint: str) -> Any:
    """The SDK function HILT wrapped for the sync ``endpoint``."""
    state = current()
    assert state is not None and state.patcher is not None
    patch = next(p for p in state.patcher.applied.values() if p.target.endpoint == endpoint and not p.target.is_async)
    return patch.wrapper.__wrapped__


def _pass_through(function: Any) -> Any:
    return wrapt.FunctionWrapper(function, lambda wrapped, instance, args, kwargs: wrapped(*args, **kwargs))


def three_ways(resource: Any, endpoint: str, calls: int, **request: Any) -> dict[str, Any]:
    """off / floor / on figures for one non-streaming request."""
    plain = original(endpoint)
    floor = _pass_through(plain)
    method = getattr(resource, endpoint.rsplit(".", 1)[1])
    off, through, on = interleaved(
        with_client_layer(lambda: plain(resource, **request), False),
        with_client_layer(lambda: floor(resource, **request), False),
        with_client_layer(lambda: method(**request), True),
        calls=calls,
    )
    return compare(off, on, through)


def calls(client: Any, count: int) -> dict[str, Any]:
    """Non-streaming chat, Responses (openai >= 1.66) and embeddings."""
    results = {"chat": three_ways(client.chat.completions, "chat.completions.create", count, model="gpt-4o-mini", messages=MESSAGES)}
    if hasattr(client, "responses"):
        results["responses"] = three_ways(client.responses, "responses.create", count, **ASK)
    results["embeddings"] = three_ways(
        client.embeddings, "embeddings.create", count, model="text-embedding-3-small", input=EMBED_INPUT
    )
    return results


def stream(client: Any, count: int, chunks: int, reply: dict[str, str], folder: str) -> dict[str, Any]:
    """End-to-end overhead per chunk of a streamed chat answer of ``chunks`` words, HILT's and the floor's:
    the least a stream recorder does (:func:`benchmarks._floor.minimal_stream_recorder`, writing to ``folder``)."""
    resource = client.chat.completions
    plain = original("chat.completions.create")
    fd, path = _floor.append_fd(folder)
    minimal = _floor.minimal_stream_recorder(plain, fd)
    request = {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True, "extra_headers": reply}

    def off() -> None:
        for _ in plain(resource, **request):
            pass

    def on() -> None:
        for _ in resource.create(**request):
            pass

    def least() -> None:
        for _ in minimal(resource, **request):
            pass

    try:
        a, b, c = interleaved(with_client_layer(off, False), with_client_layer(on, True), with_client_layer(least, False),
                              calls=count, warmup=3)  # fmt: skip
    finally:
        os.close(fd)
        os.unlink(path)
    figures = compare(a, b)
    figures["chunks"] = chunks + 2  # the role chunk and the finish chunk
    figures["overhead_per_chunk_us"] = round(figures["overhead_median_us"] / figures["chunks"], 3)
    figures["floor_per_chunk_us"] = round((statistics.median(c) - statistics.median(a)) * 1e6 / figures["chunks"], 3)
    return figures


def own_work_per_chunk(chunks: int = 1000, rounds: int = 20) -> dict[str, float]:
    """HILT's own cost per chat chunk and per Responses stream event, without network or SDK parsing."""
    from openai.types.chat import ChatCompletionChunk

    from hilt.providers.openai._chat import ChatStreamAccumulator

    chunk = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": " wave"}, "finish_reason": None}]}  # fmt: skip
    built = [ChatCompletionChunk.model_validate(chunk) for _ in range(chunks)]
    figures = {"chat_chunk_us": observer_overhead_us(built, "chat.completions.create", ChatStreamAccumulator, rounds)}
    try:
        from openai.types.responses import ResponseTextDeltaEvent

        from hilt.providers.openai._responses import ResponsesStreamAccumulator
    except ImportError:  # openai < 1.66
        return figures
    event = {"type": "response.output_text.delta", "item_id": "msg_bench", "output_index": 0, "content_index": 0,
             "delta": " wave", "logprobs": [], "sequence_number": 0}  # fmt: skip
    events = [ResponseTextDeltaEvent.model_validate(event) for _ in range(chunks)]
    figures["responses_event_us"] = observer_overhead_us(events, "responses.create", ResponsesStreamAccumulator, rounds)
    return figures


ASSISTANT = "Hello! How can I help you today?"  # the fake server's default answer
_CONVERSATION: list[dict[str, str]] = [MESSAGES[0]]


def _history(turns: int) -> list[dict[str, str]]:
    """The request of turn ``turns``: the same message objects every time, as an application that appends
    to its history sends them (a new list each turn), ending with the user's question of that turn."""
    while len(_CONVERSATION) < 2 * turns:
        turn = len(_CONVERSATION) // 2
        _CONVERSATION.append({"role": "user", "content": f"Question {turn}: tell me more about the sea."})
        _CONVERSATION.append({"role": "assistant", "content": ASSISTANT})
    return _CONVERSATION[: 2 * turns]


def conversation(client: Any, turns: int, repeats: int, folder: str, rounds: int = 15) -> dict[str, Any]:
    """Overhead of turn 1 and of turn ``turns`` of a conversation whose requests resend the whole history,
    HILT's and the floor's (:func:`benchmarks._floor.minimal_recorder`, writing each prompt's history to ``folder``).

    Each repeat replays the conversation turn by turn (so threading sees a real continuation); at the
    two measured turns, ``rounds`` rounds of original / instrumented / floor calls (interleaved, the order
    rotating) run on the same history; each figure is the median of the per-round differences.
    """
    resource = client.chat.completions
    sdk_create = original("chat.completions.create")
    fd, path = _floor.append_fd(folder)
    minimal = _floor.minimal_recorder(sdk_create, fd)
    diffs: dict[str, dict[int, list[float]]] = {"hilt": {1: [], turns: []}, "floor": {1: [], turns: []}}
    try:
        for _ in range(repeats):
            for turn in range(1, turns + 1):
                history = _history(turn)
                if turn not in diffs["hilt"]:
                    resource.create(model="gpt-4o-mini", messages=history)
                    continue
                plain = with_client_layer(lambda: sdk_create(resource, model="gpt-4o-mini", messages=history), False)
                instrumented = with_client_layer(lambda: resource.create(model="gpt-4o-mini", messages=history), True)
                least = with_client_layer(lambda: minimal(resource, model="gpt-4o-mini", messages=history), False)
                off, on, floor = interleaved(plain, instrumented, least, calls=rounds, warmup=0)
                diffs["hilt"][turn] += [b - a for a, b in zip(off, on)]
                diffs["floor"][turn] += [c - a for a, c in zip(off, floor)]
    finally:
        os.close(fd)
        os.unlink(path)
    figures: dict[str, Any] = {"turns": turns}
    for side, prefix in (("hilt", ""), ("floor", "floor_")):
        first, last = (statistics.median(values) * 1e6 for values in (diffs[side][1], diffs[side][turns]))
        figures.update({f"{prefix}turn_1_us": round(first, 1), f"{prefix}turn_{turns}_us": round(last, 1),
                        f"{prefix}ratio": round(last / first, 2)})  # fmt: skip
    return figures


def _own_work_pair(reply_text: str = ASSISTANT) -> tuple[Any, Any]:
    """A pass-through wrapper and HILT's wrapper around a fake ``create`` returning a pre-built reply."""
    from openai.types.chat import ChatCompletion

    from hilt.instrumentation._targets import TARGETS

    state = current()
    assert state is not None and state.recorder is not None
    reply = ChatCompletion.model_validate({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
    })  # fmt: skip
    target = next(t for t in TARGETS if t.attribute == "Completions.create")

    def create(self: Any, **kwargs: Any) -> Any:
        return reply

    return _pass_through(create), wrapt.FunctionWrapper(create, state.recorder.make_wrapper(target))


def own_work_per_call(client: Any, calls: int = 3000) -> dict[str, float]:
    """HILT's own work per chat call (no network, no SDK), warm, and cold: right after the SDK's own work
    for a call (``client``'s original ``create``), which is the situation of a real call."""
    import time

    floor, hilt_wrapped = _own_work_pair()
    plain = original("chat.completions.create")
    resource, sdk_resource = object(), client.chat.completions
    clock = time.perf_counter
    figures = {}
    for name, between in (("warm_us", None), ("cold_us", lambda: plain(sdk_resource, model="gpt-4o-mini", messages=MESSAGES))):
        off, on = [], []
        for _ in range(calls):
            for side, times in ((floor, off), (hilt_wrapped, on)):
                if between is not None:
                    between()
                start = clock()
                side(resource, model="gpt-4o-mini", messages=MESSAGES)
                times.append(clock() - start)
        figures[name] = round((statistics.median(on) - statistics.median(off)) * 1e6, 1)
    return figures


def own_work_conversation(turns: int, calls: int = 3000) -> dict[str, Any]:
    """HILT's own work per call at turn 1 and at turn ``turns``, without network or the SDK: the wrapper
    around a function that returns a pre-built ``ChatCompletion``, against a pass-through wrapper. The
    conversation is played once first, so that each measured request continues a known one."""

    floor, hilt_wrapped = _own_work_pair()
    resource = object()
    figures: dict[str, Any] = {}
    for turn in range(1, turns):  # a real conversation: each turn continues the one before
        hilt_wrapped(resource, model="gpt-4o-mini", messages=_history(turn))
    for turn in (1, turns):
        history = _history(turn)
        off, on = interleaved(
            lambda: floor(resource, model="gpt-4o-mini", messages=history),
            lambda: hilt_wrapped(resource, model="gpt-4o-mini", messages=history),
            calls=calls,
            warmup=100,
        )
        figures[f"turn_{turn}_us"] = round((statistics.median(on) - statistics.median(off)) * 1e6, 1)
    figures["ratio"] = round(figures[f"turn_{turns}_us"] / figures["turn_1_us"], 2)
    return figures
