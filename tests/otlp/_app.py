"""A child process: an application with its own TracerProvider, instrumented by HILT *before* it configures OTel.

Usage: python _app.py OPENAI_BASE_URL OTLP_ENDPOINT LOG_PATH   (prints the application span's trace and span ids)
"""

from __future__ import annotations

import sys

import openai
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import hilt

base_url, endpoint, log_path = sys.argv[1:4]
hilt.instrument(backend=["local", "otlp"], filepath=log_path)  # as the agent does, at start-up

provider = TracerProvider(resource=Resource.create({"service.name": "app-svc"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint + "/v1/traces")))
trace.set_tracer_provider(provider)

client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
with trace.get_tracer("app").start_as_current_span("GET /chat") as request_span:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
context = request_span.get_span_context()
print(format(context.trace_id, "032x"), format(context.span_id, "016x"))
hilt.uninstrument()
provider.shutdown()
