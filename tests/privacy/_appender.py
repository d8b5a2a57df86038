"""A concurrent appender for the forget tests: instrumented chat calls, alternately for alice and bob, as fast as it can.

Usage: python _appender.py BASE_URL LOG CALLS READY_FILE (READY_FILE is created after the first 10 calls).
"""

from __future__ import annotations

import sys
from pathlib import Path

import openai

import hilt


def main() -> None:
    base_url, log, calls, ready = sys.argv[1:]
    hilt.instrument(backend="local", filepath=log)
    with openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0) as client:
        for i in range(int(calls)):
            user = "alice" if i % 2 else "bob"
            with hilt.conversation(user=user):
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"{user} {i}"}])
            if i == 10:
                Path(ready).touch()


if __name__ == "__main__":
    main()
