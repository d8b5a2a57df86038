"""A child process that makes calls and exits normally without uninstrument(): its spans must still arrive.

Usage: python _exit_app.py OPENAI_BASE_URL LOG_PATH CALLS   (OTEL_EXPORTER_OTLP_ENDPOINT from the environment)
"""

from __future__ import annotations

import sys

import openai

import hilt

base_url, log_path, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
hilt.instrument(backend=["local", "otlp"], filepath=log_path)
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
for _ in range(calls):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
