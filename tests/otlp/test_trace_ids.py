"""JSONL events name the span their call ran under (trace_id, span_id), also without the otlp backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

import hilt
from hilt.testing import read_lines

MESSAGES = [{"role": "user", "content": "Say hello"}]


def test_application_span_ids_on_jsonl_events(instrumented: Path, client: Any) -> None:
    """With the local backend only, a call inside an application span gets that span's ids on both events; a call outside gets none."""
    tracer = TracerProvider().get_tracer("app")
    with tracer.start_as_current_span("handle request") as span:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    hilt.uninstrument()
    inside_prompt, inside_reply, outside_prompt, outside_reply = read_lines(instrumented)
    context = span.get_span_context()
    expected = (format(context.trace_id, "032x"), format(context.span_id, "016x"))
    for event in (inside_prompt, inside_reply):
        assert (event["extensions"]["trace_id"], event["extensions"]["span_id"]) == expected
    for event in (outside_prompt, outside_reply):
        assert "trace_id" not in event["extensions"] and "span_id" not in event["extensions"]


def test_stream_reply_keeps_the_prompt_ids(instrumented: Path, client: Any) -> None:
    """A stream consumed after its span ended still gets the prompt's trace ids on its completion event."""
    tracer = TracerProvider().get_tracer("app")
    with tracer.start_as_current_span("handle request") as span:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    hilt.uninstrument()
    prompt, reply = read_lines(instrumented)
    assert reply["extensions"]["span_id"] == prompt["extensions"]["span_id"] == format(span.get_span_context().span_id, "016x")


def test_local_backend_never_imports_opentelemetry(server: Any, tmp_path: Path) -> None:
    """The JSONL-only path imports no OpenTelemetry module and writes no trace ids."""
    code = (
        "import sys, hilt, openai\n"
        f"hilt.instrument(backend='local', filepath={str(tmp_path / 'x.jsonl')!r})\n"
        f"openai.OpenAI(base_url={server.base_url!r}, api_key='k', max_retries=0).chat.completions.create(model='gpt-4o-mini', messages=[])\n"
        "hilt.uninstrument()\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr
    assert all("trace_id" not in event["extensions"] for event in read_lines(tmp_path / "x.jsonl"))
