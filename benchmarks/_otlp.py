"""What the ``otlp`` backend adds per call (``backend=["local", "otlp"]`` against ``"local"``).

HILT's own OTLP/HTTP pipeline (batch span processor, periodic metric reader) exports to a loopback
receiver in this process that accepts every request with 200, so the export threads really run.

* ``call``: interleaved A/B through the in-memory transport: A = the instrumented call with the
  ``local`` pipeline, B = the same call with the ``local`` + ``otlp`` pipeline (the recorder's
  pipeline is swapped between the two, so both sides share the same patches).
* ``prompt_us`` / ``reply_us``: the OTLP work on the request path alone, on pre-built events: starting
  the span (with the trace-id stamp) when the prompt event is written, and queueing the reply;
  ``background_us``: the background thread's work per call (attributes, end, metrics), off the call.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import compare, interleaved

MESSAGES = [{"role": "user", "content": "Tell me something about the sea."}]


def _receiver() -> Any:
    from hilt.testing._loopback import LoopbackHandler, LoopbackServer

    class Handler(LoopbackHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    class Receiver(LoopbackServer):
        handler_class = Handler

    return Receiver().start()


def _pipelines(folder: Path) -> tuple[Any, Any]:
    from hilt._config import load_settings
    from hilt._pipeline import Pipeline
    from hilt.writers import build_writers

    pipelines = []
    for name, backend in (("local", ["local"]), ("both", ["local", "otlp"])):
        settings = load_settings({"backend": backend, "filepath": str(folder / f"{name}.jsonl")})
        pipelines.append(Pipeline(build_writers(settings)))
    return pipelines[0], pipelines[1]


def _writer_cost(writer: Any, rounds: int = 2000) -> tuple[float, float, float]:
    """µs per call, on fresh copies of two real events: the prompt side and the reply side (both on the
    request path), then the background thread's work (attributes, end, metrics) once the replies are queued."""
    from hilt._ids import new_event_id, utc_now_iso
    from hilt._trace_context import stamp_trace_ids

    prompt = {
        "event_id": "", "timestamp": utc_now_iso(), "session_id": "conv_x", "action": "prompt",
        "provenance": {"endpoint": "chat.completions.create", "server": "api.openai.com"},
        "extensions": {"model": "gpt-4o-mini", "stream": False, "params": {"model": "gpt-4o-mini", "temperature": 0.2}},
    }  # fmt: skip
    reply = {
        "event_id": "", "timestamp": utc_now_iso(), "session_id": "conv_x", "action": "completion", "actor": {"id": "openai"},
        "metrics": {"tokens": {"prompt": 20, "completion": 2, "total": 22}, "cost_usd": 4.2e-6, "latency_ms": 300},
        "provenance": prompt["provenance"],
        "extensions": {"reply_to": "", "model": "gpt-4o-mini", "status_code": 200, "status": "ok", "latency_ms": 300,
                       "response_id": "chatcmpl-1", "finish_reasons": ["stop"]},
    }  # fmt: skip
    pairs = []
    for _ in range(rounds):
        event_id = new_event_id()
        pairs.append(({**prompt, "event_id": event_id, "extensions": dict(prompt["extensions"])},
                      {**reply, "event_id": new_event_id(), "extensions": {**reply["extensions"], "reply_to": event_id}}))  # fmt: skip
    writers = [writer]
    clock = time.perf_counter
    batch = 100
    writer.flush()  # nothing left over from the A/B run competing for the GIL
    prompt_s, reply_s, background_s = [], [], 0.0
    for first in range(0, rounds, batch):  # best batch: the cost itself, not the preemptions of a busy machine
        chunk = pairs[first : first + batch]
        started = clock()
        for p, _ in chunk:
            stamp_trace_ids(p, writers)
            writer.write(p)
        prompts_done = clock()
        for _, r in chunk:
            stamp_trace_ids(r, writers)
            writer.write(r)
        replies_done = clock()
        writer._finisher.drain(60.0)
        background_s += clock() - replies_done
        prompt_s.append((prompts_done - started) / len(chunk))
        reply_s.append((replies_done - prompts_done) / len(chunk))
    return round(min(prompt_s) * 1e6, 1), round(min(reply_s) * 1e6, 1), round(background_s / rounds * 1e6, 1)


def available() -> bool:
    """Whether the ``otlp`` extra is installed (the row is skipped without it)."""
    import importlib.util

    return importlib.util.find_spec("opentelemetry.exporter.otlp.proto.http") is not None


def otlp_overhead(client: Any, calls: int) -> dict[str, Any]:
    """The ``otlp`` row: per-call overhead of ``local`` + ``otlp`` over ``local`` (µs), and its two halves."""
    import os

    from hilt.instrumentation import current

    receiver = _receiver()
    saved = {name: os.environ.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME")}
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{receiver.port}"
    os.environ["OTEL_SERVICE_NAME"] = "hilt-bench"
    recorder = current().recorder
    original = recorder.pipeline
    local, both = _pipelines(Path(tempfile.mkdtemp(prefix="hilt-bench-otlp-")))
    resource = client.chat.completions

    def with_local() -> Any:
        recorder.pipeline = local
        return resource.create(model="gpt-4o-mini", messages=MESSAGES)

    def with_otlp() -> Any:
        recorder.pipeline = both
        return resource.create(model="gpt-4o-mini", messages=MESSAGES)

    try:
        a, b = interleaved(with_local, with_otlp, calls=calls)
        prompt_us, reply_us, background_us = _writer_cost(both.writers[-1])
    finally:
        recorder.pipeline = original
        local.close()
        both.close()
        receiver.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {
        **compare(a, b),
        "prompt_us": prompt_us,
        "reply_us": reply_us,
        "request_path_us": round(prompt_us + reply_us, 1),
        "background_us": background_us,
    }
