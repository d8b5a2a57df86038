"""Per-call and per-chunk overhead of HILT, measured interleaved (A/B) in one process.

A = the SDK's original ``create`` (the function HILT wrapped, called directly), B = the instrumented
``client.chat.completions.create``. Calls alternate A, B, A, B... so drift on the machine hits both
sides alike; medians are compared. B includes writing both events to the JSONL file (one ``write``
syscall each, no buffering). Two transports:

* ``loopback``: a real HTTP server (``hilt.testing.FakeOpenAIServer``) in a separate process;
* ``mock``: the SDK's HTTP client with an in-memory transport, which removes network noise and so
  shows HILT's CPU cost most precisely.

Usage: ``python benchmarks/overhead.py [--calls 400] [--chunks 200] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai  # noqa: E402

import hilt  # noqa: E402
from hilt.instrumentation import current  # noqa: E402

from _common import interleaved, observer_overhead_us  # noqa: E402  (benchmarks/_common.py)
from _surface import measure_surface, responses_event_overhead  # noqa: E402  (benchmarks/_surface.py)
from _otlp import otlp_overhead  # noqa: E402  (benchmarks/_otlp.py)

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Tell me something about the sea."},
]


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The loopback server in its own process, so its CPU time is not the client's."""
    code = (
        "import time; from hilt.testing import FakeOpenAIServer; s = FakeOpenAIServer().start(); "
        "print(s.base_url, flush=True); time.sleep(3600)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def mock_client(chunks: int) -> openai.OpenAI:
    """A client whose transport answers in memory with the same bodies the loopback server sends."""
    try:
        import httpx2 as httpx  # openai >= 3
    except ImportError:
        import httpx  # type: ignore[no-redef]

    words = " ".join(["wave"] * chunks)

    def handler(request: Any) -> Any:
        body = json.loads(request.content)
        if body.get("stream"):
            frames = b"".join(
                f"data: {json.dumps(_chunk(i, w))}\n\n".encode() for i, w in enumerate(words.split(" "))
            )
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=frames + b"data: [DONE]\n\n")
        return httpx.Response(200, json=_replies_chat(body))

    def _chunk(index: int, word: str) -> dict[str, Any]:
        text = word if index == 0 else " " + word
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }

    def _replies_chat(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body.get("model", "gpt-4o-mini"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22},
        }

    return openai.OpenAI(base_url="http://bench.invalid/v1", api_key="k", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def measure(client: openai.OpenAI, calls: int, chunks: int, reply_header: dict[str, str]) -> dict[str, Any]:
    """Non-streaming and streaming overhead for one client."""
    state = current()
    assert state is not None and state.patcher is not None
    patch = next(p for p in state.patcher.applied.values() if p.target.attribute == "Completions.create")
    original = patch.wrapper.__wrapped__
    resource = client.chat.completions

    def plain() -> Any:
        return original(resource, model="gpt-4o-mini", messages=MESSAGES)

    def instrumented() -> Any:
        return resource.create(model="gpt-4o-mini", messages=MESSAGES)

    def plain_stream() -> None:
        for _ in original(resource, model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=reply_header):
            pass

    def instrumented_stream() -> None:
        for _ in resource.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=reply_header):
            pass

    a, b = interleaved(plain, instrumented, calls)
    sa, sb = interleaved(plain_stream, instrumented_stream, max(calls // 4, 100))
    return {
        "call_us": round(a * 1e6, 1),
        "instrumented_call_us": round(b * 1e6, 1),
        "overhead_us": round((b - a) * 1e6, 1),
        "overhead_pct": round((b - a) / a * 100, 2),
        "stream_us": round(sa * 1e6, 1),
        "instrumented_stream_us": round(sb * 1e6, 1),
        "chunks": chunks,
        "overhead_per_chunk_us": round((sb - sa) / chunks * 1e6, 3),
    }


def chunk_overhead(chunks: int = 1000, rounds: int = 20) -> dict[str, float]:
    """HILT's own cost per chunk, without the network or the SDK's parsing: iterate the same pre-built
    chunks plainly and through HILT's stream observer (best of 5 repeats of ``rounds`` streams)."""
    from openai.types.chat import ChatCompletionChunk

    from hilt.providers.openai._chat import ChatStreamAccumulator

    built = [
        ChatCompletionChunk.model_validate(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": {"content": " wave"}, "finish_reason": None}],
            }
        )
        for _ in range(chunks)
    ]

    return {"overhead_per_chunk_us": observer_overhead_us(built, "chat.completions.create", ChatStreamAccumulator, rounds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400, help="calls per side (default 400)")
    parser.add_argument("--chunks", type=int, default=200, help="chunks per streamed answer (default 200)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    log = Path(tempfile.mkdtemp(prefix="hilt-bench-")) / "bench.jsonl"
    hilt.instrument(backend="local", filepath=str(log))
    process, base_url = start_server()
    results: dict[str, Any] = {"python": sys.version.split()[0], "openai": openai.__version__}
    try:
        reply = {"x-fake-reply": " ".join(["wave"] * args.chunks)}
        with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
            results["loopback"] = measure(client, args.calls, args.chunks + 2, reply)  # + role and finish chunks
            if hasattr(client, "responses"):  # Responses API and embeddings (openai >= 1.66)
                results["surface"] = measure_surface(client, args.calls, args.chunks, reply, interleaved)
        with mock_client(args.chunks) as client:
            results["mock"] = measure(client, args.calls, args.chunks, {})
            results["otlp"] = otlp_overhead(client, args.calls, interleaved)
        results["chunk"] = chunk_overhead()
        if "surface" in results:
            results["responses_event"] = responses_event_overhead()
    finally:
        process.terminate()
        hilt.uninstrument()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"HILT overhead, interleaved A/B, {args.calls} calls per side (Python {results['python']}, openai {results['openai']})")
    for name in ("loopback", "mock"):
        r = results[name]
        print(
            f"  {name:8} call: {r['call_us']:>8} µs -> {r['instrumented_call_us']:>8} µs  "
            f"overhead {r['overhead_us']:>6} µs ({r['overhead_pct']:+.2f}%)   "
            f"stream of {r['chunks']} chunks: {r['overhead_per_chunk_us']:+.3f} µs/chunk"
        )
    o = results["otlp"]
    print(f"  mock     local+otlp vs local: {o['local_call_us']:>8} µs -> {o['local_otlp_call_us']:>8} µs  overhead {o['overhead_us']:>6} µs; "
          f"OTLP on the request path {o['request_path_us']} µs (span start {o['prompt_us']}, reply queued {o['reply_us']}), background {o['background_us']} µs/call")
    print(f"  HILT's own work per stream chunk (no network, no SDK parsing): {results['chunk']['overhead_per_chunk_us']:.3f} µs")
    if "surface" in results:
        r = results["surface"]
        for name in ("responses", "embeddings"):
            print(
                f"  loopback {name}.create: {r[name + '_call_us']:>8} µs  "
                f"overhead {r[name + '_overhead_us']:>6} µs ({r[name + '_overhead_pct']:+.2f}%)"
            )
        print(
            f"  loopback responses stream of {r['responses_stream_events']} events: "
            f"{r['responses_overhead_per_event_us']:+.3f} µs/event; HILT's own work per event: "
            f"{results['responses_event']['overhead_per_event_us']:.3f} µs"
        )
    print("  (end-to-end per-chunk figures include the SDK's own ~100-200 µs/chunk parsing noise)")
    print(f"  events written to {log} ({sum(1 for _ in log.open())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
