"""A child process exporting to a dead collector: what reaches stderr is the test's business.

Usage: python _quiet_app.py OPENAI_BASE_URL LOG_PATH   (OTEL_EXPORTER_OTLP_ENDPOINT from the environment)
"""

from __future__ import annotations

import logging
import sys
import time

import openai

import hilt

base_url, log_path = sys.argv[1], sys.argv[2]
hilt.instrument(backend=["local", "otlp"], filepath=log_path, shutdown_timeout=0.5)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
for _ in range(3):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    time.sleep(0.4)  # several export attempts fail while the process runs
# the application's own record on an OpenTelemetry logger still reaches stderr
logging.getLogger("opentelemetry.sdk.trace.export").warning("the application's own export warning")
