"""Where a chat call's end-to-end overhead goes: HILT without its writes, and the least any recorder costs.

Six sides, interleaved, on the same SDK method: ``off`` (the SDK's original function), ``on`` (HILT),
``on_no_writes`` (HILT with its writers swapped for one that discards the events: everything but the
two ``write`` system calls), ``minimal`` (a pass-through ``wrapt`` wrapper that renders two small events
with ``orjson`` and appends each with one ``os.write`` to a file in the log's folder: the least a
recorder that puts both events on disk before the call returns can cost), ``minimal_no_writes`` (the
same without the writes) and ``minimal_tmpfs`` (the same writing to ``/dev/shm`` when it exists).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import wrapt
from benchmarks._common import interleaved, summary_us, with_client_layer

from hilt._ids import new_event_id, utc_now_iso
from hilt.instrumentation import current


class _Discard:
    """A writer that drops every event."""

    def write(self, event: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


_NEWLINE = orjson.OPT_APPEND_NEWLINE


def _write_prompt(fd: int | None, kwargs: dict[str, Any]) -> str:
    prompt_id = new_event_id()
    messages = kwargs["messages"]
    line = orjson.dumps({
        "hilt_version": "1.0.0", "event_id": prompt_id, "timestamp": utc_now_iso(), "actor": {"type": "human", "id": "user"},
        "action": "prompt", "content": {"text": messages[-1]["content"], "messages": messages},
        "extensions": {"model": kwargs["model"]},
    }, option=_NEWLINE)  # fmt: skip
    if fd is not None:
        os.write(fd, line)
    return prompt_id


def _write_completion(fd: int | None, prompt_id: str, model: str, text: str, tokens: dict[str, int], started: int) -> None:
    line = orjson.dumps({
        "hilt_version": "1.0.0", "event_id": new_event_id(), "timestamp": utc_now_iso(),
        "actor": {"type": "agent", "id": "openai", "name": model}, "action": "completion", "content": {"text": text},
        "metrics": {"tokens": tokens, "latency_ms": (time.perf_counter_ns() - started) // 1_000_000},
        "extensions": {"reply_to": prompt_id, "model": model, "status_code": 200},
    }, option=_NEWLINE)  # fmt: skip
    if fd is not None:
        os.write(fd, line)


def minimal_recorder(plain: Any, fd: int | None) -> Any:
    """``plain`` behind a wrapper that writes a prompt and a completion event, each with one ``os.write``."""

    def wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        prompt_id = _write_prompt(fd, kwargs)
        started = time.perf_counter_ns()
        reply = wrapped(*args, **kwargs)
        usage = reply.usage
        tokens = {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens}
        _write_completion(fd, prompt_id, reply.model, reply.choices[0].message.content, tokens, started)
        return reply

    return wrapt.FunctionWrapper(plain, wrapper)


def minimal_stream_recorder(plain: Any, fd: int | None) -> Any:
    """``plain`` (``stream=True``) behind the least a stream recorder does: a prompt event, then the SDK
    stream's iterator swapped for a generator that keeps each chunk's text, and a completion event at its end."""

    def observed(inner: Any, prompt_id: str, started: int) -> Any:
        parts: list[str] = []
        model = ""
        for chunk in inner:
            model = chunk.model
            if chunk.choices:
                text = chunk.choices[0].delta.content
                if text:
                    parts.append(text)
            yield chunk
        _write_completion(fd, prompt_id, model, "".join(parts), {}, started)

    def wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        prompt_id = _write_prompt(fd, kwargs)
        started = time.perf_counter_ns()
        stream = wrapped(*args, **kwargs)
        stream._iterator = observed(stream._iterator, prompt_id, started)
        return stream

    return wrapt.FunctionWrapper(plain, wrapper)


def append_fd(folder: str) -> tuple[int, str]:
    """A new file in ``folder`` opened for appending: ``(descriptor, path)``."""
    created, path = tempfile.mkstemp(prefix="hilt-floor-", suffix=".jsonl", dir=folder)
    os.close(created)
    return os.open(path, os.O_WRONLY | os.O_APPEND), path


def decompose(resource: Any, plain: Any, log_folder: Path, calls: int, **request: Any) -> dict[str, Any]:
    """Median, mean, p90, p99 overhead of each side against ``off`` (µs)."""
    state = current()
    assert state is not None
    pipeline = state.pipeline
    real, discard = pipeline.writers, [_Discard()]
    method = getattr(resource, "create")
    opened = [append_fd(str(log_folder))]
    if os.path.isdir("/dev/shm"):
        opened.append(append_fd("/dev/shm"))

    def hilt_with(writers: list[Any]) -> Callable[[], Any]:
        def run() -> Any:
            pipeline.writers = writers
            try:
                return method(**request)
            finally:
                pipeline.writers = real

        return run

    def call(function: Any) -> Callable[[], Any]:
        return lambda: function(resource, **request)

    sides: dict[str, Callable[[], Any]] = {
        "off": with_client_layer(call(plain), False),
        "on": with_client_layer(hilt_with(real), True),
        "on_no_writes": with_client_layer(hilt_with(discard), True),
        "minimal": with_client_layer(call(minimal_recorder(plain, opened[0][0])), False),
        "minimal_no_writes": with_client_layer(call(minimal_recorder(plain, None)), False),
    }
    if len(opened) > 1:
        sides["minimal_tmpfs"] = with_client_layer(call(minimal_recorder(plain, opened[1][0])), False)
    try:
        times = dict(zip(sides, interleaved(*sides.values(), calls=calls)))
    finally:
        for fd, path in opened:
            os.close(fd)
            os.unlink(path)
    off = summary_us(times.pop("off"))
    result: dict[str, Any] = {"off": off}
    for name, values in times.items():
        figures = summary_us(values)
        result[name] = {key: round(figures[key] - off[key], 1) for key in ("median", "mean", "p90", "p99")}
    return result
